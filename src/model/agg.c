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
	a->hmask = 63;
	a->hash = calloc(a->hmask + 1, sizeof(*a->hash));
	a->log = malloc(TL_AGG_LOG_LEN * sizeof(*a->log));
	if (!a->hash || !a->log) {
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
	free(a->rows);
	free(a->hash);
	free(a->log);
	free(a);
}

void tl_agg_key_of(enum tl_group group, const struct tl_conn *c, struct tl_agg_key *k)
{
	memset(k, 0, sizeof(*k));
	switch (group) {
	case TL_GROUP_DEST:
		k->port = c->rport;
		/* fall through */
	case TL_GROUP_ADDR:
		k->family = c->family;
		memcpy(k->addr, c->raddr, c->family == 4 ? 4 : 16);
		break;
	case TL_GROUP_PORT:
		k->port = c->rport;
		break;
	case TL_GROUP_UNIT:
		/* an unknown owner's cgroup is unknown too: one row for both */
		if (c->owner_known && c->cgroup_id) {
			k->owner_known = 1;
			k->cgroup_id = c->cgroup_id;
		}
		break;
	default:
		/* every unknown owner shares one row */
		if (c->owner_known) {
			k->owner_known = 1;
			k->pid = c->pid;
			memcpy(k->comm, c->comm, strnlen(c->comm, TL_REC_COMM_LEN - 1));
		}
		break;
	}
}

uint32_t tl_agg_hash(const struct tl_agg_key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ULL;
	int i;

	_Static_assert(sizeof(*k) == sizeof(w), "key is five words");
	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ (h >> 29));
}

static int hash_grow(struct tl_agg *a)
{
	uint32_t nmask = a->hmask * 2 + 1, i;
	uint32_t *nh = calloc((size_t)nmask + 1, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i < a->nrows; i++) {
		uint32_t p;

		if (a->rows[i].is_other)
			continue;
		for (p = tl_agg_hash(&a->rows[i].key) & nmask; nh[p]; p = (p + 1) & nmask)
			;
		nh[p] = i + 1;
	}
	free(a->hash);
	a->hash = nh;
	a->hmask = nmask;
	return 0;
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

static inline bool key_eq(const struct tl_agg_key *a, const struct tl_agg_key *b)
{
	uint64_t x[5], y[5];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/* Row id for key k, created on first sight; -ENOMEM. */
static int64_t row_for(struct tl_agg *a, const struct tl_agg_key *k, uint32_t h)
{
	uint32_t p;
	int id;

	for (p = h & a->hmask; a->hash[p]; p = (p + 1) & a->hmask)
		if (key_eq(&a->rows[a->hash[p] - 1].key, k))
			return a->hash[p] - 1;
	if (a->nrows - (a->other != UINT32_MAX) >= a->max_rows) {
		if (a->other == UINT32_MAX) {
			struct tl_agg_key none;

			memset(&none, 0, sizeof(none));
			id = new_row(a, &none, 1);
			if (id < 0)
				return id;
			a->other = (uint32_t)id;
		}
		return a->other;
	}
	id = new_row(a, k, 0);
	if (id < 0)
		return id;
	a->hash[p] = (uint32_t)id + 1;
	/* keep the load under one half so probes stay short */
	if ((a->nrows + 1) * 2 > a->hmask + 1 && hash_grow(a))
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

	id = row_for(a, k, h);
	if (id < 0) {
		a->alloc_failures++;
		return id;
	}
	r = &a->rows[id];
	/* a run of connects to one row needs one log entry */
	if (!a->log_total || a->log[(a->log_total - 1) & (TL_AGG_LOG_LEN - 1)] != (uint32_t)id)
		a->log[a->log_total++ & (TL_AGG_LOG_LEN - 1)] = (uint32_t)id;
	r->st.connects++;
	switch (c->result) {
	case TL_REC_OK:
		ret = tl_sketch_add_bucket(&r->sk, idx, 1, c->lat_ns, c->lat_ns);
		if (c->ts_ns >= r->st.last_ok_ts) {
			r->st.last_ok_ts = c->ts_ns;
			r->st.last_ok_ns = c->lat_ns;
		}
		break;
	case TL_REC_REFUSED:
		r->st.refused++;
		break;
	case TL_REC_TIMEOUT:
		r->st.timeouts++;
		break;
	default:
		r->st.errors++;
		break;
	}
	if (c->ts_ns >= r->st.last_ts)
		r->st.last_ts = c->ts_ns;
	if (a->windowed) {
		int64_t sec = (int64_t)(c->ts_ns / 1000000000ULL);

		if (sec > a->head)
			a->head = sec;
		if (tl_win_ring_add(&r->win, a->head, sec, c->result, idx, c->lat_ns))
			ret = -ENOMEM;
	}
	if (ret)
		a->alloc_failures++;
	return id;
}

int tl_agg_key_cmp(const struct tl_agg_key *a, const struct tl_agg_key *b)
{
	int c;

	/* unknown owners sort after every known one */
	if (a->owner_known != b->owner_known)
		return a->owner_known ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	/* only the unit grouping sets it, and nothing else of the address */
	if (a->cgroup_id != b->cgroup_id && !a->family && !b->family)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return strncmp(a->comm, b->comm, TL_REC_COMM_LEN);
}
