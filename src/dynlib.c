/* dynlib: libcurl and libpq, loaded when first used (see dynlib.h).
 *
 * Each function below has the name and prototype the library's header
 * declares, so the compiler checks every forwarder against it; the
 * library's own function is looked up (dlsym) when the library loads. */
#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt is a function here */

#include "dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <libpq-fe.h>

struct lib {
	const char *soname;  /* the ABI wxrev was built for */
	const char *package; /* the Debian package that ships it */
	const char *needed;  /* what wxrev needs it for */
	pthread_once_t once;
	void *handle;  /* NULL until loaded */
	char why[512]; /* why it did not load */
};

static struct lib curl_lib = {
    "libcurl.so.4",    "libcurl4", N_("to reach WeChat Pay"),
    PTHREAD_ONCE_INIT, NULL,	   ""};
static struct lib pq_lib = {
    "libpq.so.5",      "libpq5", N_("for a desk history on PostgreSQL"),
    PTHREAD_ONCE_INIT, NULL,	 ""};

/* The functions wxrev calls: F(return type, name, parameters, arguments),
 * V(...) for those returning nothing; the variadic three, whose arguments
 * depend on the option, are forwarded by hand at the end. */
#define CURL_FUNCS(F, V)                                                       \
	F(CURLcode, curl_global_init, (long flags), (flags))                   \
	F(CURL *, curl_easy_init, (void), ())                                  \
	V(curl_easy_cleanup, (CURL * curl), (curl))                            \
	F(const char *, curl_easy_strerror, (CURLcode code), (code))           \
	F(CURLU *, curl_url, (void), ())                                       \
	V(curl_url_cleanup, (CURLU * u), (u))                                  \
	F(CURLUcode, curl_url_set,                                             \
	  (CURLU * u, CURLUPart what, const char *part, unsigned int flags),   \
	  (u, what, part, flags))                                              \
	F(CURLUcode, curl_url_get,                                             \
	  (CURLU * u, CURLUPart what, char **part, unsigned int flags),        \
	  (u, what, part, flags))                                              \
	V(curl_free, (void *p), (p))                                           \
	F(struct curl_slist *, curl_slist_append,                              \
	  (struct curl_slist * list, const char *s), (list, s))                \
	V(curl_slist_free_all, (struct curl_slist * list), (list))             \
	F(curl_version_info_data *, curl_version_info, (CURLversion v), (v))   \
	F(CURLM *, curl_multi_init, (void), ())                                \
	F(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL * e), (m, e))     \
	F(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL * e), (m, e))  \
	F(CURLMcode, curl_multi_cleanup, (CURLM * m), (m))                     \
	F(CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left))  \
	F(CURLMcode, curl_multi_poll,                                          \
	  (CURLM * m, struct curl_waitfd extra[], unsigned int n,              \
	   int timeout_ms, int *ret),                                          \
	  (m, extra, n, timeout_ms, ret))                                      \
	F(CURLMcode, curl_multi_perform, (CURLM * m, int *running),            \
	  (m, running))
#define CURL_VARIADIC(F)                                                       \
	F(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...), ())           \
	F(CURLMcode, curl_multi_setopt, (CURLM *, CURLMoption, ...), ())       \
	F(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...), ())

