/* reversal: one operator intent = one history entry with its attempts.
 * See reversal.h for the contract. Each reversal is a job that is either
 * waiting for its transfer or for a back-off timer; the caller's loop drives
 * both through reversal_engine_poll(). */
#include "reversal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "apiv3.h"
#include "http.h"
#include "i18n.h"
#include "utf8.h"

#define DEFAULT_MAX_RETRIES	   2
#define DEFAULT_BACKOFF_MS	   1000
#define DEFAULT_RETRY_AFTER_CAP_MS 60000
#define CONNECT_TIMEOUT_MS	   5000
#define USER_AGENT_MAX		   160
#define REPLAY_WINDOW_MS	   300000 /* WeChat Pay's timestamp window */
/* Seen nonces by hash: a list's thousand answers each compared with
 * every other one cost more than the lists' own bookkeeping. */
#define REPLAY_BUCKETS 256
#define REVERSAL_CODE_REPLAYED	   "REPLAYED_RESPONSE"

/* A Wechatpay-Nonce seen in a verified answer, kept for the window. */
struct rv_seen {
	struct rv_seen *next; /* older one */
	char *nonce;	      /* owned */
	int64_t at_mono;      /* when it was seen */
};

/* What a job does: a reversal, the query that settles one, or a query. */
enum rv_mode {
	RV_REVERSE, /* POST .../reverse with retries */
	RV_SETTLE,  /* GET the order to settle an unknown reversal */
	RV_QUERY,   /* GET the order, nothing recorded */
};

/* One reversal (or query) in flight. */
struct rv_job {
	struct rv_job *next;		  /* engine's list of jobs */
	const struct wx_partner *partner; /* borrowed */
	const struct wx_sub *sub;	  /* borrowed */
	struct reversal_result *res;	  /* what the caller gets at the end */
	int64_t started_mono;		  /* submit time, for the spinner */
	int64_t due_mono;  /* next attempt when waiting, else 0 */
	int backoff_ms;	   /* next back-off, doubled each time */
	bool on_backup;	   /* attempts go to backup_url */
	bool ambiguous;	   /* an earlier attempt was sent and not answered */
	bool failed_store; /* an attempt could not be recorded: stop retrying */
	struct http_transfer *xfer; /* the running attempt, or NULL */
	struct apiv3_request req;   /* what the running attempt sent */
	char *url;		    /* where it went */
	char *req_headers;	    /* its headers, signature redacted */
	int64_t attempt_wall_ms;    /* when it started (wall clock) */
	int64_t attempt_mono;	    /* when it started (monotonic) */
	enum rv_mode mode;	    /* what the job does now */
	char *op;		    /* operator of a plain query (kept) */
	const void *sender;	    /* reversal_params.sender (borrowed) */
	bool uncommitted; /* launched in a fill: its pending row waits for
			     the poll's commit */
};

/* What one attempt's answer means for the reversal. */
struct rv_answer {
	enum wx_outcome outcome; /* class of this answer */
	bool retryable;		 /* the policy may try again */
	bool unreachable;	 /* the host could not be reached: backup */
	bool ambiguous;		 /* may have been processed, no answer */
	bool verified;		 /* the signature was checked and valid */
	const char *verify;	 /* verdict name, NULL if not checked */
	char *code;		 /* owned */
	char *message;		 /* owned */
	char *explain;		 /* owned */
	char *next;		 /* owned */
	char *transport_error;	 /* owned; NULL when the transfer completed */
};

/* A first request signed ahead (reversal_presign). */
struct rv_presigned {
	const struct wx_partner *partner; /* borrowed */
	const struct wx_sub *sub;	  /* borrowed */
	char *out_trade_no;		  /* owned: a stopped list's offers
					   * outlive its items */
	bool ready;			  /* req is signed */
	struct apiv3_request req;	  /* owned once ready */
	int64_t signed_mono;		  /* when it was signed */
	uint64_t seq;			  /* names it to the signer */
	bool signing;			  /* the signer thread has it */
};

/* The signer: a thread that signs offers while the engine's thread sends,
 * receives and records (on a machine with more than one processor).
 * `mu` guards the engine's offers (pre, npre, next_seq) and `stop`. */
struct rv_signer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* an offer to sign, or stop */
	pthread_cond_t done; /* an offer stopped being signed */
	bool stop;
};

/* A finished reversal waiting for reversal_engine_next_done(). */
struct rv_done {
	struct rv_done *next;	     /* younger one */
	struct reversal_result *res; /* handed to the caller */
};

struct reversal_engine {
	struct history *history;	 /* borrowed */
	struct http_client *http;	 /* owned; one connection cache */
	struct reversal_options opts;	 /* retry policy */
	struct rv_job *jobs;		 /* in flight */
	struct rv_done *done;		 /* finished, oldest first */
	struct rv_done **done_tail;	 /* where the next one goes */
	char user_agent[USER_AGENT_MAX]; /* "wxrev/x.y.z (Linux x86_64)" */
	int64_t hold_mono; /* no attempt before this (429/Retry-After) */
	bool abandoning;   /* stopping: start no settling query */
	bool filling;	   /* in a poll's fill: submits join its commit */
	struct rv_presigned pre[REVERSAL_PRESIGN_MAX]; /* offered, in order */
	int npre;				       /* entries used */
	uint64_t next_seq;			       /* of the next offer */
	struct rv_signer *signer; /* NULL: offers are signed inline */
	/* answer nonces of the last 300 s, newest first in each bucket */
	struct rv_seen *seen[REPLAY_BUCKETS];
};

void reversal_options_default(struct reversal_options *opts)
{
	opts->max_retries = DEFAULT_MAX_RETRIES;
	opts->backoff_ms = DEFAULT_BACKOFF_MS;
	opts->retry_after_cap_ms = DEFAULT_RETRY_AFTER_CAP_MS;
	opts->settle = false;
	opts->gather_ms = 0;
}

static void set_user_agent(struct reversal_engine *e)
{
	struct utsname u;

	if (uname(&u) != 0) {
		snprintf(e->user_agent, sizeof(e->user_agent), "%s",
			 APIV3_USER_AGENT);
		return;
	}
	snprintf(e->user_agent, sizeof(e->user_agent), "%s (%s %s)",
		 APIV3_USER_AGENT, u.sysname, u.machine);
}

struct reversal_engine *reversal_engine_new(struct history *h,
					    const struct reversal_options *opts,
					    struct wx_err *err)
{
	struct reversal_engine *e;
	struct http_client *c = http_client_new(err);

	if (!c)
		return NULL;
	e = wx_xcalloc(1, sizeof(*e));
	e->history = h;
	e->http = c;
	e->done_tail = &e->done;
	reversal_options_default(&e->opts);
	if (opts) {
		e->opts = *opts;
		if (e->opts.max_retries < 0)
			e->opts.max_retries = 0;
		if (e->opts.backoff_ms < 0)
			e->opts.backoff_ms = 0;
		if (e->opts.retry_after_cap_ms < 0)
			e->opts.retry_after_cap_ms = 0;
		if (e->opts.gather_ms < 0)
			e->opts.gather_ms = 0;
	}
	set_user_agent(e);
	return e;
}

void reversal_result_free(struct reversal_result *r)
{
	if (!r)
		return;
	free(r->out_trade_no);
	free(r->sp_mchid);
	free(r->sub_mchid);
	free(r->code);
	free(r->message);
	free(r->explain);
	free(r->next);
	free(r->request_id);
	free(r->trade_state_before);
	free(r->amount_before);
	free(r->trade_state_after);
	free(r->note);
	free(r->op);
	free(r->endpoint);
	if (r->query)
		apiv3_query_result_free(r->query);
	free(r->query);
	free(r);
}

