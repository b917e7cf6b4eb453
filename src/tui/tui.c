/* tui_run: start-up, the one loop, signals and an orderly exit.
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
#include <unistd.h>

#include <openssl/evp.h>

#include "apiv3.h"
#include "http.h"
#include "tui/loop.h"
#include "tui/passphrase.h"
#include "tui/text.h"
#include "tui/widgets.h"

#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"
#define TICK_MS 100        /* spinner and signal latency */
#define IDLE_MS 1000       /* wait when nothing is in flight */
#define DRAIN_MS 3000      /* SIGTERM/SIGHUP: time given to calls in flight */

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

static void init_colors(struct tui *t)
{
	const char *nc = getenv("NO_COLOR");

	t->color = !(nc && *nc) && has_colors();
	if (!t->color)
		return;
	start_color();
	use_default_colors();
	init_pair(TUI_C_GOOD, COLOR_GREEN, -1);
	init_pair(TUI_C_BAD, COLOR_RED, -1);
	init_pair(TUI_C_WARN, COLOR_YELLOW, -1);
	init_pair(TUI_C_FOCUS, COLOR_CYAN, -1);
	init_pair(TUI_C_DIM, COLOR_BLUE, -1);
	init_pair(TUI_C_STATUS, COLOR_BLACK, COLOR_CYAN);
}

attr_t tui_attr(const struct tui *t, enum tui_color c)
{
	if (c == TUI_C_NORMAL)
		return A_NORMAL;
	if (!t->color)
		return c == TUI_C_STATUS ? A_REVERSE
		       : c == TUI_C_DIM  ? A_NORMAL
					 : A_BOLD;
	if (c == TUI_C_STATUS)
		return COLOR_PAIR(c);
	return COLOR_PAIR(c) | (c == TUI_C_DIM ? A_NORMAL : A_BOLD);
}

enum tui_color tui_outcome_color(enum wx_outcome o)
{
	switch (o) {
	case WX_REVERSED:
		return TUI_C_GOOD;
	case WX_REJECTED:
		return TUI_C_BAD;
	case WX_FAILED:
	case WX_UNKNOWN:
		return TUI_C_WARN;
	default:
		return TUI_C_DIM;
	}
}

attr_t tui_outcome_attr(const struct tui *t, enum wx_outcome o)
{
	return tui_attr(t, tui_outcome_color(o));
}

static const struct {
	const char *seq; /* what the terminal sends */
	int code;        /* the key it means */
} extra_keys[] = {
	{"\033[1~", KEY_HOME}, {"\033[4~", KEY_END}, {"\033[7~", KEY_HOME},
	{"\033[8~", KEY_END},  {"\033[H", KEY_HOME}, {"\033[F", KEY_END},
	{"\033OH", KEY_HOME},  {"\033OF", KEY_END},
};

static void start_curses(struct tui *t)
{
	initscr();
	curses_on = true;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
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
	init_colors(t);
	fputs(PASTE_ON, stdout);
	fflush(stdout);
}

void tui_endpoint(const struct wx_partner *p, char *host, size_t n,
		  bool *official, bool *plain_http)
{
	char scheme[16];
	const char *url = p->base_url ? p->base_url
				      : "https://api.mch.weixin.qq.com";

	if (http_url_split(url, scheme, sizeof(scheme), host, n) != 0) {
		snprintf(host, n, "%s", url);
		snprintf(scheme, sizeof(scheme), "?");
	}
	*plain_http = strcmp(scheme, "http") == 0;
	*official = strcmp(scheme, "https") == 0 &&
		    (strcmp(host, "api.mch.weixin.qq.com") == 0 ||
		     strcmp(host, "api2.mch.weixin.qq.com") == 0);
}

/* The remembered sub-merchant: "sp_mchid=...\nsub_mchid=...\n". */
static void state_load(const struct tui *t, char *sp, char *sub, size_t n)
{
	FILE *f = fopen(t->state_file, "r");
	char line[256];

	sp[0] = sub[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "sp_mchid=", 9) == 0)
			snprintf(sp, n, "%s", line + 9);
		else if (strncmp(line, "sub_mchid=", 10) == 0)
			snprintf(sub, n, "%s", line + 10);
	}
	fclose(f);
}

static void state_save(const struct tui *t)
{
	char dir[PATH_MAX], tmp[sizeof(t->state_file) + 8];
	FILE *f;

	if (!t->sub || !t->state_file[0] || state_dir(dir, sizeof(dir)) != 0 ||
	    wx_mkdir_p(dir, 0700, NULL) != 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->state_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "sp_mchid=%s\nsub_mchid=%s\n", t->sub->partner->sp_mchid,
		t->sub->sub_mchid);
	if (fclose(f) == 0)
		rename(tmp, t->state_file);
}

