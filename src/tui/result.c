/* Result panel: the outcome in colour and words, the code, WeChat Pay's
 * message as sent (often Chinese), the English explanation and the next
 * step. Results that arrive while another modal is open wait in a queue. */
#include <stdlib.h>
#include <string.h>

#include "tui/ui.h"
#include "tui/widgets.h"

#define QUEUE_MAX 32
#define LABEL_W 12

struct results {
	struct reversal_result *q[QUEUE_MAX]; /* owned; q[0] is shown */
	int n;
	bool shown;                            /* q[0] is on screen */
};

static void drop_first(struct results *R)
{
	if (R->n == 0)
		return;
	reversal_result_free(R->q[0]);
	memmove(R->q, R->q + 1, (size_t)(R->n - 1) * sizeof(R->q[0]));
	R->n--;
	R->shown = false;
}

void tui_result_push(struct tui *t, struct reversal_result *r)
{
	struct results *R = tui_state(t, TUI_SCR_RESULT);

	if (R->n == QUEUE_MAX) {
		/* The oldest waiting result is in the history already. */
		reversal_result_free(R->q[R->n - 1]);
		R->n--;
	}
	R->q[R->n++] = r;
}

void tui_result_show_next(struct tui *t)
{
	struct results *R = tui_state(t, TUI_SCR_RESULT);

	if (R->n == 0 || R->shown)
		return;
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
		return _("REVERSED: WeChat Pay reversed the order.");
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
	const struct reversal_result *r = R->q[0];
	struct tui_rect box = tui_center(t, 18, 74);
	int x = box.x + 2, w = box.w - 4, y = box.y + 2;
	char buf[512], title[96];

	(void)unused;
	snprintf(title, sizeof(title), _("Result: %s"), r->out_trade_no);
	tui_box(t, &box, title, focused);
	y += row(y, x, w, _("Outcome"), outcome_words(r->outcome),
		 tui_outcome_attr(t, r->outcome) | A_BOLD, 2);
	snprintf(buf, sizeof(buf), "%s  (HTTP %d)", r->code ? r->code : "-",
		 r->http_status);
	y += row(y, x, w, _("Code"), buf, A_NORMAL, 1);
	y += row(y, x, w, _("Message"), r->message ? r->message : "-", A_BOLD,
		 3);
	y += row(y, x, w, _("Meaning"), r->explain ? r->explain : "-",
		 A_NORMAL, 2);
	y += row(y, x, w, _("Next step"),
		 r->next ? r->next : wx_outcome_advice(r->outcome),
		 tui_attr(t, TUI_C_WARN), 3);
	snprintf(buf, sizeof(buf), _("%s, %d attempt(s), %lld ms, signature %s"),
		 r->request_id ? r->request_id : "-", r->attempts,
		 (long long)r->latency_ms,
		 r->verified ? _("verified") : _("not verified"));
	row(y, x, w, _("Request-ID"), buf, A_NORMAL, 2);
	snprintf(buf, sizeof(buf), _("Enter/Esc: close   y: copy order   Y: copy summary%s"),
		 R->n > 1 ? _("   (more results waiting)") : "");
	tui_put(box.y + box.h - 2, x, buf, w, tui_attr(t, TUI_C_DIM), false);
}

static void summary(const struct reversal_result *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s sub_mchid=%s out_trade_no=%s%s%s%s%s%s%s",
		 wx_outcome_name(r->outcome), r->sub_mchid, r->out_trade_no,
		 r->code ? " code=" : "", r->code ? r->code : "",
		 r->message ? " message=" : "", r->message ? r->message : "",
		 r->request_id ? " request_id=" : "",
		 r->request_id ? r->request_id : "");
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
		tui_result_show_next(t);
		return TUI_REDRAW;
	case TUI_ACT_COPY:
		tui_copy(t, R->q[0]->out_trade_no, _("the order number"));
		return TUI_REDRAW;
	case TUI_ACT_COPY_SUMMARY:
		summary(R->q[0], buf, sizeof(buf));
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
