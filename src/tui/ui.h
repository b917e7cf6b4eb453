/* ui: what the screens of the terminal UI share (internal to src/tui/).
 *
 * Owns: tui.c owns one `struct tui` (the loaded profiles, the history, the
 * reversal engine, the layout) and runs the loop; frame.c draws the frame
 * around the screens and offers the services below. Each screen (profiles
 * pane, order form, history pane, detail view, confirmation, result,
 * question, help) is a `struct tui_screen`: a table of operations over a
 * private state block that the framework allocates (private_size bytes,
 * zeroed) at start-up, hands to every operation and frees at exit after the
 * screen's `done`. No screen keeps file-level state. Key handlers return
 * flags that tell the loop what to repaint. */
#ifndef WXREV_TUI_UI_H
#define WXREV_TUI_UI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include <curses.h>

#include "history.h"
#include "i18n.h"
#include "profile.h"
#include "reversal.h"
#include "tui/keys.h"
#include "util.h"

#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24
#define TUI_MAX_FLIGHTS 16 /* the form's reversals in flight at once */
#define TUI_BOTTOM_ROWS 3 /* message line, key hint, status bar */
#define TUI_ARM_MS 300 /* a question's `y` counts after this long */

/* What a key handler asks the loop to do next. */
enum {
	TUI_NONE = 0,   /* nothing changed on screen */
	TUI_REDRAW = 1, /* repaint the screen */
};

/* Colour pairs (unused when NO_COLOR is set). */
enum tui_color {
	TUI_C_NORMAL = 0,
	TUI_C_GOOD = 1,  /* reversed */
	TUI_C_BAD = 2,   /* rejected */
	TUI_C_WARN = 3,  /* failed, unknown, unofficial endpoint */
	TUI_C_FOCUS = 4, /* focused pane border and title */
	TUI_C_DIM = 5,   /* pending, hints */
	TUI_C_STATUS = 6 /* status bar */
};

enum tui_pane { TUI_PANE_PROFILES = 0, TUI_PANE_FORM, TUI_PANE_HISTORY,
		TUI_NPANES };

struct tui_rect {
	int y, x; /* top-left corner on the screen */
	int h, w; /* rows and columns, borders included */
};

/* One key press as read from ncurses. */
struct tui_key {
	wint_t ch;         /* character or KEY_* code */
	bool fkey;         /* ch is a KEY_* code (wget_wch KEY_CODE_YES) */
	int mouse_y;       /* for KEY_MOUSE: screen row of a click, else -1 */
	int mouse_x;       /* screen column of a click */
	const char *paste; /* bracketed paste text (UTF-8) for TUI_KEY_PASTE */
};

struct tui;

/* Every screen the framework knows; the index of its state block. */
enum tui_screen_id {
	TUI_SCR_PROFILES = 0,
	TUI_SCR_FORM,
	TUI_SCR_HISTORY,
	TUI_SCR_DETAIL,
	TUI_SCR_CONFIRM,
	TUI_SCR_RESULT,
	TUI_SCR_ASK,
	TUI_SCR_HELP,
	TUI_SCR_LIST,
	TUI_NSCREENS
};

/* A screen or pane: a small table of operations over its own state.
 * `state` is the block of private_size bytes the framework owns. */
struct tui_screen {
	const char *name;
	enum tui_screen_id id;  /* which state block is its own */
	unsigned ctx;           /* key contexts (keys.h) its keys live in */
	size_t private_size;    /* bytes of state; allocated zeroed */
	/* Releases what the state points to (NULL: nothing); the framework
	 * frees the block itself. */
	void (*done)(void *state);
	void (*draw)(struct tui *t, void *state, const struct tui_rect *r,
		     bool focused);
	int (*key)(struct tui *t, void *state, enum tui_action a,
		   const struct tui_key *k);
	void (*resize)(struct tui *t, void *state, const struct tui_rect *r);
	/* Whether printable keys are text now (NULL: never). */
	enum tui_typing (*typing)(const void *state);
	/* Key contexts that apply now on top of ctx (NULL: none). */
	unsigned (*ctx_now)(const void *state);
};

