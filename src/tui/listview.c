/* List view: a ticket's list of orders, pasted into the order field (more
 * than one line, or commas) or opened from a file with Ctrl-O. The whole
 * list is checked first (orderlist: every bad line named, nothing sent
 * while one remains), then the plan: every order with what the history
 * knows and, where the partner has the order query, its state and amount
 * read in the background, the total refunded, and the confirmation (`y`,
 * or the count typed for more than 10 orders). Sending runs at the list's
 * pace through the same engine as single orders; the view can be hidden
 * (Esc) while it goes on, F9 or Ctrl-C stops it (what is in flight
 * finishes and is recorded), and each order's outcome shows in its row.
 * An order the query says has nothing to reverse is skipped, as `y` refuses
 * it in the single confirmation; F8 in the plan sends those too (the
 * list's override), F4 sends again the ones whose earlier outcome stays
 * unknown (--resend-unknown). The rules are listrun's, the same as
 * `wxrev reverse --from`. */
#include <stdlib.h>
#include <string.h>

#include "apiv3_query.h"
#include "listrun.h"
#include "orderlist.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define ORDER_W 32 /* the longest order number */
#define SUB_W 14   /* sub-merchant name column */
#define HEAD_ROWS 6 /* rows above the table */

enum lv_phase {
	LV_NONE = 0, /* no list */
	LV_PATH,     /* asking for a file name (Ctrl-O) */
	LV_BAD,      /* the list has bad lines: nothing can be sent */
	LV_PLAN,     /* reading the orders, then asking to confirm */
	LV_SENDING,  /* sending (or stopping: in flight finishes) */
	LV_DONE,     /* every result is in */
};

struct lview {
	enum lv_phase phase;	  /* where the list stands */
	bool open;		  /* the view is on screen */
	struct orderlist list;	  /* owned: the list as read */
	struct listrun run;	  /* owned: its orders and the pace */
	bool have_run;		  /* run holds a list */
	struct tui_field path;	  /* Ctrl-O: the file name */
	struct tui_field count;	  /* the count typed to confirm */
	struct tui_list rows;	  /* the table (or the bad lines) */
	int64_t armed_ms;	  /* `y` counts from this time on */
	bool armed;		  /* the confirmation was armed */
	char note[sizeof(((struct wx_err *)0)->msg)]; /* why a file or the
							 history failed; "" */
};

static struct lview *lv(const struct tui *t)
{
	return tui_state(t, TUI_SCR_LIST);
}

static void lv_reset(struct lview *L)
{
	listrun_free(&L->run);
	orderlist_free(&L->list);
	L->have_run = false;
	L->phase = LV_NONE;
	L->armed = false;
	L->note[0] = '\0';
	field_clear(&L->count);
	memset(&L->rows, 0, sizeof(L->rows));
}

static void lv_done(void *state)
{
	lv_reset(state);
}

static void lv_show(struct tui *t, struct lview *L)
{
	if (!L->open) {
		L->open = true;
		tui_open_modal(t, &tui_list_screen);
	}
	t->dirty = true;
}

static void lv_hide(struct tui *t, struct lview *L)
{
	if (L->open && tui_current(t) == &tui_list_screen)
		tui_close_modal(t);
	L->open = false;
}

/* A list that is being read or sent cannot be replaced. */
static bool lv_busy(const struct lview *L)
{
	return L->phase == LV_SENDING ||
	       (L->phase == LV_PLAN && L->run.asking > 0);
}

/* Checks the list, and when it is good starts reading the plan. */
static void lv_take(struct tui *t, struct lview *L)
{
	struct listrun_subs subs = {t->profiles, t->sub};
	struct wx_err err = {{0}};

	orderlist_resolve(&L->list, listrun_resolve_sub, &subs);
	if (L->list.nproblems) {
		L->phase = LV_BAD;
		list_set_count(&L->rows, L->list.nproblems + L->list.nrepeats);
		lv_show(t, L);
		return;
	}
	listrun_init(&L->run, &L->list, LISTRUN_DEFAULT_RATE, false, t->op);
	L->have_run = true;
	L->run.want_states = true;
	list_set_count(&L->rows, L->run.n);
	if (listrun_look_up(&L->run, t->hist, &err) != 0) {
		snprintf(L->note, sizeof(L->note), "%s", err.msg);
		L->phase = LV_BAD;
		lv_show(t, L);
		return;
	}
	L->phase = LV_PLAN;
	lv_show(t, L);
}

