/* history: the SQLite store of reversals and their attempts (see history.h):
 * a history row is written and read here; history_export.c prints rows. */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include "history.h"
#include "i18n.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "config.h"
#include "history_pg.h"

/* "wxrv": marks a SQLite file as a wxrev history. */
#define HISTORY_APP_ID		0x77787276
#define HISTORY_DEFAULT_BUSY_MS 5000
/* Claims one group may take or finish: a list's largest group is 16. */
#define HISTORY_GROUP_MAX 64
#define LIST_CACHE_SIZE		16
/* Undo records of one write in a group (a savepoint) are kept in memory up
 * to this size: a group's writes each touch some twenty pages, and at
 * SQLite's 64 KiB default every one of them went out to a temporary file. */
#define STMT_JOURNAL_MEMORY (120 * 1024)
/* Substrings this long (in characters) are answered by the trigram index. */
#define TRIGRAM_MIN 3
/* Longer substrings are looked up as overlapping pieces this long. */
#define TRIGRAM_WINDOW 7

/* The search index's columns, filled from row r ("new", "old", or an
 * alias): one home for the text the migrations' triggers share. */
#define FTS_COLS "out_trade_no, sub_name, sub_mchid, outcome, code, note"
#define FTS_VALUES(r)                                                          \
	r ".id, " r ".out_trade_no, " r ".sub_name, " r ".sub_mchid, " r       \
	".outcome, " r ".code, " r ".note"
#define FTS_ADD(r)                                                             \
	" INSERT INTO reversals_fts(rowid, " FTS_COLS ") VALUES ("              \
	FTS_VALUES(r) ");"
#define FTS_DROP(r)                                                            \
	" INSERT INTO reversals_fts(reversals_fts, rowid, " FTS_COLS ")"       \
	" VALUES ('delete', " FTS_VALUES(r) ");"
#define FTS_UPDATE_OF                                                          \
	"reversals_fts_upd AFTER UPDATE OF " FTS_COLS " ON reversals"

/* Version N of the schema is migrations[N - 1]; add the next at the end. */
static const char *const migrations[] = {
    /* v1 */
    "CREATE TABLE reversals ("
    " id INTEGER PRIMARY KEY,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " operator TEXT NOT NULL DEFAULT '',"
    " note TEXT,"
    " partner_name TEXT,"
    " sp_mchid TEXT NOT NULL DEFAULT '',"
    " sub_name TEXT,"
    " sub_mchid TEXT NOT NULL DEFAULT '',"
    " out_trade_no TEXT NOT NULL DEFAULT '',"
    " endpoint TEXT,"
    " outcome TEXT NOT NULL CHECK (outcome IN"
    "  ('pending','reversed','rejected','failed','unknown')),"
    " http_status INTEGER NOT NULL DEFAULT 0,"
    " code TEXT,"
    " message TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " latency_ms INTEGER NOT NULL DEFAULT 0,"
    " pid INTEGER,"
    " pid_start INTEGER);"
    "CREATE TABLE attempts ("
    " reversal_id INTEGER NOT NULL REFERENCES reversals(id)"
    "  ON DELETE CASCADE,"
    " n INTEGER NOT NULL,"
    " started_ms INTEGER NOT NULL,"
    " url TEXT,"
    " request_headers TEXT,"
    " request_body TEXT,"
    " status INTEGER NOT NULL DEFAULT 0,"
    " response_headers TEXT,"
    " response_body TEXT,"
    " verify TEXT,"
    " transport_error TEXT,"
    " latency_ms INTEGER NOT NULL DEFAULT 0,"
    " request_id TEXT,"
    " PRIMARY KEY (reversal_id, n));"
    /* Each index ends in the rowid, so "= ? AND id < ? ORDER BY id DESC"
     * walks it in page order. */
    "CREATE INDEX reversals_outcome ON reversals(outcome);"
    "CREATE INDEX reversals_code ON reversals(code);"
    "CREATE INDEX reversals_sub_mchid ON reversals(sub_mchid);"
    "CREATE INDEX reversals_sub_name ON reversals(sub_name);"
    "CREATE INDEX reversals_created ON reversals(created_ms);"
    "CREATE INDEX reversals_order ON reversals(sub_mchid, out_trade_no);"
    "CREATE VIRTUAL TABLE reversals_fts USING fts5("
    " out_trade_no, sub_name, sub_mchid, outcome, code, note,"
    " content='reversals', content_rowid='id', tokenize='trigram');"
    "CREATE TRIGGER reversals_fts_ins AFTER INSERT ON reversals BEGIN"
    FTS_ADD("new") "END;"
    "CREATE TRIGGER reversals_fts_del AFTER DELETE ON reversals BEGIN"
    FTS_DROP("old") "END;"
    "CREATE TRIGGER " FTS_UPDATE_OF " BEGIN"
    FTS_DROP("old") FTS_ADD("new") "END;",
    /* v2: the order query. Queries are kept as requests of the reversal
     * they settle (kind 'query'); a reversal says how it was settled and
     * the trade states seen before and after. */
    "ALTER TABLE attempts ADD COLUMN kind TEXT NOT NULL DEFAULT 'reverse';"
    "ALTER TABLE reversals ADD COLUMN settled_by TEXT;"
    "ALTER TABLE reversals ADD COLUMN trade_state_before TEXT;"
    "ALTER TABLE reversals ADD COLUMN trade_state_after TEXT;",
    /* v3: the machine of the operator, so a claim says where it is held. */
    "ALTER TABLE reversals ADD COLUMN host TEXT;",
    /* v4: order queries asked on their own (the confirmation, F5, wxrev
     * query): requests that left, kept with the order they asked about. */
    "CREATE TABLE queries ("
    " id INTEGER PRIMARY KEY,"
    " created_ms INTEGER NOT NULL,"
    " operator TEXT NOT NULL DEFAULT '',"
    " host TEXT,"
    " partner_name TEXT,"
    " sp_mchid TEXT NOT NULL DEFAULT '',"
    " sub_name TEXT,"
    " sub_mchid TEXT NOT NULL DEFAULT '',"
    " out_trade_no TEXT NOT NULL DEFAULT '',"
    " trade_state TEXT,"
    " code TEXT,"
    " message TEXT,"
    " url TEXT,"
    " request_headers TEXT,"
    " status INTEGER NOT NULL DEFAULT 0,"
    " response_headers TEXT,"
    " response_body TEXT,"
    " verify TEXT,"
    " transport_error TEXT,"
    " latency_ms INTEGER NOT NULL DEFAULT 0,"
    " request_id TEXT);"
    "CREATE INDEX queries_order ON queries(out_trade_no, sub_mchid);",
    /* v5: a reversal enters the search index when it is settled, not
     * while it is pending: one index write per reversal instead of three
     * (insert, then delete and insert again at its outcome), the most
     * costly write of a reversal. Pending rows are few, and the list
     * finds them through the outcome index (build_list). */
    "DROP TRIGGER reversals_fts_ins;"
    "DROP TRIGGER reversals_fts_del;"
    "DROP TRIGGER reversals_fts_upd;"
    " INSERT INTO reversals_fts(reversals_fts, rowid, " FTS_COLS ")"
    " SELECT 'delete', " FTS_VALUES("r") " FROM reversals r"
    " WHERE outcome = 'pending'"
    " AND EXISTS (SELECT 1 FROM reversals_fts WHERE reversals_fts"
    " MATCH 'outcome : pending' AND rowid = r.id);"
    "CREATE TRIGGER reversals_fts_ins AFTER INSERT ON reversals"
    " WHEN new.outcome <> 'pending' BEGIN"
    FTS_ADD("new") "END;"
    "CREATE TRIGGER reversals_fts_del AFTER DELETE ON reversals"
    " WHEN old.outcome <> 'pending' BEGIN"
    FTS_DROP("old") "END;"
    "CREATE TRIGGER " FTS_UPDATE_OF " BEGIN"
    " INSERT INTO reversals_fts(reversals_fts, rowid, " FTS_COLS ")"
    " SELECT 'delete', " FTS_VALUES("old") " WHERE old.outcome <> 'pending';"
    " INSERT INTO reversals_fts(rowid, " FTS_COLS ")"
    " SELECT " FTS_VALUES("new") " WHERE new.outcome <> 'pending';"
    "END;",
};

#define REV_COLS                                                               \
	"r.id, r.created_ms, r.updated_ms, r.operator, r.note, "               \
	"r.partner_name, r.sp_mchid, r.sub_name, r.sub_mchid, "                \
	"r.out_trade_no, r.endpoint, r.outcome, r.http_status, r.code, "       \
	"r.message, r.attempts, r.latency_ms, r.pid, r.settled_by, "           \
	"r.trade_state_before, r.trade_state_after, r.host"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_INSERT,
	ST_ATTEMPT,
	ST_BUMP,
	ST_FINISH,
	ST_GET,
	ST_ATTEMPTS,
	ST_ORDER_COUNT,
	ST_ORDER_LATEST,
	ST_MAX_ID,
	ST_DATA_VERSION,
	ST_PENDING,
	ST_INTERRUPT,
	ST_QUERY,
	ST_SETTLE,
	ST_CLAIMS,
	ST_ATT_EXISTS,
	ST_ATT_ANSWER,
	ST_BUMP_ANSWER,
	ST_FOLD_FINISH,
	ST_LOOKUP,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_LOOKUP] = "INSERT INTO queries (created_ms, operator, host,"
		  " partner_name, sp_mchid, sub_name, sub_mchid, out_trade_no,"
		  " trade_state, code, message, url, request_headers, status,"
		  " response_headers, response_body, verify, transport_error,"
		  " latency_ms, request_id)"
		  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		  " ?, ?, ?)",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT one_write",
    [ST_RELEASE] = "RELEASE one_write",
    [ST_ROLLBACK_TO] = "ROLLBACK TO one_write",
    [ST_INSERT] = "INSERT INTO reversals (created_ms, updated_ms, operator,"
		  " note, partner_name, sp_mchid, sub_name, sub_mchid,"
		  " out_trade_no, endpoint, outcome, pid, host,"
		  " trade_state_before)"
		  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
    [ST_ATTEMPT] = "INSERT INTO attempts (reversal_id, n, started_ms, url,"
		   " request_headers, request_body, status,"
		   " response_headers, response_body, verify,"
		   " transport_error, latency_ms, request_id, kind)"
		   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_BUMP] = "UPDATE reversals SET attempts = attempts + 1,"
		" http_status = ?, latency_ms = latency_ms + ?,"
		" updated_ms = ? WHERE id = ?",
    [ST_FINISH] = "UPDATE reversals SET outcome = ?, http_status = ?,"
		  " code = ?, message = ?, latency_ms = ?, updated_ms = ?"
		  " WHERE id = ?",
    [ST_GET] = "SELECT " REV_COLS " FROM reversals r WHERE r.id = ?",
    [ST_ATTEMPTS] = "SELECT reversal_id, n, started_ms, url,"
		    " request_headers, request_body, status,"
		    " response_headers, response_body, verify,"
		    " transport_error, latency_ms, request_id, kind"
		    " FROM attempts WHERE reversal_id = ? ORDER BY n",
    [ST_ORDER_COUNT] = "SELECT count(*) FROM reversals"
		       " WHERE sub_mchid = ? AND out_trade_no = ?",
    [ST_ORDER_LATEST] = "SELECT " REV_COLS " FROM reversals r"
			" WHERE r.sub_mchid = ? AND r.out_trade_no = ?"
			" ORDER BY r.id DESC LIMIT 1",
    [ST_MAX_ID] = "SELECT max(id) FROM reversals",
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_PENDING] = "SELECT id FROM reversals WHERE outcome = 'pending'",
    [ST_INTERRUPT] = "UPDATE reversals SET outcome = 'unknown',"
		     " code = '" HISTORY_CODE_INTERRUPTED "', message = ?,"
		     " updated_ms = ? WHERE id = ? AND outcome = 'pending'",
    /* A query numbered after every request of its reversal. */
    [ST_QUERY] = "INSERT INTO attempts (reversal_id, n, started_ms, url,"
		 " request_headers, request_body, status,"
		 " response_headers, response_body, verify,"
		 " transport_error, latency_ms, request_id, kind)"
		 " VALUES (?1, (SELECT coalesce(max(n), 0) + 1 FROM attempts"
		 " WHERE reversal_id = ?1), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		 " ?11, ?12, ?13, 'query')",
    /* Only an open reversal is settled; what a query saw is kept. */
    [ST_SETTLE] = "UPDATE reversals SET outcome = ?1,"
		  " code = coalesce(?2, code), message = coalesce(?3, message),"
		  " settled_by = ?4,"
		  " trade_state_before = coalesce(?5, trade_state_before),"
		  " trade_state_after = coalesce(?6, trade_state_after),"
		  " updated_ms = ?7 WHERE id = ?8"
		  " AND outcome = 'unknown'",
    [ST_CLAIMS] = "SELECT " REV_COLS " FROM reversals r"
		  " WHERE r.sub_mchid = ? AND r.out_trade_no = ?"
		  " AND r.sp_mchid = ? AND r.outcome = 'pending'",
    [ST_ATT_EXISTS] = "SELECT 1 FROM attempts WHERE reversal_id = ? AND n = ?",
    /* Numbered as ST_ATTEMPT's values: bind_attempt binds both. */
    [ST_ATT_ANSWER] = "UPDATE attempts SET status = ?7,"
		      " response_headers = ?8, response_body = ?9,"
		      " verify = ?10, transport_error = ?11, latency_ms = ?12,"
		      " request_id = ?13 WHERE reversal_id = ?1 AND n = ?2",
    [ST_BUMP_ANSWER] = "UPDATE reversals SET http_status = ?,"
		       " latency_ms = latency_ms + ?, updated_ms = ?"
		       " WHERE id = ?",
    /* A journaled outcome wins over the INTERRUPTED a recovery guessed. */
    [ST_FOLD_FINISH] = "UPDATE reversals SET outcome = ?, http_status = ?,"
		       " code = ?, message = ?, latency_ms = ?, updated_ms = ?"
		       " WHERE id = ? AND (outcome = 'pending' OR code = '"
		       HISTORY_CODE_INTERRUPTED "')",
};

