/* The order query: its target, its signing message and a signature pinned
 * from the OpenSSL command line (tests/vectors/README.md), a signed answer
 * verified and read, and the meaning of every trade state and error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiv3.h"
#include "apiv3_query.h"
#include "i18n.h"
#include "vectors.h"

#define ORDER	   "1217752501201407033233368018"
#define SP	   "1230000109"
#define SUB	   "1900000109"
#define PUB_KEY_ID "PUB_KEY_ID_0112300001092026112600000000000001"

/* The signed query vector. Message and signature were made with
 *   printf 'GET\n%s\n1764115200\n%s\n\n' TARGET NONCE |
 *     openssl dgst -sha256 -sign merchant_key.pem | openssl base64 -A
 * from tests/vectors/merchant_key.pem (see tests/vectors/README.md). */
#define Q_TS	"1764115200"
#define Q_NONCE "Qy7d2KfN8sLp0ZxW4rTb6VmJ1cHg3EaU"
#define Q_TARGET                                                               \
	"/v3/pay/partner/transactions/out-trade-no/" ORDER                    \
	"?sp_mchid=" SP "&sub_mchid=" SUB
#define Q_SIG                                                                  \
	"X8b+wO5Xyp632fgOfRsUPQJS0jxyM8az41QWL50a+tgvK4d10u362/fn2UhrgrK6tbFV" \
	"OxMYO/AvbqA5N3ggYUJAVna7A69GUFlQb6SePBZYO6DxOT4xqxa25kFadofsdB0O6vFn" \
	"bK5kV1RFZZ2Sp8xii8eO/7aimbnuyTCDdApbYWyscqYVZmz8RqtyniY53/XW8Gxa8EPg" \
	"fwhnG0XGeyf+veDM8LLYvvBzc9OfZX8YJkVzCCfLoGel0We/tSl2aEgLYkYbR7Xf/WO4" \
	"kJmtzYWf9PUftiHZ+ac/ULVVWPXV2OarE2Wi0Wgm3Q7rCIYFvLdD/69FKI8hZJGQTK59" \
	"Pw=="
/* The same with the order "A-b_c*d|9", whose '*' and '|' are encoded. */
#define Q_TARGET_ENC                                                           \
	"/v3/pay/partner/transactions/out-trade-no/A-b_c%2Ad%7C9"             \
	"?sp_mchid=" SP "&sub_mchid=" SUB
#define Q_SIG_ENC                                                              \
	"SGHmnLb+9Y5JLQlVaqvJEAxxWC5OJR6ZGMN45OPuXg2dTSpMSqAWe/eKKvTOkngXVq80" \
	"Vuu+qCd8lR7T1R7LR/fpXhLm4UHYMCVWV7Fs9Dhvq9BbVJ059Lc/jHdv5FoXVBBukpgz" \
	"771VZxjeFUmlHh0G8t/lVEKLPjKwa5+JucG1dhXr/39zi3iW6uRMw3dD0ptExQmZhb1l" \
	"voJOcWc7J9oUbGvavbSC1ZBHNvNLHkl5OzKCjIO/Comvd6E2K+ISeF0pVok2wtuQWrd4" \
	"iWoaxjEkG97AgSXexounZEpLfL7UzkngECaP/0cuGQAmls9CMYQYvk93n+NSFGh3k0Hv" \
	"FA=="

/* A query answer signed with tests/vectors/wechatpay_key.pem by
 *   printf '%s\n%s\n%s\n' R_TS R_NONCE R_BODY |
 *     openssl dgst -sha256 -sign wechatpay_key.pem | openssl base64 -A */
