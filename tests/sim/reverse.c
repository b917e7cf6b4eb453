/* reverse: WeChat Pay's reverse API, its checks, state machine and faults.
 * The checks run in the order WeChat Pay runs them; the first that fails
 * decides the answer and names the verdict written to the request log. */
#define _POSIX_C_SOURCE 200809L
#include "reverse.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "answer.h"
#include "api.h"
#include "query.h"
#include "sign.h"

#define ROUTE_PREFIX	API_ROUTE_PREFIX
#define ROUTE_SUFFIX	"/reverse"
#define AUTH_SCHEME	"WECHATPAY2-SHA256-RSA2048"
#define TIME_WINDOW_S	300
#define OVERSIZED_BYTES ((size_t)5 * 1024 * 1024)
#define MIN_ORDER_NO	6
#define MAX_ORDER_NO	32

static const char *const auth_names[N_AUTH] = {
    "mchid", "nonce_str", "timestamp", "serial_no", "signature",
};

/* Splits the target; a query string never matches the route. */
static void parse_route(struct call *k)
{
	const char *t = k->req->target, *seg, *end;
	size_t plen = strlen(ROUTE_PREFIX);

	if (strncmp(t, ROUTE_PREFIX, plen) != 0)
		return;
	seg = t + plen;
	end = strchr(seg, '/');
	if (end == NULL || end == seg || strcmp(end, ROUTE_SUFFIX) != 0)
		return;
	k->routed = 1;
	k->order_no = request_decode(seg, (size_t)(end - seg));
}

void api_call_free(struct call *k)
{
	size_t i;

	free(k->order_no);
	free(k->query_sp);
	free(k->query_sub);
	for (i = 0; i < N_AUTH; i++)
		free(k->auth[i]);
	json_decref(k->body);
}

/* --- faults ------------------------------------------------------------ */

static int fault_is_early(enum fault_type t)
{
	return t == FAULT_DROP || t == FAULT_DELAY || t == FAULT_DROP_REUSED;
}

/* drop_reused waits for a request that arrives on a connection which
 * already carried one: what a client meets when a keep-alive connection it
 * reuses turns out dead. A first request passes it by untouched. */
static struct fault take_early_fault(struct sim *sim, const struct call *k)
{
	struct fault none = {.type = FAULT_NONE};
	struct order *o;
	int waits = 0;

	if (!k->routed || k->order_no == NULL)
		return none;
	pthread_mutex_lock(&sim->lock);
	o = config_find_order_any(&sim->cfg, k->order_no);
	waits = o != NULL && o->fault.type == FAULT_DROP_REUSED &&
		k->req->conn_seq < 2;
	pthread_mutex_unlock(&sim->lock);
	return waits ? none : api_take_fault(sim, k->order_no, 1, 0);
}

/* Takes one use of the order's fault when it belongs to this phase. */
struct fault api_take_fault(struct sim *sim, const char *order_no, int early,
			    int query)
{
	struct fault f = {.type = FAULT_NONE};
	struct fault *slot = NULL;
	struct order *o;

	if (order_no == NULL)
		return f;
	pthread_mutex_lock(&sim->lock);
	o = config_find_order_any(&sim->cfg, order_no);
	if (o != NULL)
		slot = query ? &o->query_fault : &o->fault;
	if (slot != NULL && slot->type != FAULT_NONE &&
	    fault_is_early(slot->type) == early) {
		f = *slot;
		if (slot->count > 0 && --slot->count == 0)
			slot->type = FAULT_NONE;
	}
	pthread_mutex_unlock(&sim->lock);
	return f;
}

