/* http: HTTPS transfers on libcurl's multi interface, driven by the caller.
 *
 * Nothing here blocks except http_client_poll(), which waits at most the
 * given timeout (curl_multi_poll with one extra descriptor, e.g. stdin).
 * Owns: the CURLM handle and its connection cache (reused between calls to
 * the same host) and each transfer until http_transfer_free().
 * Policy: TLS verification is always on (system store plus the request's
 * ca_file); plain http:// only to loopback hosts; no redirects; response
 * body capped at HTTP_BODY_CAP, headers at 64 KiB; no automatic
 * decompression (a gzip body is returned as the bytes received).
 * Proxies: libcurl reads https_proxy, all_proxy and no_proxy (lower case;
 * HTTPS_PROXY, ALL_PROXY and NO_PROXY too) and wxrev does not override
 * them, except that loopback hosts are always reached directly.
 * Trust: with a ca_file, libcurl's CA folder (capath) keeps the system
 * store in play; where libcurl has no folder, the system bundle and the
 * ca_file are joined in memory.
 * Errors: http_start fails (NULL, err filled) only for a URL that breaks
 * the policy, an unreadable ca_file or resource exhaustion; everything
 * that happens on the network ends up in the transfer's response.
 * Requests go out as HTTP/1.1 with TLS 1.2 or later; "Expect:" is
 * suppressed so the headers sent are exactly the ones given. */
#ifndef WXREV_HTTP_H
#define WXREV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define HTTP_BODY_CAP (1024 * 1024)

struct http_client;
struct http_transfer;

struct http_request {
	const char *url;	    /* full URL */
	const char *method;	    /* "POST" (default), "GET", ... */
	const char *const *headers; /* "Name: value", NULL-terminated */
	const char *body;	    /* may be NULL; copied by http_start */
	size_t body_len;	    /* bytes of body */
	const char *ca_file;	    /* extra trust (PEM), NULL for none */
	long connect_timeout_ms;    /* 0: default 5000 */
	long timeout_ms;	    /* total; 0: default 10000 */
	void *user;		    /* handed back by http_transfer_user */
};

struct http_header {
	char *name;  /* as received */
	char *value; /* trimmed */
};

struct http_response {
	long status;		     /* 0 when no status line arrived */
	struct http_header *headers; /* final response's headers */
	size_t nheaders;	     /* entries in headers */
	char *body;		     /* NUL-terminated, up to HTTP_BODY_CAP */
	size_t body_len;	     /* bytes in body, raw as received */
	bool truncated;	       /* body exceeded the cap; transfer aborted */
	int curl_code;	       /* CURLcode; 0 on a complete transfer */
	char error[512];       /* "" or one sentence a person can act on */
	bool request_sent;     /* false: nothing reached the server
				  (DNS, refused, TLS failure, timeout
				  before sending); true when in doubt */
	bool host_unreachable; /* resolve/connect failed or timed out
				  before sending: try the backup */
	int64_t latency_ms;    /* start to completion (monotonic) */
};

/* The first call (or http_ready's) loads libcurl (see dynlib.h) and
 * initialises it (curl_global_init); make it before other threads use
 * libcurl. */
struct http_client *http_client_new(struct wx_err *err);
/* Loads and initialises libcurl, once for the process: 0, or -1 with what
 * to install in err. The functions here that need libcurl call it; a
 * caller checks first to tell "no libcurl" apart from a bad URL. */
int http_ready(struct wx_err *err);
/* Also aborts and frees every transfer not yet freed. */
void http_client_free(struct http_client *c);
/* Replaces where the system trust store is read from (default: libcurl's
 * built-in CA bundle file and hashed CA folder; NULL for none). For tests
 * and for systems whose libcurl knows no store. */
void http_client_set_system_trust(struct http_client *c, const char *cainfo,
				  const char *capath);

/* Queues one transfer; DNS and connecting happen later, in
 * http_client_poll. Refuses http:// to a non-loopback host and any other
 * scheme but https://, before anything is sent. Copies what it needs from
 * req. */
struct http_transfer *http_start(struct http_client *c,
				 const struct http_request *req,
				 struct wx_err *err);

/* Waits up to timeout_ms for network activity or for extra_fd (-1: none) to
 * become readable, then performs pending work and queues finished
 * transfers. *fd_ready (may be NULL) tells whether extra_fd is readable or
 * hung up. Returns the number of transfers still running. */
int http_client_poll(struct http_client *c, int extra_fd, int timeout_ms,
		     bool *fd_ready);

/* Next finished transfer, or NULL. Finished transfers stay valid until
 * http_transfer_free. */
struct http_transfer *http_client_next_done(struct http_client *c);
/* Whether a finished transfer waits for http_client_next_done. */
bool http_client_has_done(const struct http_client *c);

int http_client_running(const struct http_client *c);

/* Filled once the transfer has finished (see http_client_next_done); owned
 * by the transfer. */
const struct http_response *
http_transfer_response(const struct http_transfer *t);
void *http_transfer_user(const struct http_transfer *t);
/* Aborts a running transfer (if it is) and frees it. */
void http_transfer_free(struct http_transfer *t);

/* Case-insensitive header lookup; NULL when absent. */
const char *http_response_header(const struct http_response *r,
				 const char *name);

/* True for 127.0.0.0/8, ::1 (bracketed or not, or as ::ffff:127.x.y.z) and
 * "localhost"; a host only, without port. */
bool http_host_is_loopback(const char *host);
/* Extracts scheme and host from a URL ("https", "api.mch.weixin.qq.com"),
 * with libcurl's parser: lower-case scheme, no user info or port, IPv6 in
 * brackets ("[::1]"). -1 when the URL does not parse or a part does not
 * fit. */
int http_url_split(const char *url, char *scheme, size_t scheme_n, char *host,
		   size_t host_n);

#endif
