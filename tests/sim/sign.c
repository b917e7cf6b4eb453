/* sign: SHA256withRSA, base64 and random strings for wxpay-sim. */
#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

static BIO *open_pem(const char *path, struct sim_err *err)
{
	BIO *bio = BIO_new_file(path, "r");

	if (bio == NULL)
		sim_err_set(err, "%s: cannot open the key file; check the path",
			    path);
	return bio;
}

EVP_PKEY *sign_load_private(const char *path, struct sim_err *err)
{
	BIO *bio = open_pem(path, err);
	EVP_PKEY *key;

	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(key);
		sim_err_set(err,
			    "%s: not an unencrypted RSA private key in PEM; "
			    "give the platform's private key",
			    path);
		return NULL;
	}
	return key;
}

static EVP_PKEY *key_of_cert(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert;
	EVP_PKEY *key = NULL;

	if (bio == NULL)
		return NULL;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (cert != NULL)
		key = X509_get_pubkey(cert);
	X509_free(cert);
	return key;
}

EVP_PKEY *sign_load_public(const char *path, struct sim_err *err)
{
	BIO *bio = open_pem(path, err);
	EVP_PKEY *key;

	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL)
		key = key_of_cert(path);
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(key);
		sim_err_set(err,
			    "%s: not an RSA public key or certificate in "
			    "PEM; give the merchant's apiclient_cert.pem",
			    path);
		return NULL;
	}
	return key;
}

char *sign_base64(const void *data, size_t n)
{
	char *out = sim_xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

/* Strict standard base64; returns the decoded length or -1. */
static long decode_b64(const char *b64, unsigned char *out, size_t cap)
{
	size_t len = strlen(b64), pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
		return -1;
	if (b64[len - 1] == '=')
		pad++;
	if (b64[len - 2] == '=')
		pad++;
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	if (n < 0 || (size_t)n < pad)
		return -1;
	return (long)((size_t)n - pad);
}

char *sign_b64(EVP_PKEY *key, const void *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	char *out = NULL;

	if (ctx == NULL)
		return NULL;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1)
		goto out;
	if (EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1)
		goto out;
	out = sign_base64(sig, siglen);
out:
	EVP_MD_CTX_free(ctx);
	return out;
}

int sign_verify_b64(EVP_PKEY *key, const void *msg, size_t len, const char *b64)
{
	unsigned char sig[1024];
	long siglen = decode_b64(b64, sig, sizeof(sig));
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (siglen <= 0)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, sig, (size_t)siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void random_from(char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet), i;
	unsigned char byte;

	for (i = 0; i < n; i++) {
		/* Rejection sampling keeps every character equally likely. */
		do {
			if (RAND_bytes(&byte, 1) != 1)
				abort();
		} while (byte >= 256 - 256 % k);
		out[i] = alphabet[byte % k];
	}
	out[n] = '\0';
}

void sign_random_alnum(char *out, size_t n)
{
	random_from(out, n,
		    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz");
}

void sign_random_hex(char *out, size_t n)
{
	random_from(out, n, "0123456789ABCDEF");
}
