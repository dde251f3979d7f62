// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The sketch against exact quantiles: the 1% bound, exact count/min/max, exact merges. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/tap.h"
#include "model/sketch.h"
#include "mrec.h"

#define N 200000

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double worst;

/* Nearest rank, computed here independently: rank ceil(q * n), 1-based; q = 0 the min. */
static uint64_t exact_q(const uint64_t *sorted, size_t n, double q)
{
	double r = ceil(q * (double)n - 1e-9);

	if (r < 1)
		r = 1;
	if (r > (double)n)
		r = (double)n;
	return sorted[(size_t)r - 1];
}

/* Every checked quantile within 1% of the exact one; min, max and count exact. */
static void check_dist(const char *name, uint64_t *v, size_t n)
{
	static const double qs[] = { 0.0, 0.5, 0.9, 0.99, 0.999, 1.0 };
	struct tl_sketch s;
	double err = 0;
	size_t i;
	int bad = 0;

	tl_sketch_init(&s);
	for (i = 0; i < n; i++)
		tl_sketch_add(&s, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t exact = exact_q(v, n, qs[i]);
		uint64_t got = tl_sketch_quantile(&s, qs[i]);
		double e = fabs((double)got - (double)exact) / (double)exact;

		if (e > err)
			err = e;
		if (e > 0.01) {
			printf("#   %s q=%g: exact %" PRIu64 " got %" PRIu64 "\n", name, qs[i], exact, got);
			bad = 1;
		}
	}
	if (err > worst)
		worst = err;
	ok(!bad, "%s: p0/p50/p90/p99/p99.9/p100 within 1%% (worst %.4f%%)", name, err * 100);
	is_int(s.count, n, "%s: count exact", name);
	is_int(s.min, v[0], "%s: min exact", name);
	is_int(s.max, v[n - 1], "%s: max exact", name);
	tl_sketch_free(&s);
}

