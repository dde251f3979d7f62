// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "metrics/metrics_model.h"

/*
 * Rounded 10^(k/10) per decade (1, 1.26, 1.59, 2, 2.51, 3.16, 3.98, 5.01,
 * 6.31, 7.94; 1.59 rather than 1.58 so that no step is wider than
 * TL_MX_MAX_RATIO) times 10^-5 .. 10^1 s, then 100 s; in ns, exact.
 */
const uint64_t tl_mx_bounds_ns[TL_MX_BOUNDS] = {
	10000ull, 12600ull, 15900ull, 20000ull, 25100ull,
	31600ull, 39800ull, 50100ull, 63100ull, 79400ull,
	100000ull, 126000ull, 159000ull, 200000ull, 251000ull,
	316000ull, 398000ull, 501000ull, 631000ull, 794000ull,
	1000000ull, 1260000ull, 1590000ull, 2000000ull, 2510000ull,
	3160000ull, 3980000ull, 5010000ull, 6310000ull, 7940000ull,
	10000000ull, 12600000ull, 15900000ull, 20000000ull, 25100000ull,
	31600000ull, 39800000ull, 50100000ull, 63100000ull, 79400000ull,
	100000000ull, 126000000ull, 159000000ull, 200000000ull, 251000000ull,
	316000000ull, 398000000ull, 501000000ull, 631000000ull, 794000000ull,
	1000000000ull, 1260000000ull, 1590000000ull, 2000000000ull, 2510000000ull,
	3160000000ull, 3980000000ull, 5010000000ull, 6310000000ull, 7940000000ull,
	10000000000ull, 12600000000ull, 15900000000ull, 20000000000ull, 25100000000ull,
	31600000000ull, 39800000000ull, 50100000000ull, 63100000000ull, 79400000000ull,
	100000000000ull,
};

const uint8_t tl_mx_states[TL_MX_STATES] = {
	TL_TCP_ESTABLISHED, TL_TCP_SYN_SENT, TL_TCP_SYN_RECV, TL_TCP_FIN_WAIT1, TL_TCP_FIN_WAIT2,
	TL_TCP_CLOSE, TL_TCP_CLOSE_WAIT, TL_TCP_LAST_ACK, TL_TCP_CLOSING,
};

/* The fixed families' series (see metrics_expo.c), reserved out of max_series. */
#define RESERVE_OTHER_UNITS (4 * TL_MX_DIRS)
#define RESERVE_OTHER_DEST (TL_MX_RESULTS + TL_MX_HIST_SERIES)
#define RESERVE_LAT_ALL TL_MX_HIST_SERIES
#define RESERVE_DROPS 7
#define RESERVE_CPU 1
#define RESERVE_OPEN (TL_MX_STATES + 2 * (TL_MX_LISTEN_PORTS + 1))
#define RESERVE_META 5
#define RESERVE_ALL (RESERVE_OTHER_UNITS + RESERVE_OTHER_DEST + RESERVE_LAT_ALL + RESERVE_DROPS + \
		     RESERVE_CPU + RESERVE_OPEN + RESERVE_META)
#define UNIT_SERIES 4

_Static_assert(RESERVE_ALL < TL_MX_MAX_SERIES_MIN / 2, "the reserve must leave room");

