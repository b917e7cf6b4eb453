#!/usr/bin/env bash
# `make bench`: generates its own data (never committed), measures what a
# desk feels, prints a table of medians and p99s with the command behind each
# figure, and writes it to docs/benchmarks.md. Reports; never fails a build.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
data="$BUILD/bench-data"
bin="$BUILD/bench"
out=docs/benchmarks.md
mkdir -p "$data"
export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8

say() { printf '%s\n' "$*" >&2; }

# --- data ---------------------------------------------------------------
[ -f "$data/p10k/.done" ] || { say "bench: 50 partners x 200 sub-merchants";
	rm -rf "$data/p10k"; tests/bench/gen_profiles.sh "$data/p10k" 50 200 && touch "$data/p10k/.done"; }
[ -f "$data/p100k/.done" ] || { say "bench: 20 partners x 5000 sub-merchants";
	rm -rf "$data/p100k"; tests/bench/gen_profiles.sh "$data/p100k" 20 5000 && touch "$data/p100k/.done"; }
if [ ! -f "$data/h1m.done" ]; then
	say "bench: a history of 1 000 000 reversals (about a minute)"
	rm -f "$data"/h1m.db*
	"$bin/gen_history" "$data/h1m.db" 1000000 && touch "$data/h1m.done"
fi
chmod 600 "$data"/h1m.db

rows=()
# row NAME TARGET COMMAND...: runs COMMAND, which prints key=value figures.
row() {
	local name=$1 target=$2; shift 2
	local line
	line=$("$@" | tail -n 1)
	rows+=("$name|$line|$target|\`$*\`")
	say "  $name: $line"
}
core() { # core FIGURE-NAME ARGS: one named line of bench_core's output
	local want=$1; shift
	"$bin/bench_core" "$@" | grep "^$want "
}

say "bench: measuring"
row "Load 10 000 sub-merchants (50 files)" "" core profiles_load profiles "$data/p10k"
row "Load 100 000 sub-merchants (20 files, 10 MB)" "" core profiles_load profiles "$data/p100k"
row "Sub-merchant filter, 100 000, per keystroke" "≤ 10 ms" core sub_filter_keystroke subfilter "$data/p100k"
hist=$("$bin/bench_core" history "$data/h1m.db")
for fig in history_open history_filter_order_keystroke history_filter_sub_keystroke history_page history_detail; do
	case $fig in
	history_filter_*) target="≤ 20 ms median, ≤ 50 ms p99" ;;
	history_page | history_detail) target="≤ 2 ms" ;;
	*) target="" ;;
	esac
	rows+=("$fig (1 000 000 rows)|$(grep "^$fig " <<<"$hist" | cut -d' ' -f2-)|$target|\`$bin/bench_core history $data/h1m.db\`")
done
export WXREV_BENCH_FIRST_FRAME=1
row "Start to first frame, 10 000 subs, 1 000 000 rows" "≤ 30 ms; RSS ≤ 32 MiB" \
	"$bin/measure" --pty 100x30 15 "$BUILD/bin/wxrev" --profiles "$data/p10k" --history "$data/h1m.db"
row "Start to first frame, 100 000 subs, 1 000 000 rows" "≤ 50 ms; RSS ≤ 32 MiB" \
	"$bin/measure" --pty 100x30 15 "$BUILD/bin/wxrev" --profiles "$data/p100k" --history "$data/h1m.db"
unset WXREV_BENCH_FIRST_FRAME

# --- client CPU per reversal against the local simulator -----------------
sign_ms=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {printf "%.3f", $4 * 1000}')
rev=$(BUILD=$BUILD bash tests/bench/reversals.sh 1000 2>/dev/null | tail -n 1)
rows+=("\`wxrev reverse\` of 1 000 orders, one connection|$rev; openssl rsa2048 sign=${sign_ms} ms|client CPU per reversal ≤ 4× sign|\`tests/bench/reversals.sh 1000\`")

{
	echo "# Benchmarks"
	echo
	echo "Measured by \`make bench\` on $(nproc) cores ($(uname -m)), $(date -u +%Y-%m-%d)."
	echo "Medians and p99s; times in milliseconds; RSS in KiB."
	echo
	echo "| figure | measured | target | command |"
	echo "|---|---|---|---|"
	for r in "${rows[@]}"; do
		IFS='|' read -r a b c d <<<"$r"
		echo "| $a | $b | $c | $d |"
	done
} >"$out"
cat "$out"
