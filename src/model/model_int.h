/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The model's insides, shared by model.c and the views; not for front ends. */
#ifndef TCPLENS_MODEL_INT_H
#define TCPLENS_MODEL_INT_H

#include "agg.h"
#include "history.h"
#include "model.h"

#define TL_MODEL_DEFAULT_HISTORY 200000
#define TL_MODEL_DEFAULT_MAX_DESTS 10000
/*
 * The connect ring keeps the last history / 4 connects: only filtered
 * latency views read it, and a full-size ring would cost more than the
 * sessions themselves are allowed to (issue 4: < 200 bytes per session).
 */
#define TL_MODEL_CONNECT_SHARE 4

/*
 * Ingest feeds three tables per connect: destinations (address and port),
 * processes and units (cgroup ids). The address and port groupings are built by the views
 * from the destination rows; only connects whose destination folded into
 * the destination table's "other" row are also counted in agg[TL_GROUP_ADDR]
 * and agg[TL_GROUP_PORT], so those groupings stay exact past max_dests.
 */
/*
 * Connects are aggregated in batches: the hash slots are prefetched as
 * connects arrive, and the flush runs rows, data and counting as a short
 * pipeline, so the cache misses of different connects overlap instead of
 * queueing. Views flush the batch before they read the tables.
 */
#define TL_MODEL_BATCH 16

struct tl_pending {
	struct tl_conn c;
	struct tl_agg_key kd, kp, ku;
	uint32_t hd, hp, hu;
	int idx;
};

struct tl_model {
	struct tl_model_config cfg;
	struct tl_model_totals totals;
	struct tl_history sessions;	/* struct tl_record */
	struct tl_history connects;	/* struct tl_conn */
	struct tl_agg *agg[TL_GROUP_COUNT];
	struct tl_pending pend[TL_MODEL_BATCH];
	unsigned npend;
};

/* Aggregate the pending connects: a view does before it reads the tables. */
void tl_model_flush(struct tl_model *m);

/* Samples lost to a full memory, over every table. */
uint64_t tl_model_alloc_failures(const struct tl_model *m);

#endif
