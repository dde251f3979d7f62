// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The recording writer: chunks, files, rotation and retention; see rec_writer.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "clock.h"
#include "format.h"
#include "recording/chunk_enc.h"
#include "recording/layout.h"
#include "recording/rec_dir.h"
#include "recording/rec_writer.h"

#define PART_SOCKS	4096	/* sockets per snapshot part */
#define MIN_FILE_SIZE	(64u << 10)

struct tl_rec_writer {
	struct tl_rec_writer_opts o;
	struct tl_rec_file_info info;	/* the next file's header, but for start_ns */
	bool single;
	char *path;			/* as given */
	int dirfd;			/* directory mode */
	struct tl_rec_dirlist old;	/* our finished files, oldest first */
	uint64_t old_total;		/* their bytes */

	int fd;				/* the current file; -1: none (after an error) */
	char name[PATH_MAX];		/* its path, for messages and tl_rec_writer_file */
	uint64_t start_ns;		/* when it was started (writer clock) */
	uint64_t size;			/* its bytes, all good */
	uint32_t seq;			/* chunks in it */

	struct tl_rec_enc enc;
	uint64_t pending;		/* records (not mappings) in enc */
	bool in_snapshot;		/* between the parts of one: no rotation */
	ZSTD_CCtx *cctx;
	struct tl_rec_buf out;		/* header + compressed payload */
	struct tl_rec_chunk_hdr hdr;	/* of the chunk in out */

	struct tl_drops drops;		/* the newest counters given */
	uint64_t drops_ts;
	bool have_drops;

	struct tl_rec_writer_stats st;
	char err[PATH_MAX + 128];
	bool have_err;
};

static uint64_t now_ns(const struct tl_rec_writer *w)
{
	return w->o.clock ? w->o.clock(w->o.clock_ctx) : tl_clock_wall_ns();
}

