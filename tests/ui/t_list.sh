#!/usr/bin/env bash
# A ticket's list of orders in the UI: pasted into the order field (lines
# or commas), checked whole first, a plan with every order's state (the
# order query, in the background) and the total refunded, y or the typed
# count, progress, Ctrl-C, and a paste of the same list that resumes. What
# reached WeChat Pay is counted in the simulator's request log.
. "$(dirname "$0")/lib_ui.sh"

export UI_QUERY=true
N=40 # the list that is interrupted
# orders PREFIX COUNT: "PREFIX-001" ... one a line.
orders() { seq -f "$1-%03g" 1 "$2"; }
# LD-001 is already reversed, LD-003 refunded and LD-004 unknown to WeChat
# Pay: the query says there is nothing to reverse in any of them.
world=$({ orders LA 3; orders LB 3; orders LC "$N"; orders LD 3; orders LE 2; } |
	jq -R '{out_trade_no: ., sub_mchid: "'"$SUB_COFFEE"'", amount: 12800,
		state: ({"LD-001": "REVERSED", "LD-003": "REFUND"}[.] // "PAID")}' | jq -s -c .)
ui_setup "$world" || t_setup_fail "the simulator did not start"

# posts PREFIX / gets PREFIX: reversals and order queries the simulator
# received for orders starting with PREFIX; oks PREFIX: answered 200.
posts() { jq -c --arg p "$REVERSE_PREFIX$1" 'select(.method == "POST" and (.target | startswith($p)))' "$MAIN_LOG" | wc -l | tr -d ' '; }
gets() { jq -c --arg p "$REVERSE_PREFIX$1" 'select(.method == "GET" and (.target | startswith($p)))' "$MAIN_LOG" | wc -l | tr -d ' '; }
oks() { jq -c --arg p "$REVERSE_PREFIX$1" 'select(.method == "POST" and .status == 200 and (.target | startswith($p)))' "$MAIN_LOG" | wc -l | tr -d ' '; }
# Orders of PREFIX answered 200 more than once.
twice() {
	jq -r --arg p "$REVERSE_PREFIX$1" 'select(.method == "POST" and .status == 200 and (.target | startswith($p))) | .target' "$MAIN_LOG" |
		sort | uniq -d | wc -l | tr -d ' '
}
# Reverse attempts the history holds for orders starting with PREFIX.
# The key hint line, above the status bar.
hints() { ui_screen | tail -n 2 | head -n 1; }
attempts() {
	hist_sql "SELECT count(*) FROM attempts a JOIN reversals r ON r.id = a.reversal_id
		WHERE a.kind = 'reverse' AND r.out_trade_no LIKE '$1-%'"
}

ui_start_ok
ui_choose_sub Coffee
ui_wait_for "> $(ui_title Order)" 5

t_begin "a pasted list with a bad line and a repeat: every line named, nothing sent"
before=$(jq -c . "$MAIN_LOG" | wc -l)
ui_paste "$(printf 'LA-001\nLA 002!\nLA-003\nLA-001\n')"
ui_wait_for "A list of orders" 5
ui_wait_for "paste:2:" 5
t_contains "the bad line, named" "$(ui_screen)" "Bad lines: nothing is sent"
t_contains "the repeat, named" "$(ui_screen)" "paste:4: order LA-001 repeats line 1; it is sent once"
t_eq "nothing reached the simulator, not even a query" "$before" "$(jq -c . "$MAIN_LOG" | wc -l)"
t_contains "the hint offers Esc to close" "$(hints)" "Esc close"
t_lacks "and no y to send, nothing can be sent" "$(hints)" "y send"
ui_keys Escape
ui_wait_gone "A list of orders" 5
t_ok

t_begin "three orders pasted with commas: states, total, y sends each once, each outcome shown"
ui_focus Order
ui_paste "LB-001, LB-002,LB-003"
ui_wait_for "A list of orders" 5
ui_wait_for "3 paid, 0 not paid" $((10 * T_SLOW))
t_contains "the total refunded" "$(ui_screen)" "Total refunded to the payers: ¥384.00"
t_contains "each order's state and amount" "$(ui_line_with LB-002)" "¥128.00  Paid"
t_eq "one order query each" 3 "$(gets LB)"
t_eq "no reversal before y" 0 "$(posts LB)"
t_contains "the question's keys in the hint" "$(hints)" "y send  n cancel"
ui_yes
ui_wait_for "Done:" $((20 * T_SLOW))
t_contains "done: every order sent" "$(ui_screen)" "Done: every order to send was sent."
t_lacks "no y to send once done" "$(hints)" "y send"
for o in LB-001 LB-002 LB-003; do
	t_contains "$o reversed in its row" "$(ui_line_with "$o")" reversed
done
t_eq "three reversals reached the simulator" 3 "$(posts LB)"
t_eq "each answered 200" 3 "$(oks LB)"
t_eq "the history has them reversed" 3 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no LIKE 'LB-%' AND outcome = 'reversed'")"
ui_keys Escape
ui_wait_gone "A list of orders" 5
t_ok

t_begin "$N orders: the count is typed; a wrong count sends nothing"
ui_focus Order
ui_paste "$(orders LC "$N")"
ui_wait_for "Type $N and Enter" $((30 * T_SLOW))
t_eq "one order query each" "$N" "$(gets LC)"
ui_type "$((N - 1))"
ui_keys Enter
ui_wait_for "not $N: nothing was sent" 5
t_eq "no reversal reached the simulator" 0 "$(posts LC)"
t_ok

t_begin "Ctrl-C while the list is sent: nothing new is sent, what was in flight is recorded"
ui_type "$N"
ui_keys Enter
ui_wait_for "Esc: hide" 5
t_contains "while sending, the hint offers F9 and Esc to hide" "$(hints)" "F9 stop  Esc hide"
t_lacks "and no y to send" "$(hints)" "y send"
ui_wait_for "reversed" $((10 * T_SLOW))
ui_keys C-c
ui_wait_for "Done:" $((20 * T_SLOW))
sent=$(posts LC)
t_check "some but not all of the $N were sent ($sent)" test "$sent" -gt 0 -a "$sent" -lt "$N"
t_eq "every reversal the simulator received is in the history" "$sent" "$(attempts LC)"
t_eq "no pending row" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
t_eq "the history's reversed rows are the simulator's successes" "$(oks LC)" \
	"$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no LIKE 'LC-%' AND outcome = 'reversed'")"
t_contains "the rest said not sent" "$(ui_screen)" "not sent"
sleep 1
t_eq "nothing more was sent after the stop" "$sent" "$(posts LC)"
ui_keys Escape
ui_wait_gone "A list of orders" 5
t_ok

t_begin "the same list pasted again resumes: reversed ones skipped, the rest sent once; Esc hides it, the form shows progress, Ctrl-O shows it again"
done1=$(oks LC)
ui_focus Order
ui_paste "$(orders LC "$N")"
left=$((N - done1))
ui_wait_for "skipped: $done1 reversed" $((30 * T_SLOW))
if [ "$left" -gt 10 ]; then
	ui_wait_for "Type $left and Enter" 10
	ui_type "$left"
	ui_keys Enter
else
	ui_yes
fi
ui_wait_for "Esc: hide" 5
ui_keys Escape
ui_wait_for "list " 5
t_contains "the form shows the list's progress" "$(ui_screen)" "/$left"
ui_keys C-o
ui_wait_for "A list of orders" 5
ui_wait_for "Done:" $((30 * T_SLOW))
t_eq "one successful reversal per order" "$N" "$(oks LC)"
t_eq "none reversed twice" 0 "$(twice LC)"
t_eq "every reversal received is in the history" "$(posts LC)" "$(attempts LC)"
t_eq "all reversed in the history" "$N" "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no LIKE 'LC-%' AND outcome = 'reversed'")"
ui_keys Escape
ui_wait_gone "A list of orders" 5
t_ok

