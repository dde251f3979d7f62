// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A row's failures: counts by result, time to failure, errnos for the detail view. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dest_view_int.h"

/* windowed: only the newest failure, if in the window; the counts come from the seconds */
static void fail_add(struct dv_fail *fd, const struct tl_agg_fail *f, bool windowed,
		     uint64_t since_ns)
{
	uint8_t i;

	if (f->last_ts >= since_ns && f->last_ts >= fd->last_ts) {
		fd->last_ts = f->last_ts;
		fd->last_ns = f->last_ns;
	}
	if (windowed)
		return;
	fd->aborted += f->aborted;
	if (fd->err) {
		for (i = 0; i < f->nerr; i++)
			fd->err[f->err_no[i]] += f->err_n[i];
		fd->err_other += f->err_other;
	}
}

/* The failure codes of one table row's seconds [wstart, wend]. */
static void window_fail_merge(const struct tl_dest_view *v, const struct tl_agg_row *r,
			      struct tl_sketch *sk, struct dv_fail *fd)
{
	unsigned k;

	for (k = 0; k < r->win.n; k++) {
		const struct tl_win_ent *e = tl_win_ring_at(&r->win, k);
		const struct tl_win_bin *b;
		uint16_t j;

		if ((int64_t)e->sec < v->wstart)
			continue;
		if ((int64_t)e->sec > v->wend)
			break;
		if (!e->refused && !e->timeouts && !e->errors)
			continue;	/* no failure that second */
		b = tl_win_ent_bins(e);
		for (j = e->nbins; j > 0 && b[j - 1].idx >= TL_WIN_FAIL_BASE; j--) {
			int code = b[j - 1].idx;

			if (code >= TL_WIN_ERRNO_BASE) {
				if (fd->err)
					fd->err[code - TL_WIN_ERRNO_BASE] += b[j - 1].n;
			} else if (code == TL_WIN_ABORTED) {
				fd->aborted += b[j - 1].n;
			} else {
				/* exact bounds are not kept per second: the bucket's value */
				uint64_t bv = (uint64_t)tl_sketch_bucket_value(code - TL_WIN_FAIL_BASE);

				tl_sketch_add_bucket(sk, code - TL_WIN_FAIL_BASE, b[j - 1].n, bv, bv);
			}
		}
	}
}

struct tl_sketch *dv_row_fail_data(const struct tl_dest_view *v, struct tl_sketch *scratch,
				   uint32_t vr, struct dv_fail *fd)
{
	const struct dv_row *r = &v->rows[vr];
	uint64_t since = v->src_windowed ? (uint64_t)v->wstart * NS : 0;
	uint32_t mem;

	if (!v->src_windowed && r->nmem == 1) {
		struct tl_agg_fail *f = tl_agg_row_fail_rw(v->tab[r->first >> 31],
							   dv_member(v, r->first));

		if (f) {
			fail_add(fd, f, false, 0);
			return &f->sk;
		}
	}
	tl_sketch_reset(scratch);
	for (mem = r->first; mem != DV_NONE; mem = dv_member_next(v, mem)) {
		const struct tl_agg *a = v->tab[mem >> 31];
		const struct tl_agg_row *ar = dv_member(v, mem);
		const struct tl_agg_fail *f = tl_agg_row_fail(a, ar);

		if (v->src_windowed)
			window_fail_merge(v, ar, scratch, fd);
		if (f) {
			fail_add(fd, f, v->src_windowed, since);
			if (!v->src_windowed)
				tl_sketch_merge(scratch, &f->sk);
		}
	}
	return scratch;
}

static int err_cmp(const void *pa, const void *pb, void *ctx)
{
	const uint64_t *n = ctx;
	uint8_t a = *(const uint8_t *)pa, b = *(const uint8_t *)pb;

	if (n[a] != n[b])
		return n[a] > n[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

int tl_dest_view_failures(const struct tl_dest_view *v, size_t i, struct tl_dest_fail *out)
{
	uint64_t err[256] = { 0 }, q[3];
	struct dv_fail fd = { .err = err };
	const struct tl_dest_row *d;
	const struct tl_sketch *sk;
	struct tl_sketch scratch;
	uint8_t order[256];
	uint32_t vr, n = 0;
	int e;

	memset(out, 0, sizeof(*out));
	if (i >= v->n)
		return -ENOENT;
	if (v->held) {
		*out = v->hfail[v->order[i]];
		return v->hfail_ret;
	}
	if (dv_stale(v))
		return -ESTALE;
	vr = v->order[i];
	d = &v->out[vr];
	out->failed = d->connects - d->ok;
	out->refused = d->refused;
	out->timeouts = d->timeouts;
	out->aborted = d->aborted;
	out->errors = d->errors;
	if (!out->failed)
		return 0;
	tl_sketch_init(&scratch);
	sk = dv_row_fail_data(v, &scratch, vr, &fd);
	for (e = 0; e < 256; e++)
		if (err[e])
			order[n++] = (uint8_t)e;
	qsort_r(order, n, 1, err_cmp, err);
	for (e = 0; e < (int)n; e++) {
		if (e < TL_DEST_NERR) {
			out->err_no[e] = order[e];
			out->err_n[e] = err[order[e]];
			out->nerr++;
		} else {
			out->err_other += err[order[e]];
		}
	}
	out->err_other += fd.err_other;
	tl_sketch_quantiles(sk, (const double[]){ 0.5, 0.9, 0.99 }, 3, q);
	out->ttf_min_ns = sk->count ? sk->min : 0;
	out->ttf_p50_ns = q[0];
	out->ttf_p90_ns = q[1];
	out->ttf_p99_ns = q[2];
	out->ttf_max_ns = sk->count ? sk->max : 0;
	tl_sketch_free(&scratch);
	return 0;
}
