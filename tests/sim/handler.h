/* handler: libmicrohttpd callbacks that read each request and dispatch it
 * to the reverse API (reverse.c) or the control endpoint (control.c).
 *
 * Per-request state is created in handler_uri_log, which sees the request
 * target exactly as received (signatures cover the raw target), and freed
 * in handler_completed. */
#ifndef WXPAY_SIM_HANDLER_H
#define WXPAY_SIM_HANDLER_H

#include <microhttpd.h>

void *handler_uri_log(void *cls, const char *uri, struct MHD_Connection *c);
enum MHD_Result handler_access(void *cls, struct MHD_Connection *c,
			       const char *url, const char *method,
			       const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls);
/* Counts the requests each connection carried (request.conn_seq). */
void handler_connection(void *cls, struct MHD_Connection *c,
			void **socket_context,
			enum MHD_ConnectionNotificationCode toe);
void handler_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		       enum MHD_RequestTerminationCode toe);

#endif
