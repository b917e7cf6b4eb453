#!/usr/bin/env bash
# wxrev history: filters, formats and file rules, over reversals made
# against the simulator.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

# Five reversals, oldest first: reversed, rejected, reversed (Tea House),
# reversed with a note, failed.
sim_paid H-PAID-1
sim_paid H-TEA-1 "$SUB_TEA"
sim_paid H-NOTE-1
sim_paid H-PAYING-1 "$SUB_COFFEE" USERPAYING
wx reverse --sub "Coffee Shop" --yes H-PAID-1
wx reverse --sub "Coffee Shop" --yes H-MISSING-1
wx reverse --sub "Tea House" --yes H-TEA-1
wx reverse --sub "Coffee Shop" --yes --note 'ticket "A-1", urgent' H-NOTE-1
wx reverse --sub "Coffee Shop" --yes H-PAYING-1

# orders ARGS...: the out_trade_no of each jsonl row, comma-separated.
orders() {
	"$WXREV_BIN" history --format jsonl "$@" | jq -r .out_trade_no | paste -sd, -
}

t_begin "jsonl lists every reversal, newest first"
t_eq "orders" "H-PAYING-1,H-NOTE-1,H-TEA-1,H-MISSING-1,H-PAID-1" "$(orders)"
t_ok

t_begin "jsonl rows carry the documented fields"
row=$("$WXREV_BIN" history --format jsonl --order H-PAID-1)
for f in id created operator note partner_name sp_mchid sub_name sub_mchid out_trade_no endpoint outcome http_status code message attempts latency_ms; do
	t_eq "field $f present" true "$(jq "has(\"$f\")" <<<"$row")"
done
t_eq "outcome" reversed "$(jfield "$row" outcome)"
t_eq "sub_name" "Coffee Shop" "$(jfield "$row" sub_name)"
t_eq "operator" tester "$(jfield "$row" operator)"
t_eq "endpoint" "$MAIN_URL" "$(jfield "$row" endpoint)"
t_ok

t_begin "--order matches a substring of the order number"
t_eq "substring" "H-PAYING-1,H-PAID-1" "$(orders --order H-PA)"
t_ok

t_begin "--sub filters by sub-merchant name or sub_mchid"
t_eq "by name" "H-TEA-1" "$(orders --sub "Tea House")"
t_eq "by sub_mchid" "H-TEA-1" "$(orders --sub "$SUB_TEA")"
t_ok

t_begin "--outcome and --code filter"
t_eq "rejected" "H-MISSING-1" "$(orders --outcome rejected)"
t_eq "failed" "H-PAYING-1" "$(orders --outcome failed)"
t_eq "code" "H-MISSING-1" "$(orders --code ORDER_NOT_EXIST)"
t_ok

t_begin "--text finds the note"
t_eq "note" "H-NOTE-1" "$(orders --text urgent)"
t_ok

t_begin "--limit bounds the rows"
t_eq "two newest" "H-PAYING-1,H-NOTE-1" "$(orders --limit 2)"
t_ok

t_begin "--since and --until bound the time"
t_eq "since the future: none" "" "$(orders --since 2999-01-01)"
t_eq "since long ago: all" 5 "$("$WXREV_BIN" history --format jsonl --since 2000-01-01 | wc -l | tr -d ' ')"
t_eq "until long ago: none" "" "$(orders --until 2000-01-01)"
t_ok

t_begin "csv has a header and RFC 4180 quoting"
csv=$("$WXREV_BIN" history --format csv)
header=$(head -n 1 <<<"$csv" | sed 's/^\xef\xbb\xbf//' | tr -d '\r')
t_contains "header" "$header" "out_trade_no"
t_contains "header" "$header" "outcome"
t_eq "rows" 6 "$(wc -l <<<"$csv" | tr -d ' ')"
t_contains "quoted note" "$csv" '"ticket ""A-1"", urgent"'
t_check "lines end in CRLF" grep -q $'\r$' <<<"$csv"
t_ok

t_begin "table is the default and reads as a list"
out=$("$WXREV_BIN" history)
t_eq "exit" 0 "$?"
t_contains "order" "$out" "H-PAID-1"
t_contains "outcome" "$out" "rejected"
t_contains "code" "$out" "ORDER_NOT_EXIST"
t_ok

t_begin "bad filter values are usage errors (exit 2)"
"$WXREV_BIN" history --outcome maybe >/dev/null 2>"$T_TMP/err"
t_eq "outcome exit" 2 "$?"
t_contains "names the choices" "$(cat "$T_TMP/err")" "reversed"
"$WXREV_BIN" history --format xml >/dev/null 2>&1
t_eq "format exit" 2 "$?"
"$WXREV_BIN" history --limit -3 >/dev/null 2>&1
t_eq "limit exit" 2 "$?"
"$WXREV_BIN" history --since yesterday >/dev/null 2>&1
t_eq "since exit" 2 "$?"
t_ok

t_begin "--history overrides \$WXREV_HISTORY"
out=$("$WXREV_BIN" history --history "$T_TMP/other/history.db" --format jsonl)
t_eq "exit" 0 "$?"
t_eq "a new history is empty" "" "$out"
t_ok

t_begin "the default history is owner-only under \$XDG_DATA_HOME"
(unset WXREV_HISTORY; wx reverse --sub "Coffee Shop" --yes --json H-DEFAULT-1)
f="$XDG_DATA_HOME/wxrev/history.db"
t_check "file exists" test -f "$f"
t_eq "file mode" 600 "$(stat -c %a "$f")"
t_eq "folder mode" 700 "$(stat -c %a "$XDG_DATA_HOME/wxrev")"
t_eq "row there" H-DEFAULT-1 "$(unset WXREV_HISTORY; "$WXREV_BIN" history --format jsonl | jq -r .out_trade_no)"
t_ok

t_done
