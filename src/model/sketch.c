// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"

#define GAMMA ((1.0 + TL_SKETCH_ALPHA) / (1.0 - TL_SKETCH_ALPHA))

/* Indices of every uint64_t value: ceil(ln(2^64 - 1) / ln(gamma)) is 2335. */
#define SKETCH_NIDX 2336

static double ln_gamma_inv;	/* 1 / ln(gamma), set on first use */
static double ln_gamma;
/* each bucket's value: a refresh reads three per changed row */
static double bucket_value[SKETCH_NIDX];

static void sketch_consts(void)
{
	int i;

	if (ln_gamma == 0.0) {
		double lg = log(GAMMA);

		for (i = 0; i < SKETCH_NIDX; i++)
			bucket_value[i] = 2.0 * exp(i * lg) / (GAMMA + 1.0);
		ln_gamma_inv = 1.0 / lg;
		ln_gamma = lg;
	}
}

static void cursors_restart(struct tl_sketch *s)
{
	memset(s->cur_pos, 0, sizeof(s->cur_pos));
	memset(s->cur_below, 0, sizeof(s->cur_below));
}

void tl_sketch_init(struct tl_sketch *s)
{
	memset(s, 0, sizeof(*s));
}

void tl_sketch_free(struct tl_sketch *s)
{
	free(s->counts);
	tl_sketch_init(s);
}

void tl_sketch_reset(struct tl_sketch *s)
{
	if (s->count && s->counts)
		memset(s->counts + (s->imin - s->lo), 0,
		       (size_t)(s->imax - s->imin + 1) * sizeof(*s->counts));
	s->count = 0;
	s->min = s->max = 0;
	cursors_restart(s);
}

int tl_sketch_index(uint64_t v)
{
	sketch_consts();
	/* 0 ns cannot be logged; it shares bucket 0 with 1 ns (min stays exact) */
	if (v <= 1)
		return 0;
	return (int)ceil(log((double)v) * ln_gamma_inv);
}

double tl_sketch_bucket_value(int idx)
{
	sketch_consts();
	if (idx >= 0 && idx < SKETCH_NIDX)
		return bucket_value[idx];
	return 2.0 * exp(idx * ln_gamma) / (GAMMA + 1.0);
}

