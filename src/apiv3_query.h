/* apiv3_query: what WeChat Pay's partner order query (服务商 查询订单)
 * answers, and what it means for the desk.
 *
 * Owns: nothing past a call; every string in a result is malloc'd and freed
 * by apiv3_query_result_free. Pure functions, like apiv3 (the request is
 * built by apiv3_query_build); unit-tested in tests/unit/test_query.c.
 * Policy: only a verified 200 that names the order, partner and
 * sub-merchant asked for, or a verified 404 ORDER_NOT_EXIST, says anything
 * about the order; every other answer is an error of the query itself.
 * One table (apiv3_trade_state_info) holds every trade state's name, its
 * words for the desk and what it means for a reversal. */
#ifndef WXREV_APIV3_QUERY_H
#define WXREV_APIV3_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apiv3.h"

/* What a query learned about the order's trade state. */
enum apiv3_trade_state {
	APIV3_TS_NONE = 0,   /* nothing verified was learned */
	APIV3_TS_SUCCESS,    /* paid */
	APIV3_TS_REFUND,     /* (partly) refunded */
	APIV3_TS_NOTPAY,     /* not paid */
	APIV3_TS_CLOSED,     /* closed (an unpaid order reversed or closed) */
	APIV3_TS_REVOKED,    /* reversed (撤销) */
	APIV3_TS_USERPAYING, /* the payer is still entering the password */
	APIV3_TS_PAYERROR,   /* the payment failed (e.g. the bank refused) */
	APIV3_TS_ACCEPT,     /* accepted, payment not yet confirmed */
	APIV3_TS_NOT_FOUND,  /* verified 404 ORDER_NOT_EXIST */
	APIV3_TS_OTHER,      /* a trade_state wxrev does not know */
};

/* One row of the trade-state table. */
struct apiv3_state_info {
	enum apiv3_trade_state state; /* the row's state */
	const char *name;	 /* as WeChat Pay spells it; ORDER_NOT_EXIST */
	const char *words;	 /* English words for the confirmation */
	bool nothing_to_reverse; /* REVOKED, CLOSED, REFUND, no such order:
				    the confirmation starts on Cancel and
				    sending needs an override */
};

/* The table row of a state; never NULL (NONE and OTHER have rows). */
const struct apiv3_state_info *
apiv3_trade_state_info(enum apiv3_trade_state s);
/* "SUCCESS", ...; "" for APIV3_TS_NONE. */
const char *apiv3_trade_state_name(enum apiv3_trade_state s);
/* A trade_state string (or ORDER_NOT_EXIST) to the enum; APIV3_TS_OTHER
 * for an unknown one, APIV3_TS_NONE for NULL or "". */
enum apiv3_trade_state apiv3_trade_state_parse(const char *name);

/* What a verified query showing `after` makes of a reversal whose outcome
 * is unknown; `before` is what a query said before the reversal was sent
 * (APIV3_TS_NONE when there was none). WX_REVERSED for REVOKED, or CLOSED
 * unless the order was seen paid (a reversal turns a paid order REVOKED);
 * WX_FAILED for SUCCESS, NOTPAY, USERPAYING (the reversal did not happen,
 * re-running is safe); WX_UNKNOWN for everything else. */
enum wx_outcome apiv3_settle_outcome(enum apiv3_trade_state after,
				     enum apiv3_trade_state before);

/* The order as a verified query answer describes it. */
struct apiv3_order_info {
	enum apiv3_trade_state state; /* parsed trade_state */
	char *trade_state;	      /* as sent */
	char *trade_state_desc;	      /* as sent (Chinese); NULL if absent */
	int64_t amount_total;	      /* fen; -1 when absent */
	int64_t payer_total;	      /* fen; -1 when absent */
	char *currency;		      /* "CNY"; NULL when absent */
	char *success_time;	      /* RFC 3339 as sent; NULL when absent */
	int64_t success_epoch;	      /* seconds since the epoch; 0 if absent */
	int success_offset_min;	      /* its UTC offset, minutes east */
	char *transaction_id;	      /* NULL when absent (also below) */
	char *trade_type;	      /* MICROPAY for payment-code orders */
	char *bank_type;
	char *attach;
	char *sp_openid;  /* masked (apiv3_mask_openid) */
	char *sub_openid; /* masked */
};

/* How the query went. */
enum apiv3_query_kind {
	APIV3_Q_ANSWERED,  /* verified 200 naming the order: `order` filled */
	APIV3_Q_NOT_FOUND, /* verified 404 ORDER_NOT_EXIST */
	APIV3_Q_REFUSED,   /* verified 4xx/5xx/429: the query was refused or
			      WeChat Pay could not answer */
	APIV3_Q_UNTRUSTED, /* any answer that is not verified, a 200 naming
			      another order or not as documented, or no
			      answer at all (status 0) */
};

struct apiv3_query_result {
	enum apiv3_query_kind kind;   /* see above */
	bool retryable;		      /* 5xx/429: asking again may work */
	struct apiv3_order_info order; /* when APIV3_Q_ANSWERED */
	char *code;    /* WeChat Pay's or a local code; NULL when answered */
	char *message; /* as sent, or ours */
	char *explain; /* English explanation */
	char *next;    /* what the operator does next */
};

/* Classifies one query answer; expected_* are what was asked. Returns -1
 * only when res is NULL; res is always filled otherwise. */
int apiv3_query_classify(long status, const char *body, size_t body_len,
			 enum apiv3_verdict verdict, const char *expected_order,
			 const char *expected_sp_mchid,
			 const char *expected_sub_mchid,
			 struct apiv3_query_result *res);
void apiv3_query_result_free(struct apiv3_query_result *res);

/* RFC 3339 date-time with an offset ("2026-11-30T14:02:00+08:00", "Z",
 * optional fraction) to seconds since the epoch and the offset in minutes;
 * -1 when it is not one. */
int apiv3_parse_rfc3339(const char *s, int64_t *epoch, int *offset_min);

/* The order in words for a confirmation, from a query made at `now`
 * (seconds): "Paid ¥128.00 (CNY) on 2026-11-30 14:02, 3 h ago — reversing
 * refunds ¥128.00 to the payer", "Not paid — reversing closes it", "No such
 * order for this sub-merchant", "Could not read the order: ..." and so on
 * (one sentence per state, from apiv3_trade_state_info). A paid order older
 * than 7 days says WeChat Pay will refuse (REVERSE_EXPIRE) and that a
 * refund is the way. Times are shown in the answer's own UTC offset.
 * Translated; malloc'd. */
char *apiv3_order_words(const struct apiv3_query_result *q, int64_t now);

/* When the order was paid ("2026-11-30 14:02"), in the answer's own UTC
 * offset, the way the reader's language writes dates. */
void apiv3_paid_when(const struct apiv3_order_info *o, char *buf, size_t n);

/* First four and last four characters with "…" between; "***" for short
 * or absent ids. malloc'd. */
char *apiv3_mask_openid(const char *openid);

#endif
