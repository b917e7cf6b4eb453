/* listrun: a checked list of orders being reversed, without any screen.
 *
 * The one home of the rules both front ends follow (`wxrev reverse --from`
 * in cli_batch.c and the UI's list view in tui/listview.c): what the
 * history already knows (a resume skips `reversed` orders, settles
 * `unknown` ones by the order query first, sends `failed` and `rejected`
 * ones again), the plan's reading of every order's state and the amount it
 * refunds, the count an operator types to confirm a long list, the pace
 * (at most `rate` a second, a few in flight, pending rows committed in
 * groups, 429 and Retry-After slowing everyone), stopping, and the tallies
 * progress and summaries are made of.
 *
 * The caller owns the loop: it polls the engine, hands every result to
 * listrun_answer (queries) or listrun_take (reversals), and calls
 * listrun_ask while planning and listrun_send_due while sending.
 * Owns: the items (struct listrun_item) and what they point to, freed by
 * listrun_free; borrows the list's entries and the profiles. */
#ifndef WXREV_LISTRUN_H
#define WXREV_LISTRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apiv3_query.h"
#include "history.h"
#include "orderlist.h"
#include "outcome.h"
#include "profile.h"
#include "reversal.h"

#define LISTRUN_DEFAULT_RATE 10	 /* orders a second, per partner */
#define LISTRUN_MAX_RATE 10000	 /* the highest pace accepted */
#define LISTRUN_IN_FLIGHT 16	 /* reversals in flight at once */
#define LISTRUN_CONFIRM_TYPED 10 /* longer lists: the count is typed */
#define LISTRUN_QUERIES 4	 /* plan and settling queries at once */
#define LISTRUN_POLL_MS 200	 /* longest wait the pace asks for */
#define LISTRUN_GATHER_MS 4	 /* answers gathered into one commit */

/* Where one order of the list stands. */
enum listrun_state {
	LR_TODO,	  /* to be sent */
	LR_SKIP_REVERSED, /* the history says reversed: skipped */
	LR_SKIP_UNKNOWN,  /* the history says unknown: skipped */
	LR_SKIP_CLAIMED,  /* pending in another live wxrev: skipped */
	LR_SKIP_NOTHING,  /* the order query says there is nothing to
			     reverse: skipped unless send_anyway */
	LR_IN_FLIGHT,	  /* submitted, no result yet */
	LR_DONE,	  /* result recorded and reported */
	LR_NOT_SENT,	  /* refused before sending (see why) */
};

/* One unique order of the list. */
struct listrun_item {
	const struct orderlist_entry *e; /* borrowed from the list */
	const struct wx_sub *sub;	 /* borrowed from the profiles */
	enum listrun_state state;	 /* where it stands */
	int prior;			 /* the history's outcome of it
					    (enum wx_outcome), -1: none */
	int64_t history_id;		 /* this run's row, or the prior one */
	bool settle;			 /* its unknown prior is to be
					    settled by the order query */
	bool asked;			 /* its plan query was sent */
	bool asking;			 /* ... and is in flight */
	enum apiv3_trade_state trade_state; /* the query's reading;
					       APIV3_TS_NONE: none */
	int64_t amount;			 /* fen, -1 when not read */
	char currency[8];		 /* "CNY"; "" when not read */
	enum wx_outcome outcome;	 /* LR_DONE: the outcome */
	int http_status;		 /* LR_DONE: last status, 0: none */
	char *code;			 /* LR_DONE: code (owned), NULL: none */
	char *why;			 /* LR_NOT_SENT: why (owned) */
};

/* Counts for progress, the summary and the exit status. */
struct listrun_counts {
	int outcome[WX_UNKNOWN + 1]; /* results of this run, by outcome */
	int skip_reversed;	     /* skipped: already reversed */
	int skip_unknown;	     /* skipped: unknown, not resent */
	int skip_claimed;	     /* skipped: claimed by another wxrev */
	int skip_nothing;	     /* skipped: nothing to reverse */
	int not_sent;		     /* refused at submit */
	int done;		     /* results of this run */
	int to_send;		     /* orders this run means to send */
	int asked_settle;	     /* settling queries sent */
	int settled;		     /* ... that settled the outcome */
};

/* The whole run. Fields below `c` are the pace's; callers read them only
 * through the functions. */
struct listrun {
	struct listrun_item *items; /* owned: unique orders in list order */
	size_t n;		    /* entries in items */
	struct listrun_counts c;    /* tallies */
	int max_rate;		    /* orders a second asked for */
	bool resend_unknown;	    /* unknown priors are sent again */
	bool send_anyway;	    /* orders the query says have nothing
				       to reverse are sent too */
	bool want_states;	    /* the plan reads every order's state */
	bool stopped;		    /* nothing new is sent */
	const char *op;		    /* operator name (borrowed) */
	size_t next;		    /* next item to consider sending */
	size_t next_offer;	    /* next item to offer for signing ahead */
	size_t next_ask;	    /* next item to consider asking about */
	int asking;		    /* plan queries in flight */
	double rate;		    /* current pace (orders a second) */
	double next_send;	    /* monotonic ms of the next send */
	int64_t last_adapt;	    /* monotonic ms of the last pace check */
	int64_t hold_seen;	    /* last hold the engine reported */
	int64_t started;	    /* monotonic ms when sending began */
	int submit_failures;	    /* consecutive refused submits */
};

