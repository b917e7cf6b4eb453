#!/usr/bin/env bash
# Regenerates screenshots/{main,confirm,result,detail,desk}.png, and the same
# screens in Chinese in screenshots/zh_CN/ (LANGUAGE=zh_CN), from the same
# tmux flows the UI tests drive: capture-pane -e, aha to HTML, headless
# Chromium with a CJK font to PNG. Used by `make screenshots`; not a test.
# Installs aha, chromium and fonts-noto-cjk with apt-get when missing.
set -uo pipefail
# Eight browser renders and two flows: more than a test's watchdog allows
# on a busy machine; each step still has its own bound.
UI_TIMEOUT=${UI_TIMEOUT:-900}
. "$(dirname "$0")/lib_ui.sh"

OUT="$T_ROOT/screenshots"
COLS=100 ROWS=30

need_pkgs() {
	local missing=()
	command -v aha >/dev/null || missing+=(aha)
	command -v chromium >/dev/null || missing+=(chromium)
	fc-list 2>/dev/null | grep -qi "CJK" || missing+=(fonts-noto-cjk)
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "screenshots: installing ${missing[*]}" >&2
	$sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

# shot NAME: the pane as a PNG in $OUT/NAME.png.
shot() {
	local name=$1
	local html="$T_TMP/$name.html" profile="$T_TMP/chromium-$name"
	ui_screen_e | aha --black --title "wxrev" >"$html.raw"
	# Each wide character sits in a box exactly two cells wide, so the
	# browser's CJK glyph widths cannot push the borders out of line.
	perl -CSD -pe 's/([\x{1100}-\x{115F}\x{2E80}-\x{A4CF}\x{AC00}-\x{D7A3}\x{F900}-\x{FAFF}\x{FE30}-\x{FE4F}\x{FF00}-\x{FF60}\x{FFE0}-\x{FFE6}])/<span class="w">$1<\/span>/g;
		s|</head>|<style>body{margin:8px;font-family:"Noto Sans Mono CJK SC","Noto Sans Mono",monospace;font-size:15px;line-height:1.15;}pre{margin:0}.w{display:inline-block;width:2ch;text-align:center}</style></head>|' \
		"$html.raw" >"$html"
	mkdir -p "$profile"
	# A browser that hangs must not stall `make screenshots`.
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --user-data-dir="$profile" \
		--hide-scrollbars --window-size=940,540 \
		--screenshot="$OUT/$name.png" "file://$html" >/dev/null 2>&1
	[ -s "$OUT/$name.png" ] && echo "screenshots: $OUT/$name.png"
}

need_pkgs || { echo "screenshots: cannot install the tools" >&2; exit 1; }
mkdir -p "$OUT"
ORDERS='[
 {"sub_mchid":"1900000110","out_trade_no":"4200001234202611260","state":"PAID","amount":12800},
 {"sub_mchid":"1900000109","out_trade_no":"4200009876202611261","state":"PAID","amount":3500}
]'
# The confirmation reads the order first, so it shows what reversing does
# to the money (README, "Know the order").
export UI_QUERY=true
ui_setup "$ORDERS" || { echo "screenshots: the simulator did not start" >&2; exit 1; }

# send_anyway: a confirmation whose query found nothing to reverse starts on
# Cancel; F8 sends all the same (the result card of a refusal is a shot).
send_anyway() {
	ui_wait_for "F8" $((5 * T_SLOW)) && ui_keys F8
}

# screenshots/desk.png: on a desk history (a local PostgreSQL, as the tests
# start it) bob is reversing an order; alice's confirmation names him.
desk_shot() {
	. "$T_ROOT/tests/lib_pg.sh"
	pg_start || return 1
	pg_desk alice bob || return 1
	local order=4200005555202611262 bob
	sim_paid "$order"
	sim_fault "$order" '{"type":"delay","ms":15000,"count":1}'
	WXREV_HISTORY=$(pg_uri bob) "$WXREV_BIN" reverse --sub "Coffee Shop" --yes "$order" >/dev/null 2>&1 </dev/null &
	bob=$!
	for _ in $(seq 1 50); do
		[ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE operator = 'bob'")" = 1 ] && break
		sleep 0.1
	done
	WXREV_HISTORY=$(pg_uri alice) ui_start_ok "$COLS" "$ROWS" || return 1
	ui_review Coffee "$order"
	ui_wait_for "bob is reversing this order now" 5 && shot desk
	ui_keys Escape F10
	ui_stop
	wait "$bob"
}
if [ "${1:-}" = desk ]; then # only this one: tests/ui/screenshots.sh desk
	desk_shot
	exit
