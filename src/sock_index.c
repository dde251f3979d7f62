// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sock_index.h"

/* Cookies are sequential: mix them so that neighbours spread over the table. */
static uint64_t hash_cookie(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

/* Linear probing; the table is at least twice the sockets, so it never fills. */
static size_t slot_of(const struct tl_sock_index *ix, uint64_t cookie)
{
	size_t k = (size_t)hash_cookie(cookie) & ix->mask;

	while (ix->slots[k] && ix->snap->socks[ix->slots[k] - 1].cookie != cookie)
		k = (k + 1) & ix->mask;
	return k;
}

int tl_sock_index_build(struct tl_sock_index *ix, const struct tl_snapshot *snap,
			bool (*keep)(const struct tl_sock *s))
{
	size_t nslots = 16, i, k;

	memset(ix, 0, sizeof(*ix));
	ix->snap = snap;
	if (!snap || !snap->n)
		return 0;
	if (snap->n > UINT32_MAX / 4)
		return -ENOMEM;
	while (nslots < snap->n * 2)
		nslots *= 2;
	ix->slots = calloc(nslots, sizeof(*ix->slots));
	if (!ix->slots)
		return -ENOMEM;
	ix->mask = nslots - 1;
	for (i = 0; i < snap->n; i++) {
		if (!snap->socks[i].cookie || (keep && !keep(&snap->socks[i])))
			continue;
		k = slot_of(ix, snap->socks[i].cookie);
		if (!ix->slots[k])
			ix->slots[k] = (uint32_t)i + 1;
	}
	return 0;
}

const struct tl_sock *tl_sock_index_find(const struct tl_sock_index *ix, uint64_t cookie)
{
	size_t k;

	if (!ix->slots || !cookie)
		return NULL;
	k = slot_of(ix, cookie);
	return ix->slots[k] ? &ix->snap->socks[ix->slots[k] - 1] : NULL;
}

void tl_sock_index_free(struct tl_sock_index *ix)
{
	free(ix->slots);
	memset(ix, 0, sizeof(*ix));
}
