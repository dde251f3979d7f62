// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Opening a recording: its files' headers, then every chunk header, read
 * with pread through a window so that small chunks cost one read per 64 KiB
 * and large ones are skipped unread. No payload is read here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recording/layout.h"
#include "recording/reader_int.h"
#include "recording/rec_dir.h"

#define WINDOW		(64u << 10)
#define MAX_FILES	100000u

struct pending {
	char *path;
	struct tl_rec_file_info info;
	size_t hdr_len;
	uint64_t size;
	size_t order;			/* in the listing: ties keep it */
};

static ssize_t pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* The header of one file: 0, or -errno with a warning already given. */
static int read_header(struct tl_rec_reader *r, struct pending *p)
{
	uint8_t *buf = malloc(TL_REC_FILE_HDR_MAX);
	const char *why = "unreadable";
	struct stat st;
	ssize_t n;
	int fd, err;

	if (!buf)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO given as PATH must not hang the open */
	fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		tl_rec_reader_warn(r, "%s: %s", p->path, strerror(-err));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EBADMSG;
		tl_rec_reader_warn(r, "%s: not a regular file; skipped", p->path);
		goto cleanup;
	}
	p->size = (uint64_t)st.st_size;
	n = pread_full(fd, buf, TL_REC_FILE_HDR_MAX, 0);
	if (n < 0) {
		err = (int)n;
		tl_rec_reader_warn(r, "%s: %s", p->path, strerror(-err));
		goto cleanup;
	}
	err = tl_rec_file_hdr_unpack(buf, (size_t)n, &p->hdr_len, &p->info, &why);
	if (err == -EAGAIN) {
		why = "file header truncated";
		err = -EBADMSG;
	}
	if (err)
		tl_rec_reader_warn(r, "%s: %s; the file is skipped", p->path, why);
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

static int pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->info.start_ns != y->info.start_ns)
		return x->info.start_ns < y->info.start_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int add_chunk(struct tl_rec_reader *r, const struct tl_rec_rchunk *c, size_t *cap)
{
	if (r->nchunks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct tl_rec_rchunk *more = realloc(r->chunks, ncap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		r->chunks = more;
		*cap = ncap;
	}
	r->chunks[r->nchunks++] = *c;
	return 0;
}

/* The chunk headers of file fi, up to the first bad or torn one. */
static int walk_chunks(struct tl_rec_reader *r, unsigned fi, const struct pending *p, size_t *cap)
{
	uint8_t *win = malloc(WINDOW);
	uint64_t off = p->hdr_len, win_off = 0, win_len = 0;
	struct tl_rec_rfile *f = &r->files[fi];
	int fd, err = 0;

	if (!win)
		return -ENOMEM;
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		tl_rec_reader_warn(r, "%s: %s", f->path, strerror(errno));
		goto cleanup;
	}
	f->first_chunk = r->nchunks;
	for (uint32_t seq = 0; off < p->size; seq++) {
		struct tl_rec_chunk_hdr h;
		struct tl_rec_rchunk c;
		const char *why;

		if (off + TL_REC_CHUNK_HDR > p->size) {
			tl_rec_reader_warn(r, "%s: chunk %u at byte %llu: torn header (file truncated)",
					   f->path, seq, (unsigned long long)off);
			break;
		}
		if (off < win_off || off + TL_REC_CHUNK_HDR > win_off + win_len) {
			ssize_t n = pread_full(fd, win, WINDOW, off);

			if (n < TL_REC_CHUNK_HDR) {
				tl_rec_reader_warn(r, "%s: chunk %u at byte %llu: %s", f->path, seq,
						   (unsigned long long)off,
						   n < 0 ? strerror((int)-n) : "short read");
				break;
			}
			win_off = off;
			win_len = (uint64_t)n;
		}
		if (tl_rec_chunk_hdr_unpack(win + (off - win_off), &h, &why)) {
			tl_rec_reader_warn(r, "%s: chunk %u at byte %llu: %s; the rest of the file is skipped",
					   f->path, seq, (unsigned long long)off, why);
			break;
		}
		if (h.seq != seq) {
			tl_rec_reader_warn(r, "%s: chunk %u at byte %llu: numbered %u; the rest of the file is skipped",
					   f->path, seq, (unsigned long long)off, h.seq);
			break;
		}
		if (off + TL_REC_CHUNK_HDR + h.clen > p->size) {
			tl_rec_reader_warn(r, "%s: chunk %u at byte %llu: torn (file truncated)",
					   f->path, seq, (unsigned long long)off);
			break;
		}
		c = (struct tl_rec_rchunk){
			.off = off, .first_ns = h.first_ns, .last_ns = h.last_ns,
			.clen = h.clen, .ulen = h.ulen, .count = h.count, .crc = h.crc,
			.timed = h.count > 0 && !(h.first_ns == 0 && h.last_ns == 0),
			.file = fi,
		};
		err = add_chunk(r, &c, cap);
		if (err)
			goto cleanup;
		off += TL_REC_CHUNK_HDR + h.clen;
	}
	f->nchunks = r->nchunks - f->first_chunk;
cleanup:
	if (fd >= 0)
		close(fd);
	free(win);
	return err;
}

