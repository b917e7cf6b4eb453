#!/usr/bin/env bash
# wxrev reverse against the simulator over HTTPS: one test per outcome and
# per simulator rule. Each asserts the exit status, the --json line, the
# history row and what reached the simulator.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

# rev ORDER [ARGS...]: reverses one order for Coffee Shop, --yes --json.
rev() {
	local order=$1
	shift
	wx reverse --sub "Coffee Shop" --yes --json "$@" "$order"
}

# expect ORDER EXIT OUTCOME CODE ATTEMPTS REQUESTS: the four views agree.
expect() {
	local order=$1 rc=$2 outcome=$3 code=$4 attempts=$5 requests=$6 row
	t_eq "exit status (stderr: $WX_ERR)" "$rc" "$WX_RC"
	t_eq "--json out_trade_no" "$order" "$(jfield "$WX_OUT" out_trade_no)"
	t_eq "--json outcome" "$outcome" "$(jfield "$WX_OUT" outcome)"
	t_eq "--json code" "$code" "$(jfield "$WX_OUT" code)"
	t_eq "--json attempts" "$attempts" "$(jfield "$WX_OUT" attempts)"
	row=$(hist_row "$order")
	t_eq "history outcome" "$outcome" "$(jfield "$row" outcome)"
	t_eq "history code" "$code" "$(jfield "$row" code)"
	t_eq "history attempts" "$attempts" "$(jfield "$row" attempts)"
	t_eq "history id matches --json" "$(jfield "$row" id)" \
		"$(jfield "$WX_OUT" history_id)"
	t_eq "attempt rows" "$attempts" "$(hist_sql "SELECT count(*) FROM attempts WHERE reversal_id = $(jfield "$row" id)")"
	t_eq "requests the simulator received" "$requests" "$(sim_count "$order")"
}

elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

t_begin "a paid order is reversed and refunded"
sim_paid R-PAID-1
rev R-PAID-1
expect R-PAID-1 0 reversed null 1 1
t_eq "simulator state" REVERSED "$(sim_state R-PAID-1)"
t_eq "--json fields, in order" \
	'["out_trade_no","sp_mchid","sub_mchid","outcome","http_status","code","message","request_id","verified","attempts","latency_ms","history_id","trade_state_before","trade_state_after","settled_by","note","operator","endpoint"]' \
	"$(jq -c keys_unsorted <<<"$WX_OUT")"
t_eq "--json sp_mchid" "$SP_MCHID" "$(jfield "$WX_OUT" sp_mchid)"
t_eq "--json sub_mchid" "$SUB_COFFEE" "$(jfield "$WX_OUT" sub_mchid)"
t_eq "--json http_status" 200 "$(jfield "$WX_OUT" http_status)"
t_eq "--json settled by the answer, no query" "answer null null" "$(jq -r '"\(.settled_by) \(.trade_state_before) \(.trade_state_after)"' <<<"$WX_OUT")"
t_eq "--json verified" true "$(jfield "$WX_OUT" verified)"
t_check "--json request_id is the simulator's" \
	test "$(jfield "$WX_OUT" request_id)" != null
req=$(sim_log R-PAID-1)
t_eq "simulator verdict" ok "$(jfield "$req" verdict)"
t_contains "User-Agent names wxrev" "$(jq -r '.headers | with_entries(.key |= ascii_downcase) | ."user-agent"' <<<"$req")" "wxrev/"
t_eq "Accept" "application/json" "$(jq -r '.headers | with_entries(.key |= ascii_downcase) | .accept' <<<"$req")"
t_eq "request body" "{\"sp_mchid\":\"$SP_MCHID\",\"sub_mchid\":\"$SUB_COFFEE\"}" "$(jfield "$req" body)"
t_ok

