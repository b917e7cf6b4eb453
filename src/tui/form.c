/* Order form: the chosen partner and sub-merchant, the order number
 * (validated as you type with the core's message) and an optional note;
 * Enter opens the confirmation. A send empties both fields; Up in the empty
 * order field recalls the numbers this operator sent, newest first, like a
 * shell. Reversals in flight show here with a spinner and their elapsed
 * time. */
#include <stdlib.h>
#include <string.h>

#include "apiv3.h"
#include "utf8.h"
#include "tui/text.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define LABEL_W 14
#define NOTE_MAX WX_NOTE_MAX
#define RECALL_ROWS 200 /* history rows looked at for recall */

enum { F_ORDER = 0, F_NOTE = 1, F_COUNT };

struct form {
	struct tui_field field[F_COUNT]; /* order number and note */
	int cur;                         /* field with the cursor */
	char check[sizeof(((struct wx_err *)0)->msg)]; /* validation */
	bool ok;                         /* the order number is valid */
	char order[APIV3_ORDER_MAX + 1]; /* trimmed, valid order */
	struct tui_rect r;               /* where the pane is */
	int recall;                      /* how far back Up went (0: not
					    recalling; 1: the newest) */
};

static void validate(struct form *F)
{
	char input[TUI_FIELD_MAX * 4 + 1];
	struct wx_err err = {{0}};

	field_get(&F->field[F_ORDER], input, sizeof(input));
	F->ok = false;
	F->order[0] = '\0';
	if (!input[0]) {
		snprintf(F->check, sizeof(F->check), "%s",
			 _("Type or paste the order number (out_trade_no)."));
		return;
	}
	if (apiv3_order_check(input, F->order, sizeof(F->order), &err) != 0) {
		snprintf(F->check, sizeof(F->check), "%s", err.msg);
		return;
	}
	F->ok = true;
	snprintf(F->check, sizeof(F->check), _("%zu characters; Enter to review."),
		 strlen(F->order));
}

void tui_form_refresh(struct tui *t)
{
	struct form *F = tui_state(t, TUI_SCR_FORM);

	F->field[F_NOTE].max = NOTE_MAX;
	F->field[F_ORDER].max = 128;
	validate(F);
}

bool tui_form_empty(const struct tui *t)
{
	const struct form *F = tui_state(t, TUI_SCR_FORM);

	return F->field[F_ORDER].len == 0 && F->field[F_NOTE].len == 0;
}

void tui_form_sent(struct tui *t, const struct wx_sub *sub, const char *order)
{
	struct form *F = tui_state(t, TUI_SCR_FORM);

	/* Only what the form itself held: a re-run leaves the typing alone. */
	if (sub != t->sub || !F->ok || strcmp(F->order, order) != 0)
		return;
	field_clear(&F->field[F_ORDER]);
	field_clear(&F->field[F_NOTE]);
	F->cur = F_ORDER;
	F->recall = 0;
	validate(F);
}

/* The n-th (1-based) distinct order number this operator sent, newest
 * first, into buf; false when there are fewer. */
