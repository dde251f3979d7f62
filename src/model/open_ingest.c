// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The open view's ingest: a snapshot's sockets are copied into one of two
 * buffers used in turn, each socket finds itself in the previous ingest
 * (by walk order, else by cookie) and keeps its rate history's slot, and
 * the listeners get their accepts per second.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "cgroup.h"
#include "open_view_int.h"

static int str_add(struct strbuf *b, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;

	if (b->len + n > UINT32_MAX - 1)
		return -ENOMEM;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	*off = (uint32_t)b->len;
	b->len += n;
	return 0;
}

static const struct tl_snapshot *lis_snap;	/* for cmp_lis: one thread */

static int cmp_lis(const void *pa, const void *pb)
{
	uint16_t x = lis_snap->socks[*(const uint32_t *)pa].lport;
	uint16_t y = lis_snap->socks[*(const uint32_t *)pb].lport;

	return (int)x - (int)y;
}

/*
 * The listener of a passive socket, as an index into lis (sorted by local
 * port), or -1: an exact address wins over a wildcard.
 */
static long listener_of(const struct tl_snapshot *snap, const uint32_t *lis, size_t nlis,
			uint8_t family, const uint8_t *laddr, uint16_t lport)
{
	size_t lo = 0, hi = nlis, k;
	long any = -1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (snap->socks[lis[mid]].lport < lport)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < nlis && snap->socks[lis[k]].lport == lport; k++) {
		const struct tl_sock *l = &snap->socks[lis[k]];

		if (!tl_adopt_listener_matches(l, family, laddr, lport))
			continue;
		if (l->family == family && !memcmp(l->laddr, laddr, family == 4 ? 4 : 16))
			return (long)k;
		if (any < 0)
			any = (long)k;
	}
	return any;
}

/*
 * Connections established on each listener since the previous ingest:
 * passive sockets whose cookie is new, plus passive sessions that began
 * after the previous snapshot and ended by this one (opened and closed in
 * between, never seen by a walk).
 */
static int count_accepts(struct tl_open_view *v, uint64_t prev_ts, const struct tl_model *m)
{
	const struct tl_snapshot *cur = v->snap;
	uint64_t *acc, ns;
	uint32_t *lis;
	size_t nlis = 0, i;
	long l;

	if (cur->ts_ns <= prev_ts)
		return 0;
	ns = cur->ts_ns - prev_ts;
	for (i = 0; i < cur->n; i++)
		nlis += cur->socks[i].state == TL_TCP_LISTEN;
	if (!nlis)
		return 0;
	lis = malloc(nlis * sizeof(*lis));
	acc = calloc(nlis, sizeof(*acc));
	if (!lis || !acc) {
		free(lis);
		free(acc);
		return -ENOMEM;
	}
	for (nlis = 0, i = 0; i < cur->n; i++)
		if (cur->socks[i].state == TL_TCP_LISTEN)
			lis[nlis++] = (uint32_t)i;
	lis_snap = cur;
	qsort(lis, nlis, sizeof(*lis), cmp_lis);
	for (i = 0; i < cur->n; i++) {
		const struct tl_sock *s = &cur->socks[i];

		if (s->state == TL_TCP_LISTEN || s->dir != TL_SOCK_DIR_PASSIVE ||
		    v->ex[i].prev != NONE)
			continue;
		l = listener_of(cur, lis, nlis, s->family, s->laddr, s->lport);
		if (l >= 0)
			acc[l]++;
	}
	for (i = 0; m && i < tl_model_history_len(m); i++) {
		const struct tl_record *r = tl_model_history_get(m, i);

		/* newest first: older ones closed before the previous walk */
		if (!r || r->ts_ns <= prev_ts)
			break;
		if (r->ts_ns > cur->ts_ns || r->dir != TL_REC_PASSIVE || r->adopted ||
		    r->ts_ns - r->span_ns <= prev_ts)
			continue;
		l = listener_of(cur, lis, nlis, r->family, r->laddr, r->lport);
		if (l >= 0)
			acc[l]++;
	}
	for (i = 0; i < nlis; i++) {
		struct extra *e = &v->ex[lis[i]];

		e->accepts_valid = true;
		e->accepts_milli = (uint64_t)((unsigned __int128)acc[i] * 1000000000000ULL / ns);
	}
	free(lis);
	free(acc);
	return 0;
}

static void hist_add(struct hist *h, const struct tl_open_rate *r)
{
	if (!r->valid)
		return;
	h->tx[h->head] = (float)(r->tx_mbps / 1000.0);
	h->rx[h->head] = (float)(r->rx_mbps / 1000.0);
	h->head = (h->head + 1) % TL_OPEN_HIST;
	if (h->n < TL_OPEN_HIST)
		h->n++;
}