/* Faults that answer instead of the API; 1 when f was one of them. */
int api_gate_fault(struct answer *a, const struct fault *f)
{
	switch (f->type) {
	case FAULT_FAIL_500:
		answer_error(a, 500, "SYSTEM_ERROR", "系统错误", "ok");
		break;
	case FAULT_RATE_LIMIT:
		answer_error(a, 429, "RATELIMIT_EXCEEDED", "达到调用速率限制",
			     "ok");
		a->retry_after = f->retry_after;
		break;
	case FAULT_UNAVAILABLE_503:
		answer_error(a, 503, "SYSTEM_ERROR", "服务暂不可用，请稍后重试",
			     "ok");
		break;
	case FAULT_NOT_FOUND:
		answer_error(a, 404, "ORDER_NOT_EXIST", "订单不存在", "ok");
		break;
	case FAULT_ESCAPE_MESSAGE:
		answer_error(a, 400, "INVALID_REQUEST",
			     "订单\x1b[2J\x1b[31m状态异常\x1b]0;pwned\x07\r\n"
			     "\x08\x7f\xc2\x9b"
			     "31m请\x1b[0m重试\x1bP\x1b\\",
			     "ok");
		answer_detail(a, NULL, NULL, "\x1b[5m\x07\x1b[?1049h", "body");
		break;
	default:
		return 0;
	}
	a->fault = f->type;
	return 1;
}

/* --- authentication ------------------------------------------------------ */

int api_check_headers(struct MHD_Connection *c, struct answer *a)
{
	const char *accept =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	const char *ua =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");

	if (accept == NULL || accept[0] == '\0') {
		answer_error(a, 400, "INVALID_REQUEST", "请求缺少Accept",
			     "missing_accept");
		return -1;
	}
	if (ua == NULL || ua[0] == '\0') {
		answer_error(a, 400, "INVALID_REQUEST", "请求缺少User-Agent",
			     "missing_user_agent");
		return -1;
	}
	return 0;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* One key="value" item; returns the text after it or NULL. */
static const char *parse_item(struct call *k, const char *p)
{
	const char *key = p, *eq = strchr(p, '='), *val, *close;
	size_t i, klen;

	if (eq == NULL || eq[1] != '"')
		return NULL;
	klen = (size_t)(eq - key);
	val = eq + 2;
	close = strchr(val, '"');
	if (close == NULL)
		return NULL;
	for (i = 0; i < N_AUTH; i++) {
		if (strlen(auth_names[i]) != klen ||
		    strncmp(auth_names[i], key, klen) != 0)
			continue;
		if (k->auth[i] != NULL || close == val)
			return NULL; /* repeated or empty */
		k->auth[i] = strndup(val, (size_t)(close - val));
	}
	return close + 1;
}

static int parse_authorization(struct call *k, const char *h)
{
	size_t n = strlen(AUTH_SCHEME), i;
	const char *p;

	if (h == NULL || strncmp(h, AUTH_SCHEME, n) != 0 || h[n] != ' ')
		return -1;
	p = skip_space(h + n);
	while (*p != '\0') {
		p = parse_item(k, p);
		if (p == NULL)
			return -1;
		p = skip_space(p);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p != '\0')
			return -1;
	}
	for (i = 0; i < N_AUTH; i++) {
		if (k->auth[i] == NULL)
			return -1;
	}
	return 0;
}

static int parse_timestamp(struct call *k)
{
	const char *s = k->auth[A_TIMESTAMP];
	size_t len = strlen(s);
	char *end;

	if (len == 0 || len > 12 || strspn(s, "0123456789") != len)
		return -1;
	k->timestamp = (int64_t)strtoll(s, &end, 10);
	return 0;
}

static int sign_error(struct answer *a, const char *message,
		      const char *verdict)
{
	answer_error(a, 401, "SIGN_ERROR", message, verdict);
	return -1;
}

int api_check_authorization(struct sim *sim, struct MHD_Connection *c,
			       struct call *k, struct answer *a)
{
	const char *h =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	int64_t skew;