/* Whether the text names a list rather than one order. */
static bool is_list(const char *text)
{
	return strchr(text, '\n') || strchr(text, ',');
}

bool tui_list_paste(struct tui *t, const char *text)
{
	struct lview *L = lv(t);
	char *copy;

	if (!is_list(text))
		return false;
	if (!t->sub) {
		tui_message(t, TUI_C_WARN,
			    _("Choose a sub-merchant in the Profiles pane first."));
		return true;
	}
	if (lv_busy(L)) {
		tui_refuse(t, _("A list is being sent; wait for it to finish (Ctrl-O shows it)."));
		return true;
	}
	lv_reset(L);
	copy = wx_xstrdup(text);
	/* Numbers pasted in one line with commas: one order each, unless
	 * the first line is a CSV header naming the columns. */
	if (!strstr(copy, "out_trade_no"))
		for (char *p = copy; *p; p++)
			if (*p == ',')
				*p = '\n';
	orderlist_parse(_("paste"), copy, strlen(copy), &L->list);
	free(copy);
	lv_take(t, L);
	return true;
}

void tui_list_open(struct tui *t)
{
	struct lview *L = lv(t);

	if (L->phase != LV_NONE && L->phase != LV_PATH) {
		lv_show(t, L); /* the list there is, hidden or not */
		return;
	}
	if (!t->sub) {
		tui_message(t, TUI_C_WARN,
			    _("Choose a sub-merchant in the Profiles pane first."));
		return;
	}
	L->phase = LV_PATH;
	L->note[0] = '\0';
	L->path.max = TUI_FIELD_MAX;
	lv_show(t, L);
}

static void lv_read_file(struct tui *t, struct lview *L)
{
	char path[TUI_FIELD_MAX * 4 + 1];
	struct wx_err err = {{0}};

	field_get(&L->path, path, sizeof(path));
	if (!path[0])
		return;
	if (orderlist_read(path, &L->list, &err) != 0 && err.msg[0]) {
		snprintf(L->note, sizeof(L->note), "%s", err.msg);
		orderlist_free(&L->list);
		return;
	}
	lv_take(t, L);
}

/* ---- the loop's side ---- */

/* listrun's word that an order was refused before sending. */
static void refused(void *ctx, const struct listrun_item *it)
{
	struct tui *t = ctx;

	tui_message(t, TUI_C_BAD, "%s: %s", it->e->out_trade_no, it->why);
}

int tui_list_tick(struct tui *t)
{
	struct lview *L = lv(t);
	int wait;

	if (L->phase == LV_PLAN && !L->armed) {
		if (listrun_ask(&L->run, t->engine))
			return 100; /* the spinner of the reading */
		listrun_plan_done(&L->run);
		L->armed = true;
		tui_arm(t, &L->armed_ms);
		t->dirty = true;
		return -1;
	}
	if (L->phase != LV_SENDING)
		return -1;
	if (!listrun_more(&L->run) && tui_list_in_flight(t) == 0) {
		L->phase = LV_DONE;
		tui_message(t, TUI_C_NORMAL,
			    _("The list is done: %d reversed of %d sent (Ctrl-O shows it)."),
			    L->run.c.outcome[WX_REVERSED], L->run.c.done);
		t->dirty = true;
		return -1;
	}
	wait = listrun_send_due(&L->run, t->engine, refused, t);
	listrun_adapt(&L->run, t->engine);
	t->dirty = true;
	return wait < 100 ? wait : 100;
}

bool tui_list_result(struct tui *t, const struct reversal_result *r)
{
	struct lview *L = lv(t);

	if (!L->have_run)
		return false;
	if (listrun_answer(&L->run, r) || listrun_take(&L->run, r)) {
		t->dirty = true;
		return true;
	}
	return false;
}

