/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Events lost in the kernel, by cause. Shown by every front end. */
#ifndef TCPLENS_DROPS_H
#define TCPLENS_DROPS_H

#include <stdint.h>

struct tl_drops {
	uint64_t ringbuf;	/* events not written: the ring buffer was full */
	uint64_t map;		/* sockets not tracked: the socket map insert failed */
	uint64_t missed;	/* state changes the kernel did not run our probe for */
};

static inline uint64_t tl_drops_total(const struct tl_drops *d)
{
	return d->ringbuf + d->map + d->missed;
}

#endif
