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
#include "orderlist.h"
#include "outcome.h"
#include "profile.h"
#include "reversal.h"
#include "utf8.h"
#include "util.h"

#define BATCH_DEFAULT_RATE 10	/* orders a second, per partner */
#define BATCH_MAX_RATE	   10000 /* --rate upper bound */
#define BATCH_IN_FLIGHT	   16	/* requests in flight at once */
#define BATCH_GROUP_MIN	   8	/* fewer free slots wait (group commit) */
#define BATCH_CONFIRM_TYPED 10	/* longer lists: type the count */
#define BATCH_POLL_MS	   200	/* longest wait between progress updates */
#define BATCH_STOP_AFTER   3	/* consecutive submit failures that stop */
#define BATCH_BURST_MS	   20	/* pace credit kept after a pause */
#define BATCH_GROUP_PACE_MS 5	/* slower paces send one at a time */

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
};

/* Where one order of the list stands. */
enum item_state {
	IT_TODO,	   /* to be sent */
	IT_SKIP_REVERSED,  /* the history says reversed: skipped */
	IT_SKIP_UNKNOWN,   /* the history says unknown: skipped */
	IT_SKIP_CLAIMED,   /* pending in another live wxrev: skipped */
	IT_IN_FLIGHT,	   /* submitted, no result yet */
	IT_DONE,	   /* result recorded and reported */
	IT_NOT_SENT,	   /* refused before sending (see its message) */
};

/* One unique order of the list. */
struct batch_item {
	const struct orderlist_entry *e; /* borrowed from the list */
	const struct wx_sub *sub;	 /* borrowed from the profiles */
	enum item_state state;		 /* where it stands */
	enum wx_outcome outcome;	 /* IT_DONE: the outcome */
	int64_t history_id;		 /* this run's row, or the prior one */
};

/* Counts for progress, the summary and the exit status. */
struct batch_counts {
	int outcome[WX_UNKNOWN + 1]; /* results of this run, by outcome */
	int skip_reversed;	     /* skipped: already reversed */
	int skip_unknown;	     /* skipped: unknown, not resent */
	int skip_claimed;	     /* skipped: claimed by another wxrev */
	int not_sent;		     /* refused at submit or never reached */
	int done;		     /* results of this run */
	int to_send;		     /* orders this run meant to send */
};

/* The run: list, items, pacing and progress. */
struct batch {
	const struct batch_args *a;    /* borrowed */
	struct orderlist list;	       /* owned */
	const struct wx_sub *dflt;     /* the --sub sub-merchant */
	const struct wx_partner *partner; /* everyone's partner */
	const struct wx_profiles *profiles; /* borrowed: to resolve lines */
	struct batch_item *items;      /* owned: unique orders in file order */
	size_t n;		       /* entries in items */
	size_t next;		       /* next item to consider sending */
	struct batch_counts c;	       /* tallies */
	double rate;		       /* current pace (orders a second) */
	double next_send;	       /* monotonic ms of the next send */
	int64_t last_adapt;	       /* monotonic ms of the last pace check */
	int64_t hold_seen;	       /* last hold the engine reported */
	int64_t started;	       /* monotonic ms when sending began */
	int submit_failures;	       /* consecutive refused submits */
	bool tty;		       /* stderr is a terminal: progress bar */
	bool bar_shown;		       /* a bar is on the last line */
	int last_tenth;		       /* plain progress: tenths reported */
	int64_t last_draw;	       /* monotonic ms of the last bar */
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
	if (errno || end == s || *end || v < 1 || v > BATCH_MAX_RATE)
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
			    BATCH_MAX_RATE, optarg));
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
	    {NULL, 0, NULL, 0},
	};
	int ch;

	a->rate = BATCH_DEFAULT_RATE;
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

/* orderlist_resolve_fn: a line's sub-merchant, within --sub's partner,
 * by the same rule as --sub (profile_find_sub). */
static const void *resolve_sub(void *ctx, const char *sub, const char **key,
			       struct wx_err *err)
{
	struct batch *b = ctx;
	const struct wx_sub *s;

	if (!sub) {
		*key = b->dflt->sub_mchid;
		return b->dflt;
	}
	s = profile_find_sub(b->profiles, b->partner->sp_mchid, sub, err);
	if (s)
		*key = s->sub_mchid;
	return s;
}