bool tui_list_stop(struct tui *t)
{
	struct lview *L = lv(t);

	if (L->phase != LV_SENDING || L->run.stopped)
		return false;
	L->run.stopped = true;
	tui_message(t, TUI_C_WARN,
		    _("Stopping the list: nothing new is sent; what is in flight finishes and is recorded. Paste or open the same list again to resume."));
	return true;
}

int tui_list_in_flight(const struct tui *t)
{
	const struct lview *L = lv(t);
	int n = 0;

	for (size_t i = 0; L->have_run && i < L->run.n; i++)
		n += L->run.items[i].state == LR_IN_FLIGHT;
	return n;
}

bool tui_list_status(const struct tui *t, char *buf, size_t n)
{
	const struct lview *L = lv(t);
	char p[200];

	if (L->phase != LV_SENDING)
		return false;
	listrun_progress(&L->run, p, sizeof(p));
	snprintf(buf, n, _("%c list %s%s"), tui_spinner(t), p,
		 L->run.stopped ? _(" (stopping)") : "");
	return true;
}

/* ---- drawing ---- */

/* One order's row: number, sub-merchant, then where it stands. */
static void item_words(const struct lview *L, const struct listrun_item *it,
		       char *buf, size_t n, int *color)
{
	const struct apiv3_state_info *info =
	    apiv3_trade_state_info(it->trade_state);
	char amount[160];

	*color = TUI_C_NORMAL;
	switch (it->state) {
	case LR_TODO:
		if (L->phase == LV_SENDING || L->phase == LV_DONE) {
			snprintf(buf, n, "%s", _("not sent"));
			*color = TUI_C_DIM;
			return;
		}
		if (it->asking || (!it->asked && !L->armed &&
				   it->sub->partner->query_before_confirm)) {
			snprintf(buf, n, "%s", _("reading ..."));
			*color = TUI_C_DIM;
			return;
		}
		if (it->trade_state == APIV3_TS_NONE) {
			snprintf(buf, n, "%s", _("to send (state not read)"));
			return;
		}
		amount[0] = '\0';
		if (it->amount >= 0)
			wx_i18n_amount(it->amount,
				       it->currency[0] ? it->currency : NULL,
				       amount, sizeof(amount));
		/* The amount first: a narrow column cuts the words, not it. */
		snprintf(buf, n, "%s%s%s", amount, amount[0] ? "  " : "",
			 _(info->words));
		if (info->nothing_to_reverse)
			*color = TUI_C_WARN;
		return;
	case LR_IN_FLIGHT:
		snprintf(buf, n, "%s", _("sending ..."));
		*color = TUI_C_WARN;
		return;
	case LR_DONE:
		snprintf(buf, n, "%s%s%s", wx_outcome_label(it->outcome),
			 it->code ? "  " : "", it->code ? it->code : "");
		*color = tui_outcome_color(it->outcome);
		return;
	case LR_NOT_SENT:
		snprintf(buf, n, "%s: %s", _("not sent"), it->why ? it->why : "");
		*color = TUI_C_BAD;
		return;
	case LR_SKIP_NOTHING:
		/* Short enough for 80 columns; the line above the table says
		 * why and that F8 sends them. */
		snprintf(buf, n, "%s: %s", _("skipped"),
			 apiv3_trade_state_name(it->trade_state));
		*color = TUI_C_WARN;
		return;
	default:
		snprintf(buf, n, "%s: %s", _("skipped"),
			 listrun_skip_reason(it->state));
		*color = TUI_C_DIM;
		return;
	}
}

struct draw_ctx {
	struct tui *t;
	struct lview *L;
	int x, w;
};

