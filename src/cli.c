/* cli: the command-line front end: see `wxrev --help`.
 * Parsing is getopt_long: common options first, then the command and its
 * own options (which accept the common ones too). */
#define _GNU_SOURCE

#include "cli.h"
#include "cli_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <jansson.h>

#include "apiv3.h"
#include "apiv3_query.h"
#include "history.h"
#include "history_export.h"
#include "history_pg.h"
#include "http.h"
#include "i18n.h"
#include "outcome.h"
#include "profile.h"
#include "reversal.h"
#include "tui/tui.h"
#include "utf8.h"
#include "util.h"

#define PATH_BUF	      4096
#define POLL_MS		      250
#define HISTORY_DEFAULT_LIMIT 50
#define SIGNAL_INT	      'i'
#define SIGNAL_STOP	      't'

enum opt_id {
	OPT_PROFILES = 1000,
	OPT_HISTORY,
	OPT_SUB,
	OPT_PARTNER,
	OPT_NOTE,
	OPT_YES,
	OPT_JSON,
	OPT_NO_SETTLE,
	OPT_ORDER,
	OPT_OUTCOME,
	OPT_CODE,
	OPT_OPERATOR,
	OPT_TEXT,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_LIMIT,
	OPT_FORMAT,
	OPT_CHECK,
	OPT_QUERIES,
};

/* clang-format off */
#define COMMON_LONG_OPTIONS \
	{"profiles", required_argument, NULL, OPT_PROFILES}, \
	{"history", required_argument, NULL, OPT_HISTORY}, \
	{"help", no_argument, NULL, 'h'}, \
	{"version", no_argument, NULL, 'V'}
/* clang-format on */

/* The usage, one entry per command or section, each translated on its
 * own, so a change to one leaves the others' translations standing. `cmd`
 * names the command an entry belongs to ("" the UI, NULL every help):
 * `wxrev --help` prints every entry, `wxrev CMD --help` those of CMD and
 * the shared ones, with CMD's options from command_options before the
 * common options. query and settle state their own exit status. */
struct usage_entry {
	const char *cmd;  /* the command, "" the UI, NULL: in every help */
	const char *text; /* N_() text */
};

static const struct usage_entry usage_text[] = {
    {NULL, N_("Usage:\n")},
    {"", N_("  wxrev [--profiles DIR|FILE] [--history FILE]\n"
	    "        the terminal UI\n")},
    {"reverse",
     N_("  wxrev reverse --sub SUB [--partner P] [--note TEXT] [--yes] [--json] "
	"ORDER...\n"
	"        reverse orders (a paid order is refunded to the payer)\n")},
    {"reverse",
     N_("  wxrev reverse --sub SUB [--partner P] --from FILE|- [--rate N]\n"
	"                [--resend-unknown] [--send-anyway] [--yes] [--json]\n"
	"        reverse a list of orders (one a line, or CSV with a header\n"
	"        naming out_trade_no, sub_mchid, note); running it again\n"
	"        resumes (see \"A list of orders\" in the README)\n")},
    {"reverse",
     N_("  wxrev reverse ... [--no-settle]\n"
	"        an outcome left unknown is settled by an order query before\n"
	"        wxrev exits, unless --no-settle\n")},
    {"query",
     N_("  wxrev query --sub SUB [--partner P] [--json] ORDER...\n"
	"        what WeChat Pay says about orders: state, amount, time; exit\n"
	"        0 all answered and verified, 1 some refused (no such order),\n"
	"        3 some not verified or not answered\n")},
    {"settle",
     N_("  wxrev settle [--all | --id N...] [--json]\n"
	"        query every open unknown reversal (or those named) and settle\n"
	"        it: REVOKED (or CLOSED, not paid) reversed, SUCCESS/NOTPAY/\n"
	"        USERPAYING failed (safe to re-run); exit 3 if some stay "
	"unknown\n")},
    {"history",
     N_("  wxrev history [--order NO] [--sub SUB] [--outcome O] [--code CODE]\n"
	"                [--text TEXT] [--since TIME] [--until TIME] [--limit "
	"N]\n"
	"                [--format table|jsonl|csv]\n"
	"        list past reversals, newest first (table: the last 50 unless\n"
	"        --limit says otherwise; jsonl and csv: all)\n")},
    {"history",
     N_("  wxrev history init --history postgresql://OWNER@HOST/DB\n"
	"        create or migrate the schema of a desk history (PostgreSQL)\n"
	"  wxrev history import FILE.db --history postgresql://ROLE@HOST/DB\n"
	"        copy a history file into the desk history (once; again is\n"
	"        harmless)\n")},
    {"profiles",
     N_("  wxrev profiles [--check]\n"
	"        list partners and sub-merchants; --check reports every "
	"problem\n")},
    {NULL,
     N_("\n"
	"Common options:\n"
	"  --profiles DIR|FILE  partner profiles (else $WXREV_PROFILES, else\n"
	"                       $XDG_CONFIG_HOME/wxrev/profiles)\n"
	"  --history FILE|URI   history database, or a desk history on\n"
	"                       PostgreSQL (postgresql://ROLE@HOST/DB; the\n"
	"                       password goes in ~/.pgpass, never the URI)\n"
	"                       (else $WXREV_HISTORY, else history: in\n"
	"                       $XDG_CONFIG_HOME/wxrev/config.yaml, else\n"
	"                       $XDG_DATA_HOME/wxrev/history.db)\n"
	"  -h, --help           this help\n"
	"  -V, --version        the version\n")},
    {"reverse",
     N_("\n"
	"Environment: WXREV_OPERATOR names the operator in the history (else the\n"
	"login name); WXREV_KEY_PASSPHRASE unlocks an encrypted private key;\n"
	"WXREV_BACKOFF_MS sets the first retry back-off in ms (for testing).\n")},
    {"reverse",
     N_("\n"
	"Exit status: 0 all reversed; 1 some rejected or failed, none unknown;\n"
	"2 usage or profile error, nothing sent; 3 some outcome unknown.\n")},
};

