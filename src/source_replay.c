// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "open_filter.h"
#include "recording/rec_reader.h"
#include "source_replay.h"

struct source_replay {
	struct tl_source base;		/* first: the interface's pointer is ours */
	const struct tl_options *opt;
	struct tl_rec_reader *rd;
	int efd;			/* readable while there is more to hand out */
	bool armed;
	bool ended;
	uint64_t until_ns;
	struct tl_rec_item held;	/* read, but later than until_ns */
	bool have_held;
	uint64_t now_ns;
	uint64_t begin_ns;		/* records before it are not handed out */
	struct tl_drops drops;
	/* snapshots owned here (the reader's is valid until its next item):
	 * the last one handed out, and one read but later than until_ns */
	struct snap_copy {
		struct tl_snapshot snap;
		char **paths;
		size_t npaths;
		bool have;
	} cur, next;
};

static struct source_replay *replay_of(const struct tl_source *s)
{
	return (struct source_replay *)s;
}

static void replay_warn(void *ctx, const char *msg)
{
	(void)ctx;
	tl_log("warning: %s", msg);
}

/* The line modes' and the kernel's filters, here in user space. */
static bool replay_keep(const struct source_replay *p, const struct tl_record *r)
{
	const struct tl_options *o = p->opt;
	const char *path;

	if (o->family && r->family != o->family)
		return false;
	if (o->lports.count && !tl_port_set_has(&o->lports, r->lport))
		return false;
	if (o->rports.count && !tl_port_set_has(&o->rports, r->rport))
		return false;
	if (o->pid && (!r->owner_known || r->pid != o->pid))
		return false;
	if (o->cgroup) {
		path = r->owner_known && r->cgroup_id ?
		       tl_rec_reader_cgroup_path(p->rd, r->cgroup_id) : NULL;
		if (!path || !tl_open_cgroup_within(o->cgroup, path))
			return false;
	}
	return true;
}

static void snap_forget(struct snap_copy *c)
{
	for (size_t i = 0; i < c->npaths; i++)
		free(c->paths[i]);
	c->npaths = 0;
	c->snap.n = 0;
	c->have = false;
}

static void snap_free(struct snap_copy *c)
{
	snap_forget(c);
	free(c->snap.socks);
	free(c->paths);
}

static int snap_take(struct snap_copy *c, const struct tl_rec_item *it)
{
	const struct tl_snapshot *s = it->snap;
	struct tl_sock *socks;
	char **paths;
	size_t n = s->n ? s->n : 1;

	snap_forget(c);
	if (c->snap.cap < n) {
		socks = realloc(c->snap.socks, n * sizeof(*socks));
		if (socks)
			c->snap.socks = socks;
		paths = realloc(c->paths, n * sizeof(*paths));
		if (paths)
			c->paths = paths;
		if (!socks || !paths)
			return -ENOMEM;
		c->snap.cap = n;
	}
	memcpy(c->snap.socks, s->socks, s->n * sizeof(*s->socks));
	c->snap.n = s->n;
	c->snap.ts_ns = s->ts_ns;
	for (size_t i = 0; i < s->n; i++) {
		c->paths[i] = it->paths[i] ? strdup(it->paths[i]) : NULL;
		c->npaths = i + 1;
		if (it->paths[i] && !c->paths[i])
			return -ENOMEM;
	}
	c->have = true;
	return 0;
}

/*
 * The fd is readable while there is something to hand out now: not at the
 * end, and not while the next item is later than the shown instant (the
 * loop would spin).
 */
