/* util: errors, allocation, buffers, clocks and lists of messages (see
 * util.h). */
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

static void (*fatal_hook)(void);

int wx_err_set(struct wx_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int wx_err_prefix(struct wx_err *err, const char *fmt, ...)
{
	char prefix[512];
	char old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is acceptable: the start of the sentence is what matters. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	return -1;
}

int wx_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void wx_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

void wx_fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook)
		fatal_hook();
	fputs("wxrev: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *wx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		wx_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *wx_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		wx_fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *wx_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		wx_fatal("out of memory (%zu bytes)", n);
	return q;
}

char *wx_xstrdup(const char *s)
{
	return s ? wx_xstrndup(s, strlen(s)) : NULL;
}

char *wx_xstrndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	p = wx_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *wx_xvasprintf(const char *fmt, va_list ap)
{
	va_list copy;
	int n;
	char *p;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		wx_fatal("bad format string");
	p = wx_xmalloc((size_t)n + 1);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *wx_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = wx_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void wx_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

static void buf_reserve(struct wx_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = wx_xrealloc(b->data, b->cap);
}

void wx_buf_append(struct wx_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void wx_buf_puts(struct wx_buf *b, const char *s)
{
	wx_buf_append(b, s, strlen(s));
}

void wx_buf_printf(struct wx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		wx_fatal("bad format string");
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void wx_buf_free(struct wx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

char *wx_buf_take(struct wx_buf *b)
{
	char *p = b->data ? b->data : wx_xstrdup("");

	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

char *wx_like_contains(const char *s)
{
	struct wx_buf b = {0};

	wx_buf_puts(&b, "%");
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			wx_buf_puts(&b, "\\");
		wx_buf_append(&b, s, 1);
	}
	wx_buf_puts(&b, "%");
	return wx_buf_take(&b);
}

int64_t wx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wx_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wx_mkdir_p(const char *path, unsigned mode, struct wx_err *err)
{
	char *copy = wx_xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; ; p++) {
		int last = (*p == '\0');

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(copy, (mode_t)mode) != 0 && errno != EEXIST) {
			rc = wx_err_set(err, "cannot create folder %s: %s", copy,
					strerror(errno));
			break;
		}
		if (last)
			break;
		*p = '/';
	}
	free(copy);
	return rc;
}

void wx_diags_add(struct wx_diags *d, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = wx_xvasprintf(fmt, ap);
	va_end(ap);
	/* Capacity doubles at powers of two, so 100 000 messages stay cheap. */
	if (d->n == 0 || (d->n & (d->n - 1)) == 0)
		d->msgs = wx_xrealloc(d->msgs,
				      (d->n ? d->n * 2 : 1) * sizeof(*d->msgs));
	d->msgs[d->n++] = msg;
}

void wx_diags_free(struct wx_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
}

int wx_strcaseeq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}
