/* The key table: the dispatcher and the help overlay both read it. */
#include "tui/ui.h"

#include <string.h>
#include <wctype.h>

#include "apiv3.h"

#define CTRL(c) ((c) & 0x1f)
#define K(ctx, key, label, act, help) {ctx, key, false, label, act, help}
#define F(ctx, key, label, act, help) {ctx, key, true, label, act, help}

/* Every context but the text fields: where F1 and ? open the help. */
#define EVERYWHERE                                                        \
	(TUI_CTX_GLOBAL | TUI_CTX_LIST | TUI_CTX_DETAIL | TUI_CTX_CONFIRM | \
	 TUI_CTX_CLOSE)
/* Where quitting is one key away (not from a question). */
#define QUITTABLE (TUI_CTX_GLOBAL | TUI_CTX_DETAIL | TUI_CTX_CLOSE)

/* Listed in the order the help shows them. While a field is edited its
 * keys are looked up first (tui_key_action).
 *
 * No character an order number can hold ([0-9A-Za-z_*|-]) is a command
 * outside the confirmation's y/n and, while a search's matches are shown
 * in the detail view, its n/N (neither can send): typed or pasted anywhere
 * else it goes to the order field, so typing the next order can never act
 * on a list. */
static const struct tui_keydef keytab[] = {
	F(EVERYWHERE | TUI_CTX_TEXT, KEY_F(1), "F1", TUI_ACT_HELP,
	  N_("show this help (again: close it)")),
	K(EVERYWHERE, '?', "?", TUI_ACT_HELP, NULL),
	K(TUI_CTX_GLOBAL, '\t', "Tab", TUI_ACT_NEXT_PANE, N_("focus the next pane")),
	F(TUI_CTX_GLOBAL, KEY_BTAB, "Shift-Tab", TUI_ACT_PREV_PANE,
	  N_("focus the previous pane")),
	K(TUI_CTX_GLOBAL | TUI_CTX_DETAIL, CTRL('l'), "Ctrl-L", TUI_ACT_REDRAW,
	  N_("redraw the screen and reload the history")),
	F(QUITTABLE, KEY_F(10), "F10", TUI_ACT_QUIT,
	  N_("quit (asks first while a reversal is in flight; so does Ctrl-C)")),
	K(QUITTABLE, CTRL('q'), "Ctrl-Q", TUI_ACT_QUIT, NULL),
	F(TUI_CTX_GLOBAL, KEY_F(2), "F2", TUI_ACT_RESULT,
	  N_("show the result that is waiting (results never interrupt typing)")),
	K(TUI_CTX_GLOBAL, CTRL('o'), "Ctrl-O", TUI_ACT_OPEN_LIST,
	  N_("open a list of orders from a file (or show the list being sent)")),

	K(TUI_CTX_PROFILES, '/', "/", TUI_ACT_FILTER,
	  N_("filter as you type (Esc clears)")),
	K(TUI_CTX_PROFILES, '\n', "Enter", TUI_ACT_ENTER,
	  N_("choose the sub-merchant and go to the order form")),
	K(TUI_CTX_PROFILES | TUI_CTX_HISTORY, 27, "Esc", TUI_ACT_CANCEL,
	  N_("clear the filter")),

	F(TUI_CTX_FORM, KEY_UP, "Up", TUI_ACT_PREV_FIELD,
	  N_("previous field; in an empty order field, the numbers sent before")),
	F(TUI_CTX_FORM, KEY_DOWN, "Down", TUI_ACT_NEXT_FIELD,
	  N_("next field; while recalling numbers, a newer one")),
	K(TUI_CTX_FORM, '\n', "Enter", TUI_ACT_ENTER,
	  N_("review the reversal in the confirmation")),

	K(TUI_CTX_HISTORY, '/', "/", TUI_ACT_FILTER,
	  N_("filter as you type (Esc clears); a word @name keeps only that "
	     "operator's reversals")),
	K(TUI_CTX_HISTORY, '\n', "Enter", TUI_ACT_ENTER,
	  N_("open the detail view of the reversal")),
	K(TUI_CTX_HISTORY | TUI_CTX_DETAIL, CTRL('r'), "Ctrl-R", TUI_ACT_RERUN,
	  N_("re-run the reversal (through the confirmation)")),
	F(TUI_CTX_HISTORY | TUI_CTX_DETAIL, KEY_F(5), "F5", TUI_ACT_QUERY,
	  N_("read the order's state from WeChat Pay now (the order query)")),
	K(TUI_CTX_HISTORY | TUI_CTX_DETAIL | TUI_CTX_CLOSE, CTRL('y'), "Ctrl-Y",
	  TUI_ACT_COPY, N_("copy the order number to the clipboard (OSC 52)")),
	K(TUI_CTX_HISTORY | TUI_CTX_DETAIL | TUI_CTX_CLOSE, CTRL('t'), "Ctrl-T",
	  TUI_ACT_COPY_SUMMARY, N_("copy a one-line result summary for a ticket")),

	F(TUI_CTX_LIST, KEY_UP, "Up", TUI_ACT_UP, N_("previous line")),
	F(TUI_CTX_LIST, KEY_DOWN, "Down", TUI_ACT_DOWN, N_("next line")),
	F(TUI_CTX_LIST, KEY_PPAGE, "PgUp", TUI_ACT_PAGE_UP, N_("previous page")),
	F(TUI_CTX_LIST, KEY_NPAGE, "PgDn", TUI_ACT_PAGE_DOWN, N_("next page")),
	F(TUI_CTX_LIST, KEY_HOME, "Home", TUI_ACT_TOP, N_("first line")),
	F(TUI_CTX_LIST, KEY_END, "End", TUI_ACT_BOTTOM, N_("last line")),

	F(TUI_CTX_TEXT, KEY_LEFT, "Left", TUI_ACT_LEFT, N_("move the cursor left")),
	F(TUI_CTX_TEXT, KEY_RIGHT, "Right", TUI_ACT_RIGHT, N_("move the cursor right")),
	F(TUI_CTX_TEXT, KEY_HOME, "Home", TUI_ACT_HOME, N_("start of the field")),
	K(TUI_CTX_TEXT, CTRL('a'), "Ctrl-A", TUI_ACT_HOME, NULL),
	F(TUI_CTX_TEXT, KEY_END, "End", TUI_ACT_END, N_("end of the field")),
	K(TUI_CTX_TEXT, CTRL('e'), "Ctrl-E", TUI_ACT_END, NULL),
	F(TUI_CTX_TEXT, KEY_BACKSPACE, "Backspace", TUI_ACT_BACKSPACE,
	  N_("delete the character before the cursor")),
	K(TUI_CTX_TEXT, 0x7f, "Backspace", TUI_ACT_BACKSPACE, NULL),
	K(TUI_CTX_TEXT, CTRL('h'), "Ctrl-H", TUI_ACT_BACKSPACE, NULL),
	F(TUI_CTX_TEXT, KEY_DC, "Delete", TUI_ACT_DELETE,
	  N_("delete the character under the cursor")),
	K(TUI_CTX_TEXT, CTRL('u'), "Ctrl-U", TUI_ACT_CLEAR, N_("clear the field")),
	F(TUI_CTX_TEXT, TUI_KEY_PASTE, "Paste", TUI_ACT_PASTE,
	  N_("paste into the field (white space around it is trimmed)")),

	K(TUI_CTX_DETAIL, '/', "/", TUI_ACT_SEARCH,
	  N_("search the text as you type")),
	K(TUI_CTX_DETAIL, '\n', "Enter", TUI_ACT_ENTER,
	  N_("keep the search: its matches stay highlighted")),
	K(TUI_CTX_FOUND, 'n', "n", TUI_ACT_SEARCH_NEXT,
	  N_("next match (other letters go to the order number)")),
	K(TUI_CTX_FOUND, 'N', "N", TUI_ACT_SEARCH_PREV, N_("previous match")),
	K(TUI_CTX_FOUND, 27, "Esc", TUI_ACT_CANCEL, N_("end the search")),
	K(TUI_CTX_DETAIL, 27, "Esc", TUI_ACT_CANCEL, N_("back to the main screen")),

	/* Before the confirmation's: in a list, Enter confirms the count. */
	K(TUI_CTX_LISTVIEW, '\n', "Enter", TUI_ACT_ENTER,
	  N_("after the typed count: reverse the list (more than 10 orders); "
	     "with y for fewer; pasting several order numbers opens the list")),
	/* Before the confirmation's F8: a list's form of the override. */
	F(TUI_CTX_LISTVIEW, KEY_F(8), "F8", TUI_ACT_OVERRIDE,
	  N_("in a list's plan: send too (again: leave out) the orders the "
	     "order query says have nothing to reverse, which y and the "
	     "count skip")),
	F(TUI_CTX_LISTVIEW, KEY_F(4), "F4", TUI_ACT_RESEND_UNKNOWN,
	  N_("in a list's plan: send again (again: leave out) the orders "
	     "whose earlier outcome the query could not settle, as "
	     "--resend-unknown")),
	F(TUI_CTX_LISTVIEW | TUI_CTX_SENDING, KEY_F(9), "F9", TUI_ACT_STOP,
	  N_("stop sending the list: what is in flight finishes (so does "
	     "Ctrl-C); Esc hides the list while it is sent")),

	/* Outside its question (bad lines, sending, done) a list closes, or
	 * hides while it is sent, by Esc; F9's help above says so. */
	K(TUI_CTX_LISTVIEW | TUI_CTX_SENDING, 27, "Esc", TUI_ACT_CANCEL, NULL),

	K(TUI_CTX_CONFIRM, 'y', "y", TUI_ACT_YES,
	  N_("send (the only key that does)")),
	K(TUI_CTX_CONFIRM, 'Y', "Y", TUI_ACT_YES, NULL),
	F(TUI_CTX_CONFIRM, KEY_F(8), "F8", TUI_ACT_OVERRIDE,
	  N_("send although the order query says there is nothing to reverse")),
	F(TUI_CTX_CONFIRM, KEY_F(6), "F6", TUI_ACT_LOOKUP,
	  N_("no such order: look the number up under the partner's other sub-merchants, most recent first, at most 5 a second and 20 (again: 20 more; n or Esc stops)")),
	F(TUI_CTX_CONFIRM, KEY_F(7), "F7", TUI_ACT_SWITCH_SUB,
	  N_("switch to the sub-merchant the lookup found the order under (its own confirmation and query)")),
	K(TUI_CTX_CONFIRM, 'n', "n", TUI_ACT_NO, N_("cancel")),
	K(TUI_CTX_CONFIRM, 'N', "N", TUI_ACT_NO, NULL),
	K(TUI_CTX_CONFIRM, 27, "Esc", TUI_ACT_NO, NULL),
	K(TUI_CTX_CONFIRM, '\n', "Enter", TUI_ACT_NO,
	  N_("press the focused button (Cancel)")),

	K(TUI_CTX_CLOSE, 27, "Esc", TUI_ACT_CANCEL, N_("close")),
	K(TUI_CTX_CLOSE, '\n', "Enter", TUI_ACT_CANCEL, NULL),
	F(TUI_CTX_CLOSE, KEY_UP, "Up", TUI_ACT_UP, N_("scroll up")),
	F(TUI_CTX_CLOSE, KEY_DOWN, "Down", TUI_ACT_DOWN, N_("scroll down")),
	F(TUI_CTX_CLOSE, KEY_PPAGE, "PgUp", TUI_ACT_PAGE_UP, N_("scroll a page up")),
	F(TUI_CTX_CLOSE, KEY_NPAGE, "PgDn", TUI_ACT_PAGE_DOWN,
	  N_("scroll a page down")),

	F(TUI_CTX_GLOBAL | TUI_CTX_DETAIL | TUI_CTX_CLOSE | TUI_CTX_CONFIRM,
	  KEY_MOUSE, "Click", TUI_ACT_CLICK, N_("focus a pane or pick a line")),
	F(TUI_CTX_GLOBAL, TUI_KEY_DOUBLE_CLICK, "Double-click",
	  TUI_ACT_DOUBLE_CLICK,
	  N_("on a history row: open its detail view (no click ever sends)")),
	F(TUI_CTX_GLOBAL | TUI_CTX_LIST | TUI_CTX_CLOSE, TUI_KEY_WHEEL_UP,
	  "Wheel", TUI_ACT_WHEEL,
	  N_("scroll the list or view under the pointer")),
	F(TUI_CTX_GLOBAL | TUI_CTX_LIST | TUI_CTX_CLOSE, TUI_KEY_WHEEL_DOWN,
	  "Wheel", TUI_ACT_WHEEL, NULL),
	F(TUI_CTX_GLOBAL | TUI_CTX_DETAIL | TUI_CTX_CLOSE | TUI_CTX_CONFIRM,
	  KEY_RESIZE, "", TUI_ACT_RESIZE, NULL),
};

