/* profile_cache: files, identities and encoding of the parsed-profile cache
 * (the contract is in profile_cache.h), and a partner written to it and read
 * back. */
#include "profile_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "profile.h"
#include "profile_yaml.h"

/* A cache file bigger than this is not one of ours. */
#define PC_MAX_BYTES ((size_t)256 << 20)
#define PC_ORDER     0x01020304u
#define NULL_LEN     0xffffffffu

static const char pc_magic[8] = {'w', 'x', 'r', 'e', 'v', 'P', 'C', '\n'};

/* The fixed start of every cache file. */
struct pc_head {
	char magic[8];	  /* pc_magic */
	uint32_t version; /* PC_VERSION */
	uint32_t order;	  /* PC_ORDER as written: catches another byte order */
	uint64_t len;	  /* payload bytes after the header */
	uint64_t sum;	  /* checksum() of the payload */
};

/* ---- identities ---------------------------------------------------------- */

void pc_id_from_stat(const struct stat *st, struct pc_file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (int64_t)st->st_size;
	id->mtime_s = (int64_t)st->st_mtim.tv_sec;
	id->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	id->ctime_s = (int64_t)st->st_ctim.tv_sec;
	id->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

int pc_id_of(const char *path, struct pc_file_id *id)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	pc_id_from_stat(&st, id);
	return 0;
}

bool pc_id_equal(const struct pc_file_id *a, const struct pc_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

bool pc_id_settling(const struct pc_file_id *id)
{
	struct timespec now;
	int64_t age;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return true;
	age = ((int64_t)now.tv_sec - id->ctime_s) * 1000000000LL +
	      ((int64_t)now.tv_nsec - id->ctime_ns);
	return age < PC_SETTLE_NS;
}

/* ---- where ------------------------------------------------------------- */

static bool cache_off(void)
{
	const char *off = getenv("WXREV_NO_CACHE");

	return off && *off && strcmp(off, "0") != 0;
}

char *pc_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (cache_off())
		return NULL;
	if (xdg && xdg[0] == '/')
		return wx_xasprintf("%s/wxrev", xdg);
	if (home && home[0] == '/')
		return wx_xasprintf("%s/.cache/wxrev", home);
	return NULL;
}

/* Relative profile paths name different files from different folders, so
 * the working folder is part of the key. */
char *pc_origin(const char *file)
{
	char cwd[4096];

	if (file[0] == '/')
		return wx_xstrdup(file);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	return wx_xasprintf("%s/%s", cwd, file);
}

char *pc_file_for(const char *file)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[33], *dir, *origin, *out = NULL;

	dir = pc_dir();
	if (!dir)
		return NULL;
	origin = pc_origin(file);
	if (origin &&
	    EVP_Digest(origin, strlen(origin), md, &mdlen, EVP_sha256(),
		       NULL) &&
	    mdlen >= 16) {
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		out = wx_xasprintf("%s/p-%s", dir, hex);
	}
	free(origin);
	free(dir);
	return out;
}

/* ---- the checksum ------------------------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w * 0x9e3779b97f4a7c15ULL;
	h = (h << 31) | (h >> 33);
	return h * 0xc2b2ae3d27d4eb4fULL;
}

/* Not cryptographic (the folder is the user's own): it catches truncation,
 * torn writes and flipped bytes, four words at a time. */
static uint64_t checksum(const unsigned char *p, size_t n)
{
	uint64_t lane[4] = {1, 2, 3, 4}, w, h = (uint64_t)n;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		for (int k = 0; k < 4; k++) {
			memcpy(&w, p + i + 8 * (size_t)k, 8);
			lane[k] = mix(lane[k], w);
		}
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		lane[0] = mix(lane[0], w);
	}
	w = 0;
	memcpy(&w, p + i, n - i);
	lane[1] = mix(lane[1], w);
	for (int k = 0; k < 4; k++)
		h = mix(h, lane[k]);
	return h ^ (h >> 29);
}

/* ---- files --------------------------------------------------------------- */

static int read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	size_t put = 0;

	while (put < n) {
		ssize_t w = write(fd, (const char *)buf + put, n - put);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		put += (size_t)w;
	}
	return 0;
}

/* Ours: a regular file of this user that nobody else can write or read. */
static bool trusted(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == geteuid() &&
	       (st->st_mode & 077) == 0;
}

static bool head_ok(const struct pc_head *h, size_t file_size)
{
	return memcmp(h->magic, pc_magic, sizeof(pc_magic)) == 0 &&
	       h->version == PC_VERSION && h->order == PC_ORDER &&
	       h->len == file_size - sizeof(*h);
}

