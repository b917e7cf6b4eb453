#!/usr/bin/env bash
# `make bench`: generates its own data (never committed), measures what a
# desk feels, prints a table of medians and p99s with the command behind each
# figure and whether it meets its target, and writes it to
# docs/benchmarks.md. Reports; never fails a build.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
data="$BUILD/bench-data"
bin="$BUILD/bench"
out=docs/benchmarks.md
mkdir -p "$data"
export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
# The parsed-profile cache lives with the data, so runs start alike.
export XDG_CACHE_HOME="$PWD/$data/cache"
unset WXREV_NO_CACHE
started=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

say() { printf '%s\n' "$*" >&2; }

# --- data ---------------------------------------------------------------
[ -f "$data/h1m.done" ] || date +%s >"$data/gen_started"
[ -f "$data/p10k/.done" ] || { say "bench: 50 partners x 200 sub-merchants";
	rm -rf "$data/p10k"; tests/bench/gen_profiles.sh "$data/p10k" 50 200 && touch "$data/p10k/.done"; }
[ -f "$data/p100k/.done" ] || { say "bench: 20 partners x 5000 sub-merchants";
	rm -rf "$data/p100k"; tests/bench/gen_profiles.sh "$data/p100k" 20 5000 && touch "$data/p100k/.done"; }
if [ ! -f "$data/h1m.done" ]; then
	say "bench: a history of 1 000 000 reversals (about a minute)"
	rm -f "$data"/h1m.db*
	"$bin/gen_history" "$data/h1m.db" 1000000 && touch "$data/h1m.done" &&
		echo $(($(date +%s) - $(cat "$data/gen_started"))) >"$data/gen_seconds"
fi
chmod 600 "$data"/h1m.db
# The cache takes no file changed in the last second.
sleep 1

rows=()
# row NAME TARGET COMMAND...: runs COMMAND, which prints key=value figures.
# TARGET is "key<=limit[,key<=limit]" (or empty), judged on that line.
row() {
	local name=$1 target=$2; shift 2
	local line
	line=$("$@" | tail -n 1)
	add_row "$name" "$line" "$target" "$(shown "$@")"
}
# The command a reader can run for a row (the helpers below spelled out).
shown() {
	case $1 in
	core) echo "${WXREV_NO_CACHE:+WXREV_NO_CACHE=1 }$bin/bench_core ${*:3}" ;;
	frame) echo "WXREV_BENCH_FIRST_FRAME=1 $bin/measure --pty 100x30 $3" \
		"$BUILD/bin/wxrev --profiles $data/$2 --history $data/h1m.db" ;;
	*) echo "$*" ;;
	esac
}
add_row() {
	local verdict
	verdict=$(judge "$2" "$3")
	rows+=("$1|$2|$(show_target "$3")|$verdict|\`$4\`")
	say "  $1: $2 $verdict"
}
# judge LINE TARGET: "met", "not met" or "" when there is no target.
judge() {
	[ -n "$2" ] || return 0
	awk -v line="$1" -v target="$2" 'BEGIN {
		n = split(line, kv, " ")
		for (i = 1; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
		ok = 1; m = split(target, t, ",")
		for (i = 1; i <= m; i++) {
			split(t[i], c, "<=")
			if (!(c[1] in v) || v[c[1]] + 0 > c[2] + 0) ok = 0
		}
		print ok ? "met" : "not met" }'
}
show_target() { sed -e 's/<=/ ≤ /g' -e 's/,/, /g' <<<"$1"; }
core() { # core FIGURE-NAME ARGS: one named line of bench_core's output
	local want=$1; shift
	"$bin/bench_core" "$@" | grep "^$want " | cut -d' ' -f2-
}

say "bench: measuring"
row "Load 10 000 sub-merchants (50 files), from the cache" "" core profiles_load profiles "$data/p10k"
row "Load 100 000 sub-merchants (20 files, 10 MB), from the cache" "" core profiles_load profiles "$data/p100k"
WXREV_NO_CACHE=1 row "Load 100 000 sub-merchants from YAML (cache off or stale)" "" \
	core profiles_load profiles "$data/p100k"
row "Sub-merchant filter over 100 000, per keystroke" "median_ms<=10" core sub_filter_keystroke subfilter "$data/p100k"
hist=$("$bin/bench_core" history "$data/h1m.db")
for fig in history_open history_filter_order_keystroke history_filter_sub_keystroke \
	history_filter_rare_keystroke history_page history_detail; do
	case $fig in
	history_filter_*) target="median_ms<=20,p99_ms<=50" ;;
	history_page | history_detail) target="median_ms<=2" ;;
	*) target="" ;;
	esac
	add_row "$fig (1 000 000 rows)" "$(grep "^$fig " <<<"$hist" | cut -d' ' -f2-)" "$target" \
		"$bin/bench_core history $data/h1m.db"
done

frame() { # frame PROFILES: the UI from start to its first complete frame
	WXREV_BENCH_FIRST_FRAME=1 "$bin/measure" --pty 100x30 "$2" \
		"$BUILD/bin/wxrev" --profiles "$data/$1" --history "$data/h1m.db"
}
frame p10k 1 >/dev/null # writes the cache, as the desk's first start did
frame p100k 1 >/dev/null
row "Start to first frame, 10 000 subs, 1 000 000 rows" "wall_median_ms<=30,peak_rss_kib<=32768" frame p10k 21
row "Start to first frame, 100 000 subs, 1 000 000 rows" "wall_median_ms<=50,peak_rss_kib<=32768" frame p100k 21
row "First start after a profile change, 100 000 subs (YAML read)" "" \
	env WXREV_NO_CACHE=1 WXREV_BENCH_FIRST_FRAME=1 "$bin/measure" --pty 100x30 5 \
	"$BUILD/bin/wxrev" --profiles "$data/p100k" --history "$data/h1m.db"