static bool printable(wint_t key, bool fkey)
{
	return !fkey && key >= 0x20 && key != 0x7f;
}

bool tui_key_is_order_char(wint_t key, bool fkey)
{
	return !fkey && key < 0x80 && apiv3_order_char((unsigned)key);
}

static enum tui_action lookup(unsigned mask, wint_t key, bool fkey)
{
	for (size_t i = 0; i < WX_ARRAY_LEN(keytab); i++) {
		const struct tui_keydef *k = &keytab[i];

		if ((k->ctx & mask) && k->key == key && k->fkey == fkey)
			return k->action;
	}
	return TUI_ACT_NONE;
}

enum tui_action tui_key_action(unsigned mask, enum tui_typing typing,
			       wint_t key, bool fkey)
{
	enum tui_action a;

	if (typing == TUI_TYPING_NO)
		return lookup(mask & ~(unsigned)TUI_CTX_TEXT, key, fkey);
	/* '?' is in no order number or filter: there it is the help key. */
	if (typing == TUI_TYPING_CODE && !fkey && key == '?')
		return TUI_ACT_HELP;
	if (printable(key, fkey))
		return TUI_ACT_NONE; /* text, whatever the table says */
	a = lookup(TUI_CTX_TEXT, key, fkey);
	return a != TUI_ACT_NONE ? a : lookup(mask, key, fkey);
}

