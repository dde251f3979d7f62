/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One aggregation table: connect statistics per key of one grouping
 * (destination, address, port, process or unit). Rows past max_rows fold into a
 * single "other" row. Optionally keeps each row's last 60 seconds.
 *
 * Every connect also appends its row id to a touch log (a ring), so a view
 * finds the rows that changed since its last look without scanning them.
 */
#ifndef TCPLENS_MODEL_AGG_H
#define TCPLENS_MODEL_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "model.h"
#include "sketch.h"
#include "window.h"

/* Canonical: fields a grouping does not use are zero, so memcmp compares. */
struct tl_agg_key {
	uint8_t family;
	uint8_t owner_known;
	uint16_t port;
	uint32_t pid;
	union {
		uint8_t addr[16];
		uint64_t cgroup_id;	/* TL_GROUP_UNIT; the other 8 bytes stay zero */
	};
	char comm[TL_REC_COMM_LEN];
};

struct tl_agg_stats {
	uint64_t connects, refused, timeouts, errors;
	uint64_t last_ts;	/* newest connect */
	uint64_t last_ok_ts;	/* newest ok connect, and its latency */
	uint64_t last_ok_ns;
};

struct tl_agg_row {
	struct tl_agg_key key;
	struct tl_agg_stats st;
	struct tl_sketch sk;	/* ok latencies */
	struct tl_win_ring win;	/* when windowed */
	uint8_t is_other;
};

_Static_assert(sizeof(struct tl_agg_row) == 192, "a table row is three cache lines");

/* Long enough for several seconds of connects at full rate between looks. */
#define TL_AGG_LOG_LEN (1u << 17)

struct tl_agg {
	enum tl_group group;
	uint32_t max_rows;	/* not counting "other" */
	uint32_t nrows, cap;
	struct tl_agg_row *rows;
	uint32_t *hash;		/* open addressing: row id + 1, 0 is empty */
	uint32_t hmask;
	uint32_t other;		/* row id of "other", UINT32_MAX if none yet */
	bool windowed;
	int64_t head;		/* newest second seen, -1 before any */
	uint32_t *log;		/* TL_AGG_LOG_LEN row ids */
	uint64_t log_total;	/* ids ever appended */
	uint64_t alloc_failures; /* samples a full memory could not keep */
};

struct tl_agg *tl_agg_new(enum tl_group group, uint32_t max_rows, bool windowed);
void tl_agg_free(struct tl_agg *a);

void tl_agg_key_of(enum tl_group group, const struct tl_conn *c, struct tl_agg_key *k);
/*
 * Count one connect; idx is tl_sketch_index(c->lat_ns). The row id, or
 * -ENOMEM when no row could be made (a sample lost to a full memory after
 * that only counts in alloc_failures).
 */
int64_t tl_agg_add(struct tl_agg *a, const struct tl_conn *c, int idx);

/*
 * The same, in steps, so that a caller feeding several tables can start
 * every table's memory loads before it waits on any (ingest is bound by
 * cache misses, not by instructions).
 */
uint32_t tl_agg_hash(const struct tl_agg_key *k);
int64_t tl_agg_add_key(struct tl_agg *a, const struct tl_agg_key *k, uint32_t h,
		       const struct tl_conn *c, int idx);

static inline void tl_agg_prefetch_slot(const struct tl_agg *a, uint32_t h)
{
	tl_prefetch(&a->hash[h & a->hmask]);
}

/* Guesses from the first probe only: a wrong guess costs nothing but a load. */
static inline void tl_agg_prefetch_row(const struct tl_agg *a, uint32_t h)
{
	uint32_t id = a->hash[h & a->hmask];

	if (id) {
		const char *r = (const char *)&a->rows[id - 1];

		tl_prefetch(r);
		tl_prefetch(r + 64);
		tl_prefetch(r + 128);
	}
}

static inline void tl_agg_prefetch_data(const struct tl_agg *a, uint32_t h, int idx)
{
	uint32_t id = a->hash[h & a->hmask];
	const struct tl_agg_row *r;

	if (!id)
		return;
	r = &a->rows[id - 1];
	if (idx >= r->sk.lo && idx < r->sk.lo + (int32_t)r->sk.cap)
		tl_prefetch(&r->sk.counts[idx - r->sk.lo]);
	if (r->win.n)
		tl_prefetch(tl_win_ring_at(&r->win, r->win.n - 1u));
}

/* Sort order of keys: known owners first, family, address, port, pid, comm. */
int tl_agg_key_cmp(const struct tl_agg_key *a, const struct tl_agg_key *b);

#endif