unsigned int tl_mx_bucket(uint64_t ns)
{
	unsigned int lo = 0, hi = TL_MX_BOUNDS;

	/* the first bound >= ns: Prometheus buckets are "less than or equal" */
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (tl_mx_bounds_ns[mid] >= ns)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void hist_add(struct tl_mx_hist *h, uint64_t ns)
{
	h->buckets[tl_mx_bucket(ns)]++;
	h->count++;
	h->sum_ns += ns;
}

static void hist_merge(struct tl_mx_hist *to, const struct tl_mx_hist *from)
{
	for (int i = 0; i <= TL_MX_BOUNDS; i++)
		to->buckets[i] += from->buckets[i];
	to->count += from->count;
	to->sum_ns += from->sum_ns;
}

static uint32_t dest_series(const struct tl_mx_dest *d)
{
	uint32_t n = d->lat.count ? TL_MX_HIST_SERIES : 0;

	for (int i = 0; i < TL_MX_RESULTS; i++)
		n += d->connects[i] != 0;
	return n;
}

/* FNV-1a over the key bytes: keys are short and this is not exposed to
 * collisions chosen by a peer beyond what the cap already bounds. */
static uint32_t hash_bytes(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t dest_hash(uint8_t family, const uint8_t addr[16], uint16_t port)
{
	uint32_t h = hash_bytes(2166136261u, &family, 1);

	h = hash_bytes(h, addr, 16);
	return hash_bytes(h, &port, 2);
}

static uint32_t unit_hash(uint8_t dir, const char *name)
{
	return hash_bytes(hash_bytes(2166136261u, &dir, 1), name, strlen(name));
}

static bool dest_is(const struct tl_mx_dest *d, uint8_t family, const uint8_t addr[16],
		    uint16_t port)
{
	return d->family == family && d->port == port && !memcmp(d->addr, addr, 16);
}

static size_t dest_slot(const struct tl_metrics *m, uint8_t family, const uint8_t addr[16],
			uint16_t port)
{
	size_t i = dest_hash(family, addr, port) & m->index_mask;

	while (m->index[i] && !dest_is(&m->dests[m->index[i] - 1], family, addr, port))
		i = (i + 1) & m->index_mask;
	return i;
}

static size_t unit_slot(const struct tl_metrics *m, uint8_t dir, const char *name)
{
	size_t i = unit_hash(dir, name) & m->index_mask;
	const struct tl_mx_unit *u;

	while (m->uindex[i]) {
		u = &m->units[m->uindex[i] - 1];
		if (u->dir == dir && !strcmp(u->name, name))
			break;
		i = (i + 1) & m->index_mask;
	}
	return i;
}

/* Backward-shift deletion: linear probing stays tombstone-free. */
static void index_delete(uint32_t *index, size_t mask, size_t hole,
			 uint32_t (*home)(const struct tl_metrics *, uint32_t),
			 const struct tl_metrics *m)
{
	size_t j = hole;

	index[hole] = 0;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!index[j])
			return;
		k = home(m, index[j]) & mask;
		/* move j into the hole unless its home lies cyclically in (hole, j] */
		if (hole <= j ? (hole < k && k <= j) : (hole < k || k <= j))
			continue;
		index[hole] = index[j];
		index[j] = 0;
		hole = j;
	}
}

static uint32_t dest_home(const struct tl_metrics *m, uint32_t ref)
{
	const struct tl_mx_dest *d = &m->dests[ref - 1];

	return dest_hash(d->family, d->addr, d->port);
}

static uint32_t unit_home(const struct tl_metrics *m, uint32_t ref)
{
	const struct tl_mx_unit *u = &m->units[ref - 1];

	return unit_hash(u->dir, u->name);
}

struct tl_metrics *tl_metrics_new(const struct tl_metrics_config *cfg)
{
	struct tl_metrics *m = calloc(1, sizeof(*m));
	size_t slots = 1;

