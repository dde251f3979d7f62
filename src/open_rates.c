// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_rates.h"
#include "sock_index.h"

/* delta bytes over ns, in thousandths of a byte per second, saturating */
static uint64_t rate_milli(uint64_t delta, uint64_t ns)
{
	unsigned __int128 r = (unsigned __int128)delta * 1000000000000ULL / ns;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

int tl_open_rates(const struct tl_snapshot *prev, const struct tl_snapshot *cur,
		  struct tl_open_rate *rates)
{
	struct tl_sock_index ix;
	const struct tl_sock *a, *b;
	int valid = 0;
	uint64_t ns;
	size_t i;

	memset(rates, 0, cur->n * sizeof(*rates));
	if (!prev || !prev->n || !cur->n || cur->ts_ns <= prev->ts_ns)
		return 0;
	ns = cur->ts_ns - prev->ts_ns;
	if (tl_sock_index_build(&ix, prev, NULL))
		return -ENOMEM;
	for (i = 0; i < cur->n; i++) {
		b = &cur->socks[i];
		a = tl_sock_index_find(&ix, b->cookie);
		/* new in this snapshot, or counters that went back: no rate */
		if (!a || b->tx_bytes < a->tx_bytes || b->rx_bytes < a->rx_bytes)
			continue;
		rates[i].valid = true;
		rates[i].tx_mbps = rate_milli(b->tx_bytes - a->tx_bytes, ns);
		rates[i].rx_mbps = rate_milli(b->rx_bytes - a->rx_bytes, ns);
		valid++;
	}
	tl_sock_index_free(&ix);
	return valid;
}
