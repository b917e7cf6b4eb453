/* APIv3 core: every vector from WeChat Pay's own SDKs reproduced byte for
 * byte, the verification rules, order-number input and the outcome table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "apiv3.h"
#include "vectors.h"

#define PUB_KEY_ID  "PUB_KEY_ID_0112300001092026112600000000000001"
#define CERT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define ORDER	    "1217752501201407033233368018"
#define HINT	    "use digits, letters, _ - * |"

/* What the vectors folder provides, loaded once. */
static struct {
	json_t *root;			    /* apiv3.json */
	json_t *requests;		    /* its "requests" array */
	json_t *responses;		    /* its "responses" array */
	EVP_PKEY *merchant_key;		    /* merchant private key */
	EVP_PKEY *merchant_pub;		    /* its public half */
	struct wx_platform_key platform[2]; /* public key id + certificate */
} V;

static int group_setup(void **state)
{
	char *serial = NULL;

	(void)state;
	V.root = vectors_json();
	if (!V.root)
		return -1;
	V.requests = json_object_get(V.root, "requests");
	V.responses = json_object_get(V.root, "responses");
	V.merchant_key = vectors_private_key("merchant_key.pem");
	V.merchant_pub = vectors_public_key("merchant_pub.pem");
	V.platform[0].id = wx_xstrdup(PUB_KEY_ID);
	V.platform[0].pkey = vectors_public_key("wechatpay_pub.pem");
	V.platform[1].pkey = vectors_cert_key("wechatpay_cert.pem", &serial);
	V.platform[1].id = serial;
	if (json_array_size(V.requests) != 3 ||
	    json_array_size(V.responses) != 3 || !V.merchant_key ||
	    !V.merchant_pub || !V.platform[0].pkey || !V.platform[1].pkey ||
	    !serial || strcmp(serial, CERT_SERIAL) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	json_decref(V.root);
	EVP_PKEY_free(V.merchant_key);
	EVP_PKEY_free(V.merchant_pub);
	for (size_t i = 0; i < 2; i++) {
		free(V.platform[i].id);
		EVP_PKEY_free(V.platform[i].pkey);
	}
	return 0;
}

static const char *req_str(size_t i, const char *key)
{
	const char *s = vectors_str(json_array_get(V.requests, i), key);

	assert_non_null(s);
	return s;
}

/* ---- Requests ------------------------------------------------------------ */

static void test_signing_message_matches_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.requests); i++) {
		char *msg = apiv3_sign_message(
		    req_str(i, "method"), req_str(i, "target"),
		    req_str(i, "timestamp"), req_str(i, "nonce_str"),
		    req_str(i, "body"));

		assert_string_equal(msg, req_str(i, "message"));
		free(msg);
	}
}

static void test_target_matches_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.requests); i++) {
		char *t = apiv3_target(req_str(i, "out_trade_no"));

		assert_string_equal(t, req_str(i, "target"));
		free(t);
	}
}

static void test_target_encoding(void **state)
{
	char *t;

	(void)state;
	t = apiv3_target("A-b_c*d|9");
	assert_string_equal(t, APIV3_PATH_PREFIX "A-b_c%2Ad%7C9/reverse");
	free(t);
	/* Unreserved bytes stay; everything else, even '/', '%' and UTF-8
	 * bytes, is escaped with upper-case hex. */
	t = apiv3_target("a.~-_ /%\xE4\xB8\xAD");
	assert_string_equal(t, APIV3_PATH_PREFIX
			    "a.~-_%20%2F%25%E4%B8%AD/reverse");
	free(t);
	assert_null(apiv3_target(NULL));
}

static const char *opt_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void test_body_matches_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.requests); i++) {
		const char *want = req_str(i, "body");
		json_t *f = json_loads(want, 0, NULL);
		char *body;

		assert_non_null(f);
		body = apiv3_body(
		    opt_str(f, "sp_appid"), opt_str(f, "sp_mchid"),
		    opt_str(f, "sub_appid"), opt_str(f, "sub_mchid"));
		assert_string_equal(body, want);
		free(body);
		json_decref(f);
	}
}

static void test_body_refuses_missing_mchid_and_bad_utf8(void **state)
{
	(void)state;
	assert_null(apiv3_body(NULL, NULL, NULL, "1900000109"));
	assert_null(apiv3_body(NULL, "1230000109", NULL, NULL));
	assert_null(apiv3_body("wx\xFF", "1230000109", NULL, "1900000109"));
}

static void test_signature_matches_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.requests); i++) {
		const char *msg = req_str(i, "message");
		char *sig = NULL;
		struct wx_err err = {{0}};

		assert_int_equal(
		    apiv3_sign(V.merchant_key, msg, strlen(msg), &sig, &err),
		    0);
		assert_string_equal(sig, req_str(i, "signature"));
		assert_null(strchr(sig, '\n'));
		free(sig);
	}
}

static void test_go_sdk_vector(void **state)
{
	json_t *go = json_object_get(V.root, "go_sdk_vector");
	EVP_PKEY *key = vectors_private_key(vectors_str(go, "private_key"));
	EVP_PKEY *pub = vectors_public_key(vectors_str(go, "public_key"));
	const char *msg = vectors_str(go, "message");
	char *sig = NULL;

	(void)state;
	assert_non_null(key);
	assert_non_null(pub);
	assert_int_equal(EVP_PKEY_eq(key, pub), 1);
	assert_int_equal(apiv3_sign(key, msg, strlen(msg), &sig, NULL), 0);
	assert_string_equal(sig, vectors_str(go, "signature"));
	free(sig);
	EVP_PKEY_free(key);
	EVP_PKEY_free(pub);
}

