// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cgroup v2 ids to paths: a cache (open-addressing hash table, id -> path)
 * filled by walking the cgroup2 mount, where a directory's inode number is
 * the cgroup id. Paths live in an append-only arena so that a string handed
 * out stays valid however the table changes later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID	0x00001000U	/* Linux 5.8; older headers lack it */
#endif

#define CG_CHUNK	65536		/* arena chunk size */
#define CG_MOUNTINFO_MAX (64u << 20)	/* a host with a million mounts is broken anyway */

struct cg_slot {
	uint64_t id;			/* 0: empty (no cgroup has id 0) */
	const char *path;		/* in the arena */
};

struct cg_chunk {
	struct cg_chunk *next;
	size_t used, cap;
	char data[];
};

struct tl_cgroups {
	char *mount;			/* normalized, no trailing slash; "/" if mounted there */
	char *prefix;			/* the mount's root in the v2 tree: "" when it is "/" */
	dev_t dev;			/* of the mount: a directory elsewhere is no cgroup */
	uint64_t mnt_id;		/* of the mount; 0: the kernel does not say */
	struct cg_slot *slots;
	size_t cap, n;			/* cap: 0 or a power of two */
	struct cg_chunk *chunks;
	uint64_t last_scan_ns;		/* CLOCK_MONOTONIC at the start of the last walk */
	unsigned long scans;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* What this module needs to know of a directory. */
struct cg_stat {
	uint64_t ino;
	uint64_t mnt_id;		/* 0: unknown (before Linux 5.8) */
	dev_t dev;
	bool dir;
};

static int cg_stat_at(int dirfd, const char *path, int flags, struct cg_stat *cs)
{
	struct statx stx;
	struct stat st;

	if (statx(dirfd, path, flags, STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) == 0) {
		cs->ino = stx.stx_ino;
		cs->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		cs->dir = (stx.stx_mask & STATX_TYPE) && S_ISDIR(stx.stx_mode);
		cs->mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
		return 0;
	}
	/* Some seccomp profiles still refuse statx. */
	if (errno != ENOSYS)
		return -errno;
	if (fstatat(dirfd, path, &st, flags))
		return -errno;
	cs->ino = st.st_ino;
	cs->dev = st.st_dev;
	cs->dir = S_ISDIR(st.st_mode);
	cs->mnt_id = 0;
	return 0;
}

/*
 * A directory of our cgroup tree: on its filesystem and, where the kernel
 * tells mount ids, under the same mount. The device alone does not see a
 * bind mount of the same cgroup2 onto one of its directories: walking into
 * it would give the ids found there wrong, longer paths (and a loop).
 */
static bool cg_ours(const struct tl_cgroups *cg, const struct cg_stat *cs)
{
	if (!cs->dir || cs->dev != cg->dev)
		return false;
	return !cg->mnt_id || !cs->mnt_id || cs->mnt_id == cg->mnt_id;
}

/* ---- the table ---- */

static size_t slot_hash(uint64_t id)
{
	/* Ids are mostly sequential: multiply to spread them, fold the
	 * well-mixed high half down to the bits the mask keeps. */
	uint64_t h = id * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 32));
}

/* The slot holding id, or the empty one where it would go. The load factor
 * stays below 0.7, so an empty slot always ends the probe. */
static struct cg_slot *slot_find(const struct tl_cgroups *cg, uint64_t id)
{
	size_t mask = cg->cap - 1, i = slot_hash(id) & mask;

	while (cg->slots[i].id != id && cg->slots[i].id != 0)
		i = (i + 1) & mask;
	return &cg->slots[i];
}

static int table_grow(struct tl_cgroups *cg)
{
	struct cg_slot *old = cg->slots;
	size_t old_cap = cg->cap, cap = cg->cap ? cg->cap * 2 : 256;

	cg->slots = calloc(cap, sizeof(*cg->slots));
	if (!cg->slots) {
		cg->slots = old;
		return -ENOMEM;
	}
	cg->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].id)
			*slot_find(cg, old[i].id) = old[i];
	free(old);
	return 0;
}

