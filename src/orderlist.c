/* orderlist: reading a ticket's list of orders. See orderlist.h.
 * A line is one unit: it is either an entry or exactly one problem, so an
 * operator fixing the file sees every bad line in one pass. */
#include "orderlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv3.h"
#include "utf8.h"

#define MAX_COLUMNS 16 /* a header with more columns is refused */

enum column { COL_ORDER, COL_SUB, COL_NOTE, COL_NONE };

/* The CSV header, once read. */
struct header {
	bool csv;		     /* false: one order per line */
	int ncols;		     /* columns the header names */
	enum column col[MAX_COLUMNS]; /* what each column holds */
};

/* One CSV field, as unquoted text. */
struct fields {
	char *v[MAX_COLUMNS]; /* owned */
	int n;		      /* fields found */
};

static void add_msg(struct orderlist_msg **list, size_t *n, int line,
		    char *text)
{
	*list = wx_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[*n].line = line;
	(*list)[*n].text = text;
	(*n)++;
}

static void problem(struct orderlist *l, int line, const char *fmt, ...)
    WX_PRINTF(3, 4);

static void problem(struct orderlist *l, int line, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = wx_xvasprintf(fmt, ap);
	va_end(ap);
	add_msg(&l->problems, &l->nproblems, line,
		wx_xasprintf("%s:%d: %s", l->name, line, text));
	free(text);
}

/* Text from the file, made safe to show (controls and bad UTF-8 escaped). */
static char *shown(const char *s)
{
	return wx_text_escape(s, NULL);
}

/* True when the text is valid UTF-8 without control characters: exactly
 * what the terminal escaper leaves alone. */
static bool clean_text(const char *s)
{
	char *e = shown(s);
	bool same = strcmp(e, s) == 0;

	free(e);
	return same;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static void fields_free(struct fields *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->v[i]);
	f->n = 0;
}

/* Splits one CSV record (RFC 4180 quoting, no line breaks inside). */
static int split_csv(const char *s, struct fields *f, const char **why)
{
	f->n = 0;
	for (;;) {
		struct wx_buf b = {0};

		if (f->n == MAX_COLUMNS) {
			*why = "too many fields";
			return -1;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '"') {
			for (s++;; s++) {
				if (*s == '\0') {
					wx_buf_free(&b);
					*why = "a quoted field is not closed";
					return -1;
				}
				if (*s == '"' && s[1] == '"') {
					wx_buf_append(&b, s++, 1);
					continue;
				}
				if (*s == '"')
					break;
				wx_buf_append(&b, s, 1);
			}
			s++;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s != ',' && *s != '\0') {
				wx_buf_free(&b);
				*why = "text after a closing quote";
				return -1;
			}
		} else {
			size_t k = strcspn(s, ",");

			wx_buf_append(&b, s, k);
			s += k;
		}
		wx_buf_puts(&b, "");
		f->v[f->n++] = wx_buf_take(&b);
		if (*s != ',')
			return 0;
		s++;
	}
}

static enum column column_named(const char *name)
{
	if (wx_strcaseeq(name, "out_trade_no"))
		return COL_ORDER;
	if (wx_strcaseeq(name, "sub_mchid") || wx_strcaseeq(name, "sub"))
		return COL_SUB;
	if (wx_strcaseeq(name, "note"))
		return COL_NOTE;
	return COL_NONE;
}

/* A first line is a header when it names out_trade_no among its fields. */
static bool looks_like_header(const char *line)
{
	struct fields f;
	const char *why;
	bool yes = false;

	if (split_csv(line, &f, &why) != 0)
		return strstr(line, "out_trade_no") != NULL;
	for (int i = 0; i < f.n; i++)
		yes = yes || column_named(trim(f.v[i])) == COL_ORDER;
	fields_free(&f);
	return yes;
}

static int read_header(struct orderlist *l, int line, const char *s,
		       struct header *h)
{
	struct fields f;
	const char *why;
	int bad = 0, seen[COL_NONE] = {0};

	h->csv = true;
	if (split_csv(s, &f, &why) != 0) {
		problem(l, line, _("the header is not CSV (%s)"), why);
		return -1;
	}
	h->ncols = f.n;
	for (int i = 0; i < f.n; i++) {
		const char *name = trim(f.v[i]);
		enum column c = column_named(name);

		h->col[i] = c;
		if (c == COL_NONE) {
			char *e = shown(name);

			problem(l, line,
				_("unknown column \"%s\": the columns are "
				  "out_trade_no, sub_mchid (or sub) and note"),
				e);
			free(e);
			bad++;
		} else if (seen[c]++) {
			problem(l, line, _("column \"%s\" is named twice"),
				name);
			bad++;
		}
	}
	l->has_sub_column = seen[COL_SUB] > 0;
	fields_free(&f);
	return bad ? -1 : 0;
}

