/* send: the reversals this UI sends. Submits through the engine after the
 * confirmation (the engine keeps what is in flight), hands finished
 * results to the result panel and the history pane, and at exit leaves no
 * row pending. */
#include <poll.h>
#include <string.h>

#include "apiv3_query.h"
#include "tui/ui.h"

#define POLL_MS 100 /* wait per engine poll while draining at exit */
#define SAVE_WAIT_MS 5000 /* retrying refused results at exit */
#define SETTLE_AT_START 20 /* unknown rows a start settles by query */

bool tui_refuse_in_flight(struct tui *t, const struct wx_sub *sub,
			  const char *order)
{
	struct wx_err err = {{0}};

	if (reversal_check_idle(t->engine, sub->sub_mchid, order, &err) == 0)
		return false;
	tui_refuse(t, "%s", err.msg);
	return true;
}

int tui_claim_elsewhere(struct tui *t, const struct wx_sub *sub,
			const char *order, char *why, size_t n)
{
	struct history_reversal holder;
	struct wx_err err = {{0}};
	int rc = history_claim_holder(t->hist, sub->partner->sp_mchid,
				      sub->sub_mchid, order, &holder, &err);

	history_reversal_clear(&holder);
	if (rc != 0)
		snprintf(why, n, "%s", err.msg);
	return rc;
}

int tui_submit(struct tui *t, const struct wx_sub *sub, const char *order,
	       const char *note, const char *state_before,
	       const char *amount)
{
	struct reversal_params p = {.partner = sub->partner,
				    .sub = sub,
				    .out_trade_no = order,
				    .note = note && *note ? note : NULL,
				    .op = t->op,
				    .trade_state_before = state_before,
				    .amount_before = amount,
				    .sender = t};
	struct wx_err err = {{0}};
	int n = reversal_flights(t->engine, t);
	int rc;

	if (tui_refuse_in_flight(t, sub, order))
		return -1;
	if (n >= TUI_MAX_FLIGHTS) {
		tui_message(t, TUI_C_WARN,
			    _("%d reversals are in flight; wait for one to finish."),
			    n);
		return -1;
	}
	rc = reversal_submit(t->engine, &p, NULL, &err);
	if (rc == REVERSAL_CLAIMED) {
		tui_refuse(t, "%s", err.msg);
		return -1;
	}
	if (rc != 0) {
		tui_message(t, TUI_C_BAD, "%s", err.msg);
		return -1;
	}
	tui_message(t, TUI_C_NORMAL, _("Sending the reversal of %s ..."), order);
	t->history_changed = true;
	return 0;
}

/* A query's answer: a settled reversal, the confirmation's when it asked,
 * else (F5) the message line's. */
static void query_done(struct tui *t, const struct reversal_result *r)
{
	char *words;

	if (r->history_id > 0) {
		tui_message(t, tui_outcome_color(r->outcome),
			    r->outcome == WX_UNKNOWN
				? _("%s: still unknown after the order query (%s)")
				: _("%s: settled by the order query: %s"),
			    r->out_trade_no,
			    r->outcome == WX_UNKNOWN
				? (r->trade_state_after ? r->trade_state_after
							: "-")
				: wx_outcome_label(r->outcome));
		t->history_changed = true;
		return;
	}
	if (tui_confirm_query_done(t, r))
		return;
	words = apiv3_order_words(r->query, wx_now_ms() / 1000);
	tui_message(t,
		    r->query && (r->query->kind == APIV3_Q_ANSWERED ||
				 r->query->kind == APIV3_Q_NOT_FOUND)
			? TUI_C_NORMAL
			: TUI_C_WARN,
		    "%s: %s", r->out_trade_no, words);
	free(words);
}

