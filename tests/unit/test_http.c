/* Transport tests against in-process libmicrohttpd servers on 127.0.0.1:
 * one plain HTTP, one HTTPS with a certificate from a throwaway test CA. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http.h"

#define SLOW_MS 1500

static const unsigned char gzip_body[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb,
    0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48, 0xce, 0xcf, 0x2d, 0x28,
    0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0x28, 0xcf, 0x2f, 0xca, 0x49,
    0xe1, 0x02, 0x00, 0x3f, 0xba, 0x39, 0x3c, 0x18, 0x00, 0x00, 0x00,
};

struct server {
	struct MHD_Daemon *d;  /* running daemon */
	int port;	       /* bound port on 127.0.0.1 */
	pthread_mutex_t lock;  /* guards the fields below */
	int connections;       /* TCP connections accepted */
	int requests;	       /* requests answered */
	char body[256];	       /* last request body */
	char content_type[64]; /* last Content-Type */
	char custom[64];       /* last X-Custom */
	bool saw_encoding;     /* last request had Accept-Encoding */
	bool saw_expect;       /* last request had Expect */
};

static struct server plain_srv, tls_srv;
static char keydir[200];   /* demo keys: server cert and its CA */
static char otherdir[300]; /* an unrelated CA */
static char hashdir[300];  /* hashed folder holding the test CA */
static char ca_pem[400], other_ca_pem[400];
static char *server_cert, *server_key;
static char big_body[2 * 1024 * 1024];
static char huge_header[1024];

/* ---- server ---- */

static void copy_header(struct MHD_Connection *conn, const char *name,
			char *out, size_t n)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	snprintf(out, n, "%s", v ? v : "");
}

static void record(struct server *s, struct MHD_Connection *conn)
{
	pthread_mutex_lock(&s->lock);
	s->requests++;
	copy_header(conn, "Content-Type", s->content_type,
		    sizeof(s->content_type));
	copy_header(conn, "X-Custom", s->custom, sizeof(s->custom));
	s->saw_encoding = MHD_lookup_connection_value(
			      conn, MHD_HEADER_KIND, "Accept-Encoding") != NULL;
	s->saw_expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    "Expect") != NULL;
	pthread_mutex_unlock(&s->lock);
}

static struct MHD_Response *make_response(const char *url)
{
	struct MHD_Response *r;

