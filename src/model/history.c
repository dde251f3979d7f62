// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

#define HISTORY_FIRST_ALLOC 4096

int tl_history_init(struct tl_history *h, size_t isz, size_t cap)
{
	memset(h, 0, sizeof(*h));
	if (!isz || !cap)
		return -EINVAL;
	h->isz = isz;
	h->cap = cap;
	h->alloc = cap < HISTORY_FIRST_ALLOC ? cap : HISTORY_FIRST_ALLOC;
	h->buf = malloc(h->alloc * isz);
	if (!h->buf)
		return -ENOMEM;
	return 0;
}

void tl_history_free(struct tl_history *h)
{
	free(h->buf);
	memset(h, 0, sizeof(*h));
}

/* Grow while nothing has wrapped yet, so the items stay contiguous. */
static void history_grow(struct tl_history *h)
{
	size_t n = h->alloc * 2;
	uint8_t *nb;

	if (n > h->cap)
		n = h->cap;
	nb = realloc(h->buf, n * h->isz);
	if (!nb) {
		/* keep going with what we have: the ring simply holds less */
		h->cap = h->alloc;
		return;
	}
	h->buf = nb;
	h->alloc = n;
}

void *tl_history_push(struct tl_history *h)
{
	void *slot;

	if (h->head == h->alloc) {
		if (h->alloc < h->cap)
			history_grow(h);
		if (h->head == h->alloc)
			h->head = 0;
	}
	slot = h->buf + h->head * h->isz;
	h->head++;
	if (h->len < h->alloc)
		h->len++;
	h->total++;
	return slot;
}
