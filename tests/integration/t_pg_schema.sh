#!/usr/bin/env bash
# The desk history's schema (docs/postgres.sql) on a real PostgreSQL: the
# claim across desks, what a client crash and a server restart do to it, and
# what an operator's role may and may not touch (tried through psql).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_pg.sh"

if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	t_begin "the test server starts where /dev/null is not writable by others"
	# A machine like CI's: /dev/null mode 0600, in a private mount namespace
	# of this test only.
	out=$(unshare -m --propagation private -- bash -c '
		d=$(mktemp -d) && mount -t tmpfs -o size=64k none "$d" &&
		mknod -m 600 "$d/null" c 1 3 && mount --bind "$d/null" /dev/null &&
		stat -c %a /dev/null &&
		. "$1/tests/lib.sh" && . "$1/tests/lib_pg.sh" &&
		pg_start && echo "dir=$PG_DIR" &&
		echo "pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")" &&
		pg_psql "$PG_SUPER" -c "SELECT 40 + 2"' sh "$T_ROOT" 2>&1)
	t_contains "mode inside" "$out" "600"
	t_contains "server answered" "$out" "42"
	dir=$(sed -n 's/^dir=//p' <<<"$out")
	pid=$(sed -n 's/^pid=//p' <<<"$out")
	t_check "names its folder" test -n "$dir"
	t_check "names its server" test -n "$pid"
	# Its own server only (other suites may run PostgreSQL meanwhile): the
	# pid it wrote, unless that pid now belongs to something else.
	t_check "no server left running" bash -c '! grep -qaF -- "$1" "/proc/$2/cmdline" 2>/dev/null' _ "$dir/data" "$pid"
	t_check "its folder removed" test ! -e "$dir"
	t_ok
fi

pg_start || t_setup_fail "PostgreSQL did not start"

t_begin "the schema applies on an empty database, with roles, at its newest version"
if pg_schema alice bob; then
	t_eq "version" 4 "$(pg_psql "$PG_SUPER" -c 'SELECT version FROM wxrev.meta')"
	t_eq "pg_trgm" 1 "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")"
	pg_psql "$PG_SUPER" -c "CREATE ROLE carol LOGIN; GRANT wxrev_reader TO carol"
	# A short grace after a server start keeps the restart tests quick.
	pg_psql "$PG_SUPER" -c "UPDATE wxrev.meta SET restart_grace_s = 4, claim_linger_s = 1"
	pg_past_grace
else
	t_fail "docs/postgres.sql did not apply"
fi
t_ok

# claim AS_SESSION ORDER: "id|holder|holder_desk" from wxrev.claim.
claim() {
	pg_session "$1" "SELECT coalesce(id::text, ''), coalesce(holder, ''), coalesce(holder_desk, '')
		FROM wxrev.claim(NULL, 'Demo', '1230000109', 'Coffee Shop', '1900000109', '$2',
		'https://api.mch.weixin.qq.com', 'desk-$1', 42)"
}
pending_of() {
	pg_psql "$PG_SUPER" -c "SELECT operator FROM wxrev.reversals
		WHERE out_trade_no = '$1' AND outcome = 'pending'"
}

t_begin "a live claim elsewhere on the desk refuses a second one and names its holder"
pg_session_open alice alice
pg_session_open bob bob
a=$(claim alice CLAIM-1)
[[ $a =~ ^[0-9]+\|\|$ ]] || t_fail "alice's claim: $a"
t_eq "bob is told who holds it" "|alice|desk-alice" "$(claim bob CLAIM-1)"
t_eq "still one pending row, alice's" alice "$(pending_of CLAIM-1)"
c2=$(claim bob CLAIM-2)
t_eq "another order is free" "" "$(cut -d'|' -f2 <<<"$c2")"
pg_session bob "SELECT wxrev.finish(${c2%%|*}, 'rejected', 404, 'ORDER_NOT_EXIST', NULL, 3)" >/dev/null
t_ok

