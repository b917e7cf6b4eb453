#!/usr/bin/env bash
# The terminal is given back sane on every exit: Ctrl-C, a fatal signal,
# start-up errors; Ctrl-Z suspends and resumes cleanly.
. "$(dirname "$0")/lib_ui.sh"

ui_setup '[]' || t_setup_fail "the simulator did not start"

# sane: the modes after equal those before, and the line discipline is back.
sane() {
	t_eq "stty -g before and after" "$(cat "$UI_STATE/stty.before")" "$(cat "$UI_STATE/stty.after")"
	t_contains "canonical mode" "$(cat "$UI_STATE/stty.a")" " icanon"
	t_contains "echo" "$(cat "$UI_STATE/stty.a")" " echo "
}

t_begin "Ctrl-C quits and leaves a sane terminal"
ui_start_ok
ui_keys C-c
ui_wait_exit 10
t_eq "exit status" 0 "$UI_RC"
sane
ui_wait_for "WRAPPER-DONE" 5
if ui_screen | grep -q "Profiles"; then
	t_fail "the UI is still on the screen after exit"
fi
t_ok

t_begin "Ctrl-Z suspends with a sane terminal and the UI comes back on fg"
ui_start_ok
ui_keys C-z
ui_wait_for "WRAPPER-SUSPENDED" 5
t_contains "canonical mode while suspended" "$(cat "$UI_STATE/stty.suspended")" " icanon"
t_contains "echo while suspended" "$(cat "$UI_STATE/stty.suspended")" " echo "
ui_resume
ui_wait_for "Profiles" 5
ui_wait_for "Order number" 5
ui_keys F10
ui_wait_exit 10
t_eq "exit status" 0 "$UI_RC"
sane
t_ok

t_begin "a fatal signal still restores the terminal"
ui_start_ok
kill -SEGV "$(ui_pid)"
ui_wait_exit 10
t_eq "exit status" 139 "$UI_RC"
sane
t_ok

t_begin "a broken profile is reported after the terminal is restored"
printf 'name: Broken\nsp_mchid: 12ab\n' >"$T_TMP/broken.yaml"
ui_start 100 30 WXREV_PROFILES="$T_TMP/broken.yaml"
ui_wait_exit 10
t_eq "exit status" 2 "$UI_RC"
sane
ui_wait_for "WRAPPER-DONE" 5
t_contains "the message is on the normal screen" "$(ui_screen)" "broken.yaml"
t_ok

t_begin "an unwritable history is reported and nothing starts"
# A file where a folder must be: not even root can create it.
: >"$T_TMP/notadir"
ui_start 100 30 WXREV_HISTORY="$T_TMP/notadir/sub/history.db"
ui_wait_exit 10
t_eq "exit status" 2 "$UI_RC"
sane
ui_wait_for "WRAPPER-DONE" 5
t_contains "the message names the folder" "$(ui_screen)" "$T_TMP/notadir"
t_ok
ui_stop
t_done