t_begin "the history keeps the exchange, with the signature redacted"
id=$(jfield "$(hist_row R-PAID-1)" id)
hdrs=$(hist_sql "SELECT request_headers FROM attempts WHERE reversal_id = $id")
t_contains "Authorization kept" "$hdrs" "Authorization: WECHATPAY2-SHA256-RSA2048"
t_contains "signature redacted" "$hdrs" 'signature="[redacted]"'
sig=$(jq -r '.headers | with_entries(.key |= ascii_downcase) | .authorization' <<<"$req" | sed -E 's/.*signature="([^"]*)".*/\1/')
t_check "the real signature is nowhere in the database" \
	test "$(grep -c -F -- "$sig" "$WXREV_HISTORY" "$WXREV_HISTORY-wal" 2>/dev/null | awk -F: '{s+=$NF} END {print s+0}')" -eq 0
t_eq "operator" tester "$(jfield "$(hist_row R-PAID-1)" operator)"
t_eq "verification stored" verified "$(hist_sql "SELECT verify FROM attempts WHERE reversal_id = $id")"
t_check "Request-ID stored" test -n "$(hist_sql "SELECT request_id FROM attempts WHERE reversal_id = $id")"
t_eq "URL stored" "$MAIN_URL${REVERSE_PREFIX}R-PAID-1/reverse" "$(hist_sql "SELECT url FROM attempts WHERE reversal_id = $id")"
t_ok

t_begin "reversing the same order again is reversed (idempotent)"
rev R-PAID-1
expect R-PAID-1 0 reversed null 1 2
t_eq "two history rows" 2 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'R-PAID-1'")"
t_ok

t_begin "an unpaid order is closed (reversed)"
sim_paid R-NOTPAY-1 "$SUB_COFFEE" NOTPAY
rev R-NOTPAY-1
expect R-NOTPAY-1 0 reversed null 1 1
t_eq "simulator state" CLOSED "$(sim_state R-NOTPAY-1)"
t_ok

t_begin "an already closed order answers 200 again"
sim_paid R-CLOSED-1 "$SUB_COFFEE" CLOSED
rev R-CLOSED-1
expect R-CLOSED-1 0 reversed null 1 1
t_ok

t_begin "an order that does not exist is rejected (ORDER_NOT_EXIST, exit 1)"
rev R-MISSING-1
expect R-MISSING-1 1 rejected ORDER_NOT_EXIST 1 1
t_eq "http_status" 404 "$(jfield "$WX_OUT" http_status)"
t_check "WeChat Pay's message is kept as sent" test "$(jfield "$WX_OUT" message)" != null
t_eq "simulator verdict" order_not_exist "$(jfield "$(sim_log R-MISSING-1)" verdict)"
t_ok

t_begin "an order still being paid fails after 3 attempts (USERPAYING)"
sim_paid R-PAYING-1 "$SUB_COFFEE" USERPAYING
rev R-PAYING-1
expect R-PAYING-1 1 failed USERPAYING 3 3
t_ok

t_begin "an order older than 7 days is rejected (REVERSE_EXPIRE)"
sim_order "{\"out_trade_no\":\"R-OLD-1\",\"sub_mchid\":\"$SUB_COFFEE\",\"state\":\"PAID\",\"age_s\":$((8 * 86400))}"
rev R-OLD-1
expect R-OLD-1 1 rejected REVERSE_EXPIRE 1 1
t_eq "simulator state unchanged" PAID "$(sim_state R-OLD-1)"
t_ok

t_begin "a refunded order is rejected (TRADE_ERROR)"
sim_paid R-REFUND-1 "$SUB_COFFEE" REFUND
rev R-REFUND-1
expect R-REFUND-1 1 rejected TRADE_ERROR 1 1
t_ok

t_begin "a sub-merchant not bound to the partner is rejected (NO_AUTH)"
wx reverse --sub "Unbound Shop" --yes --json R-NOAUTH-1
expect R-NOAUTH-1 1 rejected NO_AUTH 1 1
t_eq "simulator verdict" no_auth "$(jfield "$(sim_log R-NOAUTH-1)" verdict)"
t_ok

