// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An oracle for the latency panel's incremental updates. A seeded random
 * run feeds a model and, after every step, compares a long-lived view
 * (updated again and again, so it works from touch logs, window-expiry
 * marks and cached rows and order) with a view made afresh and updated
 * once from the same model: both must show the same rows, field by field,
 * in the same order (ties are broken by key, so the order is defined).
 *
 * Steps add connects (destinations from a pool, every result, errnos,
 * latencies over eight decades, owners with cgroups, IPv4 and IPv6, some
 * late), move the clock (past 10 s and 60 s too), change the grouping,
 * window, filter or sort, hold and release the view, and now and then add
 * more connects than a touch log holds, right at its length too.
 *
 * A filtered view since start keeps connects the connect ring has dropped
 * since: past that point it is compared with a fresh view on a reference
 * model fed the same connects. A held view is compared with itself as it
 * was at hold: rows, failures and held quantiles.
 *
 * TL_ORACLE_SEED=N runs with seed N (a failure prints the seed and step).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/tap.h"
#include "model/model_int.h"
#include "mrec.h"

#define NS 1000000000ULL
#define ORACLE_DEFAULT_SEED 20261202ULL

static uint64_t seed;

/* connects the test keeps to rebuild a filtered view's input elsewhere */
#define RLOG_LEN 16384

/* ---- the world the connects come from ---- */

struct odest {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

struct oowner {
	uint8_t known;
	uint32_t pid;
	char comm[TL_REC_COMM_LEN];
	uint64_t cg;
};

/* Cgroup ids the fake resolver knows; 1007 it does not (a cgroup made since its scan). */
static const struct { uint64_t id; const char *path; } cg_paths[] = {
	{ 1001, "/system.slice/a.service" },
	{ 1002, "/system.slice/b.service" },
	{ 1003, "/other.slice/a.service" },	/* the same unit name as 1001 */
	{ 1004, "/user.slice/user-1000.slice/session-3.scope" },
	{ 1005, "/system.slice/docker-0123456789abcdef0123456789.scope" },
	{ 1006, "/" },
};

static const char *fake_cgroup_path(void *ctx, uint64_t id)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(cg_paths) / sizeof(cg_paths[0]); i++)
		if (cg_paths[i].id == id)
			return cg_paths[i].path;
	return NULL;
}

static const char *const filter_texts[] = {
	"port=443", "rport=80", "!result=ok", "result=ok lat>2", "lat<0.5", "lat>100",
	"fam=6", "addr=10.1.0.0/16", "addr=2001:db8::/32 !port=53", "comm=curl",
	"pid=1001", "unit=a.service", "!unit=a.service", "cgroup=/system.slice",
	"cgroup=/user.slice !result=ok", "dir=out port=5432", "!pid=1001 fam=4",
	"addr=::ffff:10.1.0.0/112",
};
#define NFILTERS (int)(sizeof(filter_texts) / sizeof(filter_texts[0]))
static struct tl_filter *filters[NFILTERS];

static const char *const group_name[] = { "dest", "addr", "port", "process", "unit" };
static const char *const win_name[] = { "all", "60s", "10s" };
static const char *const dcol_name[] = { "key", "connects", "fails", "fail%", "p50", "p90",
					 "p99", "max", "last" };

struct vcfg {
	enum tl_group group;
	enum tl_window win;
	int filt;		/* index in filters[], -1: none */
	enum tl_dcol sort;
	bool desc;
};

struct run {
	const char *name;
	struct tl_model *m;
	struct tl_dest_view *lv;	/* the long-lived view */
	struct odest dests[64];
	int ndests;
	struct oowner owners[24];
	int nowners;
	uint64_t clock;		/* ns; connects are stamped up to here */
	uint64_t lag;		/* ns the views' clock trails it by, for a while */
	int step;
	struct vcfg cfg;
	/* what the long view was last updated with, for filtered since-start views */
	struct vcfg built;
	bool have_built;
	uint64_t base_first, last_total;
	/* the newest connects as added, for a reference model (see update_and_compare) */
	struct tl_record *rlog;
	uint64_t rlog_total;
	/* held: the rows as they were when held */
	int held_steps;
	bool no_hold;		/* bursts: the update after one must be compared */
	struct tl_dest_row *snap;
	uint64_t *snapq;	/* the held quantiles qs[] of each */
	struct tl_dest_fail *snapf;	/* and its failures */
	int *snapf_ret;
	uint8_t *used;
	size_t nsnap;
	/* what the run covered */
	unsigned compared, referenced, incomparable, rows;
	unsigned by_group[TL_GROUP_COUNT], by_win[TL_WIN_COUNT];
	unsigned filtered, holds, wraps, bursts;
	bool failed;
};

static uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

static bool chance(unsigned per_mille)
{
	return rng_below(1000) < per_mille;
}

