/* Detail view: one reversal, a summary on top (who, what happened to the
 * money, the time over every attempt, the last Request-ID or that no
 * answer came), then the raw exchange: every attempt's request line,
 * headers (signature redacted in storage), pretty-printed JSON bodies,
 * response status, headers and body, verification verdict, latency and
 * Request-ID. Scrollable; long lines wrap at the window's width. `/`
 * searches the text as it is typed (ASCII letters in any case); Enter keeps
 * the search, its matches highlighted, and n/N move between them until Esc
 * ends it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "apiv3.h"
#include "tui/text.h"
#include "history_export.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define BODY_LINES_MAX 2000

/* One logical line and how it is shown. */
struct dline {
	char *text; /* UTF-8, not yet sanitised */
	int color;  /* enum tui_color */
	attr_t attr;
};

struct detail {
	struct history_reversal rev; /* the reversal shown */
	struct dline *lines;         /* logical lines */
	size_t n, cap;
	struct dline *wrapped;       /* lines cut to the window width */
	size_t nw, capw;
	struct tui_list list;        /* scrolling (sel is the top line) */
	int width;                   /* width the lines were wrapped at */
	bool open;                   /* a reversal is loaded */
	struct tui_field search;     /* the search being typed after `/` */
	bool typing;                 /* the search prompt has the keys */
	char term[TUI_FIELD_MAX * 4 + 1]; /* what is searched ("": none) */
	size_t *hits;                /* wrapped lines holding term, in order */
	size_t nhits, caphits;
	size_t hit;                  /* the current one (index into hits) */
};

static void add_line(struct dline **arr, size_t *n, size_t *cap,
		     const char *text, int color, attr_t attr)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 128;
		*arr = wx_xrealloc(*arr, *cap * sizeof(**arr));
	}
	(*arr)[(*n)++] = (struct dline){wx_xstrdup(text), color, attr};
}

static void line(struct detail *D, const char *text, int color, attr_t attr)
{
	add_line(&D->lines, &D->n, &D->cap, text, color, attr);
}

static void linef(struct detail *D, int color, attr_t attr, const char *fmt, ...)
	WX_PRINTF(4, 5);
static void linef(struct detail *D, int color, attr_t attr, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = wx_xmalloc((size_t)(len > 0 ? len : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)(len > 0 ? len : 0) + 1, fmt, ap);
	va_end(ap);
	line(D, s, color, attr);
	free(s);
}

