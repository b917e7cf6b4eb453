#!/usr/bin/env bash
# Every screen at 80x24 in Chinese (LANGUAGE=zh_CN): each line of the pane
# is 80 columns, every border sits in its column, and closing an overlay
# (help, confirmation, result card, detail, question) leaves nothing of it
# behind, wide characters included.
UI_LANG=zh_CN
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000110","out_trade_no":"4200001234202611260","state":"PAID"},
 {"sub_mchid":"1900000110","out_trade_no":"4200001234202611261","state":"PAID"}
]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

# layout_check WHAT: every line is at most 80 columns wide and, unless an
# overlay is open (OVERLAY=1), the panes' borders are where the layout puts
# them: the top panes (rows 2-11) at columns 1 32 33 80 (profiles take 2/5
# of the width), the history pane (rows 14-20) at 1 80.
layout_check() {
	ui_screen | python3 -c '
import sys, unicodedata
overlay = sys.argv[1] == "1"
bad = []
for n, line in enumerate(sys.stdin.read().split("\n"), 1):
    col, bars = 0, []
    for c in line:
        col += 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if c == "\u2502":
            bars.append(col)
    if col > 80:
        bad.append("line %d is %d columns: %s" % (n, col, line))
    want = [1, 32, 33, 80] if 2 <= n <= 11 else [1, 80] if 14 <= n <= 20 else None
    if not overlay and want and bars != want:
        bad.append("line %d has its borders at %s, not %s: %s" % (n, bars, want, line))
print("\n".join(bad))
sys.exit(1 if bad else 0)' "${OVERLAY:-0}" >"$T_TMP/layout" 2>&1 ||
		t_fail "$1: $(cat "$T_TMP/layout")"
}

# overlay_check WHAT [full]: the overlay's own box (full: the one that
# covers the panes from the top left): on every line between its top and
# bottom corner, its two borders at the columns of the corners.
overlay_check() {
	local what=$1
	ui_screen | python3 -c '
import sys, unicodedata
def cols(s):
    out, col = [], 0
    for c in s:
        out.append((col, c))
        col += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return out
lines = sys.stdin.read().split("\n")
full = sys.argv[1] == "full"
top = None
for i, l in enumerate(lines):
    cs = cols(l)
    tl = [c for c, ch in cs if ch == "\u250c" and c > 0]
    if full and i == 0:
        tl = [0]
    if top is None and tl and (i > 0 or full):  # row 0: the corners of the panes
        left = tl[0]
        right = max(c for c, ch in cs if ch == "\u2510")
        top = i
        continue
    if top is not None:
        at = dict(cs)
        if at.get(left) == "\u2514" and at.get(right) == "\u2518":
            sys.exit(0)
        if at.get(left) != "\u2502" or at.get(right) != "\u2502":
            print("line %d: overlay borders not at columns %d and %d: %s" % (i + 1, left + 1, right + 1, l))
            sys.exit(1)
print("no overlay box found" if top is None else "the overlay box has no bottom")
sys.exit(1)' "${2:-}" >"$T_TMP/overlay" 2>&1 || t_fail "$what: $(cat "$T_TMP/overlay")"$'\n'"$(ui_screen | sed 's/^/    | /')"
}

# panes: the screen without its message line (row 22), which says what
# just happened.
panes() { ui_screen | sed '22d'; }

# same_as BEFORE WHAT: after an overlay closed, the panes are what they were.
same_as() {
	local now
	sleep 0.5
	now=$(panes)
	if [ "$now" != "$1" ]; then
		t_fail "$2: the screen differs from before the overlay:"
		diff <(echo "$1") <(echo "$now") | sed 's/^/    | /'
	fi
}

t_begin "zh_CN 80x24: the main screen and a long Chinese filter keep their borders"
ui_start_ok 80 24
layout_check "main screen"
ui_focus Profiles
ui_keys /
ui_type 北京烤鸭店北京烤鸭店北京烤鸭店北京烤鸭店
sleep 0.4
layout_check "a filter wider than the pane"
ui_keys C-u
ui_type 烤鸭
ui_keys Enter
ui_wait_for "> 商户订单号" 5
# Chinese wraps between its characters, never inside a word of Latin ones.
t_check "the empty field's hint keeps out_trade_no whole" ui_wait_for "（out_trade_no）" 5
ui_type 4200001234202611260
ui_wait_for "按 Enter 核对" 5
layout_check "the order form"
t_ok

t_begin "zh_CN 80x24: help opens in its box and leaves nothing behind"
before=$(panes)
ui_keys F1
ui_wait_for "按键（Esc 关闭" 5
OVERLAY=1 layout_check "help"
overlay_check "help"
ui_keys Escape
ui_wait_gone "按键（Esc 关闭" 5
same_as "$before" "help closed"
layout_check "after help"
t_ok

t_begin "zh_CN 80x24: the confirmation, cancelled, leaves nothing behind"
before=$(panes)
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
OVERLAY=1 layout_check "confirmation"
overlay_check "confirmation"
ui_keys Escape
ui_wait_gone "撤销这笔订单？" 5
same_as "$before" "confirmation closed"
layout_check "after the confirmation"
t_ok

t_begin "zh_CN 80x24: the result card and the history row"
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
ui_yes
ui_wait_for "结果：4200001234202611260" 10
OVERLAY=1 layout_check "result card"
overlay_check "result card"
ui_keys Escape
ui_wait_gone "结果：4200001234202611260" 5
ui_wait_for "历史记录 1/1" 5
sleep 0.3
layout_check "after the result card"
t_contains "the filter line is whole" "$(ui_screen)" "│/烤鸭 "
t_ok

t_begin "zh_CN 80x24: the confirmation with history, the detail view"
ui_type 4200001234202611261
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
OVERLAY=1 layout_check "confirmation"
overlay_check "confirmation"
ui_keys n
ui_wait_gone "撤销这笔订单？" 5
ui_focus History
before=$(panes)
ui_keys Enter
ui_wait_for "详情：" 5
overlay_check "detail" full
ui_keys Escape
ui_wait_gone "详情：" 5
same_as "$before" "detail closed"
layout_check "after the detail view"
t_ok

ui_keys F10
ui_stop
t_done
