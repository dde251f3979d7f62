/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The sockets of one snapshot by cookie: how a socket is found again in
 * the next snapshot (rates, directions kept, the monitor's history). A
 * cookie of 0 is no identity (classic tracepoints) and is never indexed.
 */
#ifndef TCPLENS_SOCK_INDEX_H
#define TCPLENS_SOCK_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sock.h"

struct tl_sock_index {
	const struct tl_snapshot *snap;
	uint32_t *slots;	/* index into snap->socks + 1; 0: empty */
	size_t mask;
};

/*
 * Indexes the sockets of snap for which keep() is true (every one with a
 * cookie when keep is NULL); snap must not change while the index is used.
 * A cookie seen twice keeps its first socket. 0 or -ENOMEM.
 */
int tl_sock_index_build(struct tl_sock_index *ix, const struct tl_snapshot *snap,
			bool (*keep)(const struct tl_sock *s));
/* The socket with this cookie, or NULL (also for cookie 0 and an empty index). */
const struct tl_sock *tl_sock_index_find(const struct tl_sock_index *ix, uint64_t cookie);
void tl_sock_index_free(struct tl_sock_index *ix);

#endif
