// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Model at scale (issue 4, item 4): ingest 1,000,000 sessions and
 * 1,000,000 connects over 10,000 destinations, then time the refresh
 * paths (session view + latency view + the rows a 200x60 screen reads,
 * histograms included) cold, steady (after one second of traffic at the
 * machine's loopback maximum: 30,000 sessions and 15,000 connects spread
 * over the destinations) and idle, and report the heap the model retains.
 * Times are wall clock and, beside them, this process's CPU time, which
 * other load on a shared machine disturbs less. Prints numbers; asserts
 * nothing. The last lines are a summary against the goals.
 *
 *   bench_model [SESSIONS [DESTS]]
 *   bench_model --accuracy [--latencies FILE]
 *
 * --accuracy prints instead the worst relative error of p50, p90, p99 and
 * p99.9 from the latency sketch against exact nearest-rank quantiles, over
 * synthetic distributions and, with --latencies, over a file of captured
 * connect latencies (one value in milliseconds per line).
 *
 * BENCH_CASES=0,3 in the environment runs only those refresh cases (for a
 * profiler); the summary then shows 0 for the others.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"
#include "model/sketch.h"
#include "mrec.h"

#define NS 1000000000ULL
#define SEC_SESSIONS 30000	/* one second of traffic at the loopback maximum */
#define SEC_CONNECTS 15000
#define REPS 9
#define SCREEN_SESSIONS 40	/* rows of a 200x60 screen, split between panels */
#define SCREEN_DESTS 16

static double clock_ms(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static size_t nsess, ndest;
static struct tl_record *sess, *conn;
static uint64_t ts;

static void gen(size_t n)
{
	size_t i;

	sess = malloc(n * sizeof(*sess));
	conn = malloc(n * sizeof(*conn));
	if (!sess || !conn) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		uint32_t d = (uint32_t)(rng_next() % ndest), pid = 1000 + d % 200;
		char a[64], comm[16];
		double median = 50e3 * (1 + d % 97);	/* 50 us .. 4.9 ms by destination */
		uint64_t lat = (uint64_t)(median * exp(0.6 * rng_normal()));
		uint64_t r = rng_next() % 100;

		snprintf(comm, sizeof(comm), "proc%u", pid % 50);
		if (d % 10 == 0)
			snprintf(a, sizeof(a), "2001:db8::%x", d);
		else
			snprintf(a, sizeof(a), "10.%u.%u.%u", d >> 16, (d >> 8) & 255, d & 255);
		conn[i] = mk_connect(0, pid, comm, a, (uint16_t)(443 + d % 3),
				     r < 97 ? TL_REC_OK : r < 99 ? TL_REC_REFUSED : TL_REC_TIMEOUT, lat);
		sess[i] = mk_session(0, pid, rng_next() % 20 ? comm : NULL,
				     d % 10 ? "10.255.0.1" : "2001:db8::1", (uint16_t)(30000 + i % 30000),
				     a, (uint16_t)(443 + d % 3),
				     i % 3 ? TL_REC_ACTIVE : TL_REC_PASSIVE);
		sess[i].tx_bytes = rng_next() % 1000000;
		sess[i].rx_bytes = rng_next() % 10000000;
		sess[i].span_ns = lat * 10 + rng_next() % NS;
		sess[i].retrans = (uint32_t)(rng_next() % 50 == 0);
		sess[i].srtt_us = (uint32_t)(lat / 1000);
	}
}

/*
 * n connects and 2n sessions, interleaved, at SEC_CONNECTS per second of
 * ts; records are reused round-robin, *next is where to go on.
 */
static void feed(struct tl_model *m, size_t *next, size_t n, size_t nsessions)
{
	size_t k;

	for (k = 0; k < n; k++) {
		size_t i = *next;

		ts += NS / SEC_CONNECTS;
		sess[i].ts_ns = ts;
		tl_model_add(m, &sess[i]);
		if (nsessions > n) {
			sess[(i + nsess / 2) % nsess].ts_ns = ts;
			tl_model_add(m, &sess[(i + nsess / 2) % nsess]);
		}
		conn[i].ts_ns = ts;
		tl_model_add(m, &conn[i]);
		*next = (i + 1) % nsess;
	}
}

struct refresh {
	const char *what;
	const char *filter;
	enum tl_scol scol;
	bool sdesc;
	enum tl_group group;
	enum tl_window win;
	enum tl_dcol dcol;
};