static void draw_item(void *ctx, size_t i, int y, bool selected)
{
	struct draw_ctx *d = ctx;
	const struct listrun_item *it = &d->L->run.items[i];
	char words[512];
	int color, used;
	attr_t sel = selected ? A_REVERSE : A_NORMAL;

	item_words(d->L, it, words, sizeof(words), &color);
	used = tui_put(y, d->x, it->e->out_trade_no, ORDER_W + 1, sel, true);
	used += tui_put(y, d->x + used, it->sub->name, SUB_W, sel, true);
	tui_put(y, d->x + used + 1, words, d->w - used - 1,
		tui_attr(d->t, (enum tui_color)color) | sel, true);
}

static void draw_bad(void *ctx, size_t i, int y, bool selected)
{
	struct draw_ctx *d = ctx;
	const struct orderlist *l = &d->L->list;
	const struct orderlist_msg *m = i < l->nproblems
					    ? &l->problems[i]
					    : &l->repeats[i - l->nproblems];

	tui_put(y, d->x, m->text, d->w,
		(i < l->nproblems ? tui_attr(d->t, TUI_C_BAD)
				  : tui_attr(d->t, TUI_C_WARN)) |
		    (selected ? A_REVERSE : A_NORMAL),
		true);
}

/* Orders with an unknown earlier outcome that this plan sends again. */
static int resent_unknown(const struct listrun *r)
{
	int n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->items[i].state == LR_TODO &&
		     r->items[i].prior == WX_UNKNOWN;
	return n;
}

/* What F8 and F4 would change in the plan, or have changed; false when
 * neither applies. */
static bool toggles_words(const struct listrun *r, char *buf, size_t n)
{
	struct listrun_reading rd;
	char f8[200] = "", f4[200] = "";
	int again = resent_unknown(r);

	listrun_reading(r, &rd);
	if (r->send_anyway && rd.nothing)
		snprintf(f8, sizeof(f8),
			 _("F8: the %d with nothing to reverse are sent too (F8 again leaves them out)."),
			 rd.nothing);
	else if (r->c.skip_nothing)
		snprintf(f8, sizeof(f8),
			 _("%d with nothing to reverse are skipped; F8 sends them too."),
			 r->c.skip_nothing);
	if (r->resend_unknown && again)
		snprintf(f4, sizeof(f4),
			 _("F4: the %d with an unknown outcome are sent again (F4 again leaves them out)."),
			 again);
	else if (r->c.skip_unknown)
		snprintf(f4, sizeof(f4),
			 _("%d with an unknown outcome are skipped; F4 sends them again."),
			 r->c.skip_unknown);
	snprintf(buf, n, "%s%s%s", f8, f8[0] && f4[0] ? "  " : "", f4);
	return buf[0] != '\0';
}

/* The summary rows above the table; returns the rows used. */
static int draw_head(struct tui *t, struct lview *L, int y, int x, int w)
{
	const struct listrun *r = &L->run;
	const struct listrun_counts *c = &r->c;
	const struct wx_partner *p = t->sub ? t->sub->partner : NULL;
	struct listrun_reading rd;
	char buf[512], host[300];
	int y0 = y;

	if (p) {
		profile_host_label(p->base_url, host, sizeof(host));
		snprintf(buf, sizeof(buf), _("Partner %s (%s)  Endpoint %s"),
			 p->name, p->sp_mchid, host);
		tui_put(y++, x, buf, w, A_NORMAL, false);
	}
	snprintf(buf, sizeof(buf),
		 _("%s: %zu order(s), %zu repeat(s) sent once; %d to send, "
		   "skipped: %d reversed, %d unknown, %d claimed, %d nothing "
		   "to reverse"),
		 L->list.name, r->n, L->list.nrepeats, c->to_send,
		 c->skip_reversed, c->skip_unknown, c->skip_claimed,
		 c->skip_nothing);
	if (!L->armed && L->phase == LV_PLAN)
		snprintf(buf, sizeof(buf),
			 _("%s: %zu order(s): reading what the history and "
			   "WeChat Pay know ..."),
			 L->list.name, r->n);
	y += tui_put_wrapped(y, x, buf, w, 2, A_BOLD);
	if (L->armed || L->phase != LV_PLAN) {
		listrun_reading(r, &rd);
		snprintf(buf, sizeof(buf),
			 _("Total refunded to the payers: %s%s; %d paid, %d "
			   "not paid, %d with nothing to reverse, %d not read"),
			 rd.total[0] ? rd.total : "-",
			 rd.mixed ? _(" (and other currencies)") : "", rd.paid,
			 rd.unpaid, rd.nothing, rd.unread);
		if (L->phase == LV_SENDING || L->phase == LV_DONE)
			listrun_progress(r, buf, sizeof(buf));
		y += tui_put_wrapped(y, x, buf, w, 2,
				     L->phase == LV_PLAN ? A_BOLD : A_NORMAL);
	}
	if (L->armed && L->phase == LV_PLAN && toggles_words(r, buf, sizeof(buf)))
		y += tui_put_wrapped(y, x, buf, w, 2, tui_attr(t, TUI_C_WARN));
	return y - y0;
}

