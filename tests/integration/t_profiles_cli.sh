#!/usr/bin/env bash
# wxrev profiles: listing, --check, and the lookup order of the location.
. "$(dirname "$0")/lib_sim.sh"

sim_keys || t_setup_fail "the test keys could not be made"
dir="$T_TMP/profiles"
mkdir -p "$dir"
write_profile "$dir/test.yaml" "https://127.0.0.1:9"
cat >"$dir/second.yaml" <<EOS
name: 第二服务商
sp_mchid: "1230000200"
merchant:
  serial_no: $MERCHANT_SERIAL
  private_key: $KEYS/apiclient_key.pem
wechatpay:
  public_key_id: $PUB_KEY_ID
  public_key: $KEYS/pub_key.pem
sub_merchants:
  - name: 北京烤鸭店
    sub_mchid: "1900000300"
EOS

run() { "$WXREV_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err"); }

t_begin "profiles lists partners and their sub-merchants"
run profiles --profiles "$dir"
t_eq "exit" 0 "$RC"
t_check "partner line: name, mchid, file" grep -Eq "^Test Provider +$SP_MCHID +.*test\.yaml$" "$T_TMP/out"
t_check "sub-merchants indented with their sub_mchid" grep -Eq "^    Coffee Shop +$SUB_COFFEE$" "$T_TMP/out"
t_check "Chinese names listed" grep -Eq "^    北京烤鸭店 +1900000300$" "$T_TMP/out"
t_eq "lines: 2 partners + 4 subs" 6 "$(wc -l <"$T_TMP/out" | tr -d ' ')"
t_ok

t_begin "Chinese names keep the columns aligned"
col() { grep -F "$1" "$T_TMP/out" | sed "s/$2.*//" | LC_ALL=C.UTF-8 wc -L | tr -d ' '; }
t_eq "same column" "$(col 'Coffee Shop' "$SUB_COFFEE")" "$(col '北京烤鸭店' 1900000300)"
t_ok

t_begin "--check on good profiles exits 0 with a summary"
run profiles --check --profiles "$dir"
t_eq "exit" 0 "$RC"
t_contains "summary" "$OUT" "2 partner(s), 4 sub-merchant(s)"
t_ok

t_begin "--check prints every problem with file:line:column and exits 2"
cat >"$T_TMP/bad.yaml" <<EOS
name: Bad
sp_mchid: "12x"
colour: blue
merchant:
  serial_no: $MERCHANT_SERIAL
  private_key: $T_TMP/missing-key.pem
wechatpay:
  public_key_id: $PUB_KEY_ID
  public_key: $KEYS/pub_key.pem
sub_merchants: []
EOS
run profiles --check --profiles "$T_TMP/bad.yaml"
t_eq "exit" 2 "$RC"
t_check "unknown key at 3:1" grep -q "bad.yaml:3:1: .*colour" "$T_TMP/err"
t_check "bad mchid at 2:11" grep -q "bad.yaml:2:11: .*sp_mchid" "$T_TMP/err"
t_check "missing key file at 6" grep -q "bad.yaml:6:[0-9]*: .*missing-key.pem" "$T_TMP/err"
t_check "empty sub-merchants at 10" grep -q "bad.yaml:10:[0-9]*: .*sub_merchants" "$T_TMP/err"
t_eq "nothing listed" "" "$OUT"
t_ok

t_begin "a world-readable private key is refused with the chmod fix"
cp "$KEYS/apiclient_key.pem" "$T_TMP/open_key.pem"
chmod 644 "$T_TMP/open_key.pem"
write_profile "$T_TMP/open.yaml" "https://127.0.0.1:9" "" "$T_TMP/open_key.pem"
run profiles --check --profiles "$T_TMP/open.yaml"
t_eq "exit" 2 "$RC"
t_contains "fix" "$ERR" "chmod 600"
t_ok

t_begin "reverse with broken profiles exits 2 and sends nothing"
run reverse --profiles "$T_TMP/bad.yaml" --sub "Coffee Shop" --yes X-00001
t_eq "exit" 2 "$RC"
t_contains "the problem is printed" "$ERR" "bad.yaml:3:1"
t_ok

t_begin "plain http:// to a non-loopback host is refused at load"
write_profile "$T_TMP/plain.yaml" "http://api.example.com"
run profiles --check --profiles "$T_TMP/plain.yaml"
t_eq "exit" 2 "$RC"
t_check "names the line of base_url" grep -q "plain.yaml:[0-9]*:[0-9]*: .*https://" "$T_TMP/err"
t_ok

t_begin "--check on the bad fixtures prints exactly the expected diagnostics"
# Run from the repository root: the expected messages name relative paths.
(cd "$T_ROOT" && "$WXREV_BIN" profiles --check --profiles tests/fixtures/profiles/bad) >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit" 2 "$?"
# Every expected line, no other; the order within a file may differ.
t_eq "diagnostics" "$(sort "$T_ROOT/tests/fixtures/profiles/bad.expected")" "$(sort "$T_TMP/err")"
t_ok

t_begin "--check on the good fixtures exits 0"
(cd "$T_ROOT" && "$WXREV_BIN" profiles --check --profiles tests/fixtures/profiles/good) >"$T_TMP/out" 2>"$T_TMP/err"
t_eq "exit (stderr: $(cat "$T_TMP/err"))" 0 "$?"
t_contains "summary" "$(cat "$T_TMP/out")" "no problems found"
t_ok

t_begin "a missing location says where it looked"
run profiles --profiles "$T_TMP/nowhere"
t_eq "exit" 2 "$RC"
t_contains "path named" "$ERR" "$T_TMP/nowhere"
t_ok

t_begin "\$WXREV_PROFILES is used, and --profiles overrides it"
WXREV_PROFILES="$dir/second.yaml" run profiles
t_eq "exit" 0 "$RC"
t_contains "env" "$OUT" "第二服务商"
WXREV_PROFILES="$dir/second.yaml" run profiles --profiles "$dir/test.yaml"
t_contains "flag wins" "$OUT" "Test Provider"
t_check "env ignored" test "${OUT#*第二服务商}" = "$OUT"
t_ok

t_begin "the default location is \$XDG_CONFIG_HOME/wxrev/profiles"
mkdir -p "$XDG_CONFIG_HOME/wxrev/profiles"
cp "$dir/second.yaml" "$XDG_CONFIG_HOME/wxrev/profiles/"
run profiles
t_eq "exit" 0 "$RC"
t_contains "found" "$OUT" "第二服务商"
t_ok

t_done
