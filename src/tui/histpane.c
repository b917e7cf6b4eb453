/* History pane: reversals newest first, paged from the database by id
 * (keyset paging), filtered as you type (a word "@name" keeps one
 * operator's rows, asked of the history so a desk server filters them);
 * Enter opens the detail view, `r` re-runs through the confirmation,
 * `y`/`Y` copy. The operator column shows when the pane is wide enough. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiv3.h"
#include "tui/text.h"
#include "history_export.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define PAGE 100

struct history_pane {
	struct history_reversal *rows; /* loaded pages, newest first */
	size_t cap;                    /* allocated rows */
	bool more;                     /* older rows may exist */
	int64_t resume;                /* a filter scan continues below this
					  id (0: not searching) */
	struct tui_list list;          /* selection and scrolling */
	struct tui_field filter;       /* the `/` filter */
	bool filtering;                /* the filter field has the keys */
	struct tui_rect r;             /* where the pane is */
	char error[1024];              /* last load failure */
	int64_t total;                 /* reversals in the history */
	size_t newer;                  /* rows that arrived above the view */
};

static void free_rows(struct history_pane *H)
{
	history_rows_free(H->rows, H->list.n);
	H->rows = NULL;
	H->cap = 0;
	H->list.n = 0;
}

static void history_done(void *state)
{
	free_rows(state);
}

#define FILTER_BYTES (TUI_FIELD_MAX * 4 + 1)

/* Splits the typed filter: the first word starting with '@' names the
 * operator into op (exact; a lone '@' names none yet), every other word,
 * as typed, is the substring in text. */
static void split_filter(const char *typed, char *text, char *op)
{
	const char *at = NULL;
	size_t len;

	for (const char *p = typed; *p && !at; p++)
		if (*p == '@' && (p == typed || p[-1] == ' '))
			at = p;
	op[0] = '\0';
	if (!at) {
		snprintf(text, FILTER_BYTES, "%s", typed);
		return;
	}
	len = strcspn(at, " ");
	snprintf(op, FILTER_BYTES, "%.*s", (int)len - 1, at + 1);
	/* What is left before and after the word, without the blank
	 * between them. */
	snprintf(text, FILTER_BYTES, "%.*s%s", (int)(at - typed), typed,
		 at[len] ? at + len + 1 : "");
	len = strlen(text);
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
}

/* Appends one page of rows older than the last loaded one. */
static void load_page(struct history_pane *H, struct tui *t)
{
	char typed[FILTER_BYTES], text[FILTER_BYTES], op[FILTER_BYTES];
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *page = NULL;
	struct wx_err err = {{0}};
	int64_t before = H->list.n ? H->rows[H->list.n - 1].id : 0;
	size_t n = 0;

	if (H->resume)
		before = H->resume;
	field_get(&H->filter, typed, sizeof(typed));
	split_filter(typed, text, op);
	f.text = text[0] ? text : NULL;
	f.op = op[0] ? op : NULL;
	/* One bounded step: a rare short filter keeps scanning between
	 * keystrokes (tui_history_continue) instead of freezing the screen. */
	if (history_list_step(t->hist, &f, before, PAGE, HISTORY_SCAN_BUDGET,
			      &page, &n, &H->resume, &err) != 0) {
		snprintf(H->error, sizeof(H->error), "%s", err.msg);
		H->more = false;
		H->resume = 0;
		return;
	}
	H->error[0] = '\0';
	H->more = n == PAGE || H->resume != 0;
	if (n == 0) {
		free(page);
		return;
	}
	if (H->list.n + n > H->cap) {
		H->cap = H->list.n + n;
		H->rows = wx_xrealloc(H->rows, H->cap * sizeof(*H->rows));
	}
	/* Rows are moved, not copied: the page array keeps no strings. */
	memcpy(H->rows + H->list.n, page, n * sizeof(*page));
	free(page);
	list_set_count(&H->list, H->list.n + n);
}

static bool searching(const struct history_pane *H)
{
	/* Until the rows fill the pane; the rest loads as the operator
	 * scrolls, like any other page. */
	return H->resume != 0 && (int)H->list.n < H->list.height;
}

/* What an empty pane says. An @name that matches nobody is named: it
 * keeps one operator's rows by the whole name, so "@al" finds no alice. */
