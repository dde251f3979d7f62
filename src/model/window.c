// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "window.h"

/* Ring sizes: small for rows that are rarely active, 60 at most. */
static uint8_t next_cap(uint8_t cap)
{
	return cap == 0 ? 2 : cap >= 32 ? TL_WIN_SECS : (uint8_t)(cap * 2);
}

static struct tl_win_ent *ring_slot(struct tl_win_ring *w, unsigned k)
{
	unsigned p = w->start + k;

	return &w->ent[p >= w->cap ? p - w->cap : p];
}

static void ent_release(struct tl_win_ent *e)
{
	if (e->capbins > TL_WIN_INLINE_BINS)
		free(e->b.ext);
	e->capbins = 0;
	e->nbins = 0;
}

void tl_win_ring_free(struct tl_win_ring *w)
{
	unsigned k;

	for (k = 0; k < w->n; k++)
		ent_release(ring_slot(w, k));
	free(w->ent);
	tl_win_ring_init(w);
}

/* Unwrap into a larger array. */
static int ring_grow(struct tl_win_ring *w)
{
	uint8_t ncap = next_cap(w->cap);
	struct tl_win_ent *ne = malloc(ncap * sizeof(*ne));
	unsigned k;

	if (!ne)
		return -ENOMEM;
	for (k = 0; k < w->n; k++)
		ne[k] = *ring_slot(w, k);
	free(w->ent);
	w->ent = ne;
	w->cap = ncap;
	w->start = 0;
	return 0;
}

/* The entry for sec, created in second order; NULL on -ENOMEM. */
static struct tl_win_ent *ring_entry(struct tl_win_ring *w, int64_t head, int64_t sec)
{
	struct tl_win_ent *e;
	unsigned pos, k;

	/* the newest second is the usual case; late arrivals search back */
	for (pos = w->n; pos > 0; pos--) {
		e = ring_slot(w, pos - 1);
		if (e->sec == sec)
			return e;
		if (e->sec < sec)
			break;
	}
	/*
	 * Only a full ring forgets the seconds no window can reach any more
	 * (views skip them): the oldest entry is another cache line. A ring of
	 * 60 always has one to forget, since sec is within 60 s of head.
	 */
	if (w->n == w->cap) {
		while (w->n && (int64_t)ring_slot(w, 0)->sec + TL_WIN_SECS <= head) {
			ent_release(ring_slot(w, 0));
			w->start = (uint8_t)(w->start + 1 == w->cap ? 0 : w->start + 1);
			w->n--;
			pos--;
		}
	}
	if (w->n == w->cap && ring_grow(w))
		return NULL;
	for (k = w->n; k > pos; k--)
		*ring_slot(w, k) = *ring_slot(w, k - 1);
	w->n++;
	e = ring_slot(w, pos);
	memset(e, 0, sizeof(*e));
	e->sec = (uint32_t)sec;
	return e;
}

static int entry_add_bin(struct tl_win_ent *e, int idx, uint16_t n)
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
	/* lo is the first bin of the bucket: the one still filling */
	if (lo < e->nbins && b[lo].idx == idx && b[lo].n <= UINT16_MAX - n) {
		b[lo].n = (uint16_t)(b[lo].n + n);
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
	b[lo].n = n;
	e->nbins++;
	return 0;
}

int tl_win_ring_add(struct tl_win_ring *w, int64_t head, int64_t sec, uint8_t result,
		    uint8_t err, int idx, uint64_t lat_ns)
{
	struct tl_win_ent *e;

	if (sec < 0 || sec > UINT32_MAX || sec + TL_WIN_SECS <= head)
		return 0;
	e = ring_entry(w, head, sec);
	if (!e)
		return -ENOMEM;
	if (result == TL_REC_OK) {
		if (entry_add_bin(e, idx, 1))
			return -ENOMEM;
		if (e->connects == e->refused + e->timeouts + e->errors) {
			e->min_ns = e->max_ns = lat_ns;
		} else {
			if (lat_ns < e->min_ns)
				e->min_ns = lat_ns;
			if (lat_ns > e->max_ns)
				e->max_ns = lat_ns;
		}
	} else {
		if (entry_add_bin(e, TL_WIN_FAIL_BASE + idx, 1))
			return -ENOMEM;
		if (result == TL_REC_ABORTED && entry_add_bin(e, TL_WIN_ABORTED, 1))
			return -ENOMEM;
		if (result != TL_REC_REFUSED && result != TL_REC_TIMEOUT && result != TL_REC_ABORTED &&
		    entry_add_bin(e, TL_WIN_ERRNO_BASE + err, 1))
			return -ENOMEM;
	}
	e->connects++;
	if (result == TL_REC_REFUSED)
		e->refused++;
	else if (result == TL_REC_TIMEOUT)
		e->timeouts++;
	else if (result != TL_REC_OK)
		e->errors++;
	return 0;
}

int tl_win_ring_merge(struct tl_win_ring *dst, const struct tl_win_ring *src, int64_t head)
{
	unsigned k;

	for (k = 0; k < src->n; k++) {
		const struct tl_win_ent *s = tl_win_ring_at(src, k);
		const struct tl_win_bin *b = tl_win_ent_bins(s);
		bool had_ok, has_ok = s->connects > s->refused + s->timeouts + s->errors;
		struct tl_win_ent *e;
		uint16_t j;

		if ((int64_t)s->sec + TL_WIN_SECS <= head)
			continue;
		e = ring_entry(dst, head, s->sec);
		if (!e)
			return -ENOMEM;
		for (j = 0; j < s->nbins; j++)
			if (entry_add_bin(e, b[j].idx, b[j].n))
				return -ENOMEM;
		had_ok = e->connects > e->refused + e->timeouts + e->errors;
		if (has_ok && (!had_ok || s->min_ns < e->min_ns))
			e->min_ns = s->min_ns;
		if (has_ok && (!had_ok || s->max_ns > e->max_ns))
			e->max_ns = s->max_ns;
		e->connects += s->connects;
		e->refused += s->refused;
		e->timeouts += s->timeouts;
		e->errors += s->errors;
	}
	return 0;
}
