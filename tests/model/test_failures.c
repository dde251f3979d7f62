// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Failures in the latency panel: counts by result and errno, time to
 * failure, the FAIL% order; and --max-dests rows that go idle folding into
 * "other" so that new destinations get rows, with every count kept.
 */
#include <errno.h>
#include <stdlib.h>

#include "../unit/tap.h"
#include "model/model.h"
#include "model/model_int.h"	/* tl_model_flush: a fold without a view update */
#include "mrec.h"

#define NS 1000000000ULL
#define MS 1000000ULL

static const uint64_t T0 = 1700000000;	/* a second of wall clock */

static void add(struct tl_model *m, uint64_t ts, const char *addr, uint16_t port, uint8_t res,
		int err, uint64_t span)
{
	struct tl_record r = mk_connect(ts, 7, "f", addr, port, res, span);

	r.err = err;
	tl_model_add(m, &r);
}

static const struct tl_dest_row *row_of(const struct tl_dest_view *v, uint16_t port, size_t *at)
{
	size_t i;

	for (i = 0; i < tl_dest_view_len(v); i++) {
		const struct tl_dest_row *d = tl_dest_view_get(v, i);

		if (!d->is_other && d->port == port) {
			if (at)
				*at = i;
			return d;
		}
	}
	return NULL;
}

static const struct tl_dest_row *other_of(const struct tl_dest_view *v, size_t *at)
{
	size_t n = tl_dest_view_len(v);
	const struct tl_dest_row *d = n ? tl_dest_view_get(v, n - 1) : NULL;

	if (at)
		*at = n ? n - 1 : 0;
	return d && d->is_other ? d : NULL;
}

static bool within(uint64_t got, uint64_t want)
{
	double e = (double)got - (double)want;

	return (e < 0 ? -e : e) <= 0.0095 * (double)want + 1;
}

/* One destination with every kind of failure, since start and over 60 s. */
static void test_breakdown(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	const struct tl_dest_row *d;
	struct tl_dest_fail f;
	uint64_t ts = T0 * NS;
	size_t at = 0;
	int i, w;

	for (i = 0; i < 3; i++)
		add(m, ts += MS, "10.1.0.1", 80, TL_REC_OK, 0, 1 * MS);
	for (i = 0; i < 2; i++)
		add(m, ts += MS, "10.1.0.1", 80, TL_REC_REFUSED, ECONNREFUSED, MS / 10);
	for (i = 0; i < 4; i++)
		add(m, ts += MS, "10.1.0.1", 80, TL_REC_TIMEOUT, ETIMEDOUT, (uint64_t)(i + 1) * NS);
	add(m, ts += MS, "10.1.0.1", 80, TL_REC_ABORTED, 0, 5 * MS);
	for (i = 0; i < 12; i++)
		add(m, ts += MS, "10.1.0.1", 80, TL_REC_ERROR, EHOSTUNREACH, 3 * MS);
	for (i = 0; i < 3; i++)
		add(m, ts += MS, "10.1.0.1", 80, TL_REC_ERROR, ENETUNREACH, 2 * MS);

	for (w = 0; w < 2; w++) {
		const char *wn = w ? "60 s" : "all";

		tl_dest_view_update(v, m, TL_GROUP_DEST, w ? TL_WIN_60S : TL_WIN_ALL, NULL,
				    TL_DCOL_FAILPCT, true, ts);
		d = row_of(v, 80, &at);
		ok(d && d->connects == 25 && d->ok == 3 && d->refused == 2 && d->timeouts == 4 &&
		   d->aborted == 1 && d->errors == 15, "%s: counts by result (25: 3 ok, 2 refused, "
		   "4 timed out, 1 aborted, 15 errors)", wn);
		is_int(tl_dest_view_failures(v, at, &f), 0, "%s: failures of the row", wn);
		ok(f.failed == 22 && f.refused == 2 && f.timeouts == 4 && f.aborted == 1 &&
		   f.errors == 15, "%s: failure counts", wn);
		ok(f.nerr == 2 && f.err_no[0] == EHOSTUNREACH && f.err_n[0] == 12 &&
		   f.err_no[1] == ENETUNREACH && f.err_n[1] == 3 && f.err_other == 0,
		   "%s: errors by errno, most first (EHOSTUNREACH 12, ENETUNREACH 3)", wn);
		ok(within(f.ttf_min_ns, MS / 10) && within(f.ttf_max_ns, 4 * NS),
		   "%s: time to failure from 100 us (refused) to 4 s (timed out): %llu..%llu", wn,
		   (unsigned long long)f.ttf_min_ns, (unsigned long long)f.ttf_max_ns);
		ok(d->ttf_p99_ns == 0 && within(d->p99_ns, MS),
		   "%s: a row with ok connects shows their latency, not the time to failure", wn);
	}
	tl_dest_view_free(v);
	tl_model_free(m);
}

