/* profile_keys: the files a profile names. Reading them (regular files
 * only, size-capped, identity recorded for the cache), and turning them into
 * the merchant private key (encrypted keys ask WXREV_KEY_PASSPHRASE or the
 * front end's prompt), WeChat Pay public keys and certificates, each checked
 * to be RSA of at least 2048 bits, with a message at the profile line that
 * names the file. Key material is wiped after use. Front ends set the
 * passphrase prompt here; the rest is internal to the loader. */
#ifndef WXREV_PROFILE_KEYS_H
#define WXREV_PROFILE_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "profile_cache.h"
#include "profile_yaml.h"

/* Asks for the passphrase of an encrypted private key when
 * WXREV_KEY_PASSPHRASE is unset (the TUI prompts). `cb` writes at most `size`
 * bytes to buf and returns their count, or -1 to give up. NULL removes it. */
void profile_set_passphrase_cb(int (*cb)(const char *key_path, char *buf,
					 size_t size, void *user),
			       void *user);

enum read_status {
	READ_OK,
	READ_MISSING,  /* does not exist */
	READ_NOT_FILE, /* a folder, device, FIFO... */
	READ_TOO_BIG,  /* over the cap */
	READ_ERRNO     /* see errno */
};

/* The path of a file named in the profile: relative to the profile's
 * folder. */
char *pk_resolve(const struct fctx *c, const char *p);
/* Reads a whole regular file (NUL-terminated). `id` (if non-NULL) gets
 * the identity of what was read and `mode` its mode bits. */
enum read_status pk_read_file(const char *path, size_t cap, char **out,
			      size_t *len, unsigned *mode,
			      struct pc_file_id *id);
void fctx_free_deps(struct fctx *c);
EVP_PKEY *pk_private_key(struct fctx *c, size_t val, const char *full);
X509 *pk_cert(struct fctx *c, size_t val, const char *path, const char *full);
EVP_PKEY *pk_public_key(struct fctx *c, size_t val, const char *full);
/* An RSA key of at least 2048 bits, or a message ending in `fix`. */
int pk_check_rsa(struct fctx *c, size_t val, const char *path, const char *full,
		 const EVP_PKEY *k, const char *fix);
/* Upper-case hex without separators, as WeChat Pay writes serials. */
char *pk_cert_serial(const X509 *x);

#endif
