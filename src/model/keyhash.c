// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyhash.h"

int tl_keyhash_init(struct tl_keyhash *x, uint32_t nslots)
{
	x->slot = calloc(nslots, sizeof(*x->slot));
	x->mask = x->slot ? nslots - 1 : 0;
	return x->slot ? 0 : -ENOMEM;
}

void tl_keyhash_free(struct tl_keyhash *x)
{
	free(x->slot);
	x->slot = NULL;
	x->mask = 0;
}

void tl_keyhash_clear(struct tl_keyhash *x)
{
	if (x->slot)
		memset(x->slot, 0, ((size_t)x->mask + 1) * sizeof(*x->slot));
}

int tl_keyhash_grow(struct tl_keyhash *x, struct tl_keyrows r)
{
	uint32_t nmask = x->mask * 2 + 1, i, p;
	uint32_t *nh = calloc((size_t)nmask + 1, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i <= x->mask; i++) {
		if (!x->slot[i])
			continue;
		for (p = tl_agg_hash(tl_keyrows_key(r, x->slot[i] - 1)) & nmask; nh[p];
		     p = (p + 1) & nmask)
			;
		nh[p] = x->slot[i];
	}
	free(x->slot);
	x->slot = nh;
	x->mask = nmask;
	return 0;
}

void tl_keyhash_del(struct tl_keyhash *x, struct tl_keyrows r, uint32_t id)
{
	uint32_t i, j, home;

	for (i = tl_agg_hash(tl_keyrows_key(r, id)) & x->mask; x->slot[i] != id + 1;
	     i = (i + 1) & x->mask)
		if (!x->slot[i])
			return;
	/* move back every later entry of the run that may live in the hole */
	for (j = (i + 1) & x->mask; x->slot[j]; j = (j + 1) & x->mask) {
		home = tl_agg_hash(tl_keyrows_key(r, x->slot[j] - 1)) & x->mask;
		if (((j - home) & x->mask) >= ((j - i) & x->mask)) {
			x->slot[i] = x->slot[j];
			i = j;
		}
	}
	x->slot[i] = 0;
}
