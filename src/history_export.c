/* history_export: the history written out for people and tools (table,
 * CSV, JSON lines), a page at a time through history_list. */
#include "history_export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "i18n.h"
#include "utf8.h"

/* Rows fetched per history_list call. */
#define EXPORT_PAGE 256

/* The code point to show for the sequence at p: invalid bytes are U+FFFD,
 * and control and invisible characters are spaces when `flat` (one line
 * per row, and nothing hidden or reordered). */
static uint32_t clean_cp(const unsigned char *p, size_t *len, int flat)
{
	uint32_t c;

	*len = wx_utf8_decode((const char *)p, strnlen((const char *)p, 4), &c);
	if (*len == 0)
		*len = 1;
	if (flat && (wx_cp_control(c) || wx_cp_invisible(c)))
		c = ' ';
	return c;
}

/* Appends s as valid UTF-8, at most max_cols wide (-1: any) with an
 * ellipsis when cut. Returns the display width written. */
static int put_clean(struct wx_buf *b, const char *s, int max_cols, int flat)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int limit = max_cols;
	int cut = max_cols >= 0 && wx_text_width(s) > max_cols;
	int cols = 0;
	size_t len;

	if (cut)
		limit = max_cols - 1;
	for (; *p; p += len) {
		uint32_t c = clean_cp(p, &len, flat);

		if (limit >= 0 && cols + wx_cp_width(c) > limit)
			break;
		if (c == ' ' && *p != ' ')
			wx_buf_puts(b, " ");
		else if (c == 0xfffd &&
			 strncmp((const char *)p, "\xef\xbf\xbd", 3) != 0)
			wx_buf_puts(b, "\xef\xbf\xbd");
		else
			wx_buf_append(b, p, len);
		cols += wx_cp_width(c);
	}
	if (cut) {
		wx_buf_puts(b, "\xe2\x80\xa6");
		cols++;
	}
	return cols;
}

static void fmt_local(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)ms);
}

static void fmt_iso(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	if (!gmtime_r(&t, &tm) ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, n, "%lld", (long long)ms);
		return;
	}
	snprintf(buf, n, "%s.%03dZ", base, (int)(ms % 1000));
}

/* RFC 3339 in local time with its offset: 2026-12-01T12:34:56.789+08:00
 * (what a ticket needs: the operator's wall clock and which one). */
static void fmt_rfc3339_local(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32], off[8];

	if (!localtime_r(&t, &tm) ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(off, sizeof(off), "%z", &tm) != 5) {
		snprintf(buf, n, "%lld", (long long)ms);
		return;
	}
	snprintf(buf, n, "%.19s.%03d%.3s:%.2s", base, (int)(ms % 1000), off,
		 off + 3);
}

/* What the rows do not hold but a ticket needs, from the attempts: the
 * last Request-ID WeChat Pay gave the reversal, and whether the last
 * answer to it was verified (-1: no answer was checked). */
struct row_extra {
	char *request_id; /* owned, NULL: none */
	int verified;	  /* 1, 0, or -1: not checked */
};

/* Whether an answer's signature was verified: 1, 0, or -1 when none was
 * checked. */
static int attempt_verified(const struct history_attempt *a)
{
	if (!a->verify)
		return -1;
	return strcmp(a->verify, "verified") == 0;
}

/* A verified flag (1, 0, -1: not checked) as CSV and JSON write it. */
static const char *verified_text(int v)
{
	return v < 0 ? NULL : v ? "true" : "false";
}