void tui_key_names(size_t i, char *buf, size_t len)
{
	const struct tui_keydef *k = &keytab[i];
	size_t used = (size_t)snprintf(buf, len, "%s", k->label);

	for (size_t j = 0; j < WX_ARRAY_LEN(keytab) && used < len; j++) {
		const struct tui_keydef *a = &keytab[j];

		if (a->help || a->action != k->action || !(a->ctx & k->ctx) ||
		    !a->label[0] || strcmp(a->label, k->label) == 0)
			continue;
		used += (size_t)snprintf(buf + used, len - used, " %s",
					 a->label);
	}
}

/* The hint line's words: what an action is called, in few letters, where
 * it applies. The key shown beside it comes from the table above. */
static const struct {
	unsigned ctx;
	enum tui_action action;
	const char *word;
	unsigned need;	 /* bits the context must also have (0: none) */
	unsigned unless; /* bits that rule the word out (0: none) */
} hints[] = {
	{TUI_CTX_FOUND, TUI_ACT_SEARCH_NEXT, N_("next"), 0, 0},
	{TUI_CTX_FOUND, TUI_ACT_SEARCH_PREV, N_("previous"), 0, 0},
	{TUI_CTX_FOUND, TUI_ACT_CANCEL, N_("end search"), 0, 0},
	{TUI_CTX_PROFILES, TUI_ACT_ENTER, N_("choose"), 0, 0},
	{TUI_CTX_FORM, TUI_ACT_ENTER, N_("review"), 0, 0},
	{TUI_CTX_HISTORY, TUI_ACT_ENTER, N_("detail"), 0, 0},
	{TUI_CTX_CONFIRM, TUI_ACT_YES, N_("yes"), TUI_CTX_QUESTION, 0},
	{TUI_CTX_CONFIRM, TUI_ACT_NO, N_("no"), TUI_CTX_QUESTION, 0},
	{TUI_CTX_CONFIRM, TUI_ACT_OVERRIDE, N_("send anyway"), TUI_CTX_NOTHING,
	 0},
	{TUI_CTX_CONFIRM, TUI_ACT_YES, N_("send"), 0, TUI_CTX_NOTHING},
	{TUI_CTX_CONFIRM, TUI_ACT_NO, N_("cancel"), 0, 0},
	{TUI_CTX_DETAIL | TUI_CTX_CLOSE, TUI_ACT_CANCEL, N_("close"), 0, 0},
	{TUI_CTX_FORM, TUI_ACT_PREV_FIELD, N_("sent numbers"), 0, 0},
	{TUI_CTX_PROFILES | TUI_CTX_HISTORY, TUI_ACT_FILTER, N_("filter"), 0, 0},
	{TUI_CTX_DETAIL, TUI_ACT_SEARCH, N_("search"), 0, 0},
	{TUI_CTX_HISTORY | TUI_CTX_DETAIL, TUI_ACT_RERUN, N_("re-run"), 0, 0},
	{TUI_CTX_HISTORY | TUI_CTX_DETAIL, TUI_ACT_QUERY, N_("query"), 0, 0},
	{TUI_CTX_HISTORY | TUI_CTX_DETAIL | TUI_CTX_CLOSE, TUI_ACT_COPY,
	 N_("copy"), 0, 0},
	{TUI_CTX_HISTORY | TUI_CTX_DETAIL | TUI_CTX_CLOSE,
	 TUI_ACT_COPY_SUMMARY, N_("summary"), 0, 0},
	{TUI_CTX_GLOBAL, TUI_ACT_NEXT_PANE, N_("pane"), 0, 0},
	{TUI_CTX_GLOBAL, TUI_ACT_RESULT, N_("result"), 0, 0},
	{TUI_CTX_SENDING, TUI_ACT_STOP, N_("stop"), 0, 0},
	{TUI_CTX_SENDING, TUI_ACT_CANCEL, N_("hide"), 0, 0},
	{TUI_CTX_LISTVIEW, TUI_ACT_CANCEL, N_("close"), 0, 0},
	{EVERYWHERE | TUI_CTX_TEXT, TUI_ACT_HELP, N_("help"), 0, 0},
	{QUITTABLE, TUI_ACT_QUIT, N_("quit"), 0, 0},
};