/* Adds each line of a multi-line text with a prefix. */
static void lines_of(struct detail *D, const char *prefix, const char *text, int color,
		     size_t max)
{
	const char *p = text;
	size_t count = 0;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		char *s;

		if (count++ == max) {
			linef(D, TUI_C_DIM, A_NORMAL, _("%s... (cut here)"), prefix);
			return;
		}
		s = wx_xasprintf("%s%.*s", prefix, (int)len, p);
		/* A stray CR would be shown escaped; drop the one before LF. */
		if (len && p[len - 1] == '\r')
			s[strlen(s) - 1] = '\0';
		line(D, s, color, A_NORMAL);
		free(s);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static void body_lines(struct detail *D, const char *prefix, const char *body)
{
	json_error_t jerr;
	json_t *j;
	char *pretty = NULL;

	if (!body || !*body) {
		linef(D, TUI_C_DIM, A_NORMAL, "%s%s", prefix, _("(empty body)"));
		return;
	}
	j = json_loads(body, JSON_DECODE_ANY, &jerr);
	if (j)
		pretty = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	lines_of(D, prefix, pretty ? pretty : body, TUI_C_NORMAL, BODY_LINES_MAX);
	free(pretty);
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
	wx_i18n_when(ms, WX_WHEN_SECOND, buf, n);
}

/* The last Request-ID WeChat Pay gave, and whether its answer's
 * signature was verified; "no answer received" when none came. */
static void request_words(const struct history_attempt *atts, size_t n,
			  char *buf, size_t len)
{
	const struct history_attempt *last = NULL;
	bool any_status = false;

	for (size_t i = 0; i < n; i++) {
		any_status = any_status || atts[i].status;
		if (atts[i].request_id)
			last = &atts[i];
	}
	if (!last) {
		snprintf(buf, len, "%s",
			 any_status ? _("none in the answer")
				    : _("no answer received"));
		return;
	}
	snprintf(buf, len, _("%s; signature %s"), last->request_id,
		 last->verify && strcmp(last->verify, "verified") == 0
			 ? _("verified")
			 : _("not verified"));
}

static void summary_lines(struct detail *D, const struct history_reversal *r,
			  const struct history_attempt *atts, size_t natts)
{
	const struct apiv3_code_info *ci = r->code ? apiv3_code_lookup(r->code)
						   : NULL;
	int64_t total = r->latency_ms;
	char when[32], buf[512];

	fmt_time(r->created_ms, when, sizeof(when));
	if (natts)
		total = atts[natts - 1].started_ms + atts[natts - 1].latency_ms -
			atts[0].started_ms;
	linef(D, TUI_C_NORMAL, A_BOLD, _("Reversal #%lld by %s at %s"),
	      (long long)r->id, r->op ? r->op : "?", when);
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Partner:      %s (%s)"),
	      r->partner_name ? r->partner_name : "", r->sp_mchid);
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Sub-merchant: %s (%s)"),
	      r->sub_name ? r->sub_name : "", r->sub_mchid);
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Order:        %s"), r->out_trade_no);
	if (r->note)
		linef(D, TUI_C_NORMAL, A_NORMAL, _("Note:         %s"), r->note);
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Endpoint:     %s"),
	      r->endpoint ? r->endpoint : "");
	linef(D, tui_outcome_color(r->outcome), A_BOLD,
	      _("Outcome:      %s  HTTP %d  %s"), wx_outcome_label(r->outcome),
	      r->http_status, r->code ? r->code : "");
	tui_money_words(r->outcome, r->trade_state_before, NULL, buf,
			sizeof(buf));
	if (!buf[0] && r->outcome == WX_REVERSED)
		snprintf(buf, sizeof(buf), "%s",
			 _("refunded to the payer if it was paid, closed if it was not"));
	if (buf[0])
		linef(D, tui_outcome_color(r->outcome), A_BOLD,
		      _("Money:        %s"), buf);
	linef(D, TUI_C_NORMAL, A_NORMAL,
	      _("Time:         %d attempt(s) over %.1f s"), r->attempts,
	      (double)total / 1000.0);
	request_words(atts, natts, buf, sizeof(buf));
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Request-ID:   %s"), buf);
	if (r->message)
		linef(D, TUI_C_NORMAL, A_NORMAL, _("Message:      %s"),
		      wx_i18n_stored(r->message));
	if (ci)
		linef(D, TUI_C_NORMAL, A_NORMAL, _("Meaning:      %s"),
		      _(ci->explain));
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Next step:    %s"),
	      ci ? _(ci->next) : wx_outcome_advice(r->outcome));
	line(D, "", TUI_C_NORMAL, A_NORMAL);
	linef(D, TUI_C_FOCUS, A_BOLD, "%s",
	      _("== The exchange with WeChat Pay, as sent and received =="));
}

static void attempt_lines(struct detail *D, const struct history_attempt *a, size_t total)
{
	char when[32];

	fmt_time(a->started_ms, when, sizeof(when));
	line(D, "", TUI_C_NORMAL, A_NORMAL);
	linef(D, TUI_C_FOCUS, A_BOLD,
	      _("-- Attempt %d of %zu  %s  %lld ms  Request-ID: %s"), a->n, total,
	      when, (long long)a->latency_ms,
	      a->request_id ? a->request_id
	      : a->status   ? _("none in the answer")
			    : _("no answer received"));
	linef(D, TUI_C_NORMAL, A_BOLD, "> POST %s", a->url ? a->url : "");
	lines_of(D, "> ", a->request_headers, TUI_C_DIM, 200);
	body_lines(D, "  ", a->request_body);
	if (a->transport_error)
		linef(D, TUI_C_WARN, A_BOLD, _("Transport error: %s"),
		      wx_i18n_stored(a->transport_error));
	if (a->status)
		linef(D, TUI_C_NORMAL, A_BOLD, "< HTTP %d", a->status);
	else
		line(D, _("< no status line received"), TUI_C_WARN, A_BOLD);
	lines_of(D, "< ", a->response_headers, TUI_C_DIM, 200);
	if (a->status)
		body_lines(D, "  ", a->response_body);
	linef(D, a->verify && strcmp(a->verify, "verified") == 0 ? TUI_C_GOOD
							      : TUI_C_WARN,
	      A_BOLD, _("Signature: %s"),
	      a->verify ? wx_i18n_stored(a->verify) : _("not checked"));
}

/* The order queries kept for this order (the confirmation's, F5's, wxrev
 * query's), newest first: what each read, when, who asked. */
