/* Order form: the chosen partner and sub-merchant, the order number
 * (validated as you type with the core's message) and an optional note;
 * Enter opens the confirmation. Reversals in flight show here with a
 * spinner and their elapsed time. */
#include <stdlib.h>
#include <string.h>

#include "apiv3.h"
#include "tui/text.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define LABEL_W 14
#define NOTE_MAX 200

enum { F_ORDER = 0, F_NOTE = 1, F_COUNT };

struct form {
	struct tui_field field[F_COUNT]; /* order number and note */
	int cur;                         /* field with the cursor */
	char check[sizeof(((struct wx_err *)0)->msg)]; /* validation */
	bool ok;                         /* the order number is valid */
	char order[APIV3_ORDER_MAX + 1]; /* trimmed, valid order */
	struct tui_rect r;               /* where the pane is */
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

void tui_form_set_order(struct tui *t, const char *order, const char *note)
{
	struct form *F = tui_state(t, TUI_SCR_FORM);

	field_set(&F->field[F_ORDER], order);
	field_set(&F->field[F_NOTE], note ? note : "");
	F->cur = F_ORDER;
	tui_form_refresh(t);
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

static void draw_flights(const struct form *F, struct tui *t, int y,
			 int last)
{
	char line[256];

	for (int i = 0; i < t->nflights && y <= last; i++, y++) {
		const struct tui_flight *f = &t->flights[i];
		int attempt = 1;
		int64_t started = reversal_started_ms(t->engine, f->id, &attempt);
		int64_t ms = wx_monotonic_ms() -
			     (started >= 0 ? started : f->started_ms);

		snprintf(line, sizeof(line), _("%c sending %s  %lld.%llds  attempt %d"),
			 tui_spinner(t), f->order, (long long)(ms / 1000),
			 (long long)(ms % 1000 / 100), attempt < 1 ? 1 : attempt);
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

	if (!t->sub) {
		tui_message(t, TUI_C_WARN,
			    _("Choose a sub-merchant in the Profiles pane first."));
		return TUI_REDRAW;
	}
	if (!F->ok) {
		tui_message(t, TUI_C_BAD, "%s", F->check);
		return TUI_REDRAW;
	}
	if (tui_flight_busy(t, t->sub->sub_mchid, F->order)) {
		tui_message(t, TUI_C_WARN,
			    _("Order %s for %s is already in flight; wait for its result before sending it again."),
			    F->order, t->sub->sub_mchid);
		return TUI_REDRAW;
	}
	field_get(&F->field[F_NOTE], note, sizeof(note));
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
	case TUI_ACT_NEXT_FIELD:
	case TUI_ACT_PREV_FIELD:
		F->cur = (F->cur + 1) % F_COUNT;
		return TUI_REDRAW;
	case TUI_ACT_CLICK:
		F->cur = k->mouse_y >= F->r.y + 7 ? F_NOTE : F_ORDER;
		return TUI_REDRAW;
	default:
		break;
	}
	if (field_key(&F->field[F->cur], a, k) && F->cur == F_ORDER)
		validate(F);
	return TUI_REDRAW;
}

static void form_resize(struct tui *t, void *state, const struct tui_rect *r)
{
	struct form *F = state;

	(void)t;
	F->r = *r;
}

static bool form_typing(const void *state)
{
	(void)state;
	return true;
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
