/* reverse: the one WeChat Pay API the simulator serves,
 *   POST /v3/pay/partner/transactions/out-trade-no/{out_trade_no}/reverse
 * with WeChat Pay's checks in WeChat Pay's order, the order state machine,
 * armed faults, and one request-log line per request. Any other target
 * (outside /_sim/) answers 404 the same way. */
#ifndef WXPAY_SIM_REVERSE_H
#define WXPAY_SIM_REVERSE_H

#include <microhttpd.h>

#include "request.h"
#include "sim.h"

enum MHD_Result reverse_serve(struct sim *sim, struct MHD_Connection *c,
			      struct request *req, const char *method);

#endif