static void replay_arm(struct source_replay *p, bool on)
{
	uint64_t v = 1;

	if (on == p->armed)
		return;
	if (on ? write(p->efd, &v, sizeof(v)) < 0 : read(p->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		tl_log("warning: replay: %s", strerror(errno));
	p->armed = on;
}

static void replay_end(struct source_replay *p)
{
	p->ended = true;
	replay_arm(p, false);
}

static int replay_fd(const struct tl_source *s)
{
	return replay_of(s)->efd;
}

static int replay_drain(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max)
{
	struct source_replay *p = replay_of(s);
	struct snap_copy tmp;
	struct tl_rec_item it;
	int n = 0, ret;

	while (!p->ended && (!max || (size_t)n < max)) {
		if (p->have_held) {
			if (p->held.ts_ns > p->until_ns) {
				replay_arm(p, false);
				break;
			}
			it = p->held;
			p->have_held = false;
			if (it.type == TL_REC_ITEM_SNAPSHOT) {
				/* the one kept aside becomes the one shown */
				tmp = p->cur;
				p->cur = p->next;
				p->next = tmp;
				snap_forget(&p->next);
				p->now_ns = it.ts_ns;
				return n;
			}
		} else {
			ret = tl_rec_reader_next(p->rd, &it);
			if (ret == -ENODATA) {
				replay_end(p);
				break;
			}
			if (ret)
				return ret;
			if (it.ts_ns > p->until_ns) {
				/* later than the shown instant: kept for when the clock gets there;
				 * a snapshot's memory is the reader's, so it is copied now */
				if (it.type == TL_REC_ITEM_SNAPSHOT && snap_take(&p->next, &it))
					return -ENOMEM;
				p->held = it;
				p->held.snap = NULL;
				p->have_held = true;
				replay_arm(p, false);
				break;
			}
		}
		p->now_ns = it.ts_ns;
		switch (it.type) {
		case TL_REC_ITEM_RECORD:
			if (it.ts_ns >= p->begin_ns && replay_keep(p, &it.rec)) {
				cb(ctx, &it.rec);
				n++;
			}
			break;
		case TL_REC_ITEM_DROPS:
			p->drops = it.drops;
			break;
		case TL_REC_ITEM_SNAPSHOT:
			if (snap_take(&p->cur, &it))
				return -ENOMEM;
			/* one snapshot per drain: a caller sees each of them */
			return n;
		}
	}
	return n;
}

static void replay_drops(const struct tl_source *s, struct tl_drops *d)
{
	*d = replay_of(s)->drops;
}

static int replay_snapshot(struct tl_source *s, struct tl_snapshot *cur,
			   const struct tl_snapshot *prev, const char *const **cgroups)
{
	struct source_replay *p = replay_of(s);
	struct tl_sock *socks;
	size_t n;

	(void)prev;	/* directions were decided when it was recorded */
	cur->n = 0;
	*cgroups = (const char *const *)p->cur.paths;
	if (!p->cur.have)
		return 0;
	n = p->cur.snap.n ? p->cur.snap.n : 1;
	if (cur->cap < n) {
		socks = realloc(cur->socks, n * sizeof(*socks));
		if (!socks)
			return -ENOMEM;
		cur->socks = socks;
		cur->cap = n;
	}
	memcpy(cur->socks, p->cur.snap.socks, p->cur.snap.n * sizeof(*cur->socks));
	cur->n = p->cur.snap.n;
	cur->ts_ns = p->cur.snap.ts_ns;
	return (int)cur->n;
}

static const char *replay_cgroup_path(void *s, uint64_t id)
{
	return tl_rec_reader_cgroup_path(replay_of(s)->rd, id);
}

static bool replay_ended(const struct tl_source *s)
{
	return replay_of(s)->ended;
}

static uint64_t replay_snapshot_ts(const struct tl_source *s)
{
	const struct source_replay *p = replay_of(s);

	return p->cur.have ? p->cur.snap.ts_ns : 0;
}

static const struct tl_source_ops replay_ops = {
	.finite = true,
	.snapshot_ts = replay_snapshot_ts,
	.fd = replay_fd,
	.drain = replay_drain,
	.drops = replay_drops,
	.snapshot = replay_snapshot,
	.cgroup_path = replay_cgroup_path,
	.ended = replay_ended,
};

struct tl_source *tl_source_replay_open(const struct tl_options *opt, char *err, size_t errlen)
{
	struct tl_rec_reader_opts ro = { .warn = replay_warn };
	struct source_replay *p = calloc(1, sizeof(*p));
	uint64_t first, last, t;
	int e;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->base.ops = &replay_ops;
	p->opt = opt;
	p->until_ns = UINT64_MAX;
	p->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	p->armed = true;
	if (p->efd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot create an eventfd: %s", strerror(e));
		goto fail;
	}
	p->rd = tl_rec_reader_open(opt->read_path, &ro);
	if (!p->rd) {
		e = errno;
		snprintf(err, errlen, "-r %s: %s", opt->read_path,
			 e == ENOENT ? "no recording there (no .tlrec file)" :
			 e == EBADMSG ? "no readable recording (see the warnings above)" :
			 e == EPROTONOSUPPORT ? "a recording format this version cannot read" :
			 strerror(e));
		goto fail;
	}
	/* --begin and --end: the times of day on the recording's first day */
	if (tl_rec_reader_span(p->rd, &first, &last) == 0) {
		if (opt->begin.set) {
			if (tl_when_resolve(&opt->begin, first, &t)) {
				e = EINVAL;
				snprintf(err, errlen, "--begin: no such local time");
				goto fail;
			}
			tl_rec_reader_seek(p->rd, t);
			/* its chunk may start earlier: those records are skipped */
			p->begin_ns = t;
		}
		if (opt->end.set) {
			if (tl_when_resolve(&opt->end, first, &t)) {
				e = EINVAL;
				snprintf(err, errlen, "--end: no such local time");
				goto fail;
			}
			p->until_ns = t;
		}
	}
	return &p->base;
fail:
	tl_source_replay_free(&p->base);
	errno = e;
	return NULL;
}

void tl_source_replay_free(struct tl_source *s)
{
	struct source_replay *p = replay_of(s);

	if (!p)
		return;
	snap_free(&p->cur);
	snap_free(&p->next);
	tl_rec_reader_free(p->rd);
	if (p->efd >= 0)
		close(p->efd);
	free(p);
}

int tl_source_replay_span(const struct tl_source *s, uint64_t *first_ns, uint64_t *last_ns)
{
	return tl_rec_reader_span(replay_of(s)->rd, first_ns, last_ns);
}

void tl_source_replay_until(struct tl_source *s, uint64_t until_ns)
{
	struct source_replay *p = replay_of(s);

	p->until_ns = until_ns;
	if (!p->ended)
		replay_arm(p, !p->have_held || p->held.ts_ns <= until_ns);
}

void tl_source_replay_seek(struct tl_source *s, uint64_t wall_ns)
{
	struct source_replay *p = replay_of(s);

	tl_rec_reader_seek(p->rd, wall_ns);
	p->have_held = false;
	p->drops = (struct tl_drops){ 0 };
	snap_forget(&p->cur);
	snap_forget(&p->next);
	p->now_ns = 0;
	p->begin_ns = 0;
	p->ended = false;
	replay_arm(p, true);
}

bool tl_source_replay_caught_up(const struct tl_source *s)
{
	const struct source_replay *p = replay_of(s);

	return p->ended || (p->have_held && p->held.ts_ns > p->until_ns);
}

uint64_t tl_source_replay_now(const struct tl_source *s)
{
	return replay_of(s)->now_ns;
}

unsigned long tl_source_replay_warnings(const struct tl_source *s)
{
	return tl_rec_reader_warnings(replay_of(s)->rd);
}
