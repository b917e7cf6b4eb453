/* sign: the RSA and randomness the simulator needs (OpenSSL).
 *
 * Keys are EVP_PKEY objects the caller frees with EVP_PKEY_free. Signing and
 * verifying are SHA256withRSA (PKCS#1 v1.5), signatures base64; safe to call
 * from several threads with the same key. */
#ifndef WXPAY_SIM_SIGN_H
#define WXPAY_SIM_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>

#include "simutil.h"

/* A PEM private key (PKCS#8 or PKCS#1, not encrypted). */
EVP_PKEY *sign_load_private(const char *path, struct sim_err *err);
/* A PEM public key or the public key of a PEM certificate. */
EVP_PKEY *sign_load_public(const char *path, struct sim_err *err);

/* Signs msg; returns a base64 string the caller frees, or NULL. */
char *sign_b64(EVP_PKEY *key, const void *msg, size_t len);
/* 1 when b64 is a valid signature of msg, 0 otherwise (bad base64 too). */
int sign_verify_b64(EVP_PKEY *key, const void *msg, size_t len,
		    const char *b64);

/* n characters of [0-9A-Za-z] from the CSPRNG, then a NUL (out has n+1). */
void sign_random_alnum(char *out, size_t n);
/* n upper-case hex digits from the CSPRNG, then a NUL (out has n+1). */
void sign_random_hex(char *out, size_t n);

/* Standard base64 of n bytes; the caller frees the result. */
char *sign_base64(const void *data, size_t n);

#endif
