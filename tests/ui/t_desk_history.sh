#!/usr/bin/env bash
# A desk history on PostgreSQL in the terminal UI: a colleague's reversal
# appears without a key press, the confirmation says what a colleague did,
# and an order a colleague is reversing right now is not sent again.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start ui_setup '[]'
pg_desk alice bob
export WXREV_HISTORY=$(pg_uri alice)
BOB=$(pg_uri bob)

t_begin "a colleague's reversal appears in the history pane by itself"
ui_start_ok
sim_paid DESK-UI-1
WXREV_HISTORY=$BOB "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-UI-1 >/dev/null 2>&1 </dev/null
t_check "shown within a few seconds, no key pressed" ui_wait_for "DESK-UI-1" $((3 * T_SLOW))
t_ok

t_begin "the confirmation says what a colleague did with the order"
ui_review "Coffee" DESK-UI-1
t_contains "reversed by bob" "$(ui_screen)" "by bob"
ui_keys Escape
t_ok

t_begin "an order a colleague is reversing now: told who, nothing sent"
sim_paid DESK-UI-2
# Held long enough that alice's keys all land while bob's call is out.
sim_fault DESK-UI-2 "{\"type\":\"delay\",\"ms\":$((8000 * T_SLOW)),\"count\":1}"
WXREV_HISTORY=$BOB "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-UI-2 >/dev/null 2>&1 </dev/null &
bob=$!
for _ in $(seq 1 50); do
	[ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE out_trade_no = 'DESK-UI-2'")" = 1 ] && break
	sleep 0.1
done
ui_review "Coffee" DESK-UI-2
t_check "the warning, on the confirmation" ui_wait_for "bob is reversing this order now" $((5 * T_SLOW))
t_contains "only cancel is offered" "$(ui_screen)" "held elsewhere"
sleep 1
ui_keys y # refused: nothing to send while bob holds it
sleep 1
ui_keys Escape
wait "$bob"
t_eq "one request reached the simulator" 1 "$(sim_count DESK-UI-2)"
t_eq "alice wrote no row" "" "$(pg_psql "$PG_SUPER" -c "SELECT id FROM wxrev.reversals WHERE out_trade_no = 'DESK-UI-2' AND operator = 'alice'")"
t_ok

t_begin "the operator column names who did it; @bob keeps only bob's rows (filtered by the server)"
sim_paid DESK-UI-4
WXREV_HISTORY=$(pg_uri alice) "$WXREV_BIN" reverse --sub "Coffee Shop" --yes DESK-UI-4 >/dev/null 2>&1 </dev/null
ui_focus History
t_check "alice's row shows" ui_wait_for "DESK-UI-4" $((3 * T_SLOW))
t_contains "the heading names the column" "$(ui_screen)" "operator"
t_contains "alice's row says alice" "$(ui_line_with DESK-UI-4)" "alice"
t_contains "bob's row says bob" "$(ui_line_with DESK-UI-1)" "bob"
t_lacks "bob's row does not say alice" "$(ui_line_with DESK-UI-1)" "alice"
ui_keys /
ui_type "@bob"
t_check "alice's row leaves" ui_poll ui_history_lacks "DESK-UI-4"
t_contains "bob's rows stay" "$(ui_screen)" "DESK-UI-1"
t_contains "and his other one" "$(ui_screen)" "DESK-UI-2"
ui_keys Escape
t_check "Esc shows everyone's again" ui_wait_for "DESK-UI-4" $((3 * T_SLOW))
ui_keys /
ui_type "@bob UI-1"
t_check "@bob with text: his rows that match" ui_poll ui_history_lacks "DESK-UI-2"
t_contains "the match stays" "$(ui_screen)" "DESK-UI-1"
ui_keys Escape
ui_resize 80 24
t_check "narrow: the rows are still drawn" ui_wait_for "DESK-UI-4" $((3 * T_SLOW))
t_lacks "narrow: the operator column is left out" "$(ui_screen)" "operator"
for line in "$(ui_line_with DESK-UI-4)" "$(ui_line_with DESK-UI-1)"; do
	t_eq "narrow: a row fills the 80 columns, no more" 80 "$(ui_width "$line")"
done
ui_resize 100 30
t_check "wide again: the column is back" ui_wait_for "operator" $((3 * T_SLOW))
t_ok

t_begin "the server lost while a reversal is out: the status bar counts the results waiting, then they land"
sim_paid DESK-UI-3
sim_fault DESK-UI-3 '{"type":"delay","ms":3000,"count":1}'
ui_review "Coffee" DESK-UI-3
ui_yes
for _ in $(seq 1 50); do
	[ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE out_trade_no = 'DESK-UI-3'")" = 1 ] && break
	sleep 0.1
done
pg_stop
t_check "the status bar says so" ui_wait_for "desk history offline — 1 results waiting" $((10 * T_SLOW))
t_eq "one request sent" 1 "$(sim_count DESK-UI-3)"
pg_start_again || t_fail "the server did not come back"
landed() { [ "$(pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || operator FROM wxrev.reversals WHERE out_trade_no = 'DESK-UI-3'")" = "reversed alice" ]; }
for _ in $(seq 1 $((100 * T_SLOW))); do landed && break; sleep 0.1; done
t_check "written once the server is back" landed
t_check "the status bar clears" ui_wait_gone "desk history offline" $((10 * T_SLOW))
t_ok

ui_stop
t_done