struct tui {
	struct wx_profiles *profiles;     /* owned */
	struct history *hist;             /* owned */
	struct reversal_engine *engine;   /* owned */
	const struct wx_sub *sub;         /* chosen sub-merchant, or NULL */
	char state_file[4200];            /* remembers the chosen sub ("":
					     nowhere to keep it) */
	int rows, cols;                   /* terminal size */
	bool too_small;                   /* below 80x24: only a message */
	bool color;                       /* false under NO_COLOR */
	enum tui_pane focus;              /* focused pane */
	struct tui_rect pane[TUI_NPANES]; /* layout */
	void *state[TUI_NSCREENS];        /* owned: each screen's state */
	const struct tui_screen *modal[4]; /* open modals, topmost last */
	int nmodal;
	int cur_y, cur_x;                 /* text cursor set while drawing */
	bool cur_show;                    /* a focused field wants a cursor */
	bool dirty;                       /* repaint before the next wait */
	bool history_changed;             /* reload the history pane */
	bool settle_started;              /* tui_settle_open ran */
	int64_t wake_ms;                  /* repaint at this monotonic time
					     (0: no appointment) */
	int64_t refused_ms;               /* when tui_refuse spoke (0: not) */
	int64_t last_key_ms;              /* when the last key arrived */
	int64_t data_version;             /* the history's, last time asked */
	int64_t watched_ms;               /* when it was last asked */
	char msg[512];                    /* message line text */
	int msg_color;                    /* enum tui_color of msg */
	bool quit;                        /* leave the loop */
	bool quit_asked;                  /* the quit question is open */
	unsigned spin;                    /* spinner frame */
	int64_t click_ms;                 /* the last button press (0: none
					     that a second could double) */
	int click_y, click_x;             /* where it was */
	char op[128];                     /* operator name */
};

/* Screens (one per file). */
extern const struct tui_screen tui_profiles_screen;
extern const struct tui_screen tui_form_screen;
extern const struct tui_screen tui_history_screen;
extern const struct tui_screen tui_detail_screen;
extern const struct tui_screen tui_confirm_screen;
extern const struct tui_screen tui_result_screen;
extern const struct tui_screen tui_ask_screen;
extern const struct tui_screen tui_help_screen;
extern const struct tui_screen tui_list_screen;

/* Frame services (frame.c): screens, layout, message line, modals, boxes,
 * colours, clipboard copy. */
/* Allocates every screen's state; tui_screens_close runs each `done` and
 * frees them. */
void tui_screens_open(struct tui *t);
void tui_screens_close(struct tui *t);
/* The state block of screen `id`. */
void *tui_state(const struct tui *t, enum tui_screen_id id);
/* Recomputes the layout from the terminal size and resizes every screen. */
void tui_layout(struct tui *t);
/* Repaints the whole screen (ncurses sends only what changed). */
void tui_draw(struct tui *t);
/* The screen that gets the keys: the topmost modal, else the focused pane. */
const struct tui_screen *tui_current(const struct tui *t);
/* The key contexts the current screen has now (with the main screen's
 * when no modal is open): what the dispatcher and the hint line read. */
unsigned tui_current_ctx(const struct tui *t);
/* The pane at screen position y,x, or -1. */
int tui_pane_at(const struct tui *t, int y, int x);
/* The screen of pane p. */
const struct tui_screen *tui_pane_screen(enum tui_pane p);
void tui_message(struct tui *t, int color, const char *fmt, ...)
	WX_PRINTF(3, 4);
/* Shows text on the message line at once, from within a call that holds
 * up the loop (t->msg is left alone: the next frame puts it back). */
void tui_flash_message(struct tui *t, int color, const char *text);
/* A warning that refuses what was asked ("already in flight"): a y, n or
 * space pressed right after, in answer to it, is dropped, not typed. */
