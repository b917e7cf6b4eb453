/* Display width, fitting and neutralising of text for the terminal. */
#include "tui/text.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

/* What the terminal's locale cannot print is escaped too. */
static int unprintable(uint32_t cp)
{
	return wcwidth((wchar_t)cp) < 0;
}

char *text_sanitize(const char *s)
{
	return wx_text_escape(s, unprintable);
}

int text_fit(const char *s, int cols, wchar_t *out, size_t n)
{
	size_t len = strlen(s), i = 0, o = 0;
	int used = 0;

	while (i < len && o + 1 < n) {
		uint32_t c;
		size_t k = wx_utf8_decode(s + i, len - i, &c);
		int w = wx_cp_width(c);

		if (k == 0)
			break; /* callers pass sanitised text */
		if (used + w > cols)
			break;
		out[o++] = (wchar_t)c;
		used += w;
		i += k;
	}
	out[o] = L'\0';
	return used;
}

int text_width(const char *s)
{
	char *safe = text_sanitize(s);
	int cols = wx_text_width(safe);

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
