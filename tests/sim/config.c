/* config: parses the simulator's JSON world (see README.md). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sign.h"

static const char *const state_names[] = {
    [ORDER_PAID] = "PAID",
    [ORDER_NOTPAY] = "NOTPAY",
    [ORDER_USERPAYING] = "USERPAYING",
    [ORDER_REVERSED] = "REVERSED",
    [ORDER_CLOSED] = "CLOSED",
    [ORDER_REFUND] = "REFUND",
    [ORDER_PAYERROR] = "PAYERROR",
    [ORDER_ACCEPT] = "ACCEPT",
};

static const char *const fault_names[] = {
    [FAULT_NONE] = "none",
    [FAULT_DELAY] = "delay",
    [FAULT_FAIL_500] = "fail_500",
    [FAULT_RATE_LIMIT] = "rate_limit",
    [FAULT_UNAVAILABLE_503] = "unavailable_503",
    [FAULT_DROP] = "drop",
    [FAULT_DROP_REUSED] = "drop_reused",
    [FAULT_NO_CONTENT] = "no_content",
    [FAULT_REPLAY_NONCE] = "replay_nonce",
    [FAULT_BAD_SIGNATURE] = "bad_signature",
    [FAULT_NO_SIGNATURE] = "no_signature",
    [FAULT_UNKNOWN_SERIAL] = "unknown_serial",
    [FAULT_SKEWED_TIMESTAMP] = "skewed_timestamp",
    [FAULT_MALFORMED_JSON] = "malformed_json",
    [FAULT_OVERSIZED] = "oversized",
    [FAULT_PROBE_SIGNATURE] = "probe_signature",
    [FAULT_TRICKLE] = "trickle",
    [FAULT_WRONG_ORDER] = "wrong_order",
    [FAULT_ESCAPE_MESSAGE] = "escape_message",
    [FAULT_NOT_FOUND] = "not_found",
    [FAULT_LOST_ANSWER] = "lost_answer",
};

#define N_STATES (sizeof(state_names) / sizeof(state_names[0]))
#define N_FAULTS (sizeof(fault_names) / sizeof(fault_names[0]))

const char *config_state_name(enum order_state s)
{
	return (size_t)s < N_STATES ? state_names[s] : "?";
}

const char *config_fault_name(enum fault_type t)
{
	return (size_t)t < N_FAULTS ? fault_names[t] : "?";
}

int config_state_was_paid(enum order_state s)
{
	return s == ORDER_PAID || s == ORDER_REVERSED || s == ORDER_REFUND;
}

int64_t config_paid_s(const struct order *o)
{
	return o->created_s + 3;
}

/* A made-up but stable transaction id: 4200002000 + 18 digits of the
 * order's FNV-1a hash. */
static char *default_transaction_id(const char *sub, const char *no)
{
	uint64_t h = 14695981039346656037ULL;
	const char *parts[2] = {sub, no};

	for (int i = 0; i < 2; i++) {
		for (const char *p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
	}
	return sim_xasprintf("4200002000%018llu",
			     (unsigned long long)(h % 1000000000000000000ULL));
}

/* A string member: required ones fail when absent, optional give NULL. */
static int get_string(json_t *obj, const char *key, int required,
		      const char *where, const char **out, struct sim_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return sim_err_set(err, "%s: \"%s\" is missing; add it", where,
				   key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return sim_err_set(err, "%s.%s must be a non-empty string",
				   where, key);
	*out = json_string_value(v);
	return 0;
}

static int get_long(json_t *obj, const char *key, long dflt, long *out,
		    const char *where, struct sim_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return sim_err_set(err, "%s.%s must be a whole number >= 0",
				   where, key);
	*out = (long)json_integer_value(v);
	return 0;
}

static int parse_state(const char *name, enum order_state *out)
{
	size_t i;

	for (i = 0; i < N_STATES; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum order_state)i;
			return 0;
		}
	}
	return -1;
}

static int parse_fault_type(const char *name, enum fault_type *out)
{
	size_t i;

	for (i = 0; i < N_FAULTS; i++) {
		if (strcmp(name, fault_names[i]) == 0) {
			*out = (enum fault_type)i;
			return 0;
		}
	}
	return -1;
}

