#!/usr/bin/env bash
# Order queries asked on their own (`wxrev query`, the confirmation, F5)
# are requests that left: each one is kept in the history with the order it
# asked about and what it read, and `wxrev history --queries` lists them.
# Requests are counted in the simulator's log, not in wxrev's.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || {
	t_begin setup
	t_fail "simulator did not start"
	t_done
}

export WXREV_OPERATOR=alice
kept() { hist_sql "SELECT count(*) FROM queries WHERE out_trade_no = '$1'" 2>/dev/null || echo 0; }

t_begin "every query that reached WeChat Pay is kept, with what it read"
sim_amount_order QK-PAID-1 PAID 12800
wx query --sub "Coffee Shop" QK-PAID-1
t_eq "exit status" 0 "$WX_RC"
wx query --sub "Coffee Shop" --json QK-PAID-1
t_eq "queries that reached the simulator" 2 "$(sim_query_count QK-PAID-1)"
t_eq "queries kept" 2 "$(kept QK-PAID-1)"
wx history --queries --order QK-PAID-1 --format jsonl
t_eq "history exit" 0 "$WX_RC"
t_eq "newest first, what it read" "SUCCESS 200 true alice Coffee Shop" \
	"$(head -n 1 <<<"$WX_OUT" | jq -r '"\(.trade_state) \(.http_status) \(.verified) \(.operator) \(.sub_name)"')"
t_eq "the Request-IDs are the simulator's" \
	"$(jq -r --arg p "/v3/pay/partner/transactions/out-trade-no/QK-PAID-1?" 'select(.method == "GET" and (.target | startswith($p))) | .request_id' "$MAIN_LOG" | sort | tr '\n' ' ')" \
	"$(jq -r '.request_id' <<<"$WX_OUT" | sort | tr '\n' ' ')"
t_eq "a query writes no reversal" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'QK-PAID-1'")"
t_ok

t_begin "a refused query is kept with its code; no answer is kept with why"
wx query --sub "Coffee Shop" --json QK-NONE-1
t_eq "exit: refused" 1 "$WX_RC"
t_eq "kept" "ORDER_NOT_EXIST|404" \
	"$(hist_sql "SELECT code, status FROM queries WHERE out_trade_no = 'QK-NONE-1'")"
sim_amount_order QK-DROP-1 PAID 100
sim_query_fault QK-DROP-1 '{"type":"drop","count":1}'
wx query --sub "Coffee Shop" --json QK-DROP-1
t_eq "exit: not answered" 3 "$WX_RC"
t_eq "the request left" 1 "$(sim_query_count QK-DROP-1)"
t_eq "kept, with no status and the transport error" "0|1" \
	"$(hist_sql "SELECT status, transport_error IS NOT NULL FROM queries WHERE out_trade_no = 'QK-DROP-1'")"
t_ok

t_begin "no secret is kept: the request's signature is redacted"
headers=$(hist_sql "SELECT request_headers FROM queries WHERE out_trade_no = 'QK-PAID-1' LIMIT 1")
t_contains "the Authorization header is kept" "$headers" "WECHATPAY2-SHA256-RSA2048"
sig=$(jq -r --arg p "/v3/pay/partner/transactions/out-trade-no/QK-PAID-1?" 'select(.method == "GET" and (.target | startswith($p))) | .signature // empty' "$MAIN_LOG" | head -n 1)
if [ -n "$sig" ]; then
	t_check "the signature the simulator saw is not in the history" \
		bash -c '! grep -qF -- "$1" <(sqlite3 -readonly "$2" .dump)' _ "$sig" "$WXREV_HISTORY"
fi
t_check "no signature value in any kept request" \
	bash -c '! sqlite3 -readonly "$1" "SELECT request_headers FROM queries" | grep -Eq "signature=\"[A-Za-z0-9+/]{40,}"' _ "$WXREV_HISTORY"
t_ok

t_begin "history --queries: a table for people, filters, CSV for tools"
wx history --queries --sub "Coffee Shop"
t_eq "exit" 0 "$WX_RC"
t_contains "heading" "$(head -n 1 <<<"$WX_OUT")" "Request-ID"
t_contains "a row" "$WX_OUT" "QK-PAID-1"
t_eq "rows: every kept query" 4 "$(($(wc -l <<<"$WX_OUT") - 1))"
wx history --queries --format csv
t_eq "csv rows" 4 "$(($(wc -l <"$T_TMP/wx.out") - 1))"
t_contains "csv header" "$(head -n 1 <<<"$WX_OUT")" "out_trade_no,trade_state,code,message,http_status,verified,request_id"
wx history --queries --order QK-NOTHING
t_eq "nothing matched: exit 0" 0 "$WX_RC"
t_contains "said" "$WX_ERR" "nothing matched"
wx history --queries --outcome reversed
t_eq "a reversal filter: usage error" 2 "$WX_RC"
t_contains "names the allowed filters" "$WX_ERR" "--queries takes only"
t_ok

t_done