#define R_TS	"1764115201"
#define R_NONCE "R7pQ2mX9vL4kT8wN3bY6cF1hJ5dS0gAe"
#define R_BODY                                                                 \
	"{\"sp_mchid\":\"1230000109\",\"sub_mchid\":\"1900000109\","          \
	"\"out_trade_no\":\"1217752501201407033233368018\","                  \
	"\"transaction_id\":\"4200002000202611300000000001\","                \
	"\"trade_type\":\"MICROPAY\",\"trade_state\":\"SUCCESS\","            \
	"\"trade_state_desc\":\"\xE6\x94\xAF\xE4\xBB\x98\xE6\x88\x90\xE5\x8A" \
	"\x9F\",\"bank_type\":\"OTHERS\",\"attach\":\"\","                     \
	"\"success_time\":\"2026-11-30T14:02:00+08:00\","                     \
	"\"payer\":{\"sp_openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\","          \
	"\"sub_openid\":\"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\"},"                   \
	"\"amount\":{\"total\":12800,\"payer_total\":12800,"                  \
	"\"currency\":\"CNY\",\"payer_currency\":\"CNY\"}}"
#define R_SIG                                                                  \
	"n6i5Y86m0E4FhBON7RO37+5kh7lHOQe/KECS3aptnXpDAV9bMqBPWmevcQfwr8jbCcYh" \
	"1r+pXDsa0zq+xek2KYc2alUqjI64LfX9SlvwfIy6S35t+hRXk/6edPOddMPm/cLGve13" \
	"+lHGWP7V/A0aSl/+R5MRjvo8OyU4VXNvucAXcRDFAPR214lgGPxmEIVuOD3wrjerxehQ" \
	"PGJCWfQJ3m0wt3p+PAhrtn6Q0p6iMend5IONWWlD53woOGIzAyrSgc3bBprMxpGkgF4K" \
	"VhRlmzs4pW3PsDm/Qad8VnjielvF1iFdgNWkBfadbNSrvzdyjtFWHuDPjLFceXhGMgwZ" \
	"lg=="

static struct {
	EVP_PKEY *merchant_key;		 /* signs requests */
	EVP_PKEY *merchant_pub;		 /* checks them */
	struct wx_platform_key platform; /* checks answers */
} V;

static int group_setup(void **state)
{
	(void)state;
	V.merchant_key = vectors_private_key("merchant_key.pem");
	V.merchant_pub = vectors_public_key("merchant_pub.pem");
	V.platform.id = wx_xstrdup(PUB_KEY_ID);
	V.platform.pkey = vectors_public_key("wechatpay_pub.pem");
	return V.merchant_key && V.merchant_pub && V.platform.pkey ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(V.merchant_key);
	EVP_PKEY_free(V.merchant_pub);
	EVP_PKEY_free(V.platform.pkey);
	free(V.platform.id);
	return 0;
}

/* ---- Request -------------------------------------------------------------- */

static void test_query_target(void **state)
{
	char *t;

	(void)state;
	t = apiv3_query_target(ORDER, SP, SUB);
	assert_string_equal(t, Q_TARGET);
	free(t);
	/* Percent-encoding as for the reverse path, query values too. */
	t = apiv3_query_target("A-b_c*d|9", SP, SUB);
	assert_string_equal(t, Q_TARGET_ENC);
	free(t);
	t = apiv3_query_target("a b", "1&2", "3=4");
	assert_string_equal(t, "/v3/pay/partner/transactions/out-trade-no/"
			       "a%20b?sp_mchid=1%262&sub_mchid=3%3D4");
	free(t);
	assert_null(apiv3_query_target(NULL, SP, SUB));
	assert_null(apiv3_query_target(ORDER, NULL, SUB));
	assert_null(apiv3_query_target(ORDER, SP, NULL));
}

static void check_pinned(const char *target, const char *want_sig)
{
	char *msg = apiv3_sign_message("GET", target, Q_TS, Q_NONCE, "");
	char *want = wx_xasprintf("GET\n%s\n" Q_TS "\n" Q_NONCE "\n\n", target);
	char *sig = NULL;
	struct wx_err err = {{0}};

	/* The message ends "...\nNONCE\n\n": an empty body, then its \n. */
	assert_string_equal(msg, want);
	assert_int_equal(apiv3_sign(V.merchant_key, msg, strlen(msg), &sig,
				    &err),
			 0);
	assert_string_equal(sig, want_sig);
	free(sig);
	free(msg);
	free(want);
}