static void answer_clear(struct rv_answer *a)
{
	free(a->code);
	free(a->message);
	free(a->explain);
	free(a->next);
	free(a->transport_error);
	memset(a, 0, sizeof(*a));
}

static void job_attempt_clear(struct rv_job *j)
{
	if (j->xfer)
		http_transfer_free(j->xfer);
	j->xfer = NULL;
	apiv3_request_free(&j->req);
	memset(&j->req, 0, sizeof(j->req));
	free(j->url);
	j->url = NULL;
	free(j->req_headers);
	j->req_headers = NULL;
}

static void job_free(struct rv_job *j)
{
	job_attempt_clear(j);
	reversal_result_free(j->res);
	free(j->op);
	free(j);
}

static void unlink_job(struct reversal_engine *e, struct rv_job *j)
{
	struct rv_job **pp = &e->jobs;

	while (*pp && *pp != j)
		pp = &(*pp)->next;
	if (*pp)
		*pp = j->next;
	j->next = NULL;
}

static void queue_done(struct reversal_engine *e, struct reversal_result *r)
{
	struct rv_done *d = wx_xcalloc(1, sizeof(*d));

	d->res = r;
	*e->done_tail = d;
	e->done_tail = &d->next;
}

static void replace_str(char **dst, const char *src)
{
	free(*dst);
	*dst = wx_xstrdup(src);
}

/* Unlinks the job and hands its result out (or drops it). */
static void job_deliver(struct reversal_engine *e, struct rv_job *j,
			bool deliver)
{
	struct reversal_result *r = j->res;

	unlink_job(e, j);
	if (deliver) {
		j->res = NULL;
		queue_done(e, r);
	}
	job_free(j);
}

static int job_start_attempt(struct reversal_engine *e, struct rv_job *j,
			     struct wx_err *err);

/* An unknown outcome is settled by a query right away, when the caller
 * asked for it; true when that query is now in flight. */
static bool job_settle(struct reversal_engine *e, struct rv_job *j)
{
	struct wx_err err = {{0}};

	if (!e->opts.settle || e->abandoning || j->mode != RV_REVERSE ||
	    j->res->outcome != WX_UNKNOWN || j->failed_store)
		return false;
	job_attempt_clear(j);
	j->mode = RV_SETTLE;
	j->on_backup = false;
	if (job_start_attempt(e, j, &err) == 0)
		return true;
	j->mode = RV_REVERSE;
	return false;
}

/* Commits the final outcome, then hands the result out (when `deliver`:
 * a submit that fails reports through its error instead). A history that
 * cannot be written any more is said in the result; the answer stands. */
/* Says in the result that its outcome is not in the history. */
static void note_unrecorded(struct reversal_result *r, const char *why)
{
	char *next = wx_xasprintf(_("%s The history could not record this "
				    "outcome (%s): note it by hand."),
				  r->next ? r->next : "", why);

	free(r->next);
	r->next = next;
}

static void job_finish(struct reversal_engine *e, struct rv_job *j,
		       bool deliver)
{
	struct reversal_result *r = j->res;
	struct wx_err err = {{0}};
	int rc = history_finish(e->history, r->history_id, r->outcome,
			       r->http_status, r->code, r->message,
			       r->latency_ms, &err);

	if (rc == HISTORY_DEFERRED)
		r->unsaved = true;
	else if (rc != 0)
		note_unrecorded(r, err.msg);
	if (r->outcome != WX_UNKNOWN && r->outcome != WX_PENDING)
		r->settled_by = "answer";
	if (deliver && job_settle(e, j))
		return;
	job_deliver(e, j, deliver);
}

static char *join_request_headers(const char *const *hdrs)
{
	struct wx_buf b = {0};

	for (size_t i = 0; hdrs[i]; i++) {
		wx_buf_puts(&b, hdrs[i]);
		wx_buf_puts(&b, "\n");
	}
	return wx_buf_take(&b);
}

static char *join_response_headers(const struct http_response *r)
{
	struct wx_buf b = {0};

	for (size_t i = 0; i < r->nheaders; i++)
		wx_buf_printf(&b, "%s: %s\n", r->headers[i].name,
			      r->headers[i].value);
	return wx_buf_take(&b);
}

static const char *job_base_url(const struct rv_job *j)
{
	if (j->on_backup && j->partner->backup_url)
		return j->partner->backup_url;
	return j->partner->base_url;
}

