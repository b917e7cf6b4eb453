/* http: HTTPS transfers on libcurl's multi interface (see http.h). */
#define _POSIX_C_SOURCE 200809L

#include "http.h"
#include "dynlib.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#define HTTP_HEADER_CAP		(64 * 1024)
#define HTTP_DEFAULT_CONNECT_MS 5000L
#define HTTP_DEFAULT_TIMEOUT_MS 10000L
#define HTTP_HOST_MAX		256
/* Idle connections kept open. libcurl's default follows the transfers
 * added at the time, so a list's connections were closed each time its
 * in-flight count dipped, and opened again with a new TLS handshake. */
#define HTTP_KEEP_CONNECTIONS 32L

struct http_client {
	CURLM *multi;		    /* owns the connection cache */
	struct http_transfer *all;  /* every transfer not yet freed */
	struct http_transfer *done; /* finished, not yet collected (FIFO) */
	struct http_transfer **done_tail; /* where the next finished one goes */
	int running;			  /* transfers inside the multi */
	char *sys_cainfo;		  /* system CA bundle file, or NULL */
	char *sys_capath;		  /* system hashed CA folder, or NULL */
};

struct http_transfer {
	struct http_client *client;	 /* owner */
	struct http_transfer *prev;	 /* in client->all */
	struct http_transfer *next;	 /* in client->all */
	struct http_transfer *next_done; /* in client->done */
	CURL *easy;			 /* the libcurl transfer */
	CURLU *url;			 /* parsed once: checked and used */
	struct curl_slist *headers;	 /* request headers given to libcurl */
	struct wx_buf body;		 /* response body so far */
	struct http_header *hdrs;	 /* headers of the latest status line */
	size_t nhdrs;			 /* entries used in hdrs */
	size_t hdrs_cap;		 /* entries allocated in hdrs */
	size_t header_bytes;	      /* header bytes received, all responses */
	bool header_overflow;	      /* headers passed HTTP_HEADER_CAP */
	bool request_written;	      /* libcurl wrote request bytes */
	int heads_out;		      /* request heads written (1 unless
					 libcurl tried to send it again) */
	char *req_body;		      /* owned copy of the request body */
	size_t req_len;		      /* its length */
	size_t req_pos;		      /* bytes handed to libcurl so far */
	bool running;		      /* inside the multi */
	bool queued;		      /* in client->done */
	char host[HTTP_HOST_MAX];     /* for messages */
	long connect_timeout_ms;      /* as applied */
	long timeout_ms;	      /* as applied */
	int64_t started_ms;	      /* monotonic start */
	void *user;		      /* caller's pointer */
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's own detail */
	struct http_response resp;    /* filled at completion */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_ready(struct wx_err *err)
{
	if (dynlib_curl(err) != 0)
		return -1;
	pthread_once(&global_once, global_init);
	if (global_rc == CURLE_OK)
		return 0;
	return wx_err_set(err,
			  _("libcurl could not start (%s): reinstall "
			    "libcurl"),
			  curl_easy_strerror(global_rc));
}

/* ---- URL and loopback rules ---- */

static void strip_brackets(const char *host, char *out, size_t n)
{
	size_t len = strlen(host);

	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len >= n)
		len = n - 1;
	memcpy(out, host, len);
	out[len] = '\0';
}

bool http_host_is_loopback(const char *host)
{
	char bare[HTTP_HOST_MAX];
	struct in_addr v4;
	struct in6_addr v6;

	if (!host || !*host)
		return false;
	strip_brackets(host, bare, sizeof(bare));
	if (wx_strcaseeq(bare, "localhost"))
		return true;
	if (inet_pton(AF_INET, bare, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, bare, &v6) != 1)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&v6))
		return true;
	/* ::ffff:127.x.y.z is IPv4 loopback written as IPv6. */
	return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

/* Parses url with libcurl's own parser, so the host checked is the host
 * libcurl connects to. */
