// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <time.h>

#include "clock.h"

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int64_t tl_clock_boot_to_wall(void)
{
	struct timespec b1, w, b2;
	int64_t best = 0, best_gap = INT64_MAX;

	/* The tightest of a few bracketed samples: a preemption between
	 * the two reads would skew the offset by its length. */
	for (int i = 0; i < 5; i++) {
		clock_gettime(CLOCK_BOOTTIME, &b1);
		clock_gettime(CLOCK_REALTIME, &w);
		clock_gettime(CLOCK_BOOTTIME, &b2);
		int64_t gap = ts_ns(&b2) - ts_ns(&b1);

		if (gap < best_gap) {
			best_gap = gap;
			best = ts_ns(&w) - (ts_ns(&b1) + gap / 2);
		}
	}
	return best;
}

uint64_t tl_clock_wall_ns(void)
{
	struct timespec w;

	clock_gettime(CLOCK_REALTIME, &w);
	return (uint64_t)ts_ns(&w);
}

uint64_t tl_clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
