// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The session table: every column in both directions against a reference
 * order computed here from the fields, with ties newest first; filters;
 * incremental updates equal to a rebuild; frozen views.
 */
#include <stdlib.h>

#include "../unit/tap.h"
#include "model/model.h"
#include "mrec.h"

static const char *const col_name[] = { "time", "pid", "comm", "dir", "local", "remote", "tx",
					"rx", "duration", "retrans", "rtt" };

static int cmp3(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_ep(const struct tl_record *a, const struct tl_record *b, int remote)
{
	int c = cmp3(a->family, b->family);

	if (!c)
		c = memcmp(remote ? a->raddr : a->laddr, remote ? b->raddr : b->laddr, 16);
	if (!c)
		c = cmp3(remote ? a->rport : a->lport, remote ? b->rport : b->lport);
	return c;
}

/* The specified order: column value, direction, unknown owners last, then newest first. */
static int ref_before(const struct tl_record *a, const struct tl_record *b, enum tl_scol col,
		      int desc)
{
	int c = 0;

	switch (col) {
	case TL_SCOL_TIME:
		c = cmp3(a->ts_ns, b->ts_ns);
		break;
	case TL_SCOL_PID:
	case TL_SCOL_COMM:
		if (a->owner_known != b->owner_known)
			return a->owner_known;
		if (!a->owner_known)
			break;
		c = col == TL_SCOL_PID ? cmp3(a->pid, b->pid) : strcmp(a->comm, b->comm);
		break;
	case TL_SCOL_DIR:
		c = cmp3(a->dir, b->dir);
		break;
	case TL_SCOL_LOCAL:
		c = cmp_ep(a, b, 0);
		break;
	case TL_SCOL_REMOTE:
		c = cmp_ep(a, b, 1);
		break;
	case TL_SCOL_TX:
		c = cmp3(a->tx_bytes, b->tx_bytes);
		break;
	case TL_SCOL_RX:
		c = cmp3(a->rx_bytes, b->rx_bytes);
		break;
	case TL_SCOL_DURATION:
		c = cmp3(a->span_ns, b->span_ns);
		break;
	case TL_SCOL_RETRANS:
		c = cmp3(a->retrans, b->retrans);
		break;
	default:
		c = cmp3(a->srtt_us, b->srtt_us);
		break;
	}
	if (desc)
		c = -c;
	if (c)
		return c < 0;
	return a->ts_ns > b->ts_ns;	/* ts is unique and in arrival order here */
}

static struct tl_record random_session(uint64_t ts)
{
	static const char *const comms[] = { "a", "curl", "curlx", "nginx", "z-very-long-nam",
					     "z-very-long-naa" };
	static const char *const a4[] = { "10.0.0.1", "10.0.0.2", "9.255.255.255", "192.168.1.1" };
	static const char *const a6[] = { "::1", "2001:db8::1", "2001:db8::1:0", "fe80::1" };
	int v6 = rng_next() % 3 == 0;
	struct tl_record r = mk_session(ts, (uint32_t)(rng_next() % 6) * 1000 + 1,
					rng_next() % 8 ? comms[rng_next() % 6] : NULL,
					v6 ? a6[rng_next() % 4] : a4[rng_next() % 4],
					(uint16_t)(rng_next() % 3 * 256 + 1),
					v6 ? a6[rng_next() % 4] : a4[rng_next() % 4],
					(uint16_t)(rng_next() % 3 + 65533),
					rng_next() % 2 ? TL_REC_ACTIVE : TL_REC_PASSIVE);

	if (!r.owner_known)
		r.pid = 0;
	r.tx_bytes = rng_next() % 4 * 0x100000000ULL + rng_next() % 3;
	r.rx_bytes = rng_next() % 5 * 1000;
	r.span_ns = rng_next() % 7 * 123456789ULL;
	r.retrans = (uint32_t)(rng_next() % 4) << (rng_next() % 2 * 24);
	r.srtt_us = (uint32_t)(rng_next() % 5 * 100);
	return r;
}

/* The view's order is exactly the retained matching sessions, in reference order. */
static int check_order(const struct tl_session_view *v, const struct tl_model *m,
		       const struct tl_filter *f, enum tl_scol col, int desc)
{
	size_t n = tl_session_view_len(v), want = 0, i;

	for (i = 0; i < tl_model_history_len(m); i++)
		want += tl_filter_match(f, tl_model_history_get(m, i));
	if (n != want) {
		printf("#   %zu rows, want %zu\n", n, want);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct tl_record *r = tl_session_view_get(v, i);

		if (!r || !tl_filter_match(f, r)) {
			printf("#   row %zu missing or not matching\n", i);
			return 0;
		}
		if (i && !ref_before(tl_session_view_get(v, i - 1), r, col, desc)) {
			printf("#   rows %zu and %zu out of order\n", i - 1, i);
			return 0;
		}
	}
	return 1;
}

/* A held copy: what the live ring still had below upto, never changed after. */
static void test_hold(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 10 };
	struct tl_model *m = tl_model_new(&cfg), *h, *e;
	struct tl_session_view *v = tl_session_view_new();
	struct tl_record r;
	uint64_t ts = 1;
	size_t i, bad = 0;

	/* 2500 into 1000 wraps the ring: the copy takes two runs */
	for (i = 0; i < 2500; i++) {
		r = random_session(ts++);
		tl_model_add(m, &r);
	}
	h = tl_model_hold(m, 2490);
	if (!ok(h != NULL, "hold the sessions below 2490"))
		goto out;
	is_int(tl_model_history_len(h), 990, "held: 1500..2489, the ones still retained");
	is_int(tl_model_totals(h)->sessions, 2490, "held: sequence numbers kept");
	for (i = 0; i < 990; i++)
		bad += tl_model_history_get(h, i)->ts_ns != tl_model_history_get(m, i + 10)->ts_ns;
	is_int(bad, 0, "held rows are the live ones, newest first, across the ring's wrap");
	for (i = 0; i < 3000; i++) {
		r = random_session(ts++);
		tl_model_add(m, &r);
	}
	tl_session_view_update(v, h, NULL, TL_SCOL_TIME, true);
	is_int(tl_session_view_len(v), 990, "a view of the held copy: 990 rows");
	ok(tl_session_view_get(v, 0)->ts_ns == 2490 && tl_session_view_get(v, 989)->ts_ns == 1501,
	   "newest 2490 (ts), oldest 1501, though the live ring moved on by 3000");
	tl_session_view_update(v, h, NULL, TL_SCOL_RX, false);
	ok(check_order(v, h, NULL, TL_SCOL_RX, 0) && tl_session_view_len(v) == 990,
	   "sorted over the held copy: whole and in order");
	e = tl_model_hold(m, 100);
	ok(e && tl_model_history_len(e) == 0, "nothing retained below upto: an empty copy");
	tl_model_free(e);
	e = tl_model_hold(m, UINT64_MAX);
	ok(e && tl_model_history_len(e) == 1000 && tl_model_history_get(e, 0)->ts_ns == ts - 1,
	   "upto past the end: everything retained");
	tl_model_free(e);
	tl_model_free(h);
	h = NULL;

	/* a ring past its first allocation (4096 items): the copy is whole too */
	tl_model_free(m);
	cfg.history = 10000;
	m = tl_model_new(&cfg);
	if (!m)
		goto out;
	for (i = 0; i < 25000; i++) {
		r = random_session(i + 1);
		tl_model_add(m, &r);
	}
	h = tl_model_hold(m, 25000);
	ok(h && tl_model_history_len(h) == 10000, "history 10000, 25000 sessions: 10000 held");
	for (bad = 0, i = 0; h && i < 10000; i++)
		bad += tl_model_history_get(h, i)->ts_ns != 25000 - i;
	is_int(bad, 0, "every held row in place (newest 25000 down to 15001)");
	tl_model_free(h);
out:
	tl_session_view_free(v);
	tl_model_free(m);
}

