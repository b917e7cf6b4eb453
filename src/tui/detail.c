/* Detail view: one reversal with every attempt's request line, headers
 * (signature redacted in storage), pretty-printed JSON bodies, response
 * status, headers and body, verification verdict, latency and Request-ID->
 * Scrollable; long lines wrap at the window's width. */
#include <stdlib.h>
#include <string.h>
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

static void summary_lines(struct detail *D, const struct tui *t, const struct history_reversal *r)
{
	const struct apiv3_code_info *ci = r->code ? apiv3_code_lookup(r->code)
						   : NULL;
	char when[32];

	(void)t;
	fmt_time(r->created_ms, when, sizeof(when));
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
	      _("Outcome:      %s  HTTP %d  %s  %d attempt(s), %lld ms"),
	      wx_outcome_label(r->outcome), r->http_status,
	      r->code ? r->code : "", r->attempts, (long long)r->latency_ms);
	if (r->message)
		linef(D, TUI_C_NORMAL, A_NORMAL, _("Message:      %s"),
		      wx_i18n_stored(r->message));
	if (ci)
		linef(D, TUI_C_NORMAL, A_NORMAL, _("Meaning:      %s"),
		      _(ci->explain));
	linef(D, TUI_C_NORMAL, A_NORMAL, _("Next step:    %s"),
	      ci ? _(ci->next) : wx_outcome_advice(r->outcome));
}

static void attempt_lines(struct detail *D, const struct history_attempt *a, size_t total)
{
	char when[32];

	fmt_time(a->started_ms, when, sizeof(when));
	line(D, "", TUI_C_NORMAL, A_NORMAL);
	linef(D, TUI_C_FOCUS, A_BOLD,
	      _("-- Attempt %d of %zu  %s  %lld ms  Request-ID: %s"), a->n, total,
	      when, (long long)a->latency_ms,
	      a->request_id ? a->request_id : "-");
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

	if (history_query_list(t->hist, r->sub_mchid, r->out_trade_no, 0,
			       DETAIL_QUERIES, &q, &n, NULL) != 0 ||
	    n == 0) {
		history_queries_free(q, n);
		return;
	}
	for (size_t i = 0, shown = 0; i < n; i++) {
		char when[32];

		/* The list filters by substring: keep this order only. */
		if (strcmp(q[i].out_trade_no, r->out_trade_no) != 0)
			continue;
		if (shown++ == 0) {
			line(D, "", TUI_C_NORMAL, A_NORMAL);
			linef(D, TUI_C_FOCUS, A_BOLD,
			      _("-- Order queries of %s (newest first)"),
			      r->out_trade_no);
		}
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
	summary_lines(D, t, &D->rev);
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

static void detail_draw(struct tui *t, void *state,
			const struct tui_rect *unused, bool focused)
{
	struct detail *D = state;
	struct tui_rect r = detail_rect(t);
	char title[128];

	(void)unused;
	if (D->width != r.w - 4)
		wrap(D, r.w - 4);
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
	}
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

static int detail_key(struct tui *t, void *state, enum tui_action a,
		      const struct tui_key *k)
{
	struct detail *D = state;
	char buf[1024];

	(void)k;
	if (detail_scroll(D, a))
		return TUI_REDRAW;
	switch (a) {
	case TUI_ACT_CANCEL:
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
	.typing = NULL,
};