/* Each command's own options, for `wxrev CMD --help`. */
static const struct usage_entry command_options[] = {
    {"reverse",
     N_("\n"
	"Options:\n"
	"  --sub SUB            the sub-merchant: its sub_mchid, or its name in\n"
	"                       any case (several matches are listed, exit 2)\n"
	"  --partner P          the partner (name or sp_mchid), when the name\n"
	"                       is not unique across partners\n"
	"  --note TEXT          a ticket number or reason, kept in the history\n"
	"  --yes, -y            no confirmation (needed without a terminal)\n"
	"  --json               one JSON object per order per line\n"
	"  --no-settle          leave unknown outcomes to wxrev settle\n"
	"  --from FILE|-        the orders of a list (one a line, or CSV)\n"
	"  --rate N             a list's orders sent per second\n"
	"  --resend-unknown     resend a list's orders whose outcome is "
	"unknown\n"
	"  --send-anyway        send a list's orders the order query says\n"
	"                       have nothing to reverse (skipped otherwise)\n")},
    {"query", N_("\n"
		 "Options:\n"
		 "  --sub SUB            the sub-merchant: its sub_mchid, or its "
		 "name in\n"
		 "                       any case\n"
		 "  --partner P          the partner (name or sp_mchid)\n"
		 "  --json               one JSON object per order per line\n")},
    {"settle", N_("\n"
		  "Options:\n"
		  "  --all                every open unknown reversal\n"
		  "  --id N               the reversal with history number N "
		  "(repeatable)\n"
		  "  --json               one JSON object per reversal per "
		  "line\n")},
    {"history",
     N_("\n"
	"Options:\n"
	"  --order NO           order numbers containing NO\n"
	"  --sub SUB            one sub-merchant (sub_mchid, or name in any "
	"case)\n"
	"  --outcome O          pending, reversed, rejected, failed or unknown\n"
	"  --code CODE          WeChat Pay's error code\n"
	"  --operator NAME      one operator's reversals\n"
	"  --text TEXT          TEXT anywhere: order, sub-merchant, note, "
	"message\n"
	"  --since TIME         from TIME: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] "
	"or\n"
	"                       @SECONDS\n"
	"  --until TIME         until TIME (the same forms)\n"
	"  --limit N            at most N rows\n"
	"  --format F           table (for people), jsonl or csv (for tools)\n"
	"  --queries            the order queries kept (the confirmation's, "
	"F5's,\n"
	"                       wxrev query's) instead of the reversals; with\n"
	"                       --order, --sub, --limit and --format\n")},
    {"profiles", N_("\n"
		    "Options:\n"
		    "  --check              validate every file and print every\n"
		    "                       problem as file:line:column: "
		    "message\n")},
};

/* Whether `cmd` has a usage of its own. */
static bool usage_known(const char *cmd)
{
	for (size_t i = 0; i < WX_ARRAY_LEN(usage_text); i++)
		if (usage_text[i].cmd && strcmp(usage_text[i].cmd, cmd) == 0)
			return true;
	return false;
}

/* Every command's usage (cmd NULL or unknown), or one command's. */
static void print_usage(const char *cmd)
{
	if (cmd && !usage_known(cmd))
		cmd = NULL;
	for (size_t i = 0; i < WX_ARRAY_LEN(usage_text); i++) {
		const struct usage_entry *e = &usage_text[i];

		if (cmd && e->cmd && strcmp(e->cmd, cmd) != 0)
			continue;
		if (cmd && !e->cmd && i > 0 && usage_text[i - 1].cmd) {
			for (size_t j = 0; j < WX_ARRAY_LEN(command_options);
			     j++)
				if (strcmp(command_options[j].cmd, cmd) == 0)
					fputs(_(command_options[j].text),
					      stdout);
		}
		fputs(_(e->text), stdout);
	}
}

void cli_print_usage(const char *cmd)
{
	print_usage(cmd);
}

bool cli_help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

/* ---- small helpers ------------------------------------------------------ */

static void usage_error(const char *fmt, ...) WX_PRINTF(1, 2);

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("wxrev: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(_(" (see wxrev --help)\n"), stderr);
}

static void print_version(void)
{
	printf("wxrev %s\n", WXREV_VERSION);
}

char *cli_sanitize(const char *s)
{
	return wx_text_escape(s, NULL);
}

/* Prints network text safely: never raw to the terminal. */
static void put_safe(FILE *f, const char *s)
{
	char *clean = cli_sanitize(s);

	fputs(clean, f);
	free(clean);
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* "2024-05-01", "2024-05-01 14:02", "2024-05-01T14:02:03" (local time), or
 * seconds since the epoch with an "@" in front. */
static int parse_time_ms(const char *s, int64_t *out)
{
	static const char *const fmts[] = {
	    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
	    "%Y-%m-%d %H:%M",	 "%Y-%m-%d",
	};
	int secs;

	if (s[0] == '@' && parse_int(s + 1, 0, INT_MAX, &secs) == 0) {
		*out = (int64_t)secs * 1000;
		return 0;
	}
	for (size_t i = 0; i < WX_ARRAY_LEN(fmts); i++) {
		struct tm tm = {0};
		const char *end = strptime(s, fmts[i], &tm);
		time_t t;

		if (!end || *end != '\0')
			continue;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
		*out = (int64_t)t * 1000;
		return 0;
	}
	return -1;
}

static const char *operator_name(void)
{
	const char *op = getenv("WXREV_OPERATOR");
	const struct passwd *pw;

	if (op && *op)
		return op;
	pw = getpwuid(getuid());
	if (pw && pw->pw_name && *pw->pw_name)
		return pw->pw_name;
	op = getenv("USER");
	return op && *op ? op : "unknown";
}

static int load_profiles(const struct cli_common *c, struct wx_profiles **out)
{
	char path[PATH_BUF];
	struct wx_err err = {{0}};
	struct wx_diags d = {0};
	int rc;

	if (profile_locate(c->profiles, path, sizeof(path), &err) != 0) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		return -1;
	}
	rc = profile_load(path, out, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
	if (rc != 0 && d.n == 0)
		fprintf(stderr, _("wxrev: cannot load the profiles in %s\n"),
			path);
	wx_diags_free(&d);
	return rc == 0 ? 0 : -1;
}

static int open_history(const struct cli_common *c, struct history **out)
{
	char path[PATH_BUF];
	struct wx_err err = {{0}};

	if (history_locate(c->history, path, sizeof(path), &err) != 0 ||
	    history_open(path, out, &err) != 0) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Handles the options every command shares; 1 when it was one of them. */
static int common_option(int ch, struct cli_common *c, int *exit_now)
{
	switch (ch) {
	case OPT_PROFILES:
		c->profiles = optarg;
		return 1;
	case OPT_HISTORY:
		c->history = optarg;
		return 1;
	case 'h':
		print_usage(c->command);
		*exit_now = CLI_EXIT_OK;
		return 1;
	case 'V':
		print_version();
		*exit_now = CLI_EXIT_OK;
		return 1;
	default:
		return 0;
	}
}

/* ---- wxrev reverse ------------------------------------------------------ */

/* What `wxrev reverse` was asked to do. */
struct reverse_args {
	const char *sub;     /* --sub, required */
	const char *partner; /* --partner, NULL: any */
	const char *note;    /* --note, NULL: none */
	bool yes;	     /* --yes: no confirmation */
	bool json;	     /* --json: one object per order per line */
	bool no_settle;	     /* --no-settle: leave unknowns to a later settle */
	char **orders;	     /* checked and trimmed order numbers */
	size_t norders;
	char **before;	     /* trade_state each order's query read, or NULL */
	size_t *dup_of;	     /* per order: index of its first listing */
};

static void reverse_args_free(struct reverse_args *a)
{
	for (size_t i = 0; i < a->norders; i++) {
		free(a->orders[i]);
		if (a->before)
			free(a->before[i]);
	}
	free(a->orders);
	free(a->before);
	free(a->dup_of);
}

/* The note's rule, before anything is sent. */
static bool note_refused(const char *note)
{
	struct wx_err err = {{0}};

	if (wx_note_check(note, &err) == 0)
		return false;
	fprintf(stderr, _("wxrev: --note: %s; nothing was sent.\n"), err.msg);
	return true;
}

static int parse_reverse(int argc, char **argv, struct cli_common *c,
			 struct reverse_args *a, int *exit_now)
{
	static const struct option opts[] = {
	    COMMON_LONG_OPTIONS,
	    {"sub", required_argument, NULL, OPT_SUB},
	    {"partner", required_argument, NULL, OPT_PARTNER},
	    {"note", required_argument, NULL, OPT_NOTE},
	    {"yes", no_argument, NULL, OPT_YES},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"no-settle", no_argument, NULL, OPT_NO_SETTLE},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "hVy", opts, NULL)) != -1) {
		if (common_option(ch, c, exit_now)) {
			if (*exit_now >= 0)
				return 0;
			continue;
		}
		switch (ch) {
		case OPT_SUB:
			a->sub = optarg;
			break;
		case OPT_PARTNER:
			a->partner = optarg;
			break;
		case OPT_NOTE:
			a->note = optarg;
			break;
		case 'y':
		case OPT_YES:
			a->yes = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_NO_SETTLE:
			a->no_settle = true;
			break;
		default:
			usage_error(_("reverse: unknown option"));
			return -1;
		}
	}
	if (!a->sub) {
		usage_error(_("reverse: --sub SUB is required: name the "
			      "sub-merchant by its name or sub_mchid"));
		return -1;
	}
	if (optind >= argc) {
		usage_error(_("reverse: give at least one order number"));
		return -1;
	}
	if (a->note && note_refused(a->note))
		return -1;
	return optind;
}

