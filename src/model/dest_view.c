// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The connect-latency panel: one row per key of a grouping, over a window.
 *
 * Without a filter the rows come from the model's tables: "since start"
 * straight from each row's sketch, 60 s / 10 s as the exact merge of the
 * row's per-second entries. With a filter they come from a private table
 * fed with the retained connects that match (since start: built once,
 * then fed only new connects; windows: rebuilt when the window moves).
 * Every computed row is cached with the table row's generation, so a
 * refresh recomputes only rows that changed and re-sorts only then.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "model_int.h"

#define NS 1000000000ULL
/* connects reach the ring in arrival order; allow this much disorder in ts */
#define DV_TS_SLACK_NS (5 * NS)

struct dv_cache {
	uint64_t gen;
	int64_t wstart;
	bool valid;
	struct tl_dest_row row;
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
	int64_t head;		/* the source window's head at the last update */
	/* filtered: a private table */
	struct tl_agg *fagg;
	uint64_t fbuilt_total;
	int64_t fwstart, fwend;
	const struct tl_agg *src;
	bool src_windowed;	/* rows are merges of window entries */
	struct dv_cache *cache;
	size_t ncache;
	uint32_t *order;
	size_t n, ocap;
	struct tl_sketch scratch;
};

struct tl_dest_view *tl_dest_view_new(void)
{
	struct tl_dest_view *v = calloc(1, sizeof(*v));

	if (v)
		tl_sketch_init(&v->scratch);
	return v;
}

void tl_dest_view_free(struct tl_dest_view *v)
{
	if (!v)
		return;
	free(v->ftext);
	tl_agg_free(v->fagg);
	free(v->cache);
	free(v->order);
	tl_sketch_free(&v->scratch);
	free(v);
}

static void invalidate(struct tl_dest_view *v)
{
	size_t i;

	for (i = 0; i < v->ncache; i++)
		v->cache[i].valid = false;
}

/* Merge row id's entries for seconds [wstart, wend] into sk and st. */
static void window_merge(const struct tl_agg *a, uint32_t id, int64_t wstart, int64_t wend,
			 struct tl_sketch *sk, struct tl_agg_stats *st)
{
	const struct tl_agg_row *r = &a->rows[id];
	int64_t s;

	memset(st, 0, sizeof(*st));
	tl_sketch_reset(sk);
	if (wend - wstart >= TL_WIN_SLOTS)
		wstart = wend - TL_WIN_SLOTS + 1;
	for (s = wstart; s <= wend; s++) {
		const struct tl_win_ent *e = tl_window_entry(&a->win, id, r->slot_ent, s);
		const struct tl_win_bin *b;
		uint16_t k;

		if (!e)
			continue;
		st->connects += e->connects;
		st->refused += e->refused;
		st->timeouts += e->timeouts;
		st->errors += e->errors;
		b = tl_win_ent_bins(e);
		for (k = 0; k < e->nbins; k++)
			tl_sketch_add_bucket(sk, b[k].idx, b[k].n, e->min_ns, e->max_ns);
	}
	/* the newest connect overall is in the window iff any connect is */
	if (r->st.last_ts >= (uint64_t)wstart * NS) {
		st->last_ts = r->st.last_ts;
	}
	if (r->st.last_ok_ts >= (uint64_t)wstart * NS) {
		st->last_ok_ts = r->st.last_ok_ts;
		st->last_ok_ns = r->st.last_ok_ns;
	}
}

static void fill_row(struct tl_dest_row *d, const struct tl_agg_row *r,
		     const struct tl_agg_stats *st, const struct tl_sketch *sk)
{
	static const double qs[3] = { 0.50, 0.90, 0.99 };
	uint64_t q[3];

	memset(d, 0, sizeof(*d));
	d->family = r->key.family;
	d->is_other = r->is_other;
	d->owner_known = r->key.owner_known;
	memcpy(d->addr, r->key.addr, sizeof(d->addr));
	d->port = r->key.port;
	d->pid = r->key.pid;
	memcpy(d->comm, r->key.comm, sizeof(d->comm));
	d->connects = st->connects;
	d->refused = st->refused;
	d->timeouts = st->timeouts;
	d->errors = st->errors;
	d->ok = sk->count;
	tl_sketch_quantiles(sk, qs, 3, q);
	d->p50_ns = q[0];
	d->p90_ns = q[1];
	d->p99_ns = q[2];
	d->min_ns = sk->count ? sk->min : 0;
	d->max_ns = sk->count ? sk->max : 0;
	d->last_ns = st->last_ok_ns;
	d->last_ts_ns = st->last_ts;
	d->hist_lo_ns = d->min_ns;
	d->hist_hi_ns = d->max_ns;
	tl_sketch_histogram(sk, d->hist_lo_ns, d->hist_hi_ns, d->hist, TL_HIST_BINS);
}

static int feed(struct tl_agg *a, const struct tl_conn *c, const struct tl_filter *f)
{
	struct tl_subject s;

	tl_subject_from_conn(&s, c);
	if (!tl_filter_match_subject(f, &s))
		return 0;
	return tl_agg_add(a, c, tl_sketch_index(c->lat_ns));
}

/* Bring the private table of a filtered view up to date; true if rebuilt. */
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
		/* cannot happen without a config change, but stay exact if it does */
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

