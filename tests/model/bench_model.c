// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Model at scale (issue 4, item 4): ingest 1,000,000 sessions and
 * 1,000,000 connects over 10,000 destinations, then time the refresh
 * paths (session view, latency view with percentiles) cold, steady (one
 * second of new traffic in between) and idle, and report the heap the
 * model retains. Prints numbers; asserts nothing.
 *
 *   bench_model [SESSIONS [DESTS]]
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model/model.h"
#include "mrec.h"

#define NS 1000000000ULL
#define RATE 20000		/* events per simulated second: sessions + connects */
#define REPS 9

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
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

/* Feed sessions and connects [from, to), interleaved, RATE events per second of ts. */
static void feed(struct tl_model *m, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		ts += NS / RATE;
		sess[i].ts_ns = ts;
		tl_model_add(m, &sess[i]);
		ts += NS / RATE;
		conn[i].ts_ns = ts;
		tl_model_add(m, &conn[i]);
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

/* One screen's worth of model work: both views and the rows a screen shows. */
static double refresh(struct tl_model *m, struct tl_session_view *sv, struct tl_dest_view *dv,
		      const struct refresh *r, const struct tl_filter *f, uint64_t *sink)
{
	double t0 = now_ms();
	size_t i;

	tl_session_view_update(sv, m, f, r->scol, r->sdesc);
	tl_dest_view_update(dv, m, r->group, r->win, f, r->dcol, true, ts);
	for (i = 0; i < 40 && i < tl_session_view_len(sv); i++) {
		const struct tl_record *x = tl_session_view_get(sv, i);

		*sink += x ? x->tx_bytes : 0;
	}
	for (i = 0; i < 20 && i < tl_dest_view_len(dv); i++)
		*sink += tl_dest_view_get(dv, i)->p99_ns;
	return now_ms() - t0;
}

static void run(struct tl_model *m, const struct refresh *r, size_t *next)
{
	struct tl_session_view *sv = tl_session_view_new();
	struct tl_dest_view *dv = tl_dest_view_new();
	struct tl_filter *f = NULL;
	double cold, steady[REPS], idle[REPS];
	uint64_t sink = 0;
	char err[128];
	int k;

	if (r->filter)
		f = tl_filter_parse(r->filter, err, sizeof(err));
	cold = refresh(m, sv, dv, r, f, &sink);
	for (k = 0; k < REPS; k++) {
		/* one second of traffic at RATE, then a refresh */
		size_t n = RATE / 2;

		if (*next + n > nsess)
			*next = 0;
		feed(m, *next, *next + n);
		*next += n;
		steady[k] = refresh(m, sv, dv, r, f, &sink);
		idle[k] = refresh(m, sv, dv, r, f, &sink);
	}
	qsort(steady, REPS, sizeof(double), cmp_d);
	qsort(idle, REPS, sizeof(double), cmp_d);
	printf("%-44s %9.2f %9.2f %9.2f %9.3f %7zu %6zu\n", r->what, cold, steady[REPS / 2],
	       steady[REPS - 1], idle[REPS / 2], tl_session_view_len(sv), tl_dest_view_len(dv));
	tl_filter_free(f);
	tl_session_view_free(sv);
	tl_dest_view_free(dv);
	(void)sink;
}

int main(int argc, char **argv)
{
	static const struct refresh cases[] = {
		{ "default: time desc, dest/all/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_DEST,
		  TL_WIN_ALL, TL_DCOL_P99 },
		{ "dest/60s/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_DEST, TL_WIN_60S, TL_DCOL_P99 },
		{ "dest/10s/p99", NULL, TL_SCOL_TIME, true, TL_GROUP_DEST, TL_WIN_10S, TL_DCOL_P99 },
		{ "addr/all/connects", NULL, TL_SCOL_TIME, true, TL_GROUP_ADDR, TL_WIN_ALL,
		  TL_DCOL_CONNECTS },
		{ "process/all/key", NULL, TL_SCOL_TIME, true, TL_GROUP_PROCESS, TL_WIN_ALL,
		  TL_DCOL_KEY },
		{ "sessions by tx desc", NULL, TL_SCOL_TX, true, TL_GROUP_DEST, TL_WIN_ALL,
		  TL_DCOL_P99 },
		{ "sessions by remote asc", NULL, TL_SCOL_REMOTE, false, TL_GROUP_DEST, TL_WIN_ALL,
		  TL_DCOL_P99 },
		{ "sessions by comm asc", NULL, TL_SCOL_COMM, false, TL_GROUP_DEST, TL_WIN_ALL,
		  TL_DCOL_P99 },
		{ "filter 'rport=443' time desc, dest/all", "rport=443", TL_SCOL_TIME, true,
		  TL_GROUP_DEST, TL_WIN_ALL, TL_DCOL_P99 },
		{ "filter 'comm=proc1 fam=4', dest/10s", "comm=proc1 fam=4", TL_SCOL_TIME, true,
		  TL_GROUP_DEST, TL_WIN_10S, TL_DCOL_P99 },
	};
	struct tl_model_config cfg;
	struct tl_model *m;
	size_t h0, h1, next = 0, i;
	double t0, t1;

	nsess = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	ndest = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	cfg.history = nsess;
	cfg.max_dests = 10000;
	printf("model bench: %zu sessions + %zu connects over %zu destinations, history %zu\n",
	       nsess, nsess, ndest, cfg.history);
	gen(nsess);
	ts = 1700000000ULL * NS;

	h0 = heap_used();
	m = tl_model_new(&cfg);
	t0 = now_ms();
	feed(m, 0, nsess);
	t1 = now_ms();
	h1 = heap_used();
	printf("ingest: %.0f ms for %zu events = %.2f M events/s (%.0f ns/event)\n", t1 - t0,
	       2 * nsess, 2 * nsess / ((t1 - t0) / 1e3) / 1e6, (t1 - t0) * 1e6 / (2.0 * nsess));
	printf("model heap: %.1f MB = %.1f bytes per retained session (sessions ring %zu B/session,"
	       " connects ring %zu B/connect, rest: aggregation)\n",
	       (h1 - h0) / 1e6, (double)(h1 - h0) / nsess, sizeof(struct tl_record), (size_t)80);
	{
		/* where the connects alone go: ingest them into a model without sessions */
		struct tl_model *c = tl_model_new(&cfg);
		size_t c0 = heap_used();

		for (i = 0; i < nsess; i++)
			tl_model_add(c, &conn[i]);
		printf("  of which connects (ring + 4 groupings + window slots): %.1f MB\n",
		       (heap_used() - c0) / 1e6);
		tl_model_free(c);
	}

	printf("\nrefresh, ms (session view + dest view + rows a screen reads); steady = after one"
	       " second of traffic (%d events)\n", RATE);
	printf("%-44s %9s %9s %9s %9s %7s %6s\n", "case", "cold", "steady", "worst", "idle",
	       "srows", "drows");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t h = heap_used();

		run(m, &cases[i], &next);
		(void)h;
	}
	printf("\nviews' transient heap is freed after each case; peak is model + one view\n");
	tl_model_free(m);
	free(sess);
	free(conn);
	return 0;
}
