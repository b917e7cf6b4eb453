/* answer: builds, signs and queues answers (see answer.h). */
#define _POSIX_C_SOURCE 200809L
#include "answer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign.h"

/* A well-formed serial no client knows. */
#define UNKNOWN_SERIAL "5A1F7C0DE00000000000000000000000DEADBEEF"
/* How far off skewed_timestamp puts Wechatpay-Timestamp. */
#define SKEW_S 600

void answer_error(struct answer *a, unsigned int status, const char *code,
		  const char *message, const char *verdict)
{
	json_decref(a->json);
	a->json = json_pack("{s:s, s:s}", "code", code, "message", message);
	a->status = status;
	a->code = code;
	a->verdict = verdict;
}

void answer_detail(struct answer *a, const char *field, json_t *value,
		   const char *issue, const char *location)
{
	json_t *d = json_object();

	if (field != NULL)
		json_object_set_new(d, "field", json_string(field));
	if (value != NULL)
		json_object_set_new(d, "value", value);
	json_object_set_new(d, "issue", json_string(issue));
	json_object_set_new(d, "location", json_string(location));
	json_object_set_new(a->json, "detail", d);
}

void answer_ok(struct answer *a, json_t *body, const char *verdict)
{
	json_decref(a->json);
	a->json = body;
	a->status = 200;
	a->code = NULL;
	a->verdict = verdict;
}

void answer_raw(struct answer *a, char *raw, size_t len)
{
	json_decref(a->json);
	a->json = NULL;
	free(a->raw);
	a->raw = raw;
	a->raw_len = len;
}

void answer_clear(struct answer *a)
{
	json_decref(a->json);
	free(a->raw);
	memset(a, 0, sizeof(*a));
}

/* Body bytes for the wire; the caller frees them. */
static char *body_bytes(struct answer *a, size_t *len)
{
	char *s;

	if (a->json == NULL) {
		s = sim_xmalloc(a->raw_len + 1);
		if (a->raw_len > 0)
			memcpy(s, a->raw, a->raw_len);
		s[a->raw_len] = '\0';
		*len = a->raw_len;
		return s;
	}
	s = json_dumps(a->json, JSON_COMPACT);
	if (s == NULL)
		s = sim_xstrdup("{}");
	*len = strlen(s);
	return s;
}

/* "TIMESTAMP\nNONCE\nBODY\n", the message every answer is signed over. */
static char *sign_message(const char *ts, const char *nonce, const char *body,
			  size_t len, size_t *out_len)
{
	size_t head = strlen(ts) + strlen(nonce) + 2;
	char *msg = sim_xmalloc(head + len + 2);

	(void)snprintf(msg, head + 1, "%s\n%s\n", ts, nonce);
	memcpy(msg + head, body, len);
	msg[head + len] = '\n';
	msg[head + len + 1] = '\0';
	*out_len = head + len + 1;
	return msg;
}

/* The Wechatpay-Signature value, as the armed fault wants it. */
static char *signature_for(struct sim *sim, enum fault_type fault,
			   const char *msg, size_t len)
{
	unsigned char junk[256];
	char *b64, *out;

	if (fault == FAULT_PROBE_SIGNATURE) {
		memset(junk, 0xA5, sizeof(junk));
		b64 = sign_base64(junk, sizeof(junk));
		out = sim_xasprintf("WECHATPAY/SIGNTEST/%s", b64);
		free(b64);
		return out;
	}
	/* bad_signature: a real signature, over a message one byte longer. */
	if (fault == FAULT_BAD_SIGNATURE)
		len++;
	return sign_b64(sim->cfg.platform_key, msg, len);
}

static void add_signature(struct sim *sim, struct MHD_Response *r,
			  const struct answer *a, const char *body, size_t len)
{
	char ts[24], nonce[33], *msg, *sig;
	size_t msg_len;
	int64_t now = sim_now_s();

	if (a->fault == FAULT_SKEWED_TIMESTAMP)
		now -= SKEW_S;
	(void)snprintf(ts, sizeof(ts), "%" PRId64, now);
	sign_random_alnum(nonce, 32);
	/* replay_nonce: a fresh, valid signature over a nonce already used. */
	pthread_mutex_lock(&sim->lock);
	if (a->fault == FAULT_REPLAY_NONCE && sim->last_nonce[0] != '\0')
		memcpy(nonce, sim->last_nonce, sizeof(nonce));
	memcpy(sim->last_nonce, nonce, sizeof(nonce));
	pthread_mutex_unlock(&sim->lock);
	msg = sign_message(ts, nonce, body, len, &msg_len);
	sig = signature_for(sim, a->fault, msg, msg_len);
	MHD_add_response_header(r, "Wechatpay-Timestamp", ts);
	MHD_add_response_header(r, "Wechatpay-Nonce", nonce);
	MHD_add_response_header(r, "Wechatpay-Serial",
				a->fault == FAULT_UNKNOWN_SERIAL
				    ? UNKNOWN_SERIAL
				    : sim->cfg.platform_serial);
	if (sig != NULL)
		MHD_add_response_header(r, "Wechatpay-Signature", sig);
	free(sig);
	free(msg);
}

struct trickle {
	struct sim *sim; /* for interruptible sleeps */
	char *body;	 /* owned body bytes */
	size_t len;	 /* bytes in body */
};

/* One byte per second; gives up when the simulator is stopping. */
static ssize_t trickle_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct trickle *t = cls;

	if (pos >= t->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max == 0 || sim_sleep_ms(t->sim, 1000) < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	buf[0] = t->body[pos];
	return 1;
}

static void trickle_free(void *cls)
{
	struct trickle *t = cls;

	free(t->body);
	free(t);
}

static struct MHD_Response *make_response(struct sim *sim, char *body,
					  size_t len, enum fault_type fault)
{
	struct trickle *t;
	struct MHD_Response *r;

	if (fault != FAULT_TRICKLE)
		return MHD_create_response_from_buffer(len, body,
						       MHD_RESPMEM_MUST_FREE);
	t = sim_xmalloc(sizeof(*t));
	t->sim = sim;
	t->body = body;
	t->len = len;
	r = MHD_create_response_from_callback(len, 1, trickle_read, t,
					      trickle_free);
	if (r == NULL)
		trickle_free(t);
	return r;
}

enum MHD_Result answer_queue(struct sim *sim, struct MHD_Connection *c,
			     struct answer *a, const char *request_id)
{
	size_t len;
	char *body = body_bytes(a, &len), num[24];
	struct MHD_Response *r;
	enum MHD_Result rc;

	/* The response owns body now; it lives until MHD_destroy_response. */
	r = make_response(sim, body, len, a->fault);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Request-ID", request_id);
	if (a->fault != FAULT_NO_SIGNATURE)
		add_signature(sim, r, a, body, len);
	if (a->retry_after > 0) {
		(void)snprintf(num, sizeof(num), "%ld", a->retry_after);
		MHD_add_response_header(r, "Retry-After", num);
	}
	rc = MHD_queue_response(c, a->status, r);
	MHD_destroy_response(r);
	return rc;
}