static void make_world(struct run *r, int naddr4, int naddr6, int ndests, int nowners)
{
	static const uint16_t ports[] = { 22, 53, 80, 443, 5432, 8080, 9000 };
	static const char *const comms[] = { "curl", "nginx", "postgres", "python3", "java",
					     "sshd", "systemd-resolve" /* 15: no room left */ };
	uint8_t addrs[32][17];
	int i, naddr = naddr4 + naddr6;

	for (i = 0; i < naddr; i++) {
		char text[64];

		if (i < naddr4 && i % 3)
			snprintf(text, sizeof(text), "10.1.%d.%d", (int)rng_below(4),
				 (int)rng_below(250) + 1);
		else if (i < naddr4)
			snprintf(text, sizeof(text), "192.168.0.%d", (int)rng_below(250) + 1);
		else
			snprintf(text, sizeof(text), i % 2 ? "2001:db8::%x" : "fd00:1::%x",
				 (unsigned)rng_below(0xffff) + 1);
		rec_addr(addrs[i] + 1, &addrs[i][0], text);
	}
	r->ndests = ndests;
	for (i = 0; i < ndests; i++) {
		int a = (int)rng_below((uint64_t)naddr);

		r->dests[i].family = addrs[a][0];
		memcpy(r->dests[i].addr, addrs[a] + 1, 16);
		r->dests[i].port = ports[rng_below(sizeof(ports) / sizeof(ports[0]))];
	}
	r->nowners = nowners;
	for (i = 0; i < nowners; i++) {
		struct oowner *o = &r->owners[i];

		memset(o, 0, sizeof(*o));
		o->known = i % 7 != 6;
		/* a few pids run two programs (an exec): two process rows */
		o->pid = 1000 + (uint32_t)rng_below((uint64_t)nowners * 2 / 3 + 1);
		strcpy(o->comm, comms[rng_below(sizeof(comms) / sizeof(comms[0]))]);
		o->cg = rng_below(9) ? 1001 + rng_below(7) : 0;
	}
}

/* Latency in ns, log-uniform between lo and hi. */
static uint64_t log_uniform(double lo, double hi)
{
	return (uint64_t)exp(log(lo) + (log(hi) - log(lo)) * rng_unit());
}

static void add_one(struct run *r, const struct odest *d, const struct oowner *o, uint64_t ts,
		    int result)
{
	static const int errnos[] = { 104, 101, 113, 13, 1, 99, 110, 111, 22, 32, 300 };
	struct tl_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.kind = TL_REC_CONNECT;
	rec.dir = TL_REC_ACTIVE;
	rec.ts_ns = ts;
	rec.family = d->family;
	memcpy(rec.raddr, d->addr, 16);
	rec.rport = d->port;
	rec_addr(rec.laddr, &rec.family, d->family == 4 ? "10.0.0.1" : "fd00::1");
	rec.lport = (uint16_t)(32768 + rng_below(28000));
	rec.owner_known = o->known;
	if (o->known) {
		rec.pid = o->pid;
		memcpy(rec.comm, o->comm, sizeof(rec.comm));
	}
	/* an unknown owner may still carry a cgroup id: it is not trusted either */
	rec.cgroup_id = o->known || rng_below(2) ? o->cg : 0;
	if (result < 0) {
		unsigned u = (unsigned)rng_below(100);

		result = u < 68 ? TL_REC_OK : u < 78 ? TL_REC_REFUSED : u < 85 ? TL_REC_TIMEOUT :
			 u < 93 ? TL_REC_ERROR : u < 98 ? TL_REC_ABORTED : 5 + (int)rng_below(3);
	}
	rec.result = (uint8_t)result;
	switch (result) {
	case TL_REC_OK:
		/* 100 ns to 30 s, and now and then 0 */
		rec.span_ns = chance(10) ? 0 : log_uniform(100, 3e10);
		break;
	case TL_REC_REFUSED:
		rec.err = 111;
		rec.span_ns = log_uniform(1e4, 1e8);
		break;
	case TL_REC_TIMEOUT:
		rec.err = 110;
		rec.span_ns = log_uniform(1e9, 1.3e11);
		break;
	default:
		rec.err = result == TL_REC_ABORTED ? 0 :
			  errnos[rng_below(sizeof(errnos) / sizeof(errnos[0]))];
		rec.span_ns = chance(20) ? 0 : log_uniform(1e3, 1e10);
		break;
	}
	tl_model_add(r->m, &rec);
	r->rlog[r->rlog_total++ % RLOG_LEN] = rec;
}

