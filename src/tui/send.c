/* send: the reversals this UI sends. Submits through the engine after the
 * confirmation, knows what is in flight, hands finished results to the
 * result panel and the history pane, and at exit leaves no row pending. */
#include <string.h>

#include "tui/ui.h"

#define POLL_MS 100 /* wait per engine poll while draining at exit */

bool tui_flight_busy(const struct tui *t, const char *sub_mchid,
		     const char *order)
{
	if (reversal_in_flight(t->engine, sub_mchid, order))
		return true;
	for (int i = 0; i < t->nflights; i++)
		if (strcmp(t->flights[i].order, order) == 0 &&
		    strcmp(t->flights[i].sub_mchid, sub_mchid) == 0)
			return true;
	return false;
}

int tui_submit(struct tui *t, const struct wx_sub *sub, const char *order,
	       const char *note)
{
	struct reversal_params p = {sub->partner, sub, order,
				    note && *note ? note : NULL, t->op, NULL};
	struct tui_flight *f;
	struct wx_err err = {{0}};
	int64_t id = 0;

	if (tui_flight_busy(t, sub->sub_mchid, order)) {
		tui_message(t, TUI_C_WARN,
			    _("Order %s for %s is already in flight; wait for its result before sending it again."),
			    order, sub->sub_mchid);
		return -1;
	}
	if (t->nflights >= TUI_MAX_FLIGHTS) {
		tui_message(t, TUI_C_WARN,
			    _("%d reversals are in flight; wait for one to finish."),
			    t->nflights);
		return -1;
	}
	if (reversal_submit(t->engine, &p, &id, &err) != 0) {
		tui_message(t, TUI_C_BAD, "%s", err.msg);
		return -1;
	}
	f = &t->flights[t->nflights++];
	f->id = id;
	snprintf(f->order, sizeof(f->order), "%s", order);
	snprintf(f->sub_mchid, sizeof(f->sub_mchid), "%s", sub->sub_mchid);
	f->started_ms = wx_monotonic_ms();
	tui_message(t, TUI_C_NORMAL, _("Sending the reversal of %s ..."), order);
	t->history_changed = true;
	return 0;
}

static void flight_remove(struct tui *t, int64_t id)
{
	for (int i = 0; i < t->nflights; i++) {
		if (t->flights[i].id != id)
			continue;
		t->flights[i] = t->flights[--t->nflights];
		return;
	}
}

void tui_collect_results(struct tui *t)
{
	struct reversal_result *r;

	while ((r = reversal_engine_next_done(t->engine)) != NULL) {
		flight_remove(t, r->history_id);
		tui_message(t, tui_outcome_color(r->outcome),
			    _("%s: %s (F2 shows the result; the history has it)"),
			    r->out_trade_no, wx_outcome_label(r->outcome));
		tui_result_push(t, r);
		t->history_changed = true;
		t->dirty = true;
	}
}

/* Marks reversals abandoned in flight as unknown, so no record is left
 * pending; the next start would do the same for a crashed process. */
void tui_mark_abandoned(struct tui *t)
{
	for (int i = 0; i < t->nflights; i++) {
		struct history_reversal r;
		struct history_attempt *atts = NULL;
		size_t n = 0;

		memset(&r, 0, sizeof(r));
		if (history_get(t->hist, t->flights[i].id, &r, &atts, &n, NULL) ==
			    0 &&
		    r.outcome == WX_PENDING)
			history_finish(t->hist, t->flights[i].id, WX_UNKNOWN, 0,
				       "INTERRUPTED",
				       _("wxrev stopped before the answer arrived; query the order or re-run the reversal."),
				       r.latency_ms, NULL);
		history_reversal_clear(&r);
		history_attempts_free(atts, n);
	}
	t->nflights = 0;
}

void tui_drain_flights(struct tui *t, int ms)
{
	int64_t deadline = wx_monotonic_ms() + ms;

	while (t->nflights > 0 && wx_monotonic_ms() < deadline) {
		struct reversal_result *r;
		bool ready = false;

		reversal_engine_poll(t->engine, -1, POLL_MS, &ready);
		while ((r = reversal_engine_next_done(t->engine)) != NULL) {
			flight_remove(t, r->history_id);
			reversal_result_free(r);
		}
	}
}
