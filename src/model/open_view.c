// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The open view's rows, rebuilt from the last ingest at every build: a
 * snapshot replaces the previous one whole, so there is nothing to update
 * in place. The cookie is the last sort key, so equal rows keep their
 * places between refreshes instead of swapping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_view_int.h"

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
