#!/usr/bin/env bash
# A desk history server that stops answering (a remote host gone, packets
# dropped) while a reversal is out: the screen keeps answering keys while
# wxrev tries to reconnect, the status bar counts the results waiting, and
# they land once the server answers again. The server is reached through
# a small TCP relay that can turn into a black hole: connections are taken
# and never answered, as from a host that is gone.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

if ! ui_setup '[]' || ! pg_start; then
	echo "FAIL: setup: the simulator or PostgreSQL did not start"
	echo "0 passed, 1 failed"
	exit 1
fi
pg_desk alice

# The relay: 127.0.0.1:<free port> to the server's socket; SIGUSR1 drops
# every relayed connection and answers nothing from then on, SIGUSR2
# relays again.
python3 -c '
import signal, socket, sys, threading
target, port_file = sys.argv[1], sys.argv[2]
state = {"black": False}
pairs, held = [], []
def close(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    close(a); close(b)
def black(*_):
    state["black"] = True
    for a, b in pairs:
        close(a); close(b)
    pairs.clear()
def white(*_):
    state["black"] = False
    for c in held:
        close(c); c.close()
    held.clear()
signal.signal(signal.SIGUSR1, black)
signal.signal(signal.SIGUSR2, white)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(port_file, "w") as f:
    f.write(str(srv.getsockname()[1]))
while True:
    c, _ = srv.accept()
    if state["black"]:
        held.append(c)
        continue
    u = socket.socket(socket.AF_UNIX)
    u.connect(target)
    pairs.append((c, u))
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
' "$PG_DIR/.s.PGSQL.$PG_PORT" "$T_TMP/relay.port" &
RELAY=$!
t_cleanup_add "kill $RELAY"
for _ in $(seq 1 50); do [ -s "$T_TMP/relay.port" ] && break; sleep 0.1; done
export WXREV_HISTORY="postgresql://alice@127.0.0.1:$(cat "$T_TMP/relay.port")/$PG_DB?sslmode=disable"

# echo_ms TEXT: types TEXT into the order field and prints how long the
# screen took to show the field's new content (EXPECT, global).
EXPECT=""
echo_ms() {
	local start end
	EXPECT="$EXPECT$1"
	start=$(date +%s%3N)
	ui_type "$1"
	until ui_line_with "$(L "Order number" "商户订单号")" | grep -qF -- "$EXPECT"; do
		[ $(($(date +%s%3N) - start)) -gt 30000 ] && break
		sleep 0.02
	done
	end=$(date +%s%3N)
	echo $((end - start))
}

t_begin "the server stops answering while a reversal is out: keys still answered, results counted, then written"
ui_start_ok
t_check "the desk history is reached through the relay" test "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice'")" -ge 1
sim_paid DESK-OFF-1
sim_fault DESK-OFF-1 '{"type":"delay","ms":3000,"count":1}'
ui_review "Coffee" DESK-OFF-1
ui_yes
for _ in $(seq 1 50); do
	[ "$(pg_psql "$PG_SUPER" -c "SELECT count(*) FROM wxrev.reversals WHERE out_trade_no = 'DESK-OFF-1'")" = 1 ] && break
	sleep 0.1
done
kill -USR1 "$RELAY"
ui_focus Order
t_check "the status bar says so" ui_wait_for "desk history offline — 1 results waiting" $((20 * T_SLOW))
# Longer than a blocking connect's 10 s timeout: every key typed in that
# time shows at once, not after the connect gives up.
worst=0
for c in A B C D E F G H I J K L M N; do
	ms=$(echo_ms "$c")
	[ "$ms" -gt "$worst" ] && worst=$ms
	sleep 0.5
done
t_check "every key shown within 2 s while reconnecting (slowest: ${worst} ms)" test "$worst" -le $((2000 * T_SLOW))
t_contains "still offline meanwhile" "$(ui_screen)" "desk history offline — 1 results waiting"
t_eq "one request sent" 1 "$(sim_count DESK-OFF-1)"
kill -USR2 "$RELAY"
landed() { [ "$(pg_psql "$PG_SUPER" -c "SELECT outcome || ' ' || attempts FROM wxrev.reversals WHERE out_trade_no = 'DESK-OFF-1'")" = "reversed 1" ]; }
for _ in $(seq 1 $((300 * T_SLOW))); do landed && break; sleep 0.1; done
t_check "written once the server answers again" landed
t_check "the status bar clears" ui_wait_gone "desk history offline" $((10 * T_SLOW))
t_ok

ui_stop
t_done
