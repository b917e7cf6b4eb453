/* wxpay-sim: a local stand-in for WeChat Pay's partner reverse API.
 *
 *   wxpay-sim --config FILE [--port-file FILE] [--log FILE] [--port N]
 *             [--http]
 *
 * Serves HTTPS (or plain HTTP with --http) on 127.0.0.1 only, writes the
 * bound port to --port-file once listening, and exits 0 on SIGTERM or
 * SIGINT. See README.md for the config, the checks and the faults. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "handler.h"
#include "sim.h"

/* Idle keep-alive connections are closed after this many seconds. */
#define IDLE_TIMEOUT_S 60

struct options {
	const char *config;    /* --config FILE */
	const char *port_file; /* --port-file FILE, or NULL */
	const char *log;       /* --log FILE, or NULL for the config's */
	unsigned int port;     /* --port N; 0 picks a free one */
	int http;	       /* --http: plain HTTP */
};

static void usage(FILE *f)
{
	(void)fputs(
	    "usage: wxpay-sim --config FILE [--port-file FILE] [--log FILE] "
	    "[--port N] [--http]\n",
	    f);
}

static int parse_port(const char *s, unsigned int *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

/* Returns 0, 1 for --help, or -1 with a message on stderr. */
static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--http") == 0) {
			o->http = 1;
			continue;
		}
		if (v == NULL) {
			(void)fprintf(stderr, "wxpay-sim: %s needs a value\n",
				      a);
			return -1;
		}
		i++;
		if (strcmp(a, "--config") == 0) {
			o->config = v;
		} else if (strcmp(a, "--port-file") == 0) {
			o->port_file = v;
		} else if (strcmp(a, "--log") == 0) {
			o->log = v;
		} else if (strcmp(a, "--port") == 0) {
			if (parse_port(v, &o->port) < 0) {
				(void)fprintf(stderr,
					      "wxpay-sim: --port %s is not "
					      "0-65535\n",
					      v);
				return -1;
			}
		} else {
			(void)fprintf(stderr, "wxpay-sim: unknown option %s\n",
				      a);
			return -1;
		}
	}
	if (o->config == NULL) {
		(void)fputs("wxpay-sim: --config FILE is required\n", stderr);
		return -1;
	}
	return 0;
}

/* Writes "PORT\n" to a temporary file and renames it into place, so a
 * reader never sees a half-written number. */
static int write_port_file(const char *path, unsigned int port,
			   struct sim_err *err)
{
	char *tmp = sim_xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = -1;

	if (f == NULL) {
		sim_err_set(err, "%s: %s; give a writable --port-file", tmp,
			    strerror(errno));
		goto out;
	}
	(void)fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		sim_err_set(err, "%s: %s; give a writable --port-file", path,
			    strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

static struct MHD_Daemon *start(struct sim *sim, const struct options *o,
				const struct sockaddr_in *addr)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_SOCK_ADDR, 0, (void *)addr},
	    {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)handler_uri_log, sim},
	    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)handler_completed, sim},
	    {MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S, NULL},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)handler_connection, sim},
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, sim->cfg.tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, sim->cfg.tls_key},
	    {MHD_OPTION_END, 0, NULL},
	};

	if (o->http)
		opts[5].option = MHD_OPTION_END;
	else
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL,
				handler_access, sim, MHD_OPTION_ARRAY, opts,
				MHD_OPTION_END);
}

/* Blocks the stop signals in every thread; main collects them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
}

static int serve(struct sim *sim, const struct options *o, const sigset_t *set)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons((uint16_t)o->port)};
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	struct sim_err err;
	int sig;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = start(sim, o, &addr);
	if (d == NULL) {
		(void)fprintf(stderr,
			      "wxpay-sim: cannot listen on 127.0.0.1:%u; "
			      "pick a free --port or use --port 0\n",
			      o->port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (o->port_file != NULL &&
	    write_port_file(o->port_file, info->port, &err) < 0) {
		(void)fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		MHD_stop_daemon(d);
		return 1;
	}
	(void)fprintf(stderr, "wxpay-sim: listening on %s://127.0.0.1:%u\n",
		      o->http ? "http" : "https", (unsigned int)info->port);
	do {
		sig = 0;
	} while (sigwait(set, &sig) != 0);
	sim_request_stop(sim);
	MHD_stop_daemon(d);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct sim sim;
	struct sim_err err;
	sigset_t set;
	int rc = parse_args(argc, argv, &o);

	/* Before any thread exists, so every thread inherits the mask and a
	 * stop signal that arrives during start-up still ends cleanly. */
	block_signals(&set);
	if (rc != 0) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	if (!o.http && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		(void)fputs(
		    "wxpay-sim: this libmicrohttpd has no TLS; run with "
		    "--http\n",
		    stderr);
		return 2;
	}
	sim_init(&sim);
	if (config_load(&sim.cfg, o.config, !o.http, &err) < 0 ||
	    sim_open_log(&sim, o.log != NULL ? o.log : sim.cfg.log_path, &err) <
		0) {
		(void)fprintf(stderr, "wxpay-sim: %s\n", err.msg);
		sim_destroy(&sim);
		return 2;
	}
	rc = serve(&sim, &o, &set);
	sim_destroy(&sim);
	return rc;
}
