#!/usr/bin/env bash
# The desk's everyday flow in the real terminal UI against the simulator:
# choose a sub-merchant by filter, reverse, read the result and the history
# row, cancel safely, open the detail view, filter the history, get help,
# a terminal too small. One body for both languages: UI_LANG=zh_CN (see
# t_flow_zh.sh) runs it in Chinese and every check reads the Chinese text.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000110","out_trade_no":"4200001234202611260","state":"PAID"},
 {"sub_mchid":"1900000110","out_trade_no":"UI-CANCEL-1","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"UI-COFFEE-7","state":"NOTPAY"}
]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

REVIEW=$(L "Enter to review" "按 Enter 核对")
CONFIRM=$(L "Reverse this order?" "撤销这笔订单？")
SUB_LABEL=$(L "Sub-merchant  " "子商户        ")
HELP_TITLE=$(L "Keys (Esc closes" "按键（Esc 关闭")

# no_english SCREEN: in Chinese, none of wxrev's own English words is left
# (names, order numbers, hosts and protocol words stay as they are).
no_english() {
	[ "$UI_LANG" = zh_CN ] || return 0
	local w
	for w in "Profiles" "History" "Order number" "Sub-merchant" "Partner" \
		"Reverse this order" "Result:" "Cancel" "Next step" "Meaning" \
		"Keys (" "no reversal yet" "too small" "reversed" "review" \
		"Enter to" "Esc closes" "help" "quit" "Note" "Endpoint"; do
		if grep -qF -- "$w" <<<"$1"; then
			t_fail "English left on the screen: '$w' in:"
			sed 's/^/    | /' <<<"$1"
		fi
	done
}

t_begin "a sub-merchant is chosen by typing part of its Chinese name"
ui_start_ok
no_english "$(ui_screen)"
ui_choose_sub 烤鸭
ui_wait_for "${SUB_LABEL}北京烤鸭店 (1900000110)" 5
t_contains "status bar names the sub-merchant" "$(ui_screen | tail -n 1)" "北京烤鸭店 (1900000110"
no_english "$(ui_screen)"
t_ok

t_begin "an order number under 6 characters shows the rule and never reaches the confirmation"
ui_keys C-u
ui_type A1234
ui_wait_for "$(L "requires 6 to 32" "微信支付要求 6 到")" 5
ui_keys Enter
sleep 0.5
t_contains "the rule stays on screen" "$(ui_screen)" "$(L "WeChat Pay requires 6 to 32" "微信支付要求 6 到")"
if ui_screen | grep -qF "$CONFIRM"; then
	t_fail "the confirmation opened for a 5-character order number"
fi
t_eq "the simulator received nothing" 0 "$(jq -c 'select(.target | contains("/A1234/"))' "$SIM_LOG" | wc -l | tr -d ' ')"
t_ok

t_begin "cancelling the confirmation sends nothing"
ui_keys C-u
ui_type UI-CANCEL-1
ui_wait_for "$REVIEW" 5
ui_keys Enter
ui_wait_for "$CONFIRM" 5
screen=$(ui_screen)
t_contains "confirmation names the partner" "$screen" "Test Provider (1230000109)"
t_contains "confirmation names the sub-merchant" "$screen" "北京烤鸭店 (1900000110)"
t_contains "confirmation warns about the refund" "$screen" \
	"$(L "A paid order will be refunded to the payer" "已支付的订单将退款给付款人")"
t_contains "confirmation names the endpoint host" "$screen" "127.0.0.1"
t_contains "confirmation says a retry has no backup host" "$screen" \
	"$(L "Backup        none: retries go only to 127.0.0.1" "备用接入点    无：重试只发往 127.0.0.1")"
t_contains "focus starts on Cancel" "$screen" "$(L "[ Cancel ]" "[ 取消 ]")"
no_english "$screen"
ui_keys Enter # the focused button is Cancel
ui_wait_gone "$CONFIRM" 5
ui_keys Enter
ui_wait_for "$CONFIRM" 5
ui_keys n
ui_wait_for "$(L "Cancelled: nothing was sent for UI-CANCEL-1" "已取消：UI-CANCEL-1 未发送任何请求。")" 5
ui_keys Enter
ui_wait_for "$CONFIRM" 5
ui_keys Escape
ui_wait_gone "$CONFIRM" 5
sleep 0.3
t_eq "requests the simulator received" 0 "$(sim_requests)"
t_eq "simulator still holds the order as paid" PAID "$(sim_state UI-CANCEL-1)"
t_ok

