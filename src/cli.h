/* cli: `wxrev reverse`, `wxrev history`, `wxrev profiles` (see
 * `wxrev --help`), and the dispatch to the terminal UI when no command is
 * given. The same core as the UI, without curses, for scripts and tests.
 * Exit status: 0 all reversed (or the command succeeded); 1 some rejected or
 * failed, none unknown; 2 usage or profile error, nothing sent; 3 some
 * outcome unknown. */
#ifndef WXREV_CLI_H
#define WXREV_CLI_H

#include <stddef.h>

#define CLI_EXIT_OK	 0
#define CLI_EXIT_FAILED	 1
#define CLI_EXIT_USAGE	 2
#define CLI_EXIT_UNKNOWN 3

/* Parses argv and runs the command; returns the process exit status. */
int cli_main(int argc, char **argv);

/* Text from the network made safe for a terminal (wx_text_escape).
 * Returns a malloc'd string. */
char *cli_sanitize(const char *s);

#endif
