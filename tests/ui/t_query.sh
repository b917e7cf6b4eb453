#!/usr/bin/env bash
# The confirmation reads the order first (the order query, in the
# background): the order in words, Cancel-first with an override when there
# is nothing to reverse, a failed query never blocking y, the result card
# saying what happened to the money, and F5 in the history and the detail
# view. Requests are counted in the simulator's log.
. "$(dirname "$0")/lib_ui.sh"

export UI_QUERY=true
ui_setup '[]' || t_setup_fail "the simulator did not start"

# review ORDER: types the order and opens the confirmation.
review() {
	ui_focus Order
	ui_keys C-u
	ui_type "$1"
	ui_wait_for "Enter to review" 5 || return 1
	ui_keys Enter
	ui_wait_for "Reverse this order?" 5
}

t_begin "a start settles an old unknown by the order query"
sim_amount_order UIQ-OPEN-1 PAID 900
sim_fault UIQ-OPEN-1 '{"type":"no_content"}'
timeout 60 "$WXREV_BIN" reverse --sub 1900000109 --yes --no-settle UIQ-OPEN-1 >/dev/null 2>&1 </dev/null
t_eq "the command line left it unknown" unknown "$(hist_sql "SELECT outcome FROM reversals WHERE out_trade_no = 'UIQ-OPEN-1'")"
ui_start_ok
ui_wait_for "UIQ-OPEN-1: settled by the order query" $((10 * T_SLOW))
t_eq "history: reversed" reversed "$(hist_sql "SELECT outcome FROM reversals WHERE out_trade_no = 'UIQ-OPEN-1'")"
t_eq "history: settled by" query "$(hist_sql "SELECT settled_by FROM reversals WHERE out_trade_no = 'UIQ-OPEN-1'")"
t_eq "one query reached the simulator" 1 "$(sim_query_count UIQ-OPEN-1)"
t_ok

t_begin "a paid order: the confirmation says how much, y reverses, the card says refunded"
sim_amount_order UIQ-PAID-1 PAID 12800
sim_query_fault UIQ-PAID-1 '{"type":"delay","ms":1500}'
review UIQ-PAID-1
t_contains "opens at once, reading in the background" "$(ui_screen)" "reading the order from WeChat Pay"
ui_wait_for "Paid ¥128.00" $((5 * T_SLOW))
t_contains "what reversing does" "$(ui_screen)" "refunds ¥128.00 to the payer"
ui_yes
ui_wait_for "Result: UIQ-PAID-1" $((10 * T_SLOW))
t_contains "the card says what happened to the money" "$(ui_screen)" "refunded ¥128.00 to the payer"
t_eq "queries the simulator received" 1 "$(sim_query_count UIQ-PAID-1)"
t_eq "reversals the simulator received" 1 "$(sim_count UIQ-PAID-1)"
t_eq "the history keeps the state before" SUCCESS "$(hist_sql "SELECT trade_state_before FROM reversals WHERE out_trade_no = 'UIQ-PAID-1'")"
ui_keys Escape
t_ok

t_begin "already reversed: starts on Cancel, y does not send, F8 does"
sim_amount_order UIQ-DONE-1 REVERSED 500
review UIQ-DONE-1
ui_wait_for "Already reversed" $((5 * T_SLOW))
ui_wait_for "F8 sends anyway" 5
hint=$(ui_screen | tail -n 2 | head -n 1)
t_contains "the key hint offers F8" "$hint" "F8 send anyway"
t_lacks "and not y" "$hint" "y send"
ui_keys y
ui_wait_for "nothing to reverse" 5
t_contains "y left the question open" "$(ui_screen)" "Reverse this order?"
t_eq "y sent nothing" 0 "$(sim_count UIQ-DONE-1)"
ui_keys F8
ui_wait_for "Result: UIQ-DONE-1" $((10 * T_SLOW))
t_eq "the override sent one reversal" 1 "$(sim_count UIQ-DONE-1)"
ui_keys Escape
t_ok

t_begin "no such order: said plainly, and Esc sends nothing"
review UIQ-NONE-1
ui_wait_for "No such order" $((5 * T_SLOW))
ui_keys Escape
ui_wait_for "Cancelled: nothing was sent for UIQ-NONE-1" 5
t_eq "reversals the simulator received" 0 "$(sim_count UIQ-NONE-1)"
t_ok

