/* cli_batch: `wxrev reverse --from FILE|-`, a ticket's list of orders.
 *
 * One run is: read and check the whole list (nothing is sent while a line
 * is bad), look each order up in the history (resume: `unknown` ones are
 * settled by the order query first where the partner has it; then
 * `reversed` ones are skipped, `unknown` ones too unless --resend-unknown,
 * `failed` and `rejected` ones are sent again), show the plan, confirm, then send at
 * most --rate per second with a few in flight, each through the same
 * reversal engine as a single order. Ctrl-C stops new sends; what is in
 * flight finishes and is recorded. A summary table ends every run. */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_internal.h"
#include "history.h"
#include "listrun.h"
#include "orderlist.h"
#include "outcome.h"
#include "profile.h"
#include "reversal.h"
#include "utf8.h"
#include "util.h"

enum {
	OPT_B_PROFILES = 1000,
	OPT_B_HISTORY,
	OPT_B_SUB,
	OPT_B_PARTNER,
	OPT_B_FROM,
	OPT_B_RATE,
	OPT_B_YES,
	OPT_B_JSON,
	OPT_B_RESEND_UNKNOWN,
	OPT_B_SEND_ANYWAY,
};

/* What `wxrev reverse --from` was asked to do. */
struct batch_args {
	const char *sub;     /* --sub: default sub-merchant, required */
	const char *partner; /* --partner, NULL: any */
	const char *from;    /* --from FILE or "-" */
	int rate;	     /* --rate: orders a second */
	bool yes;	     /* --yes: no confirmation */
	bool json;	     /* --json: one object per order */
	bool resend_unknown; /* --resend-unknown */
	bool send_anyway;    /* --send-anyway: nothing to reverse, sent */
};

/* The run: the list, what listrun makes of it, and the progress bar. */
struct batch {
	const struct batch_args *a;    /* borrowed */
	struct orderlist list;	       /* owned */
	const struct wx_sub *dflt;     /* the --sub sub-merchant */
	const struct wx_partner *partner; /* everyone's partner */
	const struct wx_profiles *profiles; /* borrowed: to resolve lines */
	struct listrun run;	       /* owned: the orders and the pace */
	bool tty;		       /* stderr is a terminal: progress bar */
	bool bar_shown;		       /* a bar is on the last line */
	int last_tenth;		       /* plain progress: tenths reported */
	int64_t last_draw;	       /* monotonic ms of the last bar */
	int wait;		       /* the pace's next wait (ms) */
};

/* ---- arguments ---- */

bool cli_batch_wanted(int argc, char **argv)
{
	bool from = false;

	if (cli_help_asked(argc, argv))
		return false; /* cli.c answers it, wherever it is */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0)
			return false; /* cli.c answers it */
		if (strcmp(argv[i], "--from") == 0 ||
		    strncmp(argv[i], "--from=", 7) == 0)
			from = true;
	}
	return from;
}

/* Consumes the message. */
static int bad_usage(char *msg)
{
	cli_usage_message(msg);
	free(msg);
	return -1;
}

static int parse_rate(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > LISTRUN_MAX_RATE)
		return -1;
	*out = (int)v;
	return 0;
}

/* One option of ours; -1 on a bad one. */
static int batch_option(int ch, struct cli_common *c, struct batch_args *a)
{
	switch (ch) {
	case OPT_B_PROFILES:
		c->profiles = optarg;
		return 0;
	case OPT_B_HISTORY:
		c->history = optarg;
		return 0;
	case OPT_B_SUB:
		a->sub = optarg;
		return 0;
	case OPT_B_PARTNER:
		a->partner = optarg;
		return 0;
	case OPT_B_FROM:
		a->from = optarg;
		return 0;
	case OPT_B_RATE:
		if (parse_rate(optarg, &a->rate) != 0)
			return bad_usage(wx_xasprintf(
			    _("reverse: --rate must be a number of orders a "
			      "second from 1 to %d, not \"%s\""),
			    LISTRUN_MAX_RATE, optarg));
		return 0;
	case 'y':
	case OPT_B_YES:
		a->yes = true;
		return 0;
	case OPT_B_JSON:
		a->json = true;
		return 0;
	case OPT_B_RESEND_UNKNOWN:
		a->resend_unknown = true;
		return 0;
	case OPT_B_SEND_ANYWAY:
		a->send_anyway = true;
		return 0;
	default:
		cli_usage_message(_("reverse: unknown option"));
		return -1;
	}
}