static void set_error(struct tl_rec_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One line, the path escaped: it may come from anywhere. */
static void set_error(struct tl_rec_writer *w, const char *fmt, ...)
{
	char msg[PATH_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tl_fmt_escape(w->err, sizeof(w->err), msg, sizeof(msg));
	w->have_err = true;
}

static int sync_fd(struct tl_rec_writer *w, int fd)
{
	uint64_t t0, dt;
	int err = 0;

	if (w->o.no_sync)
		return 0;
	t0 = tl_clock_mono_ns();
	if (fdatasync(fd))
		err = -errno;
	dt = tl_clock_mono_ns() - t0;
	w->st.sync_ns += dt;
	if (dt > w->st.sync_max_ns)
		w->st.sync_max_ns = dt;
	return err;
}

/* The whole buffer, retrying short writes: 0 or -errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void close_current(struct tl_rec_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* A new current file with its header: 0 or -errno. */
static int open_file(struct tl_rec_writer *w)
{
	uint8_t hdr[TL_REC_FILE_HDR_MAX];
	char fname[TL_REC_NAME_MAX];
	size_t hlen;
	int fd = -1, err;

	w->start_ns = now_ns(w);
	w->info.start_ns = w->start_ns;
	err = tl_rec_file_hdr_pack(hdr, sizeof(hdr), &hlen, &w->info);
	if (err)
		return err;
	if (w->single) {
		snprintf(w->name, sizeof(w->name), "%s", w->path);
		fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			err = -errno;
	} else {
		/* a second file in the same second gets -1, -2, ... */
		for (unsigned seq = 0; seq < 1000; seq++) {
			tl_rec_name_format(fname, sizeof(fname), w->start_ns, seq);
			fd = openat(w->dirfd, fname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd >= 0 || errno != EEXIST)
				break;
		}
		err = fd < 0 ? -errno : 0;
		snprintf(w->name, sizeof(w->name), "%s/%s", w->path, fname);
	}
	if (err) {
		set_error(w, "%s: %s", w->name, strerror(-err));
		w->st.write_errors++;
		return err;
	}
	err = write_all(fd, hdr, hlen);
	if (!err)
		err = sync_fd(w, fd);
	/* the new name must survive a power cut too */
	if (!err && !w->single && !w->o.no_sync && fsync(w->dirfd))
		err = -errno;
	if (err) {
		set_error(w, "%s: %s", w->name, strerror(-err));
		w->st.write_errors++;
		close(fd);
		if (w->single)
			unlink(w->path);
		else
			unlinkat(w->dirfd, fname, 0);
		return err;
	}
	w->fd = fd;
	w->size = hlen;
	w->seq = 0;
	w->st.files_created++;
	w->st.bytes += hlen;
	return 0;
}

/* The current file joins the old ones (it is complete). */
static int retire_current(struct tl_rec_writer *w)
{
	struct tl_rec_dirent *more, e = { 0 };
	const char *base = strrchr(w->name, '/');

	close_current(w);
	e.name = strdup(base ? base + 1 : w->name);
	if (!e.name)
		return -ENOMEM;
	tl_rec_name_parse(e.name, &e.start_ns, &e.seq);
	e.ours = true;
	e.size = w->size;
	e.mtime_ns = (int64_t)now_ns(w);
	more = realloc(w->old.v, (w->old.n + 1) * sizeof(*more));
	if (!more) {
		free(e.name);
		return -ENOMEM;
	}
	w->old.v = more;
	w->old.v[w->old.n++] = e;
	w->old_total += e.size;
	return 0;
}

/*
 * Deletes old files, oldest first, until `incoming` more bytes fit the
 * budget along with the current file, and every file too old by its last
 * write. Files that vanished meanwhile are just forgotten.
 */
static void enforce_budget(struct tl_rec_writer *w, uint64_t incoming)
{
	uint64_t now = now_ns(w);
	bool deleted = false;

	while (w->old.n > 0) {
		struct tl_rec_dirent *e = &w->old.v[0];
		bool too_big = w->old_total + w->size + incoming > w->o.max_size;
		bool too_old = w->o.max_age_ns && now > w->o.max_age_ns &&
			       e->mtime_ns < (int64_t)(now - w->o.max_age_ns);

		if (!too_big && !too_old)
			break;
		if (unlinkat(w->dirfd, e->name, 0) == 0) {
			w->st.files_deleted++;
			deleted = true;
		} else if (errno != ENOENT) {
			set_error(w, "%s/%s: cannot delete: %s", w->path, e->name,
				  strerror(errno));
			w->st.write_errors++;
		}
		w->old_total -= e->size;
		tl_rec_dir_remove(&w->old, 0);
	}
	if (deleted && !w->o.no_sync)
		fsync(w->dirfd);
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int setup_dir(struct tl_rec_writer *w)
{
	int err = mkdir_p(w->path);

	if (err)
		return err;
	w->dirfd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0)
		return -errno;
	err = tl_rec_dir_list(w->dirfd, &w->old);
	if (err)
		return err;
	/* others' *.tlrec files are neither counted nor touched */
	for (size_t i = w->old.n; i-- > 0;)
		if (!w->old.v[i].ours)
			tl_rec_dir_remove(&w->old, i);
	for (size_t i = 0; i < w->old.n; i++)
		w->old_total += w->old.v[i].size;
	return 0;
}

static void fill_opts(struct tl_rec_writer *w)
{
	struct tl_rec_writer_opts *o = &w->o;

	if (!w->single && !o->max_size)
		o->max_size = TL_REC_DEFAULT_MAX_SIZE;
	if (!o->file_size) {
		o->file_size = o->max_size / 8;
		if (o->file_size > TL_REC_FILE_SIZE_CAP)
			o->file_size = TL_REC_FILE_SIZE_CAP;
		if (o->file_size < MIN_FILE_SIZE)
			o->file_size = MIN_FILE_SIZE;
	}
	if (!o->file_age_ns) {
		o->file_age_ns = o->max_age_ns ? o->max_age_ns / 8 : TL_REC_FILE_AGE_CAP;
		if (o->file_age_ns > TL_REC_FILE_AGE_CAP)
			o->file_age_ns = TL_REC_FILE_AGE_CAP;
		if (o->file_age_ns == 0)
			o->file_age_ns = 1;
	}
	if (!o->level)
		o->level = TL_REC_ZSTD_LEVEL;
}

struct tl_rec_writer *tl_rec_writer_open(const char *path, const struct tl_rec_writer_opts *opts)
{
	struct tl_rec_writer *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fd = w->dirfd = -1;
	if (opts)
		w->o = *opts;
	w->single = ends_with(path, TL_REC_SUFFIX);
	fill_opts(w);
	w->info.version = TL_REC_VERSION;
	w->info.flags = w->o.flags;
	snprintf(w->info.tcplens_version, sizeof(w->info.tcplens_version), "%s", TCPLENS_VERSION);
	if (w->o.host)
		snprintf(w->info.host, sizeof(w->info.host), "%s", w->o.host);
	else if (gethostname(w->info.host, sizeof(w->info.host) - 1))
		w->info.host[0] = '\0';
	if (w->o.options && strlen(w->o.options) >= sizeof(w->info.options)) {
		err = -EINVAL;
		goto fail;
	}
	snprintf(w->info.options, sizeof(w->info.options), "%s", w->o.options ? w->o.options : "");
	w->o.options = NULL;	/* copied: the caller's string need not live on */
	w->o.host = NULL;
	w->path = strdup(path);
	w->cctx = ZSTD_createCCtx();
	if (!w->path || !w->cctx || tl_rec_enc_init(&w->enc)) {
		err = -ENOMEM;
		goto fail;
	}
	if (!w->single) {
		err = setup_dir(w);
		if (err)
			goto fail;
		enforce_budget(w, 0);
	}
	err = open_file(w);
	if (err)
		goto fail;
	return w;
fail:
	w->fd = -1;
	tl_rec_writer_close(w);
	errno = -err;
	return NULL;
}

/* A new chunk starts with the drop counters, so that each can be read alone. */
static int chunk_start(struct tl_rec_writer *w)
{
	int err;

	if (w->enc.count > 0 || !w->have_drops)
		return 0;
	err = tl_rec_enc_drops(&w->enc, w->drops_ts, &w->drops);
	w->pending += !err;
	return err;
}

static int map_cgroup(struct tl_rec_writer *w, uint64_t id)
{
	const char *path;

	if (!w->o.cgroup_path || tl_rec_enc_cgroup_seen(&w->enc, id))
		return 0;
	path = w->o.cgroup_path(w->o.cgroup_ctx, id);
	if (!path || !*path || strlen(path) >= TL_REC_PATH_MAX)
		return 0;	/* unknown stays unknown */
	return tl_rec_enc_cgroup(&w->enc, id, path);
}

static int maybe_flush(struct tl_rec_writer *w)
{
	if (w->enc.buf.len >= TL_REC_CHUNK_TARGET)
		tl_rec_writer_flush(w);	/* errors are counted; the record is in */
	return 0;
}

int tl_rec_writer_record(struct tl_rec_writer *w, const struct tl_record *r)
{
	int err;

	err = chunk_start(w);
	if (!err)
		err = map_cgroup(w, r->cgroup_id);
	if (!err)
		err = tl_rec_enc_event(&w->enc, r);
	if (err) {
		w->st.lost_records++;
		return err;
	}
	w->st.records++;
	w->pending++;
	return maybe_flush(w);
}

int tl_rec_writer_snapshot(struct tl_rec_writer *w, const struct tl_snapshot *s,
			   const char *const *paths)
{
	int err = 0;

	if (s->n > TL_REC_SNAP_MAX) {
		w->st.lost_records++;
		return -E2BIG;
	}
	for (size_t first = 0; first == 0 || first < s->n; first += PART_SOCKS) {
		uint32_t n = (uint32_t)(s->n - first < PART_SOCKS ? s->n - first : PART_SOCKS);

		err = chunk_start(w);
		for (uint32_t i = 0; !err && i < n; i++)
			err = map_cgroup(w, s->socks[first + i].cgroup_id);
		if (!err)
			err = tl_rec_enc_snap_part(&w->enc, s->ts_ns, (uint32_t)s->n,
						   (uint32_t)first, s->socks + first,
						   paths ? paths + first : NULL, n);
		if (err)
			break;
		w->in_snapshot = true;
		maybe_flush(w);
		if (s->n == 0)
			break;
	}
	w->in_snapshot = false;
	if (err) {
		w->st.lost_records++;
		return err;
	}
	w->st.records++;
	w->pending++;
	return 0;
}

int tl_rec_writer_drops(struct tl_rec_writer *w, uint64_t ts_ns, const struct tl_drops *d)
{
	bool changed = !w->have_drops || memcmp(d, &w->drops, sizeof(*d)) != 0;
	int err = 0;

	w->drops = *d;
	w->drops_ts = ts_ns;
	w->have_drops = true;
	/* an empty chunk gets them when it starts */
	if (changed && w->enc.count > 0)
		err = tl_rec_enc_drops(&w->enc, ts_ns, d);
	if (err) {
		w->st.lost_records++;
		return err;
	}
	w->st.records += changed && w->enc.count > 0;
	w->pending += changed && w->enc.count > 0;
	return 0;
}

static int compress_chunk(struct tl_rec_writer *w)
{
	struct tl_rec_chunk_hdr h = { .codec = TL_REC_CODEC_ZSTD };
	size_t bound = ZSTD_compressBound(w->enc.buf.len), n;

	w->out.len = 0;
	if (tl_rec_buf_reserve(&w->out, TL_REC_CHUNK_HDR + bound))
		return -ENOMEM;
	n = ZSTD_compressCCtx(w->cctx, w->out.p + TL_REC_CHUNK_HDR, bound, w->enc.buf.p,
			      w->enc.buf.len, w->o.level);
	if (ZSTD_isError(n))
		return -EIO;
	h.clen = (uint32_t)n;
	h.ulen = (uint32_t)w->enc.buf.len;
	h.count = w->enc.count;
	h.first_ns = w->enc.first_ns;
	h.last_ns = w->enc.last_ns;
	h.crc = tl_rec_crc(w->out.p + TL_REC_CHUNK_HDR, n);
	w->hdr = h;
	w->out.len = TL_REC_CHUNK_HDR + n;
	return 0;
}

/* Rotation, and retention, before a chunk of n bytes: 0 or -errno (no file). */
static int make_room(struct tl_rec_writer *w, uint64_t n, bool *full)
{
	int err;

	if (w->single) {
		if (w->o.max_size && w->size + n > w->o.max_size) {
			*full = true;
			set_error(w, "%s: full (%llu bytes): chunks are dropped", w->name,
				  (unsigned long long)w->o.max_size);
			return -EFBIG;
		}
		return w->fd >= 0 ? 0 : -EBADF;
	}
	/* a snapshot's parts stay in one file (readers join them only there) */
	if (w->fd >= 0 && w->seq > 0 && !w->in_snapshot &&
	    (w->size + n > w->o.file_size || now_ns(w) - w->start_ns >= w->o.file_age_ns)) {
		err = retire_current(w);
		if (err)
			return err;
	}
	if (w->fd < 0) {
		enforce_budget(w, TL_REC_FILE_HDR_MAX + n);
		err = open_file(w);
		if (err)
			return err;
	}
	enforce_budget(w, n);
	return 0;
}

int tl_rec_writer_flush(struct tl_rec_writer *w)
{
	bool full = false;
	int err;

	if (w->enc.count == 0)
		return 0;
	err = compress_chunk(w);
	if (!err)
		err = make_room(w, w->out.len, &full);
	if (!err) {
		/* numbered in the file it goes to, known once rotation is decided */
		w->hdr.seq = w->seq;
		tl_rec_chunk_hdr_pack(w->out.p, &w->hdr);
		err = write_all(w->fd, w->out.p, w->out.len);
		if (err) {
			set_error(w, "%s: %s", w->name, strerror(-err));
			/* cut a torn chunk off, or later chunks would be unreadable */
			if (ftruncate(w->fd, (off_t)w->size))
				close_current(w);
		}
	}
	if (!err) {
		w->size += w->out.len;
		w->seq++;
		w->st.chunks++;
		w->st.bytes += w->out.len;
		w->st.payload_bytes += w->enc.buf.len;
		err = sync_fd(w, w->fd);
		if (err)
			set_error(w, "%s: fdatasync: %s", w->name, strerror(-err));
	} else {
		w->st.lost_chunks++;
		w->st.lost_records += w->pending;
	}
	if (err && !full)
		w->st.write_errors++;
	tl_rec_enc_reset(&w->enc);
	w->pending = 0;
	return err;
}

int tl_rec_writer_close(struct tl_rec_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	if (w->fd >= 0)
		err = tl_rec_writer_flush(w);
	close_current(w);
	if (w->dirfd >= 0)
		close(w->dirfd);
	tl_rec_dir_free(&w->old);
	tl_rec_enc_free(&w->enc);
	tl_rec_buf_free(&w->out);
	ZSTD_freeCCtx(w->cctx);
	free(w->path);
	free(w);
	return err;
}

const struct tl_rec_writer_stats *tl_rec_writer_stats(const struct tl_rec_writer *w)
{
	return &w->st;
}

const char *tl_rec_writer_error(const struct tl_rec_writer *w)
{
	return w->have_err ? w->err : NULL;
}

const char *tl_rec_writer_file(const struct tl_rec_writer *w)
{
	return w->fd >= 0 ? w->name : NULL;
}
