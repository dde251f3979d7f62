/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A recording as a source: what `tcplens record` wrote, handed to the
 * front ends as the live capture would have: records in order, the drop
 * counters as recorded, the open-socket snapshots with their cgroup paths,
 * cgroup ids resolved from the recording's own mappings.
 *
 * The filters given on the command line (-p -L -D -4 -6 -c) apply to what
 * is replayed, in user space. A drain stops after a snapshot, so that a
 * caller sees every one, and before anything later than the limit set with
 * tl_source_replay_until (the monitor's shown instant).
 */
#ifndef TCPLENS_SOURCE_REPLAY_H
#define TCPLENS_SOURCE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "source.h"

/* NULL with one line for the user in err (and errno). Warnings about
 * damaged parts go to the log (src/log.h) as they are met. */
struct tl_source *tl_source_replay_open(const struct tl_options *opt, char *err, size_t errlen);
void tl_source_replay_free(struct tl_source *s);

/* The first and last timestamps of the recording: 0 or -ENODATA. */
int tl_source_replay_span(const struct tl_source *s, uint64_t *first_ns, uint64_t *last_ns);
/* Hand out nothing later than until_ns (UINT64_MAX: no limit). */
void tl_source_replay_until(struct tl_source *s, uint64_t until_ns);
/* Go back (or forward) to the chunk holding wall_ns: what comes next is
 * from there; the drop counters and the last snapshot are forgotten. */
void tl_source_replay_seek(struct tl_source *s, uint64_t wall_ns);
/* True when the next item is later than the limit, or there is none: a
 * drain would hand out nothing now. */
bool tl_source_replay_caught_up(const struct tl_source *s);
/* The timestamp of the last item handed out (0: none yet). */
uint64_t tl_source_replay_now(const struct tl_source *s);
/* Warnings so far (damaged or truncated parts). */
unsigned long tl_source_replay_warnings(const struct tl_source *s);

#endif
