/* hostile: a deliberately misbehaving HTTPS (or HTTP) server for the fault
 * tests. It answers every request with one canned response, correctly signed
 * the way WeChat Pay signs (so a client gets past the signature check and
 * into its parsing), and can misbehave on the way out: trickle the body,
 * reset the connection in the middle, or stream a body without end.
 *
 *   hostile --port-file F [--bind ADDR] [--tls CERT KEY] [--status N]
 *           [--body FILE] [--header "Name: value"]... [--sign KEY SERIAL]
 *           [--trickle-ms N] [--reset-after N] [--endless] [--log FILE]
 *
 * One connection at a time, "Connection: close" on every answer. Each
 * request line is appended to --log. Exits 0 on SIGTERM/SIGINT. Test-only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define MAX_HEADERS 32

struct opts {
	const char *port_file; /* where the chosen port is written */
	const char *bind;      /* address to listen on */
	const char *cert;      /* TLS certificate; NULL: plain HTTP */
	const char *key;       /* TLS key */
	int status;            /* HTTP status of the answer */
	const char *body_file; /* canned body; empty when NULL */
	const char *headers[MAX_HEADERS]; /* extra "Name: value" lines */
	int nheaders;
	const char *sign_key; /* platform private key for Wechatpay-* */
	const char *serial;   /* Wechatpay-Serial to send */
	int trickle_ms;       /* >0: one body byte per interval */
	long reset_after;     /* >=0: reset the connection after N body bytes */
	int endless;          /* announce 1 GiB and stream until the peer goes */
	const char *log;      /* request lines */
};

struct conn {
	int fd;   /* accepted socket */
	SSL *ssl; /* NULL for plain HTTP */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	ERR_print_errors_fp(stderr);
	exit(1);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		die(path);
	if (fseek(f, 0, SEEK_END) != 0)
		die(path);
	n = ftell(f);
	if (n < 0)
		die(path);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Base64 SHA256withRSA over "ts\nnonce\nbody\n". */
static char *sign_answer(const char *keyfile, const char *ts,
			 const char *nonce, const char *body, size_t len)
{
	FILE *f = fopen(keyfile, "r");
	EVP_PKEY *pkey = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	char *out = malloc(4 * sizeof(sig) / 3 + 4);

	if (!pkey || !md || !out)
		die(keyfile);
	fclose(f);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSignUpdate(md, ts, strlen(ts)) != 1 ||
	    EVP_DigestSignUpdate(md, "\n", 1) != 1 ||
	    EVP_DigestSignUpdate(md, nonce, strlen(nonce)) != 1 ||
	    EVP_DigestSignUpdate(md, "\n", 1) != 1 ||
	    EVP_DigestSignUpdate(md, body, len) != 1 ||
	    EVP_DigestSignUpdate(md, "\n", 1) != 1 ||
	    EVP_DigestSignFinal(md, sig, &siglen) != 1)
		die("sign");
	EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return out;
}

static int conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->ssl)
		return SSL_write(c->ssl, p, (int)n) == (int)n ? 0 : -1;
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t conn_read(struct conn *c, char *p, size_t n)
{
	if (c->ssl)
		return SSL_read(c->ssl, p, (int)n);
	return recv(c->fd, p, n, 0);
}

/* Reads the request head and its Content-Length body; logs the first line. */
static int read_request(struct conn *c, const struct opts *o)
{
	char buf[65536];
	size_t have = 0;
	char *end = NULL, *cl;
	long want = 0;

	while (!end) {
		ssize_t r = conn_read(c, buf + have, sizeof(buf) - 1 - have);

		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end && have >= sizeof(buf) - 1)
			return -1;
	}
	for (cl = buf; cl < end; cl++) {
		if (strncasecmp(cl, "\r\ncontent-length:", 17) == 0) {
			want = strtol(cl + 17, NULL, 10);
			break;
		}
	}
	want -= (long)(have - (size_t)(end + 4 - buf));
	while (want > 0) {
		char sink[4096];
		ssize_t r = conn_read(c, sink, sizeof(sink));

		if (r <= 0)
			return -1;
		want -= r;
	}
	if (o->log) {
		FILE *f = fopen(o->log, "a");

		if (f) {
			fprintf(f, "%.*s\n", (int)strcspn(buf, "\r\n"), buf);
			fclose(f);
		}
	}
	return 0;
}