static void test_sign_refuses_missing_or_non_rsa_key(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	struct wx_err err = {{0}};
	char *sig = (char *)"untouched";

	(void)state;
	assert_int_equal(apiv3_sign(NULL, "x", 1, &sig, &err), -1);
	assert_null(sig);
	assert_non_null(strstr(err.msg, "RSA"));
	assert_non_null(ec);
	assert_int_equal(apiv3_sign(ec, "x", 1, &sig, &err), -1);
	assert_null(sig);
	EVP_PKEY_free(ec);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The items of an Authorization value, sorted and joined by '\n', so two
 * headers with the same items in another order compare equal. */
static char *auth_items(const char *auth)
{
	const char *scheme = APIV3_SCHEME " ";
	char *copy;
	char *items[16] = {0};
	size_t n = 0;
	struct wx_buf b = {0};

	assert_memory_equal(auth, scheme, strlen(scheme));
	copy = wx_xstrdup(auth + strlen(scheme));
	for (char *tok = strtok(copy, ","); tok && n < 16;
	     tok = strtok(NULL, ","))
		items[n++] = tok;
	qsort(items, n, sizeof(items[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		wx_buf_printf(&b, "%s\n", items[i]);
	free(copy);
	return wx_buf_take(&b);
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void test_authorization_has_vector_items(void **state)
{
	json_t *m = json_object_get(V.root, "merchant");

	(void)state;
	for (size_t i = 0; i < json_array_size(V.requests); i++) {
		char *auth = apiv3_authorization(
		    vectors_str(m, "mchid"), vectors_str(m, "serial_no"),
		    req_str(i, "timestamp"), req_str(i, "nonce_str"),
		    req_str(i, "signature"));
		char *got = auth_items(auth);
		char *want = auth_items(req_str(i, "authorization"));

		/* Five items, the same set the PHP SDK wrote. */
		assert_string_equal(got, want);
		assert_int_equal(count_char(got, '\n'), 5);
		free(auth);
		free(got);
		free(want);
	}
}

static void fill_partner(struct wx_partner *p, struct wx_sub *s, bool appids)
{
	static char mchid[] = "1230000109";
	static char serial[] = "3775B6A45ACD588826D15E583A95F5DD2CE6A3E1";
	static char appid[] = "wxd678efh567hg6787";
	static char sub_mchid[] = "1900000109";

	memset(p, 0, sizeof(*p));
	memset(s, 0, sizeof(*s));
	p->sp_mchid = mchid;
	p->serial_no = serial;
	p->key = V.merchant_key;
	p->sp_appid = appids ? appid : NULL;
	s->sub_mchid = sub_mchid;
	s->sub_appid = appids ? appid : NULL;
	s->partner = p;
}

static void test_request_build_signs_what_it_sends(void **state)
{
	struct wx_partner p;
	struct wx_sub s;
	struct apiv3_request req;
	struct wx_err err = {{0}};
	char *msg;
	char *sig;
	char *nonce;

	(void)state;
	fill_partner(&p, &s, true);
	assert_int_equal(
	    apiv3_request_build(&p, &s, ORDER, 1700000000, &req, &err), 0);
	assert_string_equal(req.target, req_str(0, "target"));
	assert_string_equal(req.body, req_str(0, "body"));
	assert_string_equal(req.timestamp, "1700000000");
	assert_int_equal(strlen(req.nonce), APIV3_NONCE_LEN);
	assert_non_null(strstr(req.authorization, "mchid=\"1230000109\""));
	assert_non_null(strstr(req.authorization, "serial_no=\"3775B6A45ACD"
						  "588826D15E583A95F5DD2CE6A3"
						  "E1\""));
	assert_non_null(strstr(req.authorization, "timestamp=\"1700000000\""));
	nonce = vectors_auth_item(req.authorization, "nonce_str");
	assert_string_equal(nonce, req.nonce);
	msg = apiv3_sign_message("POST", req.target, req.timestamp, req.nonce,
				 req.body);
	sig = vectors_auth_item(req.authorization, "signature");
	assert_true(vectors_verify(V.merchant_pub, msg, sig));
	free(msg);
	free(sig);
	free(nonce);
	apiv3_request_free(&req);
	assert_null(req.authorization);
}

static void test_request_build_leaves_out_missing_appids(void **state)
{
	struct wx_partner p;
	struct wx_sub s;
	struct apiv3_request req;

	(void)state;
	fill_partner(&p, &s, false);
	assert_int_equal(
	    apiv3_request_build(&p, &s, "A-b_c*d|9", 1764115201, &req, NULL),
	    0);
	assert_string_equal(req.body, req_str(2, "body"));
	assert_string_equal(req.target, req_str(2, "target"));
	apiv3_request_free(&req);
}

static void test_request_build_refuses_bad_input(void **state)
{
	struct wx_partner p;
	struct wx_sub s;
	struct apiv3_request req;
	struct wx_err err = {{0}};

	(void)state;
	fill_partner(&p, &s, false);
	assert_int_equal(apiv3_request_build(&p, &s, "12#4", 1, &req, &err),
			 -1);
	assert_string_equal(err.msg, "character 3 ('#') is not allowed: " HINT);
	assert_null(req.target);
	assert_null(req.authorization);
	assert_int_equal(apiv3_request_build(&p, &s, " 123456", 1, &req, &err),
			 -1);
	assert_non_null(strstr(err.msg, "white space"));
	p.key = NULL;
	assert_int_equal(apiv3_request_build(&p, &s, "123456", 1, &req, &err),
			 -1);
	assert_non_null(strstr(err.msg, "private key"));
	assert_null(req.body);
}

static void test_redaction_removes_signature(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.requests); i++) {
		const char *auth = req_str(i, "authorization");
		const char *sig = req_str(i, "signature");
		char *r = apiv3_redact_authorization(auth);

		assert_null(strstr(r, sig));
		/* Not even a recognisable piece of it. */
		assert_null(strstr(r, "+"));
		assert_non_null(strstr(r, "signature=\"[redacted]\""));
		assert_non_null(strstr(r, "mchid=\"1230000109\""));
		assert_non_null(strstr(r, req_str(i, "nonce_str")));
		free(r);
	}
}

static void test_redaction_any_position_and_form(void **state)
{
	char *r;

	(void)state;
	r = apiv3_redact_authorization(APIV3_SCHEME " signature=\"AAA=\","
						    "mchid=\"1\"");
	assert_string_equal(r, APIV3_SCHEME " signature=\"[redacted]\","
					    "mchid=\"1\"");
	free(r);
	r = apiv3_redact_authorization(APIV3_SCHEME " mchid=\"1\","
						    "signature=BBB,x=\"2\"");
	assert_string_equal(r, APIV3_SCHEME " mchid=\"1\","
					    "signature=[redacted],x=\"2\"");
	free(r);
	r = apiv3_redact_authorization(APIV3_SCHEME " signature=\"CUT");
	assert_string_equal(r, APIV3_SCHEME " signature=\"[redacted]");
	free(r);
	assert_null(apiv3_redact_authorization(NULL));
}

/* ---- Nonce --------------------------------------------------------------- */

static int is_alnum_ascii(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

static void test_nonce_alphabet_and_uniqueness(void **state)
{
	char a[APIV3_NONCE_LEN + 1];
	char b[APIV3_NONCE_LEN + 1];

	(void)state;
	assert_int_equal(apiv3_nonce(a, NULL), 0);
	assert_int_equal(apiv3_nonce(b, NULL), 0);
	assert_int_equal(strlen(a), APIV3_NONCE_LEN);
	for (size_t i = 0; i < APIV3_NONCE_LEN; i++)
		assert_true(is_alnum_ascii(a[i]));
	assert_string_not_equal(a, b);
}

static void test_nonce_uses_every_character_evenly(void **state)
{
	const char *alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "abcdefghijklmnopqrstuvwxyz";
	size_t count[256] = {0};
	char n[APIV3_NONCE_LEN + 1];
	/* 256 000 characters: about 4129 each, standard deviation about 64.
	 * A modulo bias would give eight characters about 5000. */
	const size_t rounds = 8000;

	(void)state;
	for (size_t r = 0; r < rounds; r++) {
		assert_int_equal(apiv3_nonce(n, NULL), 0);
		for (size_t i = 0; i < APIV3_NONCE_LEN; i++)
			count[(unsigned char)n[i]]++;
	}
	for (const char *c = alphabet; *c; c++) {
		assert_in_range(count[(unsigned char)*c], 3800, 4460);
	}
}

/* ---- Order numbers ------------------------------------------------------- */

static void check_order_ok(const char *input, const char *want)
{
	char out[APIV3_ORDER_MAX + 1];
	struct wx_err err = {{0}};

	if (apiv3_order_check(input, out, sizeof(out), &err) != 0)
		fail_msg("'%s' refused: %s", input, err.msg);
	assert_string_equal(out, want);
}

static void check_order_bad(const char *input, const char *want_msg)
{
	char out[APIV3_ORDER_MAX + 1];
	struct wx_err err = {{0}};

	assert_int_equal(apiv3_order_check(input, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, want_msg);
	assert_string_equal(out, "");
}

static void test_order_accepts_allowed_characters(void **state)
{
	(void)state;
	check_order_ok(ORDER, ORDER);
	check_order_ok("A-b_c*d|9", "A-b_c*d|9");
	check_order_ok("x12345", "x12345");
}

static void test_order_trims_pasted_white_space(void **state)
{
	(void)state;
	check_order_ok("  123456  ", "123456");
	check_order_ok("\t123456\t", "123456");
	check_order_ok("123456\r\n", "123456");
	check_order_ok("\n\n123456\n", "123456");
	check_order_ok("\xE3\x80\x80"
		       "123456\xE3\x80\x80",
		       "123456");
	check_order_ok(" \xE3\x80\x80\t\r\n123456\r\n\xE3\x80\x80 ", "123456");
	check_order_ok("\xC2\xA0"
		       "123456\xEF\xBB\xBF",
		       "123456");
}

static void test_order_empty(void **state)
{
	(void)state;
	check_order_bad("", "enter an order number");
	check_order_bad(" \t\r\n", "enter an order number");
	check_order_bad("\xE3\x80\x80\xE3\x80\x80", "enter an order number");
	check_order_bad(NULL, "enter an order number");
}

static void test_order_length_limit(void **state)
{
	char in[64];

	(void)state;
	memset(in, '7', 32);
	in[32] = '\0';
	check_order_ok(in, in);
	memset(in, '7', 33);
	in[33] = '\0';
	check_order_bad(in, "the order number is 33 characters long, more "
			    "than the 32 allowed: check that only the order "
			    "number was pasted");
	/* Surrounding white space does not count. */
	snprintf(in, sizeof(in), "\xE3\x80\x80%.32s\r\n",
		 "12345678901234567890123456789012");
	check_order_ok(in, "12345678901234567890123456789012");
}

/* WeChat Pay refuses fewer than 6 characters: so does wxrev, before sending,
 * with the rule in the message. */
static void test_order_length_minimum(void **state)
{
	(void)state;
	check_order_bad("A", "the order number is 1 characters long; WeChat "
			     "Pay requires 6 to 32 characters of 0-9 A-Z a-z "
			     "_ * | -: check that the whole number was typed "
			     "or pasted");
	check_order_bad(" 12345\r\n",
			"the order number is 5 characters long; WeChat Pay "
			"requires 6 to 32 characters of 0-9 A-Z a-z _ * | -: "
			"check that the whole number was typed or pasted");
	check_order_ok("123456", "123456");
	/* A bad character is named first, whatever the length. */
	check_order_bad("***.", "character 4 ('.') is not allowed: " HINT);
}

static void test_order_names_each_bad_position(void **state)
{
	(void)state;
	for (size_t pos = 1; pos <= 10; pos++) {
		char in[16] = "0123456789";
		char want[128];

		in[pos - 1] = '#';
		snprintf(want, sizeof(want),
			 "character %zu ('#') is not allowed: " HINT, pos);
		check_order_bad(in, want);
	}
	/* The position counts from the first character after trimming. */
	check_order_bad("  12.4", "character 3 ('.') is not allowed: " HINT);
	check_order_bad("1~", "character 2 ('~') is not allowed: " HINT);
	check_order_bad("12 34", "character 3 (a space) is not allowed: " HINT);
	check_order_bad("12\t34",
			"character 3 (invisible U+0009) is not allowed: " HINT);
	check_order_bad("1\x1b[31m",
			"character 2 (invisible U+001B) is not allowed: " HINT);
	check_order_bad("12\xE2\x80\x8B"
			"3",
			"character 3 (invisible U+200B) is not allowed: " HINT);
}

static void test_order_explains_non_ascii(void **state)
{
	(void)state;
	/* Full-width digit one, as a Chinese input method types it. */
	check_order_bad("12\xEF\xBC\x91"
			"4",
			"character 3 ('\xEF\xBC\x91' U+FF11) is not an ASCII "
			"character: use half-width digits, letters, _ - * |");
	check_order_bad("\xE8\xAE\xA2\xE5\x8D\x95",
			"character 1 ('\xE8\xAE\xA2' U+8BA2) is not an ASCII "
			"character: use half-width digits, letters, _ - * |");
	check_order_bad("12\xFF", "character 3 is not valid UTF-8 (byte "
				  "0xFF): retype the order number");
	check_order_bad("1\xE3\x80", "character 2 is not valid UTF-8 (byte "
				     "0xE3): retype the order number");
	check_order_bad("12\x80", "character 3 is not valid UTF-8 (byte "
				  "0x80): retype the order number");
	/* Overlong encoding of '1'. */
	check_order_bad("12\xC0\xB1", "character 3 is not valid UTF-8 (byte "
				      "0xC0): retype the order number");
	check_order_bad("12\xC2\x85",
			"character 3 (invisible U+0085) is not allowed: " HINT);
	/* U+3000 inside the number is not trimmed. */
	check_order_bad("12\xE3\x80\x80"
			"34",
			"character 3 ('\xE3\x80\x80' U+3000) is not an ASCII "
			"character: use half-width digits, letters, _ - * |");
}

static void test_order_small_buffer(void **state)
{
	char out[8];
	struct wx_err err = {{0}};

	(void)state;
	assert_int_equal(apiv3_order_check("1234", out, sizeof(out), &err), -1);
	assert_int_equal(apiv3_order_check("1234", NULL, 0, NULL), -1);
}

/* ---- Verification -------------------------------------------------------- */

/* A response vector, with owned copies a test may change. */
struct resp {
	char *timestamp;
	char *nonce;
	char *serial;
	char *signature;
	char *body;
	size_t body_len;
	int64_t now;
};

static struct resp resp_load(size_t i)
{
	json_t *r = json_array_get(V.responses, i);
	json_t *h = json_object_get(r, "headers");
	struct resp x;

	x.timestamp = wx_xstrdup(vectors_str(h, "Wechatpay-Timestamp"));
	x.nonce = wx_xstrdup(vectors_str(h, "Wechatpay-Nonce"));
	x.serial = wx_xstrdup(vectors_str(h, "Wechatpay-Serial"));
	x.signature = wx_xstrdup(vectors_str(h, "Wechatpay-Signature"));
	x.body = wx_xstrdup(vectors_str(r, "body"));
	assert_non_null(x.timestamp);
	assert_non_null(x.body);
	x.body_len = strlen(x.body);
	x.now = strtoll(x.timestamp, NULL, 10);
	return x;
}

static void resp_free(struct resp *x)
{
	free(x->timestamp);
	free(x->nonce);
	free(x->serial);
	free(x->signature);
	free(x->body);
}

static enum apiv3_verdict resp_verify_keys(const struct resp *x,
					   const struct wx_platform_key *keys,
					   size_t nkeys, struct wx_err *err)
{
	struct apiv3_resp_headers h = {x->timestamp, x->nonce, x->serial,
				       x->signature};

	return apiv3_verify(&h, x->body, x->body_len, keys, nkeys, x->now, err);
}

static enum apiv3_verdict resp_verify(const struct resp *x, struct wx_err *err)
{
	return resp_verify_keys(x, V.platform, 2, err);
}

static void test_response_vectors_verify(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.responses); i++) {
		struct resp x = resp_load(i);
		struct wx_err err = {{0}};
		char *msg =
		    wx_xasprintf("%s\n%s\n%s\n", x.timestamp, x.nonce, x.body);

		/* The vector's message is the one the rule describes. */
		assert_string_equal(
		    msg,
		    vectors_str(json_array_get(V.responses, i), "message"));
		if (resp_verify(&x, &err) != APIV3_VERIFIED)
			fail_msg("response %zu: %s", i, err.msg);
		free(msg);
		resp_free(&x);
	}
}

static void test_certificate_serial_case_and_key_id_exactness(void **state)
{
	struct resp cert = resp_load(1);
	struct resp pub = resp_load(0);
	struct wx_err err = {{0}};

	(void)state;
	assert_string_equal(cert.serial, CERT_SERIAL);
	/* Only the certificate can verify this one. */
	assert_int_equal(resp_verify_keys(&cert, &V.platform[1], 1, &err),
			 APIV3_VERIFIED);
	for (char *c = cert.serial; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
	assert_int_equal(resp_verify(&cert, &err), APIV3_VERIFIED);
	pub.serial[0] = 'p';
	assert_int_equal(resp_verify(&pub, &err), APIV3_UNKNOWN_SERIAL);
	resp_free(&cert);
	resp_free(&pub);
}

static void test_key_under_wrong_id_fails(void **state)
{
	/* The right id but another key: the merchant's, not WeChat Pay's. */
	struct wx_platform_key wrong = {(char *)PUB_KEY_ID, V.merchant_pub};
	struct resp x = resp_load(0);
	struct wx_err err = {{0}};

	(void)state;
	assert_int_equal(resp_verify_keys(&x, &wrong, 1, &err),
			 APIV3_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "does not match"));
	resp_free(&x);
}

static void test_one_changed_body_byte_fails(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.responses); i++) {
		struct resp x = resp_load(i);

		for (size_t pos = 0; pos < x.body_len; pos++) {
			x.body[pos] ^= 0x01;
			assert_int_equal(resp_verify(&x, NULL),
					 APIV3_BAD_SIGNATURE);
			x.body[pos] ^= 0x01;
		}
		/* One byte more, a NUL included, is a different body. */
		x.body = wx_xrealloc(x.body, x.body_len + 2);
		x.body[x.body_len] = '\0';
		x.body_len++;
		assert_int_equal(resp_verify(&x, NULL), APIV3_BAD_SIGNATURE);
		x.body_len--;
		assert_int_equal(resp_verify(&x, NULL), APIV3_VERIFIED);
		resp_free(&x);
	}
}

static void test_changed_timestamp_or_nonce_fails(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.responses); i++) {
		struct resp x = resp_load(i);
		size_t last = strlen(x.timestamp) - 1;

		x.timestamp[last]++;
		assert_int_equal(resp_verify(&x, NULL), APIV3_BAD_SIGNATURE);
		x.timestamp[last]--;
		for (size_t pos = 0; x.nonce[pos]; pos++) {
			char keep = x.nonce[pos];

			x.nonce[pos] = keep == 'a' ? 'b' : 'a';
			assert_int_equal(resp_verify(&x, NULL),
					 APIV3_BAD_SIGNATURE);
			x.nonce[pos] = keep;
		}
		assert_int_equal(resp_verify(&x, NULL), APIV3_VERIFIED);
		resp_free(&x);
	}
}

