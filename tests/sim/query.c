/* query: WeChat Pay's partner order query, checked like the reverse call
 * and answered from the order table. See query.h and README.md. */
#define _POSIX_C_SOURCE 200809L
#include "query.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "answer.h"
#include "api.h"

#define CHINA_OFFSET_S (8 * 3600) /* success_time is given in +08:00 */

int query_route_matches(const char *target)
{
	size_t plen = strlen(API_ROUTE_PREFIX);
	size_t seg;

	if (strncmp(target, API_ROUTE_PREFIX, plen) != 0)
		return 0;
	seg = strcspn(target + plen, "?/");
	return seg > 0 && target[plen + seg] != '/';
}

/* The decoded value of key in the raw query string; NULL when absent,
 * repeated (*bad set) or badly encoded (*bad set). */
static char *query_value(const char *qs, const char *key, int *bad)
{
	size_t klen = strlen(key);
	char *found = NULL;
	const char *p = qs;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, "&");

		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			char *v = request_decode(p + klen + 1, n - klen - 1);

			if (found != NULL || v == NULL) {
				free(v);
				free(found);
				*bad = 1;
				return NULL;
			}
			found = v;
		}
		p = p[n] == '&' ? p + n + 1 : NULL;
	}
	return found;
}

static void parse_query_route(struct call *k)
{
	const char *t = k->req->target + strlen(API_ROUTE_PREFIX);
	size_t seg = strcspn(t, "?");
	const char *qs = t[seg] == '?' ? t + seg + 1 : "";
	int bad = 0;

	k->routed = 1;
	k->order_no = request_decode(t, seg);
	k->query_sp = query_value(qs, "sp_mchid", &bad);
	k->query_sub = query_value(qs, "sub_mchid", &bad);
	k->sp_mchid = k->query_sp;
	k->sub_mchid = k->query_sub;
}

static int param_error(struct answer *a, const char *field, const char *value,
		       const char *issue)
{
	answer_error(a, 400, "PARAM_ERROR", "参数错误", "bad_query");
	answer_detail(a, field, value != NULL ? json_string(value) : NULL,
		      issue, "query");
	return -1;
}

static int check_params(struct call *k, struct answer *a)
{
	if (k->sp_mchid == NULL || k->sp_mchid[0] == '\0')
		return param_error(a, "/sp_mchid", k->sp_mchid,
				   "查询参数缺失或重复，此参数为必填项");
	if (k->sub_mchid == NULL || k->sub_mchid[0] == '\0')
		return param_error(a, "/sub_mchid", k->sub_mchid,
				   "查询参数缺失或重复，此参数为必填项");
	if (!api_valid_order_no(k->order_no))
		return param_error(a, "/out_trade_no", k->order_no,
				   API_ORDER_NO_ISSUE);
	return 0;
}

/* trade_state and trade_state_desc of a simulator state. */
static void trade_state(enum order_state s, const char **name,
			const char **desc)
{
	static const struct {
		const char *name;
		const char *desc;
	} map[] = {
	    [ORDER_PAID] = {"SUCCESS", "支付成功"},
	    [ORDER_NOTPAY] = {"NOTPAY", "未支付"},
	    [ORDER_USERPAYING] = {"USERPAYING", "用户支付中（付款码支付）"},
	    [ORDER_REVERSED] = {"REVOKED", "已撤销（付款码支付）"},
	    [ORDER_CLOSED] = {"CLOSED", "已关闭"},
	    [ORDER_REFUND] = {"REFUND", "转入退款"},
	    [ORDER_PAYERROR] = {"PAYERROR", "支付失败（其他原因，如银行返回失败）"},
	    [ORDER_ACCEPT] = {"ACCEPT", "已接收，等待扣款"},
	};

	*name = map[s].name;
	*desc = map[s].desc;
}

/* "2026-11-30T14:02:00+08:00" */
static json_t *china_time(int64_t s)
{
	time_t t = (time_t)(s + CHINA_OFFSET_S);
	struct tm tm;
	char buf[40];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm);
	return json_string(buf);
}

/* A stable made-up openid for the order's payer. */
static char *payer_openid(const struct order *o, const char *prefix)
{
	return sim_xasprintf("%s%.22s", prefix, o->transaction_id + 6);
}