t_begin "a desk killed mid-reversal: its claim lingers while its request may be out, then frees"
pg_psql "$PG_SUPER" -c "UPDATE wxrev.meta SET claim_linger_s = 30"
kill -9 "$(pg_session_pid alice)"
t_eq "at once: still held" "|alice|desk-alice" "$(claim bob CLAIM-1)"
pg_psql "$PG_SUPER" -c "UPDATE wxrev.meta SET claim_linger_s = 1"
sleep 1.2 # past the linger since alice's row last changed
b=$(claim bob CLAIM-1)
[[ $b =~ ^[0-9]+\|\|$ ]] || t_fail "bob's claim after alice died: $b"
t_eq "alice's row" "unknown|INTERRUPTED" "$(pg_psql "$PG_SUPER" -c "SELECT outcome, code FROM wxrev.reversals
	WHERE out_trade_no = 'CLAIM-1' AND operator = 'alice'")"
t_eq "the pending row is bob's" bob "$(pending_of CLAIM-1)"
t_ok

t_begin "the owner finishes its own claim; the order is free again"
id=$(pg_psql "$PG_SUPER" -c "SELECT id FROM wxrev.reversals WHERE out_trade_no = 'CLAIM-1' AND operator = 'bob'")
pg_session bob "SELECT wxrev.attempt($id, 1, 0, 'u', NULL, NULL, 200, NULL, NULL, 'ok', NULL, 12, 'R1')" >/dev/null
pg_session bob "SELECT wxrev.finish($id, 'reversed', 200, NULL, NULL, 12)" >/dev/null
t_eq "bob's row" "reversed|1" "$(pg_psql "$PG_SUPER" -c "SELECT outcome, attempts FROM wxrev.reversals WHERE id = $id")"
t_eq "nothing pending" "" "$(pending_of CLAIM-1)"
t_ok

t_begin "after a server restart a claim waits for its desk to come back, and the desk takes it back"
pg_session_open dave bob
d=$(claim dave RESTART-1)
did=${d%%|*}
pg_crash
pg_start_again || t_fail "server did not start again"
pg_session_open bob2 bob
t_eq "right after the restart" "|bob|desk-dave" "$(claim bob2 RESTART-1 | cut -d'|' -f1-3)"
pg_session_open dave2 bob
t_eq "the desk takes its lock back" t "$(pg_session dave2 "SELECT wxrev.relock($did)")"
sleep 4.5
pg_session_open alice2 alice
t_eq "after the grace, still held" "|bob|desk-dave" "$(claim alice2 RESTART-1)"
t_eq "recover leaves a live row alone" 0 "$(pg_psql "$PG_SUPER" -c 'SELECT wxrev.recover()')"
t_ok

t_begin "a pending row nobody takes back after a restart is recovered once the grace ends"
pg_session_open erin bob
e=$(claim erin RESTART-2)
pg_crash
pg_start_again || t_fail "server did not start again"
t_eq "within the grace nothing is recovered" 0 "$(pg_psql "$PG_SUPER" -c 'SELECT wxrev.recover()')"
pg_past_grace
t_eq "after it" 2 "$(pg_psql "$PG_SUPER" -c 'SELECT wxrev.recover()')"
t_eq "no pending row left" 0 "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE outcome = 'pending'")"
t_ok

alice_id=$(pg_psql "$PG_SUPER" -c "SELECT max(id) FROM wxrev.reversals WHERE operator = 'alice'")
pg_psql "$PG_SUPER" -c "UPDATE wxrev.reversals SET outcome = 'pending' WHERE id = $alice_id" # as if live
# denied ROLE SQL [ERROR]: the statement must fail with a permission error.
denied() {
	local out
	if out=$(pg_psql "$1" -c "$2" 2>&1); then
		t_fail "$1 was allowed: $2 ($out)"
		return
	fi
	[[ $out == *"permission denied"* || $out == *"not an unfinished reversal of"* || $out == *"${3:-permission denied}"* ]] ||
		t_fail "$1: $2: unexpected error: $out"
}