static int u64cmp(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int key_cmp(const struct tl_dest_row *a, const struct tl_dest_row *b)
{
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return strncmp(a->comm, b->comm, TL_REC_COMM_LEN);
}

static int row_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct tl_dest_view *v = ctx;
	const struct tl_dest_row *a = &v->cache[*(const uint32_t *)pa].row;
	const struct tl_dest_row *b = &v->cache[*(const uint32_t *)pb].row;
	int c = 0;

	/* "other" is not a destination: it stays at the bottom */
	if (a->is_other != b->is_other)
		return a->is_other ? 1 : -1;
	switch (v->sort) {
	case TL_DCOL_KEY:
		/* unknown owners stay last, like the session table */
		if (a->owner_known != b->owner_known)
			return a->owner_known ? -1 : 1;
		c = key_cmp(a, b);
		break;
	case TL_DCOL_CONNECTS:
		c = u64cmp(a->connects, b->connects);
		break;
	case TL_DCOL_FAILS:
		c = u64cmp(a->connects - a->ok, b->connects - b->ok);
		break;
	case TL_DCOL_P50:
		c = u64cmp(a->p50_ns, b->p50_ns);
		break;
	case TL_DCOL_P90:
		c = u64cmp(a->p90_ns, b->p90_ns);
		break;
	case TL_DCOL_P99:
		c = u64cmp(a->p99_ns, b->p99_ns);
		break;
	case TL_DCOL_MAX:
		c = u64cmp(a->max_ns, b->max_ns);
		break;
	default:
		c = u64cmp(a->last_ns, b->last_ns);
		break;
	}
	if (v->desc)
		c = -c;
	if (!c && v->sort != TL_DCOL_KEY) {
		/* ties in key order, whatever the direction, so rows do not jump */
		if (a->owner_known != b->owner_known)
			return a->owner_known ? -1 : 1;
		c = key_cmp(a, b);
	}
	return c;
}

static int reserve_rows(struct tl_dest_view *v, size_t n)
{
	struct dv_cache *nc;
	uint32_t *no;

	if (n > v->ncache) {
		nc = realloc(v->cache, n * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		memset(nc + v->ncache, 0, (n - v->ncache) * sizeof(*nc));
		v->cache = nc;
		v->ncache = n;
	}
	if (n > v->ocap) {
		no = realloc(v->order, n * sizeof(*no));
		if (!no)
			return -ENOMEM;
		v->order = no;
		v->ocap = n;
	}
	return 0;
}

void tl_dest_view_update(struct tl_dest_view *v, const struct tl_model *m,
			 enum tl_group group, enum tl_window win,
			 const struct tl_filter *f, enum tl_dcol sort, bool descending,
			 uint64_t now_ns)
{
	const char *ftext = f ? tl_filter_text(f) : NULL;
	const struct tl_agg *a;
	bool need_sort, rebuilt = false;
	int64_t now_sec = (int64_t)(now_ns / NS);
	uint32_t id;
	size_t n = 0;

	if ((unsigned)group >= TL_GROUP_COUNT)
		group = TL_GROUP_DEST;
	if ((unsigned)win >= TL_WIN_COUNT)
		win = TL_WIN_ALL;
	if ((unsigned)sort >= TL_DCOL_COUNT)
		sort = TL_DCOL_P99;
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
		invalidate(v);
		v->n = 0;
		v->built = true;
	}
	need_sort = v->sort != sort || v->desc != descending;
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
			invalidate(v);
		a = v->fagg;
		v->src_windowed = false;
	} else {
		a = m->agg[group];
		v->src_windowed = win != TL_WIN_ALL;
		/* a head past the window may have recycled slots inside it */
		if (v->src_windowed && a->win.head != v->head && a->win.head > v->wend)
			invalidate(v);
		v->head = a->win.head;
	}
	v->src = a;
	if (reserve_rows(v, a->nrows))
		goto fail;

	for (id = 0; id < a->nrows; id++) {
		const struct tl_agg_row *r = &a->rows[id];
		struct dv_cache *c = &v->cache[id];
		bool fresh = c->valid && c->gen == r->gen;

		if (v->src_windowed && fresh && c->wstart != v->wstart)
			/* an idle row whose window was already empty stays empty */
			fresh = c->row.connects == 0 && r->st.last_ts < (uint64_t)v->wstart * NS;
		if (!fresh) {
			if (v->src_windowed) {
				struct tl_agg_stats st;

				window_merge(a, id, v->wstart, v->wend, &v->scratch, &st);
				fill_row(&c->row, r, &st, &v->scratch);
			} else {
				fill_row(&c->row, r, &r->st, &r->sk);
			}
			c->gen = r->gen;
			c->valid = true;
			need_sort = true;
		}
		c->wstart = v->wstart;
		if (c->row.connects)
			v->order[n++] = id;
	}
	if (n != v->n)
		need_sort = true;
	v->n = n;
	if (need_sort)
		qsort_r(v->order, v->n, sizeof(*v->order), row_cmp, v);
	return;
fail:
	v->built = false;
	v->n = 0;
}

size_t tl_dest_view_len(const struct tl_dest_view *v)
{
	return v->n;
}

const struct tl_dest_row *tl_dest_view_get(const struct tl_dest_view *v, size_t i)
{
	if (i >= v->n)
		return NULL;
	return &v->cache[v->order[i]].row;
}

uint64_t tl_dest_view_quantile(const struct tl_dest_view *v, size_t i, double q)
{
	struct tl_agg_stats st;
	struct tl_sketch sk;
	uint32_t id;
	uint64_t val;

	if (i >= v->n || !v->src)
		return 0;
	id = v->order[i];
	if (!v->src_windowed)
		return tl_sketch_quantile(&v->src->rows[id].sk, q);
	/* the detail view asks rarely: merge the row's seconds again */
	tl_sketch_init(&sk);
	window_merge(v->src, id, v->wstart, v->wend, &sk, &st);
	val = tl_sketch_quantile(&sk, q);
	tl_sketch_free(&sk);
	return val;
}