	if (strcmp(url, "/big") == 0)
		return MHD_create_response_from_buffer(
		    sizeof(big_body), big_body, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/gzip") == 0) {
		r = MHD_create_response_from_buffer(sizeof(gzip_body),
						    (void *)gzip_body,
						    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Content-Encoding", "gzip");
		return r;
	}
	if (strcmp(url, "/slow") == 0)
		usleep(SLOW_MS * 1000);
	r = MHD_create_response_from_buffer(strlen("{\"ok\":true}"),
					    (void *)"{\"ok\":true}",
					    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Request-ID", "req-0123456789");
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (strcmp(url, "/hdrs") == 0) {
		char name[32];

		for (int i = 0; i < 80; i++) {
			snprintf(name, sizeof(name), "X-Filler-%d", i);
			MHD_add_response_header(r, name, huge_header);
		}
	}
	return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static int marker;
	struct server *s = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;

	(void)method;
	(void)version;
	if (!*con_cls) {
		*con_cls = &marker;
		pthread_mutex_lock(&s->lock);
		s->body[0] = '\0';
		pthread_mutex_unlock(&s->lock);
		return MHD_YES;
	}
	if (*upload_size) {
		pthread_mutex_lock(&s->lock);
		strncat(s->body, upload,
			*upload_size < sizeof(s->body) - strlen(s->body) - 1
			    ? *upload_size
			    : sizeof(s->body) - strlen(s->body) - 1);
		pthread_mutex_unlock(&s->lock);
		*upload_size = 0;
		return MHD_YES;
	}
	record(s, conn);
	r = make_response(url);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;

	(void)conn;
	(void)socket_context;
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&s->lock);
	s->connections++;
	pthread_mutex_unlock(&s->lock);
}

static int server_start(struct server *s, bool tls)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&s->lock, NULL);
	if (tls)
		flags |= MHD_USE_TLS;
	s->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(512 * 1024),
	    tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, server_key,
	    MHD_OPTION_HTTPS_MEM_CERT, server_cert, MHD_OPTION_END);
	if (!s->d)
		return -1;
	s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static int server_connections(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->connections;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int server_requests(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->requests;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- keys ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = calloc(1, (size_t)n + 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

static int make_keys(const char *dir)
{
	const char *src = getenv("WXREV_SRC");
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s/scripts/demo-keys.sh %s >/dev/null 2>&1",
		 src ? src : ".", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A CA that issued nothing here. Its name differs from the test CA's:
 * OpenSSL looks issuers up by name, and a namesake would hide the other. */
static int make_other_ca(void)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s' && openssl req -x509 -newkey rsa:2048 -nodes "
		 "-keyout '%s/key.pem' -subj '/CN=wxrev unrelated CA' -days 2 "
		 "-out '%s' >/dev/null 2>&1",
		 otherdir, otherdir, other_ca_pem);
	return system(cmd) == 0 ? 0 : -1;
}

/* An OpenSSL hashed folder (what a system's /etc/ssl/certs is) holding
 * only the test CA. */
static int make_hashdir(void)
{
	FILE *f = fopen(ca_pem, "r");
	X509 *x;
	char path[400];
	char *pem = slurp(ca_pem);
	FILE *out;

	if (!f || !pem)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return -1;
	snprintf(path, sizeof(path), "%s/%08lx.0", hashdir,
		 X509_subject_name_hash(x));
	X509_free(x);
	out = fopen(path, "w");
	if (!out)
		return -1;
	fputs(pem, out);
	fclose(out);
	free(pem);
	return 0;
}

static int setup_all(void **state)
{
	char path[400];
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	(void)state;
	memset(big_body, 'x', sizeof(big_body));
	memset(huge_header, 'h', sizeof(huge_header) - 1);
	snprintf(keydir, sizeof(keydir), "%s/wxrev-http-XXXXXX", tmp);
	if (!mkdtemp(keydir))
		return -1;
	snprintf(otherdir, sizeof(otherdir), "%s/other", keydir);
	snprintf(hashdir, sizeof(hashdir), "%s/hashed", keydir);
	snprintf(ca_pem, sizeof(ca_pem), "%s/keys/test-ca.pem", keydir);
	snprintf(other_ca_pem, sizeof(other_ca_pem), "%s/test-ca.pem",
		 otherdir);
	snprintf(path, sizeof(path), "%s/keys", keydir);
	if (make_keys(path) != 0 || make_other_ca() != 0)
		return -1;
	if (mkdir(hashdir, 0700) != 0 || make_hashdir() != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/keys/server.pem", keydir);
	server_cert = slurp(path);
	snprintf(path, sizeof(path), "%s/keys/server-key.pem", keydir);
	server_key = slurp(path);
	if (!server_cert || !server_key)
		return -1;
	if (server_start(&plain_srv, false) != 0)
		return -1;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES &&
	    server_start(&tls_srv, true) != 0)
		return -1;
	return 0;
}

static int teardown_all(void **state)
{
	char cmd[400];

	(void)state;
	if (plain_srv.d)
		MHD_stop_daemon(plain_srv.d);
	if (tls_srv.d)
		MHD_stop_daemon(tls_srv.d);
	free(server_cert);
	free(server_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", keydir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- helpers ---- */

static const char *const json_headers[] = {
    "Content-Type: application/json",
    "Accept: application/json",
    "X-Custom: custom-value",
    NULL,
};

static char *url_of(const struct server *s, const char *scheme,
		    const char *path)
{
	static char url[128];

	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", scheme, s->port,
		 path);
	return url;
}

static struct http_request post_to(const char *url)
{
	struct http_request req = {
	    .url = url,
	    .method = "POST",
	    .headers = json_headers,
	    .body = "{\"sp_mchid\":\"1230000109\"}",
	    .body_len = strlen("{\"sp_mchid\":\"1230000109\"}"),
	    .connect_timeout_ms = 2000,
	    .timeout_ms = 5000,
	};
	return req;
}

/* Drives the client until t finishes; fails the test after 10 s. */
static void wait_done(struct http_client *c, struct http_transfer *t)
{
	int64_t deadline = wx_monotonic_ms() + 10000;
	struct http_transfer *done = NULL;

	while (!done && wx_monotonic_ms() < deadline) {
		http_client_poll(c, -1, 100, NULL);
		done = http_client_next_done(c);
	}
	assert_ptr_equal(done, t);
}

static struct http_transfer *run(struct http_client *c,
				 const struct http_request *req)
{
	struct wx_err err = {{0}};
	struct http_transfer *t = http_start(c, req, &err);

	if (!t)
		fail_msg("http_start: %s", err.msg);
	wait_done(c, t);
	return t;
}

static void skip_without_tls(void)
{
	if (!tls_srv.d)
		skip();
}

/* ---- tests ---- */

static void plain_post_to_loopback(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(&plain_srv, "http", "/ok"));
	struct http_transfer *t;
	const struct http_response *r;

	(void)state;
	req.user = &req;
	t = run(c, &req);
	r = http_transfer_response(t);
	assert_int_equal(r->curl_code, 0);
	assert_int_equal(r->status, 200);
	assert_string_equal(r->body, "{\"ok\":true}");
	assert_int_equal(r->body_len, strlen("{\"ok\":true}"));
	assert_false(r->truncated);
	assert_true(r->request_sent);
	assert_false(r->host_unreachable);
	assert_string_equal(r->error, "");
	assert_true(r->latency_ms >= 0 && r->latency_ms < 5000);
	assert_string_equal(http_response_header(r, "Request-ID"),
			    "req-0123456789");
	assert_ptr_equal(http_transfer_user(t), &req);
	/* What the server received is exactly what was asked for. */
	pthread_mutex_lock(&plain_srv.lock);
	assert_string_equal(plain_srv.body, "{\"sp_mchid\":\"1230000109\"}");
	assert_string_equal(plain_srv.content_type, "application/json");
	assert_string_equal(plain_srv.custom, "custom-value");
	assert_false(plain_srv.saw_expect);
	pthread_mutex_unlock(&plain_srv.lock);
	assert_int_equal(http_client_running(c), 0);
	http_transfer_free(t);
	http_client_free(c);
}

static void header_lookup_ignores_case(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(&plain_srv, "http", "/ok"));
	struct http_transfer *t;
	const struct http_response *r;

	(void)state;
	t = run(c, &req);
	r = http_transfer_response(t);
	assert_string_equal(http_response_header(r, "request-id"),
			    "req-0123456789");
	assert_string_equal(http_response_header(r, "REQUEST-ID"),
			    "req-0123456789");
	assert_string_equal(http_response_header(r, "content-TYPE"),
			    "application/json");
	assert_null(http_response_header(r, "Wechatpay-Signature"));
	http_transfer_free(t);
	http_client_free(c);
}

static void unreadable_ca_file_refused(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(&tls_srv, "https", "/ok"));
	struct wx_err err = {{0}};

	(void)state;
	req.ca_file = "/nonexistent/ca.pem";
	assert_null(http_start(c, &req, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/ca.pem"));
	assert_int_equal(http_client_running(c), 0);
	http_client_free(c);
}

static void plain_http_refused_off_loopback(void **state)
{
	static const char *const urls[] = {
	    "http://api.mch.weixin.qq.com/v3/pay",
	    "http://10.0.0.1:8080/",
	    "http://127.0.0.1@example.com/",
	    "http://localhost.example.com/",
	    "http://127.0.0.1.example.com/",
	};
	struct http_client *c = http_client_new(NULL);

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(urls); i++) {
		struct http_request req = post_to(urls[i]);
		struct wx_err err = {{0}};

		assert_null(http_start(c, &req, &err));
		assert_non_null(strstr(err.msg, urls[i]));
		assert_non_null(strstr(err.msg, "loopback"));
		assert_int_equal(http_client_running(c), 0);
	}
	http_client_free(c);
}

static void other_schemes_refused(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to("ftp://127.0.0.1/x");
	struct wx_err err = {{0}};

	(void)state;
	assert_null(http_start(c, &req, &err));
	assert_non_null(strstr(err.msg, "https://"));
	req = post_to("not a url");
	assert_null(http_start(c, &req, &err));
	assert_non_null(strstr(err.msg, "not a url"));
	http_client_free(c);
}

static void gzip_body_stays_raw(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(&plain_srv, "http", "/gzip"));
	struct http_transfer *t;
	const struct http_response *r;

	(void)state;
	t = run(c, &req);
	r = http_transfer_response(t);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, sizeof(gzip_body));
	assert_memory_equal(r->body, gzip_body, sizeof(gzip_body));
	assert_string_equal(http_response_header(r, "content-encoding"),
			    "gzip");
	pthread_mutex_lock(&plain_srv.lock);
	assert_false(plain_srv.saw_encoding);
	pthread_mutex_unlock(&plain_srv.lock);
	http_transfer_free(t);
	http_client_free(c);
}