row "Process floor: \`wxrev --version\`" "" "$bin/measure" 21 "$BUILD/bin/wxrev" --version

# --- the same history on PostgreSQL (a desk) ------------------------------
while IFS='|' read -r name figures cmd; do
	case $name in
	history_filter_*) target="median_ms<=20,p99_ms<=50" ;;
	history_page* | history_detail*) target="median_ms<=2" ;;
	Start*) target="wall_median_ms<=50" ;;
	*) target="" ;;
	esac
	add_row "$name" "$figures" "$target" "$cmd"
done < <(BUILD=$BUILD bash tests/bench/pg.sh "$data/h1m.db" "$data/p10k")

# --- client CPU per reversal against the local simulator -----------------
# median_run RUNS KEY SCRIPT ARGS...: runs a reversal script RUNS times
# (each with its own simulator and history) and prints the line of the run
# whose KEY is the median, with the spread of KEY over all runs. Two cores
# shared by the client and the simulator make one run of a second or two
# move by a tenth either way.
median_run() {
	local runs=$1 key=$2 i
	shift 2
	for ((i = 0; i < runs; i++)); do
		BUILD=$BUILD bash "$@" 2>/dev/null | tail -n 1
	done | awk -v key="$key" '{ v = $0; sub(".*" key "=", "", v); sub(" .*", "", v)
		print v "\t" $0 }' | sort -g | awk -F '\t' -v key="$key" '
		{ v[NR] = $1; line[NR] = $2 }
		END { if (NR) printf "%s runs=%d %s_min=%s %s_max=%s\n",
			line[int((NR + 1) / 2)], NR, key, v[1], key, v[NR] }'
}
speed=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {printf "%.3f %.3f", $4 * 1000, $5 * 1000}')
read -r sign_ms verify_ms <<<"$speed"
rev=$(median_run 3 wall_s tests/bench/reversals.sh 1000)
limit=$(awk -v s="$sign_ms" 'BEGIN { printf "%.3f", 4 * s }')
add_row "\`wxrev reverse\` of 1 000 orders, one connection" "$rev openssl_rsa2048_sign_ms=$sign_ms" \
	"client_cpu_per_reversal_ms<=$limit" "tests/bench/reversals.sh 1000"
# A list: a few in flight, group commit. CPU against one signature plus one
# verification measured above; wall time against the one-connection run.
single_wall_ms=$(sed -E 's/.*wall_s=([0-9.]+).*/\1/' <<<"$rev")
list=$(median_run 5 wall_per_reversal_ms tests/bench/batch.sh 1000)
cpu_limit=$(awk -v s="$sign_ms" -v v="$verify_ms" 'BEGIN { printf "%.3f", 2 * (s + v) }')
wall_limit=$(awk -v w="$single_wall_ms" 'BEGIN { printf "%.3f", w / 3 }')
add_row "\`wxrev reverse --from\` a list of 1 000 orders" \
	"$list openssl_rsa2048_sign_ms=$sign_ms openssl_rsa2048_verify_ms=$verify_ms" \
	"client_cpu_per_reversal_ms<=$cpu_limit,wall_per_reversal_ms<=$wall_limit" \
	"tests/bench/batch.sh 1000"

# The order query next to the reversal: query + reversal per order, against
# the reversal alone (a query adds a signature, a verification and its
# record in the history, committed without a sync of its own).
qr=$(median_run 3 query_plus_reversal_ratio tests/bench/query_reversal.sh 1000)
add_row "\`wxrev query\` then \`wxrev reverse\` of 1 000 orders, one connection each" "$qr" \
	"query_plus_reversal_ratio<=1.6" "tests/bench/query_reversal.sh 1000"

{
	echo "# Benchmarks"
	echo
	echo "Measured by \`make bench\` on $(nproc) cores ($(uname -m)), $(date -u +%Y-%m-%d)," \
		"in $(($(date +%s) - started)) s;" \
		"$(if [ -f "$data/gen_seconds" ]; then echo "generating the data took $(cat "$data/gen_seconds") s;"; else echo "the data came from an earlier run;"; fi)" \
		"load average at the start ${load_at_start:-unknown}, at the end" \
		"$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)" \
		"(other work on the machine slows every row)."
	echo "Medians and p99s; times in milliseconds; RSS in KiB. A start is timed from"
	echo "\`exec\` to the first complete frame on a 100×30 terminal, with the profile"
	echo "cache written by an earlier start. A reversal row is the run with the"
	echo "median of its deciding figure (one connection and the query: 3 runs; the"
	echo "list: 5), with that figure's least and greatest over the runs (\`_min\`,"
	echo "\`_max\`); each run has its own simulator and history."
	echo
	echo "| figure | measured | target | verdict | command |"
	echo "|---|---|---|---|---|"
	for r in "${rows[@]}"; do
		IFS='|' read -r a b c d e <<<"$r"
		echo "| $a | $b | $c | $d | $e |"
	done
	echo
	cat tests/bench/notes.md
} >"$out"
cat "$out"
