#!/usr/bin/env bash
# The desk's everyday flow in the real terminal UI against the simulator:
# choose a sub-merchant by filter, reverse, read the result and the history
# row, cancel safely, open the detail view, filter the history, get help.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000110","out_trade_no":"4200001234202611260","state":"PAID"},
 {"sub_mchid":"1900000110","out_trade_no":"UI-CANCEL-1","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"UI-COFFEE-7","state":"NOTPAY"}
]'
if ! ui_setup "$ORDERS"; then
	echo "FAIL: setup: the simulator did not start"
	echo "0 passed, 1 failed"
	exit 1
fi

t_begin "a sub-merchant is chosen by typing part of its Chinese name"
ui_start_ok
ui_choose_sub 烤鸭
ui_wait_for "Sub-merchant  北京烤鸭店 (1900000110)" 5
t_contains "status bar names the sub-merchant" "$(ui_screen | tail -n 1)" "北京烤鸭店 (1900000110)"
t_ok

t_begin "an order number under 6 characters shows the rule and never reaches the confirmation"
ui_keys C-u
ui_type A1234
ui_wait_for "requires 6 to 32" 5
ui_keys Enter
sleep 0.5
t_contains "the rule stays on screen" "$(ui_screen)" "WeChat Pay requires 6 to 32"
if ui_screen | grep -qF "Reverse this order?"; then
	t_fail "the confirmation opened for a 5-character order number"
fi
t_eq "the simulator received nothing" 0 "$(jq -c 'select(.target | contains("/A1234/"))' "$SIM_LOG" | wc -l | tr -d ' ')"
t_ok

t_begin "cancelling the confirmation sends nothing"
ui_keys C-u
ui_type UI-CANCEL-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
screen=$(ui_screen)
t_contains "confirmation names the partner" "$screen" "Test Provider (1230000109)"
t_contains "confirmation names the sub-merchant" "$screen" "北京烤鸭店 (1900000110)"
t_contains "confirmation warns about the refund" "$screen" "A paid order will be refunded to the payer"
t_contains "confirmation names the endpoint host" "$screen" "127.0.0.1"
t_contains "confirmation says a retry has no backup host" "$screen" "Backup        none: retries go only to 127.0.0.1"
t_contains "focus starts on Cancel" "$screen" "[ Cancel ]"
ui_keys Enter # the focused button is Cancel
ui_wait_gone "Reverse this order?" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_keys n
ui_wait_for "Cancelled: nothing was sent for UI-CANCEL-1" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_keys Escape
ui_wait_gone "Reverse this order?" 5
sleep 0.3
t_eq "requests the simulator received" 0 "$(sim_requests)"
t_eq "simulator still holds the order as paid" PAID "$(sim_state UI-CANCEL-1)"
t_ok

t_begin "a paid order is reversed; the result and the new history row show"
ui_keys C-u
ui_type 4200001234202611260
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
t_contains "digits are grouped for reading" "$(ui_screen)" "4200 0012 3420 2611 260"
t_contains "nothing known yet" "$(ui_screen)" "nothing yet for this order"
ui_yes
ui_wait_for "Result: 4200001234202611260" 10
screen=$(ui_screen)
t_contains "outcome in words" "$screen" "REVERSED: WeChat Pay reversed the order"
t_contains "names the sub-merchant" "$screen" "> 北京烤鸭店 (1900000110)"
t_contains "Request-ID shown" "$screen" "Request-ID"
t_eq "simulator reversed the order" REVERSED "$(sim_state 4200001234202611260)"
t_eq "requests the simulator received" 1 "$(sim_count 4200001234202611260)"
ui_keys Escape
ui_wait_gone "Result: 4200001234202611260" 5
row=$(ui_screen | grep -F 4200001234202611260 | grep -F reversed | head -n 1)
t_contains "history row outcome" "$row" "reversed"
t_contains "history row sub-merchant" "$row" "北京烤鸭店"
t_contains "history row status" "$row" "200"
t_contains "history pane counts it" "$(ui_screen)" "History 1/1"
t_eq "the send emptied the order field" "" "$(ui_line_with "Order number" | sed 's/.*Order number *//; s/ *│.*//')"
t_ok

