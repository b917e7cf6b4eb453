/* frame: what surrounds and serves the screens. The screen table and
 * each screen's state, the layout, the status bar and the message line,
 * modals, boxes, colours and the OSC 52 clipboard copy. The loop that
 * drives them is in tui.c. */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiv3.h"
#include "tui/text.h"
#include "tui/ui.h"
#include "tui/widgets.h"
#include "utf8.h"

#define PATH_BUF (PATH_MAX + 8)

/* Indexed by enum tui_screen_id. */
static const struct tui_screen *const screens[TUI_NSCREENS] = {
	[TUI_SCR_PROFILES] = &tui_profiles_screen,
	[TUI_SCR_FORM] = &tui_form_screen,
	[TUI_SCR_HISTORY] = &tui_history_screen,
	[TUI_SCR_DETAIL] = &tui_detail_screen,
	[TUI_SCR_CONFIRM] = &tui_confirm_screen,
	[TUI_SCR_RESULT] = &tui_result_screen,
	[TUI_SCR_ASK] = &tui_ask_screen,
	[TUI_SCR_HELP] = &tui_help_screen,
	[TUI_SCR_LIST] = &tui_list_screen,
};

/* The main screen's panes, indexed by enum tui_pane. */
static const struct tui_screen *const panes[TUI_NPANES] = {
	&tui_profiles_screen,
	&tui_form_screen,
	&tui_history_screen,
};

void tui_screens_open(struct tui *t)
{
	for (int i = 0; i < TUI_NSCREENS; i++)
		t->state[i] = wx_xcalloc(1, screens[i]->private_size
						    ? screens[i]->private_size
						    : 1);
}

void tui_screens_close(struct tui *t)
{
	for (int i = 0; i < TUI_NSCREENS; i++) {
		if (t->state[i] && screens[i]->done)
			screens[i]->done(t->state[i]);
		free(t->state[i]);
		t->state[i] = NULL;
	}
}

void *tui_state(const struct tui *t, enum tui_screen_id id)
{
	return t->state[id];
}

static void *state_of(const struct tui *t, const struct tui_screen *s)
{
	return t->state[s->id];
}

static const char spinner[] = "|/-\\";

static void vmessage(struct tui *t, int color, const char *fmt, va_list ap)
	WX_PRINTF(3, 0);

static void vmessage(struct tui *t, int color, const char *fmt, va_list ap)
{
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	t->msg_color = color;
	t->dirty = true;
}

void tui_message(struct tui *t, int color, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(t, color, fmt, ap);
	va_end(ap);
}

void tui_refuse(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(t, TUI_C_WARN, fmt, ap);
	va_end(ap);
	t->refused_ms = wx_monotonic_ms();
}

void tui_open_modal(struct tui *t, const struct tui_screen *s)
{
	if (t->nmodal >= (int)WX_ARRAY_LEN(t->modal))
		return;
	t->modal[t->nmodal++] = s;
	if (s->resize)
		s->resize(t, state_of(t, s), &t->pane[0]);
	t->dirty = true;
}

void tui_close_modal(struct tui *t)
{
	if (t->nmodal > 0)
		t->nmodal--;
	/* The next refresh sends every cell again: what the modal covered
	 * (half of a wide character included) cannot stay on the terminal. */
	redrawwin(stdscr);
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

/* Blanks every wide character with a cell in columns [x0, x1) of row y:
 * a box drawn over one half of it would leave the other half to the
 * terminal (ncurses keeps it, or blanks it together with the border drawn
 * there), which shows as a border out of its column or a stray glyph. */
static void clear_wide(int y, int x0, int x1)
{
	int col = 0;

	while (col < x1 && col < COLS) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1] = {0};
		attr_t a;
		short pair;
		int w = 1;

		if (mvin_wch(y, col, &cc) == OK &&
		    getcchar(&cc, wch, &a, &pair, NULL) != ERR && wch[0])
			w = wx_cp_width((uint32_t)wch[0]) > 1 ? 2 : 1;
		if (w == 2 && col + 2 > x0) {
			mvaddch(y, col, ' ');
			if (col + 1 < COLS)
				mvaddch(y, col + 1, ' ');
		}
		col += w;
	}
}

void tui_box(struct tui *t, const struct tui_rect *r, const char *title,
	     bool focused)
{
	attr_t a = focused ? tui_attr(t, TUI_C_FOCUS) | A_BOLD : A_NORMAL;
	int tw;

	for (int y = r->y; y < r->y + r->h; y++)
		clear_wide(y, r->x, r->x + r->w);
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
		(struct tui_rect){top_h, 0, t->rows - TUI_BOTTOM_ROWS - top_h,
				  t->cols};
	for (int p = 0; p < TUI_NPANES; p++)
		panes[p]->resize(t, state_of(t, panes[p]), &t->pane[p]);
	for (int m = 0; m < t->nmodal; m++)
		if (t->modal[m]->resize)
			t->modal[m]->resize(t, state_of(t, t->modal[m]),
					    &t->pane[0]);
}