static void strip_trailing_slash(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* Puts in front of err why nothing was sent: the history refused the
 * write that must come first. Returns -1. */
static int err_not_written(struct wx_err *err)
{
	return wx_err_prefix(err, _("nothing was sent because the history "
				    "cannot be written"));
}

/* The request side of the next attempt, committed before it is sent. */
static int record_start(struct reversal_engine *e, const struct rv_job *j,
			struct wx_err *err)
{
	struct history_attempt at = {0};

	at.reversal_id = j->res->history_id;
	at.n = j->res->attempts + 1;
	at.started_ms = j->attempt_wall_ms;
	at.url = j->url;
	at.request_headers = j->req_headers;
	at.request_body = j->req.body;
	at.transport_error = (char *)_("no answer recorded: the program "
				       "stopped while waiting");
	if (history_attempt_start(e->history, &at, err) != 0)
		return err_not_written(err);
	return 0;
}

/* An attempt recorded but refused by the transport before sending. */
static void record_not_started(struct reversal_engine *e,
			       const struct rv_job *j, const char *why)
{
	struct history_attempt at = {0};

	at.reversal_id = j->res->history_id;
	at.n = j->res->attempts;
	at.started_ms = j->attempt_wall_ms;
	at.transport_error = (char *)why;
	history_add_attempt(e->history, &at, NULL);
}

/* ---- signing ahead ---- */

/* Offers are shared with the signer thread, when there is one: every
 * function below that touches them holds its lock (sign_lock). */
static void sign_lock(struct reversal_engine *e)
{
	if (e->signer)
		pthread_mutex_lock(&e->signer->mu);
}

static void sign_unlock(struct reversal_engine *e)
{
	if (e->signer)
		pthread_mutex_unlock(&e->signer->mu);
}

static void request_wipe_free(struct apiv3_request *req)
{
	if (req->authorization)
		wx_wipe(req->authorization, strlen(req->authorization));
	apiv3_request_free(req);
}

static void presigned_drop(struct reversal_engine *e, int i)
{
	struct rv_presigned *p = &e->pre[i];

	request_wipe_free(&p->req);
	free(p->out_trade_no);
	memmove(p, p + 1, (size_t)(e->npre - i - 1) * sizeof(*p));
	e->npre--;
}

static int presigned_find(const struct reversal_engine *e, uint64_t seq)
{
	for (int i = 0; i < e->npre; i++)
		if (e->pre[i].seq == seq)
			return i;
	return -1;
}

/* The oldest offer nobody signs yet, or -1. */
static int presign_next(const struct reversal_engine *e)
{
	for (int i = 0; i < e->npre; i++)
		if (!e->pre[i].ready && !e->pre[i].signing)
			return i;
	return -1;
}

/* Signs offer i with the lock let go meanwhile (the offers may move or
 * go); one that cannot be signed is dropped: its submit signs and says
 * why. Called and returns with the lock held. */
static void presign_at(struct reversal_engine *e, int i)
{
	struct rv_presigned *p = &e->pre[i];
	const struct wx_partner *partner = p->partner;
	const struct wx_sub *sub = p->sub;
	char *order = wx_xstrdup(p->out_trade_no);
	uint64_t seq = p->seq;
	struct apiv3_request req;
	struct wx_err err = {{0}};
	int rc;

	p->signing = true;
	sign_unlock(e);
	rc = apiv3_request_build(partner, sub, order, wx_now_ms() / 1000, &req,
				 &err);
	free(order);
	sign_lock(e);
	i = presigned_find(e, seq);
	if (i < 0) { /* dropped meanwhile */
		if (rc == 0)
			request_wipe_free(&req);
	} else if (rc != 0) {
		presigned_drop(e, i);
	} else {
		p = &e->pre[i];
		p->signing = false;
		p->req = req;
		p->ready = true;
		p->signed_mono = wx_monotonic_ms();
	}
	if (e->signer)
		pthread_cond_broadcast(&e->signer->done);
}

static void *signer_run(void *arg)
{
	struct reversal_engine *e = arg;
	struct rv_signer *s = e->signer;

	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		int i = presign_next(e);

		if (i < 0)
			pthread_cond_wait(&s->wake, &s->mu);
		else
			presign_at(e, i);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void signer_free(struct rv_signer *s)
{
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Starts the signer on a machine with more than one processor; without
 * it (one processor, or no thread) offers are signed inline. */
static void signer_start(struct reversal_engine *e)
{
	struct rv_signer *s;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	s = wx_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	e->signer = s;
	if (wx_thread_start(&s->thread, signer_run, e) != 0) {
		e->signer = NULL;
		signer_free(s);
	}
}

static void signer_stop(struct reversal_engine *e)
{
	struct rv_signer *s = e->signer;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	e->signer = NULL;
	signer_free(s);
}

void reversal_presign(struct reversal_engine *e,
		      const struct reversal_params *p)
{
	struct rv_presigned *n;

	if (!e->signer && e->next_seq == 0)
		signer_start(e);
	sign_lock(e);
	/* Offers come in the order of the submits: the oldest left over
	 * belongs to an order that was not sent after all. */
	if (e->npre >= REVERSAL_PRESIGN_MAX)
		presigned_drop(e, 0);
	n = &e->pre[e->npre++];
	memset(n, 0, sizeof(*n));
	n->partner = p->partner;
	n->sub = p->sub;
	n->out_trade_no = wx_xstrdup(p->out_trade_no);
	n->seq = ++e->next_seq;
	if (e->signer)
		pthread_cond_signal(&e->signer->wake);
	sign_unlock(e);
}

/* Without a signer: signs the oldest offer not signed yet; false when
 * there is none. */
static bool presign_one(struct reversal_engine *e)
{
	int i = presign_next(e);

	if (i < 0)
		return false;
	presign_at(e, i);
	return true;
}

/* Offers for this thread to sign (none when the signer signs them). */
static bool presign_waiting(const struct reversal_engine *e)
{
	return !e->signer && presign_next(e) >= 0;
}

/* The first request of j, signed ahead: true when j->req now holds it. An
 * offer the signer is signing is waited for (a fraction of a
 * millisecond), not signed twice. */
static bool presigned_take(struct reversal_engine *e, struct rv_job *j)
{
	bool fresh = false;

	sign_lock(e);
	for (int i = 0; i < e->npre; i++) {
		struct rv_presigned *p = &e->pre[i];
		uint64_t seq = p->seq;

		if (p->partner != j->partner || p->sub != j->sub ||
		    strcmp(p->out_trade_no, j->res->out_trade_no) != 0)
			continue;
		while (i >= 0 && e->pre[i].signing) {
			pthread_cond_wait(&e->signer->done, &e->signer->mu);
			i = presigned_find(e, seq);
		}
		if (i < 0)
			break;
		p = &e->pre[i];
		fresh = p->ready && wx_monotonic_ms() - p->signed_mono <=
					REVERSAL_PRESIGN_MAX_S * 1000;
		if (fresh) {
			j->req = p->req;
			memset(&p->req, 0, sizeof(p->req));
		}
		presigned_drop(e, i);
		break;
	}
	sign_unlock(e);
	return fresh;
}

/* One turn of a wait that signs ahead. With an offer to sign: sends what
 * is queued and takes what came without waiting, then signs one offer
 * (unless stop_at_answer and an answer came or extra_fd woke). With none,
 * or a signer thread signing them: waits up to left_ms. */
static void presign_step(struct reversal_engine *e, int extra_fd, int left_ms,
			 bool stop_at_answer, bool *ready)
{
	if (!presign_waiting(e)) {
		http_client_poll(e->http, extra_fd, left_ms, ready);
		return;
	}
	http_client_poll(e->http, extra_fd, 0, ready);
	if (stop_at_answer && (*ready || http_client_has_done(e->http)))
		return;
	presign_one(e);
}

/* Signs what was offered while nothing else is to be done, for at most
 * *timeout_ms (shortened by the time it took): stops as soon as an answer
 * is in or extra_fd wakes. */
static void presign_while_idle(struct reversal_engine *e, int extra_fd,
			       int *timeout_ms, bool *ready)
{
	int64_t until = wx_monotonic_ms() + *timeout_ms;
	int64_t now;

	while (!*ready && !http_client_has_done(e->http) &&
	       presign_waiting(e) && (now = wx_monotonic_ms()) < until)
		presign_step(e, extra_fd, (int)(until - now), true, ready);
	now = wx_monotonic_ms();
	*timeout_ms = until > now ? (int)(until - now) : 0;
}

/* Signs a fresh request (new nonce and timestamp) and starts it. */
static int job_start_attempt(struct reversal_engine *e, struct rv_job *j,
			     struct wx_err *err)
{
	char *auth_line = NULL, *redacted = NULL, *redacted_line = NULL;
	char *ua_line = NULL, *base = NULL;
	const char *hdrs[5], *shown[5];
	struct http_request hr = {0};
	int rc = -1;

	bool query = j->mode != RV_REVERSE;

	job_attempt_clear(j);
	if ((query || j->res->attempts > 0 || !presigned_take(e, j)) &&
	    (query ? apiv3_query_build : apiv3_request_build)(
		j->partner, j->sub, j->res->out_trade_no, wx_now_ms() / 1000,
		&j->req, err) != 0)
		goto out;
	base = wx_xstrdup(job_base_url(j));
	strip_trailing_slash(base);
	j->url = wx_xasprintf("%s%s", base, j->req.target);
	auth_line = wx_xasprintf("Authorization: %s", j->req.authorization);
	redacted = apiv3_redact_authorization(j->req.authorization);
	redacted_line = wx_xasprintf("Authorization: %s", redacted);
	ua_line = wx_xasprintf("User-Agent: %s", e->user_agent);
	hdrs[0] = auth_line;
	shown[0] = redacted_line;
	hdrs[1] = shown[1] = "Accept: application/json";
	hdrs[2] = shown[2] = ua_line;
	hdrs[3] = shown[3] = query ? NULL : "Content-Type: application/json";
	hdrs[4] = shown[4] = NULL;
	j->req_headers = join_request_headers(shown);
	hr.url = j->url;
	hr.method = j->req.method;
	hr.headers = hdrs;
	hr.body = j->req.body;
	hr.body_len = strlen(j->req.body);
	hr.ca_file = j->partner->ca_file;
	hr.timeout_ms =
	    j->partner->timeout_s > 0 ? j->partner->timeout_s * 1000 : 10000;
	hr.connect_timeout_ms = hr.timeout_ms < CONNECT_TIMEOUT_MS
				    ? hr.timeout_ms
				    : CONNECT_TIMEOUT_MS;
	hr.user = j;
	j->attempt_wall_ms = wx_now_ms();
	j->attempt_mono = wx_monotonic_ms();
	j->due_mono = 0;
	/* Every reversal request that leaves is an attempt on disk first;
	 * a query moves no money and is recorded with its answer. A first
	 * attempt's file was checked by its submit, just before. */
	if (!query && ((j->res->attempts > 0 &&
			history_check_file(e->history, err) != 0) ||
		       record_start(e, j, err) != 0))
		goto out;
	if (!query)
		j->res->attempts++;
	j->xfer = http_start(e->http, &hr, err);
	if (!j->xfer) {
		if (!query)
			record_not_started(e, j, err->msg);
		goto out;
	}
	rc = 0;
out:
	if (auth_line)
		wx_wipe(auth_line, strlen(auth_line));
	free(auth_line);
	free(redacted);
	free(redacted_line);
	free(ua_line);
	free(base);
	return rc;
}

/* Explanations for the local codes, unless apiv3's table has them. */
static void answer_local(struct rv_answer *a, const char *code,
			 enum wx_outcome o, const char *message,
			 const char *explain)
{
	const struct apiv3_code_info *info = apiv3_code_lookup(code);

	a->outcome = o;
	a->code = wx_xstrdup(code);
	a->message = wx_xstrdup(message);
	a->explain = wx_xstrdup(info ? _(info->explain) : explain);
	a->next = wx_xstrdup(info ? _(info->next) : wx_outcome_advice(o));
}

/* No complete answer: decide from what the transport knows. */
static void answer_transport(const struct http_response *r, struct rv_answer *a)
{
	/* Stored (the attempt's transport_error, the result's message). */
	const char *msg = r->error[0] ? r->error : N_("no answer");

	a->retryable = true;
	a->transport_error = wx_xstrdup(msg);
	if (!r->request_sent) {
		a->unreachable = r->host_unreachable;
		answer_local(a, REVERSAL_CODE_NOT_SENT, WX_FAILED, msg,
			     _("The request never reached WeChat Pay (name "
			       "lookup, connection or TLS failed)."));
		return;
	}
	a->ambiguous = true;
	if (r->truncated) {
		answer_local(a, REVERSAL_CODE_TOO_LARGE, WX_UNKNOWN, msg,
			     _("The answer was too large to be checked, so "
			       "the result is not known."));
		return;
	}
	answer_local(a, REVERSAL_CODE_NO_ANSWER, WX_UNKNOWN, msg,
		     _("The request was sent but no complete answer came back "
		       "(timeout or connection cut)."));
}

/* The one place an answer's signature is checked, reversal or query. */
static enum apiv3_verdict verify_answer(const struct rv_job *j,
					const struct http_response *r,
					struct wx_err *verr)
{
	struct apiv3_resp_headers h = {
	    .timestamp = http_response_header(r, "Wechatpay-Timestamp"),
	    .nonce = http_response_header(r, "Wechatpay-Nonce"),
	    .serial = http_response_header(r, "Wechatpay-Serial"),
	    .signature = http_response_header(r, "Wechatpay-Signature"),
	};

	return apiv3_verify(&h, r->body ? r->body : "", r->body_len,
			    j->partner->platform, j->partner->nplatform,
			    wx_now_ms() / 1000, verr);
}

/* A complete HTTP answer: verify the signature, then classify. */
static void answer_http(const struct rv_job *j, const struct http_response *r,
			struct rv_answer *a)
{
	struct wx_err verr = {{0}};
	struct apiv3_result res = {0};
	enum apiv3_verdict v;

	v = verify_answer(j, r, &verr);
	a->verify = apiv3_verdict_name(v);
	a->verified = (v == APIV3_VERIFIED);
	if (apiv3_classify(r->status, r->body ? r->body : "", r->body_len, v,
			   j->res->out_trade_no, j->partner->sp_mchid,
			   j->sub->sub_mchid, &res) != 0) {
		answer_local(a, "CLASSIFY_ERROR", WX_UNKNOWN,
			     N_("the answer could not be classified"),
			     _("The answer could not be understood."));
		return;
	}
	a->outcome = res.outcome;
	a->retryable = res.retryable;
	a->code = res.code;
	a->next = res.next;
	a->message = res.message;
	a->explain = res.explain;
	if (res.detail) {
		a->explain = wx_xasprintf(
		    "%s (%s)", res.explain ? res.explain : "", res.detail);
		free(res.explain);
	}
	if (!a->verified && verr.msg[0] && a->outcome == WX_UNKNOWN) {
		/* Say why the answer is not trusted, not only that it is not.
		 */
		char *m = wx_stored_printf(WX_MSG_BECAUSE,
					   res.message ? res.message : "",
					   verr.msg);

		free(a->message);
		a->message = m;
	}
	free(res.detail);
}

/* A reversal attempt, or a query kept with the reversal it settles. */
static int store_request(struct reversal_engine *e, const struct rv_job *j,
			 const struct history_attempt *at, struct wx_err *err)
{
	if (j->mode == RV_SETTLE)
		return history_add_query(e->history, at, err);
	return history_add_attempt(e->history, at, err);
}

/* The request that left and its answer, as the history keeps it; returns
 * the joined response headers at points to (the caller frees them). */
static char *attempt_of(const struct rv_job *j, const struct http_response *r,
			const struct rv_answer *a, struct history_attempt *at)
{
	char *resp_headers = join_response_headers(r);

	at->reversal_id = j->res->history_id;
	at->n = j->res->attempts;
	at->started_ms = j->attempt_wall_ms;
	at->url = j->url;
	at->request_headers = j->req_headers;
	at->request_body = j->req.body;
	at->status = (int)r->status;
	at->response_headers = resp_headers;
	at->response_body = r->body;
	at->verify = (char *)a->verify;
	at->transport_error = a->transport_error;
	at->latency_ms = r->latency_ms;
	at->request_id = (char *)http_response_header(r, "Request-ID");
	at->kind = (char *)(j->mode == RV_REVERSE ? "reverse" : "query");
	return resp_headers;
}

static void record_attempt(struct reversal_engine *e, struct rv_job *j,
			   const struct http_response *r,
			   const struct rv_answer *a)
{
	struct history_attempt at = {0};
	struct wx_err err = {{0}};
	char *resp_headers;
	int rc;

	if (j->mode == RV_QUERY) /* kept by keep_plain_query */
		return;
	resp_headers = attempt_of(j, r, a, &at);
	rc = store_request(e, j, &at, &err);
	if (rc == HISTORY_DEFERRED) {
		j->res->unsaved = true;
	} else if (rc != 0) {
		j->failed_store = true;
		free(j->res->next);
		j->res->next = wx_xasprintf(
		    _("The history could not record attempt %d (%s): fix "
		      "the history file before retrying."),
		    at.n, err.msg);
	}
	free(resp_headers);
}

/* Copies this attempt's answer into the result the caller will see. */
static void absorb_answer(struct rv_job *j, const struct http_response *r,
			  struct rv_answer *a)
{
	struct reversal_result *res = j->res;
	const char *rid = http_response_header(r, "Request-ID");

	res->outcome = a->outcome;
	res->http_status = (int)r->status;
	res->verified = a->verified;
	res->latency_ms += r->latency_ms;
	replace_str(&res->request_id, rid);
	free(res->code);
	free(res->message);
	free(res->explain);
	res->code = a->code;
	res->message = a->message;
	res->explain = a->explain;
	a->code = a->message = a->explain = NULL;
	if (!j->failed_store) {
		free(res->next);
		res->next = a->next;
		a->next = NULL;
	}
	if (a->ambiguous)
		j->ambiguous = true;
}

/* Seconds from a Retry-After header, or -1 when absent or a date. */
static long retry_after_s(const struct http_response *r)
{
	const char *v = http_response_header(r, "Retry-After");
	char *end;
	long s;

	if (!v)
		return -1;
	errno = 0;
	s = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || s < 0)
		return -1;
	return s;
}

/* The host asked to slow down: no retry of any reversal before `until`. */
static void hold_everyone(struct reversal_engine *e, int64_t until)
{
	if (until > e->hold_mono)
		e->hold_mono = until;
	for (struct rv_job *j = e->jobs; j; j = j->next)
		if (j->due_mono && j->due_mono < e->hold_mono)
			j->due_mono = e->hold_mono;
}

int64_t reversal_engine_hold_until(const struct reversal_engine *e)
{
	return e->hold_mono;
}

static int next_delay_ms(struct reversal_engine *e, struct rv_job *j,
			 const struct http_response *r)
{
	long ra = retry_after_s(r);
	int64_t d = j->backoff_ms;

	j->backoff_ms =
	    j->backoff_ms > INT_MAX / 2 ? INT_MAX : j->backoff_ms * 2;
	if (ra >= 0) {
		int64_t want = (int64_t)ra * 1000;

		if (want > e->opts.retry_after_cap_ms)
			want = e->opts.retry_after_cap_ms;
		if (want > d)
			d = want;
	}
	if (ra >= 0 || r->status == 429)
		hold_everyone(e, wx_monotonic_ms() + d);
	return (int)d;
}

/* A failed or rejected final answer after an unanswered attempt: that
 * earlier request may have been processed (a later refusal may even be
 * because of it), so the truth is not known. */
static void settle_ambiguity(struct rv_job *j)
{
	struct reversal_result *r = j->res;

	if ((r->outcome != WX_FAILED && r->outcome != WX_REJECTED) ||
	    !j->ambiguous)
		return;
	r->outcome = WX_UNKNOWN;
	replace_str(&r->explain,
		    _("An earlier attempt was sent but got no answer, so it "
		      "may have been processed."));
	replace_str(&r->next, wx_outcome_advice(WX_UNKNOWN));
}

static struct rv_seen **seen_bucket(struct reversal_engine *e,
				    const char *nonce)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)nonce; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &e->seen[h % REPLAY_BUCKETS];
}

