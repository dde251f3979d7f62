// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The connect-latency panel: one row per key of a grouping, over a window.
 *
 * A view row is made of one or more table rows (its members). Without a
 * filter, destination and process rows are the model's own table rows;
 * address and port rows merge the destination rows that share the address
 * (or port), plus the model's overflow table for destinations folded into
 * "other". With a filter, rows come from a private table fed with the
 * retained connects that match (since start: built once from what the
 * connect ring still holds, then fed every new connect; windows: rebuilt
 * when the window moves).
 *
 * Each computed row is cached. An update recomputes only the rows whose
 * members appear in the tables' touch logs since the last update, plus,
 * for windows, the rows whose oldest counted second has just left the
 * window. The order is kept between updates and rebuilt (a radix sort on
 * a fixed-width key) only when a row changed or the order was changed.
 * hist[] is filled on the first tl_dest_view_get of a row after it changed,
 * so only rows that are displayed pay for it.
 *
 * A table row folded into "other" to make room is given to a new key: the
 * rows are then remade from the tables, as on a change of grouping.
 *
 * Failures are read only for rows that have some: their counts by result
 * always, their time to failure only for rows with no ok connect (what the
 * latency columns show then), their errnos only for the detail view.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "filter.h"
#include "model_int.h"
#include "sortkey.h"

#define NS 1000000000ULL
/* connects reach the ring in arrival order; allow this much disorder in ts */
#define DV_TS_SLACK_NS (5 * NS)
#define DV_NONE UINT32_MAX
#define DV_MEM(t, id) (((uint32_t)(t) << 31) | (uint32_t)(id))
/* sort entries: is_other, 8-byte value, 4-byte key rank; then the row id */
#define DV_KEYLEN 13
#define DV_STRIDE 20
#define DV_LIVE 1		/* the row has connects: it is shown */
#define DV_OTHER 2
#define DV_DIRTY 4		/* in the dirty list */

#define TL_DV_HOLD_NQ 16	/* quantiles a held view keeps per row */

struct dv_row {
	struct tl_agg_key key;
	uint8_t is_other;
	uint8_t hist_ok;
	uint32_t first;		/* first member (DV_MEM), chained through next[] */
	uint32_t nmem;
};

/* Windowed: recompute when the window starts after wmin or reaches wnext. */
struct dv_wexp {
	int64_t wmin, wnext;
};

struct tl_dest_view {
	const struct tl_model *m;
	bool built;
	enum tl_group group;
	enum tl_window win;
	char *ftext;		/* NULL: no filter */
	enum tl_dcol sort;
	bool desc;
	int64_t wstart, wend;	/* seconds of the window, when windowed */
	int64_t last_wstart, last_wend;
	/* filtered: a private table */
	struct tl_agg *fagg;
	uint64_t fbuilt_total;
	int64_t fwstart, fwend;
	/* the tables rows are made of */
	const struct tl_agg *tab[2];
	int ntab;
	bool derived;		/* rows merge table rows by a coarser key */
	bool src_windowed;	/* rows are merges of window entries */
	bool fresh;		/* rows were reset: start the logs from now */
	uint64_t cursor[2];	/* touch log read up to */
	uint32_t mapped[2];	/* table rows given a view row */
	uint32_t *map[2];	/* table row -> view row, DV_NONE if none */
	uint32_t *next[2];	/* next member of the same view row */
	size_t mcap[2];
	/* rows */
	struct dv_row *rows;
	struct dv_wexp *wexp;
	struct tl_dest_row *out;
	uint32_t *dirty;
	uint32_t *keyorder, *keyrank, *order;
	/*
	 * Each row's sort value and flags (DV_LIVE, DV_OTHER) as of sval_sort
	 * and sval_desc, so a sort reads two small arrays, not every row; the
	 * flags also hold DV_DIRTY, which the logs set for thousands of rows
	 * per refresh: a byte each keeps that in the cache.
	 */
	uint64_t *sval;
	uint8_t *sflag;
	enum tl_dcol sval_sort;
	bool sval_desc, sval_ok;
	uint8_t *sbuf, *stmp;
	size_t nrows, rcap, ndirty, nkeyed, n;
	uint32_t nreal;		/* rows other than "other" */
	uint32_t other;		/* view row of "other", DV_NONE if none */
	uint32_t *khash;	/* derived: view row + 1 by key, open addressing */
	uint32_t kmask;
	bool need_sort;
	struct tl_sketch scratch, fscratch;
	const struct tl_agg *folds_tab[2];	/* the tables, and their folds, at the last update */
	uint64_t folds_seen[2];
	/* held (paused): hquant[vr * hnq + k] is quantile hq[k] of row vr */
	bool held;
	int hnq;
	double hq[TL_DV_HOLD_NQ];
	uint64_t *hquant;
	/* held: each row's failures by view row, read at hold like the quantiles */
	struct tl_dest_fail *hfail;
	int hfail_ret;
	tl_cgroup_path_fn cg_fn;	/* the unit grouping's names */
	void *cg_ctx;
};