/* Past TL_AGG_NERR errnos the rest are counted, never lost. */
static void test_many_errnos(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	struct tl_dest_fail f;
	uint64_t ts = T0 * NS, sum;
	uint32_t k;
	int e, w;

	/* errno 1..11, errno e e times */
	for (e = 1; e <= 11; e++)
		for (k = 0; k < (uint32_t)e; k++)
			add(m, ts += MS, "10.1.0.2", 81, TL_REC_ERROR, e, MS);
	for (w = 0; w < 2; w++) {
		tl_dest_view_update(v, m, TL_GROUP_DEST, w ? TL_WIN_60S : TL_WIN_ALL, NULL,
				    TL_DCOL_FAILPCT, true, ts);
		is_int(tl_dest_view_failures(v, 0, &f), 0, "errnos: the row");
		sum = f.err_other;
		for (k = 0; k < f.nerr; k++)
			sum += f.err_n[k];
		ok(f.errors == 66 && sum == 66 && f.nerr == TL_DEST_NERR,
		   "%s: 11 errnos, %u listed, the rest counted as others: %llu of 66",
		   w ? "60 s" : "all", f.nerr, (unsigned long long)sum);
	}
	/* over a window every errno is kept: the list is the 8 most frequent */
	ok(f.err_no[0] == 11 && f.err_n[0] == 11 && f.err_no[7] == 4 && f.err_other == 1 + 2 + 3,
	   "60 s: the most frequent errnos first");
	tl_dest_view_free(v);
	tl_model_free(m);
}

/*
 * The order a new user needs: a destination whose connects all time out
 * first, then one that fails sometimes, then the slow, then the fast.
 */
static void test_fail_order(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	const struct tl_dest_row *d;
	uint64_t ts = T0 * NS;
	size_t at;
	int i, w, bad;

	for (i = 0; i < 20; i++) {
		add(m, ts += MS, "10.2.0.1", 1001, TL_REC_OK, 0, 2 * MS);		/* fast */
		add(m, ts += MS, "10.2.0.2", 1002, TL_REC_OK, 0, 400 * MS);	/* slow */
		add(m, ts += MS, "10.2.0.3", 1003, i % 4 ? TL_REC_OK : TL_REC_REFUSED,
		    i % 4 ? 0 : ECONNREFUSED, 1 * MS);				/* 25% refused */
	}
	for (i = 0; i < 3; i++)
		add(m, ts += MS, "10.2.0.4", 1004, TL_REC_TIMEOUT, ETIMEDOUT, (uint64_t)(i + 1) * NS);

	for (w = 0; w < 2; w++) {
		const char *wn = w ? "60 s" : "all";
		static const uint16_t want[] = { 1004, 1003, 1002, 1001 };

		tl_dest_view_update(v, m, TL_GROUP_DEST, w ? TL_WIN_60S : TL_WIN_ALL, NULL,
				    TL_DCOL_FAILPCT, true, ts);
		bad = tl_dest_view_len(v) != 4;
		for (i = 0; !bad && i < 4; i++)
			bad = tl_dest_view_get(v, (size_t)i)->port != want[i];
		ok(!bad, "%s: FAIL%% order: all timed out, 25%% refused, slow, fast", wn);
		d = row_of(v, 1004, &at);
		ok(d && d->ok == 0 && d->timeouts == 3 && within(d->ttf_p50_ns, 2 * NS) &&
		   within(d->ttf_max_ns, 3 * NS) && d->ttf_last_ns == 3 * NS && d->p99_ns == 0,
		   "%s: all timed out: time to failure p50 2 s, max 3 s, last 3 s", wn);
		if (!w)
			is_int(d->ttf_max_ns, 3 * NS, "all: the time to failure's max is exact");
		/* an explicit sort column sorts by what it shows */
		tl_dest_view_update(v, m, TL_GROUP_DEST, w ? TL_WIN_60S : TL_WIN_ALL, NULL,
				    TL_DCOL_P99, true, ts);
		ok(tl_dest_view_get(v, 0)->port == 1004 && tl_dest_view_get(v, 1)->port == 1002,
		   "%s: by p99: 3 s to failure above 400 ms latency", wn);
		tl_dest_view_update(v, m, TL_GROUP_DEST, w ? TL_WIN_60S : TL_WIN_ALL, NULL,
				    TL_DCOL_FAILPCT, false, ts);
		ok(tl_dest_view_get(v, 0)->port == 1001 && tl_dest_view_get(v, 3)->port == 1004,
		   "%s: FAIL%% ascending is the reverse", wn);
	}
	tl_dest_view_free(v);
	tl_model_free(m);
}

