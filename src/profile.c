/* profile: partner files (YAML) to validated partners with loaded keys.
 *
 * The partner schema (which keys, which values), files and folders, the
 * cache in front of them, and lookups by name or id. A file is read into a
 * node table by profile_yaml.c, the keys and certificates it names are
 * loaded by profile_keys.c, and a partner read once is kept in the cache
 * (profile_cache.c). Every problem is collected, with its line and
 * column. */
#include "profile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "http.h"
#include "profile_cache.h"
#include "profile_keys.h"
#include "profile_yaml.h"

/* Large enough for 100 000 sub-merchants; a bigger file is a mistake. */
#define PROFILE_MAX_BYTES ((size_t)64 << 20)
#define MCHID_MAX	  32
#define APPID_MAX	  32
#define SERIAL_MAX	  64
#define KEY_ID_MAX	  64
#define TIMEOUT_MAX	  120
#define TIMEOUT_DEFAULT	  10
/* Candidates listed in a lookup error before "and N more". */
#define LIST_MAX 8

static const char default_base_url[] = "https://api.mch.weixin.qq.com";
static const char default_backup_url[] = "https://api2.mch.weixin.qq.com";

/* ---- values ------------------------------------------------------------ */

static char *get_name(struct fctx *c, size_t val, const char *path)
{
	const char *t;

	if (!val)
		return NULL;
	t = py_want_text(c, val, path);
	if (!t)
		return NULL;
	if (py_has_control(t)) {
		FAIL(c, val,
		     _("%s must be one line of text without control "
		       "characters; remove the escapes or line breaks"),
		     path);
		return NULL;
	}
	return wx_xstrdup(t);
}

static char *get_mchid(struct fctx *c, size_t val, const char *path,
		       const char *where)
{
	struct shown s;
	const char *t;

	if (!val)
		return NULL;
	t = py_want_text(c, val, path);
	if (!t)
		return NULL;
	if (!py_all_of(t, MCHID_MAX, DIGITS)) {
		FAIL(c, val,
		     _("%s must be 1 to 32 digits (got %s); copy the 商户号 "
		       "from %s"),
		     path, py_show(&s, t), where);
		return NULL;
	}
	return wx_xstrdup(t);
}

static char *get_appid(struct fctx *c, size_t val, const char *path)
{
	struct shown s;
	const char *t;

	if (!val)
		return NULL;
	t = py_want_text(c, val, path);
	if (!t)
		return NULL;
	if (!py_all_of(t, APPID_MAX, ALNUM)) {
		FAIL(c, val,
		     _("%s must be an AppID of 1 to 32 letters and digits "
		       "(got %s); copy it from the official account or mini "
		       "program, or remove the line"),
		     path, py_show(&s, t));
		return NULL;
	}
	return wx_xstrdup(t);
}

static int get_timeout(struct fctx *c, size_t val, long *out)
{
	struct shown s;
	const char *t;
	long v = 0;

	*out = TIMEOUT_DEFAULT;
	if (!val)
		return 0;
	t = py_want_text(c, val, "api.timeout_s");
	if (!t)
		return -1;
	if (py_all_of(t, 3, DIGITS))
		v = strtol(t, NULL, 10);
	if (v < 1 || v > TIMEOUT_MAX) {
		FAIL(c, val,
		     _("api.timeout_s must be a whole number of seconds from "
		       "1 to %d (got %s); fix it or remove the line for the "
		       "default of %d"),
		     TIMEOUT_MAX, py_show(&s, t), TIMEOUT_DEFAULT);
		return -1;
	}
	*out = v;
	return 0;
}

static int get_query_before_confirm(struct fctx *c, size_t val, bool *out)
{
	struct shown s;
	const char *t;

	*out = true;
	if (!val)
		return 0;
	t = py_want_text(c, val, "api.query_before_confirm");
	if (!t)
		return -1;
	if (strcmp(t, "true") == 0 || strcmp(t, "false") == 0) {
		*out = t[0] == 't';
		return 0;
	}
	FAIL(c, val,
	     _("api.query_before_confirm must be true or false (got %s); "
	       "false turns off the order query in the confirmation for a "
	       "partner without the query API"),
	     py_show(&s, t));
	return -1;
}

/* ---- URLs ------------------------------------------------------------------
 */

/* The one loopback rule (http.c): localhost, 127.0.0.0/8, ::1 and
 * ::ffff:127.x.y.z, brackets or not. */