/* Was this answer nonce already seen within the window? Forgets older
 * ones of its bucket on the way; remembers this one when `keep`. */
static bool nonce_replayed(struct reversal_engine *e, const char *nonce,
			   bool keep)
{
	int64_t now = wx_monotonic_ms();
	struct rv_seen **bucket = seen_bucket(e, nonce);
	struct rv_seen **pp = bucket;
	bool hit = false;

	while (*pp) {
		struct rv_seen *s = *pp;

		if (now - s->at_mono > REPLAY_WINDOW_MS) {
			*pp = s->next;
			free(s->nonce);
			free(s);
			continue;
		}
		hit = hit || strcmp(s->nonce, nonce) == 0;
		pp = &s->next;
	}
	if (!hit && keep) {
		struct rv_seen *s = wx_xcalloc(1, sizeof(*s));

		s->nonce = wx_xstrdup(nonce);
		s->at_mono = now;
		s->next = *bucket;
		*bucket = s;
	}
	return hit;
}

/* An answer whose nonce was already seen is not trusted, whatever it
 * says: it may be a recording of another answer. */
static void check_replay(struct reversal_engine *e,
			 const struct http_response *r, struct rv_answer *a)
{
	const char *nonce = http_response_header(r, "Wechatpay-Nonce");
	const char *verify = a->verify;
	bool verified = a->verified;

	if (!nonce || !*nonce || !nonce_replayed(e, nonce, a->verified))
		return;
	answer_clear(a);
	answer_local(a, REVERSAL_CODE_REPLAYED, WX_UNKNOWN,
		     N_("the answer repeats a Wechatpay-Nonce already seen in "
			"the last 300 s (a replay)"),
		     _("An answer that was already seen cannot be trusted, so "
		       "the result is not known."));
	a->verify = verify;
	a->verified = verified;
}