int config_parse_fault(struct fault *f, json_t *obj, const char *where,
		       struct sim_err *err)
{
	const char *type;

	memset(f, 0, sizeof(*f));
	f->type = FAULT_NONE;
	if (obj == NULL || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return sim_err_set(err,
				   "%s must be an object like "
				   "{\"type\": \"fail_500\", \"count\": 2}",
				   where);
	if (get_string(obj, "type", 1, where, &type, err) < 0)
		return -1;
	if (parse_fault_type(type, &f->type) < 0)
		return sim_err_set(err,
				   "%s.type \"%s\" is unknown; see the "
				   "fault table in tests/sim/README.md",
				   where, type);
	if (get_long(obj, "count", -1, &f->count, where, err) < 0 ||
	    get_long(obj, "ms", 1000, &f->ms, where, err) < 0 ||
	    get_long(obj, "retry_after", 1, &f->retry_after, where, err) < 0)
		return -1;
	if (f->count == 0)
		f->type = FAULT_NONE;
	return 0;
}

int config_parse_order(struct order *o, json_t *obj, const char *where,
		       struct sim_err *err)
{
	const char *sub, *no, *state = NULL, *txn = NULL;
	long age, amount;
	char fwhere[96];

	memset(o, 0, sizeof(*o));
	if (!json_is_object(obj))
		return sim_err_set(err, "%s must be an object", where);
	if (get_string(obj, "sub_mchid", 1, where, &sub, err) < 0 ||
	    get_string(obj, "out_trade_no", 1, where, &no, err) < 0 ||
	    get_string(obj, "state", 0, where, &state, err) < 0 ||
	    get_long(obj, "age_s", 60, &age, where, err) < 0 ||
	    get_long(obj, "amount", CONFIG_DEFAULT_AMOUNT, &amount, where,
		     err) < 0 ||
	    get_string(obj, "transaction_id", 0, where, &txn, err) < 0)
		return -1;
	o->state = ORDER_PAID;
	if (state != NULL && parse_state(state, &o->state) < 0)
		return sim_err_set(err,
				   "%s.state \"%s\" is unknown; use PAID, "
				   "NOTPAY, USERPAYING, REVERSED, CLOSED, "
				   "REFUND, PAYERROR or ACCEPT",
				   where, state);
	(void)snprintf(fwhere, sizeof(fwhere), "%s.fault", where);
	if (config_parse_fault(&o->fault, json_object_get(obj, "fault"), fwhere,
			       err) < 0)
		return -1;
	(void)snprintf(fwhere, sizeof(fwhere), "%s.query_fault", where);
	if (config_parse_fault(&o->query_fault,
			       json_object_get(obj, "query_fault"), fwhere,
			       err) < 0)
		return -1;
	o->created_s = sim_now_s() - age;
	o->amount = amount;
	o->sub_mchid = sim_xstrdup(sub);
	o->out_trade_no = sim_xstrdup(no);
	o->transaction_id = txn != NULL ? sim_xstrdup(txn)
					: default_transaction_id(sub, no);
	return 0;
}

void config_order_clear(struct order *o)
{
	free(o->sub_mchid);
	free(o->out_trade_no);
	free(o->transaction_id);
	memset(o, 0, sizeof(*o));
}

struct order *config_find_order(struct config *cfg, const char *sub_mchid,
				const char *out_trade_no)
{
	size_t i;

	for (i = 0; i < cfg->n_orders; i++) {
		struct order *o = &cfg->orders[i];

		if (strcmp(o->sub_mchid, sub_mchid) == 0 &&
		    strcmp(o->out_trade_no, out_trade_no) == 0)
			return o;
	}
	return NULL;
}

struct order *config_find_order_any(struct config *cfg,
				    const char *out_trade_no)
{
	size_t i;

	for (i = 0; i < cfg->n_orders; i++) {
		if (strcmp(cfg->orders[i].out_trade_no, out_trade_no) == 0)
			return &cfg->orders[i];
	}
	return NULL;
}

struct order *config_put_order(struct config *cfg, struct order *o)
{
	struct order *old =
	    config_find_order(cfg, o->sub_mchid, o->out_trade_no);

