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

/* What one ingested socket brings besides itself. */
struct extra {
	struct tl_open_rate rate;
	uint32_t cgroup_off;
	char unit[TL_OPEN_UNIT_MAX];
	bool accepts_valid;
	uint64_t accepts_milli;
};

struct tl_open_view {
	bool ready;
	struct tl_snapshot *snap;	/* a copy of the last ingest's sockets */
	struct extra *ex;		/* per socket of snap */
	struct hist *hist;		/* per socket of snap */
	struct tl_sock_index ix;	/* snap by cookie */
	struct strbuf str;		/* the cgroup paths of snap */
	struct tl_open_row *rows;
	size_t nrows, rows_cap;
	uint32_t *sel;			/* build: indexes of matching sockets */
	size_t sel_cap;
	enum tl_ocol sort;		/* for the comparator */
	bool desc;
	enum tl_ogroup group;
};

static void snap_free(struct tl_snapshot *s)
{
	if (s)
		tl_snapshot_free(s);
	free(s);
}

struct tl_open_view *tl_open_view_new(void)
{
	return calloc(1, sizeof(struct tl_open_view));
}

void tl_open_view_free(struct tl_open_view *v)
{
	if (!v)
		return;
	snap_free(v->snap);
	tl_sock_index_free(&v->ix);
	free(v->ex);
	free(v->hist);
	free(v->str.p);
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

/* The listener of a passive socket: an exact address wins over a wildcard. */
static long listener_of(const struct tl_snapshot *snap, const uint32_t *lis, size_t nlis,
			uint8_t family, const uint8_t *laddr, uint16_t lport)
{
	long any = -1;
	size_t k;

	for (k = 0; k < nlis; k++) {
		const struct tl_sock *l = &snap->socks[lis[k]];

		if (!tl_adopt_listener_matches(l, family, laddr, lport))
			continue;
		if (l->family == family && !memcmp(l->laddr, laddr, family == 4 ? 4 : 16))
			return (long)lis[k];
		if (any < 0)
			any = (long)lis[k];
	}
	return any;
}

/*
 * Connections established on each listener since the previous ingest:
 * passive sockets whose cookie is new, plus passive sessions that began
 * after the previous snapshot and ended by this one (opened and closed in
 * between, never seen by a walk).
 */
static int count_accepts(struct tl_open_view *v, const struct tl_snapshot *prev,
			 const struct tl_sock_index *pix, const struct tl_model *m)
{
	const struct tl_snapshot *cur = v->snap;
	uint64_t *acc, ns;
	uint32_t *lis;
	size_t nlis = 0, i;
	long l;

	if (!prev || cur->ts_ns <= prev->ts_ns)
		return 0;
	ns = cur->ts_ns - prev->ts_ns;
	lis = malloc((cur->n ? cur->n : 1) * sizeof(*lis));
	acc = calloc(cur->n ? cur->n : 1, sizeof(*acc));
	if (!lis || !acc) {
		free(lis);
		free(acc);
		return -ENOMEM;
	}
	for (i = 0; i < cur->n; i++)
		if (cur->socks[i].state == TL_TCP_LISTEN)
			lis[nlis++] = (uint32_t)i;
	if (!nlis)
		goto out;
	for (i = 0; i < cur->n; i++) {
		const struct tl_sock *s = &cur->socks[i];

		if (s->state == TL_TCP_LISTEN || s->dir != TL_SOCK_DIR_PASSIVE ||
		    tl_sock_index_find(pix, s->cookie))
			continue;
		l = listener_of(cur, lis, nlis, s->family, s->laddr, s->lport);
		if (l >= 0)
			acc[l]++;
	}
	for (i = 0; m && i < tl_model_history_len(m); i++) {
		const struct tl_record *r = tl_model_history_get(m, i);

		/* newest first: older ones closed before the previous walk */
		if (!r || r->ts_ns <= prev->ts_ns)
			break;
		if (r->ts_ns > cur->ts_ns || r->dir != TL_REC_PASSIVE || r->adopted ||
		    r->ts_ns - r->span_ns <= prev->ts_ns)
			continue;
		l = listener_of(cur, lis, nlis, r->family, r->laddr, r->lport);
		if (l >= 0)
			acc[l]++;
	}
	for (i = 0; i < nlis; i++) {
		struct extra *e = &v->ex[lis[i]];

		e->accepts_valid = true;
		e->accepts_milli = (uint64_t)((unsigned __int128)acc[lis[i]] * 1000000000000ULL / ns);
	}
out:
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

int tl_open_view_ingest(struct tl_open_view *v, const struct tl_open_input *in,
			const struct tl_model *m)
{
	const struct tl_snapshot *src = in->snap;
	struct tl_snapshot *snap = calloc(1, sizeof(*snap));
	struct tl_sock_index ix;
	struct extra *ex = NULL;
	struct hist *hist = NULL;
	struct strbuf str = { 0 };
	const char *last_path = NULL;
	uint32_t last_off = UINT32_MAX;
	size_t i, n = src->n, alloc = n ? n : 1;
	int err = -ENOMEM;

	ex = calloc(alloc, sizeof(*ex));
	hist = calloc(alloc, sizeof(*hist));
	if (!snap || !ex || !hist)
		goto fail;
	snap->socks = malloc(alloc * sizeof(*snap->socks));
	if (!snap->socks)
		goto fail;
	memcpy(snap->socks, src->socks, n * sizeof(*snap->socks));
	snap->n = snap->cap = n;
	snap->ts_ns = src->ts_ns;
	for (i = 0; i < n; i++) {
		const char *path = in->paths ? in->paths[i] : NULL;
		const struct tl_sock *old;

		ex[i].cgroup_off = UINT32_MAX;
		if (in->rates)
			ex[i].rate = in->rates[i];
		if (path && path == last_path) {
			ex[i].cgroup_off = last_off;
			memcpy(ex[i].unit, ex[i - 1].unit, sizeof(ex[i].unit));
		} else if (path) {
			if (str_add(&str, path, &ex[i].cgroup_off))
				goto fail;
			tl_cgroup_unit(ex[i].unit, sizeof(ex[i].unit), path);
			last_path = path;
			last_off = ex[i].cgroup_off;
		}
		/* the rate history follows the cookie from the last ingest */
		old = v->ready ? tl_sock_index_find(&v->ix, snap->socks[i].cookie) : NULL;
		if (old)
			hist[i] = v->hist[old - v->snap->socks];
		hist_add(&hist[i], &ex[i].rate);
	}
	if (tl_sock_index_build(&ix, snap, NULL))
		goto fail;
	/* count_accepts works on v->snap as the new one and the old index as prev */
	{
		struct tl_snapshot *old_snap = v->snap;
		struct tl_sock_index old_ix = v->ix;
		struct extra *old_ex = v->ex;
		struct hist *old_hist = v->hist;
		bool had = v->ready;

		v->snap = snap;
		v->ex = ex;
		v->hist = hist;
		v->ix = ix;
		free(v->str.p);
		v->str = str;
		v->ready = true;
		err = count_accepts(v, had ? old_snap : NULL, &old_ix, m);
		snap_free(old_snap);
		tl_sock_index_free(&old_ix);
		free(old_ex);
		free(old_hist);
	}
	return err;
fail:
	free(str.p);
	snap_free(snap);
	free(ex);
	free(hist);
	return err;
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

static int cmp_rows(const void *pa, const void *pb)
{
	const struct tl_open_row *a = pa, *b = pb;
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
	qsort(v->rows, v->nrows, sizeof(*v->rows), cmp_rows);
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
	return i < v->nrows ? &v->rows[i] : NULL;
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
	h = &v->hist[s - v->snap->socks];
	n = h->n < max ? h->n : max;
	/* the newest n samples, oldest first */
	start = (h->head + TL_OPEN_HIST - n) % TL_OPEN_HIST;
	for (k = 0; k < n; k++) {
		tx[k] = h->tx[(start + k) % TL_OPEN_HIST];
		rx[k] = h->rx[(start + k) % TL_OPEN_HIST];
	}
	return n;
}
