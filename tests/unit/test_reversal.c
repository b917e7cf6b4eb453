/* Unit tests of the reversal engine against a small local server that
 * signs its answers with the vectors' platform key: in-flight refusal,
 * back-off timers inside the poll timeout, the extra descriptor,
 * Retry-After capping, abandoning, a group of first attempts that
 * cannot be committed, and signing ahead for an offer whose list is gone. The
 * end-to-end rules live in tests/integration/t_reverse.sh. */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apiv3.h"
#include "history.h"
#include "reversal.h"
#include "vectors.h"

#define SP_MCHID    "1230000109"
#define SUB_MCHID   "1900000109"
#define PLATFORM_ID "PUB_KEY_ID_TEST"

/* The server and the partner it stands in for. */
struct world {
	struct MHD_Daemon *d;	   /* serves 127.0.0.1 over plain HTTP */
	EVP_PKEY *platform_key;	   /* signs the answers */
	pthread_mutex_t lock;	   /* guards the counters */
	int hits;		   /* requests received */
	int fails_left;		   /* 500s still to give (FAIL orders) */
	int limited_left;	   /* 429s still to give (LIMIT orders) */
	char url[64];		   /* http://127.0.0.1:PORT */
	char dir[64];		   /* temporary folder */
	struct wx_platform_key pk; /* verifies the answers */
	struct wx_sub sub;	   /* the one sub-merchant */
	struct wx_partner partner; /* the partner */
	struct history *h;	   /* history in dir */
	int pre_hits;		   /* requests for PRE orders received */
	char pre_url[128];	   /* the last one's path */
	char pre_auth[1024];	   /* and its Authorization header */
};

/* Collects the request body; nothing is checked but the path. */
struct req_ctx {
	int seen; /* the first call has happened */
};

static void add_signed(struct world *w, struct MHD_Response *r,
		       const char *body)
{
	char ts[24], nonce[APIV3_NONCE_LEN + 1], *msg, *sig = NULL;

	/* A fresh nonce per answer, as WeChat Pay sends: a repeated one is
	 * refused as a replay. */
	assert_int_equal(apiv3_nonce(nonce, NULL), 0);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	msg = wx_xasprintf("%s\n%s\n%s\n", ts, nonce, body);
	assert_int_equal(
	    apiv3_sign(w->platform_key, msg, strlen(msg), &sig, NULL), 0);
	MHD_add_response_header(r, "Wechatpay-Timestamp", ts);
	MHD_add_response_header(r, "Wechatpay-Nonce", nonce);
	MHD_add_response_header(r, "Wechatpay-Serial", PLATFORM_ID);
	MHD_add_response_header(r, "Wechatpay-Signature", sig);
	MHD_add_response_header(r, "Request-ID", "req-test");
	free(msg);
	free(sig);
}

/* Decides what an order gets: SLOW waits, FAIL gets 500s, LIMIT a 429. */
static unsigned answer_for(struct world *w, const char *order,
			   const char **code, bool *retry_after)
{
	unsigned status = 200;

	*code = NULL;
	*retry_after = false;
	if (strncmp(order, "SLOW", 4) == 0)
		usleep(400 * 1000);
	pthread_mutex_lock(&w->lock);
	w->hits++;
	if (strncmp(order, "FAIL", 4) == 0 && w->fails_left > 0) {
		w->fails_left--;
		status = 500;
		*code = "SYSTEM_ERROR";
	} else if (strncmp(order, "LIMIT", 5) == 0 && w->limited_left > 0) {
		w->limited_left--;
		status = 429;
		*code = "RATELIMIT_EXCEEDED";
		*retry_after = true;
	}
	pthread_mutex_unlock(&w->lock);
	return status;
}

