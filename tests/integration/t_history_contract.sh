#!/usr/bin/env bash
# The history contract, run the same way against both backends: a SQLite
# file and a desk history on PostgreSQL. Everything is observed from
# outside: rows through `wxrev history` in another process, requests in the
# simulator's log. Then the desk's own promises and server faults.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start sim_setup
SQLITE="$T_TMP/contract/history.db"
# Calls held 3 s by the simulator must not time out under a slow wrapper.
write_profile "$PROFILE" "$SIM_URL" "$SIM_URL" "$KEYS/apiclient_key.pem" $((10 * T_SLOW))
export WXREV_HISTORY=$(pg_uri "$PG_SUPER")
t_begin "history init creates the desk schema, and a second run has nothing to do"
wx history init
t_eq "exit status" 0 "$WX_RC"
t_contains "says so" "$WX_OUT" "schema version 0 -> 4"
wx history init
t_contains "again" "$WX_OUT" "nothing to do"
t_eq "no server chatter on stderr" "" "$WX_ERR"
t_ok
pg_operators alice bob
pg_psql "$PG_SUPER" -c "CREATE ROLE nobody LOGIN;
	UPDATE wxrev.meta SET restart_grace_s = 3, claim_linger_s = 1"
pg_past_grace
ALICE=$(pg_uri alice)
BOB=$(pg_uri bob)

