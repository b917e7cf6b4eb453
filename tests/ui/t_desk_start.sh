#!/usr/bin/env bash
# A start with a desk history: the history is opened in the background
# while the profiles load. A server that is not there is named on screen;
# a start that stops first (a profile error) is not held up by a server
# that does not answer.
. "$(dirname "$0")/lib_ui.sh"
. "$(dirname "$0")/../lib_pg.sh"

pg_suite_start ui_setup '[]'
pg_desk alice

# start_stops [VAR=VALUE...]: starts wxrev, waits for it to stop, keeps
# the whole screen (scrollback too) in SCREEN.
start_stops() {
	ui_start "$@" || return 1
	t_check "wxrev stops at start" ui_wait_exit $((10 * T_SLOW))
	SCREEN=$(tmux_ capture-pane -p -J -S - -t "$UI_SESSION")
	ui_stop
}

t_begin "no server on the URI's socket: the screen names the desk history and what to do"
WXREV_HISTORY="postgresql:///$PG_DB?host=$T_TMP/no-server&user=alice" start_stops
t_eq "exit status 2" 2 "$UI_RC"
t_contains "names it unreachable" "$SCREEN" "is unreachable"
t_contains "says what to do" "$SCREEN" "start the server or check the URI"
t_ok

t_begin "a profile error while the server does not answer: the profile error, at once"
pg_relay || t_fail "relay"
kill -STOP "$PG_RELAY"
started=$SECONDS
WXREV_HISTORY="postgresql://alice@127.0.0.1:$PG_RELAY_PORT/$PG_DB" \
	WXREV_PROFILES="$T_TMP/no-such-profiles" start_stops
t_eq "exit status 2" 2 "$UI_RC"
t_contains "the profile error is said" "$SCREEN" "no-such-profiles"
# The connect timeout is 10 s: a start that waited for the server would
# take that long.
t_check "not held up by the frozen server" test $((SECONDS - started)) -lt $((5 * T_SLOW))
kill -CONT "$PG_RELAY"
t_ok

t_done
