/* history_pg: the desk history on PostgreSQL. Every write is one call of
 * a function of docs/postgres.sql in its own (autocommit) transaction, so a
 * pending row is committed before history_pg_begin returns and each attempt
 * and outcome as it happens. A lost connection is re-made before the next
 * statement, and this process's own pending rows take their liveness locks
 * back. */
#include "history_pg.h"
#include "dynlib.h"
#include "utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "postgres_sql.h"

/* The schema version this wxrev reads and writes. */
#define PG_SCHEMA_VERSION 4
#define PG_MARKER	  "\n-- wxrev schema version "
/* SQLSTATEs wxrev turns into advice. */
#define PG_READ_ONLY	      "25006"
#define PG_NO_RIGHTS	      "42501"
#define PG_UNDEFINED_TABLE    "42P01"
#define PG_UNDEFINED_SCHEMA   "3F000"
#define PG_UNDEFINED_FUNCTION "42883"
/* libpq's connect_timeout for a blocking connect, and the most a
 * non-blocking one is given before it is started again. */
#define PG_CONNECT_TIMEOUT_S 10
#define PG_STR_(x)	     #x
#define PG_STR(x)	     PG_STR_(x)
/* A non-blocking reconnect starts at most this often. */
#define PG_RECONNECT_PAUSE_MS 1000
/* The longest a statement waits for the server's answer before the
 * connection is dropped as hung (a frozen host, a silent partition); a
 * test may shorten it with WXREV_DESK_ANSWER_MS. */
#define PG_ANSWER_MS	 5000
#define PG_ANSWER_MS_MAX 600000
/* TCP defaults for a server that vanishes without a word (no RST): the
 * kernel gives up on unacknowledged data or silent keepalives in about
 * 20 s instead of minutes. A URI that sets any of them wins. */
#define PG_KEEPALIVES_IDLE_S	 "10"
#define PG_KEEPALIVES_INTERVAL_S "5"
#define PG_KEEPALIVES_COUNT	 "2"
#define PG_TCP_USER_TIMEOUT_MS	 "20000"
/* Connection lost, server shutting down or starting: may pass. */
#define PG_CLASS_CONNECTION "08"
#define PG_ADMIN_SHUTDOWN   "57P01"
#define PG_CRASH_SHUTDOWN   "57P02"
#define PG_CANNOT_CONNECT   "57P03"

struct sample;
static void sample_free(struct sample *s);

struct history_pg {
	PGconn *conn;	/* the session; its advisory locks are our claims */
	char *uri;	/* as given, for PQreset's sake kept by libpq */
	char *shown;	/* sanitised URI for messages */
	char *op;	/* session_user */
	char desk[256]; /* this host's name */
	int readonly;	/* a hot standby or read-only role */
	int64_t *mine;	/* ids of our own pending rows */
	size_t nmine, capmine;
	int64_t changes; /* colleagues' notifications seen (data version) */
	int transient;	 /* the last failure may pass (server gone) */
	int hung;     /* the server stopped answering; cleared on reconnect */
	int nowait;   /* re-make a lost connection without blocking */
	PGconn *next; /* the connection being made (nowait), or NULL */
	PostgresPollingStatusType next_st; /* what next waits for */
	int64_t next_started_ms;	   /* when next was started */
	int64_t next_allowed_ms; /* no new connect started before this */
	struct sample *sample;	 /* rows for guessing a filter's cost, or NULL */
	int tracking;		 /* ask() notes each server process asked */
	int claim_lost;		 /* the last claim may be taken unheard */
	int claim_ours;		 /* the last refusal's holder: us, here */
	history_wait_fn *on_wait; /* told of a long wait, or NULL */
	void *wait_ctx;
	int waited; /* on_wait was told of this statement */
	struct history_pg_unanswered unanswered; /* that claim */
};

#define REV_COLS                                                               \
	"r.id, r.created_ms, r.updated_ms, r.operator, r.note, "               \
	"r.partner_name, r.sp_mchid, r.sub_name, r.sub_mchid, "                \
	"r.out_trade_no, r.endpoint, r.outcome, r.http_status, r.code, "       \
	"r.message, r.attempts, r.latency_ms, r.pid, r.settled_by, "           \
	"r.trade_state_before, r.trade_state_after, r.desk"

int history_pg_is_uri(const char *s)
{
	return s && (strncmp(s, "postgresql://", 13) == 0 ||
		     strncmp(s, "postgres://", 11) == 0);
}

/* ---- the URI ---- */

static const char *opt_val(const PQconninfoOption *o, const char *key)
{
	for (; o && o->keyword; o++)
		if (strcmp(o->keyword, key) == 0)
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

int history_pg_check_uri(const char *uri, struct wx_err *err)
{
	char *perr = NULL;
	PQconninfoOption *o;
	int rc = 0;

	if (dynlib_pq(err) != 0)
		return -1;
	o = PQconninfoParse(uri, &perr);
	if (!o) {
		/* libpq's message quotes no part of the URI. */
		rc =
		    wx_err_set(err,
			       _("the desk history URI is not valid (%s): "
				 "write it as postgresql://ROLE@HOST/DATABASE"),
			       perr ? perr : "out of memory");
		PQfreemem(perr);
		return rc;
	}
	if (opt_val(o, "password"))
		rc = wx_err_set(
		    err, _("the desk history URI carries a password, which "
			   "would show in ps and in shell history: remove it "
			   "from the URI and put it in ~/.pgpass (or the file "
			   "PGPASSFILE names, or a service file)"));
	PQconninfoFree(o);
	return rc;
}

static char *shown_uri(const char *uri)
{
	PQconninfoOption *o = PQconninfoParse(uri, NULL);
	const char *user, *host, *port, *db, *svc;
	char *s;

	if (!o)
		return wx_xstrdup("postgresql://?");
	user = opt_val(o, "user");
	host = opt_val(o, "host");
	port = opt_val(o, "port");
	db = opt_val(o, "dbname");
	svc = opt_val(o, "service");
	if (svc && !host && !db)
		s = wx_xasprintf("postgresql://?service=%s", svc);
	else
		s = wx_xasprintf(
		    "postgresql://%s%s%s%s%s/%s", user ? user : "",
		    user ? "@" : "", host && host[0] != '/' ? host : "",
		    port ? ":" : "", port ? port : "", db ? db : "");
	PQconninfoFree(o);
	return s;
}

/* ---- errors ---- */

/* How long a statement waits for its answer: PG_ANSWER_MS, or what
 * WXREV_DESK_ANSWER_MS says. */
static int answer_ms(void)
{
	const char *v = getenv("WXREV_DESK_ANSWER_MS");
	char *end = NULL;
	long ms;

	if (!v || !*v)
		return PG_ANSWER_MS;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (errno || *end || ms < 1 || ms > PG_ANSWER_MS_MAX)
		return PG_ANSWER_MS;
	return (int)ms;
}

/* libpq's message, first line only, trailing white space dropped. */
static char *server_says(const PGconn *c, const PGresult *res)
{
	const char *m =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t n;

	if (!m)
		m = PQerrorMessage(c);
	if (strncmp(m, "ERROR:  ", 8) == 0)
		m += 8;
	n = strcspn(m, "\n");
	while (n > 0 && (m[n - 1] == ' ' || m[n - 1] == '\r'))
		n--;
	return wx_xstrndup(m, n);
}

static int fail_res(struct history_pg *p, PGresult *res, struct wx_err *err)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char *says = server_says(p->conn, res);
	int rc;

	p->transient = p->hung || PQstatus(p->conn) != CONNECTION_OK ||
		       (state && (strncmp(state, PG_CLASS_CONNECTION, 2) == 0 ||
				  strcmp(state, PG_ADMIN_SHUTDOWN) == 0 ||
				  strcmp(state, PG_CRASH_SHUTDOWN) == 0 ||
				  strcmp(state, PG_CANNOT_CONNECT) == 0));
	if (p->hung)
		rc = wx_err_set(err,
				_("desk history %s is not answering (no reply "
				  "within %d s: a frozen server or a broken "
				  "network): check the server and the network "
				  "to it, then try again; nothing was sent"),
				p->shown, (answer_ms() + 999) / 1000);
	else if (PQstatus(p->conn) != CONNECTION_OK)
		rc = wx_err_set(err,
				_("desk history %s is unreachable (%s): start "
				  "the server or check the network; nothing "
				  "was sent"),
				p->shown, says);
	else if (state && strcmp(state, PG_READ_ONLY) == 0)
		rc = wx_err_set(err,
				_("desk history %s is read-only (a standby "
				  "server?): point --history at the primary"),
				p->shown);
	else if (state && strcmp(state, PG_NO_RIGHTS) == 0)
		rc = wx_err_set(err,
				_("role %s may not write desk history %s (%s): "
				  "ask its owner to GRANT wxrev_operator TO "
				  "%s"),
				p->op ? p->op : "?", p->shown, says,
				p->op ? p->op : "?");
	else if (state && (strcmp(state, PG_UNDEFINED_TABLE) == 0 ||
			   strcmp(state, PG_UNDEFINED_SCHEMA) == 0 ||
			   strcmp(state, PG_UNDEFINED_FUNCTION) == 0))
		rc = wx_err_set(err,
				_("desk history %s has no wxrev schema (%s): "
				  "run wxrev history init --history URI as "
				  "the database's owner"),
				p->shown, says);
	else
		rc = wx_err_set(err, _("desk history %s: %s"), p->shown, says);
	free(says);
	PQclear(res);
	return rc;
}

/* ---- statements ---- */

