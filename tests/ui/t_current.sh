#!/usr/bin/env bash
# The screen is always current: rows another process writes show within a
# second, a new reversal shows at the top when the list is at its newest,
# the title gives the position like tig, the newest rows come back into
# view after a resize, and the result card says whose order it was, over
# how long, and that no answer came.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000109","out_trade_no":"TC-SLOW-1","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"TC-DROP-1","state":"PAID"}'
for i in $(seq 1 23); do
	ORDERS+=",{\"sub_mchid\":\"1900000109\",\"out_trade_no\":\"TC-CLI-$i\",\"state\":\"PAID\"}"
done
ORDERS+=']'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

# cli_reverse ORDER...: another wxrev process, on the same history.
cli_reverse() {
	timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes "$@" >/dev/null 2>&1 </dev/null
}

# selected LINE_TEXT: true when the screen line holding the text is drawn
# in reverse video (the selection bar).
selected() { ui_screen_e | grep -F -- "$1" | grep -q $'\033\\[[0-9;]*7[;m]'; }

for i in $(seq 1 20); do cli_reverse "TC-CLI-$i"; done

t_begin "the title gives the position and the total"
ui_start_ok 100 30
ui_focus History
ui_wait_for "History 1/20" 5
ui_keys Down
ui_wait_for "History 2/20" 5
t_ok

t_begin "a row another process writes shows within a second, selected when at the newest"
ui_keys Home
ui_wait_for "History 1/20" 5
cli_reverse TC-CLI-21
ui_wait_for "TC-CLI-21" 3
t_contains "the title counts it" "$(ui_screen)" "History 1/21"
selected TC-CLI-21 || t_fail "the new row is not the selected one"
t_ok

t_begin "away from the newest, the title counts the rows that arrived above"
ui_keys End
sleep 0.3
cli_reverse TC-CLI-22 TC-CLI-23
ui_wait_for "2 newer" 3
if ui_screen | grep -qF "TC-CLI-23"; then
	t_fail "the view jumped to the new rows"
fi
ui_keys Home
ui_wait_gone "newer" 3
t_ok

t_begin "after a resize the newest rows are in view"
ui_resize 80 24
sleep 0.3
for _ in $(seq 1 8); do ui_keys Down; done
if ! ui_poll ui_lacks "TC-CLI-23"; then
	t_fail "setup: the newest row should be scrolled out of the small window"
fi
ui_resize 100 40
ui_wait_for "TC-CLI-23" 3
t_ok

t_begin "the result card names partner and sub-merchant, the time over all attempts, and no answer"
ui_resize 100 30
sim_fault TC-DROP-1 '{"type":"drop"}'
ui_focus Order
ui_keys C-u
ui_type TC-DROP-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_yes
ui_wait_for "Result: TC-DROP-1" 15
screen=$(ui_screen)
t_contains "partner and sub-merchant" "$screen" "Test Provider (1230000109) > Coffee Shop"
t_contains "no answer instead of a dash" "$screen" "no answer received"
t_contains "attempts and the time over all of them" "$screen" "3 attempt(s) over"
ui_keys Escape
t_ok

t_begin "a spinner for another sub-merchant's order says whose it is"
sim_fault TC-SLOW-1 '{"type":"delay","ms":3000}'
ui_focus Order
ui_keys C-u
ui_type TC-SLOW-1
ui_wait_for "Enter to review" 5
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_yes
ui_wait_for "sending TC-SLOW-1" 5
ui_choose_sub 烤鸭
ui_wait_for "sending TC-SLOW-1 for Coffee Shop" 3
ui_wait_for "TC-SLOW-1: reversed" 10
t_ok
ui_keys F10
ui_stop
t_done