t_begin "a paid order is reversed; the result and the new history row show"
ui_keys C-u
ui_type 4200001234202611260
ui_wait_for "$REVIEW" 5
ui_keys Enter
ui_wait_for "$CONFIRM" 5
t_contains "digits are grouped for reading" "$(ui_screen)" "4200 0012 3420 2611 260"
t_contains "nothing known yet" "$(ui_screen)" \
	"$(L "nothing yet for this order" "任何子商户下都还没有这笔订单的记录")"
ui_yes
ui_wait_for "$(L "Result: " "结果：")4200001234202611260" 10
screen=$(ui_screen)
t_contains "outcome in words" "$screen" "$(L "REVERSED: WeChat Pay reversed the order" "已撤销：微信支付已撤销该订单")"
t_contains "names the sub-merchant" "$screen" "> 北京烤鸭店 (1900000110)"
t_contains "Request-ID shown" "$screen" "Request-ID"
t_contains "next step" "$screen" "$(L "Next step" "下一步")"
no_english "$screen"
t_eq "simulator reversed the order" REVERSED "$(sim_state 4200001234202611260)"
t_eq "requests the simulator received" 1 "$(sim_count 4200001234202611260)"
ui_keys Escape
ui_wait_gone "$(L "Result: " "结果：")4200001234202611260" 5
row=$(ui_screen | grep -F 42000012342026 | grep -F "$(L reversed 已撤销)" | head -n 1)
t_contains "history row outcome" "$row" "$(L reversed 已撤销)"
t_contains "history row sub-merchant" "$row" "北京烤鸭店"
t_contains "history row status" "$row" "200"
t_contains "history pane counts it" "$(ui_screen)" "$(L History 历史记录) 1/1"
t_eq "the send emptied the order field" "" \
	"$(ui_line_with "$(L "Order number" "商户订单号")    " | sed "s/.*$(L "Order number" "商户订单号") *//; s/ *│.*//")"
t_eq "the history stores the outcome in English" reversed \
	"$(hist_sql "SELECT outcome FROM reversals WHERE out_trade_no = '4200001234202611260'")"
no_english "$(ui_screen)"
t_ok

t_begin "the confirmation shows what the history already holds"
ui_keys Up # the number just sent
ui_wait_for "$REVIEW" 5
ui_keys Enter
ui_wait_for "$CONFIRM" 5
t_contains "earlier reversal, how long ago, by its operator" "$(ui_screen)" \
	"$(L "ago by tester, " "前，操作员 tester，")"
t_contains "earlier outcome" "$(ui_screen)" "$(L "History       reversed " "历史记录      已撤销 ")"
no_english "$(ui_screen)"
ui_keys n
ui_wait_gone "$CONFIRM" 5
t_ok

t_begin "a note is kept with the reversal and found by the history filter"
ui_choose_sub 1900000109
ui_wait_for "${SUB_LABEL}Coffee Shop (1900000109)" 5
ui_keys C-u
ui_type UI-COFFEE-7
ui_keys Down
ui_type "TICKET-4711 wrong till"
ui_keys Enter
ui_wait_for "$CONFIRM" 5
t_contains "note in the confirmation" "$(ui_screen)" "TICKET-4711 wrong till"
ui_yes
ui_wait_for "$(L "Result: " "结果：")UI-COFFEE-7" 10
ui_keys Escape
ui_wait_for "$(L History 历史记录) 1/2" 5
ui_focus History
ui_keys /
ui_type TICKET-4711
# "1/2" would also match "History 1": wait for the filtered count.
ui_wait_for "$(L History 历史记录) 1/1" 5
screen=$(ui_screen)
t_contains "filtered row" "$screen" "UI-COFFEE-7"
if grep -q 4200001234202611260 <<<"$screen"; then
	t_fail "the filter still shows a row without the note"
fi
ui_keys Escape
ui_wait_for "$(L History 历史记录) 1/2" 5
ui_keys /
ui_type 北京
# "1/2" would also match "History 1": wait for the filtered count.
ui_wait_for "$(L History 历史记录) 1/1" 5
t_contains "filter by sub-merchant name" "$(ui_screen)" "4200001234"
ui_keys C-u
ui_type rejected
ui_wait_for "$(L "nothing matches the filter" "没有符合筛选条件的记录")" 5
ui_keys Escape
ui_wait_for "$(L History 历史记录) 1/2" 5
t_ok

