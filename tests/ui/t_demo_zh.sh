#!/usr/bin/env bash
# `make demo LANG=zh_CN.UTF-8`, as the README says, in a terminal: the
# demo's first frame is Chinese, and quitting stops the simulator. The shell
# has no LC_ALL (it would win over LANG), as on a desk's machine; whether
# zh_CN.UTF-8 is installed or not, the screen is Chinese.
UI_LANG=zh_CN
. "$(dirname "$0")/lib_ui.sh"

state="$T_TMP/demo"
run="$T_TMP/demo-run.sh"
{
	echo '#!/usr/bin/env bash'
	printf 'cd %q\n' "$T_ROOT"
	printf 'export HOME=%q TERM=xterm-256color TZ=UTC\n' "$HOME"
	echo 'unset LC_ALL LC_MESSAGES LANGUAGE NO_COLOR WXREV_PROFILES WXREV_HISTORY'
	# Port 0: a free one, so parallel runs never collide; the first frame
	# needs no request.
	printf 'make --no-print-directory demo LANG=zh_CN.UTF-8 BUILD=%q WXREV_DEMO_PORT=0 WXREV_DEMO_STATE=%q\n' \
		"${BUILD:-build}" "$state"
	echo 'echo "demo exited with status $?"'
	echo 'exec sleep 3600'
} >"$run"
chmod 700 "$run"

t_begin "make demo LANG=zh_CN.UTF-8 opens the demo in Chinese"
tmux_ new-session -d -s "$UI_SESSION" -x 100 -y 30 "$run"
tmux_ set-option -t "$UI_SESSION" status off >/dev/null
ui_wait_for "> 服务商" 120
screen=$(ui_screen)
t_contains "the history pane" "$screen" "历史记录"
t_contains "the order form" "$screen" "商户订单号"
t_contains "the key hint" "$screen" "帮助"
for w in Profiles History "Order number" Sub-merchant help quit; do
	if grep -qF -- "$w" <<<"$screen"; then
		t_fail "English left on the demo's first frame: '$w'"
	fi
done
sim_pid=$(pgrep -f -- "--port-file $state/port" | head -n 1)
t_check "the demo's simulator runs" test -n "$sim_pid"
ui_keys F10
ui_wait_for "demo exited with status 0" 20
sleep 0.3
if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
	t_fail "the simulator still runs after the demo ended"
fi
t_ok
ui_stop
t_done