static json_t *verified_json(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static void row_extra_get(struct history *h, int64_t id, struct row_extra *x)
{
	struct history_reversal rev;
	struct history_attempt *atts = NULL;
	size_t n = 0;

	memset(&rev, 0, sizeof(rev));
	x->request_id = NULL;
	x->verified = -1;
	if (history_get(h, id, &rev, &atts, &n, NULL) != 0)
		return;
	for (size_t i = n; i-- > 0;) {
		const struct history_attempt *a = &atts[i];

		if (a->kind && strcmp(a->kind, "reverse") != 0)
			continue;
		if (!x->request_id && a->request_id && *a->request_id)
			x->request_id = wx_xstrdup(a->request_id);
		if (x->verified < 0)
			x->verified = attempt_verified(a);
	}
	history_reversal_clear(&rev);
	history_attempts_free(atts, n);
}

void history_ticket_line(struct history *h, const struct history_reversal *r,
			 char *buf, size_t n)
{
	struct row_extra x = {NULL, -1};
	char when[40];

	if (h)
		row_extra_get(h, r->id, &x);
	fmt_rfc3339_local(r->created_ms, when, sizeof(when));
	snprintf(buf, n,
		 "%s %s (%s) > %s (%s) out_trade_no=%s outcome=%s%s%s "
		 "request_id=%s%s%s",
		 when, r->partner_name ? r->partner_name : "",
		 r->sp_mchid ? r->sp_mchid : "",
		 r->sub_name ? r->sub_name : "",
		 r->sub_mchid ? r->sub_mchid : "", r->out_trade_no,
		 wx_outcome_name(r->outcome), r->code ? " code=" : "",
		 r->code ? r->code : "", x.request_id ? x.request_id : "-",
		 r->note ? " note=" : "", r->note ? r->note : "");
	free(x.request_id);
}

/* "2 min ago", "3 h ago", "5 days ago": how fresh a known row is. */
static void fmt_ago(int64_t ms, char *buf, size_t n)
{
	int64_t s = (wx_now_ms() - ms) / 1000;

	if (s < 60)
		snprintf(buf, n, _("%lld s ago"), (long long)(s > 0 ? s : 0));
	else if (s < 3600)
		snprintf(buf, n, _("%lld min ago"), (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, n, _("%lld h ago"), (long long)(s / 3600));
	else
		snprintf(buf, n, _("%lld days ago"), (long long)(s / 86400));
}

static void fmt_known(const struct history_reversal *r, const char *sp_mchid,
		      const char *sub_mchid, char *buf, size_t n)
{
	char when[64], ago[32], where[256] = "";

	wx_i18n_when(r->created_ms, WX_WHEN_MINUTE, when, sizeof(when));
	fmt_ago(r->created_ms, ago, sizeof(ago));
	if (strcmp(r->sub_mchid, sub_mchid) != 0 ||
	    strcmp(r->sp_mchid, sp_mchid) != 0)
		snprintf(where, sizeof(where), _("under %s "),
			 r->sub_name ? r->sub_name : r->sub_mchid);
	snprintf(buf, n, _("%s %s%s by %s%s%s, %s"),
		 wx_outcome_label(r->outcome), where, ago, r->op ? r->op : "?",
		 r->code ? ", " : "", r->code ? r->code : "", when);
}

int history_known(struct history *h, const char *order, const char *sp_mchid,
		  const char *sub_mchid, struct history_known *k,
		  struct wx_err *err)
{
	struct history_filter f = HISTORY_FILTER_ANY;
	struct history_reversal *rows = NULL;
	size_t n = 0;

	memset(k, 0, sizeof(*k));
	f.order = order;
	if (history_list(h, &f, 0, 50, &rows, &n, err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].out_trade_no, order) != 0)
			continue;
		if (k->n < HISTORY_KNOWN_MAX)
			fmt_known(&rows[i], sp_mchid, sub_mchid,
				  k->line[k->n++], sizeof(k->line[0]));
		k->total++;
	}
	history_rows_free(rows, n);
	return 0;
}

/* Table columns; widths come from the header and the first page. */
enum tcol {
	TC_TIME,
	TC_OUTCOME,
	TC_ORDER,
	TC_SUB,
	TC_STATUS,
	TC_CODE,
	TC_ATT,
	TC_LATENCY,
	TC_OP,
	TC_NOTE,
	TC_COUNT
};

/* The table is for people: headings and outcomes in the UI language. */
static const char *const tcol_names[TC_COUNT] = {
    N_("TIME"), N_("OUTCOME"), N_("ORDER"),   N_("SUB-MERCHANT"), N_("STATUS"),
    N_("CODE"), N_("ATT"),     N_("LATENCY"), N_("OPERATOR"),	  N_("NOTE"),
};

/* Widest a column may grow; longer values end in an ellipsis. */
static const int tcol_max[TC_COUNT] = {24, 8, 32, 24, 6, 24, 4, 9, 16, -1};

struct table {
	int width[TC_COUNT]; /* display columns per column */
	int ready;	     /* widths fixed */
};

