// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The sockets of a snapshot by cookie. */
#include <stdlib.h>
#include <string.h>

#include "sock_index.h"
#include "tap.h"

static bool only_passive(const struct tl_sock *s)
{
	return s->dir == TL_SOCK_DIR_PASSIVE;
}

int main(void)
{
	struct tl_sock socks[5000];
	struct tl_snapshot snap = { .socks = socks, .n = 0 };
	struct tl_sock_index ix;
	size_t i, found = 0;

	memset(socks, 0, sizeof(socks));
	ok(tl_sock_index_build(&ix, &snap, NULL) == 0 && !tl_sock_index_find(&ix, 1),
	   "an empty snapshot: nothing found");
	tl_sock_index_free(&ix);

	/* sequential cookies, as the kernel hands them out */
	for (i = 0; i < 5000; i++) {
		socks[i].cookie = 1000 + i;
		socks[i].dir = i % 2 ? TL_SOCK_DIR_PASSIVE : TL_SOCK_DIR_ACTIVE;
	}
	socks[10].cookie = 0;		/* no identity */
	socks[20].cookie = 1000 + 21;	/* a duplicate: the first one stays */
	snap.n = 5000;
	ok(tl_sock_index_build(&ix, &snap, NULL) == 0, "5000 sockets indexed");
	for (i = 0; i < 5000; i++)
		found += tl_sock_index_find(&ix, 1000 + i) == &socks[i];
	/* not found as themselves: 1010 (its socket has cookie 0), 1020 (its socket
	 * took 1021) and 1021 (found as the first socket with it) */
	is_int((int)found, 4997, "each found as itself, but for cookie 0 and the duplicate");
	ok(tl_sock_index_find(&ix, 1021) == &socks[20], "a duplicate cookie keeps its first socket");
	ok(!tl_sock_index_find(&ix, 0), "cookie 0 is never found");
	ok(!tl_sock_index_find(&ix, 999) && !tl_sock_index_find(&ix, 6000), "unknown cookies: NULL");
	tl_sock_index_free(&ix);

	ok(tl_sock_index_build(&ix, &snap, only_passive) == 0, "indexed with a filter");
	ok(tl_sock_index_find(&ix, 1001) == &socks[1] && !tl_sock_index_find(&ix, 1002),
	   "only the sockets the filter keeps");
	tl_sock_index_free(&ix);
	return tap_done();
}