struct tl_dest_view *tl_dest_view_new(void)
{
	struct tl_dest_view *v = calloc(1, sizeof(*v));

	if (v) {
		tl_sketch_init(&v->scratch);
		tl_sketch_init(&v->fscratch);
	}
	return v;
}

void tl_dest_view_free(struct tl_dest_view *v)
{
	int t;

	if (!v)
		return;
	free(v->ftext);
	tl_agg_free(v->fagg);
	for (t = 0; t < 2; t++) {
		free(v->map[t]);
		free(v->next[t]);
	}
	free(v->rows);
	free(v->wexp);
	free(v->out);
	free(v->dirty);
	free(v->keyorder);
	free(v->keyrank);
	free(v->order);
	free(v->sval);
	free(v->sflag);
	free(v->sbuf);
	free(v->stmp);
	free(v->khash);
	tl_sketch_free(&v->scratch);
	free(v->hquant);
	free(v->hfail);
	tl_sketch_free(&v->fscratch);
	free(v);
}

static void reset_rows(struct tl_dest_view *v)
{
	v->nrows = v->ndirty = v->nkeyed = v->n = 0;
	v->nreal = 0;
	v->other = DV_NONE;
	v->mapped[0] = v->mapped[1] = 0;
	if (v->khash)
		memset(v->khash, 0, ((size_t)v->kmask + 1) * sizeof(*v->khash));
	v->fresh = true;
	v->need_sort = true;
	v->sval_ok = false;
}