	if (old != NULL) {
		config_order_clear(old);
		*old = *o;
		return old;
	}
	if (cfg->n_orders == cfg->cap_orders) {
		cfg->cap_orders = cfg->cap_orders ? cfg->cap_orders * 2 : 16;
		cfg->orders = sim_xrealloc(
		    cfg->orders, cfg->cap_orders * sizeof(*cfg->orders));
	}
	cfg->orders[cfg->n_orders] = *o;
	return &cfg->orders[cfg->n_orders++];
}

struct merchant *config_find_merchant(struct config *cfg, const char *mchid)
{
	size_t i;

	for (i = 0; i < cfg->n_merchants; i++) {
		if (strcmp(cfg->merchants[i].mchid, mchid) == 0)
			return &cfg->merchants[i];
	}
	return NULL;
}

int config_merchant_has_sub(const struct merchant *m, const char *sub_mchid)
{
	size_t i;

	for (i = 0; i < m->n_sub; i++) {
		if (strcmp(m->sub_mchids[i], sub_mchid) == 0)
			return 1;
	}
	return 0;
}

/* A path from the file, made relative to the config file's folder. */
static char *resolve(const char *dir, const char *path)
{
	if (path[0] == '/' || dir[0] == '\0')
		return sim_xstrdup(path);
	return sim_xasprintf("%s/%s", dir, path);
}

static int load_tls(struct config *cfg, json_t *root, const char *dir,
		    struct sim_err *err)
{
	json_t *tls = json_object_get(root, "tls");
	const char *cert, *key;
	char *path;

	if (!json_is_object(tls))
		return sim_err_set(err,
				   "\"tls\" {\"cert\", \"key\"} is missing; "
				   "add it or run with --http");
	if (get_string(tls, "cert", 1, "tls", &cert, err) < 0 ||
	    get_string(tls, "key", 1, "tls", &key, err) < 0)
		return -1;
	path = resolve(dir, cert);
	cfg->tls_cert = sim_read_file(path, NULL, err);
	free(path);
	path = resolve(dir, key);
	if (cfg->tls_cert != NULL)
		cfg->tls_key = sim_read_file(path, NULL, err);
	free(path);
	return cfg->tls_key != NULL ? 0 : -1;
}

static int load_platform(struct config *cfg, json_t *root, const char *dir,
			 struct sim_err *err)
{
	json_t *p = json_object_get(root, "platform");
	const char *key, *serial;
	char *path;

	if (!json_is_object(p))
		return sim_err_set(err, "\"platform\" {\"private_key\", "
					"\"serial\"} is missing; add it");
	if (get_string(p, "private_key", 1, "platform", &key, err) < 0 ||
	    get_string(p, "serial", 1, "platform", &serial, err) < 0)
		return -1;
	path = resolve(dir, key);
	cfg->platform_key = sign_load_private(path, err);
	free(path);
	cfg->platform_serial = sim_xstrdup(serial);
	return cfg->platform_key != NULL ? 0 : -1;
}

static int load_subs(struct merchant *m, json_t *subs, const char *where,
		     struct sim_err *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(subs))
		return sim_err_set(err,
				   "%s.sub_mchids must be an array of "
				   "strings",
				   where);
	m->sub_mchids =
	    sim_xmalloc((json_array_size(subs) + 1) * sizeof(*m->sub_mchids));
	json_array_foreach(subs, i, v)
	{
		if (!json_is_string(v))
			return sim_err_set(err,
					   "%s.sub_mchids[%zu] must be a "
					   "string",
					   where, i);
		m->sub_mchids[m->n_sub++] = sim_xstrdup(json_string_value(v));
	}
	return 0;
}

