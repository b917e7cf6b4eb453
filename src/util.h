/* util: the project's error convention and small shared helpers.
 *
 * Error convention: a function that can fail returns 0 on success and -1 on
 * failure, and fills a caller-supplied `struct wx_err` with one sentence a
 * person can act on ("profiles/acme.yaml:12:5: sub_mchid must be ...").
 * `err` may be NULL when the caller does not want the message.
 *
 * Allocation: wx_xmalloc and friends never return NULL; on exhaustion they
 * call the registered fatal hook (the TUI restores the terminal there) and
 * abort. */
#ifndef WXREV_UTIL_H
#define WXREV_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* pthread_t */

#define WXREV_VERSION "0.1.0"

/* User-facing strings: _() translates (gettext, domain "wxrev", see
 * i18n.h); N_() only marks a string in a static table for extraction, and
 * the reader translates it with _() where it is shown. */
#include <libintl.h>
#define _(s)  gettext(s)
#define N_(s) (s)

#define WX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define WX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WX_NORETURN __attribute__((noreturn))
#else
#define WX_PRINTF(f, a)
#define WX_NORETURN
#endif

struct wx_err {
	char msg[1024]; /* one actionable sentence, NUL-terminated */
};

/* Formats into err (if non-NULL) and returns -1, so `return wx_err_set(...)`. */
int wx_err_set(struct wx_err *err, const char *fmt, ...) WX_PRINTF(2, 3);
/* Prefixes an existing message: "ctx: old message". Returns -1. */
int wx_err_prefix(struct wx_err *err, const char *fmt, ...) WX_PRINTF(2, 3);

/* Called before abort() on allocation failure; the TUI sets it to endwin. */
void wx_set_fatal_hook(void (*hook)(void));
void wx_fatal(const char *fmt, ...) WX_PRINTF(1, 2) WX_NORETURN;

void *wx_xmalloc(size_t n);
void *wx_xcalloc(size_t n, size_t size);
void *wx_xrealloc(void *p, size_t n);
char *wx_xstrdup(const char *s);            /* NULL in, NULL out */
char *wx_xstrndup(const char *s, size_t n);
char *wx_xasprintf(const char *fmt, ...) WX_PRINTF(1, 2);
char *wx_xvasprintf(const char *fmt, va_list ap) WX_PRINTF(1, 0);

/* Overwrites n bytes in a way the compiler cannot drop (OPENSSL_cleanse). */
void wx_wipe(void *p, size_t n);

/* Growable byte buffer; always NUL-terminated after any append. */
struct wx_buf {
	char *data; /* owned; NULL until the first append */
	size_t len; /* bytes used, excluding the terminating NUL */
	size_t cap; /* bytes allocated */
};
void wx_buf_append(struct wx_buf *b, const void *p, size_t n);
void wx_buf_puts(struct wx_buf *b, const char *s);
void wx_buf_printf(struct wx_buf *b, const char *fmt, ...) WX_PRINTF(2, 3);
void wx_buf_free(struct wx_buf *b);
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *wx_buf_take(struct wx_buf *b);
/* "%s%" as a SQL LIKE pattern for "contains s", its wildcards (% _ \)
 * escaped by backslash (ESCAPE '\'); both history backends use it.
 * malloc'd. */
char *wx_like_contains(const char *s);

/* Clocks. */
int64_t wx_now_ms(void);       /* wall clock, ms since the epoch */
int64_t wx_monotonic_ms(void); /* for timeouts and latency */

/* Starts a thread that takes no signals: they stay the main thread's,
 * whose handlers set the flags its loop reads. 0, or an errno value. */
int wx_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* mkdir -p with the given mode for every created component. */
int wx_mkdir_p(const char *path, unsigned mode, struct wx_err *err);

/* A list of problems, each a full sentence (e.g. every problem found while
 * loading profiles). */
struct wx_diags {
	char **msgs;
	size_t n;
};
void wx_diags_add(struct wx_diags *d, const char *fmt, ...) WX_PRINTF(2, 3);
void wx_diags_free(struct wx_diags *d);

/* Case-insensitive ASCII comparison. */
int wx_strcaseeq(const char *a, const char *b);

#endif
