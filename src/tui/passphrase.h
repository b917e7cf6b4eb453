/* passphrase: the masked prompt that unlocks an encrypted private key when
 * WXREV_KEY_PASSPHRASE is not set. Runs while profiles load, before the
 * main screen exists; nothing typed is echoed, kept or logged. */
#ifndef WXREV_TUI_PASSPHRASE_H
#define WXREV_TUI_PASSPHRASE_H

/* Registers the prompt with the profile loader (curses must be active). */
void tui_passphrase_install(void);

#endif