/* A few destinations and owners are busy, most are not. */
static void add_random(struct run *r)
{
	uint64_t dn = rng_below(2) ? 6 : (uint64_t)r->ndests;
	uint64_t on = rng_below(2) ? 4 : (uint64_t)r->nowners;
	const struct odest *d = &r->dests[rng_below(dn)];
	const struct oowner *o = &r->owners[rng_below(on)];
	uint64_t u = rng_below(1000), late;

	/* mostly within the last second; some seconds late, a few about a minute */
	late = u < 900 ? rng_below(NS) : u < 980 ? rng_below(5 * NS) : 50 * NS + rng_below(25 * NS);
	add_one(r, d, o, r->clock - late, -1);
}

/* ---- comparing two views ---- */

static void describe_cfg(const struct vcfg *c, char *buf, size_t len)
{
	snprintf(buf, len, "group=%s window=%s filter=\"%s\" sort=%s%s", group_name[c->group],
		 win_name[c->win], c->filt < 0 ? "" : filter_texts[c->filt], dcol_name[c->sort],
		 c->desc ? " descending" : "");
}

static void print_row(const char *who, const struct tl_dest_row *d)
{
	char addr[64] = "";

	if (d->family)
		inet_ntop(d->family == 4 ? AF_INET : AF_INET6, d->addr, addr, sizeof(addr));
	printf("#   %s: %s%s port %u pid %u comm \"%.*s\" cgroup %" PRIu64 " known %u: "
	       "connects %" PRIu64 " ok %" PRIu64 " refused %" PRIu64 " timeouts %" PRIu64
	       " errors %" PRIu64 " aborted %" PRIu64
	       " p50/p90/p99 %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       " min/max/last %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       " ttf p99/max %" PRIu64 "/%" PRIu64 "\n",
	       who, d->is_other ? "other " : "", addr, d->port, d->pid, TL_REC_COMM_LEN, d->comm,
	       d->cgroup_id, d->owner_known, d->connects, d->ok, d->refused, d->timeouts, d->errors,
	       d->aborted, d->p50_ns, d->p90_ns, d->p99_ns, d->min_ns, d->max_ns, d->last_ns,
	       d->ttf_p99_ns, d->ttf_max_ns);
}

static void report(struct run *r, const char *what, size_t i, const char *field, uint64_t a,
		   uint64_t b, const struct tl_dest_row *ra, const struct tl_dest_row *rb,
		   const char *bname)
{
	char cfg[200];

	describe_cfg(&r->cfg, cfg, sizeof(cfg));
	printf("# %s: step %d, seed %" PRIu64 " (TL_ORACLE_SEED=%" PRIu64 " reproduces it)\n",
	       r->name, r->step, seed, seed);
	printf("#   view: %s\n", cfg);
	printf("#   %s: row %zu differs in %s: long-lived %" PRIu64 ", %s %" PRIu64 "\n", what, i,
	       field, a, bname, b);
	if (ra)
		print_row("long-lived", ra);
	if (rb)
		print_row(bname, rb);
	r->failed = true;
}

/* The first field in which two rows differ, or NULL; *a and *b get its values. */
static const char *row_diff(const struct tl_dest_row *x, const struct tl_dest_row *y, uint64_t *a,
			    uint64_t *b)
{
#define FIELD(f)                                                                                   \
	do {                                                                                       \
		if (x->f != y->f) {                                                                \
			*a = (uint64_t)x->f;                                                       \
			*b = (uint64_t)y->f;                                                       \
			return #f;                                                                 \
		}                                                                                  \
	} while (0)
	int k;

	*a = *b = 0;
	FIELD(is_other);
	FIELD(family);
	FIELD(owner_known);
	if (memcmp(x->addr, y->addr, sizeof(x->addr)))
		return "addr";
	FIELD(port);
	FIELD(pid);
	if (memcmp(x->comm, y->comm, sizeof(x->comm)))
		return "comm";
	FIELD(cgroup_id);
	if (!x->cgroup_path != !y->cgroup_path ||
	    (x->cgroup_path && strcmp(x->cgroup_path, y->cgroup_path)))
		return "cgroup_path";
	FIELD(unit_shared);
	FIELD(connects);
	FIELD(ok);
	FIELD(refused);
	FIELD(timeouts);
	FIELD(errors);
	FIELD(aborted);
	FIELD(p50_ns);
	FIELD(p90_ns);
	FIELD(p99_ns);
	FIELD(min_ns);
	FIELD(max_ns);
	FIELD(last_ns);
	FIELD(last_ts_ns);
	FIELD(ttf_p50_ns);
	FIELD(ttf_p90_ns);
	FIELD(ttf_p99_ns);
	FIELD(ttf_max_ns);
	FIELD(ttf_last_ns);
	FIELD(hist_lo_ns);
	FIELD(hist_hi_ns);
	for (k = 0; k < TL_HIST_BINS; k++)
		FIELD(hist[k]);
	return NULL;
}

