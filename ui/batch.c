/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * -b: every interval, a plain-text snapshot of the latency panel and of the
 * sessions that ended since the previous one (like top -b), for scripts and
 * for terminals that cannot take the full screen.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "log.h"
#include "source_replay.h"
#include "loop.h"
#include "labels.h"
#include "runloop.h"
#include "state.h"
#include "ui.h"

#define TL_BATCH_SESSIONS 100	/* sessions printed per snapshot, newest first */

struct batch {
	struct tl_ui ui;
	struct tl_source *src;
	struct tl_run run;	/* the shared loop over the source */
	uint64_t next_ns;
	uint64_t last_ts_ns;	/* newest session already printed */
	long printed;
	int error;
};

static void on_record(void *ctx, const struct tl_record *r)
{
	struct batch *b = ctx;

	tl_model_add(b->ui.m, r);
}

/* After each drain: the drop counters, as the source has them now. */
static int drained(void *ctx, int n)
{
	struct batch *b = ctx;
	struct tl_drops drops;

	tl_source_drops(b->src, &drops);
	tl_model_set_drops(b->ui.m, &drops);
	return 0;
}

static int drain(struct batch *b)
{
	int err = tl_run_drain(&b->run);

	if (err < 0) {
		tl_log("reading the events failed: %s", strerror(-err));
		b->error = err;
	}
	return err;
}

