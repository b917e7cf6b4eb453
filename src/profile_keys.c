/* profile_keys: key and certificate files a profile names. */
#include "profile_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "rsa_pem.h"

/* No key or certificate comes near this. */
#define PEM_MAX_BYTES ((size_t)1 << 20)
#define RSA_MIN_BITS  2048

static int (*passphrase_cb)(const char *key_path, char *buf, size_t size,
			    void *user);
static void *passphrase_user;

void profile_set_passphrase_cb(int (*cb)(const char *key_path, char *buf,
					 size_t size, void *user),
			       void *user)
{
	passphrase_cb = cb;
	passphrase_user = user;
}

/* The path of a file named in the profile: relative to the profile's
 * folder. */
char *pk_resolve(const struct fctx *c, const char *p)
{
	if (p[0] == '/' || c->dir[0] == '\0')
		return wx_xstrdup(p);
	return wx_xasprintf("%s/%s", c->dir, p);
}

/* Reads a whole regular file (NUL-terminated). `id` (if non-NULL) gets
 * the identity of what was read and `mode` its mode bits. */
enum read_status pk_read_file(const char *path, size_t cap, char **out,
			      size_t *len, unsigned *mode,
			      struct pc_file_id *id)
{
	struct stat st;
	size_t got = 0;
	char *buf = NULL;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return (errno == ENOENT || errno == ENOTDIR) ? READ_MISSING
							     : READ_ERRNO;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return READ_ERRNO;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return READ_NOT_FILE;
	}
	if (mode)
		*mode = (unsigned)st.st_mode & 07777;
	if (id)
		pc_id_from_stat(&st, id);
	if ((size_t)st.st_size > cap) {
		close(fd);
		return READ_TOO_BIG;
	}
	buf = wx_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < (size_t)st.st_size && errno) {
		int e = errno;

		wx_wipe(buf, got);
		free(buf);
		close(fd);
		errno = e;
		return READ_ERRNO;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return READ_OK;
}

static void add_dep(struct fctx *c, size_t val, const char *key,
		    const char *full, const struct pc_file_id *id)
{
	struct dep *d;

	c->deps = wx_xrealloc(c->deps, (c->ndeps + 1) * sizeof(*c->deps));
	d = &c->deps[c->ndeps++];
	d->path = wx_xstrdup(full);
	d->key = key;
	d->line = NODE(c, val)->line;
	d->col = NODE(c, val)->col;
	d->id = *id;
}

void fctx_free_deps(struct fctx *c)
{
	for (size_t i = 0; i < c->ndeps; i++)
		free(c->deps[i].path);
	free(c->deps);
	c->deps = NULL;
	c->ndeps = 0;
}

/* Reads a PEM file the profile names at node `val`; NULL after a message.
 * `mode` (if non-NULL) gets its permission bits. */
static char *read_pem(struct fctx *c, size_t val, const char *path,
		      const char *full, unsigned *mode, size_t *len)
{
	struct pc_file_id id;
	char *data = NULL;

	errno = 0;
	switch (pk_read_file(full, PEM_MAX_BYTES, &data, len, mode, &id)) {
	case READ_OK:
		add_dep(c, val, path, full, &id);
		break;
	case READ_MISSING:
		FAIL(c, val,
		     _("%s: %s does not exist; fix the path (relative paths "
		       "start at the folder of this file)"),
		     path, full);
		return NULL;
	case READ_NOT_FILE:
		FAIL(c, val,
		     _("%s: %s is not a regular file; point it at the PEM "
		       "file"),
		     path, full);
		return NULL;
	case READ_TOO_BIG:
		FAIL(c, val,
		     _("%s: %s is larger than 1 MiB, so it is not a key or "
		       "certificate; point it at the PEM file"),
		     path, full);
		return NULL;
	case READ_ERRNO:
		FAIL(c, val,
		     _("%s: cannot read %s (%s); make it readable by the user "
		       "running wxrev"),
		     path, full, strerror(errno));
		return NULL;
	}
	return data;
}

/* What a PEM file holds instead, for a better message. */
static const char *pem_other(const char *pem)
{
	if (strstr(pem, "-----BEGIN CERTIFICATE-----"))
		return _("a certificate");
	if (strstr(pem, "-----BEGIN PUBLIC KEY-----") ||
	    strstr(pem, "-----BEGIN RSA PUBLIC KEY-----"))
		return _("a public key");
	return NULL;
}

