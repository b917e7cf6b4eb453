/* vectors: loads the signing/verification vectors computed by WeChat Pay's
 * own SDKs (apiv3.json, PEM keys and certificates) for the unit tests.
 *
 * The folder is $WXREV_VECTORS when set, else tests/vectors in the
 * repository (tests run from the root; $WXREV_SRC, set by
 * tests/run.sh, names the root explicitly). Every loader returns NULL after
 * printing why on stderr, so a test fails with a reason instead of
 * skipping. Returned objects belong to the caller. */
#ifndef WXREV_TEST_VECTORS_H
#define WXREV_TEST_VECTORS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/* The vectors folder; a static string, NULL when it cannot be found. */
const char *vectors_dir(void);

/* Full path of a file in the folder; malloc'd. */
char *vectors_path(const char *name);

/* Whole file, NUL-terminated; *len (if non-NULL) excludes the NUL. */
char *vectors_read(const char *name, size_t *len);

/* apiv3.json parsed; json_decref it. */
json_t *vectors_json(void);

/* String member `key` of obj; NULL (and a message) when absent. */
const char *vectors_str(json_t *obj, const char *key);

/* PEM private key (PKCS#8 or PKCS#1, unencrypted). */
EVP_PKEY *vectors_private_key(const char *name);

/* PEM "PUBLIC KEY". */
EVP_PKEY *vectors_public_key(const char *name);

/* Public key of a PEM certificate; *serial (if non-NULL) gets its serial
 * number in upper-case hex, malloc'd. */
EVP_PKEY *vectors_cert_key(const char *name, char **serial);

/* Copies a vector file into dir with mode 0600 (checkouts drop file modes;
 * code that checks key permissions wants an owner-only file). Returns the
 * new path, malloc'd. */
char *vectors_private_copy(const char *name, const char *dir);

/* 1 when sig_b64 (base64) is msg's SHA256withRSA signature by pub's key,
 * checked with OpenSSL directly, independent of apiv3. */
int vectors_verify(EVP_PKEY *pub, const char *msg, const char *sig_b64);

/* Value of item `key` (nonce_str, timestamp, signature, ...) in an
 * Authorization header value; malloc'd, NULL when absent. */
char *vectors_auth_item(const char *auth, const char *key);

#endif