/* A write that could not be committed yet, kept in order. */
struct deferred {
	struct deferred *next;	  /* younger write */
	int is_finish;		  /* history_finish, else an attempt's answer */
	struct history_attempt a; /* owned copies (attempt) */
	int64_t id;		  /* reversal (finish) */
	enum wx_outcome outcome;  /* (finish) */
	int http_status;	  /* (finish) */
	char *code;		  /* owned (finish) */
	char *message;		  /* owned (finish) */
	int64_t latency_ms;	  /* (finish) */
};

/* One cached list query, keyed by its SQL text. */
struct list_stmt {
	char *sql;	  /* owned; NULL when the slot is free */
	sqlite3_stmt *st; /* prepared once, reused */
};

struct history {
	sqlite3 *db;		    /* the connection */
	char *path;		    /* as given to history_open */
	int readonly;		    /* opened without write access */
	int busy_ms;		    /* lock wait before giving up */
	int64_t pid;		    /* this process */
	char host[256];		    /* this machine */
	int hold_fd;		    /* claims file: holds our claims' locks */
	int probe_fd;		    /* claims file again: tests others' */
	char *claims_path;	    /* "<path>.claims" */
	char *journal_path;	    /* "<path>.journal" */
	dev_t dev;		    /* the database file opened ... */
	ino_t ino;		    /* ... so a replaced one is noticed */
	struct deferred *later;	    /* writes not yet committed, oldest first */
	sqlite3_stmt *st[ST_COUNT]; /* fixed statements, lazily */
	struct list_stmt lists[LIST_CACHE_SIZE]; /* filter queries */
	int list_next;				 /* next slot to recycle */
	int last_rc;	/* SQLite code of the last failure */
	int group;	/* in history_group_begin/end: writes share one tx */
	int group_open; /* that transaction has begun */
	int group_lost; /* SQLite rolled it back: the group's code */
	int group_relaxed; /* its transaction holds query records only */
	int reading;	   /* in history_read_begin/end: its transaction */
	int64_t group_taken[HISTORY_GROUP_MAX]; /* claims taken in the group */
	int64_t group_done[HISTORY_GROUP_MAX];	/* claims to drop at its end */
	int ntaken, ndone;			/* entries used in the two */
	struct history_pg *pg; /* the desk backend; NULL: SQLite, this file */
};

/* ---- errors ---- */

static void busy_seconds(int ms, char *buf, size_t n)
{
	if (ms % 1000 == 0)
		snprintf(buf, n, "%d s", ms / 1000);
	else
		snprintf(buf, n, "%.1f s", ms / 1000.0);
}

static int err_readonly(const char *path, struct wx_err *err)
{
	return wx_err_set(err,
			  _("history %s is read-only: fix its permissions (and "
			    "its folder's) or pass --history FILE"),
			  path);
}

static int err_notadb(const char *path, struct wx_err *err)
{
	return wx_err_set(err,
			  _("%s is not a wxrev history (not a SQLite "
			    "database): move it away or pass --history FILE"),
			  path);
}

static int err_io(const char *path, int sys, const char *what,
		  struct wx_err *err)
{
	if (sys == ENOSPC || sys == EDQUOT)
		return wx_err_set(err,
				  _("the disk holding history %s is full: "
				    "free space or pass --history FILE on "
				    "another disk"),
				  path);
	if (sys == EFBIG)
		return wx_err_set(err,
				  _("history %s cannot grow past the file size "
				    "limit (ulimit -f): raise the limit or "
				    "pass --history FILE"),
				  path);
	return wx_err_set(err,
			  _("cannot write history %s (%s%s%s): check the disk "
			    "or pass --history FILE"),
			  path, what, sys ? ", " : "",
			  sys ? strerror(sys) : "");
}

/* Turns the connection's last SQLite error into one actionable sentence. */
static int fail_code(const char *path, sqlite3 *db, int rc, int busy_ms,
		     struct wx_err *err)
{
	char secs[32];
	const char *what = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	int sys = db ? sqlite3_system_errno(db) : 0;

	switch (rc & 0xff) {
	case SQLITE_READONLY:
		return err_readonly(path, err);
	case SQLITE_NOTADB:
		return err_notadb(path, err);
	case SQLITE_FULL:
		return err_io(path, ENOSPC, what, err);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		busy_seconds(busy_ms, secs, sizeof(secs));
		return wx_err_set(err,
				  _("history %s is locked by another program "
				    "for more than %s: close the other program "
				    "or pass --history FILE"),
				  path, secs);
	case SQLITE_CORRUPT:
		return wx_err_set(err,
				  _("history %s is damaged (%s): move it away "
				    "or pass --history FILE"),
				  path, what);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return wx_err_set(err,
				  _("cannot open history %s (%s%s%s): check "
				    "its folder's permissions or pass "
				    "--history FILE"),
				  path, what, sys ? ", " : "",
				  sys ? strerror(sys) : "");
	case SQLITE_IOERR:
		return err_io(path, sys, what, err);
	default:
		return wx_err_set(err,
				  _("history %s failed (%s): check the file or "
				    "pass --history FILE"),
				  path, what);
	}
}

static int fail(struct history *h, int rc, struct wx_err *err)
{
	h->last_rc = rc;
	return fail_code(h->path, h->db, rc, h->busy_ms, err);
}

/* ---- statements ---- */

static sqlite3_stmt *stmt(struct history *h, enum stmt_id id, int *rc)
{
	if (!h->st[id])
		*rc = sqlite3_prepare_v3(h->db, stmt_sql[id], -1,
					 SQLITE_PREPARE_PERSISTENT, &h->st[id],
					 NULL);
	else
		*rc = SQLITE_OK;
	if (h->st[id])
		sqlite3_reset(h->st[id]);
	return h->st[id];
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, (int)strlen(s), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Runs a statement that returns no rows; returns the SQLite code. */
static int run(struct history *h, enum stmt_id id)
{
	int rc;
	sqlite3_stmt *st = stmt(h, id, &rc);

	if (!st)
		return rc;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* In a group, SQLite itself may end the whole transaction on an error
 * (disk full, I/O): every write of the group is then lost, and
 * history_group_end must say so. */
static void group_check(struct history *h)
{
	if (h->group_open && sqlite3_get_autocommit(h->db)) {
		h->group_open = 0;
		h->group_lost = h->last_rc ? h->last_rc : SQLITE_ABORT;
	}
}

/* Undoes the current write: the whole transaction, or in a group only
 * this write's savepoint. */
static void tx_rollback(struct history *h)
{
	group_check(h);
	if (h->group_open) {
		run(h, ST_ROLLBACK_TO);
		run(h, ST_RELEASE);
	} else if (!sqlite3_get_autocommit(h->db)) {
		run(h, ST_ROLLBACK);
	}
}

/* BEGIN IMMEDIATE. SQLite answers BUSY without waiting where waiting could
 * deadlock (another connection switching to WAL, a fresh file): keep trying
 * until the busy timeout, so "locked for more than N s" stays true. */
static int begin_immediate(struct history *h)
{
	int64_t deadline = wx_monotonic_ms() + h->busy_ms;
	int rc;

	for (;;) {
		rc = run(h, ST_BEGIN);
		if ((rc & 0xff) != SQLITE_BUSY ||
		    wx_monotonic_ms() >= deadline)
			return rc;
		sqlite3_sleep(10);
	}
}

/* A query record moves no money: a commit of nothing else needs no sync
 * of its own. In WAL mode synchronous=NORMAL keeps the file consistent; a
 * power cut may lose the newest query records, never a reversal's (theirs
 * stay FULL, and the next FULL commit syncs these too). SQLite takes the
 * level only outside a transaction. */
static void sync_level(struct history *h, bool full)
{
	sqlite3_exec(h->db, full ? "PRAGMA synchronous = FULL"
				 : "PRAGMA synchronous = NORMAL",
		     NULL, NULL, NULL);
}

/* The group's query records so far are committed on their own, relaxed,
 * before a write that moves money opens a transaction synced in full. */
static int group_unrelax(struct history *h)
{
	int rc = run(h, ST_COMMIT);

	sync_level(h, true);
	h->group_relaxed = 0;
	h->group_open = 0;
	if (rc != SQLITE_OK) {
		if (!sqlite3_get_autocommit(h->db))
			run(h, ST_ROLLBACK);
		h->group_lost = rc;
	}
	return rc;
}

/* Opens a write: its own transaction, or a savepoint in the group's.
 * MONEY is false only for a query record (see sync_level). */
static int tx_open(struct history *h, bool money, struct wx_err *err)
{
	int rc;

	if (h->readonly)
		return err_readonly(h->path, err);
	if (h->group && h->group_open && h->group_relaxed && money)
		group_unrelax(h);
	if (h->group && !h->group_open && !h->group_lost) {
		if (!money)
			sync_level(h, false);
		rc = begin_immediate(h);
		/* Locked past the busy timeout: the group falls back to one
		 * write at a time, so results can be kept and retried. */
		if (rc != SQLITE_OK) {
			if (!money)
				sync_level(h, true);
			h->group = 0;
			return fail(h, rc, err);
		}
		h->group_open = 1;
		h->group_relaxed = !money;
	}
	if (h->group_lost)
		return fail(h, h->group_lost, err);
	rc = h->group ? run(h, ST_SAVEPOINT) : begin_immediate(h);
	if (rc != SQLITE_OK)
		return fail(h, rc, err);
	return 0;
}

static int tx_begin(struct history *h, struct wx_err *err)
{
	return tx_open(h, true, err);
}

static int tx_commit(struct history *h, struct wx_err *err)
{
	int rc = run(h, h->group ? ST_RELEASE : ST_COMMIT);

	if (rc == SQLITE_OK)
		return 0;
	fail(h, rc, err);
	tx_rollback(h);
	return -1;
}

/* Ends a failed write: keeps the first error, undoes the transaction. */
static int tx_abort(struct history *h, int rc, struct wx_err *err)
{
	fail(h, rc, err);
	tx_rollback(h);
	return -1;
}

/* ---- claims (see the contract in history.h) ---- */

static void tighten(const char *path);

/* The claims of rows id .. id + n - 1 (one byte each). */
static int claim_lock(int fd, int cmd, short type, int64_t id, int64_t n)
{
	struct flock fl = {0};

	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)id;
	fl.l_len = (off_t)n;
	return fcntl(fd, cmd, &fl);
}

/* Is someone (any process, this one included) holding the claim on row id?
 * When the answer cannot be known, the row counts as live: never steal. */
static int claim_live(const struct history *h, int64_t id)
{
	struct flock fl = {0};

	if (h->probe_fd < 0)
		return 1;
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)id;
	fl.l_len = 1;
	if (fcntl(h->probe_fd, F_OFD_GETLK, &fl) != 0)
		return 1;
	return fl.l_type != F_UNLCK;
}

static int claim_take(struct history *h, int64_t id)
{
	if (h->hold_fd < 0)
		return -1;
	return claim_lock(h->hold_fd, F_OFD_SETLK, F_WRLCK, id, 1);
}

