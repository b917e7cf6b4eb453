#!/usr/bin/env bash
# A desk history server that goes silent without closing the connection
# (a frozen host, a partition: no RST, no data). The server is reached
# through a TCP relay (tests/pg_relay.py) that is frozen with SIGSTOP. A
# claim that gets no answer sends nothing and says so within a bound (a
# blocking libpq call would wait for as long as the server sleeps), and is
# withdrawn by the next try if the server took it after all (a try while
# the server still holds it is told it is its own); a result that
# arrives meanwhile goes to the local journal and is written exactly once
# when the server answers again.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start sim_setup
pg_desk alice
unset WXREV_OPERATOR
# relay_uri: the desk history through the relay just started.
relay_uri() { printf 'postgresql://alice@127.0.0.1:%s/%s?sslmode=disable%s' "$PG_RELAY_PORT" "$PG_DB" "${1:-}"; }
outcome_of() { pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || attempts FROM wxrev.reversals WHERE out_trade_no = '$1'"; }
# rows_of ORDER: each row's outcome, code (- when none) and attempts, oldest first.
rows_of() { pg_psql "$PG_SUPER" -c "SELECT string_agg(outcome || ' ' || coalesce(nullif(code, ''), '-') || ' ' || attempts, '|' ORDER BY id) FROM wxrev.reversals WHERE out_trade_no = '$1'"; }
# no_advisory_locks: no session holds a claim's liveness lock.
no_advisory_locks() { [ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 2004382326")" = 0 ]; }
# try_reverses ORDER: the next try, through the relay, reverses ORDER with
# one request, and the claim that got no answer is closed as not sent.
try_reverses() {
	WXREV_HISTORY=$(relay_uri) wx reverse --sub "Coffee Shop" --yes "$1"
	t_eq "exit status: reversed" 0 "$WX_RC"
	t_eq "one request reached the simulator" 1 "$(sim_count "$1")"
	t_eq "the unanswered claim is closed as not sent, the new one reversed" \
		"failed NOT_SENT 0|reversed - 1" "$(rows_of "$1")"
}

t_begin "the server freezes as the claim is sent: nothing sent, the message names the problem and the fix"
pg_relay 'wxrev.claim(' || t_fail "the relay did not start"
sim_paid DESK-HANG-1
# No answer within WXREV_DESK_ANSWER_MS: a blocking call waits for the
# server for as long as it sleeps, past this timeout (124
# or, killed, 137).
WXREV_DESK_ANSWER_MS=2000 WXREV_HISTORY=$(relay_uri) \
	timeout -k 5 40 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-HANG-1 \
	>"$T_TMP/hang1.out" 2>"$T_TMP/hang1.err" </dev/null
WX_RC=$?
WX_ERR=$(cat "$T_TMP/hang1.err")
t_check "returned before the timeout (not 124 or 137)" test "$WX_RC" -ne 124 -a "$WX_RC" -ne 137
t_eq "exit status: nothing sent" 2 "$WX_RC"
t_eq "the relay was frozen by the claim" T "$(ps -o stat= -p "$PG_RELAY" | cut -c1)"
t_contains "names the problem" "$WX_ERR" "is not answering"
t_contains "names the fix" "$WX_ERR" "check the server and the network"
t_contains "says nothing was sent" "$WX_ERR" "nothing was sent"
t_eq "no request reached the simulator" 0 "$(sim_count DESK-HANG-1)"
kill -CONT "$PG_RELAY"
t_ok

t_begin "the frozen claim was taken after all: the next try withdraws it and reverses the order at once"
# Thawed, the server runs the claim it was given: a pending row of alice's
# that nothing was sent for. Its server process ends once it finds the
# client gone, and with it the row's liveness lock.
for _ in $(seq 1 $((100 * T_SLOW))); do
	[ "$(outcome_of DESK-HANG-1)" = "pending 0" ] && no_advisory_locks && break
	sleep 0.1
done
t_eq "the server took the claim: a pending row, nothing sent" "pending 0" "$(outcome_of DESK-HANG-1)"
# Well inside the claim's linger (30 s): without the withdrawal the row
# would hold the order against alice herself ("alice is reversing this
# order now") and then turn unknown, to be settled by a query.
try_reverses DESK-HANG-1
t_check "no journal is left" test -z "$(ls "$XDG_DATA_HOME"/wxrev/desk-*.journal 2>/dev/null)"
t_ok

t_begin "the claim's answer is lost: a try at once is told its own claim holds the order; once the server lets it go, the order is reversed"
# The server takes the claim and answers, and the answer never arrives;
# the server is not told that the client went, so its process, and the
# claim's liveness lock, live on (until its keepalives would end it).
pg_relay 'wxrev.claim(' lose || t_fail "the relay did not start"
sim_paid DESK-HANG-3
WXREV_DESK_ANSWER_MS=2000 WXREV_HISTORY=$(relay_uri) \
	timeout -k 5 40 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-HANG-3 \
	>"$T_TMP/hang3.out" 2>"$T_TMP/hang3.err" </dev/null
WX_RC=$?
t_eq "exit status: nothing sent" 2 "$WX_RC"
t_contains "says nothing was sent" "$(cat "$T_TMP/hang3.err")" "nothing was sent"
t_eq "the server took the claim: a pending row, nothing sent" "pending 0" "$(outcome_of DESK-HANG-3)"
WXREV_HISTORY=$(relay_uri) wx reverse --sub "Coffee Shop" --yes DESK-HANG-3
t_check "the try at once is refused" test "$WX_RC" -ne 0
t_contains "by alice's own earlier try, not a colleague" "$WX_ERR" "an earlier try of yours"
t_contains "says when it is let go" "$WX_ERR" "when it ends that try's connection"
t_eq "no request reached the simulator" 0 "$(sim_count DESK-HANG-3)"
# The broken connection ends: the server process goes, and its lock.
kill -USR2 "$PG_RELAY"
for _ in $(seq 1 $((100 * T_SLOW))); do no_advisory_locks && break; sleep 0.1; done
try_reverses DESK-HANG-3
t_ok

t_begin "the server freezes while WeChat Pay holds the call: journaled, then written once after it thaws"
pg_relay || t_fail "the relay did not start"
# A connect timeout of its own in the URI wins over wxrev's 10 s.
URI=$(relay_uri '&connect_timeout=2')
sim_paid DESK-HANG-2
sim_fault DESK-HANG-2 '{"type":"delay","ms":3000,"count":1}'
WXREV_DESK_ANSWER_MS=2000 WXREV_SAVE_WAIT_MS=1000 WXREV_HISTORY=$URI \
	timeout -k 5 90 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-HANG-2 \
	>"$T_TMP/hang2.out" 2>"$T_TMP/hang2.err" </dev/null &
runner=$!
for _ in $(seq 1 $((100 * T_SLOW))); do
	[ "$(outcome_of DESK-HANG-2)" = "pending 1" ] && break
	sleep 0.1
done
t_eq "pending committed, the request out" "pending 1" "$(outcome_of DESK-HANG-2)"
kill -STOP "$PG_RELAY"
wait "$runner"
rc=$?
t_check "returned before the timeout (not 124 or 137)" test "$rc" -ne 124 -a "$rc" -ne 137
t_eq "exit status: the result is not in the history yet" 3 "$rc"
t_contains "says the desk history is offline" "$(cat "$T_TMP/hang2.err")" "is offline"
t_contains "says where the result is kept" "$(cat "$T_TMP/hang2.err")" "recovery journal"
journal=$(ls "$XDG_DATA_HOME"/wxrev/desk-*.journal 2>/dev/null | head -n 1)
t_check "a local journal" test -f "$journal"
t_eq "owner-only" 600 "$(stat -c %a "$journal" 2>/dev/null)"
t_eq "still pending on the server meanwhile" "pending 1" "$(outcome_of DESK-HANG-2)"
kill -CONT "$PG_RELAY"
# The next start folds the journal in.
WXREV_HISTORY=$URI wx history --order DESK-HANG-2 --format jsonl
t_eq "exit status of the next start" 0 "$WX_RC"
t_eq "written once the server answers: reversed, one attempt" "reversed 1" "$(outcome_of DESK-HANG-2)"
t_eq "one request sent" 1 "$(sim_count DESK-HANG-2)"
t_eq "one attempt row, not two" 1 "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.attempts a JOIN wxrev.reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'DESK-HANG-2'")"
t_check "the journal is spent" test ! -e "$journal"
t_ok

t_done