static void print_msgs(const struct orderlist_msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s\n", m[i].text);
}

/* Reads, checks and resolves the list; 0 when it may be sent. */
static int load_list(struct batch *b)
{
	struct wx_err err = {{0}};
	int rc;

	rc = orderlist_read(b->a->from, &b->list, &err);
	if (rc != 0 && err.msg[0]) {
		fprintf(stderr, "wxrev: %s; nothing was sent.\n", err.msg);
		return -1;
	}
	orderlist_resolve(&b->list, resolve_sub, b);
	print_msgs(b->list.repeats, b->list.nrepeats);
	print_msgs(b->list.problems, b->list.nproblems);
	if (b->list.nproblems) {
		fprintf(stderr,
			_("wxrev: %zu bad line(s) in %s: fix them; nothing "
			  "was sent.\n"),
			b->list.nproblems, b->list.name);
		return -1;
	}
	b->items = wx_xcalloc(b->list.n + 1, sizeof(*b->items));
	for (size_t i = 0; i < b->list.n; i++) {
		const struct orderlist_entry *e = &b->list.v[i];

		if (e->dup_of)
			continue;
		b->items[b->n].e = e;
		b->items[b->n].sub = e->sub_ref;
		b->n++;
	}
	return 0;
}

/* ---- resuming: what the history already knows ---- */

static void classify_item(struct batch *b, struct batch_item *it,
			  const struct history_reversal *prior)
{
	it->history_id = prior->id;
	switch (prior->outcome) {
	case WX_REVERSED:
		it->state = IT_SKIP_REVERSED;
		b->c.skip_reversed++;
		break;
	case WX_UNKNOWN:
		if (b->a->resend_unknown)
			break;
		it->state = IT_SKIP_UNKNOWN;
		b->c.skip_unknown++;
		break;
	case WX_PENDING:
		it->state = IT_SKIP_CLAIMED;
		b->c.skip_claimed++;
		break;
	default: /* failed and rejected are sent again */
		break;
	}
}

#define SETTLE_IN_FLIGHT 4 /* settling queries at once on a resume */
#define SETTLE_POLL_MS 100

/* A resume first settles the unknown outcomes an earlier run left (a kill,
 * a lost answer) by the order query, so that only what is truly still
 * unknown is skipped; a partner without the query API is left as it is. */
static void settle_priors(struct batch *b, struct history *h)
{
	struct reversal_engine *e = NULL;
	struct reversal_result *r;
	struct wx_err err = {{0}};
	int asked = 0, settled = 0;

	for (size_t i = 0; i < b->n; i++) {
		struct batch_item *it = &b->items[i];
		struct history_reversal prior;
		int64_t count = 0;

		if (!it->sub->partner->query_before_confirm ||
		    history_latest_for_order(h, it->sub->sub_mchid,
					     it->e->out_trade_no, &prior,
					     &count, &err) != 0)
			continue;
		if (count > 0 && prior.outcome == WX_UNKNOWN) {
			struct reversal_params p = {
			    .partner = it->sub->partner,
			    .sub = it->sub,
			    .out_trade_no = it->e->out_trade_no,
			    .op = cli_operator_name(),
			    .trade_state_before = prior.trade_state_before};

			if (!e)
				e = reversal_engine_new(h, NULL, &err);
			while (e && reversal_engine_active(e) >=
					SETTLE_IN_FLIGHT)
				reversal_engine_poll(e, -1, SETTLE_POLL_MS,
						     NULL);
			if (e && reversal_query_submit(e, &p, prior.id,
						       &err) == 0)
				asked++;
		}
		history_reversal_clear(&prior);
	}
	while (e && reversal_engine_active(e) > 0)
		reversal_engine_poll(e, -1, SETTLE_POLL_MS, NULL);
	while (e && (r = reversal_engine_next_done(e)) != NULL) {
		settled += r->outcome != WX_UNKNOWN;
		reversal_result_free(r);
	}
	reversal_engine_free(e);
	if (asked)
		fprintf(stderr,
			_("wxrev: %d unknown outcome(s) of an earlier run "
			  "asked with the order query first: %d settled.\n"),
			asked, settled);
}