static void test_one_changed_signature_character_fails(void **state)
{
	(void)state;
	for (size_t i = 0; i < json_array_size(V.responses); i++) {
		struct resp x = resp_load(i);

		for (size_t pos = 0; x.signature[pos]; pos++) {
			char keep = x.signature[pos];

			if (keep == '=')
				continue;
			x.signature[pos] = keep == 'A' ? 'B' : 'A';
			assert_int_equal(resp_verify(&x, NULL),
					 APIV3_BAD_SIGNATURE);
			x.signature[pos] = keep;
		}
		assert_int_equal(resp_verify(&x, NULL), APIV3_VERIFIED);
		resp_free(&x);
	}
}

static void test_garbage_signatures_fail(void **state)
{
	/* Not base64, or base64 with bits set under the padding (a second
	 * spelling of the same bytes). */
	const char *garbage[] = {
	    "!!!!", "AAA",	"====", "A===", "QUJD\n",  " QUJD",
	    "QU=D", "QUJD====", "QUJ=", "QR==", "QUJDRB=="};
	/* Well-formed base64 that is simply the wrong signature. */
	const char *wrong[] = {"AAAA", "QUI=", "QQ==", "QUJDRA=="};
	struct resp x = resp_load(0);
	char *good = wx_xstrdup(x.signature);
	struct wx_err err = {{0}};

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(garbage); i++) {
		free(x.signature);
		x.signature = wx_xstrdup(garbage[i]);
		assert_int_equal(resp_verify(&x, &err), APIV3_BAD_SIGNATURE);
		if (!strstr(err.msg, "base64"))
			fail_msg("'%s' passed as base64", garbage[i]);
	}
	for (size_t i = 0; i < WX_ARRAY_LEN(wrong); i++) {
		free(x.signature);
		x.signature = wx_xstrdup(wrong[i]);
		assert_int_equal(resp_verify(&x, &err), APIV3_BAD_SIGNATURE);
		if (!strstr(err.msg, "does not match"))
			fail_msg("'%s' refused as base64", wrong[i]);
	}
	/* The real signature with a line break or truncated. */
	free(x.signature);
	x.signature = wx_xasprintf("%.64s\n%s", good, good + 64);
	assert_int_equal(resp_verify(&x, NULL), APIV3_BAD_SIGNATURE);
	x.signature[strlen(good) - 4] = '\0';
	assert_int_equal(resp_verify(&x, NULL), APIV3_BAD_SIGNATURE);
	free(good);
	resp_free(&x);
}

