/* apiv3: the reverse call of WeChat Pay APIv3 as pure functions: the order
 * number check, the request and its signature (SHA256withRSA), the
 * verification of the answer's Wechatpay-Signature, and what the answer
 * means (see apiv3.h). */
#include "apiv3.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "i18n.h"
#include "utf8.h"

static const char order_alphabet_hint[] = N_("use digits, letters, _ - * |");
#define PROBE_PREFIX	    "WECHATPAY/SIGNTEST/"
#define SIG_B64_MAX	    4096 /* longer than any RSA signature we could accept */
#define TIMESTAMP_DIGITS    18 /* fits int64_t without overflow checks */
#define ECHO_MAX	    80 /* bytes of a network value quoted in a message */

/* ---- Small helpers ------------------------------------------------------ */

bool apiv3_order_char(unsigned c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || c == '_' || c == '-' || c == '*' ||
	       c == '|';
}

static int is_unreserved(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == '~' ||
	       c == '-';
}

/* White space a pasted order number may carry: ASCII, NBSP, U+3000
 * (ideographic space), zero-width space and BOM. */
static int is_trim_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' ||
	       cp == '\v' || cp == '\f' || cp == 0xA0 || cp == 0x3000 ||
	       cp == 0x200B || cp == 0xFEFF;
}

/* Characters that would not show on screen or would reorder it. */
static int is_invisible(uint32_t cp)
{
	return wx_cp_control(cp) || cp == 0xAD ||
	       (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x2028 && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
}

/* Copies at most ECHO_MAX bytes of network text for a message, with bytes
 * outside printable ASCII shown as '?', so a message never carries escape
 * sequences or huge values. */
static void echo_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; i < ECHO_MAX && i + 4 < n && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
	}
	if (src[i] && i + 4 < n) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

/* The first OpenSSL error as text, and an empty queue afterwards so other
 * modules do not read stale errors. */
static const char *ossl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, buf, n);
	else
		snprintf(buf, n, "no detail from OpenSSL");
	ERR_clear_error();
	return buf;
}

/* ---- Order number ------------------------------------------------------- */

/* Steps over leading trim spaces; returns the new start. */
static const char *skip_lead(const char *s, const char *end)
{
	uint32_t cp = 0;

	while (s < end) {
		size_t k = wx_utf8_decode(s, (size_t)(end - s), &cp);

		if (k == 0 || !is_trim_space(cp))
			break;
		s += k;
	}
	return s;
}

/* Steps back over trailing trim spaces; returns the new end. */
static const char *skip_trail(const char *start, const char *end)
{
	for (;;) {
		const char *p = end;
		uint32_t cp = 0;
		size_t k;

		if (p == start)
			return end;
		p--;
		while (p > start && ((unsigned char)*p & 0xC0) == 0x80 &&
		       end - p < 4)
			p--;
		k = wx_utf8_decode(p, (size_t)(end - p), &cp);
		if (k != (size_t)(end - p) || !is_trim_space(cp))
			return end;
		end = p;
	}
}

/* Explains why character number `pos` (1-based) is refused. */
static int order_bad_char(const unsigned char *s, size_t avail, size_t pos,
			  struct wx_err *err)
{
	uint32_t cp = 0;
	size_t k = wx_utf8_decode((const char *)s, avail, &cp);

	if (k == 0)
		return wx_err_set(err,
				  _("character %zu is not valid UTF-8 (byte "
				    "0x%02X): retype the order number"),
				  pos, s[0]);
	if (cp == ' ')
		return wx_err_set(
		    err, _("character %zu (a space) is not allowed: %s"), pos,
		    _(order_alphabet_hint));
	if (is_invisible(cp))
		return wx_err_set(err,
				  _("character %zu (invisible U+%04" PRIX32
				    ") is not allowed: %s"),
				  pos, cp, _(order_alphabet_hint));
	if (cp < 0x80)
		return wx_err_set(err,
				  _("character %zu ('%c') is not allowed: %s"),
				  pos, (char)cp, _(order_alphabet_hint));
	return wx_err_set(err,
			  _("character %zu ('%.*s' U+%04" PRIX32
			    ") is not an ASCII character: use half-width "
			    "digits, letters, _ - * |"),
			  pos, (int)k, (const char *)s, cp);
}

int apiv3_order_check(const char *input, char *out, size_t outsz,
		      struct wx_err *err)
{
	const char *start;
	const char *end;
	size_t len;

