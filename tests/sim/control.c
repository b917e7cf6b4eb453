/* control: arms faults and edits orders for tests (see control.h). */
#define _POSIX_C_SOURCE 200809L
#include "control.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "answer.h"

#define ORDERS_PATH "/_sim/orders"
#define FAULTS_PATH "/_sim/faults"

static json_t *fault_view(const struct fault *f)
{
	if (f->type == FAULT_NONE)
		return json_null();
	return json_pack("{s:s, s:I}", "type", config_fault_name(f->type),
			 "count", (json_int_t)f->count);
}

static json_t *order_view(const struct order *o)
{
	json_t *v = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "out_trade_no",
			      o->out_trade_no, "sub_mchid", o->sub_mchid,
			      "state", config_state_name(o->state), "age_s",
			      (json_int_t)(sim_now_s() - o->created_s),
			      "amount", (json_int_t)o->amount,
			      "transaction_id", o->transaction_id);

	json_object_set_new(v, "fault", fault_view(&o->fault));
	json_object_set_new(v, "query_fault", fault_view(&o->query_fault));
	return v;
}

static void bad_request(struct answer *a, const char *message)
{
	answer_error(a, 400, "PARAM_ERROR", message, "control");
}

static json_t *parse_body(const struct request *req, struct answer *a)
{
	json_error_t jerr;
	json_t *j = json_loadb(req->body, req->body_len, 0, &jerr);

	if (!json_is_object(j)) {
		json_decref(j);
		bad_request(a, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* POST /_sim/orders: add or replace one order. */
static void put_order(struct sim *sim, const struct request *req,
		      struct answer *a)
{
	json_t *j = parse_body(req, a);
	struct sim_err err;
	struct order o;

	if (j == NULL)
		return;
	if (config_parse_order(&o, j, "order", &err) < 0) {
		config_order_clear(&o);
		bad_request(a, err.msg);
	} else {
		pthread_mutex_lock(&sim->lock);
		answer_ok(a, order_view(config_put_order(&sim->cfg, &o)),
			  "control");
		pthread_mutex_unlock(&sim->lock);
	}
	json_decref(j);
}

/* The order a fault is armed on, created as the request says if absent;
 * caller holds sim->lock. */
static struct order *fault_target(struct sim *sim, json_t *j,
				  struct sim_err *err)
{
	const char *no = json_string_value(json_object_get(j, "out_trade_no"));
	const char *sub = json_string_value(json_object_get(j, "sub_mchid"));
	struct config *cfg = &sim->cfg;
	struct order *o, fresh;
	json_t *spec;

	if (no == NULL || no[0] == '\0') {
		sim_err_set(err, "out_trade_no must be a non-empty string");
		return NULL;
	}
	o = sub != NULL ? config_find_order(cfg, sub, no)
			: config_find_order_any(cfg, no);
	if (o != NULL && json_object_get(j, "state") == NULL)
		return o;
	if (sub == NULL && o != NULL)
		sub = o->sub_mchid;
	if (sub == NULL && cfg->n_merchants > 0 && cfg->merchants[0].n_sub > 0)
		sub = cfg->merchants[0].sub_mchids[0];
	if (sub == NULL) {
		sim_err_set(err, "no sub_mchid given and none configured");
		return NULL;
	}
	spec = json_pack("{s:s, s:s}", "sub_mchid", sub, "out_trade_no", no);
	json_object_set(spec, "state", json_object_get(j, "state"));
	if (o != NULL) {
		json_object_set_new(spec, "age_s",
				    json_integer(sim_now_s() - o->created_s));
		json_object_set_new(spec, "amount", json_integer(o->amount));
	}
	o = NULL;
	if (config_parse_order(&fresh, spec, "request", err) < 0)
		config_order_clear(&fresh);
	else
		o = config_put_order(cfg, &fresh);
	json_decref(spec);
	return o;
}

/* POST /_sim/faults: arm (or with null, clear) one order's fault on the
 * reverse call ("fault") and/or on the order query ("query_fault"). */
static void arm_fault(struct sim *sim, const struct request *req,
		      struct answer *a)
{
	json_t *j = parse_body(req, a);
	struct sim_err err;
	struct fault f, qf;
	struct order *o;
	int has_q;

	if (j == NULL)
		return;
	has_q = json_object_get(j, "query_fault") != NULL;
	if (config_parse_fault(&f, json_object_get(j, "fault"), "fault", &err) <
		0 ||
	    config_parse_fault(&qf, json_object_get(j, "query_fault"),
			       "query_fault", &err) < 0) {
		bad_request(a, err.msg);
		json_decref(j);
		return;
	}
	pthread_mutex_lock(&sim->lock);
	o = fault_target(sim, j, &err);
	if (o == NULL) {
		bad_request(a, err.msg);
	} else {
		if (json_object_get(j, "fault") != NULL || !has_q)
			o->fault = f;
		if (has_q)
			o->query_fault = qf;
		answer_ok(a, order_view(o), "control");
	}
	pthread_mutex_unlock(&sim->lock);
	json_decref(j);
}

static void list_orders(struct sim *sim, struct answer *a)
{
	json_t *arr = json_array();
	size_t i;

	pthread_mutex_lock(&sim->lock);
	for (i = 0; i < sim->cfg.n_orders; i++)
		json_array_append_new(arr, order_view(&sim->cfg.orders[i]));
	pthread_mutex_unlock(&sim->lock);
	answer_ok(a, json_pack("{s:o}", "orders", arr), "control");
}

/* GET /_sim/orders/{no}[?sub_mchid=S] */
static void get_order(struct sim *sim, struct MHD_Connection *c,
		      const char *rest, struct answer *a)
{
	const char *sub =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sub_mchid");
	size_t n = strcspn(rest, "?");
	char *no = request_decode(rest, n);
	struct order *o;

	if (no == NULL) {
		bad_request(a,
			    "the order number is not valid percent-encoding");
		return;
	}
	pthread_mutex_lock(&sim->lock);
	o = sub != NULL ? config_find_order(&sim->cfg, sub, no)
			: config_find_order_any(&sim->cfg, no);
	if (o == NULL)
		answer_error(a, 404, "ORDER_NOT_EXIST", "订单不存在",
			     "control");
	else
		answer_ok(a, order_view(o), "control");
	pthread_mutex_unlock(&sim->lock);
	free(no);
}

static void route(struct sim *sim, struct MHD_Connection *c,
		  const struct request *req, const char *method,
		  struct answer *a)
{
	const char *t = req->target;
	size_t olen = strlen(ORDERS_PATH);
	int post = strcmp(method, "POST") == 0;
	int get = strcmp(method, "GET") == 0;

	if (post && strcmp(t, FAULTS_PATH) == 0)
		arm_fault(sim, req, a);
	else if (post && strcmp(t, ORDERS_PATH) == 0)
		put_order(sim, req, a);
	else if (get && (strcmp(t, ORDERS_PATH) == 0 ||
			 strncmp(t, ORDERS_PATH "?", olen + 1) == 0))
		list_orders(sim, a);
	else if (get && strncmp(t, ORDERS_PATH "/", olen + 1) == 0 &&
		 t[olen + 1] != '\0')
		get_order(sim, c, t + olen + 1, a);
	else
		answer_error(a, 404, "NOT_FOUND", "no such control endpoint",
			     "control");
}

enum MHD_Result control_serve(struct sim *sim, struct MHD_Connection *c,
			      struct request *req, const char *method)
{
	struct answer a = {.status = 500, .verdict = "control"};
	enum MHD_Result rc;

	if (req->body_seen > SIM_MAX_BODY)
		answer_error(&a, 413, "INVALID_REQUEST", "请求体过大",
			     "control");
	else
		route(sim, c, req, method, &a);
	rc = answer_queue(sim, c, &a, req->request_id);
	answer_clear(&a);
	return rc;
}
