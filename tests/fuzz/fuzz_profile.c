/* libFuzzer harness: the profile loader, from YAML text to checked keys.
 *
 * The input is written as one profile file into a private temporary folder
 * that also holds keys the YAML can name: keys/apiclient_key.pem (RSA-2048,
 * 0600), keys/pub_key.pem (its public half), keys/ec_key.pem (P-256),
 * keys/rsa1024_key.pem and keys/open_key.pem (RSA-2048 but mode 0644).
 *
 * Properties checked beyond "no crash": success and failure are reported
 * consistently (a profile set or at least one message, never both). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "fuzzlib.h"
#include "profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];
static char yaml_path[300];

static void write_key(const char *name, EVP_PKEY *pkey, int public, int mode)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/keys/%s", dir, name);
	f = fopen(path, "w");
	if (!f || !pkey)
		abort();
	if (public ? !PEM_write_PUBKEY(f, pkey)
		   : !PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f);
	chmod(path, (mode_t)mode);
}

static void remove_dir(void)
{
	static const char *const files[] = {
		"keys/apiclient_key.pem", "keys/pub_key.pem", "keys/ec_key.pem",
		"keys/rsa1024_key.pem", "keys/open_key.pem", "keys", "p.yaml"};
	char path[400];
	size_t i;

	for (i = 0; i < WX_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		remove(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_PKEY *small = EVP_RSA_gen(1024);
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	char keys[300];

	(void)argc;
	(void)argv;
	/* Every input is a new file: keep the parsed-profile cache out of it
	 * (and out of the fuzzing user's home). */
	setenv("WXREV_NO_CACHE", "1", 1);
	snprintf(dir, sizeof(dir), "%s/wxrev-fuzz-profile.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	if (mkdir(keys, 0700) != 0)
		abort();
	write_key("apiclient_key.pem", rsa, 0, 0600);
	write_key("pub_key.pem", rsa, 1, 0600);
	write_key("open_key.pem", rsa, 0, 0644);
	write_key("rsa1024_key.pem", small, 0, 0600);
	write_key("ec_key.pem", ec, 0, 0600);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
	snprintf(yaml_path, sizeof(yaml_path), "%s/p.yaml", dir);
	atexit(remove_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wx_profiles *p = NULL;
	struct wx_diags diags = {0};
	FILE *f = fopen(yaml_path, "w");
	size_t i;
	int rc;

	if (!f || fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	rc = profile_load(yaml_path, &p, &diags);
	if (rc == 0 && (!p || diags.n != 0))
		abort();
	if (rc != 0 && (p || diags.n == 0))
		abort();
	for (i = 0; i < diags.n; i++)
		if (!diags.msgs[i] || diags.msgs[i][0] == '\0')
			abort();
	if (p)
		profile_free(p);
	wx_diags_free(&diags);
	return 0;
}
