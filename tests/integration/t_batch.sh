#!/usr/bin/env bash
# wxrev reverse --from: a ticket's list of orders against the simulator over
# HTTPS. What reached the simulator is counted in its request log, never in
# wxrev's own word. Scaled down under WXREV_WRAP (valgrind).
. "$(dirname "$0")/lib_sim.sh"

N=1000 # the big list
K=300  # the list killed with -9
S=40   # the list under a 429 storm
R=30   # the paced list
J=12   # the --json list
if [ -n "${WXREV_WRAP:-}" ]; then
	N=30 K=24 S=24 R=12 J=6
fi
IN_FLIGHT=16 # BATCH_IN_FLIGHT in src/cli_batch.c

# orders PREFIX COUNT: "PREFIX-00000" ... one a line.
orders() { seq -f "$1-%05g" 0 $(($2 - 1)); }
# The simulator's world: every order paid, for Coffee Shop.
orders_json() {
	{ orders B1 "$N"; orders KL "$K"; orders ST "$S"; orders RT "$R"; orders JS "$J"; } |
		jq -R '{out_trade_no: ., sub_mchid: "'"$SUB_COFFEE"'", state: "PAID"}' | jq -s -c .
}

sim_setup "$(orders_json)" || t_setup_fail "the simulator did not start"
# Under a slow wrapper an attempt may take seconds of CPU: no timeouts.
if [ -n "${WXREV_WRAP:-}" ]; then
	write_profile "$PROFILE" "$SIM_URL" "$SIM_URL" "$KEYS/apiclient_key.pem" 120
fi

