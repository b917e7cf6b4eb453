/* cli_query: `wxrev query` (what WeChat Pay says about orders) and
 * `wxrev settle` (every open `unknown` reversal settled by a query).
 *
 * Both run through the reversal engine, so a query is signed, sent and
 * verified exactly like a reversal, on the same kind of kept-alive
 * connection. A plain query writes nothing; a settling query is kept as a
 * request of the reversal it settles (history_add_query). */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiv3.h"
#include "apiv3_query.h"
#include "cli.h"
#include "cli_internal.h"
#include "history.h"
#include "i18n.h"
#include "outcome.h"
#include "profile.h"
#include "reversal.h"
#include "util.h"

#define QUERY_POLL_MS 250  /* longest wait between signal checks */
#define SETTLE_PAGE   200  /* unknown rows read from the history at once */
#define SETTLE_MAX    10000 /* rows one run settles at most */

enum { OPT_SUB = 1000, OPT_PARTNER, OPT_JSON, OPT_ALL, OPT_ID, OPT_PROF,
       OPT_HIST };

/* Options both commands take. */
struct query_args {
	const char *sub;     /* --sub */
	const char *partner; /* --partner */
	bool json;	     /* --json */
	bool all;	     /* settle --all */
	int64_t *ids;	     /* settle --id N..., owned */
	size_t nids;	     /* entries in ids */
};

/* The engine of query and settle, with Ctrl-C caught; NULL, said on
 * stderr, when either cannot start. */
static struct reversal_engine *engine_start(struct history *h)
{
	struct wx_err err = {{0}};
	struct reversal_engine *e = reversal_engine_new(h, NULL, &err);

	if (!e) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		return NULL;
	}
	if (cli_signals_catch() != 0) {
		fprintf(stderr,
			_("wxrev: cannot catch Ctrl-C (%s); close other "
			  "programs or raise the open-file limit\n"),
			strerror(errno));
		reversal_engine_free(e);
		return NULL;
	}
	return e;
}

/* Runs the engine until nothing is in flight; Ctrl-C abandons. */
static void wait_all(struct reversal_engine *e)
{
	struct cli_stop st = {0};

	while (reversal_engine_active(e) > 0) {
		bool ready = false;

		reversal_engine_poll(e, cli_signal_fd(), QUERY_POLL_MS, &ready);
		if (ready)
			cli_signals_read(&st);
		if (st.abandon || st.interrupts)
			reversal_engine_abandon(e);
	}
}

/* ---- wxrev query --------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *int_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

/* The documented object of one query. */
static json_t *query_json(const struct reversal_result *r)
{
	const struct apiv3_query_result *q = r->query;
	const struct apiv3_order_info *o = q ? &q->order : NULL;
	bool read = q && q->kind == APIV3_Q_ANSWERED;
	json_t *j = json_object();

	json_object_set_new(j, "out_trade_no", str_or_null(r->out_trade_no));
	json_object_set_new(j, "sp_mchid", str_or_null(r->sp_mchid));
	json_object_set_new(j, "sub_mchid", str_or_null(r->sub_mchid));
	json_object_set_new(j, "trade_state",
			    str_or_null(r->trade_state_after));
	json_object_set_new(j, "trade_state_desc",
			    str_or_null(read ? o->trade_state_desc : NULL));
	json_object_set_new(j, "amount_total",
			    int_or_null(read ? o->amount_total : -1));
	json_object_set_new(j, "payer_total",
			    int_or_null(read ? o->payer_total : -1));
	json_object_set_new(j, "currency",
			    str_or_null(read ? o->currency : NULL));
	json_object_set_new(j, "success_time",
			    str_or_null(read ? o->success_time : NULL));
	json_object_set_new(j, "transaction_id",
			    str_or_null(read ? o->transaction_id : NULL));
	json_object_set_new(j, "trade_type",
			    str_or_null(read ? o->trade_type : NULL));
	json_object_set_new(j, "http_status", r->http_status
						  ? json_integer(r->http_status)
						  : json_null());
	json_object_set_new(j, "code", str_or_null(r->code));
	json_object_set_new(j, "message", str_or_null(r->message));
	json_object_set_new(j, "request_id", str_or_null(r->request_id));
	json_object_set_new(j, "verified", json_boolean(r->verified));
	json_object_set_new(j, "latency_ms", json_integer(r->latency_ms));
	return j;
}