static void reuse_one_connection(struct server *s, const char *scheme)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(s, scheme, "/ok"));
	struct http_transfer *t;
	int before = server_connections(s);

	req.ca_file = ca_pem;
	for (int i = 0; i < 3; i++) {
		t = run(c, &req);
		assert_int_equal(http_transfer_response(t)->status, 200);
		http_transfer_free(t);
	}
	assert_int_equal(server_connections(s) - before, 1);
	http_client_free(c);
}

static void sequential_calls_reuse_connection(void **state)
{
	(void)state;
	reuse_one_connection(&plain_srv, "http");
	skip_without_tls();
	reuse_one_connection(&tls_srv, "https");
}

/* A loopback listener that never answers: the kernel accepts the TCP
 * connection, nothing speaks TLS. */
static int silent_listener(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Accepts one connection, reads the request, hangs up without a word. */
static void *hang_up_after_request(void *arg)
{
	int lfd = *(int *)arg;
	int fd = accept(lfd, NULL, NULL);
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	while (fd >= 0 && got < sizeof(buf) - 1) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "1230000109\"}"))
			break;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

struct delayed_write {
	int fd; /* pipe's write end */
	int ms; /* delay before writing */
};

static void *write_later(void *arg)
{
	struct delayed_write *w = arg;

	usleep((useconds_t)w->ms * 1000);
	if (write(w->fd, "k", 1) != 1)
		return NULL;
	return arg;
}