static uint64_t sum_connects(const struct tl_dest_view *v)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < tl_dest_view_len(v); i++)
		s += tl_dest_view_get(v, i)->connects;
	return s;
}

/*
 * max_dests 3: destinations that go idle (10 s without a connect) give
 * their rows to new ones; their counts move to (other); active ones stay.
 */
static void test_aging(void)
{
	struct tl_model_config cfg = { .history = 10000, .max_dests = 3 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new(), *va = tl_dest_view_new();
	const struct tl_dest_row *d, *o;
	struct tl_dest_fail f;
	uint64_t t = T0 * NS;
	size_t at;
	int i, w;

	/* t: 1 and 2 on one address, 3 on another; 2 also times out twice */
	for (i = 0; i < 4; i++)
		add(m, t + (uint64_t)i * MS, "10.3.0.1", 2001, TL_REC_OK, 0, MS);
	for (i = 0; i < 5; i++)
		add(m, t + (uint64_t)i * MS, "10.3.0.1", 2002, TL_REC_OK, 0, 2 * MS);
	for (i = 0; i < 2; i++)
		add(m, t + (uint64_t)(10 + i) * MS, "10.3.0.1", 2002, TL_REC_TIMEOUT, ETIMEDOUT, NS);
	for (i = 0; i < 6; i++)
		add(m, t + (uint64_t)i * MS, "10.3.0.2", 2003, TL_REC_OK, 0, 3 * MS);
	/* t+5: 1 is active again */
	add(m, t + 5 * NS, "10.3.0.1", 2001, TL_REC_OK, 0, MS);
	/* t+12: a new destination; 2 and 3 are idle, 2 the least recently active */
	add(m, t + 12 * NS, "10.3.0.3", 2004, TL_REC_OK, 0, 4 * MS);

	for (w = 0; w < 2; w++) {
		const char *wn = w ? "60 s" : "all";

		tl_dest_view_update(v, m, TL_GROUP_DEST, w ? TL_WIN_60S : TL_WIN_ALL, NULL,
				    TL_DCOL_KEY, false, t + 12 * NS);
		d = row_of(v, 2004, NULL);
		o = other_of(v, &at);
		ok(d && d->connects == 1, "%s: the new destination has its own row", wn);
		ok(!row_of(v, 2002, NULL) && row_of(v, 2001, NULL) && row_of(v, 2003, NULL),
		   "%s: the least recently active idle row went; the active one stayed", wn);
		ok(o && o->connects == 7 && o->ok == 5 && o->timeouts == 2,
		   "%s: (other) holds its 7 connects (5 ok, 2 timed out)", wn);
		is_int(sum_connects(v), 4 + 1 + 7 + 6 + 1, "%s: no connect lost from the rows", wn);
		ok(!tl_dest_view_failures(v, at, &f) && f.timeouts == 2 && within(f.ttf_max_ns, NS),
		   "%s: (other) has its failures too", wn);
	}
	/* by address: exact, the folded destination counted on its address */
	tl_dest_view_update(va, m, TL_GROUP_ADDR, TL_WIN_ALL, NULL, TL_DCOL_KEY, false, t + 12 * NS);
	ok(tl_dest_view_len(va) == 3 && tl_dest_view_get(va, 0)->connects == 5 + 7 &&
	   tl_dest_view_get(va, 1)->connects == 6 && tl_dest_view_get(va, 2)->connects == 1,
	   "by address: exact after a fold (12, 6, 1)");

	/* t+13: another new one takes the row of 3 (idle 13 s) */
	add(m, t + 13 * NS, "10.3.0.4", 2005, TL_REC_OK, 0, MS);
	/* t+13.5: one more, but 1 (t+5) was active 8.5 s ago and 4, 5 just now */
	add(m, t + 13 * NS + NS / 2, "10.3.0.5", 2006, TL_REC_REFUSED, ECONNREFUSED, MS);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_KEY, false,
			    t + 14 * NS);
	o = other_of(v, NULL);
	ok(row_of(v, 2005, NULL) && !row_of(v, 2003, NULL) && row_of(v, 2001, NULL) &&
	   !row_of(v, 2006, NULL) && o && o->connects == 7 + 6 + 1 && o->refused == 1,
	   "no idle row: the new destination counts in (other), no active row is folded");
	/* t+16: 1 has been idle 11 s: its row goes to the next new destination */
	add(m, t + 16 * NS, "10.3.0.6", 2007, TL_REC_OK, 0, MS);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_KEY, false,
			    t + 16 * NS);
	o = other_of(v, NULL);
	ok(row_of(v, 2007, NULL) && !row_of(v, 2001, NULL) && row_of(v, 2004, NULL) &&
	   row_of(v, 2005, NULL) && o && o->connects == 14 + 5 && tl_dest_view_len(v) == 4,
	   "after 10 s idle the next one goes: rows 2004, 2005, 2007 and (other)");
	is_int(sum_connects(v), tl_model_totals(m)->connects, "every connect in the rows");
	tl_dest_view_update(va, m, TL_GROUP_ADDR, TL_WIN_60S, NULL, TL_DCOL_KEY, false, t + 16 * NS);
	/* the table's destinations are on 10.3.0.3, .4 and .6: their addresses get the rows */
	ok(tl_dest_view_len(va) == 4 && tl_dest_view_get(va, 0)->addr[3] == 3 &&
	   tl_dest_view_get(va, 1)->addr[3] == 4 && tl_dest_view_get(va, 2)->addr[3] == 6 &&
	   tl_dest_view_get(va, 3)->is_other && tl_dest_view_get(va, 3)->connects == 12 + 6 + 1 &&
	   sum_connects(va) == tl_model_totals(m)->connects,
	   "60 s by address, max 3: the table's addresses, the rest in (other): exact");
	tl_dest_view_free(v);
	tl_dest_view_free(va);
	tl_model_free(m);
}

