#!/usr/bin/env bash
# make demo-desk (scripts/demo-desk.sh), run as a newcomer runs it, in a
# terminal of a private tmux server: both operators' windows come up, the
# second operator is told a colleague is reversing the order, and the
# PostgreSQL server, the simulator and the demo's own tmux server stop on
# every way out (both windows closed, the terminal gone).
. "$(dirname "$0")/lib_ui.sh"

B="$T_TMP/b"
mkdir -p "$B/bin"
ln -s "$(cd "$(dirname "$WXREV_REAL_BIN")" && pwd)/wxrev" "$B/bin/wxrev"
ln -s "$(cd "$(dirname "$WXPAY_SIM_BIN")" && pwd)/wxpay-sim" "$B/bin/wxpay-sim"
OUTER_SOCK=$UI_SOCK

# demo_start N: the demo in a 170x40 terminal (windows side by side), its
# scratch folder under $T_TMP/demoN; sets DEMO_PID (the script), DEMO_SOCK
# (its tmux server), DEMO_PG (its cluster folder), PG_PID, SIM_PID_DEMO.
demo_start() {
	local dir="$T_TMP/demo$1" i cmd
	mkdir -p "$dir"
	UI_SOCK=$OUTER_SOCK
	tmux_ new-session -d -s "outer$1" -x 170 -y 40 \
		"cd '$T_ROOT' && exec env -u WXREV_PROFILES -u WXREV_HISTORY TMPDIR='$dir' TERM=xterm-256color bash scripts/demo-desk.sh '$B'"
	tmux_ set-option -t "outer$1" status off >/dev/null
	DEMO_PID=$(tmux_ display-message -p -t "outer$1" '#{pane_pid}')
	DEMO_SOCK=""
	for i in $(seq 1 $((300 * T_SLOW))); do
		DEMO_SOCK=$(ls "$dir"/wxrev-test.*/tmux.sock 2>/dev/null | head -n 1)
		[ -n "$DEMO_SOCK" ] && tmux -S "$DEMO_SOCK" has-session -t desk 2>/dev/null && break
		DEMO_SOCK=""
		sleep 0.1
	done
	[ -n "$DEMO_SOCK" ] || return 1
	cmd=$(tmux -S "$DEMO_SOCK" list-panes -t desk -F '#{pane_start_command}' | head -n 1)
	# The window's command line is shell-quoted: "host=DIR\&port=...".
	DEMO_PG=$(grep -o 'host=[^&\\]*' <<<"$cmd" | head -n 1 | cut -d= -f2)
	PG_PID=$(head -n 1 "$DEMO_PG/data/postmaster.pid" 2>/dev/null)
	SIM_PID_DEMO=$(ps -o pid=,comm= --ppid "$DEMO_PID" | awk '$2 == "wxpay-sim" {print $1}')
}

# pane N: the helpers of lib_ui.sh act on the demo's window N (0 alice,
# 1 bob), named by its id (an index moves when the other window closes).
pane() {
	UI_SOCK=$DEMO_SOCK
	UI_SESSION=$(tmux -S "$DEMO_SOCK" list-panes -t desk -F '#{pane_id}' | sed -n "$(($1 + 1))p")
	PANE_ID[$1]=$UI_SESSION
}
declare -A PANE_ID

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# demo_gone: the script, its server, its simulator and its tmux are gone.
demo_gone() {
	local i
	for i in $(seq 1 $((300 * T_SLOW))); do
		! kill -0 "$DEMO_PID" 2>/dev/null && ! kill -0 "$PG_PID" 2>/dev/null &&
			! kill -0 "$SIM_PID_DEMO" 2>/dev/null &&
			! tmux -S "$DEMO_SOCK" has-session 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

t_begin "both operators' windows come up on one desk history"
if ! demo_start 1; then
	t_fail "the demo's tmux did not come up; its terminal:"
	UI_SOCK=$OUTER_SOCK tmux_ capture-pane -p -t outer1 | sed 's/^/    | /'
fi
t_check "its PostgreSQL runs ($DEMO_PG)" alive "$PG_PID"
t_check "its simulator runs" alive "$SIM_PID_DEMO"
t_eq "two windows" 2 "$(tmux -S "$DEMO_SOCK" list-panes -t desk 2>/dev/null | wc -l)"
pane 0
t_check "alice's wxrev" ui_wait_for "Profiles" $((20 * T_SLOW))
pane 1
t_check "bob's wxrev" ui_wait_for "Profiles" $((20 * T_SLOW))
UI_SOCK=$OUTER_SOCK UI_SESSION=outer1
t_eq "the newcomer's terminal shows both, side by side" 2 "$(ui_screen | head -n 1 | grep -o Profiles | wc -l)"
t_contains "and says who is where" "$(ui_screen | tail -n 1)" "desk: alice | bob"
t_ok

t_begin "bob is told alice is reversing DEMO-SLOW, and sends nothing"
pane 1
# Bob has the order typed when alice sends it.
ui_choose_sub "Coffee"
ui_wait_for "> Order" 5
ui_type DEMO-SLOW
pane 0
ui_review "Coffee" DEMO-SLOW
ui_yes
pane 1
ui_wait_for "Enter to review" 5
ui_keys Enter
t_check "the colleague warning" ui_wait_for "alice is reversing this order now" $((5 * T_SLOW))
ui_keys y
sleep 1
ui_keys Escape
pane 0
t_check "alice's reversal goes through" ui_wait_for "reversed" $((15 * T_SLOW))
t_eq "one reversal at the simulator" 1 "$(sim_count DEMO-SLOW "$(dirname "$DEMO_SOCK")/requests.jsonl")"
t_ok

t_begin "both windows closed: the server, the simulator and the demo's tmux stop"
for p in 0 1; do
	UI_SESSION=${PANE_ID[$p]}
	ui_keys Escape C-q
	ui_wait_for "wxrev exited" $((10 * T_SLOW))
	ui_keys Enter
done
t_check "everything it started is gone" demo_gone
t_check "its cluster folder removed" test ! -e "$DEMO_PG"
t_ok

t_begin "the terminal closed (SIGHUP): the server, the simulator and the demo's tmux stop"
if ! demo_start 2; then
	t_fail "the demo's tmux did not come up"
fi
t_check "its PostgreSQL runs" alive "$PG_PID"
pane 0
ui_wait_for "Profiles" $((20 * T_SLOW))
UI_SOCK=$OUTER_SOCK
tmux_ kill-session -t outer2
t_check "everything it started is gone" demo_gone
t_check "its cluster folder removed" test ! -e "$DEMO_PG"
t_ok

t_done
