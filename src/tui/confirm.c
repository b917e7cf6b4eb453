/* Confirmation modal: repeats partner, sub-merchant, order number (grouped
 * for reading aloud), endpoint host and note, says that a paid order is
 * refunded, and shows what the history already holds for this order and
 * sub-merchant. It opens at once and reads the order from WeChat Pay in
 * the background (the order query): the answer fills in as words ("Paid
 * ¥128.00 … — reversing refunds ¥128.00 to the payer"). Focus starts on
 * Cancel; only `y` sends, and when the query says there is nothing to
 * reverse only the override key (F8) does. A query that fails never
 * blocks `y`. When it says there is no such order, F6 looks the number up
 * under the partner's other sub-merchants (lookup.c) and F7 switches to
 * the one it was found under. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiv3.h"
#include "apiv3_query.h"
#include "history_export.h"
#include "tui/lookup.h"
#include "tui/text.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define LABEL_W 14

struct confirm {
	const struct wx_sub *sub;        /* borrowed from the profiles */
	char order[APIV3_ORDER_MAX + 1]; /* checked order number */
	char note[1024];                 /* "" when none */
	struct history_known known;      /* what the history holds */
	int64_t armed_ms;                /* `y` counts from this time on */
	char claim[512];                 /* who holds the order elsewhere;
					    "" when nobody does */
	bool open;                       /* on screen (a query answer is
					    for it) */
	bool asking;                     /* the order query is in flight */
	int64_t asked_ms;                /* when it was sent (monotonic) */
	char *words;                     /* the order in words; NULL until
					    the answer (or the failure) */
	char state[32];                  /* trade_state read; "" if none */
	bool nothing;                    /* nothing to reverse: only the
					    override sends */
	bool unread;                     /* the query failed: y still sends */
	char amount[48];                 /* "¥128.00" when it was paid */
	bool not_found;                  /* the query read no such order
					    for this sub-merchant */
	struct tui_lookup *lookup;       /* owned: the lookup under the
					    other sub-merchants, or NULL */
};

/* Asks the history about this exact order under every sub-merchant. */
static void look_up(struct confirm *C, struct tui *t)
{
	struct wx_err err = {{0}};

	if (history_known(t->hist, C->order, C->sub->partner->sp_mchid,
			  C->sub->sub_mchid, &C->known, &err) == 0)
		return;
	snprintf(C->known.line[0], sizeof(C->known.line[0]), "%.200s",
		 err.msg);
	C->known.n = 1;
}

/* What the answer means for the buttons. */
static void read_answer(struct confirm *C, const struct apiv3_query_result *q)
{
	bool read = q && (q->kind == APIV3_Q_ANSWERED ||
			  q->kind == APIV3_Q_NOT_FOUND);

	C->unread = !read;
	C->not_found = q && q->kind == APIV3_Q_NOT_FOUND;
	C->nothing =
	    read && apiv3_trade_state_info(q->order.state)->nothing_to_reverse;
	snprintf(C->state, sizeof(C->state), "%s",
		 read ? apiv3_trade_state_name(q->order.state) : "");
	C->amount[0] = '\0';
	if (read && q->order.amount_total >= 0)
		wx_i18n_amount(q->order.amount_total, q->order.currency,
			       C->amount, sizeof(C->amount));
}

/* Starts the order query in the background, unless the partner turned it
 * off; a query that cannot start says why and leaves `y` as it is. */
static void ask_order(struct confirm *C, struct tui *t)
{
	struct reversal_params p = {.partner = C->sub->partner,
				    .sub = C->sub,
				    .out_trade_no = C->order,
				    .op = t->op};
	struct wx_err err = {{0}};

	free(C->words);
	C->words = NULL;
	C->state[0] = C->amount[0] = '\0';
	C->nothing = C->unread = C->asking = C->not_found = false;
	tui_lookup_free(t->engine, C->lookup);
	C->lookup = NULL;
	if (!C->sub->partner->query_before_confirm)
		return;
	if (reversal_query_submit(t->engine, &p, 0, &err) != 0) {
		C->words =
		    wx_xasprintf(_("Could not read the order: %s"), err.msg);
		C->unread = true;
		return;
	}
	C->asking = true;
	C->asked_ms = wx_monotonic_ms();
}