/* Many destinations through a small table: totals stay exact at every step. */
static void test_churn(void)
{
	struct tl_model_config cfg = { .history = 100000, .max_dests = 50 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new();
	uint64_t t = T0 * NS;
	char addr[32];
	int s, k, bad = 0, rows = 0;

	/* each second 20 new destinations; one long-lived destination every second */
	for (s = 0; s < 60; s++) {
		add(m, t + (uint64_t)s * NS, "10.9.9.9", 9, TL_REC_OK, 0, MS);
		for (k = 0; k < 20; k++) {
			snprintf(addr, sizeof(addr), "10.8.%d.%d", s, k);
			add(m, t + (uint64_t)s * NS + (uint64_t)(k + 1) * MS, addr, 80,
			    k % 3 ? TL_REC_OK : TL_REC_TIMEOUT, 0, MS);
		}
		tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_FAILPCT, true,
				    t + (uint64_t)s * NS + NS / 2);
		if (sum_connects(v) != tl_model_totals(m)->connects)
			bad++;
		if (!row_of(v, 9, NULL))
			bad++;
		rows = (int)tl_dest_view_len(v);
	}
	ok(!bad, "60 s of 20 new destinations a second: totals exact, the busy one kept");
	is_int(rows, 51, "the table stays at max_dests rows and (other)");
	ok(row_of(v, 80, NULL) != NULL, "new destinations still get rows");
	tl_dest_view_free(v);
	tl_model_free(m);
}

/*
 * A destination seen by the view, then failing with nothing else in
 * between: the view must still learn of it (the touch log merged a run of
 * one row's connects into the entry the view had already read).
 */
