/* utf8: the one decoder, the one width and the terminal-safe escaping every
 * front end uses for network text, and the growable buffer under it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	    cmocka_unit_test(test_decoder_is_strict),
	    cmocka_unit_test(test_width_counts_columns),
	    cmocka_unit_test(test_bad_bytes_escaped_or_replaced),
	    cmocka_unit_test(test_buf_grows_and_hands_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
