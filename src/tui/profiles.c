/* Profiles pane: partners and their sub-merchants, filtered as you type by
 * name or mchid; Enter chooses the sub-merchant the order form uses, and
 * the state file remembers it for the next start. The pane also keeps,
 * for the session, which sub-merchants were chosen or used most recently
 * (the lookup of an order under the other sub-merchants asks them first). */
#include <stdlib.h>
#include <string.h>

#include "tui/text.h"
#include "tui/ui.h"
#include "tui/widgets.h"

/* One visible line: a partner heading or one of its sub-merchants. */
struct prow {
	const struct wx_partner *partner; /* always set */
	const struct wx_sub *sub;         /* NULL on a partner heading */
};

struct profiles {
	struct prow *rows;      /* visible lines */
	size_t cap;             /* allocated rows */
	size_t nsubs;           /* sub-merchant lines among them */
	struct tui_list list;   /* selection and scrolling */
	struct tui_field filter; /* the `/` filter */
	bool filtering;         /* the filter field has the keys */
	struct tui_rect r;      /* where the pane is */
	const struct wx_sub **recent; /* chosen or used, most recent first;
					 borrowed from the profiles */
	size_t nrecent;         /* entries in recent */
	size_t caprecent;       /* allocated entries */
};

static bool sub_matches(const struct wx_sub *s, const char *f)
{
	return profile_sub_matches(s, f);
}

static void push_row(struct profiles *P, const struct wx_partner *p,
		     const struct wx_sub *s)
{
	if (P->list.n == P->cap) {
		P->cap = P->cap ? P->cap * 2 : 64;
		P->rows = wx_xrealloc(P->rows, P->cap * sizeof(*P->rows));
	}
	P->rows[P->list.n++] = (struct prow){p, s};
}

static void select_first_sub(struct profiles *P)
{
	for (size_t i = 0; i < P->list.n; i++) {
		if (P->rows[i].sub) {
			P->list.sel = i;
			break;
		}
	}
	list_set_count(&P->list, P->list.n);
}

static void rebuild(struct profiles *P, const struct tui *t)
{
	char f[TUI_FIELD_MAX * 4 + 1];

	field_get(&P->filter, f, sizeof(f));
	P->list.n = 0;
	P->nsubs = 0;
	for (size_t i = 0; t->profiles && i < t->profiles->npartners; i++) {
		const struct wx_partner *p = &t->profiles->partners[i];
		size_t heading = P->list.n;

		for (size_t j = 0; j < p->nsubs; j++) {
			if (!sub_matches(&p->subs[j], f))
				continue;
			if (heading == P->list.n)
				push_row(P, p, NULL);
			push_row(P, p, &p->subs[j]);
			P->nsubs++;
		}
	}
	P->list.sel = 0;
	P->list.top = 0;
	select_first_sub(P);
}

/* The remembered sub-merchant: "sp_mchid=...\nsub_mchid=...\n". */
static void state_load(const struct tui *t, char *sp, char *sub, size_t n)
{
	FILE *f = fopen(t->state_file, "r");
	char line[256];

	sp[0] = sub[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "sp_mchid=", 9) == 0)
			snprintf(sp, n, "%s", line + 9);
		else if (strncmp(line, "sub_mchid=", 10) == 0)
			snprintf(sub, n, "%s", line + 10);
	}
	fclose(f);
}

static void state_save(const struct tui *t)
{
	char dir[sizeof(t->state_file)], tmp[sizeof(t->state_file) + 8];
	char *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", t->state_file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (!t->sub || !slash || wx_mkdir_p(dir, 0700, NULL) != 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->state_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "sp_mchid=%s\nsub_mchid=%s\n", t->sub->partner->sp_mchid,
		t->sub->sub_mchid);
	if (fclose(f) == 0)
		rename(tmp, t->state_file);
}

