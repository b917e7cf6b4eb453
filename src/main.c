/* wxrev entry point: dispatches to the command line or the terminal UI. */
#include <stdio.h>
#include <string.h>

#include "util.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("wxrev %s\n", WXREV_VERSION);
		return 0;
	}
	fprintf(stderr, "wxrev: not yet wired\n");
	return 2;
}