/* Reads a query's answer: verified and classified, or why there is none. */
static struct apiv3_query_result *read_query(struct reversal_engine *e,
					     const struct rv_job *j,
					     const struct http_response *r,
					     struct rv_answer *a)
{
	const char *nonce = http_response_header(r, "Wechatpay-Nonce");
	struct apiv3_query_result *q = wx_xcalloc(1, sizeof(*q));
	struct wx_err verr = {{0}};
	enum apiv3_verdict v = APIV3_NO_SIGNATURE;
	bool complete = r->curl_code == 0 && !r->truncated && r->status != 0;

	if (complete) {
		v = verify_answer(j, r, &verr);
		/* A replayed answer cannot settle anything either. */
		if (v == APIV3_VERIFIED && nonce && *nonce &&
		    nonce_replayed(e, nonce, true)) {
			v = APIV3_STALE;
			wx_err_set(&verr, "%s",
				   N_("the answer repeats a Wechatpay-Nonce "
				      "already seen in the last 300 s (a "
				      "replay)"));
		}
		a->verify = apiv3_verdict_name(v);
		a->verified = v == APIV3_VERIFIED;
	} else {
		a->transport_error =
		    wx_xstrdup(r->error[0] ? r->error : N_("no answer"));
	}
	apiv3_query_classify(complete ? r->status : 0, r->body, r->body_len, v,
			     j->res->out_trade_no, j->partner->sp_mchid,
			     j->sub->sub_mchid, q);
	if (!complete) {
		free(q->code);
		free(q->message);
		q->code = wx_xstrdup(REVERSAL_CODE_NO_ANSWER);
		q->message = wx_xstrdup(a->transport_error);
	} else if (!a->verified && verr.msg[0]) {
		char *m = wx_stored_printf(WX_MSG_BECAUSE,
					   q->message ? q->message : "",
					   verr.msg);

		free(q->message);
		q->message = m;
	}
	return q;
}

/* What a settling query makes of the reversal; commits it. */
static void settle_from_query(struct reversal_engine *e, struct rv_job *j,
			      const struct apiv3_query_result *q)
{
	struct reversal_result *res = j->res;
	enum apiv3_trade_state before =
	    apiv3_trade_state_parse(res->trade_state_before);
	bool read = q->kind == APIV3_Q_ANSWERED || q->kind == APIV3_Q_NOT_FOUND;
	enum wx_outcome o = read ? apiv3_settle_outcome(q->order.state, before)
				 : WX_UNKNOWN;
	const char *state = apiv3_trade_state_name(q->order.state);
	char *msg = NULL;
	struct wx_err err = {{0}};

	if (read)
		replace_str(&res->trade_state_after, state);
	if (o == WX_REVERSED)
		/* Stored in English, read translated (i18n.h). */
		msg = wx_stored_printf(WX_MSG_SETTLED, state);
	else if (o == WX_FAILED)
		msg = wx_stored_printf(WX_MSG_SAFE_TO_RERUN, state);
	if (history_settle(e->history, res->history_id, o,
			   o == WX_UNKNOWN ? NULL : state, msg,
			   o == WX_UNKNOWN ? NULL : "query",
			   res->trade_state_before, res->trade_state_after,
			   &err) != 0 &&
	    o != WX_UNKNOWN) {
		replace_str(&res->next, err.msg);
		free(msg);
		return;
	}
	if (o != WX_UNKNOWN) {
		res->outcome = o;
		res->settled_by = "query";
		replace_str(&res->code, state);
		free(res->message);
		res->message = msg;
		msg = NULL;
		replace_str(&res->explain, q->explain);
		replace_str(&res->next, wx_outcome_advice(o));
	} else {
		char *next = wx_xasprintf(
		    read ? _("The query reads %s, which does not settle it: "
			     "%s")
			 : _("The query could not settle it (%s): %s"),
		    read ? state : (q->code ? q->code : "?"),
		    res->next ? res->next : "");

		free(res->next);
		res->next = next;
	}
	free(msg);
}

/* A query (plain or settling) is over: keep it, then hand the result out. */
/* Who asked a plain query about which order. */
static void query_identity(const struct rv_job *j, struct history_query *hq)
{
	hq->op = j->op;
	hq->partner_name = j->partner->name;
	hq->sp_mchid = j->partner->sp_mchid;
	hq->sub_name = j->sub->name;
	hq->sub_mchid = j->sub->sub_mchid;
	hq->out_trade_no = j->res->out_trade_no;
}

/* A plain query dropped while its request may be out: it left, so it is
 * kept, saying its answer was not waited for. */