static void extra_fd_wakes_poll(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(&plain_srv, "http", "/slow"));
	struct http_transfer *t;
	struct delayed_write w = {.ms = 200};
	int fds[2];
	bool ready = false;
	int running = 0;
	int64_t start, deadline;
	pthread_t th;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	w.fd = fds[1];
	t = http_start(c, &req, NULL);
	assert_non_null(t);
	/* Nothing written yet: the descriptor is not reported ready. */
	running = http_client_poll(c, fds[0], 50, &ready);
	assert_false(ready);
	assert_int_equal(running, 1);
	start = wx_monotonic_ms();
	deadline = start + 5000;
	assert_int_equal(pthread_create(&th, NULL, write_later, &w), 0);
	while (!ready && wx_monotonic_ms() < deadline)
		running = http_client_poll(c, fds[0], 5000, &ready);
	assert_true(ready);
	/* Woken by the key press, not by the transfer ending. */
	assert_true(wx_monotonic_ms() - start < SLOW_MS - 300);
	assert_int_equal(running, 1);
	assert_null(http_client_next_done(c));
	pthread_join(th, NULL);
	http_transfer_free(t);
	assert_int_equal(http_client_running(c), 0);
	close(fds[0]);
	close(fds[1]);
	http_client_free(c);
}

static void client_free_releases_running(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_request req = post_to(url_of(&plain_srv, "http", "/ok"));

	(void)state;
	assert_non_null(http_start(c, &req, NULL));
	assert_non_null(http_start(c, &req, NULL));
	assert_int_equal(http_client_running(c), 2);
	http_client_poll(c, -1, 10, NULL);
	/* Frees both, finished or not; the sanitizer run checks for leaks. */
	http_client_free(c);
}

static void loopback_table(void **state)
{
	static const char *const yes[] = {
	    "127.0.0.1",       "127.255.0.3", "127.0.0.1", "::1",
	    "[::1]",	       "localhost",   "LocalHost", "::ffff:127.0.0.1",
	    "0:0:0:0:0:0:0:1",
	};
	static const char *const no[] = {
	    "128.0.0.1",
	    "126.255.255.255",
	    "1.127.0.0",
	    "0.0.0.0",
	    "10.0.0.1",
	    "::",
	    "::2",
	    "[::1",
	    "example.com",
	    "localhost.example.com",
	    "127.0.0.1.example.com",
	    "",
	    "127.0.0.1:80",
	    "::ffff:10.0.0.1",
	};

	(void)state;
	for (size_t i = 0; i < WX_ARRAY_LEN(yes); i++) {
		if (!http_host_is_loopback(yes[i]))
			fail_msg("%s should be loopback", yes[i]);
	}
	for (size_t i = 0; i < WX_ARRAY_LEN(no); i++) {
		if (http_host_is_loopback(no[i]))
			fail_msg("%s should not be loopback", no[i]);
	}
	assert_false(http_host_is_loopback(NULL));
}

