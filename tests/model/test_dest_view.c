// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The latency panel: exact windows from per-second slots, groupings,
 * folding past max_dests, every sort column both ways, filtered views.
 */
#include <stdlib.h>
#include <string.h>

#include "../unit/tap.h"
#include "model/model.h"
#include "mrec.h"

#define NS 1000000000ULL
#define MS 1000000ULL

static const char *const dcol_name[] = { "key", "connects", "fails", "fail%", "p50", "p90", "p99",
					 "max", "last" };

static const struct tl_dest_row *find_port(const struct tl_dest_view *v, uint16_t port)
{
	size_t i;

	for (i = 0; i < tl_dest_view_len(v); i++)
		if (tl_dest_view_get(v, i)->port == port && !tl_dest_view_get(v, i)->is_other)
			return tl_dest_view_get(v, i);
	return NULL;
}

/* What a latency column shows: the latency, or with no ok connect the time to failure. */
#define SHOWN(d, f) ((d)->ok ? (d)->f##_ns : (d)->ttf_##f##_ns)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_windows(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	const uint64_t t = 1700000000;	/* a second of wall clock */
	const struct tl_dest_row *d;
	struct tl_record *recs;
	size_t n = 0, i;
	uint64_t lat10[100], want;
	int k, c, n10 = 0;

	/*
	 * Second t-k gets k+1 ok connects of (k+1) ms and one refused, for k in
	 * 0..70, fed in a shuffled order so late arrivals are exercised.
	 */
	recs = calloc(72 * 72, sizeof(*recs));
	for (k = 0; k <= 70; k++) {
		for (c = 0; c <= k; c++) {
			recs[n++] = mk_connect((t - k) * NS + (uint64_t)c * 1000, 1, "w", "10.0.0.1", 80,
					       TL_REC_OK, (uint64_t)(k + 1) * MS + (uint64_t)c);
			if (k < 10)
				lat10[n10++] = (uint64_t)(k + 1) * MS + (uint64_t)c;
		}
		recs[n++] = mk_connect((t - k) * NS + 999999999, 1, "w", "10.0.0.1", 80,
				       TL_REC_REFUSED, 5 * MS);
	}
	for (i = n - 1; i > 0; i--) {
		size_t j = rng_next() % (i + 1);
		struct tl_record tmp = recs[i];

		recs[i] = recs[j];
		recs[j] = tmp;
	}
	for (i = 0; i < n; i++)
		tl_model_add(m, &recs[i]);

	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, NULL, TL_DCOL_P99, true, t * NS + 5);
	d = tl_dest_view_get(v, 0);
	is_int(tl_dest_view_len(v), 1, "10 s: one destination");
	is_int(d->connects, 55 + 10, "10 s: exactly the connects of seconds t-9..t");
	is_int(d->ok, 55, "10 s: ok connects");
	is_int(d->refused, 10, "10 s: refused connects");
	is_int(d->min_ns, 1 * MS, "10 s: exact min");
	is_int(d->max_ns, 10 * MS + 9, "10 s: exact max");
	qsort(lat10, 55, sizeof(lat10[0]), cmp_u64);
	want = lat10[28 - 1];	/* nearest rank: ceil(0.5 * 55) = 28 */
	ok(d->p50_ns >= want * 0.99 && d->p50_ns <= want * 1.01, "10 s: p50 %" PRIu64 " ~ %" PRIu64,
	   d->p50_ns, want);
	want = lat10[55 - 1];	/* ceil(0.99 * 55) = 55: the max */
	ok(d->p99_ns >= want * 0.99 && d->p99_ns <= want * 1.01, "10 s: p99 %" PRIu64 " ~ %" PRIu64,
	   d->p99_ns, want);
	is_int(d->last_ns, 1 * MS + 0, "10 s: last is the newest ok connect's latency");
	is_int(d->last_ts_ns, t * NS + 999999999, "10 s: last ts is the newest connect");
	{
		uint64_t sum = 0;

		for (k = 0; k < TL_HIST_BINS; k++)
			sum += d->hist[k];
		is_int(sum, 55, "10 s: histogram holds every ok connect");
		ok(d->hist_lo_ns == d->min_ns && d->hist_hi_ns == d->max_ns, "histogram spans min..max");
	}

	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_60S, NULL, TL_DCOL_P99, true, t * NS + 5);
	d = tl_dest_view_get(v, 0);
	is_int(d->ok, 60 * 61 / 2, "60 s: exactly the ok connects of seconds t-59..t");
	is_int(d->connects, 60 * 61 / 2 + 60, "60 s: every connect of those seconds");
	is_int(d->max_ns, 60 * MS + 59, "60 s: exact max");
	is_int(tl_dest_view_quantile(v, 0, 1.0), 60 * MS + 59, "60 s: quantile(1) is the max");

	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, t * NS + 5);
	d = tl_dest_view_get(v, 0);
	is_int(d->ok, 71 * 72 / 2, "all: every ok connect");
	is_int(d->connects, 71 * 72 / 2 + 71, "all: every connect");
	is_int(d->max_ns, 71 * MS + 70, "all: exact max");
	is_int(tl_dest_view_quantile(v, 0, 0.0), 1 * MS, "all: quantile(0) is the min");

	/* the window follows now, not the newest record */
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, NULL, TL_DCOL_P99, true, (t + 5) * NS);
	d = tl_dest_view_get(v, 0);
	is_int(d->ok, 15, "10 s at now = t+5: seconds t-4..t only");
	is_int(d->last_ns, 1 * MS, "10 s at t+5: last still inside");
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, NULL, TL_DCOL_P99, true, (t + 30) * NS);
	is_int(tl_dest_view_len(v), 0, "10 s at now = t+30: no rows");
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_60S, NULL, TL_DCOL_P99, true, (t + 30) * NS);
	is_int(tl_dest_view_get(v, 0)->ok, 30 * 31 / 2, "60 s at now = t+30: seconds t-29..t");

	/* new data in the window shows at the next update (cache invalidation) */
	recs[0] = mk_connect((t + 30) * NS, 1, "w", "10.0.0.1", 80, TL_REC_TIMEOUT, 3 * NS);
	tl_model_add(m, &recs[0]);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, NULL, TL_DCOL_P99, true, (t + 30) * NS);
	d = tl_dest_view_get(v, 0);
	ok(d && d->connects == 1 && d->timeouts == 1 && d->ok == 0 && d->p99_ns == 0,
	   "a timeout counts as a connect, not as a latency sample");
	tl_dest_view_free(v);
	tl_model_free(m);
	free(recs);
}

