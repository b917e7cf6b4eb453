/* loop: layout, drawing and key dispatch shared by every screen
 * (internal to src/tui/). */
#ifndef WXREV_TUI_LOOP_H
#define WXREV_TUI_LOOP_H

#include "tui/ui.h"

/* Recomputes the layout from the terminal size and resizes every screen. */
void tui_layout(struct tui *t);
/* Repaints the whole screen (ncurses sends only what changed). */
void tui_draw(struct tui *t);
/* Looks a key up in the key table and hands the action to the screen. */
void tui_dispatch(struct tui *t, const struct tui_key *k);
/* Quits, or asks first while a reversal is in flight. */
void tui_request_quit(struct tui *t);
/* The spinner's current frame. */
char tui_spinner(const struct tui *t);

#endif
