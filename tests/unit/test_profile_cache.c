/* Parsed-profile cache tests: a second start reads the cache, and nothing a
 * desk does to a profile or its keys (an edit in the same second, a new
 * key mode, a damaged cache file) ever shows stale data. Also the one rule
 * of the sub-merchant filter.
 *
 * Profiles live in a private temporary folder and the cache in its
 * cache/ subfolder (XDG_CACHE_HOME). Files are written first and then left
 * to settle for a second once: the cache refuses files younger than that. */
#define _POSIX_C_SOURCE 200809L
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "profile.h"
#include "profile_cache.h"
#include "vectors.h"

static char tmp[256];

static const char good[] =
    "name: Cache Partner\n"
    "sp_mchid: \"1230000109\"\n"
    "merchant:\n"
    "  certificate: keys/merchant_cert.pem\n"
    "  private_key: keys/merchant_key.pem\n"
    "wechatpay:\n"
    "  public_key_id: PUB_KEY_ID_0112300001092026112600000000000001\n"
    "  public_key: keys/wechatpay_pub.pem\n"
    "  certificates: [keys/wechatpay_cert.pem]\n"
    "api:\n"
    "  base_url: https://127.0.0.1:18443\n"
    "sub_merchants:\n"
    "  - name: Coffee Shop\n"
    "    sub_mchid: \"1900000109\"\n"
    "    sub_appid: wx8888888888888888\n"
    "  - name: 北京烤鸭店\n"
    "    sub_mchid: \"1900000110\"\n";

/* Profiles each test owns, written before the one settling pause. */
static const char *const own_files[] = {
    "hit.yaml",	 "secret.yaml", "edit.yaml",  "grow.yaml",    "mode.yaml",
    "flip.yaml", "cut.yaml",	"alien.yaml", "nocache.yaml", "bad.yaml",
    "key.yaml",	 "wide.yaml",	"moved.yaml", "perm.yaml",
};

/* ---- helpers ------------------------------------------------------------ */

static char *path_in(const char *rel)
{
	char *p = malloc(strlen(tmp) + strlen(rel) + 2);

	assert_non_null(p);
	sprintf(p, "%s/%s", tmp, rel);
	return p;
}

static void put(const char *rel, const char *text)
{
	char *p = path_in(rel);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void copy_vector_as(const char *name, const char *as, int mode)
{
	size_t len = 0;
	char *data = vectors_read(name, &len);
	char rel[128], *p;
	FILE *f;

	assert_non_null(data);
	snprintf(rel, sizeof(rel), "keys/%s", as);
	p = path_in(rel);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, (mode_t)mode), 0);
	free(p);
	free(data);
}

static void copy_vector(const char *name, int mode)
{
	copy_vector_as(name, name, mode);
}

static struct wx_profiles *load_ok(const char *rel)
{
	struct wx_profiles *ps = NULL;
	struct wx_diags d = {0};
	char *p = path_in(rel);
	int rc = profile_load(p, &ps, &d);

	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "unexpected: %s\n", d.msgs[i]);
	assert_int_equal(rc, 0);
	assert_int_equal(d.n, 0);
	wx_diags_free(&d);
	free(p);
	return ps;
}

/* The messages of a load that must fail, joined by newlines. */
static char *load_fails(const char *rel)
{
	struct wx_profiles *ps = NULL;
	struct wx_diags d = {0};
	struct wx_buf b = {0};
	char *p = path_in(rel);

	assert_int_equal(profile_load(p, &ps, &d), -1);
	assert_null(ps);
	for (size_t i = 0; i < d.n; i++)
		wx_buf_printf(&b, "%s\n", d.msgs[i]);
	wx_diags_free(&d);
	free(p);
	return wx_buf_take(&b);
}