#define DETAIL_QUERIES 20
static void query_lines(struct detail *D, const struct tui *t,
			const struct history_reversal *r)
{
	struct history_query *q = NULL;
	size_t n = 0;

	if (history_query_list(t->hist, r->sub_mchid, r->out_trade_no, true, 0,
			       DETAIL_QUERIES, &q, &n, NULL) != 0 ||
	    n == 0) {
		history_queries_free(q, n);
		return;
	}
	line(D, "", TUI_C_NORMAL, A_NORMAL);
	linef(D, TUI_C_FOCUS, A_BOLD, _("-- Order queries of %s (newest first)"),
	      r->out_trade_no);
	for (size_t i = 0; i < n; i++) {
		char when[32];

		fmt_time(q[i].created_ms, when, sizeof(when));
		linef(D, TUI_C_NORMAL, A_NORMAL, _("%s  %-16s  HTTP %d  %s  %s  "
						   "Request-ID: %s"),
		      when,
		      q[i].trade_state ? q[i].trade_state
		      : q[i].code      ? q[i].code
				       : "-",
		      q[i].a.status, q[i].op ? q[i].op : "?",
		      q[i].a.verify ? wx_i18n_stored(q[i].a.verify)
				    : _("not checked"),
		      q[i].a.request_id ? q[i].a.request_id : "-");
	}
	history_queries_free(q, n);
}

static void free_lines(struct dline *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].text);
}

/* Empties the view; the block stays for the next reversal. */
static void detail_clear(struct detail *D)
{
	free_lines(D->lines, D->n);
	free_lines(D->wrapped, D->nw);
	free(D->lines);
	free(D->wrapped);
	free(D->hits);
	history_reversal_clear(&D->rev);
	memset(D, 0, sizeof(*D));
}

static void detail_done(void *state)
{
	detail_clear(state);
}

/* Cuts every logical line into pieces of at most `cols` columns. */
static void wrap(struct detail *D, int cols)
{
	free_lines(D->wrapped, D->nw);
	D->nw = 0;
	for (size_t i = 0; i < D->n; i++) {
		char *safe = text_sanitize(D->lines[i].text);
		size_t len = strlen(safe) + 1;
		wchar_t *w = wx_xcalloc(len, sizeof(*w));
		const char *p = safe;

		do {
			char *piece;
			size_t bytes;

			text_fit(p, cols, w, len);
			bytes = wcstombs(NULL, w, 0);
			if (bytes == (size_t)-1 || (bytes == 0 && *p))
				bytes = strlen(p);
			if (p[bytes])
				bytes = tui_cut_escape(p, bytes);
			piece = wx_xstrndup(p, bytes);
			add_line(&D->wrapped, &D->nw, &D->capw, piece,
				 D->lines[i].color, D->lines[i].attr);
			free(piece);
			p += bytes;
		} while (*p);
		free(w);
		free(safe);
	}
	D->width = cols;
	list_set_count(&D->list, D->nw);
}

void tui_detail_open(struct tui *t, int64_t id)
{
	struct history_attempt *atts = NULL;
	size_t natts = 0;
	struct wx_err err = {{0}};
	struct detail *D = tui_state(t, TUI_SCR_DETAIL);

	detail_clear(D);
	if (history_get(t->hist, id, &D->rev, &atts, &natts, &err) != 0) {
		tui_message(t, TUI_C_BAD, "%s", err.msg);
		return;
	}
	summary_lines(D, &D->rev, atts, natts);
	for (size_t i = 0; i < natts; i++)
		attempt_lines(D, &atts[i], natts);
	if (natts == 0)
		line(D, _("No attempt was recorded: nothing was sent."), TUI_C_DIM,
		     A_NORMAL);
	history_attempts_free(atts, natts);
	query_lines(D, t, &D->rev);
	D->open = true;
	tui_open_modal(t, &tui_detail_screen);
}

static struct tui_rect detail_rect(const struct tui *t)
{
	return (struct tui_rect){0, 0, t->rows - TUI_BOTTOM_ROWS, t->cols};
}

/* Where needle occurs in hay, ASCII letters in any case; NULL if not. */
static const char *find_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return NULL;
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* The wrapped lines that hold the term (a match cut by the wrap is not
 * found: the search reads what the screen shows). */
