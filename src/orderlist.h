/* orderlist: a ticket's list of orders, read and checked before anything
 * is sent.
 *
 * Formats: one order per line, or CSV (RFC 4180 quoting, one record per
 * line) whose header names `out_trade_no` and optionally `sub_mchid` (or
 * `sub`) and `note`, in any order. UTF-8; a byte-order mark, CRLF line ends,
 * blank lines and `#` comment lines are tolerated (in the one-per-line form
 * a `#` after white space also starts a comment).
 * Checks: every order number by apiv3_order_check, every note free of
 * control characters, every sub-merchant resolved by the caller's
 * function. Each bad line becomes one problem "NAME:LINE: ..." and the list
 * must not be sent while any remains. The same order for the same
 * sub-merchant twice is kept once, and the repeat is noted
 * "NAME:LINE: ... repeats line N; it is sent once".
 * Owns: everything in struct orderlist, freed by orderlist_free. */
#ifndef WXREV_ORDERLIST_H
#define WXREV_ORDERLIST_H

#include <stddef.h>

#include "util.h"

#define ORDERLIST_MAX_BYTES (16 * 1024 * 1024) /* larger files: split them */

/* One order of the list. */
struct orderlist_entry {
	int line;	    /* 1-based line in the file */
	char *out_trade_no; /* checked and trimmed */
	char *sub;	    /* as written (name or mchid); NULL: the default */
	char *note;	    /* NULL when none */
	const void *sub_ref; /* set by orderlist_resolve: the caller's handle */
	int dup_of;	     /* 0, or the line this one repeats (dropped) */
};

/* One message about a line. */
struct orderlist_msg {
	int line;   /* 1-based line it is about */
	char *text; /* "NAME:LINE: ...", text from the file escaped */
};

struct orderlist {
	char *name;		    /* shown in messages: the path, or "stdin" */
	struct orderlist_entry *v;  /* every good line, in file order */
	size_t n;		    /* entries in v */
	struct orderlist_msg *problems; /* every bad line, in line order */
	size_t nproblems;	    /* entries in problems */
	struct orderlist_msg *repeats; /* every repeat, in line order */
	size_t nrepeats;	    /* entries in repeats */
	int has_sub_column;	    /* the CSV header names a sub-merchant */
};

/* Parses `len` bytes of text. Always fills `out` (problems included);
 * returns 0 when there is no problem, else -1. */
int orderlist_parse(const char *name, const char *text, size_t len,
		    struct orderlist *out);

/* Reads `path` ("-": standard input) and parses it. -1 with err filled when
 * the file cannot be read (nothing in `out` then), -1 with problems in
 * `out` when lines are bad. */
int orderlist_read(const char *path, struct orderlist *out,
		   struct wx_err *err);

/* Finds a sub-merchant by what the line says (NULL: the default); returns
 * the caller's handle and its key (sub_mchid) or NULL with err filled. */
typedef const void *(*orderlist_resolve_fn)(void *ctx, const char *sub,
					    const char **key,
					    struct wx_err *err);

/* Resolves every entry's sub-merchant (an unknown one is a problem of its
 * line), then marks repeats of the same order for the same sub-merchant
 * (dup_of set, a line added to repeats). Returns 0 when there is no
 * problem at all. */
int orderlist_resolve(struct orderlist *l, orderlist_resolve_fn fn, void *ctx);

/* Entries that will be sent: not problems, not repeats. */
size_t orderlist_unique(const struct orderlist *l);

void orderlist_free(struct orderlist *l);

#endif