static int is_loopback(const char *h, size_t n)
{
	char host[256];

	if (n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	return http_host_is_loopback(host);
}

/* Splits scheme://host[:port][/path]: 0 if well formed, with *https and
 * *loopback set. */
static int url_parse(const char *url, int *https, int *loopback)
{
	const char *host, *end, *port;
	size_t hlen;

	if (strncasecmp(url, "https://", 8) == 0) {
		*https = 1;
		host = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*https = 0;
		host = url + 7;
	} else {
		return -1;
	}
	if (strpbrk(url, " \t@?#") || py_has_control(url))
		return -1;
	end = host + strcspn(host, "/");
	if (*host == '[') {
		port = memchr(host, ']', (size_t)(end - host));
		if (!port)
			return -1;
		port++;
	} else {
		port = memchr(host, ':', (size_t)(end - host));
		if (!port)
			port = end;
	}
	hlen = (size_t)(port - host);
	if (hlen == 0 || (*host != '[' && strspn(host, ALNUM ".-") < hlen))
		return -1;
	if (port < end && (*port != ':' || port + 1 == end || end - port > 6 ||
			   strspn(port + 1, DIGITS) < (size_t)(end - port - 1)))
		return -1;
	*loopback = is_loopback(host, hlen);
	return 0;
}

static char *get_url(struct fctx *c, size_t val, const char *path,
		     const char *dflt)
{
	int https = 0, loopback = 0;
	struct shown s;
	const char *t;
	char *u;
	size_t n;

	if (!val)
		return wx_xstrdup(dflt);
	t = py_want_text(c, val, path);
	if (!t)
		return NULL;
	if (url_parse(t, &https, &loopback) != 0) {
		FAIL(c, val,
		     _("%s %s is not a URL like %s; fix it or remove the line "
		       "for that default"),
		     path, py_show(&s, t), dflt);
		return NULL;
	}
	if (!https && !loopback) {
		FAIL(c, val,
		     _("%s %s must start with https:// (plain http:// is "
		       "allowed only for 127.0.0.1, ::1 or localhost); fix "
		       "the URL"),
		     path, py_show(&s, t));
		return NULL;
	}
	u = wx_xstrdup(t);
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0'; /* callers append /v3/... */
	return u;
}

static void upcase(char *s)
{
	for (; *s; s++) {
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
	}
}

/* ---- mappings and the schema ----------------------------------------------
 */

enum { K_NAME, K_SP_MCHID, K_SP_APPID, K_MERCHANT, K_WECHATPAY, K_API, K_SUBS };
static const struct keyspec top_keys[] = {
    [K_NAME] = {"name", 1, N_("the partner name shown in the UI")},
    [K_SP_MCHID] = {"sp_mchid", 1, N_("the service provider's 商户号")},
    [K_SP_APPID] = {"sp_appid", 0, N_("the service provider's AppID")},
    [K_MERCHANT] = {"merchant", 1,
		    N_("the merchant API private key and its serial")},
    [K_WECHATPAY] = {"wechatpay", 1,
		     N_("the WeChat Pay public key or platform certificates")},
    [K_API] = {"api", 0, N_("endpoint settings")},
    [K_SUBS] = {"sub_merchants", 1, N_("the list of sub-merchants")},
};

enum { M_SERIAL, M_CERT, M_KEY };
static const struct keyspec merchant_keys[] = {
    [M_SERIAL] = {"serial_no", 0, N_("the API certificate serial")},
    [M_CERT] = {"certificate", 0, N_("the path of apiclient_cert.pem")},
    [M_KEY] = {"private_key", 1, N_("the path of apiclient_key.pem")},
};

enum { W_KEY_ID, W_KEY, W_CERTS };
static const struct keyspec wechatpay_keys[] = {
    [W_KEY_ID] = {"public_key_id", 0, N_("the PUB_KEY_ID_... of the key")},
    [W_KEY] = {"public_key", 0, N_("the path of pub_key.pem")},
    [W_CERTS] = {"certificates", 0, N_("a list of certificate paths")},
};

enum { A_BASE, A_BACKUP, A_CA, A_TIMEOUT, A_QUERY };
static const struct keyspec api_keys[] = {
    [A_BASE] = {"base_url", 0, N_("the main endpoint")},
    [A_BACKUP] = {"backup_url", 0,
		  N_("the endpoint used when the main one "
		    "cannot be reached")},
    [A_CA] = {"ca_file", 0, N_("a PEM file of extra trusted CAs")},
    [A_TIMEOUT] = {"timeout_s", 0, N_("seconds per attempt")},
    [A_QUERY] = {"query_before_confirm", 0,
		 N_("read the order before the confirmation (true or false)")},
};

enum { S_NAME, S_MCHID, S_APPID };
static const struct keyspec sub_keys[] = {
    [S_NAME] = {"name", 1, N_("the sub-merchant name shown in the UI")},
    [S_MCHID] = {"sub_mchid", 1, N_("the sub-merchant's 商户号")},
    [S_APPID] = {"sub_appid", 0, N_("the sub-merchant's AppID")},
};

/* Opens a section mapping: its view, or 0 when absent or malformed. */
static int section(struct fctx *c, const struct mapview *top, int which,
		   const char *where, const char *prefix,
		   const struct keyspec *ks, size_t nks, struct mapview *mv)
{
	size_t key = top->key[which], val = top->val[which];

	memset(mv, 0, sizeof(*mv));
	if (!val)
		return 0;
	if (!py_want_kind(c, val, Y_MAP, top_keys[which].name,
			  _("indent its keys on the lines below it")))
		return 0;
	py_map_read(c, val, key, where, prefix, ks, nks, mv);
	return 1;
}

/* ---- sections ---------------------------------------------------------- */

static void add_platform(struct wx_partner *p, char *id, EVP_PKEY *k)
{
	p->platform =
	    wx_xrealloc(p->platform, (p->nplatform + 1) * sizeof(*p->platform));
	p->platform[p->nplatform].id = id;
	p->platform[p->nplatform].pkey = k;
	p->nplatform++;
}

static char *get_serial(struct fctx *c, size_t val)
{
	struct shown s;
	const char *t;
	char *out;

	if (!val)
		return NULL;
	t = py_want_text(c, val, "merchant.serial_no");
	if (!t)
		return NULL;
	if (!py_all_of(t, SERIAL_MAX, HEX)) {
		FAIL(c, val,
		     _("merchant.serial_no must be the certificate serial in "
		       "hex (got %s); copy 证书序列号 from 账户中心 → API安全, "
		       "or remove it and give certificate"),
		     py_show(&s, t));
		return NULL;
	}
	out = wx_xstrdup(t);
	upcase(out);
	return out;
}

/* The merchant certificate: its serial, checked against the key. */
static char *merchant_cert(struct fctx *c, size_t val, const EVP_PKEY *key,
			   const char *key_path)
{
	const char *t = py_want_text(c, val, "merchant.certificate");
	char *full, *serial = NULL;
	X509 *x;

	if (!t)
		return NULL;
	full = pk_resolve(c, t);
	x = pk_cert(c, val, "merchant.certificate", full);
	if (!x)
		goto out;
	serial = pk_cert_serial(x);
	if (key && EVP_PKEY_eq(X509_get0_pubkey(x), key) != 1)
		FAIL(
		    c, val,
		    _("merchant.certificate: %s does not belong to the private "
		      "key %s (their public keys differ); use the "
		      "apiclient_cert.pem issued with apiclient_key.pem"),
		    full, key_path);
	ERR_clear_error();
	X509_free(x);
out:
	free(full);
	return serial;
}

static void load_merchant(struct fctx *c, struct wx_partner *p,
			  const struct mapview *top)
{
	char *key_path = NULL, *cert_serial_no = NULL;
	struct mapview m;
	const char *t;

	if (!section(c, top, K_MERCHANT, _("in merchant"), "merchant.",
		     merchant_keys, WX_ARRAY_LEN(merchant_keys), &m))
		return;
	if (m.val[M_KEY]) {
		t = py_want_text(c, m.val[M_KEY], "merchant.private_key");
		if (t) {
			key_path = pk_resolve(c, t);
			p->key = pk_private_key(c, m.val[M_KEY], key_path);
		}
	}
	p->serial_no = get_serial(c, m.val[M_SERIAL]);
	if (m.val[M_CERT])
		cert_serial_no =
		    merchant_cert(c, m.val[M_CERT], p->key, key_path);
	if (!m.val[M_SERIAL] && !m.val[M_CERT])
		FAIL(c, top->key[K_MERCHANT],
		     _("merchant needs serial_no or certificate; add serial_no "
		       "(证书序列号 from 账户中心 → API安全) or certificate "
		       "(the path of apiclient_cert.pem)"));
	if (p->serial_no && cert_serial_no &&
	    strcmp(p->serial_no, cert_serial_no) != 0)
		FAIL(c, m.val[M_SERIAL],
		     _("merchant.serial_no %s does not match the serial %s of "
		       "merchant.certificate; correct serial_no or remove it "
		       "to use the certificate's"),
		     p->serial_no, cert_serial_no);
	if (!p->serial_no) {
		p->serial_no = cert_serial_no;
		cert_serial_no = NULL;
	}
	free(cert_serial_no);
	free(key_path);
}

/* A platform certificate (node `val`) whose key verifies answers. */
static void add_platform_cert(struct fctx *c, struct wx_partner *p, size_t val,
			      const char *full)
{
	X509 *x = pk_cert(c, val, "wechatpay.certificates", full);
	EVP_PKEY *k;

	if (x) {
		k = X509_get_pubkey(x);
		if (k && pk_check_rsa(c, val, "wechatpay.certificates", full, k,
				      _("use the WeChat Pay platform "
					"certificate")) == 0)
			add_platform(p, pk_cert_serial(x), k);
		else
			EVP_PKEY_free(k);
		X509_free(x);
	}
	ERR_clear_error();
}

static void load_certificates(struct fctx *c, struct wx_partner *p, size_t val)
{
	if (!py_want_kind(c, val, Y_SEQ, "wechatpay.certificates",
			  _("write it as certificates: [path.pem]")))
		return;
	if (NODE(c, val)->nchild == 0)
		FAIL(c, val,
		     _("wechatpay.certificates is empty; list the platform "
		       "certificate files or remove the key"));
	for (size_t i = NODE(c, val)->child; i; i = NODE(c, i)->next) {
		const char *t = py_want_text(c, i, "wechatpay.certificates");
		char *full;

		if (!t)
			continue;
		full = pk_resolve(c, t);
		add_platform_cert(c, p, i, full);
		free(full);
	}
}

static void load_wechatpay(struct fctx *c, struct wx_partner *p,
			   const struct mapview *top)
{
	struct mapview w;
	struct shown s;
	const char *id = NULL, *t;

	if (!section(c, top, K_WECHATPAY, _("in wechatpay"), "wechatpay.",
		     wechatpay_keys, WX_ARRAY_LEN(wechatpay_keys), &w))
		return;
	if (w.val[W_KEY_ID]) {
		id =
		    py_want_text(c, w.val[W_KEY_ID], "wechatpay.public_key_id");
		if (id && !py_all_of(id, KEY_ID_MAX, WORD)) {
			FAIL(
			    c, w.val[W_KEY_ID],
			    _("wechatpay.public_key_id must be letters, digits "
			      "and _ like PUB_KEY_ID_0112... (got %s); copy it "
			      "from 微信支付公钥"),
			    py_show(&s, id));
			id = NULL;
		}
	}
	if (w.val[W_KEY] && !w.val[W_KEY_ID])
		FAIL(
		    c, w.key[W_KEY],
		    _("wechatpay.public_key needs wechatpay.public_key_id; add "
		      "the PUB_KEY_ID_... shown next to the key in "
		      "微信支付公钥"));
	if (w.val[W_KEY_ID] && !w.val[W_KEY])
		FAIL(
		    c, w.key[W_KEY_ID],
		    _("wechatpay.public_key_id needs wechatpay.public_key; add "
		      "the path of pub_key.pem from 微信支付公钥"));
	if (w.val[W_KEY]) {
		t = py_want_text(c, w.val[W_KEY], "wechatpay.public_key");
		if (t) {
			char *full = pk_resolve(c, t);
			EVP_PKEY *k = pk_public_key(c, w.val[W_KEY], full);

			if (k && id)
				add_platform(p, wx_xstrdup(id), k);
			else
				EVP_PKEY_free(k);
			free(full);
		}
	}
	if (w.val[W_CERTS])
		load_certificates(c, p, w.val[W_CERTS]);
	if (!w.val[W_KEY] && !w.val[W_CERTS] && !w.val[W_KEY_ID])
		FAIL(c, top->key[K_WECHATPAY],
		     _("wechatpay needs public_key (with public_key_id) or "
		       "certificates; add the WeChat Pay public key from "
		       "微信支付公钥 or the platform certificates"));
}

static void load_ca_file(struct fctx *c, struct wx_partner *p, size_t val)
{
	const char *t = py_want_text(c, val, "api.ca_file");
	char *full;
	X509 *x;

	if (!t)
		return;
	full = pk_resolve(c, t);
	x = pk_cert(c, val, "api.ca_file", full);
	if (x) {
		X509_free(x);
		p->ca_file = full;
		return;
	}
	free(full);
}

static void load_api(struct fctx *c, struct wx_partner *p,
		     const struct mapview *top)
{
	struct mapview a;

	section(c, top, K_API, _("in api"), "api.", api_keys,
		WX_ARRAY_LEN(api_keys), &a);
	p->base_url =
	    get_url(c, a.val[A_BASE], "api.base_url", default_base_url);
	/* The default backup is WeChat Pay's second host: it belongs only to
	 * WeChat Pay's own base_url, never behind a test endpoint. */
	if (a.val[A_BACKUP] || profile_url_is_official_base(p->base_url))
		p->backup_url = get_url(c, a.val[A_BACKUP], "api.backup_url",
					default_backup_url);
	if (a.val[A_CA])
		load_ca_file(c, p, a.val[A_CA]);
	get_timeout(c, a.val[A_TIMEOUT], &p->timeout_s);
	get_query_before_confirm(c, a.val[A_QUERY], &p->query_before_confirm);
}

static int mchid_at_cmp(const void *a, const void *b)
{
	const struct mchid_at *x = a, *y = b;
	int r = strcmp(x->mchid, y->mchid);

	if (r)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorting keeps 100 000 sub-merchants quick; a run of equals is reported
 * at every entry after the first. */
static void check_dup_subs(struct fctx *c, struct mchid_at *at, size_t n)
{
	if (n > 1)
		qsort(at, n, sizeof(*at), mchid_at_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(at[i].mchid, at[first].mchid) != 0) {
			first = i;
			continue;
		}
		py_fail_at(c, at[i].line, at[i].col,
			   _("sub_mchid %s is listed twice (also at line %u); "
			     "remove one of the entries"),
			   at[i].mchid, at[first].line);
	}
}

static void load_sub(struct fctx *c, struct wx_partner *p, size_t item,
		     struct mchid_at *at)
{
	struct wx_sub *s = &p->subs[p->nsubs];
	struct mapview m;

	if (!py_want_kind(c, item, Y_MAP, _("each sub_merchants entry"),
			  _("write '- name: ...' with 'sub_mchid: ...' below "
			    "it")))
		return;
	py_map_read(c, item, item, _("in a sub-merchant entry"), "", sub_keys,
		    WX_ARRAY_LEN(sub_keys), &m);
	s->name = get_name(c, m.val[S_NAME], "name");
	s->sub_mchid = get_mchid(c, m.val[S_MCHID], "sub_mchid",
				 _("服务商功能 → 子商户管理"));
	s->sub_appid = get_appid(c, m.val[S_APPID], "sub_appid");
	/* Kept even with a bad name (the load fails anyway) so that its
	 * sub_mchid still takes part in the duplicate check. */
	if (!s->sub_mchid) {
		free(s->name);
		free(s->sub_appid);
		memset(s, 0, sizeof(*s));
		return;
	}
	at->mchid = s->sub_mchid;
	at->order = p->nsubs;
	at->line = NODE(c, m.val[S_MCHID])->line;
	at->col = NODE(c, m.val[S_MCHID])->col;
	p->nsubs++;
}

static void load_subs(struct fctx *c, struct wx_partner *p,
		      const struct mapview *top)
{
	size_t val = top->val[K_SUBS], n;
	struct mchid_at *at;

	if (!val)
		return;
	if (!py_want_kind(c, val, Y_SEQ, "sub_merchants",
			  _("write each entry on its own line starting with "
			    "'- '")))
		return;
	n = NODE(c, val)->nchild;
	if (n == 0) {
		FAIL(c, top->key[K_SUBS],
		     _("sub_merchants is empty; list at least one sub-merchant "
		       "with name and sub_mchid"));
		return;
	}
	p->subs = wx_xcalloc(n, sizeof(*p->subs));
	at = wx_xcalloc(n, sizeof(*at));
	for (size_t i = NODE(c, val)->child; i; i = NODE(c, i)->next)
		load_sub(c, p, i, &at[p->nsubs]);
	check_dup_subs(c, at, p->nsubs);
	free(at);
}

/* Checks the whole document into p; sp_mchid's position goes to *at. */
static void load_partner(struct fctx *c, struct wx_partner *p,
			 struct mchid_at *at)
{
	size_t root = c->doc.root;
	struct mapview top;

	if (!root || py_is_null(NODE(c, root))) {
		py_fail_at(c, 1, 1,
			   _("the file is empty; fill it in from "
			     "profiles/example.yaml"));
		return;
	}
	if (NODE(c, root)->kind != Y_MAP) {
		FAIL(c, root,
		     _("the file must be a mapping of keys (name:, sp_mchid:, "
		       "...), not %s; start from profiles/example.yaml"),
		     py_kind_name(NODE(c, root)->kind));
		return;
	}
	py_map_read(c, root, root, _("at the top level"), "", top_keys,
		    WX_ARRAY_LEN(top_keys), &top);
	p->name = get_name(c, top.val[K_NAME], "name");
	p->sp_mchid = get_mchid(c, top.val[K_SP_MCHID], "sp_mchid",
				_("账户中心 → 商户信息"));
	if (p->sp_mchid) {
		at->mchid = p->sp_mchid;
		at->line = NODE(c, top.val[K_SP_MCHID])->line;
		at->col = NODE(c, top.val[K_SP_MCHID])->col;
	}
	p->sp_appid = get_appid(c, top.val[K_SP_APPID], "sp_appid");
	load_merchant(c, p, &top);
	load_wechatpay(c, p, &top);
	load_api(c, p, &top);
	load_subs(c, p, &top);
}

/* ---- files and folders --------------------------------------------------- */

struct loader {
	struct wx_profiles *out; /* partners so far */
	struct mchid_at *at;	 /* sp_mchid position per partner */
	struct wx_diags *diags;	 /* every problem */
};

static void partner_clear(struct wx_partner *p)
{
	free(p->file);
	free(p->name);
	free(p->sp_mchid);
	free(p->sp_appid);
	free(p->serial_no);
	EVP_PKEY_free(p->key);
	for (size_t i = 0; i < p->nplatform; i++) {
		free(p->platform[i].id);
		EVP_PKEY_free(p->platform[i].pkey);
	}
	free(p->platform);
	free(p->base_url);
	free(p->backup_url);
	free(p->ca_file);
	/* Cached sub-merchants point into one block. */
	for (size_t i = 0; !p->strings && i < p->nsubs; i++) {
		free(p->subs[i].name);
		free(p->subs[i].sub_mchid);
		free(p->subs[i].sub_appid);
	}
	free(p->subs);
	free(p->strings);
	memset(p, 0, sizeof(*p));
}

static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (!slash)
		return wx_xstrdup("");
	if (slash == file)
		return wx_xstrdup("/");
	return wx_xstrndup(file, (size_t)(slash - file));
}