static void find_hits(struct detail *D)
{
	D->nhits = 0;
	for (size_t i = 0; D->term[0] && i < D->nw; i++) {
		if (!find_ci(D->wrapped[i].text, D->term))
			continue;
		if (D->nhits == D->caphits) {
			D->caphits = D->caphits ? D->caphits * 2 : 64;
			D->hits = wx_xrealloc(D->hits,
					      D->caphits * sizeof(*D->hits));
		}
		D->hits[D->nhits++] = i;
	}
	if (D->hit >= D->nhits)
		D->hit = 0;
}

/* Scrolls so that the current match shows, a third down the view. */
static void show_hit(struct detail *D)
{
	size_t line, h = (size_t)D->list.height;
	size_t max = D->nw > h ? D->nw - h : 0;

	if (D->nhits == 0)
		return;
	line = D->hits[D->hit];
	if (line >= D->list.top && line < D->list.top + h)
		return;
	D->list.top = line > h / 3 ? line - h / 3 : 0;
	if (D->list.top > max)
		D->list.top = max;
}

/* As the term is typed: the first match from the top line shown on. */
static void search_from_top(struct detail *D)
{
	field_get(&D->search, D->term, sizeof(D->term));
	find_hits(D);
	D->hit = 0;
	for (size_t i = 0; i < D->nhits; i++) {
		if (D->hits[i] >= D->list.top) {
			D->hit = i;
			break;
		}
	}
	show_hit(D);
}

static void search_end(struct detail *D)
{
	D->typing = false;
	D->term[0] = '\0';
	D->nhits = 0;
	field_clear(&D->search);
}

/* Highlights every match on one shown line; the current one stands out. */
static void draw_matches(struct tui *t, const struct detail *D, size_t k,
			 int y, int x, int cols)
{
	const char *text = D->wrapped[k].text, *p = text;
	bool current = D->nhits && D->hits[D->hit] == k;
	size_t n = strlen(D->term);

	while ((p = find_ci(p, D->term)) != NULL) {
		char *before = wx_xstrndup(text, (size_t)(p - text));
		char *match = wx_xstrndup(p, n);
		int col = text_width(before);

		if (col < cols)
			tui_put(y, x + col, match, cols - col,
				(current ? tui_attr(t, TUI_C_WARN) : A_NORMAL) |
					A_REVERSE | A_BOLD,
				false);
		free(before);
		free(match);
		p += n;
	}
}

/* The bottom border: the search being typed, or the one kept. */
static void draw_search(struct tui *t, struct detail *D,
			const struct tui_rect *r)
{
	int y = r->y + r->h - 1, x = r->x + 2, w = r->w - 4;
	char buf[TUI_FIELD_MAX * 4 + 160];

	if (D->typing) {
		int cx;

		tui_put(y, x, "/", 1, A_BOLD, false);
		cx = field_draw(&D->search, y, x + 1, w / 2, A_UNDERLINE);
		t->cur_show = true;
		t->cur_y = y;
		t->cur_x = cx;
		if (D->term[0] && D->nhits == 0)
			tui_put(y, x + 2 + w / 2, _("not found"), w - w / 2 - 2,
				tui_attr(t, TUI_C_WARN), false);
		return;
	}
	if (!D->term[0])
		return;
	snprintf(buf, sizeof(buf), _("/%s  match %zu of %zu"), D->term,
		 D->hit + 1, D->nhits);
	tui_put(y, x, buf, w, A_BOLD, false);
}

static void detail_draw(struct tui *t, void *state,
			const struct tui_rect *unused, bool focused)
{
	struct detail *D = state;
	struct tui_rect r = detail_rect(t);
	char title[128];

	(void)unused;
	if (D->width != r.w - 4) {
		wrap(D, r.w - 4);
		find_hits(D);
	}
	snprintf(title, sizeof(title), _("Detail: %s  (%zu/%zu, Esc closes)"),
		 D->rev.out_trade_no ? D->rev.out_trade_no : "",
		 D->nw ? D->list.top + 1 : 0, D->nw);
	tui_box(t, &r, title, focused);
	for (int i = 0; i < D->list.height; i++) {
		size_t k = D->list.top + (size_t)i;
		const struct dline *l;

		if (k >= D->nw)
			break;
		l = &D->wrapped[k];
		tui_put(r.y + 1 + i, r.x + 2, l->text, r.w - 4,
			tui_attr(t, l->color) | l->attr, false);
		if (D->term[0])
			draw_matches(t, D, k, r.y + 1 + i, r.x + 2, r.w - 4);
	}
	draw_search(t, D, &r);
}

