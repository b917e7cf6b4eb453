/* orderlist: a ticket's list of orders, as an operator pastes or exports
 * it: every bad line named by its number, repeats kept once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "orderlist.h"

static void parse(const char *text, struct orderlist *l, int want_rc)
{
	assert_int_equal(orderlist_parse("t.txt", text, strlen(text), l),
			 want_rc);
}

/* Sub-merchants "A" (key 1) and "B" (key 2); "1" and "2" are their ids. */
static const void *resolve(void *ctx, const char *sub, const char **key,
			   struct wx_err *err)
{
	static const char *const keys[] = {"1", "2"};

	(void)ctx;
	if (!sub || strcmp(sub, "A") == 0 || strcmp(sub, "1") == 0) {
		*key = keys[0];
		return keys[0];
	}
	if (strcmp(sub, "B") == 0 || strcmp(sub, "2") == 0) {
		*key = keys[1];
		return keys[1];
	}
	wx_err_set(err, "no sub-merchant \"%s\"", sub);
	return NULL;
}

static void test_one_per_line_with_bom_crlf_comments(void **state)
{
	struct orderlist l;

	(void)state;
	parse("\xef\xbb\xbf# ticket 4711\r\n"
	      "ORDER-0001\r\n"
	      "\r\n"
	      "  ORDER-0002  \r\n"
	      "ORDER-0003 # the second charge\r\n"
	      "ORDER-0004",
	      &l, 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].out_trade_no, "ORDER-0001");
	assert_int_equal(l.v[0].line, 2);
	assert_string_equal(l.v[1].out_trade_no, "ORDER-0002");
	assert_int_equal(l.v[1].line, 4);
	assert_string_equal(l.v[2].out_trade_no, "ORDER-0003");
	assert_string_equal(l.v[3].out_trade_no, "ORDER-0004");
	assert_null(l.v[0].sub);
	assert_null(l.v[0].note);
	assert_int_equal(l.nproblems, 0);
	orderlist_free(&l);
}

static void test_every_bad_line_is_named(void **state)
{
	struct orderlist l;

	(void)state;
	parse("GOOD-0001\n"
	      "bad order\n"
	      "GOOD-0002\n"
	      "ORDER-0123456789-0123456789-0123456789\n"
	      "ORDER\x1b[2J\n"
	      "\xff\xfe\n"
	      "ABC12\n",
	      &l, -1);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nproblems, 5);
	assert_int_equal(l.problems[0].line, 2);
	assert_non_null(strstr(l.problems[0].text, "t.txt:2: "));
	assert_non_null(strstr(l.problems[0].text, "space"));
	assert_non_null(strstr(l.problems[1].text, "t.txt:4: "));
	assert_non_null(strstr(l.problems[2].text, "t.txt:5: "));
	/* Escaped, so a hostile file cannot drive the terminal. */
	assert_null(strchr(l.problems[2].text, '\x1b'));
	assert_non_null(strstr(l.problems[2].text, "\\x1b"));
	assert_non_null(strstr(l.problems[3].text, "t.txt:6: "));
	assert_non_null(strstr(l.problems[3].text, "UTF-8"));
	/* Too short for WeChat Pay: refused with the rule. */
	assert_non_null(strstr(l.problems[4].text, "t.txt:7: "));
	assert_non_null(strstr(l.problems[4].text, "6 to 32 characters"));
	orderlist_free(&l);
}

static void test_csv_with_header(void **state)
{
	struct orderlist l;

	(void)state;
	parse("note,out_trade_no,sub_mchid\r\n"
	      "\"refund, customer 12\",CSV-0001,2\r\n"
	      "\"she said \"\"twice\"\"\",CSV-0002,\r\n"
	      ",CSV-0003,A\r\n",
	      &l, 0);
	assert_int_equal(l.n, 3);
	assert_true(l.has_sub_column);
	assert_string_equal(l.v[0].out_trade_no, "CSV-0001");
	assert_string_equal(l.v[0].note, "refund, customer 12");
	assert_string_equal(l.v[0].sub, "2");
	assert_string_equal(l.v[1].note, "she said \"twice\"");
	assert_null(l.v[1].sub);
	assert_null(l.v[2].note);
	assert_int_equal(l.v[2].line, 4);
	orderlist_free(&l);
}

