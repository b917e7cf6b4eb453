#!/usr/bin/env bash
# Every command answers --help with its own usage and options (exit 0),
# in English and in Chinese, and sends or opens nothing.
. "$(dirname "$0")/../lib.sh"

export WXREV_PROFILES="$T_TMP/no-such-profiles" WXREV_HISTORY="$T_TMP/h/history.db"
EN=(env -u LANGUAGE LANG=C.UTF-8 LC_ALL=C.UTF-8)
ZH=(env LANGUAGE=zh_CN LANG=C.UTF-8 LC_ALL=C.UTF-8)

# help CMD...: runs wxrev CMD --help; sets OUT, ERR, RC.
help() {
	OUT=$("${EN[@]}" "$WXREV_BIN" "$@" --help 2>"$T_TMP/err")
	RC=$?
	ERR=$(cat "$T_TMP/err")
}

# check CMD OWN_OPTION OTHER_COMMAND
check() {
	local cmd=$1 own=$2 other=$3
	t_begin "$cmd --help prints its own usage and options"
	help "$cmd"
	t_eq "exit" 0 "$RC"
	t_eq "stderr" "" "$ERR"
	t_contains "synopsis" "$OUT" "wxrev $cmd "
	t_contains "options heading" "$OUT" "Options:"
	t_contains "its option" "$OUT" "$own"
	t_contains "common options" "$OUT" "--profiles DIR|FILE"
	t_check "not another command's usage" bash -c '! grep -q -- "wxrev $0 " <<<"$1"' "$other" "$OUT"
	t_ok
}

check reverse --resend-unknown history
check query "--partner P" settle
check settle "--id N" query
check history --outcome reverse
check profiles --check history

t_begin "a list's --help is reverse's, even after --from"
help reverse --sub "Coffee Shop" --from list.txt
t_eq "exit" 0 "$RC"
t_contains "list synopsis" "$OUT" "--from FILE|-"
t_contains "rate" "$OUT" "--rate N"
t_check "no history was created" test ! -e "$WXREV_HISTORY"
t_ok

t_begin "wxrev help CMD is CMD --help; wxrev --help lists every command"
t_eq "help history" "$("${EN[@]}" "$WXREV_BIN" history --help)" "$("${EN[@]}" "$WXREV_BIN" help history)"
all=$("${EN[@]}" "$WXREV_BIN" --help)
for c in reverse query settle history profiles; do
	t_contains "$c" "$all" "wxrev $c "
done
t_check "no per-command options in the overview" bash -c '! grep -q "^Options:" <<<"$1"' _ "$all"
t_ok

t_begin "per-command help in Chinese"
for c in reverse query settle history profiles; do
	out=$("${ZH[@]}" "$WXREV_BIN" "$c" --help)
	t_contains "$c options heading" "$out" "选项："
	t_contains "$c common options" "$out" "通用选项："
done
t_contains "history option text" "$("${ZH[@]}" "$WXREV_BIN" history --help)" "微信支付的错误码"
t_ok

t_done