	if (out && outsz)
		out[0] = '\0';
	if (!out || outsz < APIV3_ORDER_MAX + 1)
		return wx_err_set(err,
				  _("order number buffer too small: it "
				    "must hold APIV3_ORDER_MAX + 1 bytes"));
	if (!input)
		input = "";
	start = skip_lead(input, input + strlen(input));
	end = skip_trail(start, input + strlen(input));
	len = (size_t)(end - start);
	if (len == 0)
		return wx_err_set(err, _("enter an order number"));
	for (size_t i = 0; i < len; i++) {
		if (!apiv3_order_char((unsigned char)start[i]))
			return order_bad_char((const unsigned char *)start + i,
					      len - i, i + 1, err);
	}
	/* Every accepted character is one byte, so bytes are characters. */
	if (len > APIV3_ORDER_MAX)
		return wx_err_set(err,
				  _("the order number is %zu characters long, "
				    "more than the %d allowed: check that only "
				    "the order number was pasted"),
				  len, APIV3_ORDER_MAX);
	if (len < APIV3_ORDER_MIN)
		return wx_err_set(
		    err,
		    _("the order number is %zu characters long; "
		      "WeChat Pay requires %d to %d characters of "
		      "0-9 A-Z a-z _ * | -: check that the whole "
		      "number was typed or pasted"),
		    len, APIV3_ORDER_MIN, APIV3_ORDER_MAX);
	memcpy(out, start, len);
	out[len] = '\0';
	return 0;
}

/* ---- Request ------------------------------------------------------------ */

/* Appends s with every byte outside [0-9A-Za-z_.~-] as %XX (upper-case). */
static void put_encoded(struct wx_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		char enc[3] = {'%', hex[c >> 4], hex[c & 0x0F]};

		if (is_unreserved(c))
			wx_buf_append(b, p, 1);
		else
			wx_buf_append(b, enc, sizeof(enc));
	}
}

char *apiv3_target(const char *out_trade_no)
{
	struct wx_buf b = {0};

	if (!out_trade_no)
		return NULL;
	wx_buf_puts(&b, APIV3_PATH_PREFIX);
	put_encoded(&b, out_trade_no);
	wx_buf_puts(&b, "/reverse");
	return wx_buf_take(&b);
}

char *apiv3_query_target(const char *out_trade_no, const char *sp_mchid,
			 const char *sub_mchid)
{
	struct wx_buf b = {0};

	if (!out_trade_no || !sp_mchid || !sub_mchid)
		return NULL;
	wx_buf_puts(&b, APIV3_PATH_PREFIX);
	put_encoded(&b, out_trade_no);
	wx_buf_puts(&b, "?sp_mchid=");
	put_encoded(&b, sp_mchid);
	wx_buf_puts(&b, "&sub_mchid=");
	put_encoded(&b, sub_mchid);
	return wx_buf_take(&b);
}

/* Adds key: value when value is non-NULL; -1 when it is not valid UTF-8. */
static int body_add(json_t *obj, const char *key, const char *value)
{
	if (!value)
		return 0;
	return json_object_set_new(obj, key, json_string(value));
}

char *apiv3_body(const char *sp_appid, const char *sp_mchid,
		 const char *sub_appid, const char *sub_mchid)
{
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	json_t *obj = json_object();
	char *out = NULL;
	size_t n;

	if (!obj || !sp_mchid || !sub_mchid)
		goto out;
	if (body_add(obj, "sp_appid", sp_appid) < 0 ||
	    body_add(obj, "sp_mchid", sp_mchid) < 0 ||
	    body_add(obj, "sub_appid", sub_appid) < 0 ||
	    body_add(obj, "sub_mchid", sub_mchid) < 0)
		goto out;
	n = json_dumpb(obj, NULL, 0, flags);
	if (n == 0)
		goto out;
	out = wx_xmalloc(n + 1);
	if (json_dumpb(obj, out, n, flags) != n) {
		free(out);
		out = NULL;
		goto out;
	}
	out[n] = '\0';
out:
	json_decref(obj);
	return out;
}

int apiv3_nonce(char out[APIV3_NONCE_LEN + 1], struct wx_err *err)
{
	static const char alphabet[] = "0123456789"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz";
	/* 248 = 4 * 62: bytes at or above it are dropped so every character
	 * is equally likely. */
	const unsigned limit = 4 * (sizeof(alphabet) - 1);
	unsigned char rnd[64];
	size_t n = 0;

	out[0] = '\0';
	while (n < APIV3_NONCE_LEN) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			char why[256];

			return wx_err_set(err,
					  _("the random number generator "
					    "failed (%s): check the system's "
					    "entropy source"),
					  ossl_reason(why, sizeof(why)));
		}
		for (size_t i = 0; i < sizeof(rnd) && n < APIV3_NONCE_LEN;
		     i++) {
			if (rnd[i] < limit)
				out[n++] = alphabet[rnd[i] % (limit / 4)];
		}
	}
	out[n] = '\0';
	wx_wipe(rnd, sizeof(rnd));
	return 0;
}

char *apiv3_sign_message(const char *method, const char *target,
			 const char *timestamp, const char *nonce,
			 const char *body)
{
	return wx_xasprintf("%s\n%s\n%s\n%s\n%s\n", method ? method : "",
			    target ? target : "", timestamp ? timestamp : "",
			    nonce ? nonce : "", body ? body : "");
}