static int parse_batch(int argc, char **argv, struct cli_common *c,
		       struct batch_args *a)
{
	static const struct option opts[] = {
	    {"profiles", required_argument, NULL, OPT_B_PROFILES},
	    {"history", required_argument, NULL, OPT_B_HISTORY},
	    {"sub", required_argument, NULL, OPT_B_SUB},
	    {"partner", required_argument, NULL, OPT_B_PARTNER},
	    {"from", required_argument, NULL, OPT_B_FROM},
	    {"rate", required_argument, NULL, OPT_B_RATE},
	    {"yes", no_argument, NULL, OPT_B_YES},
	    {"json", no_argument, NULL, OPT_B_JSON},
	    {"resend-unknown", no_argument, NULL, OPT_B_RESEND_UNKNOWN},
	    {"send-anyway", no_argument, NULL, OPT_B_SEND_ANYWAY},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	a->rate = LISTRUN_DEFAULT_RATE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "y", opts, NULL)) != -1) {
		if (batch_option(ch, c, a) != 0)
			return -1;
	}
	if (!a->sub) {
		cli_usage_message(_("reverse: --sub SUB is required: name the "
				    "sub-merchant by its name or sub_mchid"));
		return -1;
	}
	if (optind < argc)
		return bad_usage(wx_xasprintf(
		    _("reverse: \"%s\": give order numbers on the command "
		      "line or in --from FILE, not both"),
		    argv[optind]));
	return 0;
}

/* ---- reading and checking the list ---- */

static void print_msgs(const struct orderlist_msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s\n", m[i].text);
}

/* Reads, checks and resolves the list; 0 when it may be sent. */
static int load_list(struct batch *b)
{
	struct listrun_subs subs = {b->profiles, b->dflt};
	struct wx_err err = {{0}};
	int rc;

	rc = orderlist_read(b->a->from, &b->list, &err);
	if (rc != 0 && err.msg[0]) {
		fprintf(stderr, "wxrev: %s; nothing was sent.\n", err.msg);
		return -1;
	}
	orderlist_resolve(&b->list, listrun_resolve_sub, &subs);
	print_msgs(b->list.repeats, b->list.nrepeats);
	print_msgs(b->list.problems, b->list.nproblems);
	if (b->list.nproblems) {
		fprintf(stderr,
			_("wxrev: %zu bad line(s) in %s: fix them; nothing "
			  "was sent.\n"),
			b->list.nproblems, b->list.name);
		return -1;
	}
	listrun_init(&b->run, &b->list, b->a->rate, b->a->resend_unknown,
		     cli_operator_name());
	b->run.send_anyway = b->a->send_anyway;
	return 0;
}

/* ---- the plan: the history, and the order query where it exists ---- */

#define PLAN_POLL_MS 100

/* Looks every order up; settles the unknown outcomes an earlier run left
 * (a kill, a lost answer) by the order query; and, when a person is about
 * to confirm, reads every order's state for the plan. */
static int make_plan(struct batch *b, struct history *h,
		     struct reversal_engine *e)
{
	struct listrun *r = &b->run;
	struct reversal_result *res;
	struct wx_err err = {{0}};

	if (listrun_look_up(r, h, &err) != 0) {
		fprintf(stderr, "wxrev: %s; nothing was sent.\n", err.msg);
		return -1;
	}
	while (listrun_ask(r, e)) {
		reversal_engine_poll(e, -1, PLAN_POLL_MS, NULL);
		while ((res = reversal_engine_next_done(e)) != NULL) {
			listrun_answer(r, res);
			reversal_result_free(res);
		}
	}
	listrun_plan_done(r);
	if (r->c.asked_settle)
		fprintf(stderr,
			_("wxrev: %d unknown outcome(s) of an earlier run "
			  "asked with the order query first: %d settled.\n"),
			r->c.asked_settle, r->c.settled);
	return 0;
}

/* ---- reporting one order ---- */

static void bar_clear(struct batch *b)
{
	if (b->bar_shown)
		fputs("\r\033[K", stderr);
	b->bar_shown = false;
}

static void json_add_line(json_t *o, const struct listrun_item *it)
{
	json_object_set_new(o, "line", json_integer(it->e->line));
}

/* A skipped order, as the history knows it. */
static void report_skip(struct batch *b, const struct listrun_item *it,
			struct history *h)
{
	struct history_reversal r = {0};
	struct reversal_result res = {0};
	char why[160];
	json_t *o;

