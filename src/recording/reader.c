// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Iterating a recording: chunks checked and decompressed one at a time,
 * records decoded, snapshots put together from their parts. See rec_reader.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "recording/layout.h"
#include "recording/reader_int.h"

void tl_rec_reader_warn(struct tl_rec_reader *r, const char *fmt, ...)
{
	char msg[sizeof(r->last_warning)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* paths and reasons may hold anything: one safe line */
	tl_fmt_escape(r->last_warning, sizeof(r->last_warning), msg, sizeof(msg));
	r->warnings++;
	if (r->o.warn)
		r->o.warn(r->o.warn_ctx, r->last_warning);
}

struct tl_rec_reader *tl_rec_reader_open(const char *path, const struct tl_rec_reader_opts *opts)
{
	struct tl_rec_reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts)
		r->o = *opts;
	r->fd = -1;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		err = -ENOMEM;
		goto fail;
	}
	err = tl_rec_reader_index(r, path);
	if (err)
		goto fail;
	return r;
fail:
	tl_rec_reader_free(r);
	errno = -err;
	return NULL;
}

static void snap_reset(struct tl_rec_reader *r)
{
	for (size_t i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	r->nstrs = 0;
	r->str_bytes = 0;
	r->snap.n = 0;
	r->snap_open = false;
}

void tl_rec_reader_free(struct tl_rec_reader *r)
{
	if (!r)
		return;
	snap_reset(r);
	free(r->strs);
	free(r->paths);
	tl_snapshot_free(&r->snap);
	tl_rec_cgmap_free(&r->cg);
	for (unsigned i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	free(r->chunks);
	tl_rec_buf_free(&r->cbuf);
	tl_rec_buf_free(&r->ubuf);
	ZSTD_freeDCtx(r->dctx);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* Chunks of the file of chunk ci from ci on are not read again. */
static void give_up_file(struct tl_rec_reader *r, size_t ci)
{
	struct tl_rec_rfile *f = &r->files[r->chunks[ci].file];

	if (ci < f->bad_from)
		f->bad_from = ci;
	r->next_chunk = f->first_chunk + f->nchunks;
	r->in_chunk = false;
	snap_reset(r);
}

static void bad_chunk(struct tl_rec_reader *r, size_t ci, const char *why)
{
	const struct tl_rec_rchunk *c = &r->chunks[ci];
	const struct tl_rec_rfile *f = &r->files[c->file];

	tl_rec_reader_warn(r, "%s: chunk %zu at byte %llu: %s; the rest of the file is skipped",
			   f->path, ci - f->first_chunk, (unsigned long long)c->off, why);
	give_up_file(r, ci);
}

/* Reads, checks and decompresses chunk ci: 0, -EBADMSG (warned) or -ENOMEM. */
static int load_chunk(struct tl_rec_reader *r, size_t ci)
{
	const struct tl_rec_rchunk *c = &r->chunks[ci];
	size_t want = TL_REC_CHUNK_HDR + c->clen, got = 0;
	struct tl_rec_chunk_hdr h;
	const char *why;
	size_t n;

	if (r->fd < 0 || r->fd_file != c->file) {
		if (r->fd >= 0)
			close(r->fd);
		r->fd = open(r->files[c->file].path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		r->fd_file = c->file;
		if (r->fd < 0) {
			bad_chunk(r, ci, strerror(errno));
			return -EBADMSG;
		}
	}
	r->cbuf.len = r->ubuf.len = 0;
	if (tl_rec_buf_reserve(&r->cbuf, want) || tl_rec_buf_reserve(&r->ubuf, c->ulen + 1))
		return -ENOMEM;
	while (got < want) {
		ssize_t k = pread(r->fd, r->cbuf.p + got, want - got, (off_t)(c->off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			bad_chunk(r, ci, k < 0 ? strerror(errno) : "file shrank");
			return -EBADMSG;
		}
		got += (size_t)k;
	}
	/* the file may have changed since it was indexed */
	if (tl_rec_chunk_hdr_unpack(r->cbuf.p, &h, &why) || h.clen != c->clen || h.ulen != c->ulen) {
		bad_chunk(r, ci, "chunk header changed since opening");
		return -EBADMSG;
	}
	if (tl_rec_crc(r->cbuf.p + TL_REC_CHUNK_HDR, c->clen) != c->crc) {
		bad_chunk(r, ci, "payload CRC mismatch");
		return -EBADMSG;
	}
	n = ZSTD_decompressDCtx(r->dctx, r->ubuf.p, c->ulen + 1, r->cbuf.p + TL_REC_CHUNK_HDR,
				c->clen);
	if (ZSTD_isError(n) || n != c->ulen) {
		bad_chunk(r, ci, ZSTD_isError(n) ? ZSTD_getErrorName(n) : "payload length mismatch");
		return -EBADMSG;
	}
	tl_rec_dec_init(&r->dec, r->ubuf.p, n);
	r->cur = ci;
	r->in_chunk = true;
	return 0;
}

static int snap_grow(struct tl_rec_reader *r, size_t n)
{
	if (n > r->snap.cap) {
		size_t cap = r->snap.cap ? r->snap.cap : 256;
		struct tl_sock *socks;

		while (cap < n)
			cap *= 2;
		socks = realloc(r->snap.socks, cap * sizeof(*socks));
		if (!socks)
			return -ENOMEM;
		r->snap.socks = socks;
		r->snap.cap = cap;
	}
	if (n > r->paths_cap) {
		size_t cap = r->paths_cap ? r->paths_cap : 256;
		const char **paths;

		while (cap < n)
			cap *= 2;
		paths = realloc(r->paths, cap * sizeof(*paths));
		if (!paths)
			return -ENOMEM;
		r->paths = paths;
		r->paths_cap = cap;
	}
	return 0;
}

/* A path of the snapshot, kept until it is replaced: NULL with -ENOMEM or -E2BIG. */
static const char *snap_str(struct tl_rec_reader *r, const struct tl_rec_span *sp, int *err)
{
	char *s;

	if (r->str_bytes + sp->len + 1 > TL_REC_SNAP_PATH_BYTES) {
		*err = -E2BIG;
		return NULL;
	}
	if (r->nstrs == r->capstrs) {
		size_t cap = r->capstrs ? r->capstrs * 2 : 64;
		char **more = realloc(r->strs, cap * sizeof(*more));

		if (!more) {
			*err = -ENOMEM;
			return NULL;
		}
		r->strs = more;
		r->capstrs = cap;
	}
	s = malloc(sp->len + 1);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(s, sp->p, sp->len);
	s[sp->len] = '\0';
	r->strs[r->nstrs++] = s;
	r->str_bytes += sp->len + 1;
	return s;
}

/*
 * A snapshot part: appended if it continues the snapshot being assembled
 * (or starts one). 1 when that completes the snapshot, 0 when not, -EBADMSG
 * (warned), -ENOMEM.
 */
static int snap_part(struct tl_rec_reader *r, struct tl_rec_cur *body)
{
	struct tl_sock s = { 0 };
	struct tl_rec_span sp = { 0 };
	const char *path = NULL;
	uint32_t total, first, count;
	uint64_t ts;
	int err;

	if (tl_rec_dec_snap_head(&r->dec, body, &ts, &total, &first, &count)) {
		bad_chunk(r, r->cur, "malformed snapshot");
		return -EBADMSG;
	}
	if (first == 0) {
		snap_reset(r);
		r->snap_open = true;
		r->snap.ts_ns = ts;
		r->snap_total = total;
		r->snap_file = r->chunks[r->cur].file;
	} else if (!r->snap_open || ts != r->snap.ts_ns || total != r->snap_total ||
		   first != r->snap.n || r->snap_file != r->chunks[r->cur].file) {
		return 0;	/* its start was skipped (a seek): not a whole snapshot */
	}
	/* one more: paths is never NULL, even for an empty snapshot */
	err = snap_grow(r, (size_t)first + count + 1);
	if (err)
		return err;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *before = sp.p;
		size_t before_len = sp.len;

		if (tl_rec_dec_sock(body, &s, &sp)) {
			bad_chunk(r, r->cur, "malformed socket in a snapshot");
			return -EBADMSG;
		}
		if (sp.p != before || sp.len != before_len) {
			err = 0;
			path = sp.len ? snap_str(r, &sp, &err) : NULL;
			if (err == -E2BIG) {
				bad_chunk(r, r->cur, "snapshot paths beyond the limit");
				return -EBADMSG;
			}
			if (err)
				return err;
		}
		r->snap.socks[r->snap.n] = s;
		r->paths[r->snap.n] = path;
		r->snap.n++;
	}
	return r->snap.n == r->snap_total;
}

int tl_rec_reader_next(struct tl_rec_reader *r, struct tl_rec_item *item)
{
	for (;;) {
		struct tl_rec_cur body;
		struct tl_rec_span sp;
		uint64_t id;
		uint8_t type;
		int err;

		if (!r->in_chunk) {
			size_t ci = r->next_chunk;

			if (ci >= r->nchunks)
				return -ENODATA;
			r->next_chunk++;
			if (ci >= r->files[r->chunks[ci].file].bad_from) {
				give_up_file(r, ci);
				continue;
			}
			if (ci > 0 && r->chunks[ci - 1].file != r->chunks[ci].file)
				snap_reset(r);	/* snapshots do not span files */
			err = load_chunk(r, ci);
			if (err == -ENOMEM)
				return err;
			continue;
		}
		err = tl_rec_dec_next(&r->dec, &type, &body);
		if (err == -ENODATA) {
			r->in_chunk = false;
			if (r->dec.count != r->chunks[r->cur].count)
				bad_chunk(r, r->cur, "record count mismatch");
			continue;
		}
		if (err) {
			bad_chunk(r, r->cur, "malformed record framing");
			continue;
		}
		memset(item, 0, sizeof(*item));
		item->file = r->chunks[r->cur].file;
		switch (type) {
		case TL_REC_T_EVENT:
			if (tl_rec_dec_event(&r->dec, &body, &item->rec)) {
				bad_chunk(r, r->cur, "malformed event");
				continue;
			}
			item->type = TL_REC_ITEM_RECORD;
			item->ts_ns = item->rec.ts_ns;
			return 0;
		case TL_REC_T_DROPS:
			if (tl_rec_dec_drops(&r->dec, &body, &item->ts_ns, &item->drops)) {
				bad_chunk(r, r->cur, "malformed drop counters");
				continue;
			}
			item->type = TL_REC_ITEM_DROPS;
			return 0;
		case TL_REC_T_CGROUP:
			if (tl_rec_dec_cgroup(&body, &id, &sp)) {
				bad_chunk(r, r->cur, "malformed cgroup mapping");
				continue;
			}
			err = tl_rec_cgmap_put(r, id, sp.p, sp.len);
			if (err)
				return err;
			continue;
		case TL_REC_T_SNAP:
			err = snap_part(r, &body);
			if (err == -ENOMEM)
				return err;
			if (err != 1)
				continue;
			item->type = TL_REC_ITEM_SNAPSHOT;
			item->ts_ns = r->snap.ts_ns;
			item->snap = &r->snap;
			item->paths = r->paths;
			r->snap_open = false;
			return 0;
		default:
			continue;	/* a later version's record: skipped by its length */
		}
	}
}

int tl_rec_reader_seek(struct tl_rec_reader *r, uint64_t wall_ns)
{
	size_t lo = 0, hi = r->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->chunks[mid].upto_ns >= wall_ns)
			hi = mid;
		else
			lo = mid + 1;
	}
	r->next_chunk = lo;
	r->in_chunk = false;
	snap_reset(r);
	return 0;
}

int tl_rec_reader_span(const struct tl_rec_reader *r, uint64_t *first_ns, uint64_t *last_ns)
{
	bool any = false;

	for (size_t i = 0; i < r->nchunks; i++) {
		const struct tl_rec_rchunk *c = &r->chunks[i];

		if (!c->timed)
			continue;
		if (!any || c->first_ns < *first_ns)
			*first_ns = c->first_ns;
		if (!any || c->last_ns > *last_ns)
			*last_ns = c->last_ns;
		any = true;
	}
	return any ? 0 : -ENODATA;
}

const char *tl_rec_reader_cgroup_path(void *ctx, uint64_t id)
{
	const struct tl_rec_reader *r = ctx;

	return tl_rec_cgmap_get(&r->cg, id);
}

unsigned tl_rec_reader_files(const struct tl_rec_reader *r)
{
	return r->nfiles;
}

const struct tl_rec_file_info *tl_rec_reader_file_info(const struct tl_rec_reader *r, unsigned i)
{
	return i < r->nfiles ? &r->files[i].info : NULL;
}

const char *tl_rec_reader_file_path(const struct tl_rec_reader *r, unsigned i)
{
	return i < r->nfiles ? r->files[i].path : NULL;
}

size_t tl_rec_reader_chunks(const struct tl_rec_reader *r)
{
	return r->nchunks;
}

unsigned long tl_rec_reader_warnings(const struct tl_rec_reader *r)
{
	return r->warnings;
}

const char *tl_rec_reader_last_warning(const struct tl_rec_reader *r)
{
	return r->warnings ? r->last_warning : NULL;
}