static void add_entry(struct orderlist *l, int line, const char *order,
		      const char *sub, const char *note)
{
	struct orderlist_entry *e;

	l->v = wx_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->out_trade_no = wx_xstrdup(order);
	e->sub = sub && *sub ? wx_xstrdup(sub) : NULL;
	e->note = note && *note ? wx_xstrdup(note) : NULL;
}

/* Checks the parts of one line and adds it, or reports its problem. */
static void take_line(struct orderlist *l, int line, const char *order,
		      const char *sub, const char *note)
{
	char buf[APIV3_ORDER_MAX + 1];
	struct wx_err err = {{0}};

	if (apiv3_order_check(order, buf, sizeof(buf), &err) != 0) {
		char *e = shown(err.msg);

		problem(l, line, "%s", e);
		free(e);
		return;
	}
	if (note && wx_note_check(note, &err) != 0) {
		problem(l, line, "%s", err.msg);
		return;
	}
	add_entry(l, line, buf, sub, note);
}

static void csv_line(struct orderlist *l, int line, const char *s,
		     const struct header *h)
{
	const char *part[COL_NONE] = {NULL, NULL, NULL};
	struct fields f;
	const char *why;

	if (split_csv(s, &f, &why) != 0) {
		problem(l, line, _("not a CSV record (%s)"), why);
		return;
	}
	if (f.n > h->ncols) {
		problem(l, line,
			_("%d fields where the header names %d: quote a "
			  "field that holds a comma"),
			f.n, h->ncols);
		fields_free(&f);
		return;
	}
	for (int i = 0; i < f.n; i++)
		if (h->col[i] != COL_NONE)
			part[h->col[i]] = trim(f.v[i]);
	if (!part[COL_ORDER] || !*part[COL_ORDER]) {
		problem(l, line, _("no out_trade_no on this line"));
		fields_free(&f);
		return;
	}
	take_line(l, line, part[COL_ORDER], part[COL_SUB], part[COL_NOTE]);
	fields_free(&f);
}

/* One order per line; a `#` after white space starts a comment. */
static void plain_line(struct orderlist *l, int line, char *s)
{
	char *hash = strstr(s, " #");
	char *tab_hash = strstr(s, "\t#");

	if (tab_hash && (!hash || tab_hash < hash))
		hash = tab_hash;
	if (hash)
		*hash = '\0';
	if (strchr(s, ',')) {
		problem(l, line,
			_("a comma, but the first line is no CSV header: "
			  "start the file with \"out_trade_no,sub_mchid,"
			  "note\" (or the columns you use)"));
		return;
	}
	take_line(l, line, trim(s), NULL, NULL);
}

/* Dispatches one physical line (without its end). */
static void one_line(struct orderlist *l, int line, char *s, struct header *h,
		     bool *first)
{
	char *t = trim(s);

	if (*t == '\0' || *t == '#')
		return;
	if (!clean_text(t)) {
		char *e = shown(t);

		problem(l, line,
			_("holds a control character or bytes that are not "
			  "UTF-8 (shown escaped: %s): save the file as "
			  "UTF-8 text"),
			e);
		free(e);
		*first = false;
		return;
	}
	if (*first) {
		*first = false;
		if (looks_like_header(t)) {
			read_header(l, line, t, h);
			return;
		}
	}
	if (h->csv)
		csv_line(l, line, t, h);
	else
		plain_line(l, line, t);
}

int orderlist_parse(const char *name, const char *text, size_t len,
		    struct orderlist *out)
{
	struct header h = {0};
	bool first = true;
	size_t pos = 0;
	int line = 0;

	memset(out, 0, sizeof(*out));
	out->name = wx_xstrdup(name);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t k = end - pos;
		char *s;

		line++;
		if (k > 0 && text[pos + k - 1] == '\r')
			k--;
		s = wx_xstrndup(text + pos, k);
		if (strlen(s) != k)
			problem(out, line,
				_("holds a NUL byte: save the file as UTF-8 "
				  "text"));
		else
			one_line(out, line, s, &h, &first);
		free(s);
		pos = end + 1;
	}
	if (out->n == 0 && out->nproblems == 0)
		problem(out, line > 0 ? line : 1,
			_("no order number in the list"));
	return out->nproblems ? -1 : 0;
}

