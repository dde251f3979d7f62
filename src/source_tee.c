// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "open_filter.h"
#include "source_tee.h"

#define TEE_FLUSH_NS 1000000000ull	/* a chunk about every second */
#define TEE_WARN_NS (60ull * 1000000000)	/* the same write error said once a minute */

struct source_tee {
	struct tl_source base;		/* first: the interface's pointer is ours */
	struct tl_source *inner;
	struct tl_rec_writer *w;
	tl_record_cb cb;		/* the front end's, during a drain */
	void *cb_ctx;
	uint64_t snap_every_ns;
	uint64_t last_flush_ns, last_snap_ns, last_warn_ns;
	struct tl_snapshot own[2];	/* the tee's own snapshots, when the front end takes none */
	int own_cur;
	bool own_have_prev;
	bool snapshots;			/* the inner source has them */
	struct tl_options fopt;		/* the filters, listeners kept (the Open panel shows them) */
	struct tl_snapshot kept;	/* what a snapshot keeps after the filters */
	const char **kept_paths;
	size_t kept_room;
	uint64_t sessions, connects, snaps;
	struct tl_rec_writer_stats final;	/* kept at close */
	bool closed;
};

static struct source_tee *tee_of(const struct tl_source *s)
{
	return (struct source_tee *)s;
}

static void tee_warn(struct source_tee *t, int err)
{
	uint64_t now = tl_clock_mono_ns();
	const char *why = tl_rec_writer_error(t->w);

	if (t->last_warn_ns && now - t->last_warn_ns < TEE_WARN_NS)
		return;
	t->last_warn_ns = now;
	tl_log("warning: recording: %s (counted; recording goes on)", why ? why : strerror(-err));
}

static void tee_record(void *ctx, const struct tl_record *r)
{
	struct source_tee *t = ctx;
	int ret = tl_rec_writer_record(t->w, r);

	if (ret)
		tee_warn(t, ret);
	if (r->kind == TL_REC_SESSION)
		t->sessions++;
	else
		t->connects++;
	t->cb(t->cb_ctx, r);
}

static void tee_drops_flush(struct source_tee *t, uint64_t now)
{
	struct tl_drops d;
	int ret;

	tl_source_drops(t->inner, &d);
	ret = tl_rec_writer_drops(t->w, tl_clock_wall_ns(), &d);
	if (!ret)
		ret = tl_rec_writer_flush(t->w);
	if (ret)
		tee_warn(t, ret);
	t->last_flush_ns = now;
}

/*
 * A snapshot as recorded: the sockets the filters keep (-p -L -D -4 -6 -c,
 * as the open mode shows them), so that a filtered recording holds only
 * what was asked for. 0 or -ENOMEM.
 */
static int tee_write_snapshot(struct source_tee *t, const struct tl_snapshot *s,
			      const char *const *paths)
{
	size_t n = s->n ? s->n : 1, k = 0;
	const char **kp;
	struct tl_sock *ks;
	int ret;

	if (t->kept_room < n) {
		ks = realloc(t->kept.socks, n * sizeof(*ks));
		if (ks)
			t->kept.socks = ks;
		kp = realloc(t->kept_paths, n * sizeof(*kp));
		if (kp)
			t->kept_paths = kp;
		if (!ks || !kp)
			return -ENOMEM;
		t->kept_room = n;
		t->kept.cap = n;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (!tl_open_match(&t->fopt, &s->socks[i], paths ? paths[i] : NULL))
			continue;
		t->kept.socks[k] = s->socks[i];
		t->kept_paths[k++] = paths ? paths[i] : NULL;
	}
	t->kept.n = k;
	t->kept.ts_ns = s->ts_ns;
	ret = tl_rec_writer_snapshot(t->w, &t->kept, t->kept_paths);
	if (ret)
		tee_warn(t, ret);
	t->snaps++;
	return ret;
}

static void tee_own_snapshot(struct source_tee *t, uint64_t now)
{
	struct tl_snapshot *cur = &t->own[t->own_cur];
	const struct tl_snapshot *prev = t->own_have_prev ? &t->own[!t->own_cur] : NULL;
	const char *const *cgroups;
	int n;

	t->last_snap_ns = now;
	n = tl_source_snapshot(t->inner, cur, prev, &cgroups);
	if (n == -EOPNOTSUPP) {
		t->snapshots = false;
		return;
	}
	if (n < 0) {
		tee_warn(t, n);
		return;
	}
	tee_write_snapshot(t, cur, cgroups);
	t->own_cur = !t->own_cur;
	t->own_have_prev = true;
}

static int tee_fd(const struct tl_source *s)
{
	return tl_source_fd(tee_of(s)->inner);
}

static int tee_drain(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max)
{
	struct source_tee *t = tee_of(s);
	uint64_t now;
	int n;

	t->cb = cb;
	t->cb_ctx = ctx;
	n = tl_source_drain(t->inner, tee_record, t, max);
	now = tl_clock_mono_ns();
	if (t->snapshots && now - t->last_snap_ns >= t->snap_every_ns)
		tee_own_snapshot(t, now);
	if (now - t->last_flush_ns >= TEE_FLUSH_NS)
		tee_drops_flush(t, now);
	return n;
}

static void tee_drops(const struct tl_source *s, struct tl_drops *d)
{
	tl_source_drops(tee_of(s)->inner, d);
}

