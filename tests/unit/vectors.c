#define _POSIX_C_SOURCE 200809L

#include "vectors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util.h"

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *vectors_dir(void)
{
	static char dir[4096];
	const char *env = getenv("WXREV_VECTORS");
	const char *src = getenv("WXREV_SRC");

	if (dir[0])
		return dir;
	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else if (src && *src)
		snprintf(dir, sizeof(dir), "%s/tests/vectors", src);
	else
		snprintf(dir, sizeof(dir), "tests/vectors");
	if (!is_dir(dir)) {
		fprintf(
		    stderr,
		    "vectors: folder %s not found: set WXREV_VECTORS or run "
		    "the tests from the repository root\n",
		    dir);
		dir[0] = '\0';
		return NULL;
	}
	return dir;
}

char *vectors_path(const char *name)
{
	const char *dir = vectors_dir();

	return wx_xasprintf("%s/%s", dir ? dir : "(vectors not found)", name);
}

char *vectors_read(const char *name, size_t *len)
{
	char *path = vectors_path(name);
	FILE *f = fopen(path, "rb");
	struct wx_buf b = {0};
	char chunk[4096];
	size_t n;

	if (!f) {
		fprintf(stderr, "vectors: cannot open %s: %s\n", path,
			strerror(errno));
		free(path);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		wx_buf_append(&b, chunk, n);
	fclose(f);
	free(path);
	if (len)
		*len = b.len;
	return wx_buf_take(&b);
}

json_t *vectors_json(void)
{
	char *path = vectors_path("apiv3.json");
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (!root)
		fprintf(stderr, "vectors: %s:%d:%d: %s\n", path, jerr.line,
			jerr.column, jerr.text);
	free(path);
	return root;
}

const char *vectors_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s)
		fprintf(stderr, "vectors: no string member '%s'\n", key);
	return s;
}

static FILE *open_pem(const char *name)
{
	char *path = vectors_path(name);
	FILE *f = fopen(path, "r");

	if (!f)
		fprintf(stderr, "vectors: cannot open %s: %s\n", path,
			strerror(errno));
	free(path);
	return f;
}

static void report(const char *what, const char *name)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	ERR_clear_error();
	fprintf(stderr, "vectors: %s %s: %s\n", what, name, buf);
}

EVP_PKEY *vectors_private_key(const char *name)
{
	FILE *f = open_pem(name);
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		report("cannot read private key", name);
	return k;
}

EVP_PKEY *vectors_public_key(const char *name)
{
	FILE *f = open_pem(name);
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		report("cannot read public key", name);
	return k;
}

static char *serial_hex(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char *out = wx_xstrdup(hex);

	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

EVP_PKEY *vectors_cert_key(const char *name, char **serial)
{
	FILE *f = open_pem(name);
	X509 *cert;
	EVP_PKEY *k = NULL;

	if (serial)
		*serial = NULL;
	if (!f)
		return NULL;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!cert) {
		report("cannot read certificate", name);
		return NULL;
	}
	k = X509_get_pubkey(cert);
	if (serial)
		*serial = serial_hex(cert);
	X509_free(cert);
	return k;
}

char *vectors_private_copy(const char *name, const char *dir)
{
	size_t len = 0;
	char *data = vectors_read(name, &len);
	char *path = wx_xasprintf("%s/%s", dir, name);
	int fd = -1;
	int ok = 0;

	if (!data)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    write(fd, data, len) != (ssize_t)len) {
		fprintf(stderr, "vectors: cannot write %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	ok = 1;
out:
	if (fd >= 0)
		close(fd);
	free(data);
	if (!ok) {
		free(path);
		path = NULL;
	}
	return path;
}

int vectors_verify(EVP_PKEY *pub, const char *msg, const char *sig_b64)
{
	unsigned char sig[1024];
	EVP_MD_CTX *ctx;
	int n, ok;

	if (strlen(sig_b64) / 4 * 3 > sizeof(sig))
		return 0;
	n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64,
			    (int)strlen(sig_b64));
	ctx = EVP_MD_CTX_new();
	n -= (int)(strchr(sig_b64, '=') ? strlen(strchr(sig_b64, '=')) : 0);
	ok = n > 0 &&
	     EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, sig, (size_t)n, (const unsigned char *)msg,
			      strlen(msg)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

char *vectors_auth_item(const char *auth, const char *key)
{
	char *pat = wx_xasprintf("%s=\"", key);
	const char *p = strstr(auth, pat);
	char *v = NULL;

	if (p) {
		p += strlen(pat);
		v = wx_xstrndup(p, strcspn(p, "\""));
	}
	free(pat);
	return v;
}