static void test_groups_and_other(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 3 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new();
	const struct tl_dest_row *d;
	struct tl_record r;
	uint64_t total = 0;
	size_t i;
	int k;

	/* five destinations; with max_dests 3 the last two fold into "other" */
	for (k = 0; k < 5; k++) {
		for (i = 0; i <= (size_t)k; i++) {
			r = mk_connect(NS * 100 + i, 10 + (uint32_t)k % 2, k % 2 ? "odd" : "even",
				       k == 4 ? "2001:db8::7" : "10.0.0.1", (uint16_t)(1000 + k),
				       TL_REC_OK, (uint64_t)(k + 1) * MS);
			tl_model_add(m, &r);
		}
	}
	r = mk_connect(NS * 100, 0, NULL, "10.0.0.2", 1000, TL_REC_ERROR, MS);
	tl_model_add(m, &r);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_CONNECTS, true, NS * 100);
	is_int(tl_dest_view_len(v), 4, "max_dests 3: three rows and other");
	d = tl_dest_view_get(v, 3);
	ok(d->is_other, "other is the last row, even sorted by connects descending");
	is_int(d->connects, 4 + 5 + 1, "other folds every destination past the cap");
	for (i = 0; i < tl_dest_view_len(v); i++)
		total += tl_dest_view_get(v, i)->connects;
	is_int(total, 16, "no connect lost to folding");
	ok(find_port(v, 1000) && find_port(v, 1000)->family == 4 &&
	   find_port(v, 1000)->addr[0] == 10 && find_port(v, 1000)->addr[3] == 1,
	   "dest row carries family, address and port");

	tl_dest_view_update(v, m, TL_GROUP_ADDR, TL_WIN_ALL, NULL, TL_DCOL_KEY, false, NS * 100);
	is_int(tl_dest_view_len(v), 3, "by address: 10.0.0.1, 10.0.0.2, 2001:db8::7");
	d = tl_dest_view_get(v, 0);
	ok(d->family == 4 && d->addr[3] == 1 && d->connects == 10 && d->port == 0,
	   "by address: v4 first, ports merged");
	ok(tl_dest_view_get(v, 2)->family == 6, "by address: v6 after v4");

	tl_dest_view_update(v, m, TL_GROUP_PORT, TL_WIN_ALL, NULL, TL_DCOL_KEY, false, NS * 100);
	is_int(tl_dest_view_len(v), 4, "by port: three ports and other");
	d = tl_dest_view_get(v, 0);
	ok(d->port == 1000 && d->connects == 2, "by port: port 1000 across addresses");

	tl_dest_view_update(v, m, TL_GROUP_PROCESS, TL_WIN_ALL, NULL, TL_DCOL_KEY, false, NS * 100);
	is_int(tl_dest_view_len(v), 3, "by process: even, odd, unknown");
	ok(tl_dest_view_get(v, 0)->pid == 10 && !strcmp(tl_dest_view_get(v, 0)->comm, "even"),
	   "by process: pid 10 first");
	ok(!tl_dest_view_get(v, 2)->owner_known && tl_dest_view_get(v, 2)->errors == 1,
	   "by process: the unknown owner is its own row, last");
	tl_dest_view_update(v, m, TL_GROUP_PROCESS, TL_WIN_ALL, NULL, TL_DCOL_KEY, true, NS * 100);
	ok(tl_dest_view_get(v, 0)->pid == 11 && !tl_dest_view_get(v, 2)->owner_known,
	   "by process descending: pid 11 first, unknown still last");

	tl_dest_view_free(v);
	tl_model_free(m);
}

