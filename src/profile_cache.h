/* profile_cache: the parsed-profile cache behind profile_load().
 *
 * Reading 100 000 sub-merchants from YAML takes most of a second; reading
 * the same data back from a binary file the loader wrote takes a few ms.
 * One cache file per profile file, in $XDG_CACHE_HOME/wxrev (~/.cache/wxrev,
 * folder 0700, files 0600), named by a hash of the working folder and the
 * profile's path, written to a temporary file and renamed into place.
 *
 * Never stale: the payload lists the identity (device, inode, size, mtime
 * and ctime with nanoseconds) of the profile file and of every key or
 * certificate file it names, and the loader compares each with stat() at
 * every start. A file whose ctime is less than PC_SETTLE_NS old is not
 * cached, so an edit in the same timestamp tick cannot hide behind it.
 * Never trusted blindly: magic, version, byte order, length and a checksum
 * guard the payload; any mismatch means "no cache", never an error.
 * Never secret: the payload holds names, ids, URLs, paths and
 * sub-merchants, no key material (profile.c writes it).
 * WXREV_NO_CACHE=1 turns the cache off. */
#ifndef WXREV_PROFILE_CACHE_H
#define WXREV_PROFILE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util.h"

/* Bump when the payload layout, or what loading derives (a default
 * backup_url), changes: old files are then ignored. */
#define PC_VERSION 3
/* A file changed less than this long ago may change again unseen. */
#define PC_SETTLE_NS 1000000000LL

/* What identifies one version of a file. */
struct pc_file_id {
	uint64_t dev;	 /* st_dev */
	uint64_t ino;	 /* st_ino */
	int64_t size;	 /* st_size in bytes */
	int64_t mtime_s; /* modification time */
	int64_t mtime_ns;
	int64_t ctime_s; /* status change time: moves on any write */
	int64_t ctime_ns;
};

void pc_id_from_stat(const struct stat *st, struct pc_file_id *id);
/* stat()s path (following links, as open() does): 0, or -1 if absent. */
int pc_id_of(const char *path, struct pc_file_id *id);
bool pc_id_equal(const struct pc_file_id *a, const struct pc_file_id *b);
/* Whether the file changed too recently to be cached (see PC_SETTLE_NS). */
bool pc_id_settling(const struct pc_file_id *id);

/* The cache file for profile `file` (as named to profile_load), or NULL
 * when the cache is off or has no home. Caller frees. */
char *pc_file_for(const char *file);
/* The profile path the cache is keyed by: `file` made absolute against the
 * working folder (links are not resolved). NULL if that fails. Caller
 * frees. */
char *pc_origin(const char *file);
/* The cache folder ($XDG_CACHE_HOME/wxrev or ~/.cache/wxrev), or NULL.
 * Caller frees. */
char *pc_dir(void);

/* The verified payload of a cache file (malloc'ed, caller frees), or NULL
 * when it is missing, foreign, truncated, corrupt or not ours. */
char *pc_read(const char *cache_file, size_t *len);
/* Writes payload atomically (temp file + rename, mode 0600) and creates the
 * folder (0700). Best effort: 0 on success, -1 otherwise, never a message. */
int pc_write(const char *cache_file, const void *payload, size_t len);

/* Encoding: native byte order; strings carry their length and a NUL so a
 * reader can point into the payload. */
void pc_put_u32(struct wx_buf *b, uint32_t v);
void pc_put_u64(struct wx_buf *b, uint64_t v);
void pc_put_str(struct wx_buf *b, const char *s); /* NULL allowed */
void pc_put_id(struct wx_buf *b, const struct pc_file_id *id);

/* Decoding; any read past the end or malformed string sets `bad`, after
 * which every read returns 0 or NULL. */
struct pc_reader {
	char *p;     /* next byte */
	size_t left; /* bytes after p */
	bool bad;    /* a read failed */
};
uint32_t pc_get_u32(struct pc_reader *r);
uint64_t pc_get_u64(struct pc_reader *r);
/* Points into the payload; NULL for a stored NULL (or when bad). */
char *pc_get_str(struct pc_reader *r);
void pc_get_id(struct pc_reader *r, struct pc_file_id *id);

/* ---- A partner in the cache (written and read by the profile loader) -- */

struct fctx;
struct mchid_at;
struct wx_partner;

/* Where a cache file's partner came from: the files behind it. */
struct pc_dep {
	char *path;	      /* points into the payload */
	char *key;	      /* the profile key naming it; in the payload */
	unsigned line, col;   /* of its value */
	struct pc_file_id id; /* the version cached */
};

/* Writes what the checks produced, unless a file changed so recently that
 * a second change in the same clock tick could go unseen. */
void pc_save_partner(const struct fctx *c, const struct wx_partner *p,
		     const struct mchid_at *at, const struct pc_file_id *id,
		     const char *cf);
/* The files behind the cache, each still the version cached: the count, or
 * -1 when anything differs. */
long pc_cached_deps(struct pc_reader *r, const char *file, struct pc_dep **out);
/* The partner's own fields and its sub-merchants, whose strings stay in the
 * payload. 0, or -1 when the payload is malformed. */
int pc_cached_partner(struct pc_reader *r, struct wx_partner *p,
		      struct mchid_at *at, char ***ids, size_t *nids);

#endif