# row ORDER: the newest row of the order, as wxrev itself reports it.
row() { "$WXREV_BIN" history --order "$1" --limit 1 --format jsonl 2>/dev/null; }
# The same for polling, unwrapped: a wait under valgrind stays quick.
poll_row() { "$WXREV_REAL_BIN" history --order "$1" --limit 1 --format jsonl 2>/dev/null; }
# sent ORDER: true once the attempt for ORDER is recorded, which happens
# just before its request leaves (the simulator logs only once it answers).
sent() {
	local i
	for i in $(seq 1 $((100 * T_SLOW))); do
		[ "$(jfield "$(poll_row "$1")" attempts 2>/dev/null)" -ge 1 ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_outcome ORDER OUTCOME
wait_outcome() {
	local i
	for i in $(seq 1 $((100 * T_SLOW))); do
		[ "$(jfield "$(poll_row "$1")" outcome 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

for backend in sqlite postgres; do
	if [ $backend = sqlite ]; then
		export WXREV_HISTORY=$SQLITE WXREV_OPERATOR=tester
		op=tester
	else
		export WXREV_HISTORY=$ALICE WXREV_OPERATOR=someone-else
		op=alice # the database role, whatever the environment says
	fi
	p=${backend:0:2}

	t_begin "$backend: the pending row is committed before the first byte is sent"
	sim_paid "$p-HOLD-1"
	sim_fault "$p-HOLD-1" '{"type":"delay","ms":2500,"count":1}'
	"$WXREV_BIN" reverse --sub "Coffee Shop" --yes "$p-HOLD-1" >/dev/null 2>&1 </dev/null &
	pid=$!
	t_check "pending visible to another process" wait_outcome "$p-HOLD-1" pending
	t_eq "the simulator has not answered yet" 0 "$(sim_count "$p-HOLD-1")"
	wait "$pid"
	r=$(row "$p-HOLD-1")
	t_eq "outcome" reversed "$(jfield "$r" outcome)"
	t_eq "operator" "$op" "$(jfield "$r" operator)"
	t_eq "attempts = requests received" "$(sim_count "$p-HOLD-1")" "$(jfield "$r" attempts)"
	t_ok

	t_begin "$backend: every attempt is recorded, with its answer"
	sim_paid "$p-RETRY-1"
	sim_fault "$p-RETRY-1" '{"type":"fail_500","count":2}'
	wx reverse --sub "Coffee Shop" --yes --json "$p-RETRY-1"
	t_eq "exit status" 0 "$WX_RC"
	t_eq "three requests" 3 "$(sim_count "$p-RETRY-1")"
	id=$(jfield "$WX_OUT" history_id)
	r=$(row "$p-RETRY-1")
	t_eq "attempts" 3 "$(jfield "$r" attempts)"
	t_eq "history id" "$id" "$(jfield "$r" id)"
	t_ok

	t_begin "$backend: kill -9 mid-call; the next start shows it unknown, nothing pending"
	sim_paid "$p-KILL-1"
	sim_fault "$p-KILL-1" '{"type":"delay","ms":4000,"count":1}'
	"$WXREV_BIN" reverse --sub "Coffee Shop" --yes "$p-KILL-1" >/dev/null 2>&1 </dev/null &
	pid=$!
	t_check "pending committed" wait_outcome "$p-KILL-1" pending
	sleep 0.3
	{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
	sleep 1.2 # a desk history keeps a dead desk's claim claim_linger_s
	r=$(row "$p-KILL-1")
	t_eq "outcome" unknown "$(jfield "$r" outcome)"
	t_eq "code" INTERRUPTED "$(jfield "$r" code)"
	t_eq "nothing pending" "" "$("$WXREV_BIN" history --outcome pending --format jsonl)"
	t_ok

	t_begin "$backend: filters give the same answers"
	t_eq "by order" "$p-RETRY-1" "$("$WXREV_BIN" history --order "${p}-retry" --format jsonl | jq -r .out_trade_no)"
	t_eq "by text, short" 3 "$("$WXREV_BIN" history --text "$p-" --format jsonl | wc -l)"
	t_eq "by outcome" "$p-KILL-1" "$("$WXREV_BIN" history --outcome unknown --text "$p-" --format jsonl | jq -r .out_trade_no)"
	t_eq "by operator" 3 "$("$WXREV_BIN" history --operator "$op" --text "$p-" --format jsonl | wc -l)"
	t_eq "by another operator" 0 "$("$WXREV_BIN" history --operator "x$op" --text "$p-" --format jsonl | wc -l)"
	t_eq "csv header and rows" 4 "$("$WXREV_BIN" history --text "$p-" --format csv | wc -l)"
	t_ok

	t_begin "$backend: an order query is kept, in the operator's name"
	sim_paid "$p-QUERY-1"
	wx query --sub "Coffee Shop" "$p-QUERY-1"
	t_eq "answered" 0 "$WX_RC"
	kept=$("$WXREV_BIN" history --queries --order "${p}-query-1" --format jsonl)
	t_eq "kept, what it read, who asked" "SUCCESS $op 200 true" "$(jq -r '"\(.trade_state) \(.operator) \(.http_status) \(.verified)"' <<<"$kept")"
	t_eq "its Request-ID is the simulator's" \
		"$(jq -r --arg p "/v3/pay/partner/transactions/out-trade-no/$p-QUERY-1?" 'select(.method == "GET" and (.target | startswith($p))) | .request_id' "$MAIN_LOG")" \
		"$(jq -r .request_id <<<"$kept")"
	t_ok
done

export WXREV_HISTORY=$ALICE
t_begin "desk: history import moves a history file in once, keeping who did it"
n=$(sqlite3 -readonly "$SQLITE" "SELECT count(*) FROM reversals WHERE outcome <> 'pending'")
na=$(sqlite3 -readonly "$SQLITE" "SELECT count(*) FROM attempts")
nq=$(sqlite3 -readonly "$SQLITE" "SELECT count(*) FROM queries")
wx history import "$SQLITE"
t_eq "exit status" 0 "$WX_RC"
t_contains "says how many" "$WX_OUT" "imported $n reversals"
t_check "the file kept queries to import" test "$nq" -ge 1
t_contains "says how many queries" "$WX_OUT" "imported $nq order queries (0 were there already)"
t_eq "every kept query, in the importer's name, from tester" "$nq" \
	"$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.queries WHERE operator = 'alice' AND imported_from = 'tester'")"
t_eq "a query reads the same in the desk history" \
	"$(WXREV_HISTORY=$SQLITE "$WXREV_BIN" history --queries --order sq-QUERY-1 --format jsonl | jq -c '[.trade_state, .http_status, .verified, .request_id, .created_ms]')" \
	"$("$WXREV_BIN" history --queries --order sq-QUERY-1 --format jsonl | jq -c '[.trade_state, .http_status, .verified, .request_id, .created_ms]')"
t_eq "rows, in the importer's name, from tester" "$n" \
	"$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE operator = 'alice' AND imported_from = 'tester'")"
t_eq "every attempt" "$na" "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.attempts a JOIN wxrev.reversals r ON r.id = a.reversal_id WHERE r.imported_from IS NOT NULL")"
t_eq "the same detail" "$(WXREV_HISTORY=$SQLITE "$WXREV_BIN" history --order sq-RETRY-1 --format jsonl | jq -c '[.outcome, .attempts, .code, .created_ms]')" \
	"$("$WXREV_BIN" history --order sq-RETRY-1 --format jsonl | jq -c '[.outcome, .attempts, .code, .created_ms]')"
wx history import "$SQLITE"
t_contains "again: nothing twice" "$WX_OUT" "imported 0 reversals"
t_contains "again: says they were there" "$WX_OUT" "($n were there already)"
t_eq "still once" "$n" "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE imported_from = 'tester'")"
t_contains "again: no query twice" "$WX_OUT" "imported 0 order queries ($nq were there already)"
t_eq "queries still once" "$nq" "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.queries WHERE imported_from = 'tester'")"
wx history import "$T_TMP/no-such.db"
t_eq "a missing file" 2 "$WX_RC"
t_ok