/* True when url is https to host `host` (both already split). */
static bool is_default_host(const char *scheme, const char *host,
			    const char *default_url)
{
	char dscheme[16], dhost[256];

	return http_url_split(default_url, dscheme, sizeof(dscheme), dhost,
			      sizeof(dhost)) == 0 &&
	       strcmp(scheme, dscheme) == 0 && strcmp(host, dhost) == 0;
}

bool profile_url_is_official_base(const char *url)
{
	char scheme[16], host[256];

	return url &&
	       http_url_split(url, scheme, sizeof(scheme), host,
			      sizeof(host)) == 0 &&
	       is_default_host(scheme, host, default_base_url);
}

/* The host of url, whether it is WeChat Pay's own and whether it is plain
 * http; a URL that does not parse is copied whole and is not official. */
static void url_endpoint(const char *url, char *host, size_t n, bool *official,
			 bool *plain_http)
{
	char scheme[16];

	if (http_url_split(url, scheme, sizeof(scheme), host, n) != 0) {
		snprintf(host, n, "%s", url);
		*official = *plain_http = false;
		return;
	}
	*plain_http = strcmp(scheme, "http") == 0;
	*official = is_default_host(scheme, host, default_base_url) ||
		    is_default_host(scheme, host, default_backup_url);
}