static void test_clock_skew_window(void **state)
{
	struct resp x = resp_load(0);
	int64_t ts = x.now;
	struct wx_err err = {{0}};

	(void)state;
	x.now = ts + 300;
	assert_int_equal(resp_verify(&x, &err), APIV3_VERIFIED);
	x.now = ts - 300;
	assert_int_equal(resp_verify(&x, &err), APIV3_VERIFIED);
	x.now = ts + 301;
	assert_int_equal(resp_verify(&x, &err), APIV3_STALE);
	assert_string_equal(err.msg, "the answer's timestamp is 301 s behind "
				     "the local clock (the limit is 300 s): "
				     "check the computer clock");
	x.now = ts - 301;
	assert_int_equal(resp_verify(&x, &err), APIV3_STALE);
	assert_non_null(strstr(err.msg, "301 s ahead of"));
	x.now = INT64_MIN;
	assert_int_equal(resp_verify(&x, &err), APIV3_STALE);
	x.now = INT64_MAX;
	assert_int_equal(resp_verify(&x, &err), APIV3_STALE);
	resp_free(&x);
}

static void test_timestamp_must_be_a_number(void **state)
{
	const char *bad[] = {"17000000O1",
			     "-1700000001",
			     " 1700000001",
			     "1700000001 ",
			     "1.7e9",
			     "0x65538A81",
			     "99999999999999999999999999"};
	struct resp x = resp_load(0);
	struct wx_err err = {{0}};

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(bad); i++) {
		free(x.timestamp);
		x.timestamp = wx_xstrdup(bad[i]);
		assert_int_equal(resp_verify(&x, &err), APIV3_STALE);
		assert_non_null(strstr(err.msg, "not a number"));
	}
	resp_free(&x);
}

