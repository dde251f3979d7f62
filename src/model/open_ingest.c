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
 * passive sockets whose cookie is new (npas of them, in pas[]), plus
 * passive sessions that began after the previous snapshot and ended by
 * this one (opened and closed in between, never seen by a walk). lis[]
 * holds the nlis listeners.
 */
static int count_accepts(struct tl_open_view *v, uint64_t prev_ts, const struct tl_model *m,
			 uint32_t *lis, size_t nlis, const uint32_t *pas, size_t npas)
{
	const struct tl_snapshot *cur = v->snap;
	uint64_t *acc, ns;
	size_t i;
	long l;

	if (cur->ts_ns <= prev_ts || !nlis)
		return 0;
	ns = cur->ts_ns - prev_ts;
	acc = calloc(nlis, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	lis_snap = cur;
	qsort(lis, nlis, sizeof(*lis), cmp_lis);
	for (i = 0; i < npas; i++) {
		const struct tl_sock *s = &cur->socks[pas[i]];

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
	free(acc);
	return 0;
}

/* Cookies are sequential: mix them so that neighbours spread over the table. */
static uint64_t hash_cookie(uint64_t c)
{
	c ^= c >> 33;
	c *= 0xff51afd7ed558ccdULL;
	c ^= c >> 33;
	return c;
}

/*
 * An ingest's sockets by cookie. Probes compare in the compact cookie
 * array (800 kB for 100,000 sockets), not in the 136-byte sockets, and
 * the table is kept from one ingest of this buffer to the next.
 */
static int cindex_build(struct cindex *ci, const uint64_t *cookies, size_t n)
{
	size_t nslots = 16, i, k;

	while (nslots < n * 2)
		nslots *= 2;
	if (nslots > ci->cap) {
		uint32_t *p = realloc(ci->slots, nslots * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ci->slots = p;
		ci->cap = nslots;
	}
	memset(ci->slots, 0, nslots * sizeof(*ci->slots));
	ci->mask = nslots - 1;
	for (i = 0; i < n; i++) {
		if (!cookies[i])
			continue;
		k = (size_t)hash_cookie(cookies[i]) & ci->mask;
		while (ci->slots[k] && cookies[ci->slots[k] - 1] != cookies[i])
			k = (k + 1) & ci->mask;
		/* a cookie seen twice (never, from the kernel) keeps its first socket */
		if (!ci->slots[k])
			ci->slots[k] = (uint32_t)i + 1;
	}
	return 0;
}

uint32_t tl_open_cindex_find(const struct cindex *ci, const uint64_t *cookies, uint64_t cookie)
{
	size_t k;

	if (!ci->slots || !cookie)
		return NONE;
	k = (size_t)hash_cookie(cookie) & ci->mask;
	while (ci->slots[k] && cookies[ci->slots[k] - 1] != cookie)
		k = (k + 1) & ci->mask;
	return ci->slots[k] ? ci->slots[k] - 1 : NONE;
}

/* Room for n more slots without failing. */
static int pool_reserve(struct tl_open_view *v, size_t n)
{
	size_t cap = v->pool_cap ? v->pool_cap : 1024, r;
	float *tx, *rx;
	uint64_t *born;
	uint32_t *f;

	if (v->pool_cap - v->pool_n + v->nfree >= n)
		return 0;
	while (cap - v->pool_n + v->nfree < n)
		cap *= 2;
	if (cap > NONE)
		return -ENOMEM;
	tx = malloc(cap * TL_OPEN_HIST * sizeof(*tx));
	rx = malloc(cap * TL_OPEN_HIST * sizeof(*rx));
	born = realloc(v->born, cap * sizeof(*born));
	if (born)
		v->born = born;
	f = realloc(v->free_slots, cap * sizeof(*f));
	if (f)
		v->free_slots = f;
	if (!tx || !rx || !born || !f) {
		free(tx);
		free(rx);
		return -ENOMEM;
	}
	/* the ring's rows are as wide as the pool: each moves to its new place */
	for (r = 0; v->pool_cap && r < TL_OPEN_HIST; r++) {
		memcpy(tx + r * cap, v->htx + r * v->pool_cap, v->pool_n * sizeof(*tx));
		memcpy(rx + r * cap, v->hrx + r * v->pool_cap, v->pool_n * sizeof(*rx));
	}
	free(v->htx);
	free(v->hrx);
	v->htx = tx;
	v->hrx = rx;
	v->pool_cap = cap;
	return 0;
}

static uint32_t slot_get(struct tl_open_view *v)
{
	uint32_t k = v->nfree ? v->free_slots[--v->nfree] : (uint32_t)v->pool_n++;

	v->born[k] = v->seq;
	return k;
}

/* This ingest's sample of a socket's rate, in bytes per second. */
static void hist_put(struct tl_open_view *v, uint32_t slot, const struct tl_open_rate *r)
{
	size_t at = (size_t)(v->seq % TL_OPEN_HIST) * v->pool_cap + slot;

	v->htx[at] = r->valid ? (float)(r->tx_mbps / 1000.0) : -1.0f;
	v->hrx[at] = r->valid ? (float)(r->rx_mbps / 1000.0) : -1.0f;
}

/* The unit entry of a path: by pointer from the cache, else made. */
static int unit_of(struct tl_open_view *v, int nb, const char *path, struct extra *e)
{
	struct unit_cache *c = &v->ucache[((uintptr_t)path >> 4) % UNIT_CACHE];
	struct unit_ent *u;

	if (c->path != path) {
		if (v->ub_n[nb] == v->ub_cap[nb]) {
			size_t cap = v->ub_cap[nb] ? 2 * v->ub_cap[nb] : 64;

			u = realloc(v->ub[nb], cap * sizeof(*u));
			if (!u)
				return -ENOMEM;
			v->ub[nb] = u;
			v->ub_cap[nb] = cap;
		}
		u = &v->ub[nb][v->ub_n[nb]];
		if (str_add(&v->strb[nb], path, &u->cgroup_off))
			return -ENOMEM;
		tl_cgroup_unit(u->unit, sizeof(u->unit), path);
		c->path = path;
		c->uref = (uint32_t)v->ub_n[nb]++;
	}
	e->uref = c->uref;
	return 0;
}

/*
 * Each socket's index in the previous ingest. The kernel walks its hash
 * table in the same order every time, so the next old socket is the usual
 * match and the index is asked only when sockets came or went.
 */
static void match_prev(const struct tl_open_view *v, const uint64_t *ck, size_t n,
		       struct extra *ex, uint8_t *taken)
{
	const uint64_t *old = v->ready ? v->ck[v->cur] : NULL;
	size_t i, j = 0, old_n = v->ready ? v->snap->n : 0;

	for (i = 0; i < n; i++) {
		uint64_t cookie = ck[i];
		uint32_t o = NONE;

		ex[i].prev = NONE;
		if (!old || !cookie)
			continue;
		if (j < old_n && old[j] == cookie)
			o = (uint32_t)j;
		else
			o = tl_open_cindex_find(&v->cix[v->cur], old, cookie);
		/* a cookie seen twice (never, from the kernel) keeps one history */
		if (o == NONE || taken[o])
			continue;
		taken[o] = 1;
		ex[i].prev = o;
		j = (size_t)o + 1;
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

/* delta bytes over ns, in thousandths of a byte per second, saturating (as open_rates.c) */
static uint64_t rate_milli(uint64_t delta, uint64_t ns)
{
	unsigned __int128 r = (unsigned __int128)delta * 1000000000000ULL / ns;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

/* Each matched socket's rate against its copy in the previous ingest. */
static void measure_rates(const struct tl_open_view *v, const struct tl_snapshot *snap,
			  struct extra *ex)
{
	const struct tl_snapshot *old = v->snap;
	uint64_t ns;
	size_t i;

	if (!v->ready || snap->ts_ns <= old->ts_ns)
		return;
	ns = snap->ts_ns - old->ts_ns;
	for (i = 0; i < snap->n; i++) {
		const struct tl_sock *b = &snap->socks[i], *a;
		struct tl_open_rate *r = &ex[i].rate;

		if (ex[i].prev == NONE)
			continue;
		a = &old->socks[ex[i].prev];
		/* counters that went back: no rate */
		if (b->tx_bytes < a->tx_bytes || b->rx_bytes < a->rx_bytes)
			continue;
		r->valid = true;
		r->tx_mbps = rate_milli(b->tx_bytes - a->tx_bytes, ns);
		r->rx_mbps = rate_milli(b->rx_bytes - a->rx_bytes, ns);
	}
}

int tl_open_view_ingest(struct tl_open_view *v, const struct tl_open_input *in,
			const struct tl_model *m)
{
	const struct tl_snapshot *src = in->snap;
	int nb = v->ready ? !v->cur : 0;
	struct tl_snapshot *snap = &v->sb[nb];
	size_t i, n = src->n, alloc = n ? n : 1, old_n = v->ready ? v->snap->n : 0;
	size_t nlis = 0, npas = 0;
	struct extra *ex;
	uint64_t prev_ts, *ck;
	bool had;

	/* the last build's rows are read from these buffers: gone with them */
	if (v->bbuf == nb)
		v->nrows = 0;
	if (ensure((void **)&snap->socks, &snap->cap, alloc, sizeof(*snap->socks)) ||
	    ensure((void **)&v->eb[nb], &v->eb_cap[nb], alloc, sizeof(*v->eb[nb])) ||
	    ensure((void **)&v->ck[nb], &v->ck_cap[nb], alloc, sizeof(*v->ck[nb])) ||
	    ensure((void **)&v->st[nb], &v->st_cap[nb], alloc, 1) ||
	    ensure((void **)&v->lis, &v->lis_cap, alloc, sizeof(*v->lis)) ||
	    ensure((void **)&v->pas, &v->pas_cap, alloc, sizeof(*v->pas)) ||
	    ensure((void **)&v->taken, &v->taken_cap, old_n ? old_n : 1, 1) ||
	    ensure((void **)&v->old2new, &v->old2new_cap, old_n ? old_n : 1, sizeof(*v->old2new)) ||
	    pool_reserve(v, n))
		return -ENOMEM;
	ex = v->eb[nb];
	ck = v->ck[nb];
	snap->n = n;
	snap->ts_ns = src->ts_ns;
	v->strb[nb].len = 0;
	v->ub_n[nb] = 0;
	/* paths given now may reuse the addresses of freed ones */
	memset(v->ucache, 0, sizeof(v->ucache));
	/* one pass over the sockets: at 100,000 each pass is megabytes */
	for (i = 0; i < n; i++) {
		const struct tl_sock *s = &src->socks[i];
		const char *path = in->paths ? in->paths[i] : NULL;

		snap->socks[i] = *s;
		ck[i] = s->cookie;
		v->st[nb][i] = s->state;
		if (s->state == TL_TCP_LISTEN)
			v->lis[nlis++] = (uint32_t)i;
		memset(&ex[i], 0, sizeof(ex[i]));
		ex[i].uref = NONE;
		ex[i].hslot = NONE;
		if (in->rates)
			ex[i].rate = in->rates[i];
		if (path && unit_of(v, nb, path, &ex[i]))
			return -ENOMEM;
	}
	if (cindex_build(&v->cix[nb], ck, n))
		return -ENOMEM;
	/* from here on nothing fails: the rate histories follow their cookies */
	v->seq++;
	memset(v->taken, 0, old_n);
	match_prev(v, ck, n, ex, v->taken);
	if (in->measure_rates && !in->rates)
		measure_rates(v, snap, ex);
	for (i = 0; i < old_n; i++)
		v->old2new[i] = NONE;
	for (i = 0; i < n; i++) {
		if (ex[i].prev != NONE) {
			ex[i].hslot = v->ex[ex[i].prev].hslot;
			v->old2new[ex[i].prev] = (uint32_t)i;
		} else {
			ex[i].hslot = slot_get(v);
			/* new since the last walk: accepted in between, if passive */
			if (snap->socks[i].state != TL_TCP_LISTEN &&
			    snap->socks[i].dir == TL_SOCK_DIR_PASSIVE)
				v->pas[npas++] = (uint32_t)i;
		}
		hist_put(v, ex[i].hslot, &ex[i].rate);
	}
	v->old2new_n = old_n;
	for (i = 0; i < old_n; i++)
		if (!v->taken[i])
			v->free_slots[v->nfree++] = v->ex[i].hslot;
	had = v->ready;
	prev_ts = had ? v->snap->ts_ns : 0;
	v->cur = nb;
	v->snap = snap;
	v->ex = ex;
	v->units = v->ub[nb];
	v->ready = true;
	return had ? count_accepts(v, prev_ts, m, v->lis, nlis, v->pas, npas) : 0;
}

size_t tl_open_view_history(const struct tl_open_view *v, uint64_t cookie, float *tx, float *rx,
			    size_t max)
{
	uint32_t i = v->ready ? tl_open_cindex_find(&v->cix[v->cur], v->ck[v->cur], cookie) : NONE;
	float vt[TL_OPEN_HIST], vr[TL_OPEN_HIST];
	uint64_t q, first;
	size_t n = 0, k, skip;
	uint32_t slot;

	if (i == NONE)
		return 0;
	slot = v->ex[i].hslot;
	first = v->seq >= TL_OPEN_HIST ? v->seq - TL_OPEN_HIST + 1 : 0;
	if (first < v->born[slot])
		first = v->born[slot];
	/* the samples with a rate since the socket took its slot, oldest first */
	for (q = first; q <= v->seq; q++) {
		size_t at = (size_t)(q % TL_OPEN_HIST) * v->pool_cap + slot;

		if (v->htx[at] < 0)
			continue;
		vt[n] = v->htx[at];
		vr[n] = v->hrx[at];
		n++;
	}
	/* the newest max of them */
	skip = n > max ? n - max : 0;
	for (k = skip; k < n; k++) {
		tx[k - skip] = vt[k];
		rx[k - skip] = vr[k];
	}
	return n - skip;
}
