/* Display width, fitting and neutralising of text for the terminal. */
#include "tui/text.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Characters that must never reach the terminal as themselves. */
static bool unsafe_cp(wchar_t c)
{
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
		return true;
	if ((c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069))
		return true; /* bidi controls can reorder what is shown */
	return wcwidth(c) < 0;
}

static void escape_cp(struct wx_buf *b, wchar_t c)
{
	if (c < 0x100)
		wx_buf_printf(b, "\\x%02x", (unsigned)c);
	else
		wx_buf_printf(b, "\\u%04x", (unsigned)c);
}

char *text_sanitize(const char *s)
{
	struct wx_buf b = {0};
	mbstate_t st;
	size_t len = s ? strlen(s) : 0;
	size_t i = 0;

	memset(&st, 0, sizeof(st));
	wx_buf_puts(&b, "");
	while (i < len) {
		wchar_t c;
		size_t k = mbrtowc(&c, s + i, len - i, &st);

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			wx_buf_printf(&b, "\\x%02x", (unsigned char)s[i]);
			memset(&st, 0, sizeof(st));
			i++;
			continue;
		}
		if (unsafe_cp(c))
			escape_cp(&b, c);
		else
			wx_buf_append(&b, s + i, k);
		i += k;
	}
	return wx_buf_take(&b);
}

int text_fit(const char *s, int cols, wchar_t *out, size_t n)
{
	mbstate_t st;
	size_t len = strlen(s), i = 0, o = 0;
	int used = 0;

	memset(&st, 0, sizeof(st));
	while (i < len && o + 1 < n) {
		wchar_t c;
		size_t k = mbrtowc(&c, s + i, len - i, &st);
		int w;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
			break; /* callers pass sanitised text */
		w = wcwidth(c);
		if (w < 0)
			w = 1;
		if (used + w > cols)
			break;
		out[o++] = c;
		used += w;
		i += k;
	}
	out[o] = L'\0';
	return used;
}

int text_width(const char *s)
{
	char *safe = text_sanitize(s);
	size_t n = strlen(safe) + 1;
	wchar_t *w = wx_xcalloc(n, sizeof(*w));
	int cols = text_fit(safe, 1 << 30, w, n);

	free(w);
	free(safe);
	return cols;
}

char *text_group(const char *order, int group)
{
	struct wx_buf b = {0};
	size_t len = strlen(order);

	wx_buf_puts(&b, "");
	for (size_t i = 0; i < len; i++) {
		if (i && group > 0 && i % (size_t)group == 0)
			wx_buf_puts(&b, " ");
		wx_buf_append(&b, order + i, 1);
	}
	return wx_buf_take(&b);
}

int text_contains(const char *hay, const char *needle)
{
	size_t hn, nn;

	if (!needle || !*needle)
		return 1;
	if (!hay)
		return 0;
	hn = strlen(hay);
	nn = strlen(needle);
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t j = 0;

		while (j < nn && tolower((unsigned char)hay[i + j]) ==
					 tolower((unsigned char)needle[j]))
			j++;
		if (j == nn)
			return 1;
	}
	return 0;
}