static int look_up_history(struct batch *b, struct history *h)
{
	for (size_t i = 0; i < b->n; i++) {
		struct batch_item *it = &b->items[i];
		struct history_reversal prior;
		struct wx_err err = {{0}};
		int64_t count = 0;

		if (history_latest_for_order(h, it->sub->sub_mchid,
					     it->e->out_trade_no, &prior,
					     &count, &err) != 0) {
			fprintf(stderr, "wxrev: %s; nothing was sent.\n",
				err.msg);
			return -1;
		}
		if (count > 0)
			classify_item(b, it, &prior);
		history_reversal_clear(&prior);
		if (it->state == IT_TODO)
			b->c.to_send++;
	}
	return 0;
}

/* ---- reporting one order ---- */

static void bar_clear(struct batch *b)
{
	if (b->bar_shown)
		fputs("\r\033[K", stderr);
	b->bar_shown = false;
}

static const char *skip_reason(enum item_state s)
{
	switch (s) {
	case IT_SKIP_REVERSED:
		return _("already reversed");
	case IT_SKIP_UNKNOWN:
		return _("outcome unknown: settle it, or run again with "
			 "--resend-unknown");
	case IT_SKIP_CLAIMED:
		return _("being reversed by another wxrev");
	default:
		return _("not sent");
	}
}

static void json_add_line(json_t *o, const struct batch_item *it)
{
	json_object_set_new(o, "line", json_integer(it->e->line));
}

/* A skipped order, as the history knows it. */
static void report_skip(struct batch *b, const struct batch_item *it,
			struct history *h)
{
	struct history_reversal r = {0};
	struct reversal_result res = {0};
	json_t *o;

	if (!b->a->json) {
		bar_clear(b);
		printf(_("%s  skipped: %s (history #%lld)\n"),
		       it->e->out_trade_no, skip_reason(it->state),
		       (long long)it->history_id);
		return;
	}
	if (history_get(h, it->history_id, &r, NULL, NULL, NULL) != 0)
		r.outcome = it->state == IT_SKIP_REVERSED ? WX_REVERSED
							  : WX_UNKNOWN;
	res.history_id = it->history_id;
	res.out_trade_no = it->e->out_trade_no;
	res.sp_mchid = it->sub->partner->sp_mchid;
	res.sub_mchid = it->sub->sub_mchid;
	res.outcome = r.outcome;
	res.http_status = r.http_status;
	res.code = r.code;
	res.message = r.message;
	res.verified = r.outcome == WX_REVERSED;
	res.attempts = r.attempts;
	res.latency_ms = r.latency_ms;
	o = cli_result_json(&res);
	json_add_line(o, it);
	json_object_set_new(o, "skipped", json_string(skip_reason(it->state)));
	cli_put_json(stdout, o);
	history_reversal_clear(&r);
}

static void report_result(struct batch *b, const struct batch_item *it,
			  const struct reversal_result *r)
{
	json_t *o;

	if (b->a->json) {
		o = cli_result_json(r);
		json_add_line(o, it);
		cli_put_json(stdout, o);
		return;
	}
	bar_clear(b);
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
	fflush(stdout);
}

/* ---- progress ---- */

static double elapsed_s(const struct batch *b)
{
	return (double)(wx_monotonic_ms() - b->started) / 1000.0;
}

static void progress_text(const struct batch *b, char *buf, size_t n)
{
	const struct batch_counts *c = &b->c;
	double el = elapsed_s(b), rate = el > 0.5 ? c->done / el : 0.0;
	int left = c->to_send - c->done - c->not_sent;
	long eta = rate > 0 ? (long)(left / rate + 0.5) : -1;
	char when[32];

	if (eta >= 0)
		snprintf(when, sizeof(when), _("%ld:%02ld left"), eta / 60,
			 eta % 60);
	else
		snprintf(when, sizeof(when), "%s", _("--:-- left"));
	snprintf(buf, n,
		 _("%d/%d  %.1f/s  reversed %d  rejected %d  failed %d  "
		   "unknown %d  %s"),
		 c->done, c->to_send, rate, c->outcome[WX_REVERSED],
		 c->outcome[WX_REJECTED], c->outcome[WX_FAILED],
		 c->outcome[WX_UNKNOWN], when);
}