	if (parse_authorization(k, h) < 0 || parse_timestamp(k) < 0)
		return sign_error(a,
				  "Http头Authorization值格式错误，请参考《微信"
				  "支付商户REST API签名规则》",
				  "bad_authorization");
	k->merchant = config_find_merchant(&sim->cfg, k->auth[A_MCHID]);
	if (k->merchant == NULL)
		return sign_error(a, "商户号不存在", "unknown_mchid");
	if (!sim_strcaseeq(k->merchant->serial, k->auth[A_SERIAL]))
		return sign_error(a, "商户证书序列号有误", "unknown_serial");
	skew = sim_now_s() - k->timestamp;
	if (skew > TIME_WINDOW_S || skew < -TIME_WINDOW_S)
		return sign_error(a, "请求时间戳超出允许范围",
				  "stale_timestamp");
	return 0;
}

/* METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n over the raw target and body. */
int api_check_signature(struct call *k, struct answer *a)
{
	const struct request *r = k->req;
	char *head = sim_xasprintf("%s\n%s\n%s\n%s\n", k->method, r->target,
				   k->auth[A_TIMESTAMP], k->auth[A_NONCE]);
	size_t hlen = strlen(head);
	char *msg = sim_xmalloc(hlen + r->body_len + 1);
	int ok;

	memcpy(msg, head, hlen);
	memcpy(msg + hlen, r->body, r->body_len);
	msg[hlen + r->body_len] = '\n';
	ok = sign_verify_b64(k->merchant->key, msg, hlen + r->body_len + 1,
			     k->auth[A_SIGNATURE]);
	free(msg);
	free(head);
	if (!ok)
		return sign_error(a, "签名错误", "bad_signature");
	return 0;
}

/* --- body and business rules ------------------------------------------- */

static int param_error(struct answer *a, const char *field, json_t *value,
		       const char *issue, const char *location)
{
	answer_error(a, 400, "PARAM_ERROR", "参数错误", "bad_body");
	answer_detail(a, field, value != NULL ? json_incref(value) : NULL,
		      issue, location);
	return -1;
}

/* A string member; required ones must be present and non-empty. */
static int body_string(json_t *body, const char *key, int required,
		       const char **out, struct answer *a)
{
	json_t *v = json_object_get(body, key);
	char field[40];

	(void)snprintf(field, sizeof(field), "/%s", key);
	*out = NULL;
	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return param_error(a, field, NULL, "字段缺失，此字段为必填项",
				   "body");
	if (!json_is_string(v))
		return param_error(a, field, v, "字段类型错误，应为字符串",
				   "body");
	if (required && json_string_length(v) == 0)
		return param_error(a, field, v, "字段不能为空", "body");
	*out = json_string_value(v);
	return 0;
}

static int check_body(struct call *k, struct answer *a)
{
	json_error_t jerr;
	char issue[256];

	k->body = json_loadb(k->req->body, k->req->body_len,
			     JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(k->body)) {
		(void)snprintf(issue, sizeof(issue), "请求体应为JSON对象 (%s)",
			       k->body == NULL ? jerr.text : "not an object");
		return param_error(a, NULL, NULL, issue, "body");
	}
	if (body_string(k->body, "sp_mchid", 1, &k->sp_mchid, a) < 0 ||
	    body_string(k->body, "sub_mchid", 1, &k->sub_mchid, a) < 0 ||
	    body_string(k->body, "sp_appid", 0, &k->sp_appid, a) < 0 ||
	    body_string(k->body, "sub_appid", 0, &k->sub_appid, a) < 0)
		return -1;
	return 0;
}

int api_valid_order_no(const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	return len >= MIN_ORDER_NO && len <= MAX_ORDER_NO &&
	       strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-|*") == len;
}

static int check_order_no(struct call *k, struct answer *a)
{
	json_t *v;

	if (api_valid_order_no(k->order_no))
		return 0;
	v = k->order_no != NULL ? json_string(k->order_no) : NULL;
	param_error(a, "/out_trade_no", v,
		    API_ORDER_NO_ISSUE, "path");
	json_decref(v);
	return -1;
}

