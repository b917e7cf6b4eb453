/* outcome: the five states a reversal can be in.
 * Shared by apiv3 (classification), history (storage) and the front ends. */
#ifndef WXREV_OUTCOME_H
#define WXREV_OUTCOME_H

enum wx_outcome {
	WX_PENDING = 0,  /* recorded, durably, before the first byte is sent */
	WX_REVERSED = 1, /* 200/204, signature verified, body matches */
	WX_REJECTED = 2, /* 4xx business or parameter error: fix, escalate */
	WX_FAILED = 3,   /* 5xx/429/USERPAYING/SYSTEM_ERROR after retries */
	WX_UNKNOWN = 4,  /* no complete or trustworthy answer */
};

/* "pending", "reversed", ... as stored in the history and printed by --json. */
const char *wx_outcome_name(enum wx_outcome o);
/* The name as a person reads it, in the UI language (已撤销 in Chinese). */
const char *wx_outcome_label(enum wx_outcome o);
/* Parses a name; returns -1 when it is not one of the five. */
int wx_outcome_parse(const char *name, enum wx_outcome *out);
/* One line telling the operator what to do next for this outcome. */
const char *wx_outcome_advice(enum wx_outcome o);

#endif
