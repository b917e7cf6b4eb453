/* rsa_pem: the fast path for plain RSA PEM keys (see rsa_pem.h).
 *
 * The RSA ASN.1 codecs are deprecated in OpenSSL 3 in favour of the
 * decoders, whose setup is what makes them slow; they are used here only,
 * and only for keys the general reader would return unchanged. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "rsa_pem.h"

#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* The PEM block: its label and DER bytes, unless it has headers (an
 * encrypted traditional key). 0 on success. */
static int pem_block(const char *pem, size_t len, char **name,
		     unsigned char **der, long *dlen)
{
	char *header = NULL;
	BIO *bio;
	int ok;

	*name = NULL;
	*der = NULL;
	if (len > INT_MAX)
		return -1;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -1;
	ok = PEM_read_bio(bio, name, &header, der, dlen);
	BIO_free(bio);
	if (ok && header && *header)
		ok = 0;
	OPENSSL_free(header);
	if (!ok) {
		OPENSSL_free(*name);
		OPENSSL_clear_free(*der, *der ? (size_t)*dlen : 0);
		*name = NULL;
		*der = NULL;
		return -1;
	}
	return 0;
}

static EVP_PKEY *wrap(RSA *rsa)
{
	EVP_PKEY *k;

	if (!rsa)
		return NULL;
	k = EVP_PKEY_new();
	if (!k || EVP_PKEY_assign_RSA(k, rsa) != 1) {
		EVP_PKEY_free(k);
		RSA_free(rsa);
		return NULL;
	}
	return k;
}

/* The RSAPrivateKey inside a PKCS#8 PrivateKeyInfo of type rsaEncryption. */
static RSA *pkcs8_rsa(const unsigned char *der, long dlen)
{
	const unsigned char *p = der, *inner;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dlen);
	const ASN1_OBJECT *type = NULL;
	RSA *rsa = NULL;
	int ilen = 0;

	if (p8 && PKCS8_pkey_get0(&type, &inner, &ilen, NULL, p8) == 1 &&
	    OBJ_obj2nid(type) == NID_rsaEncryption)
		rsa = d2i_RSAPrivateKey(NULL, &inner, ilen);
	PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key bytes */
	return rsa;
}

/* The RSA key in the PEM block, read by `decode` from the block's label
 * and DER bytes; the DER is wiped afterwards. */
static EVP_PKEY *from_pem(const char *pem, size_t len,
			  RSA *(*decode)(const char *name,
					 const unsigned char *der, long dlen))
{
	unsigned char *der;
	RSA *rsa;
	char *name;
	long dlen = 0;

	if (pem_block(pem, len, &name, &der, &dlen) != 0) {
		ERR_clear_error();
		return NULL;
	}
	rsa = decode(name, der, dlen);
	OPENSSL_free(name);
	OPENSSL_clear_free(der, (size_t)dlen);
	ERR_clear_error();
	return wrap(rsa);
}

static RSA *private_der(const char *name, const unsigned char *der, long dlen)
{
	if (strcmp(name, "PRIVATE KEY") == 0)
		return pkcs8_rsa(der, dlen);
	if (strcmp(name, "RSA PRIVATE KEY") == 0)
		return d2i_RSAPrivateKey(NULL, &der, dlen);
	return NULL;
}

static RSA *public_der(const char *name, const unsigned char *der, long dlen)
{
	if (strcmp(name, "PUBLIC KEY") == 0)
		return d2i_RSA_PUBKEY(NULL, &der, dlen);
	return NULL;
}

EVP_PKEY *rsa_pem_private(const char *pem, size_t len)
{
	return from_pem(pem, len, private_der);
}

EVP_PKEY *rsa_pem_public(const char *pem, size_t len)
{
	return from_pem(pem, len, public_der);
}
