#!/usr/bin/env bash
# Input WeChat Pay would refuse is refused before sending, with the rule in
# the message; notes are bounded and free of controls; exports escape what
# would hide or reorder text; a failed write to stdout is never success.
# "Nothing sent" is counted in the simulator's request log.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

# all_requests: every reversal request the simulator received.
all_requests() { jq -c 'select(.target | startswith("'"$REVERSE_PREFIX"'"))' "$MAIN_LOG" | wc -l | tr -d ' '; }
RULE="6 to 32 characters"

t_begin "an order number under 6 characters is refused before sending, with the rule"
before=$(all_requests)
wx reverse --sub "Coffee Shop" --yes A
t_eq "exit status" 2 "$WX_RC"
t_contains "the rule" "$WX_ERR" "$RULE"
t_contains "how long it was" "$WX_ERR" "1 characters long"
wx reverse --sub "Coffee Shop" --yes --json 12345 IN-OK-0001
t_eq "one short number stops the run" 2 "$WX_RC"
t_contains "names it" "$WX_ERR" "12345"
wx query --sub "Coffee Shop" --json O1
t_eq "query refuses it too" 2 "$WX_RC"
t_contains "query: the rule" "$WX_ERR" "$RULE"
printf 'IN-LIST-0001\nT-1\n' >"$T_TMP/short.txt"
wx reverse --sub "Coffee Shop" --yes --from "$T_TMP/short.txt"
t_eq "list exit status" 2 "$WX_RC"
t_contains "list names the line and the rule" "$WX_ERR" "short.txt:2: "
t_contains "list: the rule" "$WX_ERR" "$RULE"
t_eq "the simulator received nothing" "$before" "$(all_requests)"
t_ok

t_begin "a note over 256 characters is refused before sending; 256 are kept"
sim_paid IN-NOTE-0001
long=$(printf 'n%.0s' $(seq 1 257))
wx reverse --sub "Coffee Shop" --yes --note "$long" IN-NOTE-0001
t_eq "exit status" 2 "$WX_RC"
t_contains "names the problem and the fix" "$WX_ERR" "the note is 257 characters long, more than the 256 allowed: shorten it"
t_eq "nothing sent" 0 "$(sim_count IN-NOTE-0001)"
# Characters, not bytes: 256 Chinese characters are 768 bytes.
full=$(printf '票%.0s' $(seq 1 256))
wx reverse --sub "Coffee Shop" --yes --json --note "$full" IN-NOTE-0001
t_eq "256 characters are accepted" 0 "$WX_RC"
t_eq "sent once" 1 "$(sim_count IN-NOTE-0001)"
t_eq "kept whole" "$full" "$(jfield "$(hist_row IN-NOTE-0001)" note)"
t_ok

t_begin "a note with a control character is refused with its position"
sim_paid IN-NOTE-0002
wx reverse --sub "Coffee Shop" --yes --note $'T-1\e]0;PWNED\a\e[2J' IN-NOTE-0002
t_eq "exit status" 2 "$WX_RC"
t_contains "names the character and where" "$WX_ERR" "control character (U+001B) at character 4"
t_contains "says the fix" "$WX_ERR" "remove it"
if [[ "$WX_ERR" == *$'\e'* ]]; then
	t_fail "the escape reached stderr raw"
fi
t_eq "nothing sent" 0 "$(sim_count IN-NOTE-0002)"
t_ok

t_begin "a list's note follows the same rule"
printf 'out_trade_no,note\nIN-NOTE-0003,%s\n' "$(printf 'n%.0s' $(seq 1 257))" >"$T_TMP/notes.csv"
wx reverse --sub "Coffee Shop" --yes --from "$T_TMP/notes.csv"
t_eq "list exit status" 2 "$WX_RC"
t_contains "line and rule named" "$WX_ERR" "notes.csv:2: the note is 257 characters long, more than the 256 allowed"
t_eq "list: nothing sent" 0 "$(sim_count IN-NOTE-0003)"
t_ok

# A note that tries to look like something else: a right-to-left override,
# a zero-width space, a BOM, a tag character and a literal "\u202e".
NOTE=$'ticket \u202e1234\u200b \ufeff\U000E0041 and \\u202e'
t_begin "the terminal confirmation shows the note escaped like network text"
sim_paid IN-TTY-0001
out=$(printf '\n' | timeout 30 script -qec "$WXREV_BIN reverse --sub 'Coffee Shop' --note '$NOTE' IN-TTY-0001" /dev/null)
t_contains "note shown escaped" "$out" 'ticket \u202e1234\u200b \ufeff\ue0041 and'
if [[ "$out" == *$'\u202e'* || "$out" == *$'\u200b'* ]]; then
	t_fail "an invisible character reached the terminal raw"
fi
t_eq "nothing sent" 0 "$(sim_count IN-TTY-0001)"
t_ok

t_begin "JSON lines and CSV escape invisible and direction-changing characters; a backslash cannot fake one"
sim_paid IN-EXP-0001
wx reverse --sub "Coffee Shop" --yes --note "$NOTE" IN-EXP-0001
t_eq "reversed" 0 "$WX_RC"
wx history --order IN-EXP-0001 --format jsonl
t_eq "history exit" 0 "$WX_RC"
if LC_ALL=C grep -qP '\xe2\x80[\x8b-\x8f\xa8-\xae]|\xef\xbb\xbf|\xf3\xa0[\x80\x81]' "$T_TMP/wx.out"; then
	t_fail "jsonl holds an invisible character raw"
fi
t_contains "jsonl: \\u escapes" "$WX_OUT" '\u202e1234\u200b \ufeff\udb40\udc41 and \\u202e'
t_eq "jsonl: the value parses back unchanged" "$NOTE" "$(jq -r .note "$T_TMP/wx.out")"
wx history --order IN-EXP-0001 --format csv
if LC_ALL=C tail -n +2 "$T_TMP/wx.out" | grep -qP '\xe2\x80[\x8b-\x8f\xa8-\xae]|\xef\xbb\xbf|\xf3\xa0[\x80\x81]'; then
	t_fail "csv holds an invisible character raw"
fi
t_contains "csv: escaped, the backslash doubled" "$WX_OUT" 'ticket \u202e1234\u200b \ufeff\ue0041 and \\u202e'
t_contains "csv: field names unchanged" "$WX_OUT" "id,time,created_ms,updated_ms,operator,note,"
t_ok

t_begin "a failed write to stdout is exit status 3 with a message; the history holds the result"
if [ -w /dev/full ]; then
	sim_paid IN-FULL-0001
	timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json IN-FULL-0001 >/dev/full 2>"$T_TMP/full.err" </dev/null
	t_eq "exit status" 3 "$?"
	t_contains "says stdout could not be written" "$(cat "$T_TMP/full.err")" "cannot write the output"
	t_eq "sent once" 1 "$(sim_count IN-FULL-0001)"
	t_eq "the history holds the result" reversed "$(jfield "$(hist_row IN-FULL-0001)" outcome)"
	timeout 60 "$WXREV_BIN" history --format jsonl >/dev/full 2>"$T_TMP/full.err" </dev/null
	t_eq "history export: exit status" 3 "$?"
	timeout 60 "$WXREV_BIN" profiles >/dev/full 2>"$T_TMP/full.err" </dev/null
	t_eq "profiles: exit status" 3 "$?"
	t_contains "profiles: says so" "$(cat "$T_TMP/full.err")" "cannot write the output"
else
	echo "skip: /dev/full is not writable here"
fi
t_ok

t_done
