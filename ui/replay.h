/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The monitor on a recording (-r): the instant shown and how the time keys
 * move it, as atop does (t, T, b, Home, End). Going forward feeds the model
 * what was recorded up to the new instant; going back rebuilds it from a
 * minute before (so the 60 s and 10 s windows are exact; "since start"
 * then counts from there, and the status line says so).
 */
#ifndef TCPLENS_UI_REPLAY_H
#define TCPLENS_UI_REPLAY_H

#include <stdint.h>

#include "source.h"
#include "state.h"

#define TL_REPLAY_LOOKBACK_NS (60ull * 1000000000)

struct tl_replay {
	struct tl_source *src;
	uint64_t first_ns, last_ns;	/* the recording's span */
	uint64_t now_ns;		/* the instant shown */
	uint64_t from_ns;		/* the model holds what was recorded since */
	tl_record_cb on_record;		/* how records reach the model */
	void *ctx;
};

/* Positions at the start (or --begin) and feeds the model up to one interval
 * after it. 0, or -ENODATA for an empty recording. */
int tl_replay_start(struct tl_replay *r, struct tl_ui *ui);
/* Does ui->replay_req. The caller updates the views and redraws. 0 or -errno. */
int tl_replay_apply(struct tl_replay *r, struct tl_ui *ui);

#endif