/* The sub-merchants a list may name: lines without one take `dflt`, others
 * are looked up within dflt's partner (the rule of --sub). */
struct listrun_subs {
	const struct wx_profiles *profiles; /* borrowed */
	const struct wx_sub *dflt;	    /* borrowed */
};

/* An orderlist_resolve_fn over a struct listrun_subs. */
const void *listrun_resolve_sub(void *ctx, const char *sub, const char **key,
				struct wx_err *err);

/* The items of a resolved list without problems (repeats left out). */
void listrun_init(struct listrun *r, const struct orderlist *l, int rate,
		  bool resend_unknown, const char *op);
void listrun_free(struct listrun *r);

/* Looks every order up in the history; -1 with err filled when it cannot
 * be read (nothing may be sent then). */
int listrun_look_up(struct listrun *r, struct history *h, struct wx_err *err);
/* Sends the next plan queries (settling ones first, then, with
 * want_states, one per order to send) while fewer than LISTRUN_QUERIES are
 * in flight. Returns true while the plan still waits for answers. */
bool listrun_ask(struct listrun *r, struct reversal_engine *e);
/* A query's result: true when it was one of the plan's (its reading and,
 * for a settling query, the outcome it settled are taken). */
bool listrun_answer(struct listrun *r, const struct reversal_result *res);
/* Once every answer is in: each order's state and the counts. An order
 * the query read as having nothing to reverse (the confirmation's rule,
 * apiv3_state_info.nothing_to_reverse) is skipped unless send_anyway. May
 * be called again after resend_unknown or send_anyway changed (then
 * listrun_ask first reads what the change added). */
void listrun_plan_done(struct listrun *r);
/* Whether this order's plan query read nothing to reverse. */
bool listrun_nothing_to_reverse(const struct listrun_item *it);
/* The count to type to confirm (a list of more than
 * LISTRUN_CONFIRM_TYPED), 0 when y will do. */
int listrun_typed_count(const struct listrun *r);

/* What the plan read: orders to send that are paid (their total refunded
 * to the payers, in words, e.g. "¥1,280.00"), not paid, with nothing to
 * reverse (sent only with send_anyway, skipped otherwise), and not
 * read. */
struct listrun_reading {
	int paid;	    /* SUCCESS: refunded */
	int unpaid;	    /* NOTPAY, USERPAYING, PAYERROR, ACCEPT: closed */
	int nothing;	    /* the query says there is nothing to reverse */
	int unread;	    /* no state read */
	char total[64];	    /* the paid orders' amount, "" when none */
	bool mixed;	    /* more than one currency: total is the first's */
};
void listrun_reading(const struct listrun *r, struct listrun_reading *out);

/* Sending. listrun_start before the first listrun_send_due, which sends
 * what the pace and the in-flight limit allow (pending rows in one
 * commit), offers the orders after them for signing ahead
 * (reversal_presign), and returns how long the loop may wait before the
 * next send.
 * `refused` (may be NULL) is told of each order refused at submit. */
void listrun_start(struct listrun *r);
int listrun_send_due(struct listrun *r, struct reversal_engine *e,
		     void (*refused)(void *ctx, const struct listrun_item *it),
		     void *ctx);
/* A reversal's result: its item, or NULL when it is none of this run's.
 * A result with not_sent leaves the item LR_NOT_SENT (its why said), as
 * a refusal at submit does. */
struct listrun_item *listrun_take(struct listrun *r,
				  const struct reversal_result *res);
/* A 429 or Retry-After halves the pace; it grows back by one a second. */
void listrun_adapt(struct listrun *r, struct reversal_engine *e);
/* Whether orders remain to be sent (not stopped, not given up). */
bool listrun_more(const struct listrun *r);
/* Orders that will not be sent now: still to do, or refused. */
int listrun_unsent(const struct listrun *r);
/* "12/40  9.8/s  reversed 11  rejected 0  failed 1  unknown 0  0:03 left" */
void listrun_progress(const struct listrun *r, char *buf, size_t n);
/* Why an order was skipped, in words (LR_SKIP_NOTHING: see
 * listrun_item_skip_reason, which names the state read). */
const char *listrun_skip_reason(enum listrun_state s);
/* Why this order was skipped, in words: the reason above, with the trade
 * state read for one with nothing to reverse. */
void listrun_item_skip_reason(const struct listrun_item *it, char *buf,
			      size_t n);

#endif