static void table_cells(const struct history_reversal *r,
			char cell[TC_COUNT][64], const char *text[TC_COUNT])
{
	wx_i18n_when(r->created_ms, WX_WHEN_SECOND, cell[TC_TIME],
		     sizeof(cell[TC_TIME]));
	snprintf(cell[TC_STATUS], sizeof(cell[0]), "%d", r->http_status);
	snprintf(cell[TC_ATT], sizeof(cell[0]), "%d", r->attempts);
	snprintf(cell[TC_LATENCY], sizeof(cell[0]), "%lldms",
		 (long long)r->latency_ms);
	text[TC_TIME] = cell[TC_TIME];
	text[TC_OUTCOME] = wx_outcome_label(r->outcome);
	text[TC_ORDER] = r->out_trade_no;
	text[TC_SUB] = r->sub_name && *r->sub_name ? r->sub_name : r->sub_mchid;
	text[TC_STATUS] = r->http_status ? cell[TC_STATUS] : "-";
	text[TC_CODE] = r->code ? r->code : "-";
	text[TC_ATT] = cell[TC_ATT];
	text[TC_LATENCY] = cell[TC_LATENCY];
	text[TC_OP] = r->op;
	text[TC_NOTE] = r->note ? r->note : "";
}

static void table_widths(struct table *t, const struct history_reversal *rows,
			 size_t n)
{
	char cell[TC_COUNT][64];
	const char *text[TC_COUNT];

	for (int c = 0; c < TC_COUNT; c++)
		t->width[c] = wx_text_width(_(tcol_names[c]));
	for (size_t i = 0; i < n; i++) {
		table_cells(&rows[i], cell, text);
		for (int c = 0; c < TC_COUNT; c++) {
			int w = wx_text_width(text[c]);

			if (w > t->width[c])
				t->width[c] = w;
		}
	}
	for (int c = 0; c < TC_COUNT; c++) {
		if (tcol_max[c] >= 0 && t->width[c] > tcol_max[c])
			t->width[c] = tcol_max[c];
	}
	t->ready = 1;
}

static void pad(struct wx_buf *b, int n)
{
	for (; n > 0; n--)
		wx_buf_puts(b, " ");
}

static void table_line(struct wx_buf *b, const struct table *t,
		       const char *const text[TC_COUNT])
{
	for (int c = 0; c < TC_NOTE; c++) {
		int w = t->width[c];
		int used = wx_text_width(text[c]);

		if (c == TC_STATUS || c == TC_ATT || c == TC_LATENCY) {
			pad(b, w - used);
			put_clean(b, text[c], w, 1);
		} else {
			pad(b, w - put_clean(b, text[c], w, 1));
		}
		wx_buf_puts(b, "  ");
	}
	put_clean(b, text[TC_NOTE], -1, 1);
	while (b->len && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	wx_buf_puts(b, "\n");
}

static void table_rows(struct wx_buf *b, struct table *t,
		       const struct history_reversal *rows, size_t n)
{
	char cell[TC_COUNT][64];
	const char *text[TC_COUNT];

	if (!t->ready) {
		for (int c = 0; c < TC_COUNT; c++)
			text[c] = _(tcol_names[c]);
		table_widths(t, rows, n);
		table_line(b, t, text);
	}
	for (size_t i = 0; i < n; i++) {
		table_cells(&rows[i], cell, text);
		table_line(b, t, text);
	}
}

/* A spreadsheet runs a cell starting with one of these as a formula; the
 * apostrophe makes it text (a message from the network must not run). */
static int formula_like(const char *s)
{
	return s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' ||
		     *s == '\t' || *s == '\r');
}

static void csv_field(struct wx_buf *b, const char *s, int first)
{
	struct wx_buf clean = {0};
	char *escaped;
	const char *v;

	if (!first)
		wx_buf_puts(b, ",");
	if (!s)
		return;
	if (formula_like(s))
		wx_buf_puts(&clean, "'");
	escaped = wx_text_clean(s, WX_TEXT_EXPORT);
	wx_buf_puts(&clean, escaped);
	free(escaped);
	v = clean.data;
	if (!strpbrk(v, ",\"\r\n")) {
		wx_buf_puts(b, v);
		goto out;
	}
	wx_buf_puts(b, "\"");
	for (; *v; v++) {
		if (*v == '"')
			wx_buf_puts(b, "\"");
		wx_buf_append(b, v, 1);
	}
	wx_buf_puts(b, "\"");
out:
	wx_buf_free(&clean);
}

static void csv_int(struct wx_buf *b, int64_t v)
{
	wx_buf_printf(b, ",%lld", (long long)v);
}

static const char csv_header[] =
    "id,time,created_ms,updated_ms,operator,note,partner_name,sp_mchid,"
    "sub_name,sub_mchid,out_trade_no,endpoint,outcome,http_status,code,"
    "message,attempts,latency_ms,request_id,verified,created\r\n";