/* Waits until the socket is ready for `events` or the deadline passes:
 * 0 ready, -1 not in time. A statement asked at `asked` that has waited
 * HISTORY_WAIT_SAY_MS is told to on_wait, every HISTORY_WAIT_EVERY_MS. */
static int wait_socket(struct history_pg *p, short events, int64_t asked,
		       int64_t deadline)
{
	struct pollfd pfd = {.fd = PQsocket(p->conn), .events = events};

	for (;;) {
		int64_t now = wx_monotonic_ms();
		int64_t left = deadline - now;
		int n;

		if (pfd.fd < 0 || left <= 0)
			return -1;
		if (p->on_wait && now - asked >= HISTORY_WAIT_SAY_MS) {
			p->on_wait(p->wait_ctx, now - asked, deadline - asked);
			p->waited = 1;
		}
		if (p->on_wait && left > HISTORY_WAIT_EVERY_MS)
			left = HISTORY_WAIT_EVERY_MS;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* The wait on_wait was told of is over. */
static void wait_over(struct history_pg *p)
{
	if (!p->waited)
		return;
	p->waited = 0;
	if (p->on_wait)
		p->on_wait(p->wait_ctx, -1, 0);
}

/* A server that stopped answering: the connection is dropped (its claims
 * are the server's to let go of once it wakes) and made again later. */
static void drop_hung(struct history_pg *p)
{
	PQfinish(p->conn);
	p->conn = NULL;
	p->hung = 1;
}

/* PQexecParams with a deadline: sent without blocking, the answer awaited
 * with poll. The last result (NULL when nothing came back); on a
 * connection dropped as hung, NULL with p->hung set. */
static PGresult *ask(struct history_pg *p, const char *sql, int n,
		     const char *const *vals)
{
	int64_t asked = wx_monotonic_ms();
	int64_t deadline = asked + answer_ms();
	PGresult *res, *last = NULL;
	int flushed;

	if (!PQsendQueryParams(p->conn, sql, n, NULL, vals, NULL, NULL, 0))
		return NULL;
	if (p->tracking && p->unanswered.nbackend < 2)
		p->unanswered.backend[p->unanswered.nbackend++] =
		    PQbackendPID(p->conn);
	while ((flushed = PQflush(p->conn)) == 1)
		if (wait_socket(p, POLLIN | POLLOUT, asked, deadline) != 0 ||
		    !PQconsumeInput(p->conn))
			break;
	if (flushed != 0 && PQstatus(p->conn) == CONNECTION_OK)
		goto hung;
	for (;;) {
		while (PQisBusy(p->conn)) {
			if (wait_socket(p, POLLIN, asked, deadline) != 0)
				goto hung;
			if (!PQconsumeInput(p->conn))
				break;
		}
		res = PQgetResult(p->conn);
		if (!res) {
			wait_over(p);
			return last;
		}
		PQclear(last);
		last = res;
	}
hung:
	PQclear(last);
	drop_hung(p);
	wait_over(p);
	return NULL;
}

static int take_locks_back(struct history_pg *p);

static PGconn *connect_uri(const char *uri, int nowait);

/* Advances the non-blocking connect p->next as far as it goes without
 * waiting (PQconnectPoll, each step only once its socket is ready): 1 when
 * it is made, 0 while it is under way, -1 when it failed or took longer
 * than a blocking connect may. */
static int next_step(struct history_pg *p)
{
	for (int steps = 0; steps < 16; steps++) {
		struct pollfd pfd = {.fd = PQsocket(p->next)};

		if (p->next_st == PGRES_POLLING_OK)
			return 1;
		if (p->next_st == PGRES_POLLING_FAILED || pfd.fd < 0)
			return -1;
		pfd.events =
		    p->next_st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		if (poll(&pfd, 1, 0) <= 0)
			break;
		p->next_st = PQconnectPoll(p->next);
	}
	if (wx_monotonic_ms() - p->next_started_ms >
	    PG_CONNECT_TIMEOUT_S * 1000)
		return -1;
	return 0;
}

/* Starts making p->next without waiting. */
static void start_next(struct history_pg *p, int64_t now)
{
	p->next = connect_uri(p->uri, 1);
	p->next_st = PGRES_POLLING_WRITING; /* as libpq says to */
	p->next_started_ms = now;
	if (PQstatus(p->next) == CONNECTION_BAD)
		p->next_st = PGRES_POLLING_FAILED;
}

/* One step of re-making the connection without blocking: starts a
 * connect (at most once per PG_RECONNECT_PAUSE_MS) or advances the one
 * under way; 0 once it replaced the lost one. */
static int reconnect_nowait(struct history_pg *p)
{
	int64_t now = wx_monotonic_ms();
	int made;

	if (!p->next) {
		if (now < p->next_allowed_ms)
			return -1;
		p->next_allowed_ms = now + PG_RECONNECT_PAUSE_MS;
		start_next(p, now);
	}
	made = next_step(p);
	if (made == 0)
		return -1;
	if (made < 0) {
		PQfinish(p->next);
		p->next = NULL;
		return -1;
	}
	PQfinish(p->conn);
	p->conn = p->next;
	p->next = NULL;
	return 0;
}

/* Makes sure the session is up; after a reconnect our pending rows take
 * their liveness locks back before anything else runs. */
static int ensure_conn(struct history_pg *p)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	if (p->nowait) {
		if (reconnect_nowait(p) != 0)
			return -1;
	} else if (p->conn) {
		PQreset(p->conn);
	} else {
		p->conn = connect_uri(p->uri, 0);
	}
	if (PQstatus(p->conn) != CONNECTION_OK)
		return -1;
	PQsetnonblocking(p->conn, 1);
	p->hung = 0;
	return take_locks_back(p);
}

/* Re-makes a lost connection once, without waiting: a result that cannot
 * be written now is kept by history.c and retried (history_flush). */
static int reconnect(struct history_pg *p)
{
	return ensure_conn(p);
}

/* Runs one statement with text parameters; NULL on failure (res kept in
 * *bad for the message). A connection found dead (a server restart, a
 * network blip) is re-made and the statement tried once more. */
static PGresult *exec(struct history_pg *p, const char *sql, int n,
		      const char *const *vals, PGresult **bad)
{
	PGresult *res = NULL;

	*bad = NULL;
	p->transient = 0;
	for (int tries = 0; tries < 2; tries++) {
		PQclear(res);
		res = NULL;
		if ((tries > 0 || PQstatus(p->conn) != CONNECTION_OK) &&
		    reconnect(p) != 0)
			break;
		res = ask(p, sql, n, vals);
		if (PQresultStatus(res) == PGRES_TUPLES_OK ||
		    PQresultStatus(res) == PGRES_COMMAND_OK)
			return res;
		/* A hung server is not asked twice: its first copy may
		 * still run once it wakes. */
		if (p->hung || PQstatus(p->conn) == CONNECTION_OK)
			break;
	}
	*bad = res;
	return NULL;
}

static int run(struct history_pg *p, const char *sql, int n,
	       const char *const *vals, PGresult **out, struct wx_err *err)
{
	PGresult *bad;
	PGresult *res = exec(p, sql, n, vals, &bad);

	if (!res)
		return fail_res(p, bad, err);
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

/* int64 as decimal text for a parameter. */
struct num {
	char s[24];
};
static const char *num(struct num *b, int64_t v)
{
	snprintf(b->s, sizeof(b->s), "%" PRId64, v);
	return b->s;
}

static int64_t col_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col)
		   ? 0
		   : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static char *col_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL
					: wx_xstrdup(PQgetvalue(r, row, col));
}

/* ---- our own pending rows ---- */

/* The server's side of each session (set at its start and after every
 * reconnect): a desk whose machine vanishes lets go of its claims in about
 * a minute, not after the kernel's two-hour keepalive default, and an
 * answer the server cannot deliver (a network that drops it) ends the
 * session in 20 s, not after some fifteen minutes of resends. */
#define SERVER_TIMEOUTS                                                        \
	"set_config('tcp_keepalives_idle', '20', false),"                      \
	" set_config('tcp_keepalives_interval', '5', false),"                  \
	" set_config('tcp_keepalives_count', '4', false),"                     \
	" set_config('tcp_user_timeout', '20000', false)"

static void mine_add(struct history_pg *p, int64_t id)
{
	if (p->nmine == p->capmine) {
		p->capmine = p->capmine ? 2 * p->capmine : 8;
		p->mine = wx_xrealloc(p->mine, p->capmine * sizeof(*p->mine));
	}
	p->mine[p->nmine++] = id;
}

static void mine_drop(struct history_pg *p, int64_t id)
{
	for (size_t i = 0; i < p->nmine; i++)
		if (p->mine[i] == id) {
			p->mine[i] = p->mine[--p->nmine];
			return;
		}
}

static int take_locks_back(struct history_pg *p)
{
	PQclear(ask(p, "SELECT " SERVER_TIMEOUTS, 0, NULL));
	PQclear(ask(p, "LISTEN wxrev_history", 0, NULL));
	for (size_t i = 0; i < p->nmine && p->conn; i++) {
		struct num b = {{0}};
		const char *v[1] = {num(&b, p->mine[i])};
		PGresult *res = ask(p, "SELECT wxrev.relock($1)", 1, v);
		int ok = PQresultStatus(res) == PGRES_TUPLES_OK;

		PQclear(res);
		if (!ok)
			return -1;
	}
	return 0;
}

/* ---- open / close ---- */

