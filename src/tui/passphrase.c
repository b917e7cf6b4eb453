/* Masked passphrase prompt for encrypted private keys. */
#include "tui/passphrase.h"

#include <string.h>

#include "profile_keys.h"
#include "tui/ui.h"
#include "tui/widgets.h"

#define PROMPT_W 64

static void prompt_draw(const char *key_path, size_t len, const char *why)
{
	int rows, cols, y, x;

	getmaxyx(stdscr, rows, cols);
	erase();
	y = rows / 2 - 3;
	x = cols > PROMPT_W ? (cols - PROMPT_W) / 2 : 0;
	tui_put(y, x, _("The private key is encrypted:"), PROMPT_W, A_BOLD,
		false);
	tui_put(y + 1, x, key_path, PROMPT_W, A_NORMAL, false);
	tui_put(y + 3, x, _("Passphrase: "), 12, A_NORMAL, false);
	for (size_t i = 0; i < len && i < PROMPT_W - 14; i++)
		addch('*');
	tui_put(y + 5, x, why ? why : _("Enter to unlock, Esc to give up."),
		PROMPT_W, A_NORMAL, false);
	move(y + 3, x + 12 + (int)(len < PROMPT_W - 14 ? len : PROMPT_W - 14));
	curs_set(1);
	refresh();
}

/* Reads one key, waiting; -1 on Esc or end of input. */
static int prompt_read(wint_t *ch, bool *fkey)
{
	int rc;

	nodelay(stdscr, FALSE);
	rc = wget_wch(stdscr, ch);
	nodelay(stdscr, TRUE);
	if (rc == ERR)
		return -1;
	*fkey = rc == KEY_CODE_YES;
	return 0;
}

static int prompt_cb(const char *key_path, char *buf, size_t size, void *user)
{
	size_t len = 0;
	wint_t ch;
	bool fkey;

	(void)user;
	for (;;) {
		prompt_draw(key_path, len, NULL);
		if (prompt_read(&ch, &fkey) != 0 || (!fkey && ch == 27))
			break;
		if (!fkey && (ch == '\n' || ch == '\r')) {
			curs_set(0);
			return (int)len;
		}
		if ((fkey && ch == KEY_BACKSPACE) || (!fkey && (ch == 0x7f || ch == 8))) {
			if (len > 0)
				buf[--len] = '\0';
			continue;
		}
		if (!fkey && ch == 0x15) { /* Ctrl-U */
			wx_wipe(buf, size);
			len = 0;
			continue;
		}
		if (!fkey && ch >= 0x20 && ch < 0x7f && len + 1 < size)
			buf[len++] = (char)ch;
	}
	wx_wipe(buf, size);
	curs_set(0);
	return -1;
}

void tui_passphrase_install(void)
{
	profile_set_passphrase_cb(prompt_cb, NULL);
}
