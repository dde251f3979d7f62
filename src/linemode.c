// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "linemode.h"
#include "log.h"
#include "loop.h"
#include "printer.h"

#define DROP_CHECK_TICKS 20	/* warn about new drops about once a second */
#define LINEMODE_BATCH 4096	/* records per drain of a finite source: signals stay prompt */


struct linemode {
	struct tl_source *src;
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

/*
 * One flush per drained batch rather than per line: pipes still see events
 * within a drain period, at a fraction of the write calls under load.
 */
static int linemode_drain(struct linemode *lm)
{
	int n = tl_source_drain(lm->src, linemode_on_record, lm, LINEMODE_BATCH);

	if (n < 0 && n != -EINTR) {
		tl_log("reading the ring buffer failed: %s", strerror(-n));
		return -1;
	}
	if (n > 0 && fflush(stdout) == EOF)
		return errno == EPIPE ? 2 : -1;
	return 0;
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
	fprintf(stderr, "tcplens: %llu sessions, %llu connects; %s\n", (unsigned long long)t->sessions,
		(unsigned long long)t->connects, drops_text(&t->drops).s);
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

static int linemode_on_fd(void *ctx)
{
	struct linemode *lm = ctx;
	int ret = linemode_drain(lm);

	/* a recording read to its end: as if interrupted, the totals follow */
	if (!ret && tl_source_ended(lm->src))
		return 1;
	return ret;
}

static int linemode_on_timer(void *ctx)
{
	struct linemode *lm = ctx;

	if (++lm->ticks % DROP_CHECK_TICKS == 0)
		linemode_check_drops(lm);
	return linemode_drain(lm);
}

static int linemode_on_quit(void *ctx)
{
	return 1;
}

int tl_linemode_run(const struct tl_options *opt, struct tl_source *src)
{
	struct linemode lm = { .src = src };
	struct tl_loop *loop = NULL;
	int ret, status = 1;

	lm.printer = tl_printer_new(opt, stdout);
	if (lm.printer)
		tl_printer_set_cgroup_path(lm.printer, tl_source_cgroup_path, src);
	loop = tl_loop_new();
	if (!lm.printer || !loop) {
		tl_log("out of memory");
		goto cleanup;
	}
	if (tl_loop_set_signals(loop, linemode_on_quit, NULL, &lm) ||
	    tl_loop_add_fd(loop, tl_source_fd(src), linemode_on_fd, &lm) ||
	    tl_loop_set_timer(loop, TL_SOURCE_DRAIN_NS, linemode_on_timer, &lm)) {
		tl_log("cannot set up the event loop: %s", strerror(errno));
		goto cleanup;
	}
	tl_printer_header(lm.printer);
	fflush(stdout);
	tl_source_announce(src, "TCP sessions and connects");

	ret = tl_loop_run(loop);
	if (ret == 2) {		/* the reader went away: nothing more to say */
		status = 0;
		goto cleanup;
	}
	/* drain what the kernel still holds, then the totals */
	while ((ret = tl_source_drain(src, linemode_on_record, &lm, 0)) > 0)
		;
	tl_source_drops(src, &lm.totals.drops);
	tl_printer_totals(lm.printer, &lm.totals);
	fflush(stdout);
	linemode_report(&lm.totals);
	status = 0;
cleanup:
	tl_loop_free(loop);
	tl_printer_free(lm.printer);
	return status;
}