static int dcol_cmp(const struct tl_dest_row *a, const struct tl_dest_row *b, int col)
{
	uint64_t x, y;

	switch (col) {
	case TL_DCOL_KEY:
		if (a->family != b->family)
			return a->family < b->family ? -1 : 1;
		if (memcmp(a->addr, b->addr, 16))
			return memcmp(a->addr, b->addr, 16);
		return (a->port > b->port) - (a->port < b->port);
	case TL_DCOL_CONNECTS:
		x = a->connects, y = b->connects;
		break;
	case TL_DCOL_FAILS:
		x = a->connects - a->ok, y = b->connects - b->ok;
		break;
	case TL_DCOL_FAILPCT:
		/* the exact fractions, then p99 as shown */
		x = (a->connects - a->ok) * b->connects, y = (b->connects - b->ok) * a->connects;
		if (x == y)
			x = SHOWN(a, p99), y = SHOWN(b, p99);
		break;
	case TL_DCOL_P50:
		x = SHOWN(a, p50), y = SHOWN(b, p50);
		break;
	case TL_DCOL_P90:
		x = SHOWN(a, p90), y = SHOWN(b, p90);
		break;
	case TL_DCOL_P99:
		x = SHOWN(a, p99), y = SHOWN(b, p99);
		break;
	case TL_DCOL_MAX:
		x = SHOWN(a, max), y = SHOWN(b, max);
		break;
	default:
		x = SHOWN(a, last), y = SHOWN(b, last);
		break;
	}
	return (x > y) - (x < y);
}

