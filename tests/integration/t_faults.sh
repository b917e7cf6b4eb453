#!/usr/bin/env bash
# Faults and hostile input: broken profiles, a history that cannot be
# written, and networks and servers that misbehave. Each test is one row of
# the catalogue in tests/README.md; the row names the test.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

HOSTILE_BIN=${HOSTILE_BIN:-$T_ROOT/$BUILD/bin/hostile}
sim_keys || t_setup_fail "the test keys could not be made"
P="$T_TMP/profiles"
mkdir -p "$P"

# ---- profiles -------------------------------------------------------------

# A good profile to break in each test; relative key paths are under keys/.
ln -s "$KEYS" "$P/keys"
good_profile() {
	cat <<YAML
name: Test Provider
sp_mchid: "$SP_MCHID"
merchant:
  serial_no: $MERCHANT_SERIAL
  private_key: keys/apiclient_key.pem
wechatpay:
  public_key_id: $PUB_KEY_ID
  public_key: keys/pub_key.pem
api:
  base_url: https://127.0.0.1:9
  ca_file: keys/test-ca.pem
sub_merchants:
  - name: Coffee Shop
    sub_mchid: "$SUB_COFFEE"
YAML
}

# elapsed_ms T0: milliseconds since T0 (from date +%s%N).
elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

# check_bad NAME FILE EXPECTED [MAX_S]: `profiles --check` exits 2 within
# MAX_S seconds (scaled for slow wrappers) and names the file and problem.
check_bad() {
	local name=$1 file=$2 want=$3 max=${4:-5} t0 ms
	t_begin "profile: $name"
	t0=$(date +%s%N)
	wx profiles --check --profiles "$file"
	ms=$(elapsed_ms "$t0")
	t_eq "exit status" 2 "$WX_RC"
	t_contains "message" "$WX_ERR" "$want"
	t_contains "the file is named" "$WX_ERR" "$(basename "$file")"
	if [ "$ms" -gt $((max * 1000 * T_SLOW)) ]; then
		t_fail "took ${ms} ms (limit ${max} s)"
	fi
	t_ok
}

good_profile >"$P/good.yaml"
t_begin "profile: the unbroken profile passes (control)"
wx profiles --check --profiles "$P/good.yaml"
t_eq "exit status" 0 "$WX_RC"
t_ok

good_profile | sed 's/^  private_key/\tprivate_key/' >"$P/tabs.yaml"
check_bad "tab in the indentation" "$P/tabs.yaml" "tabs.yaml:5:1:"
good_profile | sed 's/^  private_key/   private_key/' >"$P/indent.yaml"
check_bad "broken indentation" "$P/indent.yaml" "indent.yaml:5:"
good_profile | sed "s/\"$SP_MCHID\"/\"$SP_MCHID/" >"$P/quote.yaml"
check_bad "unterminated quote" "$P/quote.yaml" "YAML syntax error"

{
	echo 'a: &a [x, x, x, x, x, x, x, x, x]'
	prev=a
	for cur in b c d e f g h i j; do
		echo "$cur: &$cur [*$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev]"
		prev=$cur
	done
} >"$P/bomb.yaml"
check_bad "billion-laughs alias bomb" "$P/bomb.yaml" "alias" 2
# The same trick inside an otherwise valid profile, where a loader that
# expands aliases would walk it.
{
	good_profile
	echo '  - &s {name: S, sub_mchid: "1900000111"}'
	echo '  - *s'
} >"$P/alias-sub.yaml"
check_bad "alias inside the schema" "$P/alias-sub.yaml" "alias" 2

head -c 4096 /dev/urandom >"$P/garbage.yaml"
printf '\0\1\2\3' >>"$P/garbage.yaml"
check_bad "binary garbage" "$P/garbage.yaml" "UTF-8"
good_profile | sed $'s/Test Provider/Test \xff\xfe Provider/' >"$P/utf8.yaml"
check_bad "invalid UTF-8" "$P/utf8.yaml" "utf8.yaml:1:"

