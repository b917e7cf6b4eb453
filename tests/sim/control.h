/* control: the unauthenticated test endpoint under /_sim/ (loopback only,
 * never logged):
 *   POST /_sim/faults              {"out_trade_no", "fault", ["sub_mchid"],
 *                                   ["state"]} arms (or, with null, clears)
 *   POST /_sim/orders              an order object adds or replaces it
 *   GET  /_sim/orders              every order
 *   GET  /_sim/orders/{no}[?sub_mchid=...]  one order
 * Orders are shown as {out_trade_no, sub_mchid, state, age_s, fault}. */
#ifndef WXPAY_SIM_CONTROL_H
#define WXPAY_SIM_CONTROL_H

#include <microhttpd.h>

#include "request.h"
#include "sim.h"

enum MHD_Result control_serve(struct sim *sim, struct MHD_Connection *c,
			      struct request *req, const char *method);

#endif