/* Base64 without line breaks. */
static char *b64_encode(const unsigned char *p, size_t n)
{
	char *out = wx_xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int apiv3_sign(EVP_PKEY *key, const char *msg, size_t len, char **sig_b64,
	       struct wx_err *err)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char why[256];
	int rc = -1;

	*sig_b64 = NULL;
	if (!key || !EVP_PKEY_is_a(key, "RSA")) {
		wx_err_set(err, _("the merchant private key is missing or not "
				  "an RSA key: configure the RSA key of the "
				  "merchant API certificate"));
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)msg,
			   len) != 1)
		goto fail;
	sig = wx_xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg,
			   len) != 1)
		goto fail;
	*sig_b64 = b64_encode(sig, siglen);
	rc = 0;
	goto out;
fail:
	wx_err_set(err,
		   _("signing the request failed (%s): check that the "
		     "merchant private key is a valid RSA key"),
		   ossl_reason(why, sizeof(why)));
out:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

char *apiv3_authorization(const char *mchid, const char *serial_no,
			  const char *timestamp, const char *nonce,
			  const char *signature)
{
	return wx_xasprintf(
	    APIV3_SCHEME " mchid=\"%s\",nonce_str=\"%s\","
			 "timestamp=\"%s\",serial_no=\"%s\","
			 "signature=\"%s\"",
	    mchid ? mchid : "", nonce ? nonce : "", timestamp ? timestamp : "",
	    serial_no ? serial_no : "", signature ? signature : "");
}

/* The order number must already be exactly what apiv3_order_check gives. */
static int request_order_ok(const char *out_trade_no, struct wx_err *err)
{
	char clean[APIV3_ORDER_MAX + 1];

	if (apiv3_order_check(out_trade_no, clean, sizeof(clean), err) < 0)
		return -1;
	if (strcmp(clean, out_trade_no) != 0)
		return wx_err_set(err, _("the order number has white space "
					 "around it: trim it with "
					 "apiv3_order_check before sending"));
	return 0;
}

static int request_inputs_ok(const struct wx_partner *partner,
			     const struct wx_sub *sub, struct wx_err *err)
{
	if (!partner || !partner->sp_mchid || !partner->serial_no ||
	    !partner->key)
		return wx_err_set(err,
				  _("the partner profile lacks sp_mchid, "
				    "the merchant serial_no or the private "
				    "key: fix the profile"));
	if (!sub || !sub->sub_mchid)
		return wx_err_set(err, _("no sub-merchant is selected: pick "
					 "one before sending"));
	return 0;
}

/* Nonce, timestamp and signature over req's method, target and body,
 * which the caller has set. */
static int request_sign(const struct wx_partner *partner, int64_t now,
			struct apiv3_request *req, struct wx_err *err)
{
	char *msg = NULL;
	char *sig = NULL;
	int rc = -1;

	snprintf(req->timestamp, sizeof(req->timestamp), "%" PRId64, now);
	if (apiv3_nonce(req->nonce, err) < 0)
		goto out;
	msg = apiv3_sign_message(req->method, req->target, req->timestamp,
				 req->nonce, req->body);
	if (apiv3_sign(partner->key, msg, strlen(msg), &sig, err) < 0)
		goto out;
	req->authorization =
	    apiv3_authorization(partner->sp_mchid, partner->serial_no,
				req->timestamp, req->nonce, sig);
	rc = 0;
out:
	free(msg);
	free(sig);
	return rc;
}

/* The reversal (POST with its body) or the order query (GET, empty
 * body): the same checks and the same signature. */
static int request_build(const struct wx_partner *partner,
			 const struct wx_sub *sub, const char *out_trade_no,
			 bool query, int64_t now, struct apiv3_request *req,
			 struct wx_err *err)
{
	memset(req, 0, sizeof(*req));
	if (request_inputs_ok(partner, sub, err) < 0 ||
	    request_order_ok(out_trade_no, err) < 0)
		goto fail;
	if (query) {
		req->method = "GET";
		req->target = apiv3_query_target(
		    out_trade_no, partner->sp_mchid, sub->sub_mchid);
		req->body = wx_xstrdup("");
	} else {
		req->method = "POST";
		req->target = apiv3_target(out_trade_no);
		req->body = apiv3_body(partner->sp_appid, partner->sp_mchid,
				       sub->sub_appid, sub->sub_mchid);
	}
	if (!req->body) {
		wx_err_set(err, _("an appid or mchid in the profile is not "
				  "valid UTF-8: fix the profile"));
		goto fail;
	}
	if (request_sign(partner, now, req, err) < 0)
		goto fail;
	return 0;
fail:
	apiv3_request_free(req);
	return -1;
}

int apiv3_request_build(const struct wx_partner *partner,
			const struct wx_sub *sub, const char *out_trade_no,
			int64_t now, struct apiv3_request *req,
			struct wx_err *err)
{
	return request_build(partner, sub, out_trade_no, false, now, req, err);
}

