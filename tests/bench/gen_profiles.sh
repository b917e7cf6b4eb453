#!/usr/bin/env bash
# Writes PARTNERS profile files with SUBS sub-merchants each into DIR, all
# signing with the demo keys (copied into DIR/keys, mode 0600).
#   tests/bench/gen_profiles.sh DIR PARTNERS SUBS
set -euo pipefail
dir=$1 partners=$2 subs=$3
root="$(cd "$(dirname "$0")/../.." && pwd)"
keys="$root/profiles/keys"
[ -f "$keys/.done" ] || "$root/scripts/demo-keys.sh" "$keys"
mkdir -p "$dir/keys"
chmod 700 "$dir"
cp "$keys"/apiclient_key.pem "$keys"/apiclient_cert.pem "$keys"/pub_key.pem "$keys"/test-ca.pem "$dir/keys/"
chmod 600 "$dir"/keys/*.pem
for ((p = 1; p <= partners; p++)); do
	awk -v p="$p" -v n="$subs" 'BEGIN {
		printf "name: Bench Partner %d\n", p
		printf "sp_mchid: \"%d\"\n", 1600000000 + p
		printf "merchant:\n  certificate: keys/apiclient_cert.pem\n  private_key: keys/apiclient_key.pem\n"
		printf "wechatpay:\n  public_key_id: PUB_KEY_ID_0112300001092026112600000000000001\n  public_key: keys/pub_key.pem\n"
		printf "api:\n  base_url: https://127.0.0.1:18443\n  ca_file: keys/test-ca.pem\n"
		printf "sub_merchants:\n"
		for (i = 1; i <= n; i++) {
			printf "  - name: \"门店 %d-%d Shop\"\n", p, i
			printf "    sub_mchid: \"%d\"\n", 1900000000 + p * 100000 + i
		}
	}' >"$dir/partner$(printf %03d "$p").yaml"
done