char *pc_read(const char *cache_file, size_t *len)
{
	struct pc_head head;
	struct stat st;
	char *data = NULL;
	int fd;

	*len = 0;
	fd = open(cache_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !trusted(&st) ||
	    (size_t)st.st_size < sizeof(head) ||
	    (size_t)st.st_size > PC_MAX_BYTES ||
	    read_all(fd, &head, sizeof(head)) != 0 ||
	    !head_ok(&head, (size_t)st.st_size))
		goto out;
	data = wx_xmalloc((size_t)head.len + 1);
	if (read_all(fd, data, (size_t)head.len) != 0 ||
	    checksum((unsigned char *)data, (size_t)head.len) != head.sum) {
		free(data);
		data = NULL;
		goto out;
	}
	data[head.len] = '\0';
	*len = (size_t)head.len;
out:
	close(fd);
	return data;
}

/* The folder exists, is ours and is 0700. */
static int own_dir(const char *dir)
{
	struct stat st;

	if (wx_mkdir_p(dir, 0700, NULL) != 0 || lstat(dir, &st) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -1;
	if ((st.st_mode & 077) && chmod(dir, 0700) != 0)
		return -1;
	return 0;
}

int pc_write(const char *cache_file, const void *payload, size_t len)
{
	const char *slash = strrchr(cache_file, '/');
	struct pc_head head = {.version = PC_VERSION,
			       .order = PC_ORDER,
			       .len = len,
			       .sum = checksum(payload, len)};
	char *dir, *tmp;
	int fd, rc = -1;

	if (!slash || cache_off())
		return -1;
	memcpy(head.magic, pc_magic, sizeof(pc_magic));
	dir = wx_xstrndup(cache_file, (size_t)(slash - cache_file));
	tmp = wx_xasprintf("%s.XXXXXX", cache_file);
	if (own_dir(dir) != 0)
		goto out;
	fd = mkstemp(tmp); /* 0600 and O_EXCL */
	if (fd < 0)
		goto out;
	if (fchmod(fd, 0600) == 0 && write_all(fd, &head, sizeof(head)) == 0 &&
	    write_all(fd, payload, len) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, cache_file) != 0)
		rc = -1;
	if (rc != 0)
		(void)unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

/* ---- encoding ---------------------------------------------------------- */

void pc_put_u32(struct wx_buf *b, uint32_t v)
{
	wx_buf_append(b, &v, sizeof(v));
}

void pc_put_u64(struct wx_buf *b, uint64_t v)
{
	wx_buf_append(b, &v, sizeof(v));
}

void pc_put_str(struct wx_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || n >= NULL_LEN) {
		pc_put_u32(b, NULL_LEN);
		return;
	}
	pc_put_u32(b, (uint32_t)n);
	wx_buf_append(b, s, n + 1);
}

void pc_put_id(struct wx_buf *b, const struct pc_file_id *id)
{
	pc_put_u64(b, id->dev);
	pc_put_u64(b, id->ino);
	pc_put_u64(b, (uint64_t)id->size);
	pc_put_u64(b, (uint64_t)id->mtime_s);
	pc_put_u64(b, (uint64_t)id->mtime_ns);
	pc_put_u64(b, (uint64_t)id->ctime_s);
	pc_put_u64(b, (uint64_t)id->ctime_ns);
}