static void reset_conn(struct conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void send_body(struct conn *c, const struct opts *o, const char *body,
		      size_t len)
{
	static char chunk[65536];
	size_t i;

	if (o->endless) {
		memset(chunk, 'A', sizeof(chunk));
		while (!stop && conn_write(c, chunk, sizeof(chunk)) == 0)
			;
		return;
	}
	for (i = 0; i < len; i++) {
		if (o->reset_after >= 0 && (long)i == o->reset_after) {
			reset_conn(c);
			return;
		}
		if (o->trickle_ms <= 0) {
			size_t n = len - i;

			if (o->reset_after >= 0)
				n = (size_t)o->reset_after - i;
			if (conn_write(c, body + i, n) != 0)
				return;
			i += n - 1;
			continue;
		}
		if (conn_write(c, body + i, 1) != 0)
			return;
		usleep((useconds_t)o->trickle_ms * 1000);
	}
}

static void answer(struct conn *c, const struct opts *o, const char *body,
		   size_t len)
{
	char head[8192], ts[32];
	const char *nonce = "c5ac7061fccab6bf3e254dcf98995b8c";
	int n, i;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d Hostile\r\nConnection: close\r\n"
		     "Request-ID: hostile-%ld\r\nContent-Length: %lu\r\n",
		     o->status, (long)time(NULL),
		     o->endless ? 1073741824UL : (unsigned long)len);
	for (i = 0; i < o->nheaders; i++)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "%s\r\n",
			      o->headers[i]);
	if (o->sign_key) {
		char *sig;

		snprintf(ts, sizeof(ts), "%ld", (long)time(NULL));
		sig = sign_answer(o->sign_key, ts, nonce, body, len);
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Wechatpay-Timestamp: %s\r\nWechatpay-Nonce: %s\r\n"
			      "Wechatpay-Serial: %s\r\nWechatpay-Signature: %s\r\n",
			      ts, nonce, o->serial, sig);
		free(sig);
	}
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (conn_write(c, head, (size_t)n) == 0)
		send_body(c, o, body, len);
}

static int listen_on(const struct opts *o)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	if (fd < 0 || inet_pton(AF_INET, o->bind, &sa.sin_addr) != 1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		die("listen");
	f = fopen(o->port_file, "w");
	if (!f)
		die(o->port_file);
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	fclose(f);
	return fd;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = argc - i - 1;

		if (!strcmp(a, "--port-file") && more >= 1)
			o->port_file = argv[++i];
		else if (!strcmp(a, "--bind") && more >= 1)
			o->bind = argv[++i];
		else if (!strcmp(a, "--tls") && more >= 2) {
			o->cert = argv[++i];
			o->key = argv[++i];
		} else if (!strcmp(a, "--status") && more >= 1)
			o->status = atoi(argv[++i]);
		else if (!strcmp(a, "--body") && more >= 1)
			o->body_file = argv[++i];
		else if (!strcmp(a, "--header") && more >= 1 &&
			 o->nheaders < MAX_HEADERS)
			o->headers[o->nheaders++] = argv[++i];
		else if (!strcmp(a, "--sign") && more >= 2) {
			o->sign_key = argv[++i];
			o->serial = argv[++i];
		} else if (!strcmp(a, "--trickle-ms") && more >= 1)
			o->trickle_ms = atoi(argv[++i]);
		else if (!strcmp(a, "--reset-after") && more >= 1)
			o->reset_after = atol(argv[++i]);
		else if (!strcmp(a, "--endless"))
			o->endless = 1;
		else if (!strcmp(a, "--log") && more >= 1)
			o->log = argv[++i];
		else {
			fprintf(stderr, "hostile: bad argument '%s' (see the "
					"comment at the top of hostile.c)\n",
				a);
			exit(2);
		}
	}
	if (!o->port_file) {
		fprintf(stderr, "hostile: --port-file is required\n");
		exit(2);
	}
}

static SSL_CTX *tls_context(const struct opts *o)
{
	SSL_CTX *ctx;

	if (!o->cert)
		return NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx ||
	    SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1)
		die("tls");
	return ctx;
}

static void serve(int lfd, SSL_CTX *ctx, const struct opts *o,
		  const char *body, size_t len)
{
	while (!stop) {
		struct conn c = {.fd = accept(lfd, NULL, NULL)};

		if (c.fd < 0)
			continue;
		if (ctx) {
			c.ssl = SSL_new(ctx);
			SSL_set_fd(c.ssl, c.fd);
			if (SSL_accept(c.ssl) != 1) {
				SSL_free(c.ssl);
				close(c.fd);
				continue;
			}
		}
		if (read_request(&c, o) == 0)
			answer(&c, o, body, len);
		if (c.ssl) {
			if (o->reset_after < 0)
				SSL_shutdown(c.ssl);
			SSL_free(c.ssl);
		}
		close(c.fd);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {.bind = "127.0.0.1", .status = 200, .reset_after = -1};
	struct sigaction sa = {.sa_handler = on_signal};
	char *body;
	size_t len = 0;
	SSL_CTX *ctx;
	int lfd;

	parse_args(argc, argv, &o);
	body = o.body_file ? read_file(o.body_file, &len) : calloc(1, 1);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: accept returns */
	sigaction(SIGINT, &sa, NULL);
	ctx = tls_context(&o);
	lfd = listen_on(&o);
	serve(lfd, ctx, &o, body, len);
	close(lfd);
	SSL_CTX_free(ctx);
	free(body);
	return 0;
}
