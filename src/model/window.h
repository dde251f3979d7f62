/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The last 60 wall-clock seconds of one aggregation row: one entry per
 * second in which the row had connects, oldest first, in a small ring the
 * row owns. An entry holds the second's counts, exact min/max and latency
 * buckets (sparse: a row sees few distinct buckets in one second). A
 * window is the exact merge of the entries of its seconds. Keeping a row's
 * seconds together makes a window merge one short sequential read, and
 * memory follows the active (row, second) pairs, not rows x 60.
 */
#ifndef TCPLENS_MODEL_WINDOW_H
#define TCPLENS_MODEL_WINDOW_H

#include <stdint.h>

#define TL_WIN_SECS 60
#define TL_WIN_INLINE_BINS 2

/*
 * One bucket's count in one second. A full count is followed by another
 * bin of the same bucket: merges add counts, so that stays exact.
 *
 * Failures share the bins, coded past every latency bucket (sketch indices
 * stay under 2400), so that an entry stays 48 bytes and a second without
 * failures costs nothing: the time to failure of a failed connect in
 * bucket TL_WIN_FAIL_BASE + idx, and one more count per failure that is
 * neither refused nor timed out, in TL_WIN_ABORTED or TL_WIN_ERRNO_BASE +
 * errno. Bins stay sorted by code: latencies first.
 */
#define TL_WIN_FAIL_BASE 8192
#define TL_WIN_ABORTED 12288
#define TL_WIN_ERRNO_BASE 16384		/* + errno, 0..255 */

struct tl_win_bin {
	int16_t idx;		/* sketch bucket, or a failure code as above */
	uint16_t n;
};

struct tl_win_ent {
	uint32_t sec;		/* wall clock; seconds past 2106 are not windowed */
	uint32_t connects, refused, timeouts, errors;	/* ok is connects - the rest;
							 * errors counts aborted ones too */
	uint16_t nbins, capbins;
	uint64_t min_ns, max_ns;	/* over ok connects */
	union {
		struct tl_win_bin in[TL_WIN_INLINE_BINS];
		struct tl_win_bin *ext;	/* when capbins > TL_WIN_INLINE_BINS */
	} b;
};

/* Entries in second order from ent[start], wrapping at cap. */
struct tl_win_ring {
	struct tl_win_ent *ent;
	uint8_t start, n, cap;
};

static inline void tl_win_ring_init(struct tl_win_ring *w)
{
	w->ent = 0;
	w->start = w->n = w->cap = 0;
}

void tl_win_ring_free(struct tl_win_ring *w);

/*
 * Count one connect in second sec. idx is the sketch bucket of lat_ns (the
 * latency, or for a failure the time to failure); err the errno of an
 * error. head is the newest second the table has seen (>= sec); seconds
 * 60 or more before it are dropped or ignored. 0 or -ENOMEM.
 */
int tl_win_ring_add(struct tl_win_ring *w, int64_t head, int64_t sec, uint8_t result,
		    uint8_t err, int idx, uint64_t lat_ns);
/*
 * Add every second of src that a window can still reach into dst (a row
 * folded into another). 0 or -ENOMEM (then part of src may be added).
 */
int tl_win_ring_merge(struct tl_win_ring *dst, const struct tl_win_ring *src, int64_t head);

static inline const struct tl_win_ent *tl_win_ring_at(const struct tl_win_ring *w, unsigned k)
{
	unsigned p = w->start + k;

	return &w->ent[p >= w->cap ? p - w->cap : p];
}

static inline const struct tl_win_bin *tl_win_ent_bins(const struct tl_win_ent *e)
{
	return e->capbins > TL_WIN_INLINE_BINS ? e->b.ext : e->b.in;
}

_Static_assert(sizeof(struct tl_win_ent) == 48, "window entries should stay compact");

#endif