static int load_merchant(struct merchant *m, json_t *obj, const char *dir,
			 const char *where, struct sim_err *err)
{
	const char *mchid, *serial, *pub;
	json_t *can = json_object_get(obj, "can_reverse");
	char *path;

	if (!json_is_object(obj))
		return sim_err_set(err, "%s must be an object", where);
	if (get_string(obj, "mchid", 1, where, &mchid, err) < 0 ||
	    get_string(obj, "serial", 1, where, &serial, err) < 0 ||
	    get_string(obj, "public_key", 1, where, &pub, err) < 0)
		return -1;
	if (can != NULL && !json_is_boolean(can))
		return sim_err_set(err, "%s.can_reverse must be true or false",
				   where);
	m->can_reverse = can == NULL || json_is_true(can);
	can = json_object_get(obj, "can_query");
	if (can != NULL && !json_is_boolean(can))
		return sim_err_set(err, "%s.can_query must be true or false",
				   where);
	m->can_query = can == NULL || json_is_true(can);
	m->mchid = sim_xstrdup(mchid);
	m->serial = sim_xstrdup(serial);
	path = resolve(dir, pub);
	m->key = sign_load_public(path, err);
	free(path);
	if (m->key == NULL)
		return -1;
	return load_subs(m, json_object_get(obj, "sub_mchids"), where, err);
}

static int load_merchants(struct config *cfg, json_t *root, const char *dir,
			  struct sim_err *err)
{
	json_t *arr = json_object_get(root, "merchants"), *v;
	size_t i;
	char where[48];

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return sim_err_set(err, "\"merchants\" must be a non-empty "
					"array; add the partner's mchid, "
					"serial and public_key");
	cfg->merchants = calloc(json_array_size(arr), sizeof(*cfg->merchants));
	if (cfg->merchants == NULL)
		return sim_err_set(err, "out of memory");
	json_array_foreach(arr, i, v)
	{
		(void)snprintf(where, sizeof(where), "merchants[%zu]", i);
		cfg->n_merchants++;
		if (load_merchant(&cfg->merchants[i], v, dir, where, err) < 0)
			return -1;
	}
	return 0;
}

static int load_orders(struct config *cfg, json_t *root, struct sim_err *err)
{
	json_t *arr = json_object_get(root, "orders"), *v;
	struct order o;
	size_t i;
	char where[48];

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return sim_err_set(err, "\"orders\" must be an array");
	json_array_foreach(arr, i, v)
	{
		(void)snprintf(where, sizeof(where), "orders[%zu]", i);
		if (config_parse_order(&o, v, where, err) < 0) {
			config_order_clear(&o);
			return -1;
		}
		config_put_order(cfg, &o);
	}
	return 0;
}

static int load_root(struct config *cfg, json_t *root, const char *dir,
		     int need_tls, struct sim_err *err)
{
	const char *log;

	if (!json_is_object(root))
		return sim_err_set(err, "the config must be a JSON object");
	if (need_tls && load_tls(cfg, root, dir, err) < 0)
		return -1;
	if (get_string(root, "log", 0, "config", &log, err) < 0)
		return -1;
	if (log != NULL)
		cfg->log_path = resolve(dir, log);
	if (load_platform(cfg, root, dir, err) < 0 ||
	    load_merchants(cfg, root, dir, err) < 0)
		return -1;
	return load_orders(cfg, root, err);
}

int config_load(struct config *cfg, const char *path, int need_tls,
		struct sim_err *err)
{
	json_error_t jerr;
	json_t *root;
	char *dir = sim_xstrdup(path), *slash;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	slash = strrchr(dir, '/');
	if (slash != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		dir[0] = '\0';
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = sim_err_set(err, "%s:%d:%d: %s; fix the JSON", path,
				 jerr.line, jerr.column, jerr.text);
		goto out;
	}
	rc = load_root(cfg, root, dir, need_tls, err);
	if (rc < 0) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		sim_err_set(err, "%s: %s", path, msg);
		config_free(cfg);
	}
out:
	json_decref(root);
	free(dir);
	return rc;
}

void config_free(struct config *cfg)
{
	size_t i, j;

	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->log_path);
	free(cfg->platform_serial);
	EVP_PKEY_free(cfg->platform_key);
	for (i = 0; i < cfg->n_merchants; i++) {
		struct merchant *m = &cfg->merchants[i];

		free(m->mchid);
		free(m->serial);
		EVP_PKEY_free(m->key);
		for (j = 0; j < m->n_sub; j++)
			free(m->sub_mchids[j]);
		free(m->sub_mchids);
	}
	free(cfg->merchants);
	for (i = 0; i < cfg->n_orders; i++)
		config_order_clear(&cfg->orders[i]);
	free(cfg->orders);
	memset(cfg, 0, sizeof(*cfg));
}
