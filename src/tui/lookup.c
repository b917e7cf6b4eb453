/* lookup: one order number asked of the partner's other sub-merchants,
 * one query at a time, paced (see lookup.h). */
#include "tui/lookup.h"

#include <stdlib.h>
#include <string.h>

#include "apiv3.h"
#include "apiv3_query.h"
#include "pace.h"
#include "tui/ui.h"

struct tui_lookup {
	const struct wx_sub *from;	 /* the confirmation's (borrowed) */
	char order[APIV3_ORDER_MAX + 1]; /* the number looked up */
	const struct wx_sub **cand;	 /* owned array; borrowed entries:
					    the others, most recent first */
	size_t ncand;			 /* entries in cand */
	size_t next;			 /* the next one to ask */
	size_t round_first;		 /* next when this round began */
	const struct wx_sub *asking;	 /* its query in flight, or NULL */
	struct pace pace;		 /* how fast, how many */
	bool running;			 /* asking (not paused or done) */
	bool stopped;			 /* the operator stopped it */
	bool slowed;			 /* WeChat Pay asked to slow down */
	int64_t slow_until;		 /* then nothing before this
					    (monotonic ms) */
	const struct wx_sub *hit;	 /* found under it, or NULL */
	char hit_state[32];		 /* its trade_state there */
	int failed;			 /* asked, but no word either way */
	char failed_why[160];		 /* the last such answer's code */
};

static void round_begin(struct tui_lookup *L)
{
	pace_more(&L->pace, LOOKUP_ROUND);
	L->round_first = L->next;
	L->running = L->next < L->ncand;
	L->stopped = L->slowed = false;
}

struct tui_lookup *tui_lookup_new(struct tui *t, const struct wx_sub *from,
				  const char *order)
{
	struct tui_lookup *L = wx_xcalloc(1, sizeof(*L));

	L->from = from;
	snprintf(L->order, sizeof(L->order), "%s", order);
	L->cand = tui_subs_recent_first(t, from, &L->ncand);
	if (L->ncand == 0) {
		tui_lookup_free(NULL, L);
		return NULL;
	}
	pace_init(&L->pace, LOOKUP_PER_SECOND, 1000, 0);
	round_begin(L);
	return L;
}

static void drop_query(struct reversal_engine *e, struct tui_lookup *L)
{
	if (e && L->asking)
		reversal_query_cancel(e, L->asking->sub_mchid, L->order);
	L->asking = NULL;
}

void tui_lookup_free(struct reversal_engine *e, struct tui_lookup *L)
{
	if (!L)
		return;
	drop_query(e, L);
	free(L->cand);
	free(L);
}

void tui_lookup_more(struct tui *t, struct tui_lookup *L)
{
	(void)t;
	if (!L->running)
		round_begin(L);
}

bool tui_lookup_stop(struct tui *t, struct tui_lookup *L)
{
	if (!L->running)
		return false;
	/* A query dropped in flight may have been answered: ask it again. */
	if (L->asking)
		L->next--;
	drop_query(t->engine, L);
	L->running = false;
	L->stopped = true;
	return true;
}

/* Starts the query of the next candidate; false when it could not be
 * started (nothing was sent: counted as not asked, and the next one may
 * go at once). */
static bool ask_next(struct tui *t, struct tui_lookup *L, int64_t now)
{
	const struct wx_sub *s = L->cand[L->next++];
	struct reversal_params p = {.partner = s->partner,
				    .sub = s,
				    .out_trade_no = L->order,
				    .op = t->op};
	struct wx_err err = {{0}};

	if (reversal_query_submit(t->engine, &p, 0, &err) != 0) {
		L->failed++;
		snprintf(L->failed_why, sizeof(L->failed_why), "%.150s",
			 err.msg);
		return false;
	}
	pace_start(&L->pace, now);
	L->asking = s;
	return true;
}