t_begin "a key the simulator does not know is rejected (SIGN_ERROR)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/other_key.pem" 2>/dev/null
chmod 600 "$T_TMP/other_key.pem"
write_profile "$T_TMP/other.yaml" "$MAIN_URL" "$MAIN_URL" "$T_TMP/other_key.pem"
sim_paid R-SIGN-1
WXREV_PROFILES="$T_TMP/other.yaml" rev R-SIGN-1
expect R-SIGN-1 1 rejected SIGN_ERROR 1 1
t_eq "http_status" 401 "$(jfield "$WX_OUT" http_status)"
t_eq "simulator verdict" bad_signature "$(jfield "$(sim_log R-SIGN-1)" verdict)"
t_eq "simulator state unchanged" PAID "$(sim_state R-SIGN-1)"
t_ok

t_begin "two 500s then success is reversed with 3 attempts"
sim_paid R-FLAKY-1
sim_fault R-FLAKY-1 '{"type":"fail_500","count":2}'
rev R-FLAKY-1
expect R-FLAKY-1 0 reversed null 3 3
t_eq "statuses of the attempts" "500,500,200" "$(hist_sql "SELECT group_concat(status) FROM (SELECT status FROM attempts WHERE reversal_id = $(jfield "$WX_OUT" history_id) ORDER BY n)")"
t_ok

t_begin "503 every time fails after 3 attempts"
sim_paid R-503-1
sim_fault R-503-1 '{"type":"unavailable_503"}'
rev R-503-1
expect R-503-1 1 failed "$(jfield "$WX_OUT" code)" 3 3
t_eq "http_status" 503 "$(jfield "$WX_OUT" http_status)"
t_eq "simulator state unchanged" PAID "$(sim_state R-503-1)"
t_ok

t_begin "429 waits for Retry-After before retrying"
sim_paid R-429-1
sim_fault R-429-1 '{"type":"rate_limit","count":1,"retry_after":2}'
start=$(date +%s%N)
rev R-429-1
took=$(elapsed_ms "$start")
expect R-429-1 0 reversed null 2 2
t_check "waited at least Retry-After (2 s), took $took ms" test "$took" -ge 2000
gap=$(sim_log R-429-1 | jq -s '.[1].time_ms - .[0].time_ms')
t_check "the simulator saw the retry 2 s later ($gap ms)" test "$gap" -ge 1900
t_ok

t_begin "a dropped connection is retried"
sim_paid R-DROP-1
sim_fault R-DROP-1 '{"type":"drop","count":1}'
rev R-DROP-1
expect R-DROP-1 0 reversed null 2 2
t_ok

t_begin "a connection dropped every time ends unknown (exit 3)"
sim_paid R-DROP-2
sim_fault R-DROP-2 '{"type":"drop"}'
# --no-settle: the reversal's own outcome (settling: t_settle.sh).
rev R-DROP-2 --no-settle
expect R-DROP-2 3 unknown NO_ANSWER 3 3
t_eq "no status" null "$(jfield "$WX_OUT" http_status)"
t_check "the transport error is stored" test -n "$(hist_sql "SELECT transport_error FROM attempts WHERE reversal_id = $(jfield "$WX_OUT" history_id) AND n = 1")"
t_ok

# A 200 that cannot be trusted is never "reversed", and is not retried.
for fault in bad_signature no_signature probe_signature skewed_timestamp unknown_serial; do
	t_begin "a 200 with $fault is unknown, never reversed"
	order="R-${fault//_/-}"
	sim_paid "$order"
	sim_fault "$order" "{\"type\":\"$fault\"}"
	rev "$order" --no-settle
	expect "$order" 3 unknown SIGNATURE_NOT_VERIFIED 1 1
	t_eq "verified" false "$(jfield "$WX_OUT" verified)"
	t_eq "http_status" 200 "$(jfield "$WX_OUT" http_status)"
	t_check "history keeps the verdict" test "$(hist_sql "SELECT verify FROM attempts WHERE reversal_id = $(jfield "$WX_OUT" history_id)")" != verified
	t_ok
done

t_begin "an unknown serial is named in the message"
t_contains "message" "$(jfield "$(hist_row R-unknown-serial)" message)" "serial"
t_ok

