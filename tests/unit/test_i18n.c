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
#include "apiv3_query.h"
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
	/* The form WeChat Pay's own Chinese pages use. */
	assert_string_equal(buf, "2026-11-30 14:02");
	wx_i18n_when(1796047329000LL, WX_WHEN_SECOND, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 14:02:09");
	wx_i18n_when(1796047329000LL, WX_WHEN_SHORT, buf, sizeof(buf));
	assert_string_equal(buf, "11-30 14:02");
	set_language(NULL);
	wx_i18n_when(1796047329000LL, WX_WHEN_MINUTE, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 14:02");
	set_language("zh_CN");
}

/* Amounts in fen as a Chinese desk reads them, and the order in words that
 * the confirmation shows: the amount and the payment time in that way. */
static void test_chinese_amounts(void **state)
{
	struct apiv3_query_result q = {0};
	struct apiv3_order_info *o = &q.order;
	char buf[64];
	char *words;

	(void)state;
	wx_i18n_amount(12800, "CNY", buf, sizeof(buf));
	assert_string_equal(buf, "¥128.00");
	wx_i18n_amount(1280000, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "¥12,800.00");
	q.kind = APIV3_Q_ANSWERED;
	o->state = APIV3_TS_SUCCESS;
	o->amount_total = o->payer_total = 12800;
	o->currency = (char *)"CNY";
	o->success_time = (char *)"2026-11-30T14:02:09+08:00";
	o->success_epoch = 1796047329 - 8 * 3600;
	o->success_offset_min = 480;
	words = apiv3_order_words(&q, o->success_epoch + 600);
	assert_non_null(words);
	if (!strstr(words, "¥128.00") || !strstr(words, "2026-11-30 14:02") ||
	    !strstr(words, "退回"))
		fail_msg("the order in words is not in the Chinese way: %s",
			 words);
	free(words);
}

/* A message stored with values stays English in the history; a person
 * reads it translated, with the same values. */
static void test_stored_messages(void **state)
{
	struct apiv3_result res;
	const char *body = "{\"sp_mchid\":\"1230000109\",\"sub_mchid\":"
			   "\"1900000999\",\"out_trade_no\":\"OTHER-0001\"}";
	char *m;

	(void)state;
	for (int i = 0; i < WX_MSG_COUNT; i++)
		assert_translated("a stored message", wx_stored_template(i));
	apiv3_classify(200, body, strlen(body), APIV3_VERIFIED, "ORDER-0001",
		       "1230000109", "1900000110", &res);
	assert_string_equal(res.message, "HTTP 200 names order OTHER-0001 of "
					 "sub-merchant 1900000999, not the one "
					 "sent");
	/* Positions swapped by the translation keep their values. */
	assert_string_equal(wx_i18n_stored(res.message),
			    "HTTP 200 指向子商户 1900000999 的订单 OTHER-0001，"
			    "不是发送的那一笔");
	apiv3_result_free(&res);
	apiv3_classify(200, body, strlen(body), APIV3_BAD_SIGNATURE,
		       "ORDER-0001", "1230000109", "1900000110", &res);
	assert_string_equal(res.message, "HTTP 200, but the answer is not "
					 "verified (bad signature), so it is "
					 "not taken as a success");
	assert_string_equal(wx_i18n_stored(res.message),
			    "HTTP 200，但应答未通过验签（签名错误），因此不算成功");
	apiv3_result_free(&res);
	m = wx_stored_printf(WX_MSG_NO_ERROR_TEXT, 502L);
	assert_string_equal(wx_i18n_stored(m),
			    "HTTP 502，没有可读的微信支付错误消息");
	free(m);
	/* WeChat Pay's own message, and text that only looks alike, pass. */
	assert_string_equal(wx_i18n_stored("订单不存在"), "订单不存在");
	assert_string_equal(wx_i18n_stored("HTTP 200 names order X"),
			    "HTTP 200 names order X");
	/* WeChat Pay's own text with a colon keeps its punctuation. */
	assert_string_equal(wx_i18n_stored("参数错误: out_trade_no"),
			    "参数错误: out_trade_no");
	set_language(NULL);
	m = wx_stored_printf(WX_MSG_NOT_ANSWER, 302L);
	assert_string_equal(wx_i18n_stored(m),
			    "HTTP 302 is not an answer this call gives");
	free(m);
	set_language("zh_CN");
}

/* Why an answer is not trusted is stored inside the message, in English;
 * read in Chinese, both parts are Chinese and the values stay. */
static void test_untrusted_messages(void **state)
{
	struct apiv3_resp_headers h = {.timestamp = "1796047329",
				       .nonce = "n",
				       .serial = "PUB_KEY_ID_0000000000000000000",
				       .signature = "c2ln"};
	struct apiv3_result res;
	struct wx_err err = {{0}};
	const char *body = "{}";
	char *m;

	(void)state;
	assert_int_equal(apiv3_verify(&h, body, 2, NULL, 0, 1796047329, &err),
			 APIV3_UNKNOWN_SERIAL);
	apiv3_classify(200, body, 2, APIV3_UNKNOWN_SERIAL, "ORDER-0001",
		       "1230000109", "1900000110", &res);
	m = wx_stored_printf(WX_MSG_BECAUSE, res.message, err.msg);
	apiv3_result_free(&res);
	assert_non_null(strstr(m, "which the profile does not know (known: "
				  "none)"));
	if (!strstr(wx_i18n_stored(m), "HTTP 200，但应答未通过验签") ||
	    !strstr(wx_i18n_stored(m), "PUB_KEY_ID_0000000000000000000") ||
	    !strstr(wx_i18n_stored(m), "（已知：无）") ||
	    strstr(wx_i18n_stored(m), "profile"))
		fail_msg("not read in Chinese: %s", wx_i18n_stored(m));
	free(m);
	h.timestamp = "1796047028";
	assert_int_equal(apiv3_verify(&h, body, 2, NULL, 0, 1796047329, &err),
			 APIV3_STALE);
	assert_string_equal(err.msg, "the answer's timestamp is 301 s behind "
				     "the local clock (the limit is 300 s): "
				     "check the computer clock");
	assert_string_equal(wx_i18n_stored(err.msg),
			    "应答的时间戳比本机时钟慢 301 秒（上限 300 秒）："
			    "请检查本机时钟");
	m = wx_stored_printf(WX_MSG_SETTLED, "REVOKED");
	assert_string_equal(m, "settled by query: WeChat Pay reports REVOKED");
	assert_string_equal(wx_i18n_stored(m),
			    "已通过查询核实：微信支付返回 REVOKED");
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_table),
	    cmocka_unit_test(test_help_places),
	    cmocka_unit_test(test_outcomes),
	    cmocka_unit_test(test_code_table),
	    cmocka_unit_test(test_chinese_dates),
	    cmocka_unit_test(test_stored_messages),
	    cmocka_unit_test(test_untrusted_messages),
	    cmocka_unit_test(test_chinese_amounts),
	};

	/* A UTF-8 locale (LANGUAGE is ignored in "C") and the build tree's
	 * catalogue, as wxrev sets them. */
	setenv("LC_ALL", "C.UTF-8", 1);
	wx_i18n_init();
	return cmocka_run_group_tests(tests, zh_setup, NULL);
}