static void draw_bar(struct batch *b, bool force)
{
	char text[256], bar[21];
	int64_t now = wx_monotonic_ms();
	int fill;

	if (!force && now - b->last_draw < 100)
		return;
	b->last_draw = now;
	fill = b->c.to_send ? 20 * b->c.done / b->c.to_send : 20;
	for (int i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	progress_text(b, text, sizeof(text));
	fprintf(stderr, "\r\033[K[%s] %s", bar, text);
	fflush(stderr);
	b->bar_shown = true;
}

/* Without a terminal: a plain line at every tenth of the list. */
static void plain_progress(struct batch *b)
{
	char text[256];
	int tenth = b->c.to_send ? 10 * b->c.done / b->c.to_send : 10;

	if (tenth <= b->last_tenth)
		return;
	b->last_tenth = tenth;
	progress_text(b, text, sizeof(text));
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

static void print_plan(const struct batch *b)
{
	char host[300], backup[400];
	const struct wx_partner *p = b->partner;

	profile_host_label(p->base_url, host, sizeof(host));
	profile_backup_label(p, backup, sizeof(backup));
	fprintf(stderr, _("Partner:   %s (%s)\n"), p->name, p->sp_mchid);
	fprintf(stderr, _("Endpoint:  %s\n"), host);
	fprintf(stderr, _("Backup:    %s\n"), backup);
	fprintf(stderr, _("List:      %s: %zu order(s)"), b->list.name, b->n);
	if (b->list.nrepeats)
		fprintf(stderr, _(", %zu repeat(s) sent once"),
			b->list.nrepeats);
	fputc('\n', stderr);
	for (size_t k = 0; k < p->nsubs; k++) {
		int todo = 0, all = 0;

		for (size_t i = 0; i < b->n; i++) {
			if (b->items[i].sub != &p->subs[k])
				continue;
			all++;
			todo += b->items[i].state == IT_TODO;
		}
		if (all)
			fprintf(stderr, _("  %s (%s): %d to send of %d\n"),
				p->subs[k].name, p->subs[k].sub_mchid, todo,
				all);
	}
	if (b->c.skip_reversed)
		fprintf(stderr, _("Skipped:   %d already reversed\n"),
			b->c.skip_reversed);
	if (b->c.skip_unknown)
		fprintf(stderr,
			_("Skipped:   %d with an unknown outcome; "
			  "--resend-unknown sends them again:\n"),
			b->c.skip_unknown);
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].state == IT_SKIP_UNKNOWN)
			fprintf(stderr, _("  %s (%s), history #%lld\n"),
				b->items[i].e->out_trade_no,
				b->items[i].sub->name,
				(long long)b->items[i].history_id);
	if (b->c.skip_claimed)
		fprintf(stderr,
			_("Skipped:   %d being reversed by another wxrev\n"),
			b->c.skip_claimed);
	if (b->c.to_send)
		fprintf(stderr,
			_("Sending %d order(s) at up to %d a second (about "
			  "%d s). A paid order is refunded to the payer.\n"),
			b->c.to_send, b->a->rate,
			(b->c.to_send + b->a->rate - 1) / b->a->rate);
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

/* 0 when the operator agreed (or --yes), else a message was printed. */
static int confirm_plan(const struct batch *b)
{
	char want[32], *prompt;
	bool ok;

	if (b->a->yes || b->c.to_send == 0)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		fputs(_("wxrev: not on a terminal, so there is no one to "
			"confirm: add --yes to reverse without asking; "
			"nothing was sent.\n"),
		      stderr);
		return -1;
	}
	if (b->c.to_send <= BATCH_CONFIRM_TYPED) {
		ok = ask(_("Reverse these orders? [y/N] "), NULL);
	} else {
		snprintf(want, sizeof(want), "%d", b->c.to_send);
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

static struct batch_item *find_in_flight(struct batch *b, int64_t id)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].state == IT_IN_FLIGHT &&
		    b->items[i].history_id == id)
			return &b->items[i];
	return NULL;
}