/* The question or the keys, on the last row. */
static void draw_bottom(struct tui *t, struct lview *L, int y, int x, int w)
{
	char buf[256];
	int typed = L->have_run ? listrun_typed_count(&L->run) : 0;

	switch (L->phase) {
	case LV_PLAN:
		if (!L->armed) {
			tui_put(y, x, _("n/Esc: cancel"), w, tui_attr(t, TUI_C_DIM),
				false);
			return;
		}
		if (L->run.c.to_send == 0) {
			tui_put(y, x, _("Nothing to send.  n/Esc: close"), w,
				A_NORMAL, false);
			return;
		}
		if (!tui_armed(L->armed_ms)) {
			tui_put(y, x, _("y: (a moment)   n/Esc: cancel"), w,
				tui_attr(t, TUI_C_DIM), false);
			tui_wake_at(t, L->armed_ms);
			return;
		}
		if (!typed) {
			snprintf(buf, sizeof(buf),
				 _("y: reverse these %d orders   n/Esc: cancel"),
				 L->run.c.to_send);
			tui_put(y, x, buf, w, A_BOLD, false);
			return;
		}
		snprintf(buf, sizeof(buf),
			 _("Type %d and Enter to reverse these %d orders (Esc cancels): "),
			 typed, typed);
		{
			int used = tui_put(y, x, buf, w - 8, A_BOLD, false);
			int cx = field_draw(&L->count, y, x + used, 8,
					    A_UNDERLINE | A_BOLD);

			t->cur_show = true;
			t->cur_y = y;
			t->cur_x = cx;
		}
		return;
	case LV_SENDING:
		tui_put(y, x,
			L->run.stopped
			    ? _("stopping: what is in flight finishes ...   Esc: hide")
			    : _("F9 or Ctrl-C: stop sending   Esc: hide (sending goes on)"),
			w, tui_attr(t, TUI_C_WARN), false);
		return;
	case LV_DONE:
		if (listrun_unsent(&L->run) == 0)
			snprintf(buf, sizeof(buf), "%s",
				 _("Done: every order to send was sent.   Esc: close"));
		else
			snprintf(buf, sizeof(buf),
				 _("Done: %d not sent (paste or open the list again to resume)   Esc: close"),
				 listrun_unsent(&L->run));
		tui_put(y, x, buf, w, A_BOLD, false);
		return;
	case LV_BAD:
		tui_put(y, x, _("Fix the list and paste or open it again; nothing was sent.   Esc: close"),
			w, tui_attr(t, TUI_C_BAD), false);
		return;
	default:
		return;
	}
}

static void draw_path(struct tui *t, struct lview *L, const struct tui_rect *r)
{
	int x = r->x + 2, w = r->w - 4, y = r->y + 2, cx;

	tui_put_wrapped(y, x,
			_("A file with one order number a line, or CSV with a header naming out_trade_no (and sub_mchid, note):"),
			w, 2, A_NORMAL);
	y += 3;
	cx = field_draw(&L->path, y, x, w, A_UNDERLINE | A_BOLD);
	t->cur_show = true;
	t->cur_y = y;
	t->cur_x = cx;
	if (L->note[0])
		tui_put_wrapped(y + 2, x, L->note, w, 4,
				tui_attr(t, TUI_C_BAD));
	tui_put(r->y + r->h - 2, x, _("Enter: open   Esc: cancel"), w,
		A_NORMAL, false);
}

