/* Profile loader tests: every profile rule gives the exact
 * file:line:column and message a desk operator sees.
 *
 * Keys come from the test vectors in tests/vectors (copied with mode 0600 into a private
 * temporary folder); EC, 1024-bit and encrypted keys are made here. In the
 * expected messages '@' stands for that folder. */
#define _POSIX_C_SOURCE 200809L
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>
#include <openssl/pem.h>

#include "profile.h"
#include "profile_keys.h"
#include "vectors.h"

#define PASSPHRASE "correct horse battery"

static char tmp[256];

/* The good profile; tests swap single lines so positions stay put. */
static const char good[] =
    "name: Test Partner\n"				      /* 1 */
    "sp_mchid: \"1230000109\"\n"			      /* 2 */
    "sp_appid: wxd678efh567hg6787\n"			      /* 3 */
    "merchant:\n"					      /* 4 */
    "  serial_no: 3775b6a45acd588826d15e583a95f5dd2ce6a3e1\n" /* 5 */
    "  certificate: keys/merchant_cert.pem\n"		      /* 6 */
    "  private_key: keys/merchant_key.pem\n"		      /* 7 */
    "wechatpay:\n"					      /* 8 */
    "  public_key_id: PUB_KEY_ID_0112300001092026112600000000000001\n"
    "  public_key: keys/wechatpay_pub.pem\n"	  /* 10 */
    "  certificates: [keys/wechatpay_cert.pem]\n" /* 11 */
    "api:\n"					  /* 12 */
    "  base_url: https://127.0.0.1:18443\n"	  /* 13 */
    "  backup_url: https://localhost:18443/\n"	  /* 14 */
    "  timeout_s: 7\n"				  /* 15 */
    "sub_merchants:\n"				  /* 16 */
    "  - name: Coffee Shop\n"			  /* 17 */
    "    sub_mchid: \"1900000109\"\n"		  /* 18 */
    "    sub_appid: wx8888888888888888\n"	  /* 19 */
    "  - name: 北京烤鸭店\n"			  /* 20 */
    "    sub_mchid: \"1900000110\"\n";		  /* 21 */

/* ---- helpers ------------------------------------------------------------ */

static char *path_in(const char *rel)
{
	return wx_xasprintf("%s/%s", tmp, rel);
}