/* A whole sweep of quantiles, not only the usual ones. */
static void check_sweep(const char *name, uint64_t *v, size_t n)
{
	struct tl_sketch s;
	double q, err = 0;
	size_t i;

	tl_sketch_init(&s);
	for (i = 0; i < n; i++)
		tl_sketch_add(&s, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (q = 0.0; q <= 1.0; q += 0.001) {
		uint64_t exact = exact_q(v, n, q);
		uint64_t got = tl_sketch_quantile(&s, q);
		double e = fabs((double)got - (double)exact) / (double)exact;

		if (e > err)
			err = e;
	}
	if (err > worst)
		worst = err;
	ok(err <= 0.01, "%s: 1001 quantiles within 1%% (worst %.4f%%)", name, err * 100);
	tl_sketch_free(&s);
}

static int same_sketch(const struct tl_sketch *a, const struct tl_sketch *b)
{
	int32_t i;

	if (a->count != b->count || a->min != b->min || a->max != b->max ||
	    a->imin != b->imin || a->imax != b->imax)
		return 0;
	for (i = a->imin; i <= a->imax; i++)
		if (a->counts[i - a->lo] != b->counts[i - b->lo])
			return 0;
	return 1;
}

/*
 * The p50/p90/p99 cursors against the full walk, queried after every few
 * adds while the distribution drifts (so cursors move far both ways),
 * with bulk adds, merges and resets in between.
 */
static void check_cursors(void)
{
	static const double qs[3] = { 0.50, 0.90, 0.99 };
	struct tl_sketch s, o;
	int bad = 0, queries = 0, phase;
	size_t i;

	tl_sketch_init(&s);
	tl_sketch_init(&o);
	for (phase = 0; phase < 6; phase++) {
		size_t n = phase == 3 ? 5 : 20000;

		for (i = 0; i < n; i++) {
			double drift = phase == 1 ? 1e6 - 45.0 * (double)i : 1e3 + 50.0 * (double)i;
			uint64_t x, got[3], want[3];

			if (phase == 2)		/* two clusters */
				x = i % 7 ? 40000 + rng_next() % 1000 : 900000000 + rng_next() % 1000;
			else
				x = (uint64_t)(drift * exp(0.4 * rng_normal())) + 1;
			if (phase == 4 && i % 100 == 0)	/* a bulk add, as window merges do */
				tl_sketch_add_bucket(&s, tl_sketch_index(x), 1 + i % 37, x, x);
			else
				tl_sketch_add(&s, x);
			if (phase == 5 && i % 500 == 0) {
				tl_sketch_add(&o, x / 3 + 1);
				tl_sketch_merge(&s, &o);
			}
			if (rng_next() % (1 + i % 13))
				continue;
			tl_sketch_p50_p90_p99(&s, got);
			tl_sketch_quantiles(&s, qs, 3, want);
			queries++;
			if (memcmp(got, want, sizeof(got)) && bad++ < 3)
				printf("# phase %d after %zu: cursors %" PRIu64 "/%" PRIu64 "/%" PRIu64
				       ", walk %" PRIu64 "/%" PRIu64 "/%" PRIu64 "\n", phase, i,
				       got[0], got[1], got[2], want[0], want[1], want[2]);
		}
		if (phase == 2)
			tl_sketch_reset(&s);
	}
	ok(!bad && queries > 10000, "p50/p90/p99 cursors == full walk over %d queries (%d differ)",
	   queries, bad);
	tl_sketch_free(&s);
	tl_sketch_free(&o);
}

int main(void)
{
	uint64_t *v = malloc(N * sizeof(*v));
	struct tl_sketch a, b, u, e;
	size_t i;

	for (i = 0; i < N; i++)	/* 1 us .. 1 s */
		v[i] = 1000 + rng_next() % 1000000000ULL;
	check_dist("uniform", v, N);
	for (i = 0; i < N; i++)	/* median 1 ms, wide */
		v[i] = (uint64_t)(1e6 * exp(1.5 * rng_normal()));
	for (i = 0; i < N; i++)
		if (v[i] < 1000)
			v[i] = 1000;
	check_dist("lognormal", v, N);
	check_sweep("lognormal sweep", v, N);
	for (i = 0; i < N; i++)
		v[i] = 123457;
	check_dist("constant", v, N);
	for (i = 0; i < N; i++)	/* 98% near 50 us, 2% near 1 s (SYN retransmits) */
		v[i] = i % 50 ? 50000 + rng_next() % 5000 : 1000000000 + rng_next() % 20000000;
	check_dist("two clusters", v, N);
	check_sweep("two clusters sweep", v, N);
	for (i = 0; i < N; i++)	/* Pareto alpha 1.1 from 20 us, capped at 3 h */
		v[i] = (uint64_t)fmin(20000.0 / pow(rng_unit(), 1 / 1.1), 3 * 3600e9);
	check_dist("pareto", v, N);
	check_sweep("pareto sweep", v, N);
	for (i = 0; i < N; i++)	/* every scale from 1 us to 1 h */
		v[i] = (uint64_t)(1000.0 * pow(3.6e9, rng_unit()));
	check_sweep("log-uniform 1us..1h", v, N);
	printf("# worst relative error seen: %.4f%%\n", worst * 100);
	check_cursors();

	/* nearest rank on tiny samples, where the definitions differ most */
	{
		struct tl_sketch t;
		uint64_t got;

		tl_sketch_init(&t);
		tl_sketch_add(&t, 13000);
		tl_sketch_add(&t, 15000);
		tl_sketch_add(&t, 55000);
		got = tl_sketch_quantile(&t, 0.99);
		ok(got >= 54450 && got <= 55000, "3 samples 13/15/55 us: p99 is the max (%" PRIu64 ")", got);
		got = tl_sketch_quantile(&t, 0.5);
		ok(got >= 14850 && got <= 15150, "3 samples: p50 is the middle one (%" PRIu64 ")", got);
		got = tl_sketch_quantile(&t, 0.34);
		ok(got >= 14850 && got <= 15150, "3 samples: p34 is rank 2 (%" PRIu64 ")", got);
		got = tl_sketch_quantile(&t, 0.33);
		ok(got >= 12870 && got <= 13130, "3 samples: p33 is rank 1 (%" PRIu64 ")", got);
		is_int(tl_sketch_quantile(&t, 0.0), 13000, "q = 0 is the exact min");
		tl_sketch_reset(&t);
		for (i = 1; i <= 100; i++)
			tl_sketch_add(&t, i * 1000000);
		got = tl_sketch_quantile(&t, 0.07);
		ok(got >= 6930000 && got <= 7070000, "100 samples: p7 is rank 7, not 8 (%" PRIu64 ")", got);
		got = tl_sketch_quantile(&t, 0.99);
		ok(got >= 98010000 && got <= 99990000, "100 samples: p99 is rank 99 (%" PRIu64 ")", got);
		tl_sketch_free(&t);
	}

	/* merge: the union of two halves, bucket for bucket */
	tl_sketch_init(&a);
	tl_sketch_init(&b);
	tl_sketch_init(&u);
	tl_sketch_init(&e);
	for (i = 0; i < N; i++) {
		uint64_t x = i & 1 ? 2000 + rng_next() % 100000 : (uint64_t)(5e8 * rng_unit()) + 1000;

		tl_sketch_add(i < N / 3 ? &a : &b, x);
		tl_sketch_add(&u, x);
	}
	tl_sketch_merge(&e, &a);
	tl_sketch_merge(&e, &b);
	ok(same_sketch(&e, &u), "merge of two sketches == sketch of the union");
	is_int(tl_sketch_quantile(&e, 0.99), tl_sketch_quantile(&u, 0.99), "merged p99 == union p99");
	tl_sketch_merge(&b, &a);
	ok(same_sketch(&b, &u), "merge in the other order too");
	tl_sketch_reset(&u);
	is_int(u.count, 0, "reset empties");
	is_int(tl_sketch_quantile(&u, 0.5), 0, "empty sketch quantile is 0");
	tl_sketch_add(&u, 0);
	is_int(tl_sketch_quantile(&u, 0.5), 0, "a 0 ns value comes back as 0");
	tl_sketch_add(&u, 5000);
	{
		uint32_t h[4];

		tl_sketch_histogram(&u, 1, 5000, h, 4);
		ok(h[0] == 1 && h[3] == 1 && h[1] == 0 && h[2] == 0, "histogram puts min and max in the end bins");
	}
	tl_sketch_free(&a);
	tl_sketch_free(&b);
	tl_sketch_free(&u);
	tl_sketch_free(&e);
	free(v);
	return tap_done();
}
