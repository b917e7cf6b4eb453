#!/usr/bin/env bash
# Runs every libFuzzer harness built by `make fuzz` for FUZZ_SECONDS each.
#   BUILD=build-fuzz FUZZ_SECONDS=60 tests/fuzz/run.sh [NAME...]
# Each harness first replays its committed corpus (tests/fuzz/corpus/NAME,
# regression inputs included), then explores from a working copy under
# tests/fuzz/corpus-run/NAME (git-ignored), so the committed corpus only
# changes when someone copies a finding in on purpose. A crash leaves its
# input in $BUILD/fuzz-artifacts/ and fails the run; keep it as
# tests/fuzz/corpus/NAME/regress-<what> once fixed.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
# Leak checking stays on; UBSan findings are fatal (built with no recovery).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		names+=("${n#fuzz_}")
	done
fi

passed=0 failed=0
art="$BUILD/fuzz-artifacts"
mkdir -p "$art"
for name in "${names[@]}"; do
	bin="$BUILD/fuzz/fuzz_$name"
	seeds="tests/fuzz/corpus/$name"
	work="tests/fuzz/corpus-run/$name"
	log="$BUILD/fuzz-$name.log"
	if [ ! -x "$bin" ]; then
		echo "FAIL: fuzz_$name: $bin not built (run make fuzz)"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "$work"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	# -max_len fits the largest seed; -timeout catches hangs such as an
	# alias bomb; -rss_limit_mb catches memory blow-ups.
	if timeout --kill-after=30 $((FUZZ_SECONDS + 120)) \
		"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$art/$name-" "$work" >"$log" 2>&1; then
		stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
		echo "PASS: fuzz_$name (${stats:-?} runs in ${FUZZ_SECONDS}s)"
		passed=$((passed + 1))
	else
		echo "FAIL: fuzz_$name: see $log; input in $art/"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 10 | sed 's/^/      /'
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