static void url_split_cases(void **state)
{
	char scheme[16], host[64];

	(void)state;
	assert_int_equal(
	    http_url_split("https://api.mch.weixin.qq.com/v3/pay/x", scheme,
			   sizeof(scheme), host, sizeof(host)),
	    0);
	assert_string_equal(scheme, "https");
	assert_string_equal(host, "api.mch.weixin.qq.com");
	assert_int_equal(http_url_split("http://user:pw@127.0.0.1:8080/a?b#c",
					scheme, sizeof(scheme), host,
					sizeof(host)),
			 0);
	assert_string_equal(scheme, "http");
	assert_string_equal(host, "127.0.0.1");
	assert_true(http_host_is_loopback(host));
	assert_int_equal(http_url_split("http://[::1]:9000/", scheme,
					sizeof(scheme), host, sizeof(host)),
			 0);
	assert_string_equal(host, "[::1]");
	assert_true(http_host_is_loopback(host));
	assert_int_equal(http_url_split("HTTPS://localhost", scheme,
					sizeof(scheme), host, sizeof(host)),
			 0);
	assert_string_equal(scheme, "https");
	assert_string_equal(host, "localhost");
	assert_int_equal(http_url_split("api.mch.weixin.qq.com/v3", scheme,
					sizeof(scheme), host, sizeof(host)),
			 -1);
	assert_int_equal(http_url_split("https://", scheme, sizeof(scheme),
					host, sizeof(host)),
			 -1);
	assert_int_equal(
	    http_url_split(NULL, scheme, sizeof(scheme), host, sizeof(host)),
	    -1);
	/* A host that does not fit is an error, not a silent cut. */
	assert_int_equal(http_url_split("https://api.mch.weixin.qq.com/",
					scheme, sizeof(scheme), host, 8),
			 -1);
}

/* ---- one exchange, one row ---- */

/* A check that may be left out: designated initialisers leave it ANY. */
enum tri { ANY, NO, YES };

/* Where a row's request goes. */
enum target {
	TO_SERVER,   /* the row's server (plain or TLS) at `path` */
	TO_URL,	     /* `url` as written */
	TO_CLOSED,   /* a loopback port that was just closed */
	TO_SILENT,   /* a listener that accepts and never speaks */
	TO_HANG_UP,  /* a listener that reads the request and hangs up */
};

/* Which CA file the request names. */
enum ca { CA_NONE, CA_TEST, CA_OTHER };

/* One exchange: what is asked, in what surroundings, and what the answer
 * must show. */
struct http_case {
	const char *name;
	enum target to;
	struct server *srv; /* TO_SERVER: &plain_srv (http) or &tls_srv */
	const char *path;   /* TO_SERVER */
	const char *url;    /* TO_URL */
	enum ca ca;
	enum ca system_bundle; /* replaces the system store's bundle */
	bool system_hashdir;   /* replaces its folder with one holding the CA */
	int timeout_ms;	       /* 0: post_to's default */
	int connect_timeout_ms;
	const char *proxy;    /* http_proxy and https_proxy for this row */
	bool no_proxy_unset;  /* clear no_proxy too */
	/* Expected. */
	long status; /* -1: not checked */
	enum tri sent;
	enum tri unreachable;
	enum tri curl_failed;
	enum tri truncated;
	const char *error;  /* "" exactly empty; else a substring; NULL any */
	const char *error2; /* a second substring, or NULL */
	bool server_untouched; /* the server answered no request */
	int latency_min_ms;    /* 0: not checked */
	int latency_max_ms;
};