# 10 MB: a real desk file can be this big (100 000 sub-merchants); it must
# load, and a 10 MB value must not break anything either. How fast is
# `make bench`'s to say; the loose bound here only catches a loader gone
# quadratic, whatever else the machine is doing.
t_begin "profile: 10 MB file loads"
pad=$(printf '%0900d' 0)
{
	good_profile
	for i in $(seq 0 9999); do
		printf '  - name: "Shop %05d %s"\n    sub_mchid: "%d"\n' "$i" "$pad" $((1900100000 + i))
	done
} >"$P/big.yaml"
size=$(stat -c %s "$P/big.yaml")
[ "$size" -ge 9000000 ] || t_fail "fixture is only $size bytes"
t0=$(date +%s%N)
wx profiles --check --profiles "$P/big.yaml"
ms=$(elapsed_ms "$t0")
t_eq "exit status" 0 "$WX_RC"
t_contains "all sub-merchants" "$WX_OUT" "10001 sub-merchant"
[ "$ms" -le $((60000 * T_SLOW)) ] || t_fail "took $ms ms"
t_ok
t_begin "profile: 10 MB scalar does not break the loader"
{
	printf 'name: '
	head -c 10485760 /dev/zero | tr '\0' x
	echo
	good_profile | sed 1d
} >"$P/bigvalue.yaml"
wx profiles --check --profiles "$P/bigvalue.yaml"
[ "$WX_RC" -eq 0 ] || [ "$WX_RC" -eq 2 ] || t_fail "exit $WX_RC: ${WX_ERR:0:300}"
t_ok