static int check_version(struct history_pg *p, struct wx_err *err)
{
	PGresult *res = NULL;
	int64_t v;

	if (run(p, "SELECT version FROM wxrev.meta", 0, NULL, &res, err) != 0)
		return -1;
	v = PQntuples(res) ? col_i64(res, 0, 0) : 0;
	PQclear(res);
	if (v > PG_SCHEMA_VERSION)
		return wx_err_set(err,
				  _("desk history %s has schema version %lld, "
				    "newer than this wxrev knows (%d): "
				    "upgrade wxrev"),
				  p->shown, (long long)v, PG_SCHEMA_VERSION);
	if (v < PG_SCHEMA_VERSION)
		return wx_err_set(err,
				  _("desk history %s has schema version %lld; "
				    "this wxrev needs %d: run wxrev history "
				    "init --history URI as the database's "
				    "owner"),
				  p->shown, (long long)v, PG_SCHEMA_VERSION);
	return 0;
}

static int session_setup(struct history_pg *p, struct wx_err *err)
{
	PGresult *res = NULL;

	if (run(p,
		"SELECT session_user, pg_is_in_recovery(),"
		" current_setting('transaction_read_only') = 'on',"
		" " SERVER_TIMEOUTS,
		0, NULL, &res, err) != 0)
		return -1;
	p->op = col_text(res, 0, 0);
	p->readonly = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ||
		      strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	return 0;
}

/* Server notices (NOTICE, WARNING) are not for the operator's screen. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A connection to uri, made at once, or (nowait) started: see
 * PQconnectStartParams. */
