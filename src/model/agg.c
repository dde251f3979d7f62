// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"

struct tl_agg *tl_agg_new(enum tl_group group, uint32_t max_rows, bool windowed)
{
	struct tl_agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->group = group;
	a->max_rows = max_rows;
	a->other = UINT32_MAX;
	a->windowed = windowed;
	a->head = -1;
	a->log = malloc(TL_AGG_LOG_LEN * sizeof(*a->log));
	if (tl_keyhash_init(&a->index, 64) || !a->log) {
		tl_agg_free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void tl_agg_free(struct tl_agg *a)
{
	uint32_t i;

	if (!a)
		return;
	for (i = 0; i < a->nrows; i++) {
		tl_sketch_free(&a->rows[i].sk);
		tl_win_ring_free(&a->rows[i].win);
	}
	for (i = 0; i < a->nfails; i++)
		tl_sketch_free(&a->fails[i].sk);
	free(a->fails);
	free(a->lru);
	free(a->rows);
	tl_keyhash_free(&a->index);
	free(a->log);
	free(a);
}



static int new_row(struct tl_agg *a, const struct tl_agg_key *k, uint8_t is_other)
{
	struct tl_agg_row *r;

	if (a->nrows == a->cap) {
		uint32_t ncap = a->cap ? a->cap * 2 : 64;
		/* rows on cache-line boundaries: a row is three lines, not four */
		struct tl_agg_row *nr = aligned_alloc(64, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		if (a->nrows)
			memcpy(nr, a->rows, a->nrows * sizeof(*nr));
		free(a->rows);
		a->rows = nr;
		a->cap = ncap;
	}
	r = &a->rows[a->nrows];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	r->is_other = is_other;
	tl_sketch_init(&r->sk);
	tl_win_ring_init(&r->win);
	return (int)a->nrows++;
}

#define NS 1000000000ULL

/* Drops the entries of rows that were active again since (one per row stays). */
static void lru_compact(struct tl_agg *a)
{
	uint32_t k, n = 0, mask = a->lru_cap - 1;

	for (k = 0; k < a->lru_len; k++) {
		struct tl_agg_lru e = a->lru[(a->lru_start + k) & mask];

		if (e.sec == a->rows[e.id].st.last_ts / NS)
			a->lru[(a->lru_start + n++) & mask] = e;
	}
	a->lru_len = n;
}

static int lru_push(struct tl_agg *a, uint32_t id, uint64_t ts)
{
	uint32_t mask;

	if (a->lru_len == a->lru_cap && a->lru_len > 2 * a->nrows)
		lru_compact(a);
	if (a->lru_len == a->lru_cap) {
		uint32_t ncap = a->lru_cap ? a->lru_cap * 2 : 64, k;
		struct tl_agg_lru *n = malloc((size_t)ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (k = 0; k < a->lru_len; k++)
			n[k] = a->lru[(a->lru_start + k) & (a->lru_cap - 1)];
		free(a->lru);
		a->lru = n;
		a->lru_cap = ncap;
		a->lru_start = 0;
	}
	mask = a->lru_cap - 1;
	a->lru[(a->lru_start + a->lru_len++) & mask] = (struct tl_agg_lru){ id, (uint32_t)(ts / NS) };
	return 0;
}

/*
 * The least recently active row if it has been idle long enough, taken off
 * the queue; -1 if none. The queue's front is the oldest second a row was
 * last active in (entries of rows active since are skipped): if that row
 * is not idle, none is, give or take the few seconds connects may arrive
 * out of order in.
 */
static int64_t lru_take_idle(struct tl_agg *a)
{
	while (a->lru_len) {
		struct tl_agg_lru e = a->lru[a->lru_start];
		const struct tl_agg_row *r = &a->rows[e.id];

		if (!r->is_other && e.sec == r->st.last_ts / NS &&
		    r->st.last_ts + TL_AGG_IDLE_NS > a->now_ts)
			return -1;
		a->lru_start = (a->lru_start + 1) & (a->lru_cap - 1);
		a->lru_len--;
		if (!r->is_other && e.sec == r->st.last_ts / NS)
			return e.id;
	}
	return -1;
}

static struct tl_agg_fail *row_fail(struct tl_agg *a, struct tl_agg_row *r)
{
	struct tl_agg_fail *f;

	if (r->fail)
		return &a->fails[r->fail - 1];
	if (a->nfails == a->capfails) {
		uint32_t ncap = a->capfails ? a->capfails * 2 : 16;
		struct tl_agg_fail *n = realloc(a->fails, (size_t)ncap * sizeof(*n));

		if (!n)
			return NULL;
		a->fails = n;
		a->capfails = ncap;
	}
	f = &a->fails[a->nfails];
	memset(f, 0, sizeof(*f));
	tl_sketch_init(&f->sk);
	r->fail = ++a->nfails;
	return f;
}

static void fail_count_errno(struct tl_agg_fail *f, uint8_t err, uint64_t n)
{
	uint8_t i;

	for (i = 0; i < f->nerr; i++) {
		if (f->err_no[i] == err) {
			f->err_n[i] += n;
			return;
		}
	}
	if (f->nerr < TL_AGG_NERR) {
		f->err_no[f->nerr] = err;
		f->err_n[f->nerr++] = n;
		return;
	}
	f->err_other += n;
}

/* Adds src's counts into row did of a (src may belong to another table). 0 or -ENOMEM. */
static int row_merge(struct tl_agg *a, uint32_t did, const struct tl_agg_row *src,
		     const struct tl_agg_fail *sf)
{
	struct tl_agg_row *d = &a->rows[did];
	struct tl_agg_fail *df;
	int ret = 0;
	uint8_t i;

	if (src->sk.count && (!d->sk.count || src->st.last_ok_ts >= d->st.last_ok_ts)) {
		d->st.last_ok_ts = src->st.last_ok_ts;
		d->st.last_ok_ns = src->st.last_ok_ns;
	}
	d->st.connects += src->st.connects;
	d->st.refused += src->st.refused;
	d->st.timeouts += src->st.timeouts;
	d->st.errors += src->st.errors;
	if (src->st.last_ts > d->st.last_ts) {
		if (!d->is_other && src->st.last_ts / NS > d->st.last_ts / NS &&
		    lru_push(a, did, src->st.last_ts))
			ret = -ENOMEM;
		d->st.last_ts = src->st.last_ts;
	}
	if (tl_sketch_merge(&d->sk, &src->sk))
		ret = -ENOMEM;
	if (a->windowed && tl_win_ring_merge(&d->win, &src->win, a->head))
		ret = -ENOMEM;
	if (sf) {
		df = row_fail(a, d);
		if (!df)
			return -ENOMEM;
		if (tl_sketch_merge(&df->sk, &sf->sk))
			ret = -ENOMEM;
		df->aborted += sf->aborted;
		df->err_other += sf->err_other;
		for (i = 0; i < sf->nerr; i++)
			fail_count_errno(df, sf->err_no[i], sf->err_n[i]);
		if (sf->last_ts >= df->last_ts) {
			df->last_ts = sf->last_ts;
			df->last_ns = sf->last_ns;
		}
	}
	return ret;
}

static void log_touch(struct tl_agg *a, uint32_t id)
{
	/* a run of connects to one row needs one log entry, unless a view read it meanwhile */
	if (a->log_total == a->log_read || a->log[(a->log_total - 1) & (TL_AGG_LOG_LEN - 1)] != id)
		a->log[a->log_total++ & (TL_AGG_LOG_LEN - 1)] = id;
}

static int other_row(struct tl_agg *a)
{
	struct tl_agg_key none;
	int id;

	if (a->other != UINT32_MAX)
		return (int)a->other;
	memset(&none, 0, sizeof(none));
	id = new_row(a, &none, 1);
	if (id >= 0)
		a->other = (uint32_t)id;
	return id;
}

/*
 * Folds the idle row id into "other" and empties it for a new key: its
 * memory (sketch buckets, window ring, failure record) is kept for reuse.
 */
static int recycle_row(struct tl_agg *a, uint32_t id)
{
	struct tl_agg_row *r;
	int oid = other_row(a), ret;
	uint32_t fail;

	if (oid < 0)
		return oid;
	/* made first: making it may move the failure record read below */
	if (a->rows[id].fail && !row_fail(a, &a->rows[oid]))
		return -ENOMEM;
	if (a->on_fold)
		a->on_fold(a->fold_ctx, a, id);
	r = &a->rows[id];
	ret = row_merge(a, (uint32_t)oid, r, tl_agg_row_fail(a, r));
	if (ret)
		a->alloc_failures++;
	log_touch(a, (uint32_t)oid);
	tl_keyhash_del(&a->index, tl_agg_keys(a), id);
	r = &a->rows[id];
	memset(&r->st, 0, sizeof(r->st));
	tl_sketch_reset(&r->sk);
	tl_win_ring_free(&r->win);
	fail = r->fail;
	if (fail) {
		struct tl_agg_fail *f = &a->fails[fail - 1];
		struct tl_sketch sk = f->sk;

		tl_sketch_reset(&sk);
		memset(f, 0, sizeof(*f));
		f->sk = sk;
	}
	a->folds++;
	return 0;
}

/* Row id for key k, created on first sight; -ENOMEM. */
static int64_t row_for(struct tl_agg *a, const struct tl_agg_key *k, uint32_t h)
{
	uint32_t p = tl_keyhash_slot(&a->index, tl_agg_keys(a), k, h);
	int id;

	if (a->index.slot[p])
		return a->index.slot[p] - 1;
	if (a->nrows - (a->other != UINT32_MAX) >= a->max_rows) {
		int64_t old = lru_take_idle(a);

		if (old < 0 || recycle_row(a, (uint32_t)old))
			return other_row(a);
		a->rows[old].key = *k;
		/* the deletion may have moved entries: probe again */
		p = tl_keyhash_slot(&a->index, tl_agg_keys(a), k, h);
		a->index.slot[p] = (uint32_t)old + 1;
		return old;
	}
	id = new_row(a, k, 0);
	if (id < 0)
		return id;
	a->index.slot[p] = (uint32_t)id + 1;
	/* keep the load under one half so probes stay short */
	if ((a->nrows + 1) * 2 > a->index.mask + 1 && tl_keyhash_grow(&a->index, tl_agg_keys(a)))
		return -ENOMEM;
	return id;
}

int64_t tl_agg_add(struct tl_agg *a, const struct tl_conn *c, int idx)
{
	struct tl_agg_key k;

	tl_agg_key_of(a->group, c, &k);
	return tl_agg_add_key(a, &k, tl_agg_hash(&k), c, idx);
}

int64_t tl_agg_add_key(struct tl_agg *a, const struct tl_agg_key *k, uint32_t h,
		       const struct tl_conn *c, int idx)
{
	struct tl_agg_row *r;
	int64_t id;
	int ret = 0;

	/* the clock first: a connect may find a row idle */
	if (c->ts_ns > a->now_ts)
		a->now_ts = c->ts_ns;
	id = row_for(a, k, h);
	if (id < 0) {
		a->alloc_failures++;
		return id;
	}
	r = &a->rows[id];
	log_touch(a, (uint32_t)id);
	/* a row's first connect, or its first in a newer second */
	if (!r->is_other && (!r->st.connects || c->ts_ns / NS > r->st.last_ts / NS) &&
	    lru_push(a, (uint32_t)id, c->ts_ns))
		ret = -ENOMEM;
	r->st.connects++;
	if (c->result == TL_REC_OK) {
		if (tl_sketch_add_bucket(&r->sk, idx, 1, c->lat_ns, c->lat_ns))
			ret = -ENOMEM;
		if (c->ts_ns >= r->st.last_ok_ts) {
			r->st.last_ok_ts = c->ts_ns;
			r->st.last_ok_ns = c->lat_ns;
		}
	} else {
		struct tl_agg_fail *f = row_fail(a, r);

		if (c->result == TL_REC_REFUSED)
			r->st.refused++;
		else if (c->result == TL_REC_TIMEOUT)
			r->st.timeouts++;
		else
			r->st.errors++;
		if (!f) {
			ret = -ENOMEM;
		} else {
			if (tl_sketch_add_bucket(&f->sk, idx, 1, c->lat_ns, c->lat_ns))
				ret = -ENOMEM;
			if (c->result == TL_REC_ABORTED)
				f->aborted++;
			else if (c->result != TL_REC_REFUSED && c->result != TL_REC_TIMEOUT)
				fail_count_errno(f, c->err, 1);
			if (c->ts_ns >= f->last_ts) {
				f->last_ts = c->ts_ns;
				f->last_ns = c->lat_ns;
			}
		}
	}
	if (c->ts_ns >= r->st.last_ts)
		r->st.last_ts = c->ts_ns;
	if (a->windowed) {
		int64_t sec = (int64_t)(c->ts_ns / NS);

		if (sec > a->head)
			a->head = sec;
		if (tl_win_ring_add(&r->win, a->head, sec, c->result, c->err, idx, c->lat_ns))
			ret = -ENOMEM;
	}
	if (ret)
		a->alloc_failures++;
	return id;
}

int64_t tl_agg_absorb(struct tl_agg *a, const struct tl_agg_key *k, const struct tl_agg *from,
		      uint32_t id)
{
	const struct tl_agg_row *src = &from->rows[id];
	int64_t did = row_for(a, k, tl_agg_hash(k));

	if (did < 0) {
		a->alloc_failures++;
		return did;
	}
	log_touch(a, (uint32_t)did);
	if (row_merge(a, (uint32_t)did, src, tl_agg_row_fail(from, src)))
		a->alloc_failures++;
	return did;
}