/* The view scrolls: the "selection" is the top line. */
static bool detail_scroll(struct detail *D, enum tui_action a)
{
	size_t max = D->nw > (size_t)D->list.height ? D->nw - (size_t)D->list.height
						   : 0;
	size_t old = D->list.top, page = (size_t)D->list.height - 1;

	if (a == TUI_ACT_UP && D->list.top > 0)
		D->list.top--;
	else if (a == TUI_ACT_DOWN)
		D->list.top++;
	else if (a == TUI_ACT_PAGE_UP)
		D->list.top = D->list.top > page ? D->list.top - page : 0;
	else if (a == TUI_ACT_PAGE_DOWN)
		D->list.top += page;
	else if (a == TUI_ACT_TOP)
		D->list.top = 0;
	else if (a == TUI_ACT_BOTTOM)
		D->list.top = max;
	if (D->list.top > max)
		D->list.top = max;
	return D->list.top != old;
}

/* Keys while the search is typed: text, Enter keeps it, Esc drops it. */
static int search_key(struct tui *t, struct detail *D, enum tui_action a,
		      const struct tui_key *k)
{
	switch (a) {
	case TUI_ACT_ENTER:
		D->typing = false;
		if (D->nhits == 0) {
			if (D->term[0])
				tui_message(t, TUI_C_WARN,
					    _("\"%s\" is not in this view."),
					    D->term);
			search_end(D);
		}
		return TUI_REDRAW;
	case TUI_ACT_CANCEL:
		search_end(D);
		return TUI_REDRAW;
	default:
		if (detail_scroll(D, a))
			return TUI_REDRAW;
		if (field_key(&D->search, a, k))
			search_from_top(D);
		return TUI_REDRAW;
	}
}

static int detail_key(struct tui *t, void *state, enum tui_action a,
		      const struct tui_key *k)
{
	struct detail *D = state;
	char buf[1024];

	if (D->typing)
		return search_key(t, D, a, k);
	if (detail_scroll(D, a))
		return TUI_REDRAW;
	switch (a) {
	case TUI_ACT_SEARCH:
		search_end(D);
		D->typing = true;
		return TUI_REDRAW;
	case TUI_ACT_SEARCH_NEXT:
	case TUI_ACT_SEARCH_PREV:
		if (D->nhits == 0)
			return TUI_NONE;
		D->hit = a == TUI_ACT_SEARCH_NEXT
				 ? (D->hit + 1) % D->nhits
				 : (D->hit + D->nhits - 1) % D->nhits;
		show_hit(D);
		return TUI_REDRAW;
	case TUI_ACT_CANCEL:
		if (D->term[0]) {
			search_end(D);
			return TUI_REDRAW;
		}
		tui_close_modal(t);
		return TUI_REDRAW;
	case TUI_ACT_RERUN:
		tui_confirm_rerun(t, &D->rev);
		return TUI_REDRAW;
	case TUI_ACT_QUERY:
		tui_query_row(t, &D->rev);
		return TUI_REDRAW;
	case TUI_ACT_COPY:
		tui_copy(t, D->rev.out_trade_no, _("the order number"));
		return TUI_REDRAW;
	case TUI_ACT_COPY_SUMMARY:
		history_ticket_line(t->hist, &D->rev, buf, sizeof(buf));
		tui_copy(t, buf, _("the result"));
		return TUI_REDRAW;
	default:
		return TUI_NONE;
	}
}

static enum tui_typing detail_typing(const void *state)
{
	const struct detail *D = state;

	return D->typing ? TUI_TYPING_TEXT : TUI_TYPING_NO;
}

static unsigned detail_ctx_now(const void *state)
{
	const struct detail *D = state;

	return !D->typing && D->nhits ? TUI_CTX_FOUND : 0;
}

static void detail_resize(struct tui *t, void *state,
			  const struct tui_rect *unused)
{
	struct detail *D = state;
	struct tui_rect r = detail_rect(t);

	(void)unused;
	D->list.height = r.h - 2 > 1 ? r.h - 2 : 1;
	D->width = 0; /* re-wrap at the next draw */
}

const struct tui_screen tui_detail_screen = {
	.name = "detail",
	.id = TUI_SCR_DETAIL,
	.ctx = TUI_CTX_DETAIL | TUI_CTX_LIST,
	.private_size = sizeof(struct detail),
	.done = detail_done,
	.draw = detail_draw,
	.key = detail_key,
	.resize = detail_resize,
	.typing = detail_typing,
	.ctx_now = detail_ctx_now,
};
