#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/.

The seeds mirror the test vectors, the profile fixtures and the catalogue's
hostile inputs (tests/README.md), so fuzzing starts where the tests stop.
Re-run after changing it; existing regress-* inputs are left alone.
    python3 tests/fuzz/seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = "1217752501201407033233368018"
SP, SUB, APPID = "1230000109", "1900000109", "wxd678efh567hg6787"
PUB_ID = "PUB_KEY_ID_0112300001092026112600000000000001"


def put(corpus, name, data):
    d = os.path.join(HERE, "corpus", corpus)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def orders():
    for name, s in {
        "plain": ORDER, "demo": "DEMO-PAID-1", "all-chars": "aZ09_*|-",
        "max": "A" * 32, "too-long": "A" * 33, "empty": "",
        "spaces": "  " + ORDER + "\t\r\n", "ideographic-space": "\u3000" + ORDER + "\u3000",
        "inner-space": "1217 7525", "slash": "../../v3/x", "percent": "ab%2Fcd",
        "cjk": "订单123", "invalid-utf8": b"\xc3\x28\xa0\xa1ORDER", "nul": b"AB\0CD",
        "escape": "\x1b[31mRED", "crlf-only": "\r\n\r\n",
    }.items():
        put("order", name, s)


# verify: flags byte, status (2 bytes, big endian), then
# "TIMESTAMP\nNONCE\nSERIAL\nSIGNATURE\n" and the body (see fuzz_verify.c).
SIGN, NOW, CERT, RAW = 1, 2, 64, 128


def answer(flags, status, body, ts="1700000001", nonce="c5ac7061fccab6bf3e254dcf98995b8c",
           serial=PUB_ID, sig="c2ln"):
    head = bytes([flags]) + struct.pack(">H", status)
    return head + f"{ts}\n{nonce}\n{serial}\n{sig}\n".encode() + (
        body.encode() if isinstance(body, str) else body)


def verify():
    ok = ('{"sp_appid":"%s","sp_mchid":"%s","sub_appid":"%s","sub_mchid":"%s",'
          '"out_trade_no":"%s"}' % (APPID, SP, APPID, SUB, ORDER))
    seeds = {
        "success": answer(SIGN | NOW, 200, ok),
        "success-cert-serial": answer(SIGN | NOW | CERT, 200, ok),
        "empty-204": answer(SIGN | NOW, 204, ""),
        "unsigned-200": answer(NOW, 200, ok),
        "stale-200": answer(SIGN, 200, ok),
        "probe": answer(NOW, 200, ok, sig="WECHATPAY/SIGNTEST/abc"),
        "unknown-serial": answer(SIGN | NOW | RAW, 200, ok, serial="DEADBEEF"),
        "other-order": answer(SIGN | NOW, 200, ok.replace(ORDER, "OTHER")),
        "other-sub": answer(SIGN | NOW, 200, ok.replace(SUB, "1900000110")),
        "html-200": answer(SIGN | NOW, 200, "<html><body>502 Bad Gateway</body></html>"),
        "wrong-types": answer(SIGN | NOW, 200, '{"sp_mchid":1230000109,"sub_mchid":[1],'
                              '"out_trade_no":{"a":1}}'),
        "duplicate-keys": answer(SIGN | NOW, 200, ok[:-1] + ',"out_trade_no":"OTHER"}'),
        "nested": answer(SIGN | NOW, 200, "[" * 20000 + "]" * 20000),
        "nested-open": answer(SIGN | NOW, 200, '{"a":' * 10000),
        "not-json": answer(SIGN | NOW, 200, "\x00\xff\xfe garbage"),
        "error-400": answer(SIGN | NOW, 400, '{"code":"PARAM_ERROR","message":"参数错误",'
                            '"detail":{"field":"/sub_mchid","value":"x","issue":"格式错误",'
                            '"location":"body"}}'),
        "error-500": answer(SIGN | NOW, 500, '{"code":"SYSTEM_ERROR","message":"系统错误"}'),
        "error-unsigned-500": answer(NOW, 500, '{"code":"SYSTEM_ERROR","message":"x"}'),
        "bad-ts": answer(SIGN, 200, ok, ts="17e9"),
        "huge-ts": answer(SIGN, 200, ok, ts="99999999999999999999999"),
        "neg-ts": answer(SIGN, 200, ok, ts="-1700000000"),
        "bad-b64": answer(NOW, 200, ok, sig="!!!not base64==="),
        "long-sig": answer(NOW, 200, ok, sig="QUFB" * 2000),
        "zero-status": answer(0, 0, ""),
    }
    for name, data in seeds.items():
        put("verify", name, data)