t_begin "every other reading in words: not paid, refunded, still paying, older than 7 days (its advice whole); Esc sends nothing"
# ORDER|the simulator's order (after out_trade_no and sub_mchid)|words
# (the start of them: the confirmation wraps a long reading)
while IFS='|' read -r order spec words; do
	sim_order "{\"out_trade_no\":\"$order\",\"sub_mchid\":\"$SUB_COFFEE\",$spec}"
	review "$order"
	ui_wait_for "$words" $((5 * T_SLOW))
	ui_keys Escape
	ui_wait_for "Cancelled: nothing was sent for $order" 5
	t_eq "$order: reversals the simulator received" 0 "$(sim_count "$order")"
done <<'ROWS'
UIQ-NOTPAY-1|"state":"NOTPAY","amount":3550|Not paid — reversing closes it
UIQ-REFUND-1|"state":"REFUND","amount":3550|Refunded (REFUND) — reversal will be refused
UIQ-PAYING-1|"state":"USERPAYING","amount":3550|Payer still paying (USERPAYING) — wait
UIQ-OLD-1|"state":"PAID","amount":3550,"age_s":691200|(REVERSE_EXPIRE), a refund is the way
ROWS
t_ok

t_begin "a not-paid order: y closes it, and the card says so"
sim_amount_order UIQ-CLOSE-1 NOTPAY 3550
review UIQ-CLOSE-1
ui_wait_for "Not paid" $((5 * T_SLOW))
ui_yes
ui_wait_for "Result: UIQ-CLOSE-1" $((10 * T_SLOW))
t_contains "the card says what happened" "$(ui_screen)" "closed (it was not paid)"
t_eq "reversals the simulator received" 1 "$(sim_count UIQ-CLOSE-1)"
t_eq "the simulator closed it" CLOSED "$(sim_state UIQ-CLOSE-1)"
ui_keys Escape
t_ok

t_begin "a query that fails never blocks the reversal"
sim_amount_order UIQ-FAIL-1 PAID 300
sim_query_fault UIQ-FAIL-1 '{"type":"fail_500","count":5}'
review UIQ-FAIL-1
ui_wait_for "Could not read the order" $((10 * T_SLOW))
ui_yes
ui_wait_for "Result: UIQ-FAIL-1" $((10 * T_SLOW))
t_eq "the reversal went out" 1 "$(sim_count UIQ-FAIL-1)"
ui_keys Escape
t_ok

t_begin "y while the query is still reading: the query is dropped and the reversal sent"
sim_amount_order UIQ-SLOW-1 PAID 700
sim_query_fault UIQ-SLOW-1 '{"type":"delay","ms":4000}'
review UIQ-SLOW-1
ui_yes
ui_wait_for "Result: UIQ-SLOW-1" $((10 * T_SLOW))
t_eq "the reversal went out" 1 "$(sim_count UIQ-SLOW-1)"
ui_keys Escape
t_ok

t_begin "F5 in the history reads the selected order now"
ui_focus History
ui_keys Home
ui_keys F5
ui_wait_for "UIQ-SLOW-1: Already reversed" $((10 * T_SLOW))
t_ok

t_begin "every query the UI asked is kept, and the detail view lists them"
# The confirmation's (dropped when y came first: it left all the same) and F5's.
for _ in $(seq 1 $((50 * T_SLOW))); do
	[ "$(sim_query_count UIQ-SLOW-1)" -ge 2 ] && break
	sleep 0.1
done
t_eq "queries the simulator received" 2 "$(sim_query_count UIQ-SLOW-1)"
t_eq "queries kept" 2 "$(hist_sql "SELECT count(*) FROM queries WHERE out_trade_no = 'UIQ-SLOW-1'")"
t_eq "what each read, newest first" "REVOKED NO_ANSWER" \
	"$(hist_sql "SELECT coalesce(trade_state, code) FROM queries WHERE out_trade_no = 'UIQ-SLOW-1' ORDER BY id DESC" | tr '\n' ' ' | sed 's/ $//')"
ui_keys Enter
ui_wait_for "Detail: UIQ-SLOW-1" $((5 * T_SLOW))
ui_keys End
ui_wait_for "Order queries of UIQ-SLOW-1" $((5 * T_SLOW))
t_contains "the F5 query, with its Request-ID" "$(ui_screen)" "REVOKED"
ui_keys Escape
t_ok

t_begin "F5 in the detail view reads the order now too"
ui_keys Enter
ui_wait_for "Detail: UIQ-SLOW-1" $((5 * T_SLOW))
ui_keys F5
ui_wait_for "UIQ-SLOW-1: Already reversed" $((10 * T_SLOW))
t_eq "queries the simulator received" 3 "$(sim_query_count UIQ-SLOW-1)"
ui_keys Escape
t_ok

ui_stop
t_done