	if (!m)
		return NULL;
	m->cfg = *cfg;
	if (!m->cfg.max_series)
		m->cfg.max_series = TL_MX_MAX_SERIES_DEFAULT;
	if (m->cfg.max_series < TL_MX_MAX_SERIES_MIN) {
		free(m);
		errno = EINVAL;
		return NULL;
	}
	m->reserved = RESERVE_ALL;
	/* every label set has at least one series: this many entries at most */
	m->dest_cap = m->unit_cap = m->cfg.max_series - m->reserved;
	while (slots < 2 * m->dest_cap)
		slots <<= 1;
	m->index_mask = slots - 1;
	m->dests = calloc(m->dest_cap, sizeof(*m->dests));
	m->units = calloc(m->unit_cap, sizeof(*m->units));
	m->index = calloc(slots, sizeof(*m->index));
	m->uindex = calloc(slots, sizeof(*m->uindex));
	if (!m->dests || !m->units || !m->index || !m->uindex) {
		tl_metrics_free(m);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(m->other_dest.addr, "other", 5);
	for (int d = 0; d < TL_MX_DIRS; d++) {
		m->other_units[d].dir = (uint8_t)d;
		strcpy(m->other_units[d].name, "other");
	}
	return m;
}

void tl_metrics_free(struct tl_metrics *m)
{
	if (!m)
		return;
	free(m->dests);
	free(m->units);
	free(m->index);
	free(m->uindex);
	free(m);
}

size_t tl_metrics_series_bound(const struct tl_metrics *m)
{
	return m->reserved + m->series;
}

static void fold_dest(struct tl_metrics *m, size_t i)
{
	struct tl_mx_dest *d = &m->dests[i], *last;
	struct tl_mx_dest *o = &m->other_dest;
	size_t slot;

	for (int r = 0; r < TL_MX_RESULTS; r++)
		o->connects[r] += d->connects[r];
	hist_merge(&o->lat, &d->lat);
	o->recent += d->recent;
	m->other_dest_used = true;
	m->series -= d->series;
	m->folded_series += d->series;
	m->folded_dests++;

	index_delete(m->index, m->index_mask, dest_slot(m, d->family, d->addr, d->port),
		     dest_home, m);
	last = &m->dests[--m->ndests];
	if (d != last) {
		slot = dest_slot(m, last->family, last->addr, last->port);
		*d = *last;
		m->index[slot] = (uint32_t)i + 1;
	}
}

static void fold_unit(struct tl_metrics *m, size_t i)
{
	struct tl_mx_unit *u = &m->units[i], *last;
	struct tl_mx_unit *o = &m->other_units[u->dir];
	size_t slot;

	o->sessions += u->sessions;
	o->tx_bytes += u->tx_bytes;
	o->rx_bytes += u->rx_bytes;
	o->resets += u->resets;
	m->other_unit_used[u->dir] = true;
	m->series -= u->series;
	m->folded_series += u->series;
	m->folded_units++;

	index_delete(m->uindex, m->index_mask, unit_slot(m, u->dir, u->name), unit_home, m);
	last = &m->units[--m->nunits];
	if (u != last) {
		slot = unit_slot(m, last->dir, last->name);
		*u = *last;
		m->uindex[slot] = (uint32_t)i + 1;
	}
}

static bool less_active(uint64_t recent, uint64_t seq, uint64_t best_recent, uint64_t best_seq)
{
	return recent < best_recent || (recent == best_recent && seq < best_seq);
}

/*
 * Folds the least active label sets, never `keep_dest`/`keep_unit`, until
 * `need` more series fit. A linear scan: it runs only when the cap is
 * reached, over at most max_series entries. Returns 0 or -ENOSPC (nothing
 * left to fold).
 */
static int make_room(struct tl_metrics *m, size_t need, const struct tl_mx_dest *keep_dest,
		     const struct tl_mx_unit *keep_unit)
{
	size_t budget = m->cfg.max_series - m->reserved;

	while (m->series + need > budget) {
		uint64_t best_recent = UINT64_MAX, best_seq = UINT64_MAX;
		size_t best = 0;
		int kind = 0;	/* 1 dest, 2 unit */

		for (size_t i = 0; i < m->ndests; i++) {
			const struct tl_mx_dest *d = &m->dests[i];

			if (d != keep_dest && less_active(d->recent, d->last_seq, best_recent, best_seq)) {
				best_recent = d->recent;
				best_seq = d->last_seq;
				best = i;
				kind = 1;
			}
		}
		for (size_t i = 0; i < m->nunits; i++) {
			const struct tl_mx_unit *u = &m->units[i];

			if (u != keep_unit && less_active(u->recent, u->last_seq, best_recent, best_seq)) {
				best_recent = u->recent;
				best_seq = u->last_seq;
				best = i;
				kind = 2;
			}
		}
		if (!kind)
			return -ENOSPC;
		if (kind == 1)
			fold_dest(m, best);
		else
			fold_unit(m, best);
	}
	return 0;
}

static void dest_apply(struct tl_mx_dest *d, const struct tl_record *r, uint64_t seq)
{
	d->connects[r->result]++;
	if (r->result == TL_REC_OK)
		hist_add(&d->lat, r->span_ns);
	d->recent++;
	d->last_seq = seq;
}

static void add_connect(struct tl_metrics *m, const struct tl_record *r)
{
	size_t slot = dest_slot(m, r->family, r->raddr, r->rport);
	struct tl_mx_dest *d = m->index[slot] ? &m->dests[m->index[slot] - 1] : NULL;
	size_t need;

	if (r->result == TL_REC_OK)
		hist_add(&m->lat_all, r->span_ns);
	if (d) {
		need = (d->connects[r->result] == 0) +
		       (r->result == TL_REC_OK && !d->lat.count ? TL_MX_HIST_SERIES : 0);
		int full = need ? make_room(m, need, d, NULL) : 0;

		/* a fold may have moved d in the array: find it again */
		slot = dest_slot(m, r->family, r->raddr, r->rport);
		d = &m->dests[m->index[slot] - 1];
		if (full) {
			/* nothing else to fold: this one goes, its counts with it */
			fold_dest(m, (size_t)(d - m->dests));
			d = NULL;
		}
	} else {
		need = 1 + (r->result == TL_REC_OK ? TL_MX_HIST_SERIES : 0);
		if (!make_room(m, need, NULL, NULL) && m->ndests < m->dest_cap) {
			d = &m->dests[m->ndests];
			memset(d, 0, sizeof(*d));
			d->family = r->family;
			memcpy(d->addr, r->raddr, 16);
			d->port = r->rport;
			/* slots may have moved while folding */
			slot = dest_slot(m, r->family, r->raddr, r->rport);
			m->index[slot] = (uint32_t)++m->ndests;
		}
	}
	m->seq++;
	if (!d) {
		dest_apply(&m->other_dest, r, m->seq);
		m->other_dest_used = true;
		return;
	}
	m->series -= d->series;
	dest_apply(d, r, m->seq);
	d->series = dest_series(d);
	m->series += d->series;
}

static void unit_of(const struct tl_metrics *m, const struct tl_record *r, char *name, size_t len)
{
	const char *path = NULL;

	if (r->cgroup_id && m->cfg.cgroup_path)
		path = m->cfg.cgroup_path(m->cfg.cgroup_ctx, r->cgroup_id);
	if (!path) {
		snprintf(name, len, "unknown");
		return;
	}
	tl_cgroup_unit(name, len, path);
}

static void unit_apply(struct tl_mx_unit *u, const struct tl_record *r, uint64_t seq)
{
	u->sessions++;
	u->tx_bytes += r->tx_bytes;
	u->rx_bytes += r->rx_bytes;
	u->resets += r->reset != 0;
	u->recent++;
	u->last_seq = seq;
}

static void add_session(struct tl_metrics *m, const struct tl_record *r)
{
	uint8_t dir = r->dir == TL_REC_ACTIVE || r->dir == TL_REC_PASSIVE ? r->dir : 0;
	char name[TL_MX_UNIT_MAX];
	struct tl_mx_unit *u = NULL;
	size_t slot;

	unit_of(m, r, name, sizeof(name));
	slot = unit_slot(m, dir, name);
	if (m->uindex[slot]) {
		u = &m->units[m->uindex[slot] - 1];
	} else if (!make_room(m, UNIT_SERIES, NULL, NULL) && m->nunits < m->unit_cap) {
		u = &m->units[m->nunits];
		memset(u, 0, sizeof(*u));
		u->dir = dir;
		memcpy(u->name, name, sizeof(u->name));
		slot = unit_slot(m, dir, name);
		m->uindex[slot] = (uint32_t)++m->nunits;
		u->series = UNIT_SERIES;
		m->series += UNIT_SERIES;
	}
	m->seq++;
	if (!u) {
		unit_apply(&m->other_units[dir], r, m->seq);
		m->other_unit_used[dir] = true;
		return;
	}
	unit_apply(u, r, m->seq);
}

void tl_metrics_add(struct tl_metrics *m, const struct tl_record *r)
{
	if (r->kind == TL_REC_SESSION)
		add_session(m, r);
	else if (r->kind == TL_REC_CONNECT && r->result < TL_MX_RESULTS)
		add_connect(m, r);
}

void tl_metrics_tick(struct tl_metrics *m, uint64_t now_ns)
{
	if (!m->last_decay_ns) {
		m->last_decay_ns = now_ns;
		return;
	}
	if (now_ns - m->last_decay_ns < TL_MX_DECAY_NS)
		return;
	m->last_decay_ns = now_ns;
	for (size_t i = 0; i < m->ndests; i++)
		m->dests[i].recent >>= 1;
	for (size_t i = 0; i < m->nunits; i++)
		m->units[i].recent >>= 1;
}

void tl_metrics_set_drops(struct tl_metrics *m, const struct tl_drops *d)
{
	m->drops = *d;
	m->drops_known = true;
}

void tl_metrics_set_cpu(struct tl_metrics *m, uint64_t cpu_ns)
{
	m->cpu_ns = cpu_ns;
	m->cpu_known = true;
}

static int listener_cmp(const void *a, const void *b)
{
	const struct tl_mx_listener *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

void tl_metrics_set_open(struct tl_metrics *m, const struct tl_snapshot *snap)
{
	struct tl_mx_open *o = &m->open;
	struct tl_mx_listener *other = &o->listeners[TL_MX_LISTEN_PORTS];
	bool other_used = false;

	memset(o, 0, sizeof(*o));
	if (!snap)
		return;
	o->known = true;
	for (size_t i = 0; i < snap->n; i++) {
		const struct tl_sock *s = &snap->socks[i];
		struct tl_mx_listener *l = NULL;

		if (s->state != TL_TCP_LISTEN) {
			for (int k = 0; k < TL_MX_STATES; k++) {
				if (tl_mx_states[k] == s->state)
					o->by_state[k]++;
			}
			continue;
		}
		for (size_t k = 0; k < o->nlisteners; k++) {
			if (o->listeners[k].port == s->lport)
				l = &o->listeners[k];
		}
		if (!l && o->nlisteners < TL_MX_LISTEN_PORTS) {
			l = &o->listeners[o->nlisteners++];
			l->port = s->lport;
		}
		if (!l) {
			l = other;
			other_used = true;
		}
		l->queue += s->accept_queue;
		l->backlog += s->accept_queue_max;
	}
	qsort(o->listeners, o->nlisteners, sizeof(o->listeners[0]), listener_cmp);
	if (other_used) {
		o->listeners[o->nlisteners] = *other;
		o->listeners[o->nlisteners].port = 0;
		o->nlisteners++;
	}
}