struct pass_ctx {
	const char *path; /* the key file, for the prompt */
	int asked;	  /* the key turned out to be encrypted */
	int given;	  /* a passphrase was supplied */
	int from_env;	  /* ... from WXREV_KEY_PASSPHRASE */
	char saved[1024]; /* the one given, for a second decoder; wiped */
	int nsaved;	  /* bytes in saved */
	int refused;	  /* the prompt was declined: do not ask again */
};

static int pem_passphrase(char *buf, int size, int rwflag, void *u)
{
	const char *env = getenv("WXREV_KEY_PASSPHRASE");
	struct pass_ctx *pc = u;
	size_t n;
	int got;

	(void)rwflag;
	pc->asked = 1;
	if (size <= 0)
		return -1;
	if (pc->nsaved > 0 && pc->nsaved <= size) {
		memcpy(buf, pc->saved, (size_t)pc->nsaved);
		return pc->nsaved;
	}
	if (pc->refused)
		return -1;
	if (env && *env) {
		n = strlen(env);
		if (n > (size_t)size)
			return -1;
		memcpy(buf, env, n);
		pc->given = 1;
		pc->from_env = 1;
		return (int)n;
	}
	if (!passphrase_cb)
		return -1;
	got = passphrase_cb(pc->path, buf, (size_t)size, passphrase_user);
	if (got < 0 || got > size) {
		pc->refused = 1;
		return -1;
	}
	pc->given = 1;
	if ((size_t)got <= sizeof(pc->saved)) {
		memcpy(pc->saved, buf, (size_t)got);
		pc->nsaved = got;
	}
	return got;
}

/* An RSA key through a decoder asked for exactly that: OpenSSL 3's generic
 * PEM readers try every decoder and cost about 0.4 ms a key, which a
 * folder of partners pays at every start. NULL when it is anything else;
 * the caller then asks the generic reader, which names what it found. */
static EVP_PKEY *decode_rsa(const char *pem, size_t len, int selection,
			    const char *structure, struct pass_ctx *pc)
{
	const unsigned char *p = (const unsigned char *)pem;
	OSSL_DECODER_CTX *dc;
	EVP_PKEY *k = NULL;
	size_t n = len;

	dc = OSSL_DECODER_CTX_new_for_pkey(&k, "PEM", structure, "RSA",
					   selection, NULL, NULL);
	if (!dc)
		return NULL;
	if (pc)
		OSSL_DECODER_CTX_set_pem_password_cb(dc, pem_passphrase, pc);
	if (!OSSL_DECODER_from_data(dc, &p, &n)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	OSSL_DECODER_CTX_free(dc);
	ERR_clear_error();
	return k;
}

/* An RSA key of at least 2048 bits, or a message. */
int pk_check_rsa(struct fctx *c, size_t val, const char *path, const char *full,
		 const EVP_PKEY *k, const char *fix)
{
	int bits;

	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		const char *type = EVP_PKEY_get0_type_name(k);

		FAIL(c, val, _("%s: %s is %s %s key, not RSA; %s"), path, full,
		     type && strchr("AEIOU", type[0]) ? "an" : "a",
		     type ? type : "unknown", fix);
		return -1;
	}
	bits = EVP_PKEY_get_bits(k);
	if (bits < RSA_MIN_BITS) {
		FAIL(c, val,
		     _("%s: %s is a %d-bit RSA key, but WeChat Pay needs at "
		       "least %d bits; %s"),
		     path, full, bits, RSA_MIN_BITS, fix);
		return -1;
	}
	return 0;
}

