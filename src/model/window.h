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
 */
struct tl_win_bin {
	int16_t idx;		/* sketch bucket */
	uint16_t n;
};

struct tl_win_ent {
	uint32_t sec;		/* wall clock; seconds past 2106 are not windowed */
	uint32_t connects, refused, timeouts, errors;	/* ok is connects - the rest */
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
 * Count one connect in second sec. idx is the sketch bucket of lat_ns,
 * used when ok. head is the newest second the table has seen (>= sec);
 * seconds 60 or more before it are dropped or ignored. 0 or -ENOMEM.
 */
int tl_win_ring_add(struct tl_win_ring *w, int64_t head, int64_t sec, uint8_t result,
		    int idx, uint64_t lat_ns);

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
