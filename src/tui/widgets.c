/* List and text-field widgets, and width-aware text output. */
#include "tui/widgets.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "tui/text.h"
#include "utf8.h"

/* Whether the fitted wide text w holds less than all of s. */
static bool cut_short(const char *s, const wchar_t *w)
{
	size_t all = mbstowcs(NULL, s, 0);

	return all != (size_t)-1 && wcslen(w) < all;
}

int tui_put(int y, int x, const char *s, int cols, attr_t attr, bool pad)
{
	char *safe;
	wchar_t *w;
	size_t n;
	int used;

	if (cols <= 0)
		return 0;
	safe = text_sanitize(s ? s : "");
	n = strlen(safe) + 2;
	w = wx_xcalloc(n, sizeof(*w));
	used = text_fit(safe, cols, w, n);
	if (cut_short(safe, w) && cols > 1) {
		/* Cut text says so: its last column becomes "…". */
		used = text_fit(safe, cols - 1, w, n - 1);
		wcscat(w, L"\u2026");
		used++;
	}
	attron(attr);
	mvaddwstr(y, x, w);
	if (pad)
		for (int i = used; i < cols; i++)
			addch(' ');
	attroff(attr);
	free(w);
	free(safe);
	return pad ? cols : used;
}

static void list_clamp(struct tui_list *l)
{
	size_t h = l->height > 0 ? (size_t)l->height : 1;

	if (l->n == 0) {
		l->sel = l->top = 0;
		return;
	}
	if (l->sel >= l->n)
		l->sel = l->n - 1;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + h)
		l->top = l->sel - h + 1;
	if (l->top + h > l->n)
		l->top = l->n > h ? l->n - h : 0;
}

bool list_move(struct tui_list *l, enum tui_action a)
{
	size_t old = l->sel;
	size_t page = l->height > 1 ? (size_t)l->height - 1 : 1;

	if (l->n == 0)
		return false;
	switch (a) {
	case TUI_ACT_UP:
		if (l->sel > 0)
			l->sel--;
		break;
	case TUI_ACT_DOWN:
		l->sel++;
		break;
	case TUI_ACT_PAGE_UP:
		l->sel = l->sel > page ? l->sel - page : 0;
		break;
	case TUI_ACT_PAGE_DOWN:
		l->sel += page;
		break;
	case TUI_ACT_TOP:
		l->sel = 0;
		break;
	case TUI_ACT_BOTTOM:
		l->sel = l->n - 1;
		break;
	default:
		return false;
	}
	list_clamp(l);
	if (l->sel != old)
		l->dirty = true;
	return l->sel != old;
}

void list_set_count(struct tui_list *l, size_t n)
{
	l->n = n;
	list_clamp(l);
	l->dirty = true;
}

void list_set_height(struct tui_list *l, int height)
{
	l->height = height > 0 ? height : 1;
	/* When the selection fits from the first row, show the first rows:
	 * a list grown back after a resize hides none of its newest. */
	if (l->sel < (size_t)l->height)
		l->top = 0;
	list_clamp(l);
	l->dirty = true;
}

bool list_click(struct tui_list *l, int row)
{
	if (row < 0 || l->top + (size_t)row >= l->n)
		return false;
	l->sel = l->top + (size_t)row;
	l->dirty = true;
	return true;
}

void list_draw(struct tui_list *l, int y,
	       void (*draw_row)(void *ctx, size_t i, int y, bool selected),
	       void *ctx)
{
	list_clamp(l);
	for (int r = 0; r < l->height; r++) {
		size_t i = l->top + (size_t)r;

		if (i >= l->n)
			break;
		draw_row(ctx, i, y + r, i == l->sel);
	}
	l->dirty = false;
}

static size_t field_limit(const struct tui_field *f)
{
	return f->max && f->max < TUI_FIELD_MAX ? f->max : TUI_FIELD_MAX;
}

static bool field_put_char(struct tui_field *f, wchar_t c)
{
	if (f->len >= field_limit(f))
		return false;
	memmove(&f->text[f->cur + 1], &f->text[f->cur],
		(f->len - f->cur + 1) * sizeof(wchar_t));
	f->text[f->cur++] = c;
	f->len++;
	return true;
}