int apiv3_query_build(const struct wx_partner *partner,
		      const struct wx_sub *sub, const char *out_trade_no,
		      int64_t now, struct apiv3_request *req,
		      struct wx_err *err)
{
	return request_build(partner, sub, out_trade_no, true, now, req, err);
}

void apiv3_request_free(struct apiv3_request *req)
{
	if (!req)
		return;
	free(req->target);
	free(req->body);
	free(req->authorization);
	memset(req, 0, sizeof(*req));
}

/* Finds "signature=" at the start of an item (after the scheme's space or
 * a comma), from `from` on. */
static const char *find_sig_item(const char *auth, const char *from)
{
	static const char key[] = "signature=";
	const char *p = from;

	for (;;) {
		p = strstr(p, key);
		if (!p)
			return NULL;
		if (p == auth || p[-1] == ' ' || p[-1] == ',' || p[-1] == '\t')
			return p;
		p++;
	}
}

char *apiv3_redact_authorization(const char *authorization)
{
	struct wx_buf b = {0};
	const char *p;
	const char *item;

	if (!authorization)
		return NULL;
	p = authorization;
	item = find_sig_item(authorization, p);
	while (item) {
		const char *v = item + strlen("signature=");
		int quoted = *v == '"';
		const char *end;

		wx_buf_append(&b, p, (size_t)(v - p));
		if (quoted)
			v++;
		end = quoted ? strchr(v, '"') : strchr(v, ',');
		if (!end)
			end = v + strlen(v);
		wx_buf_puts(&b, quoted ? "\"[redacted]" : "[redacted]");
		p = end;
		item = find_sig_item(authorization, p);
	}
	wx_buf_puts(&b, p);
	return wx_buf_take(&b);
}

/* ---- Verification ------------------------------------------------------- */

const char *apiv3_verdict_name(enum apiv3_verdict v)
{
	/* Stored as is; N_ so a person reads them translated. */
	switch (v) {
	case APIV3_VERIFIED:
		return N_("verified");
	case APIV3_NO_SIGNATURE:
		return N_("no signature");
	case APIV3_STALE:
		return N_("stale timestamp");
	case APIV3_UNKNOWN_SERIAL:
		return N_("unknown serial");
	case APIV3_PROBE:
		return N_("probe signature");
	case APIV3_BAD_SIGNATURE:
		return N_("bad signature");
	}
	return N_("bad signature");
}

/* Why an answer is not trusted is stored with the result (the history,
 * --json), so it is made in English and read translated (i18n.h). */
static void err_stored(struct wx_err *err, char *msg)
{
	wx_err_set(err, "%s", msg);
	free(msg);
}

static enum apiv3_verdict verify_present(const struct apiv3_resp_headers *h,
					 struct wx_err *err)
{
	const char *missing = NULL;

	if (!h || !h->timestamp || !*h->timestamp)
		missing = "Wechatpay-Timestamp";
	else if (!h->nonce || !*h->nonce)
		missing = "Wechatpay-Nonce";
	else if (!h->serial || !*h->serial)
		missing = "Wechatpay-Serial";
	else if (!h->signature || !*h->signature)
		missing = "Wechatpay-Signature";
	if (!missing)
		return APIV3_VERIFIED;
	err_stored(err, wx_stored_printf(WX_MSG_NO_HEADER, missing));
	return APIV3_NO_SIGNATURE;
}

/* Seconds since the epoch as 1-18 decimal digits; -1 otherwise. */
static int parse_timestamp(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;

	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= TIMESTAMP_DIGITS)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*out = v;
	return 0;
}

static enum apiv3_verdict verify_time(const char *timestamp, int64_t now,
				      struct wx_err *err)
{
	char echo[ECHO_MAX + 8];
	int64_t ts;
	uint64_t skew;
	int ahead;

	if (parse_timestamp(timestamp, &ts) < 0) {
		echo_copy(echo, sizeof(echo), timestamp);
		err_stored(err,
			      wx_stored_printf(WX_MSG_TS_NOT_NUMBER, echo));
		return APIV3_STALE;
	}
	/* Unsigned arithmetic: no overflow whatever `now` the caller gives. */
	ahead = ts > now;
	skew =
	    ahead ? (uint64_t)ts - (uint64_t)now : (uint64_t)now - (uint64_t)ts;
	if (skew <= APIV3_MAX_SKEW_S)
		return APIV3_VERIFIED;
	err_stored(err, wx_stored_printf(ahead ? WX_MSG_TS_AHEAD
						  : WX_MSG_TS_BEHIND,
					    (long)(skew > LONG_MAX ? LONG_MAX
								   : skew),
					    APIV3_MAX_SKEW_S));
	return APIV3_STALE;
}

static int serial_matches(const char *id, const char *serial)
{
	if (strncmp(id, "PUB_KEY_ID_", strlen("PUB_KEY_ID_")) == 0)
		return strcmp(id, serial) == 0;
	return wx_strcaseeq(id, serial);
}