static const struct http_case cases[] = {
    {.name = "https_trusted_through_ca_file", .srv = &tls_srv, .path = "/ok",
     .ca = CA_TEST, .status = 200, .sent = YES, .curl_failed = NO,
     .error = ""},
    {.name = "https_untrusted_fails_before_sending", .srv = &tls_srv,
     .path = "/ok", .status = 0, .sent = NO, .unreachable = NO,
     .curl_failed = YES, .error = "certificate is not trusted",
     .error2 = "ca_file", .server_untouched = true},
    /* ca_file adds trust; it does not replace the system store. */
    {.name = "ca_file_adds_to_system_folder", .srv = &tls_srv, .path = "/ok",
     .system_hashdir = true, .ca = CA_OTHER, .status = 200, .error = ""},
    /* No hashed folder: the bundle and ca_file are joined in memory. */
    {.name = "ca_file_adds_to_system_bundle", .srv = &tls_srv, .path = "/ok",
     .system_bundle = CA_TEST, .ca = CA_OTHER, .status = 200, .error = ""},
    {.name = "store_without_issuer_refuses", .srv = &tls_srv, .path = "/ok",
     .system_bundle = CA_OTHER, .status = 0, .sent = NO,
     .error = "not trusted"},
    {.name = "connection_refused_is_unreachable", .to = TO_CLOSED,
     .status = 0, .sent = NO, .unreachable = YES,
     .error = "refused the connection"},
    {.name = "oversized_body_is_cut", .srv = &plain_srv, .path = "/big",
     .status = -1, .sent = YES, .curl_failed = YES, .truncated = YES,
     .error = "the answer was larger than 1 MiB and was cut off"},
    {.name = "oversized_headers_are_cut", .srv = &plain_srv, .path = "/hdrs",
     .status = -1, .sent = YES, .curl_failed = YES,
     .error = "headers were larger than 64 KiB"},
    {.name = "timeout_after_sending_is_sent", .srv = &plain_srv,
     .path = "/slow", .timeout_ms = 400, .status = 0, .sent = YES,
     .unreachable = NO, .error = "timed out after 0.4 s",
     .latency_min_ms = 350, .latency_max_ms = SLOW_MS},
    {.name = "handshake_timeout_is_not_sent", .to = TO_SILENT,
     .connect_timeout_ms = 300, .sent = NO, .unreachable = YES,
     .error = "timed out after 0.3 s connecting"},
    {.name = "hang_up_after_request_is_sent", .to = TO_HANG_UP,
     .status = 0, .sent = YES, .unreachable = NO,
     .error = "closed the connection without answering"},
    /* Without any DNS server the lookup may time out instead. */
    {.name = "unknown_host_is_unreachable", .to = TO_URL,
     .url = "https://wxrev-test.invalid/v3/x", .sent = NO,
     .unreachable = YES, .error = "wxrev-test.invalid"},
    /* Proxy variables are libcurl's business, but no proxy can reach this
     * machine's loopback. */
    {.name = "loopback_bypasses_proxy", .srv = &plain_srv, .path = "/ok",
     .proxy = "http://127.0.0.1:9", .status = 200, .error = ""},
    /* Port 9 on loopback is closed: the failure names the proxy, which
     * proves the variable was read (no DNS for the real host needed). */
    {.name = "proxy_variable_is_honoured", .to = TO_URL,
     .url = "https://api.mch.weixin.qq.com/v3/x",
     .proxy = "http://127.0.0.1:9", .no_proxy_unset = true, .sent = NO,
     .error = "127.0.0.1 port 9"},
};

static const char *ca_path(enum ca ca)
{
	return ca == CA_TEST ? ca_pem : ca == CA_OTHER ? other_ca_pem : NULL;
}

static void check_tri(const char *what, enum tri want, bool got)
{
	if (want != ANY && got != (want == YES))
		fail_msg("%s: expected %s", what, want == YES ? "yes" : "no");
}

static void check_answer(const struct http_case *k,
			 const struct http_response *r)
{
	if (k->error && !*k->error)
		assert_string_equal(r->error, "");
	else if (k->error && !strstr(r->error, k->error))
		fail_msg("error \"%s\" lacks \"%s\"", r->error, k->error);
	if (k->error2 && !strstr(r->error, k->error2))
		fail_msg("error \"%s\" lacks \"%s\"", r->error, k->error2);
	if (k->status >= 0)
		assert_int_equal(r->status, k->status);
	check_tri("request sent", k->sent, r->request_sent);
	check_tri("host unreachable", k->unreachable, r->host_unreachable);
	check_tri("transfer failed", k->curl_failed, r->curl_code != 0);
	check_tri("body truncated", k->truncated, r->truncated);
	if (k->truncated == YES) {
		assert_int_equal(r->body_len, HTTP_BODY_CAP);
		assert_int_equal(r->body[HTTP_BODY_CAP], '\0');
	}
	if (k->status == 200) {
		assert_string_equal(r->body, "{\"ok\":true}");
		assert_string_equal(http_response_header(r, "request-id"),
				    "req-0123456789");
	}
	if (k->latency_min_ms &&
	    (r->latency_ms < k->latency_min_ms ||
	     r->latency_ms >= k->latency_max_ms))
		fail_msg("latency %lld ms outside %d..%d",
			 (long long)r->latency_ms, k->latency_min_ms,
			 k->latency_max_ms);
}

