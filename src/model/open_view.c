// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Rows are rebuilt from the ingested sockets at every build: a snapshot
 * replaces the previous one whole, so there is nothing to update in place.
 * Sorting uses qsort with the cookie as the last key, so equal rows keep
 * their places between refreshes instead of swapping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "cgroup.h"
#include "open_view.h"
#include "sock_index.h"

struct hist {
	uint32_t n, head;	/* samples kept; where the next one goes */
	float tx[TL_OPEN_HIST], rx[TL_OPEN_HIST];
};

/* Paths of one ingest, NUL-separated. */
struct strbuf {
	char *p;
	size_t len, cap;
};

#define NONE UINT32_MAX

/* What one ingested socket brings besides itself. */
struct extra {
	struct tl_open_rate rate;
	uint32_t cgroup_off;
	uint32_t prev;			/* its index in the previous ingest; NONE: new */
	uint32_t hslot;			/* its rate history in the pool */
	char unit[TL_OPEN_UNIT_MAX];
	bool accepts_valid;
	uint64_t accepts_milli;
};

/* Unit names by path pointer within one ingest: most sockets share a few paths. */
#define UNIT_CACHE 256
struct unit_cache {
	const char *path;
	uint32_t off;
	char unit[TL_OPEN_UNIT_MAX];
};

struct tl_open_view {
	bool ready;
	struct tl_snapshot *snap;	/* a copy of the last ingest's sockets */
	struct extra *ex;		/* per socket of snap */
	/* rate histories stay in place from one ingest to the next (a socket
	 * keeps its slot); slots of closed sockets are reused */
	struct hist *pool;
	size_t pool_n, pool_cap;	/* slots handed out at least once; allocated */
	uint32_t *free_slots;		/* room for pool_cap */
	size_t nfree;
	struct unit_cache ucache[UNIT_CACHE];
	uint32_t *order;		/* build: rows in sorted order */
	size_t order_cap;
	struct tl_sock_index ix;	/* snap by cookie */
	struct strbuf str;		/* the cgroup paths of snap */
	/* snap, ex and str are one of two buffers each, reused in turn: fresh
	 * memory for 100,000 sockets at every refresh costs more in page faults
	 * than the copying */
	struct tl_snapshot sb[2];
	struct extra *eb[2];
	size_t eb_cap[2];
	struct strbuf strb[2];
	int cur;
	uint8_t *taken;
	size_t taken_cap;
	struct tl_open_row *rows;
	size_t nrows, rows_cap;
	uint32_t *sel;			/* build: indexes of matching sockets */
	size_t sel_cap;
	enum tl_ocol sort;		/* for the comparator */
	bool desc;
	enum tl_ogroup group;
};

struct tl_open_view *tl_open_view_new(void)
{
	return calloc(1, sizeof(struct tl_open_view));
}

void tl_open_view_free(struct tl_open_view *v)
{
	int i;

	if (!v)
		return;
	tl_sock_index_free(&v->ix);
	for (i = 0; i < 2; i++) {
		free(v->sb[i].socks);
		free(v->eb[i]);
		free(v->strb[i].p);
	}
	free(v->taken);
	free(v->pool);
	free(v->free_slots);
	free(v->order);
	free(v->rows);
	free(v->sel);
	free(v);
}