static const struct wx_platform_key *
find_key(const struct wx_platform_key *keys, size_t nkeys, const char *serial)
{
	for (size_t i = 0; keys && i < nkeys; i++) {
		if (keys[i].id && keys[i].pkey &&
		    serial_matches(keys[i].id, serial))
			return &keys[i];
	}
	return NULL;
}

static void unknown_serial(const struct wx_platform_key *keys, size_t nkeys,
			   const char *serial, struct wx_err *err)
{
	struct wx_buf known = {0};
	char echo[ECHO_MAX + 8];

	for (size_t i = 0; keys && i < nkeys; i++) {
		if (!keys[i].id)
			continue;
		wx_buf_printf(&known, "%s%s", known.len ? ", " : "",
			      keys[i].id);
	}
	echo_copy(echo, sizeof(echo), serial);
	err_stored(err, wx_stored_printf(WX_MSG_UNKNOWN_KEY, echo,
					    known.len ? known.data
						      : N_("none")));
	wx_buf_free(&known);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64: groups of four, padding only at the very end, nothing
 * else. Returns a malloc'd buffer or NULL. */
static unsigned char *b64_decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s);
	size_t pad = 0;
	unsigned char *out;
	size_t o = 0;

	if (n == 0 || n % 4 != 0 || n > SIG_B64_MAX)
		return NULL;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	out = wx_xmalloc(n / 4 * 3);
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d = b64_value((unsigned char)s[i + j]);
			int is_pad = i + j >= n - pad;

			if (is_pad ? s[i + j] != '=' : d < 0) {
				free(out);
				return NULL;
			}
			v = (v << 6) | (uint32_t)(is_pad ? 0 : d);
		}
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	/* Bits under the padding must be zero, or two spellings would decode
	 * to the same signature. */
	if ((pad >= 1 && out[o - 1]) || (pad == 2 && out[o - 2])) {
		free(out);
		return NULL;
	}
	*out_len = o - pad;
	return out;
}

/* EVP_DigestVerify over the message; 1 verified, 0 not. */
static int rsa_verify(EVP_PKEY *pkey, const unsigned char *sig, size_t siglen,
		      const char *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (!ctx || !EVP_PKEY_is_a(pkey, "RSA"))
		goto out;
	if (EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg,
			      len) == 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return ok;
}

static enum apiv3_verdict verify_sig(const struct apiv3_resp_headers *h,
				     const char *body, size_t body_len,
				     EVP_PKEY *pkey, struct wx_err *err)
{
	struct wx_buf msg = {0};
	unsigned char *sig;
	size_t siglen = 0;
	int ok = 0;

	sig = b64_decode(h->signature, &siglen);
	if (sig) {
		wx_buf_printf(&msg, "%s\n%s\n", h->timestamp, h->nonce);
		wx_buf_append(&msg, body ? body : "", body ? body_len : 0);
		wx_buf_append(&msg, "\n", 1);
		ok = rsa_verify(pkey, sig, siglen, msg.data, msg.len);
	}
	free(sig);
	wx_buf_free(&msg);
	if (ok)
		return APIV3_VERIFIED;
	wx_err_set(err, "%s",
		   sig ? N_("the answer's signature does not match its "
			    "body: it may have been altered on the way; "
			    "query the order before acting on it")
		       : N_("the answer's Wechatpay-Signature is not "
			    "valid base64: the answer cannot be trusted"));
	return APIV3_BAD_SIGNATURE;
}

enum apiv3_verdict apiv3_verify(const struct apiv3_resp_headers *h,
				const char *body, size_t body_len,
				const struct wx_platform_key *keys,
				size_t nkeys, int64_t now, struct wx_err *err)
{
	const struct wx_platform_key *key;
	enum apiv3_verdict v;

	v = verify_present(h, err);
	if (v != APIV3_VERIFIED)
		return v;
	if (strncmp(h->signature, PROBE_PREFIX, strlen(PROBE_PREFIX)) == 0) {
		wx_err_set(err, "%s",
			   N_("the answer carries a WECHATPAY/SIGNTEST/ "
			      "probe signature, which never counts as "
			      "verified: query the order"));
		return APIV3_PROBE;
	}
	v = verify_time(h->timestamp, now, err);
	if (v != APIV3_VERIFIED)
		return v;
	key = find_key(keys, nkeys, h->serial);
	if (!key) {
		unknown_serial(keys, nkeys, h->serial, err);
		return APIV3_UNKNOWN_SERIAL;
	}
	return verify_sig(h, body, body_len, key->pkey, err);
}

/* ---- Codes -------------------------------------------------------------- */

/* Marked N_() for extraction, translated with _() where they are shown. */
#define NEXT_RETRY N_("Retry later with the same parameters.")
#define NEXT_QUERY                                                             \
	N_("Re-run the reversal (same parameters are safe) or query the "      \
	   "order in the merchant platform.")