/* dup[i] = the first index holding the same order, or i itself. */
static size_t *find_duplicates(char **orders, size_t n)
{
	size_t *dup = wx_xcalloc(n ? n : 1, sizeof(*dup));

	for (size_t i = 0; i < n; i++) {
		dup[i] = i;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(orders[k], orders[i]) == 0) {
				dup[i] = k;
				break;
			}
		}
	}
	return dup;
}

/* Every order must be valid before anything is sent. */
static int check_orders(int argc, char **argv, int first,
			struct reverse_args *a)
{
	int bad = 0;

	a->orders = wx_xcalloc((size_t)(argc - first), sizeof(*a->orders));
	for (int i = first; i < argc; i++) {
		char buf[APIV3_ORDER_MAX + 1];
		struct wx_err err = {{0}};

		if (apiv3_order_check(argv[i], buf, sizeof(buf), &err) != 0) {
			fputs(_("wxrev: order \""), stderr);
			put_safe(stderr, argv[i]);
			fputs("\": ", stderr);
			put_safe(stderr, err.msg);
			fputc('\n', stderr);
			bad++;
			continue;
		}
		a->orders[a->norders++] = wx_xstrdup(buf);
	}
	if (!bad)
		a->dup_of = find_duplicates(a->orders, a->norders);
	if (bad)
		fprintf(stderr,
			_("wxrev: %d order number(s) are not valid: "
			  "fix them; nothing was sent.\n"),
			bad);
	return bad ? -1 : 0;
}

static bool url_is_plain_http(const char *url, char *host, size_t n)
{
	char scheme[16];

	if (!url || http_url_split(url, scheme, sizeof(scheme), host, n) != 0)
		return false;
	return wx_strcaseeq(scheme, "http");
}

static void warn_plain_http(const struct wx_partner *p)
{
	char host[256];

	if (url_is_plain_http(p->base_url, host, sizeof(host)) ||
	    url_is_plain_http(p->backup_url, host, sizeof(host)))
		fprintf(stderr,
			_("wxrev: warning: %s uses plain HTTP (loopback only); "
			  "this is a test endpoint, not WeChat Pay.\n"),
			host);
}

/* What the history knows about the order, under every sub-merchant. */
static void print_known(struct history *h, const struct wx_sub *s,
			const char *order)
{
	struct history_known k;
	struct wx_err err = {{0}};

	fputs(_("  History:     "), stdout);
	if (history_known(h, order, s->partner->sp_mchid, s->sub_mchid, &k,
			  &err) != 0) {
		put_safe(stdout, err.msg);
		fputc('\n', stdout);
		return;
	}
	if (k.n == 0)
		fputs(_("nothing yet for this order under any sub-merchant"),
		      stdout);
	for (int i = 0; i < k.n; i++) {
		/* TRANSLATORS: as wide as "  History:     ". */
		fputs(i ? _("\n               ") : "", stdout);
		put_safe(stdout, k.line[i]);
	}
	if (k.total > k.n) {
		fputs(_("\n               "), stdout);
		printf(_("and %d more"), k.total - k.n);
	}
	fputc('\n', stdout);
}

/* Asks on the terminal; only an explicit y/yes sends, and when the order
 * query says an order has nothing to reverse (REVOKED, CLOSED, REFUND, no
 * such order), only the words "send anyway": y is what a hurried operator
 * types, as the UI's F8 is not. */
static bool confirm(struct history *h, const struct wx_sub *s,
		    struct reverse_args *a)
{
	char host[300], backup[400], line[64];
	size_t nothing = 0;

	profile_host_label(s->partner->base_url, host, sizeof(host));
	profile_backup_label(s->partner, backup, sizeof(backup));
	printf(_("Partner:       %s (%s)\n"), s->partner->name,
	       s->partner->sp_mchid);
	printf(_("Sub-merchant:  %s (%s)\n"), s->name, s->sub_mchid);
	a->before = wx_xcalloc(a->norders, sizeof(*a->before));
	for (size_t i = 0; i < a->norders; i++) {
		char *words = NULL;

		printf(_("Order:         %s\n"), a->orders[i]);
		fflush(stdout);
		/* What WeChat Pay says now; a failed query never blocks. */
		a->before[i] = cli_query_state(h, s, a->orders[i], &words);
		fputs(_("  State:       "), stdout);
		put_safe(stdout, words);
		fputc('\n', stdout);
		free(words);
		print_known(h, s, a->orders[i]);
		nothing += apiv3_trade_state_info(
				apiv3_trade_state_parse(a->before[i]))
			       ->nothing_to_reverse;
	}
	if (a->note) {
		fputs(_("Note:          "), stdout);
		put_safe(stdout, a->note);
		fputc('\n', stdout);
	}
	printf(_("Endpoint:      %s\n"), host);
	printf(_("Backup:        %s\n"), backup);
	printf(_("A paid order will be refunded to the payer.\n"));
	if (nothing)
		printf(_("WeChat Pay says %zu of these orders have nothing to "
			 "reverse, so y does not send.\nType \"send anyway\" "
			 "to send all %zu anyway; anything else cancels: "),
		       nothing, a->norders);
	else
		printf(_("Reverse %zu order(s)? [y/N] "), a->norders);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	if (nothing)
		return wx_strcaseeq(line, "send anyway");
	return wx_strcaseeq(line, "y") || wx_strcaseeq(line, "yes");
}

/* ---- signals while reversing: never lose the record ---- */

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGINT ? SIGNAL_INT : SIGNAL_STOP;
	ssize_t n = write(sig_pipe[1], &c, 1);

	(void)n;
	errno = saved;
}

