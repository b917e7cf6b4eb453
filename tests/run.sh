#!/usr/bin/env bash
# Runs every test suite and ends with one line: "N passed, N failed".
#   tests/run.sh            all suites: unit, integration, ui
#   tests/run.sh unit ...   only the named suites
# BUILD names the build folder (default build). Run alone, it first brings
# the binaries up to date (make test-bins), so a unit test never runs stale;
# make test has done that already and says so with WXREV_TESTS_BUILT=1.
# Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
if [ -z "${WXREV_TESTS_BUILT:-}" ] &&
	! built=$(make --no-print-directory -s BUILD="$BUILD" test-bins 2>&1); then
	printf '%s\n' "$built" >&2
	echo "tests/run.sh: the build failed (make test-bins, above): fix it and run again" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
export WXREV_BIN="$PWD/$BUILD/bin/wxrev"
export WXPAY_SIM_BIN="$PWD/$BUILD/bin/wxpay-sim"
export WXREV_SRC="$PWD"
# Pin the world every suite sees.
export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=
# English unless a test asks for another language (LANGUAGE=zh_CN).
unset LANGUAGE LC_MESSAGES
unset WXREV_PROFILES WXREV_HISTORY WXREV_OPERATOR WXREV_KEY_PASSPHRASE XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
# Unit tests get a sandbox home too, so no cache or state lands in the real one
# (the shell suites make their own per suite in tests/lib.sh).
export HOME="$PWD/$BUILD/test-home"
export XDG_CACHE_HOME="$HOME/.cache"
rm -rf "$HOME"
mkdir -p "$HOME"
chmod 700 "$HOME"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit integration ui)

passed=0 failed=0
failures=()
logdir="$BUILD/test-logs"
mkdir -p "$logdir"

# Adds the counts a suite printed; a suite that printed none failed once.
tally() {
	local name=$1 log=$2 rc=$3 p=0 f=0 line
	line=$(grep -E '^[A-Za-z]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^[^0-9]*([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	else
		# cmocka: "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)"
		p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log" | tail -n 1)
		p=${p:-0} f=${f:-0}
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, timed out or exited non-zero without saying why
	fi
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		failures+=("$name (log: $log)")
		echo "FAIL  $name: $p passed, $f failed"
		sed -n '1,400p' "$log" | grep -E 'FAIL|ERROR|\[  FAILED|error|Assert|Sanitizer|runtime error' | head -n 40 | sed 's/^/      /'
	else
		echo "ok    $name: $p passed"
	fi
}

run_suite_file() {
	local name=$1; shift
	local log="$logdir/${name//\//_}.log" rc
	timeout --kill-after=10 "${SUITE_TIMEOUT:-900}" "$@" >"$log" 2>&1
	rc=$?
	tally "$name" "$log" "$rc"
}

for suite in "${suites[@]}"; do
	case "$suite" in
	unit)
		for t in "$BUILD"/tests/test_*; do
			[ -x "$t" ] || continue
			run_suite_file "unit/$(basename "$t")" "$t"
		done
		;;
	integration|ui)
		for t in tests/"$suite"/t_*.sh; do
			[ -f "$t" ] || continue
			run_suite_file "$suite/$(basename "$t" .sh)" bash "$t"
		done
		;;
	*)
		echo "run.sh: unknown suite '$suite' (unit, integration, ui)" >&2
		exit 2
		;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "failed suites:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
