/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Open sockets as the front ends want them, one snapshot per call: the
 * walk (iter/tcp), owners and directions found at start (the adoption
 * table) or in /proc, the SYN byte, and rates against the previous walk
 * matched by cookie. Shared by the `open` mode and the monitor's Open panel,
 * so that both show the same owner and the same rate for the same socket.
 */
#ifndef TCPLENS_OPEN_SRC_H
#define TCPLENS_OPEN_SRC_H

#include <stdbool.h>
#include <stddef.h>

#include "capture.h"
#include "open_rates.h"
#include "procfd.h"
#include "sock.h"

struct tl_open_src {
	struct tl_snapshot snap[2];	/* the newest and the one before, in turn */
	int last;			/* index of the newest; valid with have */
	bool have, have_prev;
	const char **cgroups;		/* per socket of the newest: owner's path from adoption */
	struct tl_open_rate *rates;	/* per socket of the newest */
	size_t room;			/* entries in cgroups and rates */
	struct tl_procfd *pf;		/* what cgroups point into: kept until the next step */
	bool warned_procfd;
};

/*
 * Takes and completes a snapshot (with rates when want_rates). What the
 * accessors below give stays valid until the next step or fini.
 * 0, -ENOMEM, or the walk's -errno (logged).
 */
int tl_open_src_step(struct tl_open_src *src, struct tl_capture *cap, bool want_rates);
void tl_open_src_fini(struct tl_open_src *src);
/* The newest completed snapshot, or NULL before the first. */
const struct tl_snapshot *tl_open_src_snap(const struct tl_open_src *src);
/* The one before it, or NULL. */
const struct tl_snapshot *tl_open_src_prev(const struct tl_open_src *src);
/* Owner's cgroup path of socket i of the newest snapshot, NULL if unknown:
 * by its cgroup id, else as found with its owner at start or in /proc. */
const char *tl_open_src_cgroup(const struct tl_open_src *src, struct tl_capture *cap, size_t i);

#endif