static const char *fail_diff(const struct tl_dest_fail *x, const struct tl_dest_fail *y,
			     uint64_t *a, uint64_t *b)
{
	uint32_t k;

	*a = *b = 0;
	FIELD(failed);
	FIELD(refused);
	FIELD(timeouts);
	FIELD(aborted);
	FIELD(errors);
	FIELD(nerr);
	for (k = 0; k < x->nerr && k < TL_DEST_NERR; k++) {
		FIELD(err_no[k]);
		FIELD(err_n[k]);
	}
	FIELD(err_other);
	FIELD(ttf_min_ns);
	FIELD(ttf_p50_ns);
	FIELD(ttf_p90_ns);
	FIELD(ttf_p99_ns);
	FIELD(ttf_max_ns);
	return NULL;
#undef FIELD
}

/* Quantiles the detail view asks for; the panel's three must agree with its columns. */
static const double qs[] = { 0, 0.25, 0.5, 0.9, 0.99, 1 };
#define NQS (int)(sizeof(qs) / sizeof(qs[0]))

/* Compare the long view with a fresh view on model m (r's, or a reference: fname). */
static int compare_with_fresh(struct run *r, struct tl_model *m, const char *fname, uint64_t now)
{
	const struct vcfg *c = &r->cfg;
	const struct tl_filter *f = c->filt < 0 ? NULL : filters[c->filt];
	struct tl_dest_view *fv = tl_dest_view_new();
	size_t n, i;
	int ret = -1;

	if (!fv)
		return -1;
	tl_dest_view_set_cgroup_path(fv, fake_cgroup_path, NULL);
	tl_dest_view_update(fv, m, c->group, c->win, f, c->sort, c->desc, now);
	n = tl_dest_view_len(r->lv);
	if (n != tl_dest_view_len(fv)) {
		report(r, "row count", 0, "length", n, tl_dest_view_len(fv), NULL, NULL, fname);
		for (i = 0; i < n || i < tl_dest_view_len(fv); i++) {
			if (i < n)
				print_row("long-lived", tl_dest_view_get(r->lv, i));
			if (i < tl_dest_view_len(fv))
				print_row(fname, tl_dest_view_get(fv, i));
		}
		goto cleanup;
	}
	if (tl_dest_view_stale(r->lv) || tl_dest_view_stale(fv)) {
		report(r, "staleness", 0, "stale", tl_dest_view_stale(r->lv),
		       tl_dest_view_stale(fv), NULL, NULL, fname);
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		const struct tl_dest_row *a = tl_dest_view_get(r->lv, i);
		const struct tl_dest_row *b = tl_dest_view_get(fv, i);
		struct tl_dest_fail fa, fb;
		const char *field;
		uint64_t x, y;
		int k, ra, rb;

		field = row_diff(a, b, &x, &y);
		if (field) {
			report(r, "rows", i, field, x, y, a, b, fname);
			goto cleanup;
		}
		ra = tl_dest_view_failures(r->lv, i, &fa);
		rb = tl_dest_view_failures(fv, i, &fb);
		field = ra != rb ? "return value" : fail_diff(&fa, &fb, &x, &y);
		if (ra != rb) {
			x = (uint64_t)ra;
			y = (uint64_t)rb;
		}
		if (field) {
			report(r, "failures", i, field, x, y, a, b, fname);
			goto cleanup;
		}
		/* the detail view's quantiles: of a few rows per step (they merge windows) */
		if (i >= 4 && !chance(60))
			continue;
		for (k = 0; k < NQS; k++) {
			x = tl_dest_view_quantile(r->lv, i, qs[k]);
			y = tl_dest_view_quantile(fv, i, qs[k]);
			if (x != y) {
				report(r, "quantile", i, "tl_dest_view_quantile", x, y, a, b,
				       fname);
				printf("#   q = %g\n", qs[k]);
				goto cleanup;
			}
		}
		/* the columns' cursors against a walk of the same sketch */
		if (a->ok && (a->p50_ns != tl_dest_view_quantile(r->lv, i, 0.5) ||
			      a->p90_ns != tl_dest_view_quantile(r->lv, i, 0.9) ||
			      a->p99_ns != tl_dest_view_quantile(r->lv, i, 0.99))) {
			report(r, "p50/p90/p99 against a walk of the sketch", i, "p50_ns",
			       a->p50_ns, tl_dest_view_quantile(r->lv, i, 0.5), a, NULL, "walked");
			goto cleanup;
		}
	}
	r->rows += (unsigned)n;
	ret = 0;
cleanup:
	tl_dest_view_free(fv);
	return ret;
}

/* ---- driving the long-lived view ---- */

static uint64_t ring_first(const struct tl_model *m)
{
	uint64_t total = tl_model_totals(m)->connects, cap = tl_model_connects_cap(m);

	return total > cap ? total - cap : 0;
}

