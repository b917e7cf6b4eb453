/* widgets: the scrolling list and the single-line text field every screen
 * is built from, and the one function that puts text on the screen.
 * Widgets hold no pointers to screen data: a list knows its length, its
 * selection and what is dirty; the screen draws the rows. */
#ifndef WXREV_TUI_WIDGETS_H
#define WXREV_TUI_WIDGETS_H

#include "tui/ui.h"

/* Puts UTF-8 text (sanitised here) at y,x in at most `cols` columns,
 * padding with blanks to `cols` when `pad`; text that does not fit ends
 * in "…". Returns the columns used. */
int tui_put(int y, int x, const char *s, int cols, attr_t attr, bool pad);

/* Puts text wrapped at `cols` columns in at most `rows` rows; returns the
 * rows used. */
int tui_put_wrapped(int y, int x, const char *s, int cols, int rows,
		    attr_t attr);

/* The same layout, for text that scrolls: draws only its rows [skip, skip
 * + rows) from y (rows 0: draws nothing) and returns how many rows the
 * whole text takes (at least 1). */
int tui_put_wrapped_rows(int y, int x, const char *s, int cols, int skip,
			 int rows, attr_t attr);

/* Where to cut sanitised text p at or before `bytes` so that no visible
 * escape ("\x1b", "\u202e") is split across two rows. */
size_t tui_cut_escape(const char *p, size_t bytes);

/* Scrolling list: selection, first visible row, and dirty tracking. */
struct tui_list {
	size_t n;      /* number of rows */
	size_t sel;    /* selected row (< n unless n == 0) */
	size_t top;    /* first visible row */
	int height;    /* visible rows */
	bool dirty;    /* rows changed since the last draw */
};

/* Applies a movement action; returns true when the selection moved. */
bool list_move(struct tui_list *l, enum tui_action a);
void list_set_count(struct tui_list *l, size_t n);
void list_set_height(struct tui_list *l, int height);
/* Selects the visible row `row` (0 = first visible); false if empty. */
bool list_click(struct tui_list *l, int row);
/* Draws the visible rows with draw_row(ctx, index, y, selected). */
void list_draw(struct tui_list *l, int y, void (*draw_row)(void *ctx,
	       size_t i, int y, bool selected), void *ctx);

#define TUI_FIELD_MAX 256

/* Single-line text field: wide characters, a cursor and a scroll offset. */
struct tui_field {
	wchar_t text[TUI_FIELD_MAX + 1]; /* NUL-terminated */
	size_t len;                      /* characters in text */
	size_t cur;                      /* cursor, 0..len */
	size_t first;                    /* first character shown */
	size_t max;                      /* length limit (0: TUI_FIELD_MAX) */
};

/* Applies an editing action or inserts a printable character; returns
 * true when the text changed. */
bool field_key(struct tui_field *f, enum tui_action a, const struct tui_key *k);
/* Inserts UTF-8 text at the cursor; control characters are dropped and
 * line breaks become spaces. */
void field_insert(struct tui_field *f, const char *utf8);
void field_set(struct tui_field *f, const char *utf8);
void field_clear(struct tui_field *f);
/* UTF-8 copy of the text into buf. */
void field_get(const struct tui_field *f, char *buf, size_t n);
/* Draws the field in `cols` columns; returns the cursor's column. */
int field_draw(struct tui_field *f, int y, int x, int cols, attr_t attr);

#endif
