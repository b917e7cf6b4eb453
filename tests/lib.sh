# Shared by the shell test suites (integration, ui). Source it, call
# `t_begin NAME` ... `t_ok` / `t_fail MSG` per test, and `t_done` at the end,
# which prints "N passed, N failed" and sets the exit status.
set -uo pipefail

T_PASSED=0
T_FAILED=0
T_NAME=""
T_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD=${BUILD:-build}
WXREV_BIN=${WXREV_BIN:-$T_ROOT/$BUILD/bin/wxrev}
WXPAY_SIM_BIN=${WXPAY_SIM_BIN:-$T_ROOT/$BUILD/bin/wxpay-sim}

# A private scratch folder per suite, removed at exit; HOME points into it.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wxrev-test.XXXXXX")
chmod 700 "$T_TMP"
export HOME="$T_TMP/home"
mkdir -p "$HOME"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state" XDG_CACHE_HOME="$HOME/.cache"

# WXREV_WRAP (e.g. "valgrind --error-exitcode=99 ...") runs every wxrev of
# the suite under that command: WXREV_BIN then names a small wrapper script,
# so tests keep calling "$WXREV_BIN" (or wxrev_cmd). T_SLOW scales the time
# limits of tests that assert promptness, for slow wrappers.
WXREV_REAL_BIN=$WXREV_BIN
T_SLOW=1
if [ -n "${WXREV_WRAP:-}" ]; then
	WXREV_BIN="$T_TMP/wxrev-wrapped"
	printf '#!/bin/sh\nexec %s %q "$@"\n' "$WXREV_WRAP" "$WXREV_REAL_BIN" >"$WXREV_BIN"
	chmod 755 "$WXREV_BIN"
	T_SLOW=${T_SLOW_FACTOR:-20}
fi
export WXREV_BIN WXREV_REAL_BIN
wxrev_cmd() { "$WXREV_BIN" "$@"; }
T_CLEANUP=()
t_cleanup_add() { T_CLEANUP+=("$*"); }

# t_proc_start PID: when process PID started (clock ticks after boot), or
# nothing once it is gone.
t_proc_start() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# shellcheck disable=SC2086 # the fields after "(comm) " are split on purpose
	set -- ${stat##*) }
	echo "${20}"
}

# t_cleanup_kill PID [SIGNAL...]: on exit, sends each SIGNAL (TERM when none
# is named) to PID, but only while PID is still the process it is now.
# Process numbers are reused within a suite's life, and a clean-up that runs
# as root must never signal whatever later process got the number.
t_cleanup_kill() {
	local pid=$1 start
	shift
	start=$(t_proc_start "$pid") || return 0
	t_cleanup_add "t_kill_same $pid $start ${*:-TERM}"
}
t_kill_same() {
	local pid=$1 start=$2 sig
	shift 2
	for sig in "$@"; do
		[ "$(t_proc_start "$pid")" = "$start" ] || return 0
		kill -s "$sig" "$pid"
	done
}
t__exit() {
	local c
	for c in "${T_CLEANUP[@]+"${T_CLEANUP[@]}"}"; do eval "$c" >/dev/null 2>&1 || true; done
	[ -n "${T_KEEP:-}" ] || rm -rf "$T_TMP"
}
trap t__exit EXIT

t_begin() { T_NAME=$1; T_CUR_FAILED=0; }
t_ok() {
	if [ "${T_CUR_FAILED:-0}" -eq 0 ]; then
		T_PASSED=$((T_PASSED + 1))
		echo "PASS: $T_NAME"
	fi
}
t_fail() {
	if [ "${T_CUR_FAILED:-0}" -eq 0 ]; then
		T_FAILED=$((T_FAILED + 1))
	fi
	T_CUR_FAILED=1
	echo "FAIL: $T_NAME: $*"
}
# t_check DESCRIPTION COMMAND...: fails the current test when COMMAND fails.
t_check() {
	local what=$1; shift
	if ! "$@"; then
		t_fail "$what"
		return 1
	fi
}
t_eq() { # t_eq WHAT EXPECTED ACTUAL
	if [ "$2" != "$3" ]; then
		t_fail "$1: expected '$2', got '$3'"
		return 1
	fi
}
t_contains() { # t_contains WHAT HAYSTACK NEEDLE
	if [[ "$2" != *"$3"* ]]; then
		t_fail "$1: '$3' not found in: ${2:0:2000}"
		return 1
	fi
}
t_lacks() { # t_lacks WHAT HAYSTACK NEEDLE
	if [[ "$2" == *"$3"* ]]; then
		t_fail "$1: '$3' found in: ${2:0:2000}"
		return 1
	fi
}
# t_setup_fail WHAT: the suite cannot start (WHAT says what did not start or
# what is missing): one failure, the summary line, exit status 1.
t_setup_fail() {
	echo "FAIL: setup: $*"
	echo "$T_PASSED passed, $((T_FAILED + 1)) failed"
	exit 1
}
t_done() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}