static void query_human(const struct reversal_result *r)
{
	const struct apiv3_query_result *q = r->query;
	char money[48], paid[48];

	printf("%s  ", r->out_trade_no);
	if (q && q->kind == APIV3_Q_ANSWERED) {
		const struct apiv3_order_info *o = &q->order;

		cli_put_safe(stdout,
			     _(apiv3_trade_state_info(o->state)->words));
		if (o->trade_state_desc) {
			fputs("  ", stdout);
			cli_put_safe(stdout, o->trade_state_desc);
		}
		wx_i18n_amount(o->amount_total, o->currency, money,
			       sizeof(money));
		printf(_("\n  amount %s (%s)"), money,
		       o->currency ? o->currency : "CNY");
		if (o->success_time) {
			apiv3_paid_when(o, paid, sizeof(paid));
			printf(_(", paid %s"), paid);
		}
		if (o->transaction_id) {
			fputs(_(", transaction "), stdout);
			cli_put_safe(stdout, o->transaction_id);
		}
		if (o->sub_openid) {
			fputs(_(", payer "), stdout);
			cli_put_safe(stdout, o->sub_openid);
		}
	} else {
		cli_put_safe(stdout, r->code ? r->code : "?");
		fputs("  ", stdout);
		cli_put_safe(stdout,
			     r->message ? wx_i18n_stored(r->message) : "");
		if (r->next) {
			fputs(_("\n  next: "), stdout);
			cli_put_safe(stdout, r->next);
		}
	}
	fputs("\n  Request-ID: ", stdout);
	cli_put_safe(stdout, r->request_id ? r->request_id : "-");
	printf(_("  %s  %lld ms\n"),
	       r->verified ? _("signature verified")
			   : _("signature NOT verified"),
	       (long long)r->latency_ms);
	fflush(stdout);
}

/* 0 answered and verified, 1 refused (no such order...), 3 untrusted. */
static int query_status(const struct reversal_result *r)
{
	if (!r->query || r->query->kind == APIV3_Q_UNTRUSTED)
		return CLI_EXIT_UNKNOWN;
	if (r->query->kind == APIV3_Q_ANSWERED)
		return CLI_EXIT_OK;
	return CLI_EXIT_FAILED;
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

static int parse_args(int argc, char **argv, struct cli_common *c,
		      struct query_args *a, bool settle, int *exit_now)
{
	static const struct option qopts[] = {
	    {"profiles", required_argument, NULL, OPT_PROF},
	    {"history", required_argument, NULL, OPT_HIST},
	    {"sub", required_argument, NULL, OPT_SUB},
	    {"partner", required_argument, NULL, OPT_PARTNER},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"all", no_argument, NULL, OPT_ALL},
	    {"id", required_argument, NULL, OPT_ID},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd = settle ? "settle" : "query";
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", qopts, NULL)) != -1) {
		char *end = NULL;
		long long id;

		switch (ch) {
		case OPT_PROF:
			c->profiles = optarg;
			break;
		case OPT_HIST:
			c->history = optarg;
			break;
		case OPT_SUB:
		case OPT_PARTNER:
			if (settle)
				goto bad;
			*(ch == OPT_SUB ? &a->sub : &a->partner) = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_ALL:
			if (!settle)
				goto bad;
			a->all = true;
			break;
		case OPT_ID:
			if (!settle)
				goto bad;
			id = strtoll(optarg, &end, 10);
			if (!end || *end || id <= 0) {
				fprintf(stderr,
					_("wxrev: settle: --id %s is not a "
					  "history number (see wxrev "
					  "history)\n"),
					optarg);
				return -1;
			}
			a->ids = wx_xrealloc(a->ids,
					     (a->nids + 1) * sizeof(*a->ids));
			a->ids[a->nids++] = (int64_t)id;
			break;
		case 'h':
			cli_print_usage(cmd);
			*exit_now = CLI_EXIT_OK;
			return 0;
		default:
			goto bad;
		}
	}
	return optind;
bad:
	fprintf(stderr, _("wxrev: %s: unknown option (see wxrev --help)\n"),
		cmd);
	return -1;
}

