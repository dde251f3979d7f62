// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Ingest: the session and connect rings, totals, the aggregation tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "model_int.h"

/*
 * A destination row folded into "other" to make room: its address and
 * port rows keep its counts, as they keep those of every connect counted
 * in "other" (see model_int.h), so those groupings stay exact.
 */
static void fold_dest(void *ctx, const struct tl_agg *a, uint32_t id)
{
	struct tl_model *m = ctx;
	const struct tl_agg_key *dk = &a->rows[id].key;
	struct tl_agg_key k;

	memset(&k, 0, sizeof(k));
	k.family = dk->family;
	memcpy(k.addr, dk->addr, sizeof(k.addr));
	tl_agg_absorb(m->agg[TL_GROUP_ADDR], &k, a, id);
	memset(&k, 0, sizeof(k));
	k.port = dk->port;
	tl_agg_absorb(m->agg[TL_GROUP_PORT], &k, a, id);
}

struct tl_model *tl_model_new(const struct tl_model_config *cfg)
{
	struct tl_model *m = calloc(1, sizeof(*m));
	int ret = -ENOMEM, g;

	if (!m)
		goto cleanup;
	if (cfg)
		m->cfg = *cfg;
	if (!m->cfg.history)
		m->cfg.history = TL_MODEL_DEFAULT_HISTORY;
	if (!m->cfg.max_dests)
		m->cfg.max_dests = TL_MODEL_DEFAULT_MAX_DESTS;
	/* sequence numbers are kept in 32 bits by the views */
	if (m->cfg.history > UINT32_MAX / 2 || m->cfg.max_dests > UINT32_MAX / 4) {
		ret = -EINVAL;
		goto cleanup;
	}
	ret = tl_history_init(&m->sessions, sizeof(struct tl_record), m->cfg.history);
	if (ret)
		goto cleanup;
	ret = tl_history_init(&m->connects, sizeof(struct tl_conn),
			      (m->cfg.history + TL_MODEL_CONNECT_SHARE - 1) / TL_MODEL_CONNECT_SHARE);
	if (ret)
		goto cleanup;
	for (g = 0; g < TL_GROUP_COUNT; g++) {
		m->agg[g] = tl_agg_new((enum tl_group)g, (uint32_t)m->cfg.max_dests, true);
		if (!m->agg[g]) {
			ret = -ENOMEM;
			goto cleanup;
		}
	}
	m->agg[TL_GROUP_DEST]->on_fold = fold_dest;
	m->agg[TL_GROUP_DEST]->fold_ctx = m;
	return m;
cleanup:
	tl_model_free(m);
	errno = -ret;
	return NULL;
}

void tl_model_free(struct tl_model *m)
{
	int g;

	if (!m)
		return;
	for (g = 0; g < TL_GROUP_COUNT; g++)
		tl_agg_free(m->agg[g]);
	tl_history_free(&m->sessions);
	tl_history_free(&m->connects);
	free(m);
}

#define FLUSH_LAG 4

void tl_model_flush(struct tl_model *m)
{
	struct tl_agg *dest = m->agg[TL_GROUP_DEST], *proc = m->agg[TL_GROUP_PROCESS];
	struct tl_agg *unit = m->agg[TL_GROUP_UNIT];
	unsigned i;
	int g;

	if (!m->npend)
		return;
	/*
	 * A pipeline: step i starts the row loads of connect i, the data loads
	 * (which need the row) of connect i - FLUSH_LAG, and counts connect
	 * i - 2 * FLUSH_LAG, so each load has other work to overlap with.
	 */
	for (i = 0; i < m->npend + 2 * FLUSH_LAG; i++) {
		const struct tl_pending *p;
		int64_t id;

		if (i < m->npend) {
			tl_agg_prefetch_row(dest, m->pend[i].hd);
			tl_agg_prefetch_row(proc, m->pend[i].hp);
			tl_agg_prefetch_row(unit, m->pend[i].hu);
		}
		if (i >= FLUSH_LAG && i - FLUSH_LAG < m->npend) {
			p = &m->pend[i - FLUSH_LAG];
			tl_agg_prefetch_data(dest, p->hd, p->idx);
			tl_agg_prefetch_data(proc, p->hp, p->idx);
			tl_agg_prefetch_data(unit, p->hu, p->idx);
		}
		if (i < 2 * FLUSH_LAG)
			continue;
		p = &m->pend[i - 2 * FLUSH_LAG];
		id = tl_agg_add_key(dest, &p->kd, p->hd, &p->c, p->idx);
		tl_agg_add_key(proc, &p->kp, p->hp, &p->c, p->idx);
		tl_agg_add_key(unit, &p->ku, p->hu, &p->c, p->idx);
		/* a destination past max_dests: keep its address and port exact */
		if (id >= 0 && (uint32_t)id == dest->other)
			for (g = TL_GROUP_ADDR; g <= TL_GROUP_PORT; g++)
				tl_agg_add(m->agg[g], &p->c, p->idx);
	}
	m->npend = 0;
}

