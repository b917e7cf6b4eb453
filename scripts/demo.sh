#!/usr/bin/env bash
# `make demo`: starts the bundled WeChat Pay simulator with the demo order set,
# opens wxrev on profiles/demo.yaml with a demo history, and stops the
# simulator when wxrev exits.
#   scripts/demo.sh [BUILD]
# WXREV_DEMO_PORT picks the simulator's port (another free one is taken
# when it is busy), WXREV_DEMO_STATE the folder of the demo's history,
# state and profile cache.
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
state=$(cd "$state" && pwd)

# The simulator runs in its own session: a Ctrl-C typed in the demo
# terminal goes to wxrev (which asks whether to quit) and not to it. It is
# stopped after wxrev has exited, whatever way the script ends.
sim_pid=
stop_sim() {
	[ -n "$sim_pid" ] || return 0
	kill "$sim_pid" 2>/dev/null || true
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=
}
trap stop_sim EXIT
# The script waits for wxrev, which answers Ctrl-C itself (a handler, not
# an ignored signal: wxrev must not inherit SIG_IGN).
trap ':' INT QUIT

# start_sim PORT: starts the simulator; 0 once its port file is written.
start_sim() {
	rm -f "$state/port"
	setsid "$sim" --config tests/sim/demo.json --port "$1" \
		--port-file "$state/port" --log "$state/requests.jsonl" \
		2>"$state/sim.log" </dev/null &
	sim_pid=$!
	for _ in $(seq 50); do
		[ -s "$state/port" ] && return 0
		kill -0 "$sim_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_sim
	return 1
}

# 18443 when it is free, else any free port (the simulator picks one).
if ! start_sim "$port" && ! start_sim 0; then
	echo "demo: the simulator did not start:" >&2
	cat "$state/sim.log" >&2
	exit 1
fi
port=$(tr -d '\n' <"$state/port")

# The demo profile, pointed at that port; its key paths made absolute.
sed -e "s|127.0.0.1:18443|127.0.0.1:$port|; s|localhost:18443|localhost:$port|" \
	-e "s|: keys/|: $PWD/profiles/keys/|g; s|\[keys/|[$PWD/profiles/keys/|g" \
	profiles/demo.yaml >"$state/demo.yaml"

echo "demo: simulator on https://127.0.0.1:$port (log: $state/requests.jsonl)"
# State (the last sub-merchant) and the profile cache stay in $state, not in
# the operator's home.
mkdir -p "$state/xdg-state" "$state/xdg-cache"
rc=0
XDG_STATE_HOME="$state/xdg-state" XDG_CACHE_HOME="$state/xdg-cache" \
	WXREV_OPERATOR=${WXREV_OPERATOR:-demo} \
	"$wxrev" --profiles "$state/demo.yaml" --history "$state/history.db" || rc=$?
stop_sim
exit "$rc"
