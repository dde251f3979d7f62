/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Session sort keys as byte strings: comparing two keys with memcmp gives
 * the column order (descending is built in by inverting bytes), so a
 * stable LSD radix sort orders a million rows in a few passes, and
 * merging new rows into a sorted run needs no record access.
 * An entry is the key followed by the row's 32-bit sequence number.
 */
#ifndef TCPLENS_MODEL_SORTKEY_H
#define TCPLENS_MODEL_SORTKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define TL_SORTKEY_MAX 19

/* Key bytes for column c. */
uint32_t tl_sortkey_len(enum tl_scol c);
/* Entry size: the key rounded up to 4 bytes, then the sequence number. */
static inline uint32_t tl_sortkey_stride(enum tl_scol c)
{
	return ((tl_sortkey_len(c) + 3) & ~3u) + 4;
}

void tl_sortkey_make(uint8_t *ent, const struct tl_record *r, uint64_t seq,
		     enum tl_scol c, bool descending);

static inline uint32_t tl_sortkey_seq(const uint8_t *ent, uint32_t stride)
{
	uint32_t s;

	__builtin_memcpy(&s, ent + stride - 4, 4);
	return s;
}

/*
 * Stable sort of n entries by their first keylen bytes. Uses tmp (same
 * size) and returns whichever of the two buffers holds the result.
 */
uint8_t *tl_sortkey_sort(uint8_t *a, uint8_t *tmp, size_t n, uint32_t stride, uint32_t keylen);

#endif