static const struct apiv3_code_info codes[] = {
    {"PARAM_ERROR", WX_REJECTED,
     N_("A request parameter is wrong (the detail names which one)."),
     N_("Check the order number, the sub-merchant and the appids in the "
	"profile, then try again.")},
    {"INVALID_REQUEST", WX_REJECTED,
     N_("WeChat Pay refused the request: it breaks an API rule or the "
	"order's state does not allow it."),
     N_("Read WeChat Pay's message; query the order before trying again.")},
    {"SIGN_ERROR", WX_REJECTED,
     N_("WeChat Pay could not verify the request signature."),
     N_("Check the computer clock, the certificate serial_no and that the "
	"private key belongs to this merchant.")},
    {"NO_AUTH", WX_REJECTED,
     N_("The sub-merchant is not bound to this service provider, or the API "
	"is not enabled."),
     N_("Check sub_mchid and the partner relation in the merchant platform, "
	"or ask WeChat Pay to enable the API.")},
    {"RULE_LIMIT", WX_REJECTED,
     N_("A WeChat Pay business rule blocks this operation."),
     N_("Read WeChat Pay's message and escalate to the partner's WeChat Pay "
	"contact.")},
    {"ORDER_NOT_EXIST", WX_REJECTED,
     N_("WeChat Pay has no order with this number for this sub-merchant."),
     N_("Check the order number and that the right sub-merchant is "
	"selected.")},
    {"ORDERNOTEXIST", WX_REJECTED,
     N_("WeChat Pay has no order with this number for this sub-merchant."),
     N_("Check the order number and that the right sub-merchant is "
	"selected.")},
    {"REVERSE_EXPIRE", WX_REJECTED,
     N_("The order is older than 7 days and can no longer be reversed."),
     N_("Refund it in the merchant platform instead.")},
    {"TRADE_ERROR", WX_REJECTED,
     N_("The order's state does not allow a reversal (for example it was "
	"already refunded)."),
     N_("Query the order in the merchant platform and handle it there.")},
    {"ORDER_CLOSED", WX_REJECTED, N_("The order is already closed."),
     N_("Nothing is left to reverse; query the order if in doubt.")},
    {"ORDERCLOSED", WX_REJECTED, N_("The order is already closed."),
     N_("Nothing is left to reverse; query the order if in doubt.")},
    {"APPID_MCHID_NOT_MATCH", WX_REJECTED,
     N_("An appid in the request is not bound to the merchant number it was "
	"sent with."),
     N_("Fix or remove sp_appid or sub_appid in the profile, then try "
	"again.")},
    {"MCH_NOT_EXISTS", WX_REJECTED,
     N_("WeChat Pay does not know this merchant number."),
     N_("Check sp_mchid and sub_mchid in the profile.")},
    {"USERPAYING", WX_FAILED,
     N_("The payer is still confirming the payment (entering the password), "
	"so it cannot be reversed yet."),
     N_("Wait a minute, then reverse again.")},
    {"SYSTEM_ERROR", WX_FAILED,
     N_("WeChat Pay had an internal error and did not process the reversal."),
     NEXT_RETRY},
    {"SYSTEMERROR", WX_FAILED,
     N_("WeChat Pay had an internal error and did not process the reversal."),
     NEXT_RETRY},
    {"BANK_ERROR", WX_FAILED,
     N_("The payer's bank had an error; the reversal was not processed."),
     NEXT_RETRY},
    {"BANKERROR", WX_FAILED,
     N_("The payer's bank had an error; the reversal was not processed."),
     NEXT_RETRY},
    {"RATELIMIT_EXCEEDED", WX_FAILED,
     N_("Too many requests were sent in a short time; this one was not "
	"processed."),
     N_("Wait a moment, then retry.")},
    {"FREQUENCY_LIMITED", WX_FAILED,
     N_("Too many requests were sent in a short time; this one was not "
	"processed."),
     N_("Wait a moment, then retry.")},
    {APIV3_CODE_UNVERIFIED, WX_UNKNOWN,
     N_("The answer claims success but its WeChat Pay signature could not "
	"be verified, so it cannot be trusted."),
     N_("Re-run the reversal (same parameters are safe) or query the "
	"order in the merchant platform. If it repeats, check the WeChat "
	"Pay public key or certificates in the profile.")},
    {APIV3_CODE_MISMATCH, WX_UNKNOWN,
     N_("The success answer names a different order or merchant than the "
	"one sent."),
     NEXT_QUERY},
    {APIV3_CODE_MALFORMED, WX_UNKNOWN,
     N_("The success answer is not the JSON WeChat Pay documents."),
     NEXT_QUERY},
    {APIV3_CODE_UNEXPECTED, WX_UNKNOWN,
     N_("The server answered with an HTTP status this call never returns."),
     N_("Re-run the reversal (same parameters are safe) or query the "
	"order in the merchant platform. Check base_url in the profile if "
	"it repeats.")},
};

const struct apiv3_code_info *apiv3_codes(size_t *n)
{
	*n = WX_ARRAY_LEN(codes);
	return codes;
}