int api_check_partner(const struct call *k, struct answer *a, int allowed,
		      const char *location)
{
	if (strcmp(k->sp_mchid, k->merchant->mchid) != 0) {
		answer_error(a, 400, "INVALID_REQUEST",
			     "sp_mchid与请求头中的商户号不一致",
			     "mchid_mismatch");
		answer_detail(a, "/sp_mchid", json_string(k->sp_mchid),
			      "应与Authorization中的mchid相同", location);
		return -1;
	}
	if (!allowed) {
		answer_error(a, 403, "NO_AUTH", "商户无权限", "no_permission");
		return -1;
	}
	if (!config_merchant_has_sub(k->merchant, k->sub_mchid)) {
		answer_error(a, 403, "NO_AUTH", "子商户与服务商不存在绑定关系",
			     "no_auth");
		return -1;
	}
	return 0;
}

/* The success body, naming the given order number. */
static json_t *success_body(const struct call *k, const char *order_no)
{
	json_t *b = json_object();

	if (k->sp_appid != NULL)
		json_object_set_new(b, "sp_appid", json_string(k->sp_appid));
	json_object_set_new(b, "sp_mchid", json_string(k->sp_mchid));
	if (k->sub_appid != NULL)
		json_object_set_new(b, "sub_appid", json_string(k->sub_appid));
	json_object_set_new(b, "sub_mchid", json_string(k->sub_mchid));
	json_object_set_new(b, "out_trade_no", json_string(order_no));
	return b;
}

/* Runs the state machine on a found order; caller holds sim->lock. */
static void transition(struct call *k, struct order *o, struct answer *a)
{
	int expired = sim_now_s() - o->created_s > CONFIG_REVERSE_WINDOW_S;

	if (o->state == ORDER_REFUND) {
		answer_error(a, 400, "TRADE_ERROR", "订单已发生退款，不能撤销",
			     "trade_error");
	} else if (o->state == ORDER_REVERSED || o->state == ORDER_CLOSED) {
		answer_ok(a, success_body(k, o->out_trade_no), "ok");
	} else if (expired) {
		answer_error(a, 400, "REVERSE_EXPIRE", "订单已超过撤销时间",
			     "reverse_expire");
	} else if (o->state == ORDER_USERPAYING || o->state == ORDER_ACCEPT) {
		answer_error(a, 400, "USERPAYING", "用户支付中", "userpaying");
	} else {
		o->state =
		    o->state == ORDER_PAID ? ORDER_REVERSED : ORDER_CLOSED;
		answer_ok(a, success_body(k, o->out_trade_no), "ok");
	}
}

static void apply_state(struct sim *sim, struct call *k, struct answer *a)
{
	struct order *o;

	pthread_mutex_lock(&sim->lock);
	o = config_find_order(&sim->cfg, k->sub_mchid, k->order_no);
	if (o == NULL)
		answer_error(a, 404, "ORDER_NOT_EXIST", "订单不存在",
			     "order_not_exist");
	else
		transition(k, o, a);
	pthread_mutex_unlock(&sim->lock);
}

static char *oversized_body(const struct call *k, size_t *len)
{
	char *head = sim_xasprintf(
	    "{\"sp_mchid\":\"%s\",\"out_trade_no\":\"%s\",\"padding\":\"",
	    k->merchant->mchid, k->order_no);
	size_t hlen = strlen(head);
	char *body = sim_xmalloc(OVERSIZED_BYTES + 1);

	memcpy(body, head, hlen);
	memset(body + hlen, 'x', OVERSIZED_BYTES - hlen - 2);
	memcpy(body + OVERSIZED_BYTES - 2, "\"}", 3);
	free(head);
	*len = OVERSIZED_BYTES;
	return body;
}

