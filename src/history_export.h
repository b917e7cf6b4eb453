/* history_export: the history written out for people and tools, built on
 * history_list only, so every history backend exports the same way. */
#ifndef WXREV_HISTORY_EXPORT_H
#define WXREV_HISTORY_EXPORT_H

#include <stdio.h>

#include "history.h"
#include "util.h"

/* HISTORY_TABLE: aligned columns for a terminal, local times.
 * HISTORY_JSONL: one object per reversal with every column; times as
 *   ISO 8601 UTC with milliseconds plus the raw *_ms values, and
 *   created_local (RFC 3339 with the local offset); request_id (the last
 *   one WeChat Pay gave the reversal) and verified (the last checked
 *   answer's signature; null when none was checked) come from the attempts.
 * HISTORY_CSV: the same, the columns of the header below, new ones added at
 *   the end (request_id, verified, created in RFC 3339 with its offset).
 * HISTORY_CSV: RFC 4180 (header row, CRLF, quoted when needed), UTF-8 with
 *   a byte-order mark so spreadsheets read Chinese; a cell a spreadsheet
 *   would run as a formula (leading = + - @) gets a leading apostrophe;
 *   text as WX_TEXT_EXPORT writes it: a backslash is \\, controls other
 *   than tab and line breaks and the invisible or direction-changing
 *   characters are the escapes the terminal shows (\x1b, \u202e).
 * JSON lines write those characters as JSON \u escapes (the values parse
 *   back unchanged).
 * Invalid UTF-8 in stored text is written as U+FFFD. */
enum history_format { HISTORY_TABLE, HISTORY_JSONL, HISTORY_CSV };
/* Streams matching rows, newest first, a page at a time; limit <= 0: all.
 * Filters: text and order use the trigram index from three characters on,
 * shorter substrings scan newest first until `limit` rows match. */
int history_export(struct history *h, const struct history_filter *f, int limit,
		   enum history_format fmt, FILE *out, struct wx_err *err);

/* The kept order queries (history_query_list), newest first, in the same
 * formats: of orders whose out_trade_no contains `order` and of the
 * sub-merchant `sub` (mchid or name), either NULL for any. JSON lines and
 * CSV carry id, created (RFC 3339, local offset), created_ms, operator,
 * host, partner_name, sp_mchid, sub_name, sub_mchid, out_trade_no,
 * trade_state, code, message, http_status, verified, request_id and
 * latency_ms. */
int history_export_queries(struct history *h, const char *sub,
			   const char *order, int limit,
			   enum history_format fmt, FILE *out,
			   struct wx_err *err);

/* The one line a ticket quotes (the TUI's copy summary): local time in
 * RFC 3339 with its offset, partner and sub-merchant with their mchids,
 * order, outcome, code, the Request-ID (from the attempts; "-" when none;
 * h may be NULL) and the note. Truncated to fit n bytes. */
void history_ticket_line(struct history *h, const struct history_reversal *r,
			 char *buf, size_t n);

/* What the history knows about one order number under every sub-merchant
 * (the confirmation in the UI and on the terminal show it): up to
 * HISTORY_KNOWN_MAX lines, newest first, "reversed 2 min ago by alice,
 * 2026-12-01 10:02"; a row of another sub-merchant than sp_mchid/sub_mchid
 * says whose ("rejected under Book Store 3 h ago by bob, ..."), the likelier
 * mistake. */
#define HISTORY_KNOWN_MAX 3
struct history_known {
	char line[HISTORY_KNOWN_MAX][256]; /* in the UI language */
	int n;                             /* lines filled */
	int total;                         /* rows found for the order */
};
/* Fills k; -1 with err when the history cannot be read. */
int history_known(struct history *h, const char *order, const char *sp_mchid,
		  const char *sub_mchid, struct history_known *k,
		  struct wx_err *err);

#endif
