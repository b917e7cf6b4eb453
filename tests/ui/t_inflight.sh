#!/usr/bin/env bash
# While a reversal is in flight: the UI keeps drawing and scrolling, the
# same order cannot be sent twice, and quitting asks first.
. "$(dirname "$0")/lib_ui.sh"

ui_setup '[]' || t_setup_fail "the simulator did not start"

# send ORDER: from the order form, through the confirmation.
send() {
	ui_focus Order
	ui_keys C-u
	ui_type "$1"
	ui_wait_for "Enter to review" 5 || return 1
	ui_keys Enter
	ui_wait_for "Reverse this order?" 5 || return 1
	ui_yes
}

# lock_history SECONDS: another program holds the history's write lock
# for that long, in the background, as one process: $lock (kill lets go).
lock_history() {
	rm -f "$T_TMP/locked"
	python3 -c 'import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[3], "w").close()
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")' "$WXREV_HISTORY" "$1" "$T_TMP/locked" &
	lock=$!
	# Returns once the lock is held: on a busy machine python's start
	# could otherwise outlast the answer it is meant to get in front of.
	for _ in $(seq 100); do
		[ -e "$T_TMP/locked" ] && return 0
		sleep 0.1
	done
	t_fail "the history lock was not taken within 10 s"
}

t_begin "the same order cannot be sent twice while it is in flight"
sim_fault UI-SLOW-1 '{"type":"delay","ms":4000}'
ui_start_ok
send UI-SLOW-1
ui_wait_for "sending UI-SLOW-1" 5
ui_wait_for "pending" 5
# The spinner moves: two captures a moment apart differ on that line.
a=$(ui_line_with "sending UI-SLOW-1")
sleep 0.5
b=$(ui_line_with "sending UI-SLOW-1")
[ "$a" != "$b" ] || t_fail "the spinner and elapsed time do not move: $a"
t_eq "the send emptied the order field" "" "$(ui_line_with "Order number" | sed 's/.*Order number *//; s/ *│.*//')"
ui_type UI-SLOW-1
ui_keys Enter
ui_wait_for "already in flight" 3
t_contains "no second confirmation" "$(ui_screen)" "Order UI-SLOW-1 for 1900000109 is already in flight"
if ui_screen | grep -q "Reverse this order?"; then
	t_fail "a confirmation opened for an order in flight"
fi
ui_keys C-u # an empty form: the result card may open once it arrives
# The panes keep working meanwhile: filter the profiles.
ui_focus Profiles
ui_keys /
ui_type Tea
ui_wait_for "Profiles 0" 3
ui_keys Escape
ui_wait_for "Profiles 3" 3
ui_wait_for "Result: UI-SLOW-1" 10
t_contains "the slow order was reversed" "$(ui_screen)" "REVERSED"
t_eq "requests the simulator received" 1 "$(sim_count UI-SLOW-1)"
t_eq "query_before_confirm: false: no order query was made" 0 "$(sim_query_count UI-SLOW-1)"
ui_keys Escape
t_ok

t_begin "re-running from the history goes through the confirmation"
ui_focus History
ui_keys Home C-r
ui_wait_for "Reverse this order?" 5
t_contains "earlier outcome shown" "$(ui_screen)" "ago by tester, $(date -u +%Y-%m-%d)"
ui_keys Escape
ui_wait_gone "Reverse this order?" 5
t_eq "nothing more was sent" 1 "$(sim_count UI-SLOW-1)"
t_ok

t_begin "quitting while in flight asks first; n stays"
sim_fault UI-SLOW-2 '{"type":"delay","ms":3000}'
send UI-SLOW-2
ui_wait_for "sending UI-SLOW-2" 5
ui_focus History
ui_keys C-q
ui_wait_for "Quit while in flight?" 3
t_contains "the question's hint is yes and no, not send" "$(ui_screen | tail -n 2 | head -n 1)" "y yes  n no"
ui_keys n
ui_wait_gone "Quit while in flight?" 3
ui_keys C-c
ui_wait_for "Quit while in flight?" 3
ui_keys Escape
ui_wait_for "Result: UI-SLOW-2" 10
ui_keys Escape
ui_wait_gone "Result: UI-SLOW-2" 5
t_contains "still running" "$(ui_screen)" "History 1/2"
t_ok