#define PQ_FUNCS(F, V)                                                         \
	F(PGconn *, PQconnectStartParams,                                      \
	  (const char *const *keys, const char *const *values, int expand),    \
	  (keys, values, expand))                                              \
	F(PGconn *, PQconnectdbParams,                                         \
	  (const char *const *keys, const char *const *values, int expand),    \
	  (keys, values, expand))                                              \
	F(PostgresPollingStatusType, PQconnectPoll, (PGconn * c), (c))         \
	V(PQfinish, (PGconn * c), (c))                                         \
	V(PQreset, (PGconn * c), (c))                                          \
	F(PQconninfoOption *, PQconninfoParse, (const char *s, char **errmsg), \
	  (s, errmsg))                                                         \
	V(PQconninfoFree, (PQconninfoOption * o), (o))                         \
	F(char *, PQuser, (const PGconn *c), (c))                              \
	F(ConnStatusType, PQstatus, (const PGconn *c), (c))                    \
	F(char *, PQerrorMessage, (const PGconn *c), (c))                      \
	F(int, PQsocket, (const PGconn *c), (c))                               \
	F(int, PQbackendPID, (const PGconn *c), (c))                           \
	F(int, PQconnectionNeedsPassword, (const PGconn *c), (c))              \
	F(int, PQconnectionUsedPassword, (const PGconn *c), (c))               \
	F(PQnoticeProcessor, PQsetNoticeProcessor,                             \
	  (PGconn * c, PQnoticeProcessor proc, void *arg), (c, proc, arg))     \
	F(PGresult *, PQexec, (PGconn * c, const char *query), (c, query))     \
	F(int, PQsendQueryParams,                                              \
	  (PGconn * c, const char *command, int n, const Oid *types,           \
	   const char *const *values, const int *lengths, const int *formats,  \
	   int result_format),                                                 \
	  (c, command, n, types, values, lengths, formats, result_format))     \
	F(PGresult *, PQgetResult, (PGconn * c), (c))                          \
	F(int, PQisBusy, (PGconn * c), (c))                                    \
	F(int, PQconsumeInput, (PGconn * c), (c))                              \
	F(PGnotify *, PQnotifies, (PGconn * c), (c))                           \
	F(int, PQsetnonblocking, (PGconn * c, int arg), (c, arg))              \
	F(int, PQflush, (PGconn * c), (c))                                     \
	F(ExecStatusType, PQresultStatus, (const PGresult *r), (r))            \
	F(char *, PQresultErrorField, (const PGresult *r, int field),          \
	  (r, field))                                                          \
	F(int, PQntuples, (const PGresult *r), (r))                            \
	F(char *, PQgetvalue, (const PGresult *r, int row, int col),           \
	  (r, row, col))                                                       \
	F(int, PQgetlength, (const PGresult *r, int row, int col),             \
	  (r, row, col))                                                       \
	F(int, PQgetisnull, (const PGresult *r, int row, int col),             \
	  (r, row, col))                                                       \
	V(PQclear, (PGresult * r), (r))                                        \
	V(PQfreemem, (void *p), (p))

/* One pointer per function, filled when its library loads. The parameter
 * list is pasted whole, so it cannot be parenthesised. */