/* Body-level faults: the business answer has happened; its bytes change. */
static void apply_body_fault(const struct call *k, struct answer *a)
{
	char *other, *raw;
	size_t len;

	if (a->fault == FAULT_WRONG_ORDER && k->sp_mchid != NULL) {
		other = sim_xasprintf("%.26sOTHER1", k->order_no);
		answer_ok(a, success_body(k, other), a->verdict);
		free(other);
	} else if (a->fault == FAULT_MALFORMED_JSON) {
		raw =
		    sim_xasprintf("{\"sp_mchid\":\"%s\",\"out_trade_no\":\"%s",
				  k->merchant->mchid, k->order_no);
		a->status = 200;
		a->code = NULL;
		answer_raw(a, raw, strlen(raw));
	} else if (a->fault == FAULT_NO_CONTENT && a->status == 200) {
		a->status = 204;
		answer_raw(a, sim_xstrdup(""), 0);
	} else if (a->fault == FAULT_OVERSIZED) {
		raw = oversized_body(k, &len);
		a->status = 200;
		a->code = NULL;
		answer_raw(a, raw, len);
	}
}

/* The checks after authentication, in WeChat Pay's order. */
static void business(struct sim *sim, struct call *k, struct answer *a)
{
	if (check_body(k, a) < 0 || check_order_no(k, a) < 0 ||
	    api_check_partner(k, a, k->merchant->can_reverse, "body") < 0)
		return;
	apply_state(sim, k, a);
}

static struct fault serve_route(struct sim *sim, struct MHD_Connection *c,
			       struct call *k, struct answer *a)
{
	struct fault f = {.type = FAULT_NONE};

	if (strcmp(k->method, "POST") != 0) {
		answer_error(a, 404, "NOT_FOUND", "无效的请求地址",
			     "not_found");
		return f;
	}
	if (api_check_headers(c, a) < 0 || api_check_authorization(sim, c, k, a) < 0 ||
	    api_check_signature(k, a) < 0)
		return f;
	f = api_take_fault(sim, k->order_no, 0, 0);
	if (api_gate_fault(a, &f))
		return f;
	business(sim, k, a);
	a->fault = f.type;
	if (k->order_no != NULL)
		apply_body_fault(k, a);
	return f;
}