	listrun_item_skip_reason(it, why, sizeof(why));
	bar_clear(b); /* a line, text or JSON, never shares the bar's */
	if (!b->a->json) {
		if (it->history_id)
			printf(_("%s  skipped: %s (history #%lld)\n"),
			       it->e->out_trade_no, why,
			       (long long)it->history_id);
		else
			printf(_("%s  skipped: %s\n"), it->e->out_trade_no,
			       why);
		return;
	}
	if (!it->history_id ||
	    history_get(h, it->history_id, &r, NULL, NULL, NULL) != 0)
		r.outcome = it->state == LR_SKIP_REVERSED ? WX_REVERSED
							  : WX_UNKNOWN;
	res.history_id = it->history_id;
	res.out_trade_no = it->e->out_trade_no;
	res.sp_mchid = it->sub->partner->sp_mchid;
	res.sub_mchid = it->sub->sub_mchid;
	res.note = r.note;
	res.op = r.op;
	res.endpoint = r.endpoint;
	res.outcome = r.outcome;
	res.http_status = r.http_status;
	res.code = r.code;
	res.message = r.message;
	res.verified = r.outcome == WX_REVERSED;
	res.attempts = r.attempts;
	res.latency_ms = r.latency_ms;
	res.trade_state_before =
	    it->trade_state != APIV3_TS_NONE
		? (char *)apiv3_trade_state_name(it->trade_state)
		: NULL;
	o = cli_result_json(&res);
	json_add_line(o, it);
	json_object_set_new(o, "skipped", json_string(why));
	/* Not sent for what the query read, whatever the history holds. */
	if (it->state == LR_SKIP_NOTHING) {
		json_object_set_new(o, "outcome",
				    json_string("nothing_to_reverse"));
		if (!it->history_id)
			json_object_set_new(o, "history_id", json_null());
	}
	cli_put_json(stdout, o);
	history_reversal_clear(&r);
}

static void report_result(struct batch *b, const struct listrun_item *it,
			  const struct reversal_result *r)
{
	json_t *o;

	bar_clear(b); /* a line, text or JSON, never shares the bar's */
	if (b->a->json) {
		o = cli_result_json(r);
		json_add_line(o, it);
		cli_put_json_buffered(stdout, o);
		return;
	}
	printf("%s  %s", r->out_trade_no, wx_outcome_name(r->outcome));
	if (r->code) {
		fputs("  ", stdout);
		cli_put_safe(stdout, r->code);
	}
	if (r->http_status)
		printf("  HTTP %d", r->http_status);
	printf(_("  history #%lld"), (long long)r->history_id);
	if (r->outcome != WX_REVERSED && r->message) {
		fputs("  ", stdout);
		cli_put_safe(stdout, r->message);
	}
	fputc('\n', stdout);
}

/* ---- progress ---- */

static void draw_bar(struct batch *b, bool force)
{
	char text[256], bar[21];
	int64_t now = wx_monotonic_ms();
	const struct listrun_counts *c = &b->run.c;
	int fill;

	if (!force && now - b->last_draw < 100)
		return;
	b->last_draw = now;
	fill = c->to_send ? 20 * c->done / c->to_send : 20;
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	listrun_progress(&b->run, text, sizeof(text));
	fprintf(stderr, "\r\033[K[%s] %s", bar, text);
	fflush(stderr);
	b->bar_shown = true;
}

/* Without a terminal: a plain line at every tenth of the list. */
static void plain_progress(struct batch *b)
{
	char text[256];
	const struct listrun_counts *c = &b->run.c;
	int tenth = c->to_send ? 10 * c->done / c->to_send : 10;

	if (tenth <= b->last_tenth)
		return;
	b->last_tenth = tenth;
	listrun_progress(&b->run, text, sizeof(text));
	fprintf(stderr, "wxrev: %s\n", text);
}

static void progress(struct batch *b, bool force)
{
	if (b->tty)
		draw_bar(b, force);
	else
		plain_progress(b);
}

/* ---- the plan and the confirmation ---- */

