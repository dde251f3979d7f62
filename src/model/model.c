// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Ingest: the session and connect rings, totals, the aggregation tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

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
	ret = tl_history_init(&m->connects, sizeof(struct tl_conn), m->cfg.history);
	if (ret)
		goto cleanup;
	for (g = 0; g < TL_GROUP_COUNT; g++) {
		m->agg[g] = tl_agg_new((enum tl_group)g, (uint32_t)m->cfg.max_dests, true);
		if (!m->agg[g]) {
			ret = -ENOMEM;
			goto cleanup;
		}
	}
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

static void add_connect(struct tl_model *m, const struct tl_record *r)
{
	struct tl_conn *c = tl_history_push(&m->connects);
	struct tl_agg_key k[TL_GROUP_COUNT];
	uint32_t h[TL_GROUP_COUNT];
	int64_t sec;
	int idx, g;

	tl_conn_pack(c, r);
	/* an unknown result is still a failure, never a latency sample */
	if (c->result > TL_REC_ERROR)
		c->result = TL_REC_ERROR;
	m->totals.connects++;
	if (c->result != TL_REC_OK)
		m->totals.connects_failed++;
	idx = tl_sketch_index(c->lat_ns);
	sec = (int64_t)(c->ts_ns / 1000000000ULL);
	/* hash slots, then rows, then their sketch and window data: misses overlap */
	for (g = 0; g < TL_GROUP_COUNT; g++) {
		tl_agg_key_of((enum tl_group)g, c, &k[g]);
		h[g] = tl_agg_hash(&k[g]);
		tl_agg_prefetch_slot(m->agg[g], h[g]);
	}
	for (g = 0; g < TL_GROUP_COUNT; g++)
		tl_agg_prefetch_row(m->agg[g], h[g]);
	for (g = 0; g < TL_GROUP_COUNT; g++)
		tl_agg_prefetch_data(m->agg[g], h[g], idx, sec);
	for (g = 0; g < TL_GROUP_COUNT; g++)
		if (tl_agg_add_key(m->agg[g], &k[g], h[g], c, idx))
			m->alloc_failures++;
}

void tl_model_add(struct tl_model *m, const struct tl_record *r)
{
	if (r->kind == TL_REC_SESSION) {
		memcpy(tl_history_push(&m->sessions), r, sizeof(*r));
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

void tl_model_set_drops(struct tl_model *m, uint64_t ringbuf, uint64_t map)
{
	m->totals.dropped_ringbuf = ringbuf;
	m->totals.dropped_map = map;
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