static int slurp(FILE *f, const char *name, struct wx_buf *b,
		 struct wx_err *err)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > ORDERLIST_MAX_BYTES)
			return wx_err_set(err,
					  _("%s is larger than %d MiB: split "
					    "the list"),
					  name, ORDERLIST_MAX_BYTES >> 20);
		wx_buf_append(b, chunk, n);
	}
	if (ferror(f))
		return wx_err_set(err, _("cannot read %s: %s"), name,
				  strerror(errno));
	wx_buf_puts(b, "");
	return 0;
}

int orderlist_read(const char *path, struct orderlist *out,
		   struct wx_err *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "stdin" : path;
	struct wx_buf b = {0};
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f)
		return wx_err_set(err,
				  _("cannot open the order list %s: %s"), path,
				  strerror(errno));
	rc = slurp(f, name, &b, err);
	if (!is_stdin)
		fclose(f);
	if (rc == 0)
		rc = orderlist_parse(name, b.data ? b.data : "", b.len, out);
	wx_buf_free(&b);
	return rc;
}

/* ---- sub-merchants and repeats ---- */

/* Sort key of one entry for finding repeats. */
struct dup_key {
	const char *sub;   /* the resolver's key */
	const char *order; /* out_trade_no */
	size_t i;	   /* index in the list: earlier lines first */
};

static int dup_cmp(const void *a, const void *b)
{
	const struct dup_key *x = a, *y = b;
	int c = strcmp(x->sub, y->sub);

	if (c == 0)
		c = strcmp(x->order, y->order);
	if (c == 0)
		c = x->i < y->i ? -1 : x->i > y->i;
	return c;
}

static void mark_repeats(struct orderlist *l, struct dup_key *k, size_t n)
{
	qsort(k, n, sizeof(*k), dup_cmp);
	for (size_t i = 1; i < n; i++) {
		struct orderlist_entry *e = &l->v[k[i].i];
		size_t first = i;

		if (strcmp(k[i].sub, k[i - 1].sub) != 0 ||
		    strcmp(k[i].order, k[i - 1].order) != 0)
			continue;
		while (first > 0 && strcmp(k[first - 1].sub, k[i].sub) == 0 &&
		       strcmp(k[first - 1].order, k[i].order) == 0)
			first--;
		e->dup_of = l->v[k[first].i].line;
		add_msg(&l->repeats, &l->nrepeats, e->line,
			wx_xasprintf(_("%s:%d: order %s repeats line %d; it "
				       "is sent once"),
				     l->name, e->line, e->out_trade_no,
				     e->dup_of));
	}
}

/* Messages are listed in file order. */
static int msg_cmp(const void *a, const void *b)
{
	const struct orderlist_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->text, y->text);
}

int orderlist_resolve(struct orderlist *l, orderlist_resolve_fn fn, void *ctx)
{
	struct dup_key *k = wx_xcalloc(l->n + 1, sizeof(*k));
	size_t nk = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct orderlist_entry *e = &l->v[i];
		struct wx_err err = {{0}};
		const char *key = NULL;

		e->sub_ref = fn(ctx, e->sub, &key, &err);
		if (!e->sub_ref) {
			char *m = shown(err.msg);

			problem(l, e->line, "%s", m);
			free(m);
			continue;
		}
		k[nk].sub = key;
		k[nk].order = e->out_trade_no;
		k[nk].i = i;
		nk++;
	}
	mark_repeats(l, k, nk);
	free(k);
	if (l->nrepeats > 1)
		qsort(l->repeats, l->nrepeats, sizeof(*l->repeats), msg_cmp);
	if (l->nproblems > 1)
		qsort(l->problems, l->nproblems, sizeof(*l->problems),
		      msg_cmp);
	return l->nproblems ? -1 : 0;
}

size_t orderlist_unique(const struct orderlist *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].sub_ref && !l->v[i].dup_of;
	return n;
}

void orderlist_free(struct orderlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].out_trade_no);
		free(l->v[i].sub);
		free(l->v[i].note);
	}
	for (size_t i = 0; i < l->nproblems; i++)
		free(l->problems[i].text);
	for (size_t i = 0; i < l->nrepeats; i++)
		free(l->repeats[i].text);
	free(l->v);
	free(l->problems);
	free(l->repeats);
	free(l->name);
	memset(l, 0, sizeof(*l));
}
