/* query: WeChat Pay's partner order query (服务商 查询订单),
 *   GET /v3/pay/partner/transactions/out-trade-no/{no}?sp_mchid=..&sub_mchid=..
 * checked like the reverse call, answered from the order table with the
 * order's trade state, amounts, times and transaction id; its own faults
 * (an order's query_fault). */
#ifndef WXPAY_SIM_QUERY_H
#define WXPAY_SIM_QUERY_H

#include <microhttpd.h>

#include "request.h"
#include "sim.h"

/* 1 when the target is the query route (path without "/reverse", a query
 * string or none). */
int query_route_matches(const char *target);

enum MHD_Result query_serve(struct sim *sim, struct MHD_Connection *c,
			    struct request *req, const char *method);

#endif