static void lv_draw(struct tui *t, void *state, const struct tui_rect *unused,
		    bool focused)
{
	struct lview *L = state;
	/* The message line, key hint and status bar stay in view. */
	struct tui_rect r = {0, 0, t->rows - TUI_BOTTOM_ROWS, t->cols};
	struct draw_ctx d = {t, L, r.x + 2, r.w - 4};
	int y = r.y + 1, head;

	(void)unused;
	if (L->phase == LV_PATH) {
		r = tui_center(t, 12, 76);
		tui_box(t, &r, _("Open a list of orders"), focused);
		draw_path(t, L, &r);
		return;
	}
	tui_box(t, &r, _("A list of orders"), focused);
	if (L->phase == LV_BAD) {
		tui_put(y++, d.x,
			L->list.nproblems
			    ? _("Bad lines: nothing is sent until every one is fixed.")
			    : L->note,
			d.w, tui_attr(t, TUI_C_BAD) | A_BOLD, false);
		list_set_height(&L->rows, r.h - 4);
		list_draw(&L->rows, y, draw_bad, &d);
	} else {
		head = draw_head(t, L, y, d.x, d.w);
		y += head;
		list_set_height(&L->rows, r.h - 3 - head);
		list_draw(&L->rows, y, draw_item, &d);
	}
	draw_bottom(t, L, r.y + r.h - 2, d.x, d.w);
	if (L->phase == LV_PLAN && !L->armed)
		tui_wake_at(t, wx_monotonic_ms() + 150);
}

/* ---- keys ---- */

static void lv_send(struct tui *t, struct lview *L)
{
	L->phase = LV_SENDING;
	listrun_start(&L->run);
	tui_message(t, TUI_C_NORMAL,
		    _("Sending %d order(s) at up to %d a second ..."),
		    L->run.c.to_send, L->run.max_rate);
	t->history_changed = true;
}

/* y, or Enter after the typed count. */
static int lv_confirm(struct tui *t, struct lview *L, bool typed_enter)
{
	char got[32];
	int typed;

	if (L->phase != LV_PLAN || !L->armed || !tui_armed(L->armed_ms) ||
	    L->run.c.to_send == 0)
		return TUI_NONE;
	typed = listrun_typed_count(&L->run);
	if (typed && !typed_enter)
		return TUI_NONE; /* a long list needs its count */
	if (typed) {
		field_get(&L->count, got, sizeof(got));
		if (!got[0] || strspn(got, "0123456789") != strlen(got) ||
		    strtol(got, NULL, 10) != typed) {
			tui_refuse(t,
				   _("Typed %s, not %d: nothing was sent. Type the count of orders, or Esc to cancel."),
				   got[0] ? got : "-", typed);
			field_clear(&L->count);
			return TUI_REDRAW;
		}
	}
	lv_send(t, L);
	return TUI_REDRAW;
}

static int lv_cancel(struct tui *t, struct lview *L)
{
	switch (L->phase) {
	case LV_SENDING:
		lv_hide(t, L); /* it goes on; Ctrl-O shows it again */
		return TUI_REDRAW;
	case LV_PLAN:
		tui_message(t, TUI_C_NORMAL,
			    _("Cancelled: nothing of the list was sent."));
		break;
	default:
		break;
	}
	lv_hide(t, L);
	/* Plain queries of the plan still in flight are dropped; a settling
	 * one goes on and settles its reversal as any other would. */
	if (L->phase == LV_PLAN)
		for (size_t i = 0; i < L->run.n; i++)
			if (L->run.items[i].asking)
				reversal_query_cancel(
				    t->engine, L->run.items[i].sub->sub_mchid,
				    L->run.items[i].e->out_trade_no);
	lv_reset(L);
	return TUI_REDRAW;
}

/* F8 and F4 in the plan: send too (or leave out again) the orders with
 * nothing to reverse, and those whose earlier outcome stays unknown. The
 * plan is then read again where needed and asks its question anew. */