static CURLU *url_parse(const char *url)
{
	CURLU *u;

	if (http_ready(NULL) != 0)
		return NULL;
	u = curl_url();
	if (!u)
		wx_fatal("out of memory (URL handle)");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

static int url_part(CURLU *u, CURLUPart part, char *out, size_t n)
{
	char *s = NULL;
	int rc = -1;

	if (curl_url_get(u, part, &s, 0) != CURLUE_OK)
		return -1;
	if (strlen(s) < n) {
		memcpy(out, s, strlen(s) + 1);
		rc = 0;
	}
	curl_free(s);
	return rc;
}

int http_url_split(const char *url, char *scheme, size_t scheme_n, char *host,
		   size_t host_n)
{
	CURLU *u;
	int rc = -1;

	if (!url)
		return -1;
	u = url_parse(url);
	if (!u)
		return -1;
	if (url_part(u, CURLUPART_SCHEME, scheme, scheme_n) != 0)
		goto out;
	if (url_part(u, CURLUPART_HOST, host, host_n) != 0)
		goto out;
	rc = host[0] ? 0 : -1;
out:
	curl_url_cleanup(u);
	return rc;
}

/* Applies the scheme rules; fills t->host. */
static int check_url(struct http_transfer *t, const char *url, bool *plain,
		     struct wx_err *err)
{
	char scheme[16];

	t->url = url_parse(url);
	if (!t->url)
		return wx_err_set(err,
				  _("%s is not a valid URL: check the "
				    "profile's base_url"),
				  url);
	if (url_part(t->url, CURLUPART_SCHEME, scheme, sizeof(scheme)) != 0 ||
	    url_part(t->url, CURLUPART_HOST, t->host, sizeof(t->host)) != 0)
		return wx_err_set(err,
				  _("%s has no usable scheme or host: "
				    "check the profile's base_url"),
				  url);
	*plain = strcmp(scheme, "http") == 0;
	if (strcmp(scheme, "https") != 0 && !*plain)
		return wx_err_set(err,
				  _("%s is not an https:// URL: wxrev "
				    "only speaks HTTPS"),
				  url);
	if (*plain && !http_host_is_loopback(t->host))
		return wx_err_set(err,
				  _("refusing %s: plain http:// is only "
				    "allowed to loopback addresses "
				    "(127.0.0.0/8, ::1, localhost), "
				    "use https://"),
				  url);
	return 0;
}

/* ---- client ---- */

struct http_client *http_client_new(struct wx_err *err)
{
	struct http_client *c;
	const curl_version_info_data *v;

	if (http_ready(err) != 0)
		return NULL;
	c = wx_xcalloc(1, sizeof(*c));
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		wx_err_set(err, _("libcurl could not create a transfer "
				  "handle: check free memory"));
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, HTTP_KEEP_CONNECTIONS);
	c->done_tail = &c->done;
	v = curl_version_info(CURLVERSION_NOW);
	c->sys_cainfo = wx_xstrdup(v->cainfo);
	c->sys_capath = wx_xstrdup(v->capath);
	return c;
}

void http_client_set_system_trust(struct http_client *c, const char *cainfo,
				  const char *capath)
{
	free(c->sys_cainfo);
	free(c->sys_capath);
	c->sys_cainfo = wx_xstrdup(cainfo);
	c->sys_capath = wx_xstrdup(capath);
}

void http_client_free(struct http_client *c)
{
	struct http_transfer *t, *next;

	if (!c)
		return;
	/* Each next pointer is read before its transfer is freed. */
	for (t = c->all; t; t = next) {
		next = t->next;
		http_transfer_free(t);
	}
	curl_multi_cleanup(c->multi);
	free(c->sys_cainfo);
	free(c->sys_capath);
	free(c);
}

int http_client_running(const struct http_client *c)
{
	return c->running;
}

/* ---- callbacks ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_transfer *t = ud;
	size_t len = size * n;
	size_t room = HTTP_BODY_CAP - t->body.len;

	if (len <= room) {
		wx_buf_append(&t->body, p, len);
		return len;
	}
	/* Keep what fits so the operator can still see the start. */
	wx_buf_append(&t->body, p, room);
	t->resp.truncated = true;
	return 0;
}

