#!/usr/bin/env bash
# The mouse: the wheel scrolls the list or view under the pointer (not the
# focused one), a double click on a history row opens its detail view, and
# no click ever sends: a double click on a row is never a re-run, a click
# on a question answers nothing. The terminal's own mouse reports (SGR,
# as xterm and tmux send them) are typed into the pane.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[{"sub_mchid":"1900000109","out_trade_no":"TM-ROW-0","state":"PAID"}'
for i in $(seq 1 30); do
	ORDERS+=",{\"sub_mchid\":\"1900000109\",\"out_trade_no\":\"TM-ROW-$i\",\"state\":\"PAID\"}"
done
ORDERS+=']'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

# mouse BUTTON COL ROW: one SGR mouse press (1-based cell), as a terminal
# reports it: 0 left button, 64 wheel up, 65 wheel down.
mouse() { ui_type $'\033'"[<$1;$2;$3M"; }
# release COL ROW: the left button's release.
release() { ui_type $'\033'"[<0;$1;$2m"; }
click() { mouse 0 "$1" "$2"; release "$1" "$2"; }
# row_of TEXT: the 1-based screen row and column of TEXT's first letter.
row_of() { ui_screen | grep -nF -m1 -- "$1" | cut -d: -f1; }
col_of() {
	ui_screen | grep -F -m1 -- "$1" | python3 -c 'import sys
l=sys.stdin.read(); t=sys.argv[1]; print(l.index(t) + 1)' "$1"
}

# Rows an earlier run wrote: more than the History pane shows.
timeout $((60 * T_SLOW)) "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --note "mouse test" \
	$(for i in $(seq 1 30); do echo "TM-ROW-$i"; done) >/dev/null 2>&1 </dev/null
SENT=$(sim_requests)

t_begin "the wheel scrolls the history under the pointer, the focus stays put"
ui_start_ok 100 30
ui_wait_for "TM-ROW-30" 5
ui_focus Profiles
y=$(row_of TM-ROW-30)
x=$(col_of TM-ROW-30)
t_contains "the title starts at the newest" "$(ui_screen)" "History 1/30"
for i in 1 2 3 4 5 6; do mouse 65 "$x" "$y"; done
ui_wait_for "History 19/30" 5
t_contains "the focus is still on Profiles" "$(ui_screen)" "> $(ui_title Profiles)"
mouse 64 "$x" "$y"
ui_wait_for "History 16/30" 5
t_ok

t_begin "the wheel over the profiles pane leaves the history where it is"
py=$(row_of "Coffee Shop")
px=$(col_of "Coffee Shop")
mouse 65 "$px" "$py"
sleep 0.5
t_contains "the history did not move" "$(ui_screen)" "History 16/30"
t_ok

t_begin "a double click on a history row opens its detail view; nothing is sent"
ui_keys Home 2>/dev/null
ui_focus History
ui_keys Home
ui_wait_for "History 1/30" 5
y=$(row_of TM-ROW-28)
x=$(col_of TM-ROW-28)
click "$x" "$y"
click "$x" "$y"
ui_wait_for "Detail: TM-ROW-28" 5
t_eq "nothing sent" "$SENT" "$(sim_requests)"
t_ok

t_begin "the wheel scrolls the detail view"
top=$(ui_screen | grep -oE 'Detail: TM-ROW-28  \([0-9]+/' | grep -oE '\([0-9]+' | tr -d '(')
t_eq "it starts at the first line" 1 "$top"
mouse 65 10 10
ui_wait_for "Detail: TM-ROW-28  (4/" 5
mouse 64 10 10
ui_wait_for "Detail: TM-ROW-28  (1/" 5
t_ok

t_begin "clicks on the re-run confirmation never answer it"
ui_keys C-r
ui_wait_for "$(L "Reverse this order?" "撤销这笔订单？")" 5
ui_wait_for "$(L "y: reverse" "y：撤销")" 5
for r in $(seq 2 29); do click 50 "$r"; click 50 "$r"; done
sleep 1
t_contains "the question is still open" "$(ui_screen)" "$(L "Reverse this order?" "撤销这笔订单？")"
t_eq "nothing sent" "$SENT" "$(sim_requests)"
ui_keys Escape
ui_wait_gone "$(L "Reverse this order?" "撤销这笔订单？")" 5
t_ok

t_begin "the help, README and man page name the wheel and the double click"
ui_keys F1
ui_wait_for "$(L "Keys (Esc closes" "按键（Esc 关闭")" 5
help=""
for i in 1 2 3 4 5 6; do
	help+=$(ui_screen)
	ui_keys NPage
	sleep 0.3
done
t_contains "double click in the help" "$help" "Double-click"
t_contains "wheel in the help" "$help" "Wheel"
t_contains "README" "$(cat "$T_ROOT/README.md")" '`Double-click`'
t_contains "man page" "$(cat "$T_ROOT/docs/wxrev.1")" 'Double-click'
ui_keys Escape
t_ok

ui_stop
t_done