t_begin "quitting anyway leaves no pending record"
sim_fault UI-SLOW-3 '{"type":"delay","ms":4000}'
send UI-SLOW-3
ui_wait_for "sending UI-SLOW-3" 5
ui_keys F10
ui_wait_for "Quit while in flight?" 3
ui_yes
ui_wait_exit 10
t_eq "exit status" 0 "$UI_RC"
row=$(hist_row UI-SLOW-3)
t_eq "history outcome" unknown "$(jfield "$row" outcome)"
t_ok

t_begin "an order another process is sending: the confirmation names it and y sends nothing"
sim_fault UI-HELD-1 '{"type":"delay","ms":4000}'
ui_start_ok
WXREV_OPERATOR=cli-op timeout 60 "$WXREV_BIN" reverse --sub 1900000109 --yes UI-HELD-1 \
	>"$T_TMP/held.out" 2>&1 </dev/null &
cli=$!
held=no
for _ in $(seq 1 $((100 * T_SLOW))); do
	if [ "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'UI-HELD-1' AND outcome = 'pending'" 2>/dev/null)" = 1 ]; then
		held=yes
		break
	fi
	sleep 0.1
done
t_eq "the command line claimed the order" yes "$held"
ui_focus Order
ui_keys C-u
ui_type UI-HELD-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_wait_for "is already being reversed" 5
t_contains "names the holder and machine" "$(ui_screen)" "by cli-op on $(hostname)"
t_contains "y is not offered" "$(ui_screen)" "held elsewhere"
sleep 1 # past the arming delay: y would count if it could send
ui_keys y
sleep 0.3
t_contains "y left the question open" "$(ui_screen)" "Reverse this order?"
ui_keys Escape
ui_wait_for "Cancelled: nothing was sent for UI-HELD-1" 5
wait "$cli"
t_eq "the command line's reversal: exit status" 0 "$?"
t_eq "requests the simulator received" 1 "$(sim_count UI-HELD-1)"
t_eq "history rows for the order" 1 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'UI-HELD-1'")"
ui_keys Escape
t_ok

t_begin "history locked when the answer arrives: the status bar says not yet saved until it is"
sim_fault UI-LOCK-1 '{"type":"delay","ms":3000}'
ui_start_ok
send UI-LOCK-1
ui_wait_for "sending UI-LOCK-1" 5
lock_history $((5 * T_SLOW))
ui_wait_for "result not yet saved" $((10 * T_SLOW))
t_contains "the result card still shows it" "$(ui_screen)" "UI-LOCK-1"
wait "$lock"
ui_wait_gone "result not yet saved" $((10 * T_SLOW))
t_eq "history outcome once saved" reversed "$(jfield "$(hist_row UI-LOCK-1)" outcome)"
t_eq "requests the simulator received" 1 "$(sim_count UI-LOCK-1)"
ui_keys Escape
t_ok

t_begin "quitting while the history stays locked: the result goes to the recovery journal, exit status 3, and the next start folds it in"
sim_fault UI-LOCK-2 '{"type":"delay","ms":3000}'
ui_start_ok
send UI-LOCK-2
ui_wait_for "sending UI-LOCK-2" 5
lock_history $((30 * T_SLOW))
ui_wait_for "result not yet saved" $((10 * T_SLOW))
ui_keys Escape
ui_keys F10
ui_wait_exit $((20 * T_SLOW))
t_eq "exit status" 3 "$UI_RC"
t_contains "said once the terminal is back" "$(ui_screen)" "recovery journal"
kill "$lock" 2>/dev/null
wait "$lock" 2>/dev/null
wx history --order UI-LOCK-2 --format jsonl
t_eq "the next start folds it in" reversed "$(jq -r .outcome <<<"$WX_OUT")"
t_eq "requests the simulator received" 1 "$(sim_count UI-LOCK-2)"
t_ok

t_begin "SIGTERM while in flight lets the call finish and records it"
sim_fault UI-SLOW-4 '{"type":"delay","ms":1000}'
ui_start_ok
send UI-SLOW-4
ui_wait_for "sending UI-SLOW-4" 5
kill -TERM "$(ui_pid)"
ui_wait_exit 10
row=$(hist_row UI-SLOW-4)
t_eq "history outcome" reversed "$(jfield "$row" outcome)"
t_eq "terminal modes restored" "$(cat "$UI_STATE/stty.before")" "$(cat "$UI_STATE/stty.after")"
t_ok
ui_stop
t_done
