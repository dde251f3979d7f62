/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Open sockets as a front end that keeps them wants them, one snapshot per
 * call: the source's completed snapshot (owners, directions, cgroup paths;
 * live or recorded) and rates against the previous one, matched by cookie.
 * The monitor's Open panel reads it; the open mode does the same steps.
 */
#ifndef TCPLENS_OPEN_SRC_H
#define TCPLENS_OPEN_SRC_H

#include <stdbool.h>
#include <stddef.h>

#include "open_rates.h"
#include "sock.h"
#include "source.h"

struct tl_open_src {
	struct tl_snapshot snap[2];	/* the newest and the one before, in turn */
	int last;			/* index of the newest; valid with have */
	bool have, have_prev;
	const char *const *cgroups;	/* per socket of the newest: the owner's path, or NULL */
	struct tl_open_rate *rates;	/* per socket of the newest */
	size_t room;			/* entries in rates */
};

/*
 * Takes a snapshot from source (with rates when want_rates). What the
 * accessors below give stays valid until the next step or fini.
 * 0, -ENOMEM, -EOPNOTSUPP (no snapshots), or the walk's -errno.
 */
int tl_open_src_step(struct tl_open_src *src, struct tl_source *source, bool want_rates);
void tl_open_src_fini(struct tl_open_src *src);
/* The newest snapshot, or NULL before the first. */
const struct tl_snapshot *tl_open_src_snap(const struct tl_open_src *src);
/* The one before it, or NULL. */
const struct tl_snapshot *tl_open_src_prev(const struct tl_open_src *src);
/* Owner's cgroup path of socket i of the newest snapshot, NULL if unknown. */
const char *tl_open_src_cgroup(const struct tl_open_src *src, size_t i);

#endif
