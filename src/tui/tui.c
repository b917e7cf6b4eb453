/* tui: start-up, signals, the one loop and key dispatch, and an orderly
 * exit. What the screens share is in frame.c; sending is in send.c.
 *
 * Start-up loads profiles (a passphrase prompt may need the screen, so
 * curses starts first), opens the history and the engine; any failure ends
 * curses and prints the messages. The loop waits in reversal_engine_poll()
 * with standard input as the extra descriptor, drains keys without
 * blocking, and repaints. Signals only set flags; the loop acts on them. */
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tui/ui.h"
#include "tui/passphrase.h"
#include "tui/text.h"
#include "tui/widgets.h"

#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"
#define TICK_MS 100        /* spinner and signal latency */
#define IDLE_MS 500        /* wait when nothing is in flight */
#define WATCH_MS 500       /* how often the history is asked for others'
			      rows (a CLI run, a colleague's wxrev) */
#define DRAIN_MS 3000      /* SIGTERM/SIGHUP: time given to calls in flight */
#define ANSWER_MS 3000     /* a key this soon after a refusal answers it */
#define DOUBLE_MS 400      /* a second press this soon, on the same row, is
			      a double click */
#define WHEEL_LINES 3      /* lines one notch of the wheel scrolls */

static volatile sig_atomic_t sig_int;  /* Ctrl-C */
static volatile sig_atomic_t sig_term; /* SIGTERM or SIGHUP */
static volatile sig_atomic_t sig_tstp; /* Ctrl-Z */
static bool curses_on;                 /* endwin still owed */
static int saved_stderr = -1;          /* stderr while curses is active */

/* Restores the terminal; safe to call twice and from the fatal hook. */
static void restore_terminal(void)
{
	if (curses_on) {
		curses_on = false;
		fputs(PASTE_OFF, stdout);
		fflush(stdout);
		endwin();
	}
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

static void on_flag_signal(int sig)
{
	if (sig == SIGINT)
		sig_int = 1;
	else if (sig == SIGTSTP)
		sig_tstp = 1;
	else
		sig_term = 1;
}

static void on_fatal_signal(int sig)
{
	/* Not async-signal-safe, but the process is dying and a raw terminal
	 * is worse; the handler is reset first so a second fault ends it. */
	restore_terminal();
	raise(sig);
}

static void install_signals(void)
{
	static const int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
	static const int flags[] = {SIGINT, SIGTERM, SIGHUP, SIGTSTP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_flag_signal;
	for (size_t i = 0; i < WX_ARRAY_LEN(flags); i++)
		sigaction(flags[i], &sa, NULL);
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = (int)SA_RESETHAND;
	for (size_t i = 0; i < WX_ARRAY_LEN(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	wx_set_fatal_hook(restore_terminal);
}

static void reset_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGSEGV,
				   SIGABRT, SIGBUS, SIGFPE, SIGILL};

	for (size_t i = 0; i < WX_ARRAY_LEN(sigs); i++)
		signal(sigs[i], SIG_DFL);
	wx_set_fatal_hook(NULL);
}

/* $XDG_STATE_HOME/wxrev (or ~/.local/state/wxrev) into buf. */
static int state_dir(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int len;

	if (xdg && *xdg)
		len = snprintf(buf, n, "%s/wxrev", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.local/state/wxrev", home);
	else
		return -1;
	return len > 0 && (size_t)len < n ? 0 : -1;
}

/* Library noise on stderr would land on the screen: send it to a log. */
static void redirect_stderr(const char *dir)
{
	char path[PATH_MAX];
	int fd = -1;

	if (dir && wx_mkdir_p(dir, 0700, NULL) == 0 &&
	    snprintf(path, sizeof(path), "%s/wxrev.log", dir) <
		    (int)sizeof(path))
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	fflush(stderr);
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static const struct {
	const char *seq; /* what the terminal sends */
	int code;        /* the key it means */
} extra_keys[] = {
	{"\033[1~", KEY_HOME}, {"\033[4~", KEY_END}, {"\033[7~", KEY_HOME},
	{"\033[8~", KEY_END},  {"\033[H", KEY_HOME}, {"\033[F", KEY_END},
	{"\033OH", KEY_HOME},  {"\033OF", KEY_END},
};

/* Ctrl-Q (quit) and Ctrl-S reach the program instead of pausing output:
 * flow control off. Kept as the program mode, which ncurses restores after
 * Ctrl-Z; endwin restores the shell's own mode. */
static void keys_reach_us(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &tio) != 0)
		return;
	tio.c_iflag &= ~(tcflag_t)IXON;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0)
		def_prog_mode();
}

static void start_curses(struct tui *t)
{
	initscr();
	curses_on = true;
	cbreak();
	noecho();
	keys_reach_us();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	/* Presses only, told apart here (double clicks too): no click
	 * waits for a second one, and none ever sends. */
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED |
			  BUTTON5_PRESSED,
		  NULL);
	mouseinterval(0);
	/* Home and End as tmux, screen and rxvt send them, whatever TERM
	 * claims, so the field and list keys work in every terminal. */
	for (size_t i = 0; i < WX_ARRAY_LEN(extra_keys); i++)
		define_key(extra_keys[i].seq, extra_keys[i].code);
	define_key("\033[200~", TUI_KEY_PASTE_BEGIN);
	define_key("\033[201~", TUI_KEY_PASTE_END);
	tui_colors_init(t);
	fputs(PASTE_ON, stdout);
	fflush(stdout);
}

static void quit_now(struct tui *t)
{
	t->quit = true;
}

void tui_request_quit(struct tui *t)
{
	char text[256];

	int n = reversal_flights(t->engine, NULL);

	if (n == 0) {
		t->quit = true;
		return;
	}
	if (t->quit_asked)
		return;
	snprintf(text, sizeof(text),
		 _("%d reversal(s) still in flight. Quitting now leaves their outcome unknown: re-run them or query the orders later. Quit anyway?"),
		 n);
	tui_ask_open(t, _("Quit while in flight?"), text, quit_now);
}

/* Ctrl-Z: give the terminal back, stop, and repaint on return. */
static void suspend(struct tui *t)
{
	struct sigaction sa;

	sig_tstp = 0;
	fputs(PASTE_OFF, stdout);
	fflush(stdout);
	endwin();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_flag_signal;
	sigaction(SIGTSTP, &sa, NULL);
	fputs(PASTE_ON, stdout);
	fflush(stdout);
	clearok(curscr, TRUE);
	tui_layout(t);
}

static char *trim_paste(const char *s)
{
	const char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
	       strncmp(s, "\xe3\x80\x80", 3) == 0)
		s += (*s == '\xe3') ? 3 : 1;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n' ||
			 (e - s >= 3 && strncmp(e - 3, "\xe3\x80\x80", 3) == 0)))
		e -= (e[-1] == '\x80' && e - s >= 3) ? 3 : 1;
	return wx_xstrndup(s, (size_t)(e - s));
}