static void headers_reset(struct http_transfer *t)
{
	for (size_t i = 0; i < t->nhdrs; i++) {
		free(t->hdrs[i].name);
		free(t->hdrs[i].value);
	}
	t->nhdrs = 0;
}

static void header_add(struct http_transfer *t, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	const char *v;
	const char *end = line + len;

	if (!colon || colon == line)
		return;
	v = colon + 1;
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if (t->nhdrs == t->hdrs_cap) {
		t->hdrs_cap = t->hdrs_cap ? t->hdrs_cap * 2 : 16;
		t->hdrs = wx_xrealloc(t->hdrs, t->hdrs_cap * sizeof(*t->hdrs));
	}
	t->hdrs[t->nhdrs].name = wx_xstrndup(line, (size_t)(colon - line));
	t->hdrs[t->nhdrs].value = wx_xstrndup(v, (size_t)(end - v));
	t->nhdrs++;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_transfer *t = ud;
	size_t len = size * n;

	t->header_bytes += len;
	if (t->header_bytes > HTTP_HEADER_CAP) {
		t->header_overflow = true;
		return 0;
	}
	/* Each status line starts a new response (100 Continue, proxy
	 * CONNECT); only the final one's headers are kept. */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		headers_reset(t);
		return len;
	}
	header_add(t, p, len);
	return len;
}

/* Marks the request as written once libcurl hands request bytes to the
 * socket; that is the line between "nothing sent" and "outcome unknown". */
static int on_debug(CURL *easy, curl_infotype type, char *p, size_t n, void *ud)
{
	struct http_transfer *t = ud;

	(void)easy;
	if (n == 0)
		return 0;
	/* A proxy's CONNECT is not the request. */
	if (type == CURLINFO_HEADER_OUT &&
	    !(n >= 8 && !memcmp(p, "CONNECT ", 8))) {
		t->request_written = true;
		t->heads_out++;
	}
	if (type == CURLINFO_DATA_OUT)
		t->request_written = true;
	return 0;
}

/* ---- starting a transfer ---- */

static int read_file_into(struct wx_buf *b, const char *path,
			  struct wx_err *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (!f)
		return wx_err_set(err,
				  _("cannot read CA file %s (%s): check the "
				    "path and its permissions"),
				  path, strerror(errno));
	for (;;) {
		n = fread(chunk, 1, sizeof(chunk), f);
		if (n == 0)
			break;
		wx_buf_append(b, chunk, n);
	}
	fclose(f);
	wx_buf_append(b, "\n", 1);
	return 0;
}

/* System store plus ca_file. CURLOPT_CAINFO replaces the system bundle,
 * so the system store comes through the hashed folder (CAPATH) or, where
 * libcurl has none, through one in-memory bundle of both files. */
static int set_trust(struct http_transfer *t, const char *ca_file,
		     struct wx_err *err)
{
	struct http_client *c = t->client;
	struct wx_buf bundle = {0};
	struct curl_blob blob;
	int rc = 0;

	if (c->sys_capath)
		curl_easy_setopt(t->easy, CURLOPT_CAPATH, c->sys_capath);
	if (!ca_file) {
		if (c->sys_cainfo)
			curl_easy_setopt(t->easy, CURLOPT_CAINFO,
					 c->sys_cainfo);
		return 0;
	}
	if (access(ca_file, R_OK) != 0)
		return wx_err_set(err,
				  _("cannot read ca_file %s: %s; fix the "
				    "profile's api.ca_file"),
				  ca_file, strerror(errno));
	if (c->sys_capath) {
		curl_easy_setopt(t->easy, CURLOPT_CAINFO, ca_file);
		return 0;
	}
	if (c->sys_cainfo && read_file_into(&bundle, c->sys_cainfo, err) != 0)
		return -1;
	if (read_file_into(&bundle, ca_file, err) != 0) {
		rc = -1;
		goto out;
	}
	blob.data = bundle.data;
	blob.len = bundle.len;
	blob.flags = CURL_BLOB_COPY;
	curl_easy_setopt(t->easy, CURLOPT_CAINFO_BLOB, &blob);
out:
	wx_buf_free(&bundle);
	return rc;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	struct http_transfer *t = ud;
	size_t n = size * nitems;