static void keep_cancelled_query(struct reversal_engine *e,
				 const struct rv_job *j)
{
	struct history_query hq = {0};

	if (!j->url)
		return; /* nothing was started */
	query_identity(j, &hq);
	hq.code = (char *)REVERSAL_CODE_NO_ANSWER;
	hq.message = (char *)N_("the operator did not wait for the query's "
				"answer");
	hq.a.started_ms = j->attempt_wall_ms;
	hq.a.url = j->url;
	hq.a.request_headers = j->req_headers;
	hq.a.request_body = j->req.body;
	hq.a.transport_error = (char *)N_("not waited for");
	hq.a.latency_ms = wx_monotonic_ms() - j->attempt_mono;
	hq.a.kind = (char *)"query";
	history_query_add(e->history, &hq, NULL);
}

/* A plain query is kept with the order it asked about and what it read
 * (a settling one is kept with its reversal, by record_attempt). */
static void keep_plain_query(struct reversal_engine *e, struct rv_job *j,
			     const struct http_response *r,
			     const struct rv_answer *a,
			     struct apiv3_query_result *q)
{
	struct history_query hq = {0};
	struct wx_err err = {{0}};
	bool read = q->kind == APIV3_Q_ANSWERED || q->kind == APIV3_Q_NOT_FOUND;
	char *resp_headers = attempt_of(j, r, a, &hq.a);

	query_identity(j, &hq);
	hq.trade_state =
	    read ? (char *)apiv3_trade_state_name(q->order.state) : NULL;
	hq.code = q->code;
	hq.message = q->message;
	if (history_query_add(e->history, &hq, &err) != 0) {
		char *next = wx_xasprintf(_("%s The history could not keep "
					    "this query (%s)."),
					  q->next ? q->next : "", err.msg);

		free(q->next);
		q->next = next;
	}
	free(resp_headers);
}

static void query_completed(struct reversal_engine *e, struct rv_job *j,
			    const struct http_response *r)
{
	struct rv_answer a = {0};
	struct apiv3_query_result *q = read_query(e, j, r, &a);

	record_attempt(e, j, r, &a);
	if (j->mode == RV_QUERY)
		keep_plain_query(e, j, r, &a, q);
	j->res->latency_ms += r->latency_ms;
	if (j->mode == RV_SETTLE) {
		settle_from_query(e, j, q);
	} else {
		j->res->http_status = (int)r->status;
		j->res->verified = a.verified;
		replace_str(&j->res->request_id,
			    http_response_header(r, "Request-ID"));
		replace_str(&j->res->code, q->code);
		replace_str(&j->res->message, q->message);
		replace_str(&j->res->explain, q->explain);
		replace_str(&j->res->next, q->next);
		if (q->kind == APIV3_Q_ANSWERED || q->kind == APIV3_Q_NOT_FOUND)
			replace_str(&j->res->trade_state_after,
				    apiv3_trade_state_name(q->order.state));
	}
	if (j->res->query)
		apiv3_query_result_free(j->res->query);
	free(j->res->query);
	j->res->query = q;
	answer_clear(&a);
	job_attempt_clear(j);
	job_deliver(e, j, true);
}

static void job_completed(struct reversal_engine *e, struct rv_job *j,
			  const struct http_response *r)
{
	struct rv_answer a = {0};
	bool complete = r->curl_code == 0 && !r->truncated && r->status != 0;
	bool backup_now = false;

	if (j->mode != RV_REVERSE) {
		query_completed(e, j, r);
		return;
	}
	if (complete) {
		answer_http(j, r, &a);
		check_replay(e, r, &a);
	} else
		answer_transport(r, &a);
	record_attempt(e, j, r, &a);
	if (a.unreachable && !j->on_backup && profile_retry_url(j->partner)) {
		j->on_backup = true;
		backup_now = true;
	}
	absorb_answer(j, r, &a);
	if (a.retryable && !j->failed_store &&
	    j->res->attempts <= e->opts.max_retries) {
		int d = backup_now ? 0 : next_delay_ms(e, j, r);

		job_attempt_clear(j);
		j->due_mono = wx_monotonic_ms() + d;
		if (j->due_mono == 0)
			j->due_mono = 1;
		answer_clear(&a);
		return;
	}
	answer_clear(&a);
	settle_ambiguity(j);
	job_finish(e, j, true);
}

/* A retry that cannot even start ends the reversal with its last answer. */
static void job_retry(struct reversal_engine *e, struct rv_job *j)
{
	struct wx_err err = {{0}};

	if (job_start_attempt(e, j, &err) == 0)
		return;
	replace_str(&j->res->next, err.msg);
	settle_ambiguity(j);
	job_finish(e, j, true);
}

static struct rv_job *find_job(const struct reversal_engine *e,
			       const char *sub_mchid, const char *order)
{
	for (struct rv_job *j = e->jobs; j; j = j->next) {
		if (strcmp(j->res->sub_mchid, sub_mchid) == 0 &&
		    strcmp(j->res->out_trade_no, order) == 0)
			return j;
	}
	return NULL;
}

bool reversal_in_flight(const struct reversal_engine *e, const char *sub_mchid,
			const char *out_trade_no)
{
	return find_job(e, sub_mchid, out_trade_no) != NULL;
}

int reversal_check_idle(const struct reversal_engine *e, const char *sub_mchid,
			const char *out_trade_no, struct wx_err *err)
{
	if (!reversal_in_flight(e, sub_mchid, out_trade_no))
		return 0;
	return wx_err_set(err,
			  _("Order %s for %s is already in flight; wait for "
			    "its result before sending it again."),
			  out_trade_no, sub_mchid);
}

bool reversal_query_cancel(struct reversal_engine *e, const char *sub_mchid,
			   const char *out_trade_no)
{
	struct rv_job *j = find_job(e, sub_mchid, out_trade_no);

	/* Only a plain query: it moves nothing, so dropping it loses only
	 * its answer; a reversal or a settling query is never cancelled. */
	if (!j || j->mode != RV_QUERY)
		return false;
	keep_cancelled_query(e, j);
	job_deliver(e, j, false);
	return true;
}

/* Refuses, before anything is recorded, what http_start would refuse. */
static int check_endpoint(const char *url, const char *what, struct wx_err *err)
{
	char scheme[16], host[256];

	if (http_ready(err) != 0)
		return -1;
	if (!url || http_url_split(url, scheme, sizeof(scheme), host,
				   sizeof(host)) != 0)
		return wx_err_set(err,
				  _("%s \"%s\" is not a URL: fix it in "
				    "the profile."),
				  what, url ? url : "");
	if (wx_strcaseeq(scheme, "https"))
		return 0;
	if (wx_strcaseeq(scheme, "http") && http_host_is_loopback(host))
		return 0;
	return wx_err_set(err,
			  _("%s %s must use https:// (plain http:// is "
			    "only allowed to a loopback address): fix it "
			    "in the profile."),
			  what, url);
}

static int check_params(const struct reversal_engine *e,
			const struct reversal_params *p, struct wx_err *err)
{
	if (!p->partner || !p->sub || !p->out_trade_no || !p->op)
		return wx_err_set(err, _("partner, sub-merchant, order number "
					 "and operator are all required."));
	if (reversal_check_idle(e, p->sub->sub_mchid, p->out_trade_no, err) !=
	    0)
		return -1;
	if (p->note && wx_note_check(p->note, err) != 0)
		return -1;
	if (check_endpoint(p->partner->base_url, "base_url", err) != 0)
		return -1;
	if (p->partner->backup_url &&
	    check_endpoint(p->partner->backup_url, "backup_url", err) != 0)
		return -1;
	return 0;
}

