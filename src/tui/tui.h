/* tui: the ncurses terminal UI.
 * One loop: reversal_engine_poll() with standard input as the extra
 * descriptor, bounded timeout, then drain keys. The terminal is restored on
 * every exit path, signals included. */
#ifndef WXREV_TUI_H
#define WXREV_TUI_H

/* Runs the UI until the operator quits. profiles_arg / history_arg are the
 * --profiles / --history values (NULL when not given). Returns the process
 * exit status (0 normal, 2 start-up error such as unreadable profiles). */
int tui_run(const char *profiles_arg, const char *history_arg);

#endif
