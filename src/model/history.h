/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A bounded ring of fixed-size items, newest at index 0. It grows
 * geometrically up to its capacity, then overwrites the oldest item, so
 * memory is flat once full. Items carry an implicit sequence number (0 for
 * the first ever pushed) that views use to notice overwritten items.
 */
#ifndef TCPLENS_MODEL_HISTORY_H
#define TCPLENS_MODEL_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct tl_history {
	uint8_t *buf;
	size_t isz;		/* item size */
	size_t cap;		/* the most items ever retained */
	size_t alloc;		/* items allocated (<= cap) */
	size_t len;		/* items retained */
	size_t head;		/* where the next item goes, in [0, alloc] */
	uint64_t total;		/* items ever pushed */
};

int tl_history_init(struct tl_history *h, size_t isz, size_t cap);
void tl_history_free(struct tl_history *h);
/* A slot for the next item; never NULL (overwrites when it cannot grow). */
void *tl_history_push(struct tl_history *h);

static inline const void *tl_history_at(const struct tl_history *h, size_t i)
{
	size_t pos;

	if (i >= h->len)
		return NULL;
	pos = h->head >= i + 1 ? h->head - 1 - i : h->head + h->alloc - 1 - i;
	return h->buf + pos * h->isz;
}

/* The item with sequence number seq, or NULL if it is gone or not yet there. */
static inline const void *tl_history_seq(const struct tl_history *h, uint64_t seq)
{
	if (seq >= h->total)
		return NULL;
	return tl_history_at(h, (size_t)(h->total - 1 - seq));
}

/* Oldest retained sequence number. */
static inline uint64_t tl_history_first_seq(const struct tl_history *h)
{
	return h->total - h->len;
}

#endif
