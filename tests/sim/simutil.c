/* simutil: allocation, error and clock helpers for wxpay-sim. */
#define _POSIX_C_SOURCE 200809L
#include "simutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int sim_err_set(struct sim_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void *check_alloc(void *p)
{
	if (p == NULL) {
		(void)fputs("wxpay-sim: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *sim_xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *sim_xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *sim_xstrdup(const char *s)
{
	if (s == NULL)
		return NULL;
	return check_alloc(strdup(s));
}

char *sim_xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sim_xstrdup("");
	s = sim_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *sim_read_file(const char *path, size_t *len, struct sim_err *err)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t used = 0, cap = 0, got;

	if (f == NULL) {
		sim_err_set(err, "%s: %s; check the path in the config", path,
			    strerror(errno));
		return NULL;
	}
	do {
		if (cap - used < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = sim_xrealloc(data, cap + 1);
		}
		got = fread(data + used, 1, cap - used, f);
		used += got;
	} while (got > 0);
	if (ferror(f)) {
		sim_err_set(err, "%s: read failed; check the file", path);
		free(data);
		data = NULL;
	} else {
		data[used] = '\0';
		if (len != NULL)
			*len = used;
	}
	(void)fclose(f);
	return data;
}

int64_t sim_now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sim_strcaseeq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}
