/* rsa_pem: plain RSA keys from PEM text, quickly.
 *
 * OpenSSL 3.0 reads any PEM key by searching every decoder it has, which
 * costs 0.1-0.5 ms a key; a desk with 50 partners pays that twice per
 * partner at every start. These readers take only the common plain cases
 * straight through the ASN.1 codecs (about 0.02 ms) and return NULL for
 * anything else (encrypted, another key type, damaged), after which the
 * caller uses OpenSSL's general reader and its messages. Owns nothing: the
 * returned key belongs to the caller; DER copies of a private key are wiped. */
#ifndef WXREV_RSA_PEM_H
#define WXREV_RSA_PEM_H

#include <stddef.h>

#include <openssl/evp.h>

/* An unencrypted "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1). */
EVP_PKEY *rsa_pem_private(const char *pem, size_t len);
/* A "PUBLIC KEY" (SubjectPublicKeyInfo) holding an RSA key. */
EVP_PKEY *rsa_pem_public(const char *pem, size_t len);

#endif
