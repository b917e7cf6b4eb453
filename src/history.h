/* history: the durable record of every reversal and attempt, on SQLite
 * or, for a desk, on PostgreSQL (both described below).
 *
 * Durability on SQLite: WAL, synchronous=FULL, busy timeout; every write
 * below is its own committed transaction (or part of a group, committed
 * together by history_group_end), so a reversal's `pending` row exists on
 * disk before the caller sends a byte. Schema versioned with user_version.
 * Files: folder 0700; database, "<file>.claims" and "<file>.journal" 0600.
 *
 * Claim contract (one order, one request, across processes). Any backend
 * must keep it:
 *  - history_begin() looks, inside the write transaction that inserts the
 *    `pending` row, for a live `pending` row of the same sp_mchid +
 *    sub_mchid + out_trade_no. Live: nothing is inserted, HISTORY_CLAIMED is
 *    returned and err names who holds it (operator, host, since when).
 *  - Liveness is a lock the kernel releases when its process dies, never a
 *    PID: an open-file-description lock (fcntl F_OFD_SETLK, write) on byte
 *    <row id> of "<file>.claims", taken before COMMIT and held until the
 *    row's outcome is committed (or the process ends). Another process
 *    tests that byte with a second open file description: locked = live,
 *    free = its owner is gone. Valid across PID namespaces on one host and
 *    after PID reuse; not across machines (a history on a network share is
 *    not protected).
 *  - A `pending` row whose byte is free becomes `unknown`
 *    (HISTORY_CODE_INTERRUPTED): at history_open() and when history_begin()
 *    meets it, which may then claim the order again.
 *
 * Results that cannot be written at once (locked by another program, disk
 * full): history_add_attempt() and history_finish() keep the write in
 * memory, in order, and return HISTORY_DEFERRED; history_flush() retries,
 * history_unsaved() counts, history_journal() appends what is left to
 * "<file>.journal" (owner-only, fsync'd, append-only) and history_open()
 * of any wxrev folds a journal back in before recovering orphans. The claim
 * stays held while its outcome is unsaved. Inside a group nothing is
 * deferred: history_group_end reports the group's fate, and a claim taken
 * or finished in it is kept or dropped once the group is committed.
 *
 * Owns: the sqlite3 handle, the claims and journal descriptors. Rows
 * returned to the caller are owned by the caller and freed with the
 * matching *_free.
 * Paging: lists are keyset-paged by id (newest first); nothing loads the
 * whole table.
 *
 * Two backends behind this one interface: the SQLite file above and, for a
 * path that is a postgresql:// URI, a desk history on PostgreSQL
 * (history_pg.h, schema in docs/postgres.sql). There the claim is
 * desk-wide (a unique partial index on pending rows plus a session
 * advisory lock for liveness), the operator is the database role, groups
 * are no-ops (each write commits on its own), and a result the server
 * cannot take (connection lost) is deferred, flushed and journaled exactly
 * as above, into a local owner-only journal (history_journal_path). A
 * claim sent that got no answer goes in that journal too: the server may
 * have taken it, and the next claim or start of this operator closes that
 * row as failed (HISTORY_CODE_NOT_SENT) once no session holds it, rather
 * than let it hold the order and turn unknown. */
#ifndef WXREV_HISTORY_H
#define WXREV_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "outcome.h"
#include "util.h"

struct history;

/* Code given to a reversal abandoned or stopped before its answer arrived
 * (the one spelling: reversal, the UI and recovery use it). */
#define HISTORY_CODE_INTERRUPTED "INTERRUPTED"
/* Code of a reversal closed without a byte sent (also the engine's
 * REVERSAL_CODE_NOT_SENT): a desk claim withdrawn after it got no answer. */
#define HISTORY_CODE_NOT_SENT "NOT_SENT"

/* history_begin: a live claim elsewhere; nothing was recorded. */
#define HISTORY_CLAIMED 1
/* history_add_attempt / history_finish: kept in memory, not yet on disk. */
#define HISTORY_DEFERRED 2

