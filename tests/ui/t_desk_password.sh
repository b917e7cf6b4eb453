#!/usr/bin/env bash
# The desk password never on screen, in a real terminal: the UI runs on a
# server that asks for a password, given in the file PGPASSFILE names; every
# screen an operator walks (start, a reversal's result, the history pane, a
# detail view, the help, a server stopped, a wrong or missing password at
# start) is captured with its scrollback and none holds the password; the
# wrong one is named as a password problem.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start ui_setup '[]'
PW='Pw-of-dora-5Kv9'
pg_desk
pg_password_role dora "$PW"
export WXREV_HISTORY=$(pg_uri dora)
printf '*:*:*:dora:%s\n' "$PW" >"$T_TMP/pgpass"
printf '*:*:*:dora:%s\n' "not-$PW" >"$T_TMP/pgpass-wrong"
: >"$T_TMP/pgpass-none"
chmod 600 "$T_TMP"/pgpass*
SHOTS=0
# shot NAME: the whole pane, wrapped lines joined, scrollback included,
# must not hold the password (nor the wrong one, which contains it).
shot() {
	local screen
	screen=$(tmux_ capture-pane -p -J -S - -t "$UI_SESSION")
	SHOTS=$((SHOTS + 1))
	t_lacks "no password on the screen: $1" "$screen" "$PW"
}

t_begin "the right password from PGPASSFILE: start, result, history, detail, help, server stopped: never on screen"
ui_start_ok 100 30 "PGPASSFILE=$T_TMP/pgpass"
t_check "the desk history, with its operator column" ui_wait_for "operator" $((5 * T_SLOW))
shot start
sim_paid DESK-PWUI-1
ui_review "Coffee" DESK-PWUI-1
shot confirmation
ui_yes
t_check "the result" ui_wait_for "$(L "Result: " "结果：")" $((10 * T_SLOW))
shot result
ui_keys Escape
t_eq "dora's row, reversed" "reversed dora" "$(pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || operator FROM wxrev.reversals WHERE out_trade_no = 'DESK-PWUI-1'")"
ui_focus History
t_check "the history pane shows it" ui_wait_for DESK-PWUI-1 $((5 * T_SLOW))
t_contains "as dora's" "$(ui_line_with DESK-PWUI-1)" "dora"
shot history
ui_open_detail DESK-PWUI-1
shot detail
ui_keys PageDown
shot "detail, further down"
ui_keys Escape
ui_keys F1
t_check "the help" ui_wait_for "F10" $((3 * T_SLOW))
shot help
ui_keys Escape
pg_stop
sim_paid DESK-PWUI-2
ui_review "Coffee" DESK-PWUI-2
ui_yes
t_check "the server stopped: said so" ui_wait_for "nothing was sent" $((15 * T_SLOW))
shot "server stopped"
t_eq "nothing sent while it was down" 0 "$(sim_count DESK-PWUI-2)"
pg_start_again || t_fail "the server did not come back"
ui_keys F10
ui_wait_exit $((10 * T_SLOW))
shot exit
ui_stop
t_ok

# start_refused PASSFILE: wxrev started with PASSFILE stops at start;
# what the pane shows then, scrollback included, in SCREEN.
start_refused() {
	ui_start 100 30 "PGPASSFILE=$1"
	t_check "wxrev stops at start" ui_wait_exit $((15 * T_SLOW))
	SCREEN=$(tmux_ capture-pane -p -J -S - -t "$UI_SESSION")
	shot "at start, with ${1##*/}"
	ui_stop
}

t_begin "a wrong password in PGPASSFILE: named as a password problem on screen, never shown"
start_refused "$T_TMP/pgpass-wrong"
t_contains "named as a refused password" "$SCREEN" "refused role dora's password"
t_contains "says where to correct it" "$SCREEN" "PGPASSFILE"
t_ok

t_begin "no password in PGPASSFILE: named, with where it belongs"
start_refused "$T_TMP/pgpass-none"
t_contains "named as a missing password" "$SCREEN" "asks for role dora's password and none was found"
t_check "every screen walked was captured" test "$SHOTS" -eq 11
t_ok

t_done
