/* api: what the reverse call and the order query share: the parsed call,
 * WeChat Pay's header, Authorization and signature checks (steps 1-7 of the
 * README's table), armed faults and the request log. Defined in reverse.c. */
#ifndef WXPAY_SIM_API_H
#define WXPAY_SIM_API_H

#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "answer.h"
#include "config.h"
#include "request.h"
#include "sim.h"

#define API_ROUTE_PREFIX "/v3/pay/partner/transactions/out-trade-no/"

enum auth_item { A_MCHID, A_NONCE, A_TIMESTAMP, A_SERIAL, A_SIGNATURE, N_AUTH };

/* Everything one request to the API carries, parsed step by step. */
struct call {
	struct request *req; /* raw target and body */
	const char *method;  /* HTTP method */
	int routed;	     /* target is the reverse or query route */
	char *order_no;	     /* decoded out_trade_no, NULL if undecodable */
	char *auth[N_AUTH];  /* Authorization items */
	int64_t timestamp;   /* parsed auth timestamp */
	struct merchant *merchant; /* signing merchant */
	json_t *body;		   /* parsed body object (reverse) */
	const char *sp_mchid;	   /* body or query fields */
	const char *sub_mchid;
	const char *sp_appid;
	const char *sub_appid;
	char *query_sp;	 /* decoded sp_mchid query value (owned) */
	char *query_sub; /* decoded sub_mchid query value (owned) */
};

void api_call_free(struct call *k);
/* Takes one use of the order's reverse fault (query 0) or query fault
 * (query 1) when it belongs to this phase (early: drop, delay). */
struct fault api_take_fault(struct sim *sim, const char *order_no, int early,
			    int query);
/* Faults that answer instead of the API; 1 when f was one of them. */
int api_gate_fault(struct answer *a, const struct fault *f);
/* Steps 1-7; -1 with the answer set when one fails. */
int api_check_headers(struct MHD_Connection *c, struct answer *a);
int api_check_authorization(struct sim *sim, struct MHD_Connection *c,
			    struct call *k, struct answer *a);
int api_check_signature(struct call *k, struct answer *a);
/* The partner check both routes make after their parameters: sp_mchid is
 * the signer's, the signer may call this API (allowed: its can_reverse or
 * can_query) and the sub-merchant is bound to it; location names where
 * sp_mchid came from ("body", "query"). -1 with the answer set. */
int api_check_partner(const struct call *k, struct answer *a, int allowed,
		      const char *location);
/* 6-32 of [0-9A-Za-z_-|*], as WeChat Pay requires; anything else is a
 * PARAM_ERROR whose detail.issue is API_ORDER_NO_ISSUE. */
int api_valid_order_no(const char *s);
#define API_ORDER_NO_ISSUE "商户订单号须为6-32位数字、大小写字母或_-|*"
void api_log_request(struct sim *sim, struct MHD_Connection *c,
		     const struct call *k, const struct answer *a);
/* An early drop fault: the request is logged and the connection closed
 * without a word; frees k. */
enum MHD_Result api_drop(struct sim *sim, struct MHD_Connection *c,
			 struct call *k, enum fault_type type);
/* A 413 when the body went over the simulator's cap; 0 when it did not. */
int api_body_too_large(const struct call *k, struct answer *a);
/* Logs and queues the answer (a delay fault that slept first is named
 * when no other was), then frees a and k. */
enum MHD_Result api_send(struct sim *sim, struct MHD_Connection *c,
			 struct call *k, struct answer *a,
			 const struct fault *early);

#endif