void tui_choose_sub(struct tui *t, const struct wx_sub *sub)
{
	t->sub = sub;
	state_save(t);
	tui_form_refresh(t);
	t->dirty = true;
}

bool tui_flight_busy(const struct tui *t, const char *sub_mchid,
		     const char *order)
{
	if (reversal_in_flight(t->engine, sub_mchid, order))
		return true;
	for (int i = 0; i < t->nflights; i++)
		if (strcmp(t->flights[i].order, order) == 0 &&
		    strcmp(t->flights[i].sub_mchid, sub_mchid) == 0)
			return true;
	return false;
}

int tui_submit(struct tui *t, const struct wx_sub *sub, const char *order,
	       const char *note)
{
	struct reversal_params p = {sub->partner, sub, order,
				    note && *note ? note : NULL, t->op};
	struct tui_flight *f;
	struct wx_err err = {{0}};
	int64_t id = 0;

	if (tui_flight_busy(t, sub->sub_mchid, order)) {
		tui_message(t, TUI_C_WARN,
			    _("Order %s for %s is already in flight; wait for its result before sending it again."),
			    order, sub->sub_mchid);
		return -1;
	}
	if (t->nflights >= TUI_MAX_FLIGHTS) {
		tui_message(t, TUI_C_WARN,
			    _("%d reversals are in flight; wait for one to finish."),
			    t->nflights);
		return -1;
	}
	if (reversal_submit(t->engine, &p, &id, &err) != 0) {
		tui_message(t, TUI_C_BAD, "%s", err.msg);
		return -1;
	}
	f = &t->flights[t->nflights++];
	f->id = id;
	snprintf(f->order, sizeof(f->order), "%s", order);
	snprintf(f->sub_mchid, sizeof(f->sub_mchid), "%s", sub->sub_mchid);
	f->started_ms = wx_monotonic_ms();
	tui_message(t, TUI_C_NORMAL, _("Sending the reversal of %s ..."), order);
	tui_history_reload(t);
	return 0;
}

static void flight_remove(struct tui *t, int64_t id)
{
	for (int i = 0; i < t->nflights; i++) {
		if (t->flights[i].id != id)
			continue;
		t->flights[i] = t->flights[--t->nflights];
		return;
	}
}

static void collect_results(struct tui *t)
{
	struct reversal_result *r;

	while ((r = reversal_engine_next_done(t->engine)) != NULL) {
		flight_remove(t, r->history_id);
		tui_message(t, TUI_C_NORMAL, _("%s: %s"), r->out_trade_no,
			    wx_outcome_name(r->outcome));
		tui_result_push(t, r);
		tui_history_reload(t);
		t->dirty = true;
	}
	if (t->nmodal == 0 && tui_result_pending())
		tui_result_show_next(t);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void tui_copy(struct tui *t, const char *text, const char *what)
{
	size_t len = strlen(text);
	struct wx_buf b = {0};
	int fd;

	wx_buf_puts(&b, "\033]52;c;");
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)text[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (unsigned char)text[i + 1] << 8;
		if (left > 2)
			v |= (unsigned char)text[i + 2];
		wx_buf_append(&b, &b64[(v >> 18) & 63], 1);
		wx_buf_append(&b, &b64[(v >> 12) & 63], 1);
		wx_buf_append(&b, left > 1 ? &b64[(v >> 6) & 63] : "=", 1);
		wx_buf_append(&b, left > 2 ? &b64[v & 63] : "=", 1);
	}
	wx_buf_puts(&b, "\a");
	fd = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t w = write(fd, b.data, b.len);

		(void)w;
		close(fd);
		tui_message(t, TUI_C_NORMAL, _("Copied %s to the clipboard: %s"),
			    what, text);
	} else {
		tui_message(t, TUI_C_WARN,
			    _("Cannot reach the terminal to copy; select the text with the mouse instead."));
	}
	wx_buf_free(&b);
}

static void quit_now(struct tui *t)
{
	t->quit = true;
}