struct result {
	double cold, steady, worst, idle, steady_cpu;
	size_t srows, drows;
};

/* One screen's worth of model work: both views and the rows a screen shows. */
static double refresh(struct tl_model *m, struct tl_session_view *sv, struct tl_dest_view *dv,
		      const struct refresh *r, const struct tl_filter *f, uint64_t *sink,
		      double *cpu)
{
	double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
	size_t i;
	int k;

	tl_session_view_update(sv, m, f, r->scol, r->sdesc);
	tl_dest_view_update(dv, m, r->group, r->win, f, r->dcol, true, ts);
	for (i = 0; i < SCREEN_SESSIONS && i < tl_session_view_len(sv); i++) {
		const struct tl_record *x = tl_session_view_get(sv, i);

		*sink += x ? x->tx_bytes : 0;
	}
	for (i = 0; i < SCREEN_DESTS && i < tl_dest_view_len(dv); i++) {
		const struct tl_dest_row *d = tl_dest_view_get(dv, i);

		*sink += d->p99_ns;
		for (k = 0; k < TL_HIST_BINS; k++)
			*sink += d->hist[k];
	}
	if (cpu)
		*cpu = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
	return clock_ms(CLOCK_MONOTONIC) - t0;
}

static void run(struct tl_model *m, const struct refresh *r, size_t *next, struct result *res)
{
	struct tl_session_view *sv = tl_session_view_new();
	struct tl_dest_view *dv = tl_dest_view_new();
	struct tl_filter *f = NULL;
	double steady[REPS], idle[REPS], cpu[REPS];
	uint64_t sink = 0;
	char err[128];
	int k;

	if (r->filter)
		f = tl_filter_parse(r->filter, err, sizeof(err));
	res->cold = refresh(m, sv, dv, r, f, &sink, NULL);
	for (k = 0; k < REPS; k++) {
		feed(m, next, SEC_CONNECTS, SEC_SESSIONS);
		steady[k] = refresh(m, sv, dv, r, f, &sink, &cpu[k]);
		idle[k] = refresh(m, sv, dv, r, f, &sink, NULL);
	}
	qsort(steady, REPS, sizeof(double), cmp_d);
	qsort(idle, REPS, sizeof(double), cmp_d);
	qsort(cpu, REPS, sizeof(double), cmp_d);
	res->steady = steady[REPS / 2];
	res->worst = steady[REPS - 1];
	res->idle = idle[REPS / 2];
	res->steady_cpu = cpu[REPS / 2];
	res->srows = tl_session_view_len(sv);
	res->drows = tl_dest_view_len(dv);
	printf("%-40s %8.2f %8.2f %8.2f %8.2f %8.3f %8zu %6zu\n", r->what, res->cold, res->steady,
	       res->steady_cpu, res->worst, res->idle, res->srows, res->drows);
	tl_filter_free(f);
	tl_session_view_free(sv);
	tl_dest_view_free(dv);
	(void)sink;
}

/* ---- accuracy mode ---- */

#define ACC_N 1000000
#define ACC_NQ 4

static const double acc_qs[ACC_NQ] = { 0.50, 0.90, 0.99, 0.999 };
static const char *const acc_qname[ACC_NQ] = { "p50", "p90", "p99", "p99.9" };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, computed here on sorted values: rank ceil(q * n), 1-based. */
static uint64_t exact_rank(const uint64_t *sorted, size_t n, double q)
{
	double r = ceil(q * (double)n - 1e-9);

	if (r < 1)
		r = 1;
	if (r > (double)n)
		r = (double)n;
	return sorted[(size_t)r - 1];
}

static double rel_err(uint64_t got, uint64_t want)
{
	double d = got > want ? (double)(got - want) : (double)(want - got);

	return d / (want ? (double)want : 1.0);
}

/*
 * Feed v (as a live table would, asking p50/p90/p99 from the cursors now
 * and then), then compare every quantile with the exact one. Returns the
 * worst relative error; *agree is cleared if the cursors and the full walk
 * ever disagree. v is sorted on return.
 */
