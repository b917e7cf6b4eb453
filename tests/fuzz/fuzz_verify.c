/* libFuzzer harness: response verification and outcome classification with
 * arbitrary status, Wechatpay-* headers and body.
 *
 * Input: a flags byte, two status bytes, then "TIMESTAMP\nNONCE\nSERIAL\n
 * SIGNATURE\n" and the body. Flags let the fuzzer ask for a genuine
 * signature and a current timestamp, so classification of verified answers
 * is explored too, and for each header to be absent.
 *
 * Properties checked beyond "no crash": a signature the harness did not make
 * never verifies; a 2xx that is not verified is never `reversed`; nothing is
 * classified `pending`; every refusal says why. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiv3.h"
#include "fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	F_SIGN = 1 << 0,     /* replace the signature with a genuine one */
	F_NOW = 1 << 1,      /* replace the timestamp with the current time */
	F_NO_TS = 1 << 2,    /* omit Wechatpay-Timestamp */
	F_NO_NONCE = 1 << 3, /* omit Wechatpay-Nonce */
	F_NO_SERIAL = 1 << 4,
	F_NO_SIG = 1 << 5,
	F_CERT = 1 << 6,     /* serial: the certificate serial, else the id */
	F_RAW_SERIAL = 1 << 7, /* serial: as given in the input */
};

static void check_result(long status, enum apiv3_verdict v,
			 const struct apiv3_result *res)
{
	if (res->outcome == WX_PENDING || (int)res->outcome > WX_UNKNOWN)
		abort();
	if (status >= 200 && status < 300 && v != APIV3_VERIFIED &&
	    res->outcome != WX_UNKNOWN)
		abort(); /* an unverified 2xx must never count as anything */
	if (res->outcome == WX_REVERSED && (v != APIV3_VERIFIED ||
					    (status != 200 && status != 204)))
		abort();
	if (res->outcome != WX_REVERSED && !res->code && !res->message)
		abort(); /* a non-success says what happened */
	/* Touch every string so ASan sees an unterminated one. */
	if (res->code)
		(void)strlen(res->code);
	if (res->message)
		(void)strlen(res->message);
	if (res->explain)
		(void)strlen(res->explain);
	if (res->next)
		(void)strlen(res->next);
	if (res->detail)
		(void)strlen(res->detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[4], *body, *sig = NULL, now_s[24];
	struct apiv3_resp_headers h;
	struct apiv3_result res;
	const struct wx_platform_key *keys;
	struct wx_err err;
	enum apiv3_verdict v;
	size_t nkeys, body_len;
	int64_t now = wx_now_ms() / 1000;
	unsigned flags;
	long status;

	if (size < 3)
		return 0;
	flags = data[0];
	status = (long)((data[1] << 8 | data[2]) % 1000);
	fuzz_split(data + 3, size - 3, f, 4, &body, &body_len);
	keys = fuzz_platform_keys(&nkeys);
	snprintf(now_s, sizeof(now_s), "%" PRId64, now);

	h.timestamp = flags & F_NOW ? now_s : f[0];
	h.nonce = f[1];
	h.serial = flags & F_RAW_SERIAL ? f[2]
		   : flags & F_CERT     ? FUZZ_CERT_SERIAL
					: FUZZ_PUB_KEY_ID;
	h.signature = f[3];
	if (flags & F_SIGN) {
		sig = fuzz_sign_answer(h.timestamp, h.nonce, body, body_len);
		h.signature = sig;
	}
	if (flags & F_NO_TS)
		h.timestamp = NULL;
	if (flags & F_NO_NONCE)
		h.nonce = NULL;
	if (flags & F_NO_SERIAL)
		h.serial = NULL;
	if (flags & F_NO_SIG)
		h.signature = NULL;

	err.msg[0] = '\0';
	v = apiv3_verify(&h, body, body_len, keys, nkeys, now, &err);
	if (v == APIV3_VERIFIED && !(flags & F_SIGN))
		abort(); /* accepted a signature nobody made */
	if (v != APIV3_VERIFIED && err.msg[0] == '\0')
		abort();
	if (!apiv3_verdict_name(v))
		abort();

	memset(&res, 0, sizeof(res));
	if (apiv3_classify(status, body, body_len, v, FUZZ_ORDER,
			   FUZZ_SP_MCHID, FUZZ_SUB_MCHID, &res) == 0)
		check_result(status, v, &res);
	apiv3_result_free(&res);
	free(sig);
	fuzz_fields_free(f, 4, body);
	return 0;
}
