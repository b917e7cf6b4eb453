/* sim: the running simulator shared by every connection thread.
 *
 * One `struct sim` lives for the whole process. `lock` guards the order
 * table and armed faults in cfg; the request log has its own lock. Sleeps
 * (delay and trickle faults) wake early when a stop is requested so that
 * SIGTERM never waits on a slow request. */
#ifndef WXPAY_SIM_SIM_H
#define WXPAY_SIM_SIM_H

#include <pthread.h>
#include <stdio.h>

#include "config.h"

/* Request bodies larger than this answer 413. */
#define SIM_MAX_BODY ((size_t)64 * 1024)

struct sim {
	struct config cfg;	   /* merchants, keys, orders */
	pthread_mutex_t lock;	   /* guards cfg.orders and their faults */
	FILE *log;		   /* request log (JSON lines), or NULL */
	pthread_mutex_t log_lock;  /* one writer at a time on log */
	pthread_mutex_t stop_lock; /* guards stopping */
	pthread_cond_t stop_cond;  /* signalled when stopping is set */
	int stopping;		   /* 1 once shutdown has begun */
	char last_nonce[33];	   /* the last answer's Wechatpay-Nonce
				      (guarded by lock), for replay_nonce */
};

void sim_init(struct sim *sim);
void sim_destroy(struct sim *sim);

/* Opens the request log for appending; NULL path means no log. */
int sim_open_log(struct sim *sim, const char *path, struct sim_err *err);
/* Appends one compact JSON line and flushes it. */
void sim_log_line(struct sim *sim, const char *line);

/* Sleeps ms milliseconds; returns -1 at once if a stop was requested. */
int sim_sleep_ms(struct sim *sim, long ms);
/* Wakes every sleeper and makes later sleeps return -1. */
void sim_request_stop(struct sim *sim);

#endif
