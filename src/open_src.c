// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * /proc is scanned once per snapshot, and only when some socket lacks its
 * owner: a readlink per open file of every process, acceptable at one
 * snapshot a second; caching by inode is the next step if not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "log.h"
#include "open_src.h"

static int src_room(struct tl_open_src *src, size_t n)
{
	const char **cg;
	struct tl_open_rate *r;

	if (n <= src->room)
		return 0;
	cg = realloc(src->cgroups, n * sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	src->cgroups = cg;
	r = realloc(src->rates, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	src->rates = r;
	src->room = n;
	return 0;
}

static const struct tl_adopt_entry *src_adopted(struct tl_capture *cap, const struct tl_sock *s)
{
	if (s->state == TL_TCP_LISTEN)
		return NULL;
	return tl_adopt_table_find(tl_capture_adopt_table(cap), s->family, s->laddr, s->lport,
				   s->raddr, s->rport);
}

int tl_open_src_step(struct tl_open_src *src, struct tl_capture *cap, bool want_rates)
{
	int next = src->have ? !src->last : 0;
	struct tl_snapshot *cur = &src->snap[next];
	const struct tl_snapshot *prev = src->have ? &src->snap[src->last] : NULL;
	const struct tl_adopt_entry *e;
	struct tl_procfd *pf;
	struct tl_sock *s;
	size_t i;
	int n;

	/* the paths of the last snapshot go with it */
	tl_procfd_free(src->pf);
	src->pf = NULL;
	n = tl_capture_snapshot(cap, cur);
	if (n < 0) {
		tl_log("cannot walk the open sockets: %s", strerror(-n));
		return n;
	}
	if (tl_adopt_keep_dirs(cur, prev) < 0)
		return -ENOMEM;
	/* owners and directions the capture engine found at start: no /proc walk for those */
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		e = src_adopted(cap, s);
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
	/* /proc is only worth a walk when some socket lacks its owner */
	for (i = 0; i < cur->n; i++)
		if (!cur->socks[i].owner_known && cur->socks[i].inode)
			break;
	pf = i < cur->n ? tl_procfd_scan() : NULL;
	if (i < cur->n && !pf) {
		if (errno == ENOMEM)
			return -ENOMEM;
		/* owners the kernel knows still show; the others stay unknown */
		if (!src->warned_procfd)
			tl_log("warning: cannot read /proc (%s): owners of sockets opened before "
			       "start stay unknown", strerror(errno));
		src->warned_procfd = true;
	}
	if (src_room(src, cur->n ? cur->n : 1) || tl_adopt_snapshot(cur, pf, src->cgroups) < 0 ||
	    (want_rates && tl_open_rates(prev, cur, src->rates) < 0)) {
		tl_procfd_free(pf);
		return -ENOMEM;
	}
	if (!want_rates)
		memset(src->rates, 0, cur->n * sizeof(*src->rates));
	/* the cgroup path that came with an owner found at start */
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		if (s->owner_known && !s->cgroup_id && !src->cgroups[i] && (e = src_adopted(cap, s)))
			src->cgroups[i] = e->cgroup;
	}
	src->pf = pf;
	src->have_prev = src->have;
	src->have = true;
	src->last = next;
	return 0;
}

void tl_open_src_fini(struct tl_open_src *src)
{
	tl_procfd_free(src->pf);
	tl_snapshot_free(&src->snap[0]);
	tl_snapshot_free(&src->snap[1]);
	free(src->cgroups);
	free(src->rates);
	memset(src, 0, sizeof(*src));
}

const struct tl_snapshot *tl_open_src_snap(const struct tl_open_src *src)
{
	return src->have ? &src->snap[src->last] : NULL;
}

const struct tl_snapshot *tl_open_src_prev(const struct tl_open_src *src)
{
	return src->have && src->have_prev ? &src->snap[!src->last] : NULL;
}

const char *tl_open_src_cgroup(const struct tl_open_src *src, struct tl_capture *cap, size_t i)
{
	const struct tl_sock *s = &src->snap[src->last].socks[i];

	if (s->cgroup_id)
		return tl_capture_cgroup_path(cap, s->cgroup_id);
	return src->cgroups[i];
}