static void claim_release(struct history *h, int64_t id)
{
	if (h->hold_fd >= 0)
		claim_lock(h->hold_fd, F_OFD_SETLK, F_UNLCK, id, 1);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Drops these claims, one call per run of consecutive rows (a group's
 * finished rows mostly are). Sorts ids. */
static void claims_release(struct history *h, int64_t *ids, int n)
{
	qsort(ids, (size_t)n, sizeof(*ids), cmp_id);
	for (int i = 0; i < n && h->hold_fd >= 0;) {
		int k = i + 1;

		while (k < n && ids[k] <= ids[k - 1] + 1)
			k++;
		claim_lock(h->hold_fd, F_OFD_SETLK, F_UNLCK, ids[i],
			   ids[k - 1] - ids[i] + 1);
		i = k;
	}
}

/* Opens "<path>.claims" twice: one description holds, one tests. */
static int claims_open(struct history *h, struct wx_err *err)
{
	int flags = h->readonly ? O_RDONLY : O_RDWR | O_CREAT;

	h->hold_fd = -1;
	h->probe_fd = open(h->claims_path, flags | O_CLOEXEC, 0600);
	if (h->probe_fd < 0 && h->readonly)
		return 0; /* nothing to recover from a read-only history */
	if (h->probe_fd < 0)
		return wx_err_set(err,
				  _("cannot open %s (%s): check the history "
				    "folder's permissions or pass --history "
				    "FILE"),
				  h->claims_path, strerror(errno));
	tighten(h->claims_path);
	if (h->readonly)
		return 0;
	h->hold_fd = open(h->claims_path, O_RDWR | O_CLOEXEC);
	if (h->hold_fd < 0)
		return wx_err_set(err, _("cannot open %s (%s)"),
				  h->claims_path, strerror(errno));
	return 0;
}

/* ---- open ---- */

static void tighten(const char *path)
{
	struct stat st;

	/* Only our own files; someone else's would fail with EPERM anyway. */
	if (stat(path, &st) == 0 && (st.st_mode & 077) &&
	    st.st_uid == geteuid())
		chmod(path, st.st_mode & 0700);
}

static void tighten_all(const char *path)
{
	char *side;

	tighten(path);
	side = wx_xasprintf("%s-wal", path);
	tighten(side);
	free(side);
	side = wx_xasprintf("%s-shm", path);
	tighten(side);
	free(side);
}

/* Creates the folder (0700) and an empty file (0600) so SQLite never
 * creates them with the umask's looser modes. */
static int prepare_file(const char *path, struct wx_err *err)
{
	char *dir;
	char *slash;
	int fd;
	int rc = 0;

	if (access(path, F_OK) == 0)
		return 0;
	dir = wx_xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (access(dir, F_OK) != 0 && wx_mkdir_p(dir, 0700, err) != 0) {
			rc = wx_err_prefix(err, _("cannot create history %s"),
					   path);
			goto out;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		rc = wx_err_set(err,
				_("cannot create history %s (%s): check the "
				  "folder's permissions or pass --history "
				  "FILE"),
				path, strerror(errno));
		goto out;
	}
	if (fd >= 0)
		close(fd);
out:
	free(dir);
	return rc;
}

static int exec_sql(struct history *h, const char *sql, struct wx_err *err)
{
	int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(h, rc, err);
}

/* Reads one integer (PRAGMA or SELECT); returns the SQLite code. */
static int query_int(struct history *h, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

	*v = 0;
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Rejects SQLite files that belong to something else or a newer wxrev. */
static int check_identity(struct history *h, int64_t version,
			  struct wx_err *err)
{
	int64_t app = 0;
	int64_t tables = 0;
	int rc = query_int(h, "PRAGMA application_id", &app);

	if (rc == SQLITE_OK && version == 0)
		rc =
		    query_int(h, "SELECT count(*) FROM sqlite_master", &tables);
	if (rc != SQLITE_OK)
		return fail(h, rc, err);
	if ((app != 0 && app != HISTORY_APP_ID) || (version == 0 && tables))
		return wx_err_set(err,
				  _("%s is not a wxrev history (another "
				    "program's database): move it away or pass "
				    "--history FILE"),
				  h->path);
	if (version > (int64_t)WX_ARRAY_LEN(migrations))
		return wx_err_set(err,
				  _("history %s was written by a newer wxrev "
				    "(schema %lld): upgrade wxrev or pass "
				    "--history FILE"),
				  h->path, (long long)version);
	return 0;
}

static int migrate_locked(struct history *h, struct wx_err *err)
{
	int64_t v;
	char *sql;
	int rc = query_int(h, "PRAGMA user_version", &v);

	if (rc != SQLITE_OK)
		return fail(h, rc, err);
	/* Another process may have migrated while we waited for the lock. */
	if (check_identity(h, v, err) != 0)
		return -1;
	for (; v < (int64_t)WX_ARRAY_LEN(migrations); v++) {
		if (exec_sql(h, migrations[v], err) != 0)
			return -1;
	}
	sql = wx_xasprintf("PRAGMA user_version = %zu; "
			   "PRAGMA application_id = %d",
			   WX_ARRAY_LEN(migrations), HISTORY_APP_ID);
	rc = exec_sql(h, sql, err);
	free(sql);
	return rc;
}

static int migrate(struct history *h, struct wx_err *err)
{
	int64_t v;
	int rc = query_int(h, "PRAGMA user_version", &v);

	if (rc != SQLITE_OK)
		return fail(h, rc, err);
	/* A current or newer schema is settled; anything older is judged
	 * again under the write lock, since another process may be creating
	 * the schema right now (its tables appear before our next read). */
	if (v >= (int64_t)WX_ARRAY_LEN(migrations))
		return check_identity(h, v, err);
	if (tx_begin(h, err) != 0)
		return -1;
	if (migrate_locked(h, err) != 0) {
		tx_rollback(h);
		return -1;
	}
	return tx_commit(h, err);
}

static int configure(struct history *h, struct wx_err *err)
{
	sqlite3_busy_timeout(h->db, h->busy_ms);
	sqlite3_extended_result_codes(h->db, 1);
	/* The first statement reads the header: a non-database fails here. */
	if (exec_sql(h, "PRAGMA foreign_keys = ON", err) != 0)
		return -1;
	if (exec_sql(h, "SELECT count(*) FROM sqlite_master", err) != 0)
		return -1;
	h->readonly = sqlite3_db_readonly(h->db, "main") == 1;
	if (!h->readonly && exec_sql(h, "PRAGMA journal_mode = WAL", err) != 0)
		return -1;
	return exec_sql(h, "PRAGMA synchronous = FULL", err);
}

static const char *interrupted_message(void)
{
	return _("the program stopped before the answer arrived: re-run the "
		 "reversal (same parameters are safe) or query the order");
}

/* Marks one orphaned pending row unknown; inside a write transaction. */
static int interrupt_row(struct history *h, int64_t id)
{
	int rc;
	sqlite3_stmt *st = stmt(h, ST_INTERRUPT, &rc);

	if (!st)
		return rc;
	bind_text(st, 1, interrupted_message());
	sqlite3_bind_int64(st, 2, wx_now_ms());
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_clear_bindings(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Pending rows whose claim nobody holds will never be finished: say so.
 * Judged again under the write lock, since a row's owner may have
 * finished it meanwhile. */
static int recover(struct history *h, struct wx_err *err)
{
	int64_t ids[64];
	size_t n = 0;
	int rc;
	sqlite3_stmt *st = stmt(h, ST_PENDING, &rc);

	if (!st)
		return fail(h, rc, err);
	while (n < WX_ARRAY_LEN(ids) && sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if (!claim_live(h, id))
			ids[n++] = id;
	}
	sqlite3_reset(st);
	if (n == 0 || h->readonly)
		return 0;
	if (tx_begin(h, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		rc = interrupt_row(h, ids[i]);
		if (rc != SQLITE_OK)
			return tx_abort(h, rc, err);
	}
	if (tx_commit(h, err) != 0)
		return -1;
	/* More than one batch of orphans: take the next. */
	return n == WX_ARRAY_LEN(ids) ? recover(h, err) : 0;
}

/* Configures and migrates. Two processes opening a new file at once can
 * meet SQLITE_BUSY where SQLite does not wait (switching to WAL, a lock
 * upgrade it would deadlock on), so the whole step is retried until the
 * busy timeout: the "locked for more than N s" message stays true. */
static int set_up(struct history *h, struct wx_err *err)
{
	int64_t deadline = wx_monotonic_ms() + h->busy_ms;

	for (;;) {
		int busy;

		h->last_rc = SQLITE_OK;
		if (configure(h, err) == 0 && migrate(h, err) == 0)
			return 0;
		busy = (h->last_rc & 0xff) == SQLITE_BUSY ||
		       (h->last_rc & 0xff) == SQLITE_LOCKED;
		if (!busy || wx_monotonic_ms() >= deadline)
			return -1;
		if (sqlite3_get_autocommit(h->db) == 0)
			exec_sql(h, "ROLLBACK", NULL);
		sqlite3_sleep(10);
	}
}

static int fold_journal(struct history *h, struct wx_err *err);
static void deferred_free(struct deferred *d);

/* A history is a durable file: never an SQLite URI, ":memory:", a device
 * or a folder, which would keep or lose the record silently. */
static int check_durable_path(const char *path, struct wx_err *err)
{
	struct stat st;

	if (!*path || strcmp(path, ":memory:") == 0 ||
	    strncmp(path, "file:", 5) == 0)
		return wx_err_set(err,
				  _("history \"%s\" is not a file path (an "
				    "SQLite URI or special name would not keep "
				    "the record): pass --history with a file "
				    "path such as ./history.db"),
				  path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return wx_err_set(err,
				  _("history %s is not a regular file (a "
				    "folder or device cannot keep the "
				    "record): pass --history with a file "
				    "path"),
				  path);
	return 0;
}

static void remember_file(struct history *h)
{
	struct stat st;

	if (stat(h->path, &st) == 0) {
		h->dev = st.st_dev;
		h->ino = st.st_ino;
	}
}

static int open_desk(struct history *h, const char *uri, struct wx_err *err);

void history_preconnect(const char *path)
{
	if (history_pg_is_uri(path))
		history_pg_preconnect(path);
}

void history_preconnect_end(void)
{
	history_pg_preconnect_end();
}

/* SQLite takes this before its first connection only. */
static void sqlite_configure(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STMT_JOURNAL_MEMORY);
}

int history_open(const char *path, struct history **out, struct wx_err *err)
{
	struct history *h = wx_xcalloc(1, sizeof(*h));
	mode_t old_mask;
	int rc;

	*out = NULL;
	if (history_pg_is_uri(path)) {
		h->hold_fd = h->probe_fd = -1;
		if (open_desk(h, path, err) != 0)
			goto fail;
		*out = h;
		return 0;
	}
	h->path = wx_xstrdup(path);
	h->claims_path = wx_xasprintf("%s.claims", path);
	h->journal_path = wx_xasprintf("%s.journal", path);
	h->hold_fd = h->probe_fd = -1;
	h->busy_ms = HISTORY_DEFAULT_BUSY_MS;
	h->pid = (int64_t)getpid();
	if (gethostname(h->host, sizeof(h->host) - 1) != 0)
		snprintf(h->host, sizeof(h->host), "?");
	if (check_durable_path(path, err) != 0 || prepare_file(path, err) != 0)
		goto fail;
	tighten_all(path);
	/* -wal and -shm are created now: owner-only, whatever the umask. */
	old_mask = umask(077);
	sqlite_configure();
	rc = sqlite3_open_v2(path, &h->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		umask(old_mask);
		fail(h, rc, err);
		goto fail;
	}
	remember_file(h);
	rc = set_up(h, err);
	if (rc == 0)
		rc = claims_open(h, err);
	/* A fold or recovery that cannot write now (locked, full) is retried
	 * at the next start; reading the history must still work. The
	 * journal goes first: its outcomes are truer than INTERRUPTED. */
	if (rc == 0 && !h->readonly)
		fold_journal(h, NULL);
	if (rc == 0)
		recover(h, NULL);
	umask(old_mask);
	if (rc != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	history_close(h);
	return -1;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	history_pg_close(h->pg);
	for (size_t i = 0; i < WX_ARRAY_LEN(h->st); i++)
		sqlite3_finalize(h->st[i]);
	for (size_t i = 0; i < WX_ARRAY_LEN(h->lists); i++) {
		sqlite3_finalize(h->lists[i].st);
		free(h->lists[i].sql);
	}
	sqlite3_close(h->db);
	/* Closing the descriptions releases every claim still held. */
	if (h->hold_fd >= 0)
		close(h->hold_fd);
	if (h->probe_fd >= 0)
		close(h->probe_fd);
	while (h->later) {
		struct deferred *d = h->later;

		h->later = d->next;
		deferred_free(d);
	}
	free(h->claims_path);
	free(h->journal_path);
	free(h->path);
	free(h);
}

int history_check_file(struct history *h, struct wx_err *err)
{
	struct stat st;

	if (h->pg) /* a server, not a file: history_begin says if it is gone */
		return 0;

	if (stat(h->path, &st) != 0)
		return wx_err_set(err,
				  _("history %s was deleted while wxrev was "
				    "running: nothing was sent; restore the "
				    "file or restart wxrev"),
				  h->path);
	if (st.st_dev != h->dev || st.st_ino != h->ino)
		return wx_err_set(err,
				  _("history %s was replaced by another file "
				    "while wxrev was running: nothing was "
				    "sent; restart wxrev to use the new file"),
				  h->path);
	return 0;
}

const char *history_journal_path(const struct history *h)
{
	return h->journal_path;
}

const char *history_path(const struct history *h)
{
	return h->path;
}

void history_set_busy_timeout(struct history *h, int ms)
{
	if (h->pg) {
		history_pg_set_busy_timeout(h->pg, ms);
		return;
	}
	h->busy_ms = ms < 0 ? 0 : ms;
	sqlite3_busy_timeout(h->db, h->busy_ms);
}

void history_set_nowait(struct history *h, int on)
{
	if (h->pg)
		history_pg_set_nowait(h->pg, on);
}

void history_on_wait(struct history *h, history_wait_fn *fn, void *ctx)
{
	if (h->pg)
		history_pg_on_wait(h->pg, fn, ctx);
}

/* ---- locate ---- */

/* buf = a followed by b. */
static int put_path(char *buf, size_t n, const char *a, const char *b,
		    struct wx_err *err)
{
	int w = snprintf(buf, n, "%s%s", a, b);

	if (w < 0 || (size_t)w >= n)
		return wx_err_set(err, _("the history path is too long: pass a "
					 "shorter --history FILE"));
	return 0;
}

static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && *home)
		return home;
	pw = getpwuid(geteuid());
	return pw ? pw->pw_dir : NULL;
}

/* A file path, or a desk history URI without a password in it. */
static int put_location(char *buf, size_t n, const char *s, struct wx_err *err)
{
	if (history_pg_is_uri(s) && history_pg_check_uri(s, err) != 0)
		return -1;
	return put_path(buf, n, s, "", err);
}

int history_locate(const char *arg, char *buf, size_t n, struct wx_err *err)
{
	const char *env = getenv("WXREV_HISTORY");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home;
	char conf[4096];
	int rc;

	if (arg && *arg)
		return put_location(buf, n, arg, err);
	if (env && *env)
		return put_location(buf, n, env, err);
	rc = config_history(conf, sizeof(conf), err);
	if (rc != 0)
		return rc < 0 ? -1 : put_location(buf, n, conf, err);
	/* XDG: a relative XDG_DATA_HOME is invalid and ignored. */
	if (xdg && xdg[0] == '/')
		return put_path(buf, n, xdg, "/wxrev/history.db", err);
	home = home_dir();
	if (!home)
		return wx_err_set(
		    err, _("cannot find a home folder for the history: "
			   "set HOME or pass --history FILE"));
	return put_path(buf, n, home, "/.local/share/wxrev/history.db", err);
}

/* ---- writes ---- */

void history_group_begin(struct history *h)
{
	/* A desk history commits each write as it happens: stronger than a
	 * group, and a group's one sync buys nothing over the network. */
	if (h->pg)
		return;
	h->ntaken = h->ndone = 0;
	h->group = 1;
	h->group_open = 0;
	h->group_lost = 0;
}

int history_group_end(struct history *h, struct wx_err *err)
{
	int rc = SQLITE_OK;

	if (h->pg)
		return 0;

	group_check(h);
	if (h->group_open)
		rc = run(h, ST_COMMIT);
	else if (h->group_lost)
		rc = h->group_lost;
	if (h->group_relaxed && rc == SQLITE_OK)
		sync_level(h, true);
	if (rc == SQLITE_OK)
		h->group_relaxed = 0;
	h->group = h->group_open = h->group_lost = 0;
	/* Committed: finished claims are dropped. Lost: so are the claims of
	 * rows that no longer exist; finished ones stay pending and held. */
	if (rc == SQLITE_OK)
		claims_release(h, h->group_done, h->ndone);
	else
		claims_release(h, h->group_taken, h->ntaken);
	h->ntaken = h->ndone = 0;
	if (rc == SQLITE_OK)
		return 0;
	fail(h, rc, err);
	if (!sqlite3_get_autocommit(h->db))
		run(h, ST_ROLLBACK);
	if (h->group_relaxed)
		sync_level(h, true);
	h->group_relaxed = 0;
	return -1;
}

static void read_reversal(sqlite3_stmt *st, struct history_reversal *r);

static int claimed_message(const struct history_reversal *r,
			   struct wx_err *err)
{
	char when[64];

	wx_i18n_when(r->created_ms, WX_WHEN_SECOND, when, sizeof(when));
	return wx_err_set(err,
			  _("order %s of sub-merchant %s is already being "
			    "reversed by %s on %s since %s (history #%lld): "
			    "nothing was sent; wait for that result"),
			  r->out_trade_no, r->sub_mchid,
			  r->op && *r->op ? r->op : "?",
			  r->host && *r->host ? r->host : "?", when,
			  (long long)r->id);
}

/* Looks at the pending rows of one order: 1 and *holder when one is live;
 * orphans are collected in dead[] (up to *ndead on entry). SQLite code on
 * failure (negative), else 0 or 1. */
static int scan_claims(struct history *h, const char *sp, const char *sub,
		       const char *order, struct history_reversal *holder,
		       int64_t *dead, size_t *ndead)
{
	size_t cap = ndead ? *ndead : 0, n = 0;
	int rc = SQLITE_ERROR, found = 0;
	sqlite3_stmt *st = stmt(h, ST_CLAIMS, &rc);

	if (ndead)
		*ndead = 0;
	if (holder)
		memset(holder, 0, sizeof(*holder));
	if (!st)
		return rc == SQLITE_OK ? -SQLITE_ERROR : -rc;
	bind_text(st, 1, sub ? sub : "");
	bind_text(st, 2, order ? order : "");
	bind_text(st, 3, sp ? sp : "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if (claim_live(h, id)) {
			if (holder && !found)
				read_reversal(st, holder);
			found = 1;
		} else if (n < cap) {
			dead[n++] = id;
		}
	}
	sqlite3_clear_bindings(st);
	sqlite3_reset(st);
	if (ndead)
		*ndead = n;
	if (rc != SQLITE_DONE)
		return -rc;
	return found;
}

int history_claim_holder(struct history *h, const char *sp_mchid,
			 const char *sub_mchid, const char *out_trade_no,
			 struct history_reversal *holder, struct wx_err *err)
{
	int rc;

	if (h->pg)
		return history_pg_claim_holder(h->pg, sp_mchid, sub_mchid,
					       out_trade_no, holder, err);
	memset(holder, 0, sizeof(*holder));
	rc = scan_claims(h, sp_mchid, sub_mchid, out_trade_no, holder, NULL,
			 NULL);
	if (rc < 0)
		return fail(h, -rc, err);
	if (rc == 1)
		claimed_message(holder, err);
	return rc;
}

static int insert_pending(struct history *h, const struct history_reversal *r,
			  int64_t now)
{
	int rc;
	sqlite3_stmt *st = stmt(h, ST_INSERT, &rc);

	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now);
	bind_text(st, 3, r->op ? r->op : "");
	bind_text(st, 4, r->note);
	bind_text(st, 5, r->partner_name);
	bind_text(st, 6, r->sp_mchid ? r->sp_mchid : "");
	bind_text(st, 7, r->sub_name);
	bind_text(st, 8, r->sub_mchid ? r->sub_mchid : "");
	bind_text(st, 9, r->out_trade_no ? r->out_trade_no : "");
	bind_text(st, 10, r->endpoint);
	sqlite3_bind_int64(st, 11, h->pid);
	bind_text(st, 12, h->host);
	bind_text(st, 13, r->trade_state_before);
	rc = sqlite3_step(st);
	sqlite3_clear_bindings(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int fold_journal(struct history *h, struct wx_err *err);
static void journal_withdraw(struct history *h,
			     const struct history_reversal *r,
			     const struct history_pg_unanswered *u);
static bool withdraw_waits(struct history *h, const struct history_reversal *r);

/* The claim on the desk history. A claim of ours that got no answer (here
 * or in an earlier start) is withdrawn first, from the journal, so its
 * row does not hold the order against us; a claim that gets none now is
 * journaled for withdrawing. */
static int desk_begin(struct history *h, struct history_reversal *r,
		      struct wx_err *err)
{
	struct history_pg_unanswered u;
	int rc;

	if (history_pg_up(h->pg))
		fold_journal(h, NULL);
	rc = history_pg_begin(h->pg, r, err);
	if (rc < 0 && history_pg_unanswered(h->pg, &u))
		journal_withdraw(h, r, &u);
	/* Held by our own unanswered claim, whose server process still
	 * lives (the answer was lost on the way, say): not a colleague. */
	if (rc == HISTORY_CLAIMED && history_pg_claim_ours(h->pg) &&
	    withdraw_waits(h, r))
		wx_err_set(err,
			   _("an earlier try of yours, whose claim the desk "
			     "history took but never answered, still holds "
			     "this order: nothing was sent. The server lets "
			     "it go when it ends that try's connection "
			     "(within minutes); then reverse the order "
			     "again"));
	return rc;
}

int history_begin(struct history *h, struct history_reversal *r,
		  struct wx_err *err)
{
	struct history_reversal holder;
	int64_t dead[16];
	size_t ndead = WX_ARRAY_LEN(dead);
	int64_t now, id;
	int rc;

	if (h->pg)
		return desk_begin(h, r, err);
	if (tx_begin(h, err) != 0)
		return -1;
	/* Under the write lock: no other claim on this order can appear
	 * between this look and our COMMIT. */
	rc = scan_claims(h, r->sp_mchid, r->sub_mchid, r->out_trade_no,
			 &holder, dead, &ndead);
	if (rc < 0)
		return tx_abort(h, -rc, err);
	if (rc == 1) {
		tx_rollback(h);
		claimed_message(&holder, err);
		history_reversal_clear(&holder);
		return HISTORY_CLAIMED;
	}
	for (size_t i = 0; i < ndead; i++) {
		rc = interrupt_row(h, dead[i]);
		if (rc != SQLITE_OK)
			return tx_abort(h, rc, err);
	}
	/* Read under the write lock: ids and creation times agree in order. */
	now = wx_now_ms();
	rc = insert_pending(h, r, now);
	if (rc != SQLITE_OK)
		return tx_abort(h, rc, err);
	id = sqlite3_last_insert_rowid(h->db);
	/* The claim is held before the row is visible to anyone. */
	if (claim_take(h, id) != 0) {
		tx_rollback(h);
		return wx_err_set(err,
				  _("cannot lock %s (%s): check the history "
				    "folder or pass --history FILE"),
				  h->claims_path, strerror(errno));
	}
	if (tx_commit(h, err) != 0) {
		claim_release(h, id);
		r->id = 0;
		return -1;
	}
	if (h->group && h->ntaken < HISTORY_GROUP_MAX)
		h->group_taken[h->ntaken++] = id;
	r->id = id;
	r->created_ms = now;
	r->updated_ms = now;
	r->outcome = WX_PENDING;
	r->http_status = 0;
	r->attempts = 0;
	r->latency_ms = 0;
	r->pid = h->pid;
	return 0;
}

static void bind_attempt(sqlite3_stmt *st, const struct history_attempt *a)
{
	sqlite3_bind_int64(st, 1, a->reversal_id);
	sqlite3_bind_int(st, 2, a->n);
	sqlite3_bind_int64(st, 3, a->started_ms);
	bind_text(st, 4, a->url);
	bind_text(st, 5, a->request_headers);
	bind_text(st, 6, a->request_body);
	sqlite3_bind_int(st, 7, a->status);
	bind_text(st, 8, a->response_headers);
	bind_text(st, 9, a->response_body);
	bind_text(st, 10, a->verify);
	bind_text(st, 11, a->transport_error);
	sqlite3_bind_int64(st, 12, a->latency_ms);
	bind_text(st, 13, a->request_id);
	bind_text(st, 14, a->kind ? a->kind : "reverse");
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_clear_bindings(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Failures a later try may overcome: another program's lock, a full disk,
 * an I/O error. */
static int transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return 1;
	default:
		return 0;
	}
}

/* Write outcomes inside the module: SQLite code, or these. */
#define W_MISSING (-1) /* no such reversal */
#define W_DUP	  (-2) /* attempt already recorded */

static int attempt_exists(struct history *h, int64_t id, int n, int *exists)
{
	int rc;
	sqlite3_stmt *st = stmt(h, ST_ATT_EXISTS, &rc);

	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, n);
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	sqlite3_clear_bindings(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* An answer on the reversal's row: its status, latency and time (which:
 * ST_BUMP also counts a new attempt, ST_BUMP_ANSWER does not). */
static int bump(struct history *h, enum stmt_id which,
		const struct history_attempt *a)
{
	int rc;
	sqlite3_stmt *st = stmt(h, which, &rc);

	if (!st)
		return rc;
	sqlite3_bind_int(st, 1, a->status);
	sqlite3_bind_int64(st, 2, a->latency_ms);
	sqlite3_bind_int64(st, 3, wx_now_ms());
	sqlite3_bind_int64(st, 4, a->reversal_id);
	return step_done(st);
}

/* Inserts a new attempt row and bumps the count (inside a transaction). */
static int put_attempt_row(struct history *h, const struct history_attempt *a)
{
	sqlite3_stmt *st;
	int rc = bump(h, ST_BUMP, a);

	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_changes(h->db) == 0)
		return W_MISSING;
	st = stmt(h, ST_ATTEMPT, &rc);
	if (!st)
		return rc;
	bind_attempt(st, a);
	rc = step_done(st);
	return rc == SQLITE_CONSTRAINT_PRIMARYKEY ? W_DUP : rc;
}

/* Fills in the answer of a started attempt (inside a transaction). */
static int put_attempt_answer(struct history *h,
			      const struct history_attempt *a)
{
	int rc;
	sqlite3_stmt *st = stmt(h, ST_ATT_ANSWER, &rc);

	if (!st)
		return rc;
	bind_attempt(st, a);
	rc = step_done(st);
	return rc == SQLITE_OK ? bump(h, ST_BUMP_ANSWER, a) : rc;
}

/* One attempt's answer, new or started: inside a transaction. */
static int put_attempt(struct history *h, const struct history_attempt *a)
{
	int exists = 0;
	int rc = attempt_exists(h, a->reversal_id, a->n, &exists);

	if (rc != SQLITE_OK)
		return rc;
	return exists ? put_attempt_answer(h, a) : put_attempt_row(h, a);
}

static int put_finish(struct history *h, enum stmt_id which,
		      const struct deferred *d)
{
	int rc;
	sqlite3_stmt *st = stmt(h, which, &rc);

	if (!st)
		return rc;
	bind_text(st, 1, wx_outcome_name(d->outcome));
	sqlite3_bind_int(st, 2, d->http_status);
	bind_text(st, 3, d->code);
	bind_text(st, 4, d->message);
	sqlite3_bind_int64(st, 5, d->latency_ms);
	sqlite3_bind_int64(st, 6, wx_now_ms());
	sqlite3_bind_int64(st, 7, d->id);
	rc = step_done(st);
	if (rc == SQLITE_OK && which == ST_FINISH && sqlite3_changes(h->db) == 0)
		return W_MISSING;
	return rc;
}

/* One write in its own transaction. Returns an SQLite code or W_*; the
 * transaction is over either way. */
static int write_one(struct history *h, const struct deferred *d)
{
	int rc;

	if (h->readonly)
		return SQLITE_READONLY;
	if (h->group) {
		/* In a group: a savepoint; the claim is dropped once
		 * history_group_end has committed the outcome. */
		if (tx_begin(h, NULL) != 0)
			return h->last_rc ? h->last_rc : SQLITE_ERROR;
	} else {
		rc = begin_immediate(h);
		if (rc != SQLITE_OK)
			return rc;
	}
	rc = d->is_finish ? put_finish(h, ST_FINISH, d) : put_attempt(h, &d->a);
	if (rc != SQLITE_OK) {
		tx_rollback(h);
		return rc;
	}
	rc = run(h, h->group ? ST_RELEASE : ST_COMMIT);
	if (rc != SQLITE_OK)
		tx_rollback(h);
	else if (d->is_finish && h->group && h->ndone < HISTORY_GROUP_MAX)
		h->group_done[h->ndone++] = d->id;
	else if (d->is_finish && !h->group)
		claim_release(h, d->id);
	return rc;
}

static int write_error(struct history *h, const struct deferred *d, int rc,
		       struct wx_err *err)
{
	int64_t id = d->is_finish ? d->id : d->a.reversal_id;

	if (rc == W_MISSING)
		return wx_err_set(err, _("history %s has no reversal #%lld"),
				  h->path, (long long)id);
	if (rc == W_DUP)
		return wx_err_set(err,
				  _("history %s already has attempt %d of "
				    "reversal #%lld"),
				  h->path, d->a.n, (long long)id);
	return fail(h, rc, err);
}

static char *dup_or_null(const char *s)
{
	return s ? wx_xstrdup(s) : NULL;
}

static void deferred_free(struct deferred *d)
{
	free(d->a.url);
	free(d->a.request_headers);
	free(d->a.request_body);
	free(d->a.response_headers);
	free(d->a.response_body);
	free(d->a.verify);
	free(d->a.transport_error);
	free(d->a.request_id);
	free(d->code);
	free(d->message);
	free(d);
}

static void defer(struct history *h, const struct deferred *d)
{
	struct deferred *c = wx_xcalloc(1, sizeof(*c));
	struct deferred **tail = &h->later;

	*c = *d;
	c->next = NULL;
	c->a.url = dup_or_null(d->a.url);
	c->a.request_headers = dup_or_null(d->a.request_headers);
	c->a.request_body = dup_or_null(d->a.request_body);
	c->a.response_headers = dup_or_null(d->a.response_headers);
	c->a.response_body = dup_or_null(d->a.response_body);
	c->a.verify = dup_or_null(d->a.verify);
	c->a.transport_error = dup_or_null(d->a.transport_error);
	c->a.request_id = dup_or_null(d->a.request_id);
	c->code = dup_or_null(d->code);
	c->message = dup_or_null(d->message);
	while (*tail)
		tail = &(*tail)->next;
	*tail = c;
}

#define FLUSH_BUSY_MS 100 /* a flush never holds the caller's loop long */

/* A write on the desk history: 0, HISTORY_DEFERRED (server gone) or -1. */
static int desk_write(struct history *h, const struct deferred *d,
		      struct wx_err *err)
{
	if (d->is_finish)
		return history_pg_finish(h->pg, d->id, d->outcome,
					 d->http_status, d->code, d->message,
					 d->latency_ms, err);
	return history_pg_add_attempt(h->pg, &d->a, err);
}

int history_flush(struct history *h)
{
	int n = 0;

	int saved_busy = h->busy_ms;

	if (!h->later)
		return 0;
	if (h->pg) {
		while (h->later) {
			struct deferred *d = h->later;

			if (desk_write(h, d, NULL) == HISTORY_DEFERRED)
				break;
			h->later = d->next;
			deferred_free(d);
		}
		return history_unsaved(h);
	}
	h->busy_ms = FLUSH_BUSY_MS;
	sqlite3_busy_timeout(h->db, FLUSH_BUSY_MS);
	while (h->later) {
		struct deferred *d = h->later;
		int rc = write_one(h, d);

		if (rc != SQLITE_OK && transient(rc))
			break;
		/* Written, or refused for good (no such row): done with it. */
		h->later = d->next;
		deferred_free(d);
	}
	h->busy_ms = saved_busy;
	sqlite3_busy_timeout(h->db, h->busy_ms);
	for (const struct deferred *d = h->later; d; d = d->next)
		n++;
	return n;
}

int history_unsaved(const struct history *h)
{
	int n = 0;

	for (const struct deferred *d = h->later; d; d = d->next)
		n++;
	return n;
}

int history_unsaved_results(const struct history *h)
{
	int n = 0;

	/* Each reversal once: its last deferred write names it. */
	for (const struct deferred *d = h->later; d; d = d->next) {
		int64_t id = d->is_finish ? d->id : d->a.reversal_id;
		int later = 0;

		for (const struct deferred *e = d->next; e && !later;
		     e = e->next)
			later = (e->is_finish ? e->id : e->a.reversal_id) == id;
		n += !later;
	}
	return n;
}

/* Writes now, or keeps the write for later when the failure may pass.
 * Order is kept: while older writes wait, a new one waits behind them. */
static int write_or_defer(struct history *h, const struct deferred *d,
			  struct wx_err *err)
{
	int rc;

	if (h->later && !h->group) {
		defer(h, d);
		return history_flush(h) ? HISTORY_DEFERRED : 0;
	}
	if (h->pg) {
		rc = desk_write(h, d, err);
		if (rc == HISTORY_DEFERRED)
			defer(h, d);
		return rc;
	}
	rc = write_one(h, d);
	if (rc == SQLITE_OK)
		return 0;
	write_error(h, d, rc, err);
	if (rc > 0 && transient(rc) && !h->group) {
		defer(h, d);
		return HISTORY_DEFERRED;
	}
	return -1;
}

int history_attempt_start(struct history *h, const struct history_attempt *a,
			  struct wx_err *err)
{
	int rc;

	if (h->pg)
		return history_pg_attempt_start(h->pg, a, err);
	if (tx_begin(h, err) != 0)
		return -1;
	rc = put_attempt_row(h, a);
	if (rc != SQLITE_OK) {
		struct deferred d = {.a = *a};

		tx_rollback(h);
		return write_error(h, &d, rc, err);
	}
	return tx_commit(h, err);
}

int history_add_attempt(struct history *h, const struct history_attempt *a,
			struct wx_err *err)
{
	struct deferred d = {.a = *a};

	return write_or_defer(h, &d, err);
}

int history_add_query(struct history *h, const struct history_attempt *a,
		      struct wx_err *err)
{
	int rc;
	sqlite3_stmt *st;

	if (h->pg)
		return history_pg_add_query(h->pg, a, err);
	if (tx_begin(h, err) != 0)
		return -1;
	st = stmt(h, ST_QUERY, &rc);
	if (!st)
		return tx_abort(h, rc, err);
	bind_attempt(st, a);
	rc = step_done(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
		tx_rollback(h);
		return wx_err_set(err, _("history %s has no reversal #%lld"),
				  h->path, (long long)a->reversal_id);
	}
	if (rc != SQLITE_OK)
		return tx_abort(h, rc, err);
	return tx_commit(h, err);
}

static int query_insert(struct history *h, struct history_query *q,
			struct wx_err *err)
{
	const struct history_attempt *a = &q->a;
	int rc;
	sqlite3_stmt *st;

	if (tx_open(h, false, err) != 0)
		return -1;
	st = stmt(h, ST_LOOKUP, &rc);
	if (!st)
		return tx_abort(h, rc, err);
	q->created_ms = a->started_ms ? a->started_ms : wx_now_ms();
	sqlite3_bind_int64(st, 1, q->created_ms);
	bind_text(st, 2, q->op ? q->op : "");
	bind_text(st, 3, h->host);
	bind_text(st, 4, q->partner_name);
	bind_text(st, 5, q->sp_mchid);
	bind_text(st, 6, q->sub_name);
	bind_text(st, 7, q->sub_mchid);
	bind_text(st, 8, q->out_trade_no);
	bind_text(st, 9, q->trade_state);
	bind_text(st, 10, q->code);
	bind_text(st, 11, q->message);
	bind_text(st, 12, a->url);
	bind_text(st, 13, a->request_headers);
	sqlite3_bind_int(st, 14, a->status);
	bind_text(st, 15, a->response_headers);
	bind_text(st, 16, a->response_body);
	bind_text(st, 17, a->verify);
	bind_text(st, 18, a->transport_error);
	sqlite3_bind_int64(st, 19, a->latency_ms);
	bind_text(st, 20, a->request_id);
	rc = step_done(st);
	if (rc != SQLITE_OK)
		return tx_abort(h, rc, err);
	q->id = sqlite3_last_insert_rowid(h->db);
	return tx_commit(h, err);
}

int history_query_add(struct history *h, struct history_query *q,
		      struct wx_err *err)
{
	bool relax;
	int rc;

	if (h->pg)
		return history_pg_query_add(h->pg, q, err);
	/* In a group the level is the group's (tx_open); alone, the record
	 * is committed relaxed by itself. */
	relax = !h->group && sqlite3_get_autocommit(h->db);
	if (relax)
		sync_level(h, false);
	rc = query_insert(h, q, err);
	if (relax)
		sync_level(h, true);
	return rc;
}

int history_settle(struct history *h, int64_t id, enum wx_outcome outcome,
		   const char *code, const char *message,
		   const char *settled_by, const char *before,
		   const char *after, struct wx_err *err)
{
	int rc;
	sqlite3_stmt *st;

	if (h->pg)
		return history_pg_settle(h->pg, id, outcome, code, message,
					 settled_by, before, after, err);
	if (tx_begin(h, err) != 0)
		return -1;
	st = stmt(h, ST_SETTLE, &rc);
	if (!st)
		return tx_abort(h, rc, err);
	bind_text(st, 1, wx_outcome_name(outcome));
	bind_text(st, 2, code);
	bind_text(st, 3, message);
	bind_text(st, 4, settled_by);
	bind_text(st, 5, before);
	bind_text(st, 6, after);
	sqlite3_bind_int64(st, 7, wx_now_ms());
	sqlite3_bind_int64(st, 8, id);
	rc = step_done(st);
	if (rc != SQLITE_OK)
		return tx_abort(h, rc, err);
	if (sqlite3_changes(h->db) == 0) {
		tx_rollback(h);
		return wx_err_set(err,
				  _("reversal #%lld is not open (or not in "
				    "history %s): nothing to settle"),
				  (long long)id, h->path);
	}
	return tx_commit(h, err);
}

int history_finish(struct history *h, int64_t id, enum wx_outcome outcome,
		   int http_status, const char *code, const char *message,
		   int64_t latency_ms, struct wx_err *err)
{
	struct deferred d = {
	    .is_finish = 1,
	    .id = id,
	    .outcome = outcome,
	    .http_status = http_status,
	    .code = (char *)code,
	    .message = (char *)message,
	    .latency_ms = latency_ms,
	};

	return write_or_defer(h, &d, err);
}

/* ---- the recovery journal ---- */

/* Journal text is data: invalid bytes kept as U+FFFD (one JSON writer). */
static json_t *jstr(const char *s)
{
	return wx_json_text(s, WX_TEXT_REPLACE);
}

static char *journal_line(const struct deferred *d)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "kind",
			    json_string(d->is_finish ? "finish" : "attempt"));
	if (d->is_finish) {
		json_object_set_new(o, "id", json_integer(d->id));
		json_object_set_new(o, "outcome",
				    json_string(wx_outcome_name(d->outcome)));
		json_object_set_new(o, "http_status",
				    json_integer(d->http_status));
		json_object_set_new(o, "code", jstr(d->code));
		json_object_set_new(o, "message", jstr(d->message));
		json_object_set_new(o, "latency_ms",
				    json_integer(d->latency_ms));
	} else {
		const struct history_attempt *a = &d->a;

		json_object_set_new(o, "id", json_integer(a->reversal_id));
		json_object_set_new(o, "n", json_integer(a->n));
		json_object_set_new(o, "started_ms",
				    json_integer(a->started_ms));
		json_object_set_new(o, "url", jstr(a->url));
		json_object_set_new(o, "request_headers",
				    jstr(a->request_headers));
		json_object_set_new(o, "request_body", jstr(a->request_body));
		json_object_set_new(o, "status", json_integer(a->status));
		json_object_set_new(o, "response_headers",
				    jstr(a->response_headers));
		json_object_set_new(o, "response_body",
				    jstr(a->response_body));
		json_object_set_new(o, "verify", jstr(a->verify));
		json_object_set_new(o, "transport_error",
				    jstr(a->transport_error));
		json_object_set_new(o, "latency_ms",
				    json_integer(a->latency_ms));
		json_object_set_new(o, "request_id", jstr(a->request_id));
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The whole journal is locked while written or folded in. */
static int journal_lock(int fd, short type)
{
	struct flock fl = {0};

	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_OFD_SETLKW, &fl);
}

static void fsync_dir(const char *path)
{
	char *dir = wx_xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Opens the journal for appending with its lock held; retries when a fold
 * removed the file while we waited, so nothing lands in an unlinked one. */
static int journal_open_locked(const char *path)
{
	for (int tries = 0; tries < 10; tries++) {
		struct stat a, b;
		int fd = open(path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				  O_NOFOLLOW,
			      0600);

		if (fd < 0)
			return -1;
		if (journal_lock(fd, F_WRLCK) == 0 && fstat(fd, &a) == 0 &&
		    stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	return -1;
}

/* Appends text to the journal and makes it durable. */
static int journal_append(struct history *h, const struct wx_buf *b,
			  struct wx_err *err)
{
	int fd, rc = -1;

	if (h->pg) {
		char *dir = wx_xstrdup(h->journal_path);

		*strrchr(dir, '/') = '\0';
		wx_mkdir_p(dir, 0700, NULL);
		free(dir);
	}
	fd = journal_open_locked(h->journal_path);
	if (fd < 0 || write_all(fd, b->data, b->len) != 0 || fsync(fd) != 0) {
		wx_err_set(err, _("cannot write the recovery journal %s (%s)"),
			   h->journal_path, strerror(errno));
		goto out;
	}
	fsync_dir(h->journal_path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int history_journal(struct history *h, struct wx_err *err)
{
	struct wx_buf b = {0};
	int rc;

	if (!h->later)
		return 0;
	for (const struct deferred *d = h->later; d; d = d->next) {
		char *line = journal_line(d);

		if (line) {
			wx_buf_puts(&b, line);
			wx_buf_puts(&b, "\n");
		}
		free(line);
	}
	rc = journal_append(h, &b, err);
	while (rc == 0 && h->later) {
		struct deferred *d = h->later;

		h->later = d->next;
		deferred_free(d);
	}
	wx_buf_free(&b);
	return rc;
}

/* Journal line of a desk claim that got no answer (history_pg_withdraw). */
static void journal_withdraw(struct history *h,
			     const struct history_reversal *r,
			     const struct history_pg_unanswered *u)
{
	json_t *o = json_object();
	struct wx_buf b = {0};
	char *line;

	json_object_set_new(o, "kind", json_string("withdraw"));
	json_object_set_new(o, "sp_mchid", jstr(r->sp_mchid));
	json_object_set_new(o, "sub_mchid", jstr(r->sub_mchid));
	json_object_set_new(o, "out_trade_no", jstr(r->out_trade_no));
	json_object_set_new(o, "pid", json_integer(u->pid));
	json_object_set_new(o, "sent_ms", json_integer(u->sent_ms));
	json_object_set_new(o, "backend",
			    json_pack("[ii]", u->backend[0], u->backend[1]));
	line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line) {
		wx_buf_puts(&b, line);
		wx_buf_puts(&b, "\n");
		/* Best effort: unwritten, the row becomes unknown as before. */
		journal_append(h, &b, NULL);
	}
	free(line);
	wx_buf_free(&b);
}

static char *jget(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? wx_xstrdup(s) : NULL;
}

static int64_t jint(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

/* Whether o's string k is v (NULL: empty). */
static bool same_str(json_t *o, const char *k, const char *v)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s && strcmp(s, v ? v : "") == 0;
}

/* One parsed journal line back into a deferred write; -1 when
 * unreadable. */
static int journal_parse(json_t *o, struct deferred *d)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (!kind)
		goto out;
	if (strcmp(kind, "finish") == 0) {
		const char *oc = json_string_value(json_object_get(o, "outcome"));

		d->is_finish = 1;
		d->id = jint(o, "id");
		if (!oc || wx_outcome_parse(oc, &d->outcome) != 0)
			goto out;
		d->http_status = (int)jint(o, "http_status");
		d->code = jget(o, "code");
		d->message = jget(o, "message");
		d->latency_ms = jint(o, "latency_ms");
		rc = 0;
	} else if (strcmp(kind, "attempt") == 0) {
		d->a.reversal_id = jint(o, "id");
		d->a.n = (int)jint(o, "n");
		d->a.started_ms = jint(o, "started_ms");
		d->a.url = jget(o, "url");
		d->a.request_headers = jget(o, "request_headers");
		d->a.request_body = jget(o, "request_body");
		d->a.status = (int)jint(o, "status");
		d->a.response_headers = jget(o, "response_headers");
		d->a.response_body = jget(o, "response_body");
		d->a.verify = jget(o, "verify");
		d->a.transport_error = jget(o, "transport_error");
		d->a.latency_ms = jint(o, "latency_ms");
		d->a.request_id = jget(o, "request_id");
		rc = 0;
	}
out:
	return rc;
}

/* A withdraw line folded back in: 0 done, -1 to keep it for later. */
static int fold_withdraw(struct history *h, json_t *o)
{
	struct history_pg_unanswered u = {0};
	json_t *be = json_object_get(o, "backend");
	int rc;

	if (!h->pg) /* only a desk history writes them */
		return 0;
	u.pid = jint(o, "pid");
	u.sent_ms = jint(o, "sent_ms");
	u.backend[0] = (int)json_integer_value(json_array_get(be, 0));
	u.backend[1] = (int)json_integer_value(json_array_get(be, 1));
	u.nbackend = 2;
	rc = history_pg_withdraw(
	    h->pg, json_string_value(json_object_get(o, "sp_mchid")),
	    json_string_value(json_object_get(o, "sub_mchid")),
	    json_string_value(json_object_get(o, "out_trade_no")), &u, NULL);
	return rc == HISTORY_DEFERRED ? -1 : 0;
}

/* Applies every line in one transaction; idempotent, so a fold cut short
 * after its COMMIT may run again. */
static int fold_lines(struct history *h, char *text, struct wx_err *err)
{
	char *save = NULL;
	int rc, kept = 0;

	/* On the desk history each line is its own committed call. */
	if (!h->pg && tx_begin(h, err) != 0)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct deferred d;
		json_t *o = json_loads(line, 0, NULL);

		if (same_str(o, "kind", "withdraw")) {
			/* Kept for a later fold; the other lines go on
			 * unless the server went away meanwhile. */
			rc = fold_withdraw(h, o);
			json_decref(o);
			if (rc != 0 && !history_pg_up(h->pg))
				return -1;
			kept |= rc;
			continue;
		}
		rc = journal_parse(o, &d);
		json_decref(o);
		if (rc != 0) {
			struct deferred *tmp = wx_xcalloc(1, sizeof(*tmp));

			*tmp = d;
			deferred_free(tmp);
			continue;
		}
		if (h->pg) /* a finished row refuses a second outcome: skip */
			rc = desk_write(h, &d, NULL) == HISTORY_DEFERRED
				 ? SQLITE_IOERR
				 : SQLITE_OK;
		else
			rc = d.is_finish ? put_finish(h, ST_FOLD_FINISH, &d)
					 : put_attempt(h, &d.a);
		{
			struct deferred *tmp = wx_xcalloc(1, sizeof(*tmp));

			*tmp = d;
			deferred_free(tmp);
		}
		if (rc != SQLITE_OK && rc != W_MISSING && rc != W_DUP)
			return h->pg ? -1 : tx_abort(h, rc, err);
	}
	return h->pg ? kept : tx_commit(h, err);
}

/* The whole journal into b, read under a lock of the given type; the
 * open descriptor (keeping the lock), or -1 (b may hold part of it). */
static int journal_read(const struct history *h, int flags, short lock,
			struct wx_buf *b)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(h->journal_path, flags | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (journal_lock(fd, lock) != 0)
		goto fail;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		wx_buf_append(b, chunk, (size_t)n);
	if (n == 0)
		return fd;
fail:
	close(fd);
	return -1;
}

/* Whether a withdrawal of ours for r's order waits in the journal. */
static bool withdraw_waits(struct history *h, const struct history_reversal *r)
{
	struct wx_buf b = {0};
	char *save = NULL;
	bool found = false;
	int fd = journal_read(h, O_RDONLY, F_RDLCK, &b);

	if (fd < 0) {
		wx_buf_free(&b);
		return false;
	}
	close(fd);
	wx_buf_puts(&b, ""); /* a string even when empty */
	for (char *line = strtok_r(b.data, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);

		found = same_str(o, "kind", "withdraw") &&
			same_str(o, "sp_mchid", r->sp_mchid) &&
			same_str(o, "sub_mchid", r->sub_mchid) &&
			same_str(o, "out_trade_no", r->out_trade_no);
		json_decref(o);
	}
	wx_buf_free(&b);
	return found;
}

static int fold_journal(struct history *h, struct wx_err *err)
{
	struct wx_buf b = {0};
	int rc = -1;
	int fd = journal_read(h, O_RDWR, F_WRLCK, &b);

	if (fd < 0) {
		int gone = errno == ENOENT;

		wx_buf_free(&b);
		return gone ? 0 : -1;
	}
	if (b.len > 0 && fold_lines(h, b.data, err) != 0)
		goto out;
	/* Folded and committed: the journal is spent. */
	if (ftruncate(fd, 0) == 0)
		fsync(fd);
	unlink(h->journal_path);
	rc = 0;
out:
	close(fd);
	wx_buf_free(&b);
	return rc;
}

/* ---- reads ---- */

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	if (!s)
		return NULL;
	return wx_xstrndup((const char *)s,
			   (size_t)sqlite3_column_bytes(st, i));
}

static void read_reversal(sqlite3_stmt *st, struct history_reversal *r)
{
	const unsigned char *oc;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->created_ms = sqlite3_column_int64(st, 1);
	r->updated_ms = sqlite3_column_int64(st, 2);
	r->op = col_text(st, 3);
	r->note = col_text(st, 4);
	r->partner_name = col_text(st, 5);
	r->sp_mchid = col_text(st, 6);
	r->sub_name = col_text(st, 7);
	r->sub_mchid = col_text(st, 8);
	r->out_trade_no = col_text(st, 9);
	r->endpoint = col_text(st, 10);
	oc = sqlite3_column_text(st, 11);
	if (!oc || wx_outcome_parse((const char *)oc, &r->outcome) != 0)
		r->outcome = WX_UNKNOWN;
	r->http_status = sqlite3_column_int(st, 12);
	r->code = col_text(st, 13);
	r->message = col_text(st, 14);
	r->attempts = sqlite3_column_int(st, 15);
	r->latency_ms = sqlite3_column_int64(st, 16);
	r->pid = sqlite3_column_int64(st, 17);
	r->settled_by = col_text(st, 18);
	r->trade_state_before = col_text(st, 19);
	r->trade_state_after = col_text(st, 20);
	r->host = col_text(st, 21);
}

static void read_attempt(sqlite3_stmt *st, struct history_attempt *a)
{
	a->reversal_id = sqlite3_column_int64(st, 0);
	a->n = sqlite3_column_int(st, 1);
	a->started_ms = sqlite3_column_int64(st, 2);
	a->url = col_text(st, 3);
	a->request_headers = col_text(st, 4);
	a->request_body = col_text(st, 5);
	a->status = sqlite3_column_int(st, 6);
	a->response_headers = col_text(st, 7);
	a->response_body = col_text(st, 8);
	a->verify = col_text(st, 9);
	a->transport_error = col_text(st, 10);
	a->latency_ms = sqlite3_column_int64(st, 11);
	a->request_id = col_text(st, 12);
	a->kind = col_text(st, 13);
}

void history_reversal_clear(struct history_reversal *r)
{
	if (!r)
		return;
	free(r->op);
	free(r->note);
	free(r->partner_name);
	free(r->sp_mchid);
	free(r->sub_name);
	free(r->sub_mchid);
	free(r->out_trade_no);
	free(r->endpoint);
	free(r->code);
	free(r->message);
	free(r->settled_by);
	free(r->trade_state_before);
	free(r->trade_state_after);
	free(r->host);
	memset(r, 0, sizeof(*r));
}

void history_rows_free(struct history_reversal *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		history_reversal_clear(&rows[i]);
	free(rows);
}

static void attempt_clear(struct history_attempt *a)
{
	free(a->url);
	free(a->request_headers);
	free(a->request_body);
	free(a->response_headers);
	free(a->response_body);
	free(a->verify);
	free(a->transport_error);
	free(a->request_id);
	free(a->kind);
}

void history_attempts_free(struct history_attempt *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		attempt_clear(&a[i]);
	free(a);
}

int history_query_list(struct history *h, const char *sub_mchid,
		       const char *out_trade_no, bool exact, int64_t before_id,
		       int limit, struct history_query **out, size_t *n,
		       struct wx_err *err)
{
	static const char sql[] =
	    "SELECT id, created_ms, operator, host, partner_name, sp_mchid,"
	    " sub_name, sub_mchid, out_trade_no, trade_state, code, message,"
	    " url, request_headers, status, response_headers, response_body,"
	    " verify, transport_error, latency_ms, request_id FROM queries"
	    " WHERE (?1 IS NULL OR instr(lower(out_trade_no), lower(?1)) > 0)"
	    " AND (?2 IS NULL OR sub_mchid = ?2 OR sub_name = ?2)"
	    " AND (?3 = 0 OR id < ?3)"
	    " AND (?5 IS NULL OR out_trade_no = ?5)"
	    " ORDER BY id DESC LIMIT ?4";
	sqlite3_stmt *st = NULL;
	struct history_query *rows = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (h->pg)
		return history_pg_query_list(h->pg, sub_mchid, out_trade_no,
					     exact, before_id, limit, out, n,
					     err);
	rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(h, rc, err);
	bind_text(st, 1, exact ? NULL : out_trade_no);
	bind_text(st, 2, sub_mchid);
	sqlite3_bind_int64(st, 3, before_id > 0 ? before_id : 0);
	sqlite3_bind_int(st, 4, limit > 0 ? limit : -1);
	bind_text(st, 5, exact ? out_trade_no : NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct history_query *q;

		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			rows = wx_xrealloc(rows, cap * sizeof(*rows));
		}
		q = &rows[count++];
		memset(q, 0, sizeof(*q));
		q->id = sqlite3_column_int64(st, 0);
		q->created_ms = sqlite3_column_int64(st, 1);
		q->op = col_text(st, 2);
		q->host = col_text(st, 3);
		q->partner_name = col_text(st, 4);
		q->sp_mchid = col_text(st, 5);
		q->sub_name = col_text(st, 6);
		q->sub_mchid = col_text(st, 7);
		q->out_trade_no = col_text(st, 8);
		q->trade_state = col_text(st, 9);
		q->code = col_text(st, 10);
		q->message = col_text(st, 11);
		q->a.kind = wx_xstrdup("query");
		q->a.started_ms = q->created_ms;
		q->a.url = col_text(st, 12);
		q->a.request_headers = col_text(st, 13);
		q->a.status = sqlite3_column_int(st, 14);
		q->a.response_headers = col_text(st, 15);
		q->a.response_body = col_text(st, 16);
		q->a.verify = col_text(st, 17);
		q->a.transport_error = col_text(st, 18);
		q->a.latency_ms = sqlite3_column_int64(st, 19);
		q->a.request_id = col_text(st, 20);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		history_queries_free(rows, count);
		return fail(h, rc, err);
	}
	*out = rows;
	*n = count;
	return 0;
}

void history_queries_free(struct history_query *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		struct history_query *q = &rows[i];

		free(q->op);
		free(q->host);
		free(q->partner_name);
		free(q->sp_mchid);
		free(q->sub_name);
		free(q->sub_mchid);
		free(q->out_trade_no);
		free(q->trade_state);
		free(q->code);
		free(q->message);
		attempt_clear(&q->a);
	}
	free(rows);
}

static int load_attempts(struct history *h, int64_t id,
			 struct history_attempt **atts, size_t *natts,
			 struct wx_err *err)
{
	size_t cap = 4;
	int rc;
	sqlite3_stmt *st = stmt(h, ST_ATTEMPTS, &rc);

	if (!st)
		return fail(h, rc, err);
	sqlite3_bind_int64(st, 1, id);
	*atts = wx_xcalloc(cap, sizeof(**atts));
	*natts = 0;
	for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		if (*natts == cap) {
			cap *= 2;
			*atts = wx_xrealloc(*atts, cap * sizeof(**atts));
		}
		read_attempt(st, &(*atts)[(*natts)++]);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	history_attempts_free(*atts, *natts);
	*atts = NULL;
	*natts = 0;
	return fail(h, rc, err);
}

int history_get(struct history *h, int64_t id, struct history_reversal *r,
		struct history_attempt **atts, size_t *natts,
		struct wx_err *err)
{
	int rc;
	sqlite3_stmt *st;

	if (h->pg)
		return history_pg_get(h->pg, id, r, atts, natts, err);
	st = stmt(h, ST_GET, &rc);

	memset(r, 0, sizeof(*r));
	if (atts)
		*atts = NULL;
	if (natts)
		*natts = 0;
	if (!st)
		return fail(h, rc, err);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_reversal(st, r);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return wx_err_set(err, _("history %s has no reversal #%lld"),
				  h->path, (long long)id);
	if (rc != SQLITE_ROW)
		return fail(h, rc, err);
	if (atts && natts && load_attempts(h, id, atts, natts, err) != 0) {
		history_reversal_clear(r);
		return -1;
	}
	return 0;
}

void history_read_begin(struct history *h)
{
	/* A failed BEGIN only leaves each read its own transaction. */
	h->reading = !h->pg && sqlite3_get_autocommit(h->db) &&
		     sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL) ==
			 SQLITE_OK;
}

