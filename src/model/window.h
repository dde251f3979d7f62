/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The last 60 wall-clock seconds of one aggregation table, one slot per
 * second. A slot holds one entry per row that had connects in that second:
 * its counts, exact min/max and latency buckets (sparse, since a row sees
 * few distinct buckets in one second). A window is the exact merge of the
 * entries of its seconds; memory follows the active (row, second) pairs,
 * not rows x 60.
 */
#ifndef TCPLENS_MODEL_WINDOW_H
#define TCPLENS_MODEL_WINDOW_H

#include <stdint.h>

#define TL_WIN_SLOTS 60
#define TL_WIN_INLINE_BINS 2

struct tl_win_bin {
	int16_t idx;		/* sketch bucket */
	uint16_t pad;
	uint32_t n;
};

struct tl_win_ent {
	uint32_t row;
	uint32_t connects, refused, timeouts, errors;	/* ok is connects - the rest */
	uint16_t nbins, capbins;
	uint64_t min_ns, max_ns;	/* over ok connects */
	union {
		struct tl_win_bin in[TL_WIN_INLINE_BINS];
		struct tl_win_bin *ext;	/* when capbins > TL_WIN_INLINE_BINS */
	} b;
};

struct tl_win_slot {
	int64_t sec;		/* the second held, -1 if none */
	uint32_t n, cap;
	struct tl_win_ent *ent;
};

struct tl_win60 {
	struct tl_win_slot slot[TL_WIN_SLOTS];
	int64_t head;		/* newest second seen, -1 before any */
};

void tl_window_init(struct tl_win60 *w);
void tl_window_free(struct tl_win60 *w);

static inline int tl_window_slot_of(int64_t sec)
{
	return (int)(sec % TL_WIN_SLOTS);
}

/*
 * Count one connect of row (whose per-slot entry hints are slot_ent) in
 * second sec. idx is the sketch bucket of lat_ns, used when ok. Seconds
 * older than 60 s before the newest seen are ignored (returns 0).
 */
int tl_window_add(struct tl_win60 *w, uint32_t row, uint32_t *slot_ent, int64_t sec,
		  uint8_t result, int idx, uint64_t lat_ns);

/* The entry of row in second sec, or NULL. */
static inline const struct tl_win_ent *tl_window_entry(const struct tl_win60 *w, uint32_t row,
						       const uint32_t *slot_ent, int64_t sec)
{
	const struct tl_win_slot *s;
	uint32_t e;

	if (sec < 0)
		return NULL;
	s = &w->slot[tl_window_slot_of(sec)];
	e = slot_ent[tl_window_slot_of(sec)];
	if (s->sec != sec || e >= s->n || s->ent[e].row != row)
		return NULL;
	return &s->ent[e];
}

static inline const struct tl_win_bin *tl_win_ent_bins(const struct tl_win_ent *e)
{
	return e->capbins > TL_WIN_INLINE_BINS ? e->b.ext : e->b.in;
}

#endif