int main(void)
{
	struct tl_model_config cfg = { .history = 300, .max_dests = 10 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_session_view *v = tl_session_view_new(), *w = tl_session_view_new();
	struct tl_filter *f;
	struct tl_record r;
	uint64_t ts = 1000;
	int col, desc, i;
	char err[128];

	for (i = 0; i < 250; i++) {
		r = random_session(ts++);
		tl_model_add(m, &r);
	}
	for (col = 0; col < TL_SCOL_COUNT; col++) {
		for (desc = 0; desc < 2; desc++) {
			tl_session_view_update(v, m, NULL, col, desc);
			ok(check_order(v, m, NULL, col, desc), "sort by %s %s", col_name[col],
			   desc ? "descending" : "ascending");
		}
	}

	/* hand-checked: unknown owners after every known comm, both ways */
	tl_session_view_update(v, m, NULL, TL_SCOL_COMM, true);
	ok(tl_session_view_get(v, 0)->owner_known && !strcmp(tl_session_view_get(v, 0)->comm,
							      "z-very-long-nam"),
	   "comm descending starts with the greatest name");
	ok(!tl_session_view_get(v, tl_session_view_len(v) - 1)->owner_known,
	   "comm descending ends with an unknown owner");
	tl_session_view_update(v, m, NULL, TL_SCOL_TIME, true);
	is_int(tl_session_view_get(v, 0)->ts_ns, ts - 1, "default view: newest first");
	is_int(tl_session_view_len(v), 250, "default view: every retained session");

	/* incremental: every column, with the ring wrapping between updates */
	for (col = 0; col < TL_SCOL_COUNT; col++) {
		for (desc = 0; desc < 2; desc++) {
			int same = 1;
			size_t k;

			tl_session_view_update(v, m, NULL, col, desc);
			for (i = 0; i < 37; i++) {
				r = random_session(ts++);
				tl_model_add(m, &r);
			}
			tl_session_view_update(v, m, NULL, col, desc);
			tl_session_view_update(w, m, NULL, (col + 1) % TL_SCOL_COUNT, desc);
			tl_session_view_update(w, m, NULL, col, desc);	/* a full rebuild */
			same = tl_session_view_len(v) == tl_session_view_len(w);
			for (k = 0; same && k < tl_session_view_len(v); k++)
				same = tl_session_view_get(v, k) == tl_session_view_get(w, k);
			ok(same && check_order(v, m, NULL, col, desc),
			   "incremental %s %s == rebuild", col_name[col], desc ? "desc" : "asc");
		}
	}
	is_int(tl_model_history_len(m), 300, "ring wrapped during the incremental runs");

	/* filtered */
	f = tl_filter_parse("fam=4 !comm=curl", err, sizeof(err));
	for (col = 0; col < TL_SCOL_COUNT; col++) {
		for (desc = 0; desc < 2; desc++) {
			tl_session_view_update(v, m, f, col, desc);
			for (i = 0; i < 11; i++) {
				r = random_session(ts++);
				tl_model_add(m, &r);
			}
			tl_session_view_update(v, m, f, col, desc);
			ok(check_order(v, m, f, col, desc) && tl_session_view_len(v) > 0,
			   "filtered, sorted by %s %s", col_name[col], desc ? "desc" : "asc");
		}
	}
	tl_filter_free(f);
	f = tl_filter_parse("result=ok", err, sizeof(err));
	tl_session_view_update(v, m, f, TL_SCOL_TIME, true);
	is_int(tl_session_view_len(v), 0, "result= keeps no session");
	tl_filter_free(f);

	/* a view not updated (paused) keeps its rows until the ring overwrites them */
	tl_session_view_update(v, m, NULL, TL_SCOL_TIME, true);
	tl_session_view_update(w, m, NULL, TL_SCOL_TX, false);
	{
		const struct tl_record *top = tl_session_view_get(v, 0);
		uint64_t top_ts = top->ts_ns;
		size_t n = tl_session_view_len(v), nw = tl_session_view_len(w), k, alive = 0;

		for (i = 0; i < 100; i++) {
			r = random_session(ts++);
			tl_model_add(m, &r);
		}
		is_int(tl_session_view_len(v), n, "paused: the length is frozen");
		is_int(tl_session_view_get(v, 0)->ts_ns, top_ts, "paused: the top row is unchanged");
		ok(tl_session_view_get(v, n - 1) == NULL, "paused: an overwritten row is NULL");
		ok(tl_session_view_get(v, 199) != NULL && tl_session_view_get(v, 200) == NULL,
		   "paused: exactly the 200 rows still retained remain");
		for (k = 0; k < nw; k++)
			alive += tl_session_view_get(w, k) != NULL;
		is_int(alive, 200, "paused sorted view: 200 rows alive, the rest NULL");
		tl_session_view_update(w, m, NULL, TL_SCOL_TX, false);
		ok(check_order(w, m, NULL, TL_SCOL_TX, 0), "resumed sorted view is whole again");
	}
	ok(tl_session_view_get(v, 100000) == NULL, "get past the end is NULL");

	tl_session_view_free(v);
	tl_session_view_free(w);
	tl_model_free(m);
	test_hold();
	return tap_done();
}
