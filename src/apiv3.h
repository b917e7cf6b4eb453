/* apiv3: pure functions for WeChat Pay APIv3's reverse call (撤销订单) and
 * the partner order query (查询订单; answers: apiv3_query.h).
 *
 * No I/O and no global state (the nonce reads the OpenSSL CSPRNG), so every
 * rule here is unit-tested against WeChat Pay SDK vectors (tests/unit).
 * Owns nothing past a call: returned strings are malloc'd and the caller
 * frees them. Keys are borrowed from the profile.
 * Fails: with a wx_err sentence; verification failures also carry a verdict
 * so callers can store and show why. */
#ifndef WXREV_APIV3_H
#define WXREV_APIV3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "outcome.h"
#include "profile.h"
#include "util.h"

#define APIV3_ORDER_MIN 6      /* out_trade_no: 6 to 32 characters */
#define APIV3_ORDER_MAX 32     /* out_trade_no length limit */
#define APIV3_NONCE_LEN 32     /* [0-9A-Za-z] */
#define APIV3_MAX_SKEW_S 300   /* response timestamp window */
#define APIV3_SCHEME "WECHATPAY2-SHA256-RSA2048"
#define APIV3_PATH_PREFIX "/v3/pay/partner/transactions/out-trade-no/"
#define APIV3_USER_AGENT "wxrev/" WXREV_VERSION
#define APIV3_ACCEPT "application/json"       /* Accept header value */
#define APIV3_CONTENT_TYPE "application/json" /* Content-Type value */

/* Local codes apiv3_classify gives when WeChat Pay's word is missing or
 * cannot be trusted; each is in the code table. An error answer without a
 * readable code gets "HTTP_<status>" (not in the table). */
#define APIV3_CODE_UNVERIFIED "SIGNATURE_NOT_VERIFIED" /* 2xx not verified */
#define APIV3_CODE_MISMATCH "RESPONSE_MISMATCH" /* names another order */
#define APIV3_CODE_MALFORMED "MALFORMED_RESPONSE" /* 2xx body not as sent */
#define APIV3_CODE_UNEXPECTED "UNEXPECTED_STATUS" /* 1xx, 3xx, odd 2xx, 0 */
#define APIV3_CODE_UNCONFIRMED "UNCONFIRMED_204" /* verified 204: no order */

/* Order-number input. Trims surrounding white space (ASCII, U+3000, pasted
 * CR/LF; also NBSP, zero-width space and BOM) and accepts 6-32 characters of
 * [0-9A-Za-z_*|-] (WeChat Pay's rule). On failure says which character at
 * which (1-based, counted after trimming) position is wrong, or that the
 * input is empty, too short or too long. `out` receives the trimmed order ("" on failure); it must hold
 * APIV3_ORDER_MAX + 1 bytes. */
int apiv3_order_check(const char *input, char *out, size_t outsz,
		      struct wx_err *err);
/* True for the characters an order number may hold: [0-9A-Za-z_*|-]. */
bool apiv3_order_char(unsigned c);

/* Path of the reverse call: every byte outside [0-9A-Za-z_.~-] as %XX
 * (upper-case). Returns a malloc'd string. */
char *apiv3_target(const char *out_trade_no);

/* Target of the order query (服务商 查询订单): the same encoded path without
 * "/reverse", then "?sp_mchid=...&sub_mchid=..." (values encoded the same
 * way). The signed target is exactly this string. NULL when an argument is
 * NULL; otherwise malloc'd. */
char *apiv3_query_target(const char *out_trade_no, const char *sp_mchid,
			 const char *sub_mchid);

/* Compact JSON body in the order sp_appid, sp_mchid, sub_appid, sub_mchid;
 * a NULL appid is left out. Returns a malloc'd string, or NULL when a mchid
 * is NULL or a value is not valid UTF-8. */
char *apiv3_body(const char *sp_appid, const char *sp_mchid,
		 const char *sub_appid, const char *sub_mchid);

/* 32 characters of [0-9A-Za-z] from the CSPRNG, NUL-terminated. */
int apiv3_nonce(char out[APIV3_NONCE_LEN + 1], struct wx_err *err);

/* "METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n", malloc'd. */
char *apiv3_sign_message(const char *method, const char *target,
			 const char *timestamp, const char *nonce,
			 const char *body);

/* SHA256withRSA (PKCS#1 v1.5) over msg, base64 without line breaks. */
int apiv3_sign(EVP_PKEY *key, const char *msg, size_t len, char **sig_b64,
	       struct wx_err *err);

/* The Authorization header value (without "Authorization: "), malloc'd. */
char *apiv3_authorization(const char *mchid, const char *serial_no,
			  const char *timestamp, const char *nonce,
			  const char *signature);

/* Everything one attempt sends. All strings owned; apiv3_request_free. */
struct apiv3_request {
	const char *method;  /* "POST" (reverse) or "GET" (query), static */
	char *target;        /* path, already encoded */
	char *body;          /* compact JSON; "" for the query */
	char *authorization; /* full header value, with the signature */
	char nonce[APIV3_NONCE_LEN + 1];
	char timestamp[24];  /* seconds since the epoch, decimal */
};

