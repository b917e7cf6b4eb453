#!/usr/bin/env bash
# Crash safety: wxrev killed with SIGKILL while WeChat Pay (the simulator)
# holds the reversal open. The next start must show the reversal as
# `unknown` with the advice to re-run or query, the database must pass
# PRAGMA integrity_check, and re-running must be safe.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || {
	t_begin setup
	t_fail "simulator did not start"
	t_done
}
DB="$T_TMP/crash/history.db"
export WXREV_HISTORY=$DB

# wait_row ORDER OUTCOME: until the order's newest row has that outcome.
wait_row() {
	local i
	for i in $(seq 1 $((100 * T_SLOW))); do
		[ "$(sqlite3 -readonly "$DB" "SELECT outcome FROM reversals WHERE out_trade_no = '$1' ORDER BY id DESC LIMIT 1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

t_begin "kill -9 while the simulator holds the reversal open"
sim_paid CRASH-1
sim_fault CRASH-1 '{"type":"delay","ms":8000,"count":1}'
"$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json CRASH-1 >/dev/null 2>&1 </dev/null &
pid=$!
t_check "pending row committed" wait_row CRASH-1 pending
# Give the request time to get onto the wire (longer under valgrind); the
# simulator then sleeps on it. Its log, written when it answers, proves it.
if [ "$T_SLOW" -gt 1 ]; then sleep 3; else sleep 0.5; fi
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
t_eq "still pending on disk before any restart" pending \
	"$(sqlite3 -readonly "$DB" "SELECT outcome FROM reversals WHERE out_trade_no = 'CRASH-1'")"
# The next start of any wxrev command recovers the row.
wx history --order CRASH-1
t_eq "history exit status" 0 "$WX_RC"
t_contains "shows unknown" "$WX_OUT" "unknown"
row=$(hist_row CRASH-1)
t_eq "outcome" unknown "$(jfield "$row" outcome)"
t_contains "guidance to re-run" "$(jfield "$row" message)" "re-run the reversal"
t_contains "guidance to query" "$(jfield "$row" message)" "query the order"
t_eq "integrity" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
t_eq "no pending rows left" 0 "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
t_ok

t_begin "re-running the interrupted reversal is safe and settles it"
# The simulator finished the first request after wxrev died: the order is
# reversed already, and WeChat Pay answers a repeated reversal with 200.
for _ in $(seq 1 150); do
	[ "$(sim_count CRASH-1)" -ge 1 ] && break
	sleep 0.1
done
t_eq "the killed request had reached the simulator" 1 "$(sim_count CRASH-1)"
t_eq "simulator reversed it" REVERSED "$(sim_state CRASH-1)"
wx reverse --sub "Coffee Shop" --yes --json CRASH-1
t_eq "exit status" 0 "$WX_RC"
t_eq "outcome" reversed "$(jq -r .outcome <<<"$WX_OUT")"
t_eq "old row stays unknown, new row reversed" "unknown reversed" \
	"$(sqlite3 -readonly "$DB" "SELECT group_concat(outcome, ' ') FROM (SELECT outcome FROM reversals WHERE out_trade_no = 'CRASH-1' ORDER BY id)")"
t_ok

t_begin "kill -9 at random moments: never a torn database or a stuck row"
for i in $(seq 1 8); do
	sim_paid "STORM-$i"
	sim_fault "STORM-$i" "{\"type\":\"delay\",\"ms\":$((i * 150)),\"count\":1}"
	"$WXREV_BIN" reverse --sub "Coffee Shop" --yes "STORM-$i" >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
done
wx history --limit 100 --format jsonl
t_eq "history readable" 0 "$WX_RC"
t_eq "integrity" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
t_eq "no pending rows left" 0 "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
# Every row is either finished or marked unknown; none claims success
# without a recorded verified answer.
t_eq "reversed rows all have a verified attempt" 0 \
	"$(sqlite3 -readonly "$DB" "SELECT count(*) FROM reversals r WHERE r.outcome = 'reversed' AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.reversal_id = r.id AND a.verify = 'verified')")"
t_ok

t_begin "a pending row of a live wxrev is left alone"
sim_paid LIVE-1
sim_fault LIVE-1 '{"type":"delay","ms":3000,"count":1}'
"$WXREV_BIN" reverse --sub "Coffee Shop" --yes LIVE-1 >/dev/null 2>&1 </dev/null &
pid=$!
t_check "pending row committed" wait_row LIVE-1 pending
wx history --order LIVE-1 --format jsonl
t_eq "still pending while its process runs" pending "$(jq -r .outcome <<<"$WX_OUT")"
wait "$pid"
t_eq "then reversed" reversed "$(jfield "$(hist_row LIVE-1)" outcome)"
t_ok

t_done
