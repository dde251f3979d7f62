// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The live source. Snapshots are completed here, once for every front end:
 * the kernel side knows owners it saw in process context; for the sockets
 * open at start the adoption table has them (with their directions), and
 * for the rest (listeners, sockets passed on) the /proc scan kept since
 * start (src/owners.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "clock.h"
#include "owners.h"
#include "source_live.h"

struct source_live {
	struct tl_source base;		/* first: the interface's pointer is ours */
	struct tl_capture *cap;
	const char **cgroups;		/* per socket of the last snapshot */
	const struct tl_adopt_entry **adopted;	/* per socket: its entry at start, or NULL */
	size_t room;
};

static struct source_live *live_of(const struct tl_source *s)
{
	return (struct source_live *)s;
}

static int live_fd(const struct tl_source *s)
{
	return tl_capture_fd(live_of(s)->cap);
}

static int live_drain(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max)
{
	(void)max;
	return tl_capture_drain(live_of(s)->cap, cb, ctx);
}

static void live_drops(const struct tl_source *s, struct tl_drops *d)
{
	tl_capture_drops(live_of(s)->cap, d);
}

static const struct tl_adopt_entry *live_adopted(struct source_live *l, const struct tl_sock *s)
{
	const struct tl_adopt_table *t = tl_capture_adopt_table(l->cap);

	/* a socket tracked since it opened is never the one seen at start */
	if (!t || s->state == TL_TCP_LISTEN || s->age_known)
		return NULL;
	return tl_adopt_table_find(t, s->family, s->laddr, s->lport, s->raddr, s->rport);
}

static int live_room(struct source_live *l, size_t n)
{
	const struct tl_adopt_entry **ad;
	const char **cg;

	if (n <= l->room)
		return 0;
	cg = realloc(l->cgroups, n * sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	l->cgroups = cg;
	ad = realloc(l->adopted, n * sizeof(*ad));
	if (!ad)
		return -ENOMEM;
	l->adopted = ad;
	l->room = n;
	return 0;
}

static int live_snapshot(struct tl_source *src, struct tl_snapshot *cur,
			 const struct tl_snapshot *prev, const char *const **cgroups)
{
	struct source_live *l = live_of(src);
	const struct tl_adopt_entry *e;
	struct tl_owners *owners;
	struct tl_sock *s;
	int n, ret;

	n = tl_capture_snapshot(l->cap, cur);
	if (n < 0)
		return n;
	if (tl_adopt_keep_dirs(cur, prev) < 0 || live_room(l, cur->n ? cur->n : 1))
		return -ENOMEM;
	/*
	 * Owners and directions found at start: no /proc lookup for those.
	 * Each socket's entry is looked up once (a cold probe of a large
	 * table at 100,000 sockets) and kept for its cgroup below.
	 */
	for (size_t i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		e = l->adopted[i] = live_adopted(l, s);
		if (!e)
			continue;
		if (!s->owner_known && e->owner_known) {
			s->pid = e->pid;
			memcpy(s->comm, e->comm, sizeof(s->comm));
			s->comm[sizeof(s->comm) - 1] = '\0';
			s->owner_known = 1;
		}
		if (s->dir == TL_SOCK_DIR_UNKNOWN)
			s->dir = e->dir;
	}
	owners = tl_capture_owners(l->cap);
	ret = owners ? tl_owners_complete(owners, cur, l->cgroups, tl_clock_mono_ns())
		     : tl_adopt_snapshot(cur, NULL, l->cgroups);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		if (s->cgroup_id)
			l->cgroups[i] = tl_capture_cgroup_path(l->cap, s->cgroup_id);
		else if (s->owner_known && !l->cgroups[i] && (e = l->adopted[i]))
			l->cgroups[i] = e->cgroup;	/* came with an owner found at start */
	}
	*cgroups = l->cgroups;
	return (int)cur->n;
}

static const char *live_cgroup_path(void *s, uint64_t id)
{
	return tl_capture_cgroup_path(live_of(s)->cap, id);
}

static void live_announce(const struct tl_source *s, const char *what)
{
	tl_capture_announce(live_of(s)->cap, what);
}

static int live_bpf_stats_enable(struct tl_source *s, bool on)
{
	return tl_capture_bpf_stats_enable(live_of(s)->cap, on);
}

static int live_bpf_stats(const struct tl_source *s, uint64_t *run_ns, uint64_t *run_cnt)
{
	return tl_capture_bpf_stats(live_of(s)->cap, run_ns, run_cnt);
}

static const struct tl_source_ops live_ops = {
	.bpf_stats_enable = live_bpf_stats_enable,
	.bpf_stats = live_bpf_stats,
	.fd = live_fd,
	.drain = live_drain,
	.drops = live_drops,
	.snapshot = live_snapshot,
	.cgroup_path = live_cgroup_path,
	.announce = live_announce,
};

struct tl_source *tl_source_live_new(struct tl_capture *cap)
{
	struct source_live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->base.ops = &live_ops;
	l->cap = cap;
	return &l->base;
}

void tl_source_live_free(struct tl_source *s)
{
	struct source_live *l = live_of(s);

	if (!l)
		return;
	free(l->cgroups);
	free(l->adopted);
	free(l);
}