static bool recalled(const struct tui *t, int n, char *buf, size_t len)
{
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *rows = NULL;
	size_t nrows = 0;
	int found = 0;

	if (history_list(t->hist, &f, 0, RECALL_ROWS, &rows, &nrows, NULL) != 0)
		return false;
	for (size_t i = 0; i < nrows && found < n; i++) {
		bool seen = false;

		if (!rows[i].op || strcmp(rows[i].op, t->op) != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = rows[j].op && strcmp(rows[j].op, t->op) == 0 &&
			       strcmp(rows[j].out_trade_no,
				      rows[i].out_trade_no) == 0;
		if (!seen && ++found == n)
			snprintf(buf, len, "%s", rows[i].out_trade_no);
	}
	history_rows_free(rows, nrows);
	return found == n;
}

/* Up and Down in the order field while it is empty or recalling. */
static bool recall_step(struct form *F, const struct tui *t, int step)
{
	char order[APIV3_ORDER_MAX + 1];
	int n = F->recall + step;

	if (F->cur != F_ORDER || (F->recall == 0 && F->field[F_ORDER].len) ||
	    (F->recall == 0 && step < 0))
		return false;
	if (n <= 0) {
		F->recall = 0;
		field_clear(&F->field[F_ORDER]);
	} else if (recalled(t, n, order, sizeof(order))) {
		F->recall = n;
		field_set(&F->field[F_ORDER], order);
	}
	validate(F);
	return true; /* at either end it stays put, as a shell does */
}

void tui_form_set_order(struct tui *t, const char *order, const char *note)
{
	struct form *F = tui_state(t, TUI_SCR_FORM);

	field_set(&F->field[F_ORDER], order);
	field_set(&F->field[F_NOTE], note ? note : "");
	F->cur = F_ORDER;
	tui_form_refresh(t);
}

void tui_form_take(struct tui *t, const struct tui_key *k)
{
	struct form *F = tui_state(t, TUI_SCR_FORM);
	struct tui_field *f = &F->field[F_ORDER];

	if (k->paste && tui_list_paste(t, k->paste))
		return; /* several orders: the list view */
	F->cur = F_ORDER;
	f->cur = f->len; /* what is typed follows what is there */
	field_key(f, k->paste ? TUI_ACT_PASTE : TUI_ACT_NONE, k);
	validate(F);
	tui_focus(t, TUI_PANE_FORM);
}

static void draw_label(int y, int x, const char *label)
{
	tui_put(y, x, label, LABEL_W, A_BOLD, true);
}

static void draw_field(struct form *F, struct tui *t, int i, int y,
		       bool focused)
{
	int x = F->r.x + 2 + LABEL_W, w = F->r.w - 4 - LABEL_W;
	int cx = field_draw(&F->field[i], y, x, w,
			    focused && F->cur == i ? A_UNDERLINE | A_BOLD
						  : A_UNDERLINE);

	if (focused && F->cur == i) {
		t->cur_show = true;
		t->cur_y = y;
		t->cur_x = cx;
	}
}

/* The name of sub-merchant sub_mchid, or the number itself. */
static const char *sub_name(const struct tui *t, const char *sub_mchid)
{
	for (size_t i = 0; t->profiles && i < t->profiles->npartners; i++) {
		const struct wx_partner *p = &t->profiles->partners[i];

		for (size_t j = 0; j < p->nsubs; j++)
			if (strcmp(p->subs[j].sub_mchid, sub_mchid) == 0)
				return p->subs[j].name;
	}
	return sub_mchid;
}

static void draw_flights(const struct form *F, struct tui *t, int y,
			 int last)
{
	char line[512], whose[256];
	struct reversal_flight f;

	if (y <= last && tui_list_status(t, line, sizeof(line)))
		tui_put(y++, F->r.x + 2, line, F->r.w - 4,
			tui_attr(t, TUI_C_WARN), false);
	for (int i = 0; y <= last && reversal_flight(t->engine, t, i, &f);
	     i++, y++) {
		int64_t ms = wx_monotonic_ms() - f.started_ms;

		/* Another sub-merchant's order says whose it is. */
		whose[0] = '\0';
		if (!t->sub || strcmp(f.sub_mchid, t->sub->sub_mchid) != 0)
			snprintf(whose, sizeof(whose), _(" for %s"),
				 sub_name(t, f.sub_mchid));
		snprintf(line, sizeof(line),
			 _("%c sending %s%s  %lld.%llds  attempt %d"),
			 tui_spinner(t), f.out_trade_no, whose,
			 (long long)(ms / 1000), (long long)(ms % 1000 / 100),
			 f.attempt < 1 ? 1 : f.attempt);
		tui_put(y, F->r.x + 2, line, F->r.w - 4, tui_attr(t, TUI_C_WARN),
			false);
	}
}

static void form_draw(struct tui *t, void *state, const struct tui_rect *r,
		      bool focused)
{
	struct form *F = state;
	const struct wx_sub *s = t->sub;
	int x = r->x + 2, w = r->w - 4, y = r->y + 1;
	char buf[512];

	F->r = *r;
	tui_box(t, r, _("Order"), focused);
	draw_label(y, x, _("Partner"));
	snprintf(buf, sizeof(buf), "%s (%s)", s ? s->partner->name : "-",
		 s ? s->partner->sp_mchid : "-");
	tui_put(y++, x + LABEL_W, buf, w - LABEL_W, A_NORMAL, false);
	draw_label(y, x, _("Sub-merchant"));
	snprintf(buf, sizeof(buf), "%s (%s)", s ? s->name : _("choose one in Profiles"),
		 s ? s->sub_mchid : "-");
	tui_put(y++, x + LABEL_W, buf, w - LABEL_W, A_NORMAL, false);
	y++;
	draw_label(y, x, _("Order number"));
	draw_field(F, t, F_ORDER, y++, focused);
	/* Two rows: the core's messages are full sentences. */
	tui_put_wrapped(y, x + LABEL_W, F->check, w - LABEL_W, 2,
			F->ok ? tui_attr(t, TUI_C_GOOD)
			     : (F->field[F_ORDER].len ? tui_attr(t, TUI_C_BAD)
						     : tui_attr(t, TUI_C_DIM)));
	y += 2;
	draw_label(y, x, _("Note"));
	draw_field(F, t, F_NOTE, y++, focused);
	tui_put(y++, x + LABEL_W, _("optional: ticket number or reason"),
		w - LABEL_W, tui_attr(t, TUI_C_DIM), false);
	draw_flights(F, t, y, r->y + r->h - 2);
}

static int review(struct form *F, struct tui *t)
{
	char note[NOTE_MAX * 4 + 1];
	struct wx_err err = {{0}};

	if (!t->sub) {
		tui_message(t, TUI_C_WARN,
			    _("Choose a sub-merchant in the Profiles pane first."));
		return TUI_REDRAW;
	}
	if (!F->ok) {
		tui_message(t, TUI_C_BAD, "%s", F->check);
		return TUI_REDRAW;
	}
	field_get(&F->field[F_NOTE], note, sizeof(note));
	if (wx_note_check(note, &err) != 0) {
		tui_message(t, TUI_C_BAD, "%s", err.msg);
		return TUI_REDRAW;
	}
	tui_confirm_open(t, t->sub, F->order, note);
	return TUI_REDRAW;
}

static int form_key(struct tui *t, void *state, enum tui_action a,
		    const struct tui_key *k)
{
	struct form *F = state;

	switch (a) {
	case TUI_ACT_ENTER:
		return review(F, t);
	case TUI_ACT_PREV_FIELD:
		if (recall_step(F, t, 1))
			return TUI_REDRAW;
		F->cur = (F->cur + 1) % F_COUNT;
		return TUI_REDRAW;
	case TUI_ACT_NEXT_FIELD:
		if (F->recall && recall_step(F, t, -1))
			return TUI_REDRAW;
		F->cur = (F->cur + 1) % F_COUNT;
		return TUI_REDRAW;
	case TUI_ACT_CLICK:
	case TUI_ACT_DOUBLE_CLICK:
		F->cur = k->mouse_y >= F->r.y + 7 ? F_NOTE : F_ORDER;
		return TUI_REDRAW;
	case TUI_ACT_PASTE:
		if (F->cur == F_ORDER && k->paste &&
		    tui_list_paste(t, k->paste))
			return TUI_REDRAW; /* several orders: the list view */
		break;
	default:
		break;
	}
	if (field_key(&F->field[F->cur], a, k) && F->cur == F_ORDER) {
		F->recall = 0; /* an edited number is the operator's own */
		validate(F);
	}
	return TUI_REDRAW;
}

static void form_resize(struct tui *t, void *state, const struct tui_rect *r)
{
	struct form *F = state;

	(void)t;
	F->r = *r;
}

static enum tui_typing form_typing(const void *state)
{
	const struct form *F = state;

	return F->cur == F_ORDER ? TUI_TYPING_CODE : TUI_TYPING_TEXT;
}

const struct tui_screen tui_form_screen = {
	.name = "form",
	.id = TUI_SCR_FORM,
	.ctx = TUI_CTX_FORM,
	.private_size = sizeof(struct form),
	.draw = form_draw,
	.key = form_key,
	.resize = form_resize,
	.typing = form_typing,
};