static const char *empty_words(const struct history_pane *H, char *buf,
			       size_t n)
{
	char typed[FILTER_BYTES], text[FILTER_BYTES], op[FILTER_BYTES];

	if (searching(H))
		return _("searching...");
	if (!H->filter.len)
		return _("no reversal yet");
	field_get(&H->filter, typed, sizeof(typed));
	split_filter(typed, text, op);
	if (!op[0])
		return _("nothing matches the filter");
	snprintf(buf, n,
		 _("nothing matches; @%s keeps the rows of the operator named "
		   "exactly %s"),
		 op, op);
	return buf;
}

bool tui_history_searching(const struct tui *t)
{
	return searching(tui_state(t, TUI_SCR_HISTORY));
}

void tui_history_continue(struct tui *t)
{
	struct history_pane *H = tui_state(t, TUI_SCR_HISTORY);

	if (!searching(H))
		return;
	load_page(H, t);
	t->dirty = true;
}

/* Whether the pane lists only some rows (a text or an operator typed). */
static bool filtered(const struct history_pane *H)
{
	char typed[FILTER_BYTES];

	field_get(&H->filter, typed, sizeof(typed));
	return typed[0] != '\0';
}

/* Reloads the first page. At the newest row the list stays there, so a
 * new reversal shows at the top, selected; elsewhere the selection stays
 * on its row and the title counts the rows that arrived above. */
static void reload(struct history_pane *H, struct tui *t)
{
	bool at_newest = H->list.sel == 0;
	int64_t keep = H->list.n ? H->rows[H->list.sel].id : 0;
	int64_t newest = H->list.n ? H->rows[0].id : 0;
	size_t sel = 0;

	free_rows(H);
	H->resume = 0;
	load_page(H, t);
	/* Unfiltered, the newest row's id is the count (the highest id). */
	if (H->list.n && !filtered(H))
		H->total = H->rows[0].id;
	else if (history_count(t->hist, &H->total, NULL) != 0)
		H->total = 0;
	for (size_t i = 0; !at_newest && i < H->list.n; i++) {
		if (H->rows[i].id == keep)
			sel = i;
		if (newest && H->rows[i].id > newest)
			H->newer++;
	}
	H->list.sel = sel;
	if (at_newest)
		H->list.top = 0;
	list_set_count(&H->list, H->list.n);
	t->dirty = true;
}

void tui_history_reload(struct tui *t)
{
	reload(tui_state(t, TUI_SCR_HISTORY), t);
}

/* "2 345": thousands apart, as the eye counts them. */
static void fmt_count(int64_t n, char *buf, size_t len)
{
	char digits[32];
	size_t nd, used = 0;

	snprintf(digits, sizeof(digits), "%lld", (long long)n);
	nd = strlen(digits);
	for (size_t i = 0; i < nd && used + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[used++] = ' ';
		buf[used++] = digits[i];
	}
	buf[used] = '\0';
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
	wx_i18n_when(ms, WX_WHEN_SHORT, buf, n);
}

/* Column widths for a row of `w` columns; op is 0 when the operator
 * column is left out. */
struct cols {
	int time, outcome, order, sub, status, code, latency, op;
};

/* The flexible columns keep at least what they have at 80 columns before
 * the operator column takes its share; narrower, it is left out. */
#define FLEX_MIN 43
#define OP_MIN	 8
#define OP_MAX	 12

/* At least `min` columns, and as wide as the (translated) heading. */
static int fixed_width(int min, const char *heading)
{
	int w = text_width(heading);

	return w > min ? w : min;
}

static struct cols layout_cols(int w)
{
	char when[64];
	struct cols c = {0, 8, 0, 0, 0, 0, 7, 0};
	int flex;

	/* The date column is as wide as the UI language writes a date. */
	fmt_time(0, when, sizeof(when));
	c.time = fixed_width(text_width(when), _("time"));
	c.outcome = fixed_width(c.outcome, _("outcome"));
	c.status = fixed_width(3, _("sts"));
	c.latency = fixed_width(c.latency, _("latency"));
	flex = w - (c.time + c.outcome + c.status + c.latency + 6);
	c.op = fixed_width(OP_MIN, _("operator"));
	if (c.op > OP_MAX)
		c.op = OP_MAX;
	if (flex - c.op - 1 >= FLEX_MIN)
		flex -= c.op + 1;
	else
		c.op = 0;

