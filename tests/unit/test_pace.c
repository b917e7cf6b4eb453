/* pace: the lookup's rate rule (at most 5 starts in any second, 20 in all
 * until asked for more), checked on a simulated clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

/* Starts as early as the pace allows, from `now`, until the budget is
 * spent; returns how many, with their times in at[]. */
static int run(struct pace *p, int64_t now, int64_t *at, int cap)
{
	int n = 0;
	int64_t t;

	while (n < cap && (t = pace_next(p, now)) >= 0) {
		assert_true(t >= now);
		now = t;
		pace_start(p, now);
		at[n++] = now;
		now += 7; /* a query's round trip */
	}
	return n;
}

/* No window [x, x + 1000) holds more than 5 of the starts. */
static void assert_at_most_5_a_second(const int64_t *at, int n)
{
	for (int i = 0; i + 5 < n; i++)
		assert_true(at[i + 5] - at[i] >= 1000);
}

static void test_five_a_second_twenty_in_all(void **state)
{
	struct pace p;
	int64_t at[64];
	int n;

	(void)state;
	pace_init(&p, 5, 1000, 20);
	n = run(&p, 100000, at, 64);
	assert_int_equal(n, 20);
	assert_at_most_5_a_second(at, n);
	/* Not slower than it must be: the sixth waits for the first. */
	assert_int_equal(at[5], at[0] + 1000);
	assert_int_equal(pace_left(&p), 0);
	assert_int_equal(pace_next(&p, at[19] + 100000), -1);
}

static void test_more_continues_in_the_same_window(void **state)
{
	struct pace p;
	int64_t at[64];
	int n, m;

	(void)state;
	pace_init(&p, 5, 1000, 20);
	n = run(&p, 0, at, 64);
	assert_int_equal(n, 20);
	/* Asked for more right away: the window still counts the last 5. */
	pace_more(&p, 20);
	assert_int_equal(pace_left(&p), 20);
	m = run(&p, at[n - 1] + 1, at + n, 64 - n);
	assert_int_equal(m, 20);
	assert_at_most_5_a_second(at, n + m);
}

static void test_more_is_counted_from_now(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 5, 1000, 20);
	for (int i = 0; i < 3; i++)
		pace_start(&p, i * 300);
	/* Stopped after 3, asked for more: 20 from now, not 17 + 20. */
	pace_more(&p, 20);
	assert_int_equal(pace_left(&p), 20);
}

static void test_slow_answers_are_not_held(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 5, 1000, 20);
	/* Answers that take 300 ms each: never more than 5 in a window, so
	 * no start waits. */
	for (int64_t now = 0, i = 0; i < 20; i++, now += 300) {
		assert_int_equal(pace_next(&p, now), now);
		pace_start(&p, now);
	}
}

static void test_bounds(void **state)
{
	struct pace p;

	(void)state;
	pace_init(&p, 0, 1000, 3);
	assert_int_equal(p.per_window, 1);
	pace_start(&p, 10);
	assert_int_equal(pace_next(&p, 20), 1010);
	pace_init(&p, 1000, 1000, 0);
	assert_int_equal(p.per_window, PACE_MAX_PER_WINDOW);
	assert_int_equal(pace_next(&p, 0), -1);
	assert_int_equal(pace_left(&p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_five_a_second_twenty_in_all),
	    cmocka_unit_test(test_more_continues_in_the_same_window),
	    cmocka_unit_test(test_more_is_counted_from_now),
	    cmocka_unit_test(test_slow_answers_are_not_held),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