/* The URL a row asks for; a listener it needs is left in *fd (or -1). */
static const char *case_url(const struct http_case *k, char *buf, size_t n,
			    int *fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int port;

	*fd = -1;
	switch (k->to) {
	case TO_SERVER:
		return url_of(k->srv, k->srv == &tls_srv ? "https" : "http",
			      k->path);
	case TO_URL:
		return k->url;
	case TO_CLOSED:
		/* A port that was just free and is now closed. */
		*fd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		assert_int_equal(
		    getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
		close(*fd);
		*fd = -1;
		snprintf(buf, n, "https://127.0.0.1:%d/x", ntohs(sa.sin_port));
		return buf;
	case TO_SILENT:
	case TO_HANG_UP:
		*fd = silent_listener(&port);
		snprintf(buf, n, "%s://127.0.0.1:%d/x",
			 k->to == TO_SILENT ? "https" : "http", port);
		return buf;
	}
	return NULL;
}

static void run_case(void **state)
{
	const struct http_case *k = *state;
	struct http_client *c = http_client_new(NULL);
	struct http_request req;
	struct http_transfer *t;
	char url[64];
	int fd, before = 0;
	pthread_t th;

	if (k->to == TO_SERVER && k->srv == &tls_srv)
		skip_without_tls();
	req = post_to(case_url(k, url, sizeof(url), &fd));
	req.ca_file = ca_path(k->ca);
	if (k->timeout_ms)
		req.timeout_ms = k->timeout_ms;
	if (k->connect_timeout_ms)
		req.connect_timeout_ms = k->connect_timeout_ms;
	if (k->system_bundle || k->system_hashdir)
		http_client_set_system_trust(c, ca_path(k->system_bundle),
					     k->system_hashdir ? hashdir
							       : NULL);
	if (k->proxy) {
		setenv("http_proxy", k->proxy, 1);
		setenv("https_proxy", k->proxy, 1);
	}
	if (k->no_proxy_unset) {
		unsetenv("no_proxy");
		unsetenv("NO_PROXY");
	}
	if (k->to == TO_HANG_UP)
		assert_int_equal(
		    pthread_create(&th, NULL, hang_up_after_request, &fd), 0);
	if (k->server_untouched)
		before = server_requests(k->srv);
	t = run(c, &req);
	if (k->to == TO_HANG_UP)
		pthread_join(th, NULL);
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	check_answer(k, http_transfer_response(t));
	if (k->server_untouched)
		assert_int_equal(server_requests(k->srv), before);
	http_transfer_free(t);
	http_client_free(c);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	static const struct CMUnitTest single[] = {
	    cmocka_unit_test(loopback_table),
	    cmocka_unit_test(url_split_cases),
	    cmocka_unit_test(plain_post_to_loopback),
	    cmocka_unit_test(header_lookup_ignores_case),
	    cmocka_unit_test(unreadable_ca_file_refused),
	    cmocka_unit_test(plain_http_refused_off_loopback),
	    cmocka_unit_test(other_schemes_refused),
	    cmocka_unit_test(gzip_body_stays_raw),
	    cmocka_unit_test(sequential_calls_reuse_connection),
	    cmocka_unit_test(extra_fd_wakes_poll),
	    cmocka_unit_test(client_free_releases_running),
	};
	struct CMUnitTest tests[WX_ARRAY_LEN(single) + WX_ARRAY_LEN(cases)];
	size_t n = 0;

	for (size_t i = 0; i < WX_ARRAY_LEN(single); i++)
		tests[n++] = single[i];
	/* One test per row, named by the row. */
	for (size_t i = 0; i < WX_ARRAY_LEN(cases); i++) {
		tests[n] = single[0];
		tests[n].name = cases[i].name;
		tests[n].test_func = run_case;
		tests[n].initial_state = (void *)&cases[i];
		n++;
	}
	return _cmocka_run_group_tests("test_http", tests, n, setup_all,
				       teardown_all);
}