static void test_sorts_and_filter(void)
{
	struct tl_model_config cfg = { .history = 100000, .max_dests = 1000 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new();
	struct tl_filter *f;
	struct tl_record r;
	char addr[64], err[128];
	int k, i, col, desc;
	uint64_t ts = 200 * NS;

	/* 40 destinations with different counts, failures and latency spreads */
	for (k = 0; k < 40; k++) {
		snprintf(addr, sizeof(addr), k % 4 ? "10.0.%d.%d" : "2001:db8::%x:%x", k % 7, k);
		for (i = 0; i < 5 + (k * 7) % 23; i++) {
			uint8_t res = (i + k) % 9 == 0 ? TL_REC_REFUSED :
				      (i + k) % 13 == 0 ? TL_REC_TIMEOUT : TL_REC_OK;

			r = mk_connect(ts += 1000, (uint32_t)k, "x", addr, (uint16_t)(80 + k % 3),
				       res, (uint64_t)(1000 + rng_next() % (50000 * (uint64_t)(k + 1))));
			tl_model_add(m, &r);
		}
	}
	for (col = 0; col < TL_DCOL_COUNT; col++) {
		for (desc = 0; desc < 2; desc++) {
			size_t j;
			int good = 1;

			tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, col, desc, ts);
			for (j = 1; j < tl_dest_view_len(v); j++) {
				int c = dcol_cmp(tl_dest_view_get(v, j - 1), tl_dest_view_get(v, j), col);

				if (desc ? c < 0 : c > 0)
					good = 0;
				/* ties in key order */
				if (!c && dcol_cmp(tl_dest_view_get(v, j - 1), tl_dest_view_get(v, j),
						   TL_DCOL_KEY) > 0)
					good = 0;
			}
			ok(good && tl_dest_view_len(v) == 40, "dest sort by %s %s", dcol_name[col],
			   desc ? "descending" : "ascending");
		}
	}

	/* a filter: the rows come from the matching retained connects */
	f = tl_filter_parse("fam=6 result=ok", err, sizeof(err));
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, true, ts);
	{
		size_t j;
		int good = tl_dest_view_len(v) == 10;

		for (j = 0; j < tl_dest_view_len(v); j++) {
			const struct tl_dest_row *d = tl_dest_view_get(v, j);

			good &= d->family == 6 && d->refused == 0 && d->timeouts == 0 &&
				d->ok == d->connects;
		}
		ok(good, "filtered: ten v6 destinations, only ok connects");
	}
	/* new matching connects are added to a filtered view */
	r = mk_connect(ts += 1000, 1, "x", "2001:db8::ffff", 443, TL_REC_OK, 77 * MS);
	tl_model_add(m, &r);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, true, ts);
	ok(tl_dest_view_len(v) == 11 && tl_dest_view_get(v, 0)->p99_ns == 77 * MS &&
	   tl_dest_view_quantile(v, 0, 0.5) == 77 * MS,
	   "filtered: a new connect appears, on top by p99");
	tl_filter_free(f);

	f = tl_filter_parse("lat>1000", err, sizeof(err));
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, f, TL_DCOL_P99, true, ts);
	is_int(tl_dest_view_len(v), 0, "filtered window: nothing over 1 s");
	tl_filter_free(f);
	f = tl_filter_parse("comm=x", err, sizeof(err));
	tl_dest_view_update(v, m, TL_GROUP_PROCESS, TL_WIN_10S, f, TL_DCOL_CONNECTS, true, ts);
	{
		uint64_t sum = 0;
		size_t j;

		for (j = 0; j < tl_dest_view_len(v); j++)
			sum += tl_dest_view_get(v, j)->connects;
		is_int(sum, tl_model_totals(m)->connects, "filtered 10 s window: every recent connect");
	}
	tl_filter_free(f);
	tl_dest_view_free(v);
	tl_model_free(m);
}


static bool sorted_by(const struct tl_dest_view *v, int col, int desc)
{
	size_t j;

	for (j = 1; j < tl_dest_view_len(v); j++) {
		int c = dcol_cmp(tl_dest_view_get(v, j - 1), tl_dest_view_get(v, j), col);

		if (desc ? c < 0 : c > 0)
			return false;
	}
	return true;
}

/*
 * The UI's tmux test found a filtered panel "sorted by P99 descending" with
 * 55 us above 1.00 s: an update that found nothing new left the rows in
 * table order. Every update, idle or not, must leave the rows sorted.
 */
