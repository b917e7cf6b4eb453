/* utf8: the one home of text rules. Strict UTF-8 decoding, the display
 * width of a string, and the two ways text that is not clean UTF-8 is made
 * safe: visible escapes for a terminal (\xff, \x1b, \u202e) or U+FFFD for
 * stored text and exports. Widths come from a table, not the locale, so a
 * table export lines up the same under every LANG.
 * Strings in and out are UTF-8; returned strings are malloc'd. */
#ifndef WXREV_UTF8_H
#define WXREV_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

/* Decodes the character at s, reading at most n bytes. Strict: overlong
 * forms, surrogates, values past U+10FFFF and truncated sequences are
 * invalid. Returns its length in bytes, or 0 when invalid (then *cp is
 * U+FFFD, so a caller that replaces bad bytes steps one byte on). */
size_t wx_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* C0 and C1 controls and DEL: written raw they drive a terminal. */
int wx_cp_control(uint32_t cp);

/* Invisible and direction-changing code points: U+200B-U+200F,
 * U+202A-U+202E, U+2028/2029, U+2066-U+2069, U+FEFF and the tag characters
 * U+E0000-U+E007F. Written raw they hide text or reorder what is shown. */
int wx_cp_invisible(uint32_t cp);

/* Columns one code point takes: 2 for CJK, full-width forms and emoji, 0
 * for combining marks and zero-width characters, 1 otherwise. */
int wx_cp_width(uint32_t cp);

/* Columns s takes; an invalid byte counts as the U+FFFD shown for it. */
int wx_text_width(const char *s);

/* Characters in s: bytes that do not continue a UTF-8 sequence. What a
 * trigram index counts, so "订单" is two, not six. */
size_t wx_utf8_chars(const char *s);

/* What becomes of text that is not valid UTF-8 or holds controls. */
enum wx_text_bad {
	/* Shown for a person on a terminal: invalid bytes and control
	 * characters become visible escapes (wx_text_escape). */
	WX_TEXT_ESCAPE,
	/* Kept as data: each invalid byte becomes U+FFFD, the rest stays. */
	WX_TEXT_REPLACE,
	/* A text export (CSV): invalid bytes become U+FFFD; controls other
	 * than tab and line breaks and the invisible characters become the
	 * escapes the terminal shows (\x1b, \u202e), and a backslash is
	 * written \\ so text cannot fake an escape. */
	WX_TEXT_EXPORT,
};

/* Text from the network made safe for a terminal: control characters (C0,
 * DEL, C1), bidi overrides and line separators become visible escapes
 * (\x1b, \u202e), and so does every byte of invalid UTF-8; valid text,
 * Chinese included, is kept. `unsafe` (may be NULL) marks further code
 * points to escape, e.g. ones the terminal cannot print. malloc'd. */
char *wx_text_escape(const char *s, int (*unsafe)(uint32_t cp));

/* A valid UTF-8 copy of s, cleaned as `bad` says. malloc'd. */
char *wx_text_clean(const char *s, enum wx_text_bad bad);

/* A JSON string of s (JSON null for NULL); text that is not UTF-8 is
 * cleaned as `bad` says: the CLI escapes it so a person can read the bytes,
 * the history export writes U+FFFD so the value stays data. New ref. */
json_t *wx_json_text(const char *s, enum wx_text_bad bad);

/* Appends JSON text with DEL, the C1 controls (U+0080-U+009F) and the
 * invisible characters (wx_cp_invisible) written as \u escapes: jansson
 * leaves them raw, a terminal may obey C1 CSI, and a bidi override would
 * reorder the line. A parser reads the same values back. */
void wx_buf_put_json_safe(struct wx_buf *b, const char *json);

/* The rule for a note kept with a reversal (CLI --note, a list's note
 * column, the form): at most WX_NOTE_MAX characters of valid UTF-8 without
 * control characters (invisible ones are kept, and shown escaped). -1 with a
 * message naming the problem, its position (1-based, in characters) and the
 * fix. */
#define WX_NOTE_MAX 256
int wx_note_check(const char *note, struct wx_err *err);

#endif