static void test_unknown_serial_is_named(void **state)
{
	struct resp x = resp_load(1);
	struct wx_err err = {{0}};

	(void)state;
	/* Only the public-key id is configured; the answer names the
	 * certificate serial. */
	assert_int_equal(resp_verify_keys(&x, &V.platform[0], 1, &err),
			 APIV3_UNKNOWN_SERIAL);
	assert_string_equal(
	    err.msg, "the answer is signed with key '" CERT_SERIAL
		     "', which the profile does not know (known: " PUB_KEY_ID
		     "): add that WeChat Pay public key or platform "
		     "certificate to the profile");
	assert_int_equal(resp_verify_keys(&x, NULL, 0, &err),
			 APIV3_UNKNOWN_SERIAL);
	assert_non_null(strstr(err.msg, "(known: none)"));
	resp_free(&x);
}

static void test_probe_signature_fails(void **state)
{
	struct resp x = resp_load(0);
	struct wx_err err = {{0}};
	char *probe = wx_xasprintf("WECHATPAY/SIGNTEST/%s", x.signature);

	(void)state;
	free(x.signature);
	x.signature = probe;
	assert_int_equal(resp_verify(&x, &err), APIV3_PROBE);
	assert_non_null(strstr(err.msg, "probe"));
	resp_free(&x);
}

static void test_missing_headers_fail(void **state)
{
	struct resp x = resp_load(0);
	const char *names[] = {"Wechatpay-Timestamp", "Wechatpay-Nonce",
			       "Wechatpay-Serial", "Wechatpay-Signature"};
	struct wx_err err = {{0}};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct apiv3_resp_headers h = {x.timestamp, x.nonce, x.serial,
					       x.signature};
		const char **slot = i == 0   ? &h.timestamp
				    : i == 1 ? &h.nonce
				    : i == 2 ? &h.serial
					     : &h.signature;

		*slot = NULL;
		assert_int_equal(apiv3_verify(&h, x.body, x.body_len,
					      V.platform, 2, x.now, &err),
				 APIV3_NO_SIGNATURE);
		assert_non_null(strstr(err.msg, names[i]));
		*slot = "";
		assert_int_equal(apiv3_verify(&h, x.body, x.body_len,
					      V.platform, 2, x.now, &err),
				 APIV3_NO_SIGNATURE);
	}
	assert_int_equal(
	    apiv3_verify(NULL, x.body, x.body_len, V.platform, 2, x.now, &err),
	    APIV3_NO_SIGNATURE);
	resp_free(&x);
}

static void test_huge_and_hostile_headers(void **state)
{
	const size_t big = 1 << 20;
	char *huge = wx_xmalloc(big + 1);
	struct resp x = resp_load(0);
	struct apiv3_resp_headers h = {x.timestamp, huge, x.serial,
				       x.signature};
	struct wx_err err = {{0}};

	(void)state;
	memset(huge, 'A', big);
	huge[big] = '\0';
	assert_int_equal(
	    apiv3_verify(&h, x.body, x.body_len, V.platform, 2, x.now, &err),
	    APIV3_BAD_SIGNATURE);
	h.nonce = x.nonce;
	h.signature = huge;
	assert_int_equal(
	    apiv3_verify(&h, x.body, x.body_len, V.platform, 2, x.now, &err),
	    APIV3_BAD_SIGNATURE);
	h.signature = x.signature;
	h.timestamp = huge;
	assert_int_equal(
	    apiv3_verify(&h, x.body, x.body_len, V.platform, 2, x.now, &err),
	    APIV3_STALE);
	assert_true(strlen(err.msg) < 300);
	h.timestamp = x.timestamp;
	/* An unknown serial is quoted short and without control bytes. */
	memcpy(huge, "\x1b]0;pwned\x07", 10);
	h.serial = huge;
	assert_int_equal(
	    apiv3_verify(&h, x.body, x.body_len, V.platform, 2, x.now, &err),
	    APIV3_UNKNOWN_SERIAL);
	assert_null(strchr(err.msg, '\x1b'));
	assert_null(strchr(err.msg, '\x07'));
	assert_non_null(strstr(err.msg, "?]0;pwned?AAAA"));
	assert_true(strlen(err.msg) < 600);
	free(huge);
	resp_free(&x);
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(apiv3_verdict_name(APIV3_VERIFIED), "verified");
	assert_string_equal(apiv3_verdict_name(APIV3_BAD_SIGNATURE),
			    "bad signature");
	assert_string_equal(apiv3_verdict_name(APIV3_PROBE), "probe signature");
	assert_string_equal(apiv3_verdict_name(APIV3_STALE), "stale timestamp");
}

