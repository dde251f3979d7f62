// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A row's numbers over the view's window: its members merged, its quantiles and histogram. */
#include <stddef.h>
#include <string.h>

#include "dest_view_int.h"

static void stats_add(struct tl_agg_stats *st, const struct tl_agg_stats *s, bool has_ok,
		      bool *st_has_ok)
{
	st->connects += s->connects;
	st->refused += s->refused;
	st->timeouts += s->timeouts;
	st->errors += s->errors;
	if (s->last_ts > st->last_ts)
		st->last_ts = s->last_ts;
	if (has_ok && (!*st_has_ok || s->last_ok_ts > st->last_ok_ts)) {
		st->last_ok_ts = s->last_ok_ts;
		st->last_ok_ns = s->last_ok_ns;
		*st_has_ok = true;
	}
}

/* A value of the second of ts is shown: recompute the row when that second leaves. */
static void wexp_note(struct dv_wexp *x, uint64_t ts)
{
	if ((int64_t)(ts / NS) < x->wmin)
		x->wmin = (int64_t)(ts / NS);
}

/* Merge one table row's seconds [wstart, wend] into sk and st. */
static void window_merge(const struct tl_dest_view *v, const struct tl_agg_row *r,
			 struct tl_sketch *sk, struct tl_agg_stats *st, struct dv_wexp *x)
{
	unsigned k;

	for (k = 0; k < r->win.n; k++) {
		const struct tl_win_ent *e = tl_win_ring_at(&r->win, k);
		const struct tl_win_bin *b;
		uint16_t j;

		if ((int64_t)e->sec < v->wstart)
			continue;
		if ((int64_t)e->sec > v->wend) {
			if ((int64_t)e->sec < x->wnext)
				x->wnext = e->sec;
			break;
		}
		if ((int64_t)e->sec < x->wmin)
			x->wmin = e->sec;
		st->connects += e->connects;
		st->refused += e->refused;
		st->timeouts += e->timeouts;
		st->errors += e->errors;
		b = tl_win_ent_bins(e);
		/* latencies first, then failure codes (window.h) */
		for (j = 0; j < e->nbins && b[j].idx < TL_WIN_FAIL_BASE; j++)
			tl_sketch_add_bucket(sk, b[j].idx, b[j].n, e->min_ns, e->max_ns);
	}
	/*
	 * The newest connect overall is in the window iff any connect is. Its
	 * second may be missing from the ring (reported a minute late while
	 * the window trails the newest second, or out of memory): count it in
	 * wmin too, so that the row is computed again when it leaves.
	 */
	if (r->st.last_ts >= (uint64_t)v->wstart * NS && r->st.last_ts > st->last_ts) {
		st->last_ts = r->st.last_ts;
		wexp_note(x, r->st.last_ts);
	}
	if (r->st.last_ok_ts >= (uint64_t)v->wstart * NS && r->st.last_ok_ts > st->last_ok_ts) {
		st->last_ok_ts = r->st.last_ok_ts;
		st->last_ok_ns = r->st.last_ok_ns;
		wexp_note(x, r->st.last_ok_ts);
	}
}

struct tl_sketch *dv_row_data(const struct tl_dest_view *v, struct tl_sketch *scratch,
			      uint32_t vr, struct tl_agg_stats *st, struct dv_wexp *x)
{
	const struct dv_row *r = &v->rows[vr];
	bool has_ok = false;
	uint32_t mem;

	memset(st, 0, sizeof(*st));
	x->wmin = x->wnext = INT64_MAX;
	if (!v->src_windowed && r->nmem == 1) {
		struct tl_agg_row *ar = dv_member(v, r->first);

		*st = ar->st;
		return &ar->sk;
	}
	tl_sketch_reset(scratch);
	for (mem = r->first; mem != DV_NONE; mem = dv_member_next(v, mem)) {
		const struct tl_agg_row *ar = dv_member(v, mem);

		if (v->src_windowed) {
			window_merge(v, ar, scratch, st, x);
		} else {
			stats_add(st, &ar->st, ar->sk.count > 0, &has_ok);
			tl_sketch_merge(scratch, &ar->sk);
		}
	}
	return scratch;
}

