// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The open view's rows, from the last ingest at every build. Connections
 * and listeners (100,000 of them) are sorted as compact keys and a row is
 * made only when it is read; sorted by a number (the usual case, top
 * talkers first), the last build's order seeds the next so that only what
 * changed is sorted again; by text, the keys are the first bytes and equal
 * ones are sorted again in full. Groups are folded through a hash table
 * and make their rows. The cookie is the last sort key, so equal rows keep
 * their places between refreshes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_view_int.h"

struct tl_open_view *tl_open_view_new(void)
{
	struct tl_open_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->rc = calloc(1, sizeof(*v->rc));
	if (!v->rc) {
		free(v);
		errno = ENOMEM;
		return NULL;
	}
	return v;
}

void tl_open_view_free(struct tl_open_view *v)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < 2; i++) {
		free(v->ck[i]);
		free(v->st[i]);
		free(v->cix[i].slots);
		free(v->sb[i].socks);
		free(v->eb[i]);
		free(v->strb[i].p);
		free(v->ub[i]);
	}
	free(v->taken);
	free(v->lis);
	free(v->pas);
	free(v->old2new);
	free(v->htx);
	free(v->hrx);
	free(v->born);
	free(v->free_slots);
	free(v->order);
	free(v->okey);
	free(v->pos);
	free(v->rows);
	free(v->sel);
	free(v->mark);
	free(v->gslots);
	free(v->grep);
	free(v->uhash);
	free(v->kcur);
	free(v->ks);
	free(v->kc);
	free(v->kt);
	free(v->rc);
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

/* ---- build ---- */

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

static const char *unit_str(const struct unit_ent *units, uint32_t uref)
{
	return uref == NONE ? "" : units[uref].unit;
}

/* A text column of two sockets (their units beside them); unknown (no owner,
 * no unit) orders below every known one. */
static int cmp_text(const struct tl_sock *x, const char *ux, const struct tl_sock *y,
		    const char *uy, enum tl_ocol c)
{
	int r;

	switch (c) {
	case TL_OCOL_COMM:
		if (x->owner_known != y->owner_known)
			return x->owner_known ? 1 : -1;
		return strncmp(x->comm, y->comm, sizeof(x->comm));
	case TL_OCOL_UNIT:
		if (!ux[0] != !uy[0])
			return ux[0] ? 1 : -1;
		return strcmp(ux, uy);
	case TL_OCOL_LOCAL:
		r = cmp_addr(x->family, x->laddr, y->family, y->laddr);
		return r ? r : cmp_u64(x->lport, y->lport);
	case TL_OCOL_REMOTE:
		r = cmp_addr(x->family, x->raddr, y->family, y->raddr);
		return r ? r : cmp_u64(x->rport, y->rport);
	default:
		/* the numeric columns sort by num_key, never here */
		return 0;
	}
}

static int cmp_col(const struct tl_open_row *a, const struct tl_open_row *b, enum tl_ocol c)
{
	return cmp_text(&a->s, a->unit, &b->s, b->unit, c);
}

/* qsort has no context argument; builds are not reentrant (one thread) */
static const struct tl_open_view *sorting;

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
		return strcmp(unit_str(v->units, v->ex[i].uref), unit_str(v->units, v->ex[j].uref));
	case TL_OGROUP_HOST:
		return cmp_addr(x->family, x->raddr, y->family, y->raddr);
	default:
		return 0;
	}
}


static void row_fill(struct tl_open_row *row, const struct tl_sock *s, const struct extra *e,
		     const struct unit_ent *units)
{
	memset(row, 0, sizeof(*row));
	row->s = *s;
	row->cgroup_off = e->uref == NONE ? NONE : units[e->uref].cgroup_off;
	if (e->uref != NONE)
		memcpy(row->unit, units[e->uref].unit, sizeof(row->unit));
	row->count = 1;
	row->rate_valid = e->rate.valid;
	row->nrate = e->rate.valid;
	row->tx_mbps = e->rate.valid ? e->rate.tx_mbps : 0;
	row->rx_mbps = e->rate.valid ? e->rate.rx_mbps : 0;
	row->accepts_valid = e->accepts_valid;
	row->accepts_milli = e->accepts_milli;
	row->full = s->state == TL_TCP_LISTEN && s->accept_queue > s->accept_queue_max;
}

