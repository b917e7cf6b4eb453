/* The loop: wait on the engine and standard input, drain keys, dispatch
 * them through the key table, repaint what changed. Also the layout, the
 * status bar and the message line, which every screen shares. */
#include "tui/loop.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiv3.h"
#include "tui/text.h"
#include "tui/widgets.h"

static const struct tui_screen *const panes[TUI_NPANES] = {
	&tui_profiles_screen,
	&tui_form_screen,
	&tui_history_screen,
};

static const char spinner[] = "|/-\\";

void tui_message(struct tui *t, int color, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_color = color;
	t->dirty = true;
}

void tui_open_modal(struct tui *t, const struct tui_screen *s)
{
	if (t->nmodal >= (int)WX_ARRAY_LEN(t->modal))
		return;
	t->modal[t->nmodal++] = s;
	if (s->resize)
		s->resize(t, &t->pane[0]);
	t->dirty = true;
}

void tui_close_modal(struct tui *t)
{
	if (t->nmodal > 0)
		t->nmodal--;
	t->dirty = true;
}

void tui_focus(struct tui *t, enum tui_pane p)
{
	t->focus = p;
	t->dirty = true;
}

struct tui_rect tui_center(const struct tui *t, int h, int w)
{
	struct tui_rect r;

	r.h = h < t->rows - 2 ? h : t->rows - 2;
	r.w = w < t->cols - 4 ? w : t->cols - 4;
	r.y = (t->rows - r.h) / 2;
	r.x = (t->cols - r.w) / 2;
	return r;
}

void tui_box(struct tui *t, const struct tui_rect *r, const char *title,
	     bool focused)
{
	attr_t a = focused ? tui_attr(t, TUI_C_FOCUS) | A_BOLD : A_NORMAL;
	int tw;

	/* Wide-character line drawing: Unicode box characters in a UTF-8
	 * locale, so borders survive copy, capture and screenshots. */
	attron(a);
	mvhline_set(r->y, r->x + 1, WACS_HLINE, r->w - 2);
	mvhline_set(r->y + r->h - 1, r->x + 1, WACS_HLINE, r->w - 2);
	mvvline_set(r->y + 1, r->x, WACS_VLINE, r->h - 2);
	mvvline_set(r->y + 1, r->x + r->w - 1, WACS_VLINE, r->h - 2);
	mvadd_wch(r->y, r->x, WACS_ULCORNER);
	mvadd_wch(r->y, r->x + r->w - 1, WACS_URCORNER);
	mvadd_wch(r->y + r->h - 1, r->x, WACS_LLCORNER);
	mvadd_wch(r->y + r->h - 1, r->x + r->w - 1, WACS_LRCORNER);
	attroff(a);
	for (int y = r->y + 1; y < r->y + r->h - 1; y++)
		mvhline(y, r->x + 1, ' ', r->w - 2);
	if (!title)
		return;
	/* The focus also shows in text, for monochrome terminals. */
	tw = tui_put(r->y, r->x + 2, focused ? "> " : " ", 2, a, false);
	tw += tui_put(r->y, r->x + 2 + tw, title, r->w - 8,
		      a | (focused ? A_REVERSE : A_BOLD), false);
	tui_put(r->y, r->x + 2 + tw, focused ? " <" : " ", 2, a, false);
}

/* Places the panes; at least 80x24 is promised to every screen. */
void tui_layout(struct tui *t)
{
	int top_h, prof_w;

	getmaxyx(stdscr, t->rows, t->cols);
	t->too_small = t->cols < TUI_MIN_COLS || t->rows < TUI_MIN_ROWS;
	t->dirty = true;
	if (t->too_small)
		return;
	top_h = 12 + (t->rows - TUI_MIN_ROWS) / 3;
	prof_w = t->cols * 2 / 5;
	t->pane[TUI_PANE_PROFILES] = (struct tui_rect){0, 0, top_h, prof_w};
	t->pane[TUI_PANE_FORM] =
		(struct tui_rect){0, prof_w, top_h, t->cols - prof_w};
	t->pane[TUI_PANE_HISTORY] =
		(struct tui_rect){top_h, 0, t->rows - 2 - top_h, t->cols};
	for (int p = 0; p < TUI_NPANES; p++)
		panes[p]->resize(t, &t->pane[p]);
	for (int m = 0; m < t->nmodal; m++)
		if (t->modal[m]->resize)
			t->modal[m]->resize(t, &t->pane[0]);
}

static void draw_too_small(struct tui *t)
{
	char line[160];

	snprintf(line, sizeof(line),
		 _("terminal too small (need %dx%d, have %dx%d)"), TUI_MIN_COLS,
		 TUI_MIN_ROWS, t->cols, t->rows);
	tui_put(t->rows / 2, 0, line, t->cols, A_BOLD, false);
	if (t->rows / 2 + 1 < t->rows)
		tui_put(t->rows / 2 + 1, 0, _("Enlarge the window, or press q to quit."),
			t->cols, A_NORMAL, false);
}

/* "~/..." for paths under $HOME: shorter, and the same on every desk. */
static void home_path(const char *path, char *buf, size_t n)
{
	const char *home = getenv("HOME");
	size_t len = home ? strlen(home) : 0;

	if (len > 1 && strncmp(path, home, len) == 0 && path[len] == '/')
		snprintf(buf, n, "~%s", path + len);
	else
		snprintf(buf, n, "%s", path);
}