	c.order = flex * 45 / 100;
	if (c.order > APIV3_ORDER_MAX)
		c.order = APIV3_ORDER_MAX;
	c.sub = (flex - c.order) / 2;
	if (c.sub > 24)
		c.sub = 24;
	c.code = flex - c.order - c.sub;
	return c;
}

static int cell(int y, int x, const char *s, int w, attr_t a)
{
	tui_put(y, x, s ? s : "", w, a, true);
	return x + w + 1;
}

static void draw_header(const struct history_pane *H, const struct tui *t,
			int y)
{
	struct cols c = layout_cols(H->r.w - 2);
	int x = H->r.x + 1;
	attr_t a = A_BOLD | tui_attr(t, TUI_C_DIM);

	x = cell(y, x, _("time"), c.time, a);
	x = cell(y, x, _("outcome"), c.outcome, a);
	x = cell(y, x, _("order"), c.order, a);
	x = cell(y, x, _("sub-merchant"), c.sub, a);
	x = cell(y, x, _("sts"), c.status, a);
	x = cell(y, x, _("code"), c.code, a);
	x = cell(y, x, _("latency"), c.latency, a);
	if (c.op)
		cell(y, x, _("operator"), c.op, a);
}

static void draw_row(void *ctx, size_t i, int y, bool selected)
{
	const struct tui *t = ctx;
	const struct history_pane *H = tui_state(t, TUI_SCR_HISTORY);
	const struct history_reversal *r = &H->rows[i];
	struct cols c = layout_cols(H->r.w - 2);
	attr_t a = selected ? A_REVERSE : A_NORMAL;
	char buf[64];
	int x = H->r.x + 1;

	fmt_time(r->created_ms, buf, sizeof(buf));
	x = cell(y, x, buf, c.time, a);
	tui_put(y, x - 1, " ", 1, a, false);
	x = cell(y, x, wx_outcome_label(r->outcome), c.outcome,
		 a | tui_outcome_attr(t, r->outcome));
	x = cell(y, x, r->out_trade_no, c.order, a);
	x = cell(y, x, r->sub_name ? r->sub_name : r->sub_mchid, c.sub, a);
	if (r->http_status)
		snprintf(buf, sizeof(buf), "%d", r->http_status);
	else
		snprintf(buf, sizeof(buf), "-");
	x = cell(y, x, buf, c.status, a);
	x = cell(y, x, r->code ? r->code : "", c.code, a);
	snprintf(buf, sizeof(buf), "%lldms", (long long)r->latency_ms);
	if (r->outcome == WX_PENDING)
		snprintf(buf, sizeof(buf), "...");
	x = cell(y, x, buf, c.latency, a);
	if (c.op)
		cell(y, x, r->op, c.op, a);
	/* Gaps between cells keep the selection bar continuous. */
	for (int gx = H->r.x + 1 + c.time; selected && gx < H->r.x + H->r.w - 1;
	     gx++) {
		chtype ch = mvinch(y, gx) & A_CHARTEXT;

		if (ch == ' ')
			mvchgat(y, gx, 1, A_REVERSE, 0, NULL);
	}
}

/* "History 12/2 345" (position/total, like tig), "3 newer" when rows
 * arrived above the view, and what a filter has found so far. */
static void history_title(struct history_pane *H, char *buf, size_t len)
{
	char pos[32], total[32], newer[64] = "";
	bool filtered = H->filter.len > 0;

	if (H->list.top == 0)
		H->newer = 0;
	if (H->newer)
		snprintf(newer, sizeof(newer), _(", %zu newer"), H->newer);
	fmt_count(H->list.n ? (int64_t)H->list.sel + 1 : 0, pos, sizeof(pos));
	fmt_count(filtered ? (int64_t)H->list.n : H->total, total,
		  sizeof(total));
	if (searching(H))
		snprintf(buf, len, _("History %s/%s, searching older"), pos,
			 total);
	else
		snprintf(buf, len, "%s %s/%s%s%s", _("History"), pos, total,
			 filtered && H->more ? "+" : "", newer);
}

