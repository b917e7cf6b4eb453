#!/usr/bin/env bash
# What the screen looks like: resizing and the too-small message, the
# 80x24 layout, Chinese text with intact borders, escaped network text,
# NO_COLOR, and bracketed paste.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[{"sub_mchid":"1900000110","out_trade_no":"UI-PASTE-1","state":"PAID"}]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

# every_line_is WIDTH: each bordered line of the screen is WIDTH columns
# wide and ends in a border (wide characters count two columns).
borders_intact() {
	local width=$1 line w bad=0
	while IFS= read -r line; do
		case "$line" in
		*│) ;;
		*) continue ;;
		esac
		w=$(ui_width "$line")
		if [ "$w" != "$width" ]; then
			t_fail "line is $w columns, not $width: $line"
			bad=1
		fi
	done < <(ui_screen)
	return $bad
}

t_begin "resizing below 80x24 says so, and growing back redraws"
ui_start_ok 100 30
ui_resize 60 20
ui_wait_for "terminal too small (need 80x24, have 60x20)" 5
if ui_screen | grep -q "Profiles"; then
	t_fail "panes are still drawn in a 60x20 terminal"
fi
ui_resize 100 30
ui_wait_for "Profiles" 5
ui_wait_gone "terminal too small" 5
borders_intact 100
t_ok

t_begin "the 80x24 layout fits: every pane and the status bar"
ui_resize 80 24
ui_wait_for "Profiles" 5
screen=$(ui_screen)
t_eq "rows used" 24 "$(wc -l <<<"$screen")"
t_contains "order form" "$screen" "Order number"
t_contains "history" "$screen" "History"
t_contains "status bar" "$(tail -n 1 <<<"$screen")" "Test Provider"
borders_intact 80
t_ok

t_begin "a Chinese name and message keep every border in its column"
ui_resize 100 30
ui_wait_for "Profiles" 5
ui_choose_sub 烤鸭
ui_wait_for "Sub-merchant  北京烤鸭店" 5
ui_keys C-u
ui_type UI-NOT-THERE
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_yes
ui_wait_for "订单不存在" 10
screen=$(ui_screen)
t_contains "code" "$screen" "ORDER_NOT_EXIST"
borders_intact 100
msg=$(ui_line_with "订单不存在")
ref=$(ui_line_with "ORDER_NOT_EXIST")
t_eq "modal borders line up with the Chinese message" "$(ui_bars "$ref")" "$(ui_bars "$msg")"
ui_keys Escape
ui_wait_gone "Result:" 5
borders_intact 100
t_ok

t_begin "control characters and escape sequences from the network are shown escaped"
sim_fault UI-ESC-1 '{"type":"escape_message"}'
ui_choose_sub "Coffee"
ui_wait_for "Sub-merchant  Coffee Shop" 5
ui_keys C-u
ui_type UI-ESC-1
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_yes
ui_wait_for "Result: UI-ESC-1" 10
ui_wait_for '\x1b' 5
raw=$(ui_screen_e)
# capture-pane -e writes only SGR sequences of its own; anything else
# (titles, cursor moves, OSC, bells) would have come from the message.
others=$(printf '%s' "$raw" | tr -d '\n' | sed -E 's/\x1b\[[0-9;:]*m//g' | tr -cd '\000-\010\013-\037\177' | od -An -c | tr -d ' \n')
t_eq "raw control bytes on the screen" "" "$others"
borders_intact 100
ui_keys Escape
t_ok

t_begin "a bracketed paste is trimmed into the order field"
ui_focus Order
ui_keys C-u
ui_paste $'  \tUI-PASTE-1 \r\n'
ui_wait_for "Order number  UI-PASTE-1" 5
ui_wait_for "10 characters; Enter to review." 5
ui_keys Home
ui_type X
ui_wait_for "Order number  XUI-PASTE-1" 5
ui_keys End BSpace
ui_wait_for "Order number  XUI-PASTE-" 5
ui_keys C-u
ui_type "BAD ORDER"
ui_wait_for "character 4 (a space) is not allowed" 5
ui_keys Enter
ui_wait_for "Order number  BAD ORDER" 5
if ui_screen | grep -q "Reverse this order?"; then
	t_fail "an invalid order number opened the confirmation"
fi
t_ok

t_begin "colours are used, and NO_COLOR turns them off"
ui_keys C-u
ui_focus History
sleep 0.3
colours=$(ui_screen_e | grep -cE $'\x1b\\[([0-9;]*;)?(3[0-7]|38;5;[0-9]+|4[0-7])m')
[ "$colours" -gt 0 ] || t_fail "no colour on the screen without NO_COLOR"
ui_keys F10
ui_wait_exit 10
ui_start_ok 100 30 NO_COLOR=1
ui_wait_for "History 1/2" 5
colours=$(ui_screen_e | grep -cE $'\x1b\\[([0-9;]*;)?(3[0-7]|38;5;[0-9]+|4[0-7]|9[0-7])m')
t_eq "colour sequences under NO_COLOR" 0 "$colours"
t_contains "the focused pane still shows" "$(ui_screen)" "> "
t_ok
ui_stop
t_done
