/* config: the simulator's world, loaded from a JSON file.
 *
 * Owns merchants, keys, TLS material and the order table. Paths inside the
 * file are relative to the file. The order table grows at run time through
 * the control endpoint; the caller serialises access to it (handler.c holds
 * a mutex around every read and write of orders and their faults). */
#ifndef WXPAY_SIM_CONFIG_H
#define WXPAY_SIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "simutil.h"

/* Seven days: older orders answer REVERSE_EXPIRE. */
#define CONFIG_REVERSE_WINDOW_S ((int64_t)7 * 24 * 3600)

enum order_state {
	ORDER_PAID,
	ORDER_NOTPAY,
	ORDER_USERPAYING,
	ORDER_REVERSED,
	ORDER_CLOSED,
	ORDER_REFUND,
	ORDER_PAYERROR, /* payment failed; a reversal closes it */
	ORDER_ACCEPT,	/* accepted, not yet charged; reversal: USERPAYING */
};

/* Default amount of an order, in fen (¥128.00). */
#define CONFIG_DEFAULT_AMOUNT 12800

enum fault_type {
	FAULT_NONE,
	FAULT_DELAY,
	FAULT_FAIL_500,
	FAULT_RATE_LIMIT,
	FAULT_UNAVAILABLE_503,
	FAULT_DROP,
	FAULT_BAD_SIGNATURE,
	FAULT_NO_SIGNATURE,
	FAULT_UNKNOWN_SERIAL,
	FAULT_SKEWED_TIMESTAMP,
	FAULT_MALFORMED_JSON,
	FAULT_OVERSIZED,
	FAULT_PROBE_SIGNATURE,
	FAULT_TRICKLE,
	FAULT_WRONG_ORDER,
	FAULT_ESCAPE_MESSAGE,
	FAULT_NOT_FOUND, /* 404 ORDER_NOT_EXIST for an order that exists */
	FAULT_LOST_ANSWER, /* processed, then `ms` of silence and a close */
	FAULT_DROP_REUSED, /* drop, but only on a reused keep-alive connection */
	FAULT_NO_CONTENT,  /* a processed success answered 204, empty body */
	FAULT_REPLAY_NONCE, /* signed over the previous answer's nonce */
};

struct fault {
	enum fault_type type; /* FAULT_NONE when nothing is armed */
	long count;	      /* requests left to hit; -1 means every one */
	long ms;	      /* delay: milliseconds to sleep */
	long retry_after;     /* rate_limit: Retry-After seconds */
};

struct order {
	char *sub_mchid;	/* owning sub-merchant */
	char *out_trade_no;	/* merchant order number, decoded */
	enum order_state state; /* current trade state */
	int64_t created_s;	/* creation time, seconds since the epoch */
	long amount;		/* order total in fen */
	char *transaction_id;	/* WeChat Pay's number for the payment */
	struct fault fault;	/* armed on the reverse call, if any */
	struct fault query_fault; /* armed on the order query, if any */
};

struct merchant {
	char *mchid;	   /* service provider's mchid */
	char *serial;	   /* API certificate serial the requests name */
	EVP_PKEY *key;	   /* public key that checks request signatures */
	char **sub_mchids; /* sub-merchants bound to this partner */
	size_t n_sub;	   /* entries in sub_mchids */
	int can_reverse;   /* 0 answers 403 NO_AUTH 商户无权限 */
	int can_query;	   /* 0 answers the order query 403 NO_AUTH */
};

struct config {
	char *tls_cert;		    /* PEM text of the server certificate */
	char *tls_key;		    /* PEM text of the server key */
	char *log_path;		    /* request log from the file, or NULL */
	EVP_PKEY *platform_key;	    /* signs every answer */
	char *platform_serial;	    /* sent as Wechatpay-Serial */
	struct merchant *merchants; /* array of n_merchants */
	size_t n_merchants;	    /* entries in merchants */
	struct order *orders;	    /* array of n_orders, grows at run time */
	size_t n_orders;	    /* entries in orders */
	size_t cap_orders;	    /* allocated entries */
};

/* Loads path; need_tls says whether tls.cert/tls.key must be present. On
 * failure cfg is left empty and err names the file, key and fix. */
int config_load(struct config *cfg, const char *path, int need_tls,
		struct sim_err *err);
void config_free(struct config *cfg);

/* Parses one order object ({sub_mchid, out_trade_no, state, age_s,
 * amount, transaction_id, fault, query_fault}) into o; where names it in messages ("orders[2]"). The caller
 * frees o with config_order_clear. */
int config_parse_order(struct order *o, json_t *obj, const char *where,
		       struct sim_err *err);
void config_order_clear(struct order *o);
/* Parses a fault object; JSON null disarms. */
int config_parse_fault(struct fault *f, json_t *obj, const char *where,
		       struct sim_err *err);

/* Adds o (taking its strings) or replaces the order with the same
 * sub_mchid and out_trade_no. Returns the stored order. */
struct order *config_put_order(struct config *cfg, struct order *o);

/* The order of sub_mchid with out_trade_no, or NULL. */
struct order *config_find_order(struct config *cfg, const char *sub_mchid,
				const char *out_trade_no);
/* The first order with out_trade_no under any sub-merchant, or NULL. */
struct order *config_find_order_any(struct config *cfg,
				    const char *out_trade_no);
struct merchant *config_find_merchant(struct config *cfg, const char *mchid);
/* 1 when sub_mchid is bound to m. */
int config_merchant_has_sub(const struct merchant *m, const char *sub_mchid);

const char *config_state_name(enum order_state s);
const char *config_fault_name(enum fault_type t);
/* 1 when an order in state s was paid at some point (its query answer
 * carries success_time, payer_total and the payer). */
int config_state_was_paid(enum order_state s);
/* Payment time: a few seconds after creation. */
int64_t config_paid_s(const struct order *o);

#endif