void history_read_end(struct history *h)
{
	/* Only the transaction history_read_begin opened. */
	if (h->reading && !sqlite3_get_autocommit(h->db))
		sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
	h->reading = 0;
}

int history_latest_for_order(struct history *h, const char *sub_mchid,
			     const char *out_trade_no,
			     struct history_reversal *latest, int64_t *count,
			     struct wx_err *err)
{
	int rc;
	sqlite3_stmt *st;

	if (h->pg)
		return history_pg_latest_for_order(h->pg, sub_mchid,
						   out_trade_no, latest, count,
						   err);
	st = stmt(h, ST_ORDER_COUNT, &rc);

	memset(latest, 0, sizeof(*latest));
	*count = 0;
	if (!st)
		return fail(h, rc, err);
	bind_text(st, 1, sub_mchid);
	bind_text(st, 2, out_trade_no);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return fail(h, rc, err);
	if (*count == 0)
		return 0;
	st = stmt(h, ST_ORDER_LATEST, &rc);
	if (!st)
		return fail(h, rc, err);
	bind_text(st, 1, sub_mchid);
	bind_text(st, 2, out_trade_no);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_reversal(st, latest);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(h, rc, err);
}

/* Reads the one integer a cached single-row statement answers. */
static int stmt_int(struct history *h, enum stmt_id id, int64_t *v,
		    struct wx_err *err)
{
	int rc;
	sqlite3_stmt *st = stmt(h, id, &rc);

