/* apiv3_query: the order query's answers and the trade-state table. See
 * apiv3_query.h for the contract. Error answers are classified by
 * apiv3_classify (one code table for both calls); only the verified 200 is
 * read here. */
#include "apiv3_query.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "i18n.h"

#define MASK_KEEP 4 /* characters of an openid shown at each end */
#define REVERSE_WINDOW_S ((int64_t)7 * 24 * 3600) /* REVERSE_EXPIRE after */

/* ---- Trade states -------------------------------------------------------- */

static const struct apiv3_state_info states[] = {
    {APIV3_TS_NONE, "", N_("State not known"), false},
    {APIV3_TS_SUCCESS, "SUCCESS", N_("Paid"), false},
    {APIV3_TS_REFUND, "REFUND",
     N_("Refunded (REFUND) — reversal will be refused, use a refund"), true},
    {APIV3_TS_NOTPAY, "NOTPAY", N_("Not paid — reversing closes it"), false},
    {APIV3_TS_CLOSED, "CLOSED", N_("Already closed (CLOSED) — nothing to do"),
     true},
    {APIV3_TS_REVOKED, "REVOKED", N_("Already reversed (REVOKED) — nothing to do"),
     true},
    {APIV3_TS_USERPAYING, "USERPAYING",
     N_("Payer still paying (USERPAYING) — wait"), false},
    {APIV3_TS_PAYERROR, "PAYERROR",
     N_("Payment failed (PAYERROR) — reversing closes it"), false},
    {APIV3_TS_ACCEPT, "ACCEPT",
     N_("Accepted, payment not confirmed yet (ACCEPT) — wait"), false},
    {APIV3_TS_NOT_FOUND, "ORDER_NOT_EXIST",
     N_("No such order for this sub-merchant"), true},
    {APIV3_TS_OTHER, "?", N_("A trade state wxrev does not know"), false},
};

const struct apiv3_state_info *apiv3_trade_state_info(enum apiv3_trade_state s)
{
	for (size_t i = 0; i < WX_ARRAY_LEN(states); i++) {
		if (states[i].state == s)
			return &states[i];
	}
	return &states[0];
}

const char *apiv3_trade_state_name(enum apiv3_trade_state s)
{
	return apiv3_trade_state_info(s)->name;
}

enum apiv3_trade_state apiv3_trade_state_parse(const char *name)
{
	if (!name || !*name)
		return APIV3_TS_NONE;
	for (size_t i = 1; i < WX_ARRAY_LEN(states); i++) {
		if (states[i].state != APIV3_TS_OTHER &&
		    strcmp(states[i].name, name) == 0)
			return states[i].state;
	}
	return APIV3_TS_OTHER;
}

enum wx_outcome apiv3_settle_outcome(enum apiv3_trade_state after,
				     enum apiv3_trade_state before)
{
	switch (after) {
	case APIV3_TS_REVOKED:
		return WX_REVERSED;
	case APIV3_TS_CLOSED:
		/* A reversal turns a paid order REVOKED; a paid order that
		 * reads CLOSED was not closed by us. */
		return before == APIV3_TS_SUCCESS ? WX_UNKNOWN : WX_REVERSED;
	case APIV3_TS_SUCCESS:
	case APIV3_TS_NOTPAY:
	case APIV3_TS_USERPAYING:
		return WX_FAILED;
	default:
		return WX_UNKNOWN;
	}
}

/* ---- Small parsers and formatters ---------------------------------------- */

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* "+08:00", "-05:30" or "Z" at s, exactly; minutes east in *off. */
static int parse_offset(const char *s, int *off)
{
	int hh;
	int mm;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    digits(s + 1, 2, &hh) < 0 || digits(s + 4, 2, &mm) < 0 ||
	    hh > 23 || mm > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

int apiv3_parse_rfc3339(const char *s, int64_t *epoch, int *offset_min)
{
	int y, mo, d, h, mi, se, off;
	const char *p;

	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
	    digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &se) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (parse_offset(p, &off) < 0)
		return -1;
	*epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
		 (int64_t)off * 60;
	*offset_min = off;
	return 0;
}