void profile_endpoint(const struct wx_partner *p, char *host, size_t n,
		      bool *official, bool *plain_http)
{
	url_endpoint(p->base_url ? p->base_url : default_base_url, host, n,
		     official, plain_http);
}

const char *profile_retry_url(const struct wx_partner *p)
{
	if (!p->backup_url ||
	    (p->base_url && strcmp(p->backup_url, p->base_url) == 0))
		return NULL;
	return p->backup_url;
}

bool profile_host_label(const char *url, char *buf, size_t n)
{
	char host[256];
	bool official, plain;

	url_endpoint(url, host, sizeof(host), &official, &plain);
	if (plain)
		snprintf(buf, n, "%s (%s)", host, _("plain HTTP (loopback)"));
	else if (!official)
		snprintf(buf, n, "%s (%s)", host, _("not WeChat Pay"));
	else
		snprintf(buf, n, "%s", host);
	return official && !plain;
}

bool profile_backup_label(const struct wx_partner *p, char *buf, size_t n)
{
	const char *backup = profile_retry_url(p);
	char main_host[256], label[300];
	bool official, plain;

	if (!backup) {
		profile_endpoint(p, main_host, sizeof(main_host), &official,
				 &plain);
		snprintf(buf, n, _("none: retries go only to %s"), main_host);
		return true;
	}
	official = profile_host_label(backup, label, sizeof(label));
	snprintf(buf, n, _("%s, when the main host cannot be reached"), label);
	return official;
}

