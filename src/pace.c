/* pace: a sliding window of the last starts and a budget (see pace.h). */
#include "pace.h"

#include <string.h>

void pace_init(struct pace *p, int per_window, int64_t window_ms, int budget)
{
	memset(p, 0, sizeof(*p));
	if (per_window < 1)
		per_window = 1;
	if (per_window > PACE_MAX_PER_WINDOW)
		per_window = PACE_MAX_PER_WINDOW;
	p->per_window = per_window;
	p->window_ms = window_ms;
	p->budget = budget;
}

int64_t pace_next(const struct pace *p, int64_t now)
{
	int64_t free_at;

	if (p->used >= p->budget)
		return -1;
	if (p->used < p->per_window)
		return now;
	/* The start per_window back must have left the window. */
	free_at = p->recent[p->used % p->per_window] + p->window_ms;
	return free_at > now ? free_at : now;
}

void pace_start(struct pace *p, int64_t now)
{
	p->recent[p->used % p->per_window] = now;
	p->used++;
}

void pace_more(struct pace *p, int n)
{
	p->budget = p->used + n;
}

int pace_left(const struct pace *p)
{
	return p->budget > p->used ? p->budget - p->used : 0;
}
