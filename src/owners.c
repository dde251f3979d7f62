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
	/* inodes a scan already looked for and did not find (a process in
	 * another pid namespace, a socket passed over a unix socket and
	 * closed): sorted; they ask for no more scans */
	uint64_t *tried;
	size_t ntried, cap_tried;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool was_tried(const struct tl_owners *o, uint64_t inode)
{
	return o->ntried && bsearch(&inode, o->tried, o->ntried, sizeof(inode), cmp_u64);
}

/* After a scan: what it did not find, so that only a new socket asks again. */
static void note_tried(struct tl_owners *o, const struct tl_snapshot *snap)
{
	size_t n = 0;
	uint64_t *t;

	for (size_t i = 0; i < snap->n; i++) {
		const struct tl_sock *s = &snap->socks[i];

		if (s->owner_known || !s->inode || (o->pf && tl_procfd_find(o->pf, s->inode)))
			continue;
		if (n == o->cap_tried) {
			t = realloc(o->tried, (n ? 2 * n : 16) * sizeof(*t));
			if (!t)
				break;	/* then those ask again: more scans, nothing wrong */
			o->tried = t;
			o->cap_tried = n ? 2 * n : 16;
		}
		o->tried[n++] = s->inode;
	}
	qsort(o->tried, n, sizeof(*o->tried), cmp_u64);
	o->ntried = n;
}

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
	free(o->tried);
	free(o);
}

/* A socket whose owner only /proc can tell, and no scan has looked for yet. */
static bool owners_missing(const struct tl_owners *o, const struct tl_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++) {
		const struct tl_sock *s = &snap->socks[i];

		if (!s->owner_known && s->inode && (!o->pf || !tl_procfd_find(o->pf, s->inode)) &&
		    !was_tried(o, s->inode))
			return true;
	}
	return false;
}

int tl_owners_complete(struct tl_owners *o, struct tl_snapshot *snap, const char **cgroups,
		       uint64_t now_ns)
{
	struct tl_procfd *pf;

	/*
	 * Only for a socket no scan has looked for (one that stays unknown asks
	 * once), at most one scan per rescan period, and never more than a
	 * tenth of the time: a new listener (whose owner only /proc can tell)
	 * gets it within a second or so, and the scans never cost a core.
	 */
	uint64_t wait = o->rescan_ns > 10 * o->last_cost_ns ? o->rescan_ns : 10 * o->last_cost_ns;
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
			note_tried(o, snap);
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
