// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One monitor refresh at scale (issue 8, item 8): 100,000 open connections
 * and 1,000,000 retained sessions. A synthetic snapshot of 100,000 tl_socks
 * (as the iterator fills them: 400 processes, 20 units, 2,000 remote hosts,
 * 20 listeners) goes through what the monitor does at every refresh: rates
 * against the previous snapshot by cookie, the open view's ingest (rate
 * history, units, accepts per second over the session history), the
 * rebuild of every view (session table, latency panel, Open rows), and the
 * composition of a 200x60 screen with the Open panel focused. The kernel's
 * walk itself is not in the figure (it needs 100,000 real sockets: section
 * "sockets" of tests/bench/run measures it). Prints numbers; asserts nothing.
 *
 *   bench_refresh [OPEN [SESSIONS]]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "open_rates.h"
#include "ui/state.h"

#define NS 1000000000ULL
#define REPS 7
#define GOAL_MS 20.0

static double now_ms(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void fill_sessions(struct tl_model *m, size_t n, uint64_t ts0)
{
	struct tl_record r;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.kind = i % 3 ? TL_REC_SESSION : TL_REC_CONNECT;
		r.ts_ns = ts0 + i * 1000;
		r.span_ns = 200000 + (i % 977) * 1000;
		r.family = 4;
		r.dir = i % 2 ? TL_REC_ACTIVE : TL_REC_PASSIVE;
		r.owner_known = 1;
		r.pid = 1000 + (uint32_t)(i % 400);
		snprintf(r.comm, sizeof(r.comm), "app%u", (unsigned int)(i % 400));
		r.laddr[0] = 10;
		r.laddr[3] = 1;
		r.raddr[0] = 10;
		r.raddr[2] = (uint8_t)(i % 40);
		r.raddr[3] = (uint8_t)(i % 50);
		r.lport = (uint16_t)(30000 + i % 20000);
		r.rport = (uint16_t)(443 + i % 10);
		r.tx_bytes = i % 100000;
		r.rx_bytes = i % 70000;
		r.srtt_us = 100 + i % 900;
		tl_model_add(m, &r);
	}
}

static void fill_socks(struct tl_snapshot *s, size_t n, uint64_t ts, uint64_t step)
{
	size_t i;

	s->ts_ns = ts;
	s->n = n;
	for (i = 0; i < n; i++) {
		struct tl_sock *k = &s->socks[i];

		memset(k, 0, sizeof(*k));
		k->cookie = 1 + i;
		k->family = 4;
		k->state = i < 20 ? TL_TCP_LISTEN : TL_TCP_ESTABLISHED;
		k->dir = i % 2 ? TL_SOCK_DIR_ACTIVE : TL_SOCK_DIR_PASSIVE;
		k->owner_known = 1;
		k->pid = 1000 + (uint32_t)(i % 400);
		snprintf(k->comm, sizeof(k->comm), "app%u", (unsigned int)(i % 400));
		k->laddr[0] = 10;
		k->laddr[3] = 1;
		k->raddr[0] = 10;
		k->raddr[2] = (uint8_t)(i % 40);
		k->raddr[3] = (uint8_t)(i % 50);
		k->lport = i < 20 ? (uint16_t)(8000 + i) : (uint16_t)(30000 + i % 30000);
		k->rport = i < 20 ? 0 : (uint16_t)(8000 + i % 20);
		/* a few top talkers, most connections idle, as on a real server */
		k->tx_bytes = (uint64_t)i * 7 + (i % 1000 == 0 ? step * 1000000 : step * (i % 13));
		k->rx_bytes = (uint64_t)i * 3 + step * (i % 7);
		k->srtt_us = 50 + (uint32_t)(i % 5000);
		k->age_known = 1;
		k->age_ns = (i % 3600) * NS;
		k->accept_queue = i < 20 ? (uint32_t)(i % 5) : 0;
		k->accept_queue_max = i < 20 ? 128 : 0;
	}
}

