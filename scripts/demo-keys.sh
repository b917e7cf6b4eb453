#!/usr/bin/env bash
# Generates the throwaway keys for the demo and the tests into one folder
# (mode 0700, files 0600). Never commit them: .gitignore keeps them out.
#   scripts/demo-keys.sh DIR
# Files:
#   apiclient_key.pem / apiclient_cert.pem   merchant API key and certificate
#   wechatpay_key.pem / pub_key.pem          platform key pair (public-key mode)
#   wechatpay_cert.pem                       platform certificate (cert mode)
#   test-ca.pem / test-ca-key.pem            CA the simulator's TLS chains to
#   server.pem / server-key.pem              TLS certificate for localhost
#   serials.env                              MERCHANT_SERIAL, PLATFORM_SERIAL, PUB_KEY_ID
set -euo pipefail
dir=${1:?usage: scripts/demo-keys.sh DIR}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
# serial_of CERT: upper-case hex serial without separators
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'a-f' 'A-F'; }

rsa test-ca-key.pem
openssl req -x509 -new -key test-ca-key.pem -sha256 -days 3650 \
	-subj "/CN=wxrev test CA" -out test-ca.pem 2>/dev/null

rsa server-key.pem
openssl req -new -key server-key.pem -subj "/CN=localhost" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/server.csr" -CA test-ca.pem -CAkey test-ca-key.pem \
	-set_serial 0x1001 -days 3650 -sha256 -extfile "$tmp/ext" -out server.pem 2>/dev/null

rsa apiclient_key.pem
openssl req -x509 -new -key apiclient_key.pem -sha256 -days 3650 \
	-set_serial 0x3775B6A45ACD588826D15E583A95F5DD2CE6A3E2 \
	-subj "/CN=1230000109/O=wxrev demo merchant" -out apiclient_cert.pem 2>/dev/null

rsa wechatpay_key.pem
openssl pkey -in wechatpay_key.pem -pubout -out pub_key.pem 2>/dev/null
openssl req -x509 -new -key wechatpay_key.pem -sha256 -days 3650 \
	-set_serial 0x5157F09EFDC096DE15EBE81A47057A7232F1B8E2 \
	-subj "/CN=Tenpay.com Root CA demo/O=wxrev demo platform" -out wechatpay_cert.pem 2>/dev/null

cat >serials.env <<EOS
MERCHANT_SERIAL=$(serial_of apiclient_cert.pem)
PLATFORM_SERIAL=$(serial_of wechatpay_cert.pem)
PUB_KEY_ID=PUB_KEY_ID_0112300001092026112600000000000001
EOS
chmod 600 ./*.pem serials.env
touch .done
