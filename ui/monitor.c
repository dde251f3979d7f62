/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The full-screen monitor: one event loop drains the capture into the model
 * at every wake-up and every TL_SOURCE_DRAIN_NS, redraws every interval,
 * and handles keys as they come. Pausing stops the view, not the draining.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "runloop.h"
#include "open_feed.h"
#include "replay.h"
#include "metrics/server.h"
#include "state.h"
#include "term.h"
#include "ui.h"

struct monitor {
	struct tl_ui ui;
	struct tl_source *src;
	struct tl_run run;		/* the shared loop over the source */
	struct tl_canvas *canvas;
	struct tl_open_feed open;	/* the Open panel's snapshots */
	struct tl_metrics_server *metrics;	/* --listen; NULL without */
	struct tl_replay replay;	/* -r: the instant shown */
	bool replaying;
	uint64_t fed_snap_ns;		/* replaying: the recorded snapshot the Open panel has */
	uint64_t next_refresh_ns;	/* monotonic, real time even when replaying */
	int error;			/* -errno that ended the loop */
};

static void on_record(void *ctx, const struct tl_record *r)
{
	struct monitor *mon = ctx;

	tl_model_add(mon->ui.m, r);
	tl_metrics_feed_record(mon->metrics, r);
}

/* After each drain of the shared loop: the drop counters as they are now. */
static int drained(void *ctx, int n)
{
	struct monitor *mon = ctx;
	struct tl_drops drops;

	tl_source_drops(mon->src, &drops);
	tl_model_set_drops(mon->ui.m, &drops);
	return 0;
}

static void draw(struct monitor *mon)
{
	int w, h;

	/* stopped and continued in the background (SIGSTOP, SIGCONT): a job
	 * that is not in the foreground does not draw over the shell's */
	if (tcgetpgrp(STDOUT_FILENO) != getpgrp() && isatty(STDOUT_FILENO))
		return;
	tl_term_size(&w, &h);
	if ((w != mon->canvas->w || h != mon->canvas->h) && tl_canvas_resize(mon->canvas, w, h))
		return;
	tl_screen_compose(&mon->ui, mon->canvas);
	tl_term_blit(mon->canvas);
}

/* The cost of watching, over the interval since the last refresh. */
static void sample_cost(struct monitor *mon)
{
	const struct tl_model_totals *t = tl_model_totals(mon->ui.m);
	uint64_t run_ns = 0, run_cnt;
	bool bpf = mon->ui.cost.bpf_on && !tl_source_bpf_stats(mon->src, &run_ns, &run_cnt);

	tl_cost_sample(&mon->ui.cost, tl_ui_mono_ns(), tl_cost_self_cpu_ns(),
		       t->sessions + t->connects, bpf ? &run_ns : NULL);
}

/* Takes or lets go of the kernel's BPF run-time statistics. */
static void set_bpf_stats(struct monitor *mon, bool on)
{
	int err = tl_source_bpf_stats_enable(mon->src, on);

	if (err) {
		tl_ui_message(&mon->ui, true, "BPF statistics not available: %s", strerror(-err));
		on = false;
	} else if (on) {
		tl_ui_message(&mon->ui, false, "BPF statistics on (B: off)");
	} else {
		tl_ui_message(&mon->ui, false, "BPF statistics off");
	}
	tl_cost_set_bpf(&mon->ui.cost, on);
	sample_cost(mon);	/* the base for the next interval */
}

/* The real clock: refreshes are paced by it, also while replaying. */
static uint64_t real_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The Open panel's snapshot: a walk, or the one recorded at the instant shown. */
static void feed_open(struct monitor *mon)
{
	uint64_t ts;

	if (mon->replaying) {
		ts = tl_source_snapshot_ts(mon->src);
		if (!ts || ts == mon->fed_snap_ns)
			return;
		mon->fed_snap_ns = ts;
	}
	tl_open_feed_step(&mon->open, &mon->ui, mon->src);
}

static void refresh_view(struct monitor *mon)
{
	struct tl_ui *ui = &mon->ui;

	if (!mon->replaying) {
		tl_ui_update_rates(ui);
		sample_cost(mon);
	}
	/* paused: no snapshot, so the Open panel holds still; the next one
	 * after resume measures rates over the whole pause */
	if (!ui->paused)
		feed_open(mon);
	/* a paused view is renewed only when rows on screen are overwritten:
	 * tl_screen_compose sees to that */
	tl_ui_update_views(ui, false);
	draw(mon);
}

/* Every drain period, after the loop's drain: a refresh when one is due. */
static int on_tick(void *ctx)
{
	struct monitor *mon = ctx;
	uint64_t now, ival;

	now = real_mono_ns();
	if (now < mon->next_refresh_ns)
		return 0;
	ival = (uint64_t)(mon->ui.interval_s * 1e9);
	mon->next_refresh_ns += ival;
	if (mon->next_refresh_ns <= now)	/* fell behind: do not catch up in a burst */
		mon->next_refresh_ns = now + ival;
	refresh_view(mon);
	return 0;
}

/*
 * The terminal hung up (the ssh connection went away while SIGHUP was
 * ignored, under nohup): its fd polls readable for ever with nothing to
 * read, which would spin the loop. POLLHUP or an error means quit.
 */
