/* listrun: a checked list of orders being reversed. See listrun.h.
 * One unit of work is one unique order of the list: looked up, perhaps
 * asked about, then sent once through the reversal engine (or skipped). */
#include "listrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

#define GROUP_MIN 8	/* fewer free slots wait (group commit) */
#define STOP_AFTER 3	/* consecutive submit failures that stop */
#define BURST_MS 20	/* pace credit kept after a pause */
#define GROUP_PACE_MS 5 /* slower paces send one at a time */

const void *listrun_resolve_sub(void *ctx, const char *sub, const char **key,
				struct wx_err *err)
{
	const struct listrun_subs *s = ctx;
	const struct wx_sub *found;

	if (!sub) {
		*key = s->dflt->sub_mchid;
		return s->dflt;
	}
	found = profile_find_sub(s->profiles, s->dflt->partner->sp_mchid, sub,
				 err);
	if (found)
		*key = found->sub_mchid;
	return found;
}

void listrun_init(struct listrun *r, const struct orderlist *l, int rate,
		  bool resend_unknown, const char *op)
{
	memset(r, 0, sizeof(*r));
	r->items = wx_xcalloc(l->n + 1, sizeof(*r->items));
	for (size_t i = 0; i < l->n; i++) {
		const struct orderlist_entry *e = &l->v[i];
		struct listrun_item *it;

		if (e->dup_of || !e->sub_ref)
			continue;
		it = &r->items[r->n++];
		it->e = e;
		it->sub = e->sub_ref;
		it->prior = -1;
		it->amount = -1;
	}
	r->max_rate = rate > 0 ? rate : LISTRUN_DEFAULT_RATE;
	r->resend_unknown = resend_unknown;
	r->op = op;
}

void listrun_free(struct listrun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].code);
		free(r->items[i].why);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* ---- the plan ---- */

int listrun_look_up(struct listrun *r, struct history *h, struct wx_err *err)
{
	int rc = 0;

	/* One read transaction for the whole list, not one per order. */
	history_read_begin(h);
	for (size_t i = 0; i < r->n && rc == 0; i++) {
		struct listrun_item *it = &r->items[i];
		struct history_reversal prior;
		int64_t count = 0;

		if (history_latest_for_order(h, it->sub->sub_mchid,
					     it->e->out_trade_no, &prior,
					     &count, err) != 0) {
			rc = -1;
			break;
		}
		if (count > 0) {
			it->prior = (int)prior.outcome;
			it->history_id = prior.id;
			/* A resume asks about an unknown outcome of an
			 * earlier run first, where the partner has the
			 * query: only what stays unknown is skipped. */
			it->settle = prior.outcome == WX_UNKNOWN &&
				     it->sub->partner->query_before_confirm;
		}
		history_reversal_clear(&prior);
	}
	history_read_end(h);
	return rc;
}

/* Whether the plan asks about this order, and whether it settles it. */
static bool to_ask(const struct listrun *r, const struct listrun_item *it)
{
	if (it->asked || !it->sub->partner->query_before_confirm)
		return false;
	if (it->settle)
		return true;
	if (!r->want_states)
		return false;
	/* Orders that will be skipped anyway are not read. */
	return it->prior != WX_REVERSED && it->prior != WX_PENDING &&
	       (it->prior != WX_UNKNOWN || r->resend_unknown);
}

static void ask_one(struct listrun *r, struct reversal_engine *e,
		    struct listrun_item *it)
{
	struct reversal_params p = {.partner = it->sub->partner,
				    .sub = it->sub,
				    .out_trade_no = it->e->out_trade_no,
				    .op = r->op};
	struct wx_err err = {{0}};
	int64_t id = it->settle ? it->history_id : 0;

	it->asked = true;
	/* A query that cannot start leaves the order unread; the plan says
	 * so and a settling one leaves the prior as it is. */
	if (reversal_query_submit(e, &p, id, &err) != 0)
		return;
	it->asking = true;
	r->asking++;
	if (it->settle)
		r->c.asked_settle++;
}