	*v = 0;
	if (!st)
		return fail(h, rc, err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : fail(h, rc, err);
}

int history_count(struct history *h, int64_t *n, struct wx_err *err)
{
	if (h->pg)
		return history_pg_count(h->pg, n, err);
	return stmt_int(h, ST_MAX_ID, n, err);
}

int history_data_version(struct history *h, int64_t *v, struct wx_err *err)
{
	if (h->pg) { /* colleagues' changes, announced by NOTIFY */
		*v = history_pg_data_version(h->pg);
		return 0;
	}
	return stmt_int(h, ST_DATA_VERSION, v, err);
}

/* ---- list queries ---- */

#define MAX_BINDS 24 /* two walks of every filter, and three more */

/* A query under construction: SQL text and its parameters in order. */
struct query {
	struct wx_buf sql;	/* the statement text */
	struct wx_buf match;	/* FTS5 expression, empty when unused */
	char *text[MAX_BINDS];	/* owned text parameter, or NULL */
	int64_t num[MAX_BINDS]; /* integer parameter when text is NULL */
	int n;			/* parameters so far */
};

static void q_text(struct query *q, char *owned)
{
	q->text[q->n++] = owned;
}

static void q_int(struct query *q, int64_t v)
{
	q->text[q->n] = NULL;
	q->num[q->n++] = v;
}

/* Adds `[column : ]"phrase"` to the FTS5 expression. */
static void q_match(struct query *q, const char *column, const char *s)
{
	if (q->match.len)
		wx_buf_puts(&q->match, " AND ");
	if (column)
		wx_buf_printf(&q->match, "%s : ", column);
	wx_buf_puts(&q->match, "\"");
	for (; *s; s++) {
		if (*s == '"')
			wx_buf_puts(&q->match, "\"");
		wx_buf_append(&q->match, s, 1);
	}
	wx_buf_puts(&q->match, "\"");
}

static void q_like_text(struct query *q, const char *s)
{
	static const char *const cols[] = {
	    "out_trade_no", "sub_name", "sub_mchid", "outcome", "code", "note"};
	int at;

	q_text(q, wx_like_contains(s));
	at = q->n;
	wx_buf_puts(&q->sql, " AND (");
	for (size_t i = 0; i < WX_ARRAY_LEN(cols); i++)
		wx_buf_printf(&q->sql, "%sr.%s LIKE ?%d ESCAPE '\\'",
			      i ? " OR " : "", cols[i], at);
	wx_buf_puts(&q->sql, ")");
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
	}
	return 1;
}

