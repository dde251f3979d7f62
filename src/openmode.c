// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Each snapshot: walk and complete it (src/open_src.c: owners, directions,
 * the SYN byte, rates against the previous snapshot), filter, print, flush.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "open_filter.h"
#include "open_out.h"
#include "open_src.h"
#include "openmode.h"

/* What open_step returns besides 0 (go on); 1 is the loop's Ctrl-C. */
#define STEP_EPIPE 2		/* the reader went away */
#define STEP_DONE 3		/* -n snapshots taken */
#define STEP_FAIL 4		/* said on stderr already */

struct openmode {
	const struct tl_options *opt;
	struct tl_capture *cap;
	struct tl_open_printer *pr;
	struct tl_open_src src;
	long taken;
};

/* The user's view of the stdout error: quiet for EPIPE. */
static int open_flush(void)
{
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return STEP_EPIPE;
	tl_log("writing the output failed: %s", strerror(errno));
	return STEP_FAIL;
}

static int open_step(struct openmode *om)
{
	bool rates = om->opt->interval_s > 0;
	const struct tl_snapshot *cur;
	const struct tl_sock *s;
	int err, ret;
	size_t i;

	err = tl_open_src_step(&om->src, om->cap, rates);
	if (err) {
		if (err == -ENOMEM)
			tl_log("out of memory");
		return STEP_FAIL;	/* a failed walk is logged by the step */
	}
	cur = tl_open_src_snap(&om->src);
	tl_open_printer_begin(om->pr, cur->ts_ns);
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		if (!tl_open_match(om->opt, s, tl_open_src_cgroup(&om->src, om->cap, i)))
			continue;
		tl_open_printer_sock(om->pr, s, om->src.cgroups[i], rates ? &om->src.rates[i] : NULL);
	}
	tl_open_printer_end(om->pr);
	ret = open_flush();
	if (!ret && ++om->taken == om->opt->count)
		ret = STEP_DONE;
	return ret;
}

static void open_discard(void *ctx, const struct tl_record *r)
{
}

/* Session events are not this mode's: drained so the kernel never counts them lost. */
static int open_on_fd(void *ctx)
{
	struct openmode *om = ctx;

	tl_capture_drain(om->cap, open_discard, NULL);
	return 0;
}

static int open_on_timer(void *ctx)
{
	struct openmode *om = ctx;

	open_on_fd(om);
	return open_step(om);
}

static int open_on_quit(void *ctx)
{
	return 1;
}

int tl_open_run(const struct tl_options *opt, struct tl_capture *cap)
{
	struct openmode om;
	struct tl_loop *loop = NULL;
	uint64_t period_ns;
	int ret, status = 1;

	memset(&om, 0, sizeof(om));
	om.opt = opt;
	om.cap = cap;
	/* a closed pipe should end us with EPIPE from fflush, not kill us mid-line */
	signal(SIGPIPE, SIG_IGN);
	om.pr = tl_open_printer_new(opt, stdout, tl_capture_cgroup_path, cap);
	if (!om.pr) {
		tl_log("out of memory");
		goto cleanup;
	}
	if (opt->interval_s > 0) {
		period_ns = (uint64_t)(opt->interval_s * 1e9 + 0.5);
		loop = tl_loop_new();
		if (!loop) {
			tl_log("cannot set up the event loop: %s", strerror(errno));
			goto cleanup;
		}
		ret = tl_loop_set_signals(loop, open_on_quit, NULL, &om);
		if (!ret)
			ret = tl_loop_add_fd(loop, tl_capture_fd(cap), open_on_fd, &om);
		if (!ret)
			ret = tl_loop_set_timer(loop, period_ns, open_on_timer, &om);
		if (ret) {
			tl_log("cannot set up the event loop: %s", strerror(-ret));
			goto cleanup;
		}
	}
	tl_capture_announce(cap, "open TCP sockets");

	ret = open_step(&om);
	if (ret == 0 && loop)
		ret = tl_loop_run(loop);
	/* the last snapshot, Ctrl-C, or a reader gone away: all normal ends */
	if (ret == 0 || ret == 1 || ret == STEP_EPIPE || ret == STEP_DONE)
		status = 0;
	else if (ret < 0)
		tl_log("the event loop failed: %s", strerror(-ret));
cleanup:
	tl_loop_free(loop);
	tl_open_printer_free(om.pr);
	tl_open_src_fini(&om.src);
	return status;
}
