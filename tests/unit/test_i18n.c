/* Every string the key table, the help overlay, the outcome table and the
 * WeChat Pay code table show a person has a Chinese translation, read
 * through the same catalogue a build-tree wxrev uses; and machine names do
 * not change with the language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiv3.h"
#include "i18n.h"
#include "outcome.h"
#include "tui/ui.h"
#include "util.h"

/* Fails naming the English text when the catalogue has no translation. */
static void assert_translated(const char *what, const char *msgid)
{
	const char *t = _(msgid);

	if (t == msgid || strcmp(t, msgid) == 0)
		fail_msg("%s has no zh_CN translation: \"%s\" (run make pot "
			 "and translate po/zh_CN.po)",
			 what, msgid);
}

/* GNU gettext's documented way to change the language of a running
 * program: set LANGUAGE, then invalidate its cache of translations. */
extern int _nl_msg_cat_cntr;
static void set_language(const char *lang)
{
	if (lang)
		setenv("LANGUAGE", lang, 1);
	else
		unsetenv("LANGUAGE");
	++_nl_msg_cat_cntr;
}

/* Fails when s (shown to a person in Chinese) is all ASCII. */
static void assert_chinese(const char *what, const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c >= 0x80)
			return;
	fail_msg("%s is not translated: \"%s\"", what, s);
}

static int zh_setup(void **state)
{
	(void)state;
	set_language("zh_CN");
	return 0;
}

static void test_key_table(void **state)
{
	size_t n = 0;
	const struct tui_keydef *k = tui_keys(&n);

	(void)state;
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		if (k[i].help)
			assert_translated(k[i].label, k[i].help);
	}
}

static void test_help_places(void **state)
{
	size_t n = 0;
	const struct tui_keydef *k = tui_keys(&n);

	(void)state;
	/* The help overlay's headings: one per context bit any key uses. */
	for (size_t i = 0; i < n; i++) {
		for (unsigned bit = 1; bit && bit <= k[i].ctx; bit <<= 1) {
			const char *name;

			if (!(k[i].ctx & bit))
				continue;
			name = tui_ctx_name(bit);
			if (*name)
				assert_chinese("a help heading", name);
		}
	}
}

static void test_outcomes(void **state)
{
	static const char *const want[] = {"处理中", "已撤销", "已拒绝", "失败",
					   "结果未知"};

	(void)state;
	for (int o = WX_PENDING; o <= WX_UNKNOWN; o++) {
		enum wx_outcome back;

		assert_string_equal(wx_outcome_label((enum wx_outcome)o),
				    want[o]);
		assert_chinese("outcome advice",
			       wx_outcome_advice((enum wx_outcome)o));
		/* The stored name stays the English one, and parses back. */
		assert_int_equal(wx_outcome_parse(wx_outcome_name(o), &back), 0);
		assert_int_equal(back, o);
		assert_true((unsigned char)wx_outcome_name(o)[0] < 0x80);
	}
}

static void test_code_table(void **state)
{
	size_t n = 0;
	const struct apiv3_code_info *c = apiv3_codes(&n);

	(void)state;
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		assert_translated(c[i].code, c[i].explain);
		assert_translated(c[i].code, c[i].next);
	}
	assert_non_null(apiv3_code_lookup("ORDER_NOT_EXIST"));
}

static void test_chinese_dates(void **state)
{
	char buf[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	/* 2026-11-30 14:02:09 UTC */
	wx_i18n_when(1796047329000LL, WX_WHEN_MINUTE, buf, sizeof(buf));
	assert_string_equal(buf, "2026年11月30日 14:02");
	wx_i18n_when(1796047329000LL, WX_WHEN_SECOND, buf, sizeof(buf));
	assert_string_equal(buf, "2026年11月30日 14:02:09");
	set_language(NULL);
	wx_i18n_when(1796047329000LL, WX_WHEN_MINUTE, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 14:02");
	set_language("zh_CN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_table),
	    cmocka_unit_test(test_help_places),
	    cmocka_unit_test(test_outcomes),
	    cmocka_unit_test(test_code_table),
	    cmocka_unit_test(test_chinese_dates),
	};

	/* A UTF-8 locale (LANGUAGE is ignored in "C") and the build tree's
	 * catalogue, as wxrev sets them. */
	setenv("LC_ALL", "C.UTF-8", 1);
	wx_i18n_init();
	return cmocka_run_group_tests(tests, zh_setup, NULL);
}
