#!/usr/bin/env bash
# A desk history on a server that asks for a password: the password lives
# in ~/.pgpass or the file PGPASSFILE names, and never shows in ps, the
# history or wxrev's output; a URI carrying one is refused before any
# connection is made (the server's log counts the connections); a
# password missing or wrong is named with where it belongs.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start sim_setup
PW='Pw-of-carol-7Qx2'
pg_desk
pg_psql "$PG_SUPER" -c "ALTER SYSTEM SET log_connections = on"
# carol must give her password.
pg_password_role carol "$PW"
CAROL=$(pg_uri carol)
unset WXREV_OPERATOR
# connections: how many connections the server has been asked for so far
# (each backend logs its own before authenticating, so before a client
# that connected has gone on).
connections() { grep -c 'connection received' "$PG_DIR/server.log"; }

t_begin "no password found: named, with where it belongs; nothing sent"
sim_paid DESK-PW-1
WXREV_HISTORY=$CAROL wx reverse --sub "Coffee Shop" --yes DESK-PW-1
t_eq "exit status" 2 "$WX_RC"
t_contains "says a password is needed" "$WX_ERR" "asks for role carol's password and none was found"
t_contains "says where it goes" "$WX_ERR" "~/.pgpass"
t_eq "nothing sent" 0 "$(sim_count DESK-PW-1)"
t_ok

t_begin "PGPASSFILE: connected, and the password is in no process listing while wxrev runs"
printf '*:*:*:carol:%s\n' "$PW" >"$T_TMP/pgpass"
chmod 600 "$T_TMP/pgpass"
sim_paid DESK-PW-2
sim_fault DESK-PW-2 '{"type":"delay","ms":3000,"count":1}'
PGPASSFILE="$T_TMP/pgpass" WXREV_HISTORY=$CAROL \
	timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-PW-2 >"$T_TMP/pw2.out" 2>"$T_TMP/pw2.err" </dev/null &
runner=$!
# While the simulator holds the call: the process is alive and connected.
listing=""
for _ in $(seq 1 $((50 * T_SLOW))); do
	[ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE out_trade_no = 'DESK-PW-2'")" = 1 ] && break
	sleep 0.1
done
listing=$(ps -ef)
mine=$(ps -o args= --ppid "$runner"; ps -o args= -p "$runner")
wait "$runner"
rc=$?
t_eq "exit status" 0 "$rc"
t_contains "wxrev was running with the desk history" "$mine" "reverse"
t_eq "carol's row, reversed" "reversed carol" "$(pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || operator FROM wxrev.reversals WHERE out_trade_no = 'DESK-PW-2'")"
[[ "$listing" != *"$PW"* ]] || t_fail "the password is in ps -ef"
[[ "$(cat "$T_TMP/pw2.out" "$T_TMP/pw2.err")" != *"$PW"* ]] || t_fail "the password was printed"
t_ok

t_begin "~/.pgpass: connected; the password in no row, no export, no file wxrev wrote"
cp "$T_TMP/pgpass" "$HOME/.pgpass"
chmod 600 "$HOME/.pgpass"
sim_paid DESK-PW-3
WXREV_HISTORY=$CAROL wx reverse --sub "Coffee Shop" --yes DESK-PW-3
t_eq "exit status" 0 "$WX_RC"
[[ "$WX_OUT$WX_ERR" != *"$PW"* ]] || t_fail "the password was printed"
WXREV_HISTORY=$CAROL wx history --format jsonl
t_contains "the history lists carol's rows" "$WX_OUT" '"DESK-PW-3"'
[[ "$WX_OUT" != *"$PW"* ]] || t_fail "the password is in the history"
WXREV_HISTORY=$CAROL wx history --format csv
[[ "$WX_OUT" != *"$PW"* ]] || t_fail "the password is in the CSV export"
t_eq "no row or request holds it" 0 "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals r
	LEFT JOIN wxrev.attempts a ON a.reversal_id = r.id
	WHERE strpos(row_to_json(r)::text || coalesce(row_to_json(a)::text, ''), '$PW') > 0")"
t_eq "no file under HOME but the password file holds it" "$HOME/.pgpass" "$(grep -rlF -- "$PW" "$HOME")"
rm -f "$HOME/.pgpass"
t_ok

t_begin "a password in the URI is refused before any connection is made"
sim_paid DESK-PW-4
before=$(connections)
uri="postgresql://carol:$PW@/$PG_DB?host=$PG_DIR&port=$PG_PORT"
wx reverse --history "$uri" --sub "Coffee Shop" --yes DESK-PW-4
t_eq "exit status" 2 "$WX_RC"
t_contains "says why and where it belongs" "$WX_ERR" "carries a password"
t_contains "points to .pgpass" "$WX_ERR" "~/.pgpass"
[[ "$WX_OUT$WX_ERR" != *"$PW"* ]] || t_fail "the password was printed"
WXREV_HISTORY="postgresql:///$PG_DB?host=$PG_DIR&port=$PG_PORT&user=carol&password=$PW" wx history
t_eq "as a parameter, from the environment: refused too" 2 "$WX_RC"
[[ "$WX_OUT$WX_ERR" != *"$PW"* ]] || t_fail "the password was printed"
printf 'history: %s\n' "$uri" >"$T_TMP/config.yaml"
mkdir -p "$XDG_CONFIG_HOME/wxrev" && cp "$T_TMP/config.yaml" "$XDG_CONFIG_HOME/wxrev/config.yaml"
wx history init
t_eq "from config.yaml, even for init: refused" 2 "$WX_RC"
[[ "$WX_OUT$WX_ERR" != *"$PW"* ]] || t_fail "the password was printed"
rm -f "$XDG_CONFIG_HOME/wxrev/config.yaml"
t_eq "the server was asked for no connection" "$before" "$(connections)"
t_eq "nothing sent" 0 "$(sim_count DESK-PW-4)"
t_ok

t_begin "a wrong password: refused by the server, named, never shown"
printf '*:*:*:carol:%s\n' "not-$PW" >"$T_TMP/pgpass-wrong"
chmod 600 "$T_TMP/pgpass-wrong"
sim_paid DESK-PW-5
PGPASSFILE="$T_TMP/pgpass-wrong" WXREV_HISTORY=$CAROL wx reverse --sub "Coffee Shop" --yes DESK-PW-5
t_eq "exit status" 2 "$WX_RC"
t_contains "says the password was refused" "$WX_ERR" "refused role carol's password"
t_contains "says where to correct it" "$WX_ERR" "PGPASSFILE"
[[ "$WX_OUT$WX_ERR" != *"$PW"* ]] || t_fail "a password was printed"
t_eq "nothing sent" 0 "$(sim_count DESK-PW-5)"
t_ok

t_begin "the right password and a database that is not there: not called a password problem"
printf '*:*:*:carol:%s\n' "$PW" >"$T_TMP/pgpass"
chmod 600 "$T_TMP/pgpass"
PGPASSFILE="$T_TMP/pgpass" wx history --history "postgresql:///no_such_db?host=$PG_DIR&port=$PG_PORT&user=carol"
t_eq "exit status" 2 "$WX_RC"
t_contains "the server's reason" "$WX_ERR" "no_such_db"
t_lacks "no password advice" "$WX_ERR" "refused role carol's password"
t_ok

t_done