static void test_csv_problems(void **state)
{
	struct orderlist l;

	(void)state;
	parse("out_trade_no,sub,colour\n"
	      "CSV-0001,A,red,extra\n"
	      "\"CSV-0002,A\n"
	      ",A\n",
	      &l, -1);
	assert_int_equal(l.nproblems, 4);
	assert_non_null(strstr(l.problems[0].text, "t.txt:1: "));
	assert_non_null(strstr(l.problems[0].text, "colour"));
	assert_non_null(strstr(l.problems[1].text, "t.txt:2: "));
	assert_non_null(strstr(l.problems[2].text, "t.txt:3: "));
	assert_non_null(strstr(l.problems[2].text, "quote"));
	assert_non_null(strstr(l.problems[3].text, "t.txt:4: "));
	orderlist_free(&l);
}

static void test_a_comma_without_header(void **state)
{
	struct orderlist l;

	(void)state;
	parse("A-000001\nA-000002,B\n", &l, -1);
	assert_int_equal(l.nproblems, 1);
	assert_non_null(strstr(l.problems[0].text, "t.txt:2: "));
	assert_non_null(strstr(l.problems[0].text, "header"));
	orderlist_free(&l);
}

static void test_empty_list_is_a_problem(void **state)
{
	struct orderlist l;

	(void)state;
	parse("# nothing yet\n\n", &l, -1);
	assert_int_equal(l.nproblems, 1);
	assert_non_null(strstr(l.problems[0].text, "no order"));
	orderlist_free(&l);
	parse("", &l, -1);
	assert_int_equal(l.nproblems, 1);
	orderlist_free(&l);
}

static void test_repeats_are_kept_once(void **state)
{
	struct orderlist l;

	(void)state;
	parse("out_trade_no,sub\n"
	      "DUP-0001,A\n"
	      "DUP-0001,B\n" /* another sub-merchant: not a repeat */
	      "DUP-0001,1\n" /* A by its id: a repeat of line 2 */
	      "DUP-0002,\n"
	      "DUP-0001,A\n"
	      "DUP-0002,A\n",
	      &l, 0);
	assert_int_equal(orderlist_resolve(&l, resolve, NULL), 0);
	assert_int_equal(orderlist_unique(&l), 3);
	assert_int_equal(l.nrepeats, 3);
	assert_int_equal(l.v[0].dup_of, 0);
	assert_int_equal(l.v[1].dup_of, 0);
	assert_int_equal(l.v[2].dup_of, 2);
	assert_int_equal(l.v[4].dup_of, 2);
	assert_int_equal(l.v[5].dup_of, 5);
	assert_string_equal(l.repeats[0].text,
			    "t.txt:4: order DUP-0001 repeats line 2; it is "
			    "sent once");
	assert_int_equal(l.repeats[1].line, 6);
	assert_int_equal(l.repeats[2].line, 7);
	orderlist_free(&l);
}

static void test_unknown_sub_merchant_is_a_line_problem(void **state)
{
	struct orderlist l;

	(void)state;
	parse("out_trade_no,sub\nSUB-0001,A\nSUB-0002,Z\n", &l, 0);
	assert_int_equal(orderlist_resolve(&l, resolve, NULL), -1);
	assert_int_equal(l.nproblems, 1);
	assert_non_null(strstr(l.problems[0].text, "t.txt:3: "));
	assert_non_null(strstr(l.problems[0].text, "\"Z\""));
	assert_int_equal(orderlist_unique(&l), 1);
	orderlist_free(&l);
}

static void test_control_characters_in_notes(void **state)
{
	struct orderlist l;

	(void)state;
	parse("out_trade_no,note\nN-000001,\"ok 订单\"\nN-000002,\"a\x07\"\n",
	      &l, -1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].note, "ok 订单");
	assert_int_equal(l.nproblems, 1);
	assert_non_null(strstr(l.problems[0].text, "t.txt:3: "));
	orderlist_free(&l);
}

static void test_read_names_an_unreadable_file(void **state)
{
	struct orderlist l;
	struct wx_err err = {{0}};

	(void)state;
	assert_int_equal(orderlist_read("/nonexistent/list.txt", &l, &err),
			 -1);
	assert_non_null(strstr(err.msg, "/nonexistent/list.txt"));
	assert_int_equal(l.n, 0);
	orderlist_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_per_line_with_bom_crlf_comments),
	    cmocka_unit_test(test_every_bad_line_is_named),
	    cmocka_unit_test(test_csv_with_header),
	    cmocka_unit_test(test_csv_problems),
	    cmocka_unit_test(test_a_comma_without_header),
	    cmocka_unit_test(test_empty_list_is_a_problem),
	    cmocka_unit_test(test_repeats_are_kept_once),
	    cmocka_unit_test(test_unknown_sub_merchant_is_a_line_problem),
	    cmocka_unit_test(test_control_characters_in_notes),
	    cmocka_unit_test(test_read_names_an_unreadable_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