/* Builds target, body, nonce, timestamp (from `now`, seconds) and signs.
 * The order must be exactly what apiv3_order_check returned. On failure
 * `req` is left empty. */
int apiv3_request_build(const struct wx_partner *partner,
			const struct wx_sub *sub, const char *out_trade_no,
			int64_t now, struct apiv3_request *req,
			struct wx_err *err);
/* The same for the order query: GET, apiv3_query_target, an empty body, so
 * the signed message ends "...\nNONCE\n\n". */
int apiv3_query_build(const struct wx_partner *partner,
		      const struct wx_sub *sub, const char *out_trade_no,
		      int64_t now, struct apiv3_request *req,
		      struct wx_err *err);
void apiv3_request_free(struct apiv3_request *req);

/* Copy of an Authorization value with the signature="..." value replaced by
 * "[redacted]"; what history and the detail view keep. malloc'd; NULL in,
 * NULL out. */
char *apiv3_redact_authorization(const char *authorization);

/* Response verification. */
enum apiv3_verdict {
	APIV3_VERIFIED = 0,
	APIV3_NO_SIGNATURE,    /* a Wechatpay-* header is missing */
	APIV3_STALE,           /* timestamp more than 300 s off, or not a number */
	APIV3_UNKNOWN_SERIAL,  /* Wechatpay-Serial matches no configured key */
	APIV3_PROBE,           /* WECHATPAY/SIGNTEST/ probe signature */
	APIV3_BAD_SIGNATURE,   /* does not verify over the raw body */
};
const char *apiv3_verdict_name(enum apiv3_verdict v); /* "verified", ... */

struct apiv3_resp_headers {
	const char *timestamp; /* Wechatpay-Timestamp, NULL when absent */
	const char *nonce;     /* Wechatpay-Nonce */
	const char *serial;    /* Wechatpay-Serial */
	const char *signature; /* Wechatpay-Signature */
};

/* Verifies "TIMESTAMP\nNONCE\nBODY\n" against the signature with the key
 * named by the serial. `now` is the local clock in seconds. Checks, in this
 * order: the four headers present, probe, timestamp within 300 s either way,
 * serial known (PUB_KEY_ID_... exactly, certificate serials ignoring case),
 * strict base64 and the RSA signature. The err message names the problem
 * (an unknown serial names it and the known ones); network text quoted in
 * it is cut short and stripped of control bytes. */
enum apiv3_verdict apiv3_verify(const struct apiv3_resp_headers *h,
				const char *body, size_t body_len,
				const struct wx_platform_key *keys, size_t nkeys,
				int64_t now, struct wx_err *err);

/* Error code table: class, English explanation and next step. */
struct apiv3_code_info {
	const char *code;        /* e.g. "ORDER_NOT_EXIST" */
	enum wx_outcome outcome; /* WX_REJECTED or WX_FAILED; WX_UNKNOWN for
				    the local APIV3_CODE_* codes */
	const char *explain;     /* English (a msgid): show it with _() */
	const char *next;        /* what the operator does next; _() too */
};
/* NULL when the code is not in the table. */
const struct apiv3_code_info *apiv3_code_lookup(const char *code);
/* The whole table, for tests and documentation; *n gets its length. */
const struct apiv3_code_info *apiv3_codes(size_t *n);

/* What one HTTP answer means. Strings owned; apiv3_result_free. */
struct apiv3_result {
	enum wx_outcome outcome; /* never WX_PENDING */
	bool retryable;          /* failed-class: the engine may try again */
	char *code;              /* WeChat Pay code, or a local one such as
				    "BAD_SIGNATURE"; NULL on success */
	char *message;           /* WeChat Pay's message as sent, or ours */
	char *explain;           /* English explanation (code table) */
	char *next;              /* the next step for the operator */
	char *detail;            /* "field: issue" from detail, if any */
};

/* Whether a 200 answer (a JSON object) names the order, partner and
 * sub-merchant that were asked for: the rule every call applies before it
 * trusts a success. */
struct json_t;
enum apiv3_names {
	APIV3_NAMES_MISSING, /* not an object with the three strings */
	APIV3_NAMES_OTHER,   /* names another order or merchant */
	APIV3_NAMES_SAME,
};
enum apiv3_names apiv3_answer_names(struct json_t *root, const char *order,
				    const char *sp_mchid, const char *sub_mchid);

/* Classifies an answer (README, "Outcomes"). `verdict` is the verification result;
 * expected_* are what was sent. A 2xx that is not verified or does not name
 * the sent order and sub-merchant is WX_UNKNOWN. Errors (4xx/5xx) take their
 * class from the code table, else 429 and 5xx are failed and other 4xx
 * rejected; an error answer that is not verified keeps that class, and its
 * `explain` starts with "Unverified answer". Status 0 (no answer) is the
 * transport's business; given here it is WX_UNKNOWN. Returns -1 only when
 * res is NULL; res is always filled otherwise. */
int apiv3_classify(long status, const char *body, size_t body_len,
		   enum apiv3_verdict verdict, const char *expected_order,
		   const char *expected_sp_mchid, const char *expected_sub_mchid,
		   struct apiv3_result *res);
void apiv3_result_free(struct apiv3_result *res);

#endif
