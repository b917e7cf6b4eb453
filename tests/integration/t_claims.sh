#!/usr/bin/env bash
# One order, one request, across processes: the claim made in the history's
# write transaction, counted in the simulator's request log. Each test is a
# row of the fault catalogue in tests/README.md.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

declare -A BG_PID
# run_bg NAME ARGS...: wxrev in the background; output in $T_TMP/NAME.*
run_bg() {
	local name=$1
	shift
	"$WXREV_BIN" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" </dev/null &
	BG_PID[$name]=$!
}

# wait_bg NAME: waits for a run_bg process; sets BG_RC.
wait_bg() {
	wait "${BG_PID[$1]}"
	BG_RC=$?
}

# wait_pending ORDER: until the history holds a pending row for ORDER
# (the simulator logs a request only once it answers).
wait_pending() {
	for _ in $(seq 1 $((100 * T_SLOW))); do
		[ "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = '$1' AND outcome = 'pending'" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

t_begin "two processes, one order, slow answer: one request, the other told who holds it (exit 2)"
sim_paid C-TWO-1
sim_fault C-TWO-1 '{"type":"delay","ms":2500}'
run_bg first reverse --sub "Coffee Shop" --yes C-TWO-1
t_check "the first claims the order" wait_pending C-TWO-1
WXREV_OPERATOR=second wx reverse --sub "Coffee Shop" --yes C-TWO-1
t_eq "second: exit status (nothing sent)" 2 "$WX_RC"
t_contains "second: names the holder" "$WX_ERR" "already being reversed by tester on $(hostname)"
t_contains "second: says nothing was sent" "$WX_ERR" "nothing was sent"
wait_bg first
t_eq "first: exit status" 0 "$BG_RC"
t_contains "first: reversed" "$(cat "$T_TMP/first.out")" "reversed"
t_eq "requests the simulator received" 1 "$(sim_count C-TWO-1)"
t_eq "history rows (the refused one records nothing)" 1 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'C-TWO-1'")"
t_ok

t_begin "five processes started at once: exactly one request"
sim_paid C-FIVE-1
sim_fault C-FIVE-1 '{"type":"delay","ms":2000}'
for i in 1 2 3 4 5; do
	run_bg "five$i" reverse --sub "Coffee Shop" --yes --json C-FIVE-1
done
zero=0 two=0
for i in 1 2 3 4 5; do
	wait_bg "five$i"
	case $BG_RC in
	0) zero=$((zero + 1)) ;;
	2) two=$((two + 1)) ;;
	esac
done
t_eq "requests the simulator received" 1 "$(sim_count C-FIVE-1)"
t_eq "processes that reversed" 1 "$zero"
t_eq "processes told it is in flight (exit 2)" 4 "$two"
t_eq "JSON outcome in_flight lines" 4 "$(cat "$T_TMP"/five*.out | jq -r .outcome | grep -c '^in_flight$')"
t_ok

t_begin "a process killed with -9 holds nothing: the next one claims the order again"
sim_paid C-KILL-1
sim_fault C-KILL-1 '{"type":"delay","ms":1500,"count":1}'
run_bg killed reverse --sub "Coffee Shop" --yes C-KILL-1
t_check "the first claims the order" wait_pending C-KILL-1
# Its attempt is on disk before the request leaves; under valgrind the
# kill may still land just before it does.
for _ in $(seq 1 $((50 * T_SLOW))); do
	[ "$(hist_sql "SELECT count(*) FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'C-KILL-1'" 2>/dev/null)" -ge 1 ] && break
	sleep 0.1
done
sleep 0.3 # and sends it
{ kill -9 "${BG_PID[killed]}" && wait_bg killed; } 2>/dev/null
sleep 2 # the simulator finishes the killed request before the next one
wx reverse --sub "Coffee Shop" --yes --json C-KILL-1
t_eq "exit status" 0 "$WX_RC"
t_eq "outcome" reversed "$(jfield "$WX_OUT" outcome)"
t_eq "the killed claim reads unknown (INTERRUPTED)" "unknown INTERRUPTED" "$(hist_sql "SELECT outcome || ' ' || code FROM reversals WHERE out_trade_no = 'C-KILL-1' ORDER BY id LIMIT 1")"
t_eq "the next one sent its own request" 1 "$(hist_sql "SELECT attempts FROM reversals WHERE out_trade_no = 'C-KILL-1' ORDER BY id DESC LIMIT 1")"
received=$(sim_count C-KILL-1)
attempts=$(hist_sql "SELECT count(*) FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'C-KILL-1'")
t_check "every request the simulator received ($received) is an attempt in the history ($attempts)" \
	test "$received" -ge 1 -a "$received" -le "$attempts"
t_ok

t_begin "reverse A A A sends once and reports the others as duplicates"
sim_paid C-DUP-1
wx reverse --sub "Coffee Shop" --yes C-DUP-1 C-DUP-1 C-DUP-1
t_eq "exit status" 0 "$WX_RC"
t_eq "requests the simulator received" 1 "$(sim_count C-DUP-1)"
t_eq "duplicates reported" 2 "$(grep -c 'duplicate' <<<"$WX_OUT")"
t_eq "history rows" 1 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'C-DUP-1'")"
wx reverse --sub "Coffee Shop" --yes --json C-DUP-1 C-DUP-1
t_eq "json: second line is a duplicate" duplicate "$(sed -n 2p <<<"$WX_OUT" | jq -r .outcome)"
t_eq "json: it points at the first" "$(sed -n 1p <<<"$WX_OUT" | jq -r .history_id)" "$(sed -n 2p <<<"$WX_OUT" | jq -r .history_id)"
t_ok

# nonces ORDER: the nonce_str of every request the simulator received.
nonces() {
	sim_log "$1" | jq -r '.headers.Authorization' | sed -E 's/.*nonce_str="([^"]*)".*/\1/'
}

t_begin "a reused keep-alive connection that is dead: no hidden resend, every request an attempt with its own nonce"
sim_paid C-REUSE-A
sim_paid C-REUSE-B
sim_fault C-REUSE-B '{"type":"drop_reused","count":1}'
wx reverse --sub "Coffee Shop" --yes --json C-REUSE-A C-REUSE-B
t_eq "exit status" 0 "$WX_RC"
t_eq "B: outcome" reversed "$(sed -n 2p <<<"$WX_OUT" | jq -r .outcome)"
t_eq "B arrived on the reused connection and was dropped" dropped "$(sim_log C-REUSE-B | head -1 | jq -r .verdict)"
t_eq "B: requests the simulator received" 2 "$(sim_count C-REUSE-B)"
t_eq "B: no nonce received twice" 2 "$(nonces C-REUSE-B | sort -u | wc -l | tr -d ' ')"
t_eq "B: attempts in the history" 2 "$(hist_sql "SELECT attempts FROM reversals WHERE out_trade_no = 'C-REUSE-B'")"
missing=0
for n in $(nonces C-REUSE-B); do
	[ "$(hist_sql "SELECT count(*) FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'C-REUSE-B' AND a.request_headers LIKE '%$n%'")" = 1 ] || missing=$((missing + 1))
done
t_eq "B: every received request is an attempt in the history" 0 "$missing"
t_ok

[ -n "${T_KEEP:-}" ] && echo "$WXREV_HISTORY"
t_done