	/* A second request head in one transfer is a resend: never feed it. */
	if (t->heads_out > 1)
		return CURL_READFUNC_ABORT;
	if (n > t->req_len - t->req_pos)
		n = t->req_len - t->req_pos;
	memcpy(buf, t->req_body + t->req_pos, n);
	t->req_pos += n;
	return n;
}

/* Rewinding is only allowed before a byte of the body was handed out. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
	struct http_transfer *t = ud;

	if (origin == SEEK_SET && offset == 0 && t->req_pos == 0)
		return CURL_SEEKFUNC_OK;
	return CURL_SEEKFUNC_CANTSEEK;
}

static void set_method_and_body(struct http_transfer *t,
				const struct http_request *req)
{
	const char *method = req->method ? req->method : "POST";
	bool has_body = req->body != NULL;

	if (strcmp(method, "GET") == 0 && !has_body) {
		curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L);
		return;
	}
	/* The body goes through a read callback whose stream cannot be
	 * rewound: when a reused keep-alive connection turns out dead after
	 * the request went out, libcurl would silently send the very same
	 * signed request again on a new connection (same nonce, one attempt
	 * in the history). Unable to rewind, it fails the transfer instead
	 * (CURLE_SEND_FAIL_REWIND) and the caller's retry policy decides,
	 * with a new signature, recorded as a new attempt. */
	t->req_len = has_body ? req->body_len : 0;
	t->req_body = wx_xmalloc(t->req_len + 1);
	if (t->req_len)
		memcpy(t->req_body, req->body, t->req_len);
	curl_easy_setopt(t->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)t->req_len);
	curl_easy_setopt(t->easy, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(t->easy, CURLOPT_READDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(t->easy, CURLOPT_SEEKDATA, t);
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, method);
}

static void set_headers(struct http_transfer *t, const char *const *headers)
{
	bool has_expect = false;

	for (size_t i = 0; headers && headers[i]; i++) {
		t->headers = curl_slist_append(t->headers, headers[i]);
		if (strncasecmp(headers[i], "Expect:", 7) == 0)
			has_expect = true;
	}
	/* No "Expect: 100-continue" round trip: the caller records exactly
	 * the headers it passed. */
	if (!has_expect)
		t->headers = curl_slist_append(t->headers, "Expect:");
	if (!t->headers)
		wx_fatal("out of memory (request headers)");
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
}

static void set_policy(struct http_transfer *t, bool plain)
{
	CURL *e = t->easy;

	curl_easy_setopt(e, CURLOPT_CURLU, t->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* One request per exchange; HTTP/1.1 sends the header names exactly
	 * as the caller records them. */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	/* VERBOSE only feeds on_debug; nothing is printed. */
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	/* A proxy cannot reach this machine's loopback, and for http:// it
	 * would carry signed requests in clear text off the machine. */
	if (http_host_is_loopback(t->host))
		curl_easy_setopt(e, CURLOPT_PROXY, "");
}

static void link_transfer(struct http_client *c, struct http_transfer *t)
{
	t->next = c->all;
	if (c->all)
		c->all->prev = t;
	c->all = t;
}

static void unlink_transfer(struct http_client *c, struct http_transfer *t)
{
	struct http_transfer **pp;

	if (t->prev)
		t->prev->next = t->next;
	else
		c->all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	if (!t->queued)
		return;
	for (pp = &c->done; *pp != t; pp = &(*pp)->next_done)
		;
	*pp = t->next_done;
	if (!*pp)
		c->done_tail = pp;
	t->queued = false;
}

static void transfer_destroy(struct http_transfer *t)
{
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_url_cleanup(t->url);
	curl_slist_free_all(t->headers);
	wx_buf_free(&t->body);
	headers_reset(t);
	free(t->hdrs); /* resp.headers points here */
	free(t->resp.body);
	free(t->req_body);
	free(t);
}

struct http_transfer *http_start(struct http_client *c,
				 const struct http_request *req,
				 struct wx_err *err)
{
	struct http_transfer *t = wx_xcalloc(1, sizeof(*t));
	bool plain = false;

	t->client = c;
	t->user = req->user;
	t->connect_timeout_ms = req->connect_timeout_ms > 0
				    ? req->connect_timeout_ms
				    : HTTP_DEFAULT_CONNECT_MS;
	t->timeout_ms =
	    req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	if (!req->url) {
		wx_err_set(err, _("no URL given: set the profile's base_url"));
		goto fail;
	}
	if (check_url(t, req->url, &plain, err) != 0)
		goto fail;
	t->easy = curl_easy_init();
	if (!t->easy) {
		wx_err_set(err, _("libcurl could not create a transfer: "
				  "check free memory"));
		goto fail;
	}
	set_policy(t, plain);
	if (set_trust(t, req->ca_file, err) != 0)
		goto fail;
	set_headers(t, req->headers);
	set_method_and_body(t, req);
	t->started_ms = wx_monotonic_ms();
	if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK) {
		wx_err_set(err,
			   _("libcurl refused the transfer to %s: check "
			     "free memory"),
			   t->host);
		goto fail;
	}
	t->running = true;
	c->running++;
	link_transfer(c, t);
	return t;
fail:
	transfer_destroy(t);
	return NULL;
}