bool listrun_ask(struct listrun *r, struct reversal_engine *e)
{
	/* Settling queries first: they decide what is sent at all. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->n && r->asking < LISTRUN_QUERIES;
		     i++) {
			struct listrun_item *it = &r->items[i];

			if (it->settle == (pass == 0) && to_ask(r, it))
				ask_one(r, e, it);
		}
	}
	for (size_t i = 0; r->asking == 0 && i < r->n; i++)
		if (to_ask(r, &r->items[i]))
			return true;
	return r->asking > 0;
}

static struct listrun_item *asking_item(struct listrun *r,
					const struct reversal_result *res)
{
	for (size_t i = 0; i < r->n; i++) {
		struct listrun_item *it = &r->items[i];

		if (it->asking &&
		    strcmp(it->e->out_trade_no, res->out_trade_no) == 0 &&
		    strcmp(it->sub->sub_mchid, res->sub_mchid) == 0 &&
		    (!it->settle || res->history_id == it->history_id))
			return it;
	}
	return NULL;
}

bool listrun_answer(struct listrun *r, const struct reversal_result *res)
{
	struct listrun_item *it;
	const struct apiv3_query_result *q = res->query;

	if (!res->is_query)
		return false;
	it = asking_item(r, res);
	if (!it)
		return false;
	it->asking = false;
	r->asking--;
	if (q && (q->kind == APIV3_Q_ANSWERED || q->kind == APIV3_Q_NOT_FOUND)) {
		it->trade_state = q->order.state;
		it->amount = q->order.amount_total;
		snprintf(it->currency, sizeof(it->currency), "%s",
			 q->order.currency ? q->order.currency : "");
	}
	if (it->settle && res->outcome != WX_UNKNOWN) {
		it->prior = (int)res->outcome;
		r->c.settled++;
	}
	return true;
}

void listrun_plan_done(struct listrun *r)
{
	r->c.skip_reversed = r->c.skip_unknown = r->c.skip_claimed = 0;
	r->c.skip_nothing = r->c.to_send = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct listrun_item *it = &r->items[i];

		it->state = LR_TODO;
		switch (it->prior) {
		case WX_REVERSED:
			it->state = LR_SKIP_REVERSED;
			r->c.skip_reversed++;
			break;
		case WX_UNKNOWN:
			if (r->resend_unknown)
				break;
			it->state = LR_SKIP_UNKNOWN;
			r->c.skip_unknown++;
			break;
		case WX_PENDING:
			it->state = LR_SKIP_CLAIMED;
			r->c.skip_claimed++;
			break;
		default: /* none, failed and rejected are sent */
			break;
		}
		/* The confirmation's rule: only the override sends these. */
		if (it->state == LR_TODO && !r->send_anyway &&
		    listrun_nothing_to_reverse(it)) {
			it->state = LR_SKIP_NOTHING;
			r->c.skip_nothing++;
		}
		r->c.to_send += it->state == LR_TODO;
	}
}

bool listrun_nothing_to_reverse(const struct listrun_item *it)
{
	return apiv3_trade_state_info(it->trade_state)->nothing_to_reverse;
}

int listrun_typed_count(const struct listrun *r)
{
	return r->c.to_send > LISTRUN_CONFIRM_TYPED ? r->c.to_send : 0;
}

void listrun_reading(const struct listrun *r, struct listrun_reading *out)
{
	const char *currency = NULL;
	int64_t total = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < r->n; i++) {
		const struct listrun_item *it = &r->items[i];
		if (it->state == LR_SKIP_NOTHING) {
			out->nothing++;
			continue;
		}
		if (it->state != LR_TODO)
			continue;
		if (it->trade_state == APIV3_TS_NONE ||
		    it->trade_state == APIV3_TS_OTHER) {
			out->unread++;
		} else if (listrun_nothing_to_reverse(it)) {
			out->nothing++;
		} else if (it->trade_state == APIV3_TS_SUCCESS) {
			out->paid++;
			if (it->amount < 0)
				continue;
			if (!currency)
				currency = it->currency;
			if (strcmp(currency, it->currency) != 0) {
				out->mixed = true;
				continue;
			}
			total += it->amount;
		} else {
			out->unpaid++;
		}
	}
	if (currency)
		wx_i18n_amount(total, *currency ? currency : NULL, out->total,
			       sizeof(out->total));
}

/* ---- sending ---- */

void listrun_start(struct listrun *r)
{
	r->started = wx_monotonic_ms();
	r->next_send = (double)r->started;
	r->last_adapt = r->started;
	r->rate = r->max_rate;
}

