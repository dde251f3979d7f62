// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "window.h"

void tl_window_init(struct tl_win60 *w)
{
	int i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < TL_WIN_SLOTS; i++)
		w->slot[i].sec = -1;
	w->head = -1;
}

void tl_window_free(struct tl_win60 *w)
{
	uint32_t j;
	int i;

	for (i = 0; i < TL_WIN_SLOTS; i++) {
		struct tl_win_slot *s = &w->slot[i];

		/* entries past n keep their bin arrays for reuse: free them all */
		for (j = 0; j < s->cap; j++)
			if (s->ent[j].capbins > TL_WIN_INLINE_BINS)
				free(s->ent[j].b.ext);
		free(s->ent);
	}
	tl_window_init(w);
}

static struct tl_win_ent *slot_new_entry(struct tl_win_slot *s, uint32_t row)
{
	struct tl_win_ent *e;

	if (s->n == s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : 16;
		struct tl_win_ent *ne = realloc(s->ent, ncap * sizeof(*ne));

		if (!ne)
			return NULL;
		memset(ne + s->cap, 0, (ncap - s->cap) * sizeof(*ne));
		s->ent = ne;
		s->cap = ncap;
	}
	e = &s->ent[s->n++];
	e->row = row;
	e->connects = e->refused = e->timeouts = e->errors = 0;
	e->nbins = 0;		/* capbins and an ext array survive from the last use */
	e->min_ns = e->max_ns = 0;
	return e;
}

static int entry_add_bin(struct tl_win_ent *e, int idx)
{
	struct tl_win_bin *b = e->capbins > TL_WIN_INLINE_BINS ? e->b.ext : e->b.in;
	uint16_t lo = 0, hi = e->nbins;

	/* bins are kept sorted by bucket: binary search, insert if new */
	while (lo < hi) {
		uint16_t mid = (uint16_t)((lo + hi) / 2);

		if (b[mid].idx < idx)
			lo = (uint16_t)(mid + 1);
		else
			hi = mid;
	}
	if (lo < e->nbins && b[lo].idx == idx) {
		b[lo].n++;
		return 0;
	}
	if (e->nbins == UINT16_MAX)
		return -ENOSPC;
	if (e->nbins == (e->capbins ? e->capbins : TL_WIN_INLINE_BINS)) {
		uint32_t ncap = e->nbins * 2u > UINT16_MAX ? UINT16_MAX : e->nbins * 2u;
		struct tl_win_bin *nb;

		if (e->capbins > TL_WIN_INLINE_BINS) {
			nb = realloc(e->b.ext, ncap * sizeof(*nb));
			if (!nb)
				return -ENOMEM;
		} else {
			nb = malloc(ncap * sizeof(*nb));
			if (!nb)
				return -ENOMEM;
			memcpy(nb, e->b.in, e->nbins * sizeof(*nb));
		}
		e->b.ext = nb;
		e->capbins = (uint16_t)ncap;
		b = nb;
	}
	if (!e->capbins)
		e->capbins = TL_WIN_INLINE_BINS;
	memmove(b + lo + 1, b + lo, (e->nbins - lo) * sizeof(*b));
	b[lo].idx = (int16_t)idx;
	b[lo].pad = 0;
	b[lo].n = 1;
	e->nbins++;
	return 0;
}

/* Move the head to sec, forgetting the seconds that fall out. */
static void window_advance(struct tl_win60 *w, int64_t sec)
{
	int i;

	for (i = 0; i < TL_WIN_SLOTS; i++) {
		struct tl_win_slot *s = &w->slot[i];

		if (s->sec >= 0 && s->sec <= sec - TL_WIN_SLOTS) {
			s->sec = -1;
			s->n = 0;
		}
	}
	w->head = sec;
}

int tl_window_add(struct tl_win60 *w, uint32_t row, uint32_t *slot_ent, int64_t sec,
		  uint8_t result, int idx, uint64_t lat_ns)
{
	struct tl_win_slot *s;
	struct tl_win_ent *e;
	int k;

	if (sec < 0)
		return 0;
	if (sec > w->head)
		window_advance(w, sec);
	if (sec <= w->head - TL_WIN_SLOTS)
		return 0;
	k = tl_window_slot_of(sec);
	s = &w->slot[k];
	if (s->sec != sec) {
		s->sec = sec;
		s->n = 0;
	}
	e = slot_ent[k] < s->n && s->ent[slot_ent[k]].row == row ? &s->ent[slot_ent[k]] : NULL;
	if (!e) {
		e = slot_new_entry(s, row);
		if (!e)
			return -ENOMEM;
		slot_ent[k] = s->n - 1;
	}
	if (result == TL_REC_OK) {
		if (entry_add_bin(e, idx))
			return -ENOMEM;
		if (e->connects == e->refused + e->timeouts + e->errors) {
			e->min_ns = e->max_ns = lat_ns;
		} else {
			if (lat_ns < e->min_ns)
				e->min_ns = lat_ns;
			if (lat_ns > e->max_ns)
				e->max_ns = lat_ns;
		}
	}
	e->connects++;
	if (result == TL_REC_REFUSED)
		e->refused++;
	else if (result == TL_REC_TIMEOUT)
		e->timeouts++;
	else if (result == TL_REC_ERROR)
		e->errors++;
	return 0;
}