fi
export WXREV_OPERATOR=alice
export WXREV_HISTORY="$HOME/.local/share/wxrev/history.db"

ui_start_ok "$COLS" "$ROWS" || exit 1
# A little history first, so the main screen has rows to show.
ui_choose_sub Coffee
ui_wait_for "> Order" 5
ui_type 4200009876202611261
ui_keys Enter
ui_wait_for "Reverse this order?" 5
ui_yes
ui_wait_for "Result:" 10
ui_keys Escape
ui_keys C-u
ui_type UI-MISSING-7
ui_keys Enter
ui_wait_for "Reverse this order?" 5
send_anyway
ui_wait_for "Result:" 10
ui_keys Escape
ui_choose_sub 烤鸭
ui_wait_for "> Order" 5
ui_keys C-u
ui_type 4200001234202611260
ui_wait_for "Enter to review" 5
shot main
ui_keys Enter
ui_wait_for "y: reverse" 5
ui_wait_for "¥128.00" $((10 * T_SLOW))
shot confirm
ui_yes
ui_wait_for "Result: 4200001234202611260" 10
ui_keys C-u
ui_keys Escape
ui_focus Order
ui_keys C-u
ui_type UI-MISSING-7
ui_keys Enter
ui_wait_for "Reverse this order?" 5
send_anyway
ui_wait_for "订单不存在" 10
shot result
ui_keys Escape
ui_focus History
ui_keys Home Enter
ui_wait_for "Detail:" 5
shot detail
ui_keys Escape F10
ui_stop

desk_shot || echo "screenshots: no desk.png (PostgreSQL did not start)" >&2

# The same screens in Chinese, on a fresh history, for README.zh-CN.md.
OUT="$T_ROOT/screenshots/zh_CN"
mkdir -p "$OUT"
export WXREV_HISTORY="$HOME/.local/share/wxrev/history-zh.db"
sim_order '{"sub_mchid":"1900000110","out_trade_no":"4200001234202611270","state":"PAID","amount":12800}'
sim_order '{"sub_mchid":"1900000109","out_trade_no":"4200009876202611271","state":"PAID","amount":3500}'
UI_LANG=zh_CN
ui_start "$COLS" "$ROWS" || exit 1
ui_wait_for "服务商 3" 10
ui_focus "服务商"
ui_keys /
ui_type Coffee
ui_keys Enter
ui_wait_for "> 商户订单号" 5
ui_type 4200009876202611271
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
ui_yes
ui_wait_for "结果：" 10
ui_keys Escape
ui_keys C-u
ui_type UI-MISSING-8
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
send_anyway
ui_wait_for "结果：" 10
ui_keys Escape
ui_focus "服务商"
ui_keys /
ui_type 烤鸭
ui_keys Enter
ui_wait_for "> 商户订单号" 5
ui_keys C-u
ui_type 4200001234202611270
ui_wait_for "按 Enter 核对" 5
shot main
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
ui_wait_for "¥128.00" $((10 * T_SLOW))
ui_wait_for "y：撤销" 5
shot confirm
ui_yes
ui_wait_for "结果：4200001234202611270" 10
ui_keys Escape
ui_focus "商户订单号"
ui_keys C-u
ui_type UI-MISSING-9
ui_keys Enter
ui_wait_for "撤销这笔订单？" 5
send_anyway
ui_wait_for "订单不存在" 10
shot result
ui_keys Escape
ui_focus "历史记录"
ui_keys Home Enter
ui_wait_for "详情：" 5
shot detail
ui_keys Escape F10
ui_stop
