/* utf8: the one decoder, the one width and the terminal-safe escaping every
 * front end uses for network text, and the growable buffer under it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static void expect_escape(const char *in, const char *want)
{
	char *got = wx_text_escape(in, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void test_controls_become_visible(void **state)
{
	(void)state;
	/* OSC 52 clipboard write, clear screen, colour, CR/LF, BEL. */
	expect_escape("\x1b]52;c;ZXZpbA==\a\x1b[2J\x1b[31mred\r\nx",
		      "\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x1b[31mred\\x0d\\x0ax");
	expect_escape("del\x7f", "del\\x7f");
	/* C1 CSI (U+009B) is as dangerous as ESC [ on many terminals. */
	expect_escape("a\xc2\x9b" "1m", "a\\x9b1m");
}

static void test_reordering_and_invalid_bytes(void **state)
{
	(void)state;
	/* A right-to-left override could make "abc" read as "cba". */
	expect_escape("\xe2\x80\xae" "abc", "\\u202eabc");
	expect_escape("x\xe2\x80\xa8y", "x\\u2028y");
	/* Invalid UTF-8: a lone continuation, an overlong '/', a truncated
	 * sequence, a surrogate; each byte shown, nothing swallowed. */
	expect_escape("\x80", "\\x80");
	expect_escape("\xc0\xaf", "\\xc0\\xaf");
	expect_escape("\xe4\xb8", "\\xe4\\xb8");
	expect_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
}

static void test_text_is_kept(void **state)
{
	(void)state;
	expect_escape("订单不存在 ORDER_NOT_EXIST", "订单不存在 ORDER_NOT_EXIST");
	expect_escape("", "");
	expect_escape(NULL, "");
}

static int no_digits(uint32_t cp)
{
	return cp >= '0' && cp <= '9';
}

static void test_caller_can_escape_more(void **state)
{
	char *got = wx_text_escape("a1\xe4\xb8\xad", no_digits);

	(void)state;
	assert_string_equal(got, "a\\x31中");
	free(got);
}

static void test_json_keeps_c1_out(void **state)
{
	struct wx_buf b = {0};

	(void)state;
	/* What jansson leaves raw: DEL and U+009B (C1 CSI). */
	wx_buf_put_json_safe(&b, "{\"m\":\"a\x7f\xc2\x9b" "1m\xc2\xa9\"}");
	assert_string_equal(b.data, "{\"m\":\"a\\u007f\\u009b1m\xc2\xa9\"}");
	wx_buf_free(&b);
}

/* Every invisible or direction-changing character, in every output: the
 * terminal escape, the CSV export and JSON (where it stays the same value
 * once parsed). */
static void test_invisible_characters_escaped_everywhere(void **state)
{
	static const struct {
		const char *raw, *shown, *json;
	} cases[] = {
	    {"\xe2\x80\x8b", "\\u200b", "\\u200b"}, /* zero-width space */
	    {"\xe2\x80\x8d", "\\u200d", "\\u200d"}, /* zero-width joiner */
	    {"\xe2\x80\x8f", "\\u200f", "\\u200f"}, /* right-to-left mark */
	    {"\xe2\x80\xaa", "\\u202a", "\\u202a"}, /* LR embedding */
	    {"\xe2\x80\xae", "\\u202e", "\\u202e"}, /* RL override */
	    {"\xe2\x80\xa9", "\\u2029", "\\u2029"}, /* paragraph separator */
	    {"\xe2\x81\xa6", "\\u2066", "\\u2066"}, /* LR isolate */
	    {"\xe2\x81\xa9", "\\u2069", "\\u2069"}, /* pop isolate */
	    {"\xef\xbb\xbf", "\\ufeff", "\\ufeff"}, /* BOM */
	    {"\xf3\xa0\x80\x81", "\\ue0001", "\\udb40\\udc01"}, /* tag */
	    {"\xf3\xa0\x81\xbf", "\\ue007f", "\\udb40\\udc7f"}, /* cancel tag */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[32], want[64], *got;
		struct wx_buf b = {0};

		snprintf(in, sizeof(in), "A%sB", cases[i].raw);
		snprintf(want, sizeof(want), "A%sB", cases[i].shown);
		expect_escape(in, want);
		got = wx_text_clean(in, WX_TEXT_EXPORT);
		assert_string_equal(got, want);
		free(got);
		snprintf(in, sizeof(in), "\"A%sB\"", cases[i].raw);
		snprintf(want, sizeof(want), "\"A%sB\"", cases[i].json);
		wx_buf_put_json_safe(&b, in);
		assert_string_equal(b.data, want);
		wx_buf_free(&b);
	}
	/* Neighbours are text: U+200A hair space, U+2030 per mille, U+E0080. */
	expect_escape("\xe2\x80\x8a\xe2\x80\xb0\xf3\xa0\x82\x80",
		      "\xe2\x80\x8a\xe2\x80\xb0\xf3\xa0\x82\x80");
}

/* An export escapes a backslash, so text cannot pass for an escape; tab
 * and line breaks stay (CSV quotes them), other controls are escaped and
 * bad bytes are U+FFFD. */