static void draw_status(struct tui *t)
{
	int y = t->rows - 1, x = 0;
	attr_t st = tui_attr(t, TUI_C_STATUS);
	char host[256], buf[512];
	bool official = true, plain = false;
	const struct wx_sub *s = t->sub;

	tui_put(y, 0, "", t->cols, st, true);
	if (s) {
		snprintf(buf, sizeof(buf), " %s > %s (%s) ", s->partner->name,
			 s->name, s->sub_mchid);
		x += tui_put(y, x, buf, t->cols / 2, st, false);
		tui_endpoint(s->partner, host, sizeof(host), &official, &plain);
		if (plain)
			snprintf(buf, sizeof(buf), "%s: %s ", host,
				 _("plain HTTP (loopback)"));
		else if (!official)
			snprintf(buf, sizeof(buf), "%s: %s ", host,
				 _("not WeChat Pay"));
		else
			snprintf(buf, sizeof(buf), "%s ", host);
		x += tui_put(y, x, "| ", 2, st, false);
		x += tui_put(y, x, buf, t->cols - x,
			     official && !plain ? st
						: tui_attr(t, TUI_C_WARN) | A_BOLD |
							  (t->color ? 0 : st),
			     false);
	} else {
		x += tui_put(y, x, _(" no sub-merchant chosen "), t->cols, st,
			     false);
	}
	home_path(t->hist ? history_path(t->hist) : "-", host, sizeof(host));
	snprintf(buf, sizeof(buf), "| %s %s ", _("history:"), host);
	x += tui_put(y, x, buf, t->cols - x, st, false);
	if (x < t->cols - 8)
		tui_put(y, t->cols - 8, " ?:help ", 8, st, false);
}

static void draw_message(struct tui *t)
{
	tui_put(t->rows - 2, 0, t->msg, t->cols, tui_attr(t, t->msg_color),
		true);
}

void tui_draw(struct tui *t)
{
	t->cur_show = false;
	erase();
	if (t->too_small) {
		draw_too_small(t);
	} else {
		for (int p = 0; p < TUI_NPANES; p++)
			panes[p]->draw(t, &t->pane[p],
				       t->nmodal == 0 && (int)t->focus == p);
		draw_message(t);
		draw_status(t);
		for (int m = 0; m < t->nmodal; m++) {
			t->cur_show = false;
			t->modal[m]->draw(t, &t->pane[0], m == t->nmodal - 1);
		}
	}
	curs_set(t->cur_show ? 1 : 0);
	if (t->cur_show)
		move(t->cur_y, t->cur_x);
	refresh();
	t->dirty = false;
}

char tui_spinner(const struct tui *t)
{
	return spinner[t->spin % 4];
}

static const struct tui_screen *current(const struct tui *t)
{
	return t->nmodal ? t->modal[t->nmodal - 1] : panes[t->focus];
}

static int pane_at(const struct tui *t, int y, int x)
{
	for (int p = 0; p < TUI_NPANES; p++) {
		const struct tui_rect *r = &t->pane[p];

		if (y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w)
			return p;
	}
	return -1;
}

/* Keys the loop itself handles on the main screen. */
static bool dispatch_global(struct tui *t, enum tui_action a,
			    const struct tui_key *k)
{
	int p;

	switch (a) {
	case TUI_ACT_QUIT:
		tui_request_quit(t);
		return true;
	case TUI_ACT_NEXT_PANE:
		tui_focus(t, (t->focus + 1) % TUI_NPANES);
		return true;
	case TUI_ACT_PREV_PANE:
		tui_focus(t, (t->focus + TUI_NPANES - 1) % TUI_NPANES);
		return true;
	case TUI_ACT_CLICK:
		p = pane_at(t, k->mouse_y, k->mouse_x);
		if (p < 0)
			return true;
		tui_focus(t, (enum tui_pane)p);
		return false; /* the pane picks the line */
	default:
		return false;
	}
}

void tui_dispatch(struct tui *t, const struct tui_key *k)
{
	const struct tui_screen *s = current(t);
	bool typing = s->typing && s->typing(t);
	unsigned mask = s->ctx | (t->nmodal ? 0 : TUI_CTX_GLOBAL);
	enum tui_action a = tui_key_action(mask, typing, k->ch, k->fkey);

	if (a == TUI_ACT_RESIZE || (k->fkey && k->ch == KEY_RESIZE)) {
		tui_layout(t);
		return;
	}
	if (t->too_small) {
		if (!k->fkey && (k->ch == 'q' || k->ch == 'Q'))
			tui_request_quit(t);
		return;
	}
	if (a == TUI_ACT_REDRAW) {
		clearok(curscr, TRUE);
		t->dirty = true;
		return;
	}
	if (a == TUI_ACT_HELP) {
		tui_open_modal(t, &tui_help_screen);
		return;
	}
	if (!t->nmodal && dispatch_global(t, a, k))
		return;
	s = current(t);
	if (s->key(t, a, k) != TUI_NONE)
		t->dirty = true;
}
