/* cli_internal: what the command-line front end's files share (cli.c and
 * cli_batch.c). Not used outside the CLI.
 * Errors: every function here prints its own message to stderr in the
 * usual "wxrev: ..." form; the caller only chooses the exit status. */
#ifndef WXREV_CLI_INTERNAL_H
#define WXREV_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "history.h"
#include "profile.h"
#include "reversal.h"

/* Options every command accepts. */
struct cli_common {
	const char *profiles; /* --profiles DIR|FILE, NULL: default lookup */
	const char *history;  /* --history FILE, NULL: default lookup */
	const char *command;  /* the command's name (for --help), NULL: none */
};

/* What the signals received so far ask for. */
struct cli_stop {
	int interrupts; /* Ctrl-C count */
	bool abandon;	/* stop waiting: record the rest as unknown */
	bool no_more;	/* do not start further orders */
};

/* "wxrev: MSG (see wxrev --help)" on stderr. */
void cli_usage_message(const char *msg);
/* Prints the diagnostics; -1 when the profiles cannot be used. */
/* `wxrev CMD --help`: CMD's usage and options (NULL: every command's). */
void cli_print_usage(const char *cmd);
/* Whether -h or --help is among the arguments (before a "--"). */
bool cli_help_asked(int argc, char **argv);
int cli_load_profiles(const struct cli_common *c, struct wx_profiles **out);
int cli_open_history(const struct cli_common *c, struct history **out);
/* $WXREV_OPERATOR, else the login name. */
const char *cli_operator_name(void);
/* The retry policy, with WXREV_BACKOFF_MS applied. */
void cli_engine_options(struct reversal_options *o);
/* Warns on stderr when the partner's endpoints are plain HTTP. */
void cli_warn_plain_http(const struct wx_partner *p);
/* Network text written safely (never raw to a terminal). */
void cli_put_safe(FILE *f, const char *s);

/* SIGINT, SIGTERM and SIGHUP written to a pipe: cli_signal_fd() becomes
 * readable, cli_signals_read() tells what they ask for. */
int cli_signals_catch(void);
int cli_signal_fd(void);
void cli_signals_read(struct cli_stop *st);

/* The --json object of one result (the documented fields, in order);
 * the caller may add fields and prints it with cli_put_json. */
json_t *cli_result_json(const struct reversal_result *r);
/* One object a line, DEL and C1 controls escaped; consumes `o`. */
void cli_put_json(FILE *f, json_t *o);
/* The same, left in f's buffer for the caller's next fflush (a list
 * writes the lines of one commit at once). */
void cli_put_json_buffered(FILE *f, json_t *o);

/* `wxrev query` and `wxrev settle` (cli_query.c). */
int cli_query(int argc, char **argv, struct cli_common *c);
int cli_settle(int argc, char **argv, struct cli_common *c);
/* Queries one order for a confirmation: *words gets the sentence to show
 * (apiv3_order_words, or why the order could not be read), and the
 * trade_state read is returned (NULL when none); both malloc'd. A failed
 * query never stops the caller. */
char *cli_query_state(struct history *h, const struct wx_sub *s,
		      const char *order, char **words);

/* `wxrev reverse --from FILE|-` (cli_batch.c). */
bool cli_batch_wanted(int argc, char **argv);
int cli_batch_reverse(int argc, char **argv, struct cli_common *c);

#endif