/* Whether substring s is looked up in the trigram index. Shorter ones
 * have no trigram; with an exact sub-merchant, its index narrows to far
 * fewer rows than a common trigram, so LIKE runs over those instead. */
static int by_trigram(const struct history_filter *f, const char *s)
{
	return s && wx_utf8_chars(s) >= TRIGRAM_MIN && !(f->sub && *f->sub);
}

/* Byte offset of character `k` of s (or the end). */
static size_t char_offset(const char *s, size_t k)
{
	size_t i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && k-- == 0)
			break;
	}
	return i;
}

/* Adds s to the FTS5 expression. A long substring goes in as overlapping
 * pieces of TRIGRAM_WINDOW characters joined by AND, covering each of its
 * trigrams: as one phrase, every order number's common "4200000..." makes
 * FTS5 walk doclists as long as the table (50 ms at a million rows); the
 * pieces take a few ms, and LIKE checks the whole substring on the few
 * rows they leave (q_filters). */
static void q_match_pieces(struct query *q, const char *column, const char *s)
{
	size_t n = wx_utf8_chars(s);

	for (size_t at = 0; at < n; at += TRIGRAM_WINDOW - 2) {
		size_t from = at + TRIGRAM_WINDOW > n && n > TRIGRAM_WINDOW
				  ? n - TRIGRAM_WINDOW
				  : at;
		size_t a = char_offset(s, from);
		size_t b = char_offset(s, from + TRIGRAM_WINDOW);
		char *piece = wx_xstrndup(s + a, b - a);

		q_match(q, column, piece);
		free(piece);
		if (from + TRIGRAM_WINDOW >= n)
			break;
	}
}

