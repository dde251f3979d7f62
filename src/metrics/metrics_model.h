/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics model: what `tcplens serve` and `--listen` export, as
 * counters and histograms kept from the records, plus gauges set from the
 * drop counters and open-socket snapshots. Knows nothing of HTTP or BPF:
 * unit tests feed it records directly, and src/metrics/metrics_expo.c
 * writes it out.
 *
 * Bounded cardinality: every exposed sample line is a series. The fixed
 * families have a reserved share of --max-series; destinations (daddr,
 * dport) and units (direction, unit) share the rest. When a new series
 * would not fit, the least active label set (fewest events, halved every
 * TL_MX_DECAY_NS; ties: the longest idle) is folded into daddr="other" or
 * unit="other": its counts move there, so no sum ever goes backwards.
 */
#ifndef TCPLENS_METRICS_MODEL_H
#define TCPLENS_METRICS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drops.h"
#include "record.h"
#include "sock.h"

/*
 * Latency buckets: upper bounds m * 10^e seconds, m in TL_MX_MANTISSAS,
 * e = -5..1, then 100 s: 10 us to 100 s, ten per decade. Consecutive
 * bounds differ by a ratio of at most 1.262, so histogram_quantile (linear
 * within a bucket; the estimate lies in the bucket of the true quantile)
 * is within 26.2% of the true quantile for quantiles from 10 us to 100 s.
 */
#define TL_MX_BOUNDS 71
#define TL_MX_MAX_RATIO 1.262
/* _bucket lines (+Inf included), _sum and _count */
#define TL_MX_HIST_SERIES (TL_MX_BOUNDS + 3)

#define TL_MX_RESULTS 5		/* enum tl_rec_result: ok refused timeout error aborted */
#define TL_MX_DIRS 3		/* unknown, active, passive */
#define TL_MX_UNIT_MAX 128	/* bytes of a unit name kept, with its NUL */
#define TL_MX_LISTEN_PORTS 64	/* listener ports with their own series; the rest: "other" */
#define TL_MX_DECAY_NS (60ull * 1000000000ull)

#define TL_MX_MAX_SERIES_DEFAULT 5000
#define TL_MX_MAX_SERIES_MIN 1000

/* The TCP states an open-socket snapshot can show (it walks neither
 * TIME_WAIT nor request sockets, and listeners have their own family). */
#define TL_MX_STATES 9
extern const uint8_t tl_mx_states[TL_MX_STATES];

/* Ascending upper bounds in ns. */
extern const uint64_t tl_mx_bounds_ns[TL_MX_BOUNDS];

struct tl_mx_hist {
	uint64_t buckets[TL_MX_BOUNDS + 1];	/* not cumulative; the last is above 100 s */
	uint64_t count;
	uint64_t sum_ns;
};

struct tl_mx_dest {
	uint64_t connects[TL_MX_RESULTS];
	struct tl_mx_hist lat;		/* answered (ok) connects only */
	uint64_t recent;		/* events, halved every TL_MX_DECAY_NS */
	uint64_t last_seq;		/* when it was last touched */
	uint32_t series;		/* sample lines it exposes */
	uint16_t port;
	uint8_t family;
	uint8_t addr[16];
};

struct tl_mx_unit {
	uint64_t sessions, tx_bytes, rx_bytes, resets;
	uint64_t recent, last_seq;
	uint32_t series;
	uint8_t dir;			/* 0 unknown, TL_REC_ACTIVE, TL_REC_PASSIVE */
	char name[TL_MX_UNIT_MAX];	/* raw bytes from the cgroup path: escape to print */
};

struct tl_mx_listener {
	uint16_t port;			/* 0: "other" */
	uint64_t queue, backlog;	/* summed over the port's listening sockets */
};

/* Gauges from the last open-socket snapshot. */
struct tl_mx_open {
	bool known;			/* false: no snapshot (none taken, or the source has none) */
	uint64_t by_state[TL_MX_STATES];
	struct tl_mx_listener listeners[TL_MX_LISTEN_PORTS + 1];
	size_t nlisteners;
};

/* A cgroup v2 id's path, or NULL (the source's tl_source_cgroup_path). */
typedef const char *(*tl_mx_cgroup_fn)(void *ctx, uint64_t id);

struct tl_metrics_config {
	size_t max_series;		/* 0: TL_MX_MAX_SERIES_DEFAULT; at least TL_MX_MAX_SERIES_MIN */
	tl_mx_cgroup_fn cgroup_path;	/* NULL: every unit is "unknown" */
	void *cgroup_ctx;
};

struct tl_metrics {
	struct tl_metrics_config cfg;
	size_t reserved;		/* series kept for the fixed families and "other" */
	size_t series;			/* series of the destinations and units now */
	uint64_t seq;
	uint64_t last_decay_ns;

	struct tl_mx_dest *dests;	/* dense, ndests used */
	size_t ndests, dest_cap;
	struct tl_mx_unit *units;
	size_t nunits, unit_cap;
	uint32_t *index;		/* open addressing: 1 + entry, 0 empty; dests and units apart */
	uint32_t *uindex;
	size_t index_mask;

	struct tl_mx_dest other_dest;	/* daddr="other", dport="other" */
	struct tl_mx_unit other_units[TL_MX_DIRS];
	bool other_dest_used, other_unit_used[TL_MX_DIRS];
	uint64_t folded_series;		/* series folded away since the start */
	uint64_t folded_dests, folded_units;

	struct tl_mx_hist lat_all;	/* every answered connect */
	struct tl_drops drops;
	bool drops_known;
	struct tl_mx_open open;
	uint64_t cpu_ns;		/* user + system CPU time of the process */
	bool cpu_known;
};

struct tl_metrics *tl_metrics_new(const struct tl_metrics_config *cfg);	/* NULL + errno */
void tl_metrics_free(struct tl_metrics *m);
/* One session or connect record. */
void tl_metrics_add(struct tl_metrics *m, const struct tl_record *r);
/* Halves the activity of every label set once per TL_MX_DECAY_NS (monotonic ns). */
void tl_metrics_tick(struct tl_metrics *m, uint64_t now_ns);
void tl_metrics_set_drops(struct tl_metrics *m, const struct tl_drops *d);
/* Open connections by state and listeners' queues from a snapshot
 * (NULL: unknown, the families are left out). */
void tl_metrics_set_open(struct tl_metrics *m, const struct tl_snapshot *snap);
void tl_metrics_set_cpu(struct tl_metrics *m, uint64_t cpu_ns);
/* At most this many series are exposed: the reserve plus what the
 * destinations and units use now. */
size_t tl_metrics_series_bound(const struct tl_metrics *m);
/* Bucket index of a latency: the first bound >= ns, TL_MX_BOUNDS above them all. */
unsigned int tl_mx_bucket(uint64_t ns);

#endif
