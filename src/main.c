/* wxrev entry point: dispatches to the command line or the terminal UI. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>

#include "cli.h"
#include "i18n.h"
#include "util.h"

int main(int argc, char **argv)
{
	wx_i18n_init();
	/* Private keys will be in memory: no core dumps, no ptrace by peers. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fputs(_("wxrev: warning: cannot mark the process non-dumpable; "
			"a core dump could contain key material.\n"),
		      stderr);
	/* libcurl allocates and frees some 100 KiB per transfer: without a
	 * higher trim threshold glibc hands it back to the kernel each time
	 * (brk, page faults, TLB flushes), a tenth of a list's CPU time. */
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	/* A closed output pipe is an error on write, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	return cli_main(argc, argv);
}