static void test_export_escapes_cannot_be_faked(void **state)
{
	char *got = wx_text_clean(
	    "\\u202e is not \xe2\x80\xae\t\r\n\x1b[2J\xff", WX_TEXT_EXPORT);

	(void)state;
	assert_string_equal(got, "\\\\u202e is not \\u202e\t\r\n\\x1b[2J"
				 "\xef\xbf\xbd");
	free(got);
}

static void expect_decode(const char *s, size_t n, size_t len, uint32_t cp)
{
	uint32_t got = 0;

	assert_int_equal(wx_utf8_decode(s, n, &got), len);
	assert_int_equal(got, cp);
}

static void test_decoder_is_strict(void **state)
{
	(void)state;
	expect_decode("a", 1, 1, 'a');
	expect_decode("\xc2\xa9", 2, 2, 0xa9);
	expect_decode("\xe4\xb8\xad", 3, 3, 0x4e2d);
	expect_decode("\xf0\x9f\x9a\x80", 4, 4, 0x1f680);
	/* Overlong '/', overlong 3-byte, a surrogate, past U+10FFFF, a lone
	 * continuation, and a sequence cut by the length given: all U+FFFD. */
	expect_decode("\xc0\xaf", 2, 0, 0xfffd);
	expect_decode("\xe0\x80\xaf", 3, 0, 0xfffd);
	expect_decode("\xed\xa0\x80", 3, 0, 0xfffd);
	expect_decode("\xf4\x90\x80\x80", 4, 0, 0xfffd);
	expect_decode("\x80", 1, 0, 0xfffd);
	expect_decode("\xe4\xb8\xad", 2, 0, 0xfffd);
	expect_decode("", 0, 0, 0xfffd);
}

static void test_width_counts_columns(void **state)
{
	(void)state;
	assert_int_equal(wx_text_width("abc"), 3);
	assert_int_equal(wx_text_width("\xe4\xb8\xad\xe6\x96\x87"), 4);
	assert_int_equal(wx_text_width("\xef\xbc\xa1"), 2);     /* full-width A */
	assert_int_equal(wx_text_width("e\xcc\x81"), 1);       /* e + acute */
	assert_int_equal(wx_text_width("\xf0\x9f\x9a\x80"), 2); /* rocket */
	/* An invalid byte is one U+FFFD, one column. */
	assert_int_equal(wx_text_width("a\xff" "b"), 3);
	assert_int_equal(wx_text_width(NULL), 0);
}

/* Characters, not bytes: what decides whether a filter has a trigram. */
static void test_chars_count_characters(void **state)
{
	(void)state;
	assert_int_equal(wx_utf8_chars(""), 0);
	assert_int_equal(wx_utf8_chars("abc"), 3);
	assert_int_equal(wx_utf8_chars("\xe8\xae\xa2"), 1);	/* 订 */
	assert_int_equal(wx_utf8_chars("\xe8\xae\xa2\xe5\x8d\x95"), 2); /* 订单 */
	assert_int_equal(wx_utf8_chars("\xf0\x9f\x9a\x80x"), 2);
}

static void test_bad_bytes_escaped_or_replaced(void **state)
{
	char *esc = wx_text_clean("a\xff" "b\x1b", WX_TEXT_ESCAPE);
	char *rep = wx_text_clean("a\xff" "b\x1b", WX_TEXT_REPLACE);
	json_t *j;

	(void)state;
	/* For a person: the bytes shown; as data: U+FFFD, controls kept. */
	assert_string_equal(esc, "a\\xffb\\x1b");
	assert_string_equal(rep, "a\xef\xbf\xbd" "b\x1b");
	free(esc);
	free(rep);
	j = wx_json_text("x\xc0", WX_TEXT_ESCAPE);
	assert_string_equal(json_string_value(j), "x\\xc0");
	json_decref(j);
	j = wx_json_text("x\xc0", WX_TEXT_REPLACE);
	assert_string_equal(json_string_value(j), "x\xef\xbf\xbd");
	json_decref(j);
	j = wx_json_text(NULL, WX_TEXT_REPLACE);
	assert_true(json_is_null(j));
	json_decref(j);
}

static void test_buf_grows_and_hands_over(void **state)
{
	struct wx_buf b = {0};
	char *s;

	(void)state;
	for (int i = 0; i < 1000; i++)
		wx_buf_printf(&b, "%03d", i);
	assert_int_equal(b.len, 3000);
	assert_memory_equal(b.data + 2997, "999", 4);
	s = wx_buf_take(&b);
	assert_null(b.data);
	assert_int_equal(strlen(s), 3000);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_controls_become_visible),
	    cmocka_unit_test(test_reordering_and_invalid_bytes),
	    cmocka_unit_test(test_text_is_kept),
	    cmocka_unit_test(test_caller_can_escape_more),
	    cmocka_unit_test(test_json_keeps_c1_out),
	    cmocka_unit_test(test_invisible_characters_escaped_everywhere),
	    cmocka_unit_test(test_export_escapes_cannot_be_faked),
	    cmocka_unit_test(test_decoder_is_strict),
	    cmocka_unit_test(test_width_counts_columns),
	    cmocka_unit_test(test_chars_count_characters),
	    cmocka_unit_test(test_bad_bytes_escaped_or_replaced),
	    cmocka_unit_test(test_buf_grows_and_hands_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