(
	cd "$KEYS" || exit 1
	umask 077
	[ -f ec_key.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec_key.pem 2>/dev/null
	[ -f rsa1024_key.pem ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024_key.pem 2>/dev/null
	[ -f enc_key.pem ] || openssl pkey -in apiclient_key.pem -aes256 -passout pass:right-one -out enc_key.pem 2>/dev/null
)
good_profile | sed 's#keys/apiclient_key.pem#keys/ec_key.pem#' >"$P/ec.yaml"
check_bad "EC key" "$P/ec.yaml" "EC key, not RSA"
good_profile | sed 's#keys/apiclient_key.pem#keys/rsa1024_key.pem#' >"$P/rsa1024.yaml"
check_bad "1024-bit RSA key" "$P/rsa1024.yaml" "1024-bit"
good_profile | sed 's#keys/apiclient_key.pem#keys/pub_key.pem#' >"$P/pub.yaml"
check_bad "public key where the private key belongs" "$P/pub.yaml" "public key, not the private key"
good_profile | sed '/serial_no/d; s#  private_key: keys/apiclient_key.pem#  private_key: keys/apiclient_key.pem\n  certificate: keys/wechatpay_cert.pem#' >"$P/cert.yaml"
check_bad "certificate that does not match the key" "$P/cert.yaml" "does not belong to the private key"
good_profile | sed 's#keys/apiclient_key.pem#keys/enc_key.pem#' >"$P/enc.yaml"
WXREV_KEY_PASSPHRASE=wrong-one check_bad "wrong passphrase" "$P/enc.yaml" "wrong passphrase"
t_begin "profile: the right passphrase unlocks it (control)"
WXREV_KEY_PASSPHRASE=right-one wx profiles --check --profiles "$P/enc.yaml"
t_eq "exit status" 0 "$WX_RC"
t_ok

# A corrupt parsed-profile cache must never be trusted: the profile is read
# again from its YAML.
t_begin "profile: corrupt cache is ignored"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/wxrev"
touch -d '-1 minute' "$P/good.yaml"
sleep 1.1 # past the cache's settling time for the profile's ctime
wx profiles --profiles "$P/good.yaml"
wx profiles --profiles "$P/good.yaml"
n=0
for f in "$cache_dir"/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	head -c 200 /dev/urandom | dd of="$f" bs=1 seek=40 conv=notrunc 2>/dev/null
done
wx profiles --profiles "$P/good.yaml"
t_eq "exit status" 0 "$WX_RC"
t_contains "still lists the sub-merchant" "$WX_OUT" "Coffee Shop"
[ "$n" -gt 0 ] || t_fail "no cache file was written, so corruption was not exercised"
t_ok

# ---- history --------------------------------------------------------------

sim_setup || {
	t_begin setup
	t_fail "simulator did not start"
	t_done
}

# A tmpfs we can fill or make read-only; needs root (CI runs as root).
TMPFS="$T_TMP/tmpfs"
have_tmpfs() {
	mkdir -p "$TMPFS"
	mountpoint -q "$TMPFS" && return 0
	[ "$(id -u)" -eq 0 ] || return 1
	mount -t tmpfs -o size=1m,mode=0700 wxrev-test "$TMPFS" 2>/dev/null || return 1
	t_cleanup_add "umount -l '$TMPFS'"
}

# expect_nothing_sent ORDER: the refusal every history fault must end in.
expect_nothing_sent() {
	t_eq "simulator requests for $1" 0 "$(sim_count "$1")"
	t_eq "exit status" 2 "$WX_RC"
	t_contains "told why" "$WX_ERR" "nothing was sent"
}

t_begin "history: read-only file"
sim_paid RO-0001
sim_paid RO-0002
if have_tmpfs; then
	H="$TMPFS/ro/history.db"
	WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes RO-0001
	t_eq "first reversal" 0 "$WX_RC"
	before=$(sqlite3 -readonly "$H" 'SELECT count(*) FROM reversals' 2>&1)
	mount -o remount,ro "$TMPFS"
	WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes RO-0002
	expect_nothing_sent RO-0002
	t_contains "says read-only" "$WX_ERR" "read-only"
	mount -o remount,rw "$TMPFS"
	t_eq "integrity" ok "$(sqlite3 "$H" 'PRAGMA integrity_check')"
	t_eq "rows unchanged" "$before" "$(sqlite3 "$H" 'SELECT count(*) FROM reversals')"
	rm -rf "$TMPFS/ro"
elif [ "$(id -u)" -ne 0 ]; then
	H="$T_TMP/ro/history.db"
	mkdir -p "$T_TMP/ro"
	WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes RO-0001
	chmod 0400 "$H"
	chmod 0500 "$T_TMP/ro"
	WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes RO-0002
	expect_nothing_sent RO-0002
	chmod 0700 "$T_TMP/ro"
else
	t_fail "root without mount(8): cannot make a read-only history here"
fi
t_ok

t_begin "history: a file that is not a database"
H="$T_TMP/notdb/history.db"
mkdir -p "$(dirname "$H")"
head -c 8192 /dev/urandom >"$H"
sum=$(sha256sum <"$H")
sim_paid NOTDB-1
WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes NOTDB-1
expect_nothing_sent NOTDB-1
t_contains "names the file" "$WX_ERR" "$H"
t_eq "file left untouched" "$sum" "$(sha256sum <"$H")"
t_ok

t_begin "history: locked by another process past the busy timeout"
H="$T_TMP/locked/history.db"
mkdir -p "$(dirname "$H")"
sim_paid LOCK-1
sim_paid LOCK-2
WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes LOCK-1
# Hold the write lock for longer than wxrev waits (5 s).
(
	echo "BEGIN IMMEDIATE;"
	echo "UPDATE reversals SET note = note WHERE 0;"
	sleep $((8 * T_SLOW))
	echo "COMMIT;"
) | sqlite3 "$H" &
locker=$!
sleep 0.5
WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes LOCK-2
expect_nothing_sent LOCK-2
t_contains "says locked" "$WX_ERR" "locked"
wait "$locker"
t_eq "integrity" ok "$(sqlite3 "$H" 'PRAGMA integrity_check')"
t_eq "no row for the refused order" 0 "$(sqlite3 "$H" "SELECT count(*) FROM reversals WHERE out_trade_no = 'LOCK-2'")"
t_ok

t_begin "history: full disk"
sim_paid FULL-1
sim_paid FULL-2
if have_tmpfs; then
	H="$TMPFS/full/history.db"
	mkdir -p "$(dirname "$H")"
	WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes FULL-1
	t_eq "first reversal" 0 "$WX_RC"
	# Fill every free block.
	dd if=/dev/zero of="$TMPFS/filler" bs=4k 2>/dev/null
	WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes FULL-2
	expect_nothing_sent FULL-2
	rm -f "$TMPFS/filler"
	t_eq "integrity" ok "$(sqlite3 "$H" 'PRAGMA integrity_check')"
	t_eq "first row intact" reversed "$(sqlite3 "$H" "SELECT outcome FROM reversals WHERE out_trade_no = 'FULL-1'")"
	rm -rf "$TMPFS/full"
else
	# Without a tmpfs: a file size limit, the other way a write runs out.
	H="$T_TMP/fsize/history.db"
	mkdir -p "$(dirname "$H")"
	(
		ulimit -f 8
		WXREV_HISTORY=$H wx reverse --sub "Coffee Shop" --yes FULL-2
		exit "$WX_RC"
	)
	rc=$?
	t_eq "simulator requests" 0 "$(sim_count FULL-2)"
	t_eq "exit status" 2 "$rc"
fi
t_ok

# ---- network --------------------------------------------------------------

# net_profile NAME BASE_URL [TIMEOUT_S] [NO_CA]: a profile whose main and
# backup URL are BASE_URL; prints its path.
net_profile() {
	local f="$T_TMP/net-$1.yaml"
	write_profile "$f" "$2" "$2" "$KEYS/apiclient_key.pem" "${3:-5}"
	[ -z "${4:-}" ] || sed -i '/ca_file:/d' "$f"
	echo "$f"
}

# reverse_via PROFILE ORDER: one reversal with --json; WX_* set.
# --no-settle: these rows are about the reversal's own answer; the hostile
# server is no WeChat Pay to query (settling is tests/integration/t_settle.sh).
reverse_via() {
	WXREV_HISTORY="$T_TMP/net.db" wx reverse --profiles "$1" --sub "Coffee Shop" --yes --json --no-settle "$2"
	WX_OUTCOME=$(jq -r .outcome <<<"$WX_OUT" 2>/dev/null)
	WX_CODE=$(jq -r .code <<<"$WX_OUT" 2>/dev/null)
	WX_MSG=$(jq -r .message <<<"$WX_OUT" 2>/dev/null)
}

# hostile_start NAME ARGS...: the hostile server; sets H_PID, H_URL, H_LOG.
hostile_start() {
	local name=$1 i
	shift
	H_LOG="$T_TMP/hostile-$name.log"
	: >"$H_LOG"
	rm -f "$T_TMP/hostile-$name.port"
	"$HOSTILE_BIN" --port-file "$T_TMP/hostile-$name.port" --log "$H_LOG" \
		--tls "$KEYS/server.pem" "$KEYS/server-key.pem" \
		--sign "$KEYS/wechatpay_key.pem" "$PUB_KEY_ID" "$@" \
		2>"$T_TMP/hostile-$name.err" &
	H_PID=$!
	t_cleanup_kill "$H_PID"
	for i in $(seq 1 50); do
		[ -s "$T_TMP/hostile-$name.port" ] && break
		sleep 0.1
	done
	H_URL="https://${H_HOST:-127.0.0.1}:$(tr -d '\n' <"$T_TMP/hostile-$name.port")"
}
hostile_stop() {
	kill "$H_PID" 2>/dev/null
	wait "$H_PID" 2>/dev/null
}
hostile_count() { wc -l <"$H_LOG" | tr -d ' '; }
lower() { tr 'A-Z' 'a-z' <<<"$1"; }

t_begin "network: DNS failure"
prof=$(net_profile dns https://wxrev-test.invalid)
reverse_via "$prof" DNS-0001
t_eq "outcome (nothing reached WeChat Pay)" failed "$WX_OUTCOME"
t_eq "exit status" 1 "$WX_RC"
t_contains "names the host" "$WX_MSG$WX_ERR" "wxrev-test.invalid"
t_ok

t_begin "network: connection refused"
prof=$(net_profile refused https://127.0.0.1:1)
reverse_via "$prof" REFUSED-1
t_eq "outcome" failed "$WX_OUTCOME"
t_eq "exit status" 1 "$WX_RC"
t_ok

t_begin "network: untrusted certificate (no ca_file)"
sim_paid UNTRUSTED-1
prof=$(net_profile untrusted "$MAIN_URL" 5 no-ca)
reverse_via "$prof" UNTRUSTED-1
t_eq "outcome" failed "$WX_OUTCOME"
t_eq "simulator requests" 0 "$(sim_count UNTRUSTED-1)"
t_eq "order still paid" PAID "$(sim_state UNTRUSTED-1)"
t_contains "says certificate" "$(lower "$WX_MSG$WX_ERR")" "certificate"
t_ok

t_begin "network: certificate for another host"
# The test certificate names localhost, 127.0.0.1 and ::1, not 127.0.0.2.
H_HOST=127.0.0.2 hostile_start wronghost --bind 127.0.0.2 --body /dev/null
prof=$(net_profile wronghost "$H_URL")
reverse_via "$prof" WRONGHOST-1
t_eq "outcome" failed "$WX_OUTCOME"
t_eq "requests that got past TLS" 0 "$(hostile_count)"
t_contains "says which host" "$WX_MSG$WX_ERR" "127.0.0.2"
hostile_stop
t_ok

t_begin "network: connection reset in the middle of the body"
printf '{"sp_mchid":"%s","sub_mchid":"%s","out_trade_no":"RESET-1"}' "$SP_MCHID" "$SUB_COFFEE" >"$T_TMP/ok-reset.json"
hostile_start reset --body "$T_TMP/ok-reset.json" --reset-after 10
prof=$(net_profile reset "$H_URL")
reverse_via "$prof" RESET-1
t_eq "outcome" unknown "$WX_OUTCOME"
t_eq "exit status" 3 "$WX_RC"
t_eq "requests (retried, then gave up)" 3 "$(hostile_count)"
t_eq "attempts recorded" 3 "$(jq -r .attempts <<<"$WX_OUT")"
hostile_stop
t_ok

t_begin "network: body trickled past the total timeout"
sim_paid TRICKLE-1
sim_fault TRICKLE-1 '{"type":"trickle"}'
prof=$(net_profile trickle "$MAIN_URL" 2)
t0=$(date +%s)
reverse_via "$prof" TRICKLE-1
el=$(($(date +%s) - t0))
t_eq "outcome" unknown "$WX_OUTCOME"
t_eq "exit status" 3 "$WX_RC"
# Three attempts of 2 s each plus back-off: bounded, not one byte a second
# for as long as the server likes.
[ "$el" -le $((15 * T_SLOW)) ] || t_fail "took $el s"
t_ok

t_begin "network: a 1 GiB body is cut at the cap"
hostile_start huge --endless
prof=$(net_profile huge "$H_URL")
t0=$(date +%s)
reverse_via "$prof" HUGE-1
el=$(($(date +%s) - t0))
t_eq "outcome" unknown "$WX_OUTCOME"
t_contains "says too large" "$(lower "$WX_MSG$WX_ERR")" "large"
[ "$el" -le $((20 * T_SLOW)) ] || t_fail "took $el s"
stored=$(sqlite3 -readonly "$T_TMP/net.db" "SELECT max(length(CAST(a.response_body AS BLOB))) FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'HUGE-1'" 2>&1)
[ "${stored:-0}" -le $((1024 * 1024)) ] 2>/dev/null || t_fail "stored body: $stored"
hostile_stop
t_ok

t_begin "network: compressed answer is not decompressed"
# 64 MiB of zeros in 64 KiB of gzip, signed over the bytes as sent.
head -c 67108864 /dev/zero | gzip -9 >"$T_TMP/bomb.gz"
hostile_start gzip --body "$T_TMP/bomb.gz" --header "Content-Encoding: gzip"
prof=$(net_profile gzip "$H_URL")
reverse_via "$prof" GZIP-1
t_eq "outcome" unknown "$WX_OUTCOME"
# Verified over the bytes as sent, then not JSON: proof nothing inflated them.
t_eq "code" MALFORMED_RESPONSE "$WX_CODE"
hostile_stop
sim_paid GZIP-2
reverse_via "$(net_profile sim "$MAIN_URL")" GZIP-2
t_eq "reversed (control)" reversed "$WX_OUTCOME"
t_eq "no Accept-Encoding offered" "" "$(sim_log GZIP-2 | jq -r '.headers | to_entries[] | select(.key | ascii_downcase == "accept-encoding") | .value')"
t_ok

# hostile_answer NAME STATUS BODY_FILE ORDER: a signed canned answer.
hostile_answer() {
	hostile_start "$1" --status "$2" --body "$3"
	reverse_via "$(net_profile "$1" "$H_URL")" "$4"
	hostile_stop
}

t_begin "network: a 200 that is HTML"
printf '<html><body><h1>200 OK</h1>reversed!</body></html>' >"$T_TMP/html"
hostile_answer html 200 "$T_TMP/html" HTML-1
t_eq "outcome" unknown "$WX_OUTCOME"
t_eq "code" MALFORMED_RESPONSE "$WX_CODE"
t_eq "exit status" 3 "$WX_RC"
t_ok

t_begin "network: JSON of the wrong types"
printf '{"sp_mchid":%s,"sub_mchid":[%s],"out_trade_no":{"v":"TYPES-1"}}' "$SP_MCHID" "$SUB_COFFEE" >"$T_TMP/types"
hostile_answer types 200 "$T_TMP/types" TYPES-1
t_eq "outcome" unknown "$WX_OUTCOME"
t_eq "code" MALFORMED_RESPONSE "$WX_CODE"
printf '{"code":404,"message":["x"],"detail":"y"}' >"$T_TMP/types4"
hostile_answer types4 400 "$T_TMP/types4" TYPES-2
t_eq "4xx outcome" rejected "$WX_OUTCOME"
t_eq "4xx exit status" 1 "$WX_RC"
t_ok

t_begin "network: duplicate keys"
printf '{"sp_mchid":"%s","sub_mchid":"%s","out_trade_no":"DUP-0001","out_trade_no":"OTHER"}' "$SP_MCHID" "$SUB_COFFEE" >"$T_TMP/dup"
hostile_answer dup 200 "$T_TMP/dup" DUP-0001
t_eq "outcome (never reversed on an ambiguous body)" unknown "$WX_OUTCOME"
t_eq "exit status" 3 "$WX_RC"
t_ok

t_begin "network: 100 000 levels of nesting"
{
	printf '{"code":"PARAM_ERROR","message":"x","detail":'
	head -c 100000 /dev/zero | tr '\0' '['
	head -c 100000 /dev/zero | tr '\0' ']'
	printf '}'
} >"$T_TMP/deep4"
hostile_answer deep4 400 "$T_TMP/deep4" DEEP-1
[ "$WX_RC" -eq 1 ] || [ "$WX_RC" -eq 3 ] || t_fail "4xx: exit $WX_RC: $WX_ERR"
{
	head -c 100000 /dev/zero | tr '\0' '['
	head -c 100000 /dev/zero | tr '\0' ']'
} >"$T_TMP/deep2"
hostile_answer deep2 200 "$T_TMP/deep2" DEEP-2
t_eq "200 outcome" unknown "$WX_OUTCOME"
t_eq "200 exit status" 3 "$WX_RC"
t_ok

# clean_text WHAT TEXT: valid UTF-8 with no control characters but tab and
# newline (C1 controls, U+0080-U+009F, included), so nothing from the
# network can drive the terminal.
clean_text() {
	if LC_ALL=C grep -qE $'[\x01-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' <<<"$2"; then
		t_fail "$1 has control characters: $(printf '%q' "${2:0:300}")"
		return 1
	fi
	if ! iconv -f UTF-8 -t UTF-8 <<<"$2" >/dev/null 2>&1; then
		t_fail "$1 is not valid UTF-8"
		return 1
	fi
}

t_begin "network: terminal escape sequences in message"
printf '{"code":"PARAM_ERROR","message":"\\u001b]52;c;ZXZpbA==\\u0007\\u001b[2J\\u001b[31mred\\r\\noverwrite \\u009b1m 参数错误","detail":{"field":"\\u001b[5mx","issue":"\\u0008\\u007f"}}' >"$T_TMP/esc"
hostile_start esc --status 400 --body "$T_TMP/esc"
prof=$(net_profile esc "$H_URL")
WXREV_HISTORY="$T_TMP/net.db" wx reverse --profiles "$prof" --sub "Coffee Shop" --yes ESC-0001
t_eq "exit status" 1 "$WX_RC"
clean_text "reverse output" "$WX_OUT$WX_ERR"
t_contains "Chinese kept" "$WX_OUT$WX_ERR" "参数错误"
t_contains "escape shown, not obeyed" "$WX_OUT$WX_ERR" "[2J"
WXREV_HISTORY="$T_TMP/net.db" wx history --order ESC-0001
clean_text "history table" "$WX_OUT$WX_ERR"
WXREV_HISTORY="$T_TMP/net.db" wx history --order ESC-0001 --format csv
clean_text "history csv" "$(tr -d '\r' <<<"$WX_OUT$WX_ERR")"
WXREV_HISTORY="$T_TMP/net.db" wx history --order ESC-0001 --format jsonl
clean_text "history jsonl" "$WX_OUT$WX_ERR"
t_contains "jsonl keeps the message faithfully, escaped" "$(tr 'A-F' 'a-f' <<<"$WX_OUT")" '\u001b[2J'

WXREV_HISTORY="$T_TMP/net.db" wx reverse --profiles "$prof" --sub "Coffee Shop" --yes --json ESC-0002
clean_text "reverse --json" "$WX_OUT$WX_ERR"
hostile_stop
t_ok

t_begin "network: invisible and direction-changing characters in message, in --json"
printf '{"code":"PARAM_ERROR","message":"\\u8ba2\\u5355 \\u202eRORRE\\u200b\\ufeff \\udb40\\udc41 \\\\u202e"}' >"$T_TMP/bidi"
hostile_start bidi --status 400 --body "$T_TMP/bidi"
prof=$(net_profile bidi "$H_URL")
reverse_via "$prof" BIDI-0001
t_eq "exit status" 1 "$WX_RC"
if LC_ALL=C grep -qP '\xe2\x80[\x8b-\x8f\xa8-\xae]|\xef\xbb\xbf|\xf3\xa0[\x80\x81]' "$T_TMP/wx.out"; then
	t_fail "--json holds an invisible character raw"
fi
t_contains "written as JSON escapes" "$WX_OUT" '\u202eRORRE\u200b\ufeff \udb40\udc41 \\u202e'
t_eq "the message parses back unchanged" "$(jq -r .message "$T_TMP/bidi")" "$WX_MSG"
hostile_stop
t_ok

t_begin "network: invalid UTF-8 in message"
printf '{"code":"PARAM_ERROR","message":"bad \xff\xfe\xc3( bytes"}' >"$T_TMP/utf8"
hostile_start utf8 --status 400 --body "$T_TMP/utf8"
prof=$(net_profile utf8 "$H_URL")
WXREV_HISTORY="$T_TMP/net.db" wx reverse --profiles "$prof" --sub "Coffee Shop" --yes UTF8-1
t_eq "exit status" 1 "$WX_RC"
clean_text "reverse output" "$WX_OUT$WX_ERR"
WXREV_HISTORY="$T_TMP/net.db" wx history --order UTF8-1 --format jsonl
clean_text "history jsonl" "$WX_OUT$WX_ERR"
t_eq "outcome" rejected "$(jq -r .outcome <<<"$WX_OUT")"
hostile_stop
t_ok

t_done