static const char *arena_dup(struct tl_cgroups *cg, const char *s, size_t len)
{
	struct cg_chunk *c = cg->chunks;
	char *p;

	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > CG_CHUNK ? len + 1 : CG_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = cg->chunks;
		c->used = 0;
		c->cap = cap;
		cg->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static int cg_put(struct tl_cgroups *cg, uint64_t id, const char *path, size_t len)
{
	struct cg_slot *s;
	const char *copy;

	if (!id)
		return -EINVAL;
	if ((cg->n + 1) * 10 > cg->cap * 7 && table_grow(cg))
		return -ENOMEM;
	s = slot_find(cg, id);
	/* Unchanged at a rescan: the common case, no copy. */
	if (s->id && strncmp(s->path, path, len) == 0 && s->path[len] == '\0')
		return 0;
	copy = arena_dup(cg, path, len);
	if (!copy)
		return -ENOMEM;
	if (!s->id) {
		s->id = id;
		cg->n++;
	}
	s->path = copy;
	return 0;
}

static const char *cg_get(const struct tl_cgroups *cg, uint64_t id)
{
	struct cg_slot *s;

	if (!id || !cg->cap)
		return NULL;
	s = slot_find(cg, id);
	return s->id ? s->path : NULL;
}

/* ---- the walk ---- */

struct cg_walk {
	struct tl_cgroups *cg;
	size_t entries;
	char path[PATH_MAX];		/* prefix + the path below the mount */
};

/* Records the directory open at fd (owned: closed here) whose path is
 * w->path[0..len), then its subdirectories. */
static int walk_dir(struct cg_walk *w, int fd, size_t len, unsigned int depth)
{
	struct cg_stat st;
	struct dirent *de;
	DIR *d = NULL;
	int err = 0;

	/* Only running out of memory ends the walk: a directory that cannot
	 * be looked at is skipped. Something mounted over a cgroup directory
	 * is not that cgroup. */
	if (cg_stat_at(fd, "", AT_EMPTY_PATH, &st) || !cg_ours(w->cg, &st))
		goto cleanup;
	if (w->entries >= TL_CGROUPS_MAX_ENTRIES)
		goto cleanup;
	w->entries++;
	err = len ? cg_put(w->cg, st.ino, w->path, len) : cg_put(w->cg, st.ino, "/", 1);
	if (err || depth >= TL_CGROUPS_MAX_DEPTH)
		goto cleanup;

	d = fdopendir(fd);
	if (!d) {
		err = errno == ENOMEM ? -ENOMEM : 0;
		goto cleanup;
	}
	fd = -1;
	while ((de = readdir(d))) {
		size_t nlen;
		int child;

		/* The control files (cgroup.procs, ...) are most entries:
		 * d_type skips them without a syscall. */
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nlen = strlen(de->d_name);
		/* Too long to name: left unresolved rather than truncated. */
		if (len + 1 + nlen >= sizeof(w->path))
			continue;
		child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			continue;	/* removed meanwhile, or not a directory */
		w->path[len] = '/';
		memcpy(w->path + len + 1, de->d_name, nlen + 1);
		err = walk_dir(w, child, len + 1 + nlen, depth + 1);
		w->path[len] = '\0';
		if (err)
			goto cleanup;
	}
cleanup:
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	return err;
}

/* A failed walk keeps what it found: those entries are still true. */
static int cg_scan(struct tl_cgroups *cg)
{
	struct cg_walk *w;
	size_t len;
	int fd, err;

	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	cg->scans++;
	cg->last_scan_ns = mono_ns();
	fd = open(cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	w->cg = cg;
	w->entries = 0;
	len = strlen(cg->prefix);
	memcpy(w->path, cg->prefix, len + 1);
	err = walk_dir(w, fd, len, 0);
cleanup:
	free(w);
	return err;
}

/* ---- paths ---- */

/* arg's components as "/a/b" ("" for none): no empty or "." components;
 * -EINVAL for "..", -ENAMETOOLONG. */
static int path_normalize(const char *arg, char *out, size_t outlen)
{
	const char *p = arg;
	size_t o = 0;

	if (!outlen)
		return -ENAMETOOLONG;
	out[0] = '\0';
	while (*p) {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return -EINVAL;
		if (o + 1 + n >= outlen)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
		out[o] = '\0';
	}
	return 0;
}

/* s starts with the path dir (normalized), as a whole component. */
static const char *path_below(const char *s, const char *dir)
{
	size_t n = strlen(dir);

	if (strncmp(s, dir, n) != 0 || (s[n] != '/' && s[n] != '\0'))
		return NULL;
	return s + n;
}

static struct tl_cgroups *cg_open(const char *mountpoint, const char *root)
{
	char norm[PATH_MAX];
	struct tl_cgroups *cg = NULL;
	struct cg_stat st;
	struct statfs sfs;
	int err;

	/* Normalizing a relative path would make it absolute, wrongly. */
	if (mountpoint[0] != '/') {
		err = -EINVAL;
		goto cleanup;
	}
	if (statfs(mountpoint, &sfs)) {
		err = -errno;
		goto cleanup;
	}
	err = cg_stat_at(AT_FDCWD, mountpoint, 0, &st);
	if (err)
		goto cleanup;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC || !st.dir) {
		err = -EINVAL;
		goto cleanup;
	}
	cg = calloc(1, sizeof(*cg));
	if (!cg) {
		err = -ENOMEM;
		goto cleanup;
	}
	cg->dev = st.dev;
	cg->mnt_id = st.mnt_id;
	/* Normalized so that a -c argument can be compared to it. A ".."
	 * would make that comparison lie: refuse it. */
	err = path_normalize(mountpoint, norm, sizeof(norm));
	if (err)
		goto cleanup;
	cg->mount = strdup(norm[0] ? norm : "/");
	err = path_normalize(root, norm, sizeof(norm));
	if (err)
		goto cleanup;
	cg->prefix = strdup(norm);
	if (!cg->mount || !cg->prefix) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = cg_scan(cg);
	if (err)
		goto cleanup;
	return cg;
cleanup:
	tl_cgroups_free(cg);
	errno = -err;
	return NULL;
}

/* ---- mountinfo ---- */

struct mi_field {
	const char *s;
	size_t n;
};

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* A mountinfo field unescaped (\ooo) into out, NUL-terminated; with out
 * NULL only checked. The length, -EINVAL (a bad escape, a NUL byte) or
 * -ENAMETOOLONG. */
static long mi_unescape(struct mi_field f, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < f.n; i++) {
		unsigned char c = (unsigned char)f.s[i];

		if (c == '\\') {
			unsigned int v;

			if (f.n - i < 4 || !is_octal(f.s[i + 1]) || !is_octal(f.s[i + 2]) ||
			    !is_octal(f.s[i + 3]))
				return -EINVAL;
			v = (unsigned int)(f.s[i + 1] - '0') * 64 + (unsigned int)(f.s[i + 2] - '0') * 8 +
			    (unsigned int)(f.s[i + 3] - '0');
			if (v == 0 || v > 255)
				return -EINVAL;
			c = (unsigned char)v;
			i += 3;
		} else if (c == '\0') {
			return -EINVAL;
		}
		if (out) {
			if (o + 1 >= outlen)
				return -ENAMETOOLONG;
			out[o] = (char)c;
		}
		o++;
	}
	if (out) {
		if (!outlen)
			return -ENAMETOOLONG;
		out[o] = '\0';
	}
	return (long)o;
}

