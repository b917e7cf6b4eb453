#!/usr/bin/env bash
# The history filter on a desk history larger than the walk of its newest
# rows (history_pg.c): text common among the newest rows is read newest
# first, the rest comes from the trigram index, and together they give
# exactly the rows a plain reading of the table gives, newest first.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_start || t_setup_fail "PostgreSQL did not start"
export WXREV_HISTORY=$(pg_uri "$PG_SUPER")
"$WXREV_BIN" history init >/dev/null || t_fail "history init"
N=30000
# Row i: order FLT<i, 8 digits>, sub-merchant "Shop <i mod 100>"; every
# 2000th row is noted "mixed", and only the oldest "old-one".
pg_psql "$PG_SUPER" -c "INSERT INTO wxrev.reversals (created_ms, updated_ms,
	operator, note, partner_name, sp_mchid, sub_name, sub_mchid, out_trade_no,
	endpoint, outcome, http_status, attempts, latency_ms)
	SELECT 1700000000000 + i, 1700000000000 + i, 'tester',
		CASE WHEN i = 1 THEN 'old-one' WHEN i % 2000 = 0 THEN 'mixed' END,
		'P', '1600000001', 'Shop ' || i % 100, '1900000109',
		'FLT' || lpad(i::text, 8, '0'), 'https://api.mch.weixin.qq.com',
		'reversed', 200, 1, 10
	FROM generate_series(1, $N) AS i; ANALYZE wxrev.reversals" || t_fail "rows"

# orders TEXT [LIMIT]: the orders `wxrev history --text` lists, one a line.
orders() {
	"$WXREV_BIN" history --text "$1" ${2:+--limit "$2"} --format jsonl 2>/dev/null | jq -r .out_trade_no
}
# expect AWK-CONDITION [LIMIT]: the orders of rows i (newest first) that
# the condition on i selects, as the generating rule above says.
expect() {
	seq "$N" -1 1 | awk "$1 { printf \"FLT%08d\\n\", \$1 }" | head -n "${2:-$N}"
}

t_begin "common text: every matching row down to the oldest, newest first"
got=$(orders "shop 7")
t_eq "how many" 3300 "$(wc -l <<<"$got")"
t_eq "the rows, in order" "$(expect '$1 % 100 == 7 || int($1 % 100 / 10) == 7')" "$got"
t_eq "the oldest match last" FLT00000007 "$(tail -n 1 <<<"$got")"
t_ok

t_begin "common text, one page: the newest rows only"
t_eq "the newest 50" "$(expect '$1 % 100 == 7 || int($1 % 100 / 10) == 7' 50)" "$(orders "shop 7" 50)"
t_ok

t_begin "text the newest rows lack: found below them"
t_eq "the oldest row" FLT00000001 "$(orders "old-one")"
t_eq "an order number far back" FLT00001234 "$(orders "flt00001234")"
t_ok

t_begin "text found on both sides of the walk, in one page"
t_eq "12 of 15" "$(expect '$1 % 2000 == 0' 12)" "$(orders "mixed" 12)"
t_eq "all 15" "$(expect '$1 % 2000 == 0')" "$(orders "mixed")"
t_ok

t_begin "text no row holds: nothing"
t_eq "no rows" "" "$(orders "zz-top")"
t_ok

t_done