/*
 * A filtered view since start that has outlived the connect ring's
 * contents: compare it with a fresh view on a reference model fed only the
 * connects since the long view built its table (the test keeps the last
 * RLOG_LEN). 1 if they are no longer kept, else 0 or -1 as compare_with_fresh.
 */
static int compare_with_reference(struct run *r, uint64_t now)
{
	uint64_t total = tl_model_totals(r->m)->connects, s;
	struct tl_model_config mc = { .history = 4 * (total - r->base_first) + 4,
				      .max_dests = r->m->cfg.max_dests };
	struct tl_model *ref;
	int ret;

	if (total - r->base_first > RLOG_LEN || total != r->rlog_total)
		return 1;
	ref = tl_model_new(&mc);
	if (!ref)
		return -1;
	for (s = r->base_first; s < total; s++)
		tl_model_add(ref, &r->rlog[s % RLOG_LEN]);
	ret = compare_with_fresh(r, ref, "reference", now);
	tl_model_free(ref);
	return ret;
}

static bool same_rows_cfg(const struct vcfg *a, const struct vcfg *b)
{
	return a->group == b->group && a->win == b->win && a->filt == b->filt;
}

static void hold_snapshot(struct run *r)
{
	size_t i;

	r->nsnap = tl_dest_view_len(r->lv);
	r->snap = realloc(r->snap, (r->nsnap + 1) * sizeof(*r->snap));
	r->used = realloc(r->used, r->nsnap + 1);
	r->snapq = realloc(r->snapq, (r->nsnap + 1) * NQS * sizeof(*r->snapq));
	r->snapf = realloc(r->snapf, (r->nsnap + 1) * sizeof(*r->snapf));
	r->snapf_ret = realloc(r->snapf_ret, (r->nsnap + 1) * sizeof(*r->snapf_ret));
	if (!r->snap || !r->used || !r->snapq || !r->snapf || !r->snapf_ret)
		abort();
	for (i = 0; i < r->nsnap; i++) {
		int k;

		r->snap[i] = *tl_dest_view_get(r->lv, i);
		r->snapf_ret[i] = tl_dest_view_failures(r->lv, i, &r->snapf[i]);
		for (k = 0; k < NQS; k++)
			r->snapq[i * NQS + k] = tl_dest_view_quantile(r->lv, i, qs[k]);
	}
}

/*
 * Update the long view, then compare it with a fresh one. A filtered view
 * since start keeps every connect it was fed, also those the connect ring
 * has dropped since: a fresh view on the model can only match it while the
 * ring still holds everything since the long view built its table (when
 * its filter, grouping or window changed, or it fell behind the ring);
 * past that, a fresh view on a reference model fed those connects.
 */
static int update_and_compare(struct run *r)
{
	const struct vcfg *c = &r->cfg;
	const struct tl_filter *f = c->filt < 0 ? NULL : filters[c->filt];
	uint64_t now = r->clock, first = ring_first(r->m);

	/* now and then the wall clock steps back, mostly a little, or trails for a while */
	if (chance(40))
		now -= chance(100) ? rng_below(90 * NS) : rng_below(5 * NS);
	if (chance(r->lag ? 100 : 10))
		r->lag = r->lag ? 0 : rng_below(90 * NS);
	now -= r->lag;
	if (r->held_steps) {
		size_t i;

		tl_dest_view_update(r->lv, r->m, c->group, c->win, f, c->sort, c->desc, now);
		/* held: the same rows, whatever came in */
		if (tl_dest_view_len(r->lv) != r->nsnap) {
			report(r, "held row count", 0, "length", tl_dest_view_len(r->lv), r->nsnap,
			       NULL, NULL, "at hold");
			return -1;
		}
		/* a new sort reorders them: compare as multisets */
		memset(r->used, 0, r->nsnap);
		for (i = 0; i < r->nsnap; i++) {
			const struct tl_dest_row *a = tl_dest_view_get(r->lv, i);
			struct tl_dest_fail fa;
			const char *field;
			uint64_t x, y;
			size_t j;
			int k, ret;

			for (j = 0; j < r->nsnap; j++)
				if (!r->used[j] && !row_diff(a, &r->snap[j], &x, &y))
					break;
			if (j == r->nsnap) {
				report(r, "held rows", i, "every field from each row at hold", 0, 0,
				       a, NULL, "at hold");
				return -1;
			}
			r->used[j] = 1;
			/* the detail view's failures and quantiles were held with the rows */
			ret = tl_dest_view_failures(r->lv, i, &fa);
			field = ret != r->snapf_ret[j] ? "return value" :
				fail_diff(&fa, &r->snapf[j], &x, &y);
			if (ret != r->snapf_ret[j]) {
				x = (uint64_t)ret;
				y = (uint64_t)r->snapf_ret[j];
			}
			if (field) {
				report(r, "held failures", i, field, x, y, a, &r->snap[j], "at hold");
				return -1;
			}
			for (k = 0; k < NQS; k++) {
				x = tl_dest_view_quantile(r->lv, i, qs[k]);
				if (x != r->snapq[j * NQS + k]) {
					report(r, "held quantiles", i, "tl_dest_view_quantile", x,
					       r->snapq[j * NQS + k], a, &r->snap[j], "at hold");
					printf("#   q = %g, stale %d\n", qs[k],
					       tl_dest_view_stale(r->lv));
					return -1;
				}
			}
		}
		if (!--r->held_steps)
			tl_dest_view_release(r->lv);
		return 0;
	}
	if (c->filt >= 0 && c->win == TL_WIN_ALL) {
		if (!r->have_built || !same_rows_cfg(&r->built, c) || r->last_total < first)
			r->base_first = first;
	}
	tl_dest_view_update(r->lv, r->m, c->group, c->win, f, c->sort, c->desc, now);
	r->built = *c;
	r->have_built = true;
	r->last_total = tl_model_totals(r->m)->connects;
	if (c->filt >= 0 && c->win == TL_WIN_ALL && r->base_first != first) {
		int ret = compare_with_reference(r, now);

		if (ret > 0) {
			r->incomparable++;
			return 0;
		}
		if (ret)
			return -1;
		r->referenced++;
	} else if (compare_with_fresh(r, r->m, "fresh", now)) {
		return -1;
	}
	r->compared++;
	r->by_group[c->group]++;
	r->by_win[c->win]++;
	r->filtered += c->filt >= 0;
	/* hold now and then for a few steps: the rows must hold still */
	if (!r->no_hold && chance(15) && !tl_dest_view_hold(r->lv, qs, NQS)) {
		r->held_steps = 1 + (int)rng_below(4);
		r->holds++;
		hold_snapshot(r);
	}
	return 0;
}

