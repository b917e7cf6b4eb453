#include "outcome.h"

#include <string.h>

#include "util.h"

static const char *const names[] = {
	[WX_PENDING] = "pending",   [WX_REVERSED] = "reversed",
	[WX_REJECTED] = "rejected", [WX_FAILED] = "failed",
	[WX_UNKNOWN] = "unknown",
};

static const char *const advice[] = {
	[WX_PENDING] = "Wait: the request is being sent.",
	[WX_REVERSED] = "Nothing to do: the order is reversed.",
	[WX_REJECTED] = "Read the code, fix the input or escalate.",
	[WX_FAILED] = "WeChat Pay did not process it: retry later.",
	/* Parenthesised: clang's -Wstring-concatenation otherwise suspects a
	 * missing comma, which breaks the -Werror clang builds. */
	[WX_UNKNOWN] = ("Re-run the reversal (same parameters are safe) or "
			"query the order."),
};

const char *wx_outcome_name(enum wx_outcome o)
{
	if ((unsigned)o >= WX_ARRAY_LEN(names))
		return "unknown";
	return names[o];
}

int wx_outcome_parse(const char *name, enum wx_outcome *out)
{
	for (size_t i = 0; i < WX_ARRAY_LEN(names); i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (enum wx_outcome)i;
			return 0;
		}
	}
	return -1;
}

const char *wx_outcome_advice(enum wx_outcome o)
{
	if ((unsigned)o >= WX_ARRAY_LEN(advice))
		return advice[WX_UNKNOWN];
	return _(advice[o]);
}