void tui_refuse(struct tui *t, const char *fmt, ...) WX_PRINTF(2, 3);
void tui_open_modal(struct tui *t, const struct tui_screen *s);
void tui_close_modal(struct tui *t);
void tui_focus(struct tui *t, enum tui_pane p);
/* Colour pairs, or bold/reverse under NO_COLOR (sets t->color). */
void tui_colors_init(struct tui *t);
attr_t tui_attr(const struct tui *t, enum tui_color c);
attr_t tui_outcome_attr(const struct tui *t, enum wx_outcome o);
enum tui_color tui_outcome_color(enum wx_outcome o);
/* Draws a box with a title; focused boxes are bold and coloured. */
void tui_box(struct tui *t, const struct tui_rect *r, const char *title,
	     bool focused);
/* Centred rectangle for a modal of at most w x h. */
struct tui_rect tui_center(const struct tui *t, int h, int w);
/* The spinner's current frame. */
char tui_spinner(const struct tui *t);
/* Writes an OSC 52 clipboard sequence straight to the terminal. */
void tui_copy(struct tui *t, const char *text, const char *what);
/* Asks the loop to repaint at monotonic time `ms` (the earliest wins). */
void tui_wake_at(struct tui *t, int64_t ms);
/* For a question that can send: discards every key already typed and
 * sets *armed_ms to when its `y` starts to count (TUI_ARM_MS from now). */
void tui_arm(struct tui *t, int64_t *armed_ms);
/* Whether that time has come. */
bool tui_armed(int64_t armed_ms);

/* Loop services (tui.c). */
/* Quits, or asks first while a reversal is in flight. */
void tui_request_quit(struct tui *t);

/* Sending (send.c). */
/* Sends after the confirmation's `y`; messages on refusal. The engine
 * keeps it in flight, marked with t as its sender (the form's list); the
 * amount (NULL: none) comes back in the result for the result panel. */
int tui_submit(struct tui *t, const struct wx_sub *sub, const char *order,
	       const char *note, const char *state_before,
	       const char *amount);
/* F5: reads the order from WeChat Pay in the background; the answer comes
 * to the message line in words. */
int tui_query_now(struct tui *t, const struct wx_sub *sub, const char *order);
/* The confirmation takes a query's answer when it is for the order on it
 * (true); any other answer is the caller's. */
bool tui_confirm_query_done(struct tui *t, const struct reversal_result *r);
/* True, with the refusal on the message line, when this window already
 * has the order in flight. */
bool tui_refuse_in_flight(struct tui *t, const struct wx_sub *sub,
			  const char *order);
/* 1 when another process (or window) on this history holds the order's
 * claim, with `why` naming who, where and since when; 0 when free; -1
 * when the history cannot say (why has the error). */
int tui_claim_elsewhere(struct tui *t, const struct wx_sub *sub,
			const char *order, char *why, size_t n);
/* Hands finished reversals to the result panel and the history pane. */
void tui_collect_results(struct tui *t);
/* SIGTERM/SIGHUP: lets calls in flight finish for at most `ms`. */
void tui_drain_flights(struct tui *t, int ms);
/* At exit, after the engine has recorded what it abandoned: retries the
 * results the history refused, then journals them; says so in diags.
 * False when some result is not in the history (journaled or lost). */
bool tui_save_results(struct tui *t, struct wx_diags *diags);

/* Screen entry points that other screens call. */
/* Fills the pane and selects the sub-merchant the state file remembers. */
void tui_profiles_init(struct tui *t);
/* Makes sub the one the form uses and remembers it in the state file. */
void tui_choose_sub(struct tui *t, const struct wx_sub *sub);
/* Puts sub first among the session's most recently chosen or used. */
void tui_sub_used(struct tui *t, const struct wx_sub *sub);
/* The other sub-merchants of sub's partner: the session's most recently
 * chosen or used first, then the rest in profile order. A malloc'd array
 * of *n borrowed pointers; the caller frees the array. */