static struct reversal_result *result_new(const struct reversal_params *p,
					  int64_t id)
{
	struct reversal_result *r = wx_xcalloc(1, sizeof(*r));

	r->history_id = id;
	r->out_trade_no = wx_xstrdup(p->out_trade_no);
	r->sp_mchid = wx_xstrdup(p->partner->sp_mchid);
	r->sub_mchid = wx_xstrdup(p->sub->sub_mchid);
	r->outcome = WX_PENDING;
	r->trade_state_before = wx_xstrdup(p->trade_state_before);
	r->amount_before = wx_xstrdup(p->amount_before);
	r->note = wx_xstrdup(p->note);
	r->op = wx_xstrdup(p->op);
	r->endpoint = wx_xstrdup(p->partner->base_url);
	return r;
}

static int begin_history(struct reversal_engine *e,
			 const struct reversal_params *p, int64_t *id,
			 struct wx_err *err)
{
	struct history_reversal hr = {0};
	int rc;

	hr.op = (char *)p->op;
	hr.note = (char *)p->note;
	hr.partner_name = p->partner->name;
	hr.sp_mchid = p->partner->sp_mchid;
	hr.sub_name = p->sub->name;
	hr.sub_mchid = p->sub->sub_mchid;
	hr.out_trade_no = (char *)p->out_trade_no;
	hr.endpoint = p->partner->base_url;
	hr.trade_state_before = (char *)p->trade_state_before;
	hr.outcome = WX_PENDING;
	rc = history_begin(e->history, &hr, err);
	if (rc == HISTORY_CLAIMED)
		return REVERSAL_CLAIMED;
	if (rc != 0)
		return err_not_written(err);
	*id = hr.id;
	return 0;
}

/* Starts the first attempt of a reversal whose pending row is committed. */
static int job_launch(struct reversal_engine *e,
		      const struct reversal_params *p, int64_t id,
		      struct wx_err *err)
{
	struct rv_job *j = wx_xcalloc(1, sizeof(*j));

	j->partner = p->partner;
	j->sub = p->sub;
	j->res = result_new(p, id);
	j->sender = p->sender;
	j->started_mono = wx_monotonic_ms();
	j->backoff_ms = e->opts.backoff_ms;
	j->uncommitted = e->filling;
	j->next = e->jobs;
	e->jobs = j;
	if (job_start_attempt(e, j, err) == 0)
		return 0;
	/* Signed or started nothing: the row must not stay pending. */
	j->res->outcome = WX_FAILED;
	replace_str(&j->res->code, REVERSAL_CODE_NOT_SENT);
	replace_str(&j->res->message, err->msg);
	job_finish(e, j, false);
	return -1;
}

int reversal_query_submit(struct reversal_engine *e,
			  const struct reversal_params *p, int64_t history_id,
			  struct wx_err *err)
{
	struct rv_job *j;

	if (check_params(e, p, err) != 0)
		return -1;
	j = wx_xcalloc(1, sizeof(*j));
	j->partner = p->partner;
	j->sub = p->sub;
	j->res = result_new(p, history_id);
	j->res->is_query = true;
	j->op = wx_xstrdup(p->op);
	j->res->outcome = WX_UNKNOWN;
	j->mode = history_id > 0 ? RV_SETTLE : RV_QUERY;
	j->started_mono = wx_monotonic_ms();
	j->next = e->jobs;
	e->jobs = j;
	if (job_start_attempt(e, j, err) == 0)
		return 0;
	job_deliver(e, j, false);
	return -1;
}

int reversal_submit(struct reversal_engine *e, const struct reversal_params *p,
		    int64_t *history_id, struct wx_err *err)
{
	int64_t id = 0;
	int rc;

	if (check_params(e, p, err) != 0)
		return -1;
	if (history_check_file(e->history, err) != 0)
		return -1;
	rc = begin_history(e, p, &id, err);
	if (rc != 0)
		return rc;
	if (history_id)
		*history_id = id;
	return job_launch(e, p, id, err);
}

/* The same order twice in one call would be two claims on it. */
static int check_repeat(const struct reversal_params *p, size_t i,
			struct wx_err *err)
{
	for (size_t k = 0; k < i; k++) {
		if (p[k].sub == p[i].sub &&
		    strcmp(p[k].out_trade_no, p[i].out_trade_no) == 0)
			return wx_err_set(err,
					  _("order %s of sub-merchant %s is "
					    "given twice: it is sent once."),
					  p[i].out_trade_no,
					  p[i].sub->sub_mchid);
	}
	return 0;
}

/* A group's commit failed: its pending rows and first attempts are not
 * in the history, so their transfers are dropped before anything was
 * sent and the reversals end with nothing to record. Returns how many
 * were dropped. */
static size_t unlaunch(struct reversal_engine *e, int64_t *ids, size_t n,
		       struct wx_err *errs, const struct wx_err *why)
{
	size_t dropped = 0;

	for (size_t i = 0; i < n; i++) {
		struct rv_job *j = e->jobs;

		while (j && !(j->mode == RV_REVERSE && j->res->history_id ==
						       ids[i]))
			j = j->next;
		if (!ids[i] || !j)
			continue;
		errs[i] = *why;
		err_not_written(&errs[i]);
		job_deliver(e, j, false);
		ids[i] = 0;
		dropped++;
	}
	return dropped;
}

size_t reversal_submit_many(struct reversal_engine *e,
			    const struct reversal_params *p, size_t n,
			    int64_t *ids, struct wx_err *errs)
{
	struct wx_err gerr = {{0}};
	size_t started = 0;
	bool joined = e->filling; /* the poll's group commits them */

	if (history_check_file(e->history, &gerr) != 0) {
		for (size_t i = 0; i < n; i++) {
			ids[i] = 0;
			errs[i] = gerr;
		}
		return 0;
	}
	/* One commit holds the group's pending rows and first attempts, before
	 * any byte leaves: http_start only queues a transfer, and nothing is
	 * sent before the next reversal_engine_poll. */
	if (!joined)
		history_group_begin(e->history);
	for (size_t i = 0; i < n; i++) {
		ids[i] = 0;
		if (check_params(e, &p[i], &errs[i]) == 0 &&
		    check_repeat(p, i, &errs[i]) == 0 &&
		    begin_history(e, &p[i], &ids[i], &errs[i]) == 0 &&
		    job_launch(e, &p[i], ids[i], &errs[i]) == 0)
			started++;
		else
			ids[i] = 0;
	}
	if (!joined && history_group_end(e->history, &gerr) != 0)
		started -= unlaunch(e, ids, n, errs, &gerr);
	return started;
}

static void drain_transfers(struct reversal_engine *e)
{
	struct http_transfer *t;

	while ((t = http_client_next_done(e->http)) != NULL) {
		struct rv_job *j = http_transfer_user(t);
		bool ours = false;

		for (struct rv_job *k = e->jobs; k; k = k->next)
			ours = ours || (k == j && k->xfer == t);
		if (!ours) {
			http_transfer_free(t);
			continue;
		}
		job_completed(e, j, http_transfer_response(t));
	}
}

static void fire_timers(struct reversal_engine *e)
{
	int64_t now = wx_monotonic_ms();
	struct rv_job *j = e->jobs;

	while (j) {
		struct rv_job *next = j->next;

		if (j->due_mono && j->due_mono <= now)
			job_retry(e, j);
		j = next;
	}
}

/* The poll timeout, shortened to the earliest back-off timer. */
static int timer_timeout(const struct reversal_engine *e, int timeout_ms)
{
	int64_t now = wx_monotonic_ms();
	int64_t t = timeout_ms < 0 ? INT_MAX : timeout_ms;

	for (const struct rv_job *j = e->jobs; j; j = j->next) {
		if (!j->due_mono)
			continue;
		if (j->due_mono - now < t)
			t = j->due_mono - now;
	}
	return t < 0 ? 0 : (int)t;
}

