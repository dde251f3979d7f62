/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A log-bucketed quantile sketch (DDSketch-like): a value v >= 1 lands in
 * bucket ceil(log_gamma(v)), gamma = (1 + a) / (1 - a), so every bucket's
 * midpoint is within a of every value in it. Counts live in a dense array
 * that grows over [lowest, highest] index, so merging is exact addition.
 * count, min and max are exact.
 */
#ifndef TCPLENS_MODEL_SKETCH_H
#define TCPLENS_MODEL_SKETCH_H

#include <math.h>
#include <stdint.h>

#include "prefetch.h"

/*
 * Under 1% so that returning whole nanoseconds keeps the bound for every
 * value >= 1 us (rounding adds at most 0.5 ns).
 */
#define TL_SKETCH_ALPHA 0.0095

/*
 * Cursors for p50, p90 and p99 (the latency panel's columns): each names a
 * bucket and counts the values below it. A new value moves the rank of a
 * quantile by at most one, so a cursor kept this way needs a step or two
 * from where the last query left it instead of a walk over every bucket:
 * a refresh after new samples touches a few cache lines per row. Kept up
 * to date by tl_sketch_add_bucket (one compare each). Bucket 0 with none
 * below is true of every sketch, so zeroing restarts them (merge, reset);
 * from there the next query walks the whole way once. Counts past 32 bits
 * always walk.
 */
#define TL_SKETCH_NCUR 3

struct tl_sketch {
	uint64_t *counts;	/* counts[i - lo] for index i in [lo, lo + cap) */
	int32_t lo;
	uint32_t cap;
	int32_t imin, imax;	/* buckets in use; meaningful when count > 0 */
	uint64_t count;
	uint64_t min, max;
	int16_t cur_pos[TL_SKETCH_NCUR];	/* bucket (indices reach 2335) */
	uint32_t cur_below[TL_SKETCH_NCUR];	/* values in buckets below cur_pos */
};

/*
 * The nearest rank of q among n values, in [1, n]: ceil(q * n), where a
 * product within 1e-9 of an integer counts as that integer (0.07 * 100 is
 * 7.000000000000001 in doubles and must not become 8).
 */
static inline uint64_t tl_sketch_rank(double q, uint64_t n)
{
	double r = ceil(q * (double)n - 1e-9);

	if (r < 1.0)
		return 1;
	return r > (double)n ? n : (uint64_t)r;
}

void tl_sketch_init(struct tl_sketch *s);
void tl_sketch_free(struct tl_sketch *s);
/* Empty it, keeping the memory for reuse. */
void tl_sketch_reset(struct tl_sketch *s);

int tl_sketch_index(uint64_t v);
/* The value that stands for every member of bucket idx. */
double tl_sketch_bucket_value(int idx);

/* 0 or -ENOMEM (then s is unchanged). */
int tl_sketch_add(struct tl_sketch *s, uint64_t v);
/* n values already mapped to idx, whose exact min and max are given. */
int tl_sketch_add_bucket(struct tl_sketch *s, int idx, uint64_t n, uint64_t min, uint64_t max);
int tl_sketch_merge(struct tl_sketch *dst, const struct tl_sketch *src);

/*
 * Nearest rank: the value at 1-based rank ceil(q * count) (q = 0: the min),
 * as its bucket's value clamped to [min, max], so within a; 0 when empty.
 */
uint64_t tl_sketch_quantile(const struct tl_sketch *s, double q);
/* Several quantiles at once. */
void tl_sketch_quantiles(const struct tl_sketch *s, const double *qs, int n, uint64_t *out);
/*
 * p50, p90 and p99 as tl_sketch_quantiles gives them, from the cursors
 * (which it moves, hence not const).
 */
void tl_sketch_p50_p90_p99(struct tl_sketch *s, uint64_t out[TL_SKETCH_NCUR]);
/* Start loading what tl_sketch_p50_p90_p99 will read. */
static inline void tl_sketch_prefetch_cursors(const struct tl_sketch *s)
{
	int k;

	for (k = 0; k < TL_SKETCH_NCUR; k++)
		if (s->cur_pos[k] >= s->lo && s->cur_pos[k] < s->lo + (int32_t)s->cap)
			tl_prefetch(&s->counts[s->cur_pos[k] - s->lo]);
}
/* Count per log-spaced bin between lo and hi (both > 0 after clamping). */
void tl_sketch_histogram(const struct tl_sketch *s, uint64_t lo, uint64_t hi,
			 uint32_t *bins, int nbins);

#endif