t_begin "Ctrl-O opens a file: a missing one is named; a CSV with notes is planned, sent and its notes kept"
ui_keys C-o
ui_wait_for "Open a list of orders" 5
ui_type "$T_TMP/nowhere.csv"
ui_keys Enter
ui_wait_for "cannot open the order list $T_TMP/nowhere.csv" 5
printf 'out_trade_no,note\nLA-001,"ticket 4711, till 3"\nLA-002,ticket 4711\n' >"$T_TMP/ticket.csv"
ui_keys C-u
ui_type "$T_TMP/ticket.csv"
ui_keys Enter
ui_wait_for "2 paid, 0 not paid" $((10 * T_SLOW))
t_contains "named after the file" "$(ui_screen)" "ticket.csv: 2 order(s)"
ui_yes
ui_wait_for "Done:" $((20 * T_SLOW))
t_eq "two reversals reached the simulator" 2 "$(posts LA)"
t_eq "the notes are kept" "ticket 4711, till 3|ticket 4711" \
	"$(hist_sql "SELECT group_concat(note, '|') FROM (SELECT note FROM reversals WHERE out_trade_no LIKE 'LA-%' ORDER BY out_trade_no)")"
ui_keys Escape
t_ok

t_begin "orders with nothing to reverse (REVOKED, REFUND, no such order) are skipped by y, said so in their rows"
ui_focus Order
ui_paste "$(printf 'LD-001\nLD-002\nLD-003\nLD-004\n')"
ui_wait_for "3 with nothing to reverse are skipped; F8 sends them too" $((10 * T_SLOW))
t_contains "the plan counts them" "$(ui_screen)" "1 to send"
t_contains "LD-001: the state read, skipped" "$(ui_line_with LD-001)" "skipped: REVOKED"
t_contains "LD-003: refunded" "$(ui_line_with LD-003)" "skipped: REFUND"
t_contains "LD-004: no such order" "$(ui_line_with LD-004)" "skipped: ORDER_NOT_EXIST"
ui_yes
ui_wait_for "Done:" $((20 * T_SLOW))
t_eq "the paid one was sent once" 1 "$(posts LD-002)"
for o in LD-001 LD-003 LD-004; do
	t_eq "no reversal of $o reached the simulator" 0 "$(posts "$o")"