int main(int argc, char **argv)
{
	size_t nopen = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t nsess = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
	struct tl_model_config cfg = { .history = nsess, .max_dests = 10000 };
	struct tl_options opt = { .interval_s = 1, .max_dests = 10000 };
	struct tl_snapshot snap[2] = { { 0 } };
	struct tl_open_rate *rates;
	const char **paths;
	char units[20][64];
	double t_rates[REPS], t_ingest[REPS], t_views[REPS], t_open[REPS], t_draw[REPS], t_total[REPS];
	double c_total[REPS];
	struct tl_canvas *c;
	struct tl_model *m;
	struct tl_ui ui;
	uint64_t ts0 = 1700000000ull * NS;
	size_t i;
	int r;

	if (!nopen || !nsess) {
		fprintf(stderr, "usage: bench_refresh [OPEN [SESSIONS]] (both > 0)\n");
		return 2;
	}
	m = tl_model_new(&cfg);
	c = tl_canvas_new(200, 60, true);
	snap[0].socks = malloc(nopen * sizeof(struct tl_sock));
	snap[1].socks = malloc(nopen * sizeof(struct tl_sock));
	rates = malloc(nopen * sizeof(*rates));
	paths = malloc(nopen * sizeof(*paths));
	if (!m || !c || !snap[0].socks || !snap[1].socks || !rates || !paths ||
	    tl_ui_init(&ui, &opt, m)) {
		perror("bench_refresh");
		return 1;
	}
	snap[0].cap = snap[1].cap = nopen;
	for (i = 0; i < 20; i++)
		snprintf(units[i], sizeof(units[i]), "/system.slice/app%zu.service", i);
	for (i = 0; i < nopen; i++)
		paths[i] = units[(i % 400) % 20];
	fill_sessions(m, nsess, ts0);
	ui.utf8 = true;
	ui.focus = TL_FOCUS_OPEN;
	fill_socks(&snap[0], nopen, ts0 + nsess * 1000, 0);

	printf("One monitor refresh: %zu open sockets (synthetic, as the iterator fills them), "
	       "%zu retained sessions and connects, a 200x60 screen with the Open panel focused; "
	       "median and worst of %d refreshes, wall clock (CPU time of this process beside the "
	       "total). The kernel's walk of real sockets is not included.\n\n", nopen, nsess, REPS);
	for (r = 0; r < REPS; r++) {
		struct tl_snapshot *prev = &snap[r % 2], *cur = &snap[(r + 1) % 2];
		struct tl_open_input in = { .snap = cur, .rates = rates, .paths = paths };
		double a, b, cpu0;

		fill_socks(cur, nopen, prev->ts_ns + NS, (uint64_t)r + 1);
		cpu0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		a = now_ms(CLOCK_MONOTONIC);
		if (tl_open_rates(prev, cur, rates) < 0)
			return 1;
		b = now_ms(CLOCK_MONOTONIC);
		t_rates[r] = b - a;
		if (tl_open_view_ingest(ui.ov, &in, m))
			return 1;
		a = now_ms(CLOCK_MONOTONIC);
		t_ingest[r] = a - b;
		{
			/* the session and latency views, then the Open rows on their own */
			struct tl_open_view *ov = ui.ov;

			ui.ov = NULL;
			tl_ui_update_views(&ui, true);
			ui.ov = ov;
		}
		b = now_ms(CLOCK_MONOTONIC);
		t_views[r] = b - a;
		tl_open_panel_update(&ui);
		a = now_ms(CLOCK_MONOTONIC);
		t_open[r] = a - b;
		b = a;
		tl_screen_compose(&ui, c);
		a = now_ms(CLOCK_MONOTONIC);
		t_draw[r] = a - b;
		t_total[r] = t_rates[r] + t_ingest[r] + t_views[r] + t_open[r] + t_draw[r];
		c_total[r] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	}
	qsort(t_rates, REPS, sizeof(double), cmp_d);
	qsort(t_ingest, REPS, sizeof(double), cmp_d);
	qsort(t_views, REPS, sizeof(double), cmp_d);
	qsort(t_open, REPS, sizeof(double), cmp_d);
	qsort(t_draw, REPS, sizeof(double), cmp_d);
	qsort(t_total, REPS, sizeof(double), cmp_d);
	qsort(c_total, REPS, sizeof(double), cmp_d);
	printf("| step | median ms | worst ms |\n|---|---|---|\n");
	printf("| rates by cookie (tl_open_rates) | %.2f | %.2f |\n", t_rates[REPS / 2], t_rates[REPS - 1]);
	printf("| open view ingest (history, units, accepts) | %.2f | %.2f |\n", t_ingest[REPS / 2],
	       t_ingest[REPS - 1]);
	printf("| session and latency views rebuilt | %.2f | %.2f |\n", t_views[REPS / 2],
	       t_views[REPS - 1]);
	printf("| Open rows built and sorted | %.2f | %.2f |\n", t_open[REPS / 2], t_open[REPS - 1]);
	printf("| screen composed (200x60) | %.2f | %.2f |\n", t_draw[REPS / 2], t_draw[REPS - 1]);
	printf("| **total** (CPU %.2f) | **%.2f** | %.2f |\n\n", c_total[REPS / 2], t_total[REPS / 2],
	       t_total[REPS - 1]);
	printf("Open rows shown: %zu of %zu sockets; sessions in the view: %zu.\n\n",
	       tl_open_view_len(ui.ov), tl_open_view_sockets(ui.ov), tl_session_view_len(ui.sv));
	printf("summary: refresh with %zu open and %zu sessions: %.2f ms (goal <= %.0f ms, %s; "
	       "the kernel walk not included)\n", nopen, nsess, t_total[REPS / 2], GOAL_MS,
	       t_total[REPS / 2] <= GOAL_MS ? "met" : "NOT met");
	tl_ui_fini(&ui);
	tl_canvas_free(c);
	tl_model_free(m);
	free(snap[0].socks);
	free(snap[1].socks);
	free(rates);
	free(paths);
	return 0;
}