int cli_query(int argc, char **argv, struct cli_common *c)
{
	struct query_args a = {0};
	struct wx_profiles *profiles = NULL;
	struct history *h = NULL;
	struct reversal_engine *e = NULL;
	struct wx_err err = {{0}};
	const struct wx_sub *s;
	char order[APIV3_ORDER_MAX + 1];
	int exit_now = -1, first, rc = CLI_EXIT_USAGE;

	first = parse_args(argc, argv, c, &a, false, &exit_now);
	if (exit_now >= 0 || first < 0)
		return exit_now >= 0 ? exit_now : CLI_EXIT_USAGE;
	if (!a.sub || first >= argc) {
		fputs(_("wxrev: query: --sub SUB and at least one order number "
			"are required (see wxrev --help)\n"),
		      stderr);
		return CLI_EXIT_USAGE;
	}
	for (int i = first; i < argc; i++) {
		if (apiv3_order_check(argv[i], order, sizeof(order), &err)) {
			fprintf(stderr, "wxrev: query: %s; nothing was sent\n",
				err.msg);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_load_profiles(c, &profiles) != 0)
		return CLI_EXIT_USAGE;
	s = profile_find_sub(profiles, a.partner, a.sub, &err);
	if (!s) {
		fprintf(stderr, "wxrev: %s\n", err.msg);
		goto out;
	}
	cli_warn_plain_http(s->partner);
	/* The engine's store: each query is kept (history --queries). */
	if (cli_open_history(c, &h) != 0)
		goto out;
	e = engine_start(h);
	if (!e)
		goto out;
	rc = CLI_EXIT_OK;
	for (int i = first; i < argc; i++) {
		struct reversal_params p = {.partner = s->partner,
					    .sub = s,
					    .out_trade_no = order,
					    .op = cli_operator_name()};
		struct reversal_result *r;

		apiv3_order_check(argv[i], order, sizeof(order), NULL);
		if (reversal_query_submit(e, &p, 0, &err) != 0) {
			fprintf(stderr, "wxrev: %s: %s\n", order, err.msg);
			rc = worse(rc, CLI_EXIT_UNKNOWN);
			continue;
		}
		wait_all(e);
		while ((r = reversal_engine_next_done(e)) != NULL) {
			if (a.json)
				cli_put_json(stdout, query_json(r));
			else
				query_human(r);
			rc = worse(rc, query_status(r));
			reversal_result_free(r);
		}
	}
out:
	reversal_engine_free(e);
	history_close(h);
	profile_free(profiles);
	return rc;
}

/* ---- reverse's confirmation ---------------------------------------------- */

char *cli_query_state(struct history *h, const struct wx_sub *s,
		      const char *order, char **words)
{
	struct reversal_engine *e;
	struct reversal_params p = {.partner = s->partner,
				    .sub = s,
				    .out_trade_no = order,
				    .op = cli_operator_name()};
	struct reversal_result *r = NULL;
	struct wx_err err = {{0}};
	char *state = NULL;

	*words = NULL;
	e = reversal_engine_new(h, NULL, &err);
	if (e && reversal_query_submit(e, &p, 0, &err) == 0) {
		while (reversal_engine_active(e) > 0)
			reversal_engine_poll(e, -1, QUERY_POLL_MS, NULL);
		r = reversal_engine_next_done(e);
	}
	if (r) {
		*words = apiv3_order_words(r->query, wx_now_ms() / 1000);
		state = wx_xstrdup(r->trade_state_after);
	} else {
		*words = wx_xasprintf(_("Could not read the order: %s"),
				      err.msg);
	}
	reversal_result_free(r);
	reversal_engine_free(e);
	return state;
}

/* ---- wxrev settle -------------------------------------------------------- */

/* Every `unknown` reversal id, newest first (at most SETTLE_MAX). */
static int open_ids(struct history *h, struct query_args *a)
{
	struct history_filter f = HISTORY_FILTER_ANY;
	struct wx_err err = {{0}};
	int64_t before = 0;

	f.outcome = WX_UNKNOWN;
	for (;;) {
		struct history_reversal *rows = NULL;
		size_t n = 0;

		if (history_list(h, &f, before, SETTLE_PAGE, &rows, &n,
				 &err) != 0) {
			fprintf(stderr, "wxrev: %s\n", err.msg);
			return -1;
		}
		for (size_t i = 0; i < n && a->nids < SETTLE_MAX; i++) {
			a->ids = wx_xrealloc(a->ids,
					     (a->nids + 1) * sizeof(*a->ids));
			a->ids[a->nids++] = rows[i].id;
		}
		if (n > 0)
			before = rows[n - 1].id;
		history_rows_free(rows, n);
		if (n < SETTLE_PAGE || a->nids >= SETTLE_MAX)
			return 0;
	}
}

static void settle_human(const struct reversal_result *r)
{
	printf("#%lld %s  %s", (long long)r->history_id, r->out_trade_no,
	       wx_outcome_label(r->outcome));
	if (r->settled_by)
		printf(_("  (settled by %s)"), r->settled_by);
	if (r->trade_state_after)
		printf(_("  trade_state %s"), r->trade_state_after);
	fputc('\n', stdout);
	if (r->message) {
		fputs(_("  message: "), stdout);
		cli_put_safe(stdout, r->message);
		fputc('\n', stdout);
	}
	fputs(_("  next:    "), stdout);
	cli_put_safe(stdout, r->next ? r->next : wx_outcome_advice(r->outcome));
	fputc('\n', stdout);
	fflush(stdout);
}

/* Starts the settling query of reversal `id`; the status it adds. */
static int settle_one(struct reversal_engine *e, struct history *h,
		      const struct wx_profiles *profiles, int64_t id)
{
	struct history_reversal row = {0};
	struct history_attempt *atts = NULL;
	size_t natts = 0;
	struct wx_err err = {{0}};
	const struct wx_sub *s;
	int rc = CLI_EXIT_OK;

	if (history_get(h, id, &row, &atts, &natts, &err) != 0) {
		fprintf(stderr, "wxrev: settle: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	history_attempts_free(atts, natts);
	if (row.outcome != WX_UNKNOWN) {
		fprintf(stderr,
			_("wxrev: settle: reversal #%lld is %s, not unknown: "
			  "nothing to settle\n"),
			(long long)id, wx_outcome_name(row.outcome));
		history_reversal_clear(&row);
		return CLI_EXIT_OK;
	}
	s = profile_find_sub(profiles, row.sp_mchid, row.sub_mchid, &err);
	if (s) {
		struct reversal_params p = {
		    .partner = s->partner,
		    .sub = s,
		    .out_trade_no = row.out_trade_no,
		    .op = cli_operator_name(),
		    .trade_state_before = row.trade_state_before,
		};

		if (reversal_query_submit(e, &p, id, &err) == 0)
			goto out;
	}
	fprintf(stderr, _("wxrev: settle: reversal #%lld (%s): %s\n"),
		(long long)id, row.out_trade_no ? row.out_trade_no : "",
		err.msg);
	rc = CLI_EXIT_UNKNOWN;
out:
	history_reversal_clear(&row);
	return rc;
}

int cli_settle(int argc, char **argv, struct cli_common *c)
{
	struct query_args a = {0};
	struct wx_profiles *profiles = NULL;
	struct history *h = NULL;
	struct reversal_engine *e = NULL;
	int exit_now = -1, first, rc = CLI_EXIT_USAGE;

	first = parse_args(argc, argv, c, &a, true, &exit_now);
	if (exit_now >= 0 || first < 0 || first < argc ||
	    (a.all && a.nids)) {
		if (exit_now < 0 && first >= 0)
			fputs(_("wxrev: settle: give --all or --id N..., not "
				"both, and no order numbers\n"),
			      stderr);
		free(a.ids);
		return exit_now >= 0 ? exit_now : CLI_EXIT_USAGE;
	}
	if (cli_load_profiles(c, &profiles) != 0 ||
	    cli_open_history(c, &h) != 0)
		goto out;
	if (!a.nids && open_ids(h, &a) != 0)
		goto out;
	e = engine_start(h);
	if (!e)
		goto out;
	rc = CLI_EXIT_OK;
	for (size_t i = 0; i < a.nids; i++) {
		struct reversal_result *r;

		rc = worse(rc, settle_one(e, h, profiles, a.ids[i]));
		wait_all(e);
		while ((r = reversal_engine_next_done(e)) != NULL) {
			if (a.json)
				cli_put_json(stdout, cli_result_json(r));
			else
				settle_human(r);
			if (r->outcome == WX_UNKNOWN)
				rc = worse(rc, CLI_EXIT_UNKNOWN);
			reversal_result_free(r);
		}
	}
	if (!a.json && a.nids == 0)
		puts(_("Nothing to settle: no reversal is unknown."));
out:
	reversal_engine_free(e);
	history_close(h);
	profile_free(profiles);
	free(a.ids);
	return rc;
}