static int signals_catch(void)
{
	struct sigaction sa;

	if (pipe(sig_pipe) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return 0;
}

static void signals_read(struct cli_stop *st)
{
	char c;

	while (read(sig_pipe[0], &c, 1) == 1) {
		st->no_more = true;
		if (c == SIGNAL_STOP) {
			st->abandon = true;
			continue;
		}
		st->interrupts++;
		if (st->interrupts >= 2) {
			st->abandon = true;
		} else {
			fputs(_("\nwxrev: waiting for the answer; press Ctrl-C "
				"again to abandon (the reversal will be "
				"recorded as unknown).\n"),
			      stderr);
		}
	}
}

/* ---- results ---- */

/* Network text as a JSON string; bytes that are not UTF-8 are shown as
 * escapes so a person can still read them. */
static json_t *json_str_or_null(const char *s)
{
	return wx_json_text(s, WX_TEXT_ESCAPE);
}

/* One JSON object a line, with DEL and C1 controls escaped. */
static void put_json_line(FILE *f, const char *s)
{
	struct wx_buf b = {0};

	wx_buf_put_json_safe(&b, s);
	wx_buf_puts(&b, "\n");
	fputs(b.data, f);
	wx_buf_free(&b);
}

static void print_json(const struct reversal_result *r)
{
	cli_put_json(stdout, cli_result_json(r));
}

json_t *cli_result_json(const struct reversal_result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "out_trade_no",
			    json_str_or_null(r->out_trade_no));
	json_object_set_new(o, "sp_mchid", json_str_or_null(r->sp_mchid));
	json_object_set_new(o, "sub_mchid", json_str_or_null(r->sub_mchid));
	json_object_set_new(o, "outcome",
			    json_string(wx_outcome_name(r->outcome)));
	json_object_set_new(o, "http_status",
			    r->http_status ? json_integer(r->http_status)
					   : json_null());
	json_object_set_new(o, "code", json_str_or_null(r->code));
	json_object_set_new(o, "message", json_str_or_null(r->message));
	json_object_set_new(o, "request_id", json_str_or_null(r->request_id));
	json_object_set_new(o, "verified", json_boolean(r->verified));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "latency_ms", json_integer(r->latency_ms));
	json_object_set_new(o, "history_id", json_integer(r->history_id));
	json_object_set_new(o, "trade_state_before",
			    json_str_or_null(r->trade_state_before));
	json_object_set_new(o, "trade_state_after",
			    json_str_or_null(r->trade_state_after));
	json_object_set_new(o, "settled_by", json_str_or_null(r->settled_by));
	/* Named as the history's JSON lines name them. */
	json_object_set_new(o, "note", json_str_or_null(r->note));
	json_object_set_new(o, "operator", json_str_or_null(r->op));
	json_object_set_new(o, "endpoint", json_str_or_null(r->endpoint));
	return o;
}

void cli_put_json_buffered(FILE *f, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s)
		put_json_line(f, s);
	free(s);
	json_decref(o);
}

void cli_put_json(FILE *f, json_t *o)
{
	cli_put_json_buffered(f, o);
	fflush(f);
}

static void print_human(const struct reversal_result *r)
{
	printf("%s  %s", r->out_trade_no, wx_outcome_label(r->outcome));
	if (r->code) {
		fputs("  ", stdout);
		put_safe(stdout, r->code);
	}
	if (r->http_status)
		printf(_("  (HTTP %d, %s)"), r->http_status,
		       r->verified ? _("signature verified")
				   : _("signature NOT verified"));
	fputc('\n', stdout);
	if (r->message) {
		fputs(_("  message: "), stdout);
		put_safe(stdout, wx_i18n_stored(r->message));
		fputc('\n', stdout);
	}
	if (r->settled_by && strcmp(r->settled_by, "query") == 0)
		printf(_("  settled by query: trade_state %s\n"),
		       r->trade_state_after ? r->trade_state_after : "?");
	if (r->explain) {
		fputs(_("  meaning: "), stdout);
		put_safe(stdout, r->explain);
		fputc('\n', stdout);
	}
	fputs(_("  next:    "), stdout);
	put_safe(stdout, r->next ? r->next : wx_outcome_advice(r->outcome));
	fputc('\n', stdout);
	fputs("  Request-ID: ", stdout);
	put_safe(stdout, r->request_id ? r->request_id : "-");
	printf(_("  history #%lld  attempts %d  %lld ms\n"),
	       (long long)r->history_id, r->attempts, (long long)r->latency_ms);
	fflush(stdout);
}

/* Tally of outcomes, for the exit status and the summary line. */
struct tally {
	int reversed;		     /* outcome reversed */
	int bad;		     /* rejected or failed, or claimed elsewhere */
	int unknown;		     /* unknown (or still pending) */
	int sent;		     /* orders submitted */
	int by[WX_UNKNOWN + 1];	     /* results by outcome (pending: unknown) */
	int claimed;		     /* held by another wxrev: not sent */
	int duplicates;		     /* listed again: sent once */
	bool unsaved; /* a result is only in the recovery journal */
};

static void drain_results(struct reversal_engine *e, bool json, struct tally *t)
{
	struct reversal_result *r;

	while ((r = reversal_engine_next_done(e)) != NULL) {
		if (json)
			print_json(r);
		else
			print_human(r);
		t->by[r->outcome == WX_PENDING ? WX_UNKNOWN : r->outcome]++;
		if (r->outcome == WX_REVERSED)
			t->reversed++;
		else if (r->outcome == WX_REJECTED || r->outcome == WX_FAILED)
			t->bad++;
		else
			t->unknown++;
		reversal_result_free(r);
	}
}

static int tally_status(const struct tally *t)
{
	if (t->unknown || t->unsaved)
		return CLI_EXIT_UNKNOWN;
	if (t->bad)
		return CLI_EXIT_FAILED;
	return CLI_EXIT_OK;
}

static void engine_options(struct reversal_options *o)
{
	const char *v = getenv("WXREV_BACKOFF_MS");
	int ms;

	reversal_options_default(o);
	if (!v || !*v)
		return;
	if (parse_int(v, 0, 600000, &ms) == 0)
		o->backoff_ms = ms;
	else
		fprintf(stderr,
			_("wxrev: WXREV_BACKOFF_MS=%s is not a number "
			  "of milliseconds (0-600000); using %d.\n"),
			v, o->backoff_ms);
}

#define SAVE_WAIT_DEFAULT_MS 60000 /* how long a result waits for the disk */
#define SAVE_RETRY_MAX_MS    1000

static int save_wait_ms(void)
{
	const char *v = getenv("WXREV_SAVE_WAIT_MS");
	int ms;

	if (v && *v && parse_int(v, 0, 3600000, &ms) == 0)
		return ms;
	return SAVE_WAIT_DEFAULT_MS;
}

/* A result is never reported before it is on disk: retries with back-off,
 * then keeps what is left in the recovery journal. Ctrl-C stops waiting. */