STATUS = {400: 0, 401: 1, 403: 2, 404: 3, 429: 6, 500: 7, 503: 9}


def errbody():
    codes = [
        (400, "PARAM_ERROR", "参数错误"), (400, "INVALID_REQUEST", "无效请求"),
        (401, "SIGN_ERROR", "签名错误"), (403, "NO_AUTH", "商户无权限"),
        (404, "ORDER_NOT_EXIST", "订单不存在"), (400, "REVERSE_EXPIRE", "订单已过撤销期"),
        (400, "TRADE_ERROR", "交易错误"), (400, "USERPAYING", "用户支付中"),
        (429, "RATELIMIT_EXCEEDED", "频率超限"), (500, "SYSTEM_ERROR", "系统错误"),
        (503, "SYSTEM_ERROR", "服务不可用"), (400, "SOMETHING_NEW", "新错误"),
        (500, "SOMETHING_NEW", "新错误"),
    ]
    for status, code, msg in codes:
        put("errbody", code.lower() + "-" + str(status),
            bytes([STATUS[status]]) + ('{"code":"%s","message":"%s"}' % (code, msg)).encode())
    s400 = bytes([STATUS[400]])
    put("errbody", "detail", s400 + '{"code":"PARAM_ERROR","message":"参数错误","detail":'
        '{"field":"/sub_mchid","value":"abc","issue":"必须为数字","location":"body"}}'.encode())
    put("errbody", "detail-wrong-types", s400 + b'{"code":"PARAM_ERROR","message":7,'
        b'"detail":{"field":[],"value":{},"issue":null,"location":1.5}}')
    put("errbody", "code-number", s400 + b'{"code":404,"message":null}')
    put("errbody", "escape-message", s400 + b'{"code":"PARAM_ERROR","message":"\\u001b]52;c;'
        b'ZXZpbA==\\u0007\\u001b[2J\\r\\nrm -rf /\\u009b31m"}')
    put("errbody", "invalid-utf8", s400 + b'{"code":"PARAM_ERROR","message":"\xff\xfe\xc3\x28"}')
    put("errbody", "nul-in-message", s400 + b'{"code":"PARAM_ERROR","message":"a\\u0000b"}')
    put("errbody", "duplicate-code", s400 + b'{"code":"PARAM_ERROR","code":"SYSTEM_ERROR",'
        b'"message":"x"}')
    put("errbody", "html", bytes([STATUS[503]]) + b"<html><h1>503</h1></html>")
    put("errbody", "empty", bytes([STATUS[500]]))
    put("errbody", "nested", s400 + b'{"code":"X","detail":' + b"[" * 30000 + b"]" * 30000 + b"}")
    put("errbody", "long-message", s400 + ('{"code":"X","message":"%s"}' % ("长" * 20000)).encode())


BASE = """name: Fuzz Partner
sp_mchid: "1230000109"
sp_appid: wxd678efh567hg6787
merchant:
  serial_no: 3775B6A45ACD588826D15E583A95F5DD2CE6A3E2
  private_key: keys/apiclient_key.pem
wechatpay:
  public_key_id: PUB_KEY_ID_0112300001092026112600000000000001
  public_key: keys/pub_key.pem
api:
  base_url: https://127.0.0.1:8443
  backup_url: https://localhost:8443
  timeout_s: 10
sub_merchants:
  - name: Coffee Shop
    sub_mchid: "1900000109"
    sub_appid: wxd678efh567hg6787
  - name: 茶馆
    sub_mchid: "1900000110"
"""


