/* reversal: one operator intent = one history entry with its attempts.
 *
 * The engine owns an http client and, once a list offers requests to sign
 * ahead (reversal_presign), a thread that signs them; it borrows the
 * history and the profiles.
 * It is event-driven: the caller's loop calls reversal_engine_poll(), which
 * waits for network activity, an extra descriptor (stdin in the TUI) or the
 * next back-off timer, never longer than the timeout it is given.
 * Safety: reversal_submit() commits the `pending` row before anything is
 * sent and refuses the same order for the same sub-merchant while it is in
 * flight. Every attempt is recorded (signature redacted) as it completes,
 * and the final outcome is committed before the result is handed out.
 * Group commit: the answers one reversal_engine_poll() sees are recorded
 * in one transaction, committed before any of them is handed out.
 * Retries: failed-class answers and transport errors are retried
 * with the same parameters at most twice, with back-off, honouring
 * Retry-After, moving to backup_url when the main host cannot be reached. */
#ifndef WXREV_REVERSAL_H
#define WXREV_REVERSAL_H

#include <stdbool.h>
#include <stdint.h>

#include "apiv3_query.h"
#include "history.h"
#include "outcome.h"
#include "profile.h"
#include "util.h"

struct reversal_engine;

struct reversal_options {
	int max_retries;	/* retries after the first attempt; default 2 */
	int backoff_ms;		/* first back-off, doubled each time; 1000 */
	int retry_after_cap_ms; /* longest Retry-After honoured; 60000 */
	bool settle; /* query an unknown outcome before handing it out */
	int gather_ms; /* a poll that sees an answer waits up to this long
			  for more while others are in flight, so that they
			  share one commit (a list); 0: hand it out at once */
};

struct reversal_params {
	const struct wx_partner *partner; /* borrowed */
	const struct wx_sub *sub;	  /* borrowed, belongs to partner */
	const char *out_trade_no;	  /* already checked by apiv3 */
	const char *note;		  /* NULL or ticket/reason */
	const char *op;			  /* operator name */
	const char *trade_state_before;	  /* what a query said before, or
					     NULL */
	const char *amount_before; /* the amount that query read, as the
				      caller shows it ("¥128.00"), or NULL */
	const void *sender; /* the caller's mark, or NULL: a front end with
			       several senders finds its own flights */
};

/* The final word on one reversal. Owned by the caller. */
struct reversal_result {
	int64_t history_id;
	char *out_trade_no;
	char *sp_mchid;
	char *sub_mchid;
	enum wx_outcome outcome;
	int http_status;  /* last status, 0 if none */
	char *code;	  /* NULL on success */
	char *message;	  /* as sent by WeChat Pay, or a local explanation */
	char *explain;	  /* English explanation of the code */
	char *next;	  /* what to do next */
	char *request_id; /* last Request-ID, NULL if none */
	bool verified;	  /* last answer's signature verified */
	int attempts;
	int64_t latency_ms;
	char *trade_state_before; /* a query's trade_state before sending */
	char *amount_before;	  /* reversal_params.amount_before, or NULL */
	char *trade_state_after;  /* the settling or plain query's */
	const char *settled_by;	  /* "answer", "query", or NULL (static) */
	struct apiv3_query_result *query; /* the last query's reading (owned),
					     NULL when none was made */
	char *note;     /* the note it was sent with, NULL when none */
	char *op;       /* the operator who sent it */
	char *endpoint; /* the partner's base_url, as the history keeps it */
	bool is_query; /* a query (reversal_query_submit), not a reversal */
	bool unsaved; /* the history has not stored it yet (see
			 history_unsaved); the caller waits or journals */
	bool not_sent; /* submitted in a fill whose commit failed: nothing
			  was sent, the history holds nothing of it, and
			  message says why (code REVERSAL_CODE_NOT_SENT) */
};

/* Local codes for answers that did not come from WeChat Pay. */
/* Nothing reached the host (one spelling with the history's). */
#define REVERSAL_CODE_NOT_SENT	  HISTORY_CODE_NOT_SENT
#define REVERSAL_CODE_NO_ANSWER	  "NO_ANSWER" /* sent, no complete answer */
#define REVERSAL_CODE_TOO_LARGE	  "RESPONSE_TOO_LARGE" /* body over the cap */
#define REVERSAL_CODE_INTERRUPTED HISTORY_CODE_INTERRUPTED

/* reversal_submit: the order is claimed by another process or window. */
#define REVERSAL_CLAIMED HISTORY_CLAIMED

/* Fills the defaults (2 retries, 1000 ms, 60000 ms, no settling query,
 * no gathering). */
void reversal_options_default(struct reversal_options *opts);

/* opts may be NULL for the defaults. */
struct reversal_engine *reversal_engine_new(struct history *h,
					    const struct reversal_options *opts,
					    struct wx_err *err);
void reversal_engine_free(struct reversal_engine *e);

/* Commits the pending row (the claim) and starts the first attempt. On
 * failure nothing was sent and err says why: REVERSAL_CLAIMED when a live
 * claim is held elsewhere (err names who), else -1 (history not writable,
 * deleted or replaced, already in flight here, plain http to a
 * non-loopback host, ...). */
int reversal_submit(struct reversal_engine *e, const struct reversal_params *p,
		    int64_t *history_id, struct wx_err *err);

/* Group commit of several orders: their pending rows and first attempts
 * are committed in one transaction, then start (nothing leaves before that
 * commit: a transfer is only queued until the next reversal_engine_poll).
 * Called from a fill, that transaction is the poll's (see
 * reversal_engine_poll_fill), and a failed commit comes as results.
 * When that commit fails, none of them is in the history and none is
 * sent. ids[i] is the history id
 * of order i, or 0 when it was refused (errs[i] says why, nothing of it was
 * sent). Returns how many started. */
