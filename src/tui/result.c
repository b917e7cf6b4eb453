/* Result panel: partner and sub-merchant, the outcome in colour and words,
 * the code, WeChat Pay's message as sent (often Chinese), the explanation,
 * the next step and the time taken over every attempt. Results wait in a
 * queue: the panel opens only when the operator is not typing and no other
 * dialog is open, or on F2; the message line announces each one. */
#include <stdlib.h>
#include <string.h>

#include "apiv3_query.h"
#include "history_export.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define QUEUE_MAX 32
#define QUIET_MS 1000 /* no key for this long: the operator is not typing */
#define LABEL_W 12

/* A finished reversal and what the history adds to it. */
struct result {
	struct reversal_result *r; /* owned */
	char who[256];             /* "partner (sp) > sub (sub_mchid)" */
	int64_t total_ms;          /* first attempt's start to last's end */
	char money[200];           /* "refunded ¥128.00 to the payer", "closed
				      (it was not paid)"; "" unknown */
};

struct results {
	struct result q[QUEUE_MAX]; /* q[0] is the one shown */
	int n;
	bool shown;                 /* q[0] is on screen */
};

static void drop(struct results *R, int i)
{
	reversal_result_free(R->q[i].r);
	memmove(R->q + i, R->q + i + 1, (size_t)(R->n - i - 1) * sizeof(R->q[0]));
	R->n--;
}

static void drop_first(struct results *R)
{
	if (R->n == 0)
		return;
	drop(R, 0);
	R->shown = false;
}

/* Names and total time from the history row and its attempts. */
static void describe(struct tui *t, struct result *e)
{
	struct history_reversal rev;
	struct history_attempt *atts = NULL;
	size_t n = 0;

	memset(&rev, 0, sizeof(rev));
	snprintf(e->who, sizeof(e->who), "%s", e->r->sub_mchid);
	e->total_ms = e->r->latency_ms;
	if (history_get(t->hist, e->r->history_id, &rev, &atts, &n, NULL) == 0) {
		snprintf(e->who, sizeof(e->who), "%s (%s) > %s (%s)",
			 rev.partner_name ? rev.partner_name : "", rev.sp_mchid,
			 rev.sub_name ? rev.sub_name : "", rev.sub_mchid);
		if (n)
			e->total_ms = atts[n - 1].started_ms +
				      atts[n - 1].latency_ms - atts[0].started_ms;
	}
	history_reversal_clear(&rev);
	history_attempts_free(atts, n);
}

void tui_money_words(enum wx_outcome outcome, const char *state_before,
		     const char *amount, char *buf, size_t n)
{
	enum apiv3_trade_state before = apiv3_trade_state_parse(state_before);

	buf[0] = '\0';
	if (outcome != WX_REVERSED)
		return;
	if (before == APIV3_TS_SUCCESS && amount && *amount)
		snprintf(buf, n, _("refunded %s to the payer"), amount);
	else if (before == APIV3_TS_SUCCESS)
		snprintf(buf, n, "%s", _("refunded to the payer (it was paid)"));
	else if (before == APIV3_TS_NOTPAY || before == APIV3_TS_USERPAYING)
		snprintf(buf, n, "%s", _("closed (it was not paid)"));
}

void tui_result_push(struct tui *t, struct reversal_result *r)
{
	struct results *R = tui_state(t, TUI_SCR_RESULT);

	if (R->n == QUEUE_MAX) /* the oldest waiting is in the history */
		drop(R, R->shown ? 1 : 0);
	R->q[R->n].r = r;
	tui_money_words(r->outcome, r->trade_state_before, r->amount_before,
			R->q[R->n].money, sizeof(R->q[R->n].money));
	describe(t, &R->q[R->n++]);
}

void tui_result_offer(struct tui *t)
{
	struct results *R = tui_state(t, TUI_SCR_RESULT);
	const struct tui_screen *s = tui_current(t);
	int64_t quiet = wx_monotonic_ms() - t->last_key_ms;

	/* Never over another dialog or into typing: keys meant for a field
	 * or a question must not land on the card. */
	if (R->n == 0 || R->shown || t->nmodal || !tui_form_empty(t) ||
	    (s != &tui_form_screen && s->typing &&
	     s->typing(tui_state(t, s->id)) != TUI_TYPING_NO))
		return;
	if (quiet < QUIET_MS) {
		tui_wake_at(t, t->last_key_ms + QUIET_MS);
		return;
	}
	tui_result_show_next(t);
}

void tui_result_show_next(struct tui *t)
{
	struct results *R = tui_state(t, TUI_SCR_RESULT);

	if (R->shown)
		return;
	if (R->n == 0) {
		tui_message(t, TUI_C_NORMAL,
			    _("No result is waiting; the history lists every reversal."));
		return;
	}
	R->shown = true;
	tui_open_modal(t, &tui_result_screen);
}

static void result_done(void *state)
{
	struct results *R = state;

	while (R->n)
		drop_first(R);
}

