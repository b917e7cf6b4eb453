/* outcome: the names of the five outcomes, as stored and shown. */
#include "outcome.h"

#include <string.h>

#include "util.h"

/* Stored and printed for machines as is; N_() so that a person reads them
 * translated (wx_outcome_label). */
static const char *const names[] = {
	/* TRANSLATORS: outcome names as a person reads them (已撤销 ...);
	 * the history and --json keep the English. */
	[WX_PENDING] = N_("pending"),	[WX_REVERSED] = N_("reversed"),
	[WX_REJECTED] = N_("rejected"), [WX_FAILED] = N_("failed"),
	[WX_UNKNOWN] = N_("unknown"),
};

static const char *const advice[] = {
	[WX_PENDING] = N_("Wait: the request is being sent."),
	[WX_REVERSED] = N_("Nothing to do: the order is reversed."),
	[WX_REJECTED] = N_("Read the code, fix the input or escalate."),
	[WX_FAILED] = N_("WeChat Pay did not process it: retry later."),
	[WX_UNKNOWN] = N_("Re-run the reversal (same parameters are safe) or "
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
		o = WX_UNKNOWN;
	return _(advice[o]);
}

const char *wx_outcome_label(enum wx_outcome o)
{
	return _(wx_outcome_name(o));
}