/*
 * Sessions and connects are written once into their rings and read
 * rarely (a screen reads the newest few): store them around the cache, so
 * that writing one does not first read its lines from memory nor push
 * table rows out of the cache.
 */
static void copy_stream(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	if (!((uintptr_t)dst & 15) && !(n & 15)) {
		size_t i;

		for (i = 0; i < n; i += 16)
			_mm_stream_si128((__m128i *)((char *)dst + i),
					 _mm_loadu_si128((const __m128i *)((const char *)src + i)));
		return;
	}
#endif
	memcpy(dst, src, n);
}

static void add_connect(struct tl_model *m, const struct tl_record *r)
{
	struct tl_pending *p = &m->pend[m->npend++];
	struct tl_conn *c = &p->c;

	tl_conn_pack(c, r);
	/* an unknown result is still a failure, never a latency sample */
	if (c->result > TL_REC_ABORTED)
		c->result = TL_REC_ERROR;
	m->totals.connects++;
	if (c->result != TL_REC_OK)
		m->totals.connects_failed++;
	copy_stream(tl_history_push(&m->connects), c, sizeof(*c));
	p->idx = tl_sketch_index(c->lat_ns);
	tl_agg_key_of(TL_GROUP_DEST, c, &p->kd);
	tl_agg_key_of(TL_GROUP_PROCESS, c, &p->kp);
	tl_agg_key_of(TL_GROUP_UNIT, c, &p->ku);
	p->hd = tl_agg_hash(&p->kd);
	p->hp = tl_agg_hash(&p->kp);
	p->hu = tl_agg_hash(&p->ku);
	tl_agg_prefetch_slot(m->agg[TL_GROUP_DEST], p->hd);
	tl_agg_prefetch_slot(m->agg[TL_GROUP_PROCESS], p->hp);
	tl_agg_prefetch_slot(m->agg[TL_GROUP_UNIT], p->hu);
	if (m->npend == TL_MODEL_BATCH)
		tl_model_flush(m);
}

uint64_t tl_model_alloc_failures(const struct tl_model *m)
{
	uint64_t n = 0;
	int g;

	for (g = 0; g < TL_GROUP_COUNT; g++)
		if (m->agg[g])		/* a held model has none */
			n += m->agg[g]->alloc_failures;
	return n;
}

void tl_model_add(struct tl_model *m, const struct tl_record *r)
{
	if (r->kind == TL_REC_SESSION) {
		copy_stream(tl_history_push(&m->sessions), r, sizeof(*r));
		m->totals.sessions++;
	} else if (r->kind == TL_REC_CONNECT) {
		add_connect(m, r);
	} else {
		return;
	}
	if (!m->totals.first_ts_ns)
		m->totals.first_ts_ns = r->ts_ns;
	if (r->ts_ns > m->totals.last_ts_ns)
		m->totals.last_ts_ns = r->ts_ns;
}

void tl_model_set_drops(struct tl_model *m, const struct tl_drops *d)
{
	m->totals.drops = *d;
}

const struct tl_model_totals *tl_model_totals(const struct tl_model *m)
{
	return &m->totals;
}

size_t tl_model_history_len(const struct tl_model *m)
{
	return m->sessions.len;
}

size_t tl_model_history_cap(const struct tl_model *m)
{
	return m->sessions.cap;
}

const struct tl_record *tl_model_history_get(const struct tl_model *m, size_t i)
{
	return tl_history_at(&m->sessions, i);
}

size_t tl_model_connects_cap(const struct tl_model *m)
{
	return m->connects.cap;
}