void tui_lookup_tick(struct tui *t, struct tui_lookup *L)
{
	while (L->running && !L->asking) {
		int64_t now = wx_monotonic_ms();
		int64_t at = pace_next(&L->pace, now);
		int64_t hold = reversal_engine_hold_until(t->engine);

		if (L->next >= L->ncand || at < 0) {
			L->running =
			    false; /* all asked, or the round is over */
			t->dirty = true;
			return;
		}
		if (hold > at)
			at = hold;
		if (L->slow_until > at)
			at = L->slow_until;
		if (at > now) {
			tui_wake_at(t, at);
			return;
		}
		ask_next(t, L, now);
		t->dirty = true;
	}
}

static bool rate_limited(const struct reversal_result *r)
{
	return r->http_status == 429 ||
	       (r->code && strcmp(r->code, "RATELIMIT_EXCEEDED") == 0);
}

bool tui_lookup_take(struct tui *t, struct tui_lookup *L,
		     const struct reversal_result *r)
{
	const struct apiv3_query_result *q = r->query;

	if (!L->asking || strcmp(r->sub_mchid, L->asking->sub_mchid) != 0 ||
	    strcmp(r->sp_mchid, L->asking->partner->sp_mchid) != 0 ||
	    strcmp(r->out_trade_no, L->order) != 0)
		return false;
	if (q && q->kind == APIV3_Q_ANSWERED) {
		L->hit = L->asking;
		snprintf(L->hit_state, sizeof(L->hit_state), "%s",
			 apiv3_trade_state_name(q->order.state));
		L->running = false; /* found: the operator decides */
	} else if (rate_limited(r)) {
		/* Not an answer about the order: asked again on going on. */
		L->next--;
		L->slowed = true;
		L->slow_until = wx_monotonic_ms() + LOOKUP_SLOW_MS;
		L->running = false;
	} else if (!q || q->kind != APIV3_Q_NOT_FOUND) {
		L->failed++;
		snprintf(L->failed_why, sizeof(L->failed_why), "%s",
			 q && q->code ? q->code
			 : r->code    ? r->code
				      : "?");
	}
	L->asking = NULL;
	t->dirty = true;
	return true;
}

const struct wx_sub *tui_lookup_hit(const struct tui_lookup *L)
{
	return L->hit;
}

/* The main sentence: asking, found, stopped or over. */
static char *state_words(const struct tui_lookup *L)
{
	size_t round = L->ncand - L->round_first;
	int asked = (int)(L->next - L->round_first);

	if (round > LOOKUP_ROUND)
		round = LOOKUP_ROUND;
	if (L->running)
		return wx_xasprintf(
		    _("Looking it up under the other sub-merchants: %d of %zu "
		      "asked%s%s; n or Esc stops"),
		    asked, round, L->asking ? _(", now ") : "",
		    L->asking ? L->asking->name : "");
	if (L->hit)
		return wx_xasprintf(
		    _("Found under %s (%s), %s. F7 switches to it (its own "
		      "confirmation)%s"),
		    L->hit->name, L->hit->sub_mchid, L->hit_state,
		    L->next < L->ncand ? _("; F6 looks further") : "");
	if (L->slowed)
		return wx_xasprintf(
		    _("WeChat Pay asked to slow down: stopped after %zu of %zu "
		      "other sub-merchants. F6 goes on."),
		    L->next, L->ncand);
	if (L->stopped)
		return wx_xasprintf(_("Stopped after %zu of %zu other "
				      "sub-merchants. F6 goes on."),
				    L->next, L->ncand);
	if (L->next < L->ncand)
		return wx_xasprintf(_("Not under the %zu sub-merchants asked "
				      "(of %zu others). F6 asks %d more."),
				    L->next, L->ncand, LOOKUP_ROUND);
	return wx_xasprintf(_("Not under any of the %zu other sub-merchants."),
			    L->ncand);
}

char *tui_lookup_words(const struct tui_lookup *L)
{
	char *words = state_words(L), *all;

	if (!L->failed)
		return words;
	all = wx_xasprintf(_("%s (%d could not be asked: %s)"), words,
			   L->failed, L->failed_why);
	free(words);
	return all;
}
