/* history_pg: the desk history backend, on PostgreSQL through libpq.
 *
 * Owns: one libpq connection per history, the sanitised URI shown in
 * messages, the ids of this process's own pending rows (to take their
 * liveness locks back after a reconnect). Called only through history.h,
 * whose contract it keeps; the schema and the claim rules are in
 * docs/postgres.sql, which is built in (history_pg_init applies it).
 * Operator: the database role (session_user); the desk: this host's name.
 * Passwords: a URI that carries one is refused (libpq reads ~/.pgpass,
 * PGPASSFILE, service files); nothing here ever prints a password.
 * Errors: one sentence naming the server (never the password), the problem
 * and the fix: unreachable, no schema, newer schema, read-only server, role
 * without rights.
 * A result (an attempt's answer, an outcome) that cannot be written because
 * the server is gone returns HISTORY_DEFERRED: history.c keeps it, retries
 * it and journals it like a locked history file's. */
#ifndef WXREV_HISTORY_PG_H
#define WXREV_HISTORY_PG_H

#include "history.h"

struct history_pg;

/* True when `s` names a desk history (postgresql:// or postgres://). */
int history_pg_is_uri(const char *s);
/* Refuses a URI with a password in it, naming where the password goes. */
int history_pg_check_uri(const char *uri, struct wx_err *err);

/* Opens uri in a background thread (connect, session, schema check, the
 * table's catalog read once) while the caller starts; history_pg_open(uri)
 * waits for it and takes the session or its error. */
void history_pg_preconnect(const char *uri);
/* Ends a background open nobody took (a start that stops early). */
void history_pg_preconnect_end(void);
int history_pg_open(const char *uri, struct history_pg **out,
		    struct wx_err *err);
void history_pg_close(struct history_pg *p);
/* Turns the desk's abandoned pending rows into unknown (INTERRUPTED). */
int history_pg_recover(struct history_pg *p, struct wx_err *err);
/* "postgresql://role@host:port/db": for messages, never with a password. */
const char *history_pg_path(const struct history_pg *p);
void history_pg_set_busy_timeout(struct history_pg *p, int ms);
void history_pg_set_nowait(struct history_pg *p, int on);
/* history_on_wait. */
void history_pg_on_wait(struct history_pg *p, history_wait_fn *fn, void *ctx);
/* Applies docs/postgres.sql up to the newest version when the role may;
 * *from and *to say which versions. */
int history_pg_init(const char *uri, int *from, int *to, struct wx_err *err);

/* Colleagues' changes, from LISTEN wxrev_history: a count that grows
 * whenever another session changed a row; never waits. */
int64_t history_pg_data_version(struct history_pg *p);
/* The database role (session_user): the operator. */
const char *history_pg_role(const struct history_pg *p);

int history_pg_begin(struct history_pg *p, struct history_reversal *r,
		     struct wx_err *err);

/* A claim that was sent and got no answer (the server froze, crashed or
 * the network broke): the server may still have taken it, leaving a
 * pending row of ours that nothing will ever be sent for. What finds that
 * row again, from this start or the next (the journal keeps it). */
struct history_pg_unanswered {
	int64_t pid;	 /* this process, as the row records it */
	int64_t sent_ms; /* wall clock when the claim was sent */
	int backend[2];	 /* the server processes that may still run it */
	int nbackend;
};
/* After history_pg_begin failed: 1 with *u filled when its claim may have
 * been taken without our hearing of it, else 0. */
int history_pg_unanswered(const struct history_pg *p,
			  struct history_pg_unanswered *u);
/* Closes such a row as failed (NOT_SENT: nothing was sent), once no
 * session holds it: 0 when done (closed, or it never existed),
 * HISTORY_DEFERRED while the server is away or a server process that may
 * still take the claim is alive, -1 on any other error. */
int history_pg_withdraw(struct history_pg *p, const char *sp_mchid,
			const char *sub_mchid, const char *out_trade_no,
			const struct history_pg_unanswered *u,
			struct wx_err *err);
/* After history_pg_begin returned HISTORY_CLAIMED: 1 when the holder is
 * this role on this machine (another window, or a claim of ours that got
 * no answer), else 0. */
int history_pg_claim_ours(const struct history_pg *p);
/* 1 while the session is up (a call would not wait for a connect). */
int history_pg_up(const struct history_pg *p);
int history_pg_claim_holder(struct history_pg *p, const char *sp_mchid,
			    const char *sub_mchid, const char *out_trade_no,
			    struct history_reversal *holder,
			    struct wx_err *err);
int history_pg_attempt_start(struct history_pg *p,
			     const struct history_attempt *a,
			     struct wx_err *err);
int history_pg_add_attempt(struct history_pg *p,
			   const struct history_attempt *a, struct wx_err *err);
int history_pg_query_add(struct history_pg *p, struct history_query *q,
			 struct wx_err *err);
int history_pg_query_list(struct history_pg *p, const char *sub,
			  const char *order, bool exact, int64_t before_id,
			  int limit,
			  struct history_query **out, size_t *n,
			  struct wx_err *err);
int history_pg_add_query(struct history_pg *p, const struct history_attempt *a,
			 struct wx_err *err);
int history_pg_settle(struct history_pg *p, int64_t id, enum wx_outcome outcome,
		      const char *code, const char *message,
		      const char *settled_by, const char *before,
		      const char *after, struct wx_err *err);
int history_pg_finish(struct history_pg *p, int64_t id, enum wx_outcome outcome,
		      int http_status, const char *code, const char *message,
		      int64_t latency_ms, struct wx_err *err);
/* Copies one finished reversal of a history file and its attempts, in one
 * transaction; *added is 0 when an earlier import brought it already. */
int history_pg_import(struct history_pg *p, const struct history_reversal *r,
		      const struct history_attempt *a, size_t na, int *added,
		      struct wx_err *err);
/* Copies one kept order query of a history file; *added is 0 when an
 * earlier import brought it already. */
int history_pg_import_query(struct history_pg *p,
			    const struct history_query *q, int *added,
			    struct wx_err *err);
/* Newest first, ids below before_id (0: any) and from floor_id (0: any). */
int history_pg_list_window(struct history_pg *p, const struct history_filter *f,
			   int64_t before_id, int64_t floor_id, int limit,
			   struct history_reversal **rows, size_t *n,
			   struct wx_err *err);
/* 1 when no index serves the filter (history_list_step's windows). */
int history_pg_scans_rows(const struct history_filter *f);
/* history_list_step on the desk: a text of three characters or more is
 * read newest first over a bounded run of ids; the trigram index finishes
 * the page only when a sample of the table says it would recheck few
 * rows, otherwise *resume_id says where the next step reads on. */
int history_pg_list_step(struct history_pg *p, const struct history_filter *f,
			 int64_t before_id, int limit, int64_t budget,
			 struct history_reversal **rows, size_t *n,
			 int64_t *resume_id, struct wx_err *err);
int history_pg_get(struct history_pg *p, int64_t id, struct history_reversal *r,
		   struct history_attempt **atts, size_t *natts,
		   struct wx_err *err);
int history_pg_latest_for_order(struct history_pg *p, const char *sub_mchid,
				const char *out_trade_no,
				struct history_reversal *latest, int64_t *count,
				struct wx_err *err);
int history_pg_count(struct history_pg *p, int64_t *n, struct wx_err *err);

#endif