t_begin "desk: an operator cannot keep a query in another's name, nor change one"
refused() { ! pg_psql "$@" >/dev/null 2>&1; }
t_check "insert as bob refused" refused alice -c "INSERT INTO wxrev.queries (operator, out_trade_no) VALUES ('bob', 'FAKE-000001')"
t_check "update refused" refused alice -c "UPDATE wxrev.queries SET trade_state = 'REVOKED'"
t_check "delete refused" refused alice -c "DELETE FROM wxrev.queries"
t_check "an insert posing as an import refused" refused alice -c "INSERT INTO wxrev.queries (imported_from, import_key, out_trade_no) VALUES ('bob', 'k', 'FAKE-000002')"
t_check "a plain insert is in one's own name" pg_psql alice -c "INSERT INTO wxrev.queries (out_trade_no) VALUES ('OWN-000001')"
t_eq "kept as alice" alice "$(pg_psql "$PG_SUPER" -c "SELECT operator FROM wxrev.queries WHERE out_trade_no = 'OWN-000001'")"
t_eq "the kept query is intact" "SUCCESS alice" "$(pg_psql "$PG_SUPER" -c "SELECT trade_state || ' ' || operator FROM wxrev.queries WHERE out_trade_no = 'po-QUERY-1'")"
t_ok

t_begin "desk: a colleague's live claim: nothing sent, told who and since when"
sim_paid DESK-1
sim_fault DESK-1 '{"type":"delay","ms":3000,"count":1}'
WXREV_HISTORY=$BOB "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-1 >/dev/null 2>&1 </dev/null &
pid=$!
t_check "bob's pending row" wait_outcome DESK-1 pending
wx reverse --sub "Coffee Shop" --yes DESK-1
t_eq "exit status" 2 "$WX_RC"
t_contains "names the holder" "$WX_ERR" "bob is reversing this order now (since "
t_contains "and the desk" "$WX_ERR" "from $(hostname)"
t_contains "nothing sent" "$WX_ERR" "nothing was sent"
wait "$pid"
t_eq "one request reached the simulator" 1 "$(sim_count DESK-1)"
t_eq "bob's row" "bob reversed" "$(row DESK-1 | jq -r '.operator + " " + .outcome')"
t_ok

t_begin "desk: a password in the URI is refused, and never shown"
sim_paid DESK-PW-1
wx reverse --history "postgresql://alice:s3cr3t-pw@localhost/wxrev" --sub "Coffee Shop" --yes DESK-PW-1
t_eq "exit status" 2 "$WX_RC"
t_contains "points to .pgpass" "$WX_ERR" "~/.pgpass"
[[ "$WX_OUT$WX_ERR" != *s3cr3t-pw* ]] || t_fail "the password was printed"
WXREV_HISTORY="postgres://alice:s3cr3t-pw@localhost/wxrev" wx history
t_eq "from the environment too" 2 "$WX_RC"
[[ "$WX_OUT$WX_ERR" != *s3cr3t-pw* ]] || t_fail "the password was printed"
t_eq "nothing sent" 0 "$(sim_count DESK-PW-1)"
t_ok

t_begin "desk: history: in config.yaml names the desk history"
mkdir -p "$XDG_CONFIG_HOME/wxrev"
printf 'history: %s\n' "$BOB" >"$XDG_CONFIG_HOME/wxrev/config.yaml"
r=$(env -u WXREV_HISTORY "$WXREV_BIN" history --order DESK-1 --format jsonl)
t_eq "read from the desk" bob "$(jfield "$r" operator)"
printf 'histroy: x\n' >"$XDG_CONFIG_HOME/wxrev/config.yaml"
out=$(env -u WXREV_HISTORY "$WXREV_BIN" history 2>&1)
t_contains "unknown key named with its place" "$out" "config.yaml:1:1: unknown setting"
rm -f "$XDG_CONFIG_HOME/wxrev/config.yaml"
t_ok

