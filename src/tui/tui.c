/* Placeholder until the terminal UI lands. */
#include "tui/tui.h"

#include <stdio.h>

int tui_run(const char *profiles_arg, const char *history_arg)
{
	(void)profiles_arg;
	(void)history_arg;
	fputs("wxrev: the terminal UI is not built yet\n", stderr);
	return 2;
}