/* Whether s must be checked with LIKE: too short for trigrams, or looked
 * up in pieces. */
static int needs_like(const struct history_filter *f, const char *s)
{
	return s && *s && (!by_trigram(f, s) || wx_utf8_chars(s) > TRIGRAM_WINDOW);
}

/* The filter's conditions on r. ALL_LIKE: every substring is checked with
 * LIKE, for rows the trigram index does not hold (pending ones). */
static void q_filters(struct query *q, const struct history_filter *f,
		      bool all_like)
{
	if (f->text && *f->text && (all_like || needs_like(f, f->text)))
		q_like_text(q, f->text);
	if (f->order && *f->order && (all_like || needs_like(f, f->order))) {
		q_text(q, wx_like_contains(f->order));
		wx_buf_printf(&q->sql,
			      " AND r.out_trade_no LIKE ?%d ESCAPE '\\'", q->n);
	}
	if (f->sub && *f->sub) {
		/* mchids are digits; names may not be, and each has an index.
		 */
		q_text(q, wx_xstrdup(f->sub));
		wx_buf_printf(&q->sql, " AND r.%s = ?%d",
			      all_digits(f->sub) ? "sub_mchid" : "sub_name",
			      q->n);
	}
	if (f->outcome >= 0) {
		q_text(q, wx_xstrdup(wx_outcome_name(f->outcome)));
		wx_buf_printf(&q->sql, " AND r.outcome = ?%d", q->n);
	}
	if (f->code && *f->code) {
		q_text(q, wx_xstrdup(f->code));
		wx_buf_printf(&q->sql, " AND r.code = ?%d", q->n);
	}
	if (f->op && *f->op) {
		q_text(q, wx_xstrdup(f->op));
		wx_buf_printf(&q->sql, " AND r.operator = ?%d", q->n);
	}
	if (f->since_ms > 0) {
		q_int(q, f->since_ms);
		wx_buf_printf(&q->sql, " AND r.created_ms >= ?%d", q->n);
	}
	if (f->until_ms > 0) {
		q_int(q, f->until_ms);
		wx_buf_printf(&q->sql, " AND r.created_ms < ?%d", q->n);
	}
}