static void csv_row(struct wx_buf *b, const struct history_reversal *r,
		    const struct row_extra *x)
{
	char when[32], created[40];

	fmt_local(r->created_ms, when, sizeof(when));
	wx_buf_printf(b, "%lld", (long long)r->id);
	csv_field(b, when, 0);
	csv_int(b, r->created_ms);
	csv_int(b, r->updated_ms);
	csv_field(b, r->op, 0);
	csv_field(b, r->note, 0);
	csv_field(b, r->partner_name, 0);
	csv_field(b, r->sp_mchid, 0);
	csv_field(b, r->sub_name, 0);
	csv_field(b, r->sub_mchid, 0);
	csv_field(b, r->out_trade_no, 0);
	csv_field(b, r->endpoint, 0);
	csv_field(b, wx_outcome_name(r->outcome), 0);
	csv_int(b, r->http_status);
	csv_field(b, r->code, 0);
	csv_field(b, r->message, 0);
	csv_int(b, r->attempts);
	csv_int(b, r->latency_ms);
	csv_field(b, x->request_id, 0);
	csv_field(b, verified_text(x->verified), 0);
	fmt_rfc3339_local(r->created_ms, created, sizeof(created));
	csv_field(b, created, 0);
	wx_buf_puts(b, "\r\n");
}

/* Stored text as a JSON string: bytes that are not UTF-8 become U+FFFD. */
static json_t *stored_text(const char *s)
{
	return wx_json_text(s, WX_TEXT_REPLACE);
}

static void jsonl_row(struct wx_buf *b, const struct history_reversal *r,
		      const struct row_extra *x)
{
	char created[40], local[40];
	char updated[40];
	json_t *o = json_object();
	char *line;

	fmt_iso(r->created_ms, created, sizeof(created));
	fmt_iso(r->updated_ms, updated, sizeof(updated));
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "created", json_string(created));
	json_object_set_new(o, "created_ms", json_integer(r->created_ms));
	json_object_set_new(o, "updated", json_string(updated));
	json_object_set_new(o, "updated_ms", json_integer(r->updated_ms));
	json_object_set_new(o, "operator", stored_text(r->op));
	json_object_set_new(o, "note", stored_text(r->note));
	json_object_set_new(o, "partner_name", stored_text(r->partner_name));
	json_object_set_new(o, "sp_mchid", stored_text(r->sp_mchid));
	json_object_set_new(o, "sub_name", stored_text(r->sub_name));
	json_object_set_new(o, "sub_mchid", stored_text(r->sub_mchid));
	json_object_set_new(o, "out_trade_no", stored_text(r->out_trade_no));
	json_object_set_new(o, "endpoint", stored_text(r->endpoint));
	json_object_set_new(o, "outcome",
			    json_string(wx_outcome_name(r->outcome)));
	json_object_set_new(o, "http_status", json_integer(r->http_status));
	json_object_set_new(o, "code", stored_text(r->code));
	json_object_set_new(o, "message", stored_text(r->message));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "latency_ms", json_integer(r->latency_ms));
	json_object_set_new(o, "pid", json_integer(r->pid));
	json_object_set_new(o, "request_id", stored_text(x->request_id));
	json_object_set_new(o, "verified", verified_json(x->verified));
	fmt_rfc3339_local(r->created_ms, local, sizeof(local));
	json_object_set_new(o, "created_local", json_string(local));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		wx_fatal("out of memory (JSON export)");
	wx_buf_put_json_safe(b, line);
	wx_buf_puts(b, "\n");
	free(line);
}