t_begin "a signed 200 naming another order is unknown"
sim_paid R-WRONG-1
sim_fault R-WRONG-1 '{"type":"wrong_order"}'
rev R-WRONG-1 --no-settle
expect R-WRONG-1 3 unknown RESPONSE_MISMATCH 1 1
t_eq "verified" true "$(jfield "$WX_OUT" verified)"
t_ok

t_begin "a signed 200 with malformed JSON is unknown"
sim_paid R-MALFORMED-1
sim_fault R-MALFORMED-1 '{"type":"malformed_json"}'
rev R-MALFORMED-1 --no-settle
expect R-MALFORMED-1 3 unknown MALFORMED_RESPONSE 1 1
t_ok

t_begin "an oversized body is unknown with a clear message"
sim_paid R-BIG-1
sim_fault R-BIG-1 '{"type":"oversized"}'
rev R-BIG-1 --no-settle
expect R-BIG-1 3 unknown RESPONSE_TOO_LARGE 3 3
t_contains "message names the cap" "$(jfield "$WX_OUT" message)" "1 MiB"
t_check "stored body is capped" test "$(hist_sql "SELECT max(length(response_body)) FROM attempts WHERE reversal_id = $(jfield "$WX_OUT" history_id)")" -le 1048576
t_ok

t_begin "a body trickled past the timeout is unknown"
write_profile "$T_TMP/slow.yaml" "$MAIN_URL" "$MAIN_URL" "" 1
sim_paid R-TRICKLE-1
sim_fault R-TRICKLE-1 '{"type":"trickle"}'
WXREV_PROFILES="$T_TMP/slow.yaml" rev R-TRICKLE-1 --no-settle
expect R-TRICKLE-1 3 unknown NO_ANSWER 3 3
t_ok

t_begin "terminal escapes in WeChat Pay's message are shown escaped"
sim_paid R-ESC-1
sim_fault R-ESC-1 '{"type":"escape_message"}'
wx reverse --sub "Coffee Shop" --yes R-ESC-1
t_eq "exit status" 1 "$WX_RC"
t_contains "outcome in words" "$WX_OUT" "rejected"
t_check "no ESC byte reaches the terminal" test "$(tr -cd '\033' <"$T_TMP/wx.out" | wc -c)" -eq 0
t_check "no other control byte either" test "$(tr -cd '\001-\010\013-\037\177' <"$T_TMP/wx.out" | wc -c)" -eq 0
t_contains "shown escaped" "$WX_OUT" '\x1b'
t_ok

t_begin "human output says outcome, code, message, next step, Request-ID and history id"
wx reverse --sub "Coffee Shop" --yes R-MISSING-2
t_eq "exit status" 1 "$WX_RC"
row=$(hist_row R-MISSING-2)
t_contains "outcome" "$WX_OUT" "rejected"
t_contains "code" "$WX_OUT" "ORDER_NOT_EXIST"
t_contains "message as sent" "$WX_OUT" "$(jfield "$row" message)"
t_contains "next step" "$WX_OUT" "next:"
t_contains "Request-ID" "$WX_OUT" "Request-ID: "
t_contains "history id" "$WX_OUT" "history #$(jfield "$row" id)"
t_ok

t_begin "several orders: one line each, exit 1 when one is rejected"
sim_paid R-MULTI-1
wx reverse --sub "$SUB_COFFEE" --yes --json R-MULTI-1 R-MULTI-404
t_eq "exit status" 1 "$WX_RC"
t_eq "two lines" 2 "$(wc -l <"$T_TMP/wx.out" | tr -d ' ')"
t_eq "first" "R-MULTI-1 reversed" "$(sed -n 1p "$T_TMP/wx.out" | jq -r '"\(.out_trade_no) \(.outcome)"')"
t_eq "second" "R-MULTI-404 rejected" "$(sed -n 2p "$T_TMP/wx.out" | jq -r '"\(.out_trade_no) \(.outcome)"')"
t_ok