static void put(const char *rel, const char *text, size_t len)
{
	char *p = path_in(rel);
	char *slash = strrchr(p, '/');
	FILE *f;

	*slash = '\0';
	mkdir(p, 0700); /* one level is all the tests use */
	*slash = '/';
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void put_text(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

/* `s` with the first `old` replaced by `new`; the test fails if absent. */
static char *swap(const char *s, const char *old, const char *repl)
{
	const char *at = strstr(s, old);

	assert_non_null(at);
	return wx_xasprintf("%.*s%s%s", (int)(at - s), s, repl,
			    at + strlen(old));
}

/* The good profile for a file one folder down (keys stay in ../keys). */
static char *good_one_down(void)
{
	char *a =
	    swap(good, "keys/merchant_cert.pem", "../keys/merchant_cert.pem");
	char *b = swap(a, "keys/merchant_key.pem", "../keys/merchant_key.pem");
	char *c = swap(b, "public_key: keys/", "public_key: ../keys/");
	char *d = swap(c, "[keys/", "[../keys/");

	free(a);
	free(b);
	free(c);
	return d;
}

/* '@' in an expected message stands for the temporary folder. */
static char *expand(const char *want)
{
	struct wx_buf b = {0};

	for (const char *p = want; *p; p++) {
		if (*p == '@')
			wx_buf_puts(&b, tmp);
		else
			wx_buf_append(&b, p, 1);
	}
	return wx_buf_take(&b);
}

/* A whole text file, NUL-terminated. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct wx_buf b = {0};
	char chunk[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		wx_buf_append(&b, chunk, n);
	fclose(f);
	return wx_buf_take(&b);
}

static void dump(const struct wx_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		print_message("  diag %zu: %s\n", i, d->msgs[i]);
}

/* Loads rel and checks that it fails with exactly the n messages given. */
static void expect_msgs(const char *rel, size_t n, ...)
{
	struct wx_profiles *p = (struct wx_profiles *)1;
	struct wx_diags d = {0};
	char *path = path_in(rel);
	va_list ap;

	assert_int_equal(profile_load(path, &p, &d), -1);
	assert_null(p);
	dump(&d);
	assert_int_equal(d.n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		char *want = expand(va_arg(ap, const char *));

		assert_string_equal(d.msgs[i], want);
		free(want);
	}
	va_end(ap);
	wx_diags_free(&d);
	free(path);
}

/* Writes `text` as t.yaml and expects exactly one message. */
static void expect_one(const char *text, const char *want)
{
	put_text("t.yaml", text);
	expect_msgs("t.yaml", 1, want);
}

/* The good profile with one line swapped, expecting one message. */
static void expect_swap(const char *old, const char *repl, const char *want)
{
	char *text = swap(good, old, repl);

	expect_one(text, want);
	free(text);
}

static struct wx_profiles *load_ok(const char *rel)
{
	struct wx_profiles *p = NULL;
	struct wx_diags d = {0};
	char *path = path_in(rel);
	int rc = profile_load(path, &p, &d);

	dump(&d);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	assert_non_null(p);
	free(path);
	return p;
}

static struct wx_profiles *load_text_ok(const char *text)
{
	put_text("t.yaml", text);
	return load_ok("t.yaml");
}

static void write_key(const char *rel, const EVP_PKEY *k, const EVP_CIPHER *enc,
		      int pkcs1, int mode)
{
	char *p = path_in(rel);
	BIO *b = BIO_new_file(p, "w");
	int ok;

	assert_non_null(b);
	assert_non_null(k);
	if (pkcs1)
		ok = PEM_write_bio_PrivateKey_traditional(
		    b, k, enc, (unsigned char *)(enc ? PASSPHRASE : NULL),
		    enc ? (int)strlen(PASSPHRASE) : 0, NULL, NULL);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(
		    b, k, enc, enc ? PASSPHRASE : NULL,
		    enc ? (int)strlen(PASSPHRASE) : 0, NULL, NULL);
	assert_int_equal(ok, 1);
	BIO_free(b);
	assert_int_equal(chmod(p, (mode_t)mode), 0);
	free(p);
}

static void copy_vector(const char *name, int mode)
{
	size_t len = 0;
	char *data = vectors_read(name, &len);
	char rel[128], *p;

	assert_non_null(data);
	snprintf(rel, sizeof(rel), "keys/%s", name);
	put(rel, data, len);
	p = path_in(rel);
	assert_int_equal(chmod(p, (mode_t)mode), 0);
	free(p);
	free(data);
}

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");
	EVP_PKEY *merchant, *ec, *small;
	char *keys;

	(void)state;
	unsetenv("WXREV_KEY_PASSPHRASE");
	snprintf(tmp, sizeof(tmp), "%s/wxrev-profile.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmp) || !vectors_dir())
		return -1;
	keys = path_in("keys");
	mkdir(keys, 0700);
	free(keys);
	copy_vector("merchant_key.pem", 0600);
	copy_vector("merchant_cert.pem", 0644);
	copy_vector("wechatpay_pub.pem", 0644);
	copy_vector("wechatpay_cert.pem", 0644);
	copy_vector("wechatpay_key.pem", 0600);
	merchant = vectors_private_key("merchant_key.pem");
	ec = EVP_EC_gen("P-256");
	small = EVP_RSA_gen(1024);
	write_key("keys/open_key.pem", merchant, NULL, 0, 0644);
	write_key("keys/pkcs1_key.pem", merchant, NULL, 1, 0600);
	write_key("keys/enc_key.pem", merchant, EVP_aes_256_cbc(), 0, 0600);
	write_key("keys/enc_pkcs1_key.pem", merchant, EVP_aes_128_cbc(), 1,
		  0600);
	write_key("keys/ec_key.pem", ec, NULL, 0, 0600);
	write_key("keys/rsa1024_key.pem", small, NULL, 0, 0600);
	EVP_PKEY_free(merchant);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(small);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- loading what is right --------------------------------------------------
 */

static void test_good_profile_loads(void **state)
{
	struct wx_profiles *ps = load_text_ok(good);
	const struct wx_partner *p = &ps->partners[0];
	char *file = path_in("t.yaml");

	(void)state;
	assert_int_equal(ps->npartners, 1);
	assert_string_equal(ps->source, file);
	assert_string_equal(p->file, file);
	assert_string_equal(p->name, "Test Partner");
	assert_string_equal(p->sp_mchid, "1230000109");
	assert_string_equal(p->sp_appid, "wxd678efh567hg6787");
	/* Given in lower case, kept in upper case as WeChat Pay writes it. */
	assert_string_equal(p->serial_no,
			    "3775B6A45ACD588826D15E583A95F5DD2CE6A3E1");
	assert_non_null(p->key);
	assert_int_equal(EVP_PKEY_get_bits(p->key), 2048);
	assert_int_equal(p->nplatform, 2);
	assert_string_equal(p->platform[0].id,
			    "PUB_KEY_ID_0112300001092026112600000000000001");
	assert_string_equal(p->platform[1].id,
			    "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
	assert_int_equal(EVP_PKEY_eq(p->platform[0].pkey, p->platform[1].pkey),
			 1);
	assert_string_equal(p->base_url, "https://127.0.0.1:18443");
	/* The trailing slash goes: callers append /v3/... */
	assert_string_equal(p->backup_url, "https://localhost:18443");
	assert_null(p->ca_file);
	assert_int_equal(p->timeout_s, 7);
	assert_int_equal(p->nsubs, 2);
	assert_string_equal(p->subs[0].name, "Coffee Shop");
	assert_string_equal(p->subs[0].sub_mchid, "1900000109");
	assert_string_equal(p->subs[0].sub_appid, "wx8888888888888888");
	assert_string_equal(p->subs[1].name, "北京烤鸭店");
	assert_string_equal(p->subs[1].sub_mchid, "1900000110");
	assert_null(p->subs[1].sub_appid);
	assert_ptr_equal(p->subs[1].partner, p);
	free(file);
	profile_free(ps);
}

/* A partner with nothing optional: no api, no sp_appid, a PKCS#1 key. */
#define MINIMAL_HEAD                                                           \
	"name: Minimal\n"                                                      \
	"sp_mchid: 1230000109\n"                                               \
	"merchant:\n"                                                          \
	"  serial_no: 3775B6A45ACD588826D15E583A95F5DD2CE6A3E1\n"              \
	"  private_key: keys/pkcs1_key.pem\n"                                  \
	"wechatpay:\n"                                                         \
	"  certificates:\n"                                                    \
	"    - keys/wechatpay_cert.pem\n"

static void test_defaults_and_plain_numbers(void **state)
{
	/* No api, no sp_appid, mchids unquoted, PKCS#1 key, serial only. */
	static const char text[] = MINIMAL_HEAD
	    "sub_merchants:\n"
	    "  - {name: Tea, sub_mchid: 1900000200}\n";
	struct wx_profiles *ps = load_text_ok(text);
	const struct wx_partner *p = &ps->partners[0];

	(void)state;
	assert_string_equal(p->sp_mchid, "1230000109");
	assert_null(p->sp_appid);
	assert_string_equal(p->base_url, "https://api.mch.weixin.qq.com");
	assert_string_equal(p->backup_url, "https://api2.mch.weixin.qq.com");
	assert_int_equal(p->timeout_s, 10);
	assert_int_equal(p->nplatform, 1);
	assert_string_equal(p->subs[0].sub_mchid, "1900000200");
	profile_free(ps);
}

/* The default backup belongs to WeChat Pay's own base_url only: a test
 * endpoint must not fall back to production. */
static void test_no_default_backup_behind_a_test_endpoint(void **state)
{
	static const char text[] = MINIMAL_HEAD
	    "api:\n"
	    "  base_url: https://127.0.0.1:18999\n"
	    "sub_merchants:\n"
	    "  - {name: Tea, sub_mchid: 1900000200}\n";
	struct wx_profiles *ps = load_text_ok(text);
	const struct wx_partner *p = &ps->partners[0];

	(void)state;
	assert_string_equal(p->base_url, "https://127.0.0.1:18999");
	assert_null(p->backup_url);
	assert_null(profile_retry_url(p));
	profile_free(ps);
}

static void test_serial_from_certificate(void **state)
{
	char *text = swap(
	    good, "  serial_no: 3775b6a45acd588826d15e583a95f5dd2ce6a3e1\n",
	    "  # serial_no read from the certificate\n");
	struct wx_profiles *ps = load_text_ok(text);

	(void)state;
	assert_string_equal(ps->partners[0].serial_no,
			    "3775B6A45ACD588826D15E583A95F5DD2CE6A3E1");
	profile_free(ps);
	free(text);
}

static void test_folder_of_two_files(void **state)
{
	char *a = good_one_down();
	char *b =
	    swap(a, "sp_mchid: \"1230000109\"", "sp_mchid: \"1230000999\"");
	char *c = swap(b, "name: Test Partner", "name: Other");
	struct wx_profiles *ps;

	(void)state;
	put_text("two/b.yml", c);
	put_text("two/a.yaml", a);
	put_text("two/notes.txt", "not a profile");
	ps = load_ok("two");
	assert_int_equal(ps->npartners, 2);
	/* Sorted by file name: a.yaml before b.yml; notes.txt is not read. */
	assert_string_equal(ps->partners[0].name, "Test Partner");
	assert_string_equal(ps->partners[1].name, "Other");
	assert_string_equal(ps->partners[1].sp_mchid, "1230000999");
	assert_ptr_equal(ps->partners[1].subs[0].partner, &ps->partners[1]);
	profile_free(ps);
	free(a);
	free(b);
	free(c);
}

/* ---- what is missing or mistyped ---------------------------------------- */

static void test_missing_required_keys(void **state)
{
	char *a = swap(good, "name: Test Partner\n", "# no name\n");
	char *b = swap(a, "  private_key: keys/merchant_key.pem\n", "");

	(void)state;
	put_text("t.yaml", b);
	expect_msgs("t.yaml", 2,
		    "@/t.yaml:2:1: missing required key name (the partner "
		    "name shown in the UI); add it",
		    "@/t.yaml:4:1: missing required key merchant.private_key "
		    "(the path of apiclient_key.pem); add it");
	free(a);
	free(b);
}

static void test_empty_value(void **state)
{
	(void)state;
	expect_swap("name: Test Partner\n", "name:\n",
		    "@/t.yaml:1:1: name has no value; give the partner name "
		    "shown in the UI");
}

static void test_wrong_types(void **state)
{
	char *a = swap(good, "name: Test Partner\n", "name: {first: Test}\n");
	char *b = swap(a, "sub_merchants:\n", "sub_merchants: none\n");
	char *c = swap(b, "  - name: Coffee Shop\n", "#\n");

	(void)state;
	/* Line 17 onwards no longer belongs to sub_merchants: cut them. */
	*strstr(c, "#\n") = '\0';
	put_text("t.yaml", c);
	expect_msgs("t.yaml", 2,
		    "@/t.yaml:1:7: name must be text, not a mapping; write the "
		    "value on the same line after 'name:'",
		    "@/t.yaml:16:16: sub_merchants must be a list, not text; "
		    "write each entry on its own line starting with '- '");
	free(a);
	free(b);
	free(c);
}

static void test_mchid_not_digits(void **state)
{
	char *a =
	    swap(good, "sp_mchid: \"1230000109\"", "sp_mchid: \"12300-0109\"");
	char *b = swap(a, "sub_mchid: \"1900000110\"",
		       "sub_mchid: 123456789012345678901234567890123");

	(void)state;
	put_text("t.yaml", b);
	expect_msgs("t.yaml", 2,
		    "@/t.yaml:2:11: sp_mchid must be 1 to 32 digits (got "
		    "\"12300-0109\"); copy the 商户号 from 账户中心 → 商户信息",
		    "@/t.yaml:21:16: sub_mchid must be 1 to 32 digits (got "
		    "\"123456789012345678901234567890123\"); copy the 商户号 "
		    "from 服务商功能 → 子商户管理");
	free(a);
	free(b);
}

static void test_appid_checked(void **state)
{
	(void)state;
	expect_swap("    sub_appid: wx8888888888888888\n",
		    "    sub_appid: wx 8888\n",
		    "@/t.yaml:19:16: sub_appid must be an AppID of 1 to 32 "
		    "letters and digits (got \"wx 8888\"); copy it from the "
		    "official account or mini program, or remove the line");
}

static void test_unknown_keys_suggest(void **state)
{
	char *a = swap(good, "  serial_no:", "  serial_number:");
	char *b = swap(a, "api:\n", "colour: blue\napi:\n");

	(void)state;
	put_text("t.yaml", b);
	/* serial_no is missing now, but the certificate still gives it. */
	expect_msgs("t.yaml", 2,
		    "@/t.yaml:5:3: unknown key \"serial_number\" in merchant; "
		    "did you mean 'serial_no'? Allowed keys: serial_no, "
		    "certificate, private_key",
		    "@/t.yaml:12:1: unknown key \"colour\" at the top level; "
		    "allowed keys: name, sp_mchid, sp_appid, merchant, "
		    "wechatpay, api, sub_merchants");
	free(a);
	free(b);
}

static void test_unknown_key_in_sub(void **state)
{
	(void)state;
	expect_swap(
	    "    sub_appid: wx8888888888888888\n", "    sub_mchId: \"1\"\n",
	    "@/t.yaml:19:5: unknown key \"sub_mchId\" in a sub-merchant "
	    "entry; did you mean 'sub_mchid'? Allowed keys: name, "
	    "sub_mchid, sub_appid");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	expect_swap("  timeout_s: 7\n", "  timeout_s: 7\n  timeout_s: 8\n",
		    "@/t.yaml:16:3: api.timeout_s is given twice (first at "
		    "line 15); remove one of them");
}

static void test_duplicate_sub_mchid(void **state)
{
	(void)state;
	expect_swap(
	    "    sub_mchid: \"1900000110\"", "    sub_mchid: \"1900000109\"",
	    "@/t.yaml:21:16: sub_mchid 1900000109 is listed twice (also "
	    "at line 18); remove one of the entries");
}

static void test_many_subs_one_duplicate(void **state)
{
	struct wx_buf b = {0};
	size_t n = 20000;

	(void)state;
	wx_buf_puts(&b, good);
	for (size_t i = 0; i < n; i++)
		wx_buf_printf(&b,
			      "  - name: Shop %zu\n    sub_mchid: \"%zu\"\n", i,
			      1800000000 + i);
	/* The last entry repeats the first generated one (line 23). */
	wx_buf_puts(&b, "  - name: Again\n    sub_mchid: \"1800000000\"\n");
	put_text("t.yaml", b.data);
	expect_msgs("t.yaml", 1,
		    "@/t.yaml:40023:16: sub_mchid 1800000000 is listed twice "
		    "(also at line 23); remove one of the entries");
	wx_buf_free(&b);
}

static void test_empty_sub_list(void **state)
{
	char *a = swap(good, "sub_merchants:\n", "sub_merchants: []\n");

	(void)state;
	*strstr(a, "  - name: Coffee Shop") = '\0';
	expect_one(a, "@/t.yaml:16:1: sub_merchants is empty; list at least "
		      "one sub-merchant with name and sub_mchid");
	free(a);
}

static void test_same_sp_mchid_in_two_files(void **state)
{
	char *a = good_one_down();

	(void)state;
	put_text("dup/first.yaml", a);
	put_text("dup/second.yaml", a);
	expect_msgs("dup", 1,
		    "@/dup/second.yaml:2:11: sp_mchid 1230000109 is also used "
		    "by @/dup/first.yaml:2:11; keep one file per partner");
	free(a);
}

/* ---- files and keys -------------------------------------------------------
 */

static void test_path_does_not_exist(void **state)
{
	(void)state;
	expect_swap("keys/merchant_key.pem", "keys/nope.pem",
		    "@/t.yaml:7:16: merchant.private_key: @/keys/nope.pem does "
		    "not exist; fix the path (relative paths start at the "
		    "folder of this file)");
}

static void test_path_cannot_be_read(void **state)
{
	(void)state;
	expect_swap("public_key: keys/wechatpay_pub.pem", "public_key: keys",
		    "@/t.yaml:10:15: wechatpay.public_key: @/keys is not a "
		    "regular file; point it at the PEM file");
}

static void test_key_readable_by_others(void **state)
{
	(void)state;
	expect_swap("keys/merchant_key.pem", "keys/open_key.pem",
		    "@/t.yaml:7:16: merchant.private_key: @/keys/open_key.pem "
		    "can be read by other users (mode 0644); run chmod 600 "
		    "@/keys/open_key.pem");
}

static void test_key_not_rsa(void **state)
{
	(void)state;
	expect_swap("keys/merchant_key.pem", "keys/ec_key.pem",
		    "@/t.yaml:7:16: merchant.private_key: @/keys/ec_key.pem is "
		    "an EC key, not RSA; use the RSA key from 申请API证书");
}

static void test_key_too_short(void **state)
{
	(void)state;
	expect_swap("keys/merchant_key.pem", "keys/rsa1024_key.pem",
		    "@/t.yaml:7:16: merchant.private_key: "
		    "@/keys/rsa1024_key.pem is a 1024-bit RSA key, but WeChat "
		    "Pay needs at least 2048 bits; use the RSA key from "
		    "申请API证书");
}

static void test_key_is_a_certificate(void **state)
{
	(void)state;
	expect_swap("keys/merchant_key.pem", "keys/merchant_cert.pem",
		    "@/t.yaml:7:16: merchant.private_key: "
		    "@/keys/merchant_cert.pem holds a certificate, not the "
		    "private key; point it at apiclient_key.pem");
}

static void test_certificate_not_matching_key(void **state)
{
	char *a = swap(
	    good, "  serial_no: 3775b6a45acd588826d15e583a95f5dd2ce6a3e1\n",
	    "  # no serial\n");
	char *b = swap(a, "keys/merchant_key.pem", "keys/wechatpay_key.pem");

	(void)state;
	expect_one(b,
		   "@/t.yaml:6:16: merchant.certificate: "
		   "@/keys/merchant_cert.pem does not belong to the private "
		   "key @/keys/wechatpay_key.pem (their public keys differ); "
		   "use the apiclient_cert.pem issued with "
		   "apiclient_key.pem");
	free(a);
	free(b);
}

static void test_serial_mismatch(void **state)
{
	(void)state;
	expect_swap(
	    "3775b6a45acd588826d15e583a95f5dd2ce6a3e1",
	    "3775b6a45acd588826d15e583a95f5dd2ce6a3e2",
	    "@/t.yaml:5:14: merchant.serial_no "
	    "3775B6A45ACD588826D15E583A95F5DD2CE6A3E2 does not match the "
	    "serial 3775B6A45ACD588826D15E583A95F5DD2CE6A3E1 of "
	    "merchant.certificate; correct serial_no or remove it to "
	    "use the certificate's");
}

static void test_serial_not_hex(void **state)
{
	(void)state;
	expect_swap("3775b6a45acd588826d15e583a95f5dd2ce6a3e1", "37:75:B6",
		    "@/t.yaml:5:14: merchant.serial_no must be the certificate "
		    "serial in hex (got \"37:75:B6\"); copy 证书序列号 from "
		    "账户中心 → API安全, or remove it and give certificate");
}

static void test_neither_serial_nor_certificate(void **state)
{
	char *a = swap(
	    good, "  serial_no: 3775b6a45acd588826d15e583a95f5dd2ce6a3e1\n",
	    "  # no serial\n");
	char *b = swap(a, "  certificate: keys/merchant_cert.pem\n",
		       "  # no certificate\n");

	(void)state;
	expect_one(b, "@/t.yaml:4:1: merchant needs serial_no or certificate; "
		      "add serial_no (证书序列号 from 账户中心 → API安全) or "
		      "certificate (the path of apiclient_cert.pem)");
	free(a);
	free(b);
}

static void test_neither_public_key_nor_certificates(void **state)
{
	char *a = swap(good,
		       "  public_key_id: "
		       "PUB_KEY_ID_0112300001092026112600000000000001\n"
		       "  public_key: keys/wechatpay_pub.pem\n"
		       "  certificates: [keys/wechatpay_cert.pem]\n",
		       "  {}\n");

	(void)state;
	/* "wechatpay:\n  {}" is an empty mapping on its own line. */
	expect_one(a, "@/t.yaml:8:1: wechatpay needs public_key (with "
		      "public_key_id) or certificates; add the WeChat Pay "
		      "public key from 微信支付公钥 or the platform "
		      "certificates");
	free(a);
}

static void test_public_key_without_id(void **state)
{
	(void)state;
	expect_swap(
	    "  public_key_id: PUB_KEY_ID_0112300001092026112600000000000001\n",
	    "  # no id\n",
	    "@/t.yaml:10:3: wechatpay.public_key needs "
	    "wechatpay.public_key_id; add the PUB_KEY_ID_... shown next "
	    "to the key in 微信支付公钥");
}

static void test_public_key_id_without_key(void **state)
{
	(void)state;
	expect_swap("  public_key: keys/wechatpay_pub.pem\n", "  # no key\n",
		    "@/t.yaml:9:3: wechatpay.public_key_id needs "
		    "wechatpay.public_key; add the path of pub_key.pem from "
		    "微信支付公钥");
}

static void test_platform_certificate_not_a_certificate(void **state)
{
	(void)state;
	expect_swap("[keys/wechatpay_cert.pem]", "[keys/wechatpay_pub.pem]",
		    "@/t.yaml:11:18: wechatpay.certificates: "
		    "@/keys/wechatpay_pub.pem is not a PEM certificate (BEGIN "
		    "CERTIFICATE); point it at the certificate file");
}

/* ---- encrypted keys ---------------------------------------------------------
 */

static int prompt_calls;

static int prompt(const char *key_path, char *buf, size_t size, void *user)
{
	const char *answer = user;

	assert_non_null(strstr(key_path, "enc_key.pem"));
	prompt_calls++;
	if (!answer || strlen(answer) > size)
		return -1;
	memcpy(buf, answer, strlen(answer));
	return (int)strlen(answer);
}

static void test_encrypted_key_with_passphrase(void **state)
{
	char *text = swap(good, "keys/merchant_key.pem", "keys/enc_key.pem");
	char *pkcs1 =
	    swap(good, "keys/merchant_key.pem", "keys/enc_pkcs1_key.pem");
	struct wx_profiles *ps;

	(void)state;
	setenv("WXREV_KEY_PASSPHRASE", PASSPHRASE, 1);
	ps = load_text_ok(text);
	assert_int_equal(EVP_PKEY_get_bits(ps->partners[0].key), 2048);
	profile_free(ps);
	ps = load_text_ok(pkcs1);
	profile_free(ps);
	unsetenv("WXREV_KEY_PASSPHRASE");
	free(text);
	free(pkcs1);
}

static void test_encrypted_key_wrong_passphrase(void **state)
{
	(void)state;
	setenv("WXREV_KEY_PASSPHRASE", "wrong horse", 1);
	expect_swap("keys/merchant_key.pem", "keys/enc_key.pem",
		    "@/t.yaml:7:16: merchant.private_key: cannot decrypt "
		    "@/keys/enc_key.pem: wrong passphrase; check "
		    "WXREV_KEY_PASSPHRASE");
	unsetenv("WXREV_KEY_PASSPHRASE");
}

static void test_encrypted_key_without_passphrase(void **state)
{
	(void)state;
	expect_swap("keys/merchant_key.pem", "keys/enc_key.pem",
		    "@/t.yaml:7:16: merchant.private_key: @/keys/enc_key.pem "
		    "is encrypted; set WXREV_KEY_PASSPHRASE to its passphrase");
}

static void test_encrypted_key_prompt(void **state)
{
	char *text = swap(good, "keys/merchant_key.pem", "keys/enc_key.pem");
	struct wx_profiles *ps;

	(void)state;
	prompt_calls = 0;
	profile_set_passphrase_cb(prompt, (void *)PASSPHRASE);
	ps = load_text_ok(text);
	profile_free(ps);
	assert_int_equal(prompt_calls, 1);
	profile_set_passphrase_cb(prompt, (void *)"wrong horse");
	expect_one(text, "@/t.yaml:7:16: merchant.private_key: cannot "
			 "decrypt @/keys/enc_key.pem: wrong passphrase; check "
			 "the passphrase");
	profile_set_passphrase_cb(NULL, NULL);
	free(text);
}

/* ---- api
 * ------------------------------------------------------------------------- */

static void test_plain_http_only_on_loopback(void **state)
{
	static const char *const ok[] = {
	    "http://127.0.0.1:8080", "http://127.9.8.7", "http://[::1]:80/",
	    "http://localhost:18080", "https://api.example.com/prefix",
	    /* the same loopback rule as the transport (http.c) */
	    "http://[::ffff:127.0.0.1]:8080/"};
	struct wx_profiles *ps;

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(ok); i++) {
		char *url = wx_xasprintf("base_url: %s", ok[i]);
		char *text =
		    swap(good, "base_url: https://127.0.0.1:18443", url);

		ps = load_text_ok(text);
		profile_free(ps);
		free(text);
		free(url);
	}
	expect_swap("base_url: https://127.0.0.1:18443",
		    "base_url: http://api.mch.weixin.qq.com",
		    "@/t.yaml:13:13: api.base_url "
		    "\"http://api.mch.weixin.qq.com\" must start with https:// "
		    "(plain http:// is allowed only for 127.0.0.1, ::1 or "
		    "localhost); fix the URL");
	expect_swap("backup_url: https://localhost:18443/",
		    "backup_url: http://128.0.0.1",
		    "@/t.yaml:14:15: api.backup_url \"http://128.0.0.1\" must "
		    "start with https:// (plain http:// is allowed only for "
		    "127.0.0.1, ::1 or localhost); fix the URL");
	expect_swap("base_url: https://127.0.0.1:18443",
		    "base_url: ftp://127.0.0.1",
		    "@/t.yaml:13:13: api.base_url \"ftp://127.0.0.1\" is not a "
		    "URL like https://api.mch.weixin.qq.com; fix it or remove "
		    "the line for that default");
}

static void test_timeout_range(void **state)
{
	(void)state;
	expect_swap("timeout_s: 7", "timeout_s: 0",
		    "@/t.yaml:15:14: api.timeout_s must be a whole number of "
		    "seconds from 1 to 120 (got \"0\"); fix it or remove the "
		    "line for the default of 10");
	expect_swap("timeout_s: 7", "timeout_s: 2.5",
		    "@/t.yaml:15:14: api.timeout_s must be a whole number of "
		    "seconds from 1 to 120 (got \"2.5\"); fix it or remove the "
		    "line for the default of 10");
}

static void test_ca_file_must_exist(void **state)
{
	(void)state;
	expect_swap(
	    "  timeout_s: 7\n", "  ca_file: keys/ca.pem\n",
	    "@/t.yaml:15:12: api.ca_file: @/keys/ca.pem does not exist; "
	    "fix the path (relative paths start at the folder of this "
	    "file)");
}

/* ---- YAML itself ------------------------------------------------------------
 */

static void test_syntax_error(void **state)
{
	(void)state;
	expect_swap("  timeout_s: 7\n", "  timeout_s: 7\n wrong: indent\n",
		    "@/t.yaml:16:2: YAML syntax error: did not find expected "
		    "key (while parsing a block mapping at line 1); check the "
		    "indentation, quotes and colons here");
}

static void test_aliases_rejected(void **state)
{
	char *a = swap(good, "sp_appid: wxd678efh567hg6787\n",
		       "sp_appid: &id wxd678efh567hg6787\n");

	(void)state;
	/* An anchor alone is harmless; using it is refused. */
	profile_free(load_text_ok(a));
	free(a);
	expect_swap(
	    "    sub_appid: wx8888888888888888\n", "    sub_appid: *id\n",
	    "@/t.yaml:19:16: aliases (*id) are not allowed in profiles; "
	    "write the value out in full");
}

static void test_invalid_utf8(void **state)
{
	static const char text[] = "name: Caf\xe9\nsp_mchid: \"1\"\n";

	(void)state;
	put("t.yaml", text, sizeof(text) - 1);
	expect_msgs("t.yaml", 1,
		    "@/t.yaml:1:10: the file is not plain UTF-8 text (invalid "
		    "trailing UTF-8 octet); save it as UTF-8 without control "
		    "characters");
}

static void test_second_document(void **state)
{
	char *a = wx_xasprintf("%s---\nname: Again\n", good);

	(void)state;
	expect_one(a, "@/t.yaml:22:1: a second YAML document starts here; "
		      "keep one partner per file and move it to its own file");
	free(a);
}

static void test_empty_file(void **state)
{
	(void)state;
	expect_one("# nothing yet\n", "@/t.yaml:1:1: the file is empty; fill "
				      "it in from profiles/example.yaml");
	expect_one("- name: x\n",
		   "@/t.yaml:1:1: the file must be a mapping of keys (name:, "
		   "sp_mchid:, ...), not a list; start from "
		   "profiles/example.yaml");
}

static void test_file_too_large(void **state)
{
	char *path = path_in("huge.yaml");
	FILE *f = fopen(path, "w");

	(void)state;
	/* Sparse: the size is checked before anything is read. */
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), ((off_t)64 << 20) + 1), 0);
	fclose(f);
	expect_msgs("huge.yaml", 1,
		    "@/huge.yaml: the file is larger than 64 MiB, the limit "
		    "for a profile; split it or remove unused entries");
	remove(path);
	free(path);
}

