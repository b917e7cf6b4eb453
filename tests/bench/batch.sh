#!/usr/bin/env bash
# Reverses a list of N paid orders with one `wxrev reverse --from` (a few
# requests in flight on kept-alive connections, group commit) against a
# local simulator over HTTPS; prints reversals per second, wall time and
# the client's own CPU time per reversal (user + sys of wxrev alone).
#   tests/bench/batch.sh N [RATE]
set -uo pipefail
n=${1:-1000}
rate=${2:-10000}
. "$(dirname "$0")/../integration/lib_sim.sh"

orders=$(seq -f 'LIST%08g' 1 "$n" | jq -R . | jq -s --arg s "$SUB_COFFEE" \
	'map({out_trade_no: ., sub_mchid: $s, state: "PAID"})')
sim_setup "$orders" || exit 1
seq -f 'LIST%08g' 1 "$n" >"$T_TMP/list.txt"
/usr/bin/time -f '%e %U %S %M' -o "$T_TMP/time" \
	"$WXREV_BIN" reverse --yes --json --sub "$SUB_COFFEE" --rate "$rate" \
	--from "$T_TMP/list.txt" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null
ok=$(jq -r 'select(.outcome == "reversed") | .history_id' "$T_TMP/out" | wc -l)
read -r wall user sys rss <"$T_TMP/time"
awk -v n="$n" -v ok="$ok" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
	printf "reversed=%d/%d reversals_per_s=%.1f wall_per_reversal_ms=%.3f client_cpu_per_reversal_ms=%.3f wall_s=%.2f client_cpu_s=%.2f peak_rss_kib=%d\n",
		ok, n, n / w, w * 1000 / n, (u + s) * 1000 / n, w, u + s, r }'