static void test_filtered_sort(void)
{
	static const uint64_t lat[] = { 55000, 1000000000, 120000, 13000, 300000000, 800000 };
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	struct tl_filter *f;
	struct tl_record r;
	char err[128], addr[32];
	uint64_t ts = 300 * NS;
	size_t k;
	int round, good_desc = 1, good_asc = 1, good_conn = 1, good_idle = 1;

	f = tl_filter_parse("rport=8080", err, sizeof(err));
	for (round = 0; round < 3; round++) {
		/* new destinations arrive in an order unrelated to their latency */
		for (k = 0; k < sizeof(lat) / sizeof(lat[0]); k++) {
			snprintf(addr, sizeof(addr), "10.1.%d.%zu", round, k);
			r = mk_connect(ts += 1000, 7, "cli", addr, 8080, TL_REC_OK, lat[k]);
			tl_model_add(m, &r);
			if (k % 2) {
				r = mk_connect(ts += 1000, 7, "cli", addr, 8080, TL_REC_REFUSED, 0);
				tl_model_add(m, &r);
			}
			r = mk_connect(ts += 1000, 7, "cli", addr, 9090, TL_REC_OK, 5 * NS);
			tl_model_add(m, &r);
		}
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, true, ts);
		good_desc &= sorted_by(v, TL_DCOL_P99, 1) &&
			     tl_dest_view_len(v) == 6 * (size_t)(round + 1);
		/* nothing new: the same order (this is where the rows were unsorted) */
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, true, ts);
		good_idle &= sorted_by(v, TL_DCOL_P99, 1) &&
			     tl_dest_view_get(v, 0)->p99_ns == 1000000000;
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, false, ts);
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, false, ts);
		good_asc &= sorted_by(v, TL_DCOL_P99, 0) && tl_dest_view_get(v, 0)->p99_ns == 13000;
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_FAILS, true, ts);
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_FAILS, true, ts);
		good_conn &= sorted_by(v, TL_DCOL_FAILS, 1) && tl_dest_view_get(v, 0)->refused == 1;
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_P99, true, ts);
	}
	ok(good_desc, "filtered view sorted by p99 descending after each batch");
	ok(good_idle, "filtered view still sorted by p99 descending after an idle update");
	ok(good_asc, "filtered view sorted by p99 ascending, idle update too");
	ok(good_conn, "filtered view sorted by failures descending, idle update too");
	/* the same with no filter, and in a window */
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, ts);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, ts);
	ok(sorted_by(v, TL_DCOL_P99, 1) && tl_dest_view_get(v, 0)->p99_ns == 5 * NS,
	   "unfiltered view sorted by p99 descending after an idle update");
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, f, TL_DCOL_P99, true, ts);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_10S, f, TL_DCOL_P99, true, ts);
	ok(sorted_by(v, TL_DCOL_P99, 1) && tl_dest_view_len(v) == 18,
	   "filtered 10 s view sorted by p99 descending after an idle update");
	tl_filter_free(f);
	tl_dest_view_free(v);
	tl_model_free(m);
}

/*
 * Address and port rows are built from destination rows, plus the
 * overflow tables for destinations past max_dests: check them against
 * counts made here, with most destinations folded into "other".
 */
