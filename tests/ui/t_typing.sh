#!/usr/bin/env bash
# Typing can never send: no character an order number can hold
# ([0-9A-Za-z_*|-]) is a command in the panes or the detail view. Typed or
# pasted there it goes to the order field; the confirmation counts only a
# `y` typed after it is on screen; `?` opens the help from everywhere; quit
# is F10 or Ctrl-Q.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000109","out_trade_no":"TY-SLOW-1","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"TY-QUEUED-2","state":"PAID"}
]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

t_begin "typing an order number in the History pane sends nothing"
ui_start_ok
ui_choose_sub Coffee
ui_wait_for "> Order" 5
ui_keys C-u
ui_type TY-SLOW-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_yes
ui_wait_for "Result: TY-SLOW-1" 10
ui_keys Escape
ui_wait_gone "Result: TY-SLOW-1" 5
ui_keys C-u
t_eq "requests after the first reversal" 1 "$(sim_count TY-SLOW-1)"
# Esc from the detail view leaves the focus on History: exactly when an
# operator starts typing the next order. "order" holds an r, "xy" a y.
ui_focus History
ui_keys Enter
ui_wait_for "Detail: TY-SLOW-1" 5
ui_keys Escape
ui_wait_gone "Detail:" 5
ui_type wx_order_2026_xy
ui_wait_for "> Order" 5
sleep 0.5
t_eq "requests the simulator received" 1 "$(sim_count TY-SLOW-1)"
if ui_screen | grep -q "Reverse this order?"; then
	t_fail "a confirmation opened while typing"
fi
t_eq "the typed text is in the order field" "wx_order_2026_xy" "$(ui_field "Order number")"
t_contains "the message line says where typing went" "$(ui_screen)" "Typing goes to the order number"
t_ok

t_begin "typing in the detail view goes to the order field"
ui_keys C-u
ui_focus History
ui_keys Enter
ui_wait_for "Detail: TY-SLOW-1" 5
ui_type TY-QUEUED-2
ui_wait_gone "Detail:" 5
ui_wait_for "> Order" 5
t_eq "the typed text is in the order field" "TY-QUEUED-2" "$(ui_field "Order number")"
t_eq "nothing more was sent" 1 "$(sim_count TY-SLOW-1)"
t_ok

t_begin "typing 4200q in Profiles fills the order field and does not quit"
ui_keys C-u
ui_focus Profiles
ui_type 4200q
ui_wait_for "> Order" 5
ui_poll ui_field_is "Order number" 4200q
t_eq "the typed text is in the order field" "4200q" "$(ui_field "Order number")"
if [ -s "$UI_STATE/rc" ]; then
	t_fail "wxrev quit on a typed q"
fi
t_ok

t_begin "a paste in Profiles goes to the order field"
ui_keys C-u
ui_focus Profiles
ui_paste "  TY-QUEUED-2 "
ui_wait_for "> Order" 5
t_eq "the pasted number, trimmed" "TY-QUEUED-2" "$(ui_field "Order number")"
t_ok

t_begin "Enter and y typed together do not send; y counts once the button shows it"
ui_focus Order
ui_keys C-u
ui_type TY-QUEUED-2
ui_wait_for "Enter to review" 5
ui_keys Enter y
ui_wait_for "Reverse this order?" 5
sleep 1
t_eq "requests after Enter+y" 0 "$(sim_count TY-QUEUED-2)"
t_contains "the confirmation is still open" "$(ui_screen)" "Reverse this order?"
t_contains "the button shows y once it counts" "$(ui_screen)" "y: reverse"
ui_keys y
ui_wait_for "Result: TY-QUEUED-2" 10
t_eq "requests after a y typed on the open question" 1 "$(sim_count TY-QUEUED-2)"
ui_keys Escape
t_ok

t_begin "? opens the help from the order field"
ui_focus Order
ui_keys C-u
ui_type "?"
ui_wait_for "Keys (Esc closes" 5
ui_keys Escape
ui_wait_gone "Keys (Esc closes" 5
t_eq "the order field stays empty" "" "$(ui_field "Order number")"
t_ok

t_begin "the help lists no order character as a command"
ui_keys F1
ui_wait_for "Keys (Esc closes" 5
# Two screens, each starting with a form feed: the key column is found
# anew in each (what is above the box is not the help).
help=$(printf '\f\n'; ui_screen; for _ in 1 2 3 4 5 6; do ui_keys NPage; done; sleep 0.3; printf '\f\n'; ui_screen)
t_contains "Ctrl-Q quits" "$help" "Ctrl-Q"
t_contains "Ctrl-R re-runs" "$help" "Ctrl-R"
# The key column of the help box: single order characters other than the
# confirmation's y/n would be commands a typed order number could hit.
bad=$(python3 -c 'import sys,unicodedata,re
def cells(s):
    out=[]
    for c in s:
        out.append(c)
        if unicodedata.east_asian_width(c) in "WF": out.append("")
    return out
left=None
bad=[]
for line in sys.stdin.read().split("\n"):
    if line == "\f":
        left=None
        continue
    c=cells(line)
    if "Keys (Esc closes" in line:
        # Key names start in the column of the title.
        left=next(k for k in range(len(c)) if "".join(c[k:k+16])=="Keys (Esc closes")
        continue
    if left is None or len(c)<=left: continue
    keys="".join(c[left:left+22]).split()
    bad+=[k for k in keys if len(k)==1 and re.match(r"[0-9A-Za-z_*|-]",k) and k not in "yYnN"]
print(" ".join(bad))' <<<"$help")
t_eq "single order-character keys in the help (only y/n answer questions)" "" "$bad"
ui_keys Escape
t_ok

t_begin "Ctrl-Q quits"
ui_keys C-q
ui_wait_exit 10
t_eq "exit status" 0 "$UI_RC"
t_ok
ui_stop
t_done