/* ---- completion ---- */

/* True when the failure happened before any request byte could have
 * reached the server. */
static bool failed_before_sending(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* Messages may be cut at the field's size; their start carries the point. */
static void say(char *out, size_t n, const char *fmt, ...) WX_PRINTF(3, 4);

static void say(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, n, fmt, ap);
	va_end(ap);
}

static double secs(long ms)
{
	return (double)ms / 1000.0;
}

static void explain_timeout(struct http_transfer *t, char *out, size_t n)
{
	struct http_response *r = &t->resp;

	if (r->request_sent)
		say(out, n,
		    _("timed out after %.1f s waiting for %s to answer; "
		      "the request was sent, so check the order's state "
		      "before sending again"),
		    secs(t->timeout_ms), t->host);
	else
		say(out, n,
		    _("timed out after %.1f s connecting to %s: check "
		      "the network, a firewall or the proxy settings"),
		    secs(t->connect_timeout_ms < t->timeout_ms
			     ? t->connect_timeout_ms
			     : t->timeout_ms),
		    t->host);
}

static void explain_connect(struct http_transfer *t, char *out, size_t n)
{
	long os_errno = 0;

	curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (os_errno == ECONNREFUSED)
		say(out, n,
		    _("%s refused the connection (%s): check the URL's "
		      "port, the proxy settings and that the server is "
		      "running"),
		    t->host, t->errbuf);
	else
		say(out, n,
		    _("cannot connect to %s (%s): check the network, a "
		      "firewall or the proxy settings"),
		    t->host, t->errbuf[0] ? t->errbuf : "unreachable");
}

static void explain(struct http_transfer *t, CURLcode rc)
{
	struct http_response *r = &t->resp;
	char *out = r->error;
	size_t n = sizeof(r->error);
	const char *detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

	if (r->truncated) {
		say(out, n,
		    _("the answer was larger than 1 MiB and was "
		      "cut off"));
		return;
	}
	if (t->header_overflow) {
		say(out, n,
		    _("the answer's headers were larger than "
		      "64 KiB and were cut off"));
		return;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		say(out, n,
		    _("cannot resolve %s: check the network or "
		      "DNS"),
		    t->host);
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
		say(out, n,
		    _("cannot resolve the proxy (%s): check the "
		      "https_proxy/all_proxy variables"),
		    detail);
		break;
	case CURLE_COULDNT_CONNECT:
		explain_connect(t, out, n);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		explain_timeout(t, out, n);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strstr(detail, "subject name") || strstr(detail, "match")) {
			say(out, n,
			    _("the server's certificate is not for "
			      "%s (%s): check the URL's host name"),
			    t->host, detail);
			break;
		}
		/* fall through */
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		say(out, n,
		    _("the server's certificate is not trusted: "
		      "%s; for a test endpoint set api.ca_file to "
		      "the CA that issued it"),
		    detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		say(out, n,
		    _("the TLS handshake with %s failed (%s): "
		      "check that the URL is an HTTPS endpoint"),
		    t->host, detail);
		break;
	case CURLE_GOT_NOTHING:
		say(out, n,
		    _("%s closed the connection without "
		      "answering; the request was sent, so check "
		      "the order's state before sending again"),
		    t->host);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		say(out, n,
		    _("the connection to %s broke during the "
		      "exchange (%s); check the order's state "
		      "before sending again"),
		    t->host, detail);
		break;
	default:
		say(out, n,
		    _("the request to %s failed (%s): check the "
		      "network and the profile's URL"),
		    t->host, detail);
		break;
	}
}

