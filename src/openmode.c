// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Each snapshot: a completed snapshot from the source (owners, directions,
 * cgroup paths), rates against the previous one, filter, print, flush.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "clock.h"
#include "loop.h"
#include "output.h"
#include "runloop.h"
#include "open_filter.h"
#include "open_out.h"
#include "openmode.h"

/* What open_step returns besides 0 (go on); 1 is the loop's Ctrl-C. */
#define STEP_EPIPE 2		/* the reader went away */
#define STEP_DONE 3		/* -n snapshots taken */
#define STEP_FAIL 4		/* said on stderr already */

struct openmode {
	const struct tl_options *opt;
	struct tl_source *src;
	struct tl_open_printer *pr;
	struct tl_snapshot snap[2];	/* the current one and the previous one, in turn */
	int cur;
	bool have_prev;
	struct tl_open_rate *rates;
	size_t room;			/* entries in rates */
	long taken;
	/* with -i, the shared loop and a stdout that never blocks it */
	struct tl_run run;
	struct tl_output *out;		/* NULL: stdout as it is (one snapshot, a recording) */
	uint64_t period_ns, next_ns;
};

static int open_out_ready(void *ctx);

static int open_room(struct openmode *om, size_t n)
{
	struct tl_open_rate *r;

	if (n <= om->room)
		return 0;
	r = realloc(om->rates, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	om->rates = r;
	om->room = n;
	return 0;
}

/* After a flush of the never-blocking stdout: as the line modes do. */
static int open_output(struct openmode *om, int ret)
{
	int fd = tl_output_fd(om->out);

	if (ret == -EAGAIN)
		return tl_loop_watch_out(om->run.loop, fd, true, open_out_ready, om) ? STEP_FAIL : 0;
	tl_loop_watch_out(om->run.loop, fd, false, NULL, NULL);
	if (ret == -EPIPE)
		return STEP_EPIPE;
	if (ret < 0) {
		tl_log("writing the output failed: %s", strerror(-ret));
		return STEP_FAIL;
	}
	return 0;
}

static int open_out_ready(void *ctx)
{
	struct openmode *om = ctx;

	return open_output(om, tl_output_flush(om->out));
}

/* The user's view of the stdout error: quiet for EPIPE. One snapshot and a
 * recording write as stdout takes it (a signal still ends them: the loop,
 * which holds the signals, is not running). */
static int open_flush(struct openmode *om)
{
	if (om->out) {
		fflush(tl_output_file(om->out));
		return open_output(om, tl_output_flush(om->out));
	}
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return STEP_EPIPE;
	tl_log("writing the output failed: %s", strerror(errno));
	return STEP_FAIL;
}

static int open_nomem(void)
{
	tl_log("out of memory");
	return STEP_FAIL;
}

static int open_step(struct openmode *om)
{
	struct tl_snapshot *cur = &om->snap[om->cur];
	const struct tl_snapshot *prev = om->have_prev ? &om->snap[!om->cur] : NULL;
	const char *const *cgroups;
	const struct tl_sock *s;
	const char *path;
	int n, ret;
	size_t i;

	n = tl_source_snapshot(om->src, cur, prev, &cgroups);
	if (n == -ENOMEM)
		return open_nomem();
	if (n < 0) {
		tl_log("cannot walk the open sockets: %s", strerror(-n));
		return STEP_FAIL;
	}
	if (open_room(om, cur->n) ||
	    (om->opt->interval_s > 0 && tl_open_rates(prev, cur, om->rates) < 0))
		return open_nomem();

	tl_open_printer_begin(om->pr, cur->ts_ns);
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		path = cgroups[i];
		if (!tl_open_match(om->opt, s, path))
			continue;
		tl_open_printer_sock(om->pr, s, path,
				     om->opt->interval_s > 0 ? &om->rates[i] : NULL);
	}
	tl_open_printer_end(om->pr);
	ret = open_flush(om);
	if (ret)
		return ret;

	om->cur = !om->cur;
	om->have_prev = true;
	if (++om->taken == om->opt->count)
		return STEP_DONE;
	return 0;
}

static void open_discard(void *ctx, const struct tl_record *r)
{
}

