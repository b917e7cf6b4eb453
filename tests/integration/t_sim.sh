#!/usr/bin/env bash
# wxpay-sim on its own: every check, answer, fault and control call, driven
# with curl and openssl (no wxrev code), so the simulator is proven before
# wxrev is tested against it.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

KEYS=$T_TMP/keys
"$T_ROOT/scripts/demo-keys.sh" "$KEYS" || { echo "demo-keys.sh failed"; exit 1; }
# shellcheck disable=SC1091
source "$KEYS/serials.env"
MCHID=1230000109
SUB=1900000109
PUB_ID=PUB_KEY_ID_0112300001092026112600000000000001
ROUTE=/v3/pay/partner/transactions/out-trade-no
LOG=$T_TMP/requests.jsonl
RESP=$T_TMP/resp
CURL=(curl -sS --max-time 20 --cacert "$KEYS/test-ca.pem")

cat >"$T_TMP/sim.json" <<EOC
{
  "tls": {"cert": "keys/server.pem", "key": "keys/server-key.pem"},
  "platform": {"private_key": "keys/wechatpay_key.pem", "serial": "$PUB_ID"},
  "merchants": [
    {"mchid": "$MCHID", "serial": "$MERCHANT_SERIAL",
     "public_key": "keys/apiclient_cert.pem",
     "sub_mchids": ["$SUB", "1900000110"]},
    {"mchid": "1230000200", "serial": "0A0B", "public_key": "keys/pub_key.pem",
     "sub_mchids": ["1900000300"], "can_reverse": false}
  ],
  "orders": [
    {"sub_mchid": "$SUB", "out_trade_no": "T-PAID", "state": "PAID"},
    {"sub_mchid": "$SUB", "out_trade_no": "T-NOTPAY", "state": "NOTPAY"},
    {"sub_mchid": "$SUB", "out_trade_no": "T-USERPAYING", "state": "USERPAYING"},
    {"sub_mchid": "$SUB", "out_trade_no": "T-OLD-1", "state": "PAID", "age_s": 605000},
    {"sub_mchid": "$SUB", "out_trade_no": "T-REFUND", "state": "REFUND"},
    {"sub_mchid": "$SUB", "out_trade_no": "AB|CD1", "state": "PAID"},
    {"sub_mchid": "1900000110", "out_trade_no": "T-OTHER-SUB", "state": "PAID"},
    {"sub_mchid": "$SUB", "out_trade_no": "T-FLAKY", "state": "PAID",
     "fault": {"type": "fail_500", "count": 2}}
  ]
}
EOC

# start_sim NAME [ARGS...]: starts a simulator; sets SIM_PID, PORT, BASE.
start_sim() {
	local name=$1
	shift
	rm -f "$T_TMP/$name.port"
	"$WXPAY_SIM_BIN" --config "$T_TMP/sim.json" --port-file "$T_TMP/$name.port" \
		"$@" 2>"$T_TMP/$name.err" &
	SIM_PID=$!
	t_cleanup_kill "$SIM_PID"
	for _ in $(seq 1 100); do
		[ -s "$T_TMP/$name.port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$T_TMP/$name.port" 2>/dev/null)
	BASE=https://127.0.0.1:$PORT
}

# auth METHOD TARGET BODY: the Authorization value, signed with the
# merchant key; A_TS, A_NONCE, A_KEY, A_MCHID, A_SERIAL override parts.
auth() {
	local ts=${A_TS:-$(date +%s)} nonce=${A_NONCE:-$(openssl rand -hex 16)} sig
	sig=$(printf '%s\n%s\n%s\n%s\n%s\n' "$1" "$2" "$ts" "$nonce" "$3" |
		openssl dgst -sha256 -sign "${A_KEY:-$KEYS/apiclient_key.pem}" | base64 -w0)
	printf 'WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"' \
		"${A_MCHID:-$MCHID}" "$nonce" "$ts" "${A_SERIAL:-$MERCHANT_SERIAL}" "$sig"
}

body_for() { # body_for [SUB] [SP_MCHID]
	printf '{"sp_mchid":"%s","sub_mchid":"%s"}' "${2:-$MCHID}" "${1:-$SUB}"
}

# send TARGET BODY AUTH [CURL ARGS...]: POSTs; sets STATUS and CURL_RC,
# leaves the answer in $RESP.body and $RESP.hdr. UA/ACCEPT override headers.
send() {
	local target=$1 body=$2 authz=$3
	shift 3
	rm -f "$RESP.body" "$RESP.hdr"
	STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' -X POST \
		-H "${ACCEPT-Accept: application/json}" -H "Content-Type: application/json" \
		-H "${UA-User-Agent: t_sim/1.0}" -H "Authorization: $authz" \
		--data-binary "$body" "$@" "$BASE$target")
	CURL_RC=$?
}

