#!/usr/bin/env bash
# "No such order for this sub-merchant": F6 looks the number up under the
# partner's other sub-merchants (most recently chosen first, 20 at most a
# round, F6 again for more, n/Esc stops), F7 switches to the one it was
# found under. The simulator knows 31 sub-merchants of the partner; its
# request log, not wxrev, says what was asked: order queries (GET) only,
# never a reversal, and no more than a round's worth. The pace (at most 5
# queries in any second) is checked in tests/unit/test_pace.c, where a
# loaded machine cannot blur it.
. "$(dirname "$0")/lib_ui.sh"

export UI_QUERY=true
SHOPS=28
sub_of() { printf '19000002%02d' "$1"; }

# The world: Coffee Shop, the duck restaurant, a sub-merchant the
# simulator does not bind (its queries answer NO_AUTH) and 28 shops.
lookup_world() {
	local i subs=() orders
	sim_keys || return 1
	for i in $(seq 1 "$SHOPS"); do subs+=("$(sub_of "$i")"); done
	orders=$(jq -n --arg far "$(sub_of 25)" --arg mru "$(sub_of 27)" '[
		{sub_mchid: $far, out_trade_no: "LKP-FAR-1", state: "PAID", amount: 4321},
		{sub_mchid: $mru, out_trade_no: "LKP-MRU-1", state: "PAID", amount: 100}]')
	sim_write_config "$SIM_DIR/main.json" "$orders"
	jq --args '.merchants[0].sub_mchids += $ARGS.positional' "${subs[@]}" \
		<"$SIM_DIR/main.json" >"$SIM_DIR/main.json.new" &&
		mv "$SIM_DIR/main.json.new" "$SIM_DIR/main.json"
	sim_start main || return 1
	MAIN_URL=$SIM_URL MAIN_LOG=$SIM_LOG MAIN_PID=$SIM_PID
	PROFILE="$T_TMP/profile.yaml"
	ui_write_profile "$PROFILE" "$SIM_URL"
	for i in $(seq 1 "$SHOPS"); do
		printf '  - name: Shop %02d\n    sub_mchid: "%s"\n' "$i" "$(sub_of "$i")"
	done >>"$PROFILE"
	export WXREV_PROFILES="$PROFILE"
}

lookup_world || t_setup_fail "the simulator did not start"

# lookups ORDER [SUB]: queries of ORDER in the simulator's log (under SUB).
lookups() {
	jq -c --arg p "/v3/pay/partner/transactions/out-trade-no/$1?" --arg s "${2:-}" \
		'select(.method == "GET" and (.target | startswith($p)) and
			($s == "" or (.target | endswith("sub_mchid=" + $s))))' \
		"$MAIN_LOG" | wc -l | tr -d ' '
}
# posts: requests other than GET the simulator received, any order.
posts() { jq -c 'select(.method != "GET")' "$MAIN_LOG" | wc -l | tr -d ' '; }

ui_start_ok

t_begin "under 30 others: F6 asks 20, no more, then F6 again finds it and F7 switches"
ui_review Coffee LKP-FAR-1
ui_wait_for "No such order for this sub-merchant" $((5 * T_SLOW))
ui_wait_for "F6 looks it up under the 30 others" 5
t_eq "before F6 only the confirmation's own query" 1 "$(lookups LKP-FAR-1)"
ui_keys F6
ui_wait_for "Looking it up under the other sub-merchants" 5
ui_wait_for "Not under the 20 sub-merchants asked (of 30 others)" $((20 * T_SLOW))
t_contains "the unbound one could not be asked" "$(ui_screen)" "1 could not be asked"
sleep 1.5
t_eq "the round stopped at 20 (plus the confirmation's own)" 21 "$(lookups LKP-FAR-1)"
ui_keys F6
ui_wait_for "Found under Shop 25 ($(sub_of 25)), SUCCESS" $((20 * T_SLOW))
t_eq "the second round stopped at the hit" 28 "$(lookups LKP-FAR-1)"
t_eq "asked under the shop once" 1 "$(lookups LKP-FAR-1 "$(sub_of 25)")"
ui_keys F7
ui_wait_for "Shop 25 ($(sub_of 25))" 5
ui_wait_for "Paid ¥43.21" $((5 * T_SLOW))
t_contains "the confirmation is for the shop now" "$(ui_line_with "Sub-merchant")" "Shop 25 ($(sub_of 25))"
t_eq "the switch asked the shop with its own query" 2 "$(lookups LKP-FAR-1 "$(sub_of 25)")"
ui_keys Escape
ui_wait_for "Cancelled: nothing was sent for LKP-FAR-1" 5
t_contains "the shop is the chosen sub-merchant" "$(ui_line_with "Sub-merchant")" "Shop 25 ($(sub_of 25))"
t_eq "nothing but order queries reached the simulator" 0 "$(posts)"
t_eq "the history keeps every query that left, the hit's under the shop" \
	"$(lookups LKP-FAR-1) 2" \
	"$(hist_sql "SELECT count(*), sum(sub_mchid = '$(sub_of 25)') FROM queries WHERE out_trade_no = 'LKP-FAR-1'" | tr '|' ' ')"
