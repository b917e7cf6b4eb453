/* config: the optional $XDG_CONFIG_HOME/wxrev/config.yaml (else
 * ~/.config/wxrev/config.yaml), settings that are neither partners nor
 * keys. One key today:
 *   history: postgresql://alice@db.example/wxrev   (or a file path)
 * Owns nothing after a call returns. Errors: a file that is not a mapping,
 * an unknown key or a non-text value name file:line:column and the fix;
 * a missing file is no error. */
#ifndef WXREV_CONFIG_H
#define WXREV_CONFIG_H

#include <stddef.h>

#include "util.h"

/* The `history:` setting into buf: 1 when set, 0 when absent, -1 on error. */
int config_history(char *buf, size_t n, struct wx_err *err);

#endif