# reverse ORDER_SEGMENT [BODY [CURL ARGS...]]: a correctly signed
# reversal; an empty BODY means the usual one.
reverse() {
	local target="$ROUTE/$1/reverse" body=${2:-$(body_for)}
	shift $(($# > 1 ? 2 : 1))
	send "$target" "$body" "$(auth POST "$target" "$body")" "$@"
}

hdr() { grep -i "^$1:" "$RESP.hdr" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
field() { jq -r "$1" "$RESP.body" 2>/dev/null; }
last_log() { tail -n 1 "$LOG" | jq -r "$1"; }
log_lines() { wc -l <"$LOG" | tr -d ' '; }
state_of() { "${CURL[@]}" "$BASE/_sim/orders/$1" | jq -r .state; }
arm() { # arm ORDER FAULT_JSON
	"${CURL[@]}" -o /dev/null -X POST -d "{\"out_trade_no\":\"$1\",\"fault\":$2}" "$BASE/_sim/faults"
}

# verified: 0 when the answer's Wechatpay-Signature checks out with the
# platform public key over "TIMESTAMP\nNONCE\nBODY\n".
verified() {
	local sig=$T_TMP/sig.bin msg=$T_TMP/msg
	hdr Wechatpay-Signature | base64 -d >"$sig" 2>/dev/null || return 1
	{ printf '%s\n%s\n' "$(hdr Wechatpay-Timestamp)" "$(hdr Wechatpay-Nonce)"; cat "$RESP.body"; printf '\n'; } >"$msg"
	openssl dgst -sha256 -verify "$KEYS/pub_key.pem" -signature "$sig" "$msg" >/dev/null 2>&1
}

# query ORDER_SEGMENT [SUB [SP_MCHID [METHOD_SIGNED]]]: a correctly signed
# order query (GET, empty body, the query string in the signed target);
# sets STATUS and CURL_RC like send.
query() {
	local target="$ROUTE/$1?sp_mchid=${3:-$MCHID}&sub_mchid=${2:-$SUB}"
	local authz
	authz=$(auth "${4:-GET}" "$target" "")
	rm -f "$RESP.body" "$RESP.hdr"
	STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' \
		-H "Accept: application/json" -H "User-Agent: t_sim/1.0" \
		-H "Authorization: $authz" "$BASE$target")
	CURL_RC=$?
}
arm_query() { # arm_query ORDER FAULT_JSON
	"${CURL[@]}" -o /dev/null -X POST -d "{\"out_trade_no\":\"$1\",\"query_fault\":$2}" "$BASE/_sim/faults"
}
put_order() { # put_order ORDER STATE [AMOUNT]
	"${CURL[@]}" -o /dev/null -X POST -d "{\"sub_mchid\":\"$SUB\",\"out_trade_no\":\"$1\",\"state\":\"$2\",\"amount\":${3:-12800},\"age_s\":3600}" "$BASE/_sim/orders"
}

expect_error() { # expect_error STATUS CODE VERDICT
	t_eq "status" "$1" "$STATUS"
	t_eq "code" "$2" "$(field .code)"
	t_eq "verdict" "$3" "$(last_log .verdict)"
	t_check "error answer is signed" verified
}

start_sim main --log "$LOG"
MAIN_PID=$SIM_PID

t_begin "writes the bound port to the port file and serves on it"
t_check "port file holds a port" grep -qxE '[0-9]+' "$T_TMP/main.port"
leftover=("$T_TMP"/main.port.tmp.*)
t_check "no temporary port file is left" test ! -e "${leftover[0]}"
reverse T-MISSING-1
t_eq "a request is answered" 404 "$STATUS"
t_ok

t_begin "a paid order is reversed: 200, body names the order, state REVERSED"
reverse T-PAID
t_eq "status" 200 "$STATUS"
t_eq "body" "{\"sp_mchid\":\"$MCHID\",\"sub_mchid\":\"$SUB\",\"out_trade_no\":\"T-PAID\"}" "$(cat "$RESP.body")"
t_eq "state" REVERSED "$(state_of T-PAID)"
t_eq "log verdict" ok "$(last_log .verdict)"
t_eq "log status" 200 "$(last_log .status)"
t_eq "log target" "$ROUTE/T-PAID/reverse" "$(last_log .target)"
t_eq "log body" "$(body_for)" "$(last_log .body)"
t_contains "log headers" "$(last_log '.headers["User-Agent"]')" "t_sim/1.0"
t_ok

t_begin "every answer carries Request-ID and verifiable Wechatpay-* headers"
t_check "200 verifies with the platform public key" verified
t_check "Request-ID" grep -qE '^08[0-9A-F]{32}$' <<<"$(hdr Request-ID)"
t_eq "Request-ID is logged" "$(hdr Request-ID)" "$(last_log .request_id)"
t_eq "serial" "$PUB_ID" "$(hdr Wechatpay-Serial)"
t_check "nonce of 32" grep -qE '^[0-9A-Za-z]{32}$' <<<"$(hdr Wechatpay-Nonce)"
# Now, not a fixed or stale value (well inside WeChat Pay's 300 s window,
# with room for a loaded machine between the answer and this line).
age=$(($(date +%s) - $(hdr Wechatpay-Timestamp)))
t_check "timestamp is now (${age} s old)" test "$age" -ge -5 -a "$age" -le 60
t_eq "content type" "application/json" "$(hdr Content-Type)"
first_id=$(hdr Request-ID)
reverse T-NOTHERE
t_check "a 404 verifies too" verified
t_check "Request-IDs differ" test "$first_id" != "$(hdr Request-ID)"
t_ok

t_begin "reversal is idempotent: REVERSED answers 200 again"
reverse T-PAID
t_eq "status" 200 "$STATUS"
t_eq "state" REVERSED "$(state_of T-PAID)"
t_ok

t_begin "an unpaid order is closed"
reverse T-NOTPAY
t_eq "status" 200 "$STATUS"
t_eq "state" CLOSED "$(state_of T-NOTPAY)"
t_ok

t_begin "appids are echoed when sent and omitted otherwise"
arm T-APPID null
reverse T-APPID "{\"sp_appid\":\"wxsp\",\"sp_mchid\":\"$MCHID\",\"sub_appid\":\"wxsub\",\"sub_mchid\":\"$SUB\"}"
t_eq "status" 200 "$STATUS"
t_eq "keys in WeChat Pay's order" "sp_appid sp_mchid sub_appid sub_mchid out_trade_no" "$(jq -r 'keys_unsorted|join(" ")' "$RESP.body")"
reverse T-APPID
t_eq "no appids" "sp_mchid sub_mchid out_trade_no" "$(jq -r 'keys_unsorted|join(" ")' "$RESP.body")"
t_ok

t_begin "missing User-Agent: 400 INVALID_REQUEST, order untouched"
arm T-UA-1 null
UA="User-Agent:" reverse T-UA-1
expect_error 400 INVALID_REQUEST missing_user_agent
t_contains "message" "$(field .message)" "User-Agent"
t_eq "state" PAID "$(state_of T-UA-1)"
t_ok

t_begin "missing Accept: 400 INVALID_REQUEST"
ACCEPT="Accept:" reverse T-UA-1
expect_error 400 INVALID_REQUEST missing_accept
t_ok

t_begin "malformed Authorization: 401 SIGN_ERROR"
target="$ROUTE/T-UA-1/reverse"
send "$target" "$(body_for)" "Bearer abc"
expect_error 401 SIGN_ERROR bad_authorization
good=$(auth POST "$target" "$(body_for)")
send "$target" "$(body_for)" "${good/serial_no=/serial=}"
expect_error 401 SIGN_ERROR bad_authorization
send "$target" "$(body_for)" "${good/,signature=/ , signature=}"
t_eq "items may be spaced" 200 "$STATUS"
t_ok

t_begin "Authorization items are accepted in any order"
arm T-ORDER null
target="$ROUTE/T-ORDER/reverse"
ts=$(date +%s)
sig=$(printf 'POST\n%s\n%s\nn1\n%s\n' "$target" "$ts" "$(body_for)" |
	openssl dgst -sha256 -sign "$KEYS/apiclient_key.pem" | base64 -w0)
send "$target" "$(body_for)" "WECHATPAY2-SHA256-RSA2048 signature=\"$sig\",serial_no=\"$MERCHANT_SERIAL\",timestamp=\"$ts\",nonce_str=\"n1\",mchid=\"$MCHID\""
t_eq "status" 200 "$STATUS"
t_ok

t_begin "unknown mchid and unknown serial: 401 SIGN_ERROR"
arm T-AUTH null
A_MCHID=1999999999 reverse T-AUTH
expect_error 401 SIGN_ERROR unknown_mchid
A_SERIAL=0000ABCD reverse T-AUTH
expect_error 401 SIGN_ERROR unknown_serial
t_contains "message names the serial" "$(field .message)" "序列号"
t_ok

t_begin "timestamp outside 300 s: 401 SIGN_ERROR"
A_TS=$(($(date +%s) - 330)) reverse T-AUTH
expect_error 401 SIGN_ERROR stale_timestamp
A_TS=$(($(date +%s) + 330)) reverse T-AUTH
expect_error 401 SIGN_ERROR stale_timestamp
A_TS=$(($(date +%s) - 240)) reverse T-AUTH
t_eq "240 s old is accepted" 200 "$STATUS"
t_ok

t_begin "bad signature: 401 SIGN_ERROR and nothing changes"
arm T-SIG-1 null
target="$ROUTE/T-SIG-1/reverse"
send "$target" "$(body_for)" "$(auth POST "$target" "$(body_for 1900000110)")"
expect_error 401 SIGN_ERROR bad_signature
A_KEY=$KEYS/wechatpay_key.pem reverse T-SIG-1
expect_error 401 SIGN_ERROR bad_signature
send "$target" "$(body_for)" "$(auth POST "$target" "$(body_for)" | sed 's/signature="[^"]*"/signature="@@not base64@@"/')"
expect_error 401 SIGN_ERROR bad_signature
t_eq "state" PAID "$(state_of T-SIG-1)"
t_ok

t_begin "the signature covers the raw, percent-encoded target"
target="$ROUTE/AB%7CCD1/reverse"
send "$target" "$(body_for)" "$(auth POST "$ROUTE/AB|CD1/reverse" "$(body_for)")"
expect_error 401 SIGN_ERROR bad_signature
reverse 'AB%7CCD1'
t_eq "status" 200 "$STATUS"
t_eq "decoded order" "AB|CD1" "$(field .out_trade_no)"
t_eq "state" REVERSED "$(state_of 'AB%7CCD1')"
t_ok

t_begin "body checks: 400 PARAM_ERROR with a JSON-pointer field"
arm T-BODY null
reverse T-BODY "{\"sp_mchid\":\"$MCHID\"}"
expect_error 400 PARAM_ERROR bad_body
t_eq "field" /sub_mchid "$(field .detail.field)"
t_eq "location" body "$(field .detail.location)"
reverse T-BODY "{\"sp_mchid\":\"$MCHID\",\"sub_mchid\":1900000109}"
expect_error 400 PARAM_ERROR bad_body
t_eq "field" /sub_mchid "$(field .detail.field)"
t_eq "value" 1900000109 "$(field .detail.value)"
reverse T-BODY "{\"sp_mchid\":\"$MCHID\",\"sub_mchid\":\"$SUB\",\"sub_appid\":[]}"
t_eq "sub_appid type" /sub_appid "$(field .detail.field)"
reverse T-BODY "not json"
expect_error 400 PARAM_ERROR bad_body
reverse T-BODY "$(printf '{"sp_mchid":"\xff\xfe","sub_mchid":"x"}')"
t_eq "invalid UTF-8" 400 "$STATUS"
t_check "raw body kept in the log" test "$(last_log .body_base64)" != null
reverse 'way-too-long-order-number-of-more-than-32' 
expect_error 400 PARAM_ERROR bad_body
t_eq "path field" /out_trade_no "$(field .detail.field)"
t_eq "path location" path "$(field .detail.location)"
t_eq "nothing reversed" PAID "$(state_of T-BODY)"
t_ok

t_begin "an order number under 6 characters: 400 PARAM_ERROR, as WeChat Pay answers"
reverse 'A1234'
expect_error 400 PARAM_ERROR bad_body
t_eq "path field" /out_trade_no "$(field .detail.field)"
t_eq "value" A1234 "$(field .detail.value)"
t_eq "issue names the rule" "商户订单号须为6-32位数字、大小写字母或_-|*" "$(field .detail.issue)"
t_eq "path location" path "$(field .detail.location)"
query 'A1234'
expect_error 400 PARAM_ERROR bad_query
t_eq "query: path field" /out_trade_no "$(field .detail.field)"
t_ok

t_begin "sp_mchid other than the signer: 400 INVALID_REQUEST"
reverse T-BODY "$(body_for "$SUB" 1230000999)"
expect_error 400 INVALID_REQUEST mchid_mismatch
t_eq "field" /sp_mchid "$(field .detail.field)"
t_ok

t_begin "sub-merchant not bound to the partner: 403 NO_AUTH"
reverse T-BODY "$(body_for 1900000300)"
expect_error 403 NO_AUTH no_auth
t_ok

t_begin "partner without the permission: 403 NO_AUTH 商户无权限"
target="$ROUTE/T-BODY/reverse"
body=$(body_for 1900000300 1230000200)
A_MCHID=1230000200 A_SERIAL=0A0B A_KEY=$KEYS/wechatpay_key.pem reverse T-BODY "$body"
expect_error 403 NO_AUTH no_permission
t_eq "message" "商户无权限" "$(field .message)"
t_ok

t_begin "unknown order and another sub-merchant's order: 404 ORDER_NOT_EXIST"
reverse T-NEVER-DEFINED
expect_error 404 ORDER_NOT_EXIST order_not_exist
t_eq "message" "订单不存在" "$(field .message)"
reverse T-OTHER-SUB
expect_error 404 ORDER_NOT_EXIST order_not_exist
t_eq "other sub's order untouched" PAID "$(state_of T-OTHER-SUB)"
t_ok

t_begin "USERPAYING, REVERSE_EXPIRE and TRADE_ERROR leave the order as it was"
reverse T-USERPAYING
expect_error 400 USERPAYING userpaying
t_eq "state" USERPAYING "$(state_of T-USERPAYING)"
reverse T-OLD-1
expect_error 400 REVERSE_EXPIRE reverse_expire
t_eq "state" PAID "$(state_of T-OLD-1)"
reverse T-REFUND
expect_error 400 TRADE_ERROR trade_error
t_eq "state" REFUND "$(state_of T-REFUND)"
t_ok

t_begin "other targets and methods: signed 404"
STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' "$BASE$ROUTE/T-PAID/reverse")
expect_error 404 NOT_FOUND not_found
STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' -X POST -d x "$BASE/v3/refund/domestic/refunds")
expect_error 404 NOT_FOUND not_found
t_ok

t_begin "a body over 64 KiB: 413, and the server keeps going"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T_TMP/big"
STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' -X POST \
	--data-binary @"$T_TMP/big" "$BASE$ROUTE/T-BIG/reverse")
t_eq "status" 413 "$STATUS"
t_eq "verdict" body_too_large "$(last_log .verdict)"
t_eq "size logged" 70000 "$(last_log .body_bytes)"
STATUS=$("${CURL[@]}" -o "$RESP.body" -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' \
	--data-binary @"$T_TMP/big" "$BASE$ROUTE/T-BIG/reverse")
t_eq "chunked status" 413 "$STATUS"
reverse T-NEVER-DEFINED
t_eq "still serving" 404 "$STATUS"
t_ok

t_begin "garbage on the wire does not bring it down"
head -c 20000 /dev/urandom >"$T_TMP/junk"
(exec 3<>"/dev/tcp/127.0.0.1/$PORT" && cat "$T_TMP/junk" >&3) 2>/dev/null
printf 'POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n\x00\x01\x02\x03\x04' "$ROUTE/%zz/reverse" |
	timeout 5 openssl s_client -quiet -connect "127.0.0.1:$PORT" >/dev/null 2>&1
reverse '%zz'
t_eq "undecodable order number is a path PARAM_ERROR" /out_trade_no "$(field .detail.field)"
reverse T-NEVER-DEFINED
t_eq "still serving" 404 "$STATUS"
t_check "still running" kill -0 "$MAIN_PID"
t_ok

t_begin "fail_500 twice then success, counted per order"
before=$(log_lines)
for want in 500 500 200; do
	reverse T-FLAKY
	t_eq "status" "$want" "$STATUS"
done
t_eq "three requests logged" $((before + 3)) "$(log_lines)"
t_eq "faults logged" "fail_500 fail_500 null" "$(tail -n 3 "$LOG" | jq -r .fault | xargs)"
t_eq "500 code" SYSTEM_ERROR "$(tail -n 3 "$LOG" | head -n 1 | jq -r .code)"
t_eq "state" REVERSED "$(state_of T-FLAKY)"
t_ok

t_begin "faults fire only after authentication"
arm T-GATE '{"type":"fail_500","count":1}'
A_KEY=$KEYS/wechatpay_key.pem reverse T-GATE
t_eq "bad signature wins" 401 "$STATUS"
t_eq "fault still armed" 1 "$("${CURL[@]}" "$BASE/_sim/orders/T-GATE" | jq -r .fault.count)"
reverse T-GATE
t_eq "then it fires" 500 "$STATUS"
reverse T-GATE
t_eq "then it is spent" 200 "$STATUS"
t_ok

t_begin "rate_limit: 429 RATELIMIT_EXCEEDED with Retry-After; 503"
arm T-RL-1 '{"type":"rate_limit","count":1,"retry_after":7}'
reverse T-RL-1
expect_error 429 RATELIMIT_EXCEEDED ok
t_eq "Retry-After" 7 "$(hdr Retry-After)"
t_eq "fault logged" rate_limit "$(last_log .fault)"
t_eq "not processed" PAID "$(state_of T-RL-1)"
arm T-RL-1 '{"type":"unavailable_503","count":1}'
reverse T-RL-1
t_eq "503" 503 "$STATUS"
t_check "503 is signed" verified
t_ok

t_begin "drop: the request is read and logged, the connection closed unanswered"
arm T-DROP '{"type":"drop","count":1}'
reverse T-DROP
t_eq "curl sees an empty reply" 52 "$CURL_RC"
t_eq "logged as dropped" dropped "$(last_log .verdict)"
t_eq "fault" drop "$(last_log .fault)"
t_eq "body was read" "$(body_for)" "$(last_log .body)"
t_eq "not processed" PAID "$(state_of T-DROP)"
reverse T-DROP
t_eq "count honoured" 200 "$STATUS"
t_ok

t_begin "signature faults: bad, missing, unknown serial, probe, skewed"
arm T-BADSIG '{"type":"bad_signature"}'
reverse T-BADSIG
t_eq "status" 200 "$STATUS"
t_check "bad signature does not verify" test -n "$(hdr Wechatpay-Signature)"
verified && t_fail "bad_signature verified"
t_eq "the reversal still happened" REVERSED "$(state_of T-BADSIG)"
reverse T-BADSIG
verified && t_fail "count defaults to every request"
arm T-NOSIG '{"type":"no_signature","count":1}'
reverse T-NOSIG
t_eq "no Wechatpay headers" "" "$(grep -i '^Wechatpay-' "$RESP.hdr")"
t_check "Request-ID still there" test -n "$(hdr Request-ID)"
arm T-SERIAL '{"type":"unknown_serial","count":1}'
reverse T-SERIAL
t_check "serial differs" test "$(hdr Wechatpay-Serial)" != "$PUB_ID"
t_check "signature itself is good" verified
arm T-PROBE '{"type":"probe_signature","count":1}'
reverse T-PROBE
t_contains "probe prefix" "$(hdr Wechatpay-Signature)" "WECHATPAY/SIGNTEST/"
arm T-SKEW '{"type":"skewed_timestamp","count":1}'
reverse T-SKEW
t_check "ten minutes off" test $(($(date +%s) - $(hdr Wechatpay-Timestamp))) -ge 590
t_check "signed over the skewed time" verified
t_ok

t_begin "body faults: malformed JSON, 5 MiB, wrong order, escape sequences"
arm T-MALFORMED '{"type":"malformed_json","count":1}'
reverse T-MALFORMED
t_eq "status" 200 "$STATUS"
jq . "$RESP.body" >/dev/null 2>&1 && t_fail "body parsed as JSON"
t_check "malformed body is correctly signed" verified
arm T-HUGE '{"type":"oversized","count":1}'
reverse T-HUGE
t_eq "status" 200 "$STATUS"
t_eq "5 MiB" 5242880 "$(wc -c <"$RESP.body" | tr -d ' ')"
t_check "oversized body is signed" verified
arm T-WRONG '{"type":"wrong_order","count":1}'
reverse T-WRONG
t_eq "status" 200 "$STATUS"
t_check "names another order" test "$(field .out_trade_no)" != T-WRONG
t_check "wrong order is signed" verified
arm T-ESC-1 '{"type":"escape_message","count":1}'
reverse T-ESC-1
t_eq "status" 400 "$STATUS"
t_check "escape in the message" grep -qi '\\u001b\[' "$RESP.body"
t_check "BEL in the message" grep -q '\\u0007' "$RESP.body"
t_check "escape message is signed" verified
t_ok

t_begin "trickle: the body comes one byte per second"
arm T-TRICKLE '{"type":"trickle","count":1}'
reverse T-TRICKLE "" --max-time 3
t_eq "curl times out" 28 "$CURL_RC"
got=$(wc -c <"$RESP.body" 2>/dev/null | tr -d ' ')
t_check "a few bytes arrived ($got)" test "${got:-0}" -ge 1 -a "${got:-0}" -le 4
t_ok

t_begin "delay holds one request without blocking others"
arm T-SLOW '{"type":"delay","ms":4000,"count":1}'
start=$(date +%s%N)
(reverse T-SLOW; echo "$STATUS" >"$T_TMP/slow.status") &
slow=$!
sleep 0.3
ACCEPT="Accept:" reverse T-SLOW
fast_ms=$((($(date +%s%N) - start) / 1000000))
# Not a stopwatch (a loaded machine is slow): the other request is
# answered while the delayed one is still held.
t_check "other request answered while the slow one waits (${fast_ms} ms)" test ! -e "$T_TMP/slow.status"
wait "$slow"
slow_ms=$((($(date +%s%N) - start) / 1000000))
t_eq "slow one succeeds" 200 "$(cat "$T_TMP/slow.status")"
t_check "after the delay (${slow_ms} ms)" test "$slow_ms" -ge 3900
t_eq "delay logged" delay "$(grep '"T-SLOW"' "$LOG" | jq -r 'select(.status==200) | .fault')"
t_ok

t_begin "control endpoint: add orders, read state, never logged"
before=$(log_lines)
out=$("${CURL[@]}" -X POST -d "{\"sub_mchid\":\"1900000110\",\"out_trade_no\":\"T-ADDED\",\"state\":\"NOTPAY\"}" "$BASE/_sim/orders")
t_eq "added" NOTPAY "$(jq -r .state <<<"$out")"
out=$("${CURL[@]}" -X POST -d '{"out_trade_no":"T-NEWFAULT","fault":{"type":"fail_500","count":3}}' "$BASE/_sim/faults")
t_eq "fault creates a PAID order" "PAID $SUB 3" "$(jq -r '"\(.state) \(.sub_mchid) \(.fault.count)"' <<<"$out")"
out=$("${CURL[@]}" -X POST -d '{"out_trade_no":"T-X-01","fault":{"type":"nope"}}' "$BASE/_sim/faults")
t_contains "unknown fault type refused" "$(jq -r .message <<<"$out")" "nope"
t_eq "missing order is 404" 404 "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/_sim/orders/T-NONE")"
t_eq "not logged" "$before" "$(log_lines)"
reverse T-ADDED "$(body_for 1900000110)"
t_eq "added order reverses" CLOSED "$(state_of T-ADDED)"
t_ok

t_begin "--http serves plain HTTP on loopback"
start_sim plain --http
t_check "port written" test -n "$PORT"
BASE=http://127.0.0.1:$PORT
arm T-HTTP null
reverse T-HTTP
t_eq "status" 200 "$STATUS"
t_check "signed" verified
kill -TERM "$SIM_PID"
wait "$SIM_PID"
t_eq "exit status" 0 "$?"
BASE=https://127.0.0.1:$(cat "$T_TMP/main.port")
t_ok

t_begin "config errors exit 2 and name the problem"
echo '{"merchants": [' >"$T_TMP/bad.json"
"$WXPAY_SIM_BIN" --config "$T_TMP/bad.json" 2>"$T_TMP/bad.err"
t_eq "exit" 2 "$?"
t_contains "line:column" "$(cat "$T_TMP/bad.err")" "bad.json:2:"
jq '.orders[0].state = "PAYED"' "$T_TMP/sim.json" >"$T_TMP/bad2.json"
cp -r "$KEYS" "$T_TMP/keys" 2>/dev/null
"$WXPAY_SIM_BIN" --config "$T_TMP/bad2.json" 2>"$T_TMP/bad.err"
t_eq "exit" 2 "$?"
t_contains "names the key" "$(cat "$T_TMP/bad.err")" "orders[0].state"
"$WXPAY_SIM_BIN" --config "$T_TMP/sim.json" --port nope 2>/dev/null
t_eq "bad port" 2 "$?"
t_ok

t_begin "the demo order set behaves as its README says"
mkdir -p "$T_TMP/demo/tests/sim" "$T_TMP/demo/profiles"
cp "$T_ROOT/tests/sim/demo.json" "$T_TMP/demo/tests/sim/"
ln -s "$KEYS" "$T_TMP/demo/profiles/keys"
rm -f "$T_TMP/demo.port"
"$WXPAY_SIM_BIN" --config "$T_TMP/demo/tests/sim/demo.json" --port-file "$T_TMP/demo.port" 2>"$T_TMP/demo.err" &
demo_pid=$!
t_cleanup_kill "$demo_pid"
for _ in $(seq 1 100); do [ -s "$T_TMP/demo.port" ] && break; sleep 0.05; done
BASE=https://127.0.0.1:$(cat "$T_TMP/demo.port")
reverse DEMO20261126001
t_eq "paid demo order" 200 "$STATUS"
reverse DEMO-MISSING
t_eq "missing demo order" ORDER_NOT_EXIST "$(field .code)"
reverse DEMO-USERPAYING
t_eq "still paying" USERPAYING "$(field .code)"
reverse DEMO-REFUNDED
t_eq "refunded" TRADE_ERROR "$(field .code)"
reverse DEMO-EXPIRED
t_eq "expired" REVERSE_EXPIRE "$(field .code)"
reverse DEMO-FLAKY; reverse DEMO-FLAKY; s2=$STATUS; reverse DEMO-FLAKY
t_eq "flaky" "500 200" "$s2 $STATUS"
reverse DEMO-BADSIG
verified && t_fail "DEMO-BADSIG verified"
reverse DEMO20261126002 "$(body_for 1900000110)"
t_eq "烤鸭店 order" 200 "$STATUS"
kill -TERM "$demo_pid"; wait "$demo_pid"
BASE=https://127.0.0.1:$(cat "$T_TMP/main.port")
t_ok

t_begin "query: a paid order reads SUCCESS with amounts, time, ids; GET logged"
put_order Q-PAID PAID 12800
query Q-PAID
t_eq "status" 200 "$STATUS"
t_check "answer verifies" verified
t_eq "trade_state" SUCCESS "$(field .trade_state)"
t_eq "desc" "支付成功" "$(field .trade_state_desc)"
t_eq "names the order" "$MCHID $SUB Q-PAID" "$(field '"\(.sp_mchid) \(.sub_mchid) \(.out_trade_no)"')"
t_eq "amounts" "12800 12800 CNY" "$(field '"\(.amount.total) \(.amount.payer_total) \(.amount.currency)"')"
t_check "success_time is RFC 3339 in +08:00" grep -qE '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\+08:00$' <<<"$(field .success_time)"
t_check "transaction_id" grep -qE '^4200002000[0-9]{18}$' <<<"$(field .transaction_id)"
t_eq "trade_type" MICROPAY "$(field .trade_type)"
t_check "payer openids" test -n "$(field .payer.sp_openid)"
t_eq "log method" GET "$(last_log .method)"
t_eq "log target keeps the query" "$ROUTE/Q-PAID?sp_mchid=$MCHID&sub_mchid=$SUB" "$(last_log .target)"
t_eq "log order" Q-PAID "$(last_log .out_trade_no)"
t_eq "log verdict" ok "$(last_log .verdict)"
t_eq "a query changes nothing" PAID "$(state_of Q-PAID)"
t_ok

t_begin "query follows the state machine: paid -> REVOKED, unpaid -> CLOSED"
reverse Q-PAID
t_eq "reversed" 200 "$STATUS"
query Q-PAID
t_eq "REVOKED" REVOKED "$(field .trade_state)"
t_eq "still names the amount" 12800 "$(field .amount.total)"
put_order Q-UNPAID NOTPAY 500
query Q-UNPAID
t_eq "NOTPAY" "NOTPAY 500 null null" "$(field '"\(.trade_state) \(.amount.total) \(.success_time) \(.transaction_id)"')"
reverse Q-UNPAID
query Q-UNPAID
t_eq "CLOSED, never paid" "CLOSED null" "$(field '"\(.trade_state) \(.amount.payer_total)"')"
for st in USERPAYING:USERPAYING REFUND:REFUND PAYERROR:PAYERROR ACCEPT:ACCEPT REVERSED:REVOKED CLOSED:CLOSED; do
	put_order "Q-${st%%:*}" "${st%%:*}"
	query "Q-${st%%:*}"
	t_eq "${st%%:*} reads" "${st##*:}" "$(field .trade_state)"
done
t_ok

t_begin "query: no such order, or the order under another sub-merchant: 404"
query Q-NOWHERE
expect_error 404 ORDER_NOT_EXIST order_not_exist
query T-OTHER-SUB
expect_error 404 ORDER_NOT_EXIST order_not_exist
query T-OTHER-SUB 1900000110
t_eq "found under its own sub-merchant" 200 "$STATUS"
t_ok

t_begin "query: signed target must include the query string, method GET"
target="$ROUTE/Q-PAID?sp_mchid=$MCHID&sub_mchid=$SUB"
rm -f "$RESP.body"
STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' -H "Accept: application/json" \
	-H "User-Agent: t" -H "Authorization: $(auth GET "$ROUTE/Q-PAID" "")" "$BASE$target")
expect_error 401 SIGN_ERROR bad_signature
query Q-PAID "$SUB" "$MCHID" POST
expect_error 401 SIGN_ERROR bad_signature
target="$ROUTE/Q-PAID?sp_mchid=$MCHID&sub_mchid=$SUB"
send "$target" "" "$(auth POST "$target" "")"
expect_error 404 NOT_FOUND not_found
t_ok

t_begin "query: missing parameter 400, unbound sub-merchant 403, other partner 400"
target="$ROUTE/Q-PAID?sp_mchid=$MCHID"
STATUS=$("${CURL[@]}" -o "$RESP.body" -D "$RESP.hdr" -w '%{http_code}' -H "Accept: application/json" \
	-H "User-Agent: t" -H "Authorization: $(auth GET "$target" "")" "$BASE$target")
expect_error 400 PARAM_ERROR bad_query
t_eq "names the field" "/sub_mchid query" "$(field '"\(.detail.field) \(.detail.location)"')"
query Q-PAID 1900000300
expect_error 403 NO_AUTH no_auth
query Q-PAID "$SUB" 1230000999
expect_error 400 INVALID_REQUEST mchid_mismatch
t_ok

t_begin "query faults: fail_500, not_found, bad_signature, delay, drop; count is kept"
put_order Q-F-01 PAID
arm_query Q-F-01 '{"type":"fail_500","count":1}'
query Q-F-01
expect_error 500 SYSTEM_ERROR ok
t_eq "fault logged" fail_500 "$(last_log .fault)"
query Q-F-01
t_eq "then answered" "200 SUCCESS" "$STATUS $(field .trade_state)"
arm_query Q-F-01 '{"type":"not_found","count":1}'
query Q-F-01
expect_error 404 ORDER_NOT_EXIST ok
arm_query Q-F-01 '{"type":"bad_signature","count":1}'
query Q-F-01
t_eq "bad signature: still 200" 200 "$STATUS"
verified && t_fail "a bad_signature query answer verified"
arm_query Q-F-01 '{"type":"delay","ms":1500,"count":1}'
start=$(date +%s%N)
query Q-F-01
t_check "delayed at least 1.4 s" test $((($(date +%s%N) - start) / 1000000)) -ge 1400
t_eq "delay logged" delay "$(last_log .fault)"
arm_query Q-F-01 '{"type":"drop","count":1}'
query Q-F-01
t_check "dropped: no answer" test "$CURL_RC" -ne 0
t_eq "drop logged" dropped "$(last_log .verdict)"
t_ok

t_begin "query and reverse faults are separate: a dropped reversal, a clean query"
put_order Q-SEP-1 PAID
arm Q-SEP-1 '{"type":"drop","count":1}'
arm_query Q-SEP-1 '{"type":"fail_500"}'
t_eq "control shows both" "drop fail_500 12800" "$("${CURL[@]}" "$BASE/_sim/orders/Q-SEP-1" | jq -r '"\(.fault.type) \(.query_fault.type) \(.amount)"')"
arm_query Q-SEP-1 null
t_eq "disarming the query fault keeps the reverse one" "drop null" "$("${CURL[@]}" "$BASE/_sim/orders/Q-SEP-1" | jq -r '"\(.fault.type) \(.query_fault)"')"
query Q-SEP-1
t_eq "query unaffected by the reverse fault" "200 SUCCESS" "$STATUS $(field .trade_state)"
reverse Q-SEP-1
t_check "reversal dropped" test "$CURL_RC" -ne 0
query Q-SEP-1
t_eq "the dropped reversal did nothing" SUCCESS "$(field .trade_state)"
t_ok

t_begin "lost_answer: the reversal happens, its answer never comes"
put_order Q-LOST PAID
arm Q-LOST '{"type":"lost_answer","ms":300,"count":1}'
reverse Q-LOST
t_check "no answer" test "$CURL_RC" -ne 0
t_eq "logged" "answer_lost null" "$(last_log '"\(.verdict) \(.status)"')"
t_eq "but reversed" REVERSED "$(state_of Q-LOST)"
query Q-LOST
t_eq "the query tells" REVOKED "$(field .trade_state)"
t_ok

t_begin "SIGTERM exits 0 at once, even with a delayed request in flight"
arm T-HELD '{"type":"delay","ms":60000}'
(reverse T-HELD) &
held=$!
sleep 0.5
start=$(date +%s)
kill -TERM "$MAIN_PID"
wait "$MAIN_PID"
rc=$?
t_eq "exit status" 0 "$rc"
t_check "within 5 s" test $(($(date +%s) - start)) -le 5
wait "$held" 2>/dev/null
t_ok

t_begin "no sanitizer or runtime error was reported by any simulator run"
t_eq "reports" "" "$(grep -hE 'Sanitizer|runtime error|LeakSanitizer' "$T_TMP"/*.err)"
t_ok

t_done