static bool field_delete_at(struct tui_field *f, size_t at)
{
	if (at >= f->len)
		return false;
	memmove(&f->text[at], &f->text[at + 1],
		(f->len - at) * sizeof(wchar_t));
	f->len--;
	return true;
}

bool field_key(struct tui_field *f, enum tui_action a, const struct tui_key *k)
{
	switch (a) {
	case TUI_ACT_LEFT:
		if (f->cur > 0)
			f->cur--;
		return false;
	case TUI_ACT_RIGHT:
		if (f->cur < f->len)
			f->cur++;
		return false;
	case TUI_ACT_HOME:
		f->cur = 0;
		return false;
	case TUI_ACT_END:
		f->cur = f->len;
		return false;
	case TUI_ACT_BACKSPACE:
		if (f->cur == 0)
			return false;
		f->cur--;
		return field_delete_at(f, f->cur);
	case TUI_ACT_DELETE:
		return field_delete_at(f, f->cur);
	case TUI_ACT_CLEAR:
		field_clear(f);
		return true;
	case TUI_ACT_PASTE:
		field_insert(f, k->paste);
		return true;
	case TUI_ACT_NONE:
		if (k->fkey || k->ch < 0x20 || k->ch == 0x7f || !iswprint(k->ch))
			return false;
		return field_put_char(f, (wchar_t)k->ch);
	default:
		return false;
	}
}

void field_insert(struct tui_field *f, const char *utf8)
{
	size_t len = utf8 ? strlen(utf8) : 0, i = 0;

	while (i < len) {
		uint32_t cp;
		size_t k = wx_utf8_decode(utf8 + i, len - i, &cp);
		wchar_t c = (wchar_t)cp;

		if (k == 0) {
			i++;
			continue;
		}
		i += k;
		if (c == L'\n' || c == L'\r' || c == L'\t')
			c = L' ';
		if (c < 0x20 || c == 0x7f || !iswprint((wint_t)c))
			continue;
		field_put_char(f, c);
	}
}

void field_clear(struct tui_field *f)
{
	f->len = f->cur = f->first = 0;
	f->text[0] = L'\0';
}

void field_set(struct tui_field *f, const char *utf8)
{
	field_clear(f);
	field_insert(f, utf8);
}

void field_get(const struct tui_field *f, char *buf, size_t n)
{
	mbstate_t st;
	size_t o = 0;

	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < f->len; i++) {
		char mb[MB_LEN_MAX];
		size_t k = wcrtomb(mb, f->text[i], &st);

		if (k == (size_t)-1 || o + k + 1 > n)
			break;
		memcpy(buf + o, mb, k);
		o += k;
	}
	if (n)
		buf[o] = '\0';
}

static int wcols(wchar_t c)
{
	return wx_cp_width((uint32_t)c);
}

/* Scrolls so the cursor stays inside `cols` columns. */
static void field_scroll(struct tui_field *f, int cols)
{
	int used = 0;

	if (f->cur < f->first)
		f->first = f->cur;
	for (size_t i = f->first; i < f->cur; i++)
		used += wcols(f->text[i]);
	while (used >= cols && f->first < f->cur) {
		used -= wcols(f->text[f->first]);
		f->first++;
	}
}

int field_draw(struct tui_field *f, int y, int x, int cols, attr_t attr)
{
	int used = 0, cursor = x;

	field_scroll(f, cols);
	attron(attr);
	move(y, x);
	for (size_t i = f->first; i < f->len; i++) {
		int w = wcols(f->text[i]);
		wchar_t one[2] = {f->text[i], L'\0'};

		if (used + w > cols)
			break;
		if (i == f->cur)
			cursor = x + used;
		addwstr(one);
		used += w;
	}
	if (f->cur >= f->len)
		cursor = x + used;
	for (; used < cols; used++)
		addch(' ');
	attroff(attr);
	return cursor < x + cols ? cursor : x + cols - 1;
}

/* Whether a row may end between a and b: after a space, or beside a wide
 * (CJK) character, but not inside a word of narrow ones (out_trade_no)
 * nor before closing or after opening punctuation. */