static void test_derived_groups(void)
{
	struct tl_model_config cfg = { .history = 100000, .max_dests = 5 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new();
	uint64_t per_addr[4] = { 0 }, per_port[5] = { 0 }, max_addr[4] = { 0 };
	struct tl_record r;
	char addr[32];
	uint64_t ts = 400 * NS;
	int a, p, k, win, good;
	size_t j;

	/* 4 addresses x 5 ports = 20 destinations, 15 of them past max_dests */
	for (k = 0; k < 500; k++) {
		uint64_t lat = 1000 + rng_next() % 1000000;

		a = (int)(rng_next() % 4);
		p = (int)(rng_next() % 5);
		snprintf(addr, sizeof(addr), "192.0.2.%d", a + 1);
		r = mk_connect(ts += 1000000, 1, "x", addr, (uint16_t)(1000 + p), TL_REC_OK, lat);
		tl_model_add(m, &r);
		per_addr[a]++;
		per_port[p]++;
		if (lat > max_addr[a])
			max_addr[a] = lat;
	}
	for (win = 0; win < 2; win++) {
		enum tl_window w = win ? TL_WIN_60S : TL_WIN_ALL;

		tl_dest_view_update(v, m, TL_GROUP_ADDR, w, NULL, TL_DCOL_KEY, false, ts);
		good = tl_dest_view_len(v) == 4;
		for (j = 0; good && j < 4; j++) {
			const struct tl_dest_row *d = tl_dest_view_get(v, j);

			good = !d->is_other && d->addr[3] == j + 1 && d->connects == per_addr[j] &&
			       d->ok == per_addr[j] && d->max_ns == max_addr[j] && d->port == 0;
		}
		ok(good, "%s: by address, exact past max_dests (4 rows, counts, max)",
		   win ? "60 s" : "all");
		tl_dest_view_update(v, m, TL_GROUP_PORT, w, NULL, TL_DCOL_KEY, false, ts);
		good = tl_dest_view_len(v) == 5;
		for (j = 0; good && j < 5; j++) {
			const struct tl_dest_row *d = tl_dest_view_get(v, j);

			good = !d->is_other && d->port == 1000 + j && d->connects == per_port[j] &&
			       d->family == 0;
		}
		ok(good, "%s: by port, exact past max_dests (5 rows and counts)", win ? "60 s" : "all");
		/* more addresses than max_dests: the derived rows fold too, nothing lost */
	}
	for (k = 0; k < 10; k++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", k + 1);
		r = mk_connect(ts += 1000, 1, "x", addr, 1000, TL_REC_REFUSED, 0);
		tl_model_add(m, &r);
	}
	tl_dest_view_update(v, m, TL_GROUP_ADDR, TL_WIN_ALL, NULL, TL_DCOL_CONNECTS, true, ts);
	{
		uint64_t sum = 0;

		for (j = 0; j < tl_dest_view_len(v); j++)
			sum += tl_dest_view_get(v, j)->connects;
		ok(tl_dest_view_len(v) == 6 && tl_dest_view_get(v, 5)->is_other && sum == 510,
		   "by address past max_dests: 5 rows and other, every connect counted");
	}
	is_int(tl_dest_view_quantile(v, 0, 1.0), tl_dest_view_get(v, 0)->max_ns,
	       "quantile(1) of a merged row is its max");
	tl_dest_view_free(v);
	tl_model_free(m);
}

/*
 * The touch log keeps one entry for a run of connects to one row: connects
 * that extend the run after a view has read it must still reach the view.
 */
static void test_run_after_read(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	struct tl_record r = mk_connect(NS * 100, 10, "c", "10.0.0.1", 80, TL_REC_OK, MS);
	int i;

	tl_model_add(m, &r);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, NS * 100);
	is_int(tl_dest_view_get(v, 0)->connects, 1, "one destination, one connect");
	for (i = 0; i < 4; i++)
		tl_model_add(m, &r);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, NS * 100);
	is_int(tl_dest_view_get(v, 0)->connects, 5, "four more to the same row after the view read it");
	tl_dest_view_free(v);
	tl_model_free(m);
}

