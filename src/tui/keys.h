/* keys: the one table that maps keys to named actions.
 *
 * The dispatcher looks keys up here and the help overlay (and the README's
 * key list, through tui_keys_markdown) prints the same table, so what the
 * help says is what the keys do. */
#ifndef WXREV_TUI_KEYS_H
#define WXREV_TUI_KEYS_H

#include <stdbool.h>
#include <stdio.h>
#include <wchar.h>

/* Keys ncurses does not know by itself (defined with define_key). */
#define TUI_KEY_PASTE_BEGIN (KEY_MAX + 1)
#define TUI_KEY_PASTE_END (KEY_MAX + 2)
#define TUI_KEY_PASTE (KEY_MAX + 3) /* a whole paste, delivered at once */
/* Mouse events the loop tells apart (a plain click stays KEY_MOUSE). */
#define TUI_KEY_WHEEL_UP (KEY_MAX + 4)
#define TUI_KEY_WHEEL_DOWN (KEY_MAX + 5)
#define TUI_KEY_DOUBLE_CLICK (KEY_MAX + 6)

/* Where a key applies; a screen looks keys up in a mask of these. */
enum tui_ctx {
	TUI_CTX_GLOBAL = 1u << 0,   /* main screen, any pane */
	TUI_CTX_LIST = 1u << 1,     /* any scrolling list or view */
	TUI_CTX_PROFILES = 1u << 2, /* profiles pane */
	TUI_CTX_FORM = 1u << 3,     /* order form */
	TUI_CTX_HISTORY = 1u << 4,  /* history pane */
	TUI_CTX_DETAIL = 1u << 5,   /* detail view */
	TUI_CTX_CONFIRM = 1u << 6,  /* confirmation and questions */
	TUI_CTX_CLOSE = 1u << 7,    /* help overlay and result panel */
	TUI_CTX_TEXT = 1u << 8,     /* a text field being edited */
	TUI_CTX_LISTVIEW = 1u << 9, /* a list of orders */
	TUI_CTX_FOUND = 1u << 10,   /* detail view with a search's matches
				       shown (a screen's ctx_now) */
	TUI_CTX_SENDING = 1u << 11, /* a list of orders being sent (the list
				       view's ctx_now) */
	/* Bits that only choose the hint line's words (no key lives there): */
	TUI_CTX_QUESTION = 1u << 12, /* a yes/no question: "y yes  n no" */
	TUI_CTX_NOTHING = 1u << 13,  /* a confirmation whose query reads
					nothing to reverse: F8, not y */
};

enum tui_action {
	TUI_ACT_NONE = 0,
	TUI_ACT_QUIT,
	TUI_ACT_HELP,
	TUI_ACT_NEXT_PANE,
	TUI_ACT_PREV_PANE,
	TUI_ACT_REDRAW,
	TUI_ACT_UP,
	TUI_ACT_DOWN,
	TUI_ACT_PAGE_UP,
	TUI_ACT_PAGE_DOWN,
	TUI_ACT_TOP,
	TUI_ACT_BOTTOM,
	TUI_ACT_FILTER,
	TUI_ACT_ENTER,
	TUI_ACT_CANCEL,
	TUI_ACT_YES,
	TUI_ACT_NO,
	TUI_ACT_RERUN,
	TUI_ACT_COPY,
	TUI_ACT_COPY_SUMMARY,
	TUI_ACT_NEXT_FIELD,
	TUI_ACT_PREV_FIELD,
	TUI_ACT_LEFT,
	TUI_ACT_RIGHT,
	TUI_ACT_HOME,
	TUI_ACT_END,
	TUI_ACT_BACKSPACE,
	TUI_ACT_DELETE,
	TUI_ACT_CLEAR,
	TUI_ACT_CLICK,
	TUI_ACT_WHEEL,        /* scroll what is under the pointer */
	TUI_ACT_DOUBLE_CLICK, /* open the line under the pointer */
	TUI_ACT_PASTE,
	TUI_ACT_RESIZE,
	TUI_ACT_RESULT,
	TUI_ACT_OVERRIDE, /* send although the query says nothing to reverse */
	TUI_ACT_QUERY,    /* read the selected order from WeChat Pay now */
	TUI_ACT_LOOKUP,   /* look a missing order up under the other
			     sub-merchants */
	TUI_ACT_SWITCH_SUB, /* go to the sub-merchant the lookup found */
	TUI_ACT_OPEN_LIST, /* open a list of orders from a file */
	TUI_ACT_STOP,     /* stop sending a list */
	TUI_ACT_RESEND_UNKNOWN, /* a list's plan: resend unknown ones */
	TUI_ACT_SEARCH,      /* search the text of a view */
	TUI_ACT_SEARCH_NEXT, /* the next match */
	TUI_ACT_SEARCH_PREV, /* the previous match */
};

struct tui_keydef {
	unsigned ctx;           /* enum tui_ctx bits where it applies */
	wint_t key;             /* character or KEY_* code */
	bool fkey;              /* key is a KEY_* code */
	const char *label;      /* how the help names the key */
	enum tui_action action; /* what it does */
	const char *help;       /* one line for the help overlay; NULL: hidden */
};

/* Whether printable keys are text for the screen that has the keys. */
enum tui_typing {
	TUI_TYPING_NO = 0, /* no field: keys are commands */
	TUI_TYPING_CODE,   /* an order number or a filter: '?' is the help */
	TUI_TYPING_TEXT,   /* free text (the note): every printable is text */
};

/* Finds the action for a key in the contexts of `mask`. While typing,
 * printable characters are text and map to no action. */
enum tui_action tui_key_action(unsigned mask, enum tui_typing typing,
			       wint_t key, bool fkey);
/* A character an order number may hold ([0-9A-Za-z_*|-]): never a
 * command outside a question; the loop sends it to the order field. */
bool tui_key_is_order_char(wint_t key, bool fkey);

/* Entry i's key and the hidden aliases with its action ("Backspace Ctrl-H"),
 * as the help, README and man page name it. */
void tui_key_names(size_t i, char *buf, size_t len);
/* The one-line hint for the contexts of mask: "Enter review  Tab pane
 * F1 help  F10 quit", most specific first. */
void tui_keys_hint(unsigned mask, char *buf, size_t len);
/* The table itself, for the help overlay. */
const struct tui_keydef *tui_keys(size_t *n);
/* Name of a context for the help overlay ("Everywhere", "History", ...). */
const char *tui_ctx_name(unsigned ctx);

/* Prints the key table as a Markdown table (for the README). */
void tui_keys_markdown(FILE *out);
/* The same table as man page paragraphs (docs/wxrev.1, KEYS). */
void tui_keys_troff(FILE *out);

#endif