t_begin "an operator cannot update or delete a colleague's rows (psql)"
before=$(pg_psql "$PG_SUPER" -c "SELECT outcome, attempts, operator FROM wxrev.reversals WHERE id = $alice_id")
denied bob "UPDATE wxrev.reversals SET outcome = 'reversed' WHERE id = $alice_id"
denied bob "DELETE FROM wxrev.reversals WHERE id = $alice_id"
denied bob "DELETE FROM wxrev.attempts"
denied bob "TRUNCATE wxrev.reversals"
denied bob "SELECT wxrev.finish($alice_id, 'reversed', 200, NULL, NULL, 1)"
denied bob "SELECT wxrev.attempt($alice_id, 9, 0, 'u', NULL, NULL, 200, NULL, NULL, NULL, NULL, 1, NULL)"
denied bob "INSERT INTO wxrev.reversals (operator, out_trade_no) VALUES ('alice', 'FORGED-1')"
denied bob "INSERT INTO wxrev.attempts (reversal_id, n, started_ms) VALUES ($alice_id, 9, 0)"
denied bob "ALTER TABLE wxrev.reversals DISABLE ROW LEVEL SECURITY" "must be owner"
t_eq "alice's row unchanged" "$before" "$(pg_psql "$PG_SUPER" -c "SELECT outcome, attempts, operator FROM wxrev.reversals WHERE id = $alice_id")"
t_ok

t_begin "an operator's own rows: inserted in its own name, never deleted by it"
t_eq "plain insert names the session user" bob "$(pg_psql bob -c "INSERT INTO wxrev.reversals (out_trade_no) VALUES ('OWN-1') RETURNING operator")"
denied bob "DELETE FROM wxrev.reversals WHERE out_trade_no = 'OWN-1'"
denied bob "UPDATE wxrev.reversals SET note = 'x' WHERE out_trade_no = 'OWN-1'"
t_ok

t_begin "a reader reads and writes nothing; the owner alone deletes"
t_eq "reader reads" 1 "$(pg_psql carol -c "SELECT count(*) FROM wxrev.reversals WHERE out_trade_no = 'OWN-1'")"
denied carol "INSERT INTO wxrev.reversals (out_trade_no) VALUES ('READER-1')"
denied carol "SELECT * FROM wxrev.claim(NULL, 'p', '1', 's', '2', 'READER-2', NULL, 'd', 1)"
t_eq "owner deletes" 1 "$(pg_psql "$PG_SUPER" -c "WITH d AS (DELETE FROM wxrev.reversals WHERE out_trade_no = 'OWN-1' RETURNING 1) SELECT count(*) FROM d")"
t_ok

t_begin "the history filter is served by the trigram index"
plan=$(pg_psql "$PG_SUPER" -c "SET enable_seqscan = off; EXPLAIN SELECT id FROM wxrev.reversals WHERE search LIKE '%laim-%'")
t_contains "plan" "$plan" "reversals_search"
t_ok

t_begin "a desk at schema version 3 moves forward to 4 with history init, keeping its rows"
pg_psql "$PG_SUPER" -d postgres -c "CREATE DATABASE wxrev_v3" >/dev/null
# The schema file as it stood at version 3: everything above version 4.
sed '/^-- wxrev schema version 4$/,$d' "$T_ROOT/docs/postgres.sql" >"$T_TMP/postgres-v3.sql"
pg_psql "$PG_SUPER" -d wxrev_v3 -1 -f "$T_TMP/postgres-v3.sql" >/dev/null
pg_psql "$PG_SUPER" -d wxrev_v3 -c "INSERT INTO wxrev.queries (out_trade_no, trade_state) VALUES ('OLD-000001', 'SUCCESS')"
t_eq "at 3" 3 "$(pg_psql "$PG_SUPER" -d wxrev_v3 -c 'SELECT version FROM wxrev.meta')"
v3="postgresql:///wxrev_v3?host=$PG_DIR&port=$PG_PORT&user=$PG_SUPER"
out=$("$WXREV_BIN" history --history "$v3" 2>&1)
t_contains "an operator is told to run init" "$out" "run wxrev history init"
t_contains "init says so" "$("$WXREV_BIN" history init --history "$v3" 2>&1)" "schema version 3 -> 4"
t_eq "at 4" 4 "$(pg_psql "$PG_SUPER" -d wxrev_v3 -c 'SELECT version FROM wxrev.meta')"
t_eq "the kept query is still there" SUCCESS "$(pg_psql "$PG_SUPER" -d wxrev_v3 -c "SELECT trade_state FROM wxrev.queries WHERE out_trade_no = 'OLD-000001'")"
t_ok

t_done