static void save_results(struct history *h, struct cli_stop *st,
			 struct tally *t)
{
	int64_t deadline;
	int pause = 50;
	struct wx_err err = {{0}};

	if (history_flush(h) == 0)
		return;
	deadline = wx_monotonic_ms() + save_wait_ms();
	if (history_is_desk(h))
		fprintf(stderr,
			_("wxrev: desk history %s is offline; waiting up to "
			  "%d s to save the result before reporting it.\n"),
			history_path(h), save_wait_ms() / 1000);
	else
		fprintf(stderr,
			_("wxrev: history %s cannot be written right now "
			  "(locked by another program, or the disk is full); "
			  "waiting up to %d s to save the result before "
			  "reporting it.\n"),
			history_path(h), save_wait_ms() / 1000);
	while (history_flush(h) > 0 && wx_monotonic_ms() < deadline &&
	       !st->abandon) {
		struct pollfd pfd = {.fd = sig_pipe[0], .events = POLLIN};

		if (poll(&pfd, 1, pause) > 0)
			signals_read(st);
		pause = pause * 2 > SAVE_RETRY_MAX_MS ? SAVE_RETRY_MAX_MS
						      : pause * 2;
	}
	if (history_unsaved(h) == 0)
		return;
	t->unsaved = true;
	if (history_journal(h, &err) == 0)
		fprintf(stderr,
			_("wxrev: history %s could not be written; the result "
			  "is kept in the recovery journal %s, which the next "
			  "start of wxrev folds into the history.\n"),
			history_path(h), history_journal_path(h));
	else
		fprintf(stderr,
			_("wxrev: the result could NOT be saved (%s): note the "
			  "result below by hand.\n"),
			err.msg);
}

/* Waits for one reversal, honouring Ctrl-C as documented, and reports it
 * once it is saved. */
static void wait_engine(struct history *h, struct reversal_engine *e,
			struct cli_stop *st, bool json, struct tally *t)
{
	while (reversal_engine_active(e) > 0) {
		bool ready = false;

		reversal_engine_poll(e, sig_pipe[0], POLL_MS, &ready);
		if (ready)
			signals_read(st);
		if (st->abandon)
			reversal_engine_abandon(e);
	}
	save_results(h, st, t);
	drain_results(e, json, t);
}

/* An order that was not sent, in the same shape as a result. */
static json_t *order_json(const struct reversal_params *p, const char *outcome)
{
	struct reversal_result r = {0};
	json_t *o;

	r.out_trade_no = (char *)p->out_trade_no;
	r.sp_mchid = p->partner->sp_mchid;
	r.sub_mchid = p->sub->sub_mchid;
	r.note = (char *)p->note;
	r.op = (char *)p->op;
	r.endpoint = p->partner->base_url;
	o = cli_result_json(&r);
	json_object_set_new(o, "outcome", json_string(outcome));
	return o;
}

/* Claimed by another process or window: nothing sent, who holds it said. */
static void report_claimed(const struct reversal_params *p, const char *msg,
			   bool json)
{
	json_t *o;

	fputs("wxrev: ", stderr);
	put_safe(stderr, msg);
	fputc('\n', stderr);
	if (!json)
		return;
	o = order_json(p, "in_flight");
	json_object_set_new(o, "message", json_str_or_null(msg));
	json_object_set_new(o, "history_id", json_null());
	cli_put_json(stdout, o);
	fflush(stdout);
}

/* The same order listed again: it was sent once, with the first listing. */
static void report_duplicate(const struct reversal_params *p,
			     int64_t first_id, bool json)
{
	json_t *o;

	if (!json) {
		printf(_("%s  duplicate: listed more than once, sent once "
			 "(history #%lld)\n"),
		       p->out_trade_no, (long long)first_id);
		fflush(stdout);
		return;
	}
	o = order_json(p, "duplicate");
	json_object_set_new(o, "history_id", first_id > 0
						 ? json_integer(first_id)
						 : json_null());
	cli_put_json(stdout, o);
	fflush(stdout);
}

/* After several orders, one line on stderr for the person at the
 * terminal ("3 orders: 2 reversed, 1 unknown (exit 3)"); standard output,
 * --json's included, keeps one line per order. */
static void print_tally(const struct tally *t, size_t norders, int rc)
{
	static const enum wx_outcome order[] = {WX_REVERSED, WX_REJECTED,
						WX_FAILED, WX_UNKNOWN};
	int not_sent = (int)norders - t->sent - t->claimed - t->duplicates;
	struct wx_buf b = {0};
	const char *sep = "";

	if (norders < 2)
		return;
	wx_buf_printf(&b, ngettext("wxrev: %zu order: ", "wxrev: %zu orders: ",
				   norders),
		      norders);
	for (size_t i = 0; i < WX_ARRAY_LEN(order); i++) {
		if (!t->by[order[i]])
			continue;
		wx_buf_printf(&b, "%s%d %s", sep, t->by[order[i]],
			      wx_outcome_label(order[i]));
		sep = ", ";
	}
	if (t->claimed) {
		wx_buf_printf(&b, _("%s%d in flight in another wxrev"), sep,
			      t->claimed);
		sep = ", ";
	}
	if (t->duplicates) {
		wx_buf_printf(&b, _("%s%d listed twice"), sep, t->duplicates);
		sep = ", ";
	}
	if (not_sent > 0)
		wx_buf_printf(&b, _("%s%d not sent"), sep, not_sent);
	wx_buf_printf(&b, _(" (exit %d)\n"), rc);
	fputs(b.data, stderr);
	wx_buf_free(&b);
}

/* Sends the orders one after the other on one connection. */
static int run_reversals(struct history *h, const struct wx_sub *s,
			 const struct reverse_args *a)
{
	struct reversal_options o;
	struct reversal_engine *e;
	struct cli_stop st = {0};
	struct tally t = {0};
	struct wx_err err = {{0}};
	int64_t *ids = wx_xcalloc(a->norders ? a->norders : 1, sizeof(*ids));
	size_t done = 0;
	int rc;

	engine_options(&o);
	o.settle = !a->no_settle;
	e = reversal_engine_new(h, &o, &err);
	if (!e) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		free(ids);
		return CLI_EXIT_USAGE;
	}
	for (; done < a->norders && !st.no_more; done++) {
		struct reversal_params p = {
		    .partner = s->partner,
		    .sub = s,
		    .out_trade_no = a->orders[done],
		    .note = a->note,
		    .op = operator_name(),
		    .trade_state_before = a->before ? a->before[done] : NULL,
		};

		if (a->dup_of[done] != done) {
			report_duplicate(&p, ids[a->dup_of[done]], a->json);
			t.duplicates++;
			continue;
		}
		rc = reversal_submit(e, &p, &ids[done], &err);
		if (rc == REVERSAL_CLAIMED) {
			report_claimed(&p, err.msg, a->json);
			t.bad++;
			t.claimed++;
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "wxrev: %s: %s\n", a->orders[done],
				err.msg);
			t.bad += t.sent > 0;
			break;
		}
		t.sent++;
		wait_engine(h, e, &st, a->json, &t);
	}
	if (done < a->norders && t.sent > 0)
		fprintf(stderr,
			_("wxrev: %zu of %zu order(s) were not sent.\n"),
			a->norders - done, a->norders);
	reversal_engine_free(e);
	/* Whatever the engine finished while stopping is saved too. */
	save_results(h, &st, &t);
	free(ids);
	rc = t.sent == 0 ? CLI_EXIT_USAGE : tally_status(&t);
	print_tally(&t, a->norders, rc);
	return rc;
}