static bool take(struct pc_reader *r, void *out, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		memset(out, 0, n);
		return false;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

uint32_t pc_get_u32(struct pc_reader *r)
{
	uint32_t v;

	take(r, &v, sizeof(v));
	return v;
}

uint64_t pc_get_u64(struct pc_reader *r)
{
	uint64_t v;

	take(r, &v, sizeof(v));
	return v;
}

char *pc_get_str(struct pc_reader *r)
{
	uint32_t n = pc_get_u32(r);
	char *s;

	if (r->bad || n == NULL_LEN)
		return NULL;
	if ((size_t)n >= r->left || r->p[n] != '\0') {
		r->bad = true;
		return NULL;
	}
	s = r->p;
	r->p += (size_t)n + 1;
	r->left -= (size_t)n + 1;
	return s;
}

void pc_get_id(struct pc_reader *r, struct pc_file_id *id)
{
	id->dev = pc_get_u64(r);
	id->ino = pc_get_u64(r);
	id->size = (int64_t)pc_get_u64(r);
	id->mtime_s = (int64_t)pc_get_u64(r);
	id->mtime_ns = (int64_t)pc_get_u64(r);
	id->ctime_s = (int64_t)pc_get_u64(r);
	id->ctime_ns = (int64_t)pc_get_u64(r);
}

/* ---- a partner in the cache --------------------------------------------- */

/* Writes what the checks produced, unless a file changed so recently that
 * a second change in the same clock tick could go unseen. */
void pc_save_partner(const struct fctx *c, const struct wx_partner *p,
		     const struct mchid_at *at, const struct pc_file_id *id,
		     const char *cf)
{
	char *origin = pc_origin(c->file);
	struct wx_buf b = {0};

	if (!origin || pc_id_settling(id))
		goto out;
	for (size_t i = 0; i < c->ndeps; i++) {
		if (pc_id_settling(&c->deps[i].id))
			goto out;
	}
	pc_put_str(&b, origin);
	pc_put_str(&b, c->file);
	pc_put_id(&b, id);
	pc_put_u32(&b, (uint32_t)c->ndeps);
	for (size_t i = 0; i < c->ndeps; i++) {
		pc_put_str(&b, c->deps[i].path);
		pc_put_str(&b, c->deps[i].key);
		pc_put_u32(&b, c->deps[i].line);
		pc_put_u32(&b, c->deps[i].col);
		pc_put_id(&b, &c->deps[i].id);
	}
	pc_put_str(&b, p->name);
	pc_put_str(&b, p->sp_mchid);
	pc_put_str(&b, p->sp_appid);
	pc_put_str(&b, p->serial_no);
	pc_put_str(&b, p->base_url);
	pc_put_str(&b, p->backup_url);
	pc_put_str(&b, p->ca_file);
	pc_put_u64(&b, (uint64_t)p->timeout_s);
	pc_put_u32(&b, p->query_before_confirm ? 1 : 0);
	pc_put_u32(&b, at->line);
	pc_put_u32(&b, at->col);
	pc_put_u32(&b, (uint32_t)p->nplatform);
	for (size_t i = 0; i < p->nplatform; i++)
		pc_put_str(&b, p->platform[i].id);
	pc_put_u32(&b, (uint32_t)p->nsubs);
	for (size_t i = 0; i < p->nsubs; i++) {
		pc_put_str(&b, p->subs[i].name);
		pc_put_str(&b, p->subs[i].name_fold);
		pc_put_str(&b, p->subs[i].sub_mchid);
		pc_put_str(&b, p->subs[i].sub_appid);
	}
	(void)pc_write(cf, b.data, b.len);
out:
	wx_buf_free(&b);
	free(origin);
}

static bool same_str(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The files behind the cache, each still the version cached: the count, or
 * -1 when anything differs. */
long pc_cached_deps(struct pc_reader *r, const char *file, struct pc_dep **out)
{
	char *origin = pc_origin(file);
	struct pc_file_id was, now;
	struct pc_dep *d = NULL;
	uint32_t n = 0;
	long rc = -1;

	if (!same_str(pc_get_str(r), origin) || !same_str(pc_get_str(r), file))
		goto out;
	pc_get_id(r, &was);
	if (r->bad || pc_id_of(file, &now) != 0 || !pc_id_equal(&was, &now))
		goto out;
	n = pc_get_u32(r);
	if (r->bad || n > 256)
		goto out;
	d = wx_xcalloc(n ? n : 1, sizeof(*d));
	for (uint32_t i = 0; i < n; i++) {
		d[i].path = pc_get_str(r);
		d[i].key = pc_get_str(r);
		d[i].line = pc_get_u32(r);
		d[i].col = pc_get_u32(r);
		pc_get_id(r, &d[i].id);
		if (r->bad || !d[i].path || !d[i].key ||
		    pc_id_of(d[i].path, &now) != 0 ||
		    !pc_id_equal(&d[i].id, &now))
			goto out;
	}
	rc = n;
out:
	free(origin);
	if (rc < 0)
		free(d);
	else
		*out = d;
	return rc;
}

static char *dup_str(struct pc_reader *r)
{
	return wx_xstrdup(pc_get_str(r));
}

/* The partner's own fields and its sub-merchants, whose strings stay in the
 * payload. 0, or -1 when the payload is malformed. */
int pc_cached_partner(struct pc_reader *r, struct wx_partner *p,
		      struct mchid_at *at, char ***ids, size_t *nids)
{
	uint32_t n;

	p->name = dup_str(r);
	p->sp_mchid = dup_str(r);
	p->sp_appid = dup_str(r);
	p->serial_no = dup_str(r);
	p->base_url = dup_str(r);
	p->backup_url = dup_str(r);
	p->ca_file = dup_str(r);
	p->timeout_s = (long)pc_get_u64(r);
	p->query_before_confirm = pc_get_u32(r) != 0;
	at->mchid = p->sp_mchid;
	at->line = pc_get_u32(r);
	at->col = pc_get_u32(r);
	n = pc_get_u32(r);
	if (r->bad || n > 256 || !p->name || !p->sp_mchid)
		return -1;
	*ids = wx_xcalloc(n ? n : 1, sizeof(**ids));
	*nids = n;
	for (uint32_t i = 0; i < n; i++)
		(*ids)[i] = pc_get_str(r);
	n = pc_get_u32(r);
	/* Each entry takes at least four lengths: a bad count stops here. */
	if (r->bad || n == 0 || n > r->left / 16)
		return -1;
	p->subs = wx_xcalloc(n, sizeof(*p->subs));
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct wx_sub *s = &p->subs[p->nsubs++];

		s->name = pc_get_str(r);
		s->name_fold = pc_get_str(r);
		s->sub_mchid = pc_get_str(r);
		s->sub_appid = pc_get_str(r);
		if (!s->name || !s->name_fold || !s->sub_mchid)
			r->bad = true;
	}
	return r->bad || r->left != 0 ? -1 : 0;
}