t_begin "the detail view shows the exchange with the signature redacted"
ui_keys End # the oldest row: the reversal of 4200001234202611260
ui_keys Enter
ui_wait_for "$(L "Detail: " "详情：")4200001234202611260" 5
screen=$(ui_screen)
# The summary comes first; the exchange goes on below it.
ui_keys NPage
ui_wait_gone "4200001234202611260$(L "  (1/" "（1/")" 5
screen+=$'\n'$(ui_screen)
# Long lines wrap at the window's edge (100 columns here).
t_contains "request line" "$screen" "> POST $MAIN_URL/v3/pay/partner/transactions/out-trade-no/42000012342"
t_contains "signature redacted" "$screen" '"[redacted]"'
t_contains "pretty-printed request body" "$screen" '    "sub_mchid": "1900000110"'
t_contains "response status" "$screen" "< HTTP 200"
t_contains "Request-ID" "$screen" "Request-ID"
t_contains "outcome in the reader's words" "$screen" "$(L "Outcome:      reversed" "结果：        已撤销")"
if grep -qE 'signature="[A-Za-z0-9+/=]{20,}' <<<"$screen"; then
	t_fail "a signature value is on the screen"
fi
ui_keys End
ui_wait_for "$(L "Signature: verified" "签名：已验证")" 5
t_contains "pretty-printed response body" "$(ui_screen)" '"out_trade_no": "4200001234202611260"'
ui_keys Escape
ui_wait_gone "$(L "Detail:" "详情：")" 5
t_ok

t_begin "? shows the key table the dispatcher uses"
ui_keys ?
ui_wait_for "$HELP_TITLE" 5
screen=$(ui_screen)
t_contains "help lists Tab" "$screen" "$(L "focus the next pane" "切换到下一个窗格")"
t_contains "help lists the filter key" "$screen" "$(L "filter as you type" "边输入边筛选")"
no_english "$screen"
# A long description wraps under itself; none is cut short with "…".
box=$(sed -n "/$HELP_TITLE/,/└/p" <<<"$screen")
t_lacks "no key's help is cut short" "$box" "…"
# Further down the table: a page at a time until it shows (or the end).
sends=$(L "send (the only key that does)" "发送（只有这个键会发送）")
ui_keys PPage
for _ in 1 2 3 4; do
	ui_keys NPage
	sleep 0.3
	ui_screen | grep -qF -- "$sends" && break
done
t_contains "help lists the only key that sends" "$(ui_screen)" "$sends"
ui_keys Escape
ui_wait_gone "$HELP_TITLE" 5
ui_keys F1
ui_wait_for "$HELP_TITLE" 5
ui_keys Escape
t_ok

t_begin "a mouse click moves the focus"
ui_wait_gone "$HELP_TITLE" 5
ui_type $'\033[<0;5;4M'
ui_type $'\033[<0;5;4m'
ui_wait_for "> $(ui_title Profiles)" 5
ui_type $'\033[<0;60;4M'
ui_type $'\033[<0;60;4m'
ui_wait_for "> $(ui_title Order)" 5
t_ok

t_begin "a terminal below 80x24 says so, and the screen comes back"
ui_resize 60 20
ui_wait_for "$(L "terminal too small (need 80x24, have 60x20)" "终端太小（需要 80x24，当前 60x20）")" 5
t_contains "how to go on" "$(ui_screen)" "$(L "Enlarge the window, or press F10 to quit." "请放大窗口，或按 F10 退出。")"
ui_resize 100 30
ui_wait_for "> $(ui_title Order)" 5
t_ok

t_begin "the chosen sub-merchant is remembered across runs"
ui_keys F10
ui_wait_exit 10
t_eq "exit status" 0 "$UI_RC"
ui_start_ok
ui_wait_for "${SUB_LABEL}Coffee Shop (1900000109)" 5
t_contains "starts in the order form" "$(ui_screen)" "> $(ui_title Order)"
t_ok

t_begin "Ctrl-Y in the history copies the order number with OSC 52"
ui_focus History
ui_keys Home C-y
ui_wait_for "$(L "Copied the order number to the clipboard: UI-COFFEE-7" "已把商户订单号复制到剪贴板：UI-COFFEE-7")" 5
t_ok
ui_stop
t_done