size_t reversal_submit_many(struct reversal_engine *e,
			    const struct reversal_params *p, size_t n,
			    int64_t *ids, struct wx_err *errs);

/* Signing ahead. A list offers the orders it will submit next; the engine
 * signs their first requests while it would otherwise wait for answers
 * (inside reversal_engine_poll), so that the signing overlaps WeChat Pay's
 * answering instead of following it. Nothing is recorded or sent: the
 * submit of the same order (same partner, sub-merchant and out_trade_no)
 * takes the signed request when it is at most REVERSAL_PRESIGN_MAX_S old,
 * and records and sends it as it would a fresh one (pending row and
 * attempt committed first). The order number is copied: a list stopped
 * in the UI is freed while its offers wait in the engine; partner and sub
 * are the session's profiles. Offers are taken in the order of the submits:
 * past REVERSAL_PRESIGN_MAX waiting, the oldest is dropped. On a machine with
 * more than one processor a thread of the engine's own signs them (the
 * first offer starts it, reversal_engine_free stops it), so that signing
 * also overlaps the engine's own sending, receiving and recording; the
 * profiles must therefore outlive the engine. */
#define REVERSAL_PRESIGN_MAX   16
#define REVERSAL_PRESIGN_MAX_S 60
void reversal_presign(struct reversal_engine *e,
		      const struct reversal_params *p);

/* Queries one order (GET, verified like a reversal's answer) on the same
 * connection cache. With history_id 0 it is a plain query: nothing is
 * written and the result's `query` holds the reading. With the id of an
 * `unknown` reversal it settles it: the query is kept as one of its
 * requests and a verified answer settles it (apiv3_settle_outcome, with
 * p->trade_state_before). The result comes through next_done with
 * is_query set. Fails (nothing sent) on bad parameters or while the same
 * order is in flight. */
int reversal_query_submit(struct reversal_engine *e,
			  const struct reversal_params *p, int64_t history_id,
			  struct wx_err *err);
/* Drops a plain query (reversal_query_submit with history_id 0) of the
 * order that is still in flight: nothing was recorded for it and no result
 * will come. False when there is none (a reversal is never dropped). */
bool reversal_query_cancel(struct reversal_engine *e, const char *sub_mchid,
			   const char *out_trade_no);

/* Drives transfers and timers for at most timeout_ms; *fd_ready tells
 * whether extra_fd (-1: none) became readable. Returns the number of
 * reversals still in flight. */
int reversal_engine_poll(struct reversal_engine *e, int extra_fd,
			 int timeout_ms, bool *fd_ready);

/* Called by reversal_engine_poll_fill between recording the answers and
 * committing them: what it submits joins that commit. */
typedef void (*reversal_fill_fn)(void *ctx, struct reversal_engine *e);

/* reversal_engine_poll, where `fill` submits the next reversals inside the
 * poll's group commit: the answers that arrived and the next pending rows
 * and first attempts share one transaction (one sync to disk a turn of a
 * list instead of two). Nothing fill submits leaves, and no result is
 * handed out, before that commit; when it fails, each reversal fill
 * submitted ends as a result with not_sent set. fill is not called when
 * extra_fd woke (the caller reads it first: a stop is seen before anything
 * more is sent). */
int reversal_engine_poll_fill(struct reversal_engine *e, int extra_fd,
			      int timeout_ms, bool *fd_ready,
			      reversal_fill_fn fill, void *ctx);

/* Next finished reversal, or NULL. Free with reversal_result_free. */
struct reversal_result *reversal_engine_next_done(struct reversal_engine *e);
void reversal_result_free(struct reversal_result *r);

/* Stops waiting for every reversal in flight: running transfers are
 * aborted and recorded, and each reversal is finished as `unknown`
 * (INTERRUPTED) when a request may have reached WeChat Pay, else with its
 * last failed answer. The results are queued for reversal_engine_next_done.
 * reversal_engine_free() does the same for whatever is still in flight. */
void reversal_engine_abandon(struct reversal_engine *e);

int reversal_engine_active(const struct reversal_engine *e);
/* Until when (monotonic ms) WeChat Pay asked, by a 429 or a Retry-After,
 * that nothing be sent; 0 when it never did. The engine's own retries wait
 * for it; a front end sending many orders holds new ones too. */
int64_t reversal_engine_hold_until(const struct reversal_engine *e);
bool reversal_in_flight(const struct reversal_engine *e, const char *sub_mchid,
			const char *out_trade_no);
/* 0 when the order is not in flight here, else -1 with err saying so:
 * the one wording of that refusal, for every front end. */
int reversal_check_idle(const struct reversal_engine *e, const char *sub_mchid,
			const char *out_trade_no, struct wx_err *err);

/* One reversal in flight (a query is none), as reversal_flight hands it
 * out. The strings are the engine's: valid until the next call that
 * submits, polls or abandons. */
struct reversal_flight {
	int64_t history_id;	  /* its history row */
	const char *sub_mchid;	  /* whose order */
	const char *out_trade_no; /* the order */
	const char *amount_before; /* reversal_params.amount_before, or NULL */
	int64_t started_ms;	  /* submitted at (monotonic ms) */
	int attempt;		  /* attempts made so far */
};

/* Reversals in flight sent with `sender` (NULL: every one). */
int reversal_flights(const struct reversal_engine *e, const void *sender);
/* The i-th of them, oldest first (the form's list of what is in flight);
 * false when there are i or fewer. */
bool reversal_flight(const struct reversal_engine *e, const void *sender,
		     int i, struct reversal_flight *f);

#endif
