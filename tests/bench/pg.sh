#!/usr/bin/env bash
# The desk history side of `make bench`: the same 1 000 000 rows as the
# SQLite history (copied over), on a local PostgreSQL started as the tests
# start it (tests/lib_pg.sh), measured with the same bench_core and measure.
#   tests/bench/pg.sh SQLITE_DB PROFILES_DIR
# Prints "name|figures|command" lines for run.sh's table.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
db=$1 profiles=$2
bin="$BUILD/bench"
. tests/lib.sh >/dev/null
. tests/lib_pg.sh
pg_start >&2 || exit 1
super=$(pg_uri "$PG_SUPER")
WXREV_HISTORY=$super "$BUILD/bin/wxrev" history init >/dev/null || exit 1
cols="created_ms, updated_ms, operator, note, partner_name, sp_mchid, sub_name, sub_mchid, out_trade_no, endpoint, outcome, http_status, code, message, attempts, latency_ms"
acols="reversal_id, n, started_ms, url, request_headers, request_body, status, response_headers, response_body, verify, latency_ms, request_id"
echo "bench: copying $(sqlite3 "$db" 'SELECT count(*) FROM reversals') rows into PostgreSQL" >&2
sqlite3 -csv "$db" "SELECT $cols FROM reversals ORDER BY id" |
	pg_psql "$PG_SUPER" -c "\\copy wxrev.reversals ($cols) FROM STDIN WITH (FORMAT csv)" || exit 1
sqlite3 -csv "$db" "SELECT $acols FROM attempts ORDER BY reversal_id, n" |
	pg_psql "$PG_SUPER" -c "\\copy wxrev.attempts ($acols) FROM STDIN WITH (FORMAT csv)" || exit 1
pg_psql "$PG_SUPER" -c "VACUUM ANALYZE" >/dev/null
hist=$("$bin/bench_core" history "$super")
for fig in history_open history_filter_order_keystroke history_filter_sub_keystroke \
	history_filter_rare_keystroke history_page history_detail; do
	echo "$fig (PostgreSQL, 1 000 000 rows)|$(grep "^$fig " <<<"$hist" | cut -d' ' -f2-)|$bin/bench_core history postgresql://…"
done
WXREV_BENCH_FIRST_FRAME=1 "$bin/measure" --pty 100x30 1 "$BUILD/bin/wxrev" --profiles "$profiles" --history "$super" >/dev/null
echo "Start to first frame, desk history on a local server|$(WXREV_BENCH_FIRST_FRAME=1 "$bin/measure" --pty 100x30 21 \
	"$BUILD/bin/wxrev" --profiles "$profiles" --history "$super" | tail -n 1)|WXREV_BENCH_FIRST_FRAME=1 $bin/measure --pty 100x30 21 $BUILD/bin/wxrev --profiles $profiles --history postgresql://…"
rev=$(BUILD=$BUILD bash tests/bench/reversals.sh 1000 desk 2>/dev/null | tail -n 1)
echo "\`wxrev reverse\` of 1 000 orders, one connection, desk history|$rev|tests/bench/reversals.sh 1000 desk"