/* Room for n more slots without failing. */
static int pool_reserve(struct tl_open_view *v, size_t n)
{
	size_t cap = v->pool_cap ? v->pool_cap : 1024;
	struct hist *p;
	uint32_t *f;

	if (v->pool_cap - v->pool_n + v->nfree >= n)
		return 0;
	while (cap - v->pool_n + v->nfree < n)
		cap *= 2;
	if (cap > NONE)
		return -ENOMEM;
	p = realloc(v->pool, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->pool = p;
	f = realloc(v->free_slots, cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	v->free_slots = f;
	v->pool_cap = cap;
	return 0;
}

static uint32_t slot_get(struct tl_open_view *v)
{
	uint32_t k = v->nfree ? v->free_slots[--v->nfree] : (uint32_t)v->pool_n++;

	v->pool[k].n = v->pool[k].head = 0;
	return k;
}

/* The unit and the path's place in str: by pointer from the cache, else made. */
static int unit_of(struct tl_open_view *v, struct strbuf *str, const char *path, struct extra *e)
{
	struct unit_cache *c = &v->ucache[((uintptr_t)path >> 4) % UNIT_CACHE];

	if (c->path != path) {
		if (str_add(str, path, &c->off))
			return -ENOMEM;
		tl_cgroup_unit(c->unit, sizeof(c->unit), path);
		c->path = path;
	}
	e->cgroup_off = c->off;
	memcpy(e->unit, c->unit, sizeof(e->unit));
	return 0;
}

/*
 * Each socket's index in the previous ingest. The kernel walks its hash
 * table in the same order every time, so the next old socket is the usual
 * match and the index is asked only when sockets came or went.
 */
static void match_prev(const struct tl_open_view *v, const struct tl_snapshot *snap,
		       struct extra *ex, uint8_t *taken)
{
	const struct tl_snapshot *old = v->ready ? v->snap : NULL;
	size_t i, j = 0;

	for (i = 0; i < snap->n; i++) {
		uint64_t cookie = snap->socks[i].cookie;
		const struct tl_sock *f;
		size_t o = NONE;

		ex[i].prev = NONE;
		if (!old || !cookie)
			continue;
		if (j < old->n && old->socks[j].cookie == cookie)
			o = j;
		else if ((f = tl_sock_index_find(&v->ix, cookie)))
			o = (size_t)(f - old->socks);
		/* a cookie seen twice (never, from the kernel) keeps one history */
		if (o == NONE || taken[o])
			continue;
		taken[o] = 1;
		ex[i].prev = (uint32_t)o;
		j = o + 1;
	}
}

static int ensure(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n <= *cap)
		return 0;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

int tl_open_view_ingest(struct tl_open_view *v, const struct tl_open_input *in,
			const struct tl_model *m)
{
	const struct tl_snapshot *src = in->snap;
	int nb = v->ready ? !v->cur : 0;
	struct tl_snapshot *snap = &v->sb[nb];
	struct strbuf *str = &v->strb[nb];
	size_t i, n = src->n, alloc = n ? n : 1, old_n = v->ready ? v->snap->n : 0;
	struct tl_sock_index ix;
	struct extra *ex;
	uint64_t prev_ts;
	bool had;

	if (ensure((void **)&snap->socks, &snap->cap, alloc, sizeof(*snap->socks)) ||
	    ensure((void **)&v->eb[nb], &v->eb_cap[nb], alloc, sizeof(*v->eb[nb])) ||
	    ensure((void **)&v->taken, &v->taken_cap, old_n ? old_n : 1, 1) || pool_reserve(v, n))
		return -ENOMEM;
	ex = v->eb[nb];
	memcpy(snap->socks, src->socks, n * sizeof(*snap->socks));
	snap->n = n;
	snap->ts_ns = src->ts_ns;
	str->len = 0;
	/* paths given now may reuse the addresses of freed ones */
	memset(v->ucache, 0, sizeof(v->ucache));
	for (i = 0; i < n; i++) {
		const char *path = in->paths ? in->paths[i] : NULL;

		memset(&ex[i], 0, sizeof(ex[i]));
		ex[i].cgroup_off = NONE;
		ex[i].hslot = NONE;
		if (in->rates)
			ex[i].rate = in->rates[i];
		if (path && unit_of(v, str, path, &ex[i]))
			return -ENOMEM;
	}
	if (tl_sock_index_build(&ix, snap, NULL))
		return -ENOMEM;
	/* from here on nothing fails: the rate histories follow their cookies */
	memset(v->taken, 0, old_n);
	match_prev(v, snap, ex, v->taken);
	for (i = 0; i < n; i++) {
		ex[i].hslot = ex[i].prev != NONE ? v->ex[ex[i].prev].hslot : slot_get(v);
		hist_add(&v->pool[ex[i].hslot], &ex[i].rate);
	}
	for (i = 0; i < old_n; i++)
		if (!v->taken[i])
			v->free_slots[v->nfree++] = v->ex[i].hslot;
	had = v->ready;
	prev_ts = had ? v->snap->ts_ns : 0;
	tl_sock_index_free(&v->ix);
	v->cur = nb;
	v->snap = snap;
	v->ex = ex;
	v->ix = ix;
	v->str = *str;
	v->ready = true;
	return had ? count_accepts(v, prev_ts, m) : 0;
}

size_t tl_open_view_history(const struct tl_open_view *v, uint64_t cookie, float *tx, float *rx,
			    size_t max)
{
	const struct tl_sock *s = v->ready ? tl_sock_index_find(&v->ix, cookie) : NULL;
	const struct hist *h;
	size_t n, k, start;

	if (!s)
		return 0;
	h = &v->pool[v->ex[s - v->snap->socks].hslot];
	n = h->n < max ? h->n : max;
	/* the newest n samples, oldest first */
	start = (h->head + TL_OPEN_HIST - n) % TL_OPEN_HIST;
	for (k = 0; k < n; k++) {
		tx[k] = h->tx[(start + k) % TL_OPEN_HIST];
		rx[k] = h->rx[(start + k) % TL_OPEN_HIST];
	}
	return n;
}

