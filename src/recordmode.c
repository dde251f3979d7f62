// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder: the tee does the recording; this only keeps it drained
 * (the ring buffer's wake-ups, and a timer for the snapshots and chunks)
 * and says at the end what was written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "recordmode.h"
#include "source_tee.h"

static void record_discard(void *ctx, const struct tl_record *r)
{
	(void)ctx;
	(void)r;
}

static int record_drain(void *ctx)
{
	int n = tl_source_drain(ctx, record_discard, NULL, 0);

	if (n < 0 && n != -EINTR) {
		tl_log("reading the events failed: %s", strerror(-n));
		return -1;
	}
	return 0;
}

static int record_quit(void *ctx)
{
	return 1;
}

static void record_report(const struct tl_options *opt, struct tl_source *tee)
{
	const struct tl_rec_writer_stats *st = tl_source_tee_stats(tee);
	uint64_t sessions, connects, snaps, events;
	struct tl_drops d;

	tl_source_tee_counts(tee, &sessions, &connects, &snaps);
	tl_source_drops(tee, &d);
	events = sessions + connects;
	fprintf(stderr, "tcplens: recorded %llu sessions, %llu connects and %llu snapshots into %s: "
		"%llu bytes in %llu chunks (%.1f bytes per event), %llu files created, %llu deleted; "
		"%llu chunks lost to write errors; %llu events dropped in the kernel\n",
		(unsigned long long)sessions, (unsigned long long)connects, (unsigned long long)snaps,
		opt->record_path, (unsigned long long)st->bytes, (unsigned long long)st->chunks,
		events ? (double)st->bytes / (double)events : 0.0,
		(unsigned long long)st->files_created, (unsigned long long)st->files_deleted,
		(unsigned long long)st->lost_chunks, (unsigned long long)tl_drops_total(&d));
}

int tl_record_run(const struct tl_options *opt, struct tl_source *tee)
{
	struct tl_loop *loop = tl_loop_new();
	char what[4200];
	int ret, status = 1;

	if (!loop) {
		tl_log("out of memory");
		return 1;
	}
	ret = tl_loop_set_signals(loop, record_quit, NULL, tee);
	if (!ret)
		ret = tl_loop_add_fd(loop, tl_source_fd(tee), record_drain, tee);
	/* the tee takes its snapshots and writes its chunks when drained */
	if (!ret)
		ret = tl_loop_set_timer(loop, TL_SOURCE_DRAIN_NS, record_drain, tee);
	if (ret) {
		tl_log("cannot set up the event loop: %s", strerror(-ret));
		goto cleanup;
	}
	/* the first snapshot before the ready line: a test may kill us right after */
	if (record_drain(tee))
		goto cleanup;
	snprintf(what, sizeof(what), "TCP sessions, connects and open sockets into %s",
		 opt->record_path);
	tl_source_announce(tee, what);
	ret = tl_loop_run(loop);
	if (ret < 0) {
		tl_log("the event loop failed: %s", strerror(-ret));
		goto cleanup;
	}
	while ((ret = tl_source_drain(tee, record_discard, NULL, 0)) > 0)
		;
	ret = tl_source_tee_close(tee);
	if (ret)
		tl_log("recording: the last chunk could not be written: %s", strerror(-ret));
	record_report(opt, tee);
	status = ret ? 1 : 0;
cleanup:
	tl_loop_free(loop);
	return status;
}