static double acc_one(const char *name, uint64_t *v, size_t n, bool show_ms, bool *agree)
{
	struct tl_sketch s;
	uint64_t got[ACC_NQ], cur[3], want;
	double err[ACC_NQ], worst = 0;
	size_t i;
	int k;

	tl_sketch_init(&s);
	for (i = 0; i < n; i++) {
		if (tl_sketch_add(&s, v[i])) {
			perror("tl_sketch_add");
			exit(1);
		}
		if (i % 997 == 0)
			tl_sketch_p50_p90_p99(&s, cur);
	}
	tl_sketch_quantiles(&s, acc_qs, ACC_NQ, got);
	tl_sketch_p50_p90_p99(&s, cur);
	if (memcmp(cur, got, sizeof(cur)))
		*agree = false;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (k = 0; k < ACC_NQ; k++) {
		want = exact_rank(v, n, acc_qs[k]);
		err[k] = rel_err(got[k], want);
		if (err[k] > worst)
			worst = err[k];
		if (show_ms)
			printf("  %-6s exact %12.6f ms, sketch %12.6f ms\n", acc_qname[k],
			       want / 1e6, got[k] / 1e6);
	}
	printf("%-28s %9zu %8.3f%% %8.3f%% %8.3f%% %8.3f%% %8.3f%%\n", name, n, err[0] * 100,
	       err[1] * 100, err[2] * 100, err[3] * 100, worst * 100);
	tl_sketch_free(&s);
	return worst;
}

/* One latency in ms per line; blank lines and lines that are no number are skipped. */
static uint64_t *read_latencies(const char *path, size_t *n, size_t *skipped)
{
	FILE *f = fopen(path, "r");
	uint64_t *v = NULL;
	size_t cap = 0;
	char line[256];

	*n = *skipped = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		double ms;

		errno = 0;
		ms = strtod(line, &end);
		if (end == line || errno || !(ms >= 0) || ms > 1.8e13) {
			if (strspn(line, " \t\r\n") != strlen(line))
				(*skipped)++;
			continue;
		}
		if (*n == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 4096;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			v = nv;
		}
		v[(*n)++] = (uint64_t)llround(ms * 1e6);
	}
	fclose(f);
	if (!*n) {
		free(v);
		errno = ENODATA;
		return NULL;
	}
	return v;
}

