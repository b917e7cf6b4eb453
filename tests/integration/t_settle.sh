#!/usr/bin/env bash
# The order query and settling: `wxrev query`, `reverse` settling its own
# unknowns, `wxrev settle` for unknowns left behind (a killed process
# included). Requests are counted in the simulator's log, not in wxrev's.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || {
	t_begin setup
	t_fail "simulator did not start"
	t_done
}

qcount() { sim_query_count "$@"; }
query_fault() { sim_query_fault "$@"; }
amount_order() { sim_amount_order "$@"; }
# wait_row ORDER OUTCOME: until the order's newest row has that outcome.
wait_row() {
	for _ in $(seq 1 $((100 * T_SLOW))); do
		[ "$(hist_sql "SELECT outcome FROM reversals WHERE out_trade_no = '$1' ORDER BY id DESC LIMIT 1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

t_begin "query --json: a paid order, every documented field, exit 0"
amount_order Q-PAID PAID 12800
wx query --sub "Coffee Shop" --json Q-PAID
t_eq "exit status" 0 "$WX_RC"
t_eq "fields in order" "out_trade_no sp_mchid sub_mchid trade_state trade_state_desc amount_total payer_total currency success_time transaction_id trade_type http_status code message request_id verified latency_ms" "$(jq -r 'keys_unsorted | join(" ")' <<<"$WX_OUT")"
t_eq "state and amounts" "SUCCESS 12800 12800 CNY true 200" "$(jq -r '"\(.trade_state) \(.amount_total) \(.payer_total) \(.currency) \(.verified) \(.http_status)"' <<<"$WX_OUT")"
t_eq "desc as sent" "支付成功" "$(jfield "$WX_OUT" trade_state_desc)"
t_check "success_time RFC 3339" grep -qE '^20[0-9-]{8}T[0-9:]{8}\+08:00$' <<<"$(jfield "$WX_OUT" success_time)"
t_eq "one query reached the simulator" 1 "$(qcount Q-PAID)"
t_eq "no reversal was sent" 0 "$(sim_count Q-PAID)"
t_eq "the request id is the simulator's" "$(jq -r 'select(.method == "GET") | .request_id' "$MAIN_LOG" | tail -n 1)" "$(jfield "$WX_OUT" request_id)"
t_eq "a query writes no reversal" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'Q-PAID'" 2>/dev/null || echo 0)"
t_eq "order untouched" PAID "$(sim_state Q-PAID)"
t_ok

t_begin "query: human output shows the amount with two decimals and currency"
wx query --sub "Coffee Shop" Q-PAID
t_eq "exit status" 0 "$WX_RC"
t_contains "amount" "$WX_OUT" "¥128.00 (CNY)"
t_contains "words" "$WX_OUT" "Paid"
t_contains "verified" "$WX_OUT" "signature verified"
t_ok

t_begin "query: no such order is exit 1, code ORDER_NOT_EXIST"
wx query --sub "Coffee Shop" --json Q-NOWHERE
t_eq "exit status" 1 "$WX_RC"
t_eq "code" ORDER_NOT_EXIST "$(jfield "$WX_OUT" code)"
t_eq "verified" true "$(jfield "$WX_OUT" verified)"
t_eq "trade_state" ORDER_NOT_EXIST "$(jfield "$WX_OUT" trade_state)"
t_ok

t_begin "query: a bad signature or a 5xx is exit 3 or 1, never a state"
amount_order Q-BAD-1 PAID 500
query_fault Q-BAD-1 '{"type":"bad_signature","count":1}'
wx query --sub "Coffee Shop" --json Q-BAD-1
t_eq "bad signature: exit 3" 3 "$WX_RC"
t_eq "no state from an unverified answer" null "$(jfield "$WX_OUT" trade_state)"
t_eq "code" SIGNATURE_NOT_VERIFIED "$(jfield "$WX_OUT" code)"
query_fault Q-BAD-1 '{"type":"fail_500","count":1}'
wx query --sub "Coffee Shop" --json Q-BAD-1
t_eq "5xx: exit 1" 1 "$WX_RC"
t_eq "code" SYSTEM_ERROR "$(jfield "$WX_OUT" code)"
query_fault Q-BAD-1 '{"type":"drop","count":1}'
wx query --sub "Coffee Shop" --json Q-BAD-1
t_eq "no answer: exit 3" 3 "$WX_RC"
t_eq "code" NO_ANSWER "$(jfield "$WX_OUT" code)"
wx query --sub "Coffee Shop" --json Q-BAD-1 Q-PAID
t_eq "two orders, two lines" 2 "$(wc -l <<<"$WX_OUT")"
t_eq "all answered: exit 0" 0 "$WX_RC"
t_ok

t_begin "query: usage and bad order numbers send nothing (exit 2)"
before=$(wc -l <"$MAIN_LOG")
wx query Q-PAID
t_eq "no --sub" 2 "$WX_RC"
wx query --sub "Coffee Shop" 'Q#1'
t_eq "bad order" 2 "$WX_RC"
t_contains "names the character" "$WX_ERR" "'#'"
wx query --sub "Nowhere" Q-PAID
t_eq "unknown sub-merchant" 2 "$WX_RC"
t_eq "nothing reached the simulator" "$before" "$(wc -l <"$MAIN_LOG")"
t_ok

t_begin "reverse: an answer lost after the reversal is settled by query as reversed"
amount_order S-LOST PAID 12800
sim_fault S-LOST '{"type":"lost_answer","ms":200,"count":5}'
wx reverse --sub "Coffee Shop" --yes --json S-LOST
t_eq "exit status 0: reversed" 0 "$WX_RC"
t_eq "outcome" reversed "$(jfield "$WX_OUT" outcome)"
t_eq "settled_by" query "$(jfield "$WX_OUT" settled_by)"
t_eq "trade_state_after" REVOKED "$(jfield "$WX_OUT" trade_state_after)"
t_eq "trade_state_before (no query before)" null "$(jfield "$WX_OUT" trade_state_before)"
t_eq "reversal attempts that reached the simulator" 3 "$(sim_count S-LOST)"
t_eq "then exactly one query" 1 "$(qcount S-LOST)"
id=$(jfield "$WX_OUT" history_id)
t_eq "history: reversed, settled by query" "reversed|query|REVOKED|3" "$(hist_sql "SELECT outcome, settled_by, trade_state_after, attempts FROM reversals WHERE id = $id")"
t_eq "history keeps the query as a request with its Request-ID" "query|200|$(jq -r 'select(.method == "GET") | .request_id' "$MAIN_LOG" | tail -n 1)" "$(hist_sql "SELECT kind, status, request_id FROM attempts WHERE reversal_id = $id ORDER BY n DESC LIMIT 1")"
t_eq "and the three attempts" 3 "$(hist_sql "SELECT count(*) FROM attempts WHERE reversal_id = $id AND kind = 'reverse'")"
t_ok

t_begin "reverse --no-settle leaves the unknown; settle --id settles it later"
amount_order S-LATER PAID 100
sim_fault S-LATER '{"type":"lost_answer","ms":100,"count":5}'
wx reverse --sub "Coffee Shop" --yes --json --no-settle S-LATER
t_eq "exit 3 unknown" 3 "$WX_RC"
t_eq "outcome" unknown "$(jfield "$WX_OUT" outcome)"
t_eq "no query sent" 0 "$(qcount S-LATER)"
id=$(jfield "$WX_OUT" history_id)
wx settle --id "$id" --json
t_eq "settle exit 0" 0 "$WX_RC"
t_eq "settled" "reversed query REVOKED" "$(jq -r '"\(.outcome) \(.settled_by) \(.trade_state_after)"' <<<"$WX_OUT")"
t_eq "one query" 1 "$(qcount S-LATER)"
wx settle --id "$id" --json
t_contains "a settled row is not settled twice" "$WX_ERR" "not unknown"
t_eq "still one query" 1 "$(qcount S-LATER)"
t_ok

t_begin "settle: an untouched order becomes failed, safe to re-run"
amount_order S-UNTOUCHED PAID 100
sim_fault S-UNTOUCHED '{"type":"drop","count":5}'
wx reverse --sub "Coffee Shop" --yes --json S-UNTOUCHED
t_eq "outcome failed" failed "$(jfield "$WX_OUT" outcome)"
t_eq "exit 1" 1 "$WX_RC"
t_eq "settled by query" "query SUCCESS" "$(jq -r '"\(.settled_by) \(.trade_state_after)"' <<<"$WX_OUT")"
t_contains "safe to re-run" "$(jfield "$WX_OUT" message)" "safe to re-run"
t_eq "the order is still paid" PAID "$(sim_state S-UNTOUCHED)"
t_ok

t_begin "settle: an unpaid order closed by a reversal whose answer was lost"
amount_order S-UNPAID NOTPAY 100
sim_fault S-UNPAID '{"type":"lost_answer","ms":100,"count":5}'
wx reverse --sub "Coffee Shop" --yes --json S-UNPAID
t_eq "reversed" "reversed CLOSED" "$(jq -r '"\(.outcome) \(.trade_state_after)"' <<<"$WX_OUT")"
t_ok

t_begin "settle: a query that cannot be trusted leaves it unknown, with what was learned"
amount_order S-OPEN PAID 100
sim_fault S-OPEN '{"type":"lost_answer","ms":100,"count":5}'
query_fault S-OPEN '{"type":"bad_signature","count":1}'
wx reverse --sub "Coffee Shop" --yes --json S-OPEN
t_eq "exit 3" 3 "$WX_RC"
t_eq "unknown" unknown "$(jfield "$WX_OUT" outcome)"
t_eq "not settled" null "$(jfield "$WX_OUT" settled_by)"
t_contains "says the query could not settle it" "$(hist_sql "SELECT code FROM reversals WHERE id = $(jfield "$WX_OUT" history_id)")" "NO_ANSWER"
id=$(jfield "$WX_OUT" history_id)
t_eq "query kept even so" 1 "$(hist_sql "SELECT count(*) FROM attempts WHERE reversal_id = $id AND kind = 'query'")"
wx history --outcome unknown --format jsonl
t_contains "still listed as unknown" "$WX_OUT" "S-OPEN"
# Once WeChat Pay can be read, a settle run closes it.
wx settle --all --json
t_eq "settle --all exit 0" 0 "$WX_RC"
t_contains "settled now" "$WX_OUT" '"out_trade_no":"S-OPEN","sp_mchid":"1230000109","sub_mchid":"1900000109","outcome":"reversed"'
wx history --outcome unknown --format jsonl
t_eq "nothing unknown is left" "" "$WX_OUT"
t_ok

t_begin "settle: a refunded order stays unknown with its state recorded"
amount_order S-REFUND PAID 100
sim_fault S-REFUND '{"type":"lost_answer","ms":100,"count":5}'
wx reverse --sub "Coffee Shop" --yes --json --no-settle S-REFUND
id=$(jfield "$WX_OUT" history_id)
sim_order "{\"out_trade_no\":\"S-REFUND\",\"sub_mchid\":\"$SUB_COFFEE\",\"state\":\"REFUND\"}"
wx settle --id "$id" --json
t_eq "exit 3" 3 "$WX_RC"
t_eq "unknown, REFUND learned" "unknown REFUND" "$(jq -r '"\(.outcome) \(.trade_state_after)"' <<<"$WX_OUT")"
t_eq "recorded" "unknown|REFUND" "$(hist_sql "SELECT outcome, trade_state_after FROM reversals WHERE id = $id")"
t_ok

t_begin "reverse on a terminal shows the query in its confirmation; JSON keeps the state before"
amount_order S-TTY-1 PAID 12800
command -v script >/dev/null || t_fail "script(1) is required"
printf 'n\n' | timeout 30 script -qfec "$WXREV_BIN reverse --sub 'Coffee Shop' S-TTY-1" /dev/null >"$T_TMP/tty.out" 2>&1
t_contains "the state in words, amount with two decimals and currency" "$(cat "$T_TMP/tty.out")" "Paid ¥128.00 (CNY) on "
t_contains "what reversing does" "$(cat "$T_TMP/tty.out")" "reversing refunds ¥128.00 to the payer"
t_eq "answering n sends no reversal" 0 "$(sim_count S-TTY-1)"
t_eq "but the query was made" 1 "$(qcount S-TTY-1)"
printf 'y\n' | timeout 30 script -qfec "$WXREV_BIN reverse --sub 'Coffee Shop' --json S-TTY-1" /dev/null >"$T_TMP/tty.out" 2>&1
line=$(grep -ao '{"out_trade_no.*}' "$T_TMP/tty.out")
t_eq "reversed, with the state before and after" "reversed SUCCESS answer" "$(jq -r '"\(.outcome) \(.trade_state_before) \(.settled_by)"' <<<"$line")"
amount_order S-TTY-GONE PAID 100
query_fault S-TTY-GONE '{"type":"fail_500","count":1}'
printf 'y\n' | timeout 30 script -qfec "$WXREV_BIN reverse --sub 'Coffee Shop' --json S-TTY-GONE" /dev/null >"$T_TMP/tty.out" 2>&1
t_contains "a failed query is said" "$(cat "$T_TMP/tty.out")" "Could not read the order: SYSTEM_ERROR"
t_eq "and does not block y" 1 "$(sim_count S-TTY-GONE)"
t_eq "the order was reversed" REVERSED "$(sim_state S-TTY-GONE)"
t_ok

t_begin "reverse on a terminal: an order with nothing to reverse is not sent by y, only by the words send anyway"
amount_order S-TTY-DONE REVERSED 12800
printf 'y\n' | timeout 30 script -qfec "$WXREV_BIN reverse --sub 'Coffee Shop' S-TTY-DONE" /dev/null >"$T_TMP/tty.out" 2>&1
t_contains "the state is said" "$(cat "$T_TMP/tty.out")" "Already reversed (REVOKED)"
t_contains "y is said not to send" "$(cat "$T_TMP/tty.out")" 'Type "send anyway"'
t_eq "y sends no reversal" 0 "$(sim_count S-TTY-DONE)"
printf 'send anyway\n' | timeout 30 script -qfec "$WXREV_BIN reverse --sub 'Coffee Shop' --json S-TTY-DONE" /dev/null >"$T_TMP/tty.out" 2>&1
t_eq "the words send it, once" 1 "$(sim_count S-TTY-DONE)"
line=$(grep -ao '{"out_trade_no.*}' "$T_TMP/tty.out")
t_eq "with the state before kept" REVOKED "$(jq -r .trade_state_before <<<"$line")"
t_ok

t_begin "kill -9 during a reversal, then a start that settles it"
amount_order S-KILL PAID 12800
sim_fault S-KILL '{"type":"delay","ms":4000,"count":1}'
"$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json S-KILL >/dev/null 2>&1 </dev/null &
pid=$!
t_check "pending row committed" wait_row S-KILL pending
if [ "$T_SLOW" -gt 1 ]; then sleep 3; else sleep 0.5; fi
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
for _ in $(seq 1 100); do [ "$(sim_state S-KILL)" = REVERSED ] && break; sleep 0.1; done
t_eq "the simulator did reverse it" REVERSED "$(sim_state S-KILL)"
# S-REFUND above stays open (exit 3); the killed reversal is settled.
wx settle --json
t_eq "settle exit 3: S-REFUND stays open" 3 "$WX_RC"
t_contains "the killed reversal is settled" "$WX_OUT" '"out_trade_no":"S-KILL","sp_mchid":"1230000109","sub_mchid":"1900000109","outcome":"reversed"'
t_eq "history" "reversed|query|REVOKED" "$(hist_sql "SELECT outcome, settled_by, trade_state_after FROM reversals WHERE out_trade_no = 'S-KILL'")"
t_eq "one reversal and one query reached the simulator" "1 1" "$(sim_count S-KILL) $(qcount S-KILL)"
wx history --outcome unknown --format jsonl
t_eq "only S-REFUND is still open" S-REFUND "$(jq -r .out_trade_no <<<"$WX_OUT")"
t_ok

t_done
