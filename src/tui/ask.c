/* A yes/no question (for example quitting while a call is in flight);
 * only `y` says yes. */
#include "tui/ui.h"
#include "tui/widgets.h"

struct ask {
	char title[128];
	char text[512];
	void (*on_yes)(struct tui *t); /* runs after the modal closes */
	int64_t armed_ms;              /* `y` counts from this time on */
};

void tui_ask_open(struct tui *t, const char *title, const char *text,
		  void (*on_yes)(struct tui *t))
{
	struct ask *A = tui_state(t, TUI_SCR_ASK);

	snprintf(A->title, sizeof(A->title), "%s", title);
	snprintf(A->text, sizeof(A->text), "%s", text);
	A->on_yes = on_yes;
	t->quit_asked = true;
	tui_open_modal(t, &tui_ask_screen);
	tui_arm(t, &A->armed_ms);
}

static void ask_draw(struct tui *t, void *state,
		     const struct tui_rect *unused, bool focused)
{
	const struct ask *A = state;
	struct tui_rect r = tui_center(t, 9, 64);

	(void)unused;
	tui_box(t, &r, A->title, focused);
	tui_put_wrapped(r.y + 2, r.x + 2, A->text, r.w - 4, 3, A_NORMAL);
	tui_put(r.y + r.h - 2, r.x + 2, _("[ No ]"), 6, A_REVERSE | A_BOLD,
		false);
	if (tui_armed(A->armed_ms))
		tui_put(r.y + r.h - 2, r.x + 10, _("y: yes   n/Esc: no"),
			r.w - 12, A_NORMAL, false);
	else {
		tui_put(r.y + r.h - 2, r.x + 10, _("y: (a moment)   n/Esc: no"),
			r.w - 12, tui_attr(t, TUI_C_DIM), false);
		/* An earlier wake may have used up the one tui_arm asked for. */
		tui_wake_at(t, A->armed_ms);
	}
}

static int ask_key(struct tui *t, void *state, enum tui_action a,
		   const struct tui_key *k)
{
	const struct ask *A = state;

	(void)k;
	if (a != TUI_ACT_YES && a != TUI_ACT_NO)
		return TUI_NONE;
	if (a == TUI_ACT_YES && !tui_armed(A->armed_ms))
		return TUI_NONE; /* typed before the question was seen */
	tui_close_modal(t);
	t->quit_asked = false;
	if (a == TUI_ACT_YES && A->on_yes)
		A->on_yes(t);
	return TUI_REDRAW;
}

const struct tui_screen tui_ask_screen = {
	.name = "ask",
	.id = TUI_SCR_ASK,
	.ctx = TUI_CTX_CONFIRM | TUI_CTX_QUESTION,
	.private_size = sizeof(struct ask),
	.draw = ask_draw,
	.key = ask_key,
	.resize = NULL,
	.typing = NULL,
};
