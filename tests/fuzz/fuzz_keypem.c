/* libFuzzer harness: the fast RSA PEM readers (rsa_pem_private/_public),
 * which decode key files by hand before falling back to OpenSSL.
 *
 * Input: a mode byte, then data. Mode 0: the data is the PEM text. Modes 1
 * and 2: the data is a list of (offset, byte) edits applied to a real
 * private (1) or public (2) key made at start-up, so the fuzzer explores
 * damaged keys without a key being committed to the corpus.
 * Properties checked beyond "no crash": whatever is returned is an RSA key
 * and a private reader never returns a key without its private half. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "rsa_pem.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *priv_pem, *pub_pem;
static size_t priv_len, pub_len;

static char *pem_of(EVP_PKEY *k, int public, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (!b || (public ? !PEM_write_bio_PUBKEY(b, k)
			  : !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
						      NULL)))
		abort();
	n = BIO_get_mem_data(b, &p);
	out = wx_xstrndup(p, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static void setup(void)
{
	EVP_PKEY *k;

	if (priv_pem)
		return;
	k = EVP_RSA_gen(2048);
	if (!k)
		abort();
	priv_pem = pem_of(k, 0, &priv_len);
	pub_pem = pem_of(k, 1, &pub_len);
	EVP_PKEY_free(k);
}

static void check(EVP_PKEY *k, int private)
{
	BIGNUM *d = NULL;

	if (!k)
		return;
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)
		abort();
	if (private && !EVP_PKEY_get_bn_param(k, "d", &d))
		abort();
	BN_clear_free(d);
	EVP_PKEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	size_t len, i;

	if (size < 1)
		return 0;
	setup();
	if (data[0] % 3 == 0) {
		len = size - 1;
		text = wx_xmalloc(len + 1);
		memcpy(text, data + 1, len);
	} else {
		const char *base = data[0] % 3 == 1 ? priv_pem : pub_pem;

		len = data[0] % 3 == 1 ? priv_len : pub_len;
		text = wx_xmalloc(len + 1);
		memcpy(text, base, len);
		for (i = 1; i + 2 < size; i += 3) {
			size_t at = ((size_t)data[i] << 8 | data[i + 1]) % len;

			text[at] = (char)data[i + 2];
		}
	}
	text[len] = '\0';
	check(rsa_pem_private(text, len), 1);
	check(rsa_pem_public(text, len), 0);
	free(text);
	return 0;
}
