#!/usr/bin/env bash
# The copy summary (Ctrl-T) is one line, the same wherever it is copied
# (history row, detail view, result card): local date and time with its
# offset, partner and sub-merchant, order, outcome, Request-ID and note.
. "$(dirname "$0")/lib_ui.sh"

ORDERS='[
 {"sub_mchid":"1900000109","out_trade_no":"UI-COPY-0001","state":"PAID"},
 {"sub_mchid":"1900000109","out_trade_no":"UI-COPY-0002","state":"PAID"}]'
ui_setup "$ORDERS" || t_setup_fail "the simulator did not start"

out=$(timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json --note T-4711 UI-COPY-0001 </dev/null 2>/dev/null)
REQ_ID=$(jq -r .request_id <<<"$out")

# copied: the text of the last "Copied the result" message.
copied() { ui_screen | grep -o 'Copied the result to the clipboard: .*' | sed 's/ *$//'; }

t_begin "Ctrl-T on a history row copies the ticket line"
ui_start_ok 250 30 TZ=Asia/Shanghai
ui_focus History
ui_keys Home C-t
ui_wait_for "Copied the result to the clipboard" 5
line=$(copied)
t_check "local time with its offset: $line" grep -Eq 'clipboard: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+\+08:00 ' <<<"$line"
t_contains "partner" "$line" "Test Provider (1230000109) > Coffee Shop (1900000109)"
t_contains "order and outcome" "$line" "out_trade_no=UI-COPY-0001 outcome=reversed"
t_contains "Request-ID" "$line" "request_id=$REQ_ID"
t_contains "note" "$line" "note=T-4711"
t_ok
ROW_LINE=$line

t_begin "the detail view copies the same line"
ui_keys Enter
ui_wait_for "Reversal #" 5
ui_keys C-l
sleep 0.3
ui_keys C-t
sleep 0.5
ui_wait_for "Copied the result to the clipboard" 5
t_eq "same line" "$ROW_LINE" "$(copied)"
ui_keys Escape
t_ok

t_begin "the result card copies a line in the same format"
ui_review "Coffee" UI-COPY-0002
ui_yes
ui_wait_for "UI-COPY-0002" 10
ui_wait_for "Ctrl-T: copy summary" 10
ui_keys C-t
ui_wait_for "out_trade_no=UI-COPY-0002" 5
line=$(copied)
t_contains "partner" "$line" "Test Provider (1230000109) > Coffee Shop (1900000109)"
t_contains "outcome" "$line" "out_trade_no=UI-COPY-0002 outcome=reversed request_id="
t_check "offset" grep -q '+08:00 ' <<<"$line"
t_eq "one request for the order" 1 "$(grep -c UI-COPY-0002 "$MAIN_LOG")"
t_ok

ui_stop
t_done