static void finish(struct http_transfer *t, CURLcode rc)
{
	struct http_response *r = &t->resp;

	r->latency_ms = wx_monotonic_ms() - t->started_ms;
	r->curl_code = (int)rc;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
	r->body_len = t->body.len;
	r->body = wx_buf_take(&t->body);
	r->headers = t->hdrs;
	r->nheaders = t->nhdrs;
	r->request_sent =
	    t->request_written || rc == CURLE_OK || !failed_before_sending(rc);
	/* A timeout before the request went out (DNS, TCP or TLS hanging)
	 * means this host could not be reached in time either. */
	r->host_unreachable =
	    !r->request_sent &&
	    (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
	     rc == CURLE_OPERATION_TIMEDOUT);
	if (rc != CURLE_OK)
		explain(t, rc);
}

static void collect(struct http_client *c)
{
	CURLMsg *m;
	int left = 0;

	for (;;) {
		struct http_transfer *t = NULL;

		m = curl_multi_info_read(c->multi, &left);
		if (!m)
			break;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
		finish(t, m->data.result);
		/* The connection stays in the multi's cache for reuse. */
		curl_multi_remove_handle(c->multi, t->easy);
		t->running = false;
		c->running--;
		t->queued = true;
		*c->done_tail = t;
		c->done_tail = &t->next_done;
	}
}

/* libcurl reports only POLLIN/OUT/PRI for extra descriptors; a closed
 * pipe or terminal (POLLHUP alone) must wake the caller too, or its loop
 * would spin without ever reading the end of input. */
static bool fd_hung_up(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, 0) != 1)
		return false;
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int http_client_poll(struct http_client *c, int extra_fd, int timeout_ms,
		     bool *fd_ready)
{
	struct curl_waitfd wfd = {.fd = extra_fd, .events = CURL_WAIT_POLLIN};
	int running = 0;

	if (fd_ready)
		*fd_ready = false;
	curl_multi_poll(c->multi, &wfd, extra_fd >= 0 ? 1 : 0,
			timeout_ms < 0 ? 0 : timeout_ms, NULL);
	if (extra_fd >= 0 && fd_ready)
		*fd_ready =
		    (wfd.revents & CURL_WAIT_POLLIN) || fd_hung_up(extra_fd);
	curl_multi_perform(c->multi, &running);
	collect(c);
	return c->running;
}

bool http_client_has_done(const struct http_client *c)
{
	return c->done != NULL;
}

struct http_transfer *http_client_next_done(struct http_client *c)
{
	struct http_transfer *t = c->done;

	if (!t)
		return NULL;
	c->done = t->next_done;
	if (!c->done)
		c->done_tail = &c->done;
	t->next_done = NULL;
	t->queued = false;
	return t;
}

const struct http_response *
http_transfer_response(const struct http_transfer *t)
{
	return &t->resp;
}

void *http_transfer_user(const struct http_transfer *t)
{
	return t->user;
}

void http_transfer_free(struct http_transfer *t)
{
	struct http_client *c;

	if (!t)
		return;
	c = t->client;
	if (t->running) {
		curl_multi_remove_handle(c->multi, t->easy);
		t->running = false;
		c->running--;
	}
	unlink_transfer(c, t);
	transfer_destroy(t);
}

const char *http_response_header(const struct http_response *r,
				 const char *name)
{
	for (size_t i = 0; r && name && i < r->nheaders; i++) {
		if (wx_strcaseeq(r->headers[i].name, name))
			return r->headers[i].value;
	}
	return NULL;
}
