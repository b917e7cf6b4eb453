/* gen_history: fills a history file with N synthetic reversals, one attempt
 * each, through wxrev's own schema (history_open creates it), in a single
 * transaction so a million rows take seconds, not hours.
 *   gen_history FILE N */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "history.h"
#include "util.h"

static const char *const outcomes[] = {"reversed", "reversed", "reversed",
				       "rejected", "failed",   "unknown"};
static const char *const codes[] = {NULL, NULL, NULL, "ORDER_NOT_EXIST",
				    "SYSTEM_ERROR", "BAD_SIGNATURE"};

static int fill(sqlite3 *db, long n)
{
	sqlite3_stmt *rev = NULL, *att = NULL;
	int64_t t0 = wx_now_ms() - (int64_t)n * 1000;
	int rc = -1;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO reversals (id, created_ms, updated_ms,"
			       " operator, note, partner_name, sp_mchid, sub_name,"
			       " sub_mchid, out_trade_no, endpoint, outcome,"
			       " http_status, code, message, attempts, latency_ms)"
			       " VALUES (?1, ?2, ?2, 'bench', ?3, 'Bench Partner',"
			       " '1600000001', ?4, ?5, ?6,"
			       " 'https://api.mch.weixin.qq.com', ?7, ?8, ?9, ?10,"
			       " 1, 120)",
			       -1, &rev, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "INSERT INTO attempts (reversal_id, n, started_ms,"
			       " url, request_headers, request_body, status,"
			       " response_headers, response_body, verify,"
			       " latency_ms, request_id) VALUES (?1, 1, ?2,"
			       " 'https://api.mch.weixin.qq.com/v3/pay/partner/"
			       "transactions/out-trade-no/' || ?3 || '/reverse',"
			       " 'Accept: application/json', '{\"sp_mchid\":"
			       "\"1600000001\",\"sub_mchid\":\"' || ?4 || '\"}',"
			       " ?5, 'Request-ID: 08BENCH', ?6, 'verified', 120,"
			       " '08BENCH')",
			       -1, &att, NULL) != SQLITE_OK) {
		fprintf(stderr, "gen_history: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	for (long i = 1; i <= n; i++) {
		char order[40], sub[16], subname[48], note[24];
		int k = (int)(i % 6);
		int status = k < 3 ? 200 : (k == 3 ? 404 : (k == 4 ? 500 : 200));

		snprintf(order, sizeof(order), "4200%014ld%04ld", i * 7919 % 100000000000000L, i % 10000);
		snprintf(sub, sizeof(sub), "%d", 1900000000 + (int)(i % 10000));
		snprintf(subname, sizeof(subname), "门店 %ld Shop", i % 10000);
		snprintf(note, sizeof(note), "TICKET-%ld", i);
		sqlite3_bind_int64(rev, 1, i);
		sqlite3_bind_int64(rev, 2, t0 + i * 1000);
		sqlite3_bind_text(rev, 3, note, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(rev, 4, subname, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(rev, 5, sub, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(rev, 6, order, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(rev, 7, outcomes[k], -1, SQLITE_STATIC);
		sqlite3_bind_int(rev, 8, status);
		if (codes[k])
			sqlite3_bind_text(rev, 9, codes[k], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(rev, 9);
		sqlite3_bind_text(rev, 10, codes[k] ? "订单不存在" : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_int64(att, 1, i);
		sqlite3_bind_int64(att, 2, t0 + i * 1000);
		sqlite3_bind_text(att, 3, order, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(att, 4, sub, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(att, 5, status);
		sqlite3_bind_text(att, 6, "{\"sp_mchid\":\"1600000001\"}", -1, SQLITE_STATIC);
		if (sqlite3_step(rev) != SQLITE_DONE || sqlite3_step(att) != SQLITE_DONE) {
			fprintf(stderr, "gen_history: %s\n", sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_reset(rev);
		sqlite3_reset(att);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "gen_history: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(rev);
	sqlite3_finalize(att);
	return rc;
}

int main(int argc, char **argv)
{
	struct history *h = NULL;
	struct wx_err err = {0};
	sqlite3 *db = NULL;
	int rc = 1;

	if (argc != 3) {
		fputs("usage: gen_history FILE N\n", stderr);
		return 2;
	}
	if (history_open(argv[1], &h, &err) != 0) {
		fprintf(stderr, "gen_history: %s\n", err.msg);
		return 1;
	}
	history_close(h);
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		goto out;
	/* Generated data needs no journal: without one, and with a large
	 * page cache, a million rows and their trigram index take about a
	 * minute instead of four. The file goes back to WAL at the end. */
	sqlite3_exec(db,
		     "PRAGMA journal_mode=DELETE; PRAGMA journal_mode=OFF;"
		     " PRAGMA synchronous=OFF; PRAGMA cache_size=-262144",
		     NULL, NULL, NULL);
	if (fill(db, atol(argv[2])) == 0)
		rc = 0;
	sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
out:
	sqlite3_close(db);
	return rc;
}