static PGconn *connect_uri(const char *uri, int nowait)
{
	/* Ours first: the URI's own settings override them. The TCP ones
	 * mean nothing on a Unix socket. */
	const char *keys[] = {"connect_timeout",
			      "application_name",
			      "keepalives",
			      "keepalives_idle",
			      "keepalives_interval",
			      "keepalives_count",
			      "tcp_user_timeout",
			      "dbname",
			      NULL};
	const char *vals[] = {PG_STR(PG_CONNECT_TIMEOUT_S),
			      "wxrev",
			      "1",
			      PG_KEEPALIVES_IDLE_S,
			      PG_KEEPALIVES_INTERVAL_S,
			      PG_KEEPALIVES_COUNT,
			      PG_TCP_USER_TIMEOUT_MS,
			      uri,
			      NULL};
	PGconn *c = nowait ? PQconnectStartParams(keys, vals, 1)
			   : PQconnectdbParams(keys, vals, 1);

	if (c)
		PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

/* A connection to `shown` not made for want of the right password: 1 with
 * err saying where the password belongs (a password asked for and not
 * found, or refused); 0 for anything else (the server, the network, a
 * database that is not there). */
static int password_problem(PGconn *c, const char *shown, struct wx_err *err)
{
	char *says;

	if (PQconnectionNeedsPassword(c)) {
		wx_err_set(err,
			   _("desk history %s asks for role %s's password "
			     "and none was found: put it in ~/.pgpass (or the "
			     "file PGPASSFILE names), mode 0600, never in the "
			     "URI"),
			   shown, PQuser(c));
		return 1;
	}
	if (!PQconnectionUsedPassword(c))
		return 0;
	says = server_says(c, NULL);
	/* A password was sent and something failed after it: only the
	 * server's own words tell a refused password from, say, a missing
	 * database (libpq gives no SQLSTATE here); unsure, the caller's
	 * general message stands. */
	if (!strstr(says, "password")) {
		free(says);
		return 0;
	}
	wx_err_set(err,
		   _("desk history %s refused role %s's password (%s): "
		     "correct it in ~/.pgpass (or the file PGPASSFILE "
		     "names)"),
		   shown, PQuser(c), says);
	free(says);
	return 1;
}

static struct history_pg *pg_new(const char *uri)
{
	struct history_pg *p = wx_xcalloc(1, sizeof(*p));

	p->uri = wx_xstrdup(uri);
	p->shown = shown_uri(uri);
	p->changes = 1; /* a data version is never 0 */
	if (gethostname(p->desk, sizeof(p->desk) - 1) != 0)
		snprintf(p->desk, sizeof(p->desk), "?");
	return p;
}

/* Takes p, whose connection p->conn was just made (or not): checks the
 * schema and listens; *out = p, or p closed and err says why. */
static int open_conn(struct history_pg *p, struct history_pg **out,
		     struct wx_err *err)
{
	*out = NULL;
	if (PQstatus(p->conn) != CONNECTION_OK) {
		char *says = server_says(p->conn, NULL);

		if (!password_problem(p->conn, p->shown, err))
			wx_err_set(err,
				   _("desk history %s is unreachable (%s): "
				     "start the server or check the URI; "
				     "nothing was sent"),
				   p->shown, says);
		free(says);
		goto fail;
	}
	PQsetnonblocking(p->conn, 1);
	if (session_setup(p, err) != 0 || check_version(p, err) != 0)
		goto fail;
	if (run(p, "LISTEN wxrev_history", 0, NULL, NULL, err) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	history_pg_close(p);
	return -1;
}

/* A desk history opened in the background (history_pg_preconnect) until
 * history_pg_open takes it. */
struct early_open {
	pthread_t thread;
	char *uri;
	atomic_int stop;      /* set: give up the connect under way */
	struct history_pg *p; /* what the thread opened, or NULL */
	struct wx_err err;    /* why it did not */
	int rc;
};

static struct early_open *early;

static void *early_run(void *arg)
{
	struct early_open *e = arg;
	struct history_pg *p;
	int made;

	/* Loading libpq, too, is the thread's work (dynlib.h). */
	e->rc = history_pg_check_uri(e->uri, &e->err);
	if (e->rc != 0)
		return NULL;
	p = pg_new(e->uri);

	/* Connected without blocking, so that a caller that ends before
	 * taking the session (history_pg_preconnect_end) is not held up. */
	start_next(p, wx_monotonic_ms());
	while ((made = next_step(p)) == 0 && !atomic_load(&e->stop)) {
		struct pollfd pfd = {.fd = PQsocket(p->next)};

		pfd.events =
		    p->next_st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		poll(&pfd, 1, 50);
	}
	p->conn = p->next;
	p->next = NULL;
	if (made == 0 || (made < 0 && PQstatus(p->conn) != CONNECTION_BAD)) {
		/* Given up (stop), or no answer in a blocking connect's time. */
		e->rc = wx_err_set(&e->err,
				   _("desk history %s is unreachable (%s): "
				     "start the server or check the URI; "
				     "nothing was sent"),
				   p->shown,
				   "no answer within " PG_STR(
				       PG_CONNECT_TIMEOUT_S) " s");
		history_pg_close(p);
		return NULL;
	}
	e->rc = open_conn(p, &e->p, &e->err);
	/* A new session's first statement on the table reads the catalog
	 * (several ms on the server): done now, the first page's is not. */
	if (e->rc == 0)
		PQclear(ask(e->p,
			    "SELECT " REV_COLS " FROM wxrev.reversals r"
			    " ORDER BY r.id DESC LIMIT 1",
			    0, NULL));
	return NULL;
}

void history_pg_preconnect(const char *uri)
{
	struct early_open *e;

	if (early)
		return;
	e = wx_xcalloc(1, sizeof(*e));
	e->uri = wx_xstrdup(uri);
	atomic_init(&e->stop, 0);
	if (wx_thread_start(&e->thread, early_run, e) == 0)
		early = e;
	if (!early) {
		free(e->uri);
		free(e);
	}
}

/* The background open, waited for: 1 when it was for uri (its result in
 * *out or err, its status in *rc), 0 when none was started for uri. */
static int early_take(const char *uri, struct history_pg **out, int *rc,
		      struct wx_err *err)
{
	struct early_open *e = early;
	int mine;

	early = NULL;
	if (!e)
		return 0;
	mine = uri && strcmp(e->uri, uri) == 0;
	if (!mine)
		atomic_store(&e->stop, 1);
	pthread_join(e->thread, NULL);
	if (mine) {
		*out = e->p;
		*rc = e->rc;
		if (e->rc != 0)
			*err = e->err;
	} else {
		history_pg_close(e->p);
	}
	free(e->uri);
	free(e);
	return mine;
}

void history_pg_preconnect_end(void)
{
	early_take(NULL, NULL, NULL, NULL);
}

int history_pg_open(const char *uri, struct history_pg **out,
		    struct wx_err *err)
{
	struct history_pg *p;
	int rc = -1;

	*out = NULL;
	if (history_pg_check_uri(uri, err) != 0)
		return -1;
	if (early_take(uri, out, &rc, err))
		return rc;
	p = pg_new(uri);
	p->conn = connect_uri(uri, 0);
	return open_conn(p, out, err);
}

int history_pg_recover(struct history_pg *p, struct wx_err *err)
{
	/* The function only when a pending row exists: its first call in a
	 * session costs more than the whole rest of a start. */
	if (p->readonly)
		return 0;
	return run(p,
		   "SELECT wxrev.recover() WHERE EXISTS (SELECT FROM"
		   " wxrev.reversals WHERE outcome = 'pending')",
		   0, NULL, NULL, err);
}

void history_pg_close(struct history_pg *p)
{
	if (!p)
		return;
	PQfinish(p->next);
	PQfinish(p->conn);
	free(p->uri);
	free(p->shown);
	free(p->op);
	free(p->mine);
	sample_free(p->sample);
	free(p);
}

const char *history_pg_path(const struct history_pg *p)
{
	return p->shown;
}

void history_pg_set_nowait(struct history_pg *p, int on)
{
	p->nowait = on;
}

void history_pg_on_wait(struct history_pg *p, history_wait_fn *fn, void *ctx)
{
	p->on_wait = fn;
	p->wait_ctx = ctx;
}

void history_pg_set_busy_timeout(struct history_pg *p, int ms)
{
	char v[24];
	const char *vals[1] = {v};
	PGresult *res = NULL;

	snprintf(v, sizeof(v), "%d", ms);
	res = ask(p, "SELECT set_config('lock_timeout', $1, false)", 1, vals);
	PQclear(res);
}

int64_t history_pg_data_version(struct history_pg *p)
{
	PGnotify *n;

	if (PQstatus(p->conn) != CONNECTION_OK || !PQconsumeInput(p->conn))
		return p->changes;
	for (n = PQnotifies(p->conn); n; n = PQnotifies(p->conn)) {
		if (n->be_pid != PQbackendPID(p->conn))
			p->changes++;
		PQfreemem(n);
	}
	return p->changes;
}

const char *history_pg_role(const struct history_pg *p)
{
	return p->op ? p->op : "";
}

/* ---- init ---- */

/* Section `v` of the built-in schema (0: the preamble), or NULL. */
static char *schema_section(int v)
{
	const char *s = wxrev_postgres_sql, *end;
	char mark[64];

	if (v > 0) {
		snprintf(mark, sizeof(mark), PG_MARKER "%d\n", v);
		s = strstr(s, mark);
		if (!s)
			return NULL;
		s += 1;
	}
	end = strstr(s + 1, PG_MARKER);
	return end ? wx_xstrndup(s, (size_t)(end - s) + 1) : wx_xstrdup(s);
}

static int apply_section(struct history_pg *p, int v, struct wx_err *err)
{
	char *body = schema_section(v);
	char *sql = wx_xasprintf("BEGIN;\n"
				 "SELECT pg_advisory_xact_lock(2004382328);\n"
				 "%s\nCOMMIT;",
				 body);
	PGresult *res = PQexec(p->conn, sql);
	int rc = 0;

	free(body);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		char *says = server_says(p->conn, res);

		rc = wx_err_set(err,
				_("cannot create the wxrev schema in %s (%s): "
				  "run wxrev history init as the database's "
				  "owner, or a role that may CREATE there and "
				  "CREATEROLE"),
				p->shown, says);
		free(says);
	}
	PQclear(res);
	PQclear(PQexec(p->conn, "ROLLBACK"));
	return rc;
}

int history_pg_init(const char *uri, int *from, int *to, struct wx_err *err)
{
	struct history_pg p = {0};
	PGresult *res = NULL;
	int rc = -1;

	*from = *to = 0;
	if (history_pg_check_uri(uri, err) != 0)
		return -1;
	p.shown = shown_uri(uri);
	p.conn = connect_uri(uri, 0);
	if (PQstatus(p.conn) != CONNECTION_OK) {
		char *says = server_says(p.conn, NULL);

		if (!password_problem(p.conn, p.shown, err))
			wx_err_set(err,
				   _("desk history %s is unreachable (%s): "
				     "start the server or check the URI"),
				   p.shown, says);
		free(says);
		goto out;
	}
	if (apply_section(&p, 0, err) != 0 ||
	    run(&p, "SELECT coalesce((SELECT version FROM wxrev.meta), 0)", 0,
		NULL, &res, err) != 0)
		goto out;
	*from = (int)col_i64(res, 0, 0);
	*to = *from;
	PQclear(res);
	if (*from > PG_SCHEMA_VERSION) {
		wx_err_set(err,
			   _("desk history %s has schema version %d, newer "
			     "than this wxrev knows (%d): upgrade wxrev"),
			   p.shown, *from, PG_SCHEMA_VERSION);
		goto out;
	}
	for (int v = *from + 1; v <= PG_SCHEMA_VERSION; v++) {
		if (apply_section(&p, v, err) != 0)
			goto out;
		*to = v;
	}
	rc = 0;
out:
	PQfinish(p.conn);
	free(p.shown);
	return rc;
}

/* ---- writes ---- */

static void fmt_clock(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(buf, n, "%H:%M:%S", &tm);
	else
		snprintf(buf, n, "?");
}

/* The colleague warning: who holds the order, since when, from where. */
static int claimed(const char *who, int64_t since_ms, const char *desk,
		   struct wx_err *err)
{
	char since[32];

	fmt_clock(since_ms, since, sizeof(since));
	return wx_err_set(err,
			  _("%s is reversing this order now (since %s, from "
			    "%s): nothing was sent"),
			  who && *who ? who : "?", since,
			  desk && *desk ? desk : "?");
}

int history_pg_begin(struct history_pg *p, struct history_reversal *r,
		     struct wx_err *err)
{
	struct num pid = {{0}};
	const char *v[9] = {r->note,
			    r->partner_name,
			    r->sp_mchid ? r->sp_mchid : "",
			    r->sub_name,
			    r->sub_mchid ? r->sub_mchid : "",
			    r->out_trade_no ? r->out_trade_no : "",
			    r->endpoint,
			    p->desk,
			    num(&pid, (int64_t)getpid())};
	PGresult *res = NULL;
	int rc;

	p->unanswered = (struct history_pg_unanswered){.pid = (int64_t)getpid(),
						       .sent_ms = wx_now_ms()};
	p->tracking = 1;
	p->claim_ours = 0;
	rc = run(p,
		 "SELECT id, created_ms, holder, holder_desk, holder_since_ms"
		 " FROM wxrev.claim($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		 9, v, &res, err);
	p->tracking = 0;
	/* Sent, and the connection failed before its answer: the server
	 * may have taken it all the same. */
	p->claim_lost = rc != 0 && p->transient && p->unanswered.nbackend > 0;
	if (rc != 0)
		return -1;
	if (PQgetisnull(res, 0, 0)) {
		p->claim_ours = p->op &&
				strcmp(PQgetvalue(res, 0, 2), p->op) == 0 &&
				strcmp(PQgetvalue(res, 0, 3), p->desk) == 0;
		claimed(PQgetvalue(res, 0, 2), col_i64(res, 0, 4),
			PQgetvalue(res, 0, 3), err);
		PQclear(res);
		return HISTORY_CLAIMED;
	}
	r->id = col_i64(res, 0, 0);
	r->created_ms = col_i64(res, 0, 1);
	PQclear(res);
	r->updated_ms = r->created_ms;
	r->outcome = WX_PENDING;
	r->http_status = 0;
	r->attempts = 0;
	r->latency_ms = 0;
	r->pid = (int64_t)getpid();
	mine_add(p, r->id);
	return 0;
}

int history_pg_unanswered(const struct history_pg *p,
			  struct history_pg_unanswered *u)
{
	if (!p->claim_lost)
		return 0;
	*u = p->unanswered;
	return 1;
}

int history_pg_claim_ours(const struct history_pg *p)
{
	return p->claim_ours;
}

int history_pg_up(const struct history_pg *p)
{
	return p->conn && PQstatus(p->conn) == CONNECTION_OK;
}

/* A server process that may still run a lost claim is given this long at
 * most (keepalives end a dead connection's within a minute): after it,
 * a row that is not there will not come. */
#define PG_LOST_CLAIM_MAX_MS (10 * 60 * 1000)

int history_pg_withdraw(struct history_pg *p, const char *sp_mchid,
			const char *sub_mchid, const char *out_trade_no,
			const struct history_pg_unanswered *u,
			struct wx_err *err)
{
	struct num pid = {{0}}, sent = {{0}};
	char backends[32];
	const char *v[10] = {
	    p->desk,
	    num(&pid, u->pid),
	    sp_mchid ? sp_mchid : "",
	    sub_mchid ? sub_mchid : "",
	    out_trade_no ? out_trade_no : "",
	    HISTORY_CODE_NOT_SENT,
	    _("the desk history did not answer the claim in time, so nothing "
	      "was sent: reverse the order again"),
	    HISTORY_CODE_INTERRUPTED,
	    num(&sent, u->sent_ms),
	    backends};
	PGresult *res = NULL;
	int64_t closed;
	int alive;

	snprintf(backends, sizeof(backends), "{%d,%d}",
		 u->nbackend > 0 ? u->backend[0] : 0,
		 u->nbackend > 1 ? u->backend[1] : 0);
	/* Ours (role, desk, process, order, near the time it was sent),
	 * never sent (no attempt), and held by no session: a live claim of
	 * a process that reused our pid keeps its lock and is left alone. A
	 * colleague's recovery may have made it unknown already. */
	if (run(p,
		"WITH gone AS (SELECT"
		" wxrev.finish(r.id, 'failed', 0, $6, $7, 0)"
		" FROM wxrev.reversals r WHERE r.operator = session_user"
		" AND r.desk = $1 AND r.pid = $2 AND r.sp_mchid = $3"
		" AND r.sub_mchid = $4 AND r.out_trade_no = $5"
		" AND r.attempts = 0 AND (r.outcome = 'pending'"
		" OR (r.outcome = 'unknown' AND r.code = $8))"
		" AND r.created_ms BETWEEN $9::bigint - 300000"
		" AND $9::bigint + 300000"
		" AND NOT EXISTS (SELECT FROM wxrev.attempts a"
		" WHERE a.reversal_id = r.id)"
		" AND NOT EXISTS (SELECT FROM pg_locks l"
		" WHERE l.locktype = 'advisory' AND l.granted"
		" AND l.classid = 2004382326"
		" AND l.objid = (r.id % 2147483648) AND l.objsubid = 2))"
		" SELECT (SELECT count(*) FROM gone),"
		" EXISTS (SELECT FROM pg_stat_activity s"
		" WHERE s.pid = ANY ($10::int[]) AND s.pid <> 0)",
		10, v, &res, err) != 0)
		return p->transient ? HISTORY_DEFERRED : -1;
	closed = col_i64(res, 0, 0);
	alive = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (closed > 0 || !alive ||
	    wx_now_ms() - u->sent_ms > PG_LOST_CLAIM_MAX_MS)
		return 0;
	return HISTORY_DEFERRED;
}

static void read_reversal(const PGresult *res, int i,
			  struct history_reversal *r);

int history_pg_claim_holder(struct history_pg *p, const char *sp_mchid,
			    const char *sub_mchid, const char *out_trade_no,
			    struct history_reversal *holder, struct wx_err *err)
{
	const char *v[3] = {sp_mchid ? sp_mchid : "",
			    sub_mchid ? sub_mchid : "",
			    out_trade_no ? out_trade_no : ""};
	PGresult *res = NULL;
	int found;

	memset(holder, 0, sizeof(*holder));
	if (run(p,
		"SELECT " REV_COLS " FROM wxrev.reversals r"
		" WHERE r.outcome = 'pending' AND r.sp_mchid = $1"
		" AND r.sub_mchid = $2 AND r.out_trade_no = $3"
		" AND wxrev.owner_alive(r.id)",
		3, v, &res, err) != 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		read_reversal(res, 0, holder);
		claimed(holder->op, holder->created_ms, holder->host, err);
	}
	PQclear(res);
	return found;
}

/* An exchange as the parameters of the schema's functions, in their order:
 * reversal id, n, started_ms, url, request headers and body, status,
 * response headers and body, verify, transport error, latency, Request-ID,
 * kind. */
struct att_params {
	struct num id, n, started, status, lat;
	const char *v[14];
};

static void att_params(struct att_params *ap, int64_t reversal_id,
		       const struct history_attempt *a)
{
	const char *v[14] = {num(&ap->id, reversal_id),
			     num(&ap->n, a->n),
			     num(&ap->started, a->started_ms),
			     a->url,
			     a->request_headers,
			     a->request_body,
			     num(&ap->status, a->status),
			     a->response_headers,
			     a->response_body,
			     a->verify,
			     a->transport_error,
			     num(&ap->lat, a->latency_ms),
			     a->request_id,
			     a->kind};

	memcpy(ap->v, v, sizeof(v));
}

/* One exchange through wxrev.attempt (before sending) or wxrev.answer. */
static int put_attempt(struct history_pg *p, const char *fn,
		       const struct history_attempt *a, struct wx_err *err)
{
	struct att_params ap;
	const char *const *v = ap.v;

	att_params(&ap, a->reversal_id, a);
	char *sql = wx_xasprintf("SELECT wxrev.%s($1, $2, $3, $4, $5, $6, $7,"
				 " $8, $9, $10, $11, $12, $13)",
				 fn);
	int rc = run(p, sql, 13, v, NULL, err);

	free(sql);
	return rc;
}

int history_pg_attempt_start(struct history_pg *p,
			     const struct history_attempt *a,
			     struct wx_err *err)
{
	return put_attempt(p, "attempt", a, err);
}

int history_pg_add_attempt(struct history_pg *p,
			   const struct history_attempt *a, struct wx_err *err)
{
	if (put_attempt(p, "answer", a, err) == 0)
		return 0;
	return p->transient ? HISTORY_DEFERRED : -1;
}

int history_pg_finish(struct history_pg *p, int64_t id, enum wx_outcome outcome,
		      int http_status, const char *code, const char *message,
		      int64_t latency_ms, struct wx_err *err)
{
	struct num b = {{0}}, st = {{0}}, lat = {{0}};
	const char *v[6] = {
	    num(&b, id), wx_outcome_name(outcome), num(&st, http_status), code,
	    message,	 num(&lat, latency_ms)};

	if (run(p, "SELECT wxrev.finish($1, $2, $3, $4, $5, $6)", 6, v, NULL,
		err) != 0)
		return p->transient ? HISTORY_DEFERRED : -1;
	if (outcome != WX_PENDING)
		mine_drop(p, id);
	return 0;
}

int history_pg_add_query(struct history_pg *p, const struct history_attempt *a,
			 struct wx_err *err)
{
	struct att_params ap;
	const char *v[12];

	/* wxrev.add_query numbers the query itself: no n. */
	att_params(&ap, a->reversal_id, a);
	v[0] = ap.v[0];
	memcpy(v + 1, ap.v + 2, 11 * sizeof(*v));
	return run(p,
		   "SELECT wxrev.add_query($1, $2, $3, $4, $5, $6, $7, $8, $9,"
		   " $10, $11, $12)",
		   12, v, NULL, err);
}

int history_pg_settle(struct history_pg *p, int64_t id, enum wx_outcome outcome,
		      const char *code, const char *message,
		      const char *settled_by, const char *before,
		      const char *after, struct wx_err *err)
{
	struct num b = {{0}};
	const char *v[7] = {num(&b, id), wx_outcome_name(outcome),
			    code,	 message,
			    settled_by,	 before,
			    after};
	PGresult *res = NULL;
	int ok;

	if (run(p, "SELECT wxrev.settle($1, $2, $3, $4, $5, $6, $7)", 7, v,
		&res, err) != 0)
		return -1;
	ok = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!ok)
		return wx_err_set(err,
				  _("reversal #%lld is not open (or not in "
				    "history %s): nothing to settle"),
				  (long long)id, p->shown);
	return 0;
}

/* ---- import ---- */

static int import_attempts(struct history_pg *p, int64_t id,
			   const struct history_attempt *a, size_t na,
			   struct wx_err *err)
{
	for (size_t i = 0; i < na; i++) {
		struct att_params ap;

		att_params(&ap, id, &a[i]);
		if (run(p,
			"SELECT wxrev.import_attempt($1, $2, $3, $4, $5, $6,"
			" $7, $8, $9, $10, $11, $12, $13, $14)",
			14, ap.v, NULL, err) != 0)
			return -1;
	}
	return 0;
}

int history_pg_import(struct history_pg *p, const struct history_reversal *r,
		      const struct history_attempt *a, size_t na, int *added,
		      struct wx_err *err)
{
	struct num created = {{0}}, updated = {{0}}, st = {{0}}, natt = {{0}},
		   lat = {{0}};
	char *key = wx_xasprintf(
	    "%s|%lld|%s|%s|%s|%lld", r->op ? r->op : "",
	    (long long)r->created_ms, r->sp_mchid ? r->sp_mchid : "",
	    r->sub_mchid ? r->sub_mchid : "",
	    r->out_trade_no ? r->out_trade_no : "", (long long)r->id);
	const char *v[20] = {key,
			     r->op ? r->op : "",
			     num(&created, r->created_ms),
			     num(&updated, r->updated_ms),
			     r->note,
			     r->partner_name,
			     r->sp_mchid ? r->sp_mchid : "",
			     r->sub_name,
			     r->sub_mchid ? r->sub_mchid : "",
			     r->out_trade_no ? r->out_trade_no : "",
			     r->endpoint,
			     wx_outcome_name(r->outcome),
			     num(&st, r->http_status),
			     r->code,
			     r->message,
			     num(&natt, r->attempts),
			     num(&lat, r->latency_ms),
			     r->settled_by,
			     r->trade_state_before,
			     r->trade_state_after};
	PGresult *res = NULL;
	int rc = -1;

	*added = 0;
	/* One reversal and its exchanges land together or not at all. */
	if (run(p, "BEGIN", 0, NULL, NULL, err) != 0)
		goto out;
	if (run(p,
		"SELECT wxrev.import_reversal($1, $2, $3, $4, $5, $6, $7, $8,"
		" $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
		20, v, &res, err) != 0)
		goto out;
	if (!PQgetisnull(res, 0, 0)) {
		if (import_attempts(p, col_i64(res, 0, 0), a, na, err) != 0)
			goto out;
		*added = 1;
	}
	rc = run(p, "COMMIT", 0, NULL, NULL, err);
out:
	if (rc != 0)
		PQclear(ask(p, "ROLLBACK", 0, NULL));
	PQclear(res);
	free(key);
	return rc;
}

/* A kept query's values from partner_name to request_id, in the column
 * order of wxrev.queries (and of wxrev.import_query's parameters). */
#define QUERY_VALUES 17
struct query_nums {
	struct num status, latency;
};

static void query_values(const struct history_query *q, struct query_nums *b,
			 const char **v)
{
	const struct history_attempt *a = &q->a;
	const char *vals[QUERY_VALUES] = {q->partner_name,
					  q->sp_mchid ? q->sp_mchid : "",
					  q->sub_name,
					  q->sub_mchid ? q->sub_mchid : "",
					  q->out_trade_no ? q->out_trade_no
							  : "",
					  q->trade_state,
					  q->code,
					  q->message,
					  a->url,
					  a->request_headers,
					  num(&b->status, a->status),
					  a->response_headers,
					  a->response_body,
					  a->verify,
					  a->transport_error,
					  num(&b->latency, a->latency_ms),
					  a->request_id};

	memcpy(v, vals, sizeof(vals));
}

int history_pg_import_query(struct history_pg *p, const struct history_query *q,
			    int *added, struct wx_err *err)
{
	struct num created = {{0}};
	struct query_nums b = {{{0}}, {{0}}};
	char *key = wx_xasprintf(
	    "%s|%lld|%s|%s|%s|%lld", q->op ? q->op : "",
	    (long long)q->created_ms, q->sp_mchid ? q->sp_mchid : "",
	    q->sub_mchid ? q->sub_mchid : "",
	    q->out_trade_no ? q->out_trade_no : "", (long long)q->id);
	const char *v[3 + QUERY_VALUES] = {key, q->op ? q->op : "",
					   num(&created, q->created_ms)};
	PGresult *res = NULL;
	int rc;

	query_values(q, &b, v + 3);
	*added = 0;
	rc = run(p,
		 "SELECT wxrev.import_query($1, $2, $3, $4, $5, $6, $7, $8,"
		 " $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
		 20, v, &res, err);
	if (rc == 0)
		*added = !PQgetisnull(res, 0, 0);
	PQclear(res);
	free(key);
	return rc;
}

/* ---- reads ---- */

static void read_reversal(const PGresult *res, int i,
			  struct history_reversal *r)
{
	memset(r, 0, sizeof(*r));
	r->id = col_i64(res, i, 0);
	r->created_ms = col_i64(res, i, 1);
	r->updated_ms = col_i64(res, i, 2);
	r->op = col_text(res, i, 3);
	r->note = col_text(res, i, 4);
	r->partner_name = col_text(res, i, 5);
	r->sp_mchid = col_text(res, i, 6);
	r->sub_name = col_text(res, i, 7);
	r->sub_mchid = col_text(res, i, 8);
	r->out_trade_no = col_text(res, i, 9);
	r->endpoint = col_text(res, i, 10);
	if (wx_outcome_parse(PQgetvalue(res, i, 11), &r->outcome) != 0)
		r->outcome = WX_UNKNOWN;
	r->http_status = (int)col_i64(res, i, 12);
	r->code = col_text(res, i, 13);
	r->message = col_text(res, i, 14);
	r->attempts = (int)col_i64(res, i, 15);
	r->latency_ms = col_i64(res, i, 16);
	r->pid = col_i64(res, i, 17);
	r->settled_by = col_text(res, i, 18);
	r->trade_state_before = col_text(res, i, 19);
	r->trade_state_after = col_text(res, i, 20);
	r->host = col_text(res, i, 21);
	if (r->host && !*r->host) {
		free(r->host);
		r->host = NULL;
	}
}

static void read_attempt(const PGresult *res, int i, struct history_attempt *a)
{
	memset(a, 0, sizeof(*a));
	a->reversal_id = col_i64(res, i, 0);
	a->n = (int)col_i64(res, i, 1);
	a->started_ms = col_i64(res, i, 2);
	a->url = col_text(res, i, 3);
	a->request_headers = col_text(res, i, 4);
	a->request_body = col_text(res, i, 5);
	a->status = (int)col_i64(res, i, 6);
	a->response_headers = col_text(res, i, 7);
	a->response_body = col_text(res, i, 8);
	a->verify = col_text(res, i, 9);
	a->transport_error = col_text(res, i, 10);
	a->latency_ms = col_i64(res, i, 11);
	a->request_id = col_text(res, i, 12);
	a->kind = col_text(res, i, 13);
}

/* A list query under construction: SQL text and its parameters. */
struct query {
	struct wx_buf sql;
	char *vals[16]; /* owned */
	int n;
};

static int q_param(struct query *q, char *owned)
{
	q->vals[q->n++] = owned;
	return q->n;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* How a text filter is looked for: by reading rows newest first (strpos,
 * which the index cannot serve), through the trigram index in whatever
 * order the planner likes, or through the index only, the rows sorted
 * after (the cost guess said it rechecks few rows). */
enum text_scan { TEXT_BY_WALK, TEXT_BY_INDEX, TEXT_BY_INDEX_ONLY };

/* How the trigram index is asked for a text: `pattern`, a LIKE pattern
 * for the index (owned; NULL: the text itself), and `guess`, how many of
 * the sampled rows the index would hand over for recheck (-1: not
 * guessed). */
struct text_plan {
	char *pattern;
	int64_t guess;
};

static void q_text(struct query *q, const char *text, enum text_scan how,
		   const struct text_plan *plan)
{
	if (how == TEXT_BY_WALK) {
		wx_buf_printf(&q->sql, " AND strpos(r.search, lower($%d)) > 0",
			      q_param(q, wx_xstrdup(text)));
		return;
	}
	if (!plan || !plan->pattern) {
		wx_buf_printf(&q->sql, " AND r.search LIKE lower($%d)",
			      q_param(q, wx_like_contains(text)));
		return;
	}
	/* The index looks for the rarest pieces; strpos keeps exactly the
	 * rows that hold the whole text. */
	wx_buf_printf(&q->sql, " AND r.search LIKE $%d",
		      q_param(q, wx_xstrdup(plan->pattern)));
	wx_buf_printf(&q->sql, " AND strpos(r.search, lower($%d)) > 0",
		      q_param(q, wx_xstrdup(text)));
}

static void q_filters(struct query *q, const struct history_filter *f,
		      enum text_scan how, const struct text_plan *plan)
{
	if (f->text && *f->text)
		q_text(q, f->text, how, plan);
	if (f->order && *f->order) {
		int k = q_param(q, wx_like_contains(f->order));

		/* The search column begins with the order: the index finds,
		 * the column confirms. */
		wx_buf_printf(&q->sql,
			      " AND r.search LIKE lower($%d)"
			      " AND lower(r.out_trade_no) LIKE lower($%d)",
			      k, k);
	}
	if (f->sub && *f->sub)
		wx_buf_printf(&q->sql, " AND r.%s = $%d",
			      all_digits(f->sub) ? "sub_mchid" : "sub_name",
			      q_param(q, wx_xstrdup(f->sub)));
	if (f->outcome >= 0)
		wx_buf_printf(
		    &q->sql, " AND r.outcome = $%d",
		    q_param(q, wx_xstrdup(wx_outcome_name(f->outcome))));
	if (f->code && *f->code)
		wx_buf_printf(&q->sql, " AND r.code = $%d",
			      q_param(q, wx_xstrdup(f->code)));
	if (f->op && *f->op)
		wx_buf_printf(&q->sql, " AND r.operator = $%d",
			      q_param(q, wx_xstrdup(f->op)));
	if (f->since_ms > 0)
		wx_buf_printf(
		    &q->sql, " AND r.created_ms >= $%d",
		    q_param(q, wx_xasprintf("%" PRId64, f->since_ms)));
	if (f->until_ms > 0)
		wx_buf_printf(
		    &q->sql, " AND r.created_ms < $%d",
		    q_param(q, wx_xasprintf("%" PRId64, f->until_ms)));
}

static int list_query(struct history_pg *p, const struct history_filter *f,
		      int64_t before_id, int64_t floor_id, int limit,
		      enum text_scan how, const struct text_plan *plan,
		      struct history_reversal **rows, size_t *n,
		      struct wx_err *err)
{
	struct query q = {0};
	PGresult *res = NULL;
	int rc;

	*rows = NULL;
	*n = 0;
	wx_buf_printf(
	    &q.sql,
	    "SELECT " REV_COLS " FROM wxrev.reversals r WHERE r.id < $%d",
	    q_param(&q, wx_xasprintf("%" PRId64,
				     before_id > 0 ? before_id : INT64_MAX)));
	if (floor_id > 0)
		wx_buf_printf(&q.sql, " AND r.id >= $%d",
			      q_param(&q, wx_xasprintf("%" PRId64, floor_id)));
	q_filters(&q, f, how, plan);
	/* "+ 0": no walk of the primary key in id order, which the planner
	 * may prefer when it overrates how many rows a pattern finds. */
	wx_buf_printf(&q.sql, " ORDER BY r.id%s DESC LIMIT $%d",
		      how == TEXT_BY_INDEX_ONLY ? " + 0" : "",
		      q_param(&q, wx_xasprintf("%d", limit > 0 ? limit : 1)));
	rc = run(p, q.sql.data, q.n, (const char *const *)q.vals, &res, err);
	if (rc == 0) {
		int k = PQntuples(res);

		if (k > 0) {
			*rows = wx_xcalloc((size_t)k, sizeof(**rows));
			for (int i = 0; i < k; i++)
				read_reversal(res, i, &(*rows)[i]);
		}
		*n = (size_t)k;
		PQclear(res);
	}
	wx_buf_free(&q.sql);
	for (int i = 0; i < q.n; i++)
		free(q.vals[i]);
	return rc;
}

/* ---- the text filter ---- */

/* A text the trigram index serves is first looked for among the newest
 * PG_WALK_IDS ids, read newest first until the page is full: text common
 * enough to fill a page there (a shop's name, an order number's first
 * digits) makes pg_trgm recheck a large part of the table. Only what that
 * walk leaves unfilled asks the index, for the ids below it. */
#define PG_WALK_IDS 10000
/* A step of the history pane (history_pg_list_step) reads at most this
 * many ids newest first, then lets the index finish only when it would
 * recheck few rows; otherwise the next step reads on. */
#define PG_STEP_IDS 20000
/* How many rows of the table are kept to guess what the index rechecks. */
#define PG_SAMPLE_ROWS 4000
/* A trigram held by more than this share of the sampled rows (percent)
 * is not asked of the index: its posting list alone is long to read, and
 * it narrows little. Every order number's "420", "000" are such. */
#define PG_GRAM_COMMON_PCT 5
/* At most this many of a text's rarest trigrams are asked of the index. */
#define PG_GRAMS_ASKED 4
/* The index finishes a step only when it would hand over at most this
 * many rows to recheck (a heap page each, some 15 us apiece). */
#define PG_RECHECK_MAX 1000
/* The trigrams the sample counts: three of [0-9a-z]. */
#define PG_GRAMS (36 * 36 * 36)

/* Some rows' search text, taken in blocks across the whole table, and how
 * many of them hold each ASCII trigram. */
struct sample {
	char *text;		   /* the rows, each ending in '\0' */
	size_t *at;		   /* where each row starts in text */
	size_t n;		   /* rows */
	int64_t top;		   /* the highest id when it was taken */
	uint16_t counts[PG_GRAMS]; /* how many rows hold each trigram */
};

static void sample_free(struct sample *s)
{
	if (!s)
		return;
	free(s->text);
	free(s->at);
	free(s);
}

static int gram_char(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return 10 + c - 'a';
	if (c >= 'A' && c <= 'Z')
		return 10 + c - 'A';
	return -1;
}

/* The trigram that starts at s (three ASCII letters or digits), as an
 * index into sample.counts, or -1. */
static int gram_at(const char *s)
{
	int a = gram_char((unsigned char)s[0]), b, c;

	if (a < 0)
		return -1;
	b = gram_char((unsigned char)s[1]);
	if (b < 0)
		return -1;
	c = gram_char((unsigned char)s[2]);
	return c < 0 ? -1 : (a * 36 + b) * 36 + c;
}

static void sample_count(struct sample *s)
{
	int *seen = wx_xcalloc(PG_GRAMS, sizeof(*seen));

	for (size_t i = 0; i < s->n; i++) {
		const char *row = s->text + s->at[i];

		for (; row[0] && row[1] && row[2]; row++) {
			int g = gram_at(row);

			if (g >= 0 && seen[g] != (int)i + 1) {
				seen[g] = (int)i + 1;
				s->counts[g]++;
			}
		}
	}
	free(seen);
}

/* The sample for a table whose highest id is top: the one taken before
 * unless the table grew by an eighth since. */
static struct sample *sample_take(struct history_pg *p, int64_t top,
				  struct wx_err *err)
{
	struct sample *s = p->sample;
	struct wx_buf b = {0};
	PGresult *res = NULL;
	char pct[32];
	const char *v[1] = {pct};
	int k;

	if (s && top <= s->top + s->top / 8)
		return s;
	snprintf(pct, sizeof(pct), "%.6f",
		 top > PG_SAMPLE_ROWS ? 100.0 * PG_SAMPLE_ROWS / (double)top
				      : 100.0);
	/* REPEATABLE: the same blocks every time, so a filter is planned
	 * alike from one start to the next. */
	if (run(p,
		"SELECT search FROM wxrev.reversals TABLESAMPLE SYSTEM"
		" ($1::real) REPEATABLE (1) LIMIT 16000",
		1, v, &res, err) != 0)
		return NULL;
	k = PQntuples(res);
	s = wx_xcalloc(1, sizeof(*s));
	s->at = wx_xcalloc((size_t)k + 1, sizeof(*s->at));
	s->top = top;
	for (int i = 0; i < k; i++) {
		s->at[s->n++] = b.len;
		wx_buf_append(&b, PQgetvalue(res, i, 0),
			      (size_t)PQgetlength(res, i, 0) + 1);
	}
	PQclear(res);
	s->text = wx_buf_take(&b);
	sample_count(s);
	sample_free(p->sample);
	p->sample = s;
	return s;
}

/* How many sampled rows hold every one of the k needles. */
static int64_t sample_holding(const struct sample *s, char *const *needles,
			      size_t k)
{
	int64_t n = 0;

	for (size_t i = 0; i < s->n; i++) {
		const char *row = s->text + s->at[i];
		size_t j = 0;

		while (j < k && strstr(row, needles[j]))
			j++;
		n += j == k;
	}
	return n;
}

struct gram_pick {
	size_t at;     /* where in the text */
	unsigned freq; /* sampled rows that hold it */
};

static int by_freq(const void *a, const void *b)
{
	const struct gram_pick *x = a, *y = b;

	if (x->freq != y->freq)
		return x->freq < y->freq ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

static int by_place(const void *a, const void *b)
{
	const struct gram_pick *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

/* The text's uncommon ASCII trigrams, rarest first, at most
 * PG_GRAMS_ASKED of them, then put back in the text's order. */
static size_t rare_grams(const struct sample *s, const char *low,
			 struct gram_pick *out)
{
	size_t n = 0, len = strlen(low);

	for (size_t i = 0; i + 3 <= len; i++) {
		int g = gram_at(low + i);
		int dup = 0;

		if (g < 0 || (uint64_t)s->counts[g] * 100 >
				 (uint64_t)s->n * PG_GRAM_COMMON_PCT)
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = memcmp(low + out[j].at, low + i, 3) == 0;
		if (!dup)
			out[n++] = (struct gram_pick){i, s->counts[g]};
	}
	qsort(out, n, sizeof(*out), by_freq);
	if (n > PG_GRAMS_ASKED)
		n = PG_GRAMS_ASKED;
	qsort(out, n, sizeof(*out), by_place);
	return n;
}

/* "%piece%piece%": the picked trigrams, overlapping ones joined, in the
 * text's order; every row holding the text matches it. */
static char *pieces_pattern(const char *low, const struct gram_pick *g,
			    size_t n)
{
	struct wx_buf b = {0};
	size_t i = 0;

	wx_buf_puts(&b, "%");
	while (i < n) {
		size_t from = g[i].at, to = g[i].at + 3;

		for (i++; i < n && g[i].at <= to; i++)
			to = g[i].at + 3;
		wx_buf_append(&b, low + from, to - from);
		wx_buf_puts(&b, "%");
	}
	return wx_buf_take(&b);
}

/* How to ask the index for `text` (struct text_plan): by its rarest
 * trigrams when it has uncommon ones, else by the whole text; the guess
 * counts the sampled rows the index would hand over. */
static void plan_text(const struct sample *s, const char *text,
		      struct text_plan *plan)
{
	size_t len = strlen(text), nneedle = 0, ngram;
	char *low = wx_xstrdup(text);
	struct gram_pick *g = wx_xcalloc(len + 1, sizeof(*g));
	char **needles = wx_xcalloc(len + 1, sizeof(*needles));

	for (char *c = low; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	ngram = rare_grams(s, low, g);
	if (ngram > 0) {
		plan->pattern = pieces_pattern(low, g, ngram);
		for (size_t i = 0; i < ngram; i++)
			needles[nneedle++] = wx_xstrndup(low + g[i].at, 3);
	} else {
		/* Only common trigrams: the whole text goes to the index,
		 * which narrows it by the pieces between ASCII separators. */
		for (const char *c = low; *c;) {
			size_t k = 0;

			while (c[k] && ((unsigned char)c[k] >= 0x80 ||
					gram_char((unsigned char)c[k]) >= 0))
				k++;
			if (k > 0)
				needles[nneedle++] = wx_xstrndup(c, k);
			c += k ? k : 1;
		}
	}
	plan->guess = sample_holding(s, needles, nneedle);
	for (size_t i = 0; i < nneedle; i++)
		free(needles[i]);
	free(needles);
	free(g);
	free(low);
}

static void plan_clear(struct text_plan *plan)
{
	free(plan->pattern);
	plan->pattern = NULL;
}

/* Plans f->text for the ids below `below` of a table whose highest id is
 * top: 1 when the index would recheck at most PG_RECHECK_MAX rows there,
 * 0 when not (plan->pattern NULL), -1 on error. */
static int plan_cheap(struct history_pg *p, const char *text, int64_t top,
		      int64_t below, struct text_plan *plan,
		      struct wx_err *err)
{
	const struct sample *s = sample_take(p, top, err);

	plan->pattern = NULL;
	plan->guess = -1;
	if (!s)
		return -1;
	if (s->n == 0)
		return 1;
	plan_text(s, text, plan);
	if (plan->guess * below <= (int64_t)s->n * PG_RECHECK_MAX)
		return 1;
	plan_clear(plan);
	return 0;
}

/* Adds to *rows (n so far) the newest rows below `below` that the index
 * finds, up to limit in all. */
static int add_indexed(struct history_pg *p, const struct history_filter *f,
		       int64_t below, int limit, enum text_scan how,
		       const struct text_plan *plan,
		       struct history_reversal **rows, size_t *n,
		       struct wx_err *err)
{
	struct history_reversal *older = NULL;
	size_t nolder = 0;

	if (list_query(p, f, below, 0, limit - (int)*n, how, plan, &older,
		       &nolder, err) != 0) {
		history_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	if (nolder > 0) {
		*rows = wx_xrealloc(*rows, (*n + nolder) * sizeof(**rows));
		memcpy(*rows + *n, older, nolder * sizeof(*older));
		*n += nolder;
	}
	free(older);
	return 0;
}

/* The highest id plus one when before_id is 0 (from the newest). */
static int top_id(struct history_pg *p, int64_t before_id, int64_t *top,
		  struct wx_err *err)
{
	*top = before_id;
	if (*top > 0)
		return 0;
	if (history_pg_count(p, top, err) != 0)
		return -1;
	(*top)++;
	return 0;
}

int history_pg_list_window(struct history_pg *p, const struct history_filter *f,
			   int64_t before_id, int64_t floor_id, int limit,
			   struct history_reversal **rows, size_t *n,
			   struct wx_err *err)
{
	struct text_plan plan = {NULL, -1};
	int64_t top, walk_floor;
	int cheap, rc;

	if (floor_id > 0 || limit <= 0 || !f->text ||
	    wx_utf8_chars(f->text) < 3)
		return list_query(p, f, before_id, floor_id, limit,
				  TEXT_BY_INDEX, NULL, rows, n, err);
	if (top_id(p, before_id, &top, err) != 0)
		return -1;
	walk_floor = top - PG_WALK_IDS;
	if (list_query(p, f, top, walk_floor > 1 ? walk_floor : 0, limit,
		       TEXT_BY_WALK, NULL, rows, n, err) != 0)
		return -1;
	if (walk_floor <= 1 || *n >= (size_t)limit)
		return 0;
	/* The rarest pieces only when the index would recheck few rows;
	 * otherwise the whole text, and the planner picks the way. */
	cheap = plan_cheap(p, f->text, top, walk_floor, &plan, err);
	if (cheap < 0) {
		history_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	rc = add_indexed(p, f, walk_floor, limit, TEXT_BY_INDEX, &plan, rows,
			 n, err);
	plan_clear(&plan);
	return rc;
}

/* pg_trgm cannot serve fewer than three characters: such a filter is
 * looked for in bounded windows of ids, like on SQLite. */
int history_pg_scans_rows(const struct history_filter *f)
{
	if (f->sub && *f->sub)
		return 0;
	return (f->text && *f->text && wx_utf8_chars(f->text) < 3) ||
	       (f->order && *f->order && wx_utf8_chars(f->order) < 3);
}

/* A text the step reads newest first and hands to the index only when
 * cheap: three characters or more, nothing else narrowing it by index. */
static int steps_text(const struct history_filter *f)
{
	return f->text && wx_utf8_chars(f->text) >= 3 &&
	       !(f->sub && *f->sub) && !(f->order && *f->order);
}

int history_pg_list_step(struct history_pg *p, const struct history_filter *f,
			 int64_t before_id, int limit, int64_t budget,
			 struct history_reversal **rows, size_t *n,
			 int64_t *resume_id, struct wx_err *err)
{
	struct text_plan plan = {NULL, -1};
	int stepped = steps_text(f);
	int64_t top, floor_id;
	int cheap, rc;

	*resume_id = 0;
	*rows = NULL;
	*n = 0;
	if (budget <= 0 || limit <= 0 ||
	    (!stepped && !history_pg_scans_rows(f)))
		return history_pg_list_window(p, f, before_id, 0, limit, rows,
					      n, err);
	if (top_id(p, before_id, &top, err) != 0)
		return -1;
	floor_id = top - (stepped && budget > PG_STEP_IDS ? PG_STEP_IDS
							  : budget);
	if (floor_id <= 1)
		floor_id = 0;
	if (list_query(p, f, top, floor_id, limit,
		       stepped ? TEXT_BY_WALK : TEXT_BY_INDEX, NULL, rows, n,
		       err) != 0)
		return -1;
	if (floor_id == 0 || *n >= (size_t)limit)
		return 0;
	if (!stepped) {
		*resume_id = floor_id;
		return 0;
	}
	cheap = plan_cheap(p, f->text, top, floor_id, &plan, err);
	if (cheap == 0) {
		*resume_id = floor_id; /* the next step reads on */
		return 0;
	}
	if (cheap < 0) {
		history_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	rc = add_indexed(p, f, floor_id, limit, TEXT_BY_INDEX_ONLY, &plan,
			 rows, n, err);
	plan_clear(&plan);
	return rc;
}

int history_pg_get(struct history_pg *p, int64_t id, struct history_reversal *r,
		   struct history_attempt **atts, size_t *natts,
		   struct wx_err *err)
{
	struct num b = {{0}};
	const char *v[1] = {num(&b, id)};
	PGresult *res = NULL;
	int k;

	memset(r, 0, sizeof(*r));
	if (atts)
		*atts = NULL;
	if (natts)
		*natts = 0;
	if (run(p, "SELECT " REV_COLS " FROM wxrev.reversals r WHERE r.id = $1",
		1, v, &res, err) != 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return wx_err_set(err, _("history %s has no reversal #%lld"),
				  p->shown, (long long)id);
	}
	read_reversal(res, 0, r);
	PQclear(res);
	if (!atts || !natts)
		return 0;
	if (run(p,
		"SELECT reversal_id, n, started_ms, url, request_headers,"
		" request_body, status, response_headers, response_body,"
		" verify, transport_error, latency_ms, request_id, kind"
		" FROM wxrev.attempts WHERE reversal_id = $1 ORDER BY n",
		1, v, &res, err) != 0) {
		history_reversal_clear(r);
		return -1;
	}
	k = PQntuples(res);
	if (k > 0) {
		*atts = wx_xcalloc((size_t)k, sizeof(**atts));
		for (int i = 0; i < k; i++)
			read_attempt(res, i, &(*atts)[i]);
	}
	*natts = (size_t)k;
	PQclear(res);
	return 0;
}

int history_pg_latest_for_order(struct history_pg *p, const char *sub_mchid,
				const char *out_trade_no,
				struct history_reversal *latest, int64_t *count,
				struct wx_err *err)
{
	const char *v[2] = {sub_mchid, out_trade_no};
	PGresult *res = NULL;

	memset(latest, 0, sizeof(*latest));
	*count = 0;
	if (run(p,
		"SELECT " REV_COLS ", count(*) OVER ()"
		" FROM wxrev.reversals r"
		" WHERE r.sub_mchid = $1 AND r.out_trade_no = $2"
		" ORDER BY r.id DESC LIMIT 1",
		2, v, &res, err) != 0)
		return -1;
	if (PQntuples(res) > 0) {
		read_reversal(res, 0, latest);
		*count = col_i64(res, 0, 22);
	}
	PQclear(res);
	return 0;
}

int history_pg_count(struct history_pg *p, int64_t *n, struct wx_err *err)
{
	PGresult *res = NULL;

	if (run(p, "SELECT coalesce(max(id), 0) FROM wxrev.reversals", 0, NULL,
		&res, err) != 0)
		return -1;
	*n = col_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

/* ---- order queries asked on their own ---- */

int history_pg_query_add(struct history_pg *p, struct history_query *q,
			 struct wx_err *err)
{
	struct num created = {{0}};
	struct query_nums b = {{{0}}, {{0}}};
	const char *v[2 + QUERY_VALUES] = {
	    num(&created, q->a.started_ms ? q->a.started_ms : wx_now_ms()),
	    p->desk};
	PGresult *res = NULL;

	query_values(q, &b, v + 2);
	if (run(p,
		"INSERT INTO wxrev.queries (created_ms, desk, partner_name,"
		" sp_mchid, sub_name, sub_mchid, out_trade_no, trade_state,"
		" code, message, url, request_headers, status,"
		" response_headers, response_body, verify, transport_error,"
		" latency_ms, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7,"
		" $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
		" RETURNING id, created_ms",
		19, v, &res, err) != 0)
		return -1;
	q->id = col_i64(res, 0, 0);
	q->created_ms = col_i64(res, 0, 1);
	PQclear(res);
	return 0;
}

int history_pg_query_list(struct history_pg *p, const char *sub,
			  const char *order, bool exact, int64_t before_id,
			  int limit, struct history_query **out, size_t *n,
			  struct wx_err *err)
{
	struct num before = {{0}}, lim = {{0}};
	const char *v[5] = {exact ? NULL : order, sub,
			    num(&before, before_id > 0 ? before_id : 0),
			    limit > 0 ? num(&lim, limit) : NULL,
			    exact ? order : NULL};
	PGresult *res = NULL;
	int k;

	*out = NULL;
	*n = 0;
	if (run(p,
		"SELECT id, created_ms, operator, desk, partner_name, sp_mchid,"
		" sub_name, sub_mchid, out_trade_no, trade_state, code,"
		" message, url, request_headers, status, response_headers,"
		" response_body, verify, transport_error, latency_ms,"
		" request_id FROM wxrev.queries"
		" WHERE ($1::text IS NULL OR"
		" strpos(lower(out_trade_no), lower($1)) > 0)"
		" AND ($2::text IS NULL OR sub_mchid = $2 OR sub_name = $2)"
		" AND ($3::bigint = 0 OR id < $3)"
		" AND ($5::text IS NULL OR out_trade_no = $5)"
		" ORDER BY id DESC LIMIT $4::bigint",
		5, v, &res, err) != 0)
		return -1;
	k = PQntuples(res);
	if (k > 0)
		*out = wx_xcalloc((size_t)k, sizeof(**out));
	for (int i = 0; i < k; i++) {
		struct history_query *q = &(*out)[i];

		q->id = col_i64(res, i, 0);
		q->created_ms = col_i64(res, i, 1);
		q->op = col_text(res, i, 2);
		q->host = col_text(res, i, 3);
		q->partner_name = col_text(res, i, 4);
		q->sp_mchid = col_text(res, i, 5);
		q->sub_name = col_text(res, i, 6);
		q->sub_mchid = col_text(res, i, 7);
		q->out_trade_no = col_text(res, i, 8);
		q->trade_state = col_text(res, i, 9);
		q->code = col_text(res, i, 10);
		q->message = col_text(res, i, 11);
		q->a.kind = wx_xstrdup("query");
		q->a.started_ms = q->created_ms;
		q->a.url = col_text(res, i, 12);
		q->a.request_headers = col_text(res, i, 13);
		q->a.status = (int)col_i64(res, i, 14);
		q->a.response_headers = col_text(res, i, 15);
		q->a.response_body = col_text(res, i, 16);
		q->a.verify = col_text(res, i, 17);
		q->a.transport_error = col_text(res, i, 18);
		q->a.latency_ms = col_i64(res, i, 19);
		q->a.request_id = col_text(res, i, 20);
	}
	*n = (size_t)k;
	PQclear(res);
	return 0;
}
