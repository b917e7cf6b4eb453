#!/usr/bin/env bash
# The history pane's filter on a desk history larger than one step of the
# pane's search (history_pg_list_step): text whose trigrams many rows have
# is read newest first over several steps (the index only finishes a step
# that would recheck few rows), and the pane lists exactly the rows
# `wxrev history --text` lists, newest first.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start ui_setup '[]'
pg_desk alice
export WXREV_HISTORY=$(pg_uri alice)
N=60000
# Row i: order DF<i, 8 digits>, sub-merchant "门店 <i mod 5000> Shop": the
# text "门店 42 S" matches one row in 5000, fewer than a screen per step, and
# its trigrams are in every row.
pg_psql "$PG_SUPER" -c "INSERT INTO wxrev.reversals (created_ms, updated_ms,
	operator, partner_name, sp_mchid, sub_name, sub_mchid, out_trade_no,
	endpoint, outcome, http_status, attempts, latency_ms)
	SELECT 1700000000000 + i * 1000, 1700000000000 + i * 1000, 'alice', 'P',
		'1600000001', '门店 ' || i % 5000 || ' Shop', '1900000109',
		'DF' || lpad(i::text, 8, '0'), 'https://api.mch.weixin.qq.com',
		'reversed', 200, 1, 10
	FROM generate_series(1, $N) AS i; ANALYZE wxrev.reversals" || t_fail "rows"

# pane_orders: the orders the history pane lists, top to bottom.
pane_orders() { ui_screen | sed -n "/$(ui_title History) /,/└/p" | grep -o 'DF[0-9]\{8\}'; }
# cli_orders TEXT N: the newest N orders `wxrev history --text` lists.
cli_orders() {
	"$WXREV_BIN" history --text "$1" --limit "$2" --format jsonl 2>/dev/null | jq -r .out_trade_no
}
# pane_shows N WANT: the pane lists at least N rows, the first of WANT.
pane_shows() {
	local got
	got=$(pane_orders)
	[ "$(grep -c . <<<"$got")" -ge "$1" ] &&
		[ "$got" = "$(head -n "$(grep -c . <<<"$got")" <<<"$2")" ]
}

ui_start_ok
ui_focus History

t_begin "text every row's trigrams hold, one row in 5000: the rows the command line lists, newest first"
ui_keys /
ui_type "门店 42 S"
want=$(cli_orders "门店 42 S" 20)
t_eq "the command line lists every match" 12 "$(grep -c . <<<"$want")"
t_eq "the newest first" "DF00055042" "$(head -n 1 <<<"$want")"
# Four matches per step: a full screen takes three steps.
t_check "the pane fills with the same rows, in order" ui_poll pane_shows 9 "$want"
t_lacks "a row of shop 420 is not listed" "$(pane_orders)" "DF00055420"
ui_keys Escape
t_ok

t_begin "an order number far back: found, and alone"
ui_keys /
ui_type "df00000042"
t_check "the oldest rows' order shows" ui_poll pane_shows 1 "DF00000042"
t_eq "and only it" 1 "$(pane_orders | wc -l)"
ui_keys Escape
t_ok

t_begin "text no row holds: the pane says so once every step has looked"
ui_keys /
ui_type "门店 42 Shop 1"
t_check "nothing matches" ui_wait_for "$(L "nothing matches the filter" "没有符合筛选条件的记录")" $((5 * T_SLOW))
t_eq "no rows" "" "$(pane_orders)"
ui_keys Escape
t_ok

t_done
