/* The key tables in README.md and the man page are the table the
 * dispatcher uses (src/tui/keys.c), so the documentation cannot drift from
 * what the keys do. `make docs` rewrites both from the table, and the
 * Chinese README and man page from the same table through the catalogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"
#include "tui/ui.h"
#include "util.h"

struct doc {
	const char *file;  /* relative to the source tree */
	const char *begin; /* marker line before the generated part */
	const char *end;   /* marker line after it */
	void (*gen)(FILE *out);
	const char *language; /* LANGUAGE while generating; NULL: English */
};

static const struct doc docs[] = {
	{"README.md", "<!-- keys:begin -->\n", "<!-- keys:end -->\n",
	 tui_keys_markdown, NULL},
	{"docs/wxrev.1", ".\\\" keys:begin\n", ".\\\" keys:end\n", tui_keys_troff,
	 NULL},
	{"README.zh-CN.md", "<!-- keys:begin -->\n", "<!-- keys:end -->\n",
	 tui_keys_markdown, "zh_CN"},
	{"docs/wxrev.zh_CN.1", ".\\\" keys:begin\n", ".\\\" keys:end\n",
	 tui_keys_troff, "zh_CN"},
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct wx_buf b = {0};
	char chunk[4096];
	size_t n;

	if (!f)
		fail_msg("cannot read %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		wx_buf_append(&b, chunk, n);
	fclose(f);
	return wx_buf_take(&b);
}

/* Set LANGUAGE, then invalidate gettext's cache (GNU gettext's way). */
extern int _nl_msg_cat_cntr;

static char *generate(const struct doc *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (d->language)
		setenv("LANGUAGE", d->language, 1);
	else
		unsetenv("LANGUAGE");
	++_nl_msg_cat_cntr;
	d->gen(f);
	fclose(f);
	unsetenv("LANGUAGE");
	++_nl_msg_cat_cntr;
	return text;
}

static void check_doc(const struct doc *d)
{
	const char *src = getenv("WXREV_SRC");
	char *path = wx_xasprintf("%s/%s", src ? src : ".", d->file);
	char *text = slurp(path);
	char *want = generate(d);
	char *a = strstr(text, d->begin);
	char *b = a ? strstr(a, d->end) : NULL;
	char *have;

	if (!a || !b)
		fail_msg("%s lacks the markers %s/%s", path, d->begin, d->end);
	a += strlen(d->begin);
	have = wx_xstrndup(a, (size_t)(b - a));
	if (getenv("WXREV_UPDATE_DOCS")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fwrite(text, 1, (size_t)(a - text), f);
		fputs(want, f);
		fputs(b, f);
		fclose(f);
	} else if (strcmp(have, want) != 0) {
		fail_msg("%s's key table differs from the dispatcher's: run "
			 "`make docs`\n--- have\n%s--- want\n%s",
			 path, have, want);
	}
	free(have);
	free(want);
	free(text);
	free(path);
}

static void test_readme_keys(void **state)
{
	(void)state;
	check_doc(&docs[0]);
}

static void test_man_keys(void **state)
{
	(void)state;
	check_doc(&docs[1]);
}

static void test_readme_zh_keys(void **state)
{
	(void)state;
	check_doc(&docs[2]);
}

static void test_man_zh_keys(void **state)
{
	(void)state;
	check_doc(&docs[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_readme_keys),
	    cmocka_unit_test(test_man_keys),
	    cmocka_unit_test(test_readme_zh_keys),
	    cmocka_unit_test(test_man_zh_keys),
	};

	/* The locale and the build tree's catalogue, as wxrev sets them. */
	wx_i18n_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