static const char *outcome_words(enum wx_outcome o)
{
	switch (o) {
	case WX_REVERSED:
		return _("REVERSED: WeChat Pay reversed the order: refunded to the payer if it was paid, closed if it was not.");
	case WX_REJECTED:
		return _("REJECTED: WeChat Pay refused the reversal.");
	case WX_FAILED:
		return _("FAILED: WeChat Pay did not process it.");
	case WX_UNKNOWN:
		return _("UNKNOWN: no trustworthy answer arrived.");
	default:
		return _("PENDING");
	}
}

static int row(int y, int x, int w, const char *label, const char *value,
	       attr_t a, int rows)
{
	tui_put(y, x, label, LABEL_W, A_BOLD, true);
	return tui_put_wrapped(y, x + LABEL_W, value, w - LABEL_W, rows, a);
}

static void result_draw(struct tui *t, void *state,
			const struct tui_rect *unused, bool focused)
{
	const struct results *R = state;
	const struct result *e = &R->q[0];
	const struct reversal_result *r = e->r;
	struct tui_rect box = tui_center(t, 21, 74);
	int x = box.x + 2, w = box.w - 4, y = box.y + 2;
	char buf[512], title[96], rid[160];

	(void)unused;
	snprintf(title, sizeof(title), _("Result: %s"), r->out_trade_no);
	tui_box(t, &box, title, focused);
	y += row(y, x, w, _("For"), e->who, A_NORMAL, 2);
	y += row(y, x, w, _("Outcome"), outcome_words(r->outcome),
		 tui_outcome_attr(t, r->outcome) | A_BOLD, 2);
	if (e->money[0])
		y += row(y, x, w, _("Money"), e->money,
			 tui_outcome_attr(t, r->outcome) | A_BOLD, 1);
	snprintf(buf, sizeof(buf), "%s  (HTTP %d)", r->code ? r->code : "-",
		 r->http_status);
	y += row(y, x, w, _("Code"), buf, A_NORMAL, 1);
	y += row(y, x, w, _("Message"),
		 r->message ? wx_i18n_stored(r->message) : "-", A_BOLD,
		 3);
	y += row(y, x, w, _("Meaning"), r->explain ? r->explain : "-",
		 A_NORMAL, 2);
	y += row(y, x, w, _("Next step"),
		 r->next ? r->next : wx_outcome_advice(r->outcome),
		 tui_attr(t, TUI_C_WARN), 3);
	if (r->request_id)
		snprintf(rid, sizeof(rid), "%s", r->request_id);
	else
		snprintf(rid, sizeof(rid), "%s",
			 r->http_status ? _("none in the answer")
					: _("no answer received"));
	snprintf(buf, sizeof(buf),
		 _("%s; %d attempt(s) over %.1f s; signature %s"), rid,
		 r->attempts, (double)e->total_ms / 1000.0,
		 r->verified ? _("verified") : _("not verified"));
	row(y, x, w, _("Request-ID"), buf, A_NORMAL, 2);
	snprintf(buf, sizeof(buf),
		 _("Enter/Esc: close   Ctrl-Y: copy order   Ctrl-T: copy summary%s"),
		 R->n > 1 ? _("   (more results waiting)") : "");
	tui_put(box.y + box.h - 2, x, buf, w, tui_attr(t, TUI_C_DIM), false);
}

/* The ticket line of the result's history row (history_ticket_line, the
 * same as the history's and the detail view's copy). */
static void summary(struct tui *t, const struct reversal_result *r, char *buf,
		    size_t n)
{
	struct history_reversal rev;

	memset(&rev, 0, sizeof(rev));
	if (history_get(t->hist, r->history_id, &rev, NULL, NULL, NULL) == 0)
		history_ticket_line(t->hist, &rev, buf, n);
	else
		snprintf(buf, n, "out_trade_no=%s outcome=%s", r->out_trade_no,
			 wx_outcome_name(r->outcome));
	history_reversal_clear(&rev);
}

static int result_key(struct tui *t, void *state, enum tui_action a,
		      const struct tui_key *k)
{
	struct results *R = state;
	char buf[1024];

	(void)k;
	switch (a) {
	case TUI_ACT_CANCEL:
		tui_close_modal(t);
		drop_first(R);
		if (R->n)
			tui_result_show_next(t); /* the operator is here */
		return TUI_REDRAW;
	case TUI_ACT_COPY:
		tui_copy(t, R->q[0].r->out_trade_no, _("the order number"));
		return TUI_REDRAW;
	case TUI_ACT_COPY_SUMMARY:
		summary(t, R->q[0].r, buf, sizeof(buf));
		tui_copy(t, buf, _("the result"));
		return TUI_REDRAW;
	default:
		return TUI_NONE;
	}
}

const struct tui_screen tui_result_screen = {
	.name = "result",
	.id = TUI_SCR_RESULT,
	.ctx = TUI_CTX_CLOSE,
	.private_size = sizeof(struct results),
	.done = result_done,
	.draw = result_draw,
	.key = result_key,
	.resize = NULL,
	.typing = NULL,
};