static int grow(void **p, size_t n, size_t sz)
{
	void *np = realloc(*p, n * sz);

	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

static int reserve_rows(struct tl_dest_view *v, size_t n)
{
	size_t ncap;

	if (n <= v->rcap)
		return 0;
	ncap = v->rcap ? v->rcap * 2 : 256;
	while (ncap < n)
		ncap *= 2;
	if (grow((void **)&v->rows, ncap, sizeof(*v->rows)) ||
	    grow((void **)&v->wexp, ncap, sizeof(*v->wexp)) ||
	    grow((void **)&v->out, ncap, sizeof(*v->out)) ||
	    grow((void **)&v->dirty, ncap, sizeof(*v->dirty)) ||
	    grow((void **)&v->keyorder, ncap, sizeof(*v->keyorder)) ||
	    grow((void **)&v->keyrank, ncap, sizeof(*v->keyrank)) ||
	    grow((void **)&v->order, ncap, sizeof(*v->order)) ||
	    grow((void **)&v->sval, ncap, sizeof(*v->sval)) ||
	    grow((void **)&v->sflag, ncap, sizeof(*v->sflag)) ||
	    grow((void **)&v->sbuf, ncap, DV_STRIDE) ||
	    grow((void **)&v->stmp, ncap, DV_STRIDE))
		return -ENOMEM;
	v->rcap = ncap;
	return 0;
}

static int reserve_members(struct tl_dest_view *v, int t, size_t n)
{
	size_t ncap;

	if (n <= v->mcap[t])
		return 0;
	ncap = v->mcap[t] ? v->mcap[t] * 2 : 256;
	while (ncap < n)
		ncap *= 2;
	if (grow((void **)&v->map[t], ncap, sizeof(uint32_t)) ||
	    grow((void **)&v->next[t], ncap, sizeof(uint32_t)))
		return -ENOMEM;
	v->mcap[t] = ncap;
	return 0;
}

static void mark_dirty(struct tl_dest_view *v, uint32_t vr)
{
	if (!(v->sflag[vr] & DV_DIRTY)) {
		v->sflag[vr] |= DV_DIRTY;
		v->dirty[v->ndirty++] = vr;
	}
}

static int64_t new_row(struct tl_dest_view *v, const struct tl_agg_key *k, uint8_t is_other)
{
	struct dv_row *r;

	if (reserve_rows(v, v->nrows + 1))
		return -ENOMEM;
	r = &v->rows[v->nrows];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	r->is_other = is_other;
	r->first = DV_NONE;
	v->wexp[v->nrows].wmin = v->wexp[v->nrows].wnext = INT64_MAX;
	memset(&v->out[v->nrows], 0, sizeof(v->out[0]));
	v->sflag[v->nrows] = 0;
	v->sval[v->nrows] = 0;
	if (is_other)
		v->other = (uint32_t)v->nrows;
	else
		v->nreal++;
	return (int64_t)v->nrows++;
}

static int64_t other_row(struct tl_dest_view *v)
{
	struct tl_agg_key none;

	if (v->other != DV_NONE)
		return v->other;
	memset(&none, 0, sizeof(none));
	return new_row(v, &none, 1);
}

static int khash_grow(struct tl_dest_view *v)
{
	uint32_t nmask = v->kmask ? v->kmask * 2 + 1 : 1023, i, p;
	uint32_t *nh = calloc((size_t)nmask + 1, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i < v->nrows; i++) {
		if (v->rows[i].is_other)
			continue;
		for (p = tl_agg_hash(&v->rows[i].key) & nmask; nh[p]; p = (p + 1) & nmask)
			;
		nh[p] = i + 1;
	}
	free(v->khash);
	v->khash = nh;
	v->kmask = nmask;
	return 0;
}

/* The derived row for key k; past max_dests, "other". */
static int64_t derived_row(struct tl_dest_view *v, const struct tl_agg_key *k)
{
	uint32_t p;
	int64_t vr;

	if ((v->nreal + 1) * 2 > v->kmask + 1 && khash_grow(v))
		return -ENOMEM;
	for (p = tl_agg_hash(k) & v->kmask; v->khash[p]; p = (p + 1) & v->kmask)
		if (!memcmp(&v->rows[v->khash[p] - 1].key, k, sizeof(*k)))
			return v->khash[p] - 1;
	if (v->nreal >= v->m->cfg.max_dests)
		return other_row(v);
	vr = new_row(v, k, 0);
	if (vr >= 0)
		v->khash[p] = (uint32_t)vr + 1;
	return vr;
}

/* Give every new table row its view row. */
static int sync_rows(struct tl_dest_view *v)
{
	int t;

	for (t = 0; t < v->ntab; t++) {
		const struct tl_agg *a = v->tab[t];
		uint32_t id;

		if (reserve_members(v, t, a->nrows))
			return -ENOMEM;
		for (id = v->mapped[t]; id < a->nrows; id++) {
			const struct tl_agg_row *ar = &a->rows[id];
			int64_t vr;

			if (!v->derived) {
				vr = new_row(v, &ar->key, ar->is_other);
			} else if (ar->is_other) {
				/* the destinations' other is counted again in the overflow table */
				vr = t == 0 ? (int64_t)DV_NONE : other_row(v);
			} else {
				struct tl_agg_key k = ar->key;

				if (v->group == TL_GROUP_ADDR) {
					k.port = 0;
				} else {
					k.family = 0;
					memset(k.addr, 0, sizeof(k.addr));
				}
				vr = derived_row(v, &k);
			}
			if (vr < 0)
				return (int)vr;
			v->map[t][id] = (uint32_t)vr;
			v->next[t][id] = DV_NONE;
			if ((uint32_t)vr == DV_NONE)
				continue;
			v->next[t][id] = v->rows[vr].first;
			v->rows[vr].first = DV_MEM(t, id);
			v->rows[vr].nmem++;
			mark_dirty(v, (uint32_t)vr);
		}
		v->mapped[t] = a->nrows;
	}
	return 0;
}

static void mark_all_dirty(struct tl_dest_view *v)
{
	size_t i;

	for (i = 0; i < v->nrows; i++)
		mark_dirty(v, (uint32_t)i);
}

/* Rows touched since the last update, from the tables' logs. */
static void read_logs(struct tl_dest_view *v)
{
	int t;

	for (t = 0; t < v->ntab; t++) {
		const struct tl_agg *a = v->tab[t];
		uint64_t s;

		if (v->fresh) {
			v->cursor[t] = a->log_total;
			((struct tl_agg *)a)->log_read = a->log_total;
			continue;
		}
		if (a->log_total - v->cursor[t] > TL_AGG_LOG_LEN) {
			/* the log wrapped since the last look */
			mark_all_dirty(v);
		} else {
			/* from the last entry already read: a run of connects to its
			 * row may have grown since without a new entry */
			for (s = v->cursor[t] ? v->cursor[t] - 1 : 0; s < a->log_total; s++) {
				uint32_t vr = v->map[t][a->log[s & (TL_AGG_LOG_LEN - 1)]];

				if (vr != DV_NONE)
					mark_dirty(v, vr);
			}
		}
		v->cursor[t] = a->log_total;
		/*
		 * The next touch of the last row read must be logged again. The
		 * tables are never const where they are made (see tl_model_flush).
		 */
		((struct tl_agg *)a)->log_read = a->log_total;
	}
	v->fresh = false;
}

static const struct tl_agg_row *member(const struct tl_dest_view *v, uint32_t mem)
{
	return &v->tab[mem >> 31]->rows[mem & 0x7fffffffu];
}

static uint32_t member_next(const struct tl_dest_view *v, uint32_t mem)
{
	return v->next[mem >> 31][mem & 0x7fffffffu];
}

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
	/* the newest connect overall is in the window iff any connect is */
	if (r->st.last_ts >= (uint64_t)v->wstart * NS && r->st.last_ts > st->last_ts)
		st->last_ts = r->st.last_ts;
	if (r->st.last_ok_ts >= (uint64_t)v->wstart * NS && r->st.last_ok_ts > st->last_ok_ts) {
		st->last_ok_ts = r->st.last_ok_ts;
		st->last_ok_ns = r->st.last_ok_ns;
	}
}