/* The label of the first key in the contexts of mask doing action. */
static const char *key_for(unsigned mask, enum tui_action action)
{
	for (size_t i = 0; i < WX_ARRAY_LEN(keytab); i++)
		if ((keytab[i].ctx & mask) && keytab[i].action == action &&
		    keytab[i].label[0])
			return keytab[i].label;
	return NULL;
}

/* Whether the hint line so far already names key (the first, most
 * specific word for a key wins: "Esc end search", not also "Esc close"). */
static bool hinted(const char *buf, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = buf; (p = strstr(p, key)) != NULL; p += n)
		if ((p == buf || (p >= buf + 2 && p[-1] == ' ' && p[-2] == ' ')) &&
		    p[n] == ' ')
			return true;
	return false;
}

void tui_keys_hint(unsigned mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < WX_ARRAY_LEN(hints) && used < len; i++) {
		const char *key;

		if (!(hints[i].ctx & mask) ||
		    (mask & hints[i].need) != hints[i].need ||
		    (mask & hints[i].unless))
			continue;
		key = key_for(mask & hints[i].ctx, hints[i].action);
		if (!key || hinted(buf, key))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s %s",
					 used ? "  " : "", key,
					 _(hints[i].word));
	}
}

const struct tui_keydef *tui_keys(size_t *n)
{
	*n = WX_ARRAY_LEN(keytab);
	return keytab;
}

