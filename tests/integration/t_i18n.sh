#!/usr/bin/env bash
# Languages: the zh_CN catalogue is complete and current, the language is
# chosen the GNU way (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), a build-tree
# wxrev finds its own catalogue, and nothing a machine reads (--json,
# history exports, exit statuses) changes with the language.
. "$(dirname "$0")/lib_sim.sh"

ZH=(env LANGUAGE=zh_CN LANG=C.UTF-8 LC_ALL=C.UTF-8)
EN=(env -u LANGUAGE LANG=C.UTF-8 LC_ALL=C.UTF-8)

for tool in msgfmt; do
	command -v "$tool" >/dev/null || {
		t_setup_fail "$tool is required (scripts/deps.sh installs gettext)"
	}
done

t_begin "msgfmt --check: every zh_CN message translated, none fuzzy"
stats=$(msgfmt --check --statistics -o /dev/null "$T_ROOT/po/zh_CN.po" 2>&1)
t_eq "msgfmt --check exit" 0 "$?"
t_check "statistics: $stats" grep -Eq '^[0-9]+ translated messages\.$' <<<"$stats"
t_ok

t_begin "the build tree carries the compiled catalogue"
t_check "build/locale/zh_CN/LC_MESSAGES/wxrev.mo exists" \
	test -s "$(dirname "$WXREV_REAL_BIN")/../locale/zh_CN/LC_MESSAGES/wxrev.mo"
t_ok

t_begin "LANGUAGE=zh_CN with LANG=C.UTF-8 speaks Chinese; without it, English"
"${ZH[@]}" "$WXREV_BIN" reverse --sub X --yes </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "zh exit" 2 "$?"
t_contains "zh usage error" "$(cat "$T_TMP/err")" "请至少给出一个商户订单号"
t_contains "zh points at --help" "$(cat "$T_TMP/err")" "参见 wxrev --help"
"${EN[@]}" "$WXREV_BIN" reverse --sub X --yes </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "en exit" 2 "$?"
t_contains "en usage error" "$(cat "$T_TMP/err")" "give at least one order number"
t_ok

t_begin "--help in Chinese: every part of it"
"${ZH[@]}" "$WXREV_BIN" --help >"$T_TMP/out" 2>&1
t_eq "exit" 0 "$?"
for w in "用法：" "终端界面" "撤销订单" "撤销一份订单清单" "列出以往的撤销记录" "列出服务商和子商户" "通用选项：" "环境变量：" "退出状态："; do
	t_contains "has $w" "$(cat "$T_TMP/out")" "$w"
done
t_ok

t_begin "profiles --check in Chinese on the Chinese example: file:line:column and the fix"
t_eq "the Chinese example holds the same keys and values as the English one" \
	"$(grep -Ev '^[[:space:]]*(#|$)' "$T_ROOT/profiles/example.yaml")" \
	"$(grep -Ev '^[[:space:]]*(#|$)' "$T_ROOT/profiles/example.zh_CN.yaml")"
(cd "$T_ROOT" && "${ZH[@]}" "$WXREV_BIN" profiles --check --profiles profiles/example.zh_CN.yaml) \
	</dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit" 2 "$?"
t_eq "only the three key files a desk provides are missing" 3 \
	"$(grep -Ec '^profiles/example\.zh_CN\.yaml:[0-9]+:[0-9]+: [a-z_.]+：.* 不存在；请修正路径' "$T_TMP/err")"
t_check "comments are Chinese" grep -q '^# 服务商的商户号：账户中心 → 商户信息。' "$T_ROOT/profiles/example.zh_CN.yaml"
t_ok

t_begin "the Chinese README and man page exist and the README links the Chinese one first"
t_check "README.md links README.zh-CN.md at the top" grep -q 'README.zh-CN.md' <(head -n 5 "$T_ROOT/README.md")
t_check "README.zh-CN.md links back" grep -q '(README.md)' <(head -n 5 "$T_ROOT/README.zh-CN.md")
t_check "the Chinese man page renders" bash -c "man -l '$T_ROOT/docs/wxrev.zh_CN.1' 2>/dev/null | grep -q '退出状态'"
t_ok

t_begin "LANG=zh_CN.UTF-8 speaks Chinese whether or not that locale is installed"
env -u LANGUAGE -u LC_ALL LANG=zh_CN.UTF-8 "$WXREV_BIN" reverse --sub X --yes </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit" 2 "$?"
t_contains "Chinese" "$(cat "$T_TMP/err")" "请至少给出一个商户订单号"
t_ok

t_begin "the ASCII C locale stays English even with LANGUAGE=zh_CN (no mojibake)"
env LANGUAGE=zh_CN LC_ALL=C LANG=C "$WXREV_BIN" reverse --sub X --yes </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_contains "English" "$(cat "$T_TMP/err")" "give at least one order number"
t_ok

# Machine output in both languages, against the simulator.
sim_setup || t_setup_fail "the simulator did not start"

# rev LANG_ENV... -- ORDER: reverse --json for Coffee Shop; sets WX_*.
rev() {
	local order=${*: -1}
	set -- "${@:1:$#-1}"
	"$@" "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json "$order" \
		</dev/null >"$T_TMP/out" 2>"$T_TMP/err"
	WX_RC=$? WX_OUT=$(cat "$T_TMP/out") WX_ERR=$(cat "$T_TMP/err")
}
# Drops what differs between two runs of the same reversal.
stable() { jq -c 'del(.history_id, .latency_ms, .request_id)'; }