/* Make room for index idx; the slack makes repeated growth geometric. */
static int sketch_reserve(struct tl_sketch *s, int idx)
{
	int32_t nlo, nhi, hi = s->lo + (int32_t)s->cap - 1;
	uint64_t *nc;
	uint32_t ncap, slack;

	if (s->cap && idx >= s->lo && idx <= hi)
		return 0;
	slack = s->cap / 2 > 8 ? s->cap / 2 : 8;
	if (!s->cap) {
		nlo = idx - (int32_t)slack;
		nhi = idx + (int32_t)slack;
	} else if (idx < s->lo) {
		nlo = idx - (int32_t)slack;
		nhi = hi;
	} else {
		nlo = s->lo;
		nhi = idx + (int32_t)slack;
	}
	if (nlo < 0)
		nlo = 0;
	ncap = (uint32_t)(nhi - nlo + 1);
	nc = calloc(ncap, sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	if (s->cap)
		memcpy(nc + (s->lo - nlo), s->counts, s->cap * sizeof(*nc));
	free(s->counts);
	s->counts = nc;
	s->lo = nlo;
	s->cap = ncap;
	return 0;
}

int tl_sketch_add_bucket(struct tl_sketch *s, int idx, uint64_t n, uint64_t min, uint64_t max)
{
	int k;

	if (!n)
		return 0;
	if (sketch_reserve(s, idx))
		return -ENOMEM;
	s->counts[idx - s->lo] += n;
	/* wraps only past 32 bits of count, where the cursors are not used */
	for (k = 0; k < TL_SKETCH_NCUR; k++)
		s->cur_below[k] += idx < s->cur_pos[k] ? (uint32_t)n : 0;
	if (!s->count) {
		s->imin = s->imax = idx;
		s->min = min;
		s->max = max;
	} else {
		if (idx < s->imin)
			s->imin = idx;
		if (idx > s->imax)
			s->imax = idx;
		if (min < s->min)
			s->min = min;
		if (max > s->max)
			s->max = max;
	}
	s->count += n;
	return 0;
}

int tl_sketch_add(struct tl_sketch *s, uint64_t v)
{
	return tl_sketch_add_bucket(s, tl_sketch_index(v), 1, v, v);
}

int tl_sketch_merge(struct tl_sketch *dst, const struct tl_sketch *src)
{
	int32_t i;

	if (!src->count)
		return 0;
	if (sketch_reserve(dst, src->imin) || sketch_reserve(dst, src->imax))
		return -ENOMEM;
	for (i = src->imin; i <= src->imax; i++)
		dst->counts[i - dst->lo] += src->counts[i - src->lo];
	if (!dst->count) {
		dst->imin = src->imin;
		dst->imax = src->imax;
		dst->min = src->min;
		dst->max = src->max;
	} else {
		if (src->imin < dst->imin)
			dst->imin = src->imin;
		if (src->imax > dst->imax)
			dst->imax = src->imax;
		if (src->min < dst->min)
			dst->min = src->min;
		if (src->max > dst->max)
			dst->max = src->max;
	}
	dst->count += src->count;
	cursors_restart(dst);
	return 0;
}

static uint64_t sketch_estimate(const struct tl_sketch *s, int idx)
{
	double v = tl_sketch_bucket_value(idx);

	/* the exact extremes are better estimates than any midpoint past them */
	if (v <= (double)s->min)
		return s->min;
	if (v >= (double)s->max)
		return s->max;
	return (uint64_t)llround(v);
}

/*
 * Nearest rank: the rank-th smallest value, rank = ceil(q * count) (1-based),
 * q <= 0 the exact min and q >= 1 the exact max. Ranks in the upper half
 * are found walking down from the top, so p90/p99 touch few buckets.
 */
static int sketch_rank_bucket(const struct tl_sketch *s, uint64_t rank, uint64_t *below)
{
	uint64_t cum = 0;
	int32_t i;

	if (rank <= s->count / 2) {
		for (i = s->imin; i < s->imax; i++) {
			uint64_t c = s->counts[i - s->lo];

			if (cum + c >= rank)
				break;
			cum += c;
		}
		*below = cum;
		return i;
	}
	/* cum counts the values above bucket i */
	for (i = s->imax; i > s->imin; i--) {
		uint64_t c = s->counts[i - s->lo];

		if (s->count - cum - c < rank)
			break;
		cum += c;
	}
	*below = s->count - cum - s->counts[i - s->lo];
	return i;
}

void tl_sketch_quantiles(const struct tl_sketch *s, const double *qs, int n, uint64_t *out)
{
	uint64_t below;
	int k;

	for (k = 0; k < n; k++) {
		double q = qs[k];

		if (!s->count) {
			out[k] = 0;
			continue;
		}
		if (q <= 0.0) {
			out[k] = s->min;
			continue;
		}
		if (q >= 1.0) {
			out[k] = s->max;
			continue;
		}
		out[k] = sketch_estimate(s, sketch_rank_bucket(s, tl_sketch_rank(q, s->count), &below));
	}
}

void tl_sketch_p50_p90_p99(struct tl_sketch *s, uint64_t out[TL_SKETCH_NCUR])
{
	static const double qs[TL_SKETCH_NCUR] = { 0.50, 0.90, 0.99 };
	int k;

	if (!s->count || s->count > UINT32_MAX) {
		tl_sketch_quantiles(s, qs, TL_SKETCH_NCUR, out);
		return;
	}
	for (k = 0; k < TL_SKETCH_NCUR; k++) {
		uint64_t rank = tl_sketch_rank(qs[k], s->count), below = s->cur_below[k];
		int32_t pos = s->cur_pos[k];

		if (!pos && !below) {
			/* restarted: the walk from the nearer end */
			pos = sketch_rank_bucket(s, rank, &below);
		} else {
			/* values below the lowest bucket or above the highest: none, all */
			if (pos < s->imin)
				pos = s->imin;
			if (pos > s->imax) {
				pos = s->imax;
				below = s->count - s->counts[pos - s->lo];
			}
			while (below >= rank) {
				pos--;
				below -= s->counts[pos - s->lo];
			}
			while (below + s->counts[pos - s->lo] < rank) {
				below += s->counts[pos - s->lo];
				pos++;
			}
		}
		s->cur_pos[k] = (int16_t)pos;
		s->cur_below[k] = (uint32_t)below;
		out[k] = sketch_estimate(s, pos);
	}
}

uint64_t tl_sketch_quantile(const struct tl_sketch *s, double q)
{
	uint64_t v;

	tl_sketch_quantiles(s, &q, 1, &v);
	return v;
}

void tl_sketch_histogram(const struct tl_sketch *s, uint64_t lo, uint64_t hi,
			 uint32_t *bins, int nbins)
{
	double llo, lhi, lmin, lmax, span, base;
	int32_t i;

	memset(bins, 0, (size_t)nbins * sizeof(*bins));
	if (!s->count)
		return;
	sketch_consts();
	if (lo < 1)
		lo = 1;
	if (hi < lo)
		hi = lo;
	llo = log((double)lo);
	lhi = log((double)hi);
	span = lhi - llo;
	lmin = log(s->min > 1 ? (double)s->min : 1.0);
	lmax = log(s->max > 1 ? (double)s->max : 1.0);
	/* log of a bucket's value without calling log() per bucket */
	base = log(2.0 / (GAMMA + 1.0));
	for (i = s->imin; i <= s->imax; i++) {
		uint64_t c = s->counts[i - s->lo], sum;
		double lv = base + i * ln_gamma;
		int b = 0;

		if (!c)
			continue;
		if (lv < lmin)
			lv = lmin;
		if (lv > lmax)
			lv = lmax;
		if (span > 0 && lv > llo) {
			b = (int)((lv - llo) / span * nbins);
			if (b >= nbins)
				b = nbins - 1;
		}
		sum = (uint64_t)bins[b] + c;
		bins[b] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
}