const struct wx_sub **tui_subs_recent_first(const struct tui *t,
					    const struct wx_sub *sub,
					    size_t *n);
void tui_form_set_order(struct tui *t, const char *order, const char *note);
/* Neither field holds anything: the operator is not typing an order. */
bool tui_form_empty(const struct tui *t);
/* After a send of order at sub: empties the fields if they held it. */
void tui_form_sent(struct tui *t, const struct wx_sub *sub, const char *order);
/* Focuses the order field and types k (a character or a paste) into it:
 * for order characters typed where they are not text. */
void tui_form_take(struct tui *t, const struct tui_key *k);
void tui_form_refresh(struct tui *t);
void tui_history_reload(struct tui *t);
/* A filter scan is still under way (the pane is not full yet). */
bool tui_history_searching(const struct tui *t);
/* Runs one more bounded step of that scan. */
void tui_history_continue(struct tui *t);
void tui_detail_open(struct tui *t, int64_t id);
/* Opens the confirmation for order + sub (order already checked). */
void tui_confirm_open(struct tui *t, const struct wx_sub *sub,
		      const char *order, const char *note);
/* Drives the confirmation's lookup under other sub-merchants (the loop
 * calls it each turn). */
void tui_confirm_tick(struct tui *t);
/* Re-runs a stored reversal through the confirmation. */
/* The loaded sub-merchant a stored reversal was made for, or NULL. */
const struct wx_sub *tui_sub_of(const struct tui *t,
				const struct history_reversal *r);
/* At start: settles the newest `unknown` reversals by order queries in
 * the background (only for partners with the query API). */
void tui_settle_open(struct tui *t);
/* F5 in the history or detail view: queries that row's order. */
void tui_query_row(struct tui *t, const struct history_reversal *r);
void tui_confirm_rerun(struct tui *t, const struct history_reversal *r);
/* Queues a finished reversal for the result panel; takes ownership. */
void tui_result_push(struct tui *t, struct reversal_result *r);
/* What a reversal did to the money, from the query before it (and the
 * amount it read, NULL or "" when none): "refunded ¥128.00 to the payer",
 * "closed (it was not paid)"; "" when that is not known or the outcome is
 * not reversed. */
void tui_money_words(enum wx_outcome outcome, const char *state_before,
		     const char *amount, char *buf, size_t n);
/* Opens the result panel for the next queued result; says so if none. */
void tui_result_show_next(struct tui *t);
/* Opens it only when the operator is not busy: no dialog open, the order
 * form focused and empty, no key for a moment. The loop calls it. */
void tui_result_offer(struct tui *t);
/* The list view (listview.c). */
/* A paste of several orders (line breaks or commas) into the order field:
 * checks it and opens the list's plan; false when it is one order. */
bool tui_list_paste(struct tui *t, const char *text);
/* Ctrl-O: shows the list there is, else asks for a file to open. */
void tui_list_open(struct tui *t);
/* The loop's turn: reads the plan, sends what the pace allows; returns
 * how long the loop may wait (ms), -1 when the list needs no turn. */
int tui_list_tick(struct tui *t);
/* A result of the list's (a plan query or a reversal): taken, true. */
bool tui_list_result(struct tui *t, const struct reversal_result *r);
/* Ctrl-C or F9 while a list is sent: nothing new is sent; true when it
 * was sending. */
bool tui_list_stop(struct tui *t);
/* Reversals of the list in flight now. */
int tui_list_in_flight(const struct tui *t);
/* The progress line of a list being sent, for the form; false if none. */
bool tui_list_status(const struct tui *t, char *buf, size_t n);
/* Yes/no question; on_yes runs when the operator presses y. */
void tui_ask_open(struct tui *t, const char *title, const char *text,
		  void (*on_yes)(struct tui *t));

#endif