/*
 * Row vr's statistics and latency sketch over the view's window: a member's
 * own sketch when that is the whole answer, else merged into scratch.
 */
static const struct tl_sketch *row_data(const struct tl_dest_view *v, struct tl_sketch *scratch,
					uint32_t vr, struct tl_agg_stats *st, struct dv_wexp *x)
{
	const struct dv_row *r = &v->rows[vr];
	bool has_ok = false;
	uint32_t mem;

	memset(st, 0, sizeof(*st));
	x->wmin = x->wnext = INT64_MAX;
	if (!v->src_windowed && r->nmem == 1) {
		const struct tl_agg_row *ar = member(v, r->first);

		*st = ar->st;
		return &ar->sk;
	}
	tl_sketch_reset(scratch);
	for (mem = r->first; mem != DV_NONE; mem = member_next(v, mem)) {
		const struct tl_agg_row *ar = member(v, mem);

		if (v->src_windowed) {
			window_merge(v, ar, scratch, st, x);
		} else {
			stats_add(st, &ar->st, ar->sk.count > 0, &has_ok);
			tl_sketch_merge(scratch, &ar->sk);
		}
	}
	return scratch;
}

/* A row's failures: what row_fail_data gathers. */
struct dv_fail {
	uint64_t aborted;
	uint64_t last_ts, last_ns;	/* newest failed connect, its time to failure */
	uint64_t *err;			/* [256] by errno, or NULL: not wanted */
	uint64_t err_other;
};

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

/*
 * Row vr's failures over the view's window, and the sketch of its times
 * to failure: a member's own when that is the whole answer, else merged
 * into scratch.
 */
static const struct tl_sketch *row_fail_data(const struct tl_dest_view *v, struct tl_sketch *scratch,
					     uint32_t vr, struct dv_fail *fd)
{
	const struct dv_row *r = &v->rows[vr];
	uint64_t since = v->src_windowed ? (uint64_t)v->wstart * NS : 0;
	uint32_t mem;

	if (!v->src_windowed && r->nmem == 1) {
		const struct tl_agg *a = v->tab[r->first >> 31];
		const struct tl_agg_fail *f = tl_agg_row_fail(a, member(v, r->first));

		if (f) {
			fail_add(fd, f, false, 0);
			return &f->sk;
		}
	}
	tl_sketch_reset(scratch);
	for (mem = r->first; mem != DV_NONE; mem = member_next(v, mem)) {
		const struct tl_agg *a = v->tab[mem >> 31];
		const struct tl_agg_row *ar = member(v, mem);
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

/* What the latency columns show: the latency, or with no ok connect the time to failure. */
static uint64_t shown(const struct tl_dest_row *d, uint64_t lat, uint64_t ttf)
{
	return d->ok ? lat : ttf;
}

static uint64_t sort_value(const struct tl_dest_view *v, uint32_t vr);

static void set_sval(struct tl_dest_view *v, uint32_t vr)
{
	v->sflag[vr] = (uint8_t)((v->sflag[vr] & DV_DIRTY) | (v->out[vr].connects ? DV_LIVE : 0) |
				 (v->rows[vr].is_other ? DV_OTHER : 0));
	/* the key column's value is the key rank, which may not be known yet */
	if (v->sort != TL_DCOL_KEY)
		v->sval[vr] = sort_value(v, vr);
}

static void compute_row(struct tl_dest_view *v, uint32_t vr)
{
	const struct dv_row *r = &v->rows[vr];
	struct tl_dest_row *d = &v->out[vr];
	const struct tl_sketch *sk;
	struct tl_agg_stats st;
	uint64_t q[3];

	sk = row_data(v, &v->scratch, vr, &st, &v->wexp[vr]);
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
	/*
	 * The cursors are a cache in the table's sketch: tables are never
	 * const where they are made (see tl_model_flush).
	 */
	tl_sketch_p50_p90_p99((struct tl_sketch *)sk, q);
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

		sk = row_fail_data(v, &v->fscratch, vr, &fd);
		d->aborted = fd.aborted <= d->errors ? fd.aborted : d->errors;
		d->errors -= d->aborted;
		if (!d->ok) {
			tl_sketch_p50_p90_p99((struct tl_sketch *)sk, q);
			d->ttf_p50_ns = q[0];
			d->ttf_p90_ns = q[1];
			d->ttf_p99_ns = q[2];
			d->ttf_max_ns = sk->count ? sk->max : 0;
			d->ttf_last_ns = fd.last_ns;
		}
	}
	v->rows[vr].hist_ok = 0;
	set_sval(v, vr);
}

/*
 * Many dirty rows: visit them in row order, so that the view's arrays and
 * the table's rows (made in the same order) are read front to back, which
 * the hardware prefetches and which keeps page-table walks few.
 */
static void order_dirty(struct tl_dest_view *v)
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

static void prefetch_ahead(const struct tl_dest_view *v, size_t i)
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
			const char *ar = (const char *)member(v, r->first);

			tl_prefetch(ar + offsetof(struct tl_agg_row, st));
			tl_prefetch(ar + offsetof(struct tl_agg_row, sk));
			tl_prefetch(ar + sizeof(struct tl_agg_row) - 1);
		}
	}
	if (i + DV_AHEAD / 2 < v->ndirty) {
		r = &v->rows[v->dirty[i + DV_AHEAD / 2]];
		if (r->nmem == 1)
			tl_sketch_prefetch_cursors(&member(v, r->first)->sk);
	}
}