static void change_cfg(struct run *r)
{
	switch (rng_below(5)) {
	case 0:
		r->cfg.group = (enum tl_group)rng_below(TL_GROUP_COUNT);
		break;
	case 1:
		r->cfg.win = (enum tl_window)rng_below(TL_WIN_COUNT);
		break;
	case 2:
		r->cfg.filt = rng_below(3) ? -1 : (int)rng_below(NFILTERS);
		break;
	case 3:
		r->cfg.sort = (enum tl_dcol)rng_below(TL_DCOL_COUNT);
		break;
	default:
		r->cfg.desc = !r->cfg.desc;
		break;
	}
}

/* Touches logged in the table the long view reads (address and port: destinations). */
static uint64_t log_total_of(const struct run *r)
{
	enum tl_group g = r->cfg.group;

	return r->m->agg[g == TL_GROUP_ADDR || g == TL_GROUP_PORT ? TL_GROUP_DEST : g]->log_total;
}

/*
 * Exactly n touches of each table between two updates: one connect to C,
 * then A and B in turn (three destinations and three owners with distinct
 * processes and cgroups). Past the log's length, C's entry is overwritten:
 * a view that did not notice the wrap would keep C's old counts.
 */
static int burst(struct run *r, uint64_t n)
{
	const struct oowner *o[3] = { 0 };
	const struct odest *d[3] = { 0 };
	uint64_t i, before;
	int k = 0, j, q;

	/* unfiltered, so that the rows come from the model's tables and their logs */
	r->no_hold = true;
	r->cfg.filt = -1;
	while (r->held_steps)
		if (update_and_compare(r))
			return -1;
	/* a held view's update left the model's pending connects unflushed */
	if (update_and_compare(r))
		return -1;
	/* the long view has just read the logs: what follows is all new to it */
	before = log_total_of(r);
	for (j = 0; j < r->nowners && k < 3; j++) {
		const struct oowner *w = &r->owners[j];
		bool distinct = w->known && w->cg;

		for (q = 0; q < k && distinct; q++)
			distinct = o[q]->pid != w->pid && o[q]->cg != w->cg;
		if (distinct)
			o[k++] = w;
	}
	for (; k < 3; k++)
		o[k] = &r->owners[k];
	for (j = 0, k = 0; j < r->ndests && k < 3; j++) {
		const struct odest *w = &r->dests[j];
		bool distinct = true;

		for (q = 0; q < k && distinct; q++)
			distinct = d[q]->family != w->family || d[q]->port != w->port ||
				   memcmp(d[q]->addr, w->addr, 16);
		if (distinct)
			d[k++] = w;
	}
	for (; k < 3; k++)
		d[k] = &r->dests[k];
	for (i = 0; i < n; i++) {
		k = i ? 1 + (int)(i & 1) : 0;
		add_one(r, d[k], o[k], r->clock - NS + i * 7, rng_below(4) ? TL_REC_OK : -1);
	}
	tl_model_flush(r->m);
	r->bursts++;
	if (log_total_of(r) - before > TL_AGG_LOG_LEN)
		r->wraps++;
	k = update_and_compare(r);
	r->no_hold = false;
	return k;
}