static int cmd_reverse(int argc, char **argv, struct cli_common *c)
{
	struct reverse_args a = {0};
	struct wx_profiles *profiles = NULL;
	struct history *h = NULL;
	const struct wx_sub *s;
	struct wx_err err = {{0}};
	int exit_now = -1, first, rc = CLI_EXIT_USAGE;

	if (cli_help_asked(argc, argv)) { /* before any other option */
		print_usage("reverse");
		return CLI_EXIT_OK;
	}
	if (cli_batch_wanted(argc, argv))
		return cli_batch_reverse(argc, argv, c);
	first = parse_reverse(argc, argv, c, &a, &exit_now);
	if (exit_now >= 0)
		return exit_now;
	if (first < 0 || check_orders(argc, argv, first, &a) != 0)
		goto out;
	if (load_profiles(c, &profiles) != 0)
		goto out;
	s = profile_find_sub(profiles, a.partner, a.sub, &err);
	if (!s) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		goto out;
	}
	warn_plain_http(s->partner);
	if (!a.yes && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
		fputs(_("wxrev: not on a terminal, so there is no one to "
			"confirm: "
			"add --yes to reverse without asking; nothing was "
			"sent.\n"),
		      stderr);
		goto out;
	}
	if (open_history(c, &h) != 0) {
		fputs(_("wxrev: nothing was sent.\n"), stderr);
		goto out;
	}
	if (!a.yes && !confirm(h, s, &a)) {
		fputs(_("wxrev: cancelled, nothing sent.\n"), stderr);
		goto out;
	}
	if (signals_catch() != 0) {
		fprintf(stderr,
			_("wxrev: cannot set up signal handling (%s); "
			  "nothing was sent.\n"),
			strerror(errno));
		goto out;
	}
	rc = run_reversals(h, s, &a);
out:
	history_close(h);
	profile_free(profiles);
	reverse_args_free(&a);
	return rc;
}

/* ---- wxrev history ------------------------------------------------------ */

static int parse_format(const char *s, enum history_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = HISTORY_TABLE;
	else if (strcmp(s, "jsonl") == 0 || strcmp(s, "json") == 0)
		*f = HISTORY_JSONL;
	else if (strcmp(s, "csv") == 0)
		*f = HISTORY_CSV;
	else
		return -1;
	return 0;
}

/* One history option into the filter; -1 on a bad value. */
static int history_option(int ch, struct history_filter *f, int *limit,
			  enum history_format *fmt)
{
	enum wx_outcome o;

	switch (ch) {
	case OPT_ORDER:
		f->order = optarg;
		return 0;
	case OPT_SUB:
		f->sub = optarg;
		return 0;
	case OPT_CODE:
		f->code = optarg;
		return 0;
	case OPT_OPERATOR:
		f->op = optarg;
		return 0;
	case OPT_TEXT:
		f->text = optarg;
		return 0;
	case OPT_OUTCOME:
		if (wx_outcome_parse(optarg, &o) != 0) {
			usage_error(_("history: --outcome must be pending, "
				      "reversed, rejected, failed or unknown, "
				      "not \"%s\""),
				    optarg);
			return -1;
		}
		f->outcome = (int)o;
		return 0;
	case OPT_SINCE:
	case OPT_UNTIL:
		if (parse_time_ms(optarg, ch == OPT_SINCE
					      ? &f->since_ms
					      : &f->until_ms) != 0) {
			usage_error(_("history: \"%s\" is not a time: use "
				      "YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or "
				      "@SECONDS"),
				    optarg);
			return -1;
		}
		return 0;
	case OPT_LIMIT:
		if (parse_int(optarg, 1, INT_MAX, limit) != 0) {
			usage_error(_("history: --limit must be a positive "
				      "number, not \"%s\""),
				    optarg);
			return -1;
		}
		return 0;
	case OPT_FORMAT:
		if (parse_format(optarg, fmt) != 0) {
			usage_error(_("history: --format must be table, jsonl "
				      "or csv, not \"%s\""),
				    optarg);
			return -1;
		}
		return 0;
	default:
		usage_error(_("history: unknown option"));
		return -1;
	}
}

/* --sub for the history, by the rule every command uses: when the profiles
 * name exactly one sub-merchant, the history is filtered by its sub_mchid;
 * several candidates are a usage error (-1, listed on stderr). A name the
 * profiles do not know (a sub-merchant since removed, or no profiles at
 * all) is looked up in the history as it was typed. *mchid is owned. */
static int history_sub(const struct cli_common *c, struct history_filter *f,
		       char **mchid)
{
	char path[PATH_BUF];
	struct wx_err err = {{0}};
	struct wx_diags d = {0};
	struct wx_profiles *p = NULL;
	const struct wx_sub *s;
	bool ambiguous = false;
	int rc = 0;

	if (!f->sub || !*f->sub ||
	    profile_locate(c->profiles, path, sizeof(path), &err) != 0)
		return 0;
	if (profile_load(path, &p, &d) == 0) {
		s = profile_match_sub(p, NULL, f->sub, &ambiguous, &err);
		if (s) {
			*mchid = wx_xstrdup(s->sub_mchid);
			f->sub = *mchid;
		} else if (ambiguous) {
			usage_error(_("history: --sub: %s"), err.msg);
			rc = -1;
		}
	}
	wx_diags_free(&d);
	profile_free(p);
	return rc;
}

/* 1 when a row matches; 0 when none does, said on stderr naming the
 * filters (the table is then not printed: an empty table says nothing);
 * -1 with err on a failure. */
static int history_any(struct history *h, const struct history_filter *f,
		       enum history_format fmt, const char *filters,
		       struct wx_err *err)
{
	struct history_reversal *rows = NULL;
	size_t n = 0;

	if (history_list(h, f, 0, 1, &rows, &n, err) != 0)
		return -1;
	history_rows_free(rows, n);
	if (n)
		return 1;
	if (filters)
		fprintf(stderr, _("wxrev: nothing matched%s in the history.\n"),
			filters);
	else
		fputs(_("wxrev: nothing matched: the history has no reversals "
			"yet.\n"),
		      stderr);
	if (fmt != HISTORY_TABLE) /* tools still get their empty export */
		return 1;
	return 0;
}

/* Reads a subcommand that takes only the common options. Returns 0 to go
 * on (optind at the first argument), or 1 with *exit_now set: --help or
 * --version answered (0), or `unknown` said as a usage error (2). */
static int common_options_only(int argc, char **argv, struct cli_common *c,
			       const char *unknown, int *exit_now)
{
	static const struct option opts[] = {
	    COMMON_LONG_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (common_option(ch, c, exit_now)) {
			if (*exit_now >= 0)
				return 1;
			continue;
		}
		usage_error("%s", unknown);
		*exit_now = CLI_EXIT_USAGE;
		return 1;
	}
	return 0;
}