static int feed(struct tl_agg *a, const struct tl_conn *c, const struct tl_filter *f)
{
	struct tl_subject s;

	tl_subject_from_conn(&s, c);
	if (!tl_filter_match_subject(f, &s))
		return 0;
	return tl_agg_add(a, c, tl_sketch_index(c->lat_ns)) < 0 ? -ENOMEM : 0;
}

/* Bring the private table of a filtered view up to date. */
static int filtered_refresh(struct tl_dest_view *v, const struct tl_model *m,
			    const struct tl_filter *f, bool *rebuilt)
{
	const struct tl_history *h = &m->connects;
	uint64_t first = tl_history_first_seq(h), seq, lo_ns = 0, hi_ns = UINT64_MAX;
	bool windowed = v->win != TL_WIN_ALL;

	*rebuilt = false;
	if (windowed) {
		lo_ns = (uint64_t)v->wstart * NS;
		hi_ns = (uint64_t)(v->wend + 1) * NS;
		/* a window is cheap to rebuild and changes as it moves */
		if (v->fagg && (v->fwstart != v->wstart || v->fwend != v->wend ||
				v->fbuilt_total != h->total)) {
			tl_agg_free(v->fagg);
			v->fagg = NULL;
		}
	} else if (v->fagg && v->fbuilt_total < first) {
		/* connects went by unseen (the view was not updated for a long while) */
		tl_agg_free(v->fagg);
		v->fagg = NULL;
	}
	if (!v->fagg) {
		v->fagg = tl_agg_new(v->group, (uint32_t)m->cfg.max_dests, false);
		if (!v->fagg)
			return -ENOMEM;
		v->fbuilt_total = first;
		v->fwstart = v->wstart;
		v->fwend = v->wend;
		*rebuilt = true;
	}
	if (windowed) {
		if (!*rebuilt)
			return 0;
		/* newest first, until well before the window */
		for (seq = h->total; seq-- > first;) {
			const struct tl_conn *c = tl_history_seq(h, seq);

			if (c->ts_ns + DV_TS_SLACK_NS < lo_ns)
				break;
			if (c->ts_ns >= lo_ns && c->ts_ns < hi_ns && feed(v->fagg, c, f))
				return -ENOMEM;
		}
	} else {
		for (seq = v->fbuilt_total; seq < h->total; seq++)
			if (feed(v->fagg, tl_history_seq(h, seq), f))
				return -ENOMEM;
	}
	v->fbuilt_total = h->total;
	return 0;
}

static int key_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct tl_dest_view *v = ctx;

	return tl_agg_key_cmp(&v->rows[*(const uint32_t *)pa].key,
			      &v->rows[*(const uint32_t *)pb].key);
}