static void draw_too_small(struct tui *t)
{
	char line[160];

	snprintf(line, sizeof(line),
		 _("terminal too small (need %dx%d, have %dx%d)"), TUI_MIN_COLS,
		 TUI_MIN_ROWS, t->cols, t->rows);
	tui_put(t->rows / 2, 0, line, t->cols, A_BOLD, false);
	if (t->rows / 2 + 1 < t->rows)
		tui_put(t->rows / 2 + 1, 0, _("Enlarge the window, or press F10 to quit."),
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

/* The path cut from the left ("…/wxrev/history.db") to `cols` columns. */
static void fit_path_left(const char *path, int cols, char *buf, size_t n)
{
	const char *p = path;

	while (*p && text_width(p) > cols - 1)
		p++;
	if (p == path)
		snprintf(buf, n, "%s", path);
	else
		snprintf(buf, n, "\u2026%s", p);
}

static void draw_status(struct tui *t)
{
	int y = t->rows - 1, x = 0, room;
	attr_t st = tui_attr(t, TUI_C_STATUS);
	char host[256], buf[512], path[PATH_BUF];
	bool official = true, plain = false;
	const struct wx_sub *s = t->sub;
	const char *help = _(" ?:help ");
	int help_w = text_width(help);

	tui_put(y, 0, "", t->cols, st, true);
	/* A result the history refused so far comes first, until the retry
	 * writes it (or the exit journals it). */
	if (t->hist && history_unsaved(t->hist) > 0) {
		if (history_is_desk(t->hist))
			snprintf(buf, sizeof(buf),
				 _(" desk history offline — %d results "
				   "waiting "),
				 history_unsaved_results(t->hist));
		else
			snprintf(buf, sizeof(buf), " %s ",
				 _("result not yet saved: retrying"));
		x += tui_put(y, x, buf, t->cols - help_w,
			     tui_attr(t, TUI_C_BAD) | A_BOLD |
				 (t->color ? 0 : st),
			     false);
		x += tui_put(y, x, "|", 1, st, false);
	}
	if (s) {
		snprintf(buf, sizeof(buf), " %s > %s (%s) ", s->partner->name,
			 s->name, s->sub_mchid);
		x += tui_put(y, x, buf, t->cols / 2 - x / 2, st, false);
		profile_endpoint(s->partner, host, sizeof(host), &official,
				 &plain);
		if (plain)
			snprintf(buf, sizeof(buf), "%s: %s ", host,
				 _("plain HTTP (loopback)"));
		else if (!official)
			snprintf(buf, sizeof(buf), "%s: %s ", host,
				 _("not WeChat Pay"));
		else
			snprintf(buf, sizeof(buf), "%s ", host);
		x += tui_put(y, x, "| ", 2, st, false);
		x += tui_put(y, x, buf, t->cols - x - help_w,
			     official && !plain ? st
						: tui_attr(t, TUI_C_WARN) | A_BOLD |
							  (t->color ? 0 : st),
			     false);
	} else {
		x += tui_put(y, x, _(" no sub-merchant chosen "), t->cols, st,
			     false);
	}
	/* The path gives way before ?:help does. */
	snprintf(buf, sizeof(buf), "| %s ", _("history:"));
	room = t->cols - help_w - x - text_width(buf) - 1;
	home_path(t->hist ? history_path(t->hist) : "-", host, sizeof(host));
	if (room >= 4) {
		fit_path_left(host, room, path, sizeof(path));
		x += tui_put(y, x, buf, t->cols - x, st, false);
		x += tui_put(y, x, path, room, st, false);
	}
	if (x <= t->cols - help_w)
		tui_put(y, t->cols - help_w, help, help_w, st, false);
}

static void draw_message(struct tui *t)
{
	tui_put(t->rows - 3, 0, t->msg, t->cols, tui_attr(t, t->msg_color),
		true);
}

void tui_flash_message(struct tui *t, int color, const char *text)
{
	int y, x;

	if (!stdscr || isendwin() || t->too_small)
		return;
	getyx(stdscr, y, x);
	tui_put(t->rows - 3, 0, text, t->cols, tui_attr(t, color), true);
	move(y, x);
	refresh();
	t->dirty = true; /* the next frame puts t->msg back */
}

/* The keys of the screen that has them, in one line (like mc, k9s). */
static void draw_hint(struct tui *t)
{
	char hint[512];

	tui_keys_hint(tui_current_ctx(t), hint, sizeof(hint));
	tui_put(t->rows - 2, 0, hint, t->cols, tui_attr(t, TUI_C_DIM), true);
}

void tui_draw(struct tui *t)
{
	t->cur_show = false;
	erase();
	if (t->too_small) {
		draw_too_small(t);
	} else {
		for (int p = 0; p < TUI_NPANES; p++)
			panes[p]->draw(t, state_of(t, panes[p]), &t->pane[p],
				       t->nmodal == 0 && (int)t->focus == p);
		draw_message(t);
		draw_hint(t);
		draw_status(t);
		for (int m = 0; m < t->nmodal; m++) {
			t->cur_show = false;
			t->modal[m]->draw(t, state_of(t, t->modal[m]),
					  &t->pane[0], m == t->nmodal - 1);
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

const struct tui_screen *tui_current(const struct tui *t)
{
	return t->nmodal ? t->modal[t->nmodal - 1] : panes[t->focus];
}

const struct tui_screen *tui_pane_screen(enum tui_pane p)
{
	return panes[p];
}

unsigned tui_current_ctx(const struct tui *t)
{
	const struct tui_screen *s = tui_current(t);
	unsigned ctx = s->ctx | (t->nmodal ? 0 : TUI_CTX_GLOBAL);

	if (s->ctx_now)
		ctx |= s->ctx_now(tui_state(t, s->id));
	return ctx;
}

int tui_pane_at(const struct tui *t, int y, int x)
{
	for (int p = 0; p < TUI_NPANES; p++) {
		const struct tui_rect *r = &t->pane[p];

		if (y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w)
			return p;
	}
	return -1;
}

void tui_colors_init(struct tui *t)
{
	const char *nc = getenv("NO_COLOR");

	t->color = !(nc && *nc) && has_colors();
	if (!t->color)
		return;
	start_color();
	use_default_colors();
	init_pair(TUI_C_GOOD, COLOR_GREEN, -1);
	init_pair(TUI_C_BAD, COLOR_RED, -1);
	init_pair(TUI_C_WARN, COLOR_YELLOW, -1);
	init_pair(TUI_C_FOCUS, COLOR_CYAN, -1);
	init_pair(TUI_C_DIM, COLOR_BLUE, -1);
	init_pair(TUI_C_STATUS, COLOR_BLACK, COLOR_CYAN);
}

attr_t tui_attr(const struct tui *t, enum tui_color c)
{
	if (c == TUI_C_NORMAL)
		return A_NORMAL;
	if (!t->color)
		return c == TUI_C_STATUS ? A_REVERSE
		       : c == TUI_C_DIM  ? A_NORMAL
					 : A_BOLD;
	if (c == TUI_C_STATUS)
		return COLOR_PAIR(c);
	return COLOR_PAIR(c) | (c == TUI_C_DIM ? A_NORMAL : A_BOLD);
}

enum tui_color tui_outcome_color(enum wx_outcome o)
{
	switch (o) {
	case WX_REVERSED:
		return TUI_C_GOOD;
	case WX_REJECTED:
		return TUI_C_BAD;
	case WX_FAILED:
	case WX_UNKNOWN:
		return TUI_C_WARN;
	default:
		return TUI_C_DIM;
	}
}

attr_t tui_outcome_attr(const struct tui *t, enum wx_outcome o)
{
	return tui_attr(t, tui_outcome_color(o));
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void tui_copy(struct tui *t, const char *text, const char *what)
{
	size_t len = strlen(text);
	struct wx_buf b = {0};
	int fd;

	wx_buf_puts(&b, "\033]52;c;");
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (unsigned char)text[i + 1] << 8;
		if (left > 2)
			v |= (unsigned char)text[i + 2];
		wx_buf_append(&b, &b64[(v >> 18) & 63], 1);
		wx_buf_append(&b, &b64[(v >> 12) & 63], 1);
		wx_buf_append(&b, left > 1 ? &b64[(v >> 6) & 63] : "=", 1);
		wx_buf_append(&b, left > 2 ? &b64[v & 63] : "=", 1);
	}
	wx_buf_puts(&b, "\a");
	fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, b.data, b.len);

		(void)w;
		close(fd);
		tui_message(t, TUI_C_NORMAL, _("Copied %s to the clipboard: %s"),
			    what, text);
	} else {
		tui_message(t, TUI_C_WARN,
			    _("Cannot reach the terminal to copy; select the text with the mouse instead."));
	}
	wx_buf_free(&b);
}

void tui_wake_at(struct tui *t, int64_t ms)
{
	if (t->wake_ms == 0 || ms < t->wake_ms)
		t->wake_ms = ms;
}

void tui_arm(struct tui *t, int64_t *armed_ms)
{
	/* Keys typed before the question showed were meant for something
	 * else: an Enter-then-y, or a `y` further down a typed number. */
	flushinp();
	*armed_ms = wx_monotonic_ms() + TUI_ARM_MS;
	tui_wake_at(t, *armed_ms);
}

bool tui_armed(int64_t armed_ms)
{
	return wx_monotonic_ms() >= armed_ms;
}
