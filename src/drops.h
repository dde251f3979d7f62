/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Events lost in the kernel, by cause and kind. Shown by every front end.
 * Every field counts events, except where its comment says otherwise: a
 * cause that cannot know how many events it cost has its own worst-case
 * counter, never added into an exact one.
 */
#ifndef TCPLENS_DROPS_H
#define TCPLENS_DROPS_H

#include <stdint.h>

struct tl_drops {
	uint64_t ringbuf;		/* events not written: ring buffer full (both kinds) */
	uint64_t map;			/* events lost to untracked sockets: socket storage or
					 * map full (both kinds, exact part) */
	uint64_t missed;		/* STATE CHANGES (not events) the kernel skipped and the
					 * standby did not handle; each costs at most 2 events */
	/* the same by kind */
	uint64_t ringbuf_sessions;
	uint64_t ringbuf_connects;
	uint64_t map_sessions;		/* passive sockets untracked (each had its session lost) */
	uint64_t map_connects;		/* active sockets untracked (each had its connect lost) */
	uint64_t map_sessions_max;	/* worst case on top of map_sessions: untracked sockets
					 * whose session, if it was made, was lost too */
	uint64_t map_connects_max;	/* worst case on top of map_connects: untracked active
					 * sockets a local-port filter might have rejected */
};

/* Events known to be lost: exact, without the worst-case counters. */
static inline uint64_t tl_drops_total(const struct tl_drops *d)
{
	return d->ringbuf + d->map;
}

#endif