/* The candidate files: PATH itself, or the *.tlrec files of the directory. */
static int list_files(struct tl_rec_reader *r, const char *path, struct pending **out, size_t *n)
{
	struct tl_rec_dirlist l = { 0 };
	struct pending *v;
	struct stat st;
	int dirfd, err;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		v = calloc(1, sizeof(*v));
		if (!v || !(v->path = strdup(path))) {
			free(v);
			return -ENOMEM;
		}
		*out = v;
		*n = 1;
		return 0;
	}
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	err = tl_rec_dir_list(dirfd, &l);
	close(dirfd);
	if (err)
		return err;
	if (l.n == 0 || l.n > MAX_FILES) {
		tl_rec_dir_free(&l);
		return l.n ? -E2BIG : -ENOENT;
	}
	v = calloc(l.n, sizeof(*v));
	if (!v) {
		tl_rec_dir_free(&l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l.n; i++) {
		size_t len = strlen(path) + 1 + strlen(l.v[i].name) + 1;

		v[i].order = i;
		v[i].path = malloc(len);
		if (!v[i].path) {
			for (size_t j = 0; j < i; j++)
				free(v[j].path);
			free(v);
			tl_rec_dir_free(&l);
			return -ENOMEM;
		}
		snprintf(v[i].path, len, "%s/%s", path, l.v[i].name);
	}
	*out = v;
	*n = l.n;
	tl_rec_dir_free(&l);
	return 0;
}

int tl_rec_reader_index(struct tl_rec_reader *r, const char *path)
{
	struct pending *v = NULL;
	size_t n = 0, good = 0, cap = 0;
	int err, first_err = 0;

	err = list_files(r, path, &v, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		err = read_header(r, &v[i]);
		if (err == -ENOMEM)
			goto cleanup;
		if (err) {
			if (!first_err)
				first_err = err;
			free(v[i].path);
			v[i].path = NULL;
			continue;
		}
		struct pending keep = v[i];

		v[i].path = NULL;
		v[good++] = keep;
	}
	err = 0;
	if (good == 0) {
		/* one file: say what was wrong with it; several: none was readable */
		err = n == 1 && first_err == -EPROTONOSUPPORT ? first_err : -EBADMSG;
		goto cleanup;
	}
	qsort(v, good, sizeof(*v), pending_cmp);
	r->files = calloc(good, sizeof(*r->files));
	if (!r->files) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < good; i++) {
		r->files[i].path = v[i].path;
		r->files[i].info = v[i].info;
		r->files[i].bad_from = SIZE_MAX;
		v[i].path = NULL;
		r->nfiles = (unsigned)i + 1;
		err = walk_chunks(r, (unsigned)i, &v[i], &cap);
		if (err)
			goto cleanup;
	}
	/* seek looks for the first chunk whose running maximum reaches the time:
	 * monotonic even if a chunk's records were out of order */
	for (size_t i = 0; i < r->nchunks; i++) {
		uint64_t prev = i ? r->chunks[i - 1].upto_ns : 0;
		struct tl_rec_rchunk *c = &r->chunks[i];

		c->upto_ns = c->timed && c->last_ns > prev ? c->last_ns : prev;
	}
cleanup:
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	return err;
}