static bool mi_digits(struct mi_field f)
{
	if (!f.n)
		return false;
	for (size_t i = 0; i < f.n; i++)
		if (f.s[i] < '0' || f.s[i] > '9')
			return false;
	return true;
}

static bool mi_is(struct mi_field f, const char *s)
{
	return f.n == strlen(s) && memcmp(f.s, s, f.n) == 0;
}

/*
 * One line: "36 35 98:0 /root /mount opts [optional...] - fstype source superopts".
 * True if it is a well-formed cgroup2 line; its root and mount point then.
 */
static bool mi_line(const char *s, size_t n, struct mi_field *root, struct mi_field *mnt)
{
	const char *p = s, *end = s + n;
	struct mi_field f[4] = { { 0 } };
	size_t i = 0, after = 0;
	bool sep = false, cgroup2 = false;

	while (p < end) {
		struct mi_field cur;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		cur.s = p;
		while (p < end && *p != ' ')
			p++;
		cur.n = (size_t)(p - cur.s);

		if (sep) {
			if (after == 0)
				cgroup2 = mi_is(cur, "cgroup2");
			after++;
		} else if (i >= 6 && mi_is(cur, "-")) {
			sep = true;
		} else if (i < 4) {
			f[i] = cur;
		} else if (i == 4) {
			*mnt = cur;
		}
		i++;
	}
	/* id, parent id, major:minor, root, mount point, options; after the
	 * separator fstype, source, super options. */
	if (!sep || after < 3 || !cgroup2)
		return false;
	if (!mi_digits(f[0]) || !mi_digits(f[1]) || !memchr(f[2].s, ':', f[2].n))
		return false;
	*root = f[3];
	if (!root->n || root->s[0] != '/' || !mnt->n || mnt->s[0] != '/')
		return false;
	return mi_unescape(*root, NULL, 0) >= 0 && mi_unescape(*mnt, NULL, 0) >= 0;
}