/* Keeps what a PRE order's request carried, for the test to check. */
static void keep_pre(struct world *w, struct MHD_Connection *conn,
		     const char *url)
{
	const char *auth =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	pthread_mutex_lock(&w->lock);
	w->pre_hits++;
	snprintf(w->pre_url, sizeof(w->pre_url), "%s", url);
	snprintf(w->pre_auth, sizeof(w->pre_auth), "%s", auth ? auth : "");
	pthread_mutex_unlock(&w->lock);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **ptr)
{
	struct world *w = cls;
	const char *order = url + strlen(APIV3_PATH_PREFIX);
	char ord[64], *body;
	const char *code;
	bool ra;
	unsigned status;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)method;
	(void)version;
	(void)upload;
	if (*ptr == NULL) {
		*ptr = w;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	snprintf(ord, sizeof(ord), "%.*s", (int)strcspn(order, "/"), order);
	if (strncmp(ord, "PRE", 3) == 0)
		keep_pre(w, conn, url);
	status = answer_for(w, ord, &code, &ra);
	if (code)
		body =
		    wx_xasprintf("{\"code\":\"%s\",\"message\":\"x\"}", code);
	else
		body = wx_xasprintf("{\"sp_mchid\":\"%s\",\"sub_mchid\":\"%s\","
				    "\"out_trade_no\":\"%s\"}",
				    SP_MCHID, SUB_MCHID, ord);
	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_MUST_FREE);
	add_signed(w, r, body);
	if (ra)
		MHD_add_response_header(r, "Retry-After", "100");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	struct world *w = wx_xcalloc(1, sizeof(*w));
	const union MHD_DaemonInfo *info;
	char *hist;

	pthread_mutex_init(&w->lock, NULL);
	w->platform_key = vectors_private_key("wechatpay_key.pem");
	w->pk.id = wx_xstrdup(PLATFORM_ID);
	w->pk.pkey = vectors_public_key("wechatpay_pub.pem");
	w->partner.key = vectors_private_key("merchant_key.pem");
	assert_non_null(w->platform_key);
	assert_non_null(w->pk.pkey);
	assert_non_null(w->partner.key);
	w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
				    MHD_USE_THREAD_PER_CONNECTION,
				0, NULL, NULL, handle, w, MHD_OPTION_END);
	assert_non_null(w->d);
	info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%u",
		 (unsigned)info->port);
	w->sub = (struct wx_sub){.name = wx_xstrdup("Coffee Shop"),
				 .sub_mchid = wx_xstrdup(SUB_MCHID),
				 .partner = &w->partner};
	w->partner.name = wx_xstrdup("Test");
	w->partner.sp_mchid = wx_xstrdup(SP_MCHID);
	w->partner.serial_no =
	    wx_xstrdup("3775B6A45ACD588826D15E583A95F5DD2CE6A3E1");
	w->partner.platform = &w->pk;
	w->partner.nplatform = 1;
	w->partner.base_url = w->url;
	w->partner.timeout_s = 5;
	w->partner.subs = &w->sub;
	w->partner.nsubs = 1;
	snprintf(w->dir, sizeof(w->dir), "/tmp/wxrev-rv.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	hist = wx_xasprintf("%s/history.db", w->dir);
	assert_int_equal(history_open(hist, &w->h, NULL), 0);
	free(hist);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char *cmd = wx_xasprintf("rm -rf '%s'", w->dir);

	history_close(w->h);
	MHD_stop_daemon(w->d);
	EVP_PKEY_free(w->platform_key);
	EVP_PKEY_free(w->pk.pkey);
	EVP_PKEY_free(w->partner.key);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", w->dir);
	free(cmd);
	pthread_mutex_destroy(&w->lock);
	free(w->pk.id);
	free(w->sub.name);
	free(w->sub.sub_mchid);
	free(w->partner.name);
	free(w->partner.sp_mchid);
	free(w->partner.serial_no);
	free(w);
	return 0;
}