# wxl ARGS...: wx with room for a list under a slow wrapper.
wxl() {
	timeout $((60 * T_SLOW)) "$WXREV_BIN" "$@" >"$T_TMP/wx.out" 2>"$T_TMP/wx.err" </dev/null
	WX_RC=$?
	WX_OUT=$(cat "$T_TMP/wx.out")
	WX_ERR=$(cat "$T_TMP/wx.err")
}
# Requests the simulator received for orders starting with PREFIX.
sim_requests() {
	jq -c --arg p "$REVERSE_PREFIX$1" 'select(.target | startswith($p))' "$MAIN_LOG"
}
# Orders of PREFIX with a successful (200) reversal, "ORDER COUNT" a line.
sim_successes() {
	sim_requests "$1" | jq -r 'select(.status == 200) | .out_trade_no' | sort | uniq -c |
		awk '{print $2, $1}'
}
# "ORDER COUNT" lines: requests the simulator received per order, and
# attempts the history holds per order (answered or not).
sim_per_order() {
	sim_requests "$1" | jq -r .out_trade_no | sort | uniq -c | awk '{print $2, $1}'
}
hist_per_order() {
	hist_sql "SELECT r.out_trade_no, count(*) FROM attempts a JOIN reversals r
		ON r.id = a.reversal_id WHERE r.out_trade_no LIKE '$1-%'
		GROUP BY r.out_trade_no ORDER BY r.out_trade_no" | tr '|' ' '
}
# Orders for which the simulator received more requests than the history
# holds attempts (it may hold more: attempts that never reached the host).
unrecorded() {
	join -a 1 -e 0 -o 0,1.2,2.2 <(sim_per_order "$1") <(hist_per_order "$1") |
		awk '$2 > $3'
}
# batch_bg OUT ARGS...: a wxrev reverse --from in the background; sets BG.
batch_bg() {
	local out=$1
	shift
	# Not under timeout(1): the signals must reach wxrev itself.
	"$WXREV_BIN" reverse --sub "Coffee Shop" "$@" \
		>"$T_TMP/$out.out" 2>"$T_TMP/$out.err" </dev/null &
	BG=$!
	t_cleanup_kill "$BG" KILL
}
# wait_requests PREFIX COUNT: until the simulator has seen COUNT requests.
wait_requests() {
	for _ in $(seq 1 6000); do
		[ "$(sim_requests "$1" | wc -l)" -ge "$2" ] && return 0
		kill -0 "$BG" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

t_begin "bad and repeated lines: every one named, nothing sent"
list="$T_TMP/bad.txt"
{
	printf '\xef\xbb\xbf# ticket 4711: double charges at till 3\r\n'
	orders B1 "$N" | sed 's/$/\r/'
} >"$list"
# Bad lines at known places (line L holds B1-(L-2)), and two repeats.
sed -i -e '11s/.*/B1 00009\r/' -e '21s/.*/B1-00019!\r/' \
	-e '$a B1-00003\r' -e '$a B1-00004  # charged twice\r' \
	-e '$a not,an,order\r' "$list"
wxl reverse --sub "Coffee Shop" --yes --from "$list"
t_eq "exit status" 2 "$WX_RC"
t_contains "line 11 named" "$WX_ERR" "bad.txt:11: "
t_contains "line 21 named" "$WX_ERR" "bad.txt:21: "
t_contains "the comma line named" "$WX_ERR" "bad.txt:$((N + 4)): "
t_contains "repeat named" "$WX_ERR" "bad.txt:$((N + 2)): order B1-00003 repeats line 5; it is sent once"
t_contains "what to do" "$WX_ERR" "3 bad line(s) in"
t_contains "nothing sent" "$WX_ERR" "nothing was sent"
t_eq "requests the simulator received" 0 "$(sim_requests B1 | wc -l)"
t_check "no history written" test ! -s "$WXREV_HISTORY" -o "$(hist_sql 'SELECT count(*) FROM reversals' 2>/dev/null || echo 0)" = 0
t_ok

t_begin "without a terminal the list needs --yes"
orders B1 "$N" >"$T_TMP/clean.txt"
wxl reverse --sub "Coffee Shop" --from "$T_TMP/clean.txt"
t_eq "exit status" 2 "$WX_RC"
t_contains "says how" "$WX_ERR" "add --yes"
t_eq "requests the simulator received" 0 "$(sim_requests B1 | wc -l)"
t_ok

t_begin "Ctrl-C at about 40%: in-flight finish and are recorded, nothing new"
# The fixed list (with its repeats) is what the operator sends.
grep -v -e '^B1 ' -e '!' -e ',' "$list" >"$T_TMP/fixed.txt"
printf 'B1-00009\nB1-00019\n' >>"$T_TMP/fixed.txt"
batch_bg run1 --yes --rate 1000 --from "$T_TMP/fixed.txt"
wait_requests B1 $((N * 4 / 10)) || t_fail "the batch did not get to 40%"
kill -INT "$BG"
wait "$BG"
rc=$?
first=$(sim_requests B1 | wc -l)
t_eq "exit status (stderr: $(tail -n 5 "$T_TMP/run1.err"))" 1 "$rc"
t_check "stopped before the end ($first of $N sent)" test "$first" -lt "$N"
t_contains "summary" "$(cat "$T_TMP/run1.out")" "Summary: $N order(s)"
t_contains "resume advice" "$(cat "$T_TMP/run1.out")" "Run the same command again to resume."
t_eq "no pending row left" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
t_eq "orders with requests missing from the history" "" "$(unrecorded B1)"
t_eq "reported lines = recorded results" "$(grep -c '^B1-[0-9]*  reversed  ' "$T_TMP/run1.out")" \
	"$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'reversed'")"
sleep 0.5
t_eq "nothing sent after the run ended" "$first" "$(sim_requests B1 | wc -l)"
t_ok

t_begin "running the same file again resumes and completes it"
wxl reverse --sub "Coffee Shop" --yes --rate 1000 --from "$T_TMP/fixed.txt"
t_eq "exit status (stderr: ${WX_ERR: -300})" 0 "$WX_RC"
done1=$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'reversed' AND out_trade_no LIKE 'B1-%'")
t_contains "skipped ones said so" "$WX_OUT" "skipped: already reversed"
t_eq "skipped lines" "$first" "$(grep -c 'skipped: already reversed' <<<"$WX_OUT")"
t_eq "one successful reversal per order, $N orders" "$N 1" \
	"$(sim_successes B1 | awk '{n++; if ($2 != 1) bad++} END {print n, bad ? 0 : 1}')"
t_eq "orders with requests missing from the history" "" "$(unrecorded B1)"
t_eq "with the simulator's Request-ID where its answer arrived" 0 \
	"$(comm -23 <(hist_sql "SELECT a.request_id FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no LIKE 'B1-%' AND a.request_id IS NOT NULL" | sort) \
		<(sim_requests B1 | jq -r .request_id | sort) | wc -l)"
