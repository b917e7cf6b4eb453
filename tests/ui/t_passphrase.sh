#!/usr/bin/env bash
# An encrypted private key without WXREV_KEY_PASSPHRASE: the UI asks for the
# passphrase with a masked prompt, and a wrong one is said plainly.
. "$(dirname "$0")/lib_ui.sh"

ui_setup || { t_begin setup; t_fail "simulator did not start"; t_done; }
SECRET=Desk-Passphrase-42
openssl pkey -in "$KEYS/apiclient_key.pem" -aes256 -passout "pass:$SECRET" \
	-out "$KEYS/apiclient_key_enc.pem" 2>/dev/null
chmod 600 "$KEYS/apiclient_key_enc.pem"
sed -i "s|$KEYS/apiclient_key.pem|$KEYS/apiclient_key_enc.pem|" "$PROFILE"

t_begin "the passphrase prompt masks what is typed and unlocks the key"
ui_start
ui_wait_for "The private key is encrypted" 10
t_contains "names the key" "$(ui_screen)" "apiclient_key_enc.pem"
ui_type "$SECRET"
ui_wait_for "Passphrase: ******************" 5
screen=$(ui_screen)
if [[ "$screen" == *"$SECRET"* ]]; then
	t_fail "the passphrase is shown on screen"
fi
ui_keys Enter
ui_wait_for "Profiles" 10
t_contains "main screen after unlocking" "$(ui_screen)" "Coffee Shop"
t_ok
ui_keys F10
ui_wait_exit 10
ui_stop

t_begin "a wrong passphrase ends with a clear message and nothing sent"
ui_start
ui_wait_for "The private key is encrypted" 10
ui_type "not-the-passphrase"
ui_keys Enter
ui_wait_for "WRAPPER-DONE" 10
t_eq "exit status" 2 "$(cat "$UI_STATE/rc")"
t_contains "message" "$(ui_screen)" "wrong passphrase"
t_eq "terminal restored" "$(cat "$UI_STATE/stty.before")" "$(cat "$UI_STATE/stty.after")"
t_eq "nothing sent" 0 "$(sim_requests)"
t_ok
ui_stop
t_done
