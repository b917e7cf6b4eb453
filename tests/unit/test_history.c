/* History: durability, permissions, recovery, filters, paging, failures a
 * desk would hit (read-only, not a database, locked, full disk) and the
 * export formats. Each test works in its own temporary folder. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "history.h"
#include "history_pg.h"
#include "history_export.h"

struct fx {
	char dir[256];	/* temporary folder, removed afterwards */
	char path[512]; /* dir/history.db */
};

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
	struct fx *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	snprintf(fx->dir, sizeof(fx->dir), "%s/wxrev-hist-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/history.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct history *open_ok(const char *path)
{
	struct history *h = NULL;
	struct wx_err err = {{0}};

	if (history_open(path, &h, &err) != 0)
		fail_msg("history_open: %s", err.msg);
	return h;
}

/* Begins a reversal with the given order, sub-merchant and note. */
static int64_t begin(struct history *h, const char *order, const char *sub_name,
		     const char *sub_mchid, const char *note)
{
	struct history_reversal r = {0};
	struct wx_err err = {{0}};

	r.op = (char *)"alice";
	r.note = (char *)note;
	r.partner_name = (char *)"Demo Service Provider";
	r.sp_mchid = (char *)"1230000109";
	r.sub_name = (char *)sub_name;
	r.sub_mchid = (char *)sub_mchid;
	r.out_trade_no = (char *)order;
	r.endpoint = (char *)"https://api.mch.weixin.qq.com";
	if (history_begin(h, &r, &err) != 0)
		fail_msg("history_begin: %s", err.msg);
	assert_true(r.id > 0);
	assert_int_equal(r.outcome, WX_PENDING);
	return r.id;
}

static void finish(struct history *h, int64_t id, enum wx_outcome o, int status,
		   const char *code)
{
	struct wx_err err = {{0}};

	if (history_finish(h, id, o, status, code, code ? "错误" : NULL, 42,
			   &err) != 0)
		fail_msg("history_finish: %s", err.msg);
}

/* One value from a fresh, independent connection: what another process
 * (or the next start) would see on disk. */
static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static char *sql_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void sql_exec(const char *path, const char *fmt, ...) WX_PRINTF(2, 3);

static void sql_exec(const char *path, const char *fmt, ...)
{
	sqlite3 *db = NULL;
	char sql[1024];
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- files ---- */

static void test_create_modes_and_schema(void **state)
{
	struct fx *fx = *state;
	char dir[300];
	char path[400];
	char side[500];
	struct history *h;

	umask(022);
	snprintf(dir, sizeof(dir), "%s/data/wxrev", fx->dir);
	snprintf(path, sizeof(path), "%s/history.db", dir);
	h = open_ok(path);
	begin(h, "ORDER0001", "Coffee Shop", "1900000109", NULL);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(mode_of(path), 0600);
	snprintf(side, sizeof(side), "%s-wal", path);
	assert_int_equal(mode_of(side), 0600);
	snprintf(side, sizeof(side), "%s-shm", path);
	assert_int_equal(mode_of(side), 0600);
	assert_int_equal(sql_int(path, "PRAGMA user_version"), 5);
	char *jm = sql_text(path, "PRAGMA journal_mode");
	assert_string_equal(jm, "wal");
	free(jm);
	assert_string_equal(history_path(h), path);
	history_close(h);
	/* Reopening an up-to-date file keeps it as it is. */
	h = open_ok(path);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM reversals"), 1);
	history_close(h);
}

static void test_loose_file_is_tightened(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);

	history_close(h);
	assert_int_equal(chmod(fx->path, 0644), 0);
	h = open_ok(fx->path);
	assert_int_equal(mode_of(fx->path), 0600);
	history_close(h);
}

static void test_locate_order(void **state)
{
	char buf[512];
	struct wx_err err = {{0}};

	(void)state;
	setenv("WXREV_HISTORY", "/env/h.db", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/desk", 1);
	assert_int_equal(history_locate("/arg/h.db", buf, sizeof(buf), &err),
			 0);
	assert_string_equal(buf, "/arg/h.db");
	assert_int_equal(history_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/env/h.db");
	unsetenv("WXREV_HISTORY");
	assert_int_equal(history_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/xdg/wxrev/history.db");
	/* A relative XDG_DATA_HOME is invalid by the spec: ignored. */
	setenv("XDG_DATA_HOME", "rel", 1);
	assert_int_equal(history_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/home/desk/.local/share/wxrev/history.db");
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(history_locate(NULL, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "/home/desk/.local/share/wxrev/history.db");
	assert_int_equal(history_locate(NULL, buf, 8, &err), -1);
	assert_non_null(strstr(err.msg, "--history"));
}

/* ---- writes ---- */

static void test_begin_is_durable_before_returning(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	int64_t id =
	    begin(h, "ORDER0001", "Coffee Shop", "1900000109", "ticket 7");
	char sql[200];
	char *s;

	snprintf(sql, sizeof(sql),
		 "SELECT outcome FROM reversals WHERE id = %lld",
		 (long long)id);
	s = sql_text(fx->path, sql);
	assert_non_null(s);
	assert_string_equal(s, "pending");
	free(s);
	snprintf(sql, sizeof(sql), "SELECT pid FROM reversals WHERE id = %lld",
		 (long long)id);
	assert_int_equal(sql_int(fx->path, sql), getpid());
	history_close(h);
}

/* Group commit: the writes of a group reach the disk together at
 * history_group_end and not before; a write that fails inside the group is
 * undone alone; after the group each write commits on its own again. */
static void test_group_commit(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct wx_err err = {{0}};
	const char *count = "SELECT count(*) FROM reversals";
	char sql[200];
	int64_t id1, id2;
	char *s;

	history_group_begin(h);
	id1 = begin(h, "GROUP0001", "Coffee Shop", "1900000109", NULL);
	id2 = begin(h, "GROUP0002", "Coffee Shop", "1900000109", NULL);
	finish(h, id1, WX_REVERSED, 200, NULL);
	assert_int_equal(sql_int(fx->path, count), 0);
	assert_int_equal(history_finish(h, id2 + 100, WX_FAILED, 500, NULL,
					NULL, 1, &err),
			 -1);
	assert_int_equal(history_group_end(h, &err), 0);
	assert_int_equal(sql_int(fx->path, count), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT outcome FROM reversals WHERE id = %lld",
		 (long long)id1);
	s = sql_text(fx->path, sql);
	assert_string_equal(s, "reversed");
	free(s);
	finish(h, id2, WX_FAILED, 500, "SYSTEM_ERROR");
	snprintf(sql, sizeof(sql),
		 "SELECT outcome FROM reversals WHERE id = %lld",
		 (long long)id2);
	s = sql_text(fx->path, sql);
	assert_string_equal(s, "failed");
	free(s);
	/* An empty group commits nothing and succeeds. */
	history_group_begin(h);
	assert_int_equal(history_group_end(h, &err), 0);
	history_close(h);
}

static void test_attempts_and_finish(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	int64_t id = begin(h, "订单-001", "咖啡店", "1900000109", "工单 12");
	struct history_attempt a = {0};
	struct history_reversal r;
	struct history_attempt *atts = NULL;
	size_t n = 0;
	struct wx_err err = {{0}};
	/* Bytes that are not UTF-8 survive unchanged. */
	const char body[] =
	    "{\"code\":\"SYSTEM_ERROR\",\"message\":\"系统错误\xff\xfe\"}";

	a.reversal_id = id;
	a.n = 1;
	a.started_ms = 1000;
	a.url = (char *)"https://api.mch.weixin.qq.com/v3/x";
	a.request_headers = (char *)"Authorization: [redacted]\n";
	a.request_body = (char *)"{\"sp_mchid\":\"1230000109\"}";
	a.status = 500;
	a.response_body = (char *)body;
	a.latency_ms = 30;
	a.request_id = (char *)"REQ-1";
	assert_int_equal(history_add_attempt(h, &a, &err), 0);
	a.n = 2;
	a.status = 0;
	a.response_body = NULL;
	a.transport_error = (char *)"Connection reset by peer";
	a.latency_ms = 12;
	assert_int_equal(history_add_attempt(h, &a, &err), 0);
	/* The same attempt number again fills in its answer, never a
	 * second row (a started attempt is answered this way). */
	assert_int_equal(history_add_attempt(h, &a, &err), 0);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM attempts"),
			 2);
	/* history_attempt_start refuses a number already used. */
	assert_int_equal(history_attempt_start(h, &a, &err), -1);
	assert_non_null(strstr(err.msg, "attempt 2"));
	a.reversal_id = id + 100;
	assert_int_equal(history_add_attempt(h, &a, &err), -1);
	assert_non_null(strstr(err.msg, "no reversal"));

	assert_int_equal(
	    history_finish(h, id, WX_REVERSED, 200, NULL, NULL, 77, &err), 0);
	assert_int_equal(
	    history_finish(h, id + 100, WX_REVERSED, 200, NULL, NULL, 77, &err),
	    -1);
	assert_int_equal(history_get(h, id, &r, &atts, &n, &err), 0);
	assert_int_equal(r.outcome, WX_REVERSED);
	assert_int_equal(r.http_status, 200);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.latency_ms, 77);
	assert_string_equal(r.sub_name, "咖啡店");
	assert_string_equal(r.note, "工单 12");
	assert_string_equal(r.op, "alice");
	assert_null(r.code);
	assert_int_equal(n, 2);
	assert_int_equal(atts[0].n, 1);
	assert_int_equal(atts[0].status, 500);
	assert_string_equal(atts[0].response_body, body);
	assert_string_equal(atts[0].request_id, "REQ-1");
	assert_null(atts[0].transport_error);
	assert_int_equal(atts[1].n, 2);
	assert_string_equal(atts[1].transport_error,
			    "Connection reset by peer");
	history_attempts_free(atts, n);
	history_reversal_clear(&r);
	assert_int_equal(history_get(h, id + 100, &r, &atts, &n, &err), -1);
	history_close(h);
}

static void test_latest_for_order(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_reversal r;
	int64_t count = -1;
	int64_t id;
	struct wx_err err = {{0}};

	assert_int_equal(
	    history_latest_for_order(h, "1900000109", "A1", &r, &count, &err),
	    0);
	assert_int_equal(count, 0);
	assert_int_equal(r.id, 0);
	id = begin(h, "A1", "Coffee Shop", "1900000109", NULL);
	finish(h, id, WX_FAILED, 500, "SYSTEM_ERROR");
	id = begin(h, "A1", "Coffee Shop", "1900000109", NULL);
	finish(h, id, WX_REVERSED, 200, NULL);
	begin(h, "A1", "Tea House", "1900000110", NULL);
	begin(h, "A12", "Coffee Shop", "1900000109", NULL);
	assert_int_equal(
	    history_latest_for_order(h, "1900000109", "A1", &r, &count, &err),
	    0);
	assert_int_equal(count, 2);
	assert_int_equal(r.id, id);
	assert_int_equal(r.outcome, WX_REVERSED);
	assert_string_equal(r.op, "alice");
	history_reversal_clear(&r);
	assert_int_equal(history_count(h, &count, &err), 0);
	assert_int_equal(count, 4);
	history_close(h);
}

/* ---- recovery ---- */

static char *column_of(const char *path, const char *col, int64_t id)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT %s FROM reversals WHERE id = %lld",
		 col, (long long)id);
	return sql_text(path, sql);
}

static void assert_column(const char *path, const char *col, int64_t id,
			  const char *want)
{
	char *s = column_of(path, col, id);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static int in_child(void (*fn)(const char *path, int fd), const char *path,
		    char *msg, size_t n);

/* A child claims an order and dies without finishing (as kill -9 would). */
static void claim_and_die(const char *path, int fd)
{
	struct history *h = NULL;
	struct wx_err err = {{0}};

	(void)fd;
	if (history_open(path, &h, &err) != 0)
		_exit(1);
	if (begin(h, "DEAD01", "Coffee Shop", "1900000109", NULL) <= 0)
		_exit(2);
	_exit(0); /* no history_close: the kernel drops the claim */
}

static void test_recovery_of_dead_pending_rows(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	int64_t live = begin(h, "LIVE01", "Coffee Shop", "1900000109", NULL);
	int64_t done = begin(h, "DONE01", "Coffee Shop", "1900000109", NULL);
	int64_t dead, reused;
	char msg[64] = "";
	struct history *h2;
	char *m;

	finish(h, done, WX_REJECTED, 404, "ORDER_NOT_EXIST");
	assert_int_equal(in_child(claim_and_die, fx->path, msg, sizeof(msg)),
			 0);
	dead = sql_int(fx->path,
		       "SELECT id FROM reversals WHERE out_trade_no = 'DEAD01'");
	/* A row naming this very process (a recycled or foreign-namespace
	 * PID) but holding no claim is not live. */
	sql_exec(fx->path,
		 "INSERT INTO reversals (created_ms, updated_ms, sub_mchid,"
		 " out_trade_no, outcome, pid) VALUES (1, 1, '1900000109',"
		 " 'REUSED1', 'pending', %d)",
		 (int)getpid());
	reused = sql_int(fx->path, "SELECT max(id) FROM reversals");
	h2 = open_ok(fx->path);
	assert_column(fx->path, "outcome", dead, "unknown");
	assert_column(fx->path, "code", dead, "INTERRUPTED");
	m = column_of(fx->path, "message", dead);
	assert_non_null(strstr(m, "stopped before the answer arrived"));
	free(m);
	assert_column(fx->path, "outcome", reused, "unknown");
	assert_column(fx->path, "outcome", live, "pending");
	assert_column(fx->path, "outcome", done, "rejected");
	assert_column(fx->path, "code", done, "ORDER_NOT_EXIST");
	/* The live owner still finishes its own reversal. */
	finish(h, live, WX_REVERSED, 200, NULL);
	assert_column(fx->path, "outcome", live, "reversed");
	history_close(h2);
	history_close(h);
}

/* One order, one claim: a second handle (another process, another
 * window) is refused while the first holds it, told who, and may claim
 * again once it is finished. */
static void test_claim_is_exclusive(void **state)
{
	struct fx *fx = *state;
	struct history *a = open_ok(fx->path);
	struct history *b = open_ok(fx->path);
	struct history_reversal r = {0}, holder;
	struct wx_err err = {{0}};
	int64_t id;

	id = begin(a, "CLAIM01", "Coffee Shop", "1900000109", NULL);
	r.op = (char *)"bob";
	r.sp_mchid = (char *)"1230000109";
	r.sub_mchid = (char *)"1900000109";
	r.out_trade_no = (char *)"CLAIM01";
	assert_int_equal(history_begin(b, &r, &err), HISTORY_CLAIMED);
	assert_non_null(strstr(err.msg, "already being reversed"));
	assert_non_null(strstr(err.msg, "nothing was sent"));
	assert_int_equal(history_claim_holder(b, "1230000109", "1900000109", "CLAIM01",
					      &holder, &err),
			 1);
	assert_int_equal(holder.id, id);
	assert_non_null(holder.host);
	history_reversal_clear(&holder);
	/* The same order under another sub-merchant is another order. */
	r.sub_mchid = (char *)"1900000110";
	assert_int_equal(history_begin(b, &r, &err), 0);
	r.sub_mchid = (char *)"1900000109";
	finish(a, id, WX_REVERSED, 200, NULL);
	assert_int_equal(history_begin(b, &r, &err), 0);
	history_close(b);
	history_close(a);
}

/* ---- filters and paging ---- */

struct row_spec {
	const char *order;
	const char *sub_name;
	const char *sub_mchid;
	const char *note;
	enum wx_outcome outcome;
	const char *code;
	int64_t created_ms;
};

static const struct row_spec rows_spec[] = {
    {"4200001234ABC", "Coffee Shop", "1900000109", "ticket 100", WX_REVERSED,
     NULL, 1000},
    {"4200001235XYZ", "咖啡店", "1900000110", NULL, WX_REJECTED,
     "ORDER_NOT_EXIST", 2000},
    {"ab-1", "Tea House", "1900000111", "退款 客户投诉", WX_FAILED,
     "SYSTEM_ERROR", 3000},
    {"T20240501abc9", "Coffee Shop", "1900000109", NULL, WX_UNKNOWN,
     "NO_ANSWER", 4000},
    {"Q_1%x", "咖啡店", "1900000110", "escalated to ops", WX_REJECTED,
     "PARAM_ERROR", 5000},
    {"99887766", "Tea House", "1900000111", "100% sure", WX_REVERSED, NULL,
     6000},
};

static void seed(struct history *h, const char *path, int64_t *ids)
{
	for (size_t i = 0; i < sizeof(rows_spec) / sizeof(rows_spec[0]); i++) {
		const struct row_spec *s = &rows_spec[i];

		ids[i] = begin(h, s->order, s->sub_name, s->sub_mchid, s->note);
		finish(h, ids[i], s->outcome, 400, s->code);
		sql_exec(path,
			 "UPDATE reversals SET created_ms = %lld "
			 "WHERE id = %lld",
			 (long long)s->created_ms, (long long)ids[i]);
	}
}

/* Asserts the filter returns exactly the rows whose indexes are listed
 * (any order in the list), newest first. */
static void expect(struct history *h, const struct history_filter *f,
		   const int64_t *ids, const char *want)
{
	struct history_reversal *rows = NULL;
	size_t n = 0;
	struct wx_err err = {{0}};
	size_t k = 0;

	if (history_list(h, f, 0, 100, &rows, &n, &err) != 0)
		fail_msg("history_list: %s", err.msg);
	/* want is like "531": newest first, as indexes into rows_spec. */
	for (k = 0; want[k]; k++) {
		if (k >= n)
			fail_msg("filter returned %zu rows, want %s", n, want);
		if (rows[k].id != ids[want[k] - '0'])
			fail_msg("row %zu is id %lld, want index %c", k,
				 (long long)rows[k].id, want[k]);
	}
	if (n != k)
		fail_msg("filter returned %zu rows, want %s", n, want);
	history_rows_free(rows, n);
}

static void test_filters(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	int64_t ids[6];
	struct history_filter f = HISTORY_FILTER_ANY;

	seed(h, fx->path, ids);
	expect(h, &f, ids, "543210");
	/* Substrings of three characters or more: the trigram index. */
	f.text = "abc";
	expect(h, &f, ids, "30");
	f.text = "00123";
	expect(h, &f, ids, "10");
	f.text = "咖啡店";
	expect(h, &f, ids, "41");
	f.text = "客户投诉";
	expect(h, &f, ids, "2");
	f.text = "NOT_EXIST";
	expect(h, &f, ids, "1");
	f.text = "rejected";
	expect(h, &f, ids, "41");
	f.text = "1900000111";
	expect(h, &f, ids, "52");
	f.text = "quote\"d";
	expect(h, &f, ids, "");
	/* Shorter ones: a LIKE scan, wildcards taken literally. */
	f.text = "咖啡";
	expect(h, &f, ids, "41");
	f.text = "%";
	expect(h, &f, ids, "54");
	f.text = "_1";
	expect(h, &f, ids, "4");
	f.text = "AB";
	expect(h, &f, ids, "320");
	f.text = NULL;
	/* Order substring, long and short. */
	f.order = "XYZ";
	expect(h, &f, ids, "1");
	f.order = "b-";
	expect(h, &f, ids, "2");
	f.order = "咖啡店";
	expect(h, &f, ids, "");
	f.order = NULL;
	/* Sub-merchant by mchid or by name. */
	f.sub = "1900000109";
	expect(h, &f, ids, "30");
	f.sub = "咖啡店";
	expect(h, &f, ids, "41");
	/* With a sub-merchant, substrings are checked on its rows only. */
	f.text = "escalated";
	expect(h, &f, ids, "4");
	f.sub = "1900000109";
	f.text = "ABC";
	expect(h, &f, ids, "30");
	f.order = "9";
	expect(h, &f, ids, "3");
	f.order = NULL;
	f.text = NULL;
	f.sub = NULL;
	f.outcome = WX_REJECTED;
	expect(h, &f, ids, "41");
	f.code = "PARAM_ERROR";
	expect(h, &f, ids, "4");
	f.outcome = -1;
	f.code = "SYSTEM_ERROR";
	expect(h, &f, ids, "2");
	f.code = NULL;
	f.since_ms = 2000;
	f.until_ms = 5000;
	expect(h, &f, ids, "321");
	/* Combined: text through the index plus the other filters. */
	f.text = "Coffee";
	expect(h, &f, ids, "3");
	f.outcome = WX_REVERSED;
	expect(h, &f, ids, "");
	history_close(h);
}

/* Walks every page of a filter; asserts strictly decreasing ids. */
static size_t walk(struct history *h, const struct history_filter *f, int page,
		   int64_t *seen)
{
	int64_t before = 0;
	size_t total = 0;
	struct history_reversal *rows;
	size_t n;
	struct wx_err err = {{0}};

	do {
		assert_int_equal(
		    history_list(h, f, before, page, &rows, &n, &err), 0);
		assert_true(n <= (size_t)page);
		for (size_t i = 0; i < n; i++) {
			if (total && rows[i].id >= seen[total - 1])
				fail_msg("id %lld after %lld",
					 (long long)rows[i].id,
					 (long long)seen[total - 1]);
			seen[total++] = rows[i].id;
		}
		if (n)
			before = rows[n - 1].id;
		history_rows_free(rows, n);
	} while (n == (size_t)page);
	return total;
}

static void test_keyset_paging(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	int64_t seen[300];
	int64_t ids[250];
	char order[32];
	size_t n;
	size_t k;

	for (int i = 0; i < 250; i++) {
		snprintf(order, sizeof(order), "P%04d%s", i,
			 i % 3 == 0 ? "MATCH" : "");
		ids[i] = begin(h, order, "Coffee Shop", "1900000109", NULL);
		if (i % 2 == 0)
			finish(h, ids[i], WX_REVERSED, 200, NULL);
	}
	n = walk(h, &f, 7, seen);
	assert_int_equal(n, 250);
	for (int i = 0; i < 250; i++)
		assert_int_equal(seen[i], ids[249 - i]);
	/* Through the trigram index: every third row. */
	f.text = "match";
	n = walk(h, &f, 9, seen);
	assert_int_equal(n, 84);
	k = 0;
	for (int i = 249; i >= 0; i--) {
		if (i % 3 == 0)
			assert_int_equal(seen[k++], ids[i]);
	}
	/* Through a LIKE scan. */
	f.text = "1M";
	n = walk(h, &f, 4, seen);
	for (size_t i = 0; i < n; i++) {
		int idx = (int)(seen[i] - ids[0]);

		assert_true(idx % 3 == 0 && idx % 10 == 1);
	}
	assert_int_equal(n, 8); /* 21, 51, ..., 231: 1 mod 10 and 0 mod 3 */
	/* Through the outcome index. */
	f.text = NULL;
	f.outcome = WX_PENDING;
	n = walk(h, &f, 10, seen);
	assert_int_equal(n, 125);
	history_close(h);
}

/* A rare one-character filter is searched in windows of `budget` ids, each
 * call resuming where the last stopped, and together they find exactly
 * what one unbounded scan finds, in the same order. */
static void test_step_bounds_each_scan(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *rows;
	struct wx_err err = {{0}};
	int64_t ids[120], before = 0, resume = 0, found[8];
	size_t n, total = 0;
	int calls = 0;
	char order[32];

	for (int i = 0; i < 120; i++) {
		/* Only rows 5 and 97 carry a 'Z'. */
		snprintf(order, sizeof(order), "Q%04d%s", i,
			 i == 5 || i == 97 ? "Z" : "");
		ids[i] = begin(h, order, "Coffee Shop", "1900000109", NULL);
	}
	f.text = "Z";
	do {
		assert_int_equal(history_list_step(h, &f, before, 10, 16, &rows,
						   &n, &resume, &err),
				 0);
		calls++;
		for (size_t i = 0; i < n; i++) {
			assert_true(total < 8);
			found[total++] = rows[i].id;
		}
		history_rows_free(rows, n);
		before = resume;
	} while (resume != 0);
	assert_int_equal(total, 2);
	assert_int_equal(found[0], ids[97]);
	assert_int_equal(found[1], ids[5]);
	/* 120 rows in windows of 16: every call looked at no more than that. */
	assert_int_equal(calls, 8);
	/* An indexed filter is not windowed: one call, a full page. */
	f.text = "Q00";
	assert_int_equal(history_list_step(h, &f, 0, 10, 16, &rows, &n, &resume,
					   &err),
			 0);
	assert_int_equal(n, 10);
	assert_int_equal(resume, 0);
	history_rows_free(rows, n);
	history_close(h);
}

/* ---- failures ---- */

static int read_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got + 1 < n) {
		r = read(fd, buf + got, n - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return (int)got;
}

/* Runs fn in a child with a pipe for its message; returns its status. */
static int in_child(void (*fn)(const char *path, int fd), const char *path,
		    char *msg, size_t n)
{
	int fds[2];
	pid_t pid;
	int status = -1;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		fn(path, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	read_all(fds[0], msg, n);
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void write_msg(int fd, const char *s)
{
	size_t len = strlen(s);

	if (write(fd, s, len) != (ssize_t)len)
		_exit(3);
}

/* A file this user cannot write: as root, run as nobody instead. */
static void become_reader(const char *path)
{
	struct passwd *pw = getpwnam("nobody");

	if (geteuid() != 0) {
		if (chmod(path, 0400) != 0)
			_exit(4);
		return;
	}
	if (!pw || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		_exit(5);
}

static void readonly_child(const char *path, int fd)
{
	struct history *h = NULL;
	struct history_reversal r = {0};
	struct wx_err err = {{0}};

	become_reader(path);
	if (history_open(path, &h, &err) != 0) {
		write_msg(fd, "open failed: ");
		write_msg(fd, err.msg);
		_exit(1);
	}
	r.out_trade_no = (char *)"RO1";
	r.sub_mchid = (char *)"1900000109";
	if (history_begin(h, &r, &err) == 0)
		_exit(2);
	write_msg(fd, err.msg);
	history_close(h);
	_exit(0);
}

static void test_readonly_file_refuses_begin(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	char msg[1024];
	int status;

	begin(h, "ORDER1", "Coffee Shop", "1900000109", NULL);
	history_close(h);
	/* Readable by the reader, writable by nobody but the owner. */
	assert_int_equal(chmod(fx->dir, 0777), 0);
	assert_int_equal(chmod(fx->path, 0644), 0);
	status = in_child(readonly_child, fx->path, msg, sizeof(msg));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child status %d: %s", status, msg);
	assert_non_null(strstr(msg, fx->path));
	assert_non_null(strstr(msg, "read-only"));
	assert_non_null(strstr(msg, "--history FILE"));
	chmod(fx->path, 0600);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM reversals"),
			 1);
}

static void test_not_a_database(void **state)
{
	struct fx *fx = *state;
	struct history *h = NULL;
	struct wx_err err = {{0}};
	FILE *f = fopen(fx->path, "w");
	char other[600];

	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is a text file, not a database\n", f);
	fclose(f);
	assert_int_equal(history_open(fx->path, &h, &err), -1);
	assert_null(h);
	assert_non_null(strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, "not a wxrev history"));
	assert_non_null(strstr(err.msg, "move it away"));
	/* Another program's SQLite file is left untouched. */
	snprintf(other, sizeof(other), "%s/other.db", fx->dir);
	sql_exec(other, "CREATE TABLE contacts (name TEXT)");
	assert_int_equal(history_open(other, &h, &err), -1);
	assert_non_null(strstr(err.msg, "not a wxrev history"));
	assert_int_equal(sql_int(other, "SELECT count(*) FROM sqlite_master "
					"WHERE name = 'reversals'"),
			 0);
}

static void test_newer_schema(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct wx_err err = {{0}};

	history_close(h);
	sql_exec(fx->path, "PRAGMA user_version = 99");
	h = NULL;
	assert_int_equal(history_open(fx->path, &h, &err), -1);
	assert_non_null(strstr(err.msg, "newer wxrev"));
	assert_non_null(strstr(err.msg, fx->path));
}

static void test_locked_longer_than_timeout(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_reversal r = {0};
	struct wx_err err = {{0}};
	sqlite3 *other = NULL;
	int64_t t0;

	assert_int_equal(sqlite3_open(fx->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other,
				      "BEGIN IMMEDIATE; UPDATE reversals "
				      "SET note = 'x'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	history_set_busy_timeout(h, 300);
	r.out_trade_no = (char *)"LOCK1";
	r.sub_mchid = (char *)"1900000109";
	t0 = wx_monotonic_ms();
	assert_int_equal(history_begin(h, &r, &err), -1);
	t0 = wx_monotonic_ms() - t0;
	assert_true(t0 >= 250 && t0 < 3000); /* waited, then gave up */
	assert_non_null(strstr(err.msg, fx->path));
	assert_non_null(strstr(err.msg, "locked by another program"));
	assert_non_null(strstr(err.msg, "0.3 s"));
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM reversals"),
			 0);
	/* Once the lock is gone the same handle writes again. */
	begin(h, "LOCK1", "Coffee Shop", "1900000109", NULL);
	history_close(h);
}

static void writer_child(const char *path, int fd)
{
	struct history *h = NULL;
	struct history_reversal r = {0};
	struct wx_err err = {{0}};
	char order[32];

	/* What is tested is that every writer gets in, not how fast: on a
	 * loaded machine four writers fsyncing 400 transactions each can make
	 * one wait past the default 5 s, even to open (recovery writes). A
	 * "locked" answer is then tried again, as a patient operator would;
	 * any other failure fails the test. */
	for (int tries = 0; history_open(path, &h, &err) != 0; tries++) {
		if (!strstr(err.msg, "locked") || tries == 12) {
			write_msg(fd, err.msg);
			_exit(1);
		}
	}
	history_set_busy_timeout(h, 60000);
	for (int i = 0; i < 200; i++) {
		snprintf(order, sizeof(order), "W%d-%d", (int)getpid(), i);
		memset(&r, 0, sizeof(r));
		r.out_trade_no = order;
		r.sub_mchid = (char *)"1900000109";
		if (history_begin(h, &r, &err) != 0 ||
		    history_finish(h, r.id, WX_REVERSED, 200, NULL, NULL, 1,
				   &err) != 0) {
			write_msg(fd, err.msg);
			_exit(1);
		}
	}
	history_close(h);
	_exit(0);
}

/* Four processes opening a history that does not exist yet, at once: all
 * of them get in (creating the schema, switching to WAL) and write. Run a
 * few rounds, since the race is in the first milliseconds. */
static void test_fresh_file_opened_by_many_at_once(void **state)
{
	struct fx *fx = *state;
	char path[sizeof(fx->path) + 16];
	int status;

	for (int round = 0; round < 5; round++) {
		pid_t pids[4];

		snprintf(path, sizeof(path), "%s/fresh%d.db", fx->dir, round);
		for (int i = 0; i < 4; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0)
				writer_child(path, 2);
		}
		for (int i = 0; i < 4; i++) {
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		assert_int_equal(sql_int(path, "SELECT count(*) FROM reversals"),
				 4 * 200);
	}
}

static void test_two_processes_lose_nothing(void **state)
{
	struct fx *fx = *state;
	pid_t pids[2];
	int status;

	history_close(open_ok(fx->path));
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			writer_child(fx->path, 2);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM reversals "
					   "WHERE outcome = 'reversed'"),
			 400);
	assert_int_equal(sql_int(fx->path, "SELECT count(DISTINCT "
					   "out_trade_no) FROM reversals"),
			 400);
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static void full_disk_child(const char *path, int fd)
{
	struct history *h = NULL;
	struct history_attempt a = {0};
	struct wx_err err = {{0}};
	struct rlimit rl;
	char side[600];
	int64_t cap;
	char *big;

	if (history_open(path, &h, &err) != 0)
		_exit(1);
	snprintf(side, sizeof(side), "%s-wal", path);
	cap = file_size(side) > file_size(path) ? file_size(side)
						: file_size(path);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = (rlim_t)cap + 8192;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		_exit(2);
	big = malloc(4 << 20);
	memset(big, 'x', 4 << 20);
	big[(4 << 20) - 1] = '\0';
	a.reversal_id = 1;
	a.n = 1;
	a.response_body = big;
	/* Kept in memory for a later try, never half-written. */
	if (history_add_attempt(h, &a, &err) != HISTORY_DEFERRED)
		_exit(3);
	if (history_unsaved(h) != 1)
		_exit(4);
	write_msg(fd, err.msg);
	free(big);
	history_close(h);
	_exit(0);
}

static void test_full_disk_leaves_database_intact(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	char msg[1024];
	char *check;
	int status;
	struct history_reversal r;
	struct history_attempt *atts;
	size_t n;
	struct wx_err err = {{0}};

	struct history *owner = open_ok(fx->path);

	assert_int_equal(begin(owner, "FULL1", "Coffee Shop", "1900000109",
			       NULL),
			 1);
	history_close(h);
	status = in_child(full_disk_child, fx->path, msg, sizeof(msg));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child status %d: %s", status, msg);
	assert_non_null(strstr(msg, fx->path));
	assert_non_null(strstr(msg, "--history FILE"));
	assert_true(strstr(msg, "full") || strstr(msg, "size limit"));
	check = sql_text(fx->path, "PRAGMA integrity_check");
	assert_string_equal(check, "ok");
	free(check);
	h = open_ok(fx->path);
	assert_int_equal(history_get(h, 1, &r, &atts, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(r.attempts, 0);
	/* Its owner still holds the claim: pending, not recovered. */
	assert_int_equal(r.outcome, WX_PENDING);
	history_reversal_clear(&r);
	history_attempts_free(atts, n);
	history_close(h);
	history_close(owner);
}

/* ---- export ---- */

static char *export(struct history *h, const struct history_filter *f,
		    int limit, enum history_format fmt)
{
	char *data = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&data, &len);
	struct wx_err err = {{0}};

	assert_non_null(out);
	if (history_export(h, f, limit, fmt, out, &err) != 0)
		fail_msg("history_export: %s", err.msg);
	fclose(out);
	return data;
}

/* Reads one RFC 4180 record; returns the number of fields. */
static int csv_record(const char **p, char fields[][256], int max)
{
	int nf = 0;
	size_t k = 0;
	int quoted = 0;
	const char *s = *p;

	if (!*s)
		return 0;
	for (;;) {
		if (quoted && *s == '"' && s[1] == '"') {
			fields[nf][k++] = '"';
			s += 2;
		} else if (*s == '"' && (quoted || k == 0)) {
			quoted = !quoted;
			s++;
		} else if (!quoted && (*s == ',' || *s == '\r' || !*s)) {
			fields[nf++][k] = '\0';
			k = 0;
			if (*s != ',' || nf == max)
				break;
			s++;
		} else {
			fields[nf][k++] = *s++;
		}
	}
	assert_true(*s == '\r' && s[1] == '\n');
	*p = s + 2;
	return nf;
}

static void test_csv_quoting(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	char fields[32][256];
	const char *p;
	char *csv;
	int64_t id;

	id = begin(h, "CSV1", "咖啡店, 南山", "1900000110",
		   "said \"refund\"\nthen left");
	finish(h, id, WX_REJECTED, 400, "PARAM_ERROR");
	begin(h, "CSV2", "Tea", "1900000111", "=HYPERLINK(\"x\")");
	csv = export(h, &f, 0, HISTORY_CSV);
	assert_memory_equal(csv, "\xef\xbb\xbf", 3);
	p = csv + 3;
	assert_int_equal(csv_record(&p, fields, 32), 21);
	assert_string_equal(fields[0], "id");
	assert_string_equal(fields[10], "out_trade_no");
	assert_int_equal(csv_record(&p, fields, 32), 21);
	assert_string_equal(fields[10], "CSV2");
	assert_string_equal(fields[5], "'=HYPERLINK(\"x\")");
	assert_int_equal(csv_record(&p, fields, 32), 21);
	assert_string_equal(fields[10], "CSV1");
	assert_string_equal(fields[8], "咖啡店, 南山");
	assert_string_equal(fields[5], "said \"refund\"\nthen left");
	assert_string_equal(fields[12], "rejected");
	assert_string_equal(fields[14], "PARAM_ERROR");
	assert_string_equal(fields[15], "错误");
	assert_int_equal(csv_record(&p, fields, 32), 0);
	/* The exact quoting: doubled quotes inside one quoted field. */
	assert_non_null(strstr(csv, ",\"said \"\"refund\"\"\nthen left\","));
	assert_non_null(strstr(csv, ",\"咖啡店, 南山\","));
	free(csv);
	history_close(h);
}

static void test_jsonl_parses(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	json_error_t jerr;
	char *out;
	char *line;
	char *save = NULL;
	int lines = 0;
	int64_t id;

	id = begin(h, "J1", "咖啡店", "1900000110", "bad \xff bytes\nline 2");
	finish(h, id, WX_FAILED, 500, "SYSTEM_ERROR");
	begin(h, "J2", "Tea", "1900000111", NULL);
	sql_exec(fx->path,
		 "UPDATE reversals SET created_ms = 1714558830123 "
		 "WHERE id = %lld",
		 (long long)id);
	out = export(h, &f, 0, HISTORY_JSONL);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, &jerr);

		if (!o)
			fail_msg("line %d: %s: %s", lines + 1, jerr.text, line);
		if (lines == 1) {
			assert_string_equal(
			    json_string_value(json_object_get(o, "created")),
			    "2024-05-01T10:20:30.123Z");
			assert_string_equal(
			    json_string_value(json_object_get(o, "sub_name")),
			    "咖啡店");
			assert_string_equal(
			    json_string_value(json_object_get(o, "note")),
			    "bad \xef\xbf\xbd bytes\nline 2");
			assert_string_equal(
			    json_string_value(json_object_get(o, "outcome")),
			    "failed");
			assert_int_equal(json_integer_value(
					     json_object_get(o, "http_status")),
					 500);
		} else {
			assert_true(json_is_null(json_object_get(o, "note")));
			assert_string_equal(json_string_value(json_object_get(
						o, "out_trade_no")),
					    "J2");
		}
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 2);
	free(out);
	out = export(h, &f, 1, HISTORY_JSONL);
	assert_non_null(strstr(out, "\"J2\""));
	assert_null(strstr(out, "\"J1\""));
	free(out);
	history_close(h);
}

/* Display column where `needle` starts (CJK counts two). */
static int column_at(const char *line, const char *needle)
{
	const char *end = strstr(line, needle);
	int col = 0;

	assert_non_null(end);
	for (const unsigned char *p = (const unsigned char *)line;
	     p < (const unsigned char *)end; p++) {
		if (*p < 0x80)
			col++;
		else if (*p >= 0xe0 && *p < 0xf0)
			col += 2; /* the test data's CJK: 3 bytes, 2 columns */
	}
	return col;
}

static void test_table_aligns_chinese(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	char *out;
	char *l1;
	char *l2;
	char *l3;
	int64_t id;

	setenv("TZ", "UTC", 1);
	tzset();
	id = begin(h, "TBL1", "咖啡店", "1900000110", "工单");
	finish(h, id, WX_REJECTED, 404, "ORDER_NOT_EXIST");
	id = begin(h, "TBL2", "Tea House", "1900000111", "line\nbreak");
	finish(h, id, WX_REVERSED, 200, NULL);
	sql_exec(fx->path, "UPDATE reversals SET created_ms = 1714558830123");
	out = export(h, &f, 0, HISTORY_TABLE);
	l1 = out;
	l2 = strchr(l1, '\n');
	assert_non_null(l2);
	*l2++ = '\0';
	l3 = strchr(l2, '\n');
	assert_non_null(l3);
	*l3++ = '\0';
	assert_non_null(strstr(l1, "TIME"));
	assert_non_null(strstr(l2, "2024-05-01 10:20:30"));
	assert_non_null(strstr(l2, "line break")); /* one line per row */
	assert_int_equal(column_at(l1, "STATUS") + 6, column_at(l2, "200") + 3);
	assert_int_equal(column_at(l1, "CODE"), column_at(l3, "ORDER_NOT"));
	assert_int_equal(column_at(l2, "-  "), column_at(l3, "ORDER_NOT"));
	assert_int_equal(column_at(l1, "SUB-MERCHANT"),
			 column_at(l3, "咖啡店"));
	assert_int_equal(column_at(l1, "OPERATOR"), column_at(l3, "alice"));
	assert_int_equal(column_at(l2, "alice"), column_at(l3, "alice"));
	free(out);
	history_close(h);
}

/* A query is kept as a request of the reversal it settles (its own
 * Request-ID, not counted as an attempt); settling changes only an
 * `unknown` row and keeps what the queries saw. */
static void test_query_kept_and_settle(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_attempt a = {0};
	struct history_reversal r;
	struct history_attempt *atts = NULL;
	size_t n = 0;
	struct wx_err err = {{0}};
	int64_t id = begin(h, "ORDERQ0001", "Coffee Shop", "1900000109", NULL);
	int64_t done = begin(h, "ORDERQ0002", "Coffee Shop", "1900000109", NULL);

	a.reversal_id = id;
	a.n = 1;
	a.url = (char *)"https://x/reverse";
	a.request_id = (char *)"08AA";
	assert_int_equal(history_add_attempt(h, &a, &err), 0);
	finish(h, id, WX_UNKNOWN, 0, "NO_ANSWER");
	a.n = 99; /* ignored: numbered after the others */
	a.url = (char *)"https://x/query";
	a.request_id = (char *)"08BB";
	a.status = 200;
	assert_int_equal(history_add_query(h, &a, &err), 0);
	assert_int_equal(history_settle(h, id, WX_REVERSED, "", "settled by query",
					"query", NULL, "REVOKED", &err),
			 0);
	assert_int_equal(history_get(h, id, &r, &atts, &n, &err), 0);
	assert_int_equal(r.outcome, WX_REVERSED);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.settled_by, "query");
	assert_string_equal(r.trade_state_after, "REVOKED");
	assert_null(r.trade_state_before);
	assert_int_equal(n, 2);
	assert_string_equal(atts[0].kind, "reverse");
	assert_string_equal(atts[1].kind, "query");
	assert_int_equal(atts[1].n, 2);
	assert_string_equal(atts[1].request_id, "08BB");
	history_reversal_clear(&r);
	history_attempts_free(atts, n);
	/* Settled, or finished some other way: not open any more. */
	assert_int_equal(history_settle(h, id, WX_FAILED, NULL, NULL, "query",
					NULL, "SUCCESS", &err),
			 -1);
	assert_non_null(strstr(err.msg, "not open"));
	finish(h, done, WX_REJECTED, 404, "ORDER_NOT_EXIST");
	assert_int_equal(history_settle(h, done, WX_REVERSED, NULL, NULL,
					"query", NULL, "REVOKED", &err),
			 -1);
	/* A query that learns something but settles nothing keeps it open. */
	id = begin(h, "ORDERQ0003", "Coffee Shop", "1900000109", NULL);
	finish(h, id, WX_UNKNOWN, 0, "NO_ANSWER");
	assert_int_equal(history_settle(h, id, WX_UNKNOWN, NULL, NULL, NULL,
					"SUCCESS", "REFUND", &err),
			 0);
	assert_int_equal(history_get(h, id, &r, &atts, &n, &err), 0);
	assert_int_equal(r.outcome, WX_UNKNOWN);
	assert_string_equal(r.code, "NO_ANSWER");
	assert_string_equal(r.trade_state_before, "SUCCESS");
	assert_string_equal(r.trade_state_after, "REFUND");
	history_reversal_clear(&r);
	history_attempts_free(atts, n);
	history_close(h);
}

/* A version 1 history (before the query) is migrated in place: its rows
 * stay, its attempts read as reversal attempts. */
/* A query asked on its own is kept with its order and what it read, and
 * listed newest first, by order substring and sub-merchant, page by page. */
static void test_plain_queries_kept(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_query q = {0}, *rows = NULL;
	struct wx_err err = {{0}};
	size_t n = 0;
	const char *orders[] = {"QORDER-01", "QORDER-02", "OTHER-003"};

	for (int i = 0; i < 3; i++) {
		memset(&q, 0, sizeof(q));
		q.op = (char *)"alice";
		q.sp_mchid = (char *)"1230000109";
		q.sub_name = (char *)(i == 2 ? "Tea House" : "Coffee Shop");
		q.sub_mchid = (char *)(i == 2 ? "1900000110" : "1900000109");
		q.out_trade_no = (char *)orders[i];
		q.trade_state = (char *)(i == 1 ? NULL : "SUCCESS");
		q.code = (char *)(i == 1 ? "ORDER_NOT_EXIST" : NULL);
		q.a.status = i == 1 ? 404 : 200;
		q.a.request_id = (char *)"REQ";
		q.a.started_ms = 1000 + i;
		assert_int_equal(history_query_add(h, &q, &err), 0);
		assert_int_equal(q.id, i + 1);
	}
	assert_int_equal(history_query_list(h, NULL, "QORDER", false, 0, 0,
					    &rows, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].out_trade_no, "QORDER-02");
	assert_string_equal(rows[0].code, "ORDER_NOT_EXIST");
	assert_null(rows[0].trade_state);
	assert_int_equal(rows[0].a.status, 404);
	assert_string_equal(rows[1].trade_state, "SUCCESS");
	assert_string_equal(rows[1].op, "alice");
	assert_int_equal(rows[1].created_ms, 1000);
	assert_non_null(rows[1].host);
	history_queries_free(rows, n);
	/* By name or mchid; a page below an id. */
	assert_int_equal(history_query_list(h, "Tea House", NULL, false, 0, 0,
					    &rows, &n, &err),
			 0);
	assert_int_equal(n, 1);
	history_queries_free(rows, n);
	assert_int_equal(history_query_list(h, "1900000109", NULL, false, 2, 5,
					    &rows, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].out_trade_no, "QORDER-01");
	history_queries_free(rows, n);
	/* Exact: the whole order number, in its case, not a part of one. */
	assert_int_equal(history_query_list(h, NULL, "QORDER-0", true, 0, 0,
					    &rows, &n, &err),
			 0);
	assert_int_equal(n, 0);
	history_queries_free(rows, n);
	assert_int_equal(history_query_list(h, NULL, "qorder-01", true, 0, 0,
					    &rows, &n, &err),
			 0);
	assert_int_equal(n, 0);
	history_queries_free(rows, n);
	assert_int_equal(history_query_list(h, "1900000109", "QORDER-02", true,
					    0, 0, &rows, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].out_trade_no, "QORDER-02");
	history_queries_free(rows, n);
	/* A query is no reversal. */
	assert_int_equal(sql_int(fx->path, "SELECT count(*) FROM reversals"),
			 0);
	history_close(h);
}

static void test_v1_history_migrates(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_attempt a = {0};
	struct history_attempt *atts = NULL;
	struct history_reversal r;
	size_t n = 0;
	struct wx_err err = {{0}};
	int64_t id = begin(h, "ORDERV1", "Coffee Shop", "1900000109", NULL);

	a.reversal_id = id;
	a.n = 1;
	assert_int_equal(history_add_attempt(h, &a, &err), 0);
	history_close(h);
	sql_exec(fx->path, "ALTER TABLE attempts DROP COLUMN kind;"
			   "ALTER TABLE reversals DROP COLUMN settled_by;"
			   "ALTER TABLE reversals DROP COLUMN trade_state_before;"
			   "ALTER TABLE reversals DROP COLUMN trade_state_after;"
			   "ALTER TABLE reversals DROP COLUMN host;"
			   "DROP TABLE queries;"
			   "PRAGMA user_version = 1");
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 1);
	h = open_ok(fx->path);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(history_get(h, id, &r, &atts, &n, &err), 0);
	assert_string_equal(r.out_trade_no, "ORDERV1");
	assert_null(r.settled_by);
	assert_int_equal(n, 1);
	assert_string_equal(atts[0].kind, "reverse");
	history_reversal_clear(&r);
	history_attempts_free(atts, n);
	history_close(h);
}

/* The search index holds exactly the settled rows: none is pending, and
 * with no row pending, index and table agree entry for entry. */
static void fts_intact(const char *path)
{
	assert_int_equal(sql_int(path, "SELECT count(*) FROM reversals_fts"
				       " WHERE reversals_fts MATCH"
				       " 'outcome : pending'"),
			 0);
	if (sql_int(path, "SELECT count(*) FROM reversals"
			  " WHERE outcome = 'pending'") == 0)
		sql_exec(path, "INSERT INTO reversals_fts(reversals_fts, rank)"
			       " VALUES ('integrity-check', 1)");
}

/* The search index holds settled rows (schema v5); a text filter still
 * finds a pending one, once, and again once it is settled. */
static void test_pending_rows_are_found(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	int64_t ids[3];

	ids[0] = begin(h, "SETTLED000001", "Coffee Shop", "1900000109", NULL);
	finish(h, ids[0], WX_REVERSED, 200, NULL);
	ids[1] = begin(h, "PENDING000001", "Coffee Shop", "1900000109",
		       "客户投诉");
	ids[2] = begin(h, "SETTLED000002", "Tea House", "1900000110", NULL);
	finish(h, ids[2], WX_REJECTED, 400, "ORDER_NOT_EXIST");
	fts_intact(fx->path);
	f.text = "PENDING000001"; /* longer than a window: pieces */
	expect(h, &f, ids, "1");
	f.text = "NDING";
	expect(h, &f, ids, "1");
	f.text = "客户投诉";
	expect(h, &f, ids, "1");
	f.text = "pending";
	expect(h, &f, ids, "1");
	f.text = "000";
	expect(h, &f, ids, "210");
	f.text = "Coffee";
	expect(h, &f, ids, "10");
	f.text = NULL;
	f.order = "ING0000";
	expect(h, &f, ids, "1");
	f.order = NULL;
	f.text = "000";
	f.outcome = WX_PENDING;
	expect(h, &f, ids, "1");
	f.outcome = WX_REVERSED;
	expect(h, &f, ids, "0");
	f.outcome = -1;
	/* Settled: found through the index now, and only once. */
	finish(h, ids[1], WX_REVERSED, 200, NULL);
	fts_intact(fx->path);
	f.text = "PENDING000001";
	expect(h, &f, ids, "1");
	f.text = "reversed";
	expect(h, &f, ids, "10");
	f.text = "000";
	expect(h, &f, ids, "210");
	history_close(h);
}

/* A v4 file indexed its pending rows: v5 takes them out of the index, so
 * their outcome adds them once. */
static void test_v4_pending_rows_migrate(void **state)
{
	struct fx *fx = *state;
	struct history *h = open_ok(fx->path);
	struct history_filter f = HISTORY_FILTER_ANY;
	int64_t ids[1];

	ids[0] = begin(h, "PENDINGV4001", "Coffee Shop", "1900000109", NULL);
	history_close(h);
	sql_exec(fx->path,
		 "INSERT INTO reversals_fts(rowid, out_trade_no, sub_name,"
		 " sub_mchid, outcome, code, note) SELECT id, out_trade_no,"
		 " sub_name, sub_mchid, outcome, code, note FROM reversals;"
		 "PRAGMA user_version = 4");
	h = open_ok(fx->path);
	assert_int_equal(sql_int(fx->path, "PRAGMA user_version"), 5);
	fts_intact(fx->path);
	f.text = "PENDINGV4001";
	expect(h, &f, ids, "0");
	finish(h, ids[0], WX_REVERSED, 200, NULL);
	fts_intact(fx->path);
	expect(h, &f, ids, "0");
	history_close(h);
}

/* On a desk history a filter of one or two characters has no trigram, in
 * Chinese as in ASCII: it is searched in bounded steps, never as one scan
 * of the whole table per keystroke. */
static void test_desk_short_filters_step(void **state)
{
	struct history_filter f = HISTORY_FILTER_ANY;

	(void)state;
	f.text = "\xe8\xae\xa2"; /* 订 */
	assert_true(history_pg_scans_rows(&f));
	f.text = "\xe8\xae\xa2\xe5\x8d\x95"; /* 订单 */
	assert_true(history_pg_scans_rows(&f));
	f.text = "42";
	assert_true(history_pg_scans_rows(&f));
	f.text = "\xe8\xae\xa2\xe5\x8d\x95\xe5\x8f\xb7"; /* 订单号 */
	assert_false(history_pg_scans_rows(&f));
	f.text = NULL;
	f.order = "\xe8\xae\xa2\xe5\x8d\x95";
	assert_true(history_pg_scans_rows(&f));
	f.sub = "1900000109"; /* the sub-merchant's index narrows it */
	assert_false(history_pg_scans_rows(&f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_create_modes_and_schema),
	    T(test_loose_file_is_tightened),
	    T(test_locate_order),
	    T(test_begin_is_durable_before_returning),
	    T(test_attempts_and_finish),
	    T(test_group_commit),
	    T(test_query_kept_and_settle),
	    T(test_v1_history_migrates),
	    T(test_pending_rows_are_found),
	    T(test_v4_pending_rows_migrate),
	    T(test_desk_short_filters_step),
	    T(test_latest_for_order),
	    T(test_recovery_of_dead_pending_rows),
	    T(test_claim_is_exclusive),
	    T(test_filters),
	    T(test_keyset_paging),
	    T(test_step_bounds_each_scan),
	    T(test_readonly_file_refuses_begin),
	    T(test_not_a_database),
	    T(test_newer_schema),
	    T(test_locked_longer_than_timeout),
	    T(test_two_processes_lose_nothing),
	    T(test_fresh_file_opened_by_many_at_once),
	    T(test_full_disk_leaves_database_intact),
	    T(test_csv_quoting),
	    T(test_plain_queries_kept),
	    T(test_jsonl_parses),
	    T(test_table_aligns_chinese),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