/* What the order query read, when the plan read it. */
static void print_reading(const struct batch *b)
{
	const struct listrun *r = &b->run;
	struct listrun_reading rd;

	if (!r->want_states || (!r->c.to_send && !r->c.skip_nothing))
		return;
	listrun_reading(r, &rd);
	fprintf(stderr,
		_("States:    %d paid, %d not paid, %d with nothing to "
		  "reverse, %d not read\n"),
		rd.paid, rd.unpaid, rd.nothing, rd.unread);
	if (rd.total[0])
		fprintf(stderr,
			rd.mixed ? _("Total:     %s refunded to the payers "
				     "(and amounts in other currencies)\n")
				 : _("Total:     %s refunded to the payers\n"),
			rd.total);
	for (size_t i = 0; i < r->n; i++) {
		const struct listrun_item *it = &r->items[i];

		if (it->state == LR_TODO && listrun_nothing_to_reverse(it))
			fprintf(stderr,
				_("  %s (%s): the query reads %s, nothing to "
				  "reverse; sent anyway (--send-anyway)\n"),
				it->e->out_trade_no, it->sub->name,
				apiv3_trade_state_name(it->trade_state));
		else if (it->state == LR_SKIP_NOTHING)
			fprintf(stderr,
				_("  %s (%s): the query reads %s, nothing to "
				  "reverse; skipped (--send-anyway sends "
				  "it)\n"),
				it->e->out_trade_no, it->sub->name,
				apiv3_trade_state_name(it->trade_state));
	}
}

static void print_plan(const struct batch *b)
{
	char host[300], backup[400];
	const struct wx_partner *p = b->partner;
	const struct listrun *r = &b->run;
	const struct listrun_counts *c = &r->c;

	profile_host_label(p->base_url, host, sizeof(host));
	profile_backup_label(p, backup, sizeof(backup));
	fprintf(stderr, _("Partner:   %s (%s)\n"), p->name, p->sp_mchid);
	fprintf(stderr, _("Endpoint:  %s\n"), host);
	fprintf(stderr, _("Backup:    %s\n"), backup);
	fprintf(stderr, _("List:      %s: %zu order(s)"), b->list.name, r->n);
	if (b->list.nrepeats)
		fprintf(stderr, _(", %zu repeat(s) sent once"),
			b->list.nrepeats);
	fputc('\n', stderr);
	for (size_t k = 0; k < p->nsubs; k++) {
		int todo = 0, all = 0;

		for (size_t i = 0; i < r->n; i++) {
			if (r->items[i].sub != &p->subs[k])
				continue;
			all++;
			todo += r->items[i].state == LR_TODO;
		}
		if (all)
			fprintf(stderr, _("  %s (%s): %d to send of %d\n"),
				p->subs[k].name, p->subs[k].sub_mchid, todo,
				all);
	}
	print_reading(b);
	if (c->skip_reversed)
		fprintf(stderr, _("Skipped:   %d already reversed\n"),
			c->skip_reversed);
	if (c->skip_unknown)
		fprintf(stderr,
			_("Skipped:   %d with an unknown outcome; "
			  "--resend-unknown sends them again:\n"),
			c->skip_unknown);
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].state == LR_SKIP_UNKNOWN)
			fprintf(stderr, _("  %s (%s), history #%lld\n"),
				r->items[i].e->out_trade_no,
				r->items[i].sub->name,
				(long long)r->items[i].history_id);
	if (c->skip_claimed)
		fprintf(stderr,
			_("Skipped:   %d being reversed by another wxrev\n"),
			c->skip_claimed);
	if (c->skip_nothing)
		fprintf(stderr,
			_("Skipped:   %d with nothing to reverse, as the "
			  "order query says (named above); --send-anyway "
			  "sends them\n"),
			c->skip_nothing);
	if (c->to_send)
		fprintf(stderr,
			_("Sending %d order(s) at up to %d a second (about "
			  "%d s). A paid order is refunded to the payer.\n"),
			c->to_send, b->a->rate,
			(c->to_send + b->a->rate - 1) / b->a->rate);
	else
		fputs(_("Nothing to send.\n"), stderr);
}

static bool ask(const char *prompt, const char *want)
{
	char line[64];

	fputs(prompt, stderr);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	if (want)
		return strcmp(line, want) == 0;
	return wx_strcaseeq(line, "y") || wx_strcaseeq(line, "yes");
}

