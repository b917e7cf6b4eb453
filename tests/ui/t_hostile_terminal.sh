#!/usr/bin/env bash
# The terminal rows of the fault catalogue (tests/README.md): a tiny
# terminal, rapid resizes, a 10 KB paste, Ctrl-Z/fg, and the terminal
# closing (SIGHUP) while a reversal is in flight.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000109","out_trade_no":"HT-PASTE-1","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"HT-HUP-1","state":"PAID"}
]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

# ui_pid: the wxrev process in the pane (the pane runs a wrapper script).
ui_pid() {
	local pane
	pane=$(tmux_ display-message -p -t "$UI_SESSION" '#{pane_pid}')
	pgrep -P "$pane" | head -n 1
}
ui_tty() { tmux_ display-message -p -t "$UI_SESSION" '#{pane_tty}'; }
# proc_state PID: R, S, T (stopped), ... or "gone".
proc_state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo gone; }
wait_state() { # wait_state PID STATE SECONDS
	local end=$((SECONDS + $3))
	while [ "$SECONDS" -le "$end" ]; do
		[ "$(proc_state "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

t_begin "a 20x5 terminal says it is too small"
ui_start 20 5
ui_wait_for "too small" 10
t_check "still running" test -n "$(ui_pid)"
ui_resize 100 30
ui_wait_for "Profiles" 5
ui_wait_gone "too small" 5
t_ok

t_begin "rapid resizes end in a clean screen"
sizes=(20x5 200x60 80x24 79x23 120x40 30x10 100x30 81x25 200x5 20x60)
for i in 1 2 3; do
	for s in "${sizes[@]}"; do
		ui_resize "${s%x*}" "${s#*x}"
	done
done
ui_resize 100 30
sleep 0.5
ui_wait_for "Profiles" 5
ui_wait_gone "too small" 5
t_check "still running" test -n "$(ui_pid)"
# A clean redraw: every line fits the width and the status bar is last.
screen=$(ui_screen)
t_eq "lines on screen" 30 "$(wc -l <<<"$screen")"
t_contains "history pane drawn" "$screen" "History"
t_ok

t_begin "a 10 KB paste into the order field is contained"
ui_choose_sub "Coffee"
ui_wait_for "> Order" 5
ui_keys C-u
ui_paste "$(head -c 10240 /dev/zero | tr '\0' 7)"
sleep 0.5
screen=$(ui_screen)
t_check "still running" test -n "$(ui_pid)"
t_contains "says what is wrong" "$screen" "characters long"
ui_keys Enter
sleep 0.5
if ui_screen | grep -qF "Reverse this order?"; then
	t_fail "a 10 KB order reached the confirmation"
fi
t_eq "requests the simulator received" 0 "$(sim_requests)"
# Still usable: a real order after the paste.
ui_keys C-u
ui_type HT-PASTE-1
ui_wait_for "Enter to review" 5
t_ok

t_begin "Ctrl-Z and fg suspend and redraw"
# Job control needs an interactive shell (a stop signal to a process group
# without one is discarded), so this test types into one, as a person would.
# Its own tmux server: tmux 3.3 crashes adding a sized session to a server
# whose window-size is manual.
JC=jc
JC_SOCK="$T_TMP/tmux-jc.sock"
jc_tmux() { tmux -S "$JC_SOCK" -f /dev/null "$@"; }
t_cleanup_add "tmux -S '$JC_SOCK' kill-server"
jc_tmux new-session -d -s "$JC" -x 100 -y 30 \
	"env -i HOME='$HOME' PATH='$PATH' TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC PS1='jc\$ ' bash --norc --noprofile -i"
jc_tmux set-option -t "$JC" status off >/dev/null
sleep 0.5
jc_tmux send-keys -t "$JC" -l "WXREV_PROFILES='$WXREV_PROFILES' WXREV_HISTORY='$WXREV_HISTORY' WXREV_OPERATOR=tester '$WXREV_BIN'"
jc_tmux send-keys -t "$JC" Enter
jc_screen() { jc_tmux capture-pane -p -t "$JC"; }
jc_wait() { # jc_wait TEXT SECONDS
	local end=$((SECONDS + $2))
	while [ "$SECONDS" -le "$end" ]; do
		jc_screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	t_fail "'$1' did not appear; screen:"
	jc_screen | sed 's/^/    | /'
	return 1
}
jc_wait "Profiles" 10
pane=$(jc_tmux display-message -p -t "$JC" '#{pane_pid}')
pid=$(pgrep -P "$pane" | head -n 1)
jc_tmux send-keys -t "$JC" C-z
if wait_state "$pid" T 5; then
	# The shell is back on the normal screen: wxrev gave the terminal up.
	jc_wait "Stopped" 5
	if jc_screen | grep -qF "Profiles"; then
		t_fail "wxrev's screen stayed up while it was stopped"
	fi
	jc_tmux send-keys -t "$JC" -l "fg"
	jc_tmux send-keys -t "$JC" Enter
	jc_wait "Profiles" 5
	t_check "running again" test "$(proc_state "$pid")" != T
	jc_tmux send-keys -t "$JC" F10 # q would type into a focused field
	end=$((SECONDS + 10 * T_SLOW))
	while [ -e "/proc/$pid" ] && [ "$SECONDS" -le "$end" ]; do sleep 0.1; done
	t_check "quit" test ! -e "/proc/$pid"
	# Back at the prompt, the modes wxrev found are the modes it left.
	jc_tmux send-keys -t "$JC" -l "stty -a | tr ' ' '\n' | grep -x -e icanon -e echo | tr '\n' +"
	jc_tmux send-keys -t "$JC" Enter
	jc_wait "icanon+echo+" 5
else
	t_fail "Ctrl-Z did not stop wxrev (state $(proc_state "$pid"))"
fi
jc_tmux kill-session -t "$JC" 2>/dev/null
t_ok

t_begin "SIGHUP mid-call still ends the record"
sim_fault HT-HUP-1 '{"type":"delay","ms":1500,"count":1}'
ui_keys C-u
ui_type HT-HUP-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
pid=$(ui_pid)
ui_yes
db=$WXREV_HISTORY
end=$((SECONDS + 10))
until [ "$(sqlite3 -readonly "$db" "SELECT outcome FROM reversals WHERE out_trade_no = 'HT-HUP-1'" 2>/dev/null)" = pending ]; do
	[ "$SECONDS" -le "$end" ] || break
	sleep 0.1
done
# The terminal goes away: the pane's processes get SIGHUP.
kill -HUP "$pid"
end=$((SECONDS + 15 * T_SLOW))
while [ -e "/proc/$pid" ] && [ "$(proc_state "$pid")" != Z ] && [ "$SECONDS" -le "$end" ]; do
	sleep 0.1
done
t_eq "wxrev exited" gone "$(if [ -e "/proc/$pid" ] && [ "$(proc_state "$pid")" != Z ]; then echo running; else echo gone; fi)"
outcome=$(sqlite3 -readonly "$db" "SELECT outcome FROM reversals WHERE out_trade_no = 'HT-HUP-1'")
case "$outcome" in
reversed | unknown) ;;
*) t_fail "record left '$outcome'" ;;
esac
t_eq "integrity" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
ui_wait_exit 5
modes=$(cat "$UI_STATE/stty.a" 2>/dev/null)
t_contains "terminal modes restored (echo)" "$modes" " echo "
t_ok

ui_stop
t_done
