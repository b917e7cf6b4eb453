#!/usr/bin/env bash
# `make demo-desk`: one desk history on a local PostgreSQL, the simulator,
# and two wxrev windows side by side in tmux as two operators, alice and
# bob. Send DEMO-SLOW from one window, then the same order from the other:
# the second is told who is reversing it and sends nothing.
#   scripts/demo-desk.sh [BUILD]
# The server runs in a temporary folder (tests/lib_pg.sh, as the tests start
# it) and stops, with the simulator, when the tmux session ends.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
case $build in
/*) ;;
*) build="$PWD/$build" ;;
esac
sim="$build/bin/wxpay-sim"

if [ ! -t 0 ] || [ ! -t 1 ]; then
	echo "demo-desk: wxrev is a terminal program; run 'make demo-desk' in a terminal." >&2
	exit 2
fi
[ -f profiles/keys/.done ] || scripts/demo-keys.sh profiles/keys
WXREV_BIN="$build/bin/wxrev"
. tests/lib.sh
. tests/lib_pg.sh
pg_start || exit 1
WXREV_HISTORY=$(pg_uri "$PG_SUPER") "$WXREV_BIN" history init >/dev/null || exit 1
pg_psql "$PG_SUPER" -c "CREATE ROLE alice LOGIN; GRANT wxrev_operator TO alice;
	CREATE ROLE bob LOGIN; GRANT wxrev_operator TO bob" || exit 1

# Any free port: the demo profile is pointed at it below.
"$sim" --config tests/sim/demo.json --port 0 --port-file "$T_TMP/port" \
	--log "$T_TMP/requests.jsonl" 2>"$T_TMP/sim.log" &
t_cleanup_add "kill $!"
for _ in $(seq 50); do
	[ -s "$T_TMP/port" ] && break
	sleep 0.1
done
if [ ! -s "$T_TMP/port" ]; then
	echo "demo-desk: the simulator did not start:" >&2
	cat "$T_TMP/sim.log" >&2
	exit 1
fi
port=$(tr -d '\n' <"$T_TMP/port")
sed -e "s|127.0.0.1:18443|127.0.0.1:$port|; s|localhost:18443|localhost:$port|" \
	-e "s|: keys/|: $PWD/profiles/keys/|g; s|\[keys/|[$PWD/profiles/keys/|g" \
	profiles/demo.yaml >"$T_TMP/demo.yaml"

sock="$T_TMP/tmux.sock"
t_cleanup_add "tmux -S '$sock' kill-server"
run() { # run ROLE: the command line of one operator's window
	printf 'HOME=%q WXREV_HISTORY=%q %q --profiles %q; read -r -p "wxrev exited; Enter closes this window" _' \
		"$HOME" "$(pg_uri "$1")" "$WXREV_BIN" "$T_TMP/demo.yaml"
}
tmux -S "$sock" -f /dev/null new-session -d -s desk -x "$(tput cols)" -y "$(tput lines)" "$(run alice)"
# Side by side when each window gets 80 columns, else one above the other.
if [ "$(tput cols)" -ge 161 ]; then split=-h; else split=-v; fi
tmux -S "$sock" split-window "$split" -t desk "$(run bob)"
tmux -S "$sock" set-option -t desk status-left-length 40 >/dev/null
tmux -S "$sock" set-option -t desk status-left "desk: alice | bob  " >/dev/null
echo "demo-desk: alice and bob share one desk history; try DEMO-SLOW in both windows"
unset TMUX
tmux -S "$sock" attach -t desk