static void history_draw(struct tui *t, void *state, const struct tui_rect *r,
			 bool focused)
{
	struct history_pane *H = state;
	char title[160], words[FILTER_BYTES * 2 + 128];
	int fy = r->y + r->h - 2;

	H->r = *r;
	history_title(H, title, sizeof(title));
	tui_box(t, r, title, focused);
	draw_header(H, t, r->y + 1);
	list_draw(&H->list, r->y + 2, draw_row, t);
	if (H->error[0])
		tui_put(r->y + 2, r->x + 2, H->error, r->w - 4,
			tui_attr(t, TUI_C_BAD), false);
	else if (H->list.n == 0)
		tui_put(r->y + 2, r->x + 2, empty_words(H, words, sizeof(words)),
			r->w - 4, tui_attr(t, TUI_C_DIM), false);
	if (!H->filtering && !H->filter.len)
		return;
	tui_put(fy, r->x + 1, "/", 1, A_BOLD, false);
	{
		int cx = field_draw(&H->filter, fy, r->x + 2, r->w - 3,
				    H->filtering ? A_UNDERLINE : A_NORMAL);

		if (focused && H->filtering) {
			t->cur_show = true;
			t->cur_y = fy;
			t->cur_x = cx;
		}
	}
}

static int row_action(struct history_pane *H, struct tui *t,
		      enum tui_action a)
{
	const struct history_reversal *r;
	char buf[1024];

	if (H->list.n == 0)
		return TUI_NONE;
	r = &H->rows[H->list.sel];
	if (a == TUI_ACT_ENTER)
		tui_detail_open(t, r->id);
	else if (a == TUI_ACT_RERUN)
		tui_confirm_rerun(t, r);
	else if (a == TUI_ACT_QUERY)
		tui_query_row(t, r);
	else if (a == TUI_ACT_COPY)
		tui_copy(t, r->out_trade_no, _("the order number"));
	else if (a == TUI_ACT_COPY_SUMMARY) {
		history_ticket_line(t->hist, r, buf, sizeof(buf));
		tui_copy(t, buf, _("the result"));
	}
	return TUI_REDRAW;
}

static int history_key(struct tui *t, void *state, enum tui_action a,
		       const struct tui_key *k)
{
	struct history_pane *H = state;

	if (list_move(&H->list, a)) {
		if (H->more && H->list.sel + 2 >= H->list.n)
			load_page(H, t);
		return TUI_REDRAW;
	}
	switch (a) {
	case TUI_ACT_FILTER: /* a new search, as in less and vi */
		H->filtering = true;
		field_clear(&H->filter);
		H->list.sel = 0; /* a new search starts at the newest */
		reload(H, t);
		return TUI_REDRAW;
	case TUI_ACT_ENTER:
		if (H->filtering) {
			H->filtering = false;
			return TUI_REDRAW;
		}
		return row_action(H, t, a);
	case TUI_ACT_RERUN:
	case TUI_ACT_QUERY:
	case TUI_ACT_COPY:
	case TUI_ACT_COPY_SUMMARY:
		return row_action(H, t, a);
	case TUI_ACT_CANCEL:
		H->filtering = false;
		field_clear(&H->filter);
		H->list.sel = 0; /* back to the newest, in view */
		reload(H, t);
		return TUI_REDRAW;
	case TUI_ACT_CLICK:
		list_click(&H->list, k->mouse_y - H->r.y - 2);
		return TUI_REDRAW;
	case TUI_ACT_DOUBLE_CLICK: /* opens, never re-runs */
		if (list_click(&H->list, k->mouse_y - H->r.y - 2))
			return row_action(H, t, TUI_ACT_ENTER);
		return TUI_REDRAW;
	default:
		break;
	}
	if (H->filtering && field_key(&H->filter, a, k)) {
		H->list.sel = 0;
		H->list.top = 0;
		free_rows(H);
		H->resume = 0;
		load_page(H, t);
	}
	return H->filtering ? TUI_REDRAW : TUI_NONE;
}

static void history_resize(struct tui *t, void *state,
			   const struct tui_rect *r)
{
	struct history_pane *H = state;

	(void)t;
	H->r = *r;
	list_set_height(&H->list, r->h - 4); /* header and filter rows */
}

static enum tui_typing history_typing(const void *state)
{
	const struct history_pane *H = state;

	return H->filtering ? TUI_TYPING_CODE : TUI_TYPING_NO;
}

const struct tui_screen tui_history_screen = {
	.name = "history",
	.id = TUI_SCR_HISTORY,
	.ctx = TUI_CTX_HISTORY | TUI_CTX_LIST,
	.private_size = sizeof(struct history_pane),
	.done = history_done,
	.draw = history_draw,
	.key = history_key,
	.resize = history_resize,
	.typing = history_typing,
};