const struct apiv3_code_info *apiv3_code_lookup(const char *code)
{
	for (size_t i = 0; code && i < WX_ARRAY_LEN(codes); i++) {
		if (strcmp(codes[i].code, code) == 0)
			return &codes[i];
	}
	return NULL;
}

/* ---- Classification ----------------------------------------------------- */

static void result_set(struct apiv3_result *res, enum wx_outcome o,
		       const char *code, char *message)
{
	const struct apiv3_code_info *ci = apiv3_code_lookup(code);

	res->outcome = o;
	res->retryable = o == WX_FAILED;
	res->code = wx_xstrdup(code);
	res->message = message;
	if (ci) {
		res->explain = wx_xstrdup(_(ci->explain));
		res->next = wx_xstrdup(_(ci->next));
	}
}

/* Looks up a string member; NULL when absent or not a string. */
static const char *member_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

enum apiv3_names apiv3_answer_names(struct json_t *root, const char *order,
				    const char *sp_mchid, const char *sub_mchid)
{
	const char *got_order = member_str(root, "out_trade_no");
	const char *got_sp = member_str(root, "sp_mchid");
	const char *got_sub = member_str(root, "sub_mchid");

	if (!json_is_object(root) || !got_order || !got_sp || !got_sub)
		return APIV3_NAMES_MISSING;
	if (!order || !sp_mchid || !sub_mchid ||
	    strcmp(got_order, order) != 0 || strcmp(got_sp, sp_mchid) != 0 ||
	    strcmp(got_sub, sub_mchid) != 0)
		return APIV3_NAMES_OTHER;
	return APIV3_NAMES_SAME;
}

static void classify_success(const char *body, size_t body_len,
			     const char *order, const char *sp_mchid,
			     const char *sub_mchid, struct apiv3_result *res)
{
	json_t *root = json_loadb(body ? body : "", body_len,
				  JSON_REJECT_DUPLICATES, NULL);
	enum apiv3_names names =
	    apiv3_answer_names(root, order, sp_mchid, sub_mchid);

	if (names == APIV3_NAMES_MISSING) {
		result_set(res, WX_UNKNOWN, APIV3_CODE_MALFORMED,
			   wx_xstrdup(N_("HTTP 200 without the out_trade_no, "
					 "sp_mchid and sub_mchid strings WeChat "
					 "Pay sends on success")));
	} else if (names == APIV3_NAMES_OTHER) {
		char o[ECHO_MAX + 8];
		char s[ECHO_MAX + 8];

		echo_copy(o, sizeof(o), member_str(root, "out_trade_no"));
		echo_copy(s, sizeof(s), member_str(root, "sub_mchid"));
		result_set(res, WX_UNKNOWN, APIV3_CODE_MISMATCH,
			   wx_stored_printf(WX_MSG_NAMES_OTHER, o, s));
	} else {
		res->outcome = WX_REVERSED;
		/* Stored and printed by --json as is: N_, not _. */
		res->message = wx_xstrdup(N_("WeChat Pay reversed the order"));
	}
	json_decref(root);
}

static void classify_2xx(long status, const char *body, size_t body_len,
			 enum apiv3_verdict verdict, const char *order,
			 const char *sp_mchid, const char *sub_mchid,
			 struct apiv3_result *res)
{
	if (verdict != APIV3_VERIFIED) {
		result_set(
		    res, WX_UNKNOWN, APIV3_CODE_UNVERIFIED,
		    wx_stored_printf(WX_MSG_UNVERIFIED_2XX, status,
				     apiv3_verdict_name(verdict)));
	} else if (status == 200) {
		classify_success(body, body_len, order, sp_mchid, sub_mchid,
				 res);
	} else if (status == 204 && body_len == 0) {
		/* A 204 names no order: a replayed one would pass for any
		 * order. Only a verified query can confirm it. */
		result_set(res, WX_UNKNOWN, APIV3_CODE_UNCONFIRMED,
			   wx_xstrdup(N_("HTTP 204 names no order, so it does "
					 "not prove that this order was "
					 "reversed: query the order to settle "
					 "it")));
	} else {
		result_set(res, WX_UNKNOWN,
			   status == 204 ? APIV3_CODE_MALFORMED
					 : APIV3_CODE_UNEXPECTED,
			   wx_stored_printf(WX_MSG_NOT_SUCCESS, status));
	}
	if (res->outcome == WX_REVERSED) {
		res->explain = wx_xstrdup(_("The order is reversed: a paid "
					    "order is refunded to the payer, "
					    "an unpaid one is closed."));
		res->next = wx_xstrdup(wx_outcome_advice(WX_REVERSED));
	}
}

/* A WeChat Pay code is a short token; anything else is not one, and
 * neither is one of wxrev's own local codes (those say what wxrev found and
 * must not be forgeable by a server). */
static int is_code_token(const char *s)
{
	const struct apiv3_code_info *ci = apiv3_code_lookup(s);
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 64 || (ci && ci->outcome == WX_UNKNOWN))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_unreserved(c) || c == '~')
			return 0;
	}
	return 1;
}