/* wxrev history init: creates or migrates the desk history's schema. */
static int cmd_history_init(int argc, char **argv, struct cli_common *c)
{
	char where[PATH_BUF];
	struct wx_err err = {{0}};
	int exit_now = -1, from, to;

	if (common_options_only(argc, argv, c,
				_("history init: unknown option"),
				&exit_now) != 0)
		return exit_now;
	if (optind < argc) {
		usage_error(_("history init: unexpected argument \"%s\""),
			    argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (history_locate(c->history, where, sizeof(where), &err) != 0) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	if (!history_pg_is_uri(where)) {
		usage_error(_("history init prepares a desk history: pass "
			      "--history postgresql://OWNER@HOST/DATABASE (a "
			      "history file needs no init)"));
		return CLI_EXIT_USAGE;
	}
	if (history_pg_init(where, &from, &to, &err) != 0) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	if (from == to)
		printf(_("desk history: schema version %d, nothing to do\n"),
		       to);
	else
		printf(_("desk history: schema version %d -> %d\n"), from, to);
	return CLI_EXIT_OK;
}

/* wxrev history import FILE.db: a personal history into the desk's. */
static int cmd_history_import(int argc, char **argv, struct cli_common *c)
{
	struct history *dst = NULL, *src = NULL;
	struct history_import_stats st;
	struct wx_err err = {{0}};
	int exit_now = -1, rc = CLI_EXIT_USAGE;

	if (common_options_only(argc, argv, c,
				_("history import: unknown option"),
				&exit_now) != 0)
		return exit_now;
	if (optind + 1 != argc || history_pg_is_uri(argv[optind])) {
		usage_error(_("history import needs one history file: wxrev "
			      "history import FILE.db --history "
			      "postgresql://ROLE@HOST/DB"));
		return CLI_EXIT_USAGE;
	}
	if (access(argv[optind], R_OK) != 0) {
		fprintf(stderr, _("wxrev: cannot read history file %s (%s): "
				  "check the path\n"),
			argv[optind], strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (open_history(c, &dst) != 0)
		return CLI_EXIT_USAGE;
	if (history_open(argv[optind], &src, &err) != 0 ||
	    history_import(dst, src, &st, &err) != 0) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		goto out;
	}
	printf(_("imported %lld reversals from %s into %s (%lld were there "
		 "already)\n"),
	       (long long)st.added, argv[optind], history_path(dst),
	       (long long)st.already);
	printf(_("imported %lld order queries (%lld were there already)\n"),
	       (long long)st.queries_added, (long long)st.queries_already);
	if (st.pending)
		printf(_("left %lld pending reversals in %s: settle them "
			 "there, then import again\n"),
		       (long long)st.pending, argv[optind]);
	rc = CLI_EXIT_OK;
out:
	history_close(src);
	history_close(dst);
	return rc;
}

/* history --queries: the kept order queries; 0 (none matched is said on
 * stderr, as for reversals) or -1 on a failure. */
static int history_queries(struct history *h, const struct history_filter *f,
			   int limit, enum history_format fmt,
			   const char *filters, struct wx_err *err)
{
	struct history_query *rows = NULL;
	size_t n = 0;

	if (history_query_list(h, f->sub, f->order, false, 0, 1, &rows, &n,
			       err) != 0)
		return -1;
	history_queries_free(rows, n);
	if (n == 0 && filters)
		fprintf(stderr, _("wxrev: nothing matched%s in the history.\n"),
			filters);
	else if (n == 0)
		fputs(_("wxrev: nothing matched: the history has kept no order "
			"queries yet.\n"),
		      stderr);
	if (n == 0 && fmt == HISTORY_TABLE) /* tools get their empty export */
		return 0;
	return history_export_queries(h, f->sub, f->order, limit, fmt, stdout,
				      err);
}

static int cmd_history(int argc, char **argv, struct cli_common *c)
{
	static const struct option opts[] = {
	    COMMON_LONG_OPTIONS,
	    {"order", required_argument, NULL, OPT_ORDER},
	    {"sub", required_argument, NULL, OPT_SUB},
	    {"outcome", required_argument, NULL, OPT_OUTCOME},
	    {"code", required_argument, NULL, OPT_CODE},
	    {"operator", required_argument, NULL, OPT_OPERATOR},
	    {"text", required_argument, NULL, OPT_TEXT},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"limit", required_argument, NULL, OPT_LIMIT},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"queries", no_argument, NULL, OPT_QUERIES},
	    {NULL, 0, NULL, 0},
	};
	struct history_filter f = HISTORY_FILTER_ANY;
	enum history_format fmt = HISTORY_TABLE;
	int limit = -1, ch, idx = 0, exit_now = -1;
	bool queries = false, reversal_only = false;
	struct history *h = NULL;
	struct wx_err err = {{0}};
	struct wx_buf filters = {0};
	char *sub_mchid = NULL;
	int rc = CLI_EXIT_USAGE;

	if (argc > 1 && strcmp(argv[1], "init") == 0)
		return cmd_history_init(argc - 1, argv + 1, c);
	if (argc > 1 && strcmp(argv[1], "import") == 0)
		return cmd_history_import(argc - 1, argv + 1, c);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hV", opts, &idx)) != -1) {
		if (common_option(ch, c, &exit_now)) {
			if (exit_now >= 0)
				goto out;
			continue;
		}
		if (ch == OPT_QUERIES) {
			queries = true;
			continue;
		}
		if (history_option(ch, &f, &limit, &fmt) != 0)
			goto out;
		if (ch != OPT_LIMIT && ch != OPT_FORMAT && ch != OPT_ORDER &&
		    ch != OPT_SUB)
			reversal_only = true;
		if (ch != OPT_LIMIT && ch != OPT_FORMAT)
			wx_buf_printf(&filters, " --%s \"%s\"", opts[idx].name,
				      optarg);
	}
	if (optind < argc) {
		usage_error(_("history: unexpected argument \"%s\""),
			    argv[optind]);
		goto out;
	}
	if (queries && reversal_only) {
		usage_error(_("history: --queries takes only --order, --sub, "
			      "--limit and --format"));
		goto out;
	}
	if (limit < 0) /* a screenful for people, everything for exports */
		limit = fmt == HISTORY_TABLE ? HISTORY_DEFAULT_LIMIT : 0;
	if (history_sub(c, &f, &sub_mchid) != 0 || open_history(c, &h) != 0)
		goto out;
	if (queries) {
		rc = history_queries(h, &f, limit, fmt, filters.data, &err);
		goto done;
	}
	rc = history_any(h, &f, fmt, filters.data, &err);
	if (rc == 1 &&
	    history_export(h, &f, limit, fmt, stdout, &err) == 0)
		rc = 0;
done:
	if (rc != 0 && err.msg[0])
		fprintf(stderr, "wxrev: %s\n", err.msg);
	rc = rc == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	history_close(h);
out:
	if (exit_now >= 0)
		rc = exit_now;
	free(sub_mchid);
	wx_buf_free(&filters);
	return rc;
}