static const struct {
	unsigned ctx;
	const char *name;
} ctx_names[] = {
	{TUI_CTX_GLOBAL, N_("Main screen")},
	{TUI_CTX_LIST, N_("Lists")},
	{TUI_CTX_PROFILES, N_("Profiles")},
	{TUI_CTX_FORM, N_("Order form")},
	{TUI_CTX_HISTORY, N_("History")},
	{TUI_CTX_TEXT, N_("Text fields")},
	{TUI_CTX_FOUND, N_("Detail view, matches shown")},
	{TUI_CTX_DETAIL, N_("Detail view")},
	{TUI_CTX_LISTVIEW, N_("List of orders")},
	{TUI_CTX_CONFIRM, N_("Confirmation")},
	{TUI_CTX_CLOSE, N_("Help and result")},
};

const char *tui_ctx_name(unsigned ctx)
{
	for (size_t i = 0; i < WX_ARRAY_LEN(ctx_names); i++)
		if (ctx & ctx_names[i].ctx)
			return _(ctx_names[i].name);
	return "";
}

/* Every context a key applies in, joined with ", ". */
struct key_doc {
	char where[256];
	char names[96];
	const char *help;
};

static void ctx_list(unsigned ctx, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < WX_ARRAY_LEN(ctx_names) && len < n; i++) {
		if (!(ctx & ctx_names[i].ctx))
			continue;
		/* TRANSLATORS: between the places a key works in. */
		len += (size_t)snprintf(buf + len, n - len, "%s%s",
					len ? _(", ") : "",
					_(ctx_names[i].name));
	}
}

/* What the documents say of key i: where it works and its names.
 * False for a key without help (it is left out of them). */
static bool key_doc(size_t i, struct key_doc *d)
{
	if (!keytab[i].help)
		return false;
	ctx_list(keytab[i].ctx, d->where, sizeof(d->where));
	tui_key_names(i, d->names, sizeof(d->names));
	d->help = _(keytab[i].help);
	return true;
}

void tui_keys_markdown(FILE *out)
{
	struct key_doc d;

	fputs(_("| Where | Key | Action |\n"), out);
	fputs("|---|---|---|\n", out);
	for (size_t i = 0; i < WX_ARRAY_LEN(keytab); i++) {
		if (key_doc(i, &d))
			fprintf(out, "| %s | `%s` | %s |\n", d.where, d.names,
				d.help);
	}
}

void tui_keys_troff(FILE *out)
{
	struct key_doc d;

	/* A leading '.' or '\'' would be a troff request. */
	for (size_t i = 0; i < WX_ARRAY_LEN(keytab); i++) {
		if (key_doc(i, &d))
			fprintf(out,
				".TP\n.B \\&%s\n\\&%s \\(em \\fI%s\\fP\n",
				d.names, d.help, d.where);
	}
}