/* Lower-cases A-Z only: other bytes, UTF-8 included, stay as they are. */
static void fold_ascii(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = src[i];

		dst[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
	}
	dst[n] = '\0';
}

/* Grows *name to hold its folded copy after its NUL (one allocation, so
 * freeing the name frees both); returns the copy. */
static const char *with_fold(char **name)
{
	size_t n = strlen(*name);

	*name = wx_xrealloc(*name, 2 * n + 2);
	fold_ascii(*name + n + 1, *name, n);
	return *name + n + 1;
}

/* A new partner at the end of the list (not counted until the caller is
 * done with it). */
static struct wx_partner *new_partner(struct loader *L, const char *file)
{
	struct wx_profiles *o = L->out;
	struct wx_partner *p;

	o->partners =
	    wx_xrealloc(o->partners, (o->npartners + 1) * sizeof(*o->partners));
	L->at = wx_xrealloc(L->at, (o->npartners + 1) * sizeof(*L->at));
	p = &o->partners[o->npartners];
	memset(p, 0, sizeof(*p));
	memset(&L->at[o->npartners], 0, sizeof(*L->at));
	p->file = wx_xstrdup(file);
	L->at[o->npartners].order = o->npartners;
	return p;
}

/* Reads the keys again, with messages at the places the profile names
 * them: the cache never holds key material. */
static void replay_keys(struct fctx *c, struct wx_partner *p,
			const struct pc_dep *d, size_t n, char **ids,
			size_t nids)
{
	size_t plat = 0;

	c->doc.n = wx_xcalloc(n + 1, sizeof(*c->doc.n));
	c->doc.len = c->doc.cap = n + 1;
	for (size_t i = 0; i < n; i++) {
		c->doc.n[i + 1].line = d[i].line;
		c->doc.n[i + 1].col = d[i].col;
	}
	for (size_t i = 0; i < n; i++) {
		const char *key = d[i].key;

		if (strcmp(key, "merchant.private_key") == 0) {
			p->key = pk_private_key(c, i + 1, d[i].path);
		} else if (strcmp(key, "wechatpay.public_key") == 0) {
			EVP_PKEY *k = pk_public_key(c, i + 1, d[i].path);

			if (k && plat < nids && ids[plat])
				add_platform(p, wx_xstrdup(ids[plat]), k);
			else
				EVP_PKEY_free(k);
			plat++;
		} else if (strcmp(key, "wechatpay.certificates") == 0) {
			add_platform_cert(c, p, i + 1, d[i].path);
			plat++;
		}
	}
}