t_begin "an unknown outcome wins the exit status (3)"
sim_paid R-MIX-1
sim_paid R-MIX-2
sim_fault R-MIX-2 '{"type":"bad_signature"}'
wx reverse --sub "Coffee Shop" --yes --json --no-settle R-MIX-1 R-MISSING-3 R-MIX-2
t_eq "exit status" 3 "$WX_RC"
t_eq "three lines" 3 "$(wc -l <"$T_TMP/wx.out" | tr -d ' ')"
t_ok

t_begin "without a terminal, --yes is required and nothing is sent"
sim_paid R-NOYES-1
wx reverse --sub "Coffee Shop" R-NOYES-1
t_eq "exit status" 2 "$WX_RC"
t_contains "says --yes" "$WX_ERR" "--yes"
t_eq "nothing sent" 0 "$(sim_count R-NOYES-1)"
t_eq "nothing recorded" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'R-NOYES-1'")"
t_ok

t_begin "an invalid order number sends nothing, not even the valid ones (exit 2)"
sim_paid R-VALID-1
wx reverse --sub "Coffee Shop" --yes --json R-VALID-1 'BAD ORDER!'
t_eq "exit status" 2 "$WX_RC"
t_contains "names the order and the character" "$WX_ERR" '"BAD ORDER!": character 4'
t_eq "nothing sent" 0 "$(sim_count R-VALID-1)"
t_eq "no output" "" "$WX_OUT"
t_ok

t_begin "pasted white space around an order is trimmed"
sim_paid R-TRIM-1
wx reverse --sub "Coffee Shop" --yes --json "  R-TRIM-1
"
t_eq "exit status" 0 "$WX_RC"
t_eq "order" R-TRIM-1 "$(jfield "$WX_OUT" out_trade_no)"
t_ok

t_begin "an unknown sub-merchant is a usage error (exit 2)"
wx reverse --sub "No Such Shop" --yes R-X-0001
t_eq "exit status" 2 "$WX_RC"
t_contains "names it" "$WX_ERR" "No Such Shop"
t_ok

t_begin "--sub is required"
wx reverse --yes R-X-0001
t_eq "exit status" 2 "$WX_RC"
t_contains "says so" "$WX_ERR" "--sub"
t_ok

t_begin "backup_url is used when base_url refuses connections"
write_profile "$T_TMP/backup.yaml" "https://127.0.0.1:1" "$MAIN_URL"
sim_paid R-BACKUP-1
WXREV_PROFILES="$T_TMP/backup.yaml" rev R-BACKUP-1
expect R-BACKUP-1 0 reversed null 2 1
id=$(jfield "$WX_OUT" history_id)
t_eq "first attempt to the main host" "https://127.0.0.1:1${REVERSE_PREFIX}R-BACKUP-1/reverse" "$(hist_sql "SELECT url FROM attempts WHERE reversal_id = $id AND n = 1")"
t_check "its transport error is stored" test -n "$(hist_sql "SELECT transport_error FROM attempts WHERE reversal_id = $id AND n = 1")"
t_eq "second to the backup" "$MAIN_URL${REVERSE_PREFIX}R-BACKUP-1/reverse" "$(hist_sql "SELECT url FROM attempts WHERE reversal_id = $id AND n = 2")"
t_ok

t_begin "nothing reachable at all fails (nothing was sent)"
write_profile "$T_TMP/nowhere.yaml" "https://127.0.0.1:1" "https://127.0.0.1:2"
WXREV_PROFILES="$T_TMP/nowhere.yaml" rev R-NOWHERE-1
t_eq "exit status" 1 "$WX_RC"
t_eq "outcome" failed "$(jfield "$WX_OUT" outcome)"
t_eq "code" NOT_SENT "$(jfield "$WX_OUT" code)"
t_eq "attempts" 3 "$(jfield "$WX_OUT" attempts)"
t_ok

