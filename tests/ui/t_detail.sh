#!/usr/bin/env bash
# The detail view: a summary on top (who, the outcome, what happened to the
# money, the time over every attempt, the Request-ID or that no answer
# came), then the raw exchange; `/` searches it as it is typed, Enter keeps
# the search with its matches highlighted, n/N move between them, Esc ends
# it. Outside a search n is an order character like any other.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[{"sub_mchid":"1900000109","out_trade_no":"TD-PAID-1","state":"PAID"}]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

# Two reversals another run made: one answered, one that never reached a
# host (three attempts, no answer).
timeout $((60 * T_SLOW)) "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json --note "T-77" \
	TD-PAID-1 >"$T_TMP/paid.json" 2>/dev/null </dev/null
REQ_ID=$(jq -r .request_id "$T_TMP/paid.json")
write_profile "$T_TMP/closed.yaml" https://127.0.0.1:1 https://127.0.0.1:1
WXREV_BACKOFF_MS=1 timeout $((60 * T_SLOW)) "$WXREV_BIN" reverse --profiles "$T_TMP/closed.yaml" \
	--sub "Coffee Shop" --yes --no-settle TD-NOANS-1 >/dev/null 2>&1 </dev/null
SENT=$(sim_requests)

t_begin "the summary comes first: who, outcome, money, time over the attempts, Request-ID"
ui_start_ok 100 30
ui_wait_for TD-NOANS-1 5
ui_open_detail TD-PAID-1
screen=$(ui_screen)
t_contains "partner" "$screen" "$(L "Partner:      " "服务商：      ")Test Provider (1230000109)"
t_contains "sub-merchant" "$screen" "Coffee Shop (1900000109)"
t_contains "outcome" "$screen" "$(L "Outcome:      reversed" "结果：        已撤销")"
t_contains "money: both possibilities when the state before is not known" "$screen" \
	"$(L "Money:        refunded to the payer if it was paid, closed if it was not" "款项：        已支付的退款给付款人，未支付的已关闭")"
t_contains "time over every attempt" "$screen" "$(L "Time:         1 attempt(s) over " "用时：        共 1 次请求，历时 ")"
t_contains "the Request-ID, verified" "$screen" "$(L "Request-ID:   $REQ_ID; signature verified" "Request-ID：  $REQ_ID；签名已验证")"
heading=$(L "== The exchange with WeChat Pay" "== 与微信支付的往来")
sum_line=$(grep -nF "$(L "Request-ID:   " "Request-ID：  ")" <<<"$screen" | head -n 1 | cut -d: -f1)
raw_line=$(grep -nF "$heading" <<<"$screen" | cut -d: -f1)
raw_post=$(grep -nF "> POST" <<<"$screen" | cut -d: -f1)
t_check "the summary ($sum_line) above the exchange ($raw_line), the exchange above the request ($raw_post)" \
	test -n "$sum_line" -a -n "$raw_line" -a -n "$raw_post" -a "${sum_line:-0}" -lt "${raw_line:-0}" -a "${raw_line:-0}" -lt "${raw_post:-0}"
ui_keys Escape
ui_wait_gone "$(L "Detail: " "详情：")" 5
t_ok

t_begin "no answer: the summary and the attempts say so instead of a dash"
ui_open_detail TD-NOANS-1
screen=$(ui_screen)
t_contains "summary" "$screen" "$(L "Request-ID:   no answer received" "Request-ID：  未收到应答")"
t_contains "three attempts" "$screen" "$(L "Time:         3 attempt(s) over" "用时：        共 3 次请求，历时")"
if grep -qE 'Request-ID: -( |$)' <<<"$screen"; then
	t_fail "an attempt still shows 'Request-ID: -'"
fi
ui_keys End
ui_wait_for "$(L "Request-ID: no answer received" "未收到应答")" 5
ui_keys Escape
ui_wait_gone "$(L "Detail: " "详情：")" 5
t_ok

# highlighted TEXT: TEXT is on screen in reverse video (a match).
highlighted() { ui_screen_e | grep -qE $'\033\\[[0-9;]*7m(\033\\[[0-9;]*m)*'"$1"; }

t_begin "/ searches as it is typed and highlights the matches"
ui_open_detail TD-PAID-1
ui_keys /
ui_type redact
ui_wait_for "/redact" 5
highlighted redact || t_fail "the match is not highlighted"
ui_keys Enter
ui_wait_for "$(L "/redact  match 1 of 1" "/redact  第 1 个，共 1 个匹配")" 5
t_ok

t_begin "n and N move between the matches and scroll to them"
ui_keys /
ui_type TD-PAID-1
ui_keys Enter
ui_wait_for "$(L "match 1 of " "第 1 个，共 ")" 5
total=$(ui_screen | grep -oE "$(L 'match 1 of [0-9]+' '共 [0-9]+ 个匹配')" | grep -oE '[0-9]+$|[0-9]+ ' | tail -n 1 | tr -d ' ')
t_check "several matches ($total)" test "${total:-0}" -ge 3
for i in $(seq 2 "$total"); do ui_keys n; done
ui_wait_for "$(L "match $total of $total" "第 $total 个，共 $total 个匹配")" 5
t_check "the last match scrolled into view" bash -c "! tmux -S '$UI_SOCK' capture-pane -p -t '$UI_SESSION' | grep -qF '(1/'"
ui_keys n
ui_wait_for "$(L "match 1 of $total" "第 1 个，共 $total 个匹配")" 5
ui_keys N
ui_wait_for "$(L "match $total of $total" "第 $total 个，共 $total 个匹配")" 5
t_eq "nothing sent while searching" "$SENT" "$(sim_requests)"
t_ok

t_begin "Esc ends the search, the next Esc closes the view"
ui_keys Escape
ui_wait_gone "$(L "match " "个匹配")" 5
t_contains "the view is still open" "$(ui_screen)" "$(L "Detail: " "详情：")TD-PAID-1"
ui_keys Escape
ui_wait_gone "$(L "Detail: " "详情：")" 5
t_ok

t_begin "outside a search n is typed into the order number, as every order character"
ui_open_detail TD-PAID-1
ui_type n4200
ui_wait_gone "$(L "Detail: " "详情：")" 5
ui_wait_for "> $(ui_title Order)" 5
t_contains "the order field holds what was typed" "$(ui_screen)" "n4200"
ui_keys C-u
t_ok

t_begin "with matches shown, other order characters still go to the order number"
ui_open_detail TD-PAID-1
ui_keys /
ui_type POST
ui_keys Enter
ui_wait_for "$(L "match 1 of" "第 1 个")" 5
ui_type x42
ui_wait_gone "$(L "Detail: " "详情：")" 5
t_contains "the order field holds what was typed" "$(ui_screen)" "x42"
ui_keys C-u
t_ok

ui_stop
t_done
