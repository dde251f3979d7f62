/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An index of table rows by key, for the connect-latency tables (agg.c)
 * and the latency view's merged rows (dest_view_rows.c): open addressing
 * with linear probing, a slot holding a row id + 1 (0 is empty). The keys
 * stay in the rows; the index reads them through a tl_keyrows (the rows,
 * how far apart they are, where the key is in a row), so any array of
 * rows with a struct tl_agg_key in them can be indexed. A deletion moves
 * the later entries of its run back: no tombstones.
 */
#ifndef TCPLENS_MODEL_KEYHASH_H
#define TCPLENS_MODEL_KEYHASH_H

#include <stddef.h>
#include <stdint.h>

#include "agg_key.h"

struct tl_keyhash {
	uint32_t *slot;		/* mask + 1 slots */
	uint32_t mask;
};

struct tl_keyrows {
	const void *rows;
	size_t stride, key_off;
};

/* The keys of an array of `type`, in its member `key`. */
#define TL_KEYROWS(arr, type, key) \
	((struct tl_keyrows){ (arr), sizeof(type), offsetof(type, key) })

static inline const struct tl_agg_key *tl_keyrows_key(struct tl_keyrows r, uint32_t id)
{
	return (const struct tl_agg_key *)((const char *)r.rows + (size_t)id * r.stride + r.key_off);
}

/* nslots: a power of two. 0 or -ENOMEM. */
int tl_keyhash_init(struct tl_keyhash *x, uint32_t nslots);
void tl_keyhash_free(struct tl_keyhash *x);
/* Every slot empty, the size kept. */
void tl_keyhash_clear(struct tl_keyhash *x);
/* Twice the slots, every entry placed again; -ENOMEM keeps the old index. */
int tl_keyhash_grow(struct tl_keyhash *x, struct tl_keyrows r);
/* Row id's entry out of the index (nothing if it is not in it). */
void tl_keyhash_del(struct tl_keyhash *x, struct tl_keyrows r, uint32_t id);

/* The slot of key k (h is tl_agg_hash(k)): the one holding it, else the
 * empty slot where it would go. */
static inline uint32_t tl_keyhash_slot(const struct tl_keyhash *x, struct tl_keyrows r,
				       const struct tl_agg_key *k, uint32_t h)
{
	uint32_t p;

	for (p = h & x->mask; x->slot[p]; p = (p + 1) & x->mask)
		if (tl_agg_key_eq(tl_keyrows_key(r, x->slot[p] - 1), k))
			break;
	return p;
}

#endif