static int hits(struct world *w)
{
	int n;

	pthread_mutex_lock(&w->lock);
	n = w->hits;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static struct reversal_params params(struct world *w, const char *order)
{
	return (struct reversal_params){.partner = &w->partner,
					.sub = &w->sub,
					.out_trade_no = order,
					.op = "tester"};
}

/* Polls until nothing is in flight; fails after 20 s. */
static void run_until_idle(struct reversal_engine *e, int timeout_ms)
{
	int64_t end = wx_monotonic_ms() + 20000;

	while (reversal_engine_poll(e, -1, timeout_ms, NULL) > 0)
		assert_true(wx_monotonic_ms() < end);
}

/* Takes n results, each of them reversed. */
static void expect_reversed(struct reversal_engine *e, int n)
{
	for (int i = 0; i < n; i++) {
		struct reversal_result *r = reversal_engine_next_done(e);

		assert_non_null(r);
		assert_int_equal(r->outcome, WX_REVERSED);
		reversal_result_free(r);
	}
}

static int count_rows(struct world *w)
{
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *rows = NULL;
	size_t n = 0;

	assert_int_equal(history_list(w->h, &f, 0, 100, &rows, &n, NULL), 0);
	history_rows_free(rows, n);
	return (int)n;
}

static void test_reversed(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	struct reversal_params p = params(w, "OK-0001");
	struct reversal_result *r;
	int64_t id = 0;

	assert_int_equal(reversal_submit(e, &p, &id, NULL), 0);
	assert_true(id > 0);
	assert_true(reversal_in_flight(e, SUB_MCHID, "OK-0001"));
	run_until_idle(e, 1000);
	r = reversal_engine_next_done(e);
	assert_non_null(r);
	assert_int_equal(r->outcome, WX_REVERSED);
	assert_true(r->verified);
	assert_int_equal(r->attempts, 1);
	assert_int_equal(r->history_id, id);
	assert_string_equal(r->request_id, "req-test");
	assert_null(reversal_engine_next_done(e));
	reversal_result_free(r);
	reversal_engine_free(e);
}

static void test_same_order_refused_in_flight(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	struct reversal_params p = params(w, "SLOW-1");
	struct reversal_params q = params(w, "SLOW-2");
	struct wx_err err = {{0}};
	struct reversal_flight f;

	assert_int_equal(reversal_submit(e, &p, NULL, NULL), 0);
	assert_int_equal(reversal_submit(e, &p, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "already in flight"));
	assert_int_equal(count_rows(w), 1);
	assert_int_equal(reversal_submit(e, &q, NULL, NULL), 0);
	assert_int_equal(reversal_engine_active(e), 2);
	assert_true(reversal_flight(e, NULL, 0, &f));
	assert_int_equal(f.history_id, 1);
	assert_true(f.started_ms >= 0);
	assert_int_equal(f.attempt, 1);
	run_until_idle(e, 1000);
	expect_reversed(e, 2);
	assert_false(reversal_in_flight(e, SUB_MCHID, "SLOW-1"));
	assert_int_equal(reversal_flights(e, NULL), 0);
	reversal_engine_free(e);
}

static void test_backoff_is_a_poll_timer(void **state)
{
	struct world *w = *state;
	struct reversal_options o = {
	    .max_retries = 2, .backoff_ms = 300, .retry_after_cap_ms = 60000};
	struct reversal_engine *e = reversal_engine_new(w->h, &o, NULL);
	struct reversal_params p = params(w, "FAIL-1");
	struct reversal_result *r;
	int64_t start = wx_monotonic_ms(), took;

	w->fails_left = 2;
	assert_int_equal(reversal_submit(e, &p, NULL, NULL), 0);
	/* A long poll timeout must still wake for each back-off timer. */
	while (reversal_engine_poll(e, -1, 60000, NULL) > 0)
		assert_true(wx_monotonic_ms() - start < 10000);
	took = wx_monotonic_ms() - start;
	r = reversal_engine_next_done(e);
	assert_non_null(r);
	assert_int_equal(r->outcome, WX_REVERSED);
	assert_int_equal(r->attempts, 3);
	assert_int_equal(hits(w), 3);
	/* 300 ms then 600 ms of back-off, and not much more. */
	assert_true(took >= 900);
	assert_true(took < 5000);
	reversal_result_free(r);
	reversal_engine_free(e);
}

static void test_extra_fd_wakes_during_backoff(void **state)
{
	struct world *w = *state;
	struct reversal_options o = {
	    .max_retries = 1, .backoff_ms = 3000, .retry_after_cap_ms = 60000};
	struct reversal_engine *e = reversal_engine_new(w->h, &o, NULL);
	struct reversal_params p = params(w, "FAIL-2");
	int fds[2];
	bool ready = false;
	int64_t start;

	w->fails_left = 1;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(reversal_submit(e, &p, NULL, NULL), 0);
	while (hits(w) < 1)
		reversal_engine_poll(e, -1, 50, NULL);
	reversal_engine_poll(e, -1, 200, NULL); /* first answer: back-off */
	assert_int_equal(write(fds[1], "k", 1), 1);
	start = wx_monotonic_ms();
	reversal_engine_poll(e, fds[0], 2000, &ready);
	assert_true(ready);
	assert_true(wx_monotonic_ms() - start < 1000);
	assert_int_equal(reversal_engine_active(e), 1);
	close(fds[0]);
	close(fds[1]);
	reversal_engine_free(e);
}

static void test_retry_after_is_capped(void **state)
{
	struct world *w = *state;
	struct reversal_options o = {
	    .max_retries = 2, .backoff_ms = 10, .retry_after_cap_ms = 400};
	struct reversal_engine *e = reversal_engine_new(w->h, &o, NULL);
	struct reversal_params p = params(w, "LIMIT-1");
	struct reversal_result *r;
	int64_t start = wx_monotonic_ms(), took;

	w->limited_left = 1;
	assert_int_equal(reversal_submit(e, &p, NULL, NULL), 0);
	run_until_idle(e, 60000);
	took = wx_monotonic_ms() - start;
	r = reversal_engine_next_done(e);
	assert_int_equal(r->outcome, WX_REVERSED);
	assert_int_equal(r->attempts, 2);
	/* Retry-After says 100 s; the cap says 400 ms. */
	assert_true(took >= 400);
	assert_true(took < 5000);
	reversal_result_free(r);
	reversal_engine_free(e);
}

static void test_free_in_flight_records_unknown(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	struct reversal_params p = params(w, "SLOW-3");
	struct history_reversal row = {0};
	struct history_attempt *atts = NULL;
	size_t natts = 0;
	int64_t id = 0;

	assert_int_equal(reversal_submit(e, &p, &id, NULL), 0);
	reversal_engine_poll(e, -1, 50, NULL);
	reversal_engine_free(e);
	assert_int_equal(history_get(w->h, id, &row, &atts, &natts, NULL), 0);
	assert_int_equal(row.outcome, WX_UNKNOWN);
	assert_string_equal(row.code, REVERSAL_CODE_INTERRUPTED);
	assert_int_equal(natts, 1);
	assert_non_null(atts[0].transport_error);
	history_reversal_clear(&row);
	history_attempts_free(atts, natts);
}

static void test_plain_http_elsewhere_refused_unrecorded(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	struct reversal_params p = params(w, "OK-0002");
	struct wx_err err = {{0}};
	char plain[] = "http://api.mch.weixin.qq.com";

	w->partner.base_url = plain;
	assert_int_equal(reversal_submit(e, &p, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "https://"));
	assert_int_equal(count_rows(w), 0);
	assert_int_equal(hits(w), 0);
	w->partner.base_url = w->url;
	reversal_engine_free(e);
}

/* From now on, a transaction that writes an attempt fails at COMMIT, as
 * one does when the disk fills up at a group's commit: a deferred foreign
 * key is checked only at COMMIT, so every write of the group succeeds and
 * the commit itself is refused. */
static void fail_attempt_commits(struct world *w, bool on)
{
	char *path = wx_xasprintf("%s/history.db", w->dir);
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(
	    sqlite3_exec(
		db,
		on ? "CREATE TABLE fault_parent (id INTEGER PRIMARY KEY);"
		     "CREATE TABLE fault_child (pid INTEGER REFERENCES "
		     "fault_parent(id) DEFERRABLE INITIALLY DEFERRED);"
		     "CREATE TRIGGER fault_attempts AFTER INSERT ON "
		     "attempts BEGIN INSERT INTO fault_child VALUES (1); "
		     "END;"
		   : "DROP TRIGGER fault_attempts;",
		NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

static void test_group_commit_failure_sends_nothing(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	const char *orders[] = {"GRP-0001", "GRP-0002", "GRP-0003"};
	struct reversal_params p[3];
	struct wx_err errs[3];
	int64_t ids[3];
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *rows = NULL;
	struct reversal_result *r;
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		p[i] = params(w, orders[i]);
	memset(errs, 0, sizeof(errs));
	fail_attempt_commits(w, true);
	assert_int_equal(reversal_submit_many(e, p, 3, ids, errs), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ids[i], 0);
		/* The operator is told what happened and why. */
		assert_non_null(strstr(errs[i].msg, "nothing was sent because "
						    "the history cannot be "
						    "written"));
	}
	assert_int_equal(reversal_engine_active(e), 0);
	reversal_engine_poll(e, -1, 300, NULL);
	assert_int_equal(hits(w), 0); /* not one byte of the group left */
	assert_null(reversal_engine_next_done(e));
	/* Nothing half-written: the pending rows went with the attempts in
	 * the one failed commit, so nothing is left pending or claimed. */
	assert_int_equal(history_list(w->h, &f, 0, 100, &rows, &n, NULL), 0);
	assert_int_equal(n, 0);
	history_rows_free(rows, n);
	/* Once the history can be written again, the same orders go out,
	 * once each. */
	fail_attempt_commits(w, false);
	assert_int_equal(reversal_submit_many(e, p, 3, ids, errs), 3);
	run_until_idle(e, 1000);
	while ((r = reversal_engine_next_done(e)) != NULL) {
		assert_int_equal(r->outcome, WX_REVERSED);
		reversal_result_free(r);
	}
	assert_int_equal(hits(w), 3);
	reversal_engine_free(e);
}

/* The order number offered for signing ahead is the engine's own: the
 * list that offered it is freed (a list stopped in the UI) before the
 * engine signs it, and the submit of that order still sends the request
 * signed ahead, for that order. */
static void test_presign_outlives_the_offer(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	struct reversal_params slow = params(w, "SLOW-4");
	char *offered = wx_xstrdup("PRE-0001");
	struct reversal_params p = params(w, offered);
	EVP_PKEY *merchant_pub = vectors_public_key("merchant_pub.pem");
	char *target = apiv3_target("PRE-0001"), *body, *ts, *nonce, *sig;
	char *msg;
	int64_t signed_by;

	assert_non_null(merchant_pub);
	assert_int_equal(reversal_submit(e, &slow, NULL, NULL), 0);
	reversal_presign(e, &p);
	/* The list goes; its memory now says another order. */
	memcpy(offered, "PRE-0002", 8);
	free(offered);
	/* Signed ahead while SLOW-4's answer is awaited. */
	reversal_engine_poll(e, -1, 100, NULL);
	signed_by = wx_now_ms() / 1000;
	/* The submit comes a second later: a request signed for it then
	 * would carry a later timestamp than the one signed ahead. */
	while (wx_now_ms() / 1000 <= signed_by)
		usleep(20 * 1000);
	p = params(w, "PRE-0001");
	assert_int_equal(reversal_submit(e, &p, NULL, NULL), 0);
	run_until_idle(e, 1000);
	expect_reversed(e, 2);
	assert_int_equal(w->pre_hits, 1);
	assert_string_equal(w->pre_url, target);
	ts = vectors_auth_item(w->pre_auth, "timestamp");
	nonce = vectors_auth_item(w->pre_auth, "nonce_str");
	sig = vectors_auth_item(w->pre_auth, "signature");
	assert_non_null(ts);
	assert_non_null(nonce);
	assert_non_null(sig);
	assert_true(strtoll(ts, NULL, 10) <= signed_by); /* signed ahead */
	/* and its signature is over PRE-0001's path. */
	body = apiv3_body(NULL, SP_MCHID, NULL, SUB_MCHID);
	msg = apiv3_sign_message("POST", target, ts, nonce, body);
	assert_true(vectors_verify(merchant_pub, msg, sig));
	free(msg);
	free(body);
	free(ts);
	free(nonce);
	free(sig);
	free(target);
	EVP_PKEY_free(merchant_pub);
	reversal_engine_free(e);
}

/* Offers taken at once, while the signer (a thread of the engine's own on
 * more than one processor) is still signing them, and more than the
 * engine keeps (the oldest dropped): each order is sent once, signed
 * ahead, waited for or signed at its submit. */
static void test_presign_taken_while_signing(void **state)
{
	struct world *w = *state;
	struct reversal_engine *e = reversal_engine_new(w->h, NULL, NULL);
	enum { N = REVERSAL_PRESIGN_MAX + 4 };
	char orders[N][16];
	struct reversal_params p[N];

	for (int i = 0; i < N; i++) {
		snprintf(orders[i], sizeof(orders[i]), "PRE-%04d", i + 1);
		p[i] = params(w, orders[i]);
		reversal_presign(e, &p[i]);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(reversal_submit(e, &p[i], NULL, NULL), 0);
	run_until_idle(e, 5000);
	expect_reversed(e, N);
	assert_null(reversal_engine_next_done(e));
	assert_int_equal(w->pre_hits, N);
	assert_int_equal(hits(w), N);
	assert_int_equal(count_rows(w), N);
	reversal_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reversed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_order_refused_in_flight,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backoff_is_a_poll_timer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_extra_fd_wakes_during_backoff,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after_is_capped, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_free_in_flight_records_unknown,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_plain_http_elsewhere_refused_unrecorded, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_group_commit_failure_sends_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_presign_outlives_the_offer,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_presign_taken_while_signing,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