/* Ranks in key order, for ties and the key column: new rows merged in. */
static void rank_keys(struct tl_dest_view *v)
{
	size_t old = v->nkeyed, i = 0, j = old, o = 0;
	uint32_t *merged = v->order;	/* free until the sort is rebuilt */

	if (v->nkeyed == v->nrows)
		return;
	for (i = old; i < v->nrows; i++)
		v->keyorder[i] = (uint32_t)i;
	qsort_r(v->keyorder + old, v->nrows - old, sizeof(uint32_t), key_cmp, v);
	i = 0;
	while (i < old || j < v->nrows) {
		if (j >= v->nrows || (i < old && key_cmp(&v->keyorder[i], &v->keyorder[j], v) <= 0))
			merged[o++] = v->keyorder[i++];
		else
			merged[o++] = v->keyorder[j++];
	}
	memcpy(v->keyorder, merged, v->nrows * sizeof(*merged));
	for (i = 0; i < v->nrows; i++)
		v->keyrank[v->keyorder[i]] = (uint32_t)i;
	v->nkeyed = v->nrows;
	v->need_sort = true;
}

static uint64_t sort_value(const struct tl_dest_view *v, uint32_t vr)
{
	const struct tl_dest_row *d = &v->out[vr];
	uint64_t x;

	switch (v->sort) {
	case TL_DCOL_KEY:
		/* unknown owners stay last in either direction */
		return ((uint64_t)!d->owner_known << 32) |
		       (v->desc ? UINT32_MAX - v->keyrank[vr] : v->keyrank[vr]);
	case TL_DCOL_CONNECTS:
		x = d->connects;
		break;
	case TL_DCOL_FAILS:
		x = d->connects - d->ok;
		break;
	case TL_DCOL_FAILPCT: {
		/* parts per million of failures, then p99 (as shown) up to 18 minutes */
		uint64_t ppm = d->connects ? (uint64_t)((unsigned __int128)(d->connects - d->ok) *
							1000000u / d->connects) : 0;
		uint64_t p99 = shown(d, d->p99_ns, d->ttf_p99_ns);

		x = ppm << 40 | (p99 < (1ULL << 40) ? p99 : (1ULL << 40) - 1);
		break;
	}
	case TL_DCOL_P50:
		x = shown(d, d->p50_ns, d->ttf_p50_ns);
		break;
	case TL_DCOL_P90:
		x = shown(d, d->p90_ns, d->ttf_p90_ns);
		break;
	case TL_DCOL_P99:
		x = shown(d, d->p99_ns, d->ttf_p99_ns);
		break;
	case TL_DCOL_MAX:
		x = shown(d, d->max_ns, d->ttf_max_ns);
		break;
	default:
		x = shown(d, d->last_ns, d->ttf_last_ns);
		break;
	}
	return v->desc ? ~x : x;
}

static void put_be(uint8_t *p, uint64_t x, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)x;
		x >>= 8;
	}
}

/*
 * Rows with connects, by the sort column; "other" last; ties in key order
 * whatever the direction, so rows do not jump.
 */
static void sort_rows(struct tl_dest_view *v)
{
	uint8_t *e = v->sbuf, *sorted;
	size_t i, n = 0;

	if (!v->sval_ok || v->sval_sort != v->sort || v->sval_desc != v->desc) {
		for (i = 0; i < v->nrows; i++)
			set_sval(v, (uint32_t)i);
		v->sval_sort = v->sort;
		v->sval_desc = v->desc;
		v->sval_ok = true;
	}
	for (i = 0; i < v->nrows; i++) {
		uint32_t vr = (uint32_t)i;

		if (!(v->sflag[vr] & DV_LIVE))
			continue;
		e = v->sbuf + n++ * DV_STRIDE;
		e[0] = !!(v->sflag[vr] & DV_OTHER);
		put_be(e + 1, v->sort == TL_DCOL_KEY ? sort_value(v, vr) : v->sval[vr], 8);
		put_be(e + 9, v->keyrank[vr], 4);
		memset(e + DV_KEYLEN, 0, DV_STRIDE - 4 - DV_KEYLEN);
		memcpy(e + DV_STRIDE - 4, &vr, 4);
	}
	sorted = tl_sortkey_sort(v->sbuf, v->stmp, n, DV_STRIDE, DV_KEYLEN);
	for (i = 0; i < n; i++)
		v->order[i] = tl_sortkey_seq(sorted + i * DV_STRIDE, DV_STRIDE);
	v->n = n;
	v->need_sort = false;
}

struct unit_name {
	char name[64];
	uint32_t vr;
};

static int unit_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct unit_name *)a)->name, ((const struct unit_name *)b)->name);
}

/*
 * Unit rows: their paths now (a cgroup made since the last look may have
 * become known, a renamed one changed), and which unit names more than one
 * row shows. Rows are few (services, containers), so this runs at every
 * update, and only for this grouping.
 */
