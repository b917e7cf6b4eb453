#!/usr/bin/env bash
# A verified result is never lost, and the record is a real file: a history
# locked or full while the answer arrives, deleted or replaced while wxrev
# runs, or named as something that is not a durable file. Each test is a
# row of the fault catalogue in tests/README.md.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

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

# send_locked DIR ORDER SECONDS [ENV=VALUE...]: reverses ORDER (paid, its
# answer 1.5 s late) on DIR/history.db in the background and, once the order
# is claimed, holds the history locked for SECONDS while the answer
# arrives. Sets DB, RC (wxrev's exit status), OUT and ERR (its output).
send_locked() {
	local dir=$1 order=$2 seconds=$3 pid
	shift 3
	sim_paid "$order"
	sim_fault "$order" '{"type":"delay","ms":1500}'
	DB="$T_TMP/$dir/history.db"
	env "$@" WXREV_HISTORY="$DB" "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json "$order" \
		>"$T_TMP/$dir.out" 2>"$T_TMP/$dir.err" </dev/null &
	pid=$!
	t_check "the order is claimed" wait_pending "$DB" "$order"
	lock_db "$DB" "$seconds"
	wait "$pid"
	RC=$?
	OUT=$(cat "$T_TMP/$dir.out")
	ERR=$(cat "$T_TMP/$dir.err")
}

# kept_request_id ORDER: the Request-ID the history keeps for ORDER's attempt.
kept_request_id() {
	sqlite3 -readonly "$DB" "SELECT a.request_id FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = '$1'"
}

t_begin "history locked while the answer arrives: the result waits and is saved, then reported"
send_locked locked L-LOCK-1 8
wait "$LOCK_PID"
t_eq "exit status" 0 "$RC"
t_eq "printed outcome" reversed "$(jfield "$OUT" outcome)"
t_contains "says it waited for the history" "$ERR" "waiting up to"
t_eq "history outcome" reversed "$(sqlite3 -readonly "$DB" "SELECT outcome FROM reversals WHERE out_trade_no = 'L-LOCK-1'")"
t_eq "history attempts" 1 "$(sqlite3 -readonly "$DB" "SELECT attempts FROM reversals WHERE out_trade_no = 'L-LOCK-1'")"
t_eq "the verified answer's Request-ID is kept" "$(jfield "$OUT" request_id)" "$(kept_request_id L-LOCK-1)"
t_eq "the Request-ID is the one the simulator answered" "$(sim_log L-LOCK-1 | jq -r .request_id)" "$(jfield "$OUT" request_id)"
t_ok

t_begin "history locked past the wait: the result goes to the recovery journal (exit 3), the next start folds it in"
send_locked journal L-JOURNAL-1 12 WXREV_SAVE_WAIT_MS=1000
t_eq "exit status" 3 "$RC"
t_contains "stderr names the journal" "$ERR" "recovery journal $DB.journal"
t_eq "journal is owner-only" 600 "$(stat -c %a "$DB.journal" 2>/dev/null)"
t_eq "while locked, the row is still pending" pending "$(sqlite3 -readonly "$DB" "SELECT outcome FROM reversals WHERE out_trade_no = 'L-JOURNAL-1'")"
wait "$LOCK_PID"
row=$(WXREV_HISTORY=$DB "$WXREV_BIN" history --order L-JOURNAL-1 --format jsonl)
t_eq "after the next start: outcome" reversed "$(jfield "$row" outcome)"
t_eq "after the next start: attempts" 1 "$(jfield "$row" attempts)"
t_eq "the Request-ID is kept" "$(sim_log L-JOURNAL-1 | jq -r .request_id)" "$(kept_request_id L-JOURNAL-1)"
t_check "the journal is spent" test ! -e "$DB.journal"
t_eq "integrity" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
t_ok

# The history file taken away while wxrev runs: checked before each send,
# so the second order is never sent. One row a way of losing it:
#   test title | order prefix | what is done to the file | what stderr says
delete_history() { rm -f "$1" "$1-wal" "$1-shm"; }
replace_history() { cp "$1" "$1.new" && mv "$1.new" "$1"; }
while IFS='|' read -r title prefix action says; do
	t_begin "$title"
	sim_paid "$prefix-1"
	sim_paid "$prefix-2"
	sim_fault "$prefix-1" '{"type":"delay","ms":1500}'
	db="$T_TMP/$prefix/history.db"
	WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes "$prefix-1" "$prefix-2" \
		>"$T_TMP/$prefix.out" 2>"$T_TMP/$prefix.err" </dev/null &
	pid=$!
	t_check "the first order is claimed" wait_pending "$db" "$prefix-1"
	"$action" "$db"
	wait $pid
	t_contains "says so" "$(cat "$T_TMP/$prefix.err")" "$says"
	t_eq "the second order was not sent" 0 "$(sim_count "$prefix-2")"
	t_ok
done <<'ROWS'
history deleted while wxrev runs: the next order is not sent, the operator is told|L-DEL|delete_history|was deleted while wxrev was running
history replaced while wxrev runs: nothing more is sent|L-REP|replace_history|was replaced by another file
ROWS

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