void tui_confirm_open(struct tui *t, const struct wx_sub *sub,
		      const char *order, const char *note)
{
	struct confirm *C = tui_state(t, TUI_SCR_CONFIRM);

	/* An F5 query of this order is superseded by the one asked below. */
	reversal_query_cancel(t->engine, sub->sub_mchid, order);
	if (tui_refuse_in_flight(t, sub, order))
		return;
	C->sub = sub;
	snprintf(C->order, sizeof(C->order), "%s", order);
	snprintf(C->note, sizeof(C->note), "%s", note ? note : "");
	look_up(C, t);
	/* Another process sending it now: say who; `y` will not send. */
	if (tui_claim_elsewhere(t, sub, order, C->claim, sizeof(C->claim)) !=
	    1)
		C->claim[0] = '\0';
	ask_order(C, t);
	C->open = true;
	tui_open_modal(t, &tui_confirm_screen);
	tui_arm(t, &C->armed_ms);
}

static void close_confirm(struct confirm *C, struct tui *t)
{
	if (C->asking)
		reversal_query_cancel(t->engine, C->sub->sub_mchid, C->order);
	C->asking = false;
	tui_lookup_free(t->engine, C->lookup);
	C->lookup = NULL;
	C->open = false;
	tui_close_modal(t);
}

bool tui_confirm_query_done(struct tui *t, const struct reversal_result *r)
{
	struct confirm *C = tui_state(t, TUI_SCR_CONFIRM);
	const struct apiv3_query_result *q = r->query;

	if (C->open && C->lookup && tui_lookup_take(t, C->lookup, r))
		return true;
	if (!C->open || !C->asking ||
	    strcmp(r->sub_mchid, C->sub->sub_mchid) != 0 ||
	    strcmp(r->out_trade_no, C->order) != 0)
		return false;
	C->asking = false;
	free(C->words);
	C->words = apiv3_order_words(q, wx_now_ms() / 1000);
	read_answer(C, q);
	t->dirty = true;
	return true;
}

void tui_confirm_tick(struct tui *t)
{
	struct confirm *C = tui_state(t, TUI_SCR_CONFIRM);

	if (C->open && C->lookup)
		tui_lookup_tick(t, C->lookup);
}

const struct wx_sub *tui_sub_of(const struct tui *t,
				const struct history_reversal *r)
{
	for (size_t i = 0; t->profiles && i < t->profiles->npartners; i++) {
		const struct wx_partner *p = &t->profiles->partners[i];

		if (strcmp(p->sp_mchid, r->sp_mchid) != 0)
			continue;
		for (size_t j = 0; j < p->nsubs; j++)
			if (strcmp(p->subs[j].sub_mchid, r->sub_mchid) == 0)
				return &p->subs[j];
	}
	return NULL;
}

/* F5 on a stored reversal: reads its order now. */
void tui_query_row(struct tui *t, const struct history_reversal *r)
{
	const struct wx_sub *sub = tui_sub_of(t, r);

	if (!sub) {
		tui_message(t, TUI_C_WARN,
			    _("Sub-merchant %s of partner %s is not in the loaded profiles; add it to query this order."),
			    r->sub_mchid, r->sp_mchid);
		return;
	}
	tui_query_now(t, sub, r->out_trade_no);
}

/* Re-runs a stored reversal (the same parameters are safe to send again). */
void tui_confirm_rerun(struct tui *t, const struct history_reversal *r)
{
	const struct wx_sub *sub = tui_sub_of(t, r);

	if (!sub) {
		tui_message(t, TUI_C_WARN,
			    _("Sub-merchant %s of partner %s is not in the loaded profiles; add it to re-run this reversal."),
			    r->sub_mchid, r->sp_mchid);
		return;
	}
	tui_confirm_open(t, sub, r->out_trade_no, r->note);
}

/* A labelled value on up to `lines` rows; returns the rows used. */
static int row_of(int y, int x, int w, const char *label, const char *value,
		  int lines, attr_t a)
{
	tui_put(y, x, label, LABEL_W, A_BOLD, true);
	return tui_put_wrapped(y, x + LABEL_W, value, w - LABEL_W, lines, a);
}

static int row(int y, int x, int w, const char *label, const char *value,
	       attr_t a)
{
	return row_of(y, x, w, label, value, 2, a);
}

/* Under "No such order": the offer to look the number up elsewhere, or
 * how that lookup stands. */
static int draw_lookup(struct tui *t, const struct confirm *C, int y, int x,
		       int w)
{
	char *words;
	int rows;

	if (!C->lookup) {
		if (C->sub->partner->nsubs < 2)
			return 0;
		words = wx_xasprintf(
		    _("Wrong sub-merchant? F6 looks it up under the %zu others of %s, most recent first (%d at most)."),
		    C->sub->partner->nsubs - 1, C->sub->partner->name,
		    LOOKUP_ROUND);
	} else {
		words = tui_lookup_words(C->lookup);
	}
	rows = row(y, x, w, _("Elsewhere"), words,
		   C->lookup && tui_lookup_hit(C->lookup)
			   ? tui_attr(t, TUI_C_GOOD) | A_BOLD
			   : A_NORMAL);
	free(words);
	return rows;
}