/* Builds the keyset query: newest first, ids below before_id. With a
 * substring of three or more characters the trigram index drives the walk
 * in rowid order, so a page costs `limit` matches, not a table scan; the
 * index holds settled rows only (schema v5), so pending ones, few and
 * indexed by outcome, are walked beside it. */
static void build_list(struct query *q, const struct history_filter *f,
		       int64_t before_id, int64_t floor_id, int limit)
{
	if (by_trigram(f, f->text))
		q_match_pieces(q, NULL, f->text);
	if (by_trigram(f, f->order))
		q_match_pieces(q, "out_trade_no", f->order);
	if (q->match.len > 0) {
		q_text(q, wx_buf_take(&q->match));
		q_int(q, before_id > 0 ? before_id : INT64_MAX);
		q_int(q, limit);
		wx_buf_puts(&q->sql,
			    "SELECT * FROM (SELECT " REV_COLS
			    " FROM reversals_fts CROSS JOIN reversals r"
			    " ON r.id = reversals_fts.rowid"
			    " WHERE reversals_fts MATCH ?1"
			    " AND reversals_fts.rowid < ?2");
		q_filters(q, f, false);
		wx_buf_puts(&q->sql,
			    " ORDER BY reversals_fts.rowid DESC LIMIT ?3)"
			    " UNION ALL SELECT * FROM (SELECT " REV_COLS
			    " FROM reversals r WHERE r.outcome = 'pending'"
			    " AND r.id < ?2");
		q_filters(q, f, true);
		wx_buf_puts(&q->sql, " ORDER BY r.id DESC LIMIT ?3)"
				     " ORDER BY 1 DESC LIMIT ?3");
		return;
	}
	q_int(q, before_id > 0 ? before_id : INT64_MAX);
	wx_buf_puts(&q->sql,
		    "SELECT " REV_COLS " FROM reversals r WHERE r.id < ?1");
	if (floor_id > 0) {
		q_int(q, floor_id);
		wx_buf_printf(&q->sql, " AND r.id >= ?%d", q->n);
	}
	q_filters(q, f, false);
	q_int(q, limit);
	wx_buf_printf(&q->sql, " ORDER BY r.id DESC LIMIT ?%d", q->n);
}

static void query_free(struct query *q)
{
	wx_buf_free(&q->sql);
	wx_buf_free(&q->match);
	for (int i = 0; i < q->n; i++)
		free(q->text[i]);
}

/* The cached statement for this SQL text, prepared on first use. */
static sqlite3_stmt *list_stmt(struct history *h, const char *sql, int *rc)
{
	struct list_stmt *slot;

	for (size_t i = 0; i < WX_ARRAY_LEN(h->lists); i++) {
		if (h->lists[i].sql && strcmp(h->lists[i].sql, sql) == 0) {
			*rc = SQLITE_OK;
			sqlite3_reset(h->lists[i].st);
			sqlite3_clear_bindings(h->lists[i].st);
			return h->lists[i].st;
		}
	}
	slot = &h->lists[h->list_next];
	h->list_next = (h->list_next + 1) % LIST_CACHE_SIZE;
	sqlite3_finalize(slot->st);
	free(slot->sql);
	slot->sql = NULL;
	*rc = sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				 &slot->st, NULL);
	if (*rc != SQLITE_OK) {
		sqlite3_finalize(slot->st);
		slot->st = NULL;
		return NULL;
	}
	slot->sql = wx_xstrdup(sql);
	return slot->st;
}

/* Steps up to `limit` rows into a growing array; *rc is the last code. */
static struct history_reversal *read_rows(sqlite3_stmt *st, size_t limit,
					  size_t *n, int *rc)
{
	size_t cap = limit < 64 ? limit : 64;
	struct history_reversal *rows = wx_xcalloc(cap, sizeof(*rows));

	for (*rc = SQLITE_ROW; *n < limit; (*n)++) {
		*rc = sqlite3_step(st);
		if (*rc != SQLITE_ROW)
			break;
		if (*n == cap) {
			cap = cap * 2 < limit ? cap * 2 : limit;
			rows = wx_xrealloc(rows, cap * sizeof(*rows));
		}
		read_reversal(st, &rows[*n]);
	}
	return rows;
}

static int list_window(struct history *h, const struct history_filter *f,
		       int64_t before_id, int64_t floor_id, int limit,
		       struct history_reversal **rows, size_t *n,
		       struct wx_err *err)
{
	struct query q = {0};
	sqlite3_stmt *st;
	int rc;

	*rows = NULL;
	*n = 0;
	if (limit <= 0)
		return 0;
	build_list(&q, f, before_id, floor_id, limit);
	st = list_stmt(h, q.sql.data, &rc);
	if (!st) {
		query_free(&q);
		return fail(h, rc, err);
	}
	for (int i = 0; i < q.n; i++) {
		if (q.text[i])
			bind_text(st, i + 1, q.text[i]);
		else
			sqlite3_bind_int64(st, i + 1, q.num[i]);
	}
	*rows = read_rows(st, (size_t)limit, n, &rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	query_free(&q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	history_rows_free(*rows, *n);
	*rows = NULL;
	*n = 0;
	return fail(h, rc, err);
}

int history_list(struct history *h, const struct history_filter *f,
		 int64_t before_id, int limit, struct history_reversal **rows,
		 size_t *n, struct wx_err *err)
{
	static const struct history_filter any = HISTORY_FILTER_ANY;

	if (h->pg)
		return history_pg_list_window(h->pg, f ? f : &any, before_id,
					      0, limit, rows, n, err);
	return list_window(h, f ? f : &any, before_id, 0, limit, rows, n, err);
}

/* Whether the filter is answered by reading rows one by one: a substring
 * with no trigram index behind it and no sub-merchant index to narrow it. */
static int scans_rows(const struct history_filter *f)
{
	if (f->sub && *f->sub)
		return 0;
	if (by_trigram(f, f->text) || by_trigram(f, f->order))
		return 0;
	return needs_like(f, f->text) || needs_like(f, f->order);
}

int history_list_step(struct history *h, const struct history_filter *f,
		      int64_t before_id, int limit, int64_t budget,
		      struct history_reversal **rows, size_t *n,
		      int64_t *resume_id, struct wx_err *err)
{
	static const struct history_filter any = HISTORY_FILTER_ANY;
	int64_t top = before_id, floor_id = 0;

	*resume_id = 0;
	if (!f)
		f = &any;
	if (h->pg)
		return history_pg_list_step(h->pg, f, before_id, limit, budget,
					    rows, n, resume_id, err);
	if (budget > 0 && scans_rows(f)) {
		if (top <= 0) {
			if (history_count(h, &top, err) != 0)
				return -1;
			top++;
		}
		floor_id = top - budget;
		if (floor_id <= 1)
			floor_id = 0;
	}
	if (list_window(h, f, top, floor_id, limit, rows, n, err) != 0)
		return -1;
	if (floor_id > 0 && *n < (size_t)limit)
		*resume_id = floor_id;
	return 0;
}

/* ---- the desk history (PostgreSQL) ---- */

/* The desk history's recovery journal is local and per operator and
 * server: $XDG_DATA_HOME/wxrev/desk-<hash of role and server>.journal. */
static char *desk_journal_path(const struct history *h)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = home_dir();
	const char *who = history_pg_role(h->pg);
	uint64_t x = 14695981039346656037ULL; /* FNV-1a */

	for (const char *c = who; *c; c++)
		x = (x ^ (unsigned char)*c) * 1099511628211ULL;
	x = (x ^ '@') * 1099511628211ULL;
	for (const char *c = h->path; *c; c++)
		x = (x ^ (unsigned char)*c) * 1099511628211ULL;
	if (xdg && xdg[0] == '/')
		return wx_xasprintf("%s/wxrev/desk-%016llx.journal", xdg,
				    (unsigned long long)x);
	return wx_xasprintf("%s/.local/share/wxrev/desk-%016llx.journal",
			    home ? home : ".", (unsigned long long)x);
}

static int open_desk(struct history *h, const char *uri, struct wx_err *err)
{
	if (history_pg_open(uri, &h->pg, err) != 0)
		return -1;
	h->path = wx_xstrdup(history_pg_path(h->pg));
	h->journal_path = desk_journal_path(h);
	/* Results kept while the server was gone go in first: they are
	 * truer than the INTERRUPTED a recovery would guess. */
	fold_journal(h, NULL);
	return history_pg_recover(h->pg, err);
}

int history_is_desk(const struct history *h)
{
	return h->pg != NULL;
}

const char *history_operator(const struct history *h)
{
	return h->pg ? history_pg_role(h->pg) : NULL;
}

/* One page of the file, each reversal with its attempts, into the desk. */
static int import_page(struct history *dst, struct history *src,
		       const struct history_reversal *rows, size_t n,
		       struct history_import_stats *st, struct wx_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct history_reversal r;
		struct history_attempt *a = NULL;
		size_t na = 0;
		int added = 0, rc;

		if (rows[i].outcome == WX_PENDING) {
			st->pending++;
			continue;
		}
		if (history_get(src, rows[i].id, &r, &a, &na, err) != 0)
			return -1;
		rc = history_pg_import(dst->pg, &r, a, na, &added, err);
		history_reversal_clear(&r);
		history_attempts_free(a, na);
		if (rc != 0)
			return -1;
		if (added)
			st->added++;
		else
			st->already++;
	}
	return 0;
}

/* The file's kept order queries, a page at a time, into the desk. */
static int import_queries(struct history *dst, struct history *src,
			  struct history_import_stats *st, struct wx_err *err)
{
	int64_t before = 0;

	for (;;) {
		struct history_query *rows = NULL;
		size_t n = 0;
		int rc = 0;

		if (history_query_list(src, NULL, NULL, false, before, 200,
				       &rows, &n, err) != 0)
			return -1;
		for (size_t i = 0; i < n && rc == 0; i++) {
			int added = 0;

			rc = history_pg_import_query(dst->pg, &rows[i], &added,
						     err);
			if (added)
				st->queries_added++;
			else if (rc == 0)
				st->queries_already++;
		}
		if (n)
			before = rows[n - 1].id;
		history_queries_free(rows, n);
		if (rc != 0)
			return -1;
		if (n == 0)
			return 0;
	}
}

int history_import(struct history *dst, struct history *src,
		   struct history_import_stats *st, struct wx_err *err)
{
	int64_t before = 0;

	memset(st, 0, sizeof(*st));
	if (!dst->pg || src->pg)
		return wx_err_set(err, _("history import copies a history "
					 "file into a desk history: pass "
					 "--history postgresql://... and a "
					 ".db file"));
	for (;;) {
		struct history_reversal *rows = NULL;
		size_t n = 0;
		int rc;

		if (history_list(src, NULL, before, 200, &rows, &n, err) != 0)
			return -1;
		if (n == 0) {
			history_rows_free(rows, n);
			return import_queries(dst, src, st, err);
		}
		before = rows[n - 1].id;
		rc = import_page(dst, src, rows, n, st, err);
		history_rows_free(rows, n);
		if (rc != 0)
			return -1;
	}
}
