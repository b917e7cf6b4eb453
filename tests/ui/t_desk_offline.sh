#!/usr/bin/env bash
# A desk history server that stops answering (a remote host gone, packets
# dropped) while a reversal is out: the screen keeps answering keys while
# wxrev tries to reconnect, the status bar counts the results waiting, and
# they land once the server answers again. The server is reached through
# a small TCP relay that can turn into a black hole: connections are taken
# and never answered, as from a host that is gone. Or it freezes (SIGSTOP:
# no RST, no data, a frozen host): the statement that gets no answer is
# given up after WXREV_DESK_ANSWER_MS, a new order is refused with the
# problem named and nothing sent, and after SIGCONT the result is written
# exactly once.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start ui_setup '[]'
pg_desk alice

# The relay (lib_pg.sh): SIGUSR1 drops every relayed connection and answers
# nothing from then on, SIGUSR2 relays again; SIGSTOP freezes it.
pg_relay || t_setup_fail "the relay did not start"
RELAY=$PG_RELAY
export WXREV_HISTORY="postgresql://alice@127.0.0.1:$PG_RELAY_PORT/$PG_DB?sslmode=disable"

# echo_ms TEXT: types TEXT into the order field and prints how long the
# screen took to show the field's new content (EXPECT, global).
EXPECT=""
echo_ms() {
	local start end
	EXPECT="$EXPECT$1"
	start=$(date +%s%3N)
	ui_type "$1"
	until ui_line_with "$(L "Order number" "商户订单号")" | grep -qF -- "$EXPECT"; do
		[ $(($(date +%s%3N) - start)) -gt 30000 ] && break
		sleep 0.02
	done
	end=$(date +%s%3N)
	echo $((end - start))
}

t_begin "the server stops answering while a reversal is out: keys still answered, results counted, then written"
ui_start_ok
t_check "the desk history is reached through the relay" test "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice'")" -ge 1
sim_paid DESK-OFF-1
sim_fault DESK-OFF-1 '{"type":"delay","ms":3000,"count":1}'
ui_review "Coffee" DESK-OFF-1
ui_yes
for _ in $(seq 1 50); do
	[ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE out_trade_no = 'DESK-OFF-1'")" = 1 ] && break
	sleep 0.1
done
kill -USR1 "$RELAY"
ui_focus Order
t_check "the status bar says so" ui_wait_for "desk history offline — 1 results waiting" $((20 * T_SLOW))
# Longer than a blocking connect's 10 s timeout: every key typed in that
# time shows at once, not after the connect gives up.
worst=0
for c in A B C D E F G H I J K L M N; do
	ms=$(echo_ms "$c")
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.5
done
t_check "every key shown within 2 s while reconnecting (slowest: ${worst} ms)" test "$worst" -le $((2000 * T_SLOW))
t_contains "still offline meanwhile" "$(ui_screen)" "desk history offline — 1 results waiting"
t_eq "one request sent" 1 "$(sim_count DESK-OFF-1)"
kill -USR2 "$RELAY"
landed() { [ "$(pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || attempts FROM wxrev.reversals WHERE out_trade_no = 'DESK-OFF-1'")" = "reversed 1" ]; }
for _ in $(seq 1 $((300 * T_SLOW))); do landed && break; sleep 0.1; done
t_check "written once the server answers again" landed
t_check "the status bar clears" ui_wait_gone "desk history offline" $((10 * T_SLOW))
t_ok

outcome_of() { pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || attempts FROM wxrev.reversals WHERE out_trade_no = '$1'"; }

t_begin "the server freezes while a reversal is out: keys answered, result counted, a new order refused, then written once"
ui_stop
ui_start_ok 100 30 WXREV_DESK_ANSWER_MS=2000
sim_paid DESK-FRZ-1
sim_fault DESK-FRZ-1 '{"type":"delay","ms":3000,"count":1}'
ui_review "Coffee" DESK-FRZ-1
ui_yes
for _ in $(seq 1 $((50 * T_SLOW))); do [ "$(outcome_of DESK-FRZ-1)" = "pending 1" ] && break; sleep 0.1; done
t_eq "pending committed, the request out" "pending 1" "$(outcome_of DESK-FRZ-1)"
kill -STOP "$PG_RELAY"
# The answer's write waits for the frozen server: the screen says so
# rather than standing still.
t_check "the message line says wxrev waits for the desk history" \
	ui_wait_for "Waiting for the desk history: no answer for" $((15 * T_SLOW))
t_contains "and when it stops waiting" "$(ui_screen)" "(wxrev stops waiting at 2 s)"
ui_focus Order
t_check "the status bar says the desk history is offline" ui_wait_for "desk history offline — 1 results waiting" $((30 * T_SLOW))
t_check "the wait is no longer shown" ui_wait_gone "Waiting for the desk history" $((5 * T_SLOW))
# Longer than the answer timeout: every key typed shows at once.
ui_keys C-u
typed=""
for c in A B C D E F G H I J; do
	typed="$typed$c"
	ui_type "$c"
	t_check "key $c shown within 2 s" ui_wait_for "$typed" $((2 * T_SLOW))
	sleep 0.5
done
t_contains "still offline meanwhile" "$(ui_screen)" "desk history offline — 1 results waiting"
t_eq "one request sent" 1 "$(sim_count DESK-FRZ-1)"

sim_paid DESK-FRZ-2
ui_review "Coffee" DESK-FRZ-2
ui_yes
t_check "a new order: the problem named" ui_wait_for "is not answering" $((15 * T_SLOW))
t_contains "and nothing sent" "$(ui_screen)" "nothing was sent"
t_eq "no request for the new order" 0 "$(sim_count DESK-FRZ-2)"
t_eq "the frozen server still holds the first as pending" "pending 1" "$(outcome_of DESK-FRZ-1)"

kill -CONT "$PG_RELAY"
landed() { [ "$(outcome_of DESK-FRZ-1)" = "reversed 1" ]; }
for _ in $(seq 1 $((300 * T_SLOW))); do landed && break; sleep 0.1; done
t_check "written once the server answers again" landed
t_eq "one attempt row, not two" 1 "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.attempts a JOIN wxrev.reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'DESK-FRZ-1'")"
t_check "the status bar clears" ui_wait_gone "desk history offline" $((15 * T_SLOW))
t_ok

ui_stop
t_done