void tui_sub_used(struct tui *t, const struct wx_sub *sub)
{
	struct profiles *P = tui_state(t, TUI_SCR_PROFILES);
	size_t i;

	if (!sub)
		return;
	for (i = 0; i < P->nrecent && P->recent[i] != sub; i++)
		;
	if (i == P->nrecent) {
		if (P->nrecent == P->caprecent) {
			P->caprecent = P->caprecent ? P->caprecent * 2 : 16;
			P->recent = wx_xrealloc(
			    P->recent, P->caprecent * sizeof(*P->recent));
		}
		P->nrecent++;
	}
	memmove(P->recent + 1, P->recent, i * sizeof(*P->recent));
	P->recent[0] = sub;
}

const struct wx_sub **tui_subs_recent_first(const struct tui *t,
					    const struct wx_sub *sub,
					    size_t *n)
{
	const struct profiles *P = tui_state(t, TUI_SCR_PROFILES);
	const struct wx_partner *p = sub->partner;
	const struct wx_sub **out = wx_xcalloc(p->nsubs + 1, sizeof(*out));
	size_t k = 0;

	for (size_t i = 0; i < P->nrecent; i++)
		if (P->recent[i]->partner == p && P->recent[i] != sub)
			out[k++] = P->recent[i];
	for (size_t j = 0; j < p->nsubs; j++) {
		size_t i;

		for (i = 0; i < k && out[i] != &p->subs[j]; i++)
			;
		if (i == k && &p->subs[j] != sub)
			out[k++] = &p->subs[j];
	}
	*n = k;
	return out;
}

void tui_choose_sub(struct tui *t, const struct wx_sub *sub)
{
	tui_sub_used(t, sub);
	t->sub = sub;
	state_save(t);
	tui_form_refresh(t);
	t->dirty = true;
}

void tui_profiles_init(struct tui *t)
{
	struct profiles *P = tui_state(t, TUI_SCR_PROFILES);
	const struct wx_sub *first = NULL;
	char sp_mchid[256], sub_mchid[256];

	state_load(t, sp_mchid, sub_mchid, sizeof(sp_mchid));
	rebuild(P, t);
	for (size_t i = 0; i < P->list.n; i++) {
		const struct wx_sub *s = P->rows[i].sub;

		if (!s)
			continue;
		if (!first)
			first = s;
		if (strcmp(s->sub_mchid, sub_mchid) == 0 &&
		    strcmp(s->partner->sp_mchid, sp_mchid) == 0) {
			first = s;
			P->list.sel = i;
			/* The remembered sub-merchant: ready for an order. */
			t->focus = TUI_PANE_FORM;
			break;
		}
	}
	list_set_count(&P->list, P->list.n);
	t->sub = first;
	tui_sub_used(t, first);
	tui_form_refresh(t);
}

static void draw_row(void *ctx, size_t i, int y, bool selected)
{
	const struct tui *t = ctx;
	const struct profiles *P = tui_state(t, TUI_SCR_PROFILES);
	const struct prow *row = &P->rows[i];
	int x = P->r.x + 1, w = P->r.w - 2;
	attr_t a = selected ? A_REVERSE : A_NORMAL;
	char buf[512];

	if (!row->sub) {
		snprintf(buf, sizeof(buf), "%s (%s)", row->partner->name,
			 row->partner->sp_mchid);
		tui_put(y, x, buf, w, a | A_BOLD, true);
		return;
	}
	tui_put(y, x, row->sub == t->sub ? " * " : "   ", 3, a, false);
	snprintf(buf, sizeof(buf), "%s", row->sub->name);
	tui_put(y, x + 3, buf, w - 3, a, true);
	/* The mchid is right-aligned so names of any width line up. */
	if (w > 3 + 12 + (int)strlen(row->sub->sub_mchid)) {
		int mw = (int)strlen(row->sub->sub_mchid) + 1;
		int nw = text_width(row->sub->name);

		if (nw + 4 < w - 3 - mw)
			tui_put(y, x + w - mw, row->sub->sub_mchid, mw - 1,
				a | tui_attr(t, TUI_C_DIM), false);
	}
}