/* Takes the partner of `file` from its cache file: 0 when it did (key
 * problems then sit in the diagnostics as a full read would put them), -1
 * when there is no current, sound cache and the file must be read. */
static int cache_load(struct loader *L, const char *file, const char *cf)
{
	struct fctx c = {.file = file, .diags = L->diags};
	struct wx_partner tmp = {0}, *p;
	struct mchid_at at = {0};
	struct pc_dep *deps = NULL;
	struct pc_reader r = {0};
	char **ids = NULL;
	size_t nids = 0;
	long ndeps;
	int rc = -1;

	r.p = pc_read(cf, &r.left);
	tmp.strings = r.p;
	if (!r.p)
		return -1;
	ndeps = pc_cached_deps(&r, file, &deps);
	if (ndeps < 0 || pc_cached_partner(&r, &tmp, &at, &ids, &nids) != 0)
		goto out;
	p = new_partner(L, file);
	free(p->file);
	*p = tmp;
	p->file = wx_xstrdup(file);
	memset(&tmp, 0, sizeof(tmp));
	at.order = L->at[L->out->npartners].order;
	L->at[L->out->npartners] = at;
	c.dir = dir_of(file);
	replay_keys(&c, p, deps, (size_t)ndeps, ids, nids);
	L->out->npartners++;
	fctx_flush(&c);
	fctx_free_deps(&c);
	ydoc_free(&c.doc);
	free(c.dir);
	rc = 0;
out:
	partner_clear(&tmp);
	free(deps);
	free(ids);
	return rc;
}

static void fold_names(struct wx_partner *p)
{
	if (p->name && !p->name_fold)
		p->name_fold = with_fold(&p->name);
	for (size_t i = 0; i < p->nsubs; i++) {
		if (p->subs[i].name && !p->subs[i].name_fold)
			p->subs[i].name_fold = with_fold(&p->subs[i].name);
	}
}

static void load_file(struct loader *L, const char *file)
{
	struct fctx c = {.file = file, .diags = L->diags};
	char *cf = pc_file_for(file), *data = NULL;
	struct wx_partner *p;
	struct pc_file_id id;
	size_t len = 0, skip;

	if (cf && cache_load(L, file, cf) == 0)
		goto out;
	errno = 0;
	switch (pk_read_file(file, PROFILE_MAX_BYTES, &data, &len, NULL, &id)) {
	case READ_OK:
		break;
	case READ_MISSING:
		py_fail_at(&c, 0, 0,
			   _("the file does not exist; check the path"));
		goto out;
	case READ_NOT_FILE:
		py_fail_at(
		    &c, 0, 0,
		    _("not a regular file; name a profile file or folder"));
		goto out;
	case READ_TOO_BIG:
		py_fail_at(&c, 0, 0,
			   _("the file is larger than 64 MiB, the limit for a "
			     "profile; split it or remove unused entries"));
		goto out;
	case READ_ERRNO:
		py_fail_at(
		    &c, 0, 0,
		    _("cannot read the file (%s); make it readable by the "
		      "user running wxrev"),
		    strerror(errno));
		goto out;
	}
	c.dir = dir_of(file);
	/* Editors on Windows start UTF-8 files with a BOM; columns start after
	 * it. */
	skip = (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) ? 3 : 0;
	if (ydoc_parse(&c, data + skip, len - skip) == 0) {
		p = new_partner(L, file);
		/* The text is no longer needed: free it before the checks. */
		free(data);
		data = NULL;
		load_partner(&c, p, &L->at[L->out->npartners]);
		if (c.nerr == 0) {
			fold_names(p);
			if (cf)
				pc_save_partner(
				    &c, p, &L->at[L->out->npartners], &id, cf);
		}
		L->out->npartners++;
	}
	ydoc_free(&c.doc);
out:
	fctx_flush(&c);
	fctx_free_deps(&c);
	free(c.dir);
	free(data);
	free(cf);
}

static int is_profile_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_folder(struct loader *L, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d) {
		wx_diags_add(L->diags,
			     _("%s: cannot open the folder (%s); make it "
			       "readable by the user running wxrev"),
			     dir, strerror(errno));
		return;
	}
	for (e = readdir(d); e; e = readdir(d)) {
		if (!is_profile_name(e->d_name))
			continue;
		names = wx_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = wx_xstrdup(e->d_name);
	}
	closedir(d);
	if (n == 0)
		wx_diags_add(L->diags,
			     _("%s: the folder has no *.yaml or *.yml profile; "
			       "copy profiles/example.yaml there and fill it "
			       "in"),
			     dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), str_ptr_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t dl = strlen(dir);
		char *file =
		    wx_xasprintf("%s%s%s", dir,
				 dl && dir[dl - 1] == '/' ? "" : "/", names[i]);

		load_file(L, file);
		free(file);
		free(names[i]);
	}
	free(names);
}

