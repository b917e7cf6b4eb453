/* handler: reads requests (headers, then the body in chunks) and
 * dispatches them once complete. */
#define _POSIX_C_SOURCE 200809L
#include "handler.h"

#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "control.h"
#include "request.h"
#include "reverse.h"
#include "sign.h"
#include "sim.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *request_decode(const char *s, size_t n)
{
	char *out = sim_xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
		lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

void handler_connection(void *cls, struct MHD_Connection *c,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(unsigned));
	} else {
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* 1 for the first request on a connection, 2 on its first reuse, ... */
static unsigned connection_seq(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT)
	      : NULL;
	unsigned *n = ci ? (unsigned *)ci->socket_context : NULL;

	if (n == NULL)
		return 1;
	return ++*n;
}

void *handler_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *req = calloc(1, sizeof(*req));

	(void)cls;
	if (req == NULL)
		return NULL;
	req->conn_seq = connection_seq(c);
	req->target = sim_xstrdup(uri != NULL ? uri : "");
	req->time_ms = sim_now_ms();
	memcpy(req->request_id, "08", 2);
	sign_random_hex(req->request_id + 2, 32);
	return req;
}

void handler_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (req == NULL)
		return;
	free(req->target);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

/* Content-Length over the limit is refused before the body is read;
 * returns the announced size, or 0 when it is within the limit. */
static unsigned long long announced_too_large(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (cl == NULL)
		return 0;
	n = strtoull(cl, &end, 10);
	return end != cl && n > SIM_MAX_BODY ? n : 0;
}

static void keep_body(struct request *req, const char *data, size_t n)
{
	req->body_seen += n;
	if (req->body_seen > SIM_MAX_BODY)
		return;
	if (req->body_len + n + 1 > req->body_cap) {
		req->body_cap = req->body_len + n + 1 + 1024;
		req->body = sim_xrealloc(req->body, req->body_cap);
	}
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	req->body[req->body_len] = '\0';
}

static enum MHD_Result dispatch(struct sim *sim, struct MHD_Connection *c,
				struct request *req, const char *method)
{
	if (req->body == NULL)
		req->body = sim_xstrdup("");
	req->answered = 1;
	if (strncmp(req->target, "/_sim/", 6) == 0)
		return control_serve(sim, c, req, method);
	return reverse_serve(sim, c, req, method);
}

enum MHD_Result handler_access(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct sim *sim = cls;
	struct request *req = *con_cls;

	(void)url;
	(void)version;
	if (req == NULL)
		return MHD_NO;
	if (!req->started) {
		req->started = 1;
		req->body_seen = (size_t)announced_too_large(c);
		if (req->body_seen > 0)
			return dispatch(sim, c, req, method);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!req->answered)
			keep_body(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->answered)
		return MHD_YES;
	return dispatch(sim, c, req, method);
}
