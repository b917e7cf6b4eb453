/* See fuzzlib.h. Linked into every harness; not a harness itself. */
#include "fuzzlib.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>

#include "apiv3.h"
#include "util.h"

static EVP_PKEY *platform_pkey;
static struct wx_platform_key platform_keys[2];

const struct wx_platform_key *fuzz_platform_keys(size_t *n)
{
	if (!platform_pkey) {
		platform_pkey = EVP_RSA_gen(2048);
		if (!platform_pkey)
			abort();
		platform_keys[0].id = wx_xstrdup(FUZZ_PUB_KEY_ID);
		platform_keys[0].pkey = platform_pkey;
		platform_keys[1].id = wx_xstrdup(FUZZ_CERT_SERIAL);
		platform_keys[1].pkey = platform_pkey;
	}
	*n = WX_ARRAY_LEN(platform_keys);
	return platform_keys;
}

char *fuzz_sign_answer(const char *ts, const char *nonce, const char *body,
		       size_t body_len)
{
	struct wx_buf msg = {0};
	struct wx_err err;
	char *sig = NULL;
	size_t n;

	fuzz_platform_keys(&n);
	wx_buf_printf(&msg, "%s\n%s\n", ts, nonce);
	wx_buf_append(&msg, body, body_len);
	wx_buf_puts(&msg, "\n");
	if (apiv3_sign(platform_pkey, msg.data, msg.len, &sig, &err) != 0)
		abort();
	wx_buf_free(&msg);
	return sig;
}

void fuzz_split(const uint8_t *data, size_t size, char **fields, size_t n,
		char **rest, size_t *rest_len)
{
	size_t i, start = 0, end;

	for (i = 0; i < n; i++) {
		end = start;
		while (end < size && data[end] != '\n')
			end++;
		fields[i] = wx_xstrndup((const char *)data + start, end - start);
		start = end < size ? end + 1 : size;
	}
	*rest_len = size - start;
	*rest = wx_xmalloc(*rest_len + 1);
	memcpy(*rest, data + start, *rest_len);
	(*rest)[*rest_len] = '\0';
}

void fuzz_fields_free(char **fields, size_t n, char *rest)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(fields[i]);
	free(rest);
}