/* Keys the loop itself handles on the main screen. */
static bool dispatch_global(struct tui *t, enum tui_action a,
			    const struct tui_key *k)
{
	int p;

	switch (a) {
	case TUI_ACT_NEXT_PANE:
		tui_focus(t, (t->focus + 1) % TUI_NPANES);
		return true;
	case TUI_ACT_PREV_PANE:
		tui_focus(t, (t->focus + TUI_NPANES - 1) % TUI_NPANES);
		return true;
	case TUI_ACT_CLICK:
	case TUI_ACT_DOUBLE_CLICK:
		p = tui_pane_at(t, k->mouse_y, k->mouse_x);
		if (p < 0)
			return true;
		tui_focus(t, (enum tui_pane)p);
		return false; /* the pane picks (or opens) the line */
	default:
		return false;
	}
}

/* The wheel scrolls the list or view under the pointer, a few lines a
 * notch, and leaves the focus where it is; a question ignores it. */
static void wheel(struct tui *t, const struct tui_key *k)
{
	const struct tui_screen *s = tui_current(t);
	enum tui_action step =
	    k->ch == TUI_KEY_WHEEL_UP ? TUI_ACT_UP : TUI_ACT_DOWN;
	int p;

	if (!t->nmodal) {
		p = tui_pane_at(t, k->mouse_y, k->mouse_x);
		if (p < 0)
			return;
		s = tui_pane_screen((enum tui_pane)p);
	}
	if (!(s->ctx & (TUI_CTX_LIST | TUI_CTX_CLOSE)))
		return;
	for (int i = 0; i < WHEEL_LINES; i++)
		if (s->key(t, tui_state(t, s->id), step, k) != TUI_NONE)
			t->dirty = true;
}

