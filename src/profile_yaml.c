/* profile_yaml: the node table, per-file messages and generic checks. */
#include "profile_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

void py_fail_at(struct fctx *c, unsigned line, unsigned col, const char *fmt,
		...)
{
	struct fmsg *m;
	va_list ap;

	if (c->nerr == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->msgs = wx_xrealloc(c->msgs, c->cap * sizeof(*c->msgs));
	}
	m = &c->msgs[c->nerr];
	m->line = line;
	m->col = col;
	m->seq = c->nerr++;
	va_start(ap, fmt);
	m->text = wx_xvasprintf(fmt, ap);
	va_end(ap);
}

static int fmsg_cmp(const void *a, const void *b)
{
	const struct fmsg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hands the file's messages to the caller's list, in line order. */
void fctx_flush(struct fctx *c)
{
	if (c->nerr > 1)
		qsort(c->msgs, c->nerr, sizeof(*c->msgs), fmsg_cmp);
	for (size_t i = 0; i < c->nerr; i++) {
		struct fmsg *m = &c->msgs[i];

		if (m->line)
			wx_diags_add(c->diags, "%s:%u:%u: %s", c->file, m->line,
				     m->col, m->text);
		else
			wx_diags_add(c->diags, "%s: %s", c->file, m->text);
		free(m->text);
	}
	free(c->msgs);
	c->msgs = NULL;
	c->nerr = c->cap = 0;
}
static size_t ydoc_add(struct ydoc *d, enum ykind kind, const yaml_mark_t *m)
{
	struct ynode *y;

	if (d->len == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->n = wx_xrealloc(d->n, d->cap * sizeof(*d->n));
	}
	y = &d->n[d->len];
	memset(y, 0, sizeof(*y));
	y->kind = kind;
	y->line = (unsigned)m->line + 1;
	y->col = (unsigned)m->column + 1;
	return d->len++;
}

static void ydoc_attach(struct ydoc *d, size_t idx)
{
	struct ynode *parent;

	if (d->depth == 0) {
		d->root = idx;
		return;
	}
	parent = &d->n[d->stack[d->depth - 1]];
	if (parent->last)
		d->n[parent->last].next = idx;
	else
		parent->child = idx;
	parent->last = idx;
	parent->nchild++;
}

static void ydoc_push(struct ydoc *d, size_t idx)
{
	if (d->depth == d->stackcap) {
		d->stackcap = d->stackcap ? d->stackcap * 2 : 16;
		d->stack =
		    wx_xrealloc(d->stack, d->stackcap * sizeof(*d->stack));
	}
	d->stack[d->depth++] = idx;
}

void ydoc_free(struct ydoc *d)
{
	for (size_t i = 1; i < d->len; i++)
		free(d->n[i].text);
	free(d->n);
	free(d->stack);
	memset(d, 0, sizeof(*d));
}

/* Takes one event into the table: 1 at the end of the stream, 0 to go on,
 * -1 after a message. */
static int ydoc_event(struct fctx *c, const yaml_event_t *ev)
{
	struct ydoc *d = &c->doc;
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;
	size_t idx;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++d->ndocs > 1) {
			py_fail_at(
			    c, line, col,
			    _("a second YAML document starts here; keep one "
			      "partner per file and move it to its own "
			      "file"));
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		py_fail_at(c, line, col,
			   _("aliases (*%s) are not allowed in profiles; write "
			     "the value out in full"),
			   (const char *)ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
		idx = ydoc_add(d, Y_SCALAR, &ev->start_mark);
		d->n[idx].text =
		    wx_xstrndup((const char *)ev->data.scalar.value,
				ev->data.scalar.length);
		d->n[idx].len = ev->data.scalar.length;
		d->n[idx].plain =
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		ydoc_attach(d, idx);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		idx = ydoc_add(
		    d, ev->type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ,
		    &ev->start_mark);
		ydoc_attach(d, idx);
		ydoc_push(d, idx);
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (d->depth)
			d->depth--;
		return 0;
	default:
		return 0;
	}
}

/* libyaml reports reader problems (bad UTF-8) as a byte offset. */
static void offset_to_mark(const char *data, size_t len, size_t off,
			   unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static void ydoc_syntax_error(struct fctx *c, const yaml_parser_t *p,
			      const char *data, size_t len)
{
	unsigned line, col;
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR)
		wx_fatal("out of memory while reading %s", c->file);
	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset;

		/* A bad trailing octet: point at the character it breaks. */
		if (strstr(problem, "trailing")) {
			while (off > 0 && off <= len &&
			       ((unsigned char)data[off - 1] & 0xC0) == 0x80)
				off--;
			if (off > 0 && off <= len &&
			    (unsigned char)data[off - 1] >= 0xC0)
				off--;
		}
		offset_to_mark(data, len, off, &line, &col);
		py_fail_at(
		    c, line, col,
		    _("the file is not plain UTF-8 text (%s); save it as "
		      "UTF-8 without control characters"),
		    problem);
		return;
	}
	line = (unsigned)p->problem_mark.line + 1;
	col = (unsigned)p->problem_mark.column + 1;
	if (p->context)
		py_fail_at(c, line, col,
			   _("YAML syntax error: %s (%s at line %u); check the "
			     "indentation, quotes and colons here"),
			   problem, p->context,
			   (unsigned)p->context_mark.line + 1);
	else
		py_fail_at(c, line, col,
			   _("YAML syntax error: %s; check the indentation, "
			     "quotes and colons here"),
			   problem);
}

