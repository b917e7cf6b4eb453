#!/usr/bin/env bash
# The order query's cost next to the reversal's: N paid orders queried with
# one `wxrev query` (one kept-alive connection), then reversed with one
# `wxrev reverse`; prints each run's client CPU per order (user + sys of
# wxrev alone) and their ratio, query + reversal over reversal alone.
#   tests/bench/query_reversal.sh N
set -uo pipefail
n=${1:-1000}
. "$(dirname "$0")/../integration/lib_sim.sh"

orders=$(seq -f 'QBENCH%08g' 1 "$n" | jq -R . | jq -s --arg s "$SUB_COFFEE" \
	'map({out_trade_no: ., sub_mchid: $s, state: "PAID"})')
sim_setup "$orders" || exit 1
mapfile -t list < <(seq -f 'QBENCH%08g' 1 "$n")
/usr/bin/time -f '%e %U %S' -o "$T_TMP/qtime" \
	"$WXREV_BIN" query --json --sub "$SUB_COFFEE" "${list[@]}" >"$T_TMP/qout" 2>"$T_TMP/qerr" </dev/null
/usr/bin/time -f '%e %U %S' -o "$T_TMP/rtime" \
	"$WXREV_BIN" reverse --yes --json --no-settle --sub "$SUB_COFFEE" "${list[@]}" >"$T_TMP/rout" 2>"$T_TMP/rerr" </dev/null
answered=$(jq -r 'select(.trade_state == "SUCCESS" and .verified) | .out_trade_no' "$T_TMP/qout" | wc -l)
ok=$(jq -r 'select(.outcome == "reversed") | .history_id' "$T_TMP/rout" | wc -l)
read -r _ qu qs <"$T_TMP/qtime"
read -r _ ru rs <"$T_TMP/rtime"
awk -v n="$n" -v a="$answered" -v ok="$ok" -v qu="$qu" -v qs="$qs" -v ru="$ru" -v rs="$rs" 'BEGIN {
	q = (qu + qs) * 1000 / n; r = (ru + rs) * 1000 / n
	printf "queried=%d/%d reversed=%d/%d client_cpu_per_query_ms=%.3f client_cpu_per_reversal_ms=%.3f query_plus_reversal_ratio=%.2f\n",
		a, n, ok, n, q, r, (q + r) / r }'
