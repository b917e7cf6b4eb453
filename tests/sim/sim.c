/* sim: shared state, the request log file and interruptible sleeps. */
#define _POSIX_C_SOURCE 200809L
#include "sim.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void sim_init(struct sim *sim)
{
	memset(sim, 0, sizeof(*sim));
	pthread_mutex_init(&sim->lock, NULL);
	pthread_mutex_init(&sim->log_lock, NULL);
	pthread_mutex_init(&sim->stop_lock, NULL);
	pthread_cond_init(&sim->stop_cond, NULL);
}

void sim_destroy(struct sim *sim)
{
	if (sim->log != NULL)
		(void)fclose(sim->log);
	config_free(&sim->cfg);
	pthread_cond_destroy(&sim->stop_cond);
	pthread_mutex_destroy(&sim->stop_lock);
	pthread_mutex_destroy(&sim->log_lock);
	pthread_mutex_destroy(&sim->lock);
}

int sim_open_log(struct sim *sim, const char *path, struct sim_err *err)
{
	if (path == NULL)
		return 0;
	sim->log = fopen(path, "a");
	if (sim->log == NULL)
		return sim_err_set(err, "%s: %s; give a writable --log path",
				   path, strerror(errno));
	return 0;
}

void sim_log_line(struct sim *sim, const char *line)
{
	if (sim->log == NULL)
		return;
	pthread_mutex_lock(&sim->log_lock);
	(void)fputs(line, sim->log);
	(void)fputc('\n', sim->log);
	(void)fflush(sim->log);
	pthread_mutex_unlock(&sim->log_lock);
}

int sim_sleep_ms(struct sim *sim, long ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sim->stop_lock);
	while (!sim->stopping && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&sim->stop_cond, &sim->stop_lock,
					    &until);
	rc = sim->stopping ? -1 : 0;
	pthread_mutex_unlock(&sim->stop_lock);
	return rc;
}

void sim_request_stop(struct sim *sim)
{
	pthread_mutex_lock(&sim->stop_lock);
	sim->stopping = 1;
	pthread_cond_broadcast(&sim->stop_cond);
	pthread_mutex_unlock(&sim->stop_lock);
}