/* An order character or a paste where it is no text: it goes to the order
 * field, closing the views above it. A question keeps it (and drops it). */
static bool take_typing(struct tui *t, const struct tui_key *k)
{
	if (!k->paste && !tui_key_is_order_char(k->ch, k->fkey))
		return false;
	while (t->nmodal && !(tui_current(t)->ctx &
			      (TUI_CTX_CONFIRM | TUI_CTX_LISTVIEW)))
		tui_close_modal(t);
	if (t->nmodal)
		return true;
	if (t->focus != TUI_PANE_FORM)
		tui_message(t, TUI_C_NORMAL,
			    _("Typing goes to the order number (lists move with the arrow keys; F1 or ? shows the keys)."));
	tui_form_take(t, k);
	return true;
}

/* y, n or space just after a refusal answers the message, as if it had
 * asked: such a key is dropped rather than typed into a field. */
static bool answers_refusal(struct tui *t, const struct tui_key *k)
{
	bool answer = !k->fkey && strchr("yYnN ", (int)k->ch) && k->ch;
	bool recent = t->refused_ms &&
		      wx_monotonic_ms() - t->refused_ms < ANSWER_MS;

	t->refused_ms = 0;
	return answer && recent;
}

/* Looks a key up in the key table and hands the action to the screen. */
static void dispatch(struct tui *t, const struct tui_key *k)
{
	const struct tui_screen *s = tui_current(t);
	enum tui_typing typing =
		s->typing ? s->typing(tui_state(t, s->id)) : TUI_TYPING_NO;
	unsigned mask = tui_current_ctx(t);
	enum tui_action a = tui_key_action(mask, typing, k->ch, k->fkey);

	if (a == TUI_ACT_RESIZE || (k->fkey && k->ch == KEY_RESIZE)) {
		tui_layout(t);
		return;
	}
	if (t->too_small) {
		if (a == TUI_ACT_QUIT)
			tui_request_quit(t);
		return;
	}
	if (k->ch != KEY_MOUSE && answers_refusal(t, k))
		return;
	switch (a) {
	case TUI_ACT_REDRAW:
		clearok(curscr, TRUE);
		t->history_changed = true;
		t->dirty = true;
		return;
	case TUI_ACT_HELP:
		if (s == &tui_help_screen)
			tui_close_modal(t);
		else
			tui_open_modal(t, &tui_help_screen);
		return;
	case TUI_ACT_QUIT:
		tui_request_quit(t);
		return;
	case TUI_ACT_RESULT:
		tui_result_show_next(t);
		return;
	case TUI_ACT_OPEN_LIST:
		tui_list_open(t);
		return;
	case TUI_ACT_WHEEL:
		wheel(t, k);
		return;
	case TUI_ACT_NONE:
		if (typing == TUI_TYPING_NO && take_typing(t, k))
			return;
		break;
	default:
		break;
	}
	if (!t->nmodal && dispatch_global(t, a, k))
		return;
	s = tui_current(t);
	if (s->key(t, tui_state(t, s->id), a, k) != TUI_NONE)
		t->dirty = true;
}

/* What a mouse event is: a click (KEY_MOUSE), a double click, a notch
 * of the wheel; false for what wxrev does not use (releases, others). */