static void take_results(struct batch *b, struct reversal_engine *e)
{
	struct reversal_result *r;

	while ((r = reversal_engine_next_done(e)) != NULL) {
		struct batch_item *it = find_in_flight(b, r->history_id);

		if (it) {
			it->state = IT_DONE;
			it->outcome = r->outcome;
			b->c.outcome[r->outcome]++;
			b->c.done++;
			report_result(b, it, r);
		}
		reversal_result_free(r);
	}
}

/* Next item to send, or NULL when none is left. */
static struct batch_item *next_todo(struct batch *b)
{
	while (b->next < b->n && b->items[b->next].state != IT_TODO)
		b->next++;
	return b->next < b->n ? &b->items[b->next] : NULL;
}

/* Sends these orders: their pending rows in one commit, then the requests.
 */
static void submit_group(struct batch *b, struct reversal_engine *e,
			 struct batch_item **its, size_t n)
{
	struct reversal_params p[BATCH_IN_FLIGHT];
	struct wx_err errs[BATCH_IN_FLIGHT];
	int64_t ids[BATCH_IN_FLIGHT];

	if (n == 0)
		return;
	memset(errs, 0, sizeof(errs));
	for (size_t i = 0; i < n; i++) {
		p[i] = (struct reversal_params){
		    .partner = its[i]->sub->partner,
		    .sub = its[i]->sub,
		    .out_trade_no = its[i]->e->out_trade_no,
		    .note = its[i]->e->note,
		    .op = cli_operator_name(),
		};
	}
	reversal_submit_many(e, p, n, ids, errs);
	for (size_t i = 0; i < n; i++) {
		struct batch_item *it = its[i];

		it->history_id = ids[i];
		if (ids[i]) {
			it->state = IT_IN_FLIGHT;
			b->submit_failures = 0;
			continue;
		}
		it->state = IT_NOT_SENT;
		b->c.not_sent++;
		b->submit_failures++;
		bar_clear(b);
		fprintf(stderr, "wxrev: %s: ", it->e->out_trade_no);
		cli_put_safe(stderr, errs[i].msg);
		fputc('\n', stderr);
	}
}

/* The engine saw a 429 or Retry-After: halve the pace (at least one a
 * second); it grows back by one order a second, each second. */
static void adapt_rate(struct batch *b, struct reversal_engine *e)
{
	int64_t hold = reversal_engine_hold_until(e);
	int64_t now = wx_monotonic_ms();
	double want = b->a->rate;

	if (hold > b->hold_seen) {
		b->hold_seen = hold;
		b->rate = b->rate / 2 < 1 ? 1 : b->rate / 2;
	} else if (b->rate < want) {
		b->rate += (double)(now - b->last_adapt) / 1000.0;
		if (b->rate > want)
			b->rate = want;
	}
	b->last_adapt = now;
}

/* Sends what the pace and the in-flight limit allow, as one group;
 * returns how long the loop may wait before the next send is due. */
static int send_due(struct batch *b, struct reversal_engine *e,
		    const struct cli_stop *st)
{
	double now = (double)wx_monotonic_ms();
	double interval = 1000.0 / b->rate;
	double lag = interval * BATCH_IN_FLIGHT;
	int64_t hold = reversal_engine_hold_until(e);
	int room = BATCH_IN_FLIGHT - reversal_engine_active(e);
	struct batch_item *its[BATCH_IN_FLIGHT], *it;
	size_t n = 0;
	int wait = BATCH_POLL_MS;

	if (st->no_more || b->submit_failures >= BATCH_STOP_AFTER)
		return wait;
	/* Pending rows go in groups: wait for a few free slots, unless the
	 * pace is slow enough that a group would never fill. */
	if (room < BATCH_GROUP_MIN && room < BATCH_IN_FLIGHT &&
	    interval < BATCH_GROUP_PACE_MS)
		return wait;
	if ((double)hold > now)
		return (double)hold - now < wait ? (int)((double)hold - now) + 1
						 : wait;
	/* A little credit after a pause, so that fast rates fill a group. */
	if (lag > BATCH_BURST_MS)
		lag = BATCH_BURST_MS;
	if (b->next_send < now - lag)
		b->next_send = now - lag;
	while ((int)n < room && (it = next_todo(b)) != NULL) {
		if (b->next_send > now) {
			wait = (int)(b->next_send - now) + 1;
			break;
		}
		its[n++] = it;
		b->next++;
		b->next_send += interval;
	}
	submit_group(b, e, its, n);
	return wait < BATCH_POLL_MS ? wait : BATCH_POLL_MS;
}