static void profiles_draw(struct tui *t, void *state,
			  const struct tui_rect *r, bool focused)
{
	struct profiles *P = state;
	char title[64], f[TUI_FIELD_MAX * 4 + 1];
	int fy = r->y + r->h - 2;

	P->r = *r;
	snprintf(title, sizeof(title), _("Profiles %zu"), P->nsubs);
	tui_box(t, r, title, focused);
	list_draw(&P->list, r->y + 1, draw_row, t);
	if (P->list.n == 0)
		tui_put(r->y + 1, r->x + 2, _("no sub-merchant matches"),
			r->w - 4, tui_attr(t, TUI_C_DIM), false);
	field_get(&P->filter, f, sizeof(f));
	if (!P->filtering && !f[0])
		return;
	tui_put(fy, r->x + 1, "/", 1, A_BOLD, false);
	{
		int cx = field_draw(&P->filter, fy, r->x + 2, r->w - 3,
				    P->filtering ? A_UNDERLINE : A_NORMAL);

		if (focused && P->filtering) {
			t->cur_show = true;
			t->cur_y = fy;
			t->cur_x = cx;
		}
	}
}

static void choose(struct profiles *P, struct tui *t)
{
	size_t i = P->list.sel;

	if (P->list.n == 0)
		return;
	if (!P->rows[i].sub && i + 1 < P->list.n)
		i++; /* a heading picks its first sub-merchant */
	if (!P->rows[i].sub)
		return;
	P->list.sel = i;
	tui_choose_sub(t, P->rows[i].sub);
	tui_message(t, TUI_C_NORMAL, C_("message line", "Sub-merchant: %s (%s)"),
		    P->rows[i].sub->name, P->rows[i].sub->sub_mchid);
	tui_focus(t, TUI_PANE_FORM);
}

static int profiles_key(struct tui *t, void *state, enum tui_action a,
			const struct tui_key *k)
{
	struct profiles *P = state;

	if (list_move(&P->list, a))
		return TUI_REDRAW;
	switch (a) {
	case TUI_ACT_FILTER: /* a new search, as in less and vi */
		P->filtering = true;
		field_clear(&P->filter);
		rebuild(P, t);
		return TUI_REDRAW;
	case TUI_ACT_ENTER:
		P->filtering = false;
		choose(P, t);
		return TUI_REDRAW;
	case TUI_ACT_CANCEL:
		P->filtering = false;
		field_clear(&P->filter);
		rebuild(P, t);
		return TUI_REDRAW;
	case TUI_ACT_CLICK:
	case TUI_ACT_DOUBLE_CLICK:
		if (list_click(&P->list, k->mouse_y - P->r.y - 1) &&
		    P->rows[P->list.sel].sub)
			choose(P, t);
		return TUI_REDRAW;
	default:
		break;
	}
	if (P->filtering && field_key(&P->filter, a, k))
		rebuild(P, t);
	return P->filtering ? TUI_REDRAW : TUI_NONE;
}

static void profiles_resize(struct tui *t, void *state,
			    const struct tui_rect *r)
{
	struct profiles *P = state;

	(void)t;
	P->r = *r;
	list_set_height(&P->list, r->h - 3); /* the last row holds the filter */
}

static enum tui_typing profiles_typing(const void *state)
{
	const struct profiles *P = state;

	return P->filtering ? TUI_TYPING_CODE : TUI_TYPING_NO;
}

static void profiles_done(void *state)
{
	struct profiles *P = state;

	free(P->rows);
	free(P->recent);
}

const struct tui_screen tui_profiles_screen = {
	.name = "profiles",
	.id = TUI_SCR_PROFILES,
	.ctx = TUI_CTX_PROFILES | TUI_CTX_LIST,
	.private_size = sizeof(struct profiles),
	.done = profiles_done,
	.draw = profiles_draw,
	.key = profiles_key,
	.resize = profiles_resize,
	.typing = profiles_typing,
};
