/* ui: what the screens of the terminal UI share (internal to src/tui/).
 *
 * The loop (tui.c) owns one `struct tui`: the loaded profiles, the history,
 * the reversal engine and the layout. Each screen (profiles pane, order
 * form, history pane, detail view, confirmation, result, question, help)
 * keeps its own state in its file and exposes a `struct tui_screen`: draw,
 * key and resize operations the loop calls. Key handlers return flags that
 * tell the loop what to repaint. */
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
#include "profile.h"
#include "reversal.h"
#include "tui/keys.h"
#include "util.h"

#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24
#define TUI_MAX_FLIGHTS 16

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

/* A screen or pane: a small table of operations. */
struct tui_screen {
	const char *name;
	unsigned ctx; /* key contexts (keys.h) its keys are looked up in */
	void (*draw)(struct tui *t, const struct tui_rect *r, bool focused);
	int (*key)(struct tui *t, enum tui_action a, const struct tui_key *k);
	void (*resize)(struct tui *t, const struct tui_rect *r);
	bool (*typing)(const struct tui *t); /* printable keys are text now */
};

/* A reversal this process has in flight. */
struct tui_flight {
	int64_t id;              /* history id */
	char order[40];          /* out_trade_no */
	char sub_mchid[40];
	int64_t started_ms;      /* monotonic */
};

struct tui {
	struct wx_profiles *profiles;     /* owned */
	struct history *hist;             /* owned */
	struct reversal_engine *engine;   /* owned */
	const struct wx_sub *sub;         /* chosen sub-merchant, or NULL */
	char state_file[4200];            /* remembers the chosen sub */
	int rows, cols;                   /* terminal size */
	bool too_small;                   /* below 80x24: only a message */
	bool color;                       /* false under NO_COLOR */
	enum tui_pane focus;              /* focused pane */
	struct tui_rect pane[TUI_NPANES]; /* layout */
	const struct tui_screen *modal[4]; /* open modals, topmost last */
	int nmodal;
	int cur_y, cur_x;                 /* text cursor set while drawing */
	bool cur_show;                    /* a focused field wants a cursor */
	bool dirty;                       /* repaint before the next wait */
	char msg[512];                    /* message line text */
	int msg_color;                    /* enum tui_color of msg */
	struct tui_flight flights[TUI_MAX_FLIGHTS]; /* in flight */
	int nflights;
	bool quit;                        /* leave the loop */
	bool quit_asked;                  /* the quit question is open */
	unsigned spin;                    /* spinner frame */
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

/* Loop services (tui.c). */
void tui_message(struct tui *t, int color, const char *fmt, ...)
	WX_PRINTF(3, 4);
void tui_open_modal(struct tui *t, const struct tui_screen *s);
void tui_close_modal(struct tui *t);
void tui_focus(struct tui *t, enum tui_pane p);
void tui_choose_sub(struct tui *t, const struct wx_sub *sub);
attr_t tui_attr(const struct tui *t, enum tui_color c);
attr_t tui_outcome_attr(const struct tui *t, enum wx_outcome o);
enum tui_color tui_outcome_color(enum wx_outcome o);
/* Sends after the confirmation's `y`; messages on refusal. */
int tui_submit(struct tui *t, const struct wx_sub *sub, const char *order,
	       const char *note);
bool tui_flight_busy(const struct tui *t, const char *sub_mchid,
		     const char *order);
/* Host of the partner's endpoint and whether it is WeChat Pay's own. */
void tui_endpoint(const struct wx_partner *p, char *host, size_t n,
		  bool *official, bool *plain_http);
/* Writes an OSC 52 clipboard sequence straight to the terminal. */
void tui_copy(struct tui *t, const char *text, const char *what);
/* Draws a box with a title; focused boxes are bold and coloured. */
void tui_box(struct tui *t, const struct tui_rect *r, const char *title,
	     bool focused);
/* Centred rectangle for a modal of at most w x h. */
struct tui_rect tui_center(const struct tui *t, int h, int w);

/* Screen entry points that other screens call. */
void tui_profiles_init(struct tui *t, const char *sp_mchid,
		       const char *sub_mchid);
void tui_form_set_order(struct tui *t, const char *order, const char *note);
void tui_form_refresh(struct tui *t);
void tui_history_reload(struct tui *t);
/* A filter scan is still under way (the pane is not full yet). */
bool tui_history_searching(void);
/* Runs one more bounded step of that scan. */
void tui_history_continue(struct tui *t);
void tui_history_free(void);
/* Re-runs a stored reversal through the confirmation. */
void tui_history_rerun(struct tui *t, const struct history_reversal *r);
/* One line: time, outcome, sub_mchid, order, code and message. */
void tui_history_summary(const struct history_reversal *r, char *buf,
			 size_t n);
void tui_profiles_free(void);
void tui_detail_open(struct tui *t, int64_t id);
void tui_detail_free(void);
/* Opens the confirmation for order + sub (order already checked). */
void tui_confirm_open(struct tui *t, const struct wx_sub *sub,
		      const char *order, const char *note);
/* Queues a finished reversal for the result panel; takes ownership. */
void tui_result_push(struct tui *t, struct reversal_result *r);
bool tui_result_pending(void);
void tui_result_show_next(struct tui *t);
void tui_result_free(void);
/* Yes/no question; on_yes runs when the operator presses y. */
void tui_ask_open(struct tui *t, const char *title, const char *text,
		  void (*on_yes)(struct tui *t));

#endif