done
t_contains "still said skipped after sending" "$(ui_line_with LD-001)" "skipped"
ui_keys Escape
ui_wait_gone "A list of orders" 5
t_ok

t_begin "F8, the list's override: the orders with nothing to reverse are sent, once each"
ui_focus Order
ui_paste "LD-001,LD-003,LD-004"
ui_wait_for "3 with nothing to reverse are skipped" $((10 * T_SLOW))
t_contains "y has nothing to send" "$(ui_screen)" "Nothing to send."
ui_keys F8
ui_wait_for "F8: the 3 with nothing to reverse are sent too" $((10 * T_SLOW))
t_contains "LD-001 now to send, its state shown" "$(ui_line_with LD-001)" "Already reversed (REVOKED)"
ui_yes
ui_wait_for "Done:" $((20 * T_SLOW))
for o in LD-001 LD-003 LD-004; do
	t_eq "one reversal of $o reached the simulator" 1 "$(posts "$o")"
done
ui_keys Escape
ui_wait_gone "A list of orders" 5
t_ok

t_begin "F4 sends again an order whose earlier outcome the query cannot settle; without it, it is skipped"
# An answer lost three times (one attempt and its two retries): unknown,
# left unsettled; its queries then fail verification, so the list cannot
# settle it either.
sim_fault LE-001 '{"type":"lost_answer","ms":100,"count":3}'
timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --no-settle LE-001 >/dev/null 2>&1
t_eq "LE-001 is unknown in the history" unknown "$(hist_sql "SELECT outcome FROM reversals WHERE out_trade_no = 'LE-001'")"
sim_query_fault LE-001 '{"type":"bad_signature"}'
lost=$(posts LE-001)
ui_focus Order
ui_paste "LE-001,LE-002"
ui_wait_for "1 with an unknown outcome are skipped; F4 sends them again." $((10 * T_SLOW))
t_contains "its row says so" "$(ui_line_with LE-001)" "skipped: outcome unknown"
ui_yes
ui_wait_for "Done:" $((20 * T_SLOW))
t_eq "LE-002 sent" 1 "$(posts LE-002)"
t_eq "LE-001 not sent again" "$lost" "$(posts LE-001)"
ui_keys Escape
ui_wait_gone "A list of orders" 5
ui_focus Order
ui_paste "LE-001,LE-002"
ui_wait_for "1 with an unknown outcome are skipped" $((10 * T_SLOW))
ui_keys F4
ui_wait_for "F4: the 1 with an unknown outcome are sent again" $((10 * T_SLOW))
ui_yes
ui_wait_for "Done:" $((20 * T_SLOW))
t_eq "LE-001 sent once more" $((lost + 1)) "$(posts LE-001)"
t_eq "LE-002 not sent twice" 1 "$(posts LE-002)"
t_eq "LE-001 reversed in the history" reversed "$(hist_sql "SELECT outcome FROM reversals WHERE out_trade_no = 'LE-001' ORDER BY id DESC LIMIT 1")"
ui_keys Escape
t_ok

ui_stop
t_done