/* Session events are not this mode's: drained so the kernel never counts them lost. */
/* Every drain period, after the loop's drain: a snapshot when one is due. */
static int open_on_tick(void *ctx)
{
	struct openmode *om = ctx;
	uint64_t now = tl_clock_mono_ns();

	if (now < om->next_ns)
		return 0;
	om->next_ns += om->period_ns;
	if (om->next_ns <= now)		/* fell behind: no burst of snapshots */
		om->next_ns = now + om->period_ns;
	return open_step(om);
}

/*
 * A recording: every snapshot it holds, in order, as fast as it reads,
 * with rates between consecutive ones when -i asks for rates.
 */
static int open_replay(struct openmode *om)
{
	uint64_t shown = 0, ts;
	int n, ret;

	while (!tl_source_ended(om->src)) {
		n = tl_source_drain(om->src, open_discard, NULL, TL_SOURCE_BATCH);
		if (n < 0) {
			tl_log("reading the recording failed: %s", strerror(-n));
			return STEP_FAIL;
		}
		ts = tl_source_snapshot_ts(om->src);
		if (!ts || ts == shown)
			continue;
		shown = ts;
		ret = open_step(om);
		if (ret)
			return ret;
	}
	return 0;
}

int tl_open_run(const struct tl_options *opt, struct tl_source *src)
{
	struct openmode om;
	FILE *fp = stdout;
	int ret, status = 1;

	memset(&om, 0, sizeof(om));
	om.opt = opt;
	om.src = src;
	/* a closed pipe should end us with EPIPE from fflush, not kill us mid-line */
	signal(SIGPIPE, SIG_IGN);
	if (opt->interval_s > 0 && !tl_source_finite(src)) {
		/* session events are not this mode's: drained so the kernel never counts them lost */
		om.run = (struct tl_run){ .src = src, .on_record = open_discard, .ctx = &om,
					  .on_tick = open_on_tick };
		om.out = tl_output_new(STDOUT_FILENO, TL_OUTPUT_BUF);
		ret = om.out ? tl_run_init(&om.run) : -ENOMEM;
		if (ret) {
			tl_log("cannot set up the event loop: %s", strerror(-ret));
			goto cleanup;
		}
		fp = tl_output_file(om.out);
		om.period_ns = (uint64_t)(opt->interval_s * 1e9 + 0.5);
		om.next_ns = tl_clock_mono_ns() + om.period_ns;
	}
	om.pr = tl_open_printer_new(opt, fp, tl_source_cgroup_path, src);
	if (!om.pr) {
		tl_log("out of memory");
		goto cleanup;
	}
	if (tl_source_finite(src)) {
		ret = open_replay(&om);
		status = ret == 0 || ret == STEP_EPIPE || ret == STEP_DONE ? 0 : 1;
		goto cleanup;
	}
	tl_source_announce(src, "open TCP sockets");

	ret = open_step(&om);
	if (ret == 0 && om.out)
		ret = tl_run_go(&om.run);
	if (om.out && ret != STEP_EPIPE && ret != STEP_FAIL) {
		/* a stalled reader gets a last chance, but never holds up the exit */
		int r = tl_output_drain(om.out, 500);

		if (r < 0 && r != -EAGAIN && r != -EPIPE) {
			tl_log("writing the output failed: %s", strerror(-r));
			ret = STEP_FAIL;
		}
		if (tl_output_dropped(om.out))
			tl_log("%llu output lines dropped (stdout too slow)",
			       (unsigned long long)tl_output_dropped(om.out));
	}
	/* the last snapshot, Ctrl-C, or a reader gone away: all normal ends */
	if (ret == 0 || ret == TL_RUN_QUIT || ret == STEP_EPIPE || ret == STEP_DONE)
		status = 0;
	else if (ret < 0)
		tl_log("the event loop failed: %s", strerror(-ret));
cleanup:
	tl_run_fini(&om.run);
	tl_open_printer_free(om.pr);
	tl_output_free(om.out);
	tl_snapshot_free(&om.snap[0]);
	tl_snapshot_free(&om.snap[1]);
	free(om.rates);
	return status;
}