t_begin "the confirmation shows what the history already holds"
ui_keys Up # the number just sent
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
t_contains "earlier reversal, how long ago, by its operator, when" "$(ui_screen)" "ago by tester, $(date -u +%Y-%m-%d)"
t_contains "earlier outcome" "$(ui_screen)" "History       reversed "
ui_keys n
ui_wait_gone "Reverse this order?" 5
t_ok

t_begin "a note is kept with the reversal and found by the history filter"
ui_choose_sub 1900000109
ui_wait_for "Sub-merchant  Coffee Shop (1900000109)" 5
ui_keys C-u
ui_type UI-COFFEE-7
ui_keys Down
ui_type "TICKET-4711 wrong till"
ui_keys Enter
ui_wait_for "Reverse this order?" 5
t_contains "note in the confirmation" "$(ui_screen)" "TICKET-4711 wrong till"
ui_yes
ui_wait_for "Result: UI-COFFEE-7" 10
ui_keys Escape
ui_wait_for "History 1/2" 5
ui_focus History
ui_keys /
ui_type TICKET-4711
ui_wait_for "History 1" 5
screen=$(ui_screen)
t_contains "filtered row" "$screen" "UI-COFFEE-7"
if grep -q 4200001234202611260 <<<"$screen"; then
	t_fail "the filter still shows a row without the note"
fi
ui_keys Escape
ui_wait_for "History 1/2" 5
ui_keys /
ui_type 北京
ui_wait_for "History 1" 5
t_contains "filter by sub-merchant name" "$(ui_screen)" "4200001234202611260"
ui_keys C-u
ui_type rejected
ui_wait_for "nothing matches the filter" 5
ui_keys Escape
ui_wait_for "History 1/2" 5
t_ok

t_begin "the detail view shows the exchange with the signature redacted"
ui_keys End # the oldest row: the reversal of 4200001234202611260
ui_keys Enter
ui_wait_for "Detail: 4200001234202611260" 5
screen=$(ui_screen)
# Long lines wrap at the window's edge (100 columns here).
t_contains "request line" "$screen" "> POST $MAIN_URL/v3/pay/partner/transactions/out-trade-no/42000012342"
t_contains "signature redacted" "$screen" '"[redacted]"'
t_contains "pretty-printed request body" "$screen" '    "sub_mchid": "1900000110"'
t_contains "response status" "$screen" "< HTTP 200"
t_contains "Request-ID" "$screen" "Request-ID: "
if grep -qE 'signature="[A-Za-z0-9+/=]{20,}' <<<"$screen"; then
	t_fail "a signature value is on the screen"
fi
ui_keys End
ui_wait_for "Signature: verified" 5
t_contains "pretty-printed response body" "$(ui_screen)" '"out_trade_no": "4200001234202611260"'
ui_keys Escape
ui_wait_gone "Detail:" 5
t_ok

t_begin "? shows the key table the dispatcher uses"
ui_keys ?
ui_wait_for "Keys (Esc closes" 5
screen=$(ui_screen)
t_contains "help lists Tab" "$screen" "focus the next pane"
t_contains "help lists the filter key" "$screen" "filter as you type"
t_contains "help lists the only key that sends" "$(ui_keys PPage; ui_keys NPage; sleep 0.3; ui_screen)" "send (the only key that does)"
ui_keys Escape
ui_wait_gone "Keys (Esc closes" 5
ui_keys F1
ui_wait_for "Keys (Esc closes" 5
ui_keys Escape
t_ok

t_begin "a mouse click moves the focus"
ui_wait_gone "Keys (Esc closes" 5
ui_type $'\033[<0;5;4M'
ui_type $'\033[<0;5;4m'
ui_wait_for "> Profiles" 5
ui_type $'\033[<0;60;4M'
ui_type $'\033[<0;60;4m'
ui_wait_for "> Order" 5
t_ok

t_begin "the chosen sub-merchant is remembered across runs"
ui_keys F10
ui_wait_exit 10
t_eq "exit status" 0 "$UI_RC"
ui_start_ok
ui_wait_for "Sub-merchant  Coffee Shop (1900000109)" 5
t_contains "starts in the order form" "$(ui_screen)" "> Order"
t_ok

t_begin "Ctrl-Y in the history copies the order number with OSC 52"
ui_focus History
ui_keys Home C-y
ui_wait_for "Copied the order number to the clipboard: UI-COFFEE-7" 5
t_ok
ui_stop
t_done