/* A person will confirm on this terminal (so the plan reads states). */
static bool will_ask(const struct batch *b)
{
	return !b->a->yes && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* 0 when the operator agreed (or --yes), else a message was printed. */
static int confirm_plan(const struct batch *b)
{
	char want[32], *prompt;
	int typed = listrun_typed_count(&b->run);
	bool ok;

	if (b->a->yes || b->run.c.to_send == 0)
		return 0;
	if (!will_ask(b)) {
		fputs(_("wxrev: not on a terminal, so there is no one to "
			"confirm: add --yes to reverse without asking; "
			"nothing was sent.\n"),
		      stderr);
		return -1;
	}
	if (!typed) {
		ok = ask(_("Reverse these orders? [y/N] "), NULL);
	} else {
		snprintf(want, sizeof(want), "%d", typed);
		prompt = wx_xasprintf(_("Type %s to reverse these %s orders "
					"(anything else cancels): "),
				      want, want);
		ok = ask(prompt, want);
		free(prompt);
	}
	if (!ok)
		fputs(_("wxrev: cancelled, nothing sent.\n"), stderr);
	return ok ? 0 : -1;
}

/* ---- sending ---- */

/* listrun's word that an order was refused before sending. */
static void refused(void *ctx, const struct listrun_item *it)
{
	bar_clear(ctx);
	fprintf(stderr, "wxrev: %s: ", it->e->out_trade_no);
	cli_put_safe(stderr, it->why);
	fputc('\n', stderr);
}

static void take_results(struct batch *b, struct reversal_engine *e)
{
	struct reversal_result *r;

	while ((r = reversal_engine_next_done(e)) != NULL) {
		struct listrun_item *it = listrun_take(&b->run, r);

		if (it && it->state == LR_NOT_SENT)
			refused(b, it);
		else if (it)
			report_result(b, it, r);
		reversal_result_free(r);
	}
	/* One write a turn for the lines of its commit. */
	fflush(stdout);
}

/* The next orders, inside the poll's commit of the answers it recorded. */
static void fill(void *ctx, struct reversal_engine *e)
{
	struct batch *b = ctx;

	b->wait = listrun_send_due(&b->run, e, refused, b);
}

static void run_loop(struct batch *b, struct reversal_engine *e)
{
	struct cli_stop st = {0};
	struct listrun *r = &b->run;

	listrun_start(r);
	b->wait = 0; /* the first turn sends at once */
	while (listrun_more(r) || reversal_engine_active(e) > 0) {
		int wait = b->wait;
		bool ready = false;

		/* Each turn: the answers that came and the next pending rows
		 * in one commit, then the results and the sends. */
		b->wait = LISTRUN_POLL_MS;
		reversal_engine_poll_fill(e, cli_signal_fd(), wait, &ready,
					  fill, b);
		if (ready) {
			b->wait = 0; /* the fill was left for this turn */
			bar_clear(b);
			cli_signals_read(&st);
			r->stopped = st.no_more;
		}
		if (st.abandon)
			reversal_engine_abandon(e);
		take_results(b, e);
		listrun_adapt(r, e);
		progress(b, false);
	}
	take_results(b, e);
	progress(b, true);
	bar_clear(b);
}

/* ---- the end ---- */

static void summary_row(FILE *f, const char *what, int n, const char *why)
{
	int w = 22 - wx_text_width(what); /* columns, not bytes: 已撤销 */

	if (!n && !why)
		return; /* only the outcomes are shown when zero */
	fprintf(f, "  %s%*s %6d", what, w > 0 ? w : 0, "", n);
	if (why && *why && n)
		fprintf(f, "  %s", why);
	fputc('\n', f);
}

static void print_summary(const struct batch *b)
{
	FILE *f = b->a->json ? stderr : stdout;
	const struct listrun_counts *c = &b->run.c;
	int unsent = listrun_unsent(&b->run);

	fprintf(f, _("Summary: %zu order(s) in %s\n"), b->run.n,
		b->list.name);
	summary_row(f, wx_outcome_label(WX_REVERSED), c->outcome[WX_REVERSED],
		    "");
	summary_row(f, wx_outcome_label(WX_REJECTED), c->outcome[WX_REJECTED],
		    _("read the code; fix and run again"));
	summary_row(f, wx_outcome_label(WX_FAILED), c->outcome[WX_FAILED],
		    _("run the same command again to retry them"));
	summary_row(f, wx_outcome_label(WX_UNKNOWN), c->outcome[WX_UNKNOWN],
		    _("settle them before sending again"));
	summary_row(f, _("skipped, reversed"), c->skip_reversed, NULL);
	summary_row(f, _("skipped, unknown"), c->skip_unknown, NULL);
	summary_row(f, _("skipped, claimed"), c->skip_claimed, NULL);
	summary_row(f, _("skipped, nothing to do"), c->skip_nothing, NULL);
	summary_row(f, _("not sent"), unsent, NULL);
	if (c->skip_unknown)
		fputs(_("Settle the unknown ones, or run again with "
			"--resend-unknown.\n"),
		      f);
	if (c->skip_claimed)
		fputs(_("Another wxrev is reversing the claimed ones.\n"), f);
	if (c->skip_nothing)
		fputs(_("The order query says there is nothing to reverse in "
			"the ones skipped for it (already reversed or closed, "
			"refunded, or no such order); --send-anyway sends "
			"them.\n"),
		      f);
	if (unsent)
		fputs(_("Run the same command again to resume.\n"), f);
	fflush(f);
}

static int exit_status(const struct batch *b)
{
	const struct listrun_counts *c = &b->run.c;

	if (c->outcome[WX_UNKNOWN] || c->outcome[WX_PENDING] ||
	    c->skip_unknown)
		return CLI_EXIT_UNKNOWN;
	if (c->outcome[WX_REJECTED] || c->outcome[WX_FAILED] ||
	    c->skip_claimed || c->skip_nothing || listrun_unsent(&b->run))
		return CLI_EXIT_FAILED;
	return CLI_EXIT_OK;
}

static void report_skips(struct batch *b, struct history *h)
{
	for (size_t i = 0; i < b->run.n; i++) {
		enum listrun_state s = b->run.items[i].state;

		if (s == LR_SKIP_REVERSED || s == LR_SKIP_UNKNOWN ||
		    s == LR_SKIP_CLAIMED || s == LR_SKIP_NOTHING)
			report_skip(b, &b->run.items[i], h);
	}
	fflush(stdout);
}

static const struct wx_sub *find_default_sub(const struct wx_profiles *p,
					     const struct batch_args *a)
{
	struct wx_err err = {{0}};
	const struct wx_sub *s = profile_find_sub(p, a->partner, a->sub, &err);

	if (!s)
		fprintf(stderr, "wxrev: %s\n", err.msg);
	return s;
}

/* The plan, the confirmation and the sending, on one engine. */
static int plan_and_send(struct batch *b, struct history *h)
{
	struct reversal_options o;
	struct reversal_engine *e;
	struct wx_err err = {{0}};
	int rc = -1;

	cli_engine_options(&o);
	o.gather_ms = LISTRUN_GATHER_MS;
	e = reversal_engine_new(h, &o, &err);
	if (!e) {
		fprintf(stderr, "wxrev: %s; nothing was sent.\n", err.msg);
		return -1;
	}
	b->run.want_states = will_ask(b);
	if (make_plan(b, h, e) != 0)
		goto out;
	cli_warn_plain_http(b->partner);
	b->tty = isatty(STDERR_FILENO);
	print_plan(b);
	if (confirm_plan(b) != 0)
		goto out;
	report_skips(b, h);
	if (b->run.c.to_send) {
		if (cli_signals_catch() != 0) {
			fprintf(stderr,
				_("wxrev: cannot set up signal handling (%s); "
				  "nothing was sent.\n"),
				strerror(errno));
			goto out;
		}
		run_loop(b, e);
	}
	rc = 0;
out:
	reversal_engine_free(e);
	return rc;
}

int cli_batch_reverse(int argc, char **argv, struct cli_common *c)
{
	struct batch_args a = {0};
	struct batch b = {0};
	struct wx_profiles *profiles = NULL;
	struct history *h = NULL;
	int rc = CLI_EXIT_USAGE;

	b.a = &a;
	if (parse_batch(argc, argv, c, &a) != 0)
		return CLI_EXIT_USAGE;
	if (cli_load_profiles(c, &profiles) != 0)
		goto out;
	b.dflt = find_default_sub(profiles, &a);
	if (!b.dflt)
		goto out;
	b.partner = b.dflt->partner;
	b.profiles = profiles;
	if (load_list(&b) != 0)
		goto out;
	if (cli_open_history(c, &h) != 0) {
		fputs(_("wxrev: nothing was sent.\n"), stderr);
		goto out;
	}
	if (plan_and_send(&b, h) != 0)
		goto out;
	print_summary(&b);
	rc = exit_status(&b);
out:
	listrun_free(&b.run);
	history_close(h);
	profile_free(profiles);
	orderlist_free(&b.list);
	return rc;
}
