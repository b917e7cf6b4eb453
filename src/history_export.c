/* history_export: the history written out for people and tools (table,
 * CSV, JSON lines), a page at a time through history_list. */
#include "history_export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "i18n.h"

/* Rows fetched per history_list call. */
#define EXPORT_PAGE 256

/* Display columns of one code point: CJK and full-width forms take two,
 * combining marks none. Independent of the locale so exports are stable. */
static int cp_width(uint32_t c)
{
	if (c == 0x200b || (c >= 0x300 && c <= 0x36f) ||
	    (c >= 0xfe00 && c <= 0xfe0f))
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd))
		return 2;
	return 1;
}

/* Decodes one UTF-8 sequence at s; invalid bytes count as one U+FFFD. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t len;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return len;
}

/* C0 and C1 controls and DEL: written raw they drive the terminal. */
static int is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

/* `flat` for CSV: controls become U+FFFD except line breaks and tabs,
 * which CSV keeps (quoted). */
#define CLEAN_CSV 2

/* The code point to show for the sequence at p: invalid bytes are U+FFFD,
 * and control characters are spaces when `flat` is 1 (one line per row). */
static uint32_t clean_cp(const unsigned char *p, size_t *len, int flat)
{
	uint32_t c;

	*len = utf8_next(p, &c);
	if (is_control(c) && flat == 1)
		c = ' ';
	else if (is_control(c) && flat == CLEAN_CSV && c != '\n' &&
		 c != '\r' && c != '\t')
		c = 0xfffd;
	return c;
}

static int text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int cols = 0;
	size_t len;

	for (; *p; p += len)
		cols += cp_width(clean_cp(p, &len, 1));
	return cols;
}

/* Appends s as valid UTF-8, at most max_cols wide (-1: any) with an
 * ellipsis when cut. Returns the display width written. */
static int put_clean(struct wx_buf *b, const char *s, int max_cols, int flat)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	int limit = max_cols;
	int cut = max_cols >= 0 && text_width(s) > max_cols;
	int cols = 0;
	size_t len;

	if (cut)
		limit = max_cols - 1;
	for (; *p; p += len) {
		uint32_t c = clean_cp(p, &len, flat);

		if (limit >= 0 && cols + cp_width(c) > limit)
			break;
		if (c == ' ' && *p != ' ')
			wx_buf_puts(b, " ");
		else if (c == 0xfffd &&
			 strncmp((const char *)p, "\xef\xbf\xbd", 3) != 0)
			wx_buf_puts(b, "\xef\xbf\xbd");
		else
			wx_buf_append(b, p, len);
		cols += cp_width(c);
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
		t->width[c] = text_width(_(tcol_names[c]));
	for (size_t i = 0; i < n; i++) {
		table_cells(&rows[i], cell, text);
		for (int c = 0; c < TC_COUNT; c++) {
			int w = text_width(text[c]);

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
		int used = text_width(text[c]);

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
	const char *v;

	if (!first)
		wx_buf_puts(b, ",");
	if (!s)
		return;
	if (formula_like(s))
		wx_buf_puts(&clean, "'");
	put_clean(&clean, s, -1, CLEAN_CSV);
	v = clean.data ? clean.data : "";
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
    "message,attempts,latency_ms\r\n";

static void csv_row(struct wx_buf *b, const struct history_reversal *r)
{
	char when[32];

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
	wx_buf_puts(b, "\r\n");
}

/* A JSON string from stored bytes; invalid UTF-8 becomes U+FFFD. */
static json_t *json_str(const char *s)
{
	struct wx_buf clean = {0};
	json_t *j;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	put_clean(&clean, s, -1, 0);
	j = json_string(clean.data ? clean.data : "");
	wx_buf_free(&clean);
	return j ? j : json_null();
}

static void jsonl_row(struct wx_buf *b, const struct history_reversal *r)
{
	char created[40];
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
	json_object_set_new(o, "operator", json_str(r->op));
	json_object_set_new(o, "note", json_str(r->note));
	json_object_set_new(o, "partner_name", json_str(r->partner_name));
	json_object_set_new(o, "sp_mchid", json_str(r->sp_mchid));
	json_object_set_new(o, "sub_name", json_str(r->sub_name));
	json_object_set_new(o, "sub_mchid", json_str(r->sub_mchid));
	json_object_set_new(o, "out_trade_no", json_str(r->out_trade_no));
	json_object_set_new(o, "endpoint", json_str(r->endpoint));
	json_object_set_new(o, "outcome",
			    json_string(wx_outcome_name(r->outcome)));
	json_object_set_new(o, "http_status", json_integer(r->http_status));
	json_object_set_new(o, "code", json_str(r->code));
	json_object_set_new(o, "message", json_str(r->message));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "latency_ms", json_integer(r->latency_ms));
	json_object_set_new(o, "pid", json_integer(r->pid));
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		wx_fatal("out of memory (JSON export)");
	wx_buf_put_json_safe(b, line);
	wx_buf_puts(b, "\n");
	free(line);
}

static void export_rows(struct wx_buf *b, enum history_format fmt,
			struct table *t, const struct history_reversal *rows,
			size_t n)
{
	if (fmt == HISTORY_TABLE) {
		table_rows(b, t, rows, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (fmt == HISTORY_CSV)
			csv_row(b, &rows[i]);
		else
			jsonl_row(b, &rows[i]);
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

int history_export(struct history *h, const struct history_filter *f, int limit,
		   enum history_format fmt, FILE *out, struct wx_err *err)
{
	struct table t = {.ready = 0};
	struct wx_buf b = {0};
	struct history_reversal *rows = NULL;
	int64_t before = 0;
	int64_t left = limit > 0 ? limit : INT64_MAX;
	size_t n = 0;
	int rc = 0;

	if (fmt == HISTORY_CSV) {
		/* The BOM tells spreadsheets the file is UTF-8 (Chinese). */
		wx_buf_puts(&b, "\xef\xbb\xbf");
		wx_buf_puts(&b, csv_header);
	}
	do {
		int page = left < EXPORT_PAGE ? (int)left : EXPORT_PAGE;

		rc = history_list(h, f, before, page, &rows, &n, err);
		if (rc != 0)
			break;
		if (n == 0 && fmt == HISTORY_TABLE && !t.ready)
			table_rows(&b, &t, rows, 0);
		export_rows(&b, fmt, &t, rows, n);
		if (n)
			before = rows[n - 1].id;
		left -= (int64_t)n;
		history_rows_free(rows, n);
		rc = flush_out(&b, out, err);
	} while (rc == 0 && n == EXPORT_PAGE && left > 0);
	if (rc == 0 && fflush(out) != 0)
		rc = wx_err_set(err,
				_("cannot write the history export (%s): check "
				  "the output file or disk"),
				strerror(errno));
	wx_buf_free(&b);
	return rc;
}
