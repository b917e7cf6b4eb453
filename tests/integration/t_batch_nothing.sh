#!/usr/bin/env bash
# wxrev reverse --from on a terminal: an order the order query says has
# nothing to reverse (already reversed, refunded, no such order) is skipped
# by the plain confirmation, as the single confirmation's y refuses it, and
# sent only with --send-anyway. What reached the simulator is counted in
# its request log.
. "$(dirname "$0")/lib_sim.sh"

command -v script >/dev/null || {
	t_setup_fail "script(1) is required"
}

# NR-001 already reversed, NR-002 paid, NR-003 refunded; NR-004 is not
# known to WeChat Pay at all.
world='[{"out_trade_no":"NR-001","sub_mchid":"'"$SUB_COFFEE"'","state":"REVERSED"},
	{"out_trade_no":"NR-002","sub_mchid":"'"$SUB_COFFEE"'","state":"PAID"},
	{"out_trade_no":"NR-003","sub_mchid":"'"$SUB_COFFEE"'","state":"REFUND"}]'
sim_setup "$world" || t_setup_fail "the simulator did not start"
printf 'NR-001\nNR-002\nNR-003\nNR-004\n' >"$T_TMP/list.txt"

# posts ORDER: reversals of ORDER the simulator received.
posts() {
	jq -c --arg t "$REVERSE_PREFIX$1/reverse" 'select(.method == "POST" and .target == $t)' "$MAIN_LOG" | wc -l | tr -d ' '
}
# on_tty ARGS...: wxrev reverse --from on a terminal (script(1)), the
# operator answering y; sets OUT (CRs dropped) and RC.
on_tty() {
	(sleep 1; echo y) | timeout $((60 * T_SLOW)) script -qfec \
		"$WXREV_BIN reverse --sub 'Coffee Shop' --from '$T_TMP/list.txt' $*" /dev/null \
		>"$T_TMP/tty.out" 2>&1
	RC=$?
	OUT=$(tr -d '\r' <"$T_TMP/tty.out")
}

t_begin "without the override: y skips the orders with nothing to reverse, plan, progress and summary say so"
on_tty --json
t_eq "exit status 1: some not reversed" 1 "$RC"
t_eq "the paid one sent once" 1 "$(posts NR-002)"
for o in NR-001 NR-003 NR-004; do
	t_eq "no reversal of $o" 0 "$(posts "$o")"
done
t_contains "the plan names the REVOKED one" "$OUT" "NR-001 (Coffee Shop): the query reads REVOKED, nothing to reverse; skipped (--send-anyway sends it)"
t_contains "the plan names the missing one" "$OUT" "NR-004 (Coffee Shop): the query reads ORDER_NOT_EXIST"
t_contains "the plan counts them" "$OUT" "Skipped:   3 with nothing to reverse, as the order query says"
t_contains "states line" "$OUT" "1 paid, 0 not paid, 3 with nothing to reverse"
t_contains "y asked for one order" "$OUT" "Sending 1 order(s)"
objs=$(grep -o '{"out_trade_no.*}' <<<"$OUT")
# The bar is "[####....] text" redrawn after a carriage return; it is
# cleared ("\r\e[K") before an object, so no object follows it on its
# line. (An answer typed ahead of the prompt may leave the prompt's line
# open: that is the terminal's echo, not the bar.)
t_eq "--json on a terminal: no object shares the progress bar's line" 0 \
	"$(grep -cP '\[[#.]{20}\] [^\r]*\{"out_trade_no' "$T_TMP/tty.out")"
json=$(jq -c 'select(.out_trade_no == "NR-001")' <<<"$objs")
t_eq "--json: a skipped object with its reason" \
	"nothing_to_reverse|the order query reads REVOKED: nothing to reverse|REVOKED|null|1" \
	"$(jq -r '"\(.outcome)|\(.skipped)|\(.trade_state_before)|\(.history_id)|\(.line)"' <<<"$json")"
t_eq "--json: one object per order" 4 "$(wc -l <<<"$objs" | tr -d ' ')"
t_contains "summary row" "$OUT" "skipped, nothing to do      3"
t_contains "summary says how to send them" "$OUT" "--send-anyway sends them."
t_eq "no history row for a skipped order" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no IN ('NR-001','NR-003','NR-004')")"
t_ok

t_begin "--send-anyway: each is sent once; the reversed one is skipped by the history"
on_tty --send-anyway
for o in NR-001 NR-003 NR-004; do
	t_eq "one reversal of $o" 1 "$(posts "$o")"
done
t_eq "the paid one not sent again" 1 "$(posts NR-002)"
t_contains "the plan says they are sent anyway" "$OUT" "NR-003 (Coffee Shop): the query reads REFUND, nothing to reverse; sent anyway (--send-anyway)"
t_contains "three sent" "$OUT" "Sending 3 order(s)"
t_contains "NR-002 skipped as reversed" "$OUT" "NR-002  skipped: already reversed"
t_ok

t_begin "--send-anyway is in reverse --help"
wx reverse --help
t_contains "documented" "$WX_OUT" "--send-anyway"
t_ok

t_done
