#!/usr/bin/env bash
# What a ticket needs is in the exports: JSON lines and CSV carry
# request_id, verified, note, operator, endpoint, attempts and the created
# time with its UTC offset, next to the fields they always had.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

sim_paid EXP-PAID-01
wx reverse --sub "Coffee Shop" --yes --json --note "T-4711" EXP-PAID-01
REQ_ID=$(jq -r .request_id <<<"$WX_OUT")

t_begin "reverse --json carries note, operator and endpoint, as the export names them"
t_eq "note" T-4711 "$(jq -r .note <<<"$WX_OUT")"
t_eq "operator" tester "$(jq -r .operator <<<"$WX_OUT")"
t_eq "endpoint" "$MAIN_URL" "$(jq -r .endpoint <<<"$WX_OUT")"
KEYS_ONE=$(jq -r 'keys_unsorted | join(" ")' <<<"$WX_OUT")
t_ok

t_begin "every --json object has the same fields: a list, a skipped order, a duplicate"
sim_paid EXP-LIST-01
printf 'out_trade_no,note\nEXP-LIST-01,T-4712\nEXP-PAID-01,\n' >"$T_TMP/list.csv"
wx reverse --sub "Coffee Shop" --yes --json --from "$T_TMP/list.csv"
t_eq "two objects" 2 "$(jq -c . <<<"$WX_OUT" | wc -l)"
t_eq "sent: the same fields, then its line" "$KEYS_ONE line" \
	"$(jq -r 'select(.out_trade_no == "EXP-LIST-01") | keys_unsorted | join(" ")' <<<"$WX_OUT")"
t_eq "sent: its note" T-4712 "$(jq -r 'select(.out_trade_no == "EXP-LIST-01") | .note' <<<"$WX_OUT")"
t_eq "skipped: the same fields, then line and skipped" "$KEYS_ONE line skipped" \
	"$(jq -r 'select(.out_trade_no == "EXP-PAID-01") | keys_unsorted | join(" ")' <<<"$WX_OUT")"
t_eq "skipped: the note of the reversal it was" T-4711 \
	"$(jq -r 'select(.out_trade_no == "EXP-PAID-01") | .note' <<<"$WX_OUT")"
sim_paid EXP-DUP-01
wx reverse --sub "Coffee Shop" --yes --json EXP-DUP-01 EXP-DUP-01
t_eq "duplicate: the same fields" "$KEYS_ONE" \
	"$(jq -r 'select(.outcome == "duplicate") | keys_unsorted | join(" ")' <<<"$WX_OUT")"
t_eq "duplicate: the operator" tester "$(jq -r 'select(.outcome == "duplicate") | .operator' <<<"$WX_OUT")"
t_ok

t_begin "the reversal's Request-ID is known"
t_check "a Request-ID" test -n "$REQ_ID" -a "$REQ_ID" != null
t_ok

t_begin "JSON lines carry request_id, verified and the created time with its offset"
row=$(TZ=Asia/Shanghai "$WXREV_BIN" history --format jsonl --order EXP-PAID-01)
t_eq "request_id" "$REQ_ID" "$(jq -r .request_id <<<"$row")"
t_eq "verified" true "$(jq -r .verified <<<"$row")"
t_eq "note" T-4711 "$(jq -r .note <<<"$row")"
t_eq "operator" tester "$(jq -r .operator <<<"$row")"
t_eq "endpoint" "$MAIN_URL" "$(jq -r .endpoint <<<"$row")"
t_eq "attempts" 1 "$(jq -r .attempts <<<"$row")"
local_t=$(jq -r .created_local <<<"$row")
t_check "created_local is RFC 3339 with +08:00 ($local_t)" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+08:00$' <<<"$local_t"
t_eq "the same instant as created (UTC)" "$(jq -r '.created | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601' <<<"$row")" \
	"$(date -d "$local_t" +%s)"
t_eq "existing names kept" "id created created_ms updated updated_ms operator note" \
	"$(jq -r 'keys_unsorted[:7] | join(" ")' <<<"$row")"
t_ok

t_begin "an order without an answer: request_id and verified are null"
prof="$T_TMP/refused.yaml"
write_profile "$prof" https://127.0.0.1:1 https://127.0.0.1:1 "$KEYS/apiclient_key.pem" 2
WXREV_BACKOFF_MS=1 wx reverse --profiles "$prof" --sub "Coffee Shop" --yes --no-settle EXP-NOANS-01
row=$("$WXREV_BIN" history --format jsonl --order EXP-NOANS-01)
t_eq "request_id" null "$(jq -r .request_id <<<"$row")"
t_eq "verified" null "$(jq -r .verified <<<"$row")"
t_ok

t_begin "CSV keeps its columns and adds request_id, verified, created at the end"
csv=$(TZ=Asia/Shanghai "$WXREV_BIN" history --format csv --order EXP-PAID-01)
header=$(head -n 1 <<<"$csv" | sed 's/^\xef\xbb\xbf//' | tr -d '\r')
t_eq "header" "id,time,created_ms,updated_ms,operator,note,partner_name,sp_mchid,sub_name,sub_mchid,out_trade_no,endpoint,outcome,http_status,code,message,attempts,latency_ms,request_id,verified,created" "$header"
line=$(sed -n 2p <<<"$csv" | tr -d '\r')
t_contains "request_id" "$line" ",$REQ_ID,true,"
t_check "created with offset" grep -Eq ',[0-9T:.-]+\+08:00$' <<<"$line"
t_ok

t_done