static bool mouse_key(struct tui *t, const MEVENT *ev, struct tui_key *k)
{
	int64_t now = wx_monotonic_ms();

	k->mouse_y = ev->y;
	k->mouse_x = ev->x;
	if (ev->bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		k->ch = ev->bstate & BUTTON4_PRESSED ? TUI_KEY_WHEEL_UP
						     : TUI_KEY_WHEEL_DOWN;
		return true;
	}
	if (!(ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return false;
	if (t->click_ms && now - t->click_ms < DOUBLE_MS &&
	    ev->y == t->click_y && !t->nmodal) {
		t->click_ms = 0; /* a third press starts anew */
		k->ch = TUI_KEY_DOUBLE_CLICK;
		return true;
	}
	t->click_ms = now;
	t->click_y = ev->y;
	t->click_x = ev->x;
	return true;
}

/* Reads every key that is ready; a bracketed paste arrives as one key. */
static void drain_keys(struct tui *t, struct wx_buf *paste, bool *pasting)
{
	wint_t ch;
	int rc;

	while ((rc = wget_wch(stdscr, &ch)) != ERR) {
		struct tui_key k = {ch, rc == KEY_CODE_YES, -1, -1, NULL};
		MEVENT ev;

		t->last_key_ms = wx_monotonic_ms();
		if (k.fkey && ch == TUI_KEY_PASTE_BEGIN) {
			*pasting = true;
			wx_buf_free(paste);
			wx_buf_puts(paste, "");
			continue;
		}
		if (*pasting && !(k.fkey && ch == TUI_KEY_PASTE_END)) {
			char mb[MB_LEN_MAX];
			mbstate_t st;
			size_t n;

			memset(&st, 0, sizeof(st));
			n = k.fkey ? (size_t)-1 : wcrtomb(mb, (wchar_t)ch, &st);
			if (n != (size_t)-1 && paste->len < 64 * 1024)
				wx_buf_append(paste, mb, n);
			continue;
		}
		if (*pasting) {
			*pasting = false;
			k.ch = TUI_KEY_PASTE;
			k.fkey = true;
			k.paste = trim_paste(paste->data ? paste->data : "");
			dispatch(t, &k);
			free((char *)k.paste);
			continue;
		}
		if (k.fkey && ch == KEY_MOUSE &&
		    (getmouse(&ev) != OK || !mouse_key(t, &ev, &k)))
			continue;
		dispatch(t, &k);
	}
}

/* Rows written by another connection show without a keypress. */
static void watch_history(struct tui *t, int64_t now)
{
	int64_t v;

	if (now - t->watched_ms < WATCH_MS)
		return;
	t->watched_ms = now;
	if (history_data_version(t->hist, &v, NULL) != 0)
		return;
	if (t->data_version && v != t->data_version)
		t->history_changed = true;
	t->data_version = v;
}

static void handle_signals(struct tui *t)
{
	if (sig_int) {
		sig_int = 0;
		/* While a list is sent, Ctrl-C stops it first. */
		if (!tui_list_stop(t))
			tui_request_quit(t);
	}
	if (sig_tstp)
		suspend(t);
	if (sig_term)
		t->quit = true;
}

static void run_loop(struct tui *t)
{
	struct wx_buf paste = {0};
	bool pasting = false;

	tui_layout(t);
	while (!t->quit) {
		bool ready = false;
		bool searching = tui_history_searching(t);
		int unsaved = history_unsaved(t->hist);
		int sending = reversal_flights(t->engine, t);
		int wait = searching	       ? 0
			   : sending || unsaved ? TICK_MS
						: IDLE_MS;
		int64_t now = wx_monotonic_ms();
		int list_wait;

		handle_signals(t);
		if (t->quit)
			break;
		watch_history(t, now);
		if (t->history_changed) {
			t->history_changed = false;
			tui_history_reload(t);
		}
		tui_result_offer(t);
		tui_confirm_tick(t);
		if (t->wake_ms && now >= t->wake_ms) {
			t->wake_ms = 0;
			t->dirty = true;
		}
		if (t->wake_ms && t->wake_ms - now < wait)
			wait = (int)(t->wake_ms - now);
		list_wait = tui_list_tick(t);
		if (list_wait >= 0 && list_wait < wait)
			wait = list_wait;
		if (t->dirty || sending) {
			tui_draw(t);
			/* `make bench` times start to first complete frame. */
			if (getenv("WXREV_BENCH_FIRST_FRAME"))
				break;
			/* The first frame does not wait for the settling's
			 * query of the history. */
			if (!t->settle_started) {
				t->settle_started = true;
				tui_settle_open(t);
			}
		}
		reversal_engine_poll(t->engine, STDIN_FILENO, wait, &ready);
		if (reversal_flights(t->engine, NULL)) {
			t->spin++;
			t->dirty = true;
		}
		tui_collect_results(t);
		/* The status bar says "not yet saved" until the retry wins. */
		if (history_unsaved(t->hist) != unsaved) {
			t->dirty = true;
			t->history_changed = true;
		}
		drain_keys(t, &paste, &pasting);
		if (searching)
			tui_history_continue(t);
	}
	wx_buf_free(&paste);
}

/* Prompts for the key's passphrase on the screen when needed. */
static int load_profiles(const char *arg, struct wx_profiles **out,
			 struct wx_diags *diags)
{
	char path[PATH_MAX];
	struct wx_err err = {{0}};

	if (profile_locate(arg, path, sizeof(path), &err) != 0) {
		wx_diags_add(diags, "%s", err.msg);
		return -1;
	}
	tui_passphrase_install();
	return profile_load(path, out, diags);
}

#define TUI_HISTORY_BUSY_MS 1000

/* A desk history statement that waits for its answer holds up the loop:
 * the message line says so while it lasts, rather than a still screen. */
static void desk_waiting(void *ctx, int64_t waited_ms, int64_t limit_ms)
{
	struct tui *t = ctx;
	char buf[256];

	if (waited_ms < 0) {
		t->dirty = true;
		return;
	}
	snprintf(buf, sizeof(buf),
		 _("Waiting for the desk history: no answer for %.1f s (wxrev "
		   "stops waiting at %lld s)"),
		 (double)waited_ms / 1000.0,
		 (long long)((limit_ms + 999) / 1000));
	tui_flash_message(t, TUI_C_WARN, buf);
}

static int open_history(struct tui *t, const char *path, struct wx_err *err)
{
	if (history_open(path, &t->hist, err) != 0)
		return -1;
	/* On a desk history the operator is the database role. */
	if (history_operator(t->hist))
		snprintf(t->op, sizeof(t->op), "%s",
			 history_operator(t->hist));
	/* A locked history must not freeze the screen for long: a result it
	 * refuses is kept, retried and shown as "not yet saved". */
	history_set_busy_timeout(t->hist, TUI_HISTORY_BUSY_MS);
	/* A lost desk server is reconnected to between frames, never
	 * freezing the screen for a connect timeout. */
	history_set_nowait(t->hist, 1);
	history_on_wait(t->hist, desk_waiting, t);
	t->engine = reversal_engine_new(t->hist, NULL, err);
	return t->engine ? 0 : -1;
}

static void operator_name(struct tui *t)
{
	const char *op = getenv("WXREV_OPERATOR");
	struct passwd *pw;

	if (!op || !*op) {
		pw = getpwuid(getuid());
		op = pw ? pw->pw_name : getenv("USER");
	}
	snprintf(t->op, sizeof(t->op), "%s", op && *op ? op : "unknown");
}

static void first_sub(struct tui *t)
{
	char dir[PATH_MAX];

	if (state_dir(dir, sizeof(dir)) == 0)
		snprintf(t->state_file, sizeof(t->state_file), "%s/state", dir);
	tui_profiles_init(t);
}

/* False when some result did not reach the history. */
static bool teardown(struct tui *t, struct wx_diags *diags)
{
	bool saved = true;

	tui_screens_close(t);
	reversal_engine_free(t->engine);
	t->engine = NULL;
	if (t->hist)
		saved = tui_save_results(t, diags);
	history_close(t->hist);
	profile_free(t->profiles);
	return saved;
}

int tui_run(const char *profiles_arg, const char *history_arg)
{
	struct tui *t = wx_xcalloc(1, sizeof(*t));
	struct wx_diags diags = {0};
	struct wx_err err = {{0}};
	char dir[PATH_MAX], path[PATH_MAX];
	int rc = 0, located;

	install_signals();
	/* A desk server sets up its session while the screen starts and the
	 * profiles load. */
	located = history_locate(history_arg, path, sizeof(path), &err);
	if (located == 0)
		history_preconnect(path);
	tui_screens_open(t);
	redirect_stderr(state_dir(dir, sizeof(dir)) == 0 ? dir : NULL);
	start_curses(t);
	operator_name(t);
	if (load_profiles(profiles_arg, &t->profiles, &diags) != 0) {
		rc = 2;
		goto out;
	}
	if (located != 0 || open_history(t, path, &err) != 0) {
		wx_diags_add(&diags, "%s", err.msg);
		rc = 2;
		goto out;
	}
	first_sub(t);
	tui_history_reload(t);
	run_loop(t);
	if (sig_term && reversal_flights(t->engine, t))
		tui_drain_flights(t, DRAIN_MS);
out:
	history_preconnect_end(); /* a start that ended before the history */
	if (t->hist) /* the screen is gone before the last writes */
		history_on_wait(t->hist, NULL, NULL);
	restore_terminal(); /* after SIGHUP its writes fail harmlessly */
	/* A result only journaled is exit 3, as on the command line: the
	 * history does not hold it yet. */
	if (!teardown(t, &diags) && rc == 0)
		rc = 3;
	reset_signals();
	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "wxrev: %s\n", diags.msgs[i]);
	wx_diags_free(&diags);
	free(t);
	return rc;
}
