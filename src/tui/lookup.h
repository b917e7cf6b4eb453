/* lookup: when the confirmation's order query says "No such order for
 * this sub-merchant", the number is looked up under the partner's other
 * sub-merchants (the desk's commonest mistake is the wrong one), most
 * recently chosen or used first, by the order query alone: nothing is
 * ever reversed by it, and the history keeps each query like any other.
 * Paced (src/pace.h): at most LOOKUP_PER_SECOND queries in any second, one
 * at a time, and LOOKUP_ROUND in all until the operator asks for more. A 429 stops it; going on waits LOOKUP_SLOW_MS
 * and the engine's hold (reversal_engine_hold_until).
 *
 * Owns: its candidate list and its state; borrows the profiles. The
 * confirmation (confirm.c) owns the lookup, drives it from the loop
 * (tui_lookup_tick), hands it the query answers (tui_lookup_take) and
 * draws its words. */
#ifndef WXREV_TUI_LOOKUP_H
#define WXREV_TUI_LOOKUP_H

#include <stdbool.h>

#include "reversal.h"

#define LOOKUP_PER_SECOND 5    /* queries in any second, at most */
#define LOOKUP_ROUND	  20   /* queries per round; the key again: more */
#define LOOKUP_SLOW_MS	  1000 /* after a 429, nothing sooner than this */

struct tui;
struct tui_lookup;

/* A lookup of order under the other sub-merchants of from's partner,
 * started at once (the first round). NULL when there is no other. */
struct tui_lookup *tui_lookup_new(struct tui *t, const struct wx_sub *from,
				  const char *order);
/* Drops its query in flight when e is not NULL (the history keeps it as
 * not waited for), then frees it. */
void tui_lookup_free(struct reversal_engine *e, struct tui_lookup *L);
/* The key again: LOOKUP_ROUND more from here, past a hit if there was one. */
void tui_lookup_more(struct tui *t, struct tui_lookup *L);
/* Stops asking (the query in flight is dropped); false when it was not
 * asking. */
bool tui_lookup_stop(struct tui *t, struct tui_lookup *L);
/* Starts the next query when the pace allows, else asks the loop to wake
 * when it will. */
void tui_lookup_tick(struct tui *t, struct tui_lookup *L);
/* Takes a query's answer when it is the lookup's (true). */
bool tui_lookup_take(struct tui *t, struct tui_lookup *L,
		     const struct reversal_result *r);
/* The sub-merchant the order was found under, or NULL. */
const struct wx_sub *tui_lookup_hit(const struct tui_lookup *L);
/* Where it stands, in words (translated, malloc'd). */
char *tui_lookup_words(const struct tui_lookup *L);

#endif