static struct listrun_item *next_todo(struct listrun *r)
{
	while (r->next < r->n && r->items[r->next].state != LR_TODO)
		r->next++;
	return r->next < r->n ? &r->items[r->next] : NULL;
}

/* Nothing of this order was sent, for this reason. */
static void refuse(struct listrun *r, struct listrun_item *it, const char *why)
{
	it->state = LR_NOT_SENT;
	it->history_id = 0;
	free(it->why);
	it->why = wx_xstrdup(why);
	r->c.not_sent++;
	r->submit_failures++;
}

/* Sends these orders: their pending rows in one commit, then the
 * requests. */
static void submit_group(struct listrun *r, struct reversal_engine *e,
			 struct listrun_item **its, size_t n,
			 void (*refused)(void *, const struct listrun_item *),
			 void *ctx)
{
	struct reversal_params p[LISTRUN_IN_FLIGHT];
	struct wx_err errs[LISTRUN_IN_FLIGHT];
	int64_t ids[LISTRUN_IN_FLIGHT];

	if (n == 0)
		return;
	memset(errs, 0, sizeof(errs));
	for (size_t i = 0; i < n; i++) {
		const char *before =
		    apiv3_trade_state_name(its[i]->trade_state);

		p[i] = (struct reversal_params){
		    .partner = its[i]->sub->partner,
		    .sub = its[i]->sub,
		    .out_trade_no = its[i]->e->out_trade_no,
		    .note = its[i]->e->note,
		    .op = r->op,
		    .trade_state_before = *before ? before : NULL,
		};
	}
	reversal_submit_many(e, p, n, ids, errs);
	for (size_t i = 0; i < n; i++) {
		struct listrun_item *it = its[i];

		it->history_id = ids[i];
		if (ids[i]) {
			it->state = LR_IN_FLIGHT;
			r->submit_failures = 0;
			continue;
		}
		refuse(r, it, errs[i].msg);
		if (refused)
			refused(ctx, it);
	}
}

/* Keeps the next orders to send offered for signing ahead, as many as the
 * engine keeps. */
static void offer_next(struct listrun *r, struct reversal_engine *e)
{
	int ahead = 0;

	if (r->next_offer < r->next)
		r->next_offer = r->next;
	for (size_t i = r->next; i < r->next_offer; i++)
		ahead += r->items[i].state == LR_TODO;
	while (ahead < REVERSAL_PRESIGN_MAX && r->next_offer < r->n) {
		struct listrun_item *it = &r->items[r->next_offer++];
		struct reversal_params p = {.partner = it->sub->partner,
					    .sub = it->sub,
					    .out_trade_no = it->e->out_trade_no};

		if (it->state != LR_TODO)
			continue;
		reversal_presign(e, &p);
		ahead++;
	}
}

int listrun_send_due(struct listrun *r, struct reversal_engine *e,
		     void (*refused)(void *ctx, const struct listrun_item *it),
		     void *ctx)
{
	double now = (double)wx_monotonic_ms();
	double interval = 1000.0 / r->rate;
	double lag = interval * LISTRUN_IN_FLIGHT;
	int64_t hold = reversal_engine_hold_until(e);
	int room = LISTRUN_IN_FLIGHT - reversal_engine_active(e);
	struct listrun_item *its[LISTRUN_IN_FLIGHT], *it;
	size_t n = 0;
	int wait = LISTRUN_POLL_MS;

	if (!listrun_more(r))
		return wait;
	offer_next(r, e);
	/* Pending rows go in groups: wait for a few free slots, unless the
	 * pace is slow enough that a group would never fill. */
	if (room < GROUP_MIN && room < LISTRUN_IN_FLIGHT &&
	    interval < GROUP_PACE_MS)
		return wait;
	if ((double)hold > now)
		return (double)hold - now < wait ? (int)((double)hold - now) + 1
						 : wait;
	/* A little credit after a pause, so that fast rates fill a group. */
	if (lag > BURST_MS)
		lag = BURST_MS;
	if (r->next_send < now - lag)
		r->next_send = now - lag;
	while ((int)n < room && (it = next_todo(r)) != NULL) {
		if (r->next_send > now) {
			wait = (int)(r->next_send - now) + 1;
			break;
		}
		its[n++] = it;
		r->next++;
		r->next_send += interval;
	}
	submit_group(r, e, its, n, refused, ctx);
	offer_next(r, e);
	return wait < LISTRUN_POLL_MS ? wait : LISTRUN_POLL_MS;
}