/* Waits on the extra descriptor only, when no transfer runs. */
static void idle_wait(int extra_fd, int timeout_ms, bool *fd_ready)
{
	struct pollfd pfd = {.fd = extra_fd, .events = POLLIN};
	int n;

	n = poll(extra_fd >= 0 ? &pfd : NULL, extra_fd >= 0 ? 1 : 0,
		 timeout_ms);
	if (fd_ready)
		*fd_ready = n > 0 && (pfd.revents & (POLLIN | POLLHUP));
}

/* Results handed out while writes still wait are flagged for the caller. */
static void mark_unsaved(struct rv_done *d)
{
	for (; d; d = d->next)
		d->res->unsaved = true;
}

/* With gather_ms: once an answer is in, the answers of the next few
 * milliseconds join it, so one commit (one sync) records them all. Stops
 * early when nothing else is in flight or the extra descriptor wakes. */
static void gather(struct reversal_engine *e, int extra_fd, bool *ready)
{
	int64_t until = wx_monotonic_ms() + e->opts.gather_ms;
	int64_t now;

	if (!e->opts.gather_ms || !http_client_has_done(e->http))
		return;
	while (!*ready && http_client_running(e->http) > 0 &&
	       (now = wx_monotonic_ms()) < until)
		presign_step(e, extra_fd, (int)(until - now), false, ready);
}

/* The poll's commit failed: what its fill launched is dropped before
 * anything left, each said in a result (the caller's submit had already
 * returned). */
static void drop_uncommitted(struct reversal_engine *e,
			     const struct wx_err *why)
{
	struct rv_job *j = e->jobs, *next;

	for (; j; j = next) {
		struct wx_err err = *why;

		next = j->next;
		if (!j->uncommitted)
			continue;
		err_not_written(&err);
		j->res->not_sent = true;
		j->res->outcome = WX_FAILED;
		replace_str(&j->res->code, REVERSAL_CODE_NOT_SENT);
		replace_str(&j->res->message, err.msg);
		job_deliver(e, j, true);
	}
}

static void mark_committed(struct reversal_engine *e)
{
	for (struct rv_job *j = e->jobs; j; j = j->next)
		j->uncommitted = false;
}

int reversal_engine_poll(struct reversal_engine *e, int extra_fd,
			 int timeout_ms, bool *fd_ready)
{
	return reversal_engine_poll_fill(e, extra_fd, timeout_ms, fd_ready,
					 NULL, NULL);
}

int reversal_engine_poll_fill(struct reversal_engine *e, int extra_fd,
			      int timeout_ms, bool *fd_ready,
			      reversal_fill_fn fill, void *ctx)
{
	int t = timer_timeout(e, timeout_ms);
	struct wx_err err = {{0}};
	struct rv_done **mark;
	bool ready = false;

	if (http_client_running(e->http) > 0) {
		presign_while_idle(e, extra_fd, &t, &ready);
		if (!ready && !http_client_has_done(e->http))
			http_client_poll(e->http, extra_fd, t, &ready);
		gather(e, extra_fd, &ready);
	} else {
		idle_wait(extra_fd, t, &ready);
	}
	if (fd_ready)
		*fd_ready = ready;
	/* Every answer that arrived together is recorded in one commit, and
	 * handed out only after it. */
	mark = e->done_tail;
	history_group_begin(e->history);
	drain_transfers(e);
	if (fill && !ready) {
		e->filling = true;
		fill(ctx, e);
		e->filling = false;
	}
	if (history_group_end(e->history, &err) != 0) {
		for (struct rv_done *d = *mark; d; d = d->next)
			note_unrecorded(d->res, err.msg);
		drop_uncommitted(e, &err);
	}
	mark_committed(e);
	/* Retries commit their attempt before sending: outside the group. */
	fire_timers(e);
	if (history_flush(e->history) > 0)
		mark_unsaved(*mark);
	return reversal_engine_active(e);
}

struct reversal_result *reversal_engine_next_done(struct reversal_engine *e)
{
	struct rv_done *d = e->done;
	struct reversal_result *r;

	if (!d)
		return NULL;
	e->done = d->next;
	if (!e->done)
		e->done_tail = &e->done;
	r = d->res;
	free(d);
	return r;
}

int reversal_engine_active(const struct reversal_engine *e)
{
	int n = 0;

	for (const struct rv_job *j = e->jobs; j; j = j->next)
		n++;
	return n;
}

static bool is_flight(const struct rv_job *j, const void *sender)
{
	return !j->res->is_query && (!sender || j->sender == sender);
}

int reversal_flights(const struct reversal_engine *e, const void *sender)
{
	int n = 0;

	for (const struct rv_job *j = e->jobs; j; j = j->next)
		n += is_flight(j, sender);
	return n;
}

bool reversal_flight(const struct reversal_engine *e, const void *sender,
		     int i, struct reversal_flight *f)
{
	/* The list is newest first: the i-th oldest is this far from it. */
	int skip = reversal_flights(e, sender) - 1 - i;
	const struct rv_job *j = e->jobs;

	if (i < 0 || skip < 0)
		return false;
	while (j && !(is_flight(j, sender) && skip-- == 0))
		j = j->next;
	if (!j)
		return false;
	f->history_id = j->res->history_id;
	f->sub_mchid = j->res->sub_mchid;
	f->out_trade_no = j->res->out_trade_no;
	f->amount_before = j->res->amount_before;
	f->started_ms = j->started_mono;
	f->attempt = j->res->attempts;
	return true;
}

/* Records the attempt that was cut short, so the detail view shows it. */
static void record_abandoned(struct reversal_engine *e, struct rv_job *j)
{
	struct http_response r = {0};
	struct rv_answer a = {0};

	snprintf(r.error, sizeof(r.error), "%s",
		 _("abandoned before the answer arrived"));
	r.latency_ms = wx_monotonic_ms() - j->attempt_mono;
	a.transport_error = wx_xstrdup(r.error);
	record_attempt(e, j, &r, &a);
	j->res->latency_ms += r.latency_ms;
	answer_clear(&a);
}

static void job_abandon(struct reversal_engine *e, struct rv_job *j)
{
	struct reversal_result *r = j->res;

	if (j->mode != RV_REVERSE) {
		/* The reversal's row is already `unknown`: it stays so. */
		job_attempt_clear(j);
		job_deliver(e, j, true);
		return;
	}
	if (j->xfer) {
		record_abandoned(e, j);
		j->ambiguous = true;
	}
	job_attempt_clear(j);
	settle_ambiguity(j);
	if (r->outcome == WX_PENDING || j->ambiguous) {
		r->outcome = WX_UNKNOWN;
		replace_str(&r->code, REVERSAL_CODE_INTERRUPTED);
		replace_str(&r->message,
			    N_("wxrev stopped waiting for WeChat Pay's answer"));
		replace_str(&r->explain,
			    _("The request may have reached WeChat Pay; its "
			      "answer was not seen."));
		replace_str(&r->next, wx_outcome_advice(WX_UNKNOWN));
	}
	job_finish(e, j, true);
}

void reversal_engine_abandon(struct reversal_engine *e)
{
	e->abandoning = true;
	while (e->jobs)
		job_abandon(e, e->jobs);
	e->abandoning = false;
}

void reversal_engine_free(struct reversal_engine *e)
{
	if (!e)
		return;
	reversal_engine_abandon(e);
	signer_stop(e);
	while (e->npre > 0)
		presigned_drop(e, e->npre - 1);
	while (e->done)
		reversal_result_free(reversal_engine_next_done(e));
	http_client_free(e->http);
	for (size_t i = 0; i < REPLAY_BUCKETS; i++) {
		while (e->seen[i]) {
			struct rv_seen *s = e->seen[i];

			e->seen[i] = s->next;
			free(s->nonce);
			free(s);
		}
	}
	free(e);
}