/* The answer body, in WeChat Pay's key order; caller holds sim->lock. */
static json_t *order_body(const struct call *k, const struct order *o,
			  const char *order_no)
{
	json_t *b = json_object(), *amount = json_object(), *payer;
	const char *name, *desc;
	int paid = config_state_was_paid(o->state);
	char *sp_id, *sub_id;

	trade_state(o->state, &name, &desc);
	json_object_set_new(b, "sp_mchid", json_string(k->sp_mchid));
	json_object_set_new(b, "sub_mchid", json_string(k->sub_mchid));
	json_object_set_new(b, "out_trade_no", json_string(order_no));
	if (paid)
		json_object_set_new(b, "transaction_id",
				    json_string(o->transaction_id));
	json_object_set_new(b, "trade_type", json_string("MICROPAY"));
	json_object_set_new(b, "trade_state", json_string(name));
	json_object_set_new(b, "trade_state_desc", json_string(desc));
	if (paid) {
		json_object_set_new(b, "bank_type", json_string("OTHERS"));
		json_object_set_new(b, "attach", json_string(""));
		json_object_set_new(b, "success_time",
				    china_time(config_paid_s(o)));
		sp_id = payer_openid(o, "oUpF8u");
		sub_id = payer_openid(o, "oXsb2w");
		payer = json_pack("{s:s, s:s}", "sp_openid", sp_id,
				  "sub_openid", sub_id);
		json_object_set_new(b, "payer", payer);
		free(sp_id);
		free(sub_id);
	}
	json_object_set_new(amount, "total", json_integer(o->amount));
	if (paid)
		json_object_set_new(amount, "payer_total",
				    json_integer(o->amount));
	json_object_set_new(amount, "currency", json_string("CNY"));
	json_object_set_new(amount, "payer_currency", json_string("CNY"));
	json_object_set_new(b, "amount", amount);
	return b;
}

static void apply_state(struct sim *sim, struct call *k, struct answer *a)
{
	struct order *o;
	char *other;

	pthread_mutex_lock(&sim->lock);
	o = config_find_order(&sim->cfg, k->sub_mchid, k->order_no);
	if (o == NULL) {
		answer_error(a, 404, "ORDER_NOT_EXIST", "订单不存在",
			     "order_not_exist");
	} else if (a->fault == FAULT_WRONG_ORDER) {
		other = sim_xasprintf("%.26sOTHER1", k->order_no);
		answer_ok(a, order_body(k, o, other), "ok");
		free(other);
	} else {
		answer_ok(a, order_body(k, o, o->out_trade_no), "ok");
	}
	pthread_mutex_unlock(&sim->lock);
}

static void serve_route(struct sim *sim, struct MHD_Connection *c,
			struct call *k, struct answer *a)
{
	struct fault f;
	char *raw;

	if (strcmp(k->method, "GET") != 0) {
		answer_error(a, 404, "NOT_FOUND", "无效的请求地址",
			     "not_found");
		return;
	}
	if (api_check_headers(c, a) < 0 ||
	    api_check_authorization(sim, c, k, a) < 0 ||
	    api_check_signature(k, a) < 0)
		return;
	f = api_take_fault(sim, k->order_no, 0, 1);
	if (api_gate_fault(a, &f))
		return;
	a->fault = f.type;
	if (check_params(k, a) < 0 ||
	    api_check_partner(k, a, k->merchant->can_query, "query") < 0) {
		a->fault = FAULT_NONE;
		return;
	}
	apply_state(sim, k, a);
	if (a->fault == FAULT_MALFORMED_JSON && a->status == 200) {
		raw = sim_xasprintf("{\"sp_mchid\":\"%s\",\"out_trade_no\":"
				    "\"%s\",\"trade_state\":\"SUC",
				    k->sp_mchid, k->order_no);
		answer_raw(a, raw, strlen(raw));
	}
}

enum MHD_Result query_serve(struct sim *sim, struct MHD_Connection *c,
			    struct request *req, const char *method)
{
	struct call k = {.req = req, .method = method};
	struct answer a = {.status = 500, .verdict = "ok"};
	struct fault early;

	parse_query_route(&k);
	early = api_take_fault(sim, k.order_no, 1, 1);
	if (early.type == FAULT_DELAY)
		sim_sleep_ms(sim, early.ms);
	if (early.type == FAULT_DROP)
		return api_drop(sim, c, &k, FAULT_DROP);
	if (!api_body_too_large(&k, &a))
		serve_route(sim, c, &k, &a);
	return api_send(sim, c, &k, &a, &early);
}