#define POINTER(ret, name, params, args)                                       \
	static ret(*p_##name) params; /* NOLINT(bugprone-macro-parentheses) */
#define POINTER_V(name, params, args)                                          \
	static void(*p_##name) params; /* NOLINT(bugprone-macro-parentheses)   \
					*/
CURL_FUNCS(POINTER, POINTER_V)
CURL_VARIADIC(POINTER)
PQ_FUNCS(POINTER, POINTER_V)

/* 0 when the library is loaded, else -1 with err saying why not. */
static int lib_status(const struct lib *l, struct wx_err *err)
{
	return l->handle ? 0 : wx_err_set(err, "%s", l->why);
}

/* The library's function name into *fp (a function pointer of size n). */
static bool lib_find(struct lib *l, const char *name, void *fp, size_t n)
{
	void *sym = dlsym(l->handle, name);

	if (sym) {
		memcpy(fp, &sym, n);
		return true;
	}
	snprintf(l->why, sizeof(l->why),
		 _("%s is too old (it has no %s), and wxrev needs it %s: "
		   "upgrade the %s package"),
		 l->soname, name, _(l->needed), l->package);
	dlclose(l->handle);
	l->handle = NULL;
	return false;
}

static bool lib_open(struct lib *l)
{
	l->handle = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL);
	if (l->handle)
		return true;
	snprintf(l->why, sizeof(l->why),
		 _("cannot load %s (%s), and wxrev needs it %s: install the "
		   "%s package (apt-get install %s)"),
		 l->soname, dlerror(), _(l->needed), l->package, l->package);
	return false;
}

#define FIND(ret, name, params, args)                                          \
	if (!lib_find(l, #name, &p_##name, sizeof(p_##name)))                  \
		return;
#define FIND_V(name, params, args) FIND(void, name, params, args)

static void open_curl(void)
{
	struct lib *l = &curl_lib;

	if (lib_open(l)) {
		CURL_FUNCS(FIND, FIND_V)
		CURL_VARIADIC(FIND)
	}
}

static void open_pq(void)
{
	struct lib *l = &pq_lib;

	if (lib_open(l)) {
		PQ_FUNCS(FIND, FIND_V)
	}
}

int dynlib_curl(struct wx_err *err)
{
	pthread_once(&curl_lib.once, open_curl);
	return lib_status(&curl_lib, err);
}

int dynlib_pq(struct wx_err *err)
{
	pthread_once(&pq_lib.once, open_pq);
	return lib_status(&pq_lib, err);
}

/* Reached only by a path that did not ask dynlib_curl or dynlib_pq. */
static void need(int rc, const struct lib *l)
{
	if (rc != 0)
		wx_fatal("%s", l->why);
}

static void need_curl(void)
{
	need(dynlib_curl(NULL), &curl_lib);
}

static void need_pq(void)
{
	need(dynlib_pq(NULL), &pq_lib);
}

#define FORWARD(need_lib, ret, name, params, args)                             \
	ret name params                                                        \
	{                                                                      \
		need_lib();                                                    \
		return p_##name args;                                          \
	}
#define FORWARD_V(need_lib, name, params, args)                                \
	void name params                                                       \
	{                                                                      \
		need_lib();                                                    \
		p_##name args;                                                 \
	}
#define CURL_FORWARD(ret, name, params, args)                                  \
	FORWARD(need_curl, ret, name, params, args)
#define CURL_FORWARD_V(name, params, args)                                     \
	FORWARD_V(need_curl, name, params, args)
#define PQ_FORWARD(ret, name, params, args)                                    \
	FORWARD(need_pq, ret, name, params, args)
#define PQ_FORWARD_V(name, params, args) FORWARD_V(need_pq, name, params, args)

CURL_FUNCS(CURL_FORWARD, CURL_FORWARD_V)
PQ_FUNCS(PQ_FORWARD, PQ_FORWARD_V)

/* libcurl's options of one argument type share a range of numbers
 * (CURLOPTTYPE_* in curl.h, the same for the multi options), so an option
 * says which type to read back. */
enum option_arg { ARG_LONG, ARG_POINTER, ARG_FUNCTION, ARG_OFF_T };

union option_value {
	long l;
	void *p; /* objects, strings, lists and blobs */
	void (*f)(void);
	curl_off_t o;
};

static enum option_arg option_read(long o, va_list *ap, union option_value *v)
{
	if (o < CURLOPTTYPE_OBJECTPOINT) {
		v->l = va_arg(*ap, long);
		return ARG_LONG;
	}
	if (o >= CURLOPTTYPE_FUNCTIONPOINT && o < CURLOPTTYPE_OFF_T) {
		v->f = va_arg(*ap, void (*)(void));
		return ARG_FUNCTION;
	}
	if (o >= CURLOPTTYPE_OFF_T && o < CURLOPTTYPE_BLOB) {
		v->o = va_arg(*ap, curl_off_t);
		return ARG_OFF_T;
	}
	v->p = va_arg(*ap, void *);
	return ARG_POINTER;
}

/* Returns fn's answer to the option with its argument, as read. */
#define FORWARD_OPTION(fn, handle, option, arg, v)                             \
	switch (arg) {                                                         \
	case ARG_LONG:                                                         \
		return (fn)(handle, option, (v).l);                            \
	case ARG_FUNCTION:                                                     \
		return (fn)(handle, option, (v).f);                            \
	case ARG_OFF_T:                                                        \
		return (fn)(handle, option, (v).o);                            \
	default:                                                               \
		return (fn)(handle, option, (v).p);                            \
	}

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	union option_value v;
	enum option_arg arg;
	va_list ap;

	need_curl();
	va_start(ap, option);
	arg = option_read((long)option, &ap, &v);
	va_end(ap);
	FORWARD_OPTION(p_curl_easy_setopt, curl, option, arg, v)
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption option, ...)
{
	union option_value v;
	enum option_arg arg;
	va_list ap;

	need_curl();
	va_start(ap, option);
	arg = option_read((long)option, &ap, &v);
	va_end(ap);
	FORWARD_OPTION(p_curl_multi_setopt, m, option, arg, v)
}

/* Every CURLINFO takes one pointer. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	void *out;

	need_curl();
	va_start(ap, info);
	out = va_arg(ap, void *);
	va_end(ap);
	return p_curl_easy_getinfo(curl, info, out);
}