void tl_open_record(struct tl_record *r, const struct tl_sock *s, uint64_t ts_ns)
{
	memset(r, 0, sizeof(*r));
	r->kind = TL_REC_SESSION;
	r->ts_ns = ts_ns;
	r->span_ns = s->age_known ? s->age_ns : 0;
	r->adopted = !s->age_known;
	r->tx_bytes = s->tx_bytes;
	r->rx_bytes = s->rx_bytes;
	r->pid = s->pid;
	r->retrans = s->retrans;
	r->srtt_us = s->srtt_us;
	r->lport = s->lport;
	r->rport = s->rport;
	r->family = s->family;
	r->dir = s->dir;
	r->owner_known = s->owner_known;
	memcpy(r->laddr, s->laddr, sizeof(r->laddr));
	memcpy(r->raddr, s->raddr, sizeof(r->raddr));
	memcpy(r->comm, s->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	r->cgroup_id = s->cgroup_id;
	r->cookie = s->cookie;
}

/* ---- ingest ---- */

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

/* ---- build ---- */

static bool row_of_group(const struct tl_sock *s, enum tl_ogroup g)
{
	return g == TL_OGROUP_LISTEN ? s->state == TL_TCP_LISTEN : s->state != TL_TCP_LISTEN;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_addr(uint8_t fa, const uint8_t *a, uint8_t fb, const uint8_t *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, fa == 4 ? 4 : 16);
}

/* Unknown values (no owner, no rate, no age) order below every known one. */
static int cmp_col(const struct tl_open_row *a, const struct tl_open_row *b, enum tl_ocol c)
{
	const struct tl_sock *x = &a->s, *y = &b->s;
	int r;

	switch (c) {
	case TL_OCOL_RATE:
		if (a->rate_valid != b->rate_valid)
			return a->rate_valid ? 1 : -1;
		return cmp_u64(a->tx_mbps + a->rx_mbps, b->tx_mbps + b->rx_mbps);
	case TL_OCOL_TXRATE:
		if (a->rate_valid != b->rate_valid)
			return a->rate_valid ? 1 : -1;
		return cmp_u64(a->tx_mbps, b->tx_mbps);
	case TL_OCOL_RXRATE:
		if (a->rate_valid != b->rate_valid)
			return a->rate_valid ? 1 : -1;
		return cmp_u64(a->rx_mbps, b->rx_mbps);
	case TL_OCOL_PID:
		if (x->owner_known != y->owner_known)
			return x->owner_known ? 1 : -1;
		return cmp_u64(x->pid, y->pid);
	case TL_OCOL_COMM:
		if (x->owner_known != y->owner_known)
			return x->owner_known ? 1 : -1;
		return strncmp(x->comm, y->comm, sizeof(x->comm));
	case TL_OCOL_UNIT:
		if (!a->unit[0] != !b->unit[0])
			return a->unit[0] ? 1 : -1;
		return strcmp(a->unit, b->unit);
	case TL_OCOL_DIR:
		return cmp_u64(x->dir, y->dir);
	case TL_OCOL_LOCAL:
		r = cmp_addr(x->family, x->laddr, y->family, y->laddr);
		return r ? r : cmp_u64(x->lport, y->lport);
	case TL_OCOL_REMOTE:
		r = cmp_addr(x->family, x->raddr, y->family, y->raddr);
		return r ? r : cmp_u64(x->rport, y->rport);
	case TL_OCOL_STATE:
		return cmp_u64(x->state, y->state);
	case TL_OCOL_AGE:
		if (x->age_known != y->age_known)
			return x->age_known ? 1 : -1;
		return cmp_u64(x->age_ns, y->age_ns);
	case TL_OCOL_CONNS:
		return cmp_u64(a->count, b->count);
	case TL_OCOL_QUEUE:
		return cmp_u64(x->accept_queue, y->accept_queue);
	case TL_OCOL_ACCEPTS:
		if (a->accepts_valid != b->accepts_valid)
			return a->accepts_valid ? 1 : -1;
		return cmp_u64(a->accepts_milli, b->accepts_milli);
	case TL_OCOL_DROPS:
		return cmp_u64(x->drops, y->drops);
	case TL_OCOL_TX:
		return cmp_u64(x->tx_bytes, y->tx_bytes);
	case TL_OCOL_RX:
		return cmp_u64(x->rx_bytes, y->rx_bytes);
	case TL_OCOL_RTT:
		return cmp_u64(x->srtt_us, y->srtt_us);
	case TL_OCOL_RETR:
		return cmp_u64(x->retrans, y->retrans);
	default:
		return 0;
	}
}

/* qsort has no context argument; builds are not reentrant (one thread) */
static const struct tl_open_view *sorting;

/* on indexes: a row is some 200 bytes, too many to move while sorting */
static int cmp_rows(const void *pa, const void *pb)
{
	const struct tl_open_row *a = &sorting->rows[*(const uint32_t *)pa];
	const struct tl_open_row *b = &sorting->rows[*(const uint32_t *)pb];
	int r = cmp_col(a, b, sorting->sort);

	if (sorting->desc)
		r = -r;
	if (!r)
		r = cmp_u64(a->s.cookie, b->s.cookie);
	return r;
}

/* Group keys, for sorting the sockets so that a group's are adjacent. */
static int cmp_key(const struct tl_open_view *v, uint32_t i, uint32_t j)
{
	const struct tl_sock *x = &v->snap->socks[i], *y = &v->snap->socks[j];

	switch (v->group) {
	case TL_OGROUP_PROCESS:
		if (x->owner_known != y->owner_known)
			return x->owner_known ? 1 : -1;
		if (!x->owner_known)
			return 0;
		if (x->pid != y->pid)
			return x->pid < y->pid ? -1 : 1;
		return strncmp(x->comm, y->comm, sizeof(x->comm));
	case TL_OGROUP_UNIT:
		return strcmp(v->ex[i].unit, v->ex[j].unit);
	case TL_OGROUP_HOST:
		return cmp_addr(x->family, x->raddr, y->family, y->raddr);
	default:
		return 0;
	}
}

static int cmp_sel(const void *pa, const void *pb)
{
	uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb;
	int r = cmp_key(sorting, i, j);

	return r ? r : (i < j ? -1 : i > j);
}

static void row_init(struct tl_open_view *v, struct tl_open_row *row, uint32_t i)
{
	const struct extra *e = &v->ex[i];

	memset(row, 0, sizeof(*row));
	row->s = v->snap->socks[i];
	row->cgroup_off = e->cgroup_off;
	memcpy(row->unit, e->unit, sizeof(row->unit));
	row->count = 1;
	row->rate_valid = e->rate.valid;
	row->nrate = e->rate.valid;
	row->tx_mbps = e->rate.valid ? e->rate.tx_mbps : 0;
	row->rx_mbps = e->rate.valid ? e->rate.rx_mbps : 0;
	row->accepts_valid = e->accepts_valid;
	row->accepts_milli = e->accepts_milli;
	row->full = row->s.state == TL_TCP_LISTEN &&
		    row->s.accept_queue > row->s.accept_queue_max;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void row_merge(struct tl_open_view *v, struct tl_open_row *row, uint32_t i)
{
	const struct tl_sock *s = &v->snap->socks[i];
	const struct extra *e = &v->ex[i];

	row->count++;
	row->s.tx_bytes = sat_add(row->s.tx_bytes, s->tx_bytes);
	row->s.rx_bytes = sat_add(row->s.rx_bytes, s->rx_bytes);
	row->s.retrans += s->retrans;
	if (e->rate.valid) {
		row->nrate++;
		row->rate_valid = true;
		row->tx_mbps = sat_add(row->tx_mbps, e->rate.tx_mbps);
		row->rx_mbps = sat_add(row->rx_mbps, e->rate.rx_mbps);
	}
	/* a process's sockets share its cgroup; a host's may be anyone's */
	if (row->cgroup_off != e->cgroup_off && v->group != TL_OGROUP_UNIT) {
		row->cgroup_off = UINT32_MAX;
		row->unit[0] = '\0';
	}
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *q;
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The column as one number, ordered as cmp_col orders it; false for text. */
static bool num_key(const struct tl_open_row *a, enum tl_ocol c, uint64_t *k)
{
	const struct tl_sock *x = &a->s;

	switch (c) {
	case TL_OCOL_RATE:
		*k = a->rate_valid ? sat_add(sat_add(a->tx_mbps, a->rx_mbps), 1) : 0;
		return true;
	case TL_OCOL_TXRATE:
		*k = a->rate_valid ? sat_add(a->tx_mbps, 1) : 0;
		return true;
	case TL_OCOL_RXRATE:
		*k = a->rate_valid ? sat_add(a->rx_mbps, 1) : 0;
		return true;
	case TL_OCOL_PID:
		*k = x->owner_known ? (uint64_t)x->pid + 1 : 0;
		return true;
	case TL_OCOL_DIR: *k = x->dir; return true;
	case TL_OCOL_STATE: *k = x->state; return true;
	case TL_OCOL_AGE:
		*k = x->age_known ? sat_add(x->age_ns, 1) : 0;
		return true;
	case TL_OCOL_CONNS: *k = a->count; return true;
	case TL_OCOL_QUEUE: *k = x->accept_queue; return true;
	case TL_OCOL_ACCEPTS:
		*k = a->accepts_valid ? sat_add(a->accepts_milli, 1) : 0;
		return true;
	case TL_OCOL_DROPS: *k = x->drops; return true;
	case TL_OCOL_TX: *k = x->tx_bytes; return true;
	case TL_OCOL_RX: *k = x->rx_bytes; return true;
	case TL_OCOL_RTT: *k = x->srtt_us; return true;
	case TL_OCOL_RETR: *k = x->retrans; return true;
	default: return false;
	}
}

struct skey {
	uint64_t k, cookie;
	uint32_t row;
};

static int cmp_skey(const void *pa, const void *pb)
{
	const struct skey *a = pa, *b = pb;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return cmp_u64(a->cookie, b->cookie);
}

/*
 * Numeric columns sort as (key, cookie) pairs, without touching the rows:
 * the same order as cmp_rows, several times faster on 100,000 rows.
 * Nonzero when the column is text (or there is no memory for the keys).
 */
static int sort_by_keys(struct tl_open_view *v)
{
	struct skey *sk;
	uint64_t k;
	size_t i;

	if (!v->nrows || !num_key(&v->rows[0], v->sort, &k))
		return v->nrows ? 1 : 0;
	sk = malloc(v->nrows * sizeof(*sk));
	if (!sk)
		return 1;
	for (i = 0; i < v->nrows; i++) {
		num_key(&v->rows[i], v->sort, &k);
		sk[i].k = v->desc ? ~k : k;
		sk[i].cookie = v->rows[i].s.cookie;
		sk[i].row = (uint32_t)i;
	}
	qsort(sk, v->nrows, sizeof(*sk), cmp_skey);
	for (i = 0; i < v->nrows; i++)
		v->order[i] = sk[i].row;
	free(sk);
	return 0;
}

static void qsort_rows(struct tl_open_view *v)
{
	size_t i;

	for (i = 0; i < v->nrows; i++)
		v->order[i] = (uint32_t)i;
	qsort(v->order, v->nrows, sizeof(*v->order), cmp_rows);
}

int tl_open_view_build(struct tl_open_view *v, const struct tl_filter *f, enum tl_ogroup g,
		       enum tl_ocol sort, bool descending)
{
	struct tl_record rec;
	size_t i, n = 0;

	v->nrows = 0;
	v->group = g;
	v->sort = sort;
	v->desc = descending;
	if (!v->ready || !v->snap->n)
		return 0;
	if (grow((void **)&v->sel, &v->sel_cap, v->snap->n, sizeof(*v->sel)) ||
	    grow((void **)&v->rows, &v->rows_cap, v->snap->n, sizeof(*v->rows)))
		return -ENOMEM;
	/* order has sel's capacity: sel only grows with it */
	if (v->order_cap < v->sel_cap) {
		uint32_t *o = realloc(v->order, v->sel_cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		v->order = o;
		v->order_cap = v->sel_cap;
	}
	for (i = 0; i < v->snap->n; i++) {
		const struct tl_sock *s = &v->snap->socks[i];

		if (!row_of_group(s, g))
			continue;
		if (f) {
			tl_open_record(&rec, s, v->snap->ts_ns);
			if (!tl_filter_match(f, &rec))
				continue;
		}
		v->sel[n++] = (uint32_t)i;
	}
	sorting = v;
	if (g == TL_OGROUP_CONN || g == TL_OGROUP_LISTEN) {
		for (i = 0; i < n; i++)
			row_init(v, &v->rows[i], v->sel[i]);
		v->nrows = n;
	} else {
		qsort(v->sel, n, sizeof(*v->sel), cmp_sel);
		for (i = 0; i < n; i++) {
			if (i && !cmp_key(v, v->sel[i - 1], v->sel[i])) {
				row_merge(v, &v->rows[v->nrows - 1], v->sel[i]);
				continue;
			}
			row_init(v, &v->rows[v->nrows++], v->sel[i]);
		}
	}
	if (sort_by_keys(v))
		qsort_rows(v);
	sorting = NULL;
	return 0;
}

bool tl_open_view_ready(const struct tl_open_view *v)
{
	return v->ready;
}

uint64_t tl_open_view_ts(const struct tl_open_view *v)
{
	return v->ready ? v->snap->ts_ns : 0;
}

size_t tl_open_view_sockets(const struct tl_open_view *v)
{
	return v->ready ? v->snap->n : 0;
}

size_t tl_open_view_len(const struct tl_open_view *v)
{
	return v->nrows;
}

const struct tl_open_row *tl_open_view_get(const struct tl_open_view *v, size_t i)
{
	return i < v->nrows ? &v->rows[v->order[i]] : NULL;
}

const char *tl_open_view_cgroup(const struct tl_open_view *v, const struct tl_open_row *r)
{
	if (!r || r->cgroup_off == UINT32_MAX || r->cgroup_off >= v->str.len)
		return NULL;
	return v->str.p + r->cgroup_off;
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