static void confirm_draw(struct tui *t, void *state,
			 const struct tui_rect *unused, bool focused)
{
	struct confirm *C = state;
	struct tui_rect r = tui_center(t, 22, 74);
	int x = r.x + 2, w = r.w - 4, y = r.y + 2;
	char buf[512];
	/* Digits are read aloud in groups; other numbers as they are. */
	char *grouped = text_group(C->order,
				   strspn(C->order, "0123456789") == strlen(C->order)
					   ? 4
					   : 0);
	bool official;

	(void)unused;
	tui_box(t, &r, _("Reverse this order?"), focused);
	snprintf(buf, sizeof(buf), "%s (%s)", C->sub->partner->name,
		 C->sub->partner->sp_mchid);
	y += row(y, x, w, _("Partner"), buf, A_NORMAL);
	snprintf(buf, sizeof(buf), "%s (%s)", C->sub->name, C->sub->sub_mchid);
	y += row(y, x, w, _("Sub-merchant"), buf, A_NORMAL);
	y += row(y, x, w, _("Order number"), grouped, A_BOLD);
	free(grouped);
	official =
	    profile_host_label(C->sub->partner->base_url, buf, sizeof(buf));
	y += row(y, x, w, _("Endpoint"), buf,
		 official ? A_NORMAL : tui_attr(t, TUI_C_WARN));
	official = profile_backup_label(C->sub->partner, buf, sizeof(buf));
	y += row(y, x, w, _("Backup"), buf,
		 official ? A_NORMAL : tui_attr(t, TUI_C_WARN));
	y += row(y, x, w, _("Note"), C->note[0] ? C->note : "-", A_NORMAL);
	y++;
	if (C->claim[0]) {
		y += tui_put_wrapped(y, x, C->claim, w, 3,
				     tui_attr(t, TUI_C_BAD) | A_BOLD);
	} else if (C->asking) {
		static const char spin[] = "|/-\\";
		int64_t ms = wx_monotonic_ms() - C->asked_ms;

		snprintf(buf, sizeof(buf), "%c %s %.1fs", spin[(ms / 150) % 4],
			 _("reading the order from WeChat Pay ..."),
			 (double)ms / 1000.0);
		y += row(y, x, w, _("The order"), buf, tui_attr(t, TUI_C_DIM));
		y++;
		tui_wake_at(t, wx_monotonic_ms() + 150);
	} else if (C->words) {
		/* Three rows: a paid order's sentence (amount, paid time and
		 * zone, age, what reversing does) must not lose its end. */
		y += row_of(y, x, w, _("The order"), C->words, 3,
			    C->nothing   ? tui_attr(t, TUI_C_BAD) | A_BOLD
			    : C->unread ? tui_attr(t, TUI_C_WARN)
					: A_BOLD);
	} else {
		y += tui_put_wrapped(y, x, _("A paid order will be refunded to the payer; an unpaid one will be closed."),
				     w, 2, tui_attr(t, TUI_C_WARN));
	}
	if (C->not_found && !C->claim[0])
		y += draw_lookup(t, C, y, x, w);
	y++;
	if (C->known.n == 0)
		y += row(y, x, w, _("History"),
			 _("nothing yet for this order under any sub-merchant"),
			 A_NORMAL);
	/* The history's lines stop above the buttons' row. */
	for (int i = 0; i < C->known.n && y < r.y + r.h - 3; i++)
		y += row(y, x, w, i ? "" : _("History"), C->known.line[i],
			 tui_attr(t, TUI_C_WARN));
	if (C->known.total > C->known.n && y < r.y + r.h - 3) {
		snprintf(buf, sizeof(buf), _("and %d more"),
			 C->known.total - C->known.n);
		row(y, x, w, "", buf, A_NORMAL);
	}
	y = r.y + r.h - 2;
	tui_put(y, x, _("[ Cancel ]"), 10, A_REVERSE | A_BOLD, false);
	/* `y` shows once it counts, so a key typed before cannot send. */
	if (C->claim[0])
		tui_put(y, x + 12, _("held elsewhere: n/Esc: cancel"), w - 12,
			A_NORMAL, false);
	else if (C->nothing && tui_armed(C->armed_ms))
		tui_put(y, x + 12,
			_("nothing to reverse: F8 sends anyway   n/Esc: cancel"),
			w - 12, tui_attr(t, TUI_C_WARN), false);
	else if (tui_armed(C->armed_ms))
		tui_put(y, x + 12, _("y: reverse   n/Esc: cancel"), w - 12,
			A_NORMAL, false);
	else {
		tui_put(y, x + 12, _("y: (a moment)   n/Esc: cancel"), w - 12,
			tui_attr(t, TUI_C_DIM), false);
		/* An earlier wake may have used up the one tui_arm asked for. */
		tui_wake_at(t, C->armed_ms);
	}
}