t_begin "plain http:// to a non-loopback host is refused before anything is sent"
write_profile "$T_TMP/plain.yaml" "http://api.example.com" "http://api.example.com"
WXREV_PROFILES="$T_TMP/plain.yaml" rev R-PLAIN-1
t_eq "exit status" 2 "$WX_RC"
t_contains "says https" "$WX_ERR" "https://"
t_eq "nothing recorded" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE out_trade_no = 'R-PLAIN-1'")"
t_ok

t_begin "plain http:// to loopback works, with a warning"
sim_write_config "$SIM_DIR/plain.json" "[{\"sub_mchid\":\"$SUB_COFFEE\",\"out_trade_no\":\"R-HTTP-1\",\"state\":\"PAID\"}]"
if sim_start plain --http; then
	write_profile "$T_TMP/loop.yaml" "$SIM_URL" "$SIM_URL"
	WXREV_PROFILES="$T_TMP/loop.yaml" rev R-HTTP-1
	t_eq "exit status" 0 "$WX_RC"
	t_eq "outcome" reversed "$(jfield "$WX_OUT" outcome)"
	t_contains "warning" "$WX_ERR" "plain HTTP (loopback only)"
	t_eq "requests" 1 "$(sim_count R-HTTP-1 "$SIM_LOG")"
	sim_stop
else
	t_fail "the plain HTTP simulator did not start"
fi
t_ok

t_begin "a history that cannot be written means nothing is sent (exit 2)"
sim_paid R-NOHIST-1
: >"$T_TMP/not-a-folder"
WXREV_HISTORY="$T_TMP/not-a-folder/history.db" rev R-NOHIST-1
t_eq "exit status" 2 "$WX_RC"
t_contains "says nothing was sent" "$WX_ERR" "nothing was sent"
t_eq "nothing reached the simulator" 0 "$(sim_count R-NOHIST-1)"
t_ok

t_begin "a history file that is not a database means nothing is sent"
head -c 8192 /dev/urandom >"$T_TMP/garbage.db"
chmod 600 "$T_TMP/garbage.db"
WXREV_HISTORY="$T_TMP/garbage.db" rev R-NOHIST-1
t_eq "exit status" 2 "$WX_RC"
t_contains "says nothing was sent" "$WX_ERR" "nothing was sent"
t_eq "nothing reached the simulator" 0 "$(sim_count R-NOHIST-1)"
t_ok

if [ "$(id -u)" -ne 0 ]; then
	t_begin "a read-only history folder means nothing is sent"
	mkdir -p "$T_TMP/ro"
	chmod 500 "$T_TMP/ro"
	WXREV_HISTORY="$T_TMP/ro/history.db" rev R-NOHIST-1
	t_eq "exit status" 2 "$WX_RC"
	t_eq "nothing reached the simulator" 0 "$(sim_count R-NOHIST-1)"
	chmod 700 "$T_TMP/ro"
	t_ok
fi

t_begin "two wxrev processes on one history both land their rows"
sim_paid R-TWO-1
sim_paid R-TWO-2
sim_fault R-TWO-1 '{"type":"delay","ms":500}'
sim_fault R-TWO-2 '{"type":"delay","ms":500}'
shared="$T_TMP/shared/history.db"
WXREV_HISTORY=$shared timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-TWO-1 >"$T_TMP/two1" 2>&1 </dev/null &
p1=$!
WXREV_HISTORY=$shared timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-TWO-2 >"$T_TMP/two2" 2>&1 </dev/null &
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
t_eq "first exit" 0 "$rc1"
t_eq "second exit" 0 "$rc2"
t_eq "both rows reversed" "R-TWO-1 reversed,R-TWO-2 reversed" \
	"$(sqlite3 -readonly "$shared" "SELECT group_concat(out_trade_no || ' ' || outcome) FROM (SELECT * FROM reversals ORDER BY out_trade_no)")"
t_eq "both attempts" 2 "$(sqlite3 -readonly "$shared" "SELECT count(*) FROM attempts")"
t_ok