static void resolve_units(struct tl_dest_view *v)
{
	struct unit_name *u = v->n ? malloc(v->n * sizeof(*u)) : NULL;
	size_t i, n = 0;

	for (i = 0; i < v->n; i++) {
		uint32_t vr = v->order[i];
		struct tl_dest_row *d = &v->out[vr];

		d->cgroup_path = d->owner_known && v->cg_fn ? v->cg_fn(v->cg_ctx, d->cgroup_id) : NULL;
		d->unit_shared = 0;
		if (d->cgroup_path && u) {
			tl_cgroup_unit(u[n].name, sizeof(u[n].name), d->cgroup_path);
			u[n++].vr = vr;
		}
	}
	/* without the memory, no row is marked: the detail view still tells them apart */
	if (!u)
		return;
	qsort(u, n, sizeof(*u), unit_name_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(u[i - 1].name, u[i].name))
			continue;
		v->out[u[i - 1].vr].unit_shared = 1;
		v->out[u[i].vr].unit_shared = 1;
	}
	free(u);
}

void tl_dest_view_invalidate(struct tl_dest_view *v)
{
	v->built = false;
}

void tl_dest_view_set_cgroup_path(struct tl_dest_view *v, tl_cgroup_path_fn fn, void *ctx)
{
	v->cg_fn = fn;
	v->cg_ctx = ctx;
}

void tl_dest_view_update(struct tl_dest_view *v, const struct tl_model *m,
			 enum tl_group group, enum tl_window win,
			 const struct tl_filter *f, enum tl_dcol sort, bool descending,
			 uint64_t now_ns)
{
	const char *ftext = f ? tl_filter_text(f) : NULL;
	int64_t now_sec = (int64_t)(now_ns / NS);
	bool rebuilt = false;
	size_t i;

	if ((unsigned)sort >= TL_DCOL_COUNT)
		sort = TL_DCOL_P99;
	if (v->held) {
		/* the rows hold still; only their order may change */
		if (v->sort != sort || v->desc != descending) {
			v->sort = sort;
			v->desc = descending;
			sort_rows(v);
		}
		return;
	}
	tl_model_flush(m);
	if ((unsigned)group >= TL_GROUP_COUNT)
		group = TL_GROUP_DEST;
	if ((unsigned)win >= TL_WIN_COUNT)
		win = TL_WIN_ALL;
	if ((unsigned)sort >= TL_DCOL_COUNT)
		sort = TL_DCOL_FAILPCT;
	if (!v->built || v->m != m || v->group != group || v->win != win ||
	    (ftext ? !v->ftext || strcmp(v->ftext, ftext) : !!v->ftext)) {
		char *copy = ftext ? strdup(ftext) : NULL;

		if (ftext && !copy)
			goto fail;
		free(v->ftext);
		v->ftext = copy;
		tl_agg_free(v->fagg);
		v->fagg = NULL;
		v->m = m;
		v->group = group;
		v->win = win;
		reset_rows(v);
		v->built = true;
	}
	if (v->sort != sort || v->desc != descending)
		v->need_sort = true;
	v->sort = sort;
	v->desc = descending;
	v->wend = now_sec;
	v->wstart = now_sec - (win == TL_WIN_60S ? 60 : 10) + 1;
	if (v->wstart < 0)
		v->wstart = 0;
	if (win == TL_WIN_ALL)
		v->wstart = v->wend = 0;

	if (f) {
		if (filtered_refresh(v, m, f, &rebuilt))
			goto fail;
		if (rebuilt)
			reset_rows(v);
		v->tab[0] = v->fagg;
		v->ntab = 1;
		v->derived = false;
		v->src_windowed = false;
	} else {
		v->derived = group == TL_GROUP_ADDR || group == TL_GROUP_PORT;
		v->tab[0] = m->agg[v->derived ? TL_GROUP_DEST : group];
		v->tab[1] = m->agg[group];
		v->ntab = v->derived ? 2 : 1;
		v->src_windowed = win != TL_WIN_ALL;
	}
	{
		int t;
		bool folded = false;

		for (t = 0; t < v->ntab; t++) {
			if (v->folds_tab[t] == v->tab[t] && v->folds_seen[t] != v->tab[t]->folds)
				folded = true;
			v->folds_tab[t] = v->tab[t];
			v->folds_seen[t] = v->tab[t]->folds;
		}
		/* a table row now holds another key: remake the rows */
		if (folded)
			reset_rows(v);
	}
	if (sync_rows(v))
		goto fail;
	read_logs(v);
	if (v->src_windowed && (v->wstart != v->last_wstart || v->wend != v->last_wend)) {
		bool back = v->wstart < v->last_wstart || v->wend < v->last_wend;

		/* rows whose oldest second left the window, or whose future one came in */
		for (i = 0; i < v->nrows; i++)
			if (back || v->wstart > v->wexp[i].wmin || v->wend >= v->wexp[i].wnext)
				mark_dirty(v, (uint32_t)i);
	}
	v->last_wstart = v->wstart;
	v->last_wend = v->wend;
	order_dirty(v);
	for (i = 0; i < v->ndirty; i++) {
		prefetch_ahead(v, i);
		compute_row(v, v->dirty[i]);
		v->sflag[v->dirty[i]] &= (uint8_t)~DV_DIRTY;
	}
	if (v->ndirty)
		v->need_sort = true;
	v->ndirty = 0;
	rank_keys(v);
	if (v->need_sort)
		sort_rows(v);
	if (group == TL_GROUP_UNIT)
		resolve_units(v);
	return;
fail:
	/* out of memory: show nothing rather than something wrong, retry next time */
	v->built = false;
	for (i = 0; i < v->nrows; i++)
		v->sflag[i] &= (uint8_t)~DV_DIRTY;
	reset_rows(v);
}