struct listrun_item *listrun_take(struct listrun *r,
				  const struct reversal_result *res)
{
	if (res->is_query)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		struct listrun_item *it = &r->items[i];

		if (it->state != LR_IN_FLIGHT ||
		    it->history_id != res->history_id)
			continue;
		if (res->not_sent) {
			refuse(r, it, res->message);
			return it;
		}
		it->state = LR_DONE;
		it->outcome = res->outcome;
		it->http_status = res->http_status;
		free(it->code);
		it->code = res->code ? wx_xstrdup(res->code) : NULL;
		r->c.outcome[res->outcome]++;
		r->c.done++;
		return it;
	}
	return NULL;
}

void listrun_adapt(struct listrun *r, struct reversal_engine *e)
{
	int64_t hold = reversal_engine_hold_until(e);
	int64_t now = wx_monotonic_ms();
	double want = r->max_rate;

	if (hold > r->hold_seen) {
		r->hold_seen = hold;
		r->rate = r->rate / 2 < 1 ? 1 : r->rate / 2;
	} else if (r->rate < want) {
		r->rate += (double)(now - r->last_adapt) / 1000.0;
		if (r->rate > want)
			r->rate = want;
	}
	r->last_adapt = now;
}

bool listrun_more(const struct listrun *r)
{
	size_t i = r->next;

	if (r->stopped || r->submit_failures >= STOP_AFTER)
		return false;
	while (i < r->n && r->items[i].state != LR_TODO)
		i++;
	return i < r->n;
}

int listrun_unsent(const struct listrun *r)
{
	int n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->items[i].state == LR_TODO ||
		     r->items[i].state == LR_NOT_SENT;
	return n;
}

void listrun_progress(const struct listrun *r, char *buf, size_t n)
{
	const struct listrun_counts *c = &r->c;
	double el = r->started
			? (double)(wx_monotonic_ms() - r->started) / 1000.0
			: 0.0;
	double rate = el > 0.5 ? c->done / el : 0.0;
	int left = c->to_send - c->done - c->not_sent;
	long eta = rate > 0 ? (long)(left / rate + 0.5) : -1;
	char when[32], pace[16];

	if (eta >= 0)
		snprintf(when, sizeof(when), _("%ld:%02ld left"), eta / 60,
			 eta % 60);
	else
		snprintf(when, sizeof(when), "%s", _("--:-- left"));
	/* No rate yet in the first half second, rather than a false 0. */
	if (rate > 0)
		snprintf(pace, sizeof(pace), "%.1f", rate);
	else
		snprintf(pace, sizeof(pace), "--");
	int used = snprintf(buf, n,
			    _("%d/%d  %s/s  reversed %d  rejected %d  "
			      "failed %d  unknown %d  %s"),
			    c->done, c->to_send, pace, c->outcome[WX_REVERSED],
			    c->outcome[WX_REJECTED], c->outcome[WX_FAILED],
			    c->outcome[WX_UNKNOWN], when);

	if (c->skip_nothing && used > 0 && (size_t)used < n)
		snprintf(buf + used, n - (size_t)used,
			 _("  (%d skipped: nothing to reverse)"),
			 c->skip_nothing);
}

const char *listrun_skip_reason(enum listrun_state s)
{
	switch (s) {
	case LR_SKIP_REVERSED:
		return _("already reversed");
	case LR_SKIP_UNKNOWN:
		return _("outcome unknown: settle it before sending it "
			 "again");
	case LR_SKIP_CLAIMED:
		return _("being reversed by another wxrev");
	case LR_SKIP_NOTHING:
		return _("the order query says there is nothing to reverse");
	default:
		return _("not sent");
	}
}

void listrun_item_skip_reason(const struct listrun_item *it, char *buf,
			      size_t n)
{
	if (it->state != LR_SKIP_NOTHING) {
		snprintf(buf, n, "%s", listrun_skip_reason(it->state));
		return;
	}
	snprintf(buf, n, _("the order query reads %s: nothing to reverse"),
		 apiv3_trade_state_name(it->trade_state));
}
