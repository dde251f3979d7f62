// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linemode.h"
#include "log.h"
#include "loop.h"
#include "runloop.h"
#include "output.h"
#include "printer.h"

#define DROP_CHECK_TICKS 20	/* warn about new drops about once a second */
#define LINEMODE_EXIT_WAIT_MS 500	/* for a slow reader at exit: a signal ends us within 1 s */


struct linemode {
	struct tl_source *src;
	struct tl_run run;		/* the shared loop over the source */
	struct tl_loop *loop;		/* run.loop: for the slow-stdout watch */
	struct tl_output *out;
	struct tl_printer *printer;
	struct tl_totals totals;
	unsigned int ticks;
	uint64_t drops_warned;
};

static void linemode_on_record(void *ctx, const struct tl_record *r)
{
	struct linemode *lm = ctx;

	if (r->kind == TL_REC_SESSION)
		lm->totals.sessions++;
	else
		lm->totals.connects++;
	tl_printer_record(lm->printer, r);
}

/* What ends the loop besides a signal (1). */
#define LM_EPIPE 2		/* the reader went away: end quietly */
#define LM_FAIL 3		/* said on stderr already: exit status 1 */

static int linemode_out_ready(void *ctx);

/*
 * The output's state after a flush: a slow reader has the loop wait for
 * the fd; a reader gone ends us quietly (`| head -1`); any other write
 * error ends us with one line and status 1.
 */
static int linemode_output(struct linemode *lm, int ret)
{
	int fd = tl_output_fd(lm->out);

	if (ret == -EAGAIN)
		return tl_loop_watch_out(lm->loop, fd, true, linemode_out_ready, lm) ? LM_FAIL : 0;
	tl_loop_watch_out(lm->loop, fd, false, NULL, NULL);
	if (ret == -EPIPE)
		return LM_EPIPE;
	if (ret < 0) {
		tl_log("writing the output failed: %s", strerror(-ret));
		return LM_FAIL;
	}
	return 0;
}

static int linemode_out_ready(void *ctx)
{
	struct linemode *lm = ctx;

	return linemode_output(lm, tl_output_flush(lm->out));
}

/*
 * After each drain: one flush per drained batch rather than per line: pipes
 * still see events within a drain period, at a fraction of the write calls
 * under load.
 */
static int linemode_drained(void *ctx, int n)
{
	struct linemode *lm = ctx;

	if (n <= 0 && !tl_output_pending(lm->out))
		return 0;
	fflush(tl_output_file(lm->out));
	return linemode_output(lm, tl_output_flush(lm->out));
}

struct drops_text {
	char s[480];
};

/* Every cause by kind, in events; the worst cases and the state changes apart. */
static struct drops_text drops_text(const struct tl_drops *d)
{
	struct drops_text t;

	snprintf(t.s, sizeof(t.s),
		 "dropped %llu events (ring buffer full: %llu sessions, %llu connects; socket storage "
		 "full: %llu sessions, %llu connects, and up to %llu more sessions and %llu more "
		 "connects); %llu state changes missed (up to 2 events each)",
		 (unsigned long long)tl_drops_total(d), (unsigned long long)d->ringbuf_sessions,
		 (unsigned long long)d->ringbuf_connects, (unsigned long long)d->map_sessions,
		 (unsigned long long)d->map_connects, (unsigned long long)d->map_sessions_max,
		 (unsigned long long)d->map_connects_max, (unsigned long long)d->missed);
	return t;
}

static void linemode_report(const struct tl_totals *t)
{
	fprintf(stderr, "tcplens: %llu sessions, %llu connects; %s; %llu output lines dropped "
		"(stdout too slow)\n", (unsigned long long)t->sessions,
		(unsigned long long)t->connects, drops_text(&t->drops).s,
		(unsigned long long)t->dropped_output);
}

static void linemode_check_drops(struct linemode *lm)
{
	struct tl_drops d;

	tl_source_drops(lm->src, &d);
	if (tl_drops_total(&d) + d.missed + d.map_sessions_max + d.map_connects_max > lm->drops_warned) {
		tl_log("warning: %s", drops_text(&d).s);
		lm->drops_warned = tl_drops_total(&d) + d.missed + d.map_sessions_max + d.map_connects_max;
	}
}

static int linemode_on_tick(void *ctx)
{
	struct linemode *lm = ctx;

	if (++lm->ticks % DROP_CHECK_TICKS == 0)
		linemode_check_drops(lm);
	return 0;
}

int tl_linemode_run(const struct tl_options *opt, struct tl_source *src)
{
	struct linemode lm = { .src = src };
	int ret, status = 1;
	FILE *fp;

	lm.out = tl_output_new(STDOUT_FILENO, TL_OUTPUT_BUF);
	if (!lm.out) {
		tl_log("out of memory");
		return 1;
	}
	fp = tl_output_file(lm.out);
	lm.printer = tl_printer_new(opt, fp);
	if (lm.printer)
		tl_printer_set_cgroup_path(lm.printer, tl_source_cgroup_path, src);
	if (!lm.printer) {
		tl_log("out of memory");
		goto cleanup;
	}
	lm.run = (struct tl_run){ .src = src, .on_record = linemode_on_record, .ctx = &lm,
				  .after_drain = linemode_drained, .on_tick = linemode_on_tick,
				  /* a recording read to its end: as if interrupted, the totals follow */
				  .end_stops = true };
	ret = tl_run_init(&lm.run);
	lm.loop = lm.run.loop;
	if (ret) {
		tl_log("cannot set up the event loop: %s", strerror(-ret));
		goto cleanup;
	}
	tl_printer_header(lm.printer);
	fflush(fp);
	tl_source_announce(src, "TCP sessions and connects");

	ret = tl_run_go(&lm.run);
	if (ret == LM_EPIPE) {	/* the reader went away: nothing more to say */
		status = 0;
		goto cleanup;
	}
	if (ret < 0 && ret != -EINTR)
		tl_log("reading the events failed: %s", strerror(-ret));
	if (ret == LM_FAIL || ret < 0)
		goto cleanup;
	/* drain what the kernel still holds, then the totals */
	ret = tl_run_drain_all(&lm.run);
	tl_source_drops(src, &lm.totals.drops);
	lm.totals.dropped_output = tl_output_dropped(lm.out);
	tl_printer_totals(lm.printer, &lm.totals);
	/* a stalled reader gets a last chance, but never holds up the exit */
	ret = tl_output_drain(lm.out, LINEMODE_EXIT_WAIT_MS);
	lm.totals.dropped_output = tl_output_dropped(lm.out);
	if (ret == -EPIPE) {
		status = 0;
		goto cleanup;
	}
	if (ret < 0 && ret != -EAGAIN) {
		tl_log("writing the output failed: %s", strerror(-ret));
		goto cleanup;
	}
	linemode_report(&lm.totals);
	status = 0;
cleanup:
	tl_run_fini(&lm.run);
	tl_printer_free(lm.printer);
	tl_output_free(lm.out);
	return status;
}