static void test_sub_entry_must_be_mapping(void **state)
{
	(void)state;
	expect_swap(
	    "  - name: 北京烤鸭店\n    sub_mchid: \"1900000110\"\n",
	    "  - 1900000110\n",
	    "@/t.yaml:20:5: each sub_merchants entry must be a mapping, "
	    "not text; write '- name: ...' with 'sub_mchid: ...' below "
	    "it");
}

static void test_name_is_one_line(void **state)
{
	(void)state;
	expect_swap("name: Test Partner", "name: \"Test\\nPartner\"",
		    "@/t.yaml:1:7: name must be one line of text without "
		    "control characters; remove the escapes or line breaks");
}

static void test_missing_location(void **state)
{
	struct wx_profiles *ps = NULL;
	struct wx_diags d = {0};
	char *path = path_in("none");
	char *want = expand("@/none: no such file or folder; create it from "
			    "profiles/example.yaml or point --profiles or "
			    "WXREV_PROFILES at your profiles");

	(void)state;
	assert_int_equal(profile_load(path, &ps, &d), -1);
	assert_null(ps);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], want);
	wx_diags_free(&d);
	free(path);
	free(want);
}

static void test_every_problem_reported(void **state)
{
	char *a = swap(good, "sp_mchid: \"1230000109\"", "sp_mchid: abc");
	char *b = swap(a, "keys/merchant_key.pem", "keys/gone.pem");
	char *c = swap(b, "timeout_s: 7", "timeout_s: 500");

	(void)state;
	put_text("t.yaml", c);
	expect_msgs("t.yaml", 3,
		    "@/t.yaml:2:11: sp_mchid must be 1 to 32 digits (got "
		    "\"abc\"); copy the 商户号 from 账户中心 → 商户信息",
		    "@/t.yaml:7:16: merchant.private_key: @/keys/gone.pem does "
		    "not exist; fix the path (relative paths start at the "
		    "folder of this file)",
		    "@/t.yaml:15:14: api.timeout_s must be a whole number of "
		    "seconds from 1 to 120 (got \"500\"); fix it or remove the "
		    "line for the default of 10");
	free(a);
	free(b);
	free(c);
}