/* One operator intent. */
struct history_reversal {
	int64_t id;	    /* assigned by history_begin */
	int64_t created_ms; /* wall clock at history_begin */
	int64_t updated_ms; /* last change */
	char *op;	    /* operator: $WXREV_OPERATOR or login name */
	char *note;	    /* ticket number or reason; NULL if none */
	char *partner_name;
	char *sp_mchid;
	char *sub_name;
	char *sub_mchid;
	char *out_trade_no;
	char *endpoint; /* base URL used first */
	enum wx_outcome outcome;
	int http_status; /* last status; 0 when none */
	char *code;	 /* WeChat Pay or local code; NULL if none */
	char *message;	 /* message as sent; NULL if none */
	int attempts;
	int64_t latency_ms; /* sum over attempts */
	int64_t pid;	    /* owning process while pending (informative) */
	char *settled_by;   /* "answer", "query", or NULL while open */
	char *trade_state_before; /* a query's trade_state before sending */
	char *trade_state_after;  /* the last query's trade_state after */
	char *host;	    /* machine of the operator; NULL in old rows */
};

/* One HTTP exchange. Secrets never appear here: the caller redacts the
 * signature before storing. */
struct history_attempt {
	int64_t reversal_id;
	int n; /* 1-based attempt number */
	int64_t started_ms;
	char *url;
	char *request_headers; /* "Name: value\n" lines, signature redacted */
	char *request_body;
	int status;		/* 0: no status line */
	char *response_headers; /* "Name: value\n" lines */
	char *response_body;	/* capped by the caller */
	char *verify;		/* apiv3 verdict name, NULL if not checked */
	char *transport_error;	/* NULL when the transfer completed */
	int64_t latency_ms;
	char *request_id; /* Request-ID header */
	char *kind;	  /* "reverse" (NULL is taken as that) or "query" */
};

/* Where the history lives: `arg` (--history), else $WXREV_HISTORY, else
 * $XDG_DATA_HOME/wxrev/history.db (~/.local/share/...). Always a file path:
 * ":memory:", "file:" URIs and anything that is not (or cannot become) a
 * regular file are refused. */
int history_locate(const char *arg, char *buf, size_t n, struct wx_err *err);

/* Starts opening a desk history (a URI) in the background, so that its
 * server sets up the session while the caller goes on; history_open of the
 * same location takes the session. A caller that ends without opening it
 * calls history_preconnect_end. Nothing for a history file. */
void history_preconnect(const char *path);
void history_preconnect_end(void);

/* Creates the folder (0700) and file (0600) when missing, tightens a file
 * others can read to 0600, migrates the schema and recovers orphaned
 * pending rows. A read-only file opens for reading; writes then fail.
 * Errors name the file, the problem and the fix (not a database, newer
 * schema, locked, disk full, ...). */
int history_open(const char *path, struct history **out, struct wx_err *err);
void history_close(struct history *h);
const char *history_path(const struct history *h);
/* How long a write waits for another process's lock (default 5000 ms). */
void history_set_busy_timeout(struct history *h, int ms);
/* A desk history whose connection is lost re-makes it, by default, with
 * a blocking connect (up to libpq's connect_timeout, 10 s, against a
 * server that does not answer). With `on` (the terminal UI) it never
 * blocks: each call that needs the server advances a non-blocking connect
 * (PQconnectPoll) as far as it goes without waiting, a new one started at
 * most once a second, and fails as offline (writes are deferred) until it
 * is made. No effect on a history file. */
void history_set_nowait(struct history *h, int on);
/* Told while a statement of the desk history waits for its answer: every
 * HISTORY_WAIT_EVERY_MS once it has waited HISTORY_WAIT_SAY_MS, with how
 * long it has waited and how long it may (then it is dropped as not
 * answering), and once more with waited_ms -1 when the wait is over; so
 * that a screen can say why it stands still. Called on the thread that
 * asked. No effect on a history file. */
#define HISTORY_WAIT_SAY_MS   1000
#define HISTORY_WAIT_EVERY_MS 250
typedef void history_wait_fn(void *ctx, int64_t waited_ms, int64_t limit_ms);
void history_on_wait(struct history *h, history_wait_fn *fn, void *ctx);

/* Group commit: between history_group_begin and history_group_end, the
 * writes below (history_begin, history_add_attempt, history_finish) join
 * one transaction, each still undone alone when it fails, and
 * history_group_end commits them together (one sync to disk instead of one
 * each). Until it has returned 0 none of them is durable: nothing they
 * record may be sent or reported before. On -1 every write of the group is
 * lost and err says why. */