EVP_PKEY *pk_private_key(struct fctx *c, size_t val, const char *full)
{
	static const char path[] = "merchant.private_key";
	struct pass_ctx pc = {.path = full};
	const char *other;
	EVP_PKEY *k = NULL;
	unsigned mode = 0;
	size_t len = 0;
	char *pem;
	BIO *bio;

	pem = read_pem(c, val, path, full, &mode, &len);
	if (!pem)
		return NULL;
	k = rsa_pem_private(pem, len);
	if (!k)
		k = decode_rsa(pem, len, EVP_PKEY_KEYPAIR, NULL, &pc);
	if (!k) {
		bio = BIO_new_mem_buf(pem, (int)len);
		if (!bio)
			wx_fatal("out of memory reading %s", full);
		k = PEM_read_bio_PrivateKey(bio, NULL, pem_passphrase, &pc);
		BIO_free(bio);
		ERR_clear_error();
	}
	wx_wipe(pc.saved, sizeof(pc.saved));
	other = k ? NULL : pem_other(pem);
	wx_wipe(pem, len);
	free(pem);
	if (!k && pc.asked && !pc.given)
		FAIL(c, val,
		     _("%s: %s is encrypted; set WXREV_KEY_PASSPHRASE to its "
		       "passphrase"),
		     path, full);
	else if (!k && pc.asked)
		FAIL(c, val,
		     _("%s: cannot decrypt %s: wrong passphrase; check %s"),
		     path, full,
		     pc.from_env ? "WXREV_KEY_PASSPHRASE"
				 : _("the passphrase"));
	else if (!k && other)
		FAIL(c, val,
		     _("%s: %s holds %s, not the private key; point it at "
		       "apiclient_key.pem"),
		     path, full, other);
	else if (!k)
		FAIL(c, val,
		     _("%s: %s is not a PEM private key; point it at "
		       "apiclient_key.pem (BEGIN PRIVATE KEY or BEGIN RSA "
		       "PRIVATE KEY)"),
		     path, full);
	/* Said only of keys: a certificate put here is not a secret. */
	if ((k || pc.asked) && (mode & 077))
		FAIL(c, val,
		     _("%s: %s can be read by other users (mode %04o); run "
		       "chmod 600 %s"),
		     path, full, mode, full);
	if (k && pk_check_rsa(c, val, path, full, k,
			      _("use the RSA key from 申请API证书")) != 0) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

X509 *pk_cert(struct fctx *c, size_t val, const char *path, const char *full)
{
	const char *other;
	size_t len = 0;
	X509 *x = NULL;
	char *pem;
	BIO *bio;

	pem = read_pem(c, val, path, full, NULL, &len);
	if (!pem)
		return NULL;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		wx_fatal("out of memory reading %s", full);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	other = strstr(pem, "PRIVATE KEY-----") ? _("a private key") : NULL;
	wx_wipe(pem, len); /* it might be a misplaced private key */
	free(pem);
	if (!x && other)
		FAIL(c, val,
		     _("%s: %s holds %s, not a certificate; point it at the "
		       "certificate PEM file"),
		     path, full, other);
	else if (!x)
		FAIL(c, val,
		     _("%s: %s is not a PEM certificate (BEGIN CERTIFICATE); "
		       "point it at the certificate file"),
		     path, full);
	return x;
}

EVP_PKEY *pk_public_key(struct fctx *c, size_t val, const char *full)
{
	static const char path[] = "wechatpay.public_key";
	EVP_PKEY *k = NULL;
	size_t len = 0;
	char *pem;
	BIO *bio;

	pem = read_pem(c, val, path, full, NULL, &len);
	if (!pem)
		return NULL;
	k = rsa_pem_public(pem, len);
	if (!k)
		k = decode_rsa(pem, len, EVP_PKEY_PUBLIC_KEY,
			       "SubjectPublicKeyInfo", NULL);
	if (!k) {
		bio = BIO_new_mem_buf(pem, (int)len);
		if (!bio)
			wx_fatal("out of memory reading %s", full);
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
		ERR_clear_error();
	}
	wx_wipe(pem, len);
	free(pem);
	if (!k) {
		FAIL(c, val,
		     _("%s: %s is not a PEM public key (BEGIN PUBLIC KEY); "
		       "download pub_key.pem from 微信支付公钥"),
		     path, full);
		return NULL;
	}
	if (pk_check_rsa(c, val, path, full, k,
			 _("download pub_key.pem from 微信支付公钥")) != 0) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* Upper-case hex without separators, as WeChat Pay writes serials. */
char *pk_cert_serial(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex, *out;

	if (!bn)
		wx_fatal("cannot read a certificate serial");
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (!hex)
		wx_fatal("out of memory");
	out = wx_xstrdup(hex);
	OPENSSL_free(hex);
	return out;
}
