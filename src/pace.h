/* pace: how fast a run of requests that the operator did not type one by
 * one may go: at most `per_window` starts in any `window_ms`, and at most
 * a budget in all until the operator asks for more.
 *
 * Owns: nothing; a value the caller keeps. Pure: the caller passes the
 * monotonic clock, so the rule is unit-tested (tests/unit/test_pace.c)
 * without waiting. The lookup of an order under the other sub-merchants
 * (src/tui/lookup.c) is paced by it. */
#ifndef WXREV_PACE_H
#define WXREV_PACE_H

#include <stdint.h>

#define PACE_MAX_PER_WINDOW 16 /* largest per_window pace_init accepts */

struct pace {
	int per_window;	   /* starts allowed in any window */
	int64_t window_ms; /* the window's length */
	int budget;	   /* starts allowed in all (pace_more adds) */
	int used;	   /* starts so far */
	int64_t recent[PACE_MAX_PER_WINDOW]; /* the last per_window start
						times, slot used % per_window
						the oldest */
};

/* per_window is clamped to 1..PACE_MAX_PER_WINDOW. */
void pace_init(struct pace *p, int per_window, int64_t window_ms, int budget);
/* When the next start may happen: `now` when it may happen now, a later
 * time when the window is full (the oldest start + window_ms), -1 when the
 * budget is spent. */
int64_t pace_next(const struct pace *p, int64_t now);
/* Records a start at `now`; the caller asked pace_next first. */
void pace_start(struct pace *p, int64_t now);
/* The operator asked for n more, counted from now (what the budget had
 * left is not added to them). */
void pace_more(struct pace *p, int n);
/* Starts left in the budget. */
int pace_left(const struct pace *p);

#endif