void history_group_begin(struct history *h);
int history_group_end(struct history *h, struct wx_err *err);

/* Claims the order and inserts `r` as pending (see the claim contract) and
 * commits. Sets r->id and r->created_ms. Returns 0, HISTORY_CLAIMED (held
 * elsewhere, err says by whom) or -1. Nothing may be sent unless this
 * returned 0. */
int history_begin(struct history *h, struct history_reversal *r,
		  struct wx_err *err);
/* The live claim on an order, if any: 1 with *holder filled (caller clears
 * it) and err naming who holds it since when, as history_begin says it;
 * 0 when none; -1 on error. For the confirmation screen. */
int history_claim_holder(struct history *h, const char *sp_mchid,
			 const char *sub_mchid, const char *out_trade_no,
			 struct history_reversal *holder, struct wx_err *err);
/* Records attempt a->n (its request side) before it is sent and bumps the
 * attempt count; commits. Nothing may be sent unless this returned 0. */
int history_attempt_start(struct history *h, const struct history_attempt *a,
			  struct wx_err *err);
/* Records the answer of an attempt (inserting it when it was not started
 * through history_attempt_start); commits. 0, HISTORY_DEFERRED or -1. */
int history_add_attempt(struct history *h, const struct history_attempt *a,
			struct wx_err *err);
/* Keeps an order query made about reversal a->reversal_id as one of its
 * requests (kind "query", numbered after the others; a->n is ignored)
 * without counting it as a reversal attempt; commits. */
int history_add_query(struct history *h, const struct history_attempt *a,
		      struct wx_err *err);
/* An order query asked on its own (the confirmation, F5 on a row, `wxrev
 * query`, a look-up under other sub-merchants): no money moves, but it is
 * a request that left, so it is kept with the order it asked about and
 * what it learned. */
struct history_query {
	int64_t id;	    /* assigned by history_query_add */
	int64_t created_ms; /* when it was sent (a.started_ms) */
	char *op;	    /* operator */
	char *host;	    /* filled by the history */
	char *partner_name;
	char *sp_mchid;
	char *sub_name;
	char *sub_mchid;
	char *out_trade_no;
	char *trade_state; /* what it read; NULL when nothing was read */
	char *code;	   /* refusal or local code; NULL when none */
	char *message;	   /* stored message (English, i18n.h) */
	struct history_attempt a; /* the request (reversal_id, n unused) */
};
/* Keeps q; sets q->id and q->created_ms; commits. A query is recorded
 * with its answer (it moves no money, so nothing waits on the record). */
int history_query_add(struct history *h, struct history_query *q,
		      struct wx_err *err);
/* Kept queries, newest first: of orders whose out_trade_no contains
 * out_trade_no (is it, with exact) and of the sub-merchant sub_mchid (its
 * mchid or name), either NULL for any; ids below before_id (0: from the
 * newest), at most limit (0: all). */
int history_query_list(struct history *h, const char *sub_mchid,
		       const char *out_trade_no, bool exact, int64_t before_id,
		       int limit, struct history_query **out, size_t *n,
		       struct wx_err *err);
void history_queries_free(struct history_query *rows, size_t n);

/* Settles an `unknown` reversal from a query: outcome, code, message,
 * settled_by ("query") and the trade states seen (NULL keeps what is
 * stored); an outcome of WX_UNKNOWN keeps it open and only records what
 * was learned. Fails naming the row when it is not `unknown` (a pending
 * row belongs to a live process). */
int history_settle(struct history *h, int64_t id, enum wx_outcome outcome,
		   const char *code, const char *message,
		   const char *settled_by, const char *before,
		   const char *after, struct wx_err *err);
/* Records the final outcome of reversal `id`, commits and releases its
 * claim. 0, HISTORY_DEFERRED or -1. */
int history_finish(struct history *h, int64_t id, enum wx_outcome outcome,
		   int http_status, const char *code, const char *message,
		   int64_t latency_ms, struct wx_err *err);
/* Retries deferred writes without waiting long; returns how many remain. */
int history_flush(struct history *h);
/* Deferred writes not yet on disk. */
int history_unsaved(const struct history *h);
/* The reversals those writes belong to (results waiting). */
int history_unsaved_results(const struct history *h);
/* Appends every deferred write to the recovery journal and fsyncs it; the
 * next history_open() folds it in. 0 when the journal holds them. */
