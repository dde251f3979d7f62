// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder: the tee does the recording; the shared loop keeps it
 * drained (the ring buffer's wake-ups, and its timer for the snapshots and
 * chunks); this says at the end what was written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "runloop.h"
#include "recordmode.h"
#include "source_tee.h"

static void record_discard(void *ctx, const struct tl_record *r)
{
	(void)ctx;
	(void)r;
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
	/* the tee takes its snapshots and writes its chunks when drained */
	struct tl_run run = { .src = tee, .on_record = record_discard };
	char what[4200];
	int ret, status = 1;

	ret = tl_run_init(&run);
	if (ret) {
		tl_log("cannot set up the event loop: %s", strerror(-ret));
		goto cleanup;
	}
	/* the first snapshot before the ready line: a test may kill us right after */
	ret = tl_run_drain(&run);
	if (ret < 0) {
		tl_log("reading the events failed: %s", strerror(-ret));
		goto cleanup;
	}
	snprintf(what, sizeof(what), "TCP sessions, connects and open sockets into %s",
		 opt->record_path);
	tl_source_announce(tee, what);
	ret = tl_run_go(&run);
	if (ret < 0) {
		tl_log("the event loop failed: %s", strerror(-ret));
		goto cleanup;
	}
	tl_run_drain_all(&run);
	ret = tl_source_tee_close(tee);
	if (ret)
		tl_log("recording: the last chunk could not be written: %s", strerror(-ret));
	record_report(opt, tee);
	status = ret ? 1 : 0;
cleanup:
	tl_run_fini(&run);
	return status;
}