/* Parses data into c->doc; -1 after one message. */
int ydoc_parse(struct fctx *c, const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0;

	c->doc.cap = 256;
	c->doc.n = wx_xcalloc(c->doc.cap, sizeof(*c->doc.n));
	c->doc.len = 1; /* n[0] stays zero: the "none" slot */
	if (!yaml_parser_initialize(&parser))
		wx_fatal("out of memory while reading %s", c->file);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			ydoc_syntax_error(c, &parser, data, len);
			rc = -1;
			break;
		}
		rc = ydoc_event(c, &ev);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&parser);
	return rc < 0 ? -1 : 0;
}

const char *py_show(struct shown *b, const char *v)
{
	size_t o = 0, i = 0;

	b->s[o++] = '"';
	while (v[i] && o < 44) {
		unsigned char ch = (unsigned char)v[i];

		b->s[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
		i++;
	}
	/* Finish a UTF-8 character cut by the limit. */
	while (v[i] && ((unsigned char)v[i] & 0xC0) == 0x80 && o < 48)
		b->s[o++] = v[i++];
	if (v[i]) {
		memcpy(b->s + o, "\xe2\x80\xa6", 3);
		o += 3;
	}
	b->s[o++] = '"';
	b->s[o] = '\0';
	return b->s;
}

const char *py_kind_name(enum ykind k)
{
	switch (k) {
	case Y_MAP:
		return _("a mapping");
	case Y_SEQ:
		return _("a list");
	default:
		return _("text");
	}
}

/* A plain empty, ~ or null scalar means "no value". */
int py_is_null(const struct ynode *y)
{
	if (y->kind != Y_SCALAR || !y->plain)
		return 0;
	return y->len == 0 || strcmp(y->text, "~") == 0 ||
	       strcmp(y->text, "null") == 0 || strcmp(y->text, "Null") == 0 ||
	       strcmp(y->text, "NULL") == 0;
}

int py_all_of(const char *s, size_t max, const char *set)
{
	size_t n = strlen(s);

	return n >= 1 && n <= max && strspn(s, set) == n;
}

int py_has_control(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/* The text of `val` for key `path`, or NULL after a message. */
const char *py_want_text(struct fctx *c, size_t val, const char *path)
{
	const struct ynode *y = NODE(c, val);

	if (y->kind != Y_SCALAR) {
		FAIL(c, val,
		     _("%s must be text, not %s; write the value on the same "
		       "line after '%s:'"),
		     path, py_kind_name(y->kind),
		     strrchr(path, '.') ? strrchr(path, '.') + 1 : path);
		return NULL;
	}
	if (strlen(y->text) != y->len) {
		FAIL(c, val, _("%s contains a NUL character; remove it"), path);
		return NULL;
	}
	return y->text;
}

int py_want_kind(struct fctx *c, size_t val, enum ykind kind, const char *path,
		 const char *fix)
{
	const struct ynode *y = NODE(c, val);

	if (y->kind == kind)
		return 1;
	FAIL(c, val, _("%s must be %s, not %s; %s"), path, py_kind_name(kind),
	     py_kind_name(y->kind), fix);
	return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], prev, cur;

	if (la > 32 || lb > 32)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			cur = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* The known key closest to a typo, or NULL when none is close. */
static const char *closest_key(const char *typo, const struct keyspec *ks,
			       size_t nks)
{
	const char *best = NULL;
	size_t best_d = 3; /* accept at most 2 edits */

	for (size_t i = 0; i < nks; i++) {
		size_t d = edit_distance(typo, ks[i].name);
		size_t pre = 0;

		while (typo[pre] && typo[pre] == ks[i].name[pre])
			pre++;
		if (pre >= 5 && d > 2)
			d = 2; /* serial_number for serial_no */
		if (d < best_d && d < strlen(typo)) {
			best_d = d;
			best = ks[i].name;
		}
	}
	return best;
}

static void unknown_key(struct fctx *c, size_t key, const char *where,
			const struct keyspec *ks, size_t nks)
{
	const char *guess = closest_key(NODE(c, key)->text, ks, nks);
	struct wx_buf allowed = {0};
	struct shown s;

	for (size_t i = 0; i < nks; i++)
		wx_buf_printf(&allowed, "%s%s", i ? ", " : "", ks[i].name);
	if (guess)
		FAIL(c, key,
		     _("unknown key %s %s; did you mean '%s'? Allowed keys: "
		       "%s"),
		     py_show(&s, NODE(c, key)->text), where, guess,
		     allowed.data);
	else
		FAIL(c, key, _("unknown key %s %s; allowed keys: %s"),
		     py_show(&s, NODE(c, key)->text), where, allowed.data);
	wx_buf_free(&allowed);
}

/* Reads the keys of mapping `map` into mv, reporting unknown, duplicate and
 * missing keys. `owner` is where a missing key is reported; `prefix` makes
 * the dotted path ("merchant."). */
void py_map_read(struct fctx *c, size_t map, size_t owner, const char *where,
		 const char *prefix, const struct keyspec *ks, size_t nks,
		 struct mapview *mv)
{
	memset(mv, 0, sizeof(*mv));
	for (size_t k = NODE(c, map)->child; k;
	     k = NODE(c, NODE(c, k)->next)->next) {
		size_t v = NODE(c, k)->next;
		size_t i;

		if (NODE(c, k)->kind != Y_SCALAR) {
			FAIL(c, k,
			     _("a key %s is %s; keys are plain words, write "
			       "key: value"),
			     where, py_kind_name(NODE(c, k)->kind));
			continue;
		}
		for (i = 0; i < nks; i++) {
			if (strcmp(NODE(c, k)->text, ks[i].name) == 0)
				break;
		}
		if (i == nks) {
			unknown_key(c, k, where, ks, nks);
			continue;
		}
		if (mv->key[i]) {
			FAIL(c, k,
			     _("%s%s is given twice (first at line %u); remove "
			       "one of them"),
			     prefix, ks[i].name, NODE(c, mv->key[i])->line);
			continue;
		}
		mv->key[i] = k;
		if (!py_is_null(NODE(c, v)))
			mv->val[i] = v;
		else if (ks[i].required)
			FAIL(c, k, _("%s%s has no value; give %s"), prefix,
			     ks[i].name, _(ks[i].what));
	}
	for (size_t i = 0; i < nks; i++) {
		if (ks[i].required && !mv->key[i])
			FAIL(c, owner,
			     _("missing required key %s%s (%s); add it"),
			     prefix, ks[i].name, _(ks[i].what));
	}
}