# wait_pending DB ORDER: until the order's row exists (max 10 s).
wait_pending() {

	for _ in $(seq 1 100); do
		[ "$(sqlite3 -readonly "$1" "SELECT count(*) FROM reversals WHERE out_trade_no = '$2'" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

t_begin "the pending row is committed before the request reaches WeChat Pay"
sim_paid R-PENDING-1
sim_fault R-PENDING-1 '{"type":"delay","ms":2000}'
db="$T_TMP/pending/history.db"
WXREV_HISTORY=$db timeout 60 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-PENDING-1 >"$T_TMP/pend.out" 2>&1 </dev/null &
pid=$!
t_check "row appears while in flight" wait_pending "$db" R-PENDING-1
t_eq "outcome while in flight" pending "$(sqlite3 -readonly "$db" "SELECT outcome FROM reversals WHERE out_trade_no = 'R-PENDING-1'")"
t_eq "the simulator has not answered yet" 0 "$(sim_count R-PENDING-1)"
wait $pid
t_eq "exit status" 0 "$?"
t_eq "final outcome" reversed "$(sqlite3 -readonly "$db" "SELECT outcome FROM reversals WHERE out_trade_no = 'R-PENDING-1'")"
t_ok

t_begin "kill -9 in flight: the next start shows unknown (INTERRUPTED), database intact"
sim_paid R-KILL-1
sim_fault R-KILL-1 '{"type":"delay","ms":3000}'
db="$T_TMP/kill/history.db"
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-KILL-1 >/dev/null 2>&1 </dev/null &
pid=$!
t_check "row appears while in flight" wait_pending "$db" R-KILL-1
{ kill -9 $pid && wait $pid; } 2>/dev/null
row=$(WXREV_HISTORY=$db "$WXREV_BIN" history --order R-KILL-1 --format jsonl)
t_eq "outcome" unknown "$(jfield "$row" outcome)"
t_eq "code" INTERRUPTED "$(jfield "$row" code)"
t_eq "integrity" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
t_ok

t_begin "Ctrl-C once keeps waiting for the answer"
sim_paid R-INT-1
sim_fault R-INT-1 '{"type":"delay","ms":1500}'
db="$T_TMP/int/history.db"
# No timeout(1) wrapper here: it would take the Ctrl-C for itself.
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-INT-1 >"$T_TMP/int1.out" 2>"$T_TMP/int1.err" </dev/null &
pid=$!
t_check "row appears while in flight" wait_pending "$db" R-INT-1
kill -INT $pid
wait $pid
t_eq "exit status" 0 "$?"
t_contains "tells how to abandon" "$(cat "$T_TMP/int1.err")" "press Ctrl-C again"
t_eq "outcome" reversed "$(jq -r .outcome "$T_TMP/int1.out")"
t_ok

t_begin "Ctrl-C twice abandons: recorded unknown, exit 3"
sim_paid R-INT-2
sim_fault R-INT-2 '{"type":"delay","ms":4000}'
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-INT-2 >"$T_TMP/int2.out" 2>"$T_TMP/int2.err" </dev/null &
pid=$!
t_check "row appears while in flight" wait_pending "$db" R-INT-2
kill -INT $pid
sleep 0.3
kill -INT $pid
wait $pid
t_eq "exit status" 3 "$?"
t_eq "--json outcome" unknown "$(jq -r .outcome "$T_TMP/int2.out")"
t_eq "history" "unknown INTERRUPTED" "$(sqlite3 -readonly "$db" "SELECT outcome || ' ' || code FROM reversals WHERE out_trade_no = 'R-INT-2'")"
t_eq "the cut attempt is recorded" 1 "$(sqlite3 -readonly "$db" "SELECT count(*) FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'R-INT-2' AND a.transport_error IS NOT NULL")"
t_ok

t_begin "SIGTERM in flight: recorded unknown, exit 3"
sim_paid R-TERM-1
sim_fault R-TERM-1 '{"type":"delay","ms":4000}'
WXREV_HISTORY=$db "$WXREV_BIN" reverse --sub "Coffee Shop" --yes --json R-TERM-1 >"$T_TMP/term.out" 2>&1 </dev/null &
pid=$!
t_check "row appears while in flight" wait_pending "$db" R-TERM-1
kill -TERM $pid
wait $pid
t_eq "exit status" 3 "$?"
t_eq "history" "unknown INTERRUPTED" "$(sqlite3 -readonly "$db" "SELECT outcome || ' ' || code FROM reversals WHERE out_trade_no = 'R-TERM-1'")"
t_ok

t_begin "confirmation on a terminal: default is no, nothing sent"
sim_paid R-TTY-1
out=$(printf '\n' | timeout 30 script -qec "$WXREV_BIN reverse --sub 'Coffee Shop' R-TTY-1" /dev/null)
rc=$?
t_eq "exit status" 2 "$rc"
t_contains "asks" "$out" "Reverse 1 order(s)? [y/N]"
t_contains "partner" "$out" "Test Provider"
t_contains "sub-merchant" "$out" "Coffee Shop ($SUB_COFFEE)"
t_contains "order" "$out" "R-TTY-1"
t_contains "endpoint host" "$out" "127.0.0.1"
t_contains "warns of the refund" "$out" "A paid order will be refunded to the payer."
t_contains "says cancelled" "$out" "cancelled, nothing sent"
t_eq "nothing sent" 0 "$(sim_count R-TTY-1)"
t_ok

t_begin "confirmation on a terminal: y sends"
out=$(printf 'y\n' | timeout 30 script -qec "$WXREV_BIN reverse --sub 'Coffee Shop' R-TTY-1" /dev/null)
rc=$?
t_eq "exit status" 0 "$rc"
t_contains "result" "$out" "reversed"
t_eq "sent once" 1 "$(sim_count R-TTY-1)"
t_eq "simulator state" REVERSED "$(sim_state R-TTY-1)"
t_ok

t_begin "the terminal confirmation says what the history knows about each order, under every sub-merchant"
sim_paid R-TTY-2 "$SUB_TEA"
WXREV_OPERATOR=alice wx reverse --sub "Tea House" --yes R-TTY-2
t_eq "reversed under Tea House" 0 "$WX_RC"
out=$(printf '\n' | timeout 30 script -qec "$WXREV_BIN reverse --sub 'Coffee Shop' R-TTY-1 R-TTY-2 R-TTY-3" /dev/null)
block() { awk -v o="Order:         $1" '$0 ~ o {p=1; next} /^Order:|^Endpoint:/ {p=0} p' <<<"$out"; }
t_contains "R-TTY-1: reversed here, by whom" "$(block R-TTY-1)" "History:     reversed "
t_contains "R-TTY-1: the operator" "$(block R-TTY-1)" " by tester, "
t_contains "R-TTY-2: under the other sub-merchant, by alice" "$(block R-TTY-2)" "History:     reversed under Tea House "
t_contains "R-TTY-2: the operator" "$(block R-TTY-2)" " by alice, "
t_contains "R-TTY-3: nothing known" "$(block R-TTY-3)" "History:     nothing yet for this order under any sub-merchant"
t_eq "nothing sent" 0 "$(sim_count R-TTY-3)"
t_ok

t_begin "wxrev reverse --sub \"Coffee Shop\" --yes ORDER, then wxrev history shows it"
sim_paid R-DONE-1
wx reverse --sub "Coffee Shop" --yes R-DONE-1
t_eq "exit status" 0 "$WX_RC"
t_contains "says reversed" "$WX_OUT" "R-DONE-1  reversed"
t_eq "simulator state" REVERSED "$(sim_state R-DONE-1)"
wx history --limit 1
t_eq "history exit" 0 "$WX_RC"
t_contains "history lists it" "$WX_OUT" "R-DONE-1"
t_contains "as reversed" "$WX_OUT" "reversed"
t_ok

t_begin "the note is kept with the reversal"
sim_paid R-NOTE-1
rev R-NOTE-1 --note "ticket 4711"
t_eq "exit status" 0 "$WX_RC"
t_eq "note" "ticket 4711" "$(jfield "$(hist_row R-NOTE-1)" note)"
t_ok

t_done
