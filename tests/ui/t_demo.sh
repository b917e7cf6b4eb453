#!/usr/bin/env bash
# make demo (scripts/demo.sh): state and profile cache under the build's
# demo/ folder, never in the operator's home; a free port when 18443 is
# taken; Ctrl-C while wxrev asks whether to quit leaves the simulator
# running, and it is stopped once wxrev has exited.
. "$(dirname "$0")/lib_ui.sh"

sim_keys || t_setup_fail "the test keys could not be made"
B="$T_TMP/b"
mkdir -p "$B/bin" "$T_TMP/home"
ln -s "$(cd "$(dirname "$WXREV_REAL_BIN")" && pwd)/wxrev" "$B/bin/wxrev"
ln -s "$(cd "$(dirname "$WXPAY_SIM_BIN")" && pwd)/wxpay-sim" "$B/bin/wxpay-sim"

# Port 18443 taken (by this listener, or already by someone else).
python3 -c 'import socket,time
s=socket.socket()
try:
    s.bind(("127.0.0.1", 18443)); s.listen(1)
except OSError:
    pass
time.sleep(600)' &
t_cleanup_kill "$!"
for _ in $(seq 1 50); do
	(: </dev/tcp/127.0.0.1/18443) 2>/dev/null && break
	sleep 0.1
done

tmux_ new-session -d -s "$UI_SESSION" -x 120 -y 30 \
	"cd '$T_ROOT' && env -u XDG_STATE_HOME -u XDG_CACHE_HOME -u WXREV_PROFILES -u WXREV_HISTORY HOME='$T_TMP/home' TERM=xterm-256color scripts/demo.sh '$B'; echo DEMO-DONE; sleep 600"
tmux_ set-option -t "$UI_SESSION" status off >/dev/null

t_begin "the demo starts on another port when 18443 is taken"
ui_wait_for "Profiles" 20
port=$(cat "$B/demo/port" 2>/dev/null)
t_check "a port ($port)" test -n "$port"
t_check "not 18443" test "$port" != 18443
t_contains "the profile points there" "$(cat "$B/demo/demo.yaml")" "127.0.0.1:$port"
t_ok

t_begin "Ctrl-C while wxrev asks leaves the simulator running; it stops after wxrev"
sim_pid=$(pgrep -f "^$B/bin/wxpay-sim" | head -1)
t_check "the simulator runs" test -n "$sim_pid"
ui_review "Coffee" DEMO-SLOW
ui_yes
sleep 0.5
ui_keys C-c
sleep 1
t_check "the simulator still runs while wxrev is up" kill -0 "$sim_pid"
ui_wait_for "DEMO-SLOW" 5
for _ in $(seq 1 60); do
	grep -q DEMO-SLOW "$B/demo/requests.jsonl" 2>/dev/null && break
	sleep 0.2
done
t_eq "the reversal reached the simulator" 1 "$(grep -c DEMO-SLOW "$B/demo/requests.jsonl")"
ui_keys C-q
sleep 0.5
ui_keys y
ui_wait_for "DEMO-DONE" 40
gone=no
for _ in $(seq 1 50); do
	kill -0 "$sim_pid" 2>/dev/null || { gone=yes; break; }
	sleep 0.1
done
t_eq "the simulator is stopped once wxrev has exited" yes "$gone"
t_ok

t_begin "state and profile cache stay under the build's demo folder"
t_eq "nothing written in the home" "" "$(find "$T_TMP/home" -mindepth 1 | head -3)"
t_check "the remembered sub-merchant is under demo/" test -n "$(find "$B/demo/xdg-state" -type f | head -1)"
t_ok

ui_stop
t_done