static void snapshot(struct batch *b)
{
	struct tl_ui *ui = &b->ui;
	const struct tl_model_totals *t = tl_model_totals(ui->m);
	size_t nd = tl_dest_view_len(ui->dv), ns = tl_session_view_len(ui->sv), i, n;
	char (*cells)[TL_MAX_COLS][TL_CELL_MAX];
	char up[32], when[48], causes[96];
	time_t now = tl_ui_replay_clock() ? (time_t)(tl_ui_replay_clock() / 1000000000u) : time(NULL);
	struct tm tm;
	uint64_t newest = b->last_ts_ns;

	localtime_r(&now, &tm);
	/* a replay says so, and when: the date too, a recording spans days */
	strftime(when, sizeof(when), tl_ui_replay_clock() ? "REPLAY %Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	tl_fmt_duration(up, sizeof(up), tl_ui_mono_ns() - ui->start_mono_ns);
	tl_fmt_drop_causes(causes, sizeof(causes), &t->drops, true);
	printf("tcplens %s %s %s, sessions %llu (%.1f/s), connects %llu (%.1f/s), failed %llu, "
	       "dropped %llu (%s)\n", when, tl_ui_replay_clock() ? "recorded for" : "up", up,
	       (unsigned long long)t->sessions, ui->rate_sessions,
	       (unsigned long long)t->connects, ui->rate_connects,
	       (unsigned long long)t->connects_failed,
	       (unsigned long long)tl_drops_total(&t->drops), causes);
	printf("filter: %s\n\n", ui->filter ? tl_filter_text(ui->filter) : "none");

	n = nd > ns ? nd : ns;
	cells = calloc(n ? n : 1, sizeof(*cells));
	if (!cells) {
		printf("(out of memory)\n");
		return;
	}
	printf("Connect latency by destination, %s, failing first (FAIL%%), then worst p99: "
	       "%zu rows\n", tl_window_name(ui->win), nd);
	for (i = 0; i < nd; i++) {
		const struct tl_dest_row *row = tl_dest_view_get(ui->dv, i);

		if (!row) {
			nd = i;
			break;
		}
		tl_dest_cells(row, ui->group, cells[i]);
		tl_dest_spark(cells[i][TL_DC_DIST], TL_CELL_MAX, row, TL_HIST_BINS, false);
	}
	tl_batch_table(stdout, tl_dest_cols, TL_DC_COUNT, cells, nd);

	/* the view is newest first: the new sessions are a prefix of it */
	for (n = 0; n < ns; n++) {
		const struct tl_record *r = tl_session_view_get(ui->sv, n);

		/* NULL cannot happen right after an update; stop there if it does */
		if (!r || r->ts_ns <= b->last_ts_ns)
			break;
		if (r->ts_ns > newest)
			newest = r->ts_ns;
	}
	if (n > TL_BATCH_SESSIONS)
		printf("\nSessions ended since the last snapshot: %zu (newest %d shown)\n", n,
		       TL_BATCH_SESSIONS);
	else
		printf("\nSessions ended since the last snapshot: %zu\n", n);
	if (n > TL_BATCH_SESSIONS)
		n = TL_BATCH_SESSIONS;
	for (i = 0; i < n; i++)
		tl_session_cells(ui, tl_session_view_get(ui->sv, i), cells[i]);
	tl_batch_table(stdout, tl_session_cols, TL_SC_COUNT, cells, n);
	putchar('\n');
	fflush(stdout);
	b->last_ts_ns = newest;
	free(cells);
}

/* Every drain period, after the loop's drain: a snapshot when one is due. */
static int on_tick(void *ctx)
{
	struct batch *b = ctx;
	uint64_t now, ival = (uint64_t)(b->ui.interval_s * 1e9);

	now = tl_ui_mono_ns();
	if (now < b->next_ns)
		return 0;
	b->next_ns += ival;
	if (b->next_ns <= now)
		b->next_ns = now + ival;
	tl_ui_update_rates(&b->ui);
	tl_ui_update_views(&b->ui, true);
	snapshot(b);
	b->printed++;
	if (b->ui.opt->count > 0 && b->printed >= b->ui.opt->count)
		return 1;
	return 0;
}


/*
 * -b -r: a snapshot per interval of recorded time, as fast as the recording
 * reads, from --begin (or its start) to --end (or its end).
 */
static int batch_replay(struct batch *b)
{
	uint64_t ival = (uint64_t)(b->ui.interval_s * 1e9), first, last, t;
	const struct tl_options *opt = b->ui.opt;

	if (tl_source_replay_span(b->src, &first, &last))
		return 0;	/* an empty recording: nothing to show */
	if (opt->begin.set && tl_when_resolve(&opt->begin, first, &t) == 0 && t > first)
		first = t;
	if (opt->end.set && tl_when_resolve(&opt->end, first, &t) == 0 && t < last)
		last = t;
	/* the clock starts at the first instant: uptime reads as recorded time */
	b->ui.start_mono_ns = first;
	b->ui.rate_base_mono_ns = first;
	for (t = first + ival; t < last + ival; t += ival) {
		tl_source_replay_until(b->src, t);
		while (!tl_source_replay_caught_up(b->src))
			if (drain(b))
				return b->error;
		tl_ui_set_replay_clock(t);
		tl_ui_update_rates(&b->ui);
		tl_ui_update_views(&b->ui, true);
		snapshot(b);
		if (opt->count > 0 && ++b->printed >= opt->count)
			break;
	}
	tl_ui_set_replay_clock(0);
	return 0;
}

int tl_batch_run(const struct tl_options *opt, struct tl_source *src, struct tl_model *m)
{
	struct batch b = { .src = src };
	int err, ret = 1;

	setlocale(LC_ALL, "");
	/* characters as the user's locale says, numbers as everywhere: "2057.9/s" */
	setlocale(LC_NUMERIC, "C");
	err = tl_ui_init(&b.ui, opt, m);
	if (err) {
		fprintf(stderr, "tcplens: %s\n", err == -EINVAL ? b.ui.msg : strerror(-err));
		return 2;
	}
	/* the table is sorted by time: "new since the last snapshot" is a prefix */
	b.ui.scol = TL_SCOL_TIME;
	b.ui.sdesc = true;
	b.ui.batch = true;
	tl_ui_set_cgroup_path(&b.ui, tl_source_cgroup_path, src);
	b.run = (struct tl_run){ .src = src, .on_record = on_record, .ctx = &b,
				 .after_drain = drained, .on_tick = on_tick };
	err = tl_run_init(&b.run);
	if (err) {
		fprintf(stderr, "tcplens: event loop setup failed: %s\n", strerror(-err));
		goto cleanup;
	}
	if (tl_source_finite(src)) {
		err = batch_replay(&b);
		if (err)
			fprintf(stderr, "tcplens: stopped: %s\n", strerror(-err));
		ret = err ? 1 : 0;
		goto cleanup;
	}
	b.next_ns = tl_ui_mono_ns() + (uint64_t)(b.ui.interval_s * 1e9);
	tl_source_announce(src, "TCP sessions and connects for batch snapshots");
	err = tl_run_go(&b.run);
	if (err < 0 || b.error) {
		fprintf(stderr, "tcplens: stopped: %s\n", strerror(-(b.error ? b.error : err)));
		goto cleanup;
	}
	ret = 0;
cleanup:
	tl_run_fini(&b.run);
	tl_ui_fini(&b.ui);
	return ret;
}
