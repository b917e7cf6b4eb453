/* utf8: strict decoding, display width and cleaning of UTF-8 text. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"

size_t wx_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;
	uint32_t v;
	uint32_t min;

	*cp = 0xFFFD;
	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2, v = s[0] & 0x1F, min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3, v = s[0] & 0x0F, min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4, v = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

/* The character at the front of a NUL-terminated string; an invalid byte
 * is one U+FFFD. Returns the bytes it takes. */
static size_t next_cp(const char *s, uint32_t *cp)
{
	size_t k = wx_utf8_decode(s, strnlen(s, 4), cp);

	return k ? k : 1;
}

struct range {
	uint32_t lo, hi;
};

static const struct range zero_width[] = {
    {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200D},
    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
};

static const struct range double_width[] = {
    {0x1100, 0x115F},	{0x2E80, 0xA4CF},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},	{0xFE30, 0xFE4F},   {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6},	{0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF},
    {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x3FFFD},
};

static int in_ranges(uint32_t c, const struct range *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c >= r[i].lo && c <= r[i].hi)
			return 1;
	}
	return 0;
}

int wx_cp_width(uint32_t c)
{
	if (in_ranges(c, zero_width, WX_ARRAY_LEN(zero_width)))
		return 0;
	if (in_ranges(c, double_width, WX_ARRAY_LEN(double_width)))
		return 2;
	return 1;
}

size_t wx_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

int wx_text_width(const char *s)
{
	int cols = 0;

	while (s && *s) {
		uint32_t c;

		s += next_cp(s, &c);
		cols += wx_cp_width(c);
	}
	return cols;
}

int wx_cp_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

int wx_cp_invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0xfeff || (c >= 0xe0000 && c <= 0xe007f);
}

/* Code points that can move the cursor, recolour, reorder, hide or clear
 * what a terminal shows. */
static int control_cp(uint32_t c)
{
	return wx_cp_control(c) || wx_cp_invisible(c);
}

/* The visible escape for c: \xNN below U+0100, \uNNNN (or more digits)
 * above; the same in every output that shows one. */
static void put_escape(struct wx_buf *b, uint32_t c)
{
	if (c < 0x100)
		wx_buf_printf(b, "\\x%02x", (unsigned)c);
	else
		wx_buf_printf(b, "\\u%04x", (unsigned)c);
}

/* Whether clean() writes c as an escape in mode `bad`. */
static int escaped_cp(uint32_t c, enum wx_text_bad bad,
		      int (*unsafe)(uint32_t cp))
{
	if (bad == WX_TEXT_ESCAPE)
		return control_cp(c) || (unsafe && unsafe(c));
	if (bad == WX_TEXT_EXPORT)
		return wx_cp_invisible(c) || (wx_cp_control(c) && c != '\t' &&
					      c != '\r' && c != '\n');
	return 0;
}

/* A valid copy of s. Bad bytes become \xNN (escape) or U+FFFD (replace,
 * export); the code points escaped_cp names become \xNN or \uNNNN, and
 * for an export a backslash is doubled so no escape can be faked. */
static char *clean(const char *s, enum wx_text_bad bad,
		   int (*unsafe)(uint32_t cp))
{
	struct wx_buf b = {0};
	const char *p = s ? s : "";

	wx_buf_puts(&b, "");
	while (*p) {
		uint32_t c = 0;
		size_t n = wx_utf8_decode(p, strnlen(p, 4), &c);

		if (n == 0 && bad == WX_TEXT_ESCAPE) {
			wx_buf_printf(&b, "\\x%02x", (unsigned char)*p++);
			continue;
		}
		if (n == 0) {
			wx_buf_puts(&b, "\xef\xbf\xbd");
			p++;
			continue;
		}
		if (escaped_cp(c, bad, unsafe))
			put_escape(&b, c);
		else if (c == '\\' && bad == WX_TEXT_EXPORT)
			wx_buf_puts(&b, "\\\\");
		else
			wx_buf_append(&b, p, n);
		p += n;
	}
	return wx_buf_take(&b);
}

char *wx_text_escape(const char *s, int (*unsafe)(uint32_t cp))
{
	return clean(s, WX_TEXT_ESCAPE, unsafe);
}

char *wx_text_clean(const char *s, enum wx_text_bad bad)
{
	return clean(s, bad, NULL);
}

json_t *wx_json_text(const char *s, enum wx_text_bad bad)
{
	json_t *j;
	char *valid;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	valid = wx_text_clean(s, bad);
	j = json_string(valid);
	free(valid);
	return j ? j : json_null();
}

/* c as JSON \u escapes: a surrogate pair above U+FFFF. */
static void put_json_escape(struct wx_buf *b, uint32_t c)
{
	if (c <= 0xffff) {
		wx_buf_printf(b, "\\u%04x", (unsigned)c);
		return;
	}
	c -= 0x10000;
	wx_buf_printf(b, "\\u%04x\\u%04x", (unsigned)(0xd800 + (c >> 10)),
		      (unsigned)(0xdc00 + (c & 0x3ff)));
}

void wx_buf_put_json_safe(struct wx_buf *b, const char *s)
{
	while (s && *s) {
		uint32_t c = 0;
		size_t n = wx_utf8_decode(s, strnlen(s, 4), &c);

		if (n == 0) { /* not from jansson, which writes UTF-8 */
			wx_buf_append(b, s++, 1);
			continue;
		}
		/* Outside strings JSON is ASCII without these, so every one
		 * met is inside a string, where the escape means the same. */
		if (c == 0x7f || (c >= 0x80 && c <= 0x9f) || wx_cp_invisible(c))
			put_json_escape(b, c);
		else
			wx_buf_append(b, s, n);
		s += n;
	}
}

int wx_note_check(const char *note, struct wx_err *err)
{
	const char *p = note ? note : "";
	size_t chars = 0;

	while (*p) {
		uint32_t c = 0;
		size_t n = wx_utf8_decode(p, strnlen(p, 4), &c);

		chars++;
		if (n == 0)
			return wx_err_set(err,
					  _("the note is not valid UTF-8 at "
					    "character %zu (byte 0x%02X): "
					    "retype it"),
					  chars, (unsigned)(unsigned char)*p);
		if (wx_cp_control(c))
			return wx_err_set(err,
					  _("the note has a control character "
					    "(U+%04X) at character %zu: a note "
					    "is one line of plain text; remove "
					    "it"),
					  (unsigned)c, chars);
		p += n;
	}
	if (chars > WX_NOTE_MAX)
		return wx_err_set(err,
				  _("the note is %zu characters long, more "
				    "than the %d allowed: shorten it (a "
				    "ticket number or a short reason)"),
				  chars, WX_NOTE_MAX);
	return 0;
}