static int lv_toggle(struct tui *t, struct lview *L, enum tui_action a)
{
	struct listrun *r = &L->run;
	bool *flag = a == TUI_ACT_OVERRIDE ? &r->send_anyway
					   : &r->resend_unknown;
	int skipped = a == TUI_ACT_OVERRIDE ? r->c.skip_nothing
					    : r->c.skip_unknown;

	if (L->phase != LV_PLAN || !L->armed)
		return TUI_NONE;
	if (!*flag && skipped == 0) {
		tui_message(t, TUI_C_WARN, "%s",
			    a == TUI_ACT_OVERRIDE
				? _("F8: no order of this list has nothing to reverse; y or the count sends them all.")
				: _("F4: no order of this list has an unknown outcome to send again."));
		return TUI_REDRAW;
	}
	*flag = !*flag;
	field_clear(&L->count);
	L->armed = false; /* tui_list_tick reads what changed, then asks */
	t->dirty = true;
	return TUI_REDRAW;
}

static int lv_key(struct tui *t, void *state, enum tui_action a,
		  const struct tui_key *k)
{
	struct lview *L = state;

	if (L->phase == LV_PATH) {
		if (a == TUI_ACT_ENTER) {
			lv_read_file(t, L);
			return TUI_REDRAW;
		}
		if (a == TUI_ACT_NO || a == TUI_ACT_CANCEL) {
			L->phase = LV_NONE;
			lv_hide(t, L);
			return TUI_REDRAW;
		}
		field_key(&L->path, a, k);
		return TUI_REDRAW;
	}
	switch (a) {
	case TUI_ACT_YES:
		return lv_confirm(t, L, false);
	case TUI_ACT_ENTER:
		return lv_confirm(t, L, true);
	case TUI_ACT_NO:
	case TUI_ACT_CANCEL:
		return lv_cancel(t, L);
	case TUI_ACT_STOP:
		tui_list_stop(t);
		return TUI_REDRAW;
	case TUI_ACT_OVERRIDE:
	case TUI_ACT_RESEND_UNKNOWN:
		return lv_toggle(t, L, a);
	case TUI_ACT_UP:
	case TUI_ACT_DOWN:
	case TUI_ACT_PAGE_UP:
	case TUI_ACT_PAGE_DOWN:
	case TUI_ACT_TOP:
	case TUI_ACT_BOTTOM:
		list_move(&L->rows, a);
		return TUI_REDRAW;
	default:
		break;
	}
	/* The typed count: digits only. */
	if (L->phase == LV_PLAN && L->armed && listrun_typed_count(&L->run) &&
	    (a != TUI_ACT_NONE || (k->ch >= '0' && k->ch <= '9' && !k->fkey)))
		return field_key(&L->count, a, k) ? TUI_REDRAW : TUI_NONE;
	return TUI_NONE;
}

static enum tui_typing lv_typing(const void *state)
{
	const struct lview *L = state;

	if (L->phase == LV_PATH)
		return TUI_TYPING_TEXT;
	if (L->phase == LV_PLAN && L->armed && listrun_typed_count(&L->run))
		return TUI_TYPING_CODE;
	return TUI_TYPING_NO;
}

/* The question's keys (y, n, the count) only while it is asked; F9 and
 * "Esc hide" only while the list is sent. */
static unsigned lv_ctx_now(const void *state)
{
	const struct lview *L = state;

	switch (L->phase) {
	case LV_PLAN:
		return TUI_CTX_CONFIRM;
	case LV_SENDING:
		return TUI_CTX_SENDING;
	default:
		return 0;
	}
}

const struct tui_screen tui_list_screen = {
	.name = "list",
	.id = TUI_SCR_LIST,
	.ctx = TUI_CTX_LISTVIEW | TUI_CTX_LIST,
	.private_size = sizeof(struct lview),
	.done = lv_done,
	.draw = lv_draw,
	.key = lv_key,
	.resize = NULL,
	.typing = lv_typing,
	.ctx_now = lv_ctx_now,
};