t_begin "reverse --json is the same in Chinese and English (reversed, rejected, failed)"
sim_paid I18N-EN-1
sim_paid I18N-ZH-1
rev "${EN[@]}" I18N-EN-1
en_rc=$WX_RC en=$(stable <<<"$WX_OUT")
rev "${ZH[@]}" I18N-ZH-1
t_eq "exit status" "$en_rc" "$WX_RC"
t_eq "outcome" reversed "$(jfield "$WX_OUT" outcome)"
t_eq "--json" "${en//I18N-EN-1/I18N-ZH-1}" "$(stable <<<"$WX_OUT")"
rev "${EN[@]}" I18N-MISSING-EN
en_rc=$WX_RC en=$(stable <<<"$WX_OUT")
rev "${ZH[@]}" I18N-MISSING-ZH
t_eq "rejected exit status" "$en_rc" "$WX_RC"
t_eq "rejected outcome" rejected "$(jfield "$WX_OUT" outcome)"
t_eq "rejected --json" "${en//I18N-MISSING-EN/I18N-MISSING-ZH}" "$(stable <<<"$WX_OUT")"
sim_paid I18N-PAYING-EN "$SUB_COFFEE" USERPAYING
sim_paid I18N-PAYING-ZH "$SUB_COFFEE" USERPAYING
rev "${EN[@]}" I18N-PAYING-EN
en_rc=$WX_RC en=$(stable <<<"$WX_OUT")
rev "${ZH[@]}" I18N-PAYING-ZH
t_eq "failed exit status" "$en_rc" "$WX_RC"
t_eq "failed outcome" failed "$(jfield "$WX_OUT" outcome)"
t_eq "failed --json" "${en//I18N-PAYING-EN/I18N-PAYING-ZH}" "$(stable <<<"$WX_OUT")"
t_ok

t_begin "the human summary of the same reversal is Chinese in Chinese"
sim_paid I18N-ZH-2
"${ZH[@]}" "$WXREV_BIN" reverse --sub "Coffee Shop" --yes I18N-ZH-2 </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit" 0 "$?"
t_contains "message translated for reading" "$(cat "$T_TMP/out")" "微信支付已撤销该订单"
t_contains "outcome as a person reads it" "$(cat "$T_TMP/out")" "I18N-ZH-2  已撤销"
t_contains "next step" "$(cat "$T_TMP/out")" "无需处理：订单已撤销。"
t_ok

t_begin "a WeChat Pay code is explained in Chinese, its message shown as sent"
"${ZH[@]}" "$WXREV_BIN" reverse --sub "Coffee Shop" --yes I18N-MISSING-ZH2 </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit" 1 "$?"
t_contains "outcome" "$(cat "$T_TMP/out")" "已拒绝  ORDER_NOT_EXIST"
t_contains "meaning" "$(cat "$T_TMP/out")" "微信支付在该子商户下没有这个商户订单号的订单。"
t_contains "next step" "$(cat "$T_TMP/out")" "请检查商户订单号"
t_ok

t_begin "the history table is for people: Chinese headings and outcomes, dates as WeChat Pay writes them"
"${ZH[@]}" "$WXREV_BIN" history --order I18N-ZH-1 >"$T_TMP/out" 2>&1
t_eq "exit" 0 "$?"
t_contains "headings" "$(head -n 1 "$T_TMP/out")" "结果"
t_check "outcome and a 2026-11-30 14:02:09 date: $(cat "$T_TMP/out")" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  已撤销  I18N-ZH-1' "$T_TMP/out"
"${EN[@]}" "$WXREV_BIN" history --order I18N-ZH-1 >"$T_TMP/out" 2>&1
t_check "English stays: $(cat "$T_TMP/out")" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  reversed  I18N-ZH-1' "$T_TMP/out"
t_ok

t_begin "history exports (jsonl, csv) and stored values do not change with the language"
for fmt in jsonl csv; do
	"${EN[@]}" "$WXREV_BIN" history --format "$fmt" >"$T_TMP/en.$fmt" 2>&1
	en_rc=$?
	"${ZH[@]}" "$WXREV_BIN" history --format "$fmt" >"$T_TMP/zh.$fmt" 2>&1
	t_eq "$fmt exit" "$en_rc" "$?"
	t_check "$fmt byte for byte" cmp -s "$T_TMP/en.$fmt" "$T_TMP/zh.$fmt"
done
t_eq "stored outcomes" "failed failed rejected rejected rejected reversed reversed reversed" \
	"$(hist_sql "SELECT outcome FROM reversals ORDER BY outcome" | tr '\n' ' ' | sed 's/ $//')"
t_eq "a reversal made in Chinese stores the English message" "WeChat Pay reversed the order" \
	"$(hist_sql "SELECT message FROM reversals WHERE out_trade_no = 'I18N-ZH-1'")"
t_ok

t_begin "why an answer is not trusted: stored in English, read in Chinese"
sim_paid I18N-ZH-SERIAL
sim_fault I18N-ZH-SERIAL '{"type":"unknown_serial"}'
sim_query_fault I18N-ZH-SERIAL '{"type":"unknown_serial","count":10}'
"${ZH[@]}" "$WXREV_BIN" reverse --sub "Coffee Shop" --yes I18N-ZH-SERIAL \
	</dev/null >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit: not known" 3 "$?"
t_contains "the message, in Chinese" "$(cat "$T_TMP/out")" "HTTP 200，但应答未通过验签"
t_contains "why, in Chinese" "$(cat "$T_TMP/out")" "配置文件中没有该密钥"
t_check "no English sentence left: $(cat "$T_TMP/out")" \
	bash -c '! grep -q "the profile does not know\|not verified" "$1"' _ "$T_TMP/out"
t_contains "stored in English" \
	"$(hist_sql "SELECT message FROM reversals WHERE out_trade_no = 'I18N-ZH-SERIAL'")" \
	"which the profile does not know"
t_ok

t_done