/* The front end's snapshot is recorded, and stands in for the tee's own. */
static int tee_snapshot(struct tl_source *s, struct tl_snapshot *cur, const struct tl_snapshot *prev,
			const char *const **cgroups)
{
	struct source_tee *t = tee_of(s);
	int n = tl_source_snapshot(t->inner, cur, prev, cgroups);

	if (n < 0)
		return n;
	tee_write_snapshot(t, cur, *cgroups);
	t->last_snap_ns = tl_clock_mono_ns();
	return n;
}

static const char *tee_cgroup_path(void *s, uint64_t id)
{
	return tl_source_cgroup_path(tee_of(s)->inner, id);
}

static void tee_announce(const struct tl_source *s, const char *what)
{
	tl_source_announce(tee_of(s)->inner, what);
}

static bool tee_ended(const struct tl_source *s)
{
	return tl_source_ended(tee_of(s)->inner);
}

static int tee_bpf_stats_enable(struct tl_source *s, bool on)
{
	return tl_source_bpf_stats_enable(tee_of(s)->inner, on);
}

static int tee_bpf_stats(const struct tl_source *s, uint64_t *run_ns, uint64_t *run_cnt)
{
	return tl_source_bpf_stats(tee_of(s)->inner, run_ns, run_cnt);
}

static const struct tl_source_ops tee_ops = {
	.bpf_stats_enable = tee_bpf_stats_enable,
	.bpf_stats = tee_bpf_stats,
	.fd = tee_fd,
	.drain = tee_drain,
	.drops = tee_drops,
	.snapshot = tee_snapshot,
	.cgroup_path = tee_cgroup_path,
	.announce = tee_announce,
	.ended = tee_ended,
};

/* The filters, for the file header: a reader can tell a partial recording. */
static void tee_options_text(const struct tl_options *opt, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (opt->pid)
		o += (size_t)snprintf(buf + o, len - o, "-p %u ", opt->pid);
	if (opt->family)
		o += (size_t)snprintf(buf + o, len - o, "-%u ", opt->family);
	if (o < len && opt->lports.count)
		o += (size_t)snprintf(buf + o, len - o, "-L (%u ports) ", opt->lports.count);
	if (o < len && opt->rports.count)
		o += (size_t)snprintf(buf + o, len - o, "-D (%u ports) ", opt->rports.count);
	if (o < len && opt->cgroup)
		snprintf(buf + o, len - o, "-c %s", opt->cgroup);
}

struct tl_source *tl_source_tee_open(struct tl_source *inner, const struct tl_options *opt,
				     char *err, size_t errlen)
{
	struct source_tee *t = calloc(1, sizeof(*t));
	struct tl_rec_writer_opts wo = { 0 };
	char options[1024];
	int e;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->base.ops = &tee_ops;
	t->inner = inner;
	t->fopt = *opt;
	t->fopt.listeners = true;
	t->snapshots = inner->ops->snapshot != NULL;
	t->snap_every_ns = (uint64_t)((opt->interval_s > 0 ? opt->interval_s : 1.0) * 1e9);
	tee_options_text(opt, options, sizeof(options));
	wo.max_size = opt->max_size;
	wo.max_age_ns = opt->max_age_ns;
	wo.options = options;
	wo.cgroup_path = tl_source_cgroup_path;
	wo.cgroup_ctx = inner;
	if (opt->pid || opt->family || opt->lports.count || opt->rports.count || opt->cgroup)
		wo.flags |= TL_REC_F_FILTERED;
	t->w = tl_rec_writer_open(opt->record_path, &wo);
	if (!t->w) {
		e = errno;
		snprintf(err, errlen, "cannot record into %s: %s", opt->record_path,
			 e == EEXIST ? "the file exists (a .tlrec file is never overwritten)" :
			 strerror(e));
		free(t);
		errno = e;
		return NULL;
	}
	/* the first snapshot at once: what was open when recording began */
	t->last_flush_ns = tl_clock_mono_ns();
	return &t->base;
}

int tl_source_tee_close(struct tl_source *s)
{
	struct source_tee *t = tee_of(s);
	struct tl_drops d;
	int ret, ret2;

	if (!t || t->closed)
		return 0;
	tl_source_drops(t->inner, &d);
	ret = tl_rec_writer_drops(t->w, tl_clock_wall_ns(), &d);
	ret2 = tl_rec_writer_flush(t->w);
	t->final = *tl_rec_writer_stats(t->w);
	tl_rec_writer_close(t->w);
	t->w = NULL;
	t->closed = true;
	return ret ? ret : ret2;
}

void tl_source_tee_free(struct tl_source *s)
{
	struct source_tee *t = tee_of(s);

	if (!t)
		return;
	tl_source_tee_close(s);
	tl_snapshot_free(&t->own[0]);
	tl_snapshot_free(&t->own[1]);
	free(t->kept.socks);
	free(t->kept_paths);
	free(t);
}

const struct tl_rec_writer_stats *tl_source_tee_stats(const struct tl_source *s)
{
	const struct source_tee *t = tee_of(s);

	return t->closed ? &t->final : tl_rec_writer_stats(t->w);
}

void tl_source_tee_counts(const struct tl_source *s, uint64_t *sessions, uint64_t *connects,
			  uint64_t *snapshots)
{
	const struct source_tee *t = tee_of(s);

	*sessions = t->sessions;
	*connects = t->connects;
	*snapshots = t->snaps;
}