char *apiv3_mask_openid(const char *openid)
{
	size_t n = openid ? strlen(openid) : 0;

	if (n < 3 * MASK_KEEP)
		return wx_xstrdup("***");
	return wx_xasprintf("%.*s\xE2\x80\xA6%s", MASK_KEEP, openid,
			    openid + n - MASK_KEEP);
}

/* ---- The verified 200 ---------------------------------------------------- */

static const char *member_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static char *dup_member(json_t *obj, const char *key)
{
	return wx_xstrdup(member_str(obj, key));
}

/* A fen amount: absent is -1, anything but a whole number >= 0 fails. */
static int amount_member(json_t *amount, const char *key, int64_t *out)
{
	json_t *v = json_object_get(amount, key);

	*out = -1;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* Reads the order's facts; -1 when one is there but not as documented. */
static int read_order(json_t *root, struct apiv3_order_info *o)
{
	json_t *amount = json_object_get(root, "amount");
	json_t *payer = json_object_get(root, "payer");

	o->trade_state = dup_member(root, "trade_state");
	o->state = apiv3_trade_state_parse(o->trade_state);
	o->trade_state_desc = dup_member(root, "trade_state_desc");
	o->transaction_id = dup_member(root, "transaction_id");
	o->trade_type = dup_member(root, "trade_type");
	o->bank_type = dup_member(root, "bank_type");
	o->attach = dup_member(root, "attach");
	o->currency = dup_member(amount, "currency");
	o->success_time = dup_member(root, "success_time");
	if (json_object_get(payer, "sp_openid"))
		o->sp_openid = apiv3_mask_openid(member_str(payer, "sp_openid"));
	if (json_object_get(payer, "sub_openid"))
		o->sub_openid =
		    apiv3_mask_openid(member_str(payer, "sub_openid"));
	if (!o->trade_state || (amount && !json_is_object(amount)))
		return -1;
	if (amount_member(amount, "total", &o->amount_total) < 0 ||
	    amount_member(amount, "payer_total", &o->payer_total) < 0)
		return -1;
	if (o->success_time &&
	    apiv3_parse_rfc3339(o->success_time, &o->success_epoch,
				&o->success_offset_min) < 0)
		return -1;
	return 0;
}

static void order_free(struct apiv3_order_info *o)
{
	free(o->trade_state);
	free(o->trade_state_desc);
	free(o->currency);
	free(o->success_time);
	free(o->transaction_id);
	free(o->trade_type);
	free(o->bank_type);
	free(o->attach);
	free(o->sp_openid);
	free(o->sub_openid);
	memset(o, 0, sizeof(*o));
}

static void set_untrusted(struct apiv3_query_result *res, const char *code,
			  char *message)
{
	const struct apiv3_code_info *ci = apiv3_code_lookup(code);

	res->kind = APIV3_Q_UNTRUSTED;
	res->code = wx_xstrdup(code);
	res->message = message;
	res->explain = wx_xstrdup(ci ? _(ci->explain) : "");
	res->next = wx_xstrdup(_("Query again; until a verified answer "
				 "arrives the order's state is not known."));
	order_free(&res->order);
	res->order.amount_total = res->order.payer_total = -1;
}

static void classify_200(const char *body, size_t body_len, const char *order,
			 const char *sp_mchid, const char *sub_mchid,
			 struct apiv3_query_result *res)
{
	json_t *root = json_loadb(body ? body : "", body_len,
				  JSON_REJECT_DUPLICATES, NULL);
	enum apiv3_names names =
	    apiv3_answer_names(root, order, sp_mchid, sub_mchid);

	if (names == APIV3_NAMES_MISSING) {
		set_untrusted(res, APIV3_CODE_MALFORMED,
			      wx_xstrdup(N_("HTTP 200 without the out_trade_no, "
					   "sp_mchid and sub_mchid strings of "
					   "an order query answer")));
	} else if (names == APIV3_NAMES_OTHER) {
		set_untrusted(res, APIV3_CODE_MISMATCH,
			      wx_xstrdup(N_("the query answer names another "
					   "order, partner or sub-merchant "
					   "than the one asked for")));
	} else if (read_order(root, &res->order) < 0) {
		set_untrusted(res, APIV3_CODE_MALFORMED,
			      wx_xstrdup(N_("the query answer's trade_state, "
					   "amount or success_time is not as "
					   "WeChat Pay documents it")));
	} else {
		res->kind = APIV3_Q_ANSWERED;
		res->message = wx_xstrdup(res->order.trade_state_desc);
		res->explain = wx_xstrdup(
		    _(apiv3_trade_state_info(res->order.state)->words));
	}
	json_decref(root);
}

/* Errors and untrusted answers, worded by apiv3_classify's code table. */
static void classify_other(long status, const char *body, size_t body_len,
			   enum apiv3_verdict verdict, const char *order,
			   const char *sp_mchid, const char *sub_mchid,
			   struct apiv3_query_result *res)
{
	struct apiv3_result r;
	bool verified_error = verdict == APIV3_VERIFIED && status >= 400 &&
			      status <= 599;

	apiv3_classify(status, body, body_len, verdict, order, sp_mchid,
		       sub_mchid, &r);
	res->code = r.code;
	res->message = r.message;
	res->explain = r.explain;
	res->next = r.next;
	r.code = r.message = r.explain = r.next = NULL;
	if (!verified_error) {
		res->kind = APIV3_Q_UNTRUSTED;
		free(res->next);
		res->next = wx_xstrdup(_("Query again; until a verified "
					 "answer arrives the order's state "
					 "is not known."));
	} else if (status == 404 && res->code &&
		   (strcmp(res->code, "ORDER_NOT_EXIST") == 0 ||
		    strcmp(res->code, "ORDERNOTEXIST") == 0)) {
		res->kind = APIV3_Q_NOT_FOUND;
		res->order.state = APIV3_TS_NOT_FOUND;
	} else {
		res->kind = APIV3_Q_REFUSED;
		res->retryable = r.outcome == WX_FAILED;
		if (res->retryable) {
			free(res->explain);
			free(res->next);
			res->explain = wx_xasprintf(
			    _("WeChat Pay could not answer the query (HTTP "
			      "%ld)."),
			    status);
			res->next = wx_xstrdup(_("Query again in a moment."));
		}
	}
	apiv3_result_free(&r);
}

int apiv3_query_classify(long status, const char *body, size_t body_len,
			 enum apiv3_verdict verdict, const char *expected_order,
			 const char *expected_sp_mchid,
			 const char *expected_sub_mchid,
			 struct apiv3_query_result *res)
{
	if (!res)
		return -1;
	memset(res, 0, sizeof(*res));
	res->order.amount_total = res->order.payer_total = -1;
	if (!body)
		body_len = 0;
	if (status == 200 && verdict == APIV3_VERIFIED)
		classify_200(body, body_len, expected_order, expected_sp_mchid,
			     expected_sub_mchid, res);
	else if (status > 200 && status <= 299)
		set_untrusted(res, APIV3_CODE_UNEXPECTED,
			      wx_stored_printf(WX_MSG_QUERY_NOT_ANSWER,
					       status));
	else
		classify_other(status, body, body_len, verdict, expected_order,
			       expected_sp_mchid, expected_sub_mchid, res);
	return 0;
}

void apiv3_query_result_free(struct apiv3_query_result *res)
{
	if (!res)
		return;
	order_free(&res->order);
	free(res->code);
	free(res->message);
	free(res->explain);
	free(res->next);
	memset(res, 0, sizeof(*res));
}

/* ---- Words for the desk -------------------------------------------------- */

/* "12 min ago", "3 h ago", "7 d 3 h ago" ("just now" under a minute).
 * Near the 7-day limit whole days alone read wrong: "7 d ago — older
 * than 7 days", so hours are kept up to 14 days. */
static void age_text(int64_t secs, char *buf, size_t n)
{
	if (secs < 60)
		snprintf(buf, n, "%s", _("just now"));
	else if (secs < 3600)
		snprintf(buf, n, _("%lld min ago"), (long long)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(buf, n, _("%lld h ago"), (long long)(secs / 3600));
	else if (secs < 14 * 86400 && secs % 86400 >= 3600)
		snprintf(buf, n, _("%lld d %lld h ago"),
			 (long long)(secs / 86400),
			 (long long)(secs % 86400 / 3600));
	else
		snprintf(buf, n, _("%lld d ago"), (long long)(secs / 86400));
}

/* The paid time as WeChat Pay gave it, in the order's own zone, which is
 * named: "2026-11-30 14:02 UTC+8". The history shows the machine's local
 * time; on a desk outside China the two differ. */
void apiv3_paid_when(const struct apiv3_order_info *o, char *buf, size_t n)
{
	time_t t = (time_t)(o->success_epoch + o->success_offset_min * 60);
	int off = abs(o->success_offset_min);
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	wx_i18n_when_tm(&tm, WX_WHEN_MINUTE, when, sizeof(when));
	if (off % 60)
		snprintf(buf, n, "%s UTC%c%d:%02d", when,
			 o->success_offset_min < 0 ? '-' : '+', off / 60,
			 off % 60);
	else if (off)
		snprintf(buf, n, "%s UTC%c%d", when,
			 o->success_offset_min < 0 ? '-' : '+', off / 60);
	else
		snprintf(buf, n, "%s UTC", when);
}

static char *paid_words(const struct apiv3_order_info *o, int64_t now)
{
	char total[48], back[48], when[32] = "", age[32] = "";
	const char *cur = o->currency ? o->currency : "CNY";
	int64_t refund = o->payer_total >= 0 ? o->payer_total : o->amount_total;

	wx_i18n_amount(o->amount_total, o->currency, total, sizeof(total));
	wx_i18n_amount(refund, o->currency, back, sizeof(back));
	if (!o->success_time)
		return wx_xasprintf(_("Paid %s (%s) — reversing refunds "
				      "%s to the payer"),
				    total, cur, back);
	apiv3_paid_when(o, when, sizeof(when));
	age_text(now - o->success_epoch, age, sizeof(age));
	if (now - o->success_epoch > REVERSE_WINDOW_S)
		return wx_xasprintf(_("Paid %s (%s) on %s, %s — older "
				      "than 7 days: WeChat Pay will refuse "
				      "(REVERSE_EXPIRE), a refund is the way"),
				    total, cur, when, age);
	return wx_xasprintf(_("Paid %s (%s) on %s, %s — reversing "
			      "refunds %s to the payer"),
			    total, cur, when, age, back);
}

char *apiv3_order_words(const struct apiv3_query_result *q, int64_t now)
{
	if (!q)
		return wx_xstrdup(_("Could not read the order: no query was "
				    "made"));
	if (q->kind == APIV3_Q_ANSWERED && q->order.state == APIV3_TS_SUCCESS)
		return paid_words(&q->order, now);
	if (q->kind == APIV3_Q_ANSWERED || q->kind == APIV3_Q_NOT_FOUND)
		return wx_xstrdup(
		    _(apiv3_trade_state_info(q->order.state)->words));
	return wx_xasprintf(_("Could not read the order: %s %s"),
			    q->code ? q->code : "",
			    q->message ? wx_i18n_stored(q->message) : "");
}