/* A held view (paused) reads nothing from the model; re-sorting is allowed. */
static void test_hold(void)
{
	static const double qs[3] = { 0.5, 0.99, 1.0 };
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	const struct tl_dest_row *d;
	struct tl_dest_row before[2];
	struct tl_record r;
	uint64_t q99[2];
	int i, k;

	/* port 1000: 10 connects at 1..10 ms; port 2000: 3 at 50 ms */
	for (i = 1; i <= 10; i++) {
		r = mk_connect(NS * 100, 10, "c", "10.0.0.1", 1000, TL_REC_OK, (uint64_t)i * MS);
		tl_model_add(m, &r);
	}
	for (i = 0; i < 3; i++) {
		r = mk_connect(NS * 100, 10, "c", "10.0.0.1", 2000, TL_REC_OK, 50 * MS);
		tl_model_add(m, &r);
	}
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, NS * 100);
	is_int(tl_dest_view_len(v), 2, "two destinations");
	for (k = 0; k < 2; k++) {
		before[k] = *tl_dest_view_get(v, (size_t)k);
		q99[k] = tl_dest_view_quantile(v, (size_t)k, 0.99);
	}
	ok(before[0].port == 2000, "by p99 descending: the 50 ms port first");
	is_int(tl_dest_view_hold(v, qs, 3), 0, "hold");
	ok(tl_dest_view_held(v), "held");
	/* more connects to both, and a third destination, all much slower */
	for (i = 0; i < 100; i++) {
		r = mk_connect(NS * 101, 10, "c", "10.0.0.1", (uint16_t)(1000 * (1 + i % 3)), TL_REC_OK,
			       900 * MS);
		tl_model_add(m, &r);
	}
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, NS * 101);
	is_int(tl_dest_view_len(v), 2, "held: still two rows, the new destination not shown");
	for (k = 0; k < 2; k++) {
		d = tl_dest_view_get(v, (size_t)k);
		ok(d->port == before[k].port && d->connects == before[k].connects &&
		   d->p99_ns == before[k].p99_ns && !memcmp(d->hist, before[k].hist, sizeof(d->hist)),
		   "held row %d: the same port, connects, p99 and histogram", k);
		is_int(tl_dest_view_quantile(v, (size_t)k, 0.99), q99[k],
		       "held row %d: the detail's p99 is the held one", k);
	}
	is_int(tl_dest_view_quantile(v, 0, 0.25), 0, "a quantile not held: 0, never a live value");
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, false, NS * 101);
	ok(tl_dest_view_get(v, 0)->port == 1000 && tl_dest_view_get(v, 0)->connects == 10,
	   "held, sorted ascending: the 1000 row first, still 10 connects");
	is_int(tl_dest_view_quantile(v, 0, 0.99), q99[1], "re-sorted: quantiles follow their rows");
	tl_dest_view_release(v);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_P99, true, NS * 101);
	is_int(tl_dest_view_len(v), 3, "released: the third destination");
	is_int(find_port(v, 1000)->connects, 10 + 34, "released: port 1000 caught up (10 + 34)");
	is_int(find_port(v, 2000)->connects, 3 + 33, "released: port 2000 caught up (3 + 33)");
	tl_dest_view_free(v);
	tl_model_free(m);
}

static const char *unit_path(void *ctx, uint64_t id)
{
	int *calls = ctx;

	(*calls)++;
	switch (id) {
	case 100: return "/system.slice/a.service";
	case 101: return "/system.slice/b.service";
	case 102: return "/other.slice/a.service";	/* same unit name, another cgroup */
	default: return NULL;				/* 103: not resolvable */
	}
}

static const struct tl_dest_row *find_cgroup(const struct tl_dest_view *v, uint64_t id, bool known)
{
	size_t i;

	for (i = 0; i < tl_dest_view_len(v); i++) {
		const struct tl_dest_row *d = tl_dest_view_get(v, i);

		if (d->owner_known == known && d->cgroup_id == id && !d->is_other)
			return d;
	}
	return NULL;
}