/* ---- wxrev profiles ----------------------------------------------------- */

/* Columns a name takes once made safe for the terminal. */
static int display_width(const char *s)
{
	char *clean = cli_sanitize(s);
	int w = wx_text_width(clean);

	free(clean);
	return w;
}

static void put_padded(const char *s, int width)
{
	char *clean = cli_sanitize(s);
	int pad = width - wx_text_width(clean);

	fputs(clean, stdout);
	for (int i = 0; i < pad; i++)
		fputc(' ', stdout);
	free(clean);
}

static int name_column(const struct wx_profiles *p)
{
	int w = 8;

	for (size_t i = 0; i < p->npartners; i++) {
		const struct wx_partner *pa = &p->partners[i];
		int pw = display_width(pa->name);

		w = pw > w ? pw : w;
		for (size_t k = 0; k < pa->nsubs; k++) {
			int sw = display_width(pa->subs[k].name) + 4;

			w = sw > w ? sw : w;
		}
	}
	return w > 60 ? 60 : w;
}

static void list_profiles(const struct wx_profiles *p)
{
	int w = name_column(p);

	for (size_t i = 0; i < p->npartners; i++) {
		const struct wx_partner *pa = &p->partners[i];

		put_padded(pa->name, w);
		printf("  %-12s  %s\n", pa->sp_mchid, pa->file);
		for (size_t k = 0; k < pa->nsubs; k++) {
			fputs("    ", stdout);
			put_padded(pa->subs[k].name, w - 4);
			printf("  %s\n", pa->subs[k].sub_mchid);
		}
	}
}

/* Where each partner's requests go, a retry's backup included. */
static void check_endpoints(const struct wx_profiles *p)
{
	char host[300], backup[400];

	for (size_t i = 0; i < p->npartners; i++) {
		const struct wx_partner *pa = &p->partners[i];

		profile_host_label(pa->base_url, host, sizeof(host));
		profile_backup_label(pa, backup, sizeof(backup));
		fputs("  ", stdout);
		put_safe(stdout, pa->name);
		printf(_(" (%s): endpoint %s; backup %s\n"), pa->sp_mchid, host,
		       backup);
	}
}

static int cmd_profiles(int argc, char **argv, struct cli_common *c)
{
	static const struct option opts[] = {
	    COMMON_LONG_OPTIONS,
	    {"check", no_argument, NULL, OPT_CHECK},
	    {NULL, 0, NULL, 0},
	};
	struct wx_profiles *p = NULL;
	bool check = false;
	int ch, exit_now = -1;
	size_t nsubs = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		if (common_option(ch, c, &exit_now)) {
			if (exit_now >= 0)
				return exit_now;
			continue;
		}
		if (ch != OPT_CHECK) {
			usage_error(_("profiles: unknown option"));
			return CLI_EXIT_USAGE;
		}
		check = true;
	}
	if (optind < argc) {
		usage_error(_("profiles: unexpected argument \"%s\""),
			    argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (load_profiles(c, &p) != 0)
		return CLI_EXIT_USAGE;
	for (size_t i = 0; i < p->npartners; i++)
		nsubs += p->partners[i].nsubs;
	if (check) {
		printf(_("%s: %zu partner(s), %zu sub-merchant(s), no "
			 "problems found.\n"),
		       p->source, p->npartners, nsubs);
		check_endpoints(p);
	} else
		list_profiles(p);
	profile_free(p);
	return CLI_EXIT_OK;
}

/* ---- shared with cli_batch.c (see cli_internal.h) ---------------------- */

void cli_usage_message(const char *msg)
{
	usage_error("%s", msg);
}

int cli_load_profiles(const struct cli_common *c, struct wx_profiles **out)
{
	return load_profiles(c, out);
}

int cli_open_history(const struct cli_common *c, struct history **out)
{
	return open_history(c, out);
}

const char *cli_operator_name(void)
{
	return operator_name();
}

void cli_engine_options(struct reversal_options *o)
{
	engine_options(o);
}

void cli_warn_plain_http(const struct wx_partner *p)
{
	warn_plain_http(p);
}

void cli_put_safe(FILE *f, const char *s)
{
	put_safe(f, s);
}

int cli_signals_catch(void)
{
	return signals_catch();
}

int cli_signal_fd(void)
{
	return sig_pipe[0];
}

void cli_signals_read(struct cli_stop *st)
{
	signals_read(st);
}

/* ---- dispatch ----------------------------------------------------------- */

/* Common options before the command; returns the command's index. */
static int parse_common(int argc, char **argv, struct cli_common *c,
			int *exit_now)
{
	static const struct option opts[] = {
	    COMMON_LONG_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		if (common_option(ch, c, exit_now)) {
			if (*exit_now >= 0)
				return argc;
			continue;
		}
		usage_error(_("unknown option"));
		*exit_now = CLI_EXIT_USAGE;
		return argc;
	}
	return optind;
}

/* Every command's output ends here, in one place: a write or flush to
 * stdout that failed (a full disk, a closed pipe) is never success. The
 * history already holds every result, so the operator can read it there. */
static int stdout_finish(int rc)
{
	bool failed = ferror(stdout) != 0;
	int saved = 0;

	if (fflush(stdout) != 0) {
		failed = true;
		saved = errno;
	}
	if (fclose(stdout) != 0 && !saved) {
		failed = true;
		saved = errno;
	}
	if (!failed)
		return rc;
	fprintf(stderr,
		_("wxrev: cannot write the output (%s): check where standard "
		  "output goes (a full disk, a closed pipe); the history holds "
		  "every result (wxrev history).\n"),
		saved ? strerror(saved) : _("a write failed"));
	return CLI_EXIT_UNKNOWN;
}

static int run_command(int argc, char **argv)
{
	struct cli_common c = {0};
	int exit_now = -1;
	int cmd = parse_common(argc, argv, &c, &exit_now);
	const char *name;

	if (exit_now >= 0)
		return exit_now;
	if (cmd >= argc)
		return tui_run(c.profiles, c.history);
	name = argv[cmd];
	argc -= cmd;
	argv += cmd;
	c.command = name;
	if (strcmp(name, "reverse") == 0)
		return cmd_reverse(argc, argv, &c);
	if (strcmp(name, "history") == 0)
		return cmd_history(argc, argv, &c);
	if (strcmp(name, "profiles") == 0)
		return cmd_profiles(argc, argv, &c);
	if (strcmp(name, "query") == 0)
		return cli_query(argc, argv, &c);
	if (strcmp(name, "settle") == 0)
		return cli_settle(argc, argv, &c);
	if (strcmp(name, "help") == 0) {
		print_usage(argc > 1 ? argv[1] : NULL);
		return CLI_EXIT_OK;
	}
	usage_error(_("unknown command \"%s\": use reverse, query, settle, "
		      "history or profiles"),
		    name);
	return CLI_EXIT_USAGE;
}

int cli_main(int argc, char **argv)
{
	return stdout_finish(run_command(argc, argv));
}
