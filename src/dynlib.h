/* dynlib: libcurl and libpq, loaded when first used.
 *
 * The two libraries and what they pull in (Kerberos, LDAP, SASL, a second
 * TLS stack, SSH) are about thirty shared objects whose loading cost every
 * start some 10 ms, although `wxrev history` needs neither and an SQLite
 * history never needs libpq. wxrev is therefore not linked against them:
 * dynlib.c defines the libcurl and libpq functions wxrev calls, and each
 * forwards to the library's own, which the first call loads (dlopen).
 * Callers keep using the libraries' own headers and names.
 * Errors: a library that cannot be loaded is said once, by the first
 * dynlib_curl or dynlib_pq call, with what to install. Every path into
 * libcurl (http_client_new, http_url_split) and libpq
 * (history_pg_check_uri) asks first; a function called without that check
 * on a machine without the library ends the program with that message. */
#ifndef WXREV_DYNLIB_H
#define WXREV_DYNLIB_H

#include "util.h"

/* Loads the library (once; later calls return at once): 0, or -1 with the
 * reason and the fix in err. Safe from any thread. */
int dynlib_curl(struct wx_err *err);
int dynlib_pq(struct wx_err *err);

#endif