int history_journal(struct history *h, struct wx_err *err);
/* The journal's path, for messages. */
const char *history_journal_path(const struct history *h);
/* 0 when the path still names the file opened; else err says what
 * happened (deleted, replaced) and the fix. Checked before every send. */
int history_check_file(struct history *h, struct wx_err *err);

struct history_filter {
	const char *text;  /* substring of order, sub name/mchid, outcome,
			      code or note; NULL: any */
	const char *order; /* substring of out_trade_no */
	const char *sub;   /* exact: sub_mchid when all digits, else
			      the sub-merchant's name */
	int outcome;	   /* enum wx_outcome, or -1 for any */
	const char *code;  /* exact code */
	const char *op;	   /* exact operator; NULL: any */
	int64_t since_ms;  /* 0: no lower bound */
	int64_t until_ms;  /* 0: no upper bound */
};
#define HISTORY_FILTER_ANY                                                     \
	{                                                                      \
		.outcome = -1                                                  \
	}

/* 1 for a desk history (PostgreSQL), 0 for a history file. */
int history_is_desk(const struct history *h);
/* The operator a desk history records (the database role); NULL for a
 * history file, where the caller names the operator. */
const char *history_operator(const struct history *h);

/* What history_import did. */
struct history_import_stats {
	int64_t added;		 /* reversals copied now */
	int64_t already;	 /* brought by an earlier import */
	int64_t pending;	 /* left behind: still pending in the file */
	int64_t queries_added;	 /* kept order queries copied now */
	int64_t queries_already; /* brought by an earlier import */
};
/* Copies every finished reversal of history file `src`, with its attempts,
 * and every kept order query into desk history `dst`, in the importer's
 * name with the original operator kept as imported_from. Running it again
 * adds nothing twice. */
int history_import(struct history *dst, struct history *src,
		   struct history_import_stats *st, struct wx_err *err);

/* Newest first, ids strictly below before_id (0: from the newest), at most
 * `limit` rows. *rows is caller-owned: history_rows_free(rows, n). */
int history_list(struct history *h, const struct history_filter *f,
		 int64_t before_id, int limit, struct history_reversal **rows,
		 size_t *n, struct wx_err *err);
void history_rows_free(struct history_reversal *rows, size_t n);

/* history_list for interactive filters: a substring that no index serves
 * (one or two characters) is looked for among at most `budget` ids below
 * before_id, so a keystroke never waits for a table scan however rare the
 * text. When the page is not full and older rows remain unsearched,
 * *resume_id is where the next call continues (pass it as before_id);
 * otherwise 0. Indexed filters behave exactly as history_list. */
#define HISTORY_SCAN_BUDGET 40000 /* ids a step examines: ~15 ms */
int history_list_step(struct history *h, const struct history_filter *f,
		      int64_t before_id, int limit, int64_t budget,
		      struct history_reversal **rows, size_t *n,
		      int64_t *resume_id, struct wx_err *err);

/* One reversal with all its attempts (oldest first). */
int history_get(struct history *h, int64_t id, struct history_reversal *r,
		struct history_attempt **atts, size_t *natts,
		struct wx_err *err);
void history_reversal_clear(struct history_reversal *r);
void history_attempts_free(struct history_attempt *a, size_t n);

/* Many reads as one: between history_read_begin and history_read_end the
 * reads of a SQLite history share one snapshot and one set of locks (a
 * list's lookup of its orders). No write may come between them. No effect
 * on a desk history. */
void history_read_begin(struct history *h);
void history_read_end(struct history *h);

/* What the history already knows about one order (confirmation modal):
 * *count reversals of it so far and, when *count > 0, the newest one in
 * *latest (caller clears it with history_reversal_clear). */
int history_latest_for_order(struct history *h, const char *sub_mchid,
			     const char *out_trade_no,
			     struct history_reversal *latest, int64_t *count,
			     struct wx_err *err);

/* About how many reversals the history holds (the highest id: exact while
 * nothing is deleted), without counting a million rows. */
int history_count(struct history *h, int64_t *n, struct wx_err *err);
/* A number that changes when another connection (another wxrev, a CLI
 * run) commits to the history; cheap enough to ask every second. */
int history_data_version(struct history *h, int64_t *v, struct wx_err *err);

#endif
