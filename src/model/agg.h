/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One aggregation table: connect statistics per key of one grouping
 * (destination, address, port, process or unit), at most max_rows rows and a
 * single "other" row. When the table is full, a new key takes the row of
 * the least recently active key if that one has been idle for
 * TL_AGG_IDLE_NS (its counts move into "other": nothing leaves the
 * totals); with no idle row, the new key's connects count in "other".
 * Optionally keeps each row's last 60 seconds.
 *
 * Every connect also appends its row id to a touch log (a ring), so a view
 * finds the rows that changed since its last look without scanning them.
 */
#ifndef TCPLENS_MODEL_AGG_H
#define TCPLENS_MODEL_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "agg_key.h"
#include "conn.h"
#include "keyhash.h"
#include "sketch.h"
#include "window.h"


struct tl_agg_stats {
	uint64_t connects, refused, timeouts;
	uint64_t errors;	/* every other failure, aborted ones included */
	uint64_t last_ts;	/* newest connect */
	uint64_t last_ok_ts;	/* newest ok connect, and its latency */
	uint64_t last_ok_ns;
};

/*
 * What a row keeps about its failures, apart from the row (most rows never
 * fail, and a row must stay three cache lines): made on its first failure.
 * Errnos are kept in the order first seen, TL_AGG_NERR of them; errors
 * with any further errno are counted in err_other, so memory is bounded.
 */
#define TL_AGG_NERR 8

struct tl_agg_fail {
	struct tl_sketch sk;	/* time to failure (span_ns) of every failed connect */
	uint64_t aborted;	/* counted in errors too */
	uint64_t last_ts, last_ns;	/* newest failed connect and its time to failure */
	uint64_t err_n[TL_AGG_NERR];	/* result error, by errno */
	uint64_t err_other;
	uint8_t err_no[TL_AGG_NERR];
	uint8_t nerr;
};

struct tl_agg_row {
	struct tl_agg_key key;
	struct tl_agg_stats st;
	struct tl_sketch sk;	/* ok latencies */
	struct tl_win_ring win;	/* when windowed */
	uint8_t is_other;
	uint32_t fail;		/* 1 + index in the table's fails[]; 0: none yet */
};

_Static_assert(sizeof(struct tl_agg_row) == 192, "a table row is three cache lines");

/* Long enough for several seconds of connects at full rate between looks. */
#define TL_AGG_LOG_LEN (1u << 17)

/*
 * A full table gives a row to a new key only by taking one idle this long:
 * the shortest window, so that a row never leaves a 10 s view it has
 * connects in, and busy keys do not chase each other through the rows.
 */
#define TL_AGG_IDLE_NS (10 * 1000000000ULL)

/* Recency queue: (row, second) added when a row's newest second grows. */
struct tl_agg_lru {
	uint32_t id;
	uint32_t sec;
};

struct tl_agg;
/* Called before row id is folded into "other" and given to a new key. */
typedef void (*tl_agg_fold_fn)(void *ctx, const struct tl_agg *a, uint32_t id);

struct tl_agg {
	enum tl_group group;
	uint32_t max_rows;	/* not counting "other" */
	uint32_t nrows, cap;
	struct tl_agg_row *rows;
	struct tl_keyhash index;	/* row ids by key ("other" is not in it) */
	uint32_t other;		/* row id of "other", UINT32_MAX if none yet */
	bool windowed;
	int64_t head;		/* newest second seen, -1 before any */
	uint32_t *log;		/* TL_AGG_LOG_LEN row ids */
	uint64_t log_total;	/* ids ever appended */
	/*
	 * The log up to here has been read (by a view): a touch of the row of
	 * the last entry must then append again, not be merged into it.
	 */
	uint64_t log_read;
	uint64_t alloc_failures; /* samples a full memory could not keep */
	struct tl_agg_fail *fails;
	uint32_t nfails, capfails;
	uint64_t now_ts;	/* newest connect seen: the clock of idleness */
	struct tl_agg_lru *lru;	/* a ring, oldest first */
	uint32_t lru_start, lru_len, lru_cap;
	uint64_t folds;		/* rows folded into "other" to make room */
	tl_agg_fold_fn on_fold;
	void *fold_ctx;
};

struct tl_agg *tl_agg_new(enum tl_group group, uint32_t max_rows, bool windowed);
void tl_agg_free(struct tl_agg *a);

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
int64_t tl_agg_add_key(struct tl_agg *a, const struct tl_agg_key *k, uint32_t h,
		       const struct tl_conn *c, int idx);

static inline void tl_agg_prefetch_slot(const struct tl_agg *a, uint32_t h)
{
	tl_prefetch(&a->index.slot[h & a->index.mask]);
}

/* Guesses from the first probe only: a wrong guess costs nothing but a load. */
static inline void tl_agg_prefetch_row(const struct tl_agg *a, uint32_t h)
{
	uint32_t id = a->index.slot[h & a->index.mask];

	if (id) {
		const char *r = (const char *)&a->rows[id - 1];

		tl_prefetch(r);
		tl_prefetch(r + 64);
		tl_prefetch(r + 128);
	}
}

static inline void tl_agg_prefetch_data(const struct tl_agg *a, uint32_t h, int idx)
{
	uint32_t id = a->index.slot[h & a->index.mask];
	const struct tl_agg_row *r;

	if (!id)
		return;
	r = &a->rows[id - 1];
	if (idx >= r->sk.lo && idx < r->sk.lo + (int32_t)r->sk.cap)
		tl_prefetch(&r->sk.counts[idx - r->sk.lo]);
	if (r->win.n)
		tl_prefetch(tl_win_ring_at(&r->win, r->win.n - 1u));
}

/*
 * Add every count of row id of table from (another table) into the row of
 * key k, as if its connects had been counted there. The row id, or -ENOMEM.
 */
int64_t tl_agg_absorb(struct tl_agg *a, const struct tl_agg_key *k, const struct tl_agg *from,
		      uint32_t id);

/* Where the index finds a table's keys. */
static inline struct tl_keyrows tl_agg_keys(const struct tl_agg *a)
{
	return TL_KEYROWS(a->rows, struct tl_agg_row, key);
}

static inline const struct tl_agg_fail *tl_agg_row_fail(const struct tl_agg *a,
							const struct tl_agg_row *r)
{
	return r->fail ? &a->fails[r->fail - 1] : NULL;
}

/* The same, for a reader whose quantiles move the sketch's cursors (a view). */
static inline struct tl_agg_fail *tl_agg_row_fail_rw(struct tl_agg *a, const struct tl_agg_row *r)
{
	return r->fail ? &a->fails[r->fail - 1] : NULL;
}


#endif
