# Helpers for the terminal UI tests: the real wxrev in a tmux pane, driven
# by keys, against the real simulator, read back with capture-pane.
# Source it from tests/ui/t_*.sh; it sources tests/integration/lib_sim.sh
# (which sources tests/lib.sh).
#
#   ui_setup [ORDERS_JSON]      keys, simulator, a profile with a Chinese
#                               sub-merchant name (exported WXREV_PROFILES)
#   ui_start [COLS ROWS] [VAR=VALUE...]
#                               wxrev in a fresh tmux session; the pane
#                               keeps a shell-free wrapper that records the
#                               exit status and the tty state before/after
#   ui_wait_for TEXT [SECONDS]  polls the screen until TEXT shows
#   ui_wait_gone TEXT [SECONDS] polls until TEXT is no longer shown
#   ui_screen                   the screen as text
#   ui_keys KEY...              tmux send-keys (key names: Enter, Escape...)
#   ui_type TEXT                types TEXT literally
#   ui_paste TEXT               a bracketed paste of TEXT
#   ui_yes                      presses y once the open question counts it
#   ui_resize COLS ROWS         resizes the window
#   ui_wait_exit [SECONDS]      waits until wxrev has exited; sets UI_RC
#   ui_stop                     ends the tmux session
#   L ENGLISH CHINESE           the text a screen shows in the language the
#                               test runs in (UI_LANG=zh_CN: Chinese)
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib_sim.sh"

export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
unset NO_COLOR
UI_TIMEOUT=${UI_TIMEOUT:-300}
UI_SOCK="$T_TMP/tmux.sock"
UI_SESSION=wx
SUB_DUCK=$SUB_TEA
# The language ui_start runs wxrev in: "" (English) or zh_CN (through
# LANGUAGE, as a desk on a fresh machine would choose it).
UI_LANG=${UI_LANG:-}
DUCK_NAME=北京烤鸭店

command -v tmux >/dev/null || {
	t_setup_fail "tmux is required (scripts/deps.sh installs it)"
}

# A whole test file never hangs: past UI_TIMEOUT it fails and ends. Killed
# at exit, the watchdog takes its sleep with it (no orphan left waiting).
(
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	sleep "$UI_TIMEOUT" &
	nap=$!
	wait "$nap" && echo "FAIL: timeout: the UI test ran over ${UI_TIMEOUT}s" &&
		kill -TERM $$
) 2>/dev/null &
UI_WATCHDOG=$!
t_cleanup_kill "$UI_WATCHDOG"

tmux_() { tmux -S "$UI_SOCK" -f /dev/null "$@"; }
t_cleanup_add "tmux -S '$UI_SOCK' kill-server"

# ui_write_profile FILE BASE_URL: the partner with a Chinese sub-merchant.
# The flow tests type orders the simulator has never seen (a reversal of
# those is refused); the confirmation's order query is tested on its own in
# t_query.sh, which sets UI_QUERY=true.
ui_write_profile() {
	cat >"$1" <<EOP
name: Test Provider
sp_mchid: "$SP_MCHID"
merchant:
  serial_no: $MERCHANT_SERIAL
  private_key: $KEYS/apiclient_key.pem
wechatpay:
  public_key_id: $PUB_KEY_ID
  public_key: $KEYS/pub_key.pem
api:
  base_url: $2
  backup_url: $2
  ca_file: $KEYS/test-ca.pem
  timeout_s: 5
  query_before_confirm: ${UI_QUERY:-false}
sub_merchants:
  - name: Coffee Shop
    sub_mchid: "$SUB_COFFEE"
  - name: $DUCK_NAME
    sub_mchid: "$SUB_DUCK"
  - name: Unbound Shop
    sub_mchid: "$SUB_UNBOUND"
EOP
}

# L ENGLISH CHINESE: what the screen says in the test's language. Both
# texts are written out, so a missing translation fails the Chinese run.
L() {
	if [ "$UI_LANG" = zh_CN ]; then
		printf '%s' "$2"
	else
		printf '%s' "$1"
	fi
}

# ui_title NAME: a pane's title (Profiles, Order or History) on the screen.
ui_title() {
	case "$1" in
	Profiles) L Profiles 服务商 ;;
	Order) L Order 商户订单号 ;;
	History) L History 历史记录 ;;
	*) printf '%s' "$1" ;;
	esac
}

ui_setup() {
	sim_keys || return 1
	sim_write_config "$SIM_DIR/main.json" "${1:-[]}"
	sim_start main || return 1
	MAIN_URL=$SIM_URL MAIN_LOG=$SIM_LOG MAIN_PID=$SIM_PID
	PROFILE="$T_TMP/profile.yaml"
	ui_write_profile "$PROFILE" "$SIM_URL"
	export WXREV_PROFILES="$PROFILE"
}

