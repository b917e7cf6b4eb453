#!/usr/bin/env bash
# `make demo`: starts the bundled WeChat Pay simulator with the demo order set,
# opens wxrev on profiles/demo.yaml with a demo history, and stops the
# simulator when wxrev exits.
#   scripts/demo.sh [BUILD]
# WXREV_DEMO_PORT picks the simulator's port (0: any free one; the demo
# profile expects 18443), WXREV_DEMO_STATE the folder of the demo history.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim="$build/bin/wxpay-sim"
wxrev="$build/bin/wxrev"
state=${WXREV_DEMO_STATE:-$build/demo}
port=${WXREV_DEMO_PORT:-18443}

if [ ! -t 0 ] || [ ! -t 1 ]; then
	echo "demo: wxrev is a terminal program; run 'make demo' in a terminal." >&2
	exit 2
fi
[ -f profiles/keys/.done ] || scripts/demo-keys.sh profiles/keys
mkdir -p "$state"
chmod 700 "$state"
rm -f "$state/port"

"$sim" --config tests/sim/demo.json --port "$port" --port-file "$state/port" \
	--log "$state/requests.jsonl" 2>"$state/sim.log" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true' EXIT

for _ in $(seq 50); do
	[ -s "$state/port" ] && break
	if ! kill -0 "$sim_pid" 2>/dev/null; then
		echo "demo: the simulator did not start:" >&2
		cat "$state/sim.log" >&2
		echo "demo: is port $port in use? Set WXREV_DEMO_PORT and edit profiles/demo.yaml to match." >&2
		exit 1
	fi
	sleep 0.1
done

echo "demo: simulator on https://127.0.0.1:$(cat "$state/port") (log: $state/requests.jsonl)"
WXREV_OPERATOR=${WXREV_OPERATOR:-demo} \
	"$wxrev" --profiles profiles/demo.yaml --history "$state/history.db"