/* --- request log -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if ((len == 3 && cp < 0x800) || (cp >= 0xD800 && cp <= 0xDFFF) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return len;
}

/* A JSON string of arbitrary bytes: invalid UTF-8 becomes U+FFFD. */
static json_t *text_json(const char *s, size_t n, int *clean)
{
	char *out = sim_xmalloc(n * 3 + 1);
	size_t i = 0, o = 0, len;
	json_t *j;

	*clean = 1;
	while (i < n) {
		len = utf8_seq((const unsigned char *)s + i, n - i);
		if (len == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			*clean = 0;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	j = json_stringn(out, o);
	free(out);
	return j;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	json_t *h = cls, *old;
	int clean;
	char *joined;

	(void)kind;
	if (key == NULL)
		return MHD_YES;
	old = json_object_get(h, key);
	if (old != NULL && value != NULL) {
		/* Repeated headers are kept, comma-joined as HTTP allows. */
		joined = sim_xasprintf("%s, %s", json_string_value(old), value);
		json_object_set_new(h, key,
				    text_json(joined, strlen(joined), &clean));
		free(joined);
		return MHD_YES;
	}
	json_object_set_new(h, key,
			    value != NULL
				? text_json(value, strlen(value), &clean)
				: json_string(""));
	return MHD_YES;
}

static void add_body(json_t *line, const struct request *r)
{
	int clean;
	char *b64;

	if (r->body_seen > SIM_MAX_BODY) {
		json_object_set_new(line, "body", json_null());
		json_object_set_new(line, "body_bytes",
				    json_integer((json_int_t)r->body_seen));
		return;
	}
	json_object_set_new(line, "body",
			    text_json(r->body, r->body_len, &clean));
	if (!clean) {
		b64 = sign_base64(r->body, r->body_len);
		json_object_set_new(line, "body_base64", json_string(b64));
		free(b64);
	}
}

void api_log_request(struct sim *sim, struct MHD_Connection *c,
			const struct call *k, const struct answer *a)
{
	json_t *line = json_object(), *headers = json_object();
	int clean;
	char *text;

	json_object_set_new(line, "time_ms", json_integer(k->req->time_ms));
	json_object_set_new(line, "done_ms", json_integer(sim_now_ms()));
	json_object_set_new(line, "conn_seq", json_integer(k->req->conn_seq));
	json_object_set_new(line, "request_id",
			    json_string(k->req->request_id));
	json_object_set_new(line, "method", json_string(k->method));
	json_object_set_new(
	    line, "target",
	    text_json(k->req->target, strlen(k->req->target), &clean));
	if (k->order_no != NULL)
		json_object_set_new(
		    line, "out_trade_no",
		    text_json(k->order_no, strlen(k->order_no), &clean));
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, headers);
	json_object_set_new(line, "headers", headers);
	add_body(line, k->req);
	json_object_set_new(line, "status",
			    a->status ? json_integer(a->status) : json_null());
	json_object_set_new(line, "code",
			    a->code ? json_string(a->code) : json_null());
	json_object_set_new(line, "verdict", json_string(a->verdict));
	if (a->fault != FAULT_NONE)
		json_object_set_new(line, "fault",
				    json_string(config_fault_name(a->fault)));
	text = json_dumps(line, JSON_COMPACT);
	if (text != NULL)
		sim_log_line(sim, text);
	free(text);
	json_decref(line);
}

/* --- entry -------------------------------------------------------------- */

enum MHD_Result api_drop(struct sim *sim, struct MHD_Connection *c,
			 struct call *k, enum fault_type type)
{
	struct answer a = {.status = 0, .verdict = "dropped", .fault = type};

	api_log_request(sim, c, k, &a);
	api_call_free(k);
	return MHD_NO;
}

int api_body_too_large(const struct call *k, struct answer *a)
{
	if (k->req->body_seen <= SIM_MAX_BODY)
		return 0;
	answer_error(a, 413, "INVALID_REQUEST", "请求体过大", "body_too_large");
	return 1;
}

enum MHD_Result api_send(struct sim *sim, struct MHD_Connection *c,
			 struct call *k, struct answer *a,
			 const struct fault *early)
{
	enum MHD_Result rc;

	if (early->type == FAULT_DELAY && a->fault == FAULT_NONE)
		a->fault = FAULT_DELAY;
	api_log_request(sim, c, k, a);
	rc = answer_queue(sim, c, a, k->req->request_id);
	answer_clear(a);
	api_call_free(k);
	return rc;
}

/* lost_answer: the reversal happened; its answer never leaves. */
static enum MHD_Result lose_answer(struct sim *sim, struct MHD_Connection *c,
				   struct call *k, struct answer *a, long ms)
{
	a->status = 0;
	a->code = NULL;
	a->verdict = "answer_lost";
	api_log_request(sim, c, k, a);
	sim_sleep_ms(sim, ms);
	answer_clear(a);
	api_call_free(k);
	return MHD_NO;
}

enum MHD_Result reverse_serve(struct sim *sim, struct MHD_Connection *c,
			      struct request *req, const char *method)
{
	struct call k = {.req = req, .method = method};
	struct answer a = {.status = 500, .verdict = "ok"};
	struct fault early, late = {.type = FAULT_NONE};

	if (query_route_matches(req->target))
		return query_serve(sim, c, req, method);
	parse_route(&k);
	early = take_early_fault(sim, &k);
	if (early.type == FAULT_DELAY)
		sim_sleep_ms(sim, early.ms);
	if (early.type == FAULT_DROP || early.type == FAULT_DROP_REUSED)
		return api_drop(sim, c, &k, early.type);
	if (api_body_too_large(&k, &a))
		return api_send(sim, c, &k, &a, &early);
	if (!k.routed)
		answer_error(&a, 404, "NOT_FOUND", "无效的请求地址",
			     "not_found");
	else
		late = serve_route(sim, c, &k, &a);
	if (a.fault == FAULT_LOST_ANSWER)
		return lose_answer(sim, c, &k, &a, late.ms);
	return api_send(sim, c, &k, &a, &early);
}