void tui_request_quit(struct tui *t)
{
	char text[256];

	if (t->nflights == 0) {
		t->quit = true;
		return;
	}
	if (t->quit_asked)
		return;
	snprintf(text, sizeof(text),
		 _("%d reversal(s) still in flight. Quitting now leaves their outcome unknown: re-run them or query the orders later. Quit anyway?"),
		 t->nflights);
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

/* Reads every key that is ready; a bracketed paste arrives as one key. */
static void drain_keys(struct tui *t, struct wx_buf *paste, bool *pasting)
{
	wint_t ch;
	int rc;

	while ((rc = wget_wch(stdscr, &ch)) != ERR) {
		struct tui_key k = {ch, rc == KEY_CODE_YES, -1, -1, NULL};
		MEVENT ev;

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
			tui_dispatch(t, &k);
			free((char *)k.paste);
			continue;
		}
		if (k.fkey && ch == KEY_MOUSE) {
			if (getmouse(&ev) != OK ||
			    !(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
				continue;
			k.mouse_y = ev.y;
			k.mouse_x = ev.x;
		}
		tui_dispatch(t, &k);
	}
}

/* Marks reversals abandoned in flight as unknown, so no record is left
 * pending; the next start would do the same for a crashed process. */
static void mark_abandoned(struct tui *t)
{
	for (int i = 0; i < t->nflights; i++) {
		struct history_reversal r;
		struct history_attempt *atts = NULL;
		size_t n = 0;

		memset(&r, 0, sizeof(r));
		if (history_get(t->hist, t->flights[i].id, &r, &atts, &n, NULL) ==
			    0 &&
		    r.outcome == WX_PENDING)
			history_finish(t->hist, t->flights[i].id, WX_UNKNOWN, 0,
				       "INTERRUPTED",
				       _("wxrev stopped before the answer arrived; query the order or re-run the reversal."),
				       r.latency_ms, NULL);
		history_reversal_clear(&r);
		history_attempts_free(atts, n);
	}
	t->nflights = 0;
}

/* SIGTERM/SIGHUP: let calls in flight finish for a moment, then stop. */
static void drain_flights(struct tui *t)
{
	int64_t deadline = wx_monotonic_ms() + DRAIN_MS;

	while (t->nflights > 0 && wx_monotonic_ms() < deadline) {
		struct reversal_result *r;
		bool ready = false;

		reversal_engine_poll(t->engine, -1, TICK_MS, &ready);
		while ((r = reversal_engine_next_done(t->engine)) != NULL) {
			flight_remove(t, r->history_id);
			reversal_result_free(r);
		}
	}
}

static void handle_signals(struct tui *t)
{
	if (sig_int) {
		sig_int = 0;
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
		bool searching = tui_history_searching();
		int wait = searching ? 0 : t->nflights ? TICK_MS : IDLE_MS;

		handle_signals(t);
		if (t->quit)
			break;
		if (t->dirty || t->nflights) {
			tui_draw(t);
			/* `make bench` times start to first complete frame. */
			if (getenv("WXREV_BENCH_FIRST_FRAME"))
				break;
		}
		reversal_engine_poll(t->engine, STDIN_FILENO, wait, &ready);
		if (t->nflights) {
			t->spin++;
			t->dirty = true;
		}
		collect_results(t);
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

static int open_history(struct tui *t, const char *arg, struct wx_err *err)
{
	char path[PATH_MAX];

	if (history_locate(arg, path, sizeof(path), err) != 0 ||
	    history_open(path, &t->hist, err) != 0)
		return -1;
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
	char sp[256], sub[256], dir[PATH_MAX];

	if (state_dir(dir, sizeof(dir)) == 0)
		snprintf(t->state_file, sizeof(t->state_file), "%s/state", dir);
	state_load(t, sp, sub, sizeof(sp));
	tui_profiles_init(t, sp, sub);
}

static void teardown(struct tui *t)
{
	tui_result_free();
	tui_detail_free();
	tui_history_free();
	reversal_engine_free(t->engine);
	t->engine = NULL;
	if (t->hist)
		mark_abandoned(t);
	history_close(t->hist);
	profile_free(t->profiles);
}

int tui_run(const char *profiles_arg, const char *history_arg)
{
	struct tui *t = wx_xcalloc(1, sizeof(*t));
	struct wx_diags diags = {0};
	struct wx_err err = {{0}};
	char dir[PATH_MAX];
	int rc = 0;

	install_signals();
	redirect_stderr(state_dir(dir, sizeof(dir)) == 0 ? dir : NULL);
	start_curses(t);
	operator_name(t);
	if (load_profiles(profiles_arg, &t->profiles, &diags) != 0) {
		rc = 2;
		goto out;
	}
	if (open_history(t, history_arg, &err) != 0) {
		wx_diags_add(&diags, "%s", err.msg);
		rc = 2;
		goto out;
	}
	first_sub(t);
	tui_history_reload(t);
	run_loop(t);
	if (sig_term && t->nflights)
		drain_flights(t);
out:
	restore_terminal(); /* after SIGHUP its writes fail harmlessly */
	teardown(t);
	reset_signals();
	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "wxrev: %s\n", diags.msgs[i]);
	wx_diags_free(&diags);
	free(t);
	return rc;
}