static void row_init(struct tl_open_view *v, struct tl_open_row *row, uint32_t i)
{
	row_fill(row, &v->snap->socks[i], &v->ex[i], v->units);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void row_merge(struct tl_open_view *v, struct tl_open_row *row, uint32_t i)
{
	const struct tl_sock *s = &v->snap->socks[i];
	const struct extra *e = &v->ex[i];
	uint32_t off = e->uref == NONE ? NONE : v->units[e->uref].cgroup_off;

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
	if (row->cgroup_off != off && v->group != TL_OGROUP_UNIT) {
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

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The hash of a socket's group key: equal when cmp_key says equal. */
static uint64_t group_hash(const struct tl_open_view *v, uint32_t i)
{
	const struct tl_sock *s = &v->snap->socks[i];
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t u;

	switch (v->group) {
	case TL_OGROUP_PROCESS:
		if (!s->owner_known)
			return 1;
		h = hash_bytes(h, &s->pid, sizeof(s->pid));
		return hash_bytes(h, s->comm, strnlen(s->comm, sizeof(s->comm)));
	case TL_OGROUP_UNIT:
		u = v->ex[i].uref;
		return u == NONE ? h : v->uhash[u];
	case TL_OGROUP_HOST:
		h = hash_bytes(h, &s->family, 1);
		return hash_bytes(h, s->raddr, s->family == 4 ? 4 : 16);
	default:
		return 0;
	}
}

/*
 * The sockets in sel[n] folded into one row per group, rows in order of
 * their first socket: a hash table of the groups, one pass, where sorting
 * 100,000 sockets by their group key took tens of milliseconds. A row is
 * its first socket's, merged with the others in walk order.
 */
static int group_rows(struct tl_open_view *v, size_t n)
{
	size_t nslots = 16, i, k;

	while (nslots < 2 * n)
		nslots *= 2;
	if (grow((void **)&v->gslots, &v->gslots_cap, nslots, sizeof(*v->gslots)) ||
	    grow((void **)&v->grep, &v->grep_cap, n, sizeof(*v->grep)) ||
	    grow((void **)&v->uhash, &v->uhash_cap, v->ub_n[v->cur] + 1, sizeof(*v->uhash)))
		return -ENOMEM;
	for (i = 0; v->group == TL_OGROUP_UNIT && i < v->ub_n[v->cur]; i++) {
		const char *u = v->units[i].unit;

		v->uhash[i] = hash_bytes(0xcbf29ce484222325ULL, u, strlen(u));
	}
	memset(v->gslots, 0, nslots * sizeof(*v->gslots));
	v->nrows = 0;
	for (i = 0; i < n; i++) {
		uint32_t j = v->sel[i], r;

		k = (size_t)group_hash(v, j) & (nslots - 1);
		while ((r = v->gslots[k]) && cmp_key(v, v->grep[r - 1], j))
			k = (k + 1) & (nslots - 1);
		if (r) {
			row_merge(v, &v->rows[r - 1], j);
			continue;
		}
		row_init(v, &v->rows[v->nrows], j);
		v->grep[v->nrows] = j;
		v->gslots[k] = (uint32_t)++v->nrows;
	}
	return 0;
}

/* What the numeric sort keys read: a row's, or a socket's before it is a row. */
struct nums {
	const struct tl_sock *s;
	bool rate_valid, accepts_valid;
	uint64_t tx_mbps, rx_mbps, accepts_milli;
	uint32_t count;
};

static bool numeric(enum tl_ocol c)
{
	return c != TL_OCOL_COMM && c != TL_OCOL_UNIT && c != TL_OCOL_LOCAL &&
	       c != TL_OCOL_REMOTE && c < TL_OCOL_COUNT;
}

/* A numeric column as one number: unknown (no rate, owner, age) lowest. */
static uint64_t num_key(const struct nums *a, enum tl_ocol c)
{
	const struct tl_sock *x = a->s;

	switch (c) {
	case TL_OCOL_RATE:
		return a->rate_valid ? sat_add(sat_add(a->tx_mbps, a->rx_mbps), 1) : 0;
	case TL_OCOL_TXRATE:
		return a->rate_valid ? sat_add(a->tx_mbps, 1) : 0;
	case TL_OCOL_RXRATE:
		return a->rate_valid ? sat_add(a->rx_mbps, 1) : 0;
	case TL_OCOL_PID:
		return x->owner_known ? (uint64_t)x->pid + 1 : 0;
	case TL_OCOL_DIR: return x->dir;
	case TL_OCOL_STATE: return x->state;
	case TL_OCOL_AGE:
		return x->age_known ? sat_add(x->age_ns, 1) : 0;
	case TL_OCOL_CONNS: return a->count;
	case TL_OCOL_QUEUE: return x->accept_queue;
	case TL_OCOL_ACCEPTS:
		return a->accepts_valid ? sat_add(a->accepts_milli, 1) : 0;
	case TL_OCOL_DROPS: return x->drops;
	case TL_OCOL_TX: return x->tx_bytes;
	case TL_OCOL_RX: return x->rx_bytes;
	case TL_OCOL_RTT: return x->srtt_us;
	case TL_OCOL_RETR: return x->retrans;
	default: return 0;
	}
}

static uint64_t row_key(const struct tl_open_row *r, enum tl_ocol c, bool desc)
{
	struct nums a = {
		.s = &r->s, .rate_valid = r->rate_valid, .accepts_valid = r->accepts_valid,
		.tx_mbps = r->tx_mbps, .rx_mbps = r->rx_mbps, .accepts_milli = r->accepts_milli,
		.count = r->count,
	};
	uint64_t k = num_key(&a, c);

	return desc ? ~k : k;
}

/* The same key as the socket's row would have (row_fill), without making it. */
static uint64_t sock_key(const struct tl_open_view *v, uint32_t i, enum tl_ocol c, bool desc)
{
	const struct extra *e = &v->ex[i];
	struct nums a = {
		.s = &v->snap->socks[i], .rate_valid = e->rate.valid,
		.accepts_valid = e->accepts_valid,
		.tx_mbps = e->rate.valid ? e->rate.tx_mbps : 0,
		.rx_mbps = e->rate.valid ? e->rate.rx_mbps : 0,
		.accepts_milli = e->accepts_milli, .count = 1,
	};
	uint64_t k = num_key(&a, c);

	return desc ? ~k : k;
}

/* Up to 7 bytes as a big-endian number: their order is memcmp's. */
static uint64_t be7(const uint8_t *p, size_t n)
{
	uint64_t k = 0;
	size_t i;

	for (i = 0; i < 7; i++)
		k = k << 8 | (i < n ? p[i] : 0);
	return k;
}

static uint64_t str7(const char *p, size_t max)
{
	return be7((const uint8_t *)p, strnlen(p, max < 7 ? max : 7));
}

/*
 * A text column's first bytes as a number, ordered as cmp_text orders
 * the column: a smaller key is a smaller value; equal keys are sorted
 * again by cmp_text (fix_runs). Exact for IPv4 endpoints.
 */
static uint64_t text_key(const struct tl_open_view *v, uint32_t i, enum tl_ocol c, bool desc)
{
	const struct tl_sock *s = &v->snap->socks[i];
	const char *u = unit_str(v->units, v->ex[i].uref);
	const uint8_t *a = c == TL_OCOL_LOCAL ? s->laddr : s->raddr;
	uint16_t port = c == TL_OCOL_LOCAL ? s->lport : s->rport;
	uint64_t k;

	switch (c) {
	case TL_OCOL_COMM:
		k = (uint64_t)!!s->owner_known << 56 | str7(s->comm, sizeof(s->comm));
		break;
	case TL_OCOL_UNIT:
		k = (uint64_t)!!u[0] << 56 | str7(u, TL_OPEN_UNIT_MAX);
		break;
	default:
		if (s->family == 4)
			k = (uint64_t)a[0] << 40 | (uint64_t)a[1] << 32 | (uint64_t)a[2] << 24 |
			    (uint64_t)a[3] << 16 | port;
		else
			k = 1ULL << 63 | be7(a, 7);
		break;
	}
	return desc ? ~k : k;
}

static int cmp_text_sk(const void *pa, const void *pb)
{
	const struct skey *a = pa, *b = pb;
	const struct tl_open_view *v = sorting;
	int r = cmp_text(&v->snap->socks[a->row], unit_str(v->units, v->ex[a->row].uref),
			 &v->snap->socks[b->row], unit_str(v->units, v->ex[b->row].uref), v->sort);

	if (v->desc)
		r = -r;
	if (!r)
		r = cmp_u64(a->cookie, b->cookie);
	return r ? r : cmp_u64(a->row, b->row);
}

/* Whether a socket's text key is its whole value: a string shorter than 7
 * bytes (its NUL is in the key), an IPv4 endpoint. Equal keys share it. */
static bool text_exact(const struct tl_open_view *v, uint32_t i, enum tl_ocol c)
{
	const struct tl_sock *s = &v->snap->socks[i];

	switch (c) {
	case TL_OCOL_COMM:
		return strnlen(s->comm, sizeof(s->comm)) < 7;
	case TL_OCOL_UNIT:
		return strnlen(unit_str(v->units, v->ex[i].uref), 7) < 7;
	default:
		return s->family == 4;
	}
}

/* Runs of equal text keys that are not whole values, sorted by the whole text. */
static void fix_runs(struct tl_open_view *v, struct skey *k, size_t n)
{
	size_t a = 0, b;

	sorting = v;
	while (a < n) {
		for (b = a + 1; b < n && k[b].k == k[a].k; b++)
			;
		if (b - a > 1 && !text_exact(v, k[a].row, v->sort))
			qsort(k + a, b - a, sizeof(*k), cmp_text_sk);
		a = b;
	}
	sorting = NULL;
}

/* Key, then cookie (equal rows keep their places between refreshes), then row. */
static bool sk_lt(const struct skey *a, const struct skey *b)
{
	if (a->k != b->k)
		return a->k < b->k;
	if (a->cookie != b->cookie)
		return a->cookie < b->cookie;
	return a->row < b->row;
}

static void sk_merge(const struct skey *a, size_t na, const struct skey *b, size_t nb,
		     struct skey *out)
{
	size_t i = 0, j = 0, o = 0;

	while (i < na && j < nb)
		out[o++] = sk_lt(&b[j], &a[i]) ? b[j++] : a[i++];
	while (i < na)
		out[o++] = a[i++];
	while (j < nb)
		out[o++] = b[j++];
}

/*
 * Sorts a[n] with tmp[n] as scratch: runs of 16 by insertion, then merged
 * bottom-up. qsort would allocate (and, at this size, map and unmap) its
 * own scratch at every call and compare through a function pointer.
 */
static void sk_sort(struct skey *a, struct skey *tmp, size_t n)
{
	struct skey *src = a, *dst = tmp, *t;
	size_t w, i, j;

	for (i = 0; i < n; i += 16) {
		size_t end = i + 16 < n ? i + 16 : n;

		for (j = i + 1; j < end; j++) {
			struct skey x = a[j];
			size_t k = j;

			while (k > i && sk_lt(&x, &a[k - 1])) {
				a[k] = a[k - 1];
				k--;
			}
			a[k] = x;
		}
	}
	for (w = 16; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			size_t m = i + w < n ? i + w : n, end = i + 2 * w < n ? i + 2 * w : n;

			sk_merge(src + i, m - i, src + m, end - m, dst + i);
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

static int keys_room(struct tl_open_view *v, size_t n)
{
	size_t cap = v->k_cap;

	if (grow((void **)&v->ks, &cap, n, sizeof(*v->ks)))
		return -ENOMEM;
	cap = v->k_cap;
	if (grow((void **)&v->kc, &cap, n, sizeof(*v->kc)))
		return -ENOMEM;
	cap = v->k_cap;
	if (grow((void **)&v->kt, &cap, n, sizeof(*v->kt)))
		return -ENOMEM;
	v->k_cap = cap;
	return 0;
}

/* Grouped builds: rows[] made, then sorted by (key, cookie) or by text. */
static int sort_rows(struct tl_open_view *v)
{
	size_t i;

	if (!numeric(v->sort)) {
		for (i = 0; i < v->nrows; i++)
			v->order[i] = (uint32_t)i;
		qsort(v->order, v->nrows, sizeof(*v->order), cmp_rows);
		return 0;
	}
	if (keys_room(v, v->nrows))
		return -ENOMEM;
	for (i = 0; i < v->nrows; i++) {
		v->kc[i].k = row_key(&v->rows[i], v->sort, v->desc);
		v->kc[i].cookie = v->rows[i].s.cookie;
		v->kc[i].row = (uint32_t)i;
	}
	sk_sort(v->kc, v->kt, v->nrows);
	for (i = 0; i < v->nrows; i++)
		v->order[i] = v->kc[i].row;
	return 0;
}

/*
 * The last build's order, if it can seed this one: the same grouping and
 * sort, on this ingest or the one before (its sockets then found in this
 * one through old2new).
 */
static bool hint_usable(const struct tl_open_view *v, enum tl_ogroup g, enum tl_ocol sort,
			bool desc)
{
	return v->lazy && v->nrows && v->group == g && v->sort == sort && v->desc == desc &&
	       (v->bseq == v->seq || (v->bseq + 1 == v->seq && v->bbuf != v->cur));
}

/*
 * Connections or listeners sorted by a numeric column, no row made. The
 * sockets whose key did not change since the last build keep their order
 * (walked from it: already sorted); only the others (new, changed, or all
 * when there is no usable hint) are sorted, and the two lists merged:
 * O(n + m log m) for m changed, where most connections idle at rate 0.
 */
static int build_lazy(struct tl_open_view *v, size_t n, bool hint)
{
	const uint64_t *ck = v->ck[v->cur];
	size_t ns = 0, nc = 0, p, i;
	bool same = v->bseq == v->seq;

	if (keys_room(v, n))
		return -ENOMEM;
	for (p = 0; hint && p < v->nrows; p++) {
		uint32_t o = v->order[p], j = same ? o : (o < v->old2new_n ? v->old2new[o] : NONE);
		struct skey *k;

		if (j == NONE || v->mark[j] != 1 || v->kcur[j] != v->okey[p])
			continue;
		k = &v->ks[ns];
		k->k = v->kcur[j];
		k->cookie = ck[j];
		k->row = j;
		/* the hint is an order of other rows: trust it only while it holds */
		if (ns && !sk_lt(&v->ks[ns - 1], k))
			break;
		v->mark[j] = 2;
		ns++;
	}
	if (hint && p < v->nrows) {
		/* broken (cannot happen when the bookkeeping is right): sort all */
		for (i = 0; i < ns; i++)
			v->mark[v->ks[i].row] = 1;
		ns = 0;
	}
	for (i = 0; i < n; i++) {
		uint32_t j = v->sel[i];

		if (v->mark[j] != 1)
			continue;
		v->kc[nc].k = v->kcur[j];
		v->kc[nc].cookie = ck[j];
		v->kc[nc].row = j;
		nc++;
	}
	sk_sort(v->kc, v->kt, nc);
	sk_merge(v->ks, ns, v->kc, nc, v->kt);
	if (!numeric(v->sort))
		fix_runs(v, v->kt, n);
	for (p = 0; p < n; p++) {
		v->order[p] = v->kt[p].row;
		v->okey[p] = v->kt[p].k;
		v->pos[v->kt[p].row] = (uint32_t)p;
	}
	v->nrows = n;
	return 0;
}

int tl_open_view_build(struct tl_open_view *v, const struct tl_filter *f, enum tl_ogroup g,
		       enum tl_ocol sort, bool descending)
{
	bool lazy = g == TL_OGROUP_CONN || g == TL_OGROUP_LISTEN;
	/* a text key is a prefix: equal keys need not be in the hint's order */
	bool hint = lazy && numeric(sort) && hint_usable(v, g, sort, descending);
	const uint8_t *st = v->st[v->cur];
	struct tl_record rec;
	size_t i, n = 0, nsock;
	int err;

	v->bgen++;
	if (!hint)
		v->nrows = 0;
	v->group = g;
	v->sort = sort;
	v->desc = descending;
	v->lazy = false;
	if (!v->ready || !v->snap->n) {
		v->nrows = 0;
		goto done;
	}
	nsock = v->snap->n;
	if (grow((void **)&v->sel, &v->sel_cap, nsock, sizeof(*v->sel)) ||
	    grow((void **)&v->mark, &v->mark_cap, nsock, sizeof(*v->mark)) ||
	    grow((void **)&v->pos, &v->pos_cap, nsock, sizeof(*v->pos)) ||
	    (lazy && grow((void **)&v->kcur, &v->kcur_cap, nsock, sizeof(*v->kcur))))
		goto nomem;
	/* order and okey have sel's capacity: sel only grows with it */
	if (v->order_cap < v->sel_cap) {
		uint32_t *o = realloc(v->order, v->sel_cap * sizeof(*o));
		uint64_t *k;

		if (!o)
			goto nomem;
		v->order = o;
		k = realloc(v->okey, v->sel_cap * sizeof(*k));
		if (!k)
			goto nomem;
		v->okey = k;
		v->order_cap = v->sel_cap;
	}
	/* grown, mark's new part is not zeroed: cleared whole (100 kB at most) */
	memset(v->mark, 0, nsock);
	for (i = 0; i < nsock; i++) {
		if ((st[i] == TL_TCP_LISTEN) != (g == TL_OGROUP_LISTEN))
			continue;
		if (f) {
			tl_open_record(&rec, &v->snap->socks[i], v->snap->ts_ns);
			if (!tl_filter_match(f, &rec))
				continue;
		}
		v->sel[n++] = (uint32_t)i;
		v->mark[i] = 1;
		if (lazy)
			v->kcur[i] = numeric(sort) ? sock_key(v, (uint32_t)i, sort, descending) :
				     text_key(v, (uint32_t)i, sort, descending);
	}
	if (lazy) {
		err = build_lazy(v, n, hint);
		if (err)
			goto fail;
		v->lazy = true;
		goto done;
	}
	v->nrows = 0;
	if (grow((void **)&v->rows, &v->rows_cap, nsock, sizeof(*v->rows)))
		goto nomem;
	err = group_rows(v, n);
	if (err)
		goto fail;
	sorting = v;
	err = sort_rows(v);
	sorting = NULL;
	if (err)
		goto fail;
done:
	v->bbuf = v->cur;
	v->bseq = v->seq;
	return 0;
nomem:
	err = -ENOMEM;
fail:
	v->nrows = 0;
	v->lazy = false;
	return err;
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
	struct row_cache *rc = v->rc;
	size_t c = i % ROW_CACHE;
	uint32_t j;

	if (i >= v->nrows)
		return NULL;
	if (!v->lazy)
		return &v->rows[v->order[i]];
	/* the cache is the view's scratch, not its state: made rows are what
	 * the build decided, so the view stays const to its readers */
	if (rc->gen[c] != v->bgen || rc->pos[c] != i) {
		j = v->order[i];
		row_fill(&rc->row[c], &v->sb[v->bbuf].socks[j], &v->eb[v->bbuf][j], v->ub[v->bbuf]);
		rc->gen[c] = v->bgen;
		rc->pos[c] = i;
	}
	return &rc->row[c];
}

size_t tl_open_view_find(const struct tl_open_view *v, uint64_t cookie)
{
	uint32_t j;
	size_t i;

	if (v->lazy) {
		if (v->bbuf != v->cur || v->bseq != v->seq)
			return SIZE_MAX;
		j = tl_open_cindex_find(&v->cix[v->cur], v->ck[v->cur], cookie);
		if (j == NONE)
			return SIZE_MAX;
		i = v->pos[j];
		/* pos is written for this build's rows only */
		return i < v->nrows && v->order[i] == j ? i : SIZE_MAX;
	}
	for (i = 0; i < v->nrows; i++)
		if (v->rows[v->order[i]].s.cookie == cookie)
			return i;
	return SIZE_MAX;
}

const char *tl_open_view_cgroup(const struct tl_open_view *v, const struct tl_open_row *r)
{
	const struct strbuf *b = &v->strb[v->bbuf];

	if (!r || r->cgroup_off == UINT32_MAX || r->cgroup_off >= b->len)
		return NULL;
	return b->p + r->cgroup_off;
}
