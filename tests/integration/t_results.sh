#!/usr/bin/env bash
# A verified result is never lost, and the record is a real file: a history
# locked or full while the answer arrives, deleted or replaced while wxrev
# runs, or named as something that is not a durable file. Each test is a
# row of the fault catalogue in tests/README.md.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || { echo "FAIL: setup: simulator"; t_done; }

# wait_pending DB ORDER: until DB holds a pending row for ORDER whose
# request is recorded (it leaves right after; a slow valgrind run must not
# have the history locked before that, or nothing is sent at all).
wait_pending() {
	for _ in $(seq 1 $((100 * T_SLOW))); do
		[ "$(sqlite3 -readonly "$1" "SELECT count(*) FROM reversals WHERE out_trade_no = '$2' AND outcome = 'pending' AND attempts >= 1" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# lock_db DB SECONDS: another program holds the write lock (BEGIN
# IMMEDIATE) for SECONDS, in the background; sets LOCK_PID.
lock_db() {
	{
		echo "BEGIN IMMEDIATE;"
		sleep "$2"
		echo "COMMIT;"
	} | sqlite3 "$1" >/dev/null 2>&1 &
	LOCK_PID=$!
	sleep 0.3
}

t_begin "history locked while the answer arrives: the result waits and is saved, then reported"
sim_paid L-LOCK-1
sim_fault L-LOCK-1 '{"type":"delay","ms":1500}'
db="$T_TMP/locked/history.db"
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json L-LOCK-1 >"$T_TMP/lock.out" 2>"$T_TMP/lock.err" </dev/null &
pid=$!
t_check "the order is claimed" wait_pending "$db" L-LOCK-1
lock_db "$db" 8
wait $pid
rc=$?
wait "$LOCK_PID"
out=$(cat "$T_TMP/lock.out")
t_eq "exit status" 0 "$rc"
t_eq "printed outcome" reversed "$(jfield "$out" outcome)"
t_contains "says it waited for the history" "$(cat "$T_TMP/lock.err")" "waiting up to"
t_eq "history outcome" reversed "$(sqlite3 -readonly "$db" "SELECT outcome FROM reversals WHERE out_trade_no = 'L-LOCK-1'")"
t_eq "history attempts" 1 "$(sqlite3 -readonly "$db" "SELECT attempts FROM reversals WHERE out_trade_no = 'L-LOCK-1'")"
t_eq "the verified answer's Request-ID is kept" "$(jfield "$out" request_id)" "$(sqlite3 -readonly "$db" "SELECT a.request_id FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'L-LOCK-1'")"
t_eq "the Request-ID is the one the simulator answered" "$(sim_log L-LOCK-1 | jq -r .request_id)" "$(jfield "$out" request_id)"
t_ok

t_begin "history locked past the wait: the result goes to the recovery journal (exit 3), the next start folds it in"
sim_paid L-JOURNAL-1
sim_fault L-JOURNAL-1 '{"type":"delay","ms":1500}'
db="$T_TMP/journal/history.db"
WXREV_SAVE_WAIT_MS=1000 WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json L-JOURNAL-1 >"$T_TMP/j.out" 2>"$T_TMP/j.err" </dev/null &
pid=$!
t_check "the order is claimed" wait_pending "$db" L-JOURNAL-1
lock_db "$db" 12
wait $pid
rc=$?
t_eq "exit status" 3 "$rc"
t_contains "stderr names the journal" "$(cat "$T_TMP/j.err")" "recovery journal $db.journal"
t_eq "journal is owner-only" 600 "$(stat -c %a "$db.journal" 2>/dev/null)"
t_eq "while locked, the row is still pending" pending "$(sqlite3 -readonly "$db" "SELECT outcome FROM reversals WHERE out_trade_no = 'L-JOURNAL-1'")"
wait "$LOCK_PID"
row=$(WXREV_HISTORY=$db "$WXREV_BIN" history --order L-JOURNAL-1 --format jsonl)
t_eq "after the next start: outcome" reversed "$(jfield "$row" outcome)"
t_eq "after the next start: attempts" 1 "$(jfield "$row" attempts)"
t_eq "the Request-ID is kept" "$(sim_log L-JOURNAL-1 | jq -r .request_id)" "$(sqlite3 -readonly "$db" "SELECT a.request_id FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'L-JOURNAL-1'")"
t_check "the journal is spent" test ! -e "$db.journal"
t_eq "integrity" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
t_ok

t_begin "history deleted while wxrev runs: the next order is not sent, the operator is told"
sim_paid L-DEL-1
sim_paid L-DEL-2
sim_fault L-DEL-1 '{"type":"delay","ms":1500}'
db="$T_TMP/deleted/history.db"
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes L-DEL-1 L-DEL-2 >"$T_TMP/del.out" 2>"$T_TMP/del.err" </dev/null &
pid=$!
t_check "the first order is claimed" wait_pending "$db" L-DEL-1
rm -f "$db" "$db-wal" "$db-shm"
wait $pid
t_contains "says the history was deleted" "$(cat "$T_TMP/del.err")" "was deleted while wxrev was running"
t_eq "the second order was not sent" 0 "$(sim_count L-DEL-2)"
t_ok

t_begin "history replaced while wxrev runs: nothing more is sent"
sim_paid L-REP-1
sim_paid L-REP-2
sim_fault L-REP-1 '{"type":"delay","ms":1500}'
db="$T_TMP/replaced/history.db"
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes L-REP-1 L-REP-2 >"$T_TMP/rep.out" 2>"$T_TMP/rep.err" </dev/null &
pid=$!
t_check "the first order is claimed" wait_pending "$db" L-REP-1
cp "$db" "$db.new" && mv "$db.new" "$db"
wait $pid
t_contains "says the history was replaced" "$(cat "$T_TMP/rep.err")" "was replaced by another file"
t_eq "the second order was not sent" 0 "$(sim_count L-REP-2)"
t_ok

for bad in ':memory:' 'file::memory:' 'file:x?mode=memory' '/dev/null'; do
	t_begin "--history '$bad' is refused: a history is a durable file"
	sim_paid L-MEM-1
	wx reverse --history "$bad" --sub "Coffee Shop" --yes L-MEM-1
	t_eq "exit status" 2 "$WX_RC"
	t_contains "says why" "$WX_ERR" "--history with a file"
	t_eq "nothing sent" 0 "$(sim_count L-MEM-1)"
	t_ok
done

t_done
