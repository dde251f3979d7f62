/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The model's insides, shared by model.c and the views; not for front ends. */
#ifndef TCPLENS_MODEL_INT_H
#define TCPLENS_MODEL_INT_H

#include "agg.h"
#include "history.h"
#include "model.h"

#define TL_MODEL_DEFAULT_HISTORY 200000
#define TL_MODEL_DEFAULT_MAX_DESTS 10000

struct tl_model {
	struct tl_model_config cfg;
	struct tl_model_totals totals;
	struct tl_history sessions;	/* struct tl_record */
	struct tl_history connects;	/* struct tl_conn */
	struct tl_agg *agg[TL_GROUP_COUNT];
	uint64_t alloc_failures;	/* samples a full memory could not keep */
};

#endif
