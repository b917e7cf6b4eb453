/* simutil: small helpers shared by the wxpay-sim files.
 *
 * Errors follow the project's convention without linking its code: a
 * function that can fail returns 0 or -1 and fills a `struct sim_err`.
 * Allocators never return NULL; they abort on exhaustion (test tool). */
#ifndef WXPAY_SIM_UTIL_H
#define WXPAY_SIM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SIM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SIM_PRINTF(f, a)
#endif

struct sim_err {
	char msg[512]; /* one sentence naming the problem and the fix */
};

/* Formats into err (if non-NULL) and returns -1. */
int sim_err_set(struct sim_err *err, const char *fmt, ...) SIM_PRINTF(2, 3);

void *sim_xmalloc(size_t n);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s); /* NULL in, NULL out */
char *sim_xasprintf(const char *fmt, ...) SIM_PRINTF(1, 2);

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
char *sim_read_file(const char *path, size_t *len, struct sim_err *err);

/* Wall clock in seconds and milliseconds since the epoch. */
int64_t sim_now_s(void);
int64_t sim_now_ms(void);

/* Case-insensitive ASCII equality. */
int sim_strcaseeq(const char *a, const char *b);

#endif