def profiles():
    put("profile", "valid", BASE)
    put("profile", "tabs", BASE.replace("  private_key", "\tprivate_key"))
    put("profile", "bad-indent", BASE.replace("  private_key", "   private_key"))
    put("profile", "unterminated-quote", BASE.replace('"1230000109"', '"1230000109'))
    put("profile", "unterminated-single", BASE.replace('"1900000110"', "'1900000110"))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb += f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    put("profile", "alias-bomb", bomb)
    put("profile", "alias-bomb-in-schema", BASE + "sub_merchants_x: &s [*s]\n")
    put("profile", "alias-subs", BASE.replace("  - name: 茶馆\n    sub_mchid: \"1900000110\"\n", "")
        .replace("  - name: Coffee Shop", "  - &c\n    name: Coffee Shop") + "  - *c\n")
    put("profile", "binary", bytes(range(256)) * 4)
    put("profile", "invalid-utf8", BASE.encode().replace(b"Fuzz Partner", b"Fuzz \xff\xc3( Partner"))
    put("profile", "ec-key", BASE.replace("apiclient_key.pem", "ec_key.pem"))
    put("profile", "rsa1024", BASE.replace("apiclient_key.pem", "rsa1024_key.pem"))
    put("profile", "open-key", BASE.replace("apiclient_key.pem", "open_key.pem"))
    put("profile", "public-as-private", BASE.replace("keys/apiclient_key.pem", "keys/pub_key.pem"))
    put("profile", "missing-key", BASE.replace("apiclient_key.pem", "nope.pem"))
    put("profile", "key-is-folder", BASE.replace("keys/apiclient_key.pem", "keys"))
    put("profile", "plain-http", BASE.replace("https://127.0.0.1:8443", "http://example.com"))
    put("profile", "wrong-types", BASE.replace('sp_mchid: "1230000109"', "sp_mchid: [1, 2]")
        .replace("timeout_s: 10", "timeout_s: {a: b}"))
    put("profile", "unknown-key", BASE + "colour: blue\n")
    put("profile", "duplicate-key", BASE + "name: Again\n")
    put("profile", "duplicate-sub", BASE.replace('"1900000110"', '"1900000109"'))
    put("profile", "empty", "")
    put("profile", "only-comment", "# nothing\n")
    put("profile", "scalar", "just a string\n")
    put("profile", "list", "- a\n- b\n")
    put("profile", "multi-doc", BASE + "---\n" + BASE)
    put("profile", "tags", BASE.replace('"1230000109"', "!!binary MTIzMDAwMDEwOQ=="))
    put("profile", "merge-key", BASE + "<<: {x: 1}\n")
    put("profile", "flow", '{name: F, sp_mchid: "1", merchant: {serial_no: A, private_key: '
        'keys/apiclient_key.pem}, wechatpay: {public_key_id: P, public_key: keys/pub_key.pem}, '
        'sub_merchants: [{name: S, sub_mchid: "2"}]}\n')
    put("profile", "deep", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    put("profile", "long-line", "name: " + "x" * 60000 + "\n")
    put("profile", "bom", "\ufeff" + BASE)
    put("profile", "crlf", BASE.replace("\n", "\r\n"))
    put("profile", "nul", BASE.replace("Coffee Shop", "Coffee\0Shop"))


def keypem():
    # Mode byte 1/2: edits to a key the harness makes (no key is committed).
    put("keypem", "private-intact", b"\x01")
    put("keypem", "public-intact", b"\x02")
    put("keypem", "private-edited", b"\x01\x00\x40\x41\x01\x00\x42")
    put("keypem", "public-edited", b"\x02\x00\x30\x00")
    put("keypem", "tiny-private", b"\x00-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    put("keypem", "tiny-pkcs1", b"\x00-----BEGIN RSA PRIVATE KEY-----\nMA==\n-----END RSA PRIVATE KEY-----\n")
    put("keypem", "empty-public", b"\x00-----BEGIN PUBLIC KEY-----\n\n-----END PUBLIC KEY-----\n")
    put("keypem", "unterminated", b"\x00-----BEGIN PUBLIC KEY-----\n")


if __name__ == "__main__":
    keypem()
    orders()
    verify()
    errbody()
    profiles()