static void test_touch_after_read(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_dest_view *v = tl_dest_view_new();
	uint64_t ts = T0 * NS;
	const struct tl_dest_row *d;
	int i;

	add(m, ts, "10.4.0.1", 443, TL_REC_OK, 0, MS);
	add(m, ts += MS, "10.4.0.2", 443, TL_REC_OK, 0, MS);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_FAILPCT, true, ts);
	for (i = 0; i < 19; i++)
		add(m, ts += MS, "10.4.0.2", 443, TL_REC_ERROR, EHOSTUNREACH, NS);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_FAILPCT, true, ts);
	d = tl_dest_view_get(v, 0);
	ok(d && d->addr[3] == 2 && d->connects == 20 && d->errors == 19,
	   "failures right after the view read the row are seen at the next update");
	tl_dest_view_free(v);
	tl_model_free(m);
}

/* A fold under a view that is not updated (paused): nothing wrong is read from it. */
static void test_stale(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 1 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new();
	struct tl_dest_fail f;
	uint64_t t = T0 * NS;

	add(m, t, "10.5.0.1", 1, TL_REC_TIMEOUT, ETIMEDOUT, NS);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_FAILPCT, true, t);
	ok(!tl_dest_view_stale(v) && !tl_dest_view_failures(v, 0, &f) && f.timeouts == 1,
	   "stale: fresh after an update");
	add(m, t + 11 * NS, "10.5.0.2", 2, TL_REC_OK, 0, 5 * MS);
	tl_model_flush(m);
	ok(tl_dest_view_stale(v) && tl_dest_view_failures(v, 0, &f) == -ESTALE &&
	   tl_dest_view_quantile(v, 0, 0.5) == 0 && tl_dest_view_get(v, 0)->port == 1 &&
	   tl_dest_view_get(v, 0)->timeouts == 1,
	   "stale: after a fold the rows read as they were; failures and quantiles refuse");
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_FAILPCT, true, t + 11 * NS);
	ok(!tl_dest_view_stale(v) && tl_dest_view_len(v) == 2 &&
	   tl_dest_view_get(v, 0)->port == 2 && tl_dest_view_get(v, 1)->is_other &&
	   tl_dest_view_get(v, 1)->timeouts == 1, "stale: an update renews it: the new row, (other)");
	tl_dest_view_free(v);
	tl_model_free(m);
}

/* A held (paused) view answers what it read at hold: new failures and a fold change nothing. */
static void test_held_stale(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 1 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_dest_view *v = tl_dest_view_new();
	const double q[] = { 0.5 };
	struct tl_dest_fail f;
	uint64_t t = T0 * NS, p50;

	add(m, t, "10.6.0.1", 1, TL_REC_OK, 0, 3 * MS);
	add(m, t + 1, "10.6.0.1", 1, TL_REC_ERROR, EHOSTUNREACH, 2 * MS);
	tl_dest_view_update(v, m, TL_GROUP_DEST, TL_WIN_ALL, NULL, TL_DCOL_FAILPCT, true, t + 1);
	p50 = tl_dest_view_quantile(v, 0, 0.5);
	is_int(tl_dest_view_hold(v, q, 1), 0, "held: hold");
	/* while held: another errno on the row, then a fold of it into (other) */
	add(m, t + 2, "10.6.0.1", 1, TL_REC_ERROR, ENETUNREACH, 2 * MS);
	tl_model_flush(m);
	ok(!tl_dest_view_failures(v, 0, &f) && f.errors == 1 && f.nerr == 1 &&
	   f.err_no[0] == EHOSTUNREACH && f.err_n[0] == 1,
	   "held: the failures as at hold, not the errno that came after");
	add(m, t + 12 * NS, "10.6.0.2", 2, TL_REC_OK, 0, 5 * MS);
	tl_model_flush(m);
	ok(tl_dest_view_stale(v) && p50 == 3 * MS && tl_dest_view_quantile(v, 0, 0.5) == p50,
	   "held, after a fold: the held quantile, not 0");
	ok(!tl_dest_view_failures(v, 0, &f) && f.errors == 1 && f.err_no[0] == EHOSTUNREACH,
	   "held, after a fold: the failures as at hold, not -ESTALE");
	tl_dest_view_release(v);
	ok(tl_dest_view_failures(v, 0, &f) == -ESTALE, "released: stale until the next update");
	tl_dest_view_free(v);
	tl_model_free(m);
}

int main(void)
{
	test_stale();
	test_held_stale();
	test_touch_after_read();
	test_breakdown();
	test_many_errnos();
	test_fail_order();
	test_aging();
	test_churn();
	return tap_done();
}
