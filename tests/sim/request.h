/* request: one HTTP request as the simulator received it. */
#ifndef WXPAY_SIM_REQUEST_H
#define WXPAY_SIM_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

struct request {
	char *target;	     /* raw request target, query included */
	char *body;	     /* body bytes, NUL-terminated (owned) */
	size_t body_len;     /* bytes in body */
	size_t body_cap;     /* bytes allocated for body */
	size_t body_seen;    /* bytes received, kept or not */
	int started;	     /* the header-only first call was seen */
	int answered;	     /* an answer is already queued */
	int64_t time_ms;     /* arrival, ms since the epoch */
	unsigned conn_seq;   /* 1: first request on its connection */
	char request_id[35]; /* Request-ID: "08" + 32 hex digits */
};

/* Percent-decodes n bytes of s; NULL on a bad escape or an encoded NUL.
 * The caller frees the result. */
char *request_decode(const char *s, size_t n);

#endif
