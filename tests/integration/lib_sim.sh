# Helpers for integration tests that run wxrev against wxpay-sim over HTTPS.
# Source after nothing else: it sources tests/lib.sh itself.
#
#   sim_setup [ORDERS_JSON]     keys, simulator config, simulator started,
#                               profile and history paths exported
#   sim_order JSON              adds or replaces an order (control endpoint)
#   sim_fault ORDER FAULT_JSON  arms a fault on an order
#   sim_state ORDER             the order's state as the simulator sees it
#   sim_count ORDER             requests for ORDER the simulator received
#   sim_log ORDER               those requests, one JSON object a line
#   wx ARGS...                  runs wxrev; sets WX_RC, WX_OUT, WX_ERR
#   hist_row ORDER              the newest history row for ORDER (jsonl)
# shellcheck shell=bash disable=SC2034  # WX_* and the ids are read by the suites
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

KEYS="$T_TMP/keys"
SIM_DIR="$T_TMP/sim"
SP_MCHID=1230000109
SUB_COFFEE=1900000109
SUB_TEA=1900000110
SUB_UNBOUND=1900000999
REVERSE_PREFIX=/v3/pay/partner/transactions/out-trade-no/
export WXREV_BACKOFF_MS=${WXREV_BACKOFF_MS:-50}
export WXREV_OPERATOR=${WXREV_OPERATOR:-tester}
export WXREV_HISTORY="$T_TMP/history/history.db"
mkdir -p "$SIM_DIR"

for tool in jq sqlite3 curl openssl; do
	command -v "$tool" >/dev/null || {
		t_setup_fail "$tool is required (scripts/deps.sh installs it)"
	}
done

# Throwaway keys, generated once per suite.
sim_keys() {
	if [ ! -f "$KEYS/.done" ]; then
		"$T_ROOT/scripts/demo-keys.sh" "$KEYS" >/dev/null || return 1
	fi
	# shellcheck disable=SC1091
	. "$KEYS/serials.env"
}

# sim_write_config FILE [ORDERS_JSON]: one partner with two sub-merchants.
sim_write_config() {
	local file=$1 orders=${2:-[]}
	jq -n --arg keys "$KEYS" --arg serial "$MERCHANT_SERIAL" \
		--arg pkid "$PUB_KEY_ID" --arg sp "$SP_MCHID" \
		--arg s1 "$SUB_COFFEE" --arg s2 "$SUB_TEA" \
		--argjson orders "$orders" '{
		tls: {cert: ($keys + "/server.pem"), key: ($keys + "/server-key.pem")},
		platform: {private_key: ($keys + "/wechatpay_key.pem"), serial: $pkid},
		merchants: [{mchid: $sp, serial: $serial,
			public_key: ($keys + "/apiclient_cert.pem"),
			sub_mchids: [$s1, $s2]}],
		orders: $orders
	}' >"$file"
}

# sim_start NAME [--http]: starts wxpay-sim on a free port from
# $SIM_DIR/NAME.json. Sets SIM_PID, SIM_PORT, SIM_LOG, SIM_URL.
sim_start() {
	local name=$1 scheme=https
	shift
	[ "${1:-}" = --http ] && scheme=http
	SIM_LOG="$SIM_DIR/$name.log"
	: >"$SIM_LOG"
	rm -f "$SIM_DIR/$name.port"
	"$WXPAY_SIM_BIN" --config "$SIM_DIR/$name.json" --port 0 \
		--port-file "$SIM_DIR/$name.port" --log "$SIM_LOG" "$@" \
		>"$SIM_DIR/$name.out" 2>&1 &
	SIM_PID=$!
	t_cleanup_kill "$SIM_PID"
	for _ in $(seq 1 100); do
		if [ -s "$SIM_DIR/$name.port" ]; then
			SIM_PORT=$(tr -d '\n' <"$SIM_DIR/$name.port")
			SIM_URL="$scheme://127.0.0.1:$SIM_PORT"
			return 0
		fi
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "wxpay-sim did not start: $(cat "$SIM_DIR/$name.out")" >&2
	return 1
}