static bool may_break(wchar_t a, wchar_t b)
{
	if (a == L' ')
		return true;
	if (!a || !b || wcschr(L"，。、：；！？）」』】》…", b) ||
	    wcschr(L"（「『【《", a))
		return false;
	return wx_cp_width((uint32_t)a) == 2 || wx_cp_width((uint32_t)b) == 2;
}

/* Moves a line break that would split a word (next: the character after
 * the piece) back to the last place where a row may end, when there is
 * one past its first quarter; returns the bytes kept (w is cut to
 * match). */
static size_t word_cut(wchar_t *w, size_t bytes, wchar_t next)
{
	size_t n = wcslen(w), i = n - 1;

	if (n == 0 || may_break(w[n - 1], next))
		return bytes;
	while (i > n / 4 && !may_break(w[i - 1], w[i]))
		i--;
	if (i <= n / 4)
		return bytes;
	w[i] = L'\0';
	return wcstombs(NULL, w, 0);
}

size_t tui_cut_escape(const char *p, size_t bytes)
{
	for (size_t k = bytes > 9 ? bytes - 9 : 0; k < bytes; k++) {
		size_t len = 0;

		if (p[k] != '\\')
			continue;
		if (p[k + 1] == 'x')
			len = 4; /* \x1b */
		else if (p[k + 1] == 'u')
			len = 6; /* \u202e */
		if (len && k + len > bytes && k > 0)
			return k;
	}
	return bytes;
}

/* The bytes of p that fill its next row of cols columns: cut between
 * words where it can, never inside a visible escape; w holds the row's
 * characters. 0 when nothing is left or fits. */
static size_t wrap_row(const char *p, int cols, wchar_t *w, size_t len)
{
	size_t bytes;

	text_fit(p, cols, w, len);
	bytes = wcstombs(NULL, w, 0);
	if (bytes == (size_t)-1 || bytes == 0)
		return 0;
	if (p[bytes] && p[bytes] != ' ') {
		wchar_t next = 0;

		if (mbtowc(&next, p + bytes, MB_CUR_MAX) <= 0)
			next = 0;
		bytes = word_cut(w, bytes, next);
	}
	if (p[bytes] && tui_cut_escape(p, bytes) != bytes) {
		/* A visible escape is never split across rows. */
		char *piece = wx_xstrndup(p, tui_cut_escape(p, bytes));

		bytes = strlen(piece);
		mbstowcs(w, piece, len);
		free(piece);
	}
	return bytes;
}

/* Lays text out in rows of cols columns and draws rows [skip, skip +
 * rows) of them from y; the last drawn row ends in "…" when text is left
 * and `ellipsis`. Returns the rows the whole text takes. */
static int wrap_draw(int y, int x, const char *s, int cols, int skip, int rows,
		     bool ellipsis, attr_t attr)
{
	char *safe = text_sanitize(s ? s : "");
	size_t len = strlen(safe) + 2;
	wchar_t *w = wx_xcalloc(len, sizeof(*w));
	const char *p = safe;
	int n = 0;

	while (*p && cols > 0) {
		size_t bytes = wrap_row(p, cols, w, len);

		if (!bytes)
			break;
		if (n >= skip && n < skip + rows) {
			if (ellipsis && n == skip + rows - 1 && p[bytes] &&
			    cols > 1) {
				/* The last row, and text left over. */
				text_fit(p, cols - 1, w, len);
				wcscat(w, L"\u2026");
			}
			attron(attr);
			mvaddwstr(y + n - skip, x, w);
			attroff(attr);
		}
		n++;
		if (ellipsis && n >= skip + rows)
			break;
		p += bytes;
		while (*p == ' ')
			p++;
	}
	free(w);
	free(safe);
	return n;
}

int tui_put_wrapped(int y, int x, const char *s, int cols, int rows,
		    attr_t attr)
{
	int used = wrap_draw(y, x, s, cols, 0, rows, true, attr);

	return used ? used : 1;
}

int tui_put_wrapped_rows(int y, int x, const char *s, int cols, int skip,
			 int rows, attr_t attr)
{
	int n = wrap_draw(y, x, s, cols, skip, rows, false, attr);

	return n ? n : 1;
}
