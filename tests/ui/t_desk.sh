#!/usr/bin/env bash
# Nothing typed is lost: a result never takes the keyboard from a field or
# a dialog, a key pressed in answer to a message never lands in a field, a
# send empties the form and Up recalls the numbers sent, and the
# confirmation shows the order's history under every sub-merchant.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000109","out_trade_no":"TD-SLOW-1","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"TD-SLOW-2","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"TD-SLOW-3","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"TD-A-1","state":"PAID"}
]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"


# send ORDER [NOTE]: from the order form, through the confirmation.
send() {
	ui_focus Order
	ui_keys C-u
	ui_type "$1"
	if [ -n "${2:-}" ]; then
		ui_keys Down C-u
		ui_type "$2"
		ui_keys Up
	fi
	ui_wait_for "Enter to review" 5 || return 1
	ui_keys Enter
	ui_wait_for "Reverse this order?" 5 || return 1
	ui_yes
}

t_begin "a result that arrives while the operator types waits for F2"
sim_fault TD-SLOW-1 '{"type":"delay","ms":2500}'
ui_start_ok
ui_choose_sub Coffee
ui_wait_for "> Order" 5
send TD-SLOW-1
ui_wait_for "sending TD-SLOW-1" 5
ui_type ABC
ui_wait_for "TD-SLOW-1: reversed" 10
sleep 1.5
if ui_screen | grep -q "Result: TD-SLOW-1"; then
	t_fail "the result card opened while the order field held typing"
fi
ui_keys C-u
ui_type XYZ
ui_poll ui_field_is "Order number" XYZ
t_eq "keys typed after the result are in the field" "XYZ" "$(ui_field "Order number")"
ui_keys F2
ui_wait_for "Result: TD-SLOW-1" 5
ui_keys Escape
ui_wait_gone "Result: TD-SLOW-1" 5
t_eq "the field kept its text" "XYZ" "$(ui_field "Order number")"
t_ok

t_begin "a result that arrives while the quit question is open stays behind it"
ui_keys C-u
sim_fault TD-SLOW-2 '{"type":"delay","ms":2000}'
send TD-SLOW-2
ui_wait_for "sending TD-SLOW-2" 5
ui_keys F10
ui_wait_for "Quit while in flight?" 3
ui_wait_for "TD-SLOW-2: reversed" 10
sleep 1.5
t_contains "the question keeps the screen" "$(ui_screen)" "Quit while in flight?"
if ui_screen | grep -q "Result: TD-SLOW-2"; then
	t_fail "the result card opened over the quit question"
fi
ui_keys n
ui_wait_gone "Quit while in flight?" 3
if [ -s "$UI_STATE/rc" ]; then
	t_fail "wxrev quit"
fi
# Now nothing is typed and no dialog is open: the card comes.
ui_wait_for "Result: TD-SLOW-2" 5
ui_keys Escape
t_ok

t_begin "a y pressed in answer to 'already in flight' does not land in the field"
sim_fault TD-SLOW-3 '{"type":"delay","ms":3000}'
send TD-SLOW-3
ui_wait_for "sending TD-SLOW-3" 5
ui_type TD-SLOW-3
ui_keys Enter
ui_wait_for "already in flight" 3
ui_keys y
sleep 0.3
t_eq "the order field" "TD-SLOW-3" "$(ui_field "Order number")"
ui_keys C-u
ui_wait_for "TD-SLOW-3: reversed" 10
t_eq "requests the simulator received" 1 "$(sim_count TD-SLOW-3)"
ui_wait_for "Result: TD-SLOW-3" 5
ui_keys Escape
t_ok

t_begin "a send empties the order and the note; Up recalls the numbers sent"
send TD-A-1 "工单 T-1234"
ui_wait_for "Result: TD-A-1" 10
ui_keys Escape
ui_wait_gone "Result: TD-A-1" 5
t_eq "order field after the send" "" "$(ui_field "Order number")"
t_eq "note field after the send" "" "$(ui_field "Note")"
ui_focus Order
ui_keys Up
ui_poll ui_field_is "Order number" "TD-A-1"
t_eq "Up: the last number sent" "TD-A-1" "$(ui_field "Order number")"
ui_keys Up
ui_poll ui_field_is "Order number" "TD-SLOW-3"
t_eq "Up again: the one before" "TD-SLOW-3" "$(ui_field "Order number")"
ui_keys Down
ui_poll ui_field_is "Order number" "TD-A-1"
t_eq "Down: back to the newer" "TD-A-1" "$(ui_field "Order number")"
ui_keys Down
ui_poll ui_field_is "Order number" ""
t_eq "Down past the newest: empty" "" "$(ui_field "Order number")"
t_ok

t_begin "the confirmation shows the order under every sub-merchant"
ui_choose_sub 烤鸭
ui_wait_for "> Order" 5
ui_keys C-u
ui_type TD-A-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
t_contains "reversed under the other sub-merchant" "$(ui_screen)" "reversed under Coffee Shop"
t_contains "how long ago and by whom" "$(ui_screen)" "ago by tester"
ui_keys Escape
ui_wait_gone "Reverse this order?" 5
t_eq "nothing was sent for the duck shop" 1 "$(sim_count TD-A-1)"
t_ok
ui_keys F10
ui_stop
t_done
