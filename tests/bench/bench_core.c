/* bench_core: in-process timings of the operations a desk feels, on the data
 * the bench generated. Prints one line per figure:
 *   NAME median_ms=.. p99_ms=.. n=..
 *   bench_core profiles DIR            load time of a profiles folder
 *   bench_core subfilter DIR           sub-merchant filter per keystroke
 *   bench_core history FILE            history filter, paging and detail */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "profile.h"
#include "util.h"

#define MAX_SAMPLES 4096

struct samples {
	double v[MAX_SAMPLES];
	int n;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void add(struct samples *s, double ms)
{
	if (s->n < MAX_SAMPLES)
		s->v[s->n++] = ms;
}

static void report(const char *name, struct samples *s)
{
	qsort(s->v, (size_t)s->n, sizeof(double), cmp);
	printf("%s median_ms=%.3f p99_ms=%.3f n=%d\n", name,
	       s->v[s->n / 2], s->v[(int)(0.99 * (s->n - 1) + 0.5)], s->n);
}

static struct wx_profiles *load(const char *dir, double *ms)
{
	struct wx_profiles *p = NULL;
	struct wx_diags d = {0};
	double t0 = now_ms();

	if (profile_load(dir, &p, &d) != 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		wx_diags_free(&d);
		exit(1);
	}
	*ms = now_ms() - t0;
	wx_diags_free(&d);
	return p;
}

static int bench_profiles(const char *dir)
{
	struct samples s = {0};

	for (int i = 0; i < 15; i++) {
		double ms;

		profile_free(load(dir, &ms));
		add(&s, ms);
	}
	report("profiles_load", &s);
	return 0;
}

static int bench_subfilter(const char *dir)
{
	static const char *const typed[] = {"1", "19", "190", "1900", "门",
					    "门店", "门店 1", "Shop", "s", "sh"};
	struct samples s = {0};
	double ms;
	struct wx_profiles *p = load(dir, &ms);

	for (int round = 0; round < 20; round++) {
		for (size_t k = 0; k < WX_ARRAY_LEN(typed); k++) {
			size_t hits = 0;
			double t0 = now_ms();

			for (size_t i = 0; i < p->npartners; i++) {
				const struct wx_partner *pa = &p->partners[i];

				for (size_t j = 0; j < pa->nsubs; j++)
					hits += profile_sub_matches(&pa->subs[j], typed[k]);
			}
			add(&s, now_ms() - t0);
			if (hits == 0 && round == 0)
				fprintf(stderr, "bench: '%s' matched nothing\n", typed[k]);
		}
	}
	report("sub_filter_keystroke", &s);
	profile_free(p);
	return 0;
}

static void list_page(struct history *h, const struct history_filter *f,
		      int64_t before, int64_t *last, struct samples *s)
{
	struct history_reversal *rows = NULL;
	struct wx_err err = {0};
	size_t n = 0;
	int64_t resume = 0;
	double t0 = now_ms();

	/* What the history pane runs per keystroke: one bounded step (the
	 * rest of a rare filter's scan continues between keystrokes). */
	if (history_list_step(h, f, before, 50, HISTORY_SCAN_BUDGET, &rows, &n,
			      &resume, &err) != 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	add(s, now_ms() - t0);
	if (getenv("BENCH_VERBOSE"))
		fprintf(stderr, "%8.3f ms %zu rows: %s\n", now_ms() - t0, n,
			f->text ? f->text : "");
	*last = n ? rows[n - 1].id : 0;
	history_rows_free(rows, n);
}

/* Every prefix of `word`, as typed one character (UTF-8 sequence) at a
 * time, each listed as a first page. */
static void type_word(struct history *h, const char *word, struct samples *s)
{
	char prefix[128];
	size_t n = strlen(word);
	int64_t last = 0;

	for (size_t i = 1; i <= n && i < sizeof(prefix); i++) {
		struct history_filter f = HISTORY_FILTER_ANY;

		if (i < n && ((unsigned char)word[i] & 0xc0) == 0x80)
			continue; /* inside a character */
		memcpy(prefix, word, i);
		prefix[i] = '\0';
		f.text = prefix;
		list_page(h, &f, 0, &last, s);
	}
}

static int bench_history(const char *file)
{
	/* An order number the generator wrote (row 777777), one that is not
	 * there, sub-merchant names and ids, and text no row holds: what a
	 * desk types, one keystroke at a time. */
	static const char *const orders[] = {"4200000061592160637777",
					     "4200000061592160637778",
					     "4299999"};
	static const char *const subs[] = {"门店 9999 Shop", "1900009999",
					   "门店 42 Shop"};
	static const char *const rare[] = {"xqzw", "Q7", "订单", "zz-top"};
	struct samples open_s = {0}, order_s = {0}, sub_s = {0}, rare_s = {0},
		       page_s = {0}, detail_s = {0};
	struct history *h = NULL;
	struct wx_err err = {0};
	int64_t last = 0;

	for (int i = 0; i < 10; i++) {
		double t0 = now_ms();

		if (history_open(file, &h, &err) != 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			return 1;
		}
		add(&open_s, now_ms() - t0);
		if (i < 9)
			history_close(h);
	}
	for (int round = 0; round < 5; round++) {
		for (size_t k = 0; k < WX_ARRAY_LEN(orders); k++)
			type_word(h, orders[k], &order_s);
		for (size_t k = 0; k < WX_ARRAY_LEN(subs); k++)
			type_word(h, subs[k], &sub_s);
		for (size_t k = 0; k < WX_ARRAY_LEN(rare); k++)
			type_word(h, rare[k], &rare_s);
	}
	last = 0;
	for (int i = 0; i < 500; i++) {
		struct history_filter f = HISTORY_FILTER_ANY;

		list_page(h, &f, last, &last, &page_s);
	}
	for (int i = 0; i < 500; i++) {
		struct history_reversal r = {0};
		struct history_attempt *a = NULL;
		size_t na = 0;
		double t0 = now_ms();

		if (history_get(h, 1 + (int64_t)(i * 1999) % 1000000, &r, &a, &na, &err) == 0) {
			add(&detail_s, now_ms() - t0);
			history_reversal_clear(&r);
			history_attempts_free(a, na);
		}
	}
	report("history_open", &open_s);
	report("history_filter_order_keystroke", &order_s);
	report("history_filter_sub_keystroke", &sub_s);
	report("history_filter_rare_keystroke", &rare_s);
	report("history_page", &page_s);
	report("history_detail", &detail_s);
	history_close(h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "profiles") == 0)
		return bench_profiles(argv[2]);
	if (argc == 3 && strcmp(argv[1], "subfilter") == 0)
		return bench_subfilter(argv[2]);
	if (argc == 3 && strcmp(argv[1], "history") == 0)
		return bench_history(argv[2]);
	fputs("usage: bench_core profiles|subfilter DIR | history FILE\n", stderr);
	return 2;
}