void dv_compute_row(struct tl_dest_view *v, uint32_t vr)
{
	const struct dv_row *r = &v->rows[vr];
	struct tl_dest_row *d = &v->out[vr];
	struct tl_sketch *sk;
	struct tl_agg_stats st;
	uint64_t q[3];

	sk = dv_row_data(v, &v->scratch, vr, &st, &v->wexp[vr]);
	memset(d, 0, sizeof(*d));
	d->family = r->key.family;
	d->is_other = r->is_other;
	d->owner_known = r->key.owner_known;
	memcpy(d->addr, r->key.addr, sizeof(d->addr));
	d->port = r->key.port;
	d->pid = r->key.pid;
	memcpy(d->comm, r->key.comm, sizeof(d->comm));
	d->cgroup_id = r->key.cgroup_id;
	d->connects = st.connects;
	d->refused = st.refused;
	d->timeouts = st.timeouts;
	d->errors = st.errors;
	d->ok = sk->count;
	/* from the cursors kept in the sketch (the table's, or scratch) */
	tl_sketch_p50_p90_p99(sk, q);
	d->p50_ns = q[0];
	d->p90_ns = q[1];
	d->p99_ns = q[2];
	d->min_ns = sk->count ? sk->min : 0;
	d->max_ns = sk->count ? sk->max : 0;
	d->last_ns = st.last_ok_ns;
	d->last_ts_ns = st.last_ts;
	d->hist_lo_ns = d->min_ns;
	d->hist_hi_ns = d->max_ns;
	if (st.connects > d->ok) {
		struct dv_fail fd = { 0 };

		sk = dv_row_fail_data(v, &v->fscratch, vr, &fd);
		d->aborted = fd.aborted <= d->errors ? fd.aborted : d->errors;
		d->errors -= d->aborted;
		if (!d->ok) {
			tl_sketch_p50_p90_p99(sk, q);
			d->ttf_p50_ns = q[0];
			d->ttf_p90_ns = q[1];
			d->ttf_p99_ns = q[2];
			d->ttf_max_ns = sk->count ? sk->max : 0;
			d->ttf_last_ns = fd.last_ns;
			/* the newest failure, like the newest connect (window_merge) */
			if (v->src_windowed && fd.last_ts)
				wexp_note(&v->wexp[vr], fd.last_ts);
		}
	}
	v->rows[vr].hist_ok = 0;
	dv_set_sval(v, vr);
}

/*
 * Many dirty rows: visit them in row order, so that the view's arrays and
 * the table's rows (made in the same order) are read front to back, which
 * the hardware prefetches and which keeps page-table walks few.
 */
void dv_order_dirty(struct tl_dest_view *v)
{
	size_t i, n = 0;

	if (v->ndirty < 64 || v->ndirty < v->nrows / 16)
		return;
	for (i = 0; i < v->nrows; i++)
		if (v->sflag[i] & DV_DIRTY)
			v->dirty[n++] = (uint32_t)i;
	v->ndirty = n;
}

/*
 * The dirty rows are scattered over memory: start the loads of rows a few
 * steps ahead, each stage needing what the stage before it loaded (view
 * row, then table row, then the buckets at the sketch's cursors).
 */
#define DV_AHEAD 16

void dv_prefetch_ahead(const struct tl_dest_view *v, size_t i)
{
	const struct dv_row *r;

	if (i + 2 * DV_AHEAD < v->ndirty) {
		tl_prefetch(&v->rows[v->dirty[i + 2 * DV_AHEAD]]);
		tl_prefetch(&v->out[v->dirty[i + 2 * DV_AHEAD]]);
	}
	if (v->src_windowed)
		return;
	if (i + DV_AHEAD < v->ndirty) {
		r = &v->rows[v->dirty[i + DV_AHEAD]];
		if (r->nmem == 1) {
			const char *ar = (const char *)dv_member(v, r->first);

			tl_prefetch(ar + offsetof(struct tl_agg_row, st));
			tl_prefetch(ar + offsetof(struct tl_agg_row, sk));
			tl_prefetch(ar + sizeof(struct tl_agg_row) - 1);
		}
	}
	if (i + DV_AHEAD / 2 < v->ndirty) {
		r = &v->rows[v->dirty[i + DV_AHEAD / 2]];
		if (r->nmem == 1)
			tl_sketch_prefetch_cursors(&dv_member(v, r->first)->sk);
	}
}

/*
 * The histogram is a cache of the row, filled here (model.h says why a
 * const view may): it is written in v->out and v->rows, the arrays the
 * view points to, never in the view itself, and merged (when the row has
 * several members or a window) into a sketch of its own, as the quantile
 * below is.
 */
const struct tl_dest_row *tl_dest_view_get(const struct tl_dest_view *v, size_t i)
{
	uint32_t vr;

	if (i >= v->n)
		return NULL;
	vr = v->order[i];
	/* stale: the histogram stays empty (unknown) until the next update */
	if (!v->rows[vr].hist_ok && !dv_stale(v)) {
		struct tl_dest_row *d = &v->out[vr];
		struct tl_agg_stats st;
		struct tl_sketch scratch;
		struct dv_wexp x;

		tl_sketch_init(&scratch);
		tl_sketch_histogram(dv_row_data(v, &scratch, vr, &st, &x), d->hist_lo_ns,
				    d->hist_hi_ns, d->hist, TL_HIST_BINS);
		tl_sketch_free(&scratch);
		v->rows[vr].hist_ok = 1;
	}
	return &v->out[vr];
}

uint64_t tl_dest_view_quantile(const struct tl_dest_view *v, size_t i, double q)
{
	struct tl_agg_stats st;
	struct tl_sketch sk;
	struct dv_wexp x;
	uint64_t val;

	if (i >= v->n)
		return 0;
	/* held quantiles were read at hold: a fold since cannot make them wrong */
	if (v->held) {
		int k;

		for (k = 0; k < v->hnq; k++)
			if (v->hq[k] == q)
				return v->hquant[(size_t)v->order[i] * v->hnq + k];
		return 0;
	}
	if (dv_stale(v))
		return 0;
	tl_sketch_init(&sk);
	val = tl_sketch_quantile(dv_row_data(v, &sk, v->order[i], &st, &x), q);
	tl_sketch_free(&sk);
	return val;
}
