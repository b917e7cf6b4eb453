#!/usr/bin/env bash
# Stress: 8 processes x 50 reversals of the same 20 orders on one history,
# against a slow simulator, some of them killed with -9 mid-call. Judged
# from the simulator's request log: no two requests for one order are
# processed at the same time (except after a kill -9, see below), every
# request it received is an attempt in the history; and after the next
# start nothing is pending and the database is intact. Scaled down under
# WXREV_WRAP (valgrind), which runs every wxrev 20-50 times slower.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

PROCS=${STRESS_PROCS:-8}
EACH=${STRESS_EACH:-50}
ORDERS=20
if [ -n "${WXREV_WRAP:-}" ]; then
	PROCS=2 EACH=3
fi

sim_setup || t_setup_fail "the simulator did not start"
for i in $(seq -w 1 $ORDERS); do
	sim_paid "STRESS-$i"
	sim_fault "STRESS-$i" '{"type":"delay","ms":150}'
done

# worker N: EACH reversals of random orders; about one in eight is killed
# with -9 while it runs.
worker() {
	local n=$1 k order pid
	for k in $(seq 1 "$EACH"); do
		order=STRESS-$(printf '%02d' $(((RANDOM % ORDERS) + 1)))
		if [ $((RANDOM % 8)) -eq 0 ]; then
			WXREV_OPERATOR=w$n "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json "$order" >/dev/null 2>&1 </dev/null &
			pid=$!
			sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		else
			WXREV_OPERATOR=w$n timeout 120 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json "$order" >>"$T_TMP/worker$n.out" 2>>"$T_TMP/worker$n.err" </dev/null
			echo "$?" >>"$T_TMP/worker$n.rc"
		fi
	done
}

t_begin "$PROCS processes x $EACH reversals of $ORDERS orders, slow answers, random kill -9: one request per order at a time, every request an attempt"
start=$(date +%s)
pids=()
for n in $(seq 1 "$PROCS"); do
	worker "$n" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "stress: $(($(date +%s) - start)) s" >&2

# The next start recovers what the killed ones left.
"$WXREV_BIN" history --limit 1 >/dev/null 2>&1
db=$WXREV_HISTORY
t_eq "nothing pending after the next start" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
t_eq "integrity" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
bad_rc=$(cat "$T_TMP"/worker*.rc | grep -cvE '^(0|2)$')
t_eq "unkilled runs: reversed (0) or in flight elsewhere (2)" 0 "$bad_rc"

# nonce, order, time_ms, done_ms of every reverse request the simulator saw.
jq -r --arg p "$REVERSE_PREFIX" 'select(.target | startswith($p)) |
	[(.headers.Authorization | capture("nonce_str=\"(?<n>[^\"]*)\"").n),
	 .out_trade_no, .time_ms, .done_ms] | @tsv' "$MAIN_LOG" | sort -k2,2 -k3,3n >"$T_TMP/received.tsv"
# every nonce the history holds an attempt for.
sqlite3 -readonly "$db" "SELECT request_headers FROM attempts" | grep -oE 'nonce_str="[^"]*"' | sed -E 's/nonce_str="(.*)"/\1/' | sort -u >"$T_TMP/attempts.txt"
# Attempts whose process died before the answer: the only ones a later
# request may overlap (the server may still be working on them).
sqlite3 -readonly "$db" "SELECT a.request_headers FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.code = 'INTERRUPTED' AND a.status = 0" | grep -oE 'nonce_str="[^"]*"' | sed -E 's/nonce_str="(.*)"/\1/' | sort -u >"$T_TMP/orphans.txt"

received=$(wc -l <"$T_TMP/received.tsv")
# More than one per order; under valgrind (2 x 3) at least one process's.
t_check "the simulator received requests ($received)" test "$received" -ge $((EACH < ORDERS ? EACH : ORDERS + 1))
t_eq "no nonce received twice" 0 "$(cut -f1 "$T_TMP/received.tsv" | sort | uniq -d | wc -l | tr -d ' ')"
missing=$(cut -f1 "$T_TMP/received.tsv" | sort -u | comm -23 - "$T_TMP/attempts.txt" | wc -l | tr -d ' ')
t_eq "received requests that are not an attempt in the history" 0 "$missing"
overlaps=$(awk -F'\t' 'NR == FNR { orphan[$1] = 1; next }
	$2 == prev_order && $3 < prev_done && !(prev_nonce in orphan) {
		n++; print "overlap: " prev_nonce " " $1 > "/dev/stderr" }
	{ if ($2 != prev_order || $4 > prev_done) { prev_done = $4; prev_nonce = $1 }
	  prev_order = $2 }
	END { print n + 0 }' "$T_TMP/orphans.txt" "$T_TMP/received.tsv")
t_eq "requests for one order processed at the same time (a killed holder's excepted)" 0 "$overlaps"
t_ok

t_done