/* ---- Classification ------------------------------------------------------ */

static void classify(long status, const char *body, enum apiv3_verdict verdict,
		     struct apiv3_result *res)
{
	assert_int_equal(apiv3_classify(status, body, body ? strlen(body) : 0,
					verdict, ORDER, "1230000109",
					"1900000109", res),
			 0);
	assert_non_null(res->message);
}

static void test_verified_200_naming_the_order_is_reversed(void **state)
{
	struct resp x = resp_load(0);
	struct apiv3_result res;

	(void)state;
	assert_int_equal(resp_verify(&x, NULL), APIV3_VERIFIED);
	classify(200, x.body, APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_REVERSED);
	assert_null(res.code);
	assert_false(res.retryable);
	assert_non_null(res.explain);
	apiv3_result_free(&res);
	resp_free(&x);
}

static void test_verified_204_empty_is_unknown(void **state)
{
	struct resp x = resp_load(2);
	struct apiv3_result res;

	(void)state;
	assert_int_equal(resp_verify(&x, NULL), APIV3_VERIFIED);
	assert_int_equal(x.body_len, 0);
	/* A 204 names no order: never taken as this order's success. */
	classify(204, x.body, APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_UNKNOWN);
	assert_string_equal(res.code, APIV3_CODE_UNCONFIRMED);
	apiv3_result_free(&res);
	classify(204, NULL, APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_UNKNOWN);
	apiv3_result_free(&res);
	classify(204, "{}", APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_UNKNOWN);
	apiv3_result_free(&res);
	resp_free(&x);
}

static void test_unverified_2xx_is_unknown(void **state)
{
	const enum apiv3_verdict bad[] = {APIV3_NO_SIGNATURE, APIV3_STALE,
					  APIV3_UNKNOWN_SERIAL, APIV3_PROBE,
					  APIV3_BAD_SIGNATURE};
	const char *body = vectors_str(json_array_get(V.responses, 0), "body");
	struct apiv3_result res;

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(bad); i++) {
		classify(200, body, bad[i], &res);
		assert_int_equal(res.outcome, WX_UNKNOWN);
		assert_string_equal(res.code, APIV3_CODE_UNVERIFIED);
		assert_non_null(
		    strstr(res.message, apiv3_verdict_name(bad[i])));
		assert_false(res.retryable);
		apiv3_result_free(&res);
		classify(204, "", bad[i], &res);
		assert_int_equal(res.outcome, WX_UNKNOWN);
		apiv3_result_free(&res);
	}
}

static void test_200_naming_another_order_is_unknown(void **state)
{
	const char *others[] = {
	    "{\"sp_mchid\":\"1230000109\",\"sub_mchid\":\"1900000109\","
	    "\"out_trade_no\":\"1217752501201407033233368019\"}",
	    "{\"sp_mchid\":\"1230000109\",\"sub_mchid\":\"1900000110\","
	    "\"out_trade_no\":\"" ORDER "\"}",
	    "{\"sp_mchid\":\"1230000110\",\"sub_mchid\":\"1900000109\","
	    "\"out_trade_no\":\"" ORDER "\"}",
	};
	struct apiv3_result res;

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(others); i++) {
		classify(200, others[i], APIV3_VERIFIED, &res);
		assert_int_equal(res.outcome, WX_UNKNOWN);
		assert_string_equal(res.code, APIV3_CODE_MISMATCH);
		apiv3_result_free(&res);
	}
}

static void test_malformed_200_is_unknown(void **state)
{
	const char *bodies[] = {
	    "",
	    "<html><body>502 Bad Gateway</body></html>",
	    "[]",
	    "{\"sp_mchid\":1230000109,\"sub_mchid\":\"1900000109\","
	    "\"out_trade_no\":\"" ORDER "\"}",
	    "{\"sp_mchid\":\"1230000109\",\"sub_mchid\":\"1900000109\"}",
	    /* A duplicate key could hide a second order number. */
	    "{\"sp_mchid\":\"1230000109\",\"sub_mchid\":\"1900000109\","
	    "\"out_trade_no\":\"X\",\"out_trade_no\":\"" ORDER "\"}",
	    "{\"sp_mchid\":\"1230000109\",\"sub_mchid\":\"19000\xFF\","
	    "\"out_trade_no\":\"" ORDER "\"}",
	};
	struct apiv3_result res;

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(bodies); i++) {
		classify(200, bodies[i], APIV3_VERIFIED, &res);
		assert_int_equal(res.outcome, WX_UNKNOWN);
		assert_string_equal(res.code, APIV3_CODE_MALFORMED);
		apiv3_result_free(&res);
	}
}

static void test_deep_nesting_does_not_crash(void **state)
{
	const size_t depth = 100000;
	char *body = wx_xmalloc(2 * depth + 1);
	struct apiv3_result res;

	(void)state;
	memset(body, '[', depth);
	memset(body + depth, ']', depth);
	body[2 * depth] = '\0';
	classify(200, body, APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_UNKNOWN);
	apiv3_result_free(&res);
	classify(500, body, APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_FAILED);
	assert_string_equal(res.code, "HTTP_500");
	apiv3_result_free(&res);
	free(body);
}

/* Every documented code, with the status WeChat Pay sends it with and the
 * class the outcome table gives it. */
static const struct {
	const char *code;
	long status;
	enum wx_outcome outcome;
} documented[] = {
    {"PARAM_ERROR", 400, WX_REJECTED},
    {"INVALID_REQUEST", 400, WX_REJECTED},
    {"SIGN_ERROR", 401, WX_REJECTED},
    {"NO_AUTH", 403, WX_REJECTED},
    {"RULE_LIMIT", 403, WX_REJECTED},
    {"ORDER_NOT_EXIST", 404, WX_REJECTED},
    {"ORDERNOTEXIST", 404, WX_REJECTED},
    {"REVERSE_EXPIRE", 400, WX_REJECTED},
    {"TRADE_ERROR", 400, WX_REJECTED},
    {"APPID_MCHID_NOT_MATCH", 400, WX_REJECTED},
    {"MCH_NOT_EXISTS", 400, WX_REJECTED},
    {"ORDER_CLOSED", 400, WX_REJECTED},
    {"USERPAYING", 400, WX_FAILED},
    {"SYSTEM_ERROR", 500, WX_FAILED},
    {"SYSTEMERROR", 500, WX_FAILED},
    {"BANK_ERROR", 500, WX_FAILED},
    {"RATELIMIT_EXCEEDED", 429, WX_FAILED},
    {"FREQUENCY_LIMITED", 429, WX_FAILED},
};

