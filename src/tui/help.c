/* Help overlay: the key table, grouped by where the keys apply. It reads
 * the same table the dispatcher uses, so it cannot drift from the keys. */
#include <string.h>

#include "tui/ui.h"
#include "tui/widgets.h"

#define KEY_W  22
#define HELP_W 100 /* at most; narrower terminals get their width */

struct help {
	size_t top; /* first line shown */
	int height; /* lines that fit */
};

/* Key i's lines, its help wrapped beside its names, from help line
 * `line`: draws what of them is in view (when draw); returns how many. */
static size_t help_entry(const struct help *G, const struct tui_rect *r,
			 const struct tui_keydef *keys, size_t i, size_t line,
			 bool draw)
{
	int cols = r->w - 6 - KEY_W;
	int skip = line < G->top ? (int)(G->top - line) : 0;
	int y = line < G->top ? 0 : (int)(line - G->top);
	int rows = draw && y < G->height ? G->height - y : 0;
	char names[96];

	if (rows && !skip) {
		tui_key_names(i, names, sizeof(names));
		tui_put(r->y + 1 + y, r->x + 4, names, KEY_W, A_BOLD, false);
	}
	return (size_t)tui_put_wrapped_rows(r->y + 1 + y, r->x + 4 + KEY_W,
					    _(keys[i].help), cols, skip, rows,
					    A_NORMAL);
}

/* Draws (or only counts, when !draw) the help lines from line `top`. */
static size_t help_lines(const struct help *G, struct tui *t,
			 const struct tui_rect *r, bool draw)
{
	size_t n, line = 0;
	const struct tui_keydef *keys = tui_keys(&n);
	const char *group = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *g = tui_ctx_name(keys[i].ctx);
		int y;

		if (!keys[i].help)
			continue;
		if (!group || strcmp(group, g) != 0) {
			if (group)
				line++; /* a blank line between groups */
			y = (int)line - (int)G->top;
			if (draw && y >= 0 && y < G->height)
				tui_put(r->y + 1 + y, r->x + 2, g, r->w - 4,
					tui_attr(t, TUI_C_FOCUS) | A_BOLD,
					false);
			line++;
			group = g;
		}
		line += help_entry(G, r, keys, i, line, draw);
	}
	return line;
}

static struct tui_rect help_rect(const struct tui *t)
{
	return tui_center(t, t->rows - 2, HELP_W);
}

static void help_draw(struct tui *t, void *state,
		      const struct tui_rect *unused, bool focused)
{
	struct help *G = state;
	struct tui_rect r = help_rect(t);

	(void)unused;
	G->height = r.h - 2;
	tui_box(t, &r, _("Keys (Esc closes, Up/Down scroll)"), focused);
	help_lines(G, t, &r, true);
}

static int help_key(struct tui *t, void *state, enum tui_action a,
		    const struct tui_key *k)
{
	struct help *G = state;
	struct tui_rect r = help_rect(t);
	size_t total = help_lines(G, t, &r, false);
	size_t max = total > (size_t)G->height ? total - (size_t)G->height : 0;

	(void)k;
	switch (a) {
	case TUI_ACT_CANCEL:
		G->top = 0;
		tui_close_modal(t);
		return TUI_REDRAW;
	case TUI_ACT_UP:
		G->top = G->top ? G->top - 1 : 0;
		return TUI_REDRAW;
	case TUI_ACT_DOWN:
		G->top = G->top < max ? G->top + 1 : max;
		return TUI_REDRAW;
	case TUI_ACT_PAGE_UP:
		G->top = G->top > (size_t)G->height ? G->top - (size_t)G->height : 0;
		return TUI_REDRAW;
	case TUI_ACT_PAGE_DOWN:
		G->top = G->top + (size_t)G->height < max ? G->top + (size_t)G->height
							: max;
		return TUI_REDRAW;
	default:
		return TUI_NONE;
	}
}

const struct tui_screen tui_help_screen = {
	.name = "help",
	.id = TUI_SCR_HELP,
	.ctx = TUI_CTX_CLOSE,
	.private_size = sizeof(struct help),
	.draw = help_draw,
	.key = help_key,
	.resize = NULL,
	.typing = NULL,
};