static bool more_to_send(struct batch *b, const struct cli_stop *st)
{
	return !st->no_more && b->submit_failures < BATCH_STOP_AFTER &&
	       next_todo(b) != NULL;
}

static void run_loop(struct batch *b, struct reversal_engine *e)
{
	struct cli_stop st = {0};

	b->started = wx_monotonic_ms();
	b->next_send = (double)b->started;
	b->last_adapt = b->started;
	b->rate = b->a->rate;
	while (more_to_send(b, &st) || reversal_engine_active(e) > 0) {
		int wait = send_due(b, e, &st);
		bool ready = false;

		reversal_engine_poll(e, cli_signal_fd(), wait, &ready);
		if (ready) {
			bar_clear(b);
			cli_signals_read(&st);
		}
		if (st.abandon)
			reversal_engine_abandon(e);
		take_results(b, e);
		adapt_rate(b, e);
		progress(b, false);
	}
	take_results(b, e);
	progress(b, true);
	bar_clear(b);
}

/* ---- the end ---- */

static int count_state(const struct batch *b, enum item_state s)
{
	int n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += b->items[i].state == s;
	return n;
}

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
	const struct batch_counts *c = &b->c;
	int unsent = count_state(b, IT_TODO) + c->not_sent;

	fprintf(f, _("Summary: %zu order(s) in %s\n"), b->n, b->list.name);
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
	summary_row(f, _("not sent"), unsent, NULL);
	if (c->skip_unknown)
		fputs(_("Settle the unknown ones, or run again with "
			"--resend-unknown.\n"),
		      f);
	if (c->skip_claimed)
		fputs(_("Another wxrev is reversing the claimed ones.\n"), f);
	if (unsent)
		fputs(_("Run the same command again to resume.\n"), f);
	fflush(f);
}

static int exit_status(const struct batch *b)
{
	const struct batch_counts *c = &b->c;

	if (c->outcome[WX_UNKNOWN] || c->outcome[WX_PENDING] ||
	    c->skip_unknown)
		return CLI_EXIT_UNKNOWN;
	if (c->outcome[WX_REJECTED] || c->outcome[WX_FAILED] ||
	    c->skip_claimed || c->not_sent || count_state(b, IT_TODO))
		return CLI_EXIT_FAILED;
	return CLI_EXIT_OK;
}

static void report_skips(struct batch *b, struct history *h)
{
	for (size_t i = 0; i < b->n; i++) {
		enum item_state s = b->items[i].state;

		if (s == IT_SKIP_REVERSED || s == IT_SKIP_UNKNOWN ||
		    s == IT_SKIP_CLAIMED)
			report_skip(b, &b->items[i], h);
	}
	fflush(stdout);
}

static int send_list(struct batch *b, struct history *h)
{
	struct reversal_options o;
	struct reversal_engine *e;
	struct wx_err err = {{0}};

	if (cli_signals_catch() != 0) {
		fprintf(stderr,
			_("wxrev: cannot set up signal handling (%s); "
			  "nothing was sent.\n"),
			strerror(errno));
		return -1;
	}
	cli_engine_options(&o);
	e = reversal_engine_new(h, &o, &err);
	if (!e) {
		fprintf(stderr, "wxrev: %s; nothing was sent.\n", err.msg);
		return -1;
	}
	run_loop(b, e);
	reversal_engine_free(e);
	return 0;
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
	settle_priors(&b, h);
	if (look_up_history(&b, h) != 0)
		goto out;
	cli_warn_plain_http(b.partner);
	b.tty = isatty(STDERR_FILENO);
	print_plan(&b);
	if (confirm_plan(&b) != 0)
		goto out;
	report_skips(&b, h);
	if (b.c.to_send && send_list(&b, h) != 0)
		goto out;
	print_summary(&b);
	rc = exit_status(&b);
out:
	history_close(h);
	profile_free(profiles);
	orderlist_free(&b.list);
	free(b.items);
	return rc;
}