/* The winner is chosen whatever the buffer sizes: a mount that does not fit
 * is -ENAMETOOLONG, not a silent fallback to another one. */
static int mi_find(const char *text, size_t len, char *out, size_t outlen, char *root,
		   size_t rootlen)
{
	const char *p = text, *end = text + len;
	struct mi_field win_root = { 0 }, win_mnt = { 0 };
	bool found = false;
	long r;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct mi_field fr, fm;

		if (mi_line(p, (size_t)(le - p), &fr, &fm)) {
			bool at_root = fr.n == 1;

			if (!found || at_root) {
				win_root = fr;
				win_mnt = fm;
				found = true;
			}
			if (at_root)
				break;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!found)
		return -ENOENT;
	if (!out || !outlen || (root && !rootlen))
		return -ENAMETOOLONG;
	r = mi_unescape(win_mnt, out, outlen);
	if (r >= 0 && root)
		r = mi_unescape(win_root, root, rootlen);
	return r < 0 ? (int)r : 0;
}

int tl_mountinfo_cgroup2(const char *text, size_t len, char *out, size_t outlen)
{
	return mi_find(text, len, out, outlen, NULL, 0);
}

static int read_all(const char *file, char **text, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL, *nbuf;
	int fd, err = 0;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got;

		if (!buf || n == cap) {
			if (buf)
				cap *= 2;
			if (cap > CG_MOUNTINFO_MAX) {
				err = -EFBIG;
				goto cleanup;
			}
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nbuf;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			goto cleanup;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*text = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}

/* ---- the API ---- */

struct tl_cgroups *tl_cgroups_open(void)
{
	char mnt[PATH_MAX], root[PATH_MAX];
	struct tl_cgroups *cg = NULL;
	char *text = NULL;
	size_t len = 0;
	int err;

	err = read_all("/proc/self/mountinfo", &text, &len);
	if (err)
		goto cleanup;
	err = mi_find(text, len, mnt, sizeof(mnt), root, sizeof(root));
	if (err)
		goto cleanup;
	cg = cg_open(mnt, root);
	if (!cg)
		err = -errno;
cleanup:
	free(text);
	if (!cg)
		errno = -err;
	return cg;
}

struct tl_cgroups *tl_cgroups_open_at(const char *mountpoint)
{
	return cg_open(mountpoint, "/");
}

void tl_cgroups_free(struct tl_cgroups *cg)
{
	if (!cg)
		return;
	while (cg->chunks) {
		struct cg_chunk *next = cg->chunks->next;

		free(cg->chunks);
		cg->chunks = next;
	}
	free(cg->slots);
	free(cg->mount);
	free(cg->prefix);
	free(cg);
}

const char *tl_cgroups_mount(const struct tl_cgroups *cg)
{
	return cg->mount;
}

unsigned long tl_cgroups_scans(const struct tl_cgroups *cg)
{
	return cg->scans;
}

const char *tl_cgroups_path(struct tl_cgroups *cg, uint64_t id)
{
	const char *path;

	if (!id)
		return NULL;
	path = cg_get(cg, id);
	if (path)
		return path;
	if (mono_ns() - cg->last_scan_ns < TL_CGROUPS_RESCAN_NS)
		return NULL;
	/* Even a failed walk may have found it. */
	cg_scan(cg);
	return cg_get(cg, id);
}

static int copy_out(char *dst, size_t dstlen, const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (!dst)
		return 0;
	if (na + nb >= dstlen)
		return -ENAMETOOLONG;
	memcpy(dst, a, na);
	memcpy(dst + na, b, nb + 1);
	return 0;
}

int tl_cgroups_resolve_arg(struct tl_cgroups *cg, const char *arg, char *fspath, size_t fslen,
			   char *relpath, size_t rellen, uint64_t *id, char *err, size_t errlen)
{
	char norm[PATH_MAX], full[PATH_MAX], rel[PATH_MAX];
	/* "" when the mount point is "/": then norm is below it as it is */
	const char *mnt = strcmp(cg->mount, "/") ? cg->mount : "";
	const char *below = NULL;
	struct cg_stat st;
	int ret;

	if (!arg || !*arg) {
		set_err(err, errlen, "empty cgroup path");
		return -EINVAL;
	}
	ret = path_normalize(arg, norm, sizeof(norm));
	if (ret == -EINVAL) {
		set_err(err, errlen, "cgroup path %s: \"..\" is not allowed", arg);
		return ret;
	}
	if (ret) {
		set_err(err, errlen, "cgroup path too long: %s", arg);
		return ret;
	}
	/* A path in the filesystem when it starts with the mount point,
	 * else relative to the v2 root (with or without the leading '/'). */
	if (arg[0] == '/')
		below = path_below(norm, mnt);
	if (!below) {
		below = path_below(norm, cg->prefix);
		if (!below) {
			set_err(err, errlen, "cgroup %s is outside the part of the tree mounted at %s (%s)",
				arg, cg->mount, cg->prefix);
			return -ENOENT;
		}
	}

	ret = copy_out(full, sizeof(full), mnt, below);
	if (!ret && !full[0])
		strcpy(full, "/");
	if (!ret)
		ret = copy_out(rel, sizeof(rel), cg->prefix, below);
	if (!ret && !rel[0])
		strcpy(rel, "/");
	if (ret) {
		set_err(err, errlen, "cgroup path too long: %s", arg);
		return ret;
	}
	ret = cg_stat_at(AT_FDCWD, full, 0, &st);
	if (ret) {
		if (ret == -ENOENT || ret == -ENOTDIR) {
			set_err(err, errlen, "no cgroup %s (cgroup v2 is mounted at %s)", arg,
				cg->mount);
			return -ENOENT;
		}
		set_err(err, errlen, "cgroup %s: %s: %s", arg, full, strerror(-ret));
		return ret;
	}
	if (!cg_ours(cg, &st)) {
		set_err(err, errlen, "%s is not a cgroup (cgroup v2 is mounted at %s)", full, cg->mount);
		return -ENOENT;
	}
	if (copy_out(fspath, fslen, full, "") || copy_out(relpath, rellen, rel, "")) {
		set_err(err, errlen, "cgroup path too long for the buffer: %s", full);
		return -ENAMETOOLONG;
	}
	if (id)
		*id = st.ino;
	/* The filter's cgroup will be asked for: have it without a rescan.
	 * Only a cache: a failure here changes nothing. */
	cg_put(cg, st.ino, rel, strlen(rel));
	return 0;
}

/* ---- unit names ---- */

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool has_suffix(const char *c, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	/* A name before the suffix: ".service" alone is no unit. */
	return n > sl && memcmp(c + n - sl, suffix, sl) == 0;
}

/* The 64 hex digits of a container component: "<id>", "<runtime>-<id>",
 * either with ".scope"; else NULL. */
static const char *container_id(const char *c, size_t n)
{
	if (has_suffix(c, n, ".scope"))
		n -= strlen(".scope");
	if (n < 64 || !is_hex(c + n - 64, 64))
		return NULL;
	if (n > 64 && c[n - 65] != '-')
		return NULL;
	return c + n - 64;
}

static bool is_unit(const char *c, size_t n)
{
	static const char *const suffixes[] = {
		".service", ".scope", ".slice", ".socket", ".mount", ".swap",
	};

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (has_suffix(c, n, suffixes[i]))
			return true;
	return false;
}

static size_t put_name(char *buf, size_t len, const char *s, size_t n)
{
	if (len) {
		size_t k = n < len - 1 ? n : len - 1;

		memcpy(buf, s, k);
		buf[k] = '\0';
	}
	return n;
}

size_t tl_cgroup_unit(char *buf, size_t len, const char *path)
{
	const char *end = path ? path + strlen(path) : NULL;
	const char *last = NULL;
	size_t last_n = 0;

	while (end && end > path) {
		const char *c, *cid;
		size_t n;

		while (end > path && end[-1] == '/')
			end--;
		c = end;
		while (c > path && c[-1] != '/')
			c--;
		n = (size_t)(end - c);
		if (!n)
			break;
		if (!last) {
			last = c;
			last_n = n;
		}
		cid = container_id(c, n);
		if (cid)
			return put_name(buf, len, cid, 12);
		if (is_unit(c, n))
			return put_name(buf, len, c, n);
		end = c;
	}
	if (!last)
		return put_name(buf, len, "/", 1);
	return put_name(buf, len, last, last_n);
}
