/* answer: one HTTP answer, signed like WeChat Pay signs its answers.
 *
 * Every answer carries Request-ID, Content-Type: application/json and the
 * Wechatpay-Timestamp/-Nonce/-Serial/-Signature headers, the signature being
 * SHA256withRSA over "TIMESTAMP\nNONCE\nBODY\n" with the platform key. A
 * signature-level fault in `fault` changes only those headers (or, for
 * trickle, the pace of the body); body-level faults are applied by the
 * handler before queueing. */
#ifndef WXPAY_SIM_ANSWER_H
#define WXPAY_SIM_ANSWER_H

#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "config.h"
#include "sim.h"

struct answer {
	unsigned int status; /* HTTP status */
	json_t *json;	     /* body object (owned), or NULL */
	char *raw;	     /* raw body bytes (owned) used when json is NULL */
	size_t raw_len;	     /* bytes in raw */
	const char *code;    /* WeChat Pay error code, NULL on success */
	const char *verdict; /* name of the check that decided the answer */
	enum fault_type fault; /* fault that fired on this request */
	long retry_after;      /* > 0 adds Retry-After (seconds) */
};

/* {"code", "message"} with the given status; verdict names the check. */
void answer_error(struct answer *a, unsigned int status, const char *code,
		  const char *message, const char *verdict);
/* Adds detail {field, value, issue, location} to an error answer; field
 * and value may be NULL to omit them; value is taken over. */
void answer_detail(struct answer *a, const char *field, json_t *value,
		   const char *issue, const char *location);
/* 200 with the given body object (taken over). */
void answer_ok(struct answer *a, json_t *body, const char *verdict);
/* Replaces the body with raw bytes (taken over), keeping the status. */
void answer_raw(struct answer *a, char *raw, size_t len);
void answer_clear(struct answer *a);

/* Serialises, signs and queues the answer on c. */
enum MHD_Result answer_queue(struct sim *sim, struct MHD_Connection *c,
			     struct answer *a, const char *request_id);

#endif