static int run_steps(struct run *r, int nsteps, const int *burst_at, const uint64_t *burst_n,
		     int nbursts)
{
	int b = 0;

	for (r->step = 0; r->step < nsteps; r->step++) {
		uint64_t u = rng_below(1000), k;

		if (b < nbursts && r->step == burst_at[b]) {
			if (burst(r, burst_n[b++]))
				return -1;
			continue;
		}
		if (chance(120))
			change_cfg(r);
		/* and every grouping and window in turn, whatever the dice say */
		if (r->step % 50 == 0)
			r->cfg.group = (enum tl_group)(r->step / 50 % TL_GROUP_COUNT);
		if (r->step % 50 == 25)
			r->cfg.win = (enum tl_window)(r->step / 50 % TL_WIN_COUNT);
		if (chance(8)) {
			tl_dest_view_invalidate(r->lv);
			r->have_built = false;
		}
		/* connects: none, a few, a good many */
		k = u < 100 ? 0 : u < 850 ? rng_below(12) : u < 990 ? rng_below(300) :
		    2000 + rng_below(3000);
		while (k--)
			add_random(r);
		/* the clock: mostly under two seconds, sometimes past a window, or an hour */
		u = rng_below(1000);
		r->clock += u < 850 ? rng_below(2 * NS) : u < 950 ? 10 * NS + rng_below(5 * NS) :
			    u < 985 ? 60 * NS + rng_below(10 * NS) : u < 990 ? 3600 * NS : 0;
		if (update_and_compare(r))
			return -1;
	}
	return 0;
}

static struct run *run_new(const char *name, const struct tl_model_config *mc)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->name = name;
	r->m = tl_model_new(mc);
	r->lv = tl_dest_view_new();
	r->rlog = malloc(RLOG_LEN * sizeof(*r->rlog));
	if (!r->m || !r->lv || !r->rlog) {
		free(r->rlog);
		tl_model_free(r->m);
		tl_dest_view_free(r->lv);
		free(r);
		return NULL;
	}
	tl_dest_view_set_cgroup_path(r->lv, fake_cgroup_path, NULL);
	r->clock = 1700000000 * NS + rng_below(NS);
	r->cfg.filt = -1;
	r->cfg.sort = TL_DCOL_FAILPCT;
	r->cfg.desc = true;
	return r;
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	tl_dest_view_free(r->lv);
	tl_model_free(r->m);
	free(r->snap);
	free(r->snapq);
	free(r->snapf);
	free(r->snapf_ret);
	free(r->used);
	free(r->rlog);
	free(r);
}

static uint64_t folds_of(const struct tl_model *m)
{
	uint64_t n = 0;
	int g;

	for (g = 0; g < TL_GROUP_COUNT; g++)
		n += m->agg[g]->folds;
	return n;
}

static void summary(const struct run *r)
{
	printf("# %s: %u comparisons (%u rows), %u of them with a reference model, %u skipped "
	       "(filtered since start, connects no longer kept)\n", r->name, r->compared, r->rows,
	       r->referenced, r->incomparable);
	printf("# %s: by group %u/%u/%u/%u/%u, by window %u/%u/%u, %u filtered, %u holds, "
	       "%u bursts (%u past a touch log), %" PRIu64 " folds, %" PRIu64 " connects\n",
	       r->name, r->by_group[0], r->by_group[1], r->by_group[2], r->by_group[3],
	       r->by_group[4], r->by_win[0], r->by_win[1], r->by_win[2], r->filtered, r->holds,
	       r->bursts, r->wraps, folds_of(r->m), tl_model_totals(r->m)->connects);
}

static bool covered_all(const struct run *r)
{
	int k;

	for (k = 0; k < TL_GROUP_COUNT; k++)
		if (!r->by_group[k])
			return false;
	for (k = 0; k < TL_WIN_COUNT; k++)
		if (!r->by_win[k])
			return false;
	return r->filtered > 0 && r->holds > 0;
}

/*
 * A history of 16k (a connect ring of 4k) and many
 * destinations: touch logs wrap, exactly at their length too, and the
 * ring wraps.
 */