/* The same sp_mchid in two files: each later file is told the first. */
static void check_dup_partners(struct loader *L)
{
	struct wx_profiles *o = L->out;
	struct mchid_at *at;
	size_t n = 0;

	if (o->npartners < 2 || !L->at)
		return;
	at = wx_xcalloc(o->npartners, sizeof(*at));

	for (size_t i = 0; i < o->npartners; i++) {
		if (!L->at[i].mchid)
			continue;
		at[n] = L->at[i];
		at[n].file = o->partners[i].file;
		n++;
	}
	if (n > 1)
		qsort(at, n, sizeof(*at), mchid_at_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(at[i].mchid, at[first].mchid) != 0) {
			first = i;
			continue;
		}
		wx_diags_add(
		    L->diags,
		    _("%s:%u:%u: sp_mchid %s is also used by %s:%u:%u; "
		      "keep one file per partner"),
		    at[i].file, at[i].line, at[i].col, at[i].mchid,
		    at[first].file, at[first].line, at[first].col);
	}
	free(at);
}

int profile_load(const char *path, struct wx_profiles **out,
		 struct wx_diags *diags)
{
	struct wx_diags own = {0};
	struct loader L = {0};
	struct stat st;
	size_t before;

	*out = NULL;
	if (!diags)
		diags = &own;
	before = diags->n;
	L.diags = diags;
	L.out = wx_xcalloc(1, sizeof(*L.out));
	L.out->source = wx_xstrdup(path);
	if (stat(path, &st) != 0)
		wx_diags_add(diags,
			     _("%s: %s; create it from profiles/example.yaml "
			       "or point --profiles or WXREV_PROFILES at your "
			       "profiles"),
			     path,
			     errno == ENOENT ? _("no such file or folder")
					     : strerror(errno));
	else if (S_ISDIR(st.st_mode))
		load_folder(&L, path);
	else
		load_file(&L, path);
	check_dup_partners(&L);
	free(L.at);
	if (diags->n > before) {
		profile_free(L.out);
		wx_diags_free(&own);
		return -1;
	}
	for (size_t i = 0; i < L.out->npartners; i++) {
		struct wx_partner *p = &L.out->partners[i];

		if (!p->name_fold)
			p->name_fold = with_fold(&p->name);
		for (size_t j = 0; j < p->nsubs; j++) {
			p->subs[j].partner = p;
			if (!p->subs[j].name_fold)
				p->subs[j].name_fold =
				    with_fold(&p->subs[j].name);
		}
	}
	*out = L.out;
	return 0;
}

void profile_free(struct wx_profiles *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npartners; i++)
		partner_clear(&p->partners[i]);
	free(p->partners);
	free(p->source);
	free(p);
}

/* ---- lookups ---------------------------------------------------------------
 */