t_ok

t_begin "most recently chosen first: found with one query"
ui_choose_sub "Shop 27"
ui_wait_for "Sub-merchant: Shop 27" 5
ui_review Coffee LKP-MRU-1
ui_wait_for "No such order for this sub-merchant" $((5 * T_SLOW))
ui_keys F6
ui_wait_for "Found under Shop 27 ($(sub_of 27))" $((10 * T_SLOW))
t_eq "one lookup query, under the shop chosen last" 2 "$(lookups LKP-MRU-1)"
t_eq "that one under the shop" 1 "$(lookups LKP-MRU-1 "$(sub_of 27)")"
ui_keys Escape
ui_wait_for "Cancelled: nothing was sent for LKP-MRU-1" 5
t_eq "no reversal" 0 "$(posts)"
t_ok

t_begin "Esc stops the lookup, the question stays; Esc again cancels"
ui_review Coffee LKP-NOWHERE-1
ui_wait_for "No such order for this sub-merchant" $((5 * T_SLOW))
ui_keys F6
ui_wait_for "Looking it up under the other sub-merchants" 5
ui_keys Escape
ui_wait_for "Stopped after" 5
t_contains "the confirmation is still open" "$(ui_screen)" "Reverse this order?"
sleep 0.5
asked=$(lookups LKP-NOWHERE-1)
sleep 1.5
t_eq "nothing asked after the stop" "$asked" "$(lookups LKP-NOWHERE-1)"
t_check "fewer than a round (asked $asked)" [ "$asked" -lt 21 ]
ui_keys Escape
ui_wait_for "Cancelled: nothing was sent for LKP-NOWHERE-1" 5
t_eq "no reversal" 0 "$(posts)"
t_ok

t_begin "WeChat Pay's 429 stops the lookup; F6 goes on a second later at the earliest"
ui_review Coffee LKP-SLOW-1
ui_wait_for "No such order for this sub-merchant" $((5 * T_SLOW))
# The order exists under the last shop only; its number answers 429 once.
sim_curl -X POST -H 'Content-Type: application/json' --data \
	"{\"out_trade_no\":\"LKP-SLOW-1\",\"sub_mchid\":\"$(sub_of 28)\",\"query_fault\":{\"type\":\"rate_limit\",\"count\":1}}" \
	"$MAIN_URL/_sim/faults" >/dev/null
ui_keys F6
ui_wait_for "WeChat Pay asked to slow down" $((10 * T_SLOW))
t_eq "stopped at the 429" 2 "$(lookups LKP-SLOW-1)"
ui_keys F6
ui_wait_for "asked (of" $((20 * T_SLOW))
asked=$(jq -r --arg p "/v3/pay/partner/transactions/out-trade-no/LKP-SLOW-1?" \
	'select(.method == "GET" and (.target | startswith($p))) | "\(.time_ms) \(.target)"' "$MAIN_LOG")
t_check "the query after the 429 waited a second: $(echo "$asked" | cut -c1-13 | tr '\n' ' ')" \
	[ "$(echo "$asked" | sed -n 3p | cut -d' ' -f1)" -ge $(($(echo "$asked" | sed -n 2p | cut -d' ' -f1) + 1000)) ]
t_eq "and asked the same sub-merchant again" "$(echo "$asked" | sed -n 2p | cut -d' ' -f2)" "$(echo "$asked" | sed -n 3p | cut -d' ' -f2)"
t_eq "the second round asked 20 more" 22 "$(lookups LKP-SLOW-1)"
ui_keys Escape
ui_wait_for "Cancelled: nothing was sent for LKP-SLOW-1" 5
t_eq "no reversal" 0 "$(posts)"
t_ok

t_begin "F6 is not a lookup when the order exists here"
sim_amount_order LKP-HERE-1 PAID 500
ui_review Coffee LKP-HERE-1
ui_wait_for "Paid ¥5.00" $((5 * T_SLOW))
ui_keys F6
ui_wait_for "F6 looks elsewhere only when the order query says: no such order" 5
t_eq "no lookup query" 1 "$(lookups LKP-HERE-1)"
ui_keys Escape
t_ok

t_begin "a lookup left running when wxrev is told to stop: it exits cleanly"
ui_review Coffee LKP-NOWHERE-2
ui_wait_for "No such order for this sub-merchant" $((5 * T_SLOW))
ui_keys F6
ui_wait_for "Looking it up under the other sub-merchants" 5
kill -TERM "$(ui_pid)"
ui_wait_exit $((10 * T_SLOW))
t_eq "exit status" 0 "$UI_RC"
t_eq "no reversal" 0 "$(posts)"
t_ok

ui_stop
t_done