/* The cache file for a profile of the temporary folder (may not exist). */
static char *cache_of(const char *rel)
{
	char *p = path_in(rel), *cf = pc_file_for(p);

	assert_non_null(cf);
	free(p);
	return cf;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Loads twice: the first load writes the cache, the second reads it. */
static struct wx_profiles *load_cached(const char *rel)
{
	char *cf = cache_of(rel);
	struct wx_profiles *ps;

	profile_free(load_ok(rel));
	assert_true(exists(cf));
	free(cf);
	ps = load_ok(rel);
	assert_non_null(ps->partners[0].strings); /* from the cache */
	return ps;
}

/* Rewrites a file with new text and puts its old mtime back, as an edit in
 * the same clock tick would leave it. */
static void edit_keep_mtime(const char *rel, const char *text)
{
	char *p = path_in(rel);
	struct stat st;
	struct timespec ts[2];

	assert_int_equal(stat(p, &st), 0);
	put(rel, text);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

static bool holds(const char *hay, size_t hn, const char *needle)
{
	size_t nn = strlen(needle);

	for (size_t i = 0; i + nn <= hn; i++) {
		if (memcmp(hay + i, needle, nn) == 0)
			return true;
	}
	return false;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void write_all(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The good profile with one path swapped for a key of its own. */
static void put_swapped(const char *rel, const char *old, const char *repl)
{
	const char *at = strstr(good, old);
	struct wx_buf b = {0};

	assert_non_null(at);
	wx_buf_append(&b, good, (size_t)(at - good));
	wx_buf_puts(&b, repl);
	wx_buf_puts(&b, at + strlen(old));
	put(rel, b.data);
	wx_buf_free(&b);
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
	struct timespec settle = {1, 200000000};
	char *dir;

	(void)state;
	unsetenv("WXREV_NO_CACHE");
	unsetenv("WXREV_KEY_PASSPHRASE");
	snprintf(tmp, sizeof(tmp), "%s/wxrev-pcache.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmp) || !vectors_dir())
		return -1;
	dir = path_in("keys");
	mkdir(dir, 0700);
	free(dir);
	dir = path_in("cache");
	setenv("XDG_CACHE_HOME", dir, 1);
	free(dir);
	copy_vector("merchant_key.pem", 0600);
	copy_vector("merchant_cert.pem", 0644);
	copy_vector("wechatpay_pub.pem", 0644);
	copy_vector("wechatpay_cert.pem", 0644);
	for (size_t i = 0; i < sizeof(own_files) / sizeof(own_files[0]); i++)
		put(own_files[i], good);
	/* Tests that change a key file get their own copy. */
	copy_vector_as("merchant_key.pem", "mode_key.pem", 0600);
	copy_vector_as("wechatpay_pub.pem", "moved_pub.pem", 0644);
	put_swapped("mode.yaml", "keys/merchant_key.pem", "keys/mode_key.pem");
	put_swapped("key.yaml", "keys/wechatpay_pub.pem", "keys/moved_pub.pem");
	nanosleep(&settle, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- what the cache gives back ------------------------------------------ */

static void test_second_load_reads_the_cache(void **state)
{
	struct wx_profiles *ps;
	const struct wx_partner *p;

	(void)state;
	ps = load_cached("hit.yaml");
	p = &ps->partners[0];
	assert_string_equal(p->name, "Cache Partner");
	assert_string_equal(p->sp_mchid, "1230000109");
	assert_string_equal(p->base_url, "https://127.0.0.1:18443");
	/* A test base_url has no default backup (it would be production). */
	assert_null(p->backup_url);
	assert_int_equal(p->timeout_s, 10);
	assert_non_null(p->serial_no);
	/* Keys are read again from their files, not from the cache. */
	assert_non_null(p->key);
	assert_int_equal(p->nplatform, 2);
	assert_string_equal(p->platform[0].id,
			    "PUB_KEY_ID_0112300001092026112600000000000001");
	assert_non_null(p->platform[0].pkey);
	assert_non_null(p->platform[1].pkey);
	assert_int_equal(p->nsubs, 2);
	assert_string_equal(p->subs[0].name, "Coffee Shop");
	assert_string_equal(p->subs[0].name_fold, "coffee shop");
	assert_string_equal(p->subs[0].sub_appid, "wx8888888888888888");
	assert_string_equal(p->subs[1].name, "北京烤鸭店");
	assert_string_equal(p->subs[1].sub_mchid, "1900000110");
	assert_null(p->subs[1].sub_appid);
	assert_ptr_equal(p->subs[1].partner, p);
	profile_free(ps);
}

static void test_cache_files_are_private(void **state)
{
	char *cf = cache_of("hit.yaml"), *dir = path_in("cache/wxrev");
	struct stat st;

	(void)state;
	profile_free(load_ok("hit.yaml"));
	assert_int_equal(stat(cf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(cf);
	free(dir);
}

static void test_cache_holds_no_key_material(void **state)
{
	char *cf = cache_of("secret.yaml"), *data, *key, *line;
	size_t len, klen;

	(void)state;
	profile_free(load_cached("secret.yaml"));
	data = read_all(cf, &len);
	key = vectors_read("merchant_key.pem", &klen);
	assert_non_null(key);
	assert_false(holds(data, len, "PRIVATE KEY"));
	assert_false(holds(data, len, "BEGIN"));
	/* No line of the key's base64 either. */
	for (line = strtok(key, "\n"); line; line = strtok(NULL, "\n")) {
		if (strlen(line) >= 16 && line[0] != '-')
			assert_false(holds(data, len, line));
	}
	free(key);
	free(data);
	free(cf);
}

/* ---- never stale -------------------------------------------------------- */

static void test_same_second_edit_is_seen(void **state)
{
	char *edited = strdup(good), *at;
	struct wx_profiles *ps;

	(void)state;
	profile_free(load_cached("edit.yaml"));
	/* Same length, same mtime: only the ctime tells. */
	at = strstr(edited, "Coffee Shop");
	memcpy(at, "Noodle Bar!", 11);
	edit_keep_mtime("edit.yaml", edited);
	ps = load_ok("edit.yaml");
	assert_string_equal(ps->partners[0].subs[0].name, "Noodle Bar!");
	assert_null(ps->partners[0].strings); /* read from the YAML */
	profile_free(ps);
	free(edited);
}

static void test_added_sub_merchant_is_seen(void **state)
{
	struct wx_buf b = {0};
	struct wx_profiles *ps;

	(void)state;
	profile_free(load_cached("grow.yaml"));
	wx_buf_printf(
	    &b, "%s  - name: Tea House\n    sub_mchid: \"1900000111\"\n", good);
	edit_keep_mtime("grow.yaml", b.data);
	ps = load_ok("grow.yaml");
	assert_int_equal(ps->partners[0].nsubs, 3);
	assert_string_equal(ps->partners[0].subs[2].name, "Tea House");
	profile_free(ps);
	wx_buf_free(&b);
}

static void test_key_opened_to_others_is_refused_again(void **state)
{
	char *key = path_in("keys/mode_key.pem"), *msgs;

	(void)state;
	profile_free(load_cached("mode.yaml"));
	assert_int_equal(chmod(key, 0644), 0);
	msgs = load_fails("mode.yaml");
	assert_non_null(strstr(msgs, "can be read by other users (mode 0644)"));
	assert_non_null(strstr(msgs, "mode.yaml:5:16: merchant.private_key"));
	assert_int_equal(chmod(key, 0600), 0);
	free(msgs);
	free(key);
}

static void test_replaced_key_file_is_seen(void **state)
{
	char *pub = path_in("keys/moved_pub.pem"), *msgs;
	char *moved = path_in("keys/moved_pub.pem.orig");

	(void)state;
	profile_free(load_cached("key.yaml"));
	assert_int_equal(rename(pub, moved), 0);
	msgs = load_fails("key.yaml");
	assert_non_null(strstr(msgs, "key.yaml:8:15: wechatpay.public_key: "));
	assert_non_null(strstr(msgs, "does not exist"));
	assert_int_equal(rename(moved, pub), 0);
	free(msgs);
	free(moved);
	free(pub);
}

static void test_moved_profile_is_read_again(void **state)
{
	struct wx_profiles *ps;
	char *from = path_in("moved.yaml"), *to = path_in("moved.tmp");
	char *edited = strdup(good), *at = strstr(edited, "Cache Partner");

	(void)state;
	profile_free(load_cached("moved.yaml"));
	/* Another file put in its place: a new inode. */
	memcpy(at, "Other Partne", 12);
	put("moved.tmp", edited);
	assert_int_equal(rename(to, from), 0);
	ps = load_ok("moved.yaml");
	assert_string_equal(ps->partners[0].name, "Other Partner");
	profile_free(ps);
	free(edited);
	free(from);
	free(to);
}

/* ---- damaged or foreign cache files ------------------------------------- */

/* Damages the cache file of rel, then checks the next load is right, reads
 * the YAML and writes a sound cache again. */
static void check_damage(const char *rel, void (*damage)(const char *cf))
{
	char *cf = cache_of(rel);
	struct wx_profiles *ps;

	profile_free(load_cached(rel));
	damage(cf);
	ps = load_ok(rel);
	assert_null(ps->partners[0].strings);
	assert_int_equal(ps->partners[0].nsubs, 2);
	assert_string_equal(ps->partners[0].subs[1].name, "北京烤鸭店");
	profile_free(ps);
	ps = load_ok(rel);
	assert_non_null(ps->partners[0].strings); /* rewritten */
	profile_free(ps);
	free(cf);
}

static void flip_byte(const char *cf)
{
	size_t len;
	char *data = read_all(cf, &len);

	data[len / 2] ^= 0x20;
	write_all(cf, data, len);
	free(data);
}

static void cut_short(const char *cf)
{
	size_t len;
	char *data = read_all(cf, &len);

	write_all(cf, data, len - 9);
	free(data);
}

static void foreign(const char *cf)
{
	static const char junk[] = "name: not a cache file\n";

	write_all(cf, junk, sizeof(junk) - 1);
}

static void widen(const char *cf)
{
	assert_int_equal(chmod(cf, 0644), 0);
}

static void test_flipped_byte_falls_back(void **state)
{
	(void)state;
	check_damage("flip.yaml", flip_byte);
}

static void test_truncated_cache_falls_back(void **state)
{
	(void)state;
	check_damage("cut.yaml", cut_short);
}

static void test_foreign_file_falls_back(void **state)
{
	(void)state;
	check_damage("alien.yaml", foreign);
}

static void test_readable_cache_is_not_trusted(void **state)
{
	(void)state;
	check_damage("perm.yaml", widen);
}

/* ---- when nothing is cached --------------------------------------------- */

static void test_no_cache_env_turns_it_off(void **state)
{
	char *cf = cache_of("nocache.yaml");

	(void)state;
	setenv("WXREV_NO_CACHE", "1", 1);
	profile_free(load_ok("nocache.yaml"));
	assert_false(exists(cf));
	unsetenv("WXREV_NO_CACHE");
	free(cf);
}

static void test_profile_with_errors_is_not_cached(void **state)
{
	char *broken = strdup(good), *at = strstr(broken, "1900000110");
	char *cf = cache_of("bad.yaml"), *first, *second;
	struct timespec settle = {1, 200000000};

	(void)state;
	memcpy(at, "19000001x0", 10);
	put("bad.yaml", broken);
	nanosleep(&settle, NULL);
	first = load_fails("bad.yaml");
	assert_false(exists(cf));
	second = load_fails("bad.yaml");
	assert_string_equal(first, second);
	assert_non_null(strstr(first, "bad.yaml:17:16: sub_mchid must be"));
	free(first);
	free(second);
	free(broken);
	free(cf);
}

static void test_fresh_profile_is_not_cached_yet(void **state)
{
	char *cf = cache_of("fresh.yaml");

	(void)state;
	put("fresh.yaml", good);
	profile_free(load_ok("fresh.yaml"));
	assert_false(exists(cf));
	free(cf);
}

/* ---- the sub-merchant filter rule --------------------------------------- */

static void test_sub_filter_rule(void **state)
{
	struct wx_profiles *ps;
	const struct wx_sub *coffee, *duck;

	(void)state;
	ps = load_ok("wide.yaml");
	coffee = &ps->partners[0].subs[0];
	duck = &ps->partners[0].subs[1];
	assert_true(profile_sub_matches(coffee, ""));
	assert_true(profile_sub_matches(coffee, NULL));
	assert_true(profile_sub_matches(coffee, "coffee"));
	assert_true(profile_sub_matches(coffee, "FEE SH"));
	assert_true(profile_sub_matches(coffee, "000010"));
	assert_false(profile_sub_matches(coffee, "烤鸭"));
	assert_true(profile_sub_matches(duck, "烤鸭"));
	assert_true(profile_sub_matches(duck, "0110"));
	assert_false(profile_sub_matches(duck, "900000109"));
	/* The partner's name and sp_mchid find all of its sub-merchants. */
	assert_true(profile_sub_matches(duck, "cache part"));
	assert_true(profile_sub_matches(duck, "1230000109"));
	assert_false(profile_sub_matches(duck, "tea"));
	profile_free(ps);
}

static void test_sub_filter_on_hand_built_sub(void **state)
{
	char name[] = "Ünïcode Bäckerei", mchid[] = "1900000999";
	struct wx_sub s = {.name = name, .sub_mchid = mchid};

	(void)state;
	assert_false(profile_sub_matches(&s, "BÄCK"));
	assert_true(profile_sub_matches(&s, "bäck"));
	assert_true(profile_sub_matches(&s, "CODE B"));
	assert_true(profile_sub_matches(&s, "0999"));
	assert_false(profile_sub_matches(&s, "bakery"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_second_load_reads_the_cache),
	    cmocka_unit_test(test_cache_files_are_private),
	    cmocka_unit_test(test_cache_holds_no_key_material),
	    cmocka_unit_test(test_same_second_edit_is_seen),
	    cmocka_unit_test(test_added_sub_merchant_is_seen),
	    cmocka_unit_test(test_key_opened_to_others_is_refused_again),
	    cmocka_unit_test(test_replaced_key_file_is_seen),
	    cmocka_unit_test(test_moved_profile_is_read_again),
	    cmocka_unit_test(test_flipped_byte_falls_back),
	    cmocka_unit_test(test_truncated_cache_falls_back),
	    cmocka_unit_test(test_foreign_file_falls_back),
	    cmocka_unit_test(test_readable_cache_is_not_trusted),
	    cmocka_unit_test(test_no_cache_env_turns_it_off),
	    cmocka_unit_test(test_profile_with_errors_is_not_cached),
	    cmocka_unit_test(test_fresh_profile_is_not_cached_yet),
	    cmocka_unit_test(test_sub_filter_rule),
	    cmocka_unit_test(test_sub_filter_on_hand_built_sub),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