/* ---- lookups
 * ------------------------------------------------------------------ */

/* Two partners that share a sub-merchant name. */
static struct wx_profiles *two_partners(void)
{
	static const char second[] =
	    "name: Second SP\n"
	    "sp_mchid: \"1230000200\"\n"
	    "merchant:\n"
	    "  serial_no: 3775B6A45ACD588826D15E583A95F5DD2CE6A3E1\n"
	    "  private_key: ../keys/merchant_key.pem\n"
	    "wechatpay:\n"
	    "  certificates: [../keys/wechatpay_cert.pem]\n"
	    "sub_merchants:\n"
	    "  - {name: Coffee Shop, sub_mchid: \"1900000300\"}\n"
	    "  - {name: Tea House, sub_mchid: \"1900000301\"}\n";
	char *a = good_one_down();

	put_text("find/a.yaml", a);
	put_text("find/b.yaml", second);
	free(a);
	return load_ok("find");
}

static void test_find_sub(void **state)
{
	struct wx_profiles *ps;
	const struct wx_sub *s;
	struct wx_err err = {{0}};

	(void)state;
	ps = two_partners();

	s = profile_find_sub(ps, NULL, "北京烤鸭店", &err);
	assert_non_null(s);
	assert_string_equal(s->sub_mchid, "1900000110");
	s = profile_find_sub(ps, NULL, "1900000301", &err);
	assert_non_null(s);
	assert_string_equal(s->partner->name, "Second SP");
	s = profile_find_sub(ps, NULL, "tea house", &err);
	assert_non_null(s);
	assert_string_equal(s->sub_mchid, "1900000301");
	s = profile_find_sub(ps, "1230000200", "Coffee Shop", &err);
	assert_non_null(s);
	assert_string_equal(s->sub_mchid, "1900000300");
	s = profile_find_sub(ps, "Test Partner", "Coffee Shop", &err);
	assert_non_null(s);
	assert_string_equal(s->sub_mchid, "1900000109");

	assert_null(profile_find_sub(ps, NULL, "Coffee Shop", &err));
	assert_string_equal(err.msg,
			    "sub-merchant \"Coffee Shop\" is ambiguous: Coffee "
			    "Shop (1900000109) of Test Partner, Coffee Shop "
			    "(1900000300) of Second SP; add --partner or name "
			    "it by its sub_mchid");
	assert_null(profile_find_sub(ps, "Second SP", "Book Store", &err));
	assert_string_equal(err.msg,
			    "Second SP has no sub-merchant named or numbered "
			    "\"Book Store\"; known: Coffee Shop (1900000300), "
			    "Tea House (1900000301)");
	assert_null(profile_find_sub(ps, "Third", "Tea House", &err));
	assert_string_equal(err.msg,
			    "no partner is named or numbered \"Third\"; known "
			    "partners: Test Partner (1230000109), Second SP "
			    "(1230000200)");
	assert_null(profile_find_sub(ps, NULL, "1900000999", &err));
	assert_string_equal(
	    err.msg, "no sub-merchant is named or numbered "
		     "\"1900000999\"; known: Coffee Shop (1900000109) of "
		     "Test Partner, 北京烤鸭店 (1900000110) of Test "
		     "Partner, Coffee Shop (1900000300) of Second SP, Tea "
		     "House (1900000301) of Second SP");
	profile_free(ps);
}

