// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "adopt.h"
#include "clock.h"
#include "owners.h"

struct tl_owners {
	struct tl_procfd *pf;
	struct tl_procfd *(*scan)(void);
	uint64_t scanned_ns;
	uint64_t rescan_ns;		/* the least time between scans */
	uint64_t last_cost_ns;		/* how long the last scan took */
	bool scanned;		/* pf is a scan (possibly a failed one: NULL) */
	unsigned long scans, errors;
};

struct tl_owners *tl_owners_new(struct tl_procfd *pf, uint64_t scanned_ns,
				uint64_t rescan_ns, struct tl_procfd *(*scan)(void))
{
	struct tl_owners *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->pf = pf;
	o->scan = scan;
	o->scanned_ns = scanned_ns;
	o->rescan_ns = rescan_ns;
	o->scanned = pf != NULL;
	return o;
}

void tl_owners_free(struct tl_owners *o)
{
	if (!o)
		return;
	tl_procfd_free(o->pf);
	free(o);
}

/* A socket whose owner only /proc can tell, and the kept scan does not. */
static bool owners_missing(const struct tl_owners *o, const struct tl_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++) {
		const struct tl_sock *s = &snap->socks[i];

		if (!s->owner_known && s->inode && (!o->pf || !tl_procfd_find(o->pf, s->inode)))
			return true;
	}
	return false;
}

int tl_owners_complete(struct tl_owners *o, struct tl_snapshot *snap, const char **cgroups,
		       uint64_t now_ns)
{
	struct tl_procfd *pf;

	/*
	 * At most one scan per rescan period, and never more than a twentieth
	 * of the time: a machine where a scan takes 400 ms rescans every 8 s,
	 * one where it takes 5 ms every second, so a new listener (whose owner
	 * only /proc can tell) gets it soon without the scans costing a core.
	 */
	uint64_t wait = o->rescan_ns > 20 * o->last_cost_ns ? o->rescan_ns : 20 * o->last_cost_ns;
	uint64_t t0;

	if ((!o->scanned || now_ns - o->scanned_ns >= wait) && owners_missing(o, snap)) {
		t0 = tl_clock_mono_ns();
		pf = o->scan();
		o->last_cost_ns = tl_clock_mono_ns() - t0;
		o->scans++;
		o->scanned = true;
		o->scanned_ns = now_ns;
		if (pf) {
			tl_procfd_free(o->pf);
			o->pf = pf;
		} else if (errno == ENOMEM) {
			return -ENOMEM;
		} else {
			/* the old scan still answers for what it knew */
			o->errors++;
		}
	}
	return tl_adopt_snapshot(snap, o->pf, cgroups);
}

unsigned long tl_owners_scans(const struct tl_owners *o)
{
	return o->scans;
}

unsigned long tl_owners_scan_errors(const struct tl_owners *o)
{
	return o->errors;
}
