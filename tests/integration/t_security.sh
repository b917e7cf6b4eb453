#!/usr/bin/env bash
# The security policy of tests/README.md, one test per promise: owner-only
# keys and history, a process that cannot be dumped while it holds keys, key
# text wiped from memory, the signature never stored or shown, TLS
# verification that cannot be switched off, plain HTTP only to loopback.
# Response caps and neutralised network text are proven in t_faults.sh.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || {
	t_begin setup
	t_fail "simulator did not start"
	t_done
}

# wait_row DB ORDER OUTCOME: until the order's newest row has that outcome.
wait_row() {
	local i
	for i in $(seq 1 $((100 * T_SLOW))); do
		[ "$(sqlite3 -readonly "$1" "SELECT outcome FROM reversals WHERE out_trade_no = '$2' ORDER BY id DESC LIMIT 1" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

t_begin "a group- or world-readable private key is refused with the fix"
cp "$KEYS/apiclient_key.pem" "$T_TMP/open_key.pem"
chmod 0644 "$T_TMP/open_key.pem"
write_profile "$T_TMP/open.yaml" "$MAIN_URL" "$MAIN_URL" "$T_TMP/open_key.pem"
wx profiles --check --profiles "$T_TMP/open.yaml"
t_eq "check exit status" 2 "$WX_RC"
t_contains "gives the fix" "$WX_ERR" "chmod 600 $T_TMP/open_key.pem"
sim_paid SEC-OPEN-1
wx reverse --profiles "$T_TMP/open.yaml" --sub "Coffee Shop" --yes SEC-OPEN-1
t_eq "reverse exit status" 2 "$WX_RC"
t_eq "nothing sent" 0 "$(sim_count SEC-OPEN-1)"
chmod 0640 "$T_TMP/open_key.pem"
wx profiles --check --profiles "$T_TMP/open.yaml"
t_eq "group-readable too" 2 "$WX_RC"
t_ok

t_begin "the history is created owner-only, even under umask 000"
sim_paid SEC-MODE-1
(
	umask 000
	unset WXREV_HISTORY
	wx reverse --sub "Coffee Shop" --yes SEC-MODE-1
	exit "$WX_RC"
)
t_eq "exit status" 0 "$?"
hdir="$HOME/.local/share/wxrev"
t_eq "folder mode" 700 "$(stat -c %a "$hdir" 2>&1)"
t_eq "file mode" 600 "$(stat -c %a "$hdir/history.db" 2>&1)"
for f in "$hdir"/history.db-wal "$hdir"/history.db-shm; do
	[ -e "$f" ] || continue
	t_eq "$(basename "$f") mode" 600 "$(stat -c %a "$f")"
done
t_ok

t_begin "the parsed-profile cache is owner-only and holds no key"
cdir="$HOME/.cache/wxrev"
touch -d '-1 minute' "$PROFILE"
sleep 1.1
wx profiles
wx profiles
if [ -d "$cdir" ]; then
	t_eq "folder mode" 700 "$(stat -c %a "$cdir")"
	for f in "$cdir"/*; do
		t_eq "$(basename "$f") mode" 600 "$(stat -c %a "$f")"
	done
	# A line from the middle of the key's PEM text.
	keyline=$(sed -n 5p "$KEYS/apiclient_key.pem")
	t_eq "no key text in the cache" 0 "$(cat "$cdir"/* | grep -c -F "$keyline")"
	t_eq "no PEM in the cache" 0 "$(cat "$cdir"/* | grep -c -a 'PRIVATE KEY')"
fi
t_ok

# mem_has PID TEXT: whether TEXT is anywhere in the process's writable
# memory (heap, stacks, data). Needs root or the same user with ptrace.
mem_has() {
	local pid=$1 text=$2 range start end
	while read -r range perms _; do
		[[ $perms == rw* ]] || continue
		start=$((16#${range%-*}))
		end=$((16#${range#*-}))
		dd if="/proc/$pid/mem" bs=65536 iflag=skip_bytes,count_bytes \
			skip="$start" count=$((end - start)) 2>/dev/null
	done <"/proc/$pid/maps" | grep -q -a -F "$text"
}

t_begin "while keys are loaded: not dumpable, no key text in memory"
sim_paid SEC-DUMP-1
sim_fault SEC-DUMP-1 '{"type":"delay","ms":3000,"count":1}'
db="$T_TMP/dump/history.db"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	# As root every /proc file is root's anyway; run as nobody, whose
	# /proc files become root's only when the process is not dumpable.
	nb="$(mktemp -d /tmp/wxrev-nobody.XXXXXX)"
	t_cleanup_add "rm -rf '$nb'"
	cp -r "$KEYS" "$nb/keys"
	write_profile "$nb/p.yaml" "$MAIN_URL" "$MAIN_URL" "$nb/keys/apiclient_key.pem"
	sed -i "s#$KEYS#$nb/keys#g" "$nb/p.yaml"
	chown -R 65534:65534 "$nb"
	chmod 700 "$nb"
	db="$nb/history.db"
	HOME=$nb WXREV_HISTORY=$db setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$WXREV_REAL_BIN" reverse --profiles "$nb/p.yaml" --sub "Coffee Shop" --yes SEC-DUMP-1 \
		>"$T_TMP/dump.out" 2>&1 </dev/null &
	want_owner=0
else
	mkdir -p "$(dirname "$db")"
	WXREV_HISTORY=$db "$WXREV_REAL_BIN" reverse --sub "Coffee Shop" --yes SEC-DUMP-1 \
		>"$T_TMP/dump.out" 2>&1 </dev/null &
	want_owner=0
fi
pid=$!
t_check "in flight" wait_row "$db" SEC-DUMP-1 pending
t_eq "uid of the process" "$([ "$(id -u)" -eq 0 ] && echo 65534 || id -u)" \
	"$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")"
t_eq "/proc/PID/status owner (root: not dumpable)" "$want_owner" "$(stat -c %u "/proc/$pid/status")"
# Sanitizer builds reserve terabytes of shadow and heap address space that
# cannot be read through in reasonable time; the plain build is searched.
if [ "$(id -u)" -eq 0 ] && ! grep -q -a __asan_init "$WXREV_REAL_BIN"; then
	keyline=$(sed -n 5p "$KEYS/apiclient_key.pem")
	# Held still while searched, so a slow search on a busy machine still
	# reads a live process (the call may then time out and be retried).
	kill -STOP "$pid"
	if mem_has "$pid" "$keyline"; then
		t_fail "the private key's PEM text is still in memory"
	fi
	# Control: the same search finds what must be there (the order).
	mem_has "$pid" "SEC-DUMP-1" || t_fail "memory search found nothing at all"
	kill -CONT "$pid"
fi
wait "$pid"
t_eq "exit status" 0 "$?"
t_ok

t_begin "the signature is never stored or shown"
sim_paid SEC-SIG-1
db="$T_TMP/sig/history.db"
WXREV_HISTORY=$db wx reverse --sub "Coffee Shop" --yes --json SEC-SIG-1
t_eq "exit status" 0 "$WX_RC"
out="$WX_OUT$WX_ERR"
sig=$(sim_log SEC-SIG-1 | jq -r '.headers | to_entries[] | select(.key | ascii_downcase == "authorization") | .value' | sed -n 's/.*signature="\([^"]*\)".*/\1/p')
t_check "the simulator saw a signature" test -n "$sig"
# A distinctive middle slice: survives any re-wrapping or escaping.
probe=${sig:40:40}
t_eq "not in the database" 0 "$(sqlite3 "$db" .dump | grep -c -F "$probe")"
WXREV_HISTORY=$db wx history --format jsonl
out="$out$WX_OUT$WX_ERR"
WXREV_HISTORY=$db wx history --format csv
out="$out$WX_OUT$WX_ERR"
WXREV_HISTORY=$db wx history
out="$out$WX_OUT$WX_ERR"
t_eq "not in any output" 0 "$(grep -c -F "$probe" <<<"$out")"
t_contains "the stored header says it was redacted" "$(sqlite3 "$db" .dump)" "redacted"
for f in "$db"-wal "$db"-journal; do
	[ -e "$f" ] || continue
	t_eq "not in $(basename "$f")" 0 "$(grep -c -a -F "$probe" "$f")"
done
t_ok

t_begin "TLS verification cannot be switched off"
for opt in --insecure -k --no-verify --no-tls-verify; do
	wx reverse --sub "Coffee Shop" --yes "$opt" SEC-TLS-1
	t_eq "$opt is not an option" 2 "$WX_RC"
done
for key in "insecure: true" "verify: false" "verify_tls: false" "tls_verify: false" "ssl_verify: false"; do
	write_profile "$T_TMP/tls.yaml" "$MAIN_URL"
	sed -i "s/^  timeout_s:/  $key\n  timeout_s:/" "$T_TMP/tls.yaml"
	wx profiles --check --profiles "$T_TMP/tls.yaml"
	t_eq "api.${key%%:*} is refused" 2 "$WX_RC"
done
# curl's own environment knobs must not weaken it either.
write_profile "$T_TMP/noca.yaml" "$MAIN_URL"
sed -i '/ca_file:/d' "$T_TMP/noca.yaml"
sim_paid SEC-TLS-2
CURL_INSECURE=1 CURLOPT_SSL_VERIFYPEER=0 GIT_SSL_NO_VERIFY=1 \
	wx reverse --profiles "$T_TMP/noca.yaml" --sub "Coffee Shop" --yes --json SEC-TLS-2
t_eq "untrusted certificate still fails" failed "$(jq -r .outcome <<<"$WX_OUT")"
t_eq "nothing reached the simulator" 0 "$(sim_count SEC-TLS-2)"
t_ok

t_begin "plain HTTP only to loopback hosts"
for url in http://wxrev-test.invalid http://127.0.0.1.wxrev-test.invalid \
	http://localhost.wxrev-test.invalid "http://127.0.0.1@wxrev-test.invalid" \
	"http://wxrev-test.invalid#@127.0.0.1" "http://wxrev-test.invalid\\@127.0.0.1" \
	HTTP://wxrev-test.invalid; do
	write_profile "$T_TMP/http.yaml" "$url"
	wx profiles --check --profiles "$T_TMP/http.yaml"
	t_eq "$url refused" 2 "$WX_RC"
	sim_paid SEC-HTTP-1
	wx reverse --profiles "$T_TMP/http.yaml" --sub "Coffee Shop" --yes SEC-HTTP-1
	t_eq "$url: reverse refused" 2 "$WX_RC"
done
t_eq "nothing sent" 0 "$(sim_count SEC-HTTP-1)"
# The backup URL is held to the same rule.
write_profile "$T_TMP/http.yaml" "$MAIN_URL" http://wxrev-test.invalid
wx profiles --check --profiles "$T_TMP/http.yaml"
t_eq "plain-HTTP backup_url refused" 2 "$WX_RC"
t_ok

t_begin "plain HTTP to loopback works (control)"
sim_keys
sim_write_config "$SIM_DIR/plain.json"
if sim_start plain --http; then
	write_profile "$T_TMP/plain.yaml" "$SIM_URL"
	sim_curl -X POST -H 'Content-Type: application/json' \
		--data '{"out_trade_no":"SEC-PLAIN-1","sub_mchid":"1900000109","state":"PAID"}' \
		"$SIM_URL/_sim/orders" >/dev/null
	wx reverse --profiles "$T_TMP/plain.yaml" --sub "Coffee Shop" --yes --json SEC-PLAIN-1
	t_eq "reversed over loopback HTTP" reversed "$(jq -r .outcome <<<"$WX_OUT")"
	sim_stop
else
	t_fail "plain-HTTP simulator did not start"
fi
t_ok

t_done
