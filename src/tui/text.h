/* text: terminal-safe text. Display widths of UTF-8 strings (utf8.h), cuts
 * to N columns that never split a wide character, and neutralisation of
 * control characters and escape sequences from the network into visible
 * escapes ("\x1b"), so no received byte ever drives the terminal.
 * Strings in and out are UTF-8; returned strings are malloc'd. */
#ifndef WXREV_TUI_TEXT_H
#define WXREV_TUI_TEXT_H

#include <stddef.h>
#include <wchar.h>

/* A copy of s in which every control character, invalid byte, bidi control
 * or other unprintable character is written as a visible escape. */
char *text_sanitize(const char *s);

/* Columns s takes on the terminal, after sanitising (wx_text_width). */
int text_width(const char *s);

/* Decodes sanitised UTF-8 into at most n-1 wide characters that fit in
 * `cols` columns (a wide character that would straddle the edge is left
 * out). Returns the columns used. */
int text_fit(const char *s, int cols, wchar_t *out, size_t n);

/* Groups an order number for reading aloud: "4200 0012 3420". malloc'd. */
char *text_group(const char *order, int group);

/* Case-insensitive (ASCII) substring test that also matches CJK bytes. */
int text_contains(const char *hay, const char *needle);

#endif