/*
 * A table row folded into "other" since the last update may hold another
 * key now: what the rows would read from the tables then is not theirs.
 */
static bool stale(const struct tl_dest_view *v)
{
	int t;

	for (t = 0; t < v->ntab; t++)
		if (v->folds_tab[t] != v->tab[t] || v->folds_seen[t] != v->tab[t]->folds)
			return true;
	return false;
}

bool tl_dest_view_stale(const struct tl_dest_view *v)
{
	return stale(v);
}

size_t tl_dest_view_len(const struct tl_dest_view *v)
{
	return v->n;
}

const struct tl_dest_row *tl_dest_view_get(const struct tl_dest_view *v, size_t i)
{
	/* the view is never const where it is made: filling hist[] late is fine */
	struct tl_dest_view *w = (struct tl_dest_view *)v;
	uint32_t vr;

	if (i >= v->n)
		return NULL;
	vr = v->order[i];
	/* stale: the histogram stays empty (unknown) until the next update */
	if (!v->rows[vr].hist_ok && !stale(v)) {
		struct tl_dest_row *d = &w->out[vr];
		const struct tl_sketch *sk;
		struct tl_agg_stats st;
		struct dv_wexp x;

		sk = row_data(v, &w->scratch, vr, &st, &x);
		tl_sketch_histogram(sk, d->hist_lo_ns, d->hist_hi_ns, d->hist, TL_HIST_BINS);
		w->rows[vr].hist_ok = 1;
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
	if (stale(v))
		return 0;
	tl_sketch_init(&sk);
	val = tl_sketch_quantile(row_data(v, &sk, v->order[i], &st, &x), q);
	tl_sketch_free(&sk);
	return val;
}

int tl_dest_view_hold(struct tl_dest_view *v, const double *qs, int nq)
{
	struct tl_agg_stats st;
	struct tl_dest_fail *hf;
	struct dv_wexp x;
	uint64_t *hq;
	size_t i;

	if (nq < 0 || nq > TL_DV_HOLD_NQ)
		return -EINVAL;
	tl_dest_view_release(v);
	/* indexed by view row: a re-sort while held keeps the pairing */
	hq = calloc(v->nrows ? v->nrows * (size_t)nq : 1, sizeof(*hq));
	hf = calloc(v->nrows ? v->nrows : 1, sizeof(*hf));
	if (!hq || !hf) {
		free(hq);
		free(hf);
		return -ENOMEM;
	}
	v->hfail_ret = 0;
	for (i = 0; i < v->n; i++) {
		uint32_t vr = v->order[i];
		int ret;

		tl_dest_view_get(v, i);		/* fills the histogram now */
		if (nq && v->out[vr].ok)
			tl_sketch_quantiles(row_data(v, &v->scratch, vr, &st, &x), qs, nq,
					    hq + (size_t)vr * nq);
		/* the errnos and times to failure too: new failures must not show in held rows */
		ret = tl_dest_view_failures(v, i, &hf[vr]);
		if (ret)
			v->hfail_ret = ret;
	}
	memcpy(v->hq, qs, (size_t)nq * sizeof(*qs));
	v->hnq = nq;
	v->hquant = hq;
	v->hfail = hf;
	v->held = true;
	return 0;
}

void tl_dest_view_release(struct tl_dest_view *v)
{
	/* the touch logs kept their place: the next update catches up from there */
	free(v->hquant);
	v->hquant = NULL;
	free(v->hfail);
	v->hfail = NULL;
	v->hnq = 0;
	v->held = false;
}

bool tl_dest_view_held(const struct tl_dest_view *v)
{
	return v->held;
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
	if (stale(v))
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
	sk = row_fail_data(v, &scratch, vr, &fd);
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
