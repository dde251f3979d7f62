/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A source: what the front ends read, whether it is the live capture
 * (src/source_live.c) or a recording. Front ends see only this: records,
 * drop counters, completed open-socket snapshots, cgroup paths, the clock.
 * A fake source is how the front ends are tested without a kernel.
 */
#ifndef TCPLENS_SOURCE_H
#define TCPLENS_SOURCE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drops.h"
#include "record.h"
#include "sock.h"

/* How often a front end should drain when no wake-up comes: the live ring
 * buffer batches its wake-ups. */
#define TL_SOURCE_DRAIN_NS (50ull * 1000 * 1000)

typedef void (*tl_record_cb)(void *ctx, const struct tl_record *r);

struct tl_source;

struct tl_source_ops {
	/* Poll for readability, then drain. */
	int (*fd)(const struct tl_source *s);
	/* Hands what is queued to cb. A finite source stops after max records
	 * (0: no limit) so that the loop stays responsive; the live one always
	 * empties the ring buffer. Returns the number of records, or -errno. */
	int (*drain)(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max);
	/* Events lost before they reached us, since the start. */
	void (*drops)(const struct tl_source *s, struct tl_drops *d);
	/*
	 * The open sockets now (a recording: as recorded last), completed:
	 * owners, directions, and cgroups[i] the owner's cgroup path for
	 * cur->socks[i] (NULL: unknown), valid until the next call. prev is
	 * the caller's previous snapshot (NULL: none), so that a direction
	 * decided once stays. Returns the number of sockets or -errno
	 * (-EOPNOTSUPP: this source has none).
	 */
	int (*snapshot)(struct tl_source *s, struct tl_snapshot *cur,
			const struct tl_snapshot *prev, const char *const **cgroups);
	/* A cgroup v2 id's path from the v2 root, or NULL; untrusted text. */
	const char *(*cgroup_path)(void *s, uint64_t id);
	/* The ready line, for a source that traces (NULL for one that does not). */
	void (*announce)(const struct tl_source *s, const char *what);
	/* True once a finite source has handed out everything. */
	bool (*ended)(const struct tl_source *s);
	/* A finite source (a recording): drained as fast as it goes, its
	 * snapshots are the recorded ones; snapshot_ts tells the time of the
	 * one tl_source_snapshot would give now (0: none yet). */
	bool finite;
	uint64_t (*snapshot_ts)(const struct tl_source *s);
	/* The probes' own cost (the live source only; NULL otherwise): see
	 * tl_capture_bpf_stats_enable and tl_capture_bpf_stats. */
	int (*bpf_stats_enable)(struct tl_source *s, bool on);
	int (*bpf_stats)(const struct tl_source *s, uint64_t *run_ns, uint64_t *run_cnt);
};

struct tl_source {
	const struct tl_source_ops *ops;
};

static inline int tl_source_fd(const struct tl_source *s)
{
	return s->ops->fd(s);
}

static inline int tl_source_drain(struct tl_source *s, tl_record_cb cb, void *ctx, size_t max)
{
	return s->ops->drain(s, cb, ctx, max);
}

static inline void tl_source_drops(const struct tl_source *s, struct tl_drops *d)
{
	s->ops->drops(s, d);
}

static inline int tl_source_snapshot(struct tl_source *s, struct tl_snapshot *cur,
				     const struct tl_snapshot *prev, const char *const **cgroups)
{
	return s->ops->snapshot(s, cur, prev, cgroups);
}

/* The shape of a tl_cgroup_path_fn, with the source as ctx. */
static inline const char *tl_source_cgroup_path(void *s, uint64_t id)
{
	return ((struct tl_source *)s)->ops->cgroup_path(s, id);
}

static inline void tl_source_announce(const struct tl_source *s, const char *what)
{
	if (s->ops->announce)
		s->ops->announce(s, what);
}

static inline bool tl_source_ended(const struct tl_source *s)
{
	return s->ops->ended && s->ops->ended(s);
}

static inline bool tl_source_finite(const struct tl_source *s)
{
	return s->ops->finite;
}

static inline uint64_t tl_source_snapshot_ts(const struct tl_source *s)
{
	return s->ops->snapshot_ts ? s->ops->snapshot_ts(s) : 0;
}

static inline int tl_source_bpf_stats_enable(struct tl_source *s, bool on)
{
	return s->ops->bpf_stats_enable ? s->ops->bpf_stats_enable(s, on) : -EOPNOTSUPP;
}

static inline int tl_source_bpf_stats(const struct tl_source *s, uint64_t *run_ns, uint64_t *run_cnt)
{
	return s->ops->bpf_stats ? s->ops->bpf_stats(s, run_ns, run_cnt) : -EOPNOTSUPP;
}

/* Records per drain of a finite source in a front end: keys and signals
 * stay prompt while a recording is read as fast as it goes. */
#define TL_SOURCE_BATCH 4096

#endif
