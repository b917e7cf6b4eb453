/* Shared by the libFuzzer harnesses: a throwaway platform key pair made at
 * start-up, so a harness can sign an answer the way WeChat Pay would and
 * reach the code behind the signature check. */
#ifndef WXREV_FUZZLIB_H
#define WXREV_FUZZLIB_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "profile.h"

#define FUZZ_PUB_KEY_ID "PUB_KEY_ID_0112300001092026112600000000000001"
#define FUZZ_CERT_SERIAL "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
#define FUZZ_ORDER "1217752501201407033233368018"
#define FUZZ_SP_MCHID "1230000109"
#define FUZZ_SUB_MCHID "1900000109"

/* The two configured platform keys (public-key id and certificate serial),
 * both backed by one RSA-2048 pair generated once. */
const struct wx_platform_key *fuzz_platform_keys(size_t *n);

/* Signs "ts\nnonce\nbody\n" with the platform private key; malloc'd base64. */
char *fuzz_sign_answer(const char *ts, const char *nonce, const char *body,
		       size_t body_len);

/* Splits the input at the first `n` newlines: fields[i] are NUL-terminated
 * copies (malloc'd, free with fuzz_fields_free); *rest is what follows. */
void fuzz_split(const uint8_t *data, size_t size, char **fields, size_t n,
		char **rest, size_t *rest_len);
void fuzz_fields_free(char **fields, size_t n, char *rest);

#endif