sim_stop() {
	[ -n "${SIM_PID:-}" ] || return 0
	kill "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}

# write_profile FILE BASE_URL [BACKUP_URL] [PRIVATE_KEY] [TIMEOUT_S]
write_profile() {
	local file=$1 base=$2 backup=${3:-$2} key=${4:-$KEYS/apiclient_key.pem}
	local timeout=${5:-5}
	# The profile takes 1 to 120 s: a slow wrapper's scaled timeout is capped.
	[ "$timeout" -gt 120 ] && timeout=120
	cat >"$file" <<EOF
name: Test Provider
sp_mchid: "$SP_MCHID"
merchant:
  serial_no: $MERCHANT_SERIAL
  private_key: $key
wechatpay:
  public_key_id: $PUB_KEY_ID
  public_key: $KEYS/pub_key.pem
api:
  base_url: $base
  backup_url: $backup
  ca_file: $KEYS/test-ca.pem
  timeout_s: $timeout
sub_merchants:
  - name: Coffee Shop
    sub_mchid: "$SUB_COFFEE"
  - name: Tea House
    sub_mchid: "$SUB_TEA"
  - name: Unbound Shop
    sub_mchid: "$SUB_UNBOUND"
EOF
}

# sim_setup [ORDERS_JSON]: the usual world: keys, a simulator over HTTPS
# and a profile pointing at it (exported as WXREV_PROFILES).
sim_setup() {
	sim_keys || return 1
	sim_write_config "$SIM_DIR/main.json" "${1:-[]}"
	sim_start main || return 1
	PROFILE="$T_TMP/profile.yaml"
	write_profile "$PROFILE" "$SIM_URL"
	export WXREV_PROFILES="$PROFILE"
	MAIN_URL=$SIM_URL MAIN_LOG=$SIM_LOG
}

sim_curl() {
	curl -sS --max-time 10 --cacert "$KEYS/test-ca.pem" "$@"
}

# sim_order JSON: adds or replaces an order on the main simulator.
sim_order() {
	sim_curl -X POST -H 'Content-Type: application/json' \
		--data "$1" "$MAIN_URL/_sim/orders" >/dev/null
}

# sim_paid ORDER [SUB] [STATE]: shorthand for a fresh order.
sim_paid() {
	sim_order "{\"out_trade_no\":\"$1\",\"sub_mchid\":\"${2:-$SUB_COFFEE}\",\"state\":\"${3:-PAID}\"}"
}

# sim_amount_order ORDER STATE FEN: an order of Coffee Shop with an amount.
sim_amount_order() {
	sim_order "{\"out_trade_no\":\"$1\",\"sub_mchid\":\"$SUB_COFFEE\",\"state\":\"$2\",\"amount\":$3}"
}

# sim_query_fault ORDER FAULT: arms a fault on the order query of ORDER.
sim_query_fault() {
	sim_curl -X POST -H 'Content-Type: application/json' \
		--data "{\"out_trade_no\":\"$1\",\"sub_mchid\":\"$SUB_COFFEE\",\"query_fault\":$2}" \
		"$MAIN_URL/_sim/faults" >/dev/null
}

sim_fault() {
	sim_curl -X POST -H 'Content-Type: application/json' \
		--data "{\"out_trade_no\":\"$1\",\"sub_mchid\":\"$SUB_COFFEE\",\"fault\":$2}" \
		"$MAIN_URL/_sim/faults" >/dev/null
}

sim_state() {
	sim_curl "$MAIN_URL/_sim/orders/$1" | jq -r .state
}

sim_log() {
	local log=${2:-$MAIN_LOG}
	jq -c --arg t "$REVERSE_PREFIX$1/reverse" 'select(.target == $t)' "$log"
}

sim_count() {
	sim_log "$@" | wc -l | tr -d ' '
}

# sim_query_count ORDER [LOG]: order queries of ORDER the simulator received.
sim_query_count() {
	jq -c --arg p "/v3/pay/partner/transactions/out-trade-no/$1?" \
		'select(.method == "GET" and (.target | startswith($p)))' \
		"${2:-$MAIN_LOG}" | wc -l | tr -d ' '
}

# wx ARGS...: runs wxrev with a timeout, no terminal on stdin.
wx() {
	timeout 60 "$WXREV_BIN" "$@" >"$T_TMP/wx.out" 2>"$T_TMP/wx.err" </dev/null
	WX_RC=$?
	WX_OUT=$(cat "$T_TMP/wx.out")
	WX_ERR=$(cat "$T_TMP/wx.err")
}

# hist_row ORDER: newest history row for the order, as JSON.
hist_row() {
	"$WXREV_BIN" history --order "$1" --limit 1 --format jsonl 2>/dev/null
}

# hist_sql QUERY: a direct look at the database, read-only.
hist_sql() {
	sqlite3 -readonly "$WXREV_HISTORY" "$1"
}

# jfield JSON FIELD: one field of a JSON object, raw ("null" when null).
jfield() {
	jq -r ".$2" <<<"$1"
}