static void export_rows(struct history *h, struct wx_buf *b,
			enum history_format fmt, struct table *t,
			const struct history_reversal *rows, size_t n)
{
	if (fmt == HISTORY_TABLE) {
		table_rows(b, t, rows, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct row_extra x;

		row_extra_get(h, rows[i].id, &x);
		if (fmt == HISTORY_CSV)
			csv_row(b, &rows[i], &x);
		else
			jsonl_row(b, &rows[i], &x);
		free(x.request_id);
	}
}

static int flush_out(struct wx_buf *b, FILE *out, struct wx_err *err)
{
	size_t len = b->len;

	b->len = 0;
	if (len && fwrite(b->data, 1, len, out) != len)
		return wx_err_set(err,
				  _("cannot write the history export (%s): "
				    "check the output file or disk"),
				  strerror(errno));
	return 0;
}

/* The end of an export: the stream is flushed, so a
 * full disk or a closed pipe is an error, not a short file. */
static int export_end(struct wx_buf *b, FILE *out, int rc, struct wx_err *err)
{
	if (rc == 0 && fflush(out) != 0)
		rc = wx_err_set(err,
				_("cannot write the history export (%s): check "
				  "the output file or disk"),
				strerror(errno));
	wx_buf_free(b);
	return rc;
}

/* A CSV export starts with the BOM that tells spreadsheets the file is
 * UTF-8 (Chinese), then its header line. */
static void csv_start(struct wx_buf *b, const char *header)
{
	wx_buf_puts(b, "\xef\xbb\xbf");
	wx_buf_puts(b, header);
}

/* Paging an export through the history, newest first: pages of
 * EXPORT_PAGE rows below the last id seen, until the limit or the end. */
struct pager {
	int64_t before; /* the next page's rows have smaller ids; 0: newest */
	int64_t left;	/* rows the limit still allows */
};

static struct pager pager_start(int limit)
{
	return (struct pager){.left = limit > 0 ? limit : INT64_MAX};
}

static int pager_size(const struct pager *p)
{
	return p->left < EXPORT_PAGE ? (int)p->left : EXPORT_PAGE;
}

/* After a page of n rows ending at id last: true while more may follow. */
static bool pager_next(struct pager *p, size_t n, int64_t last)
{
	if (n)
		p->before = last;
	p->left -= (int64_t)n;
	return n == EXPORT_PAGE && p->left > 0;
}

int history_export(struct history *h, const struct history_filter *f, int limit,
		   enum history_format fmt, FILE *out, struct wx_err *err)
{
	struct table t = {.ready = 0};
	struct wx_buf b = {0};
	struct history_reversal *rows = NULL;
	struct pager pg = pager_start(limit);
	size_t n = 0;
	bool more = false;
	int rc = 0;

	if (fmt == HISTORY_CSV)
		csv_start(&b, csv_header);
	do {
		rc = history_list(h, f, pg.before, pager_size(&pg), &rows, &n,
				  err);
		if (rc != 0)
			break;
		if (n == 0 && fmt == HISTORY_TABLE && !t.ready)
			table_rows(&b, &t, rows, 0);
		export_rows(h, &b, fmt, &t, rows, n);
		more = pager_next(&pg, n, n ? rows[n - 1].id : 0);
		history_rows_free(rows, n);
		rc = flush_out(&b, out, err);
	} while (rc == 0 && more);
	return export_end(&b, out, rc, err);
}

/* ---- order queries ------------------------------------------------------ */

/* Widths of the query table: time, what it read, order, sub-merchant,
 * HTTP status, operator; the Request-ID ends the line. */
enum { QC_TIME, QC_READ, QC_ORDER, QC_SUB, QC_STATUS, QC_OP, QC_COUNT };
static const int qcol_width[QC_COUNT] = {19, 16, 32, 24, 6, 16};
static const char *const qcol_names[QC_COUNT] = {
    N_("TIME"),	  N_("READ"),	N_("ORDER"),
    N_("SUB-MERCHANT"), N_("STATUS"), N_("OPERATOR"),
};

static void query_line(struct wx_buf *b, const char *const text[QC_COUNT],
		       const char *last)
{
	for (int c = 0; c < QC_COUNT; c++) {
		int w = qcol_width[c];

		if (c == QC_STATUS) {
			pad(b, w - wx_text_width(text[c]));
			put_clean(b, text[c], w, 1);
		} else {
			pad(b, w - put_clean(b, text[c], w, 1));
		}
		wx_buf_puts(b, "  ");
	}
	put_clean(b, last, -1, 1);
	wx_buf_puts(b, "\n");
}

static void query_table_row(struct wx_buf *b, const struct history_query *q)
{
	char when[40], status[16];
	const char *text[QC_COUNT];

	wx_i18n_when(q->created_ms, WX_WHEN_SECOND, when, sizeof(when));
	snprintf(status, sizeof(status), "%d", q->a.status);
	text[QC_TIME] = when;
	text[QC_READ] = q->trade_state ? q->trade_state
		       : q->code      ? q->code
				      : "-";
	text[QC_ORDER] = q->out_trade_no;
	text[QC_SUB] = q->sub_name && *q->sub_name ? q->sub_name : q->sub_mchid;
	text[QC_STATUS] = q->a.status ? status : "-";
	text[QC_OP] = q->op;
	query_line(b, text, q->a.request_id ? q->a.request_id : "-");
}

static const char query_csv_header[] =
    "id,created,created_ms,operator,host,partner_name,sp_mchid,sub_name,"
    "sub_mchid,out_trade_no,trade_state,code,message,http_status,verified,"
    "request_id,latency_ms\r\n";

static void query_csv_row(struct wx_buf *b, const struct history_query *q)
{
	char created[40];

	fmt_rfc3339_local(q->created_ms, created, sizeof(created));
	wx_buf_printf(b, "%lld", (long long)q->id);
	csv_field(b, created, 0);
	csv_int(b, q->created_ms);
	csv_field(b, q->op, 0);
	csv_field(b, q->host, 0);
	csv_field(b, q->partner_name, 0);
	csv_field(b, q->sp_mchid, 0);
	csv_field(b, q->sub_name, 0);
	csv_field(b, q->sub_mchid, 0);
	csv_field(b, q->out_trade_no, 0);
	csv_field(b, q->trade_state, 0);
	csv_field(b, q->code, 0);
	csv_field(b, q->message, 0);
	csv_int(b, q->a.status);
	csv_field(b, verified_text(attempt_verified(&q->a)), 0);
	csv_field(b, q->a.request_id, 0);
	csv_int(b, q->a.latency_ms);
	wx_buf_puts(b, "\r\n");
}

static void query_jsonl_row(struct wx_buf *b, const struct history_query *q)
{
	char created[40];
	json_t *o = json_object();
	char *line;

	fmt_rfc3339_local(q->created_ms, created, sizeof(created));
	json_object_set_new(o, "id", json_integer(q->id));
	json_object_set_new(o, "created", json_string(created));
	json_object_set_new(o, "created_ms", json_integer(q->created_ms));
	json_object_set_new(o, "operator", stored_text(q->op));
	json_object_set_new(o, "host", stored_text(q->host));
	json_object_set_new(o, "partner_name", stored_text(q->partner_name));
	json_object_set_new(o, "sp_mchid", stored_text(q->sp_mchid));
	json_object_set_new(o, "sub_name", stored_text(q->sub_name));
	json_object_set_new(o, "sub_mchid", stored_text(q->sub_mchid));
	json_object_set_new(o, "out_trade_no", stored_text(q->out_trade_no));
	json_object_set_new(o, "trade_state", stored_text(q->trade_state));
	json_object_set_new(o, "code", stored_text(q->code));
	json_object_set_new(o, "message", stored_text(q->message));
	json_object_set_new(o, "http_status", json_integer(q->a.status));
	json_object_set_new(o, "verified",
			    verified_json(attempt_verified(&q->a)));
	json_object_set_new(o, "request_id", stored_text(q->a.request_id));
	json_object_set_new(o, "latency_ms", json_integer(q->a.latency_ms));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		wx_fatal("out of memory (JSON export)");
	wx_buf_put_json_safe(b, line);
	wx_buf_puts(b, "\n");
	free(line);
}

int history_export_queries(struct history *h, const char *sub,
			   const char *order, int limit,
			   enum history_format fmt, FILE *out,
			   struct wx_err *err)
{
	struct wx_buf b = {0};
	struct history_query *rows = NULL;
	struct pager pg = pager_start(limit);
	size_t n = 0;
	bool more = false;
	int rc = 0;

	if (fmt == HISTORY_CSV) {
		csv_start(&b, query_csv_header);
	} else if (fmt == HISTORY_TABLE) {
		const char *text[QC_COUNT];

		for (int c = 0; c < QC_COUNT; c++)
			text[c] = _(qcol_names[c]);
		query_line(&b, text, "Request-ID");
	}
	do {
		rc = history_query_list(h, sub, order, false, pg.before,
					pager_size(&pg), &rows, &n, err);
		if (rc != 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (fmt == HISTORY_TABLE)
				query_table_row(&b, &rows[i]);
			else if (fmt == HISTORY_CSV)
				query_csv_row(&b, &rows[i]);
			else
				query_jsonl_row(&b, &rows[i]);
		}
		more = pager_next(&pg, n, n ? rows[n - 1].id : 0);
		history_queries_free(rows, n);
		rc = flush_out(&b, out, err);
	} while (rc == 0 && more);
	return export_end(&b, out, rc, err);
}