void tui_settle_open(struct tui *t)
{
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *rows = NULL;
	size_t n = 0;
	int started = 0;

	f.outcome = WX_UNKNOWN;
	if (history_list(t->hist, &f, 0, SETTLE_AT_START, &rows, &n, NULL) !=
	    0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct wx_sub *sub = tui_sub_of(t, &rows[i]);
		struct wx_err err = {{0}};
		struct reversal_params p = {
		    .partner = sub ? sub->partner : NULL,
		    .sub = sub,
		    .out_trade_no = rows[i].out_trade_no,
		    .op = t->op,
		    .trade_state_before = rows[i].trade_state_before};

		if (!sub || !sub->partner->query_before_confirm)
			continue;
		if (reversal_query_submit(t->engine, &p, rows[i].id, &err) ==
		    0)
			started++;
	}
	history_rows_free(rows, n);
	if (started)
		tui_message(t, TUI_C_NORMAL,
			    _("Settling %d unknown reversal(s) by the order query ..."),
			    started);
}

int tui_query_now(struct tui *t, const struct wx_sub *sub, const char *order)
{
	struct reversal_params p = {.partner = sub->partner,
				    .sub = sub,
				    .out_trade_no = order,
				    .op = t->op};
	struct wx_err err = {{0}};

	if (reversal_query_submit(t->engine, &p, 0, &err) != 0) {
		tui_message(t, TUI_C_WARN, "%s: %s", order, err.msg);
		return -1;
	}
	tui_message(t, TUI_C_NORMAL,
		    _("Reading %s from WeChat Pay (the order query) ..."),
		    order);
	return 0;
}

void tui_collect_results(struct tui *t)
{
	struct reversal_result *r;

	while ((r = reversal_engine_next_done(t->engine)) != NULL) {
		if (tui_list_result(t, r)) {
			if (!r->is_query)
				t->history_changed = true;
			reversal_result_free(r);
			continue;
		}
		if (r->is_query) {
			query_done(t, r);
			reversal_result_free(r);
			continue;
		}
		if (r->unsaved)
			tui_message(t, tui_outcome_color(r->outcome),
				    _("%s: %s (F2 shows the result; not yet saved: the history is busy, retrying)"),
				    r->out_trade_no,
				    wx_outcome_label(r->outcome));
		else
			tui_message(t, tui_outcome_color(r->outcome),
				    _("%s: %s (F2 shows the result; the history has it)"),
				    r->out_trade_no,
				    wx_outcome_label(r->outcome));
		tui_result_push(t, r);
		t->history_changed = true;
		t->dirty = true;
	}
}

/* At exit: results the history refused so far are retried for a while,
 * then kept in the recovery journal that the next start folds in. What
 * happened is said in diags, printed once the terminal is back. */
bool tui_save_results(struct tui *t, struct wx_diags *diags)
{
	int64_t deadline = wx_monotonic_ms() + SAVE_WAIT_MS;
	struct wx_err err = {{0}};

	while (history_flush(t->hist) > 0 && wx_monotonic_ms() < deadline)
		poll(NULL, 0, POLL_MS);
	if (history_unsaved(t->hist) == 0)
		return true;
	if (history_journal(t->hist, &err) == 0)
		wx_diags_add(diags,
			     _("history %s could not be written; the results are kept in the recovery journal %s, which the next start of wxrev folds into the history."),
			     history_path(t->hist),
			     history_journal_path(t->hist));
	else
		wx_diags_add(diags,
			     _("results could NOT be saved (%s): the result card showed them; note them by hand."),
			     err.msg);
	return false;
}

void tui_drain_flights(struct tui *t, int ms)
{
	int64_t deadline = wx_monotonic_ms() + ms;

	while (reversal_flights(t->engine, t) > 0 &&
	       wx_monotonic_ms() < deadline) {
		struct reversal_result *r;
		bool ready = false;

		reversal_engine_poll(t->engine, -1, POLL_MS, &ready);
		while ((r = reversal_engine_next_done(t->engine)) != NULL)
			reversal_result_free(r);
	}
}