/* F6: starts the lookup, or the next round of it. */
static int look_elsewhere(struct confirm *C, struct tui *t)
{
	if (!C->not_found) {
		tui_message(t, TUI_C_WARN,
			    _("F6 looks elsewhere only when the order query says: no such order."));
		return TUI_REDRAW;
	}
	if (C->lookup) {
		tui_lookup_more(t, C->lookup);
		return TUI_REDRAW;
	}
	C->lookup = tui_lookup_new(t, C->sub, C->order);
	if (!C->lookup)
		tui_message(t, TUI_C_WARN,
			    _("%s has no other sub-merchant in the profiles to look the order up under."),
			    C->sub->partner->name);
	return TUI_REDRAW;
}

/* F7: re-opens the confirmation for the sub-merchant the lookup found the
 * order under, which becomes the chosen one. */
static int switch_sub(struct confirm *C, struct tui *t)
{
	const struct wx_sub *hit = C->lookup ? tui_lookup_hit(C->lookup) : NULL;
	char order[sizeof(C->order)], note[sizeof(C->note)];

	if (!hit) {
		tui_message(t, TUI_C_WARN,
			    _("F7 switches to where a lookup (F6) found the order; none yet."));
		return TUI_REDRAW;
	}
	snprintf(order, sizeof(order), "%s", C->order);
	snprintf(note, sizeof(note), "%s", C->note);
	close_confirm(C, t);
	tui_choose_sub(t, hit);
	tui_message(t, TUI_C_NORMAL, C_("message line", "Sub-merchant: %s (%s)"),
		    hit->name, hit->sub_mchid);
	tui_confirm_open(t, hit, order, note);
	return TUI_REDRAW;
}

static int confirm_key(struct tui *t, void *state, enum tui_action a,
		       const struct tui_key *k)
{
	struct confirm *C = state;

	(void)k;
	switch (a) {
	case TUI_ACT_LOOKUP:
		return look_elsewhere(C, t);
	case TUI_ACT_SWITCH_SUB:
		return switch_sub(C, t);
	case TUI_ACT_YES:
	case TUI_ACT_OVERRIDE:
		if (!tui_armed(C->armed_ms))
			return TUI_NONE; /* typed before the question was seen */
		if (C->nothing && a == TUI_ACT_YES) {
			tui_refuse(t,
				   _("The query reads %s: there is nothing to reverse. F8 sends anyway; n or Esc cancels."),
				   C->state);
			return TUI_REDRAW;
		}
		if (!C->nothing && a == TUI_ACT_OVERRIDE)
			return TUI_NONE;
		/* Asked again: the claim may have come or gone since. */
		if (tui_claim_elsewhere(t, C->sub, C->order, C->claim,
					sizeof(C->claim)) == 1) {
			tui_refuse(t, "%s", C->claim);
			return TUI_REDRAW;
		}
		C->claim[0] = '\0';
		tui_sub_used(t, C->sub);
		close_confirm(C, t);
		if (tui_submit(t, C->sub, C->order, C->note,
			       C->state[0] ? C->state : NULL, C->amount) == 0)
			tui_form_sent(t, C->sub, C->order);
		return TUI_REDRAW;
	case TUI_ACT_NO:
		/* While the lookup asks, the first n or Esc stops it. */
		if (C->lookup && tui_lookup_stop(t, C->lookup))
			return TUI_REDRAW;
		close_confirm(C, t);
		tui_message(t, TUI_C_NORMAL,
			    _("Cancelled: nothing was sent for %s."), C->order);
		return TUI_REDRAW;
	default:
		return TUI_NONE;
	}
}

/* At exit: the engine may be gone, so nothing is cancelled here. */
static void confirm_done(void *state)
{
	struct confirm *C = state;

	free(C->words);
	tui_lookup_free(NULL, C->lookup);
}

/* With nothing to reverse, the hint offers F8, not y. */
static unsigned confirm_ctx_now(const void *state)
{
	const struct confirm *C = state;

	return C->nothing ? TUI_CTX_NOTHING : 0;
}

const struct tui_screen tui_confirm_screen = {
	.name = "confirm",
	.id = TUI_SCR_CONFIRM,
	.ctx = TUI_CTX_CONFIRM,
	.private_size = sizeof(struct confirm),
	.done = confirm_done,
	.draw = confirm_draw,
	.key = confirm_key,
	.resize = NULL,
	.typing = NULL,
	.ctx_now = confirm_ctx_now,
};