t_eq "every order reversed in the history" "$N" "$done1"
t_eq "simulator states" "REVERSED $N" "$(sim_curl "$MAIN_URL/_sim/orders" | jq -r '.orders[] | select(.out_trade_no | startswith("B1-")) | .state' | sort | uniq -c | awk '{print $2, $1}')"
t_ok

t_begin "--json: one object per order, with its line"
orders JS "$J" >"$T_TMP/js.txt"
wxl reverse --sub "Coffee Shop" --yes --json --from "$T_TMP/js.txt"
t_eq "exit status" 0 "$WX_RC"
t_eq "objects" "$J" "$(jq -c . <<<"$WX_OUT" | wc -l)"
t_eq "all reversed" "reversed" "$(jq -r .outcome <<<"$WX_OUT" | sort -u)"
t_eq "lines" "$(seq 1 "$J")" "$(jq -r .line <<<"$WX_OUT" | sort -n)"
t_contains "summary on stderr" "$WX_ERR" "Summary: $J order(s)"
wxl reverse --sub "Coffee Shop" --yes --json --from "$T_TMP/js.txt"
t_eq "again: all skipped" "already reversed" "$(jq -r .skipped <<<"$WX_OUT" | sort -u)"
t_eq "again: nothing sent" "$J" "$(sim_requests JS | wc -l)"
t_ok

t_begin "--from - reads the list from standard input"
orders JS "$J" | timeout $((60 * T_SLOW)) "$WXREV_BIN" reverse --sub "Coffee Shop" \
	--yes --json --from - >"$T_TMP/stdin.out" 2>"$T_TMP/stdin.err"
t_eq "exit status" 0 "$?"
t_eq "all skipped (reversed above)" "$J" "$(jq -r .skipped "$T_TMP/stdin.out" | grep -c 'already reversed')"
t_contains "named stdin" "$(cat "$T_TMP/stdin.err")" "Summary: $J order(s) in stdin"
t_ok

t_begin "on a terminal, the plan reads every order's state and total, and a list of more than 10 is confirmed by typing its count"
orders RT 12 >"$T_TMP/tty.txt"
before=$(sim_requests RT | jq -r 'select(.method == "POST")' | grep -c '^{')
queries=$(sim_requests RT | jq -r 'select(.method == "GET")' | grep -c '^{')
# script(1) gives wxrev a terminal; the operator types 11, not 12.
(sleep 2; echo 11) | timeout $((60 * T_SLOW)) script -qfc \
	"$WXREV_BIN reverse --sub 'Coffee Shop' --from '$T_TMP/tty.txt'" /dev/null \
	>"$T_TMP/tty.out" 2>&1
t_contains "asks for the count" "$(cat "$T_TMP/tty.out")" "Type 12 to reverse these 12 orders"
t_contains "cancelled" "$(cat "$T_TMP/tty.out")" "cancelled, nothing sent"
t_contains "the plan says the states" "$(cat "$T_TMP/tty.out")" "States:    12 paid, 0 not paid, 0 with nothing to reverse, 0 not read"
# The simulator's orders are of 128.00 yuan each.
t_contains "and the total refunded" "$(cat "$T_TMP/tty.out")" "Total:     ¥1,536.00 refunded to the payers"
t_eq "one order query per order" $((queries + 12)) "$(sim_requests RT | jq -r 'select(.method == "GET")' | grep -c '^{')"
t_eq "no reversal sent" "$before" "$(sim_requests RT | jq -r 'select(.method == "POST")' | grep -c '^{')"
t_ok

t_begin "--rate paces the requests"
orders RT "$R" >"$T_TMP/rt.txt"
wxl reverse --sub "Coffee Shop" --yes --rate 20 --from "$T_TMP/rt.txt"
t_eq "exit status" 0 "$WX_RC"
span=$(sim_requests RT | jq -c 'select(.method == "POST")' | jq -s '(map(.time_ms) | max) - (map(.time_ms) | min)')
# R requests at 20 a second span at least (R-1)/20 s; allow for timer slack.
least=$(((R - 1) * 50 * 9 / 10))
t_check "$R requests at --rate 20 took $span ms (at least $least)" test "$span" -ge "$least"
t_ok