/* Rows by cgroup id, shown as units: unknown is one row, shared names are marked. */
static void test_unit_group(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	static const uint64_t ids[] = { 100, 101, 102, 103, 0 };
	static const int counts[] = { 3, 2, 4, 1, 2 };
	const struct tl_dest_row *d;
	struct tl_filter *f;
	struct tl_record r;
	uint64_t ts = NS * 100;
	int calls = 0, k, i;
	char err[200];

	for (k = 0; k < 5; k++)
		for (i = 0; i < counts[k]; i++) {
			r = mk_connect(ts++, 7, "w", "10.0.0.1", 80, i ? TL_REC_OK : TL_REC_REFUSED, MS);
			r.cgroup_id = ids[k];
			tl_model_add(m, &r);
		}
	/* an unknown owner with a cgroup id: its cgroup is not trusted either */
	r = mk_connect(ts++, 0, NULL, "10.0.0.1", 80, TL_REC_OK, MS);
	r.cgroup_id = 100;
	tl_model_add(m, &r);

	tl_dest_view_set_cgroup_path(v, unit_path, &calls);
	tl_dest_view_update(v, m, TL_GROUP_UNIT, TL_WIN_ALL, NULL, TL_DCOL_KEY, false, ts);
	is_int(tl_dest_view_len(v), 5, "by unit: four cgroups and one unknown row");
	d = find_cgroup(v, 100, true);
	ok(d && d->connects == 3 && d->refused == 1 && d->ok == 2 &&
	   d->cgroup_path && !strcmp(d->cgroup_path, "/system.slice/a.service"),
	   "by unit: a cgroup's connects and its path");
	ok(d && d->unit_shared, "by unit: a.service in two cgroups is marked shared");
	d = find_cgroup(v, 102, true);
	ok(d && d->connects == 4 && d->unit_shared, "by unit: the other a.service stays apart");
	d = find_cgroup(v, 101, true);
	ok(d && d->connects == 2 && !d->unit_shared, "by unit: b.service is not shared");
	d = find_cgroup(v, 103, true);
	ok(d && d->connects == 1 && !d->cgroup_path && !d->unit_shared,
	   "by unit: an unresolvable cgroup has no path, and its own row");
	d = find_cgroup(v, 0, false);
	ok(d && d->connects == 3 && !d->cgroup_path,
	   "by unit: cgroup 0 and an unknown owner share the unknown row");
	ok(!tl_dest_view_get(v, tl_dest_view_len(v) - 1)->owner_known,
	   "by unit: the unknown row sorts last");
	ok(calls > 0, "by unit: the resolver was asked");

	f = tl_filter_parse("unit=a.service", err, sizeof(err));
	tl_filter_set_cgroup_path(f, unit_path, &calls);
	tl_dest_view_update(v, m, TL_GROUP_UNIT, TL_WIN_ALL, f, TL_DCOL_KEY, false, ts);
	is_int(tl_dest_view_len(v), 2, "by unit, unit=a.service: both a.service cgroups, nothing else");
	d = find_cgroup(v, 102, true);
	ok(d && d->connects == 4, "by unit, filtered: the counts are whole");
	tl_filter_free(f);
	f = tl_filter_parse("cgroup=/system.slice", err, sizeof(err));
	tl_filter_set_cgroup_path(f, unit_path, &calls);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, f, TL_DCOL_KEY, false, ts);
	is_int(tl_dest_view_len(v), 1, "by destination, cgroup=/system.slice: one row");
	ok(tl_dest_view_len(v) == 1 && tl_dest_view_get(v, 0)->connects == 5,
	   "cgroup=/system.slice keeps a.service and b.service there, not other.slice");
	tl_filter_free(f);

	tl_dest_view_free(v);
	tl_model_free(m);
}

/*
 * A window trailing the newest second (the wall clock stepped back): the
 * row's newest ok connect came a minute late, so no second of the ring
 * holds it, yet its latency is shown while it is in the window; a view
 * updated again and again must drop it when it leaves, as a new view does.
 */
static void test_window_late_newest(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new(), *fresh = tl_dest_view_new();
	const uint64_t t = 1700000000;
	struct tl_record r;
	uint64_t now;

	r = mk_connect((t + 100) * NS, 1, "w", "10.0.0.1", 80, TL_REC_TIMEOUT, NS);
	tl_model_add(m, &r);
	r = mk_connect((t + 39) * NS, 1, "w", "10.0.0.1", 80, TL_REC_OK, 7 * MS);
	tl_model_add(m, &r);
	r = mk_connect((t + 50) * NS, 1, "w", "10.0.0.1", 80, TL_REC_TIMEOUT, NS);
	tl_model_add(m, &r);
	/* another row touched last: the touch logs do not mark the first one again */
	r = mk_connect((t + 50) * NS, 1, "w", "10.0.0.2", 80, TL_REC_TIMEOUT, NS);
	tl_model_add(m, &r);
	for (now = t + 95; now <= t + 99; now++)
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_60S, NULL, TL_DCOL_KEY, false, now * NS);
	tl_dest_view_update(fresh, m, TL_GROUP_DEST, TL_WIN_60S, NULL, TL_DCOL_KEY, false,
			    (t + 99) * NS);
	ok(tl_dest_view_len(v) == 2 && tl_dest_view_len(fresh) == 2 &&
	   tl_dest_view_get(fresh, 0)->last_ns == 0 && tl_dest_view_get(v, 0)->last_ns == 0,
	   "60 s, trailing: the late newest ok connect's latency leaves with its second");
	tl_dest_view_free(fresh);
	tl_dest_view_free(v);
	tl_model_free(m);
}

int main(void)
{
	test_window_late_newest();
	test_unit_group();
	test_windows();
	test_groups_and_other();
	test_sorts_and_filter();
	test_filtered_sort();
	test_derived_groups();
	test_run_after_read();
	test_hold();
	return tap_done();
}
