/* libFuzzer harness: error bodies ({code, message, detail}) of 4xx and 5xx
 * answers, through apiv3_classify with a verified signature.
 *
 * Input: one byte picking the status (400-599), then the body.
 * Properties checked beyond "no crash": a 4xx/5xx is never `reversed` or
 * `pending`; the result always has a code or a message for the operator;
 * a code sent by the server is never taken for one of wxrev's own local
 * codes (those describe what wxrev found, e.g. an unverified answer, and
 * must not be forgeable); every string in it is terminated. */
#include <stdlib.h>
#include <string.h>

#include "apiv3.h"
#include "fuzzlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = {400, 401, 403, 404, 405, 409, 429, 500, 502,
				503, 504, 418, 499, 599};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apiv3_result res;
	const struct apiv3_code_info *info;
	char *body;
	long status;

	if (size < 1)
		return 0;
	status = data[0] < WX_ARRAY_LEN(statuses) ? statuses[data[0]]
						   : 400 + data[0] % 200;
	body = wx_xmalloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';

	memset(&res, 0, sizeof(res));
	if (apiv3_classify(status, body, size - 1, APIV3_VERIFIED, FUZZ_ORDER,
			   FUZZ_SP_MCHID, FUZZ_SUB_MCHID, &res) == 0) {
		if (res.outcome == WX_REVERSED || res.outcome == WX_PENDING ||
		    (int)res.outcome > WX_UNKNOWN)
			abort();
		if (!res.code && !res.message)
			abort();
		if (res.code) {
			info = apiv3_code_lookup(res.code);
			/* A local code echoed by the server is not ours. */
			if (info && info->outcome == WX_UNKNOWN &&
			    res.outcome == WX_UNKNOWN)
				abort();
		}
		if (res.explain)
			(void)strlen(res.explain);
		if (res.next)
			(void)strlen(res.next);
		if (res.message)
			(void)strlen(res.message);
		if (res.detail)
			(void)strlen(res.detail);
	}
	apiv3_result_free(&res);
	free(body);
	return 0;
}