static void test_main_model(void)
{
	struct tl_model_config mc = { .history = 16384 };
	static const int at[] = { 300, 700, 1100, 1500, 1900 };
	static const uint64_t n[] = { TL_AGG_LOG_LEN - 1, TL_AGG_LOG_LEN, TL_AGG_LOG_LEN + 1,
				      TL_AGG_LOG_LEN + 2, 3 * TL_AGG_LOG_LEN / 2 };
	struct run *r = run_new("main model", &mc);
	int ret;

	if (!ok(r != NULL, "main model: made"))
		return;
	make_world(r, 14, 8, 60, 18);
	ret = run_steps(r, 2200, at, n, 5);
	summary(r);
	ok(!ret && !r->failed,
	   "main model: the long-lived view matches a fresh one after every step");
	ok(covered_all(r) && r->wraps >= 3, "main model: every grouping and window, filters, holds "
	   "and touch-log wraps were compared");
	run_free(r);
}

/*
 * max_dests 5 and a short history: rows fold into "other", idle rows give
 * way to new keys, the connect ring wraps under filtered views.
 */
static void test_small_model(void)
{
	struct tl_model_config mc = { .history = 2000, .max_dests = 5 };
	static const int at[] = { 900 };
	static const uint64_t n[] = { TL_AGG_LOG_LEN + 1 };
	struct run *r = run_new("small model", &mc);
	int ret;

	if (!ok(r != NULL, "small model: made"))
		return;
	make_world(r, 6, 4, 14, 10);
	ret = run_steps(r, 1800, at, n, 1);
	summary(r);
	ok(!ret && !r->failed,
	   "small model: the long-lived view matches a fresh one after every step");
	ok(covered_all(r) && folds_of(r->m) > 0 && r->incomparable < r->compared,
	   "small model: folds happened, and most steps were compared");
	run_free(r);
}

/*
 * A filtered view since start feeds a private table with its own touch
 * log: more matching connects between two updates than the log holds,
 * with a connect ring large enough to keep them all.
 */
static void test_filtered_wrap(void)
{
	static const uint64_t n[] = { TL_AGG_LOG_LEN - 1, TL_AGG_LOG_LEN, TL_AGG_LOG_LEN + 1 };
	int k, fails = 0, wraps = 0;

	for (k = 0; k < 3; k++) {
		struct tl_model_config mc = { .history = 4 * (TL_AGG_LOG_LEN + 8192) };
		struct run *r = run_new("filtered wrap", &mc);
		uint64_t i;
		int s;

		if (!r) {
			fails++;
			continue;
		}
		make_world(r, 4, 2, 8, 6);
		/* one port for every destination, so the filter keeps them all; three
		 * distinct destinations and processes for the burst */
		for (s = 0; s < r->ndests; s++)
			r->dests[s].port = 443;
		for (s = 0; s < 3; s++) {
			r->dests[s].family = 4;
			memset(r->dests[s].addr, 0, 16);
			r->dests[s].addr[0] = 10;
			r->dests[s].addr[3] = (uint8_t)(s + 1);
			r->owners[s].known = 1;
			r->owners[s].pid = 2000 + (uint32_t)s;
		}
		r->cfg.filt = 0;	/* port=443 */
		r->cfg.group = k == 1 ? TL_GROUP_PROCESS : TL_GROUP_DEST;
		for (s = 0; s < 20 && !r->failed; s++) {
			for (i = rng_below(20); i; i--)
				add_random(r);
			r->clock += rng_below(NS);
			update_and_compare(r);
		}
		r->no_hold = true;
		while (r->held_steps && !r->failed)
			update_and_compare(r);
		if (!r->failed) {
			/* as in burst(): C once, then A and B in turn, all through the filter */
			const struct oowner *o[3] = { &r->owners[0], &r->owners[1], &r->owners[2] };

			for (i = 0; i < n[k]; i++) {
				int j = i ? 1 + (int)(i & 1) : 0;

				add_one(r, &r->dests[j], o[j], r->clock + i, TL_REC_OK);
			}
			r->clock += NS;
			if (!update_and_compare(r) && r->incomparable == 0)
				wraps++;
		}
		fails += r->failed;
		run_free(r);
	}
	ok(!fails && wraps == 3, "filtered since start: the private table's touch log at and past "
	   "its length");
}

int main(void)
{
	const char *env = getenv("TL_ORACLE_SEED");
	char err[200];
	int i;

	seed = env && *env ? strtoull(env, NULL, 0) : ORACLE_DEFAULT_SEED;
	rng_state = seed;
	printf("# seed %" PRIu64 " (set TL_ORACLE_SEED to choose another)\n", seed);
	for (i = 0; i < NFILTERS; i++) {
		filters[i] = tl_filter_parse(filter_texts[i], err, sizeof(err));
		if (!ok(filters[i] != NULL, "filter '%s' parses", filter_texts[i]))
			printf("#   %s\n", err);
		tl_filter_set_cgroup_path(filters[i], fake_cgroup_path, NULL);
	}
	test_main_model();
	test_small_model();
	test_filtered_wrap();
	for (i = 0; i < NFILTERS; i++)
		tl_filter_free(filters[i]);
	return tap_done();
}