static bool terminal_gone(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* A time key while replaying: the model and the Open panel at the new instant. */
static int replay_step(struct monitor *mon)
{
	int err = tl_replay_apply(&mon->replay, &mon->ui);

	if (err)
		tl_ui_message(&mon->ui, true, "reading the recording failed: %s", strerror(-err));
	mon->fed_snap_ns = 0;	/* a jump back made a new Open view */
	feed_open(mon);
	tl_ui_update_rates(&mon->ui);
	return TL_ACT_REBUILD;
}

static int on_input(void *ctx)
{
	struct monitor *mon = ctx;
	int key, mx = -1, my = -1, act = 0;
	bool fn;

	if (terminal_gone())
		return 1;	/* a hung-up terminal: quit, as for SIGHUP */
	while (tl_term_key(&key, &fn, &mx, &my)) {
		if (fn && key == KEY_RESIZE) {
			act |= TL_ACT_DRAW;
			continue;
		}
		if (fn && key == KEY_MOUSE) {
			if (mx >= 0)
				act |= tl_keys_click(&mon->ui, mx, my);
			continue;
		}
		act |= tl_keys_handle(&mon->ui, key, fn);
		if (act & TL_ACT_QUIT)
			return 1;
		/* each time key moves the instant: T T T is three intervals */
		if ((act & TL_ACT_TIME) && mon->replaying) {
			act &= ~TL_ACT_TIME;
			act |= replay_step(mon);
		}
	}
	if (act & TL_ACT_BPF_STATS)
		set_bpf_stats(mon, !mon->ui.cost.bpf_on);

	if (act & TL_ACT_INTERVAL)
		mon->next_refresh_ns = real_mono_ns() + (uint64_t)(mon->ui.interval_s * 1e9);
	if (act & TL_ACT_REBUILD)
		tl_ui_update_views(&mon->ui, true);
	if (act)
		draw(mon);
	return 0;
}

static int on_quit(void *ctx)
{
	return 1;
}

static int on_winch(void *ctx)
{
	tl_term_resize();
	draw(ctx);
	return 0;
}

static bool locale_is_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

int tl_monitor_run(const struct tl_options *opt, struct tl_source *src, struct tl_model *m)
{
	struct monitor mon = { .src = src };
	struct tl_loop *loop = NULL;	/* mon.run.loop */
	bool color = false, term_on = false;
	int err, ret = 1;

	setlocale(LC_ALL, "");
	/* characters as the user's locale says, numbers as everywhere: "2057.9/s" */
	setlocale(LC_NUMERIC, "C");
	err = tl_ui_init(&mon.ui, opt, m);
	if (err) {
		fprintf(stderr, "tcplens: %s\n", err == -EINVAL ? mon.ui.msg : strerror(-err));
		return 2;
	}
	tl_ui_set_cgroup_path(&mon.ui, tl_source_cgroup_path, src);
	mon.ui.utf8 = locale_is_utf8();
	mon.canvas = tl_canvas_new(80, 24, mon.ui.utf8);
	mon.run = (struct tl_run){ .src = src, .on_record = on_record, .ctx = &mon,
				   .after_drain = drained, .on_tick = on_tick, .on_quit = on_quit,
				   .on_winch = on_winch };
	err = mon.canvas ? tl_run_init(&mon.run) : -ENOMEM;
	loop = mon.run.loop;
	if (err) {
		fprintf(stderr, "tcplens: %s\n", strerror(-err));
		goto cleanup;
	}
	if (opt->listen.set) {
		char merr[256];

		mon.metrics = tl_metrics_server_attach(loop, opt, src, merr, sizeof(merr));
		if (!mon.metrics) {
			fprintf(stderr, "tcplens: %s\n", merr);
			ret = 2;
			goto cleanup;
		}
	}
	err = tl_term_open(!opt->no_color, &color);
	if (err) {
		fprintf(stderr, "tcplens: the monitor needs a terminal; use -b for text snapshots "
			"or a line mode (life, connlat, json)\n");
		ret = 2;
		goto cleanup;
	}
	term_on = true;
	mon.ui.color = color;
	/* the ready line, unless it would land on the terminal the screen took over */
	if (!isatty(STDERR_FILENO))
		tl_source_announce(src, "TCP sessions and connects for the monitor");
	err = tl_loop_add_fd(loop, STDIN_FILENO, on_input, &mon);
	if (err) {
		tl_log("event loop setup failed: %s", strerror(-err));
		goto cleanup;
	}
	mon.next_refresh_ns = real_mono_ns() + (uint64_t)(mon.ui.interval_s * 1e9);
	if (tl_source_finite(src)) {
		mon.replaying = true;
		mon.replay = (struct tl_replay){ .src = src, .on_record = on_record, .ctx = &mon };
		err = tl_replay_start(&mon.replay, &mon.ui);
		if (err == -ENODATA)
			tl_ui_message(&mon.ui, true, "the recording holds nothing");
		else if (err)
			tl_ui_message(&mon.ui, true, "reading the recording failed: %s", strerror(-err));
		tl_ui_update_rates(&mon.ui);
	} else {
		if (tl_run_drain(&mon.run) < 0)
			tl_log("reading the events failed");
		sample_cost(&mon);
	}
	if (opt->bpf_stats)
		set_bpf_stats(&mon, true);
	feed_open(&mon);
	tl_ui_update_views(&mon.ui, true);
	draw(&mon);
	err = tl_run_go(&mon.run);
	if (err < 0 || mon.error) {
		tl_log("tcplens: stopped: %s", strerror(-(mon.error ? mon.error : err)));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (term_on)
		tl_term_close();	/* flushes the log to stderr */
	tl_metrics_server_free(mon.metrics);
	tl_run_fini(&mon.run);
	tl_canvas_free(mon.canvas);
	tl_open_feed_fini(&mon.open);
	tl_ui_fini(&mon.ui);
	return ret;
}