static void test_signed_query_vector(void **state)
{
	(void)state;
	check_pinned(Q_TARGET, Q_SIG);
	check_pinned(Q_TARGET_ENC, Q_SIG_ENC);
}

/* The nonce and signature items of an Authorization value. */
static char *auth_item(const char *auth, const char *key)
{
	char *pat = wx_xasprintf("%s=\"", key);
	const char *p = strstr(auth, pat);
	char *v = NULL;

	if (p) {
		p += strlen(pat);
		v = wx_xstrndup(p, (size_t)(strchr(p, '"') - p));
	}
	free(pat);
	return v;
}

static int independent_verify(const char *msg, const char *sig_b64)
{
	unsigned char sig[512];
	int n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64,
				(int)strlen(sig_b64));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	/* EVP_DecodeBlock counts padding bytes; RSA-2048 is 256 bytes. */
	ok = n >= 256 &&
	     EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
				  V.merchant_pub) == 1 &&
	     EVP_DigestVerify(ctx, sig, 256, (const unsigned char *)msg,
			      strlen(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void fill_partner(struct wx_partner *p, struct wx_sub *s)
{
	static char mchid[] = SP;
	static char serial[] = "3775B6A45ACD588826D15E583A95F5DD2CE6A3E1";
	static char appid[] = "wxd678efh567hg6787";
	static char sub_mchid[] = SUB;

	memset(p, 0, sizeof(*p));
	memset(s, 0, sizeof(*s));
	p->sp_mchid = mchid;
	p->serial_no = serial;
	p->key = V.merchant_key;
	p->sp_appid = appid;
	s->sub_mchid = sub_mchid;
	s->sub_appid = appid;
	s->partner = p;
}

static void test_query_build_signs_get_with_empty_body(void **state)
{
	struct wx_partner p;
	struct wx_sub s;
	struct apiv3_request req;
	struct wx_err err = {{0}};
	char *msg;
	char *sig;

	(void)state;
	fill_partner(&p, &s);
	assert_int_equal(apiv3_query_build(&p, &s, ORDER, 1764115200, &req,
					   &err),
			 0);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.target, Q_TARGET);
	assert_string_equal(req.body, "");
	assert_string_equal(req.timestamp, Q_TS);
	assert_non_null(strstr(req.authorization, "mchid=\"" SP "\""));
	sig = auth_item(req.authorization, "signature");
	msg = wx_xasprintf("GET\n" Q_TARGET "\n" Q_TS "\n%s\n\n", req.nonce);
	assert_true(independent_verify(msg, sig));
	free(msg);
	free(sig);
	apiv3_request_free(&req);
	/* The reverse call is unchanged: POST with the JSON body. */
	assert_int_equal(apiv3_request_build(&p, &s, ORDER, 1, &req, &err), 0);
	assert_string_equal(req.method, "POST");
	assert_non_null(strstr(req.body, "\"sub_mchid\":\"" SUB "\""));
	apiv3_request_free(&req);
	/* Bad input is refused before anything is signed. */
	assert_int_equal(apiv3_query_build(&p, &s, "12#4", 1, &req, &err), -1);
	assert_non_null(strstr(err.msg, "'#'"));
	assert_null(req.target);
	assert_int_equal(apiv3_query_build(&p, NULL, ORDER, 1, &req, &err),
			 -1);
	assert_non_null(strstr(err.msg, "sub-merchant"));
}

/* ---- The answer ----------------------------------------------------------- */

static void test_signed_answer_verifies_and_reads(void **state)
{
	struct apiv3_resp_headers h = {R_TS, R_NONCE, PUB_KEY_ID, R_SIG};
	struct wx_err err = {{0}};
	struct apiv3_query_result q;
	enum apiv3_verdict v;
	char money[32];

	(void)state;
	v = apiv3_verify(&h, R_BODY, strlen(R_BODY), &V.platform, 1,
			 1764115201, &err);
	assert_int_equal(v, APIV3_VERIFIED);
	apiv3_query_classify(200, R_BODY, strlen(R_BODY), v, ORDER, SP, SUB,
			     &q);
	assert_int_equal(q.kind, APIV3_Q_ANSWERED);
	assert_null(q.code);
	assert_int_equal(q.order.state, APIV3_TS_SUCCESS);
	assert_string_equal(q.order.trade_state, "SUCCESS");
	assert_string_equal(q.order.trade_state_desc,
			    "\xE6\x94\xAF\xE4\xBB\x98\xE6\x88\x90\xE5\x8A\x9F");
	assert_int_equal(q.order.amount_total, 12800);
	assert_int_equal(q.order.payer_total, 12800);
	assert_string_equal(q.order.currency, "CNY");
	assert_string_equal(q.order.success_time, "2026-11-30T14:02:00+08:00");
	assert_int_equal(q.order.success_epoch, 1796018520);
	assert_int_equal(q.order.success_offset_min, 480);
	assert_string_equal(q.order.transaction_id,
			    "4200002000202611300000000001");
	assert_string_equal(q.order.trade_type, "MICROPAY");
	assert_string_equal(q.order.bank_type, "OTHERS");
	assert_string_equal(q.order.attach, "");
	/* The payer's openids are never kept whole. */
	assert_string_equal(q.order.sp_openid, "oUpF\xE2\x80\xA6" "eS6o");
	assert_null(strstr(q.order.sub_openid, "MuAJO"));
	wx_i18n_amount(q.order.amount_total, q.order.currency, money,
			  sizeof(money));
	assert_string_equal(money, "\xC2\xA5" "128.00");
	apiv3_query_result_free(&q);
	/* One changed byte of the body and the answer is not trusted. */
	{
		char *bent = wx_xstrdup(R_BODY);

		*strstr(bent, "12800") = '9';
		v = apiv3_verify(&h, bent, strlen(bent), &V.platform, 1,
				 1764115201, &err);
		assert_int_equal(v, APIV3_BAD_SIGNATURE);
		apiv3_query_classify(200, bent, strlen(bent), v, ORDER, SP, SUB,
				     &q);
		assert_int_equal(q.kind, APIV3_Q_UNTRUSTED);
		assert_string_equal(q.code, APIV3_CODE_UNVERIFIED);
		assert_int_equal(q.order.state, APIV3_TS_NONE);
		apiv3_query_result_free(&q);
		free(bent);
	}
}

static char *answer_body(const char *order, const char *sub,
			 const char *state)
{
	return wx_xasprintf("{\"sp_mchid\":\"" SP "\",\"sub_mchid\":\"%s\","
			    "\"out_trade_no\":\"%s\",\"trade_state\":\"%s\","
			    "\"trade_state_desc\":\"x\",\"amount\":"
			    "{\"total\":100,\"currency\":\"CNY\"}}",
			    sub, order, state);
}

/* Every trade state: how it reads, what the confirmation does with it and
 * what it makes of an unknown reversal. */
static void test_every_trade_state(void **state)
{
	static const struct {
		const char *name;
		enum apiv3_trade_state ts;
		bool nothing_to_reverse;
		enum wx_outcome settle; /* with no earlier query */
		const char *words;	/* part of the confirmation's words */
	} cases[] = {
	    {"SUCCESS", APIV3_TS_SUCCESS, false, WX_FAILED, "Paid"},
	    {"REFUND", APIV3_TS_REFUND, true, WX_UNKNOWN, "use a refund"},
	    {"NOTPAY", APIV3_TS_NOTPAY, false, WX_FAILED, "Not paid"},
	    {"CLOSED", APIV3_TS_CLOSED, true, WX_REVERSED, "closed"},
	    {"REVOKED", APIV3_TS_REVOKED, true, WX_REVERSED,
	     "Already reversed (REVOKED)"},
	    {"USERPAYING", APIV3_TS_USERPAYING, false, WX_FAILED,
	     "Payer still paying (USERPAYING)"},
	    {"PAYERROR", APIV3_TS_PAYERROR, false, WX_UNKNOWN, "PAYERROR"},
	    {"ACCEPT", APIV3_TS_ACCEPT, false, WX_UNKNOWN, "ACCEPT"},
	    {"SOMETHING_NEW", APIV3_TS_OTHER, false, WX_UNKNOWN,
	     "does not know"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = answer_body(ORDER, SUB, cases[i].name);
		struct apiv3_query_result q;
		const struct apiv3_state_info *info;

		apiv3_query_classify(200, body, strlen(body), APIV3_VERIFIED,
				     ORDER, SP, SUB, &q);
		assert_int_equal(q.kind, APIV3_Q_ANSWERED);
		assert_int_equal(q.order.state, cases[i].ts);
		assert_string_equal(q.order.trade_state, cases[i].name);
		info = apiv3_trade_state_info(q.order.state);
		assert_int_equal(info->nothing_to_reverse,
				 cases[i].nothing_to_reverse);
		assert_non_null(strstr(q.explain, cases[i].words));
		assert_int_equal(apiv3_settle_outcome(q.order.state,
						      APIV3_TS_NONE),
				 cases[i].settle);
		if (cases[i].ts != APIV3_TS_OTHER)
			assert_int_equal(apiv3_trade_state_parse(cases[i].name),
					 cases[i].ts);
		apiv3_query_result_free(&q);
		free(body);
	}
	assert_int_equal(apiv3_trade_state_parse(NULL), APIV3_TS_NONE);
	assert_int_equal(apiv3_trade_state_parse(""), APIV3_TS_NONE);
	assert_string_equal(apiv3_trade_state_name(APIV3_TS_REVOKED),
			    "REVOKED");
	assert_true(apiv3_trade_state_info(APIV3_TS_NOT_FOUND)
			->nothing_to_reverse);
}

static void test_settle_rules(void **state)
{
	(void)state;
	/* A paid order that a reversal reached reads REVOKED; CLOSED means
	 * reversed only for an order not seen paid. */
	assert_int_equal(apiv3_settle_outcome(APIV3_TS_CLOSED, APIV3_TS_NOTPAY),
			 WX_REVERSED);
	assert_int_equal(apiv3_settle_outcome(APIV3_TS_CLOSED,
					      APIV3_TS_SUCCESS),
			 WX_UNKNOWN);
	assert_int_equal(apiv3_settle_outcome(APIV3_TS_REVOKED,
					      APIV3_TS_SUCCESS),
			 WX_REVERSED);
	assert_int_equal(apiv3_settle_outcome(APIV3_TS_SUCCESS,
					      APIV3_TS_SUCCESS),
			 WX_FAILED);
	assert_int_equal(apiv3_settle_outcome(APIV3_TS_NOT_FOUND,
					      APIV3_TS_NONE),
			 WX_UNKNOWN);
	assert_int_equal(apiv3_settle_outcome(APIV3_TS_NONE, APIV3_TS_SUCCESS),
			 WX_UNKNOWN);
}

static void expect(long status, const char *body, enum apiv3_verdict v,
		   enum apiv3_query_kind kind, const char *code, bool retry)
{
	struct apiv3_query_result q;

	apiv3_query_classify(status, body, body ? strlen(body) : 0, v, ORDER,
			     SP, SUB, &q);
	if (q.kind != kind)
		fail_msg("HTTP %ld %s: kind %d, want %d", status,
			 body ? body : "(none)", q.kind, kind);
	if (code)
		assert_string_equal(q.code, code);
	assert_int_equal(q.retryable, retry);
	assert_non_null(q.message);
	assert_non_null(q.explain);
	assert_non_null(q.next);
	if (kind != APIV3_Q_NOT_FOUND)
		assert_true(q.order.state == APIV3_TS_NONE);
	if (q.order.amount_total != -1)
		fail_msg("HTTP %ld: amount %lld", status, (long long)q.order.amount_total);
	apiv3_query_result_free(&q);
}

static void test_every_error(void **state)
{
	char *other_order = answer_body("OTHER", SUB, "REVOKED");
	char *other_sub = answer_body(ORDER, "1900000110", "REVOKED");

	(void)state;
	expect(404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"订单不存在\"}",
	       APIV3_VERIFIED, APIV3_Q_NOT_FOUND, "ORDER_NOT_EXIST", false);
	/* An unverified "no such order" says nothing about the order. */
	expect(404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"订单不存在\"}",
	       APIV3_BAD_SIGNATURE, APIV3_Q_UNTRUSTED, "ORDER_NOT_EXIST",
	       false);
	expect(403, "{\"code\":\"NO_AUTH\",\"message\":\"商户无权限\"}",
	       APIV3_VERIFIED, APIV3_Q_REFUSED, "NO_AUTH", false);
	expect(400, "{\"code\":\"PARAM_ERROR\",\"message\":\"参数错误\"}",
	       APIV3_VERIFIED, APIV3_Q_REFUSED, "PARAM_ERROR", false);
	expect(401, "{\"code\":\"SIGN_ERROR\",\"message\":\"签名错误\"}",
	       APIV3_VERIFIED, APIV3_Q_REFUSED, "SIGN_ERROR", false);
	expect(500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"系统错误\"}",
	       APIV3_VERIFIED, APIV3_Q_REFUSED, "SYSTEM_ERROR", true);
	expect(503, "", APIV3_VERIFIED, APIV3_Q_REFUSED, "HTTP_503", true);
	expect(429, "{\"code\":\"RATELIMIT_EXCEEDED\",\"message\":\"x\"}",
	       APIV3_VERIFIED, APIV3_Q_REFUSED, "RATELIMIT_EXCEEDED", true);
	expect(500, "{\"code\":\"SYSTEM_ERROR\",\"message\":\"x\"}",
	       APIV3_NO_SIGNATURE, APIV3_Q_UNTRUSTED, "SYSTEM_ERROR", false);
	/* 200s that cannot be taken at their word. */
	expect(200, other_order, APIV3_VERIFIED, APIV3_Q_UNTRUSTED,
	       APIV3_CODE_MISMATCH, false);
	expect(200, other_sub, APIV3_VERIFIED, APIV3_Q_UNTRUSTED,
	       APIV3_CODE_MISMATCH, false);
	expect(200, other_order, APIV3_STALE, APIV3_Q_UNTRUSTED,
	       APIV3_CODE_UNVERIFIED, false);
	expect(200, "{\"sp_mchid\":\"" SP "\"", APIV3_VERIFIED,
	       APIV3_Q_UNTRUSTED, APIV3_CODE_MALFORMED, false);
	expect(200,
	       "{\"sp_mchid\":\"" SP "\",\"sub_mchid\":\"" SUB
	       "\",\"out_trade_no\":\"" ORDER "\"}",
	       APIV3_VERIFIED, APIV3_Q_UNTRUSTED, APIV3_CODE_MALFORMED, false);
	expect(200,
	       "{\"sp_mchid\":\"" SP "\",\"sub_mchid\":\"" SUB
	       "\",\"out_trade_no\":\"" ORDER "\",\"trade_state\":\"SUCCESS\","
	       "\"amount\":{\"total\":\"128.00\"}}",
	       APIV3_VERIFIED, APIV3_Q_UNTRUSTED, APIV3_CODE_MALFORMED, false);
	expect(200,
	       "{\"sp_mchid\":\"" SP "\",\"sub_mchid\":\"" SUB
	       "\",\"out_trade_no\":\"" ORDER "\",\"trade_state\":\"SUCCESS\","
	       "\"amount\":{\"total\":-5}}",
	       APIV3_VERIFIED, APIV3_Q_UNTRUSTED, APIV3_CODE_MALFORMED, false);
	expect(200,
	       "{\"sp_mchid\":\"" SP "\",\"sub_mchid\":\"" SUB
	       "\",\"out_trade_no\":\"" ORDER "\",\"trade_state\":\"SUCCESS\","
	       "\"success_time\":\"2026-11-30 14:02:00\"}",
	       APIV3_VERIFIED, APIV3_Q_UNTRUSTED, APIV3_CODE_MALFORMED, false);
	expect(204, "", APIV3_VERIFIED, APIV3_Q_UNTRUSTED,
	       APIV3_CODE_UNEXPECTED, false);
	expect(302, "", APIV3_VERIFIED, APIV3_Q_UNTRUSTED,
	       APIV3_CODE_UNEXPECTED, false);
	expect(0, NULL, APIV3_NO_SIGNATURE, APIV3_Q_UNTRUSTED,
	       APIV3_CODE_UNEXPECTED, false);
	free(other_order);
	free(other_sub);
}

static void test_rfc3339(void **state)
{
	static const struct {
		const char *s;
		int ok;
		int64_t epoch;
		int off;
	} cases[] = {
	    {"2026-11-30T14:02:00+08:00", 1, 1796018520, 480},
	    {"2026-11-30T06:02:00Z", 1, 1796018520, 0},
	    {"2026-11-30T06:02:00.123Z", 1, 1796018520, 0},
	    {"2026-11-29T20:32:00-09:30", 1, 1796018520, -570},
	    {"2024-02-29T00:00:00+00:00", 1, 1709164800, 0},
	    {"1970-01-01T00:00:00Z", 1, 0, 0},
	    {"2023-02-29T00:00:00+00:00", 0, 0, 0},
	    {"2026-11-30T14:02:00", 0, 0, 0},
	    {"2026-11-30 14:02:00+08:00", 0, 0, 0},
	    {"2026-13-01T00:00:00Z", 0, 0, 0},
	    {"2026-11-30T24:00:00Z", 0, 0, 0},
	    {"2026-11-30T14:02:00+0800", 0, 0, 0},
	    {"2026-11-30T14:02:00+08:00x", 0, 0, 0},
	    {"2026-11-30T14:02:00.Z", 0, 0, 0},
	    {"", 0, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t e = -1;
		int off = 9999;
		int rc = apiv3_parse_rfc3339(cases[i].s, &e, &off);

		if ((rc == 0) != cases[i].ok)
			fail_msg("'%s': rc %d", cases[i].s, rc);
		if (cases[i].ok) {
			assert_int_equal(e, cases[i].epoch);
			assert_int_equal(off, cases[i].off);
		}
	}
	assert_int_equal(apiv3_parse_rfc3339(NULL, NULL, NULL), -1);
}

static void test_amounts_and_masks(void **state)
{
	char b[32];
	char *m;

	(void)state;
	wx_i18n_amount(12800, "CNY", b, sizeof(b));
	assert_string_equal(b, "\xC2\xA5" "128.00");
	wx_i18n_amount(5, NULL, b, sizeof(b));
	assert_string_equal(b, "\xC2\xA5" "0.05");
	wx_i18n_amount(0, "CNY", b, sizeof(b));
	assert_string_equal(b, "\xC2\xA5" "0.00");
	wx_i18n_amount(123456789, "CNY", b, sizeof(b));
	assert_string_equal(b, "\xC2\xA5" "1,234,567.89");
	wx_i18n_amount(100000, "CNY", b, sizeof(b));
	assert_string_equal(b, "\xC2\xA5" "1,000.00");
	wx_i18n_amount(1250, "HKD", b, sizeof(b));
	assert_string_equal(b, "HKD 12.50");
	wx_i18n_amount(-1, "CNY", b, sizeof(b));
	assert_string_equal(b, "?");
	m = apiv3_mask_openid("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
	assert_string_equal(m, "oUpF\xE2\x80\xA6" "eS6o");
	free(m);
	m = apiv3_mask_openid("short");
	assert_string_equal(m, "***");
	free(m);
	m = apiv3_mask_openid(NULL);
	assert_string_equal(m, "***");
	free(m);
}

/* The paid time is shown in the order's own zone, and the zone is named. */
static void test_paid_when_names_zone(void **state)
{
	struct apiv3_order_info o = {.success_epoch = 1796018520};
	char buf[64];

	(void)state;
	o.success_offset_min = 480;
	apiv3_paid_when(&o, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 14:02 UTC+8");
	o.success_offset_min = 330;
	apiv3_paid_when(&o, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 11:32 UTC+5:30");
	o.success_offset_min = -300;
	apiv3_paid_when(&o, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 01:02 UTC-5");
	o.success_offset_min = 0;
	apiv3_paid_when(&o, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-30 06:02 UTC");
}

/* The confirmation's sentence for each kind of answer. */
static void test_order_words(void **state)
{
	struct apiv3_query_result q;
	char *w;
	char *body;
	/* R_BODY: paid 2026-11-30T14:02:00+08:00 (1796018520). */
	int64_t paid = 1796018520;

	(void)state;
	apiv3_query_classify(200, R_BODY, strlen(R_BODY), APIV3_VERIFIED, ORDER,
			     SP, SUB, &q);
	w = apiv3_order_words(&q, paid + 3 * 3600 + 120);
	assert_string_equal(w, "Paid \xC2\xA5" "128.00 (CNY) on 2026-11-30 "
			       "14:02 UTC+8, 3 h ago \xE2\x80\x94 reversing refunds "
			       "\xC2\xA5" "128.00 to the payer");
	free(w);
	w = apiv3_order_words(&q, paid + 8 * 86400);
	assert_non_null(strstr(w, "8 d ago"));
	assert_non_null(strstr(w, "REVERSE_EXPIRE"));
	assert_non_null(strstr(w, "refund is the way"));
	assert_null(strstr(w, "reversing refunds"));
	free(w);
	/* Just past the limit: hours keep "7 d" from reading as within it. */
	w = apiv3_order_words(&q, paid + 7 * 86400 + 5 * 3600 + 60);
	assert_non_null(strstr(w, "7 d 5 h ago"));
	assert_non_null(strstr(w, "REVERSE_EXPIRE"));
	free(w);
	w = apiv3_order_words(&q, paid + 6 * 86400 + 23 * 3600);
	assert_non_null(strstr(w, "6 d 23 h ago"));
	assert_non_null(strstr(w, "reversing refunds"));
	free(w);
	apiv3_query_result_free(&q);
	body = answer_body(ORDER, SUB, "REVOKED");
	apiv3_query_classify(200, body, strlen(body), APIV3_VERIFIED, ORDER, SP,
			     SUB, &q);
	w = apiv3_order_words(&q, paid);
	assert_string_equal(w, "Already reversed (REVOKED) \xE2\x80\x94 "
			       "nothing to do");
	free(w);
	apiv3_query_result_free(&q);
	free(body);
	body = answer_body(ORDER, SUB, "NOTPAY");
	apiv3_query_classify(200, body, strlen(body), APIV3_VERIFIED, ORDER, SP,
			     SUB, &q);
	w = apiv3_order_words(&q, paid);
	assert_string_equal(w, "Not paid \xE2\x80\x94 reversing closes it");
	free(w);
	apiv3_query_result_free(&q);
	free(body);
	apiv3_query_classify(404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":"
				  "\"x\"}",
			     40, APIV3_VERIFIED, ORDER, SP, SUB, &q);
	w = apiv3_order_words(&q, paid);
	assert_string_equal(w, "No such order for this sub-merchant");
	free(w);
	apiv3_query_result_free(&q);
	apiv3_query_classify(500, "", 0, APIV3_NO_SIGNATURE, ORDER, SP, SUB, &q);
	w = apiv3_order_words(&q, paid);
	assert_non_null(strstr(w, "Could not read the order: HTTP_500"));
	free(w);
	apiv3_query_result_free(&q);
	w = apiv3_order_words(NULL, paid);
	assert_non_null(strstr(w, "Could not read the order"));
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_target),
	    cmocka_unit_test(test_signed_query_vector),
	    cmocka_unit_test(test_query_build_signs_get_with_empty_body),
	    cmocka_unit_test(test_signed_answer_verifies_and_reads),
	    cmocka_unit_test(test_every_trade_state),
	    cmocka_unit_test(test_settle_rules),
	    cmocka_unit_test(test_every_error),
	    cmocka_unit_test(test_rfc3339),
	    cmocka_unit_test(test_amounts_and_masks),
	    cmocka_unit_test(test_paid_when_names_zone),
	    cmocka_unit_test(test_order_words),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