static void test_each_documented_code(void **state)
{
	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(documented); i++) {
		char *body = wx_xasprintf("{\"code\":\"%s\",\"message\":"
					  "\"\xE9\x94\x99\xE8\xAF\xAF\"}",
					  documented[i].code);
		const struct apiv3_code_info *ci =
		    apiv3_code_lookup(documented[i].code);
		struct apiv3_result res;

		assert_non_null(ci);
		classify(documented[i].status, body, APIV3_VERIFIED, &res);
		if (res.outcome != documented[i].outcome)
			fail_msg("%s: %s", documented[i].code,
				 wx_outcome_name(res.outcome));
		assert_string_equal(res.code, documented[i].code);
		/* WeChat Pay's message is shown as sent. */
		assert_string_equal(res.message, "\xE9\x94\x99\xE8\xAF\xAF");
		assert_string_equal(res.explain, ci->explain);
		assert_string_equal(res.next, ci->next);
		assert_int_equal(res.retryable,
				 documented[i].outcome == WX_FAILED);
		apiv3_result_free(&res);
		free(body);
	}
}

static void test_explanations_a_desk_can_act_on(void **state)
{
	const struct apiv3_code_info *sign = apiv3_code_lookup("SIGN_ERROR");
	const struct apiv3_code_info *auth = apiv3_code_lookup("NO_AUTH");
	const struct apiv3_code_info *exp = apiv3_code_lookup("REVERSE_EXPIRE");

	(void)state;
	assert_non_null(strstr(sign->next, "clock"));
	assert_non_null(strstr(sign->next, "serial_no"));
	assert_non_null(strstr(sign->next, "private key"));
	assert_non_null(strstr(auth->explain, "not bound"));
	assert_non_null(strstr(exp->explain, "7 days"));
	assert_non_null(strstr(exp->next, "Refund"));
	assert_null(apiv3_code_lookup("NOT_A_CODE"));
	assert_null(apiv3_code_lookup(NULL));
}

static void test_unknown_codes_follow_status(void **state)
{
	struct apiv3_result res;

	(void)state;
	classify(400, "{\"code\":\"BRAND_NEW\",\"message\":\"x\"}",
		 APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_REJECTED);
	assert_string_equal(res.code, "BRAND_NEW");
	assert_false(res.retryable);
	apiv3_result_free(&res);
	classify(503, "{\"code\":\"BRAND_NEW\",\"message\":\"x\"}",
		 APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_FAILED);
	assert_true(res.retryable);
	apiv3_result_free(&res);
	classify(429, "", APIV3_NO_SIGNATURE, &res);
	assert_int_equal(res.outcome, WX_FAILED);
	assert_string_equal(res.code, "HTTP_429");
	assert_true(res.retryable);
	apiv3_result_free(&res);
}

static void test_unparsable_error_bodies_classify_by_status(void **state)
{
	const char *bodies[] = {
	    "<html><body><h1>502 Bad Gateway</h1></body></html>",
	    "",
	    "{\"code\":42,\"message\":[\"x\"]}",
	    "{\"code\":\"\\u001b[2J\",\"message\":\"m\"}",
	    "{\"code\":\"PARAM_ERROR\",\"code\":\"SYSTEM_ERROR\"}",
	    "{\"code\":\"PARAM_ERROR\",\"message\":\"\xC3\x28\"}",
	    "{\"code\":\"PARAM_ERROR\",\"message\":\"a\\u0000b\"}",
	    "null",
	    "\"SYSTEM_ERROR\"",
	    /* wxrev's own codes are not the server's to send. */
	    "{\"code\":\"" APIV3_CODE_UNVERIFIED "\",\"message\":\"m\"}",
	    "{\"code\":\"" APIV3_CODE_MISMATCH "\",\"message\":\"m\"}",
	};
	struct apiv3_result res;

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(bodies); i++) {
		classify(502, bodies[i], APIV3_VERIFIED, &res);
		assert_int_equal(res.outcome, WX_FAILED);
		assert_string_equal(res.code, "HTTP_502");
		assert_non_null(res.explain);
		assert_non_null(res.next);
		apiv3_result_free(&res);
		classify(400, bodies[i], APIV3_VERIFIED, &res);
		assert_int_equal(res.outcome, WX_REJECTED);
		assert_string_equal(res.code, "HTTP_400");
		apiv3_result_free(&res);
	}
}

static void test_error_detail_and_wrong_types(void **state)
{
	struct apiv3_result res;

	(void)state;
	classify(400,
		 "{\"code\":\"PARAM_ERROR\",\"message\":\"\xE5\x8F\x82\xE6\x95"
		 "\xB0\xE9\x94\x99\xE8\xAF\xAF\",\"detail\":{\"field\":"
		 "\"/sub_mchid\",\"value\":19,\"issue\":\"must be a string\","
		 "\"location\":\"body\"}}",
		 APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_REJECTED);
	assert_string_equal(res.detail, "/sub_mchid (in body): must be a "
					"string");
	apiv3_result_free(&res);
	classify(400,
		 "{\"code\":\"PARAM_ERROR\",\"detail\":{\"field\":[1],"
		 "\"issue\":{}}}",
		 APIV3_VERIFIED, &res);
	assert_int_equal(res.outcome, WX_REJECTED);
	assert_null(res.detail);
	assert_non_null(strstr(res.message, "HTTP 400"));
	apiv3_result_free(&res);
	classify(400, "{\"code\":\"PARAM_ERROR\",\"detail\":\"oops\"}",
		 APIV3_VERIFIED, &res);
	assert_string_equal(res.code, "PARAM_ERROR");
	assert_null(res.detail);
	apiv3_result_free(&res);
}

static void test_signed_error_vector(void **state)
{
	struct resp x = resp_load(1);
	struct apiv3_result res;
	enum apiv3_verdict v = resp_verify(&x, NULL);

	(void)state;
	assert_int_equal(v, APIV3_VERIFIED);
	classify(404, x.body, v, &res);
	assert_int_equal(res.outcome, WX_REJECTED);
	assert_string_equal(res.code, "ORDER_NOT_EXIST");
	assert_string_equal(res.message, "\xE8\xAE\xA2\xE5\x8D\x95\xE4\xB8\x8D"
					 "\xE5\xAD\x98\xE5\x9C\xA8");
	assert_null(strstr(res.explain, "Unverified"));
	apiv3_result_free(&res);
	resp_free(&x);
}