static void test_summary(void **state)
{
	struct wx_profiles *ps = load_text_ok(good);
	char line[512];

	(void)state;
	profile_summary(&ps->partners[0], line, sizeof(line));
	assert_string_equal(line,
			    "Test Partner (sp_mchid 1230000109): 2 "
			    "sub-merchants, https://127.0.0.1:18443, keys "
			    "PUB_KEY_ID_0112300001092026112600000000000001, "
			    "5157F09EFDC096DE15EBE81A47057A7232F1B8E1");
	profile_free(ps);
}

static void test_locate(void **state)
{
	struct wx_err err = {{0}};
	char buf[256];

	(void)state;
	setenv("WXREV_PROFILES", "/srv/wxrev", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/desk", 1);
	assert_int_equal(profile_locate("mine.yaml", buf, sizeof(buf), &err),
			 0);
	assert_string_equal(buf, "mine.yaml");
	assert_int_equal(profile_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/srv/wxrev");
	unsetenv("WXREV_PROFILES");
	assert_int_equal(profile_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/xdg/wxrev/profiles");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(profile_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/home/desk/.config/wxrev/profiles");
	assert_int_equal(profile_locate(NULL, buf, 8, &err), -1);
	assert_string_equal(err.msg, "the profiles path is too long; use a "
				     "shorter --profiles path");
}

/* ---- the committed profiles ------------------------------------------------
 */

static void test_demo_profile(void **state)
{
	struct wx_profiles *ps = NULL;
	struct wx_diags d = {0};
	const struct wx_partner *p;

	(void)state;
	if (access("profiles/keys/.done", F_OK) != 0)
		skip(); /* `make` generates the demo keys */
	assert_int_equal(profile_load("profiles/demo.yaml", &ps, &d), 0);
	p = &ps->partners[0];
	assert_string_equal(p->name, "Demo Service Provider");
	assert_string_equal(p->sp_mchid, "1230000109");
	assert_string_equal(p->base_url, "https://127.0.0.1:18443");
	assert_string_equal(p->backup_url, "https://localhost:18443");
	assert_string_equal(p->ca_file, "profiles/keys/test-ca.pem");
	assert_int_equal(p->nplatform, 2);
	assert_int_equal(p->nsubs, 3);
	assert_string_equal(p->subs[1].name, "北京烤鸭店");
	profile_free(ps);
}

static void test_example_profile(void **state)
{
	struct wx_profiles *ps = NULL;
	struct wx_diags d = {0};

	(void)state;
	/* A template: only the files a desk must provide are missing. */
	assert_int_equal(profile_load("profiles/example.yaml", &ps, &d), -1);
	dump(&d);
	assert_int_equal(d.n, 3);
	for (size_t i = 0; i < d.n; i++)
		assert_non_null(strstr(d.msgs[i], " does not exist; fix the "
						  "path"));
	wx_diags_free(&d);
}

/* The fixtures `wxrev profiles --check` is tried on: every message, in
 * order, as bad.expected lists them. */
static void test_fixtures(void **state)
{
	struct wx_profiles *ps = NULL;
	struct wx_diags d = {0};
	char *want, *line, *save = NULL;
	size_t i = 0;

	(void)state;
	if (access("profiles/keys/.done", F_OK) != 0)
		skip(); /* the fixtures use the demo keys `make` generates */
	assert_int_equal(profile_load("tests/fixtures/profiles/good", &ps, &d),
			 0);
	assert_int_equal(ps->npartners, 2);
	profile_free(ps);
	ps = NULL;
	assert_int_equal(profile_load("tests/fixtures/profiles/bad", &ps, &d),
			 -1);
	assert_null(ps);
	want = slurp("tests/fixtures/profiles/bad.expected");
	for (line = strtok_r(want, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_true(i < d.n);
		assert_string_equal(d.msgs[i], line);
		i++;
	}
	assert_int_equal(i, d.n);
	free(want);
	wx_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_profile_loads),
	    cmocka_unit_test(test_defaults_and_plain_numbers),
	    cmocka_unit_test(test_no_default_backup_behind_a_test_endpoint),
	    cmocka_unit_test(test_serial_from_certificate),
	    cmocka_unit_test(test_folder_of_two_files),
	    cmocka_unit_test(test_missing_required_keys),
	    cmocka_unit_test(test_empty_value),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_mchid_not_digits),
	    cmocka_unit_test(test_appid_checked),
	    cmocka_unit_test(test_unknown_keys_suggest),
	    cmocka_unit_test(test_unknown_key_in_sub),
	    cmocka_unit_test(test_duplicate_key),
	    cmocka_unit_test(test_duplicate_sub_mchid),
	    cmocka_unit_test(test_many_subs_one_duplicate),
	    cmocka_unit_test(test_empty_sub_list),
	    cmocka_unit_test(test_same_sp_mchid_in_two_files),
	    cmocka_unit_test(test_path_does_not_exist),
	    cmocka_unit_test(test_path_cannot_be_read),
	    cmocka_unit_test(test_key_readable_by_others),
	    cmocka_unit_test(test_key_not_rsa),
	    cmocka_unit_test(test_key_too_short),
	    cmocka_unit_test(test_key_is_a_certificate),
	    cmocka_unit_test(test_certificate_not_matching_key),
	    cmocka_unit_test(test_serial_mismatch),
	    cmocka_unit_test(test_serial_not_hex),
	    cmocka_unit_test(test_neither_serial_nor_certificate),
	    cmocka_unit_test(test_neither_public_key_nor_certificates),
	    cmocka_unit_test(test_public_key_without_id),
	    cmocka_unit_test(test_public_key_id_without_key),
	    cmocka_unit_test(test_platform_certificate_not_a_certificate),
	    cmocka_unit_test(test_encrypted_key_with_passphrase),
	    cmocka_unit_test(test_encrypted_key_wrong_passphrase),
	    cmocka_unit_test(test_encrypted_key_without_passphrase),
	    cmocka_unit_test(test_encrypted_key_prompt),
	    cmocka_unit_test(test_plain_http_only_on_loopback),
	    cmocka_unit_test(test_timeout_range),
	    cmocka_unit_test(test_ca_file_must_exist),
	    cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_aliases_rejected),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_second_document),
	    cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_file_too_large),
	    cmocka_unit_test(test_sub_entry_must_be_mapping),
	    cmocka_unit_test(test_name_is_one_line),
	    cmocka_unit_test(test_missing_location),
	    cmocka_unit_test(test_every_problem_reported),
	    cmocka_unit_test(test_find_sub),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_locate),
	    cmocka_unit_test(test_demo_profile),
	    cmocka_unit_test(test_example_profile),
	    cmocka_unit_test(test_fixtures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
