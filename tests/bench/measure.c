/* measure: runs a command REPEAT times and prints wall-clock median and p99,
 * CPU (user+sys) median and peak RSS, one line of key=value pairs.
 *   measure [--pty COLSxROWS] REPEAT COMMAND [ARG...]
 * With --pty the command gets a terminal of that size (for the TUI); its
 * output is read and discarded. Without, output goes to /dev/null. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[i];
}

static int run_once(char **argv, int cols, int rows, double *wall,
		    double *cpu, long *rss)
{
	struct rusage ru;
	int status, fd = -1;
	double t0 = now_ms();
	pid_t pid;

	if (cols > 0) {
		struct winsize ws = {.ws_row = (unsigned short)rows,
				     .ws_col = (unsigned short)cols};

		pid = forkpty(&fd, NULL, NULL, &ws);
	} else {
		pid = fork();
	}
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (cols <= 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (fd >= 0) {
		char buf[65536];

		while (read(fd, buf, sizeof(buf)) > 0 || errno == EINTR)
			;
		close(fd);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*wall = now_ms() - t0;
	*cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	*rss = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "measure: %s exited with status %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int cols = 0, rows = 0, n, argi = 1;
	double *wall, *cpu;
	long rss_max = 0;

	if (argc > 3 && strcmp(argv[1], "--pty") == 0) {
		if (sscanf(argv[2], "%dx%d", &cols, &rows) != 2)
			return 2;
		argi = 3;
	}
	if (argc - argi < 2) {
		fputs("usage: measure [--pty COLSxROWS] REPEAT COMMAND...\n", stderr);
		return 2;
	}
	n = atoi(argv[argi]);
	if (n < 1)
		return 2;
	wall = calloc((size_t)n, sizeof(*wall));
	cpu = calloc((size_t)n, sizeof(*cpu));
	for (int i = 0; i < n; i++) {
		long rss = 0;

		if (run_once(argv + argi + 1, cols, rows, &wall[i], &cpu[i], &rss) != 0)
			return 1;
		if (rss > rss_max)
			rss_max = rss;
	}
	printf("wall_median_ms=%.1f wall_p99_ms=%.1f cpu_median_ms=%.1f peak_rss_kib=%ld runs=%d\n",
	       pct(wall, n, 0.5), pct(wall, n, 0.99), pct(cpu, n, 0.5), rss_max, n);
	free(wall);
	free(cpu);
	return 0;
}