# Timing-bound: under a slow wrapper TLS handshakes outlast wxrev's
# connect timeout, which is a different test.
if [ -z "${WXREV_WRAP:-}" ]; then
t_begin "a 429 storm slows everyone down and fails nothing"
orders ST "$S" >"$T_TMP/st.txt"
for o in ST-00005 ST-00010 ST-00015; do
	sim_fault "$o" '{"type":"rate_limit","count":2,"retry_after":1}'
done
wxl reverse --sub "Coffee Shop" --yes --rate 1000 --from "$T_TMP/st.txt"
t_eq "exit status (stderr: ${WX_ERR: -300})" 0 "$WX_RC"
t_eq "every order reversed" "$S" "$(sim_successes ST | wc -l)"
t_eq "429s answered" 6 "$(sim_requests ST | jq -r 'select(.status == 429)' | jq -s length)"
# After each 429, only requests already in flight may arrive within the
# Retry-After second (the 429's own retry comes after it).
worst=$(sim_requests ST | jq -s '[.[] | select(.status == 429) | .time_ms] as $t
	| [$t[] as $x | [.[] | select(.time_ms > $x + 150 and .time_ms < $x + 900)] | length] | max')
t_check "requests within a Retry-After second: $worst (at most $IN_FLIGHT)" test "$worst" -le "$IN_FLIGHT"
t_ok
fi

t_begin "kill -9 mid-batch: pending rows become unknown, listed, then resent"
orders KL "$K" >"$T_TMP/kl.txt"
batch_bg kill --yes --rate 1000 --from "$T_TMP/kl.txt"
wait_requests KL $((K * 4 / 10)) || t_fail "the batch did not get to 40%"
kill -9 "$BG"
wait "$BG" 2>/dev/null
sent=$(sim_requests KL | wc -l)
t_check "stopped before the end ($sent of $K)" test "$sent" -lt "$K"
left=$(hist_sql "SELECT count(*) FROM reversals WHERE outcome IN ('unknown', 'pending') AND out_trade_no LIKE 'KL-%'")
wxl reverse --sub "Coffee Shop" --yes --rate 1000 --from "$T_TMP/kl.txt"
# The resume asks the order query about each unknown first (one query
# each in the simulator's log); what it settles is not sent again.
t_eq "one order query per unknown left by the kill" "$left" \
	"$(jq -c 'select(.method == "GET" and (.target | contains("/KL-")))' "$MAIN_LOG" | wc -l | tr -d ' ')"
[ "$left" -gt 0 ] && t_contains "says the unknown ones were asked first" "$WX_ERR" "asked with the order query first"
unknown=$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'unknown' AND out_trade_no LIKE 'KL-%'")
# The kill may land between two groups, with nothing in flight: then no
# row was left pending and the resume has nothing unknown to skip.
want_rc=0
[ "$unknown" -gt 0 ] && want_rc=3
t_eq "exit status: unknown ones skipped (stderr: ${WX_ERR: -300})" "$want_rc" "$WX_RC"
t_eq "unknown rows listed" "$unknown" "$(grep -c 'outcome unknown: settle it' <<<"$WX_OUT")"
t_check "nothing lost: every order the simulator saw has a row" test \
	"$(sim_requests KL | jq -r .out_trade_no | sort -u | wc -l)" -le \
	"$(hist_sql "SELECT count(DISTINCT out_trade_no) FROM reversals WHERE out_trade_no LIKE 'KL-%'")"
wxl reverse --sub "Coffee Shop" --yes --rate 1000 --resend-unknown --from "$T_TMP/kl.txt"
t_eq "exit status with --resend-unknown" 0 "$WX_RC"
t_eq "every order reversed at the simulator" "REVERSED $K" "$(sim_curl "$MAIN_URL/_sim/orders" | jq -r '.orders[] | select(.out_trade_no | startswith("KL-")) | .state' | sort | uniq -c | awk '{print $2, $1}')"
# A query may find an order the dead process's last request has not yet
# reversed (the server is still working on it): settled as not processed,
# it is sent again, and the idempotent call succeeds twice. Only orders the
# kill left open may do that.
t_eq "at most one success per order beyond the ones the kill left open" 1 \
	"$(sim_successes KL | awk -v u="$left" '$2 > 1 {extra += $2 - 1} END {print (extra + 0 <= u) ? 1 : 0}')"
t_eq "no pending row left" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
t_ok

t_done