int profile_locate(const char *arg, char *buf, size_t n, struct wx_err *err)
{
	const char *env = getenv("WXREV_PROFILES");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int len;

	if (arg && !*arg)
		return wx_err_set(err, _("--profiles needs a file or folder; "
					 "name one"));
	if (arg)
		len = snprintf(buf, n, "%s", arg);
	else if (env && *env)
		len = snprintf(buf, n, "%s", env);
	else if (xdg && xdg[0] == '/')
		len = snprintf(buf, n, "%s/wxrev/profiles", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.config/wxrev/profiles", home);
	else
		return wx_err_set(err,
				  _("cannot find the profiles because HOME "
				    "is not set; pass --profiles DIR|FILE"));
	if (len < 0 || (size_t)len >= n)
		return wx_err_set(err, _("the profiles path is too long; use a "
					 "shorter --profiles path"));
	return 0;
}

/* The one rule for naming a partner or sub-merchant on the command line:
 * 2: its mchid (digits, exactly), 1: its name ignoring ASCII case, 0: no.
 * Names that differ only in case are equal here, so "coffee shop" next to
 * "Coffee Shop" is ambiguous rather than a silent pick. */
static int match_level(const char *name, const char *id, const char *q)
{
	if (strcmp(id, q) == 0)
		return 2;
	return wx_strcaseeq(name, q) ? 1 : 0;
}

/* The partner named by q, or NULL with an error that lists candidates. */
static const struct wx_partner *find_partner(const struct wx_profiles *p,
					     const char *q, struct wx_err *err)
{
	const struct wx_partner *found = NULL;
	struct wx_buf list = {0};
	int best = 0;
	size_t count = 0;

	for (size_t i = 0; i < p->npartners; i++) {
		int lv = match_level(p->partners[i].name,
				     p->partners[i].sp_mchid, q);

		if (lv > best) {
			best = lv;
			count = 0;
			found = &p->partners[i];
		}
		if (lv && lv == best)
			count++;
	}
	if (count == 1)
		return found;
	for (size_t i = 0, shown = 0; i < p->npartners; i++) {
		const struct wx_partner *pt = &p->partners[i];

		if (count && match_level(pt->name, pt->sp_mchid, q) != best)
			continue;
		if (shown++ < LIST_MAX)
			wx_buf_printf(&list, "%s%s (%s)", shown > 1 ? ", " : "",
				      pt->name, pt->sp_mchid);
	}
	if (count)
		wx_err_set(
		    err,
		    _("partner \"%s\" matches several profiles: %s; name "
		      "it by its sp_mchid"),
		    q, list.data ? list.data : "");
	else
		wx_err_set(err,
			   _("no partner is named or numbered \"%s\"; known "
			     "partners: %s"),
			   q, list.data ? list.data : _("none"));
	wx_buf_free(&list);
	return NULL;
}

struct sub_search {
	const char *q;		  /* what the user typed */
	int best;		  /* best match level so far */
	size_t count;		  /* sub-merchants at that level */
	const struct wx_sub *hit; /* the first of them */
	size_t hit_partner;	  /* its partner's index */
};

static void search_partner(struct sub_search *s, const struct wx_partner *pt,
			   size_t pi)
{
	for (size_t j = 0; j < pt->nsubs; j++) {
		int lv =
		    match_level(pt->subs[j].name, pt->subs[j].sub_mchid, s->q);

		if (lv > s->best) {
			s->best = lv;
			s->count = 0;
			s->hit = &pt->subs[j];
			s->hit_partner = pi;
		}
		if (lv && lv == s->best)
			s->count++;
	}
}

/* Appends up to LIST_MAX sub-merchants (all, or those at s->best). */
static void list_subs(struct wx_buf *b, const struct sub_search *s,
		      const struct wx_profiles *p, size_t from, size_t to)
{
	size_t shown = 0, total = 0;

	for (size_t i = from; i < to; i++) {
		const struct wx_partner *pt = &p->partners[i];

		for (size_t j = 0; j < pt->nsubs; j++) {
			const struct wx_sub *sb = &pt->subs[j];

			if (s->count && match_level(sb->name, sb->sub_mchid,
						    s->q) != s->best)
				continue;
			total++;
			if (shown++ >= LIST_MAX)
				continue;
			wx_buf_printf(b, "%s%s (%s)", shown > 1 ? ", " : "",
				      sb->name, sb->sub_mchid);
			if (to - from > 1)
				wx_buf_printf(b, _(" of %s"), pt->name);
		}
	}
	if (total > LIST_MAX)
		wx_buf_printf(b, _(" and %zu more"), total - LIST_MAX);
	if (!total)
		wx_buf_puts(b, _("none"));
}

/* Whether every candidate at s->best is in the first one's partner. */
static bool one_partner(const struct sub_search *s,
			const struct wx_profiles *p)
{
	for (size_t i = 0; i < p->npartners; i++) {
		const struct wx_partner *pt = &p->partners[i];

		for (size_t j = 0; i != s->hit_partner && j < pt->nsubs; j++)
			if (match_level(pt->subs[j].name,
					pt->subs[j].sub_mchid,
					s->q) == s->best)
				return false;
	}
	return true;
}

const struct wx_sub *profile_find_sub(const struct wx_profiles *p,
				      const char *partner, const char *sub,
				      struct wx_err *err)
{
	return profile_match_sub(p, partner, sub, NULL, err);
}

const struct wx_sub *profile_match_sub(const struct wx_profiles *p,
				       const char *partner, const char *sub,
				       bool *ambiguous, struct wx_err *err)
{
	struct sub_search s = {.q = sub};
	const struct wx_partner *pt = NULL;
	struct wx_buf list = {0};
	size_t from = 0, to;

	if (ambiguous)
		*ambiguous = false;
	if (!p || !sub || !*sub) {
		wx_err_set(err, _("no sub-merchant given; name one by its name "
				  "or sub_mchid"));
		return NULL;
	}
	to = p->npartners;
	if (partner) {
		pt = find_partner(p, partner, err);
		if (!pt)
			return NULL;
		from = (size_t)(pt - p->partners);
		to = from + 1;
	}
	for (size_t i = from; i < to; i++)
		search_partner(&s, &p->partners[i], i);
	if (s.count == 1)
		return s.hit;
	if (ambiguous)
		*ambiguous = s.count > 1;
	list_subs(&list, &s, p, from, to);
	if (s.count && pt)
		wx_err_set(err,
			   _("sub-merchant \"%s\" is ambiguous in %s: %s; name "
			     "it by its sub_mchid"),
			   sub, pt->name, list.data);
	else if (s.count && one_partner(&s, p))
		wx_err_set(err,
			   _("sub-merchant \"%s\" is ambiguous in %s: %s; name "
			     "it by its sub_mchid"),
			   sub, s.hit->partner->name, list.data);
	else if (s.count)
		wx_err_set(err,
			   _("sub-merchant \"%s\" is ambiguous: %s; add "
			     "--partner or name it by its sub_mchid"),
			   sub, list.data);
	else if (pt)
		wx_err_set(err,
			   _("%s has no sub-merchant named or numbered \"%s\"; "
			     "known: %s"),
			   pt->name, sub, list.data);
	else
		wx_err_set(err,
			   _("no sub-merchant is named or numbered \"%s\"; "
			     "known: %s"),
			   sub, list.data);
	wx_buf_free(&list);
	return NULL;
}

/* Case-insensitive (A-Z) substring search for a hand-built name without
 * its folded copy. */
static bool contains_fold(const char *hay, const char *q, size_t qn)
{
	size_t hn = strlen(hay), j;

	for (size_t i = 0; i + qn <= hn; i++) {
		for (j = 0; j < qn; j++) {
			char ch = hay[i + j];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != q[j])
				break;
		}
		if (j == qn)
			return true;
	}
	return false;
}

static bool name_matches(const char *name, const char *fold, const char *q,
			 size_t qn)
{
	if (fold)
		return strstr(fold, q) != NULL;
	return name && contains_fold(name, q, qn);
}

bool profile_sub_matches(const struct wx_sub *s, const char *query)
{
	char small[256], *q = small;
	const struct wx_partner *p = s->partner;
	size_t qn;
	bool hit;

	if (!query || !*query)
		return true;
	qn = strlen(query);
	if (qn >= sizeof(small))
		q = wx_xmalloc(qn + 1);
	fold_ascii(q, query, qn);
	hit = name_matches(s->name, s->name_fold, q, qn) ||
	      (s->sub_mchid && strstr(s->sub_mchid, q)) ||
	      (p && name_matches(p->name, p->name_fold, q, qn)) ||
	      (p && p->sp_mchid && strstr(p->sp_mchid, q));
	if (q != small)
		free(q);
	return hit;
}

void profile_summary(const struct wx_partner *p, char *buf, size_t n)
{
	struct wx_buf b = {0};

	wx_buf_printf(&b,
		      ngettext("%s (sp_mchid %s): %zu sub-merchant, %s, keys ",
			       "%s (sp_mchid %s): %zu sub-merchants, %s, keys ",
			       p->nsubs),
		      p->name, p->sp_mchid, p->nsubs, p->base_url);
	for (size_t i = 0; i < p->nplatform; i++)
		wx_buf_printf(&b, "%s%s", i ? ", " : "", p->platform[i].id);
	if (n)
		(void)snprintf(buf, n, "%s", b.data);
	wx_buf_free(&b);
}
