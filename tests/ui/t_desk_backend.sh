#!/usr/bin/env bash
# Only wxrev's own server process freezes (SIGSTOP): the server itself and
# every colleague's session stay up, and the connection looks healthy. The
# statement that meets it (the claim's look for a live colleague, just
# before the claim) gets no answer: nothing is sent, the screen says why,
# wxrev drops that session and the next try, on a new one, reverses the
# order. The frozen process, thawed, finds its client gone and ends.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start ui_setup '[]'
pg_desk alice
export WXREV_HISTORY=$(pg_uri alice)
rows_of() { pg_psql "$PG_SUPER" -c "SELECT count(*) || ' ' || coalesce(string_agg(outcome || ' ' || attempts, '|' ORDER BY id), '') FROM wxrev.reversals WHERE out_trade_no = '$1'"; }
sessions() { pg_psql "$PG_SUPER" -c "SELECT pid FROM pg_stat_activity WHERE usename = 'alice'"; }

t_begin "wxrev's own server process freezes as an order is sent: nothing sent, the next try reverses it"
ui_start_ok 100 30 WXREV_DESK_ANSWER_MS=2000
sim_paid DESK-BE-1
# Frozen once the confirmation has read what colleagues did with the
# order: the next statement is the send's.
ui_review "Coffee" DESK-BE-1
pid=$(sessions)
t_eq "one session of wxrev's on the server" 1 "$(wc -w <<<"$pid")"
kill -STOP "$pid"
t_eq "colleagues' sessions still answered" 1 "$(pg_psql "$PG_SUPER" -c "SELECT 1")"
ui_yes
t_check "the screen says nothing was sent" ui_wait_for "nothing was sent because the history cannot be written" $((15 * T_SLOW))
t_eq "no request reached the simulator" 0 "$(sim_count DESK-BE-1)"
t_eq "no row for it" "0 " "$(rows_of DESK-BE-1)"
t_check "wxrev left the frozen session for a new one" ui_poll test "$(sessions | grep -vcx "$pid")" -ge 1
kill -CONT "$pid"
for _ in $(seq 1 $((50 * T_SLOW))); do [ ! -d "/proc/$pid" ] && break; sleep 0.1; done
t_check "thawed, the frozen process ended" test ! -d "/proc/$pid"
ui_review "Coffee" DESK-BE-1
ui_yes
t_check "the next try is reversed" ui_wait_for "DESK-BE-1: reversed" $((15 * T_SLOW))
t_eq "one request reached the simulator" 1 "$(sim_count DESK-BE-1)"
t_eq "one row, reversed with one attempt" "1 reversed 1" "$(rows_of DESK-BE-1)"
t_eq "nothing pending or unknown on the desk" 0 \
	"$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE outcome IN ('pending', 'unknown')")"
t_ok

ui_stop
t_done