# ui_start [COLS ROWS] [VAR=VALUE...]
ui_start() {
	local cols=100 rows=30 wrapper="$T_TMP/ui-run.sh" v i
	if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
		cols=$1 rows=$2
		shift 2
	fi
	UI_STATE="$T_TMP/ui-state"
	rm -rf "$UI_STATE"
	mkdir -p "$UI_STATE"
	{
		echo '#!/usr/bin/env bash'
		echo "cd '$T_TMP'"
		for v in HOME XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME WXREV_PROFILES \
			WXREV_HISTORY WXREV_OPERATOR WXREV_BACKOFF_MS TZ LANG LC_ALL; do
			printf 'export %s=%q\n' "$v" "${!v}"
		done
		echo 'export TERM=xterm-256color'
		echo 'unset NO_COLOR WXREV_KEY_PASSPHRASE LANGUAGE'
		[ -z "$UI_LANG" ] || printf 'export LANGUAGE=%q\n' "$UI_LANG"
		for v in "$@"; do printf 'export %q\n' "$v"; done
		echo "stty -g >'$UI_STATE/stty.before'"
		# Job control, as in an interactive shell: wxrev gets its own
		# process group, Ctrl-Z stops it and the wrapper can fg it.
		echo 'set -m'
		printf '%q\n' "$WXREV_BIN"
		echo 'rc=$?'
		echo 'while [ "$rc" = 148 ]; do'
		echo "	stty -a >'$UI_STATE/stty.suspended'"
		echo '	echo WRAPPER-SUSPENDED'
		echo "	while [ ! -e '$UI_STATE/resume' ]; do sleep 0.1; done"
		echo "	rm -f '$UI_STATE/resume' '$UI_STATE/stty.suspended'"
		echo '	fg >/dev/null; rc=$?'
		echo 'done'
		echo "echo \$rc >'$UI_STATE/rc'"
		echo "stty -g >'$UI_STATE/stty.after'"
		echo "stty -a >'$UI_STATE/stty.a'"
		echo 'echo "wxrev exited with status $(cat rc 2>/dev/null)"'
		echo "echo WRAPPER-DONE"
		echo 'exec sleep 3600'
	} >"$wrapper"
	sed -i "s|cat rc|cat '$UI_STATE/rc'|" "$wrapper"
	chmod 700 "$wrapper"
	tmux_ kill-session -t "$UI_SESSION" 2>/dev/null
	# Killing the last session ends the tmux server, not at once: a new
	# session asked of it while it goes fails ("server exited
	# unexpectedly"), and is asked again of the next server.
	for i in $(seq 1 20); do
		tmux_ new-session -d -s "$UI_SESSION" -x "$cols" -y "$rows" "$wrapper" 2>"$T_TMP/tmux.err" && break
		[ "$i" -lt 20 ] || { cat "$T_TMP/tmux.err" >&2; return 1; }
		sleep 0.1
	done
	tmux_ set-option -t "$UI_SESSION" status off >/dev/null
	tmux_ set-option -g window-size manual >/dev/null 2>&1
	tmux_ resize-window -t "$UI_SESSION" -x "$cols" -y "$rows" >/dev/null 2>&1
}

ui_screen() { tmux_ capture-pane -p -t "$UI_SESSION"; }
ui_screen_e() { tmux_ capture-pane -e -p -t "$UI_SESSION"; }
ui_keys() { tmux_ send-keys -t "$UI_SESSION" "$@"; }
ui_type() { tmux_ send-keys -t "$UI_SESSION" -l "$1"; }
ui_paste() {
	tmux_ set-buffer -b uipaste -- "$1"
	tmux_ paste-buffer -p -d -b uipaste -t "$UI_SESSION"
}
# ui_yes: a question's y counts only once its button shows it ("y: reverse",
# "y: yes"); keys typed earlier are discarded, as a person's would be.
ui_yes() {
	local end=$((SECONDS + 5))
	while [ "$SECONDS" -le "$end" ]; do
		if ui_screen | grep -qE "$(L 'y: (reverse|yes)' 'y：(撤销|是)')"; then
			ui_keys y
			return 0
		fi
		sleep 0.05
	done
	t_fail "the question's y did not become ready; screen:"
	ui_screen | sed 's/^/    | /'
	return 1
}
ui_resize() { tmux_ resize-window -t "$UI_SESSION" -x "$1" -y "$2"; }

# ui_wait_for TEXT [SECONDS]: true once TEXT is on the screen.
ui_wait_for() {
	local text=$1 limit=${2:-10} end
	end=$((SECONDS + limit))
	while [ "$SECONDS" -le "$end" ]; do
		if ui_shows "$text"; then
			return 0
		fi
		sleep 0.1
	done
	t_fail "'$text' did not appear within ${limit}s; screen:"
	ui_screen | sed 's/^/    | /'
	return 1
}

ui_wait_gone() {
	local text=$1 limit=${2:-10} end
	end=$((SECONDS + limit))
	while [ "$SECONDS" -le "$end" ]; do
		if ui_lacks "$text"; then
			return 0
		fi
		sleep 0.1
	done
	t_fail "'$text' still shown after ${limit}s; screen:"
	ui_screen | sed 's/^/    | /'
	return 1
}