/* "field: issue" (with the location when given) from detail. */
static char *error_detail(json_t *detail)
{
	const char *field = member_str(detail, "field");
	const char *issue = member_str(detail, "issue");
	const char *location = member_str(detail, "location");

	if (!field && !issue)
		return NULL;
	if (!field)
		return wx_xstrdup(issue);
	return wx_xasprintf("%s%s%s%s: %s", field, location ? " (in " : "",
			    location ? location : "", location ? ")" : "",
			    issue ? issue : _("wrong value"));
}

/* Outcome of an error answer: the code table first, then the status. */
static enum wx_outcome error_outcome(long status,
				     const struct apiv3_code_info *ci)
{
	if (ci)
		return ci->outcome;
	if (status == 429 || status >= 500)
		return WX_FAILED;
	return WX_REJECTED;
}

static void error_texts(long status, const struct apiv3_code_info *ci,
			bool have_code, struct apiv3_result *res)
{
	if (ci) {
		res->explain = wx_xstrdup(_(ci->explain));
		res->next = wx_xstrdup(_(ci->next));
	} else if (res->outcome == WX_FAILED) {
		res->explain = wx_xasprintf(_("The server had a problem (HTTP "
					      "%ld) and did not process the "
					      "reversal."),
					    status);
		res->next = wx_xstrdup(_(NEXT_RETRY));
	} else if (have_code) {
		res->explain = wx_xstrdup(_("WeChat Pay rejected the request "
					    "with a code wxrev does not "
					    "know."));
		res->next = wx_xstrdup(_("Read WeChat Pay's message, fix the "
					 "input or escalate."));
	} else {
		res->explain = wx_xasprintf(_("The request was refused with "
					      "HTTP %ld and no WeChat Pay "
					      "error code."),
					    status);
		res->next = wx_xstrdup(_("Open the exchange in the detail "
					 "view; check base_url in the profile "
					 "and escalate if it repeats."));
	}
}

/* Prefixes explain: the answer's signature did not check out. */
static void mark_unverified(enum apiv3_verdict verdict,
			    struct apiv3_result *res)
{
	char *old = res->explain;

	res->explain =
	    wx_xasprintf(_("Unverified answer (%s): it may not "
			   "come from WeChat Pay. %s"),
			 apiv3_verdict_name(verdict), old ? old : "");
	free(old);
}

static void classify_error(long status, const char *body, size_t body_len,
			   enum apiv3_verdict verdict, struct apiv3_result *res)
{
	json_t *root = json_loadb(body ? body : "", body_len,
				  JSON_REJECT_DUPLICATES, NULL);
	const char *code = member_str(root, "code");
	const char *message = member_str(root, "message");
	const struct apiv3_code_info *ci;
	bool have_code = is_code_token(code);

	if (!have_code)
		code = NULL;
	ci = apiv3_code_lookup(code);
	/* wxrev's own codes (an unverified or mismatched answer) describe what
	 * wxrev found; a server that sends one does not get its meaning. */
	if (ci && ci->outcome == WX_UNKNOWN)
		ci = NULL;
	res->outcome = error_outcome(status, ci);
	res->retryable = res->outcome == WX_FAILED;
	res->code =
	    have_code ? wx_xstrdup(code) : wx_xasprintf("HTTP_%ld", status);
	if (message && *message)
		res->message = wx_xstrdup(message);
	else
		res->message = wx_stored_printf(WX_MSG_NO_ERROR_TEXT, status);
	res->detail = error_detail(json_object_get(root, "detail"));
	error_texts(status, ci, have_code, res);
	if (verdict != APIV3_VERIFIED)
		mark_unverified(verdict, res);
	json_decref(root);
}

int apiv3_classify(long status, const char *body, size_t body_len,
		   enum apiv3_verdict verdict, const char *expected_order,
		   const char *expected_sp_mchid,
		   const char *expected_sub_mchid, struct apiv3_result *res)
{
	if (!res)
		return -1;
	memset(res, 0, sizeof(*res));
	if (!body)
		body_len = 0;
	if (status >= 200 && status <= 299) {
		classify_2xx(status, body, body_len, verdict, expected_order,
			     expected_sp_mchid, expected_sub_mchid, res);
	} else if (status >= 400 && status <= 599) {
		classify_error(status, body, body_len, verdict, res);
	} else {
		/* 1xx/3xx (redirects are not followed) or no status at all:
		 * nothing says whether the reversal happened. */
		result_set(res, WX_UNKNOWN, APIV3_CODE_UNEXPECTED,
			   wx_stored_printf(WX_MSG_NOT_ANSWER, status));
	}
	return 0;
}

void apiv3_result_free(struct apiv3_result *res)
{
	if (!res)
		return;
	free(res->code);
	free(res->message);
	free(res->explain);
	free(res->next);
	free(res->detail);
	memset(res, 0, sizeof(*res));
}
