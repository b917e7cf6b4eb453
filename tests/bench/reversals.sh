#!/usr/bin/env bash
# Reverses N paid orders with one `wxrev reverse` (one kept-alive connection)
# against a local simulator; prints reversals per second and the client's
# own CPU time (user + sys of wxrev alone, so the simulator is not in it).
#   tests/bench/reversals.sh N [desk]
# With "desk" the history is a desk history on a local PostgreSQL
# (tests/lib_pg.sh), so the client's CPU with libpq shows next to SQLite's.
set -uo pipefail
n=${1:-1000}
. "$(dirname "$0")/../integration/lib_sim.sh"
if [ "${2:-}" = desk ]; then
	. "$(dirname "$0")/../lib_pg.sh"
	pg_start >&2 || exit 1
	WXREV_HISTORY=$(pg_uri "$PG_SUPER") "$WXREV_BIN" history init >/dev/null || exit 1
	export WXREV_HISTORY=$(pg_uri "$PG_SUPER")
fi

orders=$(seq -f 'BENCH%08g' 1 "$n" | jq -R . | jq -s --arg s "$SUB_COFFEE" \
	'map({out_trade_no: ., sub_mchid: $s, state: "PAID"})')
sim_setup "$orders" || exit 1
mapfile -t list < <(seq -f 'BENCH%08g' 1 "$n")
/usr/bin/time -f '%e %U %S %M' -o "$T_TMP/time" \
	"$WXREV_BIN" reverse --yes --json --sub "$SUB_COFFEE" "${list[@]}" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
ok=$(jq -r 'select(.outcome == "reversed") | .history_id' "$T_TMP/out" | wc -l)
read -r wall user sys rss <"$T_TMP/time"
awk -v n="$n" -v ok="$ok" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
	printf "reversed=%d/%d reversals_per_s=%.1f client_cpu_per_reversal_ms=%.3f wall_s=%.2f client_cpu_s=%.2f peak_rss_kib=%d\n",
		ok, n, n / w, (u + s) * 1000 / n, w, u + s, r }'