ui_wait_exit() {
	local limit=${1:-10} end
	end=$((SECONDS + limit))
	while [ "$SECONDS" -le "$end" ]; do
		if [ -s "$UI_STATE/stty.a" ]; then
			UI_RC=$(cat "$UI_STATE/rc")
			return 0
		fi
		sleep 0.1
	done
	t_fail "wxrev did not exit within ${limit}s"
	return 1
}

ui_stop() { tmux_ kill-session -t "$UI_SESSION" 2>/dev/null; }

# ui_history_lacks TEXT: true when the history pane's lines (not the order
# form above it, nor the message line below) do not show TEXT.
ui_history_lacks() { ! ui_screen | sed -n "/$(ui_title History) /,/└/p" | grep -qF -- "$1"; }

# ui_poll COMMAND...: true once COMMAND is (tried for 3 s, T_SLOW scaled).
ui_poll() {
	local i
	for i in $(seq 1 $((30 * T_SLOW))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ui_line_with TEXT: the first screen line containing TEXT.
ui_line_with() { ui_screen | grep -F -m1 -- "$1"; }

# ui_width LINE: display columns of LINE (wide characters count two).
ui_width() {
	python3 -c 'import sys,unicodedata
s=sys.argv[1]
print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s))' "$1"
}

# ui_choose_sub FILTER: picks the first sub-merchant matching FILTER.
ui_choose_sub() {
	ui_focus Profiles || return 1
	ui_keys /
	ui_type "$1"
	ui_keys Enter
}

# ui_shows TEXT: TEXT is on the screen now.
ui_shows() { ui_screen | grep -qF -- "$1"; }

# ui_lacks TEXT: TEXT is not on the screen now.
ui_lacks() { ! ui_shows "$1"; }

# ui_field LABEL: the text of the order form's field labelled LABEL.
ui_field() { ui_line_with "$1" | sed "s/.*$1 *//; s/ *│.*//"; }
# ui_field_is LABEL TEXT: the field labelled LABEL holds TEXT now.
ui_field_is() { [ "$(ui_field "$1")" = "$2" ]; }

# ui_changed SCREEN: the screen is no longer SCREEN.
ui_changed() { [ "$(ui_screen)" != "$1" ]; }

# ui_focus TITLE: Tab until the pane titled TITLE has the focus ("> TITLE");
# TITLE is Profiles, Order or History, in any language. Each Tab is seen
# drawn before the focus is looked at again, so a slow frame never makes it
# Tab past the pane.
ui_focus() {
	local i title before
	title=$(ui_title "$1")
	for i in 1 2 3 4; do
		ui_shows "> $title" && return 0
		before=$(ui_screen)
		ui_keys Tab
		ui_poll ui_changed "$before"
	done
	ui_wait_for "> $title" 2
}

# ui_bars LINE: display columns (1-based) of every vertical border on LINE.
ui_bars() {
	python3 -c 'import sys,unicodedata
col=0
out=[]
for c in sys.argv[1]:
    w=2 if unicodedata.east_asian_width(c) in "WF" else 1
    col+=w
    if c=="\u2502": out.append(str(col))
print(" ".join(out))' "$1"
}

# ui_start_ok [COLS ROWS] [VAR=VALUE...]: ui_start and wait for the screen.
ui_start_ok() {
	ui_start "$@" || return 1
	ui_wait_for "$(ui_title Profiles)" 10
}

# ui_reverse FILTER ORDER: chooses the sub-merchant, types the order and
# opens the confirmation.
ui_review() {
	ui_choose_sub "$1" || return 1
	ui_wait_for "> $(ui_title Order)" 5 || return 1
	ui_keys C-u
	ui_type "$2"
	ui_wait_for "$(L "Enter to review" "按 Enter 核对")" 5 || return 1
	ui_keys Enter
	ui_wait_for "$(L "Reverse this order?" "撤销这笔订单？")" 5
}

# ui_open_detail ORDER: the detail view of the history row of ORDER.
ui_open_detail() {
	local title pos
	ui_focus History || return 1
	title=$(ui_title History)
	ui_keys Home
	# The pane's title counts the row under the cursor ("History 2/5"): each
	# move is seen there before the highlight is looked at, so a frame not
	# yet drawn never makes the helper step past the row or open another.
	for pos in 1 2 3 4; do
		ui_poll ui_shows "> $title $pos/" || break
		ui_screen_e | grep -F -- "$1" | grep -q $'\033\\[[0-9;]*7[;m]' && break
		ui_keys Down
	done
	ui_keys Enter
	ui_wait_for "$(L "Detail: " "详情：")$1" 5
}

# sim_requests: requests the simulator logged for any order.
sim_requests() { grep -c . "$MAIN_LOG" 2>/dev/null || true; }

# ui_pid: the process id of the wxrev the pane runs (a child of the pane's
# wrapper), for signals.
ui_pid() {
	local pane
	pane=$(tmux_ display-message -p -t "$UI_SESSION" '#{pane_pid}')
	ps -o pid= --ppid "$pane" | tr -d ' ' | head -n 1
}

# ui_resume: the wrapper brings a suspended wxrev back with fg.
ui_resume() { : >"$UI_STATE/resume"; }
