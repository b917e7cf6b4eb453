/* profile_yaml: reading one profile file. libyaml's events become a table
 * of nodes that keep their line and column, so aliases are refused before
 * anything expands and every message points at the offending key or value;
 * problems are collected per file and handed on in line order. Also the
 * generic checks of values and of a mapping's keys against a key list
 * (unknown, duplicate, missing, "did you mean"). The partner schema itself
 * is in profile.c. Internal to the profile loader. */
#ifndef WXREV_PROFILE_YAML_H
#define WXREV_PROFILE_YAML_H

#include <stddef.h>

#include "profile_cache.h"
#include "util.h"

enum ykind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ykind kind; /* scalar, sequence or mapping */
	int plain;	 /* scalar written without quotes */
	unsigned line;	 /* 1-based line where the node starts */
	unsigned col;	 /* 1-based column (characters) */
	char *text;	 /* scalar value, NUL-terminated; owned */
	size_t len;	 /* scalar length in bytes (may hide a NUL) */
	size_t child;	 /* first child; mappings alternate key, value */
	size_t last;	 /* last child, for appending */
	size_t next;	 /* next sibling */
	size_t nchild;	 /* number of children */
};

struct ydoc {
	struct ynode *n; /* n[0] is unused so that index 0 means "none" */
	size_t len;	 /* nodes used, including n[0] */
	size_t cap;	 /* nodes allocated */
	size_t root;	 /* top node; 0 for an empty file */
	size_t *stack;	 /* open sequences and mappings */
	size_t depth;	 /* entries used in stack */
	size_t stackcap; /* entries allocated in stack */
	int ndocs;	 /* documents seen */
};

/* A problem in one file, kept until the file is done so that messages come
 * out in line order. */
struct fmsg {
	unsigned line; /* 0 for the file as a whole */
	unsigned col;
	size_t seq; /* order found, to keep the sort stable */
	char *text; /* the message without its position */
};

/* A key or certificate file a profile names: what the cache checks and
 * what it reads again at every start. */
struct dep {
	char *path;	 /* resolved as read */
	const char *key; /* the profile key naming it, e.g.
			    "merchant.private_key"; static */
	unsigned line;	 /* where its value is written */
	unsigned col;
	struct pc_file_id id; /* the version that was read */
};

/* One profile file being checked. */
struct fctx {
	const char *file;	/* the file as named to the user */
	char *dir;		/* its folder ("" for the current one) */
	struct wx_diags *diags; /* where problems go at the end */
	struct fmsg *msgs;	/* problems found in this file */
	size_t nerr;		/* entries in msgs */
	size_t cap;		/* entries allocated */
	struct ydoc doc;	/* its nodes */
	struct dep *deps;	/* files read for it, in reading order */
	size_t ndeps;		/* entries in deps */
};

/* Records a problem at line:col (0:0 for the file as a whole). */
void py_fail_at(struct fctx *c, unsigned line, unsigned col, const char *fmt,
		...) WX_PRINTF(4, 5);

#define NODE(c, i) (&(c)->doc.n[(i)])
#define FAIL(c, i, ...)                                                        \
	py_fail_at((c), NODE(c, i)->line, NODE(c, i)->col, __VA_ARGS__)

#define DIGITS "0123456789"
#define HEX    "0123456789ABCDEFabcdef"
#define WORD   "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define ALNUM  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* A value quoted back in a message: short, one line, whole characters. */
struct shown {
	char s[64]; /* "text" or "text…" */
};

struct keyspec {
	const char *name; /* the key as written */
	int required;	  /* missing is an error */
	const char *what; /* what the value is, for messages */
};

#define MAX_KEYS 8

/* The keys found in one mapping, by keyspec position (0 = absent). */
struct mapview {
	size_t key[MAX_KEYS]; /* key node */
	size_t val[MAX_KEYS]; /* value node; 0 when absent or null */
};

/* Where a mchid was written, for duplicate messages. */
struct mchid_at {
	const char *mchid; /* not owned */
	size_t order;	   /* position in the file or folder */
	unsigned line;	   /* of the value */
	unsigned col;
	const char *file; /* for sp_mchid across files; not owned */
};

/* Hands the file's messages to the caller's list, in line order. */
void fctx_flush(struct fctx *c);
/* Parses data into c->doc; -1 after one message. */
int ydoc_parse(struct fctx *c, const char *data, size_t len);
void ydoc_free(struct ydoc *d);
const char *py_show(struct shown *b, const char *v);
const char *py_kind_name(enum ykind k);
/* A plain empty, ~ or null scalar means "no value". */
int py_is_null(const struct ynode *y);
int py_all_of(const char *s, size_t max, const char *set);
int py_has_control(const char *s);
/* The text of `val` for key `path`, or NULL after a message. */
const char *py_want_text(struct fctx *c, size_t val, const char *path);
int py_want_kind(struct fctx *c, size_t val, enum ykind kind, const char *path,
		 const char *fix);
/* Reads the keys of mapping `map` into mv, reporting unknown, duplicate and
 * missing keys. `owner` is where a missing key is reported; `prefix` makes
 * the dotted path ("merchant."). */
void py_map_read(struct fctx *c, size_t map, size_t owner, const char *where,
		 const char *prefix, const struct keyspec *ks, size_t nks,
		 struct mapview *mv);

#endif
