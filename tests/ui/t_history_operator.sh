#!/usr/bin/env bash
# The history pane's operator column and its @name filter on a history
# file (the desk history's are in t_desk_history.sh): each row names the
# operator it carries, @bob keeps bob's rows, a narrow terminal leaves the
# column out rather than squeezing the order number.
. "$(dirname "$0")/lib_ui.sh"

ui_setup '[]' || t_setup_fail "the simulator did not start"
sim_paid OPS-ALICE-1
sim_paid OPS-BOB-1
sim_paid OPS-BOB-2
WXREV_OPERATOR=alice "$WXREV_BIN" reverse --sub "Coffee Shop" --yes OPS-ALICE-1 >/dev/null 2>&1 </dev/null
WXREV_OPERATOR=bob "$WXREV_BIN" reverse --sub "Coffee Shop" --yes OPS-BOB-1 OPS-BOB-2 >/dev/null 2>&1 </dev/null

t_begin "each row names its operator"
ui_start_ok
ui_focus History
t_check "the rows show" ui_wait_for "OPS-ALICE-1" $((3 * T_SLOW))
t_contains "the heading names the column" "$(ui_line_with "$(L latency 耗时)")" "$(L operator 操作员)"
t_contains "alice's row" "$(ui_line_with OPS-ALICE-1)" "alice"
t_contains "bob's row" "$(ui_line_with OPS-BOB-1)" "bob"
t_ok

t_begin "@bob keeps only bob's rows; Esc brings everyone's back"
ui_keys /
ui_type "@bob"
t_check "alice's row leaves" ui_poll ui_history_lacks OPS-ALICE-1
t_contains "bob's first" "$(ui_screen)" "OPS-BOB-1"
t_contains "bob's second" "$(ui_screen)" "OPS-BOB-2"
ui_keys BSpace BSpace BSpace BSpace
ui_type "@nobody"
t_check "an operator with no rows: nothing matches, and why" ui_wait_for "$(L "nothing matches; @nobody keeps the rows of the operator named exactly nobody" "无匹配；@nobody 只保留操作员名恰好为 nobody 的记录")" $((3 * T_SLOW))
ui_keys Escape
t_check "everyone's rows again" ui_wait_for "OPS-ALICE-1" $((3 * T_SLOW))
t_ok

t_begin "at 80 columns the column is left out and nothing is garbled"
ui_resize 80 24
t_check "the rows are drawn" ui_wait_for "OPS-BOB-2" $((3 * T_SLOW))
t_lacks "no operator heading" "$(ui_line_with "$(L latency 耗时)")" "$(L operator 操作员)"
for o in OPS-ALICE-1 OPS-BOB-1; do
	t_eq "$o: the row fills 80 columns, no more" 80 "$(ui_width "$(ui_line_with "$o")")"
	t_contains "$o: the order number is whole" "$(ui_line_with "$o")" "$o "
done
ui_keys /
ui_type "@alice"
t_check "the filter works without the column" ui_poll ui_history_lacks OPS-BOB-2
t_contains "alice's row stays" "$(ui_screen)" "OPS-ALICE-1"
t_ok

ui_stop
t_done