t_begin "desk: a role without rights is told what to grant; nothing sent"
sim_paid DESK-RIGHTS-1
wx reverse --history "$(pg_uri nobody)" --sub "Coffee Shop" --yes DESK-RIGHTS-1
t_eq "exit status" 2 "$WX_RC"
t_contains "names the grant" "$WX_ERR" "GRANT wxrev_operator TO nobody"
t_eq "nothing sent" 0 "$(sim_count DESK-RIGHTS-1)"
wx history init --history "$ALICE"
t_eq "init by an operator is refused" 2 "$WX_RC"
t_contains "says who may" "$WX_ERR" "owner"
t_ok

t_begin "desk: a read-only server (a standby) is refused before sending"
pg_psql "$PG_SUPER" -c "CREATE ROLE ro LOGIN IN ROLE wxrev_operator; ALTER ROLE ro SET default_transaction_read_only = on"
sim_paid DESK-RO-1
wx reverse --history "$(pg_uri ro)" --sub "Coffee Shop" --yes DESK-RO-1
t_eq "exit status" 2 "$WX_RC"
t_contains "says read-only" "$WX_ERR" "read-only"
t_eq "nothing sent" 0 "$(sim_count DESK-RO-1)"
wx history --history "$(pg_uri ro)" --order DESK-1 --format jsonl
t_eq "reading still works" bob "$(jfield "$WX_OUT" operator)"
t_ok

t_begin "desk: the server restarted mid-call: the answer is still recorded"
sim_paid DESK-RESTART-1
sim_fault DESK-RESTART-1 '{"type":"delay","ms":3000,"count":1}'
"$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json DESK-RESTART-1 >"$T_TMP/restart.out" 2>"$T_TMP/restart.err" </dev/null &
pid=$!
t_check "pending committed" wait_outcome DESK-RESTART-1 pending
t_check "the request is out" sent DESK-RESTART-1
pg_crash
pg_start_again || t_fail "the server did not come back"
wait "$pid"
t_eq "exit status" 0 "$?"
r=$(row DESK-RESTART-1)
t_eq "outcome" reversed "$(jfield "$r" outcome)"
t_eq "attempts = requests" "$(sim_count DESK-RESTART-1)" "$(jfield "$r" attempts)"
t_ok

t_begin "desk: the server lost mid-call: the result waits in the local journal, then lands"
sim_paid DESK-LOST-1
sim_fault DESK-LOST-1 '{"type":"delay","ms":3000,"count":1}'
WXREV_SAVE_WAIT_MS=1000 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-LOST-1 >"$T_TMP/lost.out" 2>"$T_TMP/lost.err" </dev/null &
pid=$!
t_check "pending committed" wait_outcome DESK-LOST-1 pending
t_check "the request is out" sent DESK-LOST-1
pg_stop
wait "$pid"
t_eq "one request sent" 1 "$(sim_count DESK-LOST-1)"
t_contains "says the desk history is offline" "$(cat "$T_TMP/lost.err")" "is offline"
t_contains "says where the result is kept" "$(cat "$T_TMP/lost.err")" "recovery journal"
journal=$(ls "$XDG_DATA_HOME"/wxrev/desk-*.journal 2>/dev/null | head -n 1)
t_check "a local journal" test -f "$journal"
t_eq "owner-only" 600 "$(stat -c %a "$journal" 2>/dev/null)"
pg_start_again || t_fail "the server did not come back"
r=$(row DESK-LOST-1)
t_eq "written once the server is back" reversed "$(jfield "$r" outcome)"
t_eq "attempts = requests" "$(sim_count DESK-LOST-1)" "$(jfield "$r" attempts)"
t_check "the journal is spent" test ! -e "$journal"
t_ok

t_begin "desk: the server down at start: nothing sent, the message says what to do"
pg_stop
sim_paid DESK-DOWN-1
wx reverse --sub "Coffee Shop" --yes DESK-DOWN-1
t_eq "exit status" 2 "$WX_RC"
t_contains "unreachable" "$WX_ERR" "is unreachable"
t_contains "the fix" "$WX_ERR" "start the server"
t_eq "nothing sent" 0 "$(sim_count DESK-DOWN-1)"
t_ok

t_done
