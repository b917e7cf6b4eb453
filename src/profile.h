/* profile: partner (服务商) and sub-merchant profiles loaded from YAML.
 *
 * Owns: every string and key in a `struct wx_profiles`; free it with
 * profile_free(). Private keys are EVP_PKEYs; the PEM bytes they were read
 * from are wiped after parsing.
 * Fails: with one `file:line:column: message` per problem, each naming the
 * key and the fix. profile_load() collects every problem (not only the first)
 * into `diags` and returns -1 if there was any.
 * Schema: profiles/example.yaml. Paths in a file are relative to that file. */
#ifndef WXREV_PROFILE_H
#define WXREV_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "util.h"

struct wx_partner;

struct wx_sub {
	char *name;		    /* shown in the UI; may contain CJK */
	const char *name_fold;	    /* name with A-Z lower-cased, for the
				       filter; not separately owned (NULL in
				       a hand-built sub) */
	char *sub_mchid;	    /* 1-32 digits */
	char *sub_appid;	    /* NULL when not configured */
	struct wx_partner *partner; /* back pointer, not owned */
};

/* A key that can verify WeChat Pay's answers. */
struct wx_platform_key {
	char *id; /* public-key id (PUB_KEY_ID_...) or certificate serial */
	EVP_PKEY *pkey; /* RSA public key */
};

struct wx_partner {
	char *file;	       /* the YAML file it came from */
	char *name;	       /* display name */
	const char *name_fold; /* name with A-Z lower-cased; not owned */
	char *sp_mchid;	       /* 1-32 digits */
	char *sp_appid;	       /* NULL when not configured */
	char *serial_no; /* merchant API certificate serial, upper-case hex */
	EVP_PKEY *key;	 /* merchant private key (RSA >= 2048) */
	struct wx_platform_key *platform; /* public key and/or certificates */
	size_t nplatform;
	char *base_url;	  /* default https://api.mch.weixin.qq.com */
	char *backup_url; /* NULL when none; defaults to
			     https://api2.mch.weixin.qq.com only when
			     base_url is WeChat Pay's own */
	char *ca_file;	  /* extra trust; NULL when not set */
	long timeout_s;	  /* total per attempt; default 10 */
	bool query_before_confirm; /* the confirmation reads the order first
				      (api.query_before_confirm, default
				      true; false for a partner without the
				      query API) */
	struct wx_sub *subs;
	size_t nsubs;
	char *strings; /* owned block the subs' strings point into when the
			  partner came from the cache; NULL otherwise */
};

struct wx_profiles {
	struct wx_partner *partners;
	size_t npartners;
	char *source; /* the file or folder they were loaded from */
};

/* The host of the partner's main endpoint (base_url) into host, whether it
 * is WeChat Pay's own (https to one of the default hosts) and whether it
 * is plain http (only ever to loopback, as loading checked). A URL that
 * does not parse is copied whole and is not official. */
void profile_endpoint(const struct wx_partner *p, char *host, size_t n,
		      bool *official, bool *plain_http);

/* The backup_url a retry may move to, or NULL when every attempt goes to
 * base_url (no backup, or the same URL). */
const char *profile_retry_url(const struct wx_partner *p);

/* url's host for a person, marked "(not WeChat Pay)" or "(plain HTTP
 * (loopback))" when it is not https to WeChat Pay's own hosts; returns
 * true for WeChat Pay's own. Translated; bounded by n. */
bool profile_host_label(const char *url, char *buf, size_t n);

/* Where a retry may go besides base_url, for a confirmation: the backup
 * host with its mark, or "none: retries go only to HOST". Returns false
 * when the backup is not WeChat Pay's own. */
bool profile_backup_label(const struct wx_partner *p, char *buf, size_t n);

/* True when url is https to WeChat Pay's main host (the default base_url):
 * the only base_url that gets the default backup_url. */
bool profile_url_is_official_base(const char *url);

/* Resolves where profiles live: `arg` (--profiles) if non-NULL, else
 * $WXREV_PROFILES, else $XDG_CONFIG_HOME/wxrev/profiles (~/.config/...).
 * Writes the chosen path to buf. */
int profile_locate(const char *arg, char *buf, size_t n, struct wx_err *err);

/* Loads one YAML file or every *.yaml / *.yml file of a folder (sorted by
 * name; hidden files skipped). On any problem returns -1 and *out is NULL;
 * diags gets every message, a file's in line order, appended to what it
 * already holds (diags may be NULL). A problem without a position reads
 * "file: message". Limits: 64 MiB per profile file (100 000 sub-merchants
 * take about 12 MiB), 1 MiB per PEM file; YAML aliases are refused so that
 * nothing expands. An encrypted private key is opened with
 * $WXREV_KEY_PASSPHRASE, else with the profile_set_passphrase_cb() hook.
 * Loading 100 000 sub-merchants from YAML takes a fraction of a second
 * (one array per partner, duplicates found by sorting); a file that loaded
 * cleanly is then kept in the parsed-profile cache (profile_cache.h) and
 * read back in a few ms, with its keys read again from their PEM files.
 * WXREV_NO_CACHE=1 turns the cache off. */
int profile_load(const char *path, struct wx_profiles **out,
		 struct wx_diags *diags);
void profile_free(struct wx_profiles *p);

/* The one rule of the sub-merchant filter (the TUI's `/`): true when
 * `query` is empty, or a substring of the sub-merchant's name (ASCII
 * letters in any case), of its sub_mchid, or of its partner's name or
 * sp_mchid. Bytes beyond ASCII compare as they are, so Chinese text matches
 * itself. Costs a few strstr() calls: 100 000 sub-merchants take a few ms. */
bool profile_sub_matches(const struct wx_sub *s, const char *query);

/* One line about a partner for `wxrev profiles`: name, sp_mchid, number of
 * sub-merchants, endpoint and the ids of the keys that verify answers.
 * Truncated to fit n bytes. */
void profile_summary(const struct wx_partner *p, char *buf, size_t n);

/* Finds a partner by name or sp_mchid (NULL `partner` means any), and in it a
 * sub-merchant by name or sub_mchid: the one rule behind every command's
 * --partner and --sub and a list's sub_mchid column. An mchid matches
 * exactly and wins over names; a name matches ignoring ASCII case, so two
 * names differing only in case are ambiguous. Ambiguity and absence are
 * errors that list the candidates (name, mchid, and the partner when more
 * than one partner is searched). */
const struct wx_sub *profile_find_sub(const struct wx_profiles *p,
				      const char *partner, const char *sub,
				      struct wx_err *err);

/* profile_find_sub() that also says whether a NULL answer means several
 * candidates (*ambiguous true) rather than none; `ambiguous` may be NULL. */
const struct wx_sub *profile_match_sub(const struct wx_profiles *p,
				       const char *partner, const char *sub,
				       bool *ambiguous, struct wx_err *err);

#endif