static int accuracy(const char *latencies)
{
	uint64_t *v, *cap = NULL;
	double worst = 0, w;
	bool agree = true;
	size_t i, n = 0, skipped = 0;

	/* a bad file is reported before a second of synthetic work */
	if (latencies) {
		cap = read_latencies(latencies, &n, &skipped);
		if (!cap) {
			fprintf(stderr, "bench_model: %s: %s\n", latencies, strerror(errno));
			return 1;
		}
	}
	v = malloc(ACC_N * sizeof(*v));
	if (!v) {
		perror("malloc");
		free(cap);
		return 1;
	}
	printf("percentile accuracy: sketch (alpha %.4f, nearest rank) vs exact nearest rank;"
	       " relative error |sketch - exact| / exact\n", TL_SKETCH_ALPHA);
	printf("%-28s %9s %9s %9s %9s %9s %9s\n", "distribution", "values", "p50", "p90", "p99",
	       "p99.9", "worst");
	for (i = 0; i < ACC_N; i++)	/* 1 us .. 1 s */
		v[i] = 1000 + rng_next() % 1000000000ULL;
	w = acc_one("uniform 1us..1s", v, ACC_N, false, &agree);
	worst = fmax(worst, w);
	for (i = 0; i < ACC_N; i++)	/* median 1 ms, sigma 1.5 */
		v[i] = (uint64_t)fmax(1000.0, 1e6 * exp(1.5 * rng_normal()));
	w = acc_one("lognormal med 1ms s=1.5", v, ACC_N, false, &agree);
	worst = fmax(worst, w);
	for (i = 0; i < ACC_N; i++)	/* 98% near 50 us, 2% near 1 s (SYN retransmits) */
		v[i] = i % 50 ? 50000 + rng_next() % 5000 : 1000000000 + rng_next() % 20000000;
	w = acc_one("two clusters 50us + 1s", v, ACC_N, false, &agree);
	worst = fmax(worst, w);
	for (i = 0; i < ACC_N; i++)	/* Pareto alpha 1.1 from 20 us, capped at 3 h */
		v[i] = (uint64_t)fmin(20000.0 / pow(rng_unit(), 1 / 1.1), 3 * 3600e9);
	w = acc_one("pareto a=1.1 from 20us", v, ACC_N, false, &agree);
	worst = fmax(worst, w);
	for (i = 0; i < ACC_N; i++)
		v[i] = 123457;
	w = acc_one("constant 123.457us", v, ACC_N, false, &agree);
	worst = fmax(worst, w);
	printf("synthetic worst: %.3f%% (bound 1%%)\n", worst * 100);
	free(v);
	if (cap) {
		printf("\ncaptured latencies from %s: %zu values (lines not a number: %zu)\n",
		       latencies, n, skipped);
		w = acc_one("captured", cap, n, true, &agree);
		printf("captured worst: %.3f%% (bound 1%%)\n", w * 100);
		worst = fmax(worst, w);
		free(cap);
	}
	printf("cursor p50/p90/p99 (the latency panel's path) equal the full walk: %s\n",
	       agree ? "yes" : "NO");
	printf("summary: worst relative error %.3f%% (goal <= 1%%)\n", worst * 100);
	return worst <= 0.01 && agree ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct refresh cases[] = {
		{ "default: time desc + dest/all/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_DEST,
		  TL_WIN_ALL, TL_DCOL_P99 },
		{ "dest/60s/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_DEST, TL_WIN_60S, TL_DCOL_P99 },
		{ "dest/10s/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_DEST, TL_WIN_10S, TL_DCOL_P99 },
		{ "addr/all/connects", NULL, TL_SCOL_TIME, true, TL_GROUP_ADDR, TL_WIN_ALL,
		  TL_DCOL_CONNECTS },
		{ "port/60s/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_PORT, TL_WIN_60S, TL_DCOL_P99 },
		{ "process/all/key", NULL, TL_SCOL_TIME, true, TL_GROUP_PROCESS, TL_WIN_ALL,
		  TL_DCOL_KEY },
		{ "sessions by tx desc", NULL, TL_SCOL_TX, true, TL_GROUP_DEST, TL_WIN_ALL,
		  TL_DCOL_P99 },
		{ "sessions by remote asc", NULL, TL_SCOL_REMOTE, false, TL_GROUP_DEST, TL_WIN_ALL,
		  TL_DCOL_P99 },
		{ "sessions by comm asc", NULL, TL_SCOL_COMM, false, TL_GROUP_DEST, TL_WIN_ALL,
		  TL_DCOL_P99 },
		{ "filter 'rport=443', dest/all", "rport=443", TL_SCOL_TIME, true,
		  TL_GROUP_DEST, TL_WIN_ALL, TL_DCOL_P99 },
		{ "filter 'comm=proc1 fam=4', dest/10s", "comm=proc1 fam=4", TL_SCOL_TIME, true,
		  TL_GROUP_DEST, TL_WIN_10S, TL_DCOL_P99 },
	};
	enum { C_DEFAULT, C_60S, C_10S, C_ADDR, C_PORT60, C_PROC, C_TX, C_REMOTE, C_COMM, C_F1, C_F2,
	       C_N };
	struct result res[C_N];
	struct tl_model_config cfg;
	struct tl_model *m;
	size_t h0, h1, hc, next = 0, i;
	double t0, t1, c0, c1, wall_rate, cpu_rate, per_sess;

	_Static_assert(sizeof(cases) / sizeof(cases[0]) == C_N, "one result per case");
	if (argc > 1 && !strcmp(argv[1], "--accuracy")) {
		if (argc == 2)
			return accuracy(NULL);
		if (argc == 4 && !strcmp(argv[2], "--latencies"))
			return accuracy(argv[3]);
		fprintf(stderr, "usage: bench_model --accuracy [--latencies FILE]\n");
		return 2;
	}
	nsess = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	ndest = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	if (!nsess || !ndest) {
		fprintf(stderr, "usage: bench_model [SESSIONS [DESTS]] | --accuracy [--latencies FILE]\n");
		return 2;
	}
	cfg.history = nsess;
	cfg.max_dests = 10000;
	printf("model bench: %zu sessions + %zu connects over %zu destinations, history %zu,"
	       " max-dests %zu\n", nsess, nsess, ndest, cfg.history, cfg.max_dests);
	gen(nsess);
	ts = 1700000000ULL * NS;

	h0 = heap_used();
	m = tl_model_new(&cfg);
	if (!m) {
		perror("tl_model_new");
		return 1;
	}
	t0 = clock_ms(CLOCK_MONOTONIC);
	c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < nsess; i++) {
		ts += NS / SEC_CONNECTS;
		sess[i].ts_ns = ts;
		tl_model_add(m, &sess[i]);
		conn[i].ts_ns = ts;
		tl_model_add(m, &conn[i]);
	}
	c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
	t1 = clock_ms(CLOCK_MONOTONIC);
	h1 = heap_used();
	wall_rate = 2 * nsess / ((t1 - t0) / 1e3);
	cpu_rate = 2 * nsess / ((c1 - c0) / 1e3);
	printf("ingest: %.0f ms wall (%.0f ms CPU) for %zu events = %.2f M events/s wall,"
	       " %.2f M per CPU second (%.0f ns/event)\n", t1 - t0, c1 - c0, 2 * nsess,
	       wall_rate / 1e6, cpu_rate / 1e6, (c1 - c0) * 1e6 / (2.0 * nsess));
	per_sess = (double)(h1 - h0) / (double)tl_model_history_cap(m);
	{
		/* the connects' share: the same connects into a model without sessions */
		struct tl_model *c;

		hc = heap_used();
		c = tl_model_new(&cfg);
		for (i = 0; i < nsess; i++)
			tl_model_add(c, &conn[i]);
		hc = heap_used() - hc;
		tl_model_free(c);
	}
	printf("model heap after ingest: %.1f MB = %.1f bytes per retained session"
	       " (heap / history capacity %zu)\n", (h1 - h0) / 1e6, per_sess,
	       tl_model_history_cap(m));
	printf("  session ring %zu B x %zu = %.1f MB; connects (ring of history/4 = %zu connects"
	       " x 80 B, destination and process tables, their 60 s windows) %.1f MB\n",
	       sizeof(struct tl_record), tl_model_history_cap(m),
	       sizeof(struct tl_record) * tl_model_history_cap(m) / 1e6, (nsess + 3) / 4, hc / 1e6);

	printf("\nrefresh, ms: session view + latency view + the rows a 200x60 screen reads"
	       " (%d sessions, %d destinations with histograms)\n", SCREEN_SESSIONS, SCREEN_DESTS);
	printf("steady = median after one second of traffic (%d sessions + %d connects), cpu ="
	       " its CPU time, worst of %d, idle = nothing new\n", SEC_SESSIONS, SEC_CONNECTS,
	       REPS);
	printf("%-40s %8s %8s %8s %8s %8s %8s %6s\n", "case", "cold", "steady", "cpu", "worst",
	       "idle", "srows", "drows");
	memset(res, 0, sizeof(res));
	for (i = 0; i < C_N; i++) {
		const char *only = getenv("BENCH_CASES");
		char id[16];

		snprintf(id, sizeof(id), ",%zu,", i);
		if (only && *only) {
			char list[256];

			snprintf(list, sizeof(list), ",%s,", only);
			if (!strstr(list, id))
				continue;
		}
		run(m, &cases[i], &next, &res[i]);
	}
	printf("\nviews' transient heap is freed after each case; peak is model + one view\n");

	printf("\nsummary (%zu sessions + %zu connects, %zu destinations):\n", nsess, nsess, ndest);
	printf("  ingest events/s:            %.2f M wall, %.2f M per CPU second (goal > 2 M)\n",
	       wall_rate / 1e6, cpu_rate / 1e6);
	printf("  bytes per retained session: %.1f (goal < 200)\n", per_sess);
	printf("  refresh default ms:         %.2f wall, %.2f CPU, after 1 s of traffic (goal < 5)\n",
	       res[C_DEFAULT].steady, res[C_DEFAULT].steady_cpu);
	printf("  refresh windowed ms:        60 s %.2f, 10 s %.2f (CPU %.2f, %.2f)\n",
	       res[C_60S].steady, res[C_10S].steady, res[C_60S].steady_cpu, res[C_10S].steady_cpu);
	printf("  refresh sorted ms:          tx %.2f, remote %.2f, comm %.2f (cold %.0f-%.0f)\n",
	       res[C_TX].steady, res[C_REMOTE].steady, res[C_COMM].steady, res[C_TX].cold,
	       res[C_REMOTE].cold);
	printf("  refresh filtered ms:        all %.2f, 10 s %.2f (cold %.0f, %.0f)\n",
	       res[C_F1].steady, res[C_F2].steady, res[C_F1].cold, res[C_F2].cold);
	tl_model_free(m);
	free(sess);
	free(conn);
	return 0;
}