static void test_unverified_error_keeps_class_and_says_so(void **state)
{
	struct apiv3_result res;

	(void)state;
	classify(404, "{\"code\":\"ORDER_NOT_EXIST\",\"message\":\"x\"}",
		 APIV3_BAD_SIGNATURE, &res);
	assert_int_equal(res.outcome, WX_REJECTED);
	assert_string_equal(res.code, "ORDER_NOT_EXIST");
	assert_memory_equal(res.explain, "Unverified answer (bad signature)",
			    strlen("Unverified answer (bad signature)"));
	assert_non_null(strstr(res.explain, "no order with this number"));
	apiv3_result_free(&res);
	classify(500, "{\"code\":\"SYSTEM_ERROR\"}", APIV3_NO_SIGNATURE, &res);
	assert_int_equal(res.outcome, WX_FAILED);
	assert_true(res.retryable);
	assert_non_null(strstr(res.explain, "Unverified answer"));
	apiv3_result_free(&res);
}

static void test_other_statuses_are_unknown(void **state)
{
	const long statuses[] = {0, 100, 201, 202, 301, 302, 600, -1};
	struct apiv3_result res;

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(statuses); i++) {
		classify(statuses[i], "", APIV3_VERIFIED, &res);
		assert_int_equal(res.outcome, WX_UNKNOWN);
		assert_string_equal(res.code, APIV3_CODE_UNEXPECTED);
		apiv3_result_free(&res);
	}
	assert_int_equal(
	    apiv3_classify(200, "", 0, APIV3_VERIFIED, ORDER, "1", "2", NULL),
	    -1);
}

/* Random answers: never a crash, never a success without a verified,
 * matching 200/204. */
static void test_random_answers_never_fake_success(void **state)
{
	const long statuses[] = {200, 204, 400, 404, 429, 500, 502};
	unsigned char buf[512];

	(void)state;
	for (size_t i = 0; i < 3000; i++) {
		struct apiv3_result res;
		unsigned char pick[2];
		size_t len;
		long status;
		enum apiv3_verdict v;

		assert_int_equal(RAND_bytes(pick, sizeof(pick)), 1);
		assert_int_equal(RAND_bytes(buf, sizeof(buf)), 1);
		status = statuses[pick[0] % WX_ARRAY_LEN(statuses)];
		v = (enum apiv3_verdict)(pick[1] % 6);
		len = pick[1] % sizeof(buf);
		if (i % 2 == 0) /* half the time, something JSON-shaped */
			memcpy(buf, "{\"code\":", 8 < len ? 8 : len);
		assert_int_equal(apiv3_classify(status, (const char *)buf, len,
						v, ORDER, "1230000109",
						"1900000109", &res),
				 0);
		if (status >= 400)
			assert_int_not_equal(res.outcome, WX_REVERSED);
		else if (res.outcome == WX_REVERSED)
			assert_true(v == APIV3_VERIFIED && status == 200);
		apiv3_result_free(&res);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signing_message_matches_vectors),
	    cmocka_unit_test(test_target_matches_vectors),
	    cmocka_unit_test(test_target_encoding),
	    cmocka_unit_test(test_body_matches_vectors),
	    cmocka_unit_test(test_body_refuses_missing_mchid_and_bad_utf8),
	    cmocka_unit_test(test_signature_matches_vectors),
	    cmocka_unit_test(test_go_sdk_vector),
	    cmocka_unit_test(test_sign_refuses_missing_or_non_rsa_key),
	    cmocka_unit_test(test_authorization_has_vector_items),
	    cmocka_unit_test(test_request_build_signs_what_it_sends),
	    cmocka_unit_test(test_request_build_leaves_out_missing_appids),
	    cmocka_unit_test(test_request_build_refuses_bad_input),
	    cmocka_unit_test(test_redaction_removes_signature),
	    cmocka_unit_test(test_redaction_any_position_and_form),
	    cmocka_unit_test(test_nonce_alphabet_and_uniqueness),
	    cmocka_unit_test(test_nonce_uses_every_character_evenly),
	    cmocka_unit_test(test_order_accepts_allowed_characters),
	    cmocka_unit_test(test_order_trims_pasted_white_space),
	    cmocka_unit_test(test_order_empty),
	    cmocka_unit_test(test_order_length_limit),
	    cmocka_unit_test(test_order_length_minimum),
	    cmocka_unit_test(test_order_names_each_bad_position),
	    cmocka_unit_test(test_order_explains_non_ascii),
	    cmocka_unit_test(test_order_small_buffer),
	    cmocka_unit_test(test_response_vectors_verify),
	    cmocka_unit_test(test_certificate_serial_case_and_key_id_exactness),
	    cmocka_unit_test(test_key_under_wrong_id_fails),
	    cmocka_unit_test(test_one_changed_body_byte_fails),
	    cmocka_unit_test(test_changed_timestamp_or_nonce_fails),
	    cmocka_unit_test(test_one_changed_signature_character_fails),
	    cmocka_unit_test(test_garbage_signatures_fail),
	    cmocka_unit_test(test_clock_skew_window),
	    cmocka_unit_test(test_timestamp_must_be_a_number),
	    cmocka_unit_test(test_unknown_serial_is_named),
	    cmocka_unit_test(test_probe_signature_fails),
	    cmocka_unit_test(test_missing_headers_fail),
	    cmocka_unit_test(test_huge_and_hostile_headers),
	    cmocka_unit_test(test_verdict_names),
	    cmocka_unit_test(test_verified_200_naming_the_order_is_reversed),
	    cmocka_unit_test(test_verified_204_empty_is_unknown),
	    cmocka_unit_test(test_unverified_2xx_is_unknown),
	    cmocka_unit_test(test_200_naming_another_order_is_unknown),
	    cmocka_unit_test(test_malformed_200_is_unknown),
	    cmocka_unit_test(test_deep_nesting_does_not_crash),
	    cmocka_unit_test(test_each_documented_code),
	    cmocka_unit_test(test_explanations_a_desk_can_act_on),
	    cmocka_unit_test(test_unknown_codes_follow_status),
	    cmocka_unit_test(test_unparsable_error_bodies_classify_by_status),
	    cmocka_unit_test(test_error_detail_and_wrong_types),
	    cmocka_unit_test(test_signed_error_vector),
	    cmocka_unit_test(test_unverified_error_keeps_class_and_says_so),
	    cmocka_unit_test(test_other_statuses_are_unknown),
	    cmocka_unit_test(test_random_answers_never_fake_success),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
