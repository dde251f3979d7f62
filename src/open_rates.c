// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "open_rates.h"

static uint64_t hash_cookie(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

/* delta bytes over ns, in thousandths of a byte per second, saturating */
static uint64_t rate_milli(uint64_t delta, uint64_t ns)
{
	unsigned __int128 r = (unsigned __int128)delta * 1000000000000ULL / ns;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

int tl_open_rates(const struct tl_snapshot *prev, const struct tl_snapshot *cur,
		  struct tl_open_rate *rates)
{
	uint32_t *slots = NULL;	/* index into prev + 1; 0: empty */
	size_t nslots = 16, mask, i, k;
	const struct tl_sock *a, *b;
	uint64_t ns;
	int valid = 0;

	memset(rates, 0, cur->n * sizeof(*rates));
	if (!prev || !prev->n || !cur->n || cur->ts_ns <= prev->ts_ns || prev->n > UINT32_MAX / 4)
		return 0;
	ns = cur->ts_ns - prev->ts_ns;
	while (nslots < prev->n * 2)
		nslots *= 2;
	mask = nslots - 1;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < prev->n; i++) {
		/* cookie 0 is "no cookie" (classic tracepoints): not an identity */
		if (!prev->socks[i].cookie)
			continue;
		k = (size_t)hash_cookie(prev->socks[i].cookie) & mask;
		while (slots[k] && prev->socks[slots[k] - 1].cookie != prev->socks[i].cookie)
			k = (k + 1) & mask;
		if (!slots[k])
			slots[k] = (uint32_t)i + 1;
	}
	for (i = 0; i < cur->n; i++) {
		b = &cur->socks[i];
		if (!b->cookie)
			continue;
		k = (size_t)hash_cookie(b->cookie) & mask;
		while (slots[k] && prev->socks[slots[k] - 1].cookie != b->cookie)
			k = (k + 1) & mask;
		if (!slots[k])
			continue;
		a = &prev->socks[slots[k] - 1];
		if (b->tx_bytes < a->tx_bytes || b->rx_bytes < a->rx_bytes)
			continue;
		rates[i].valid = true;
		rates[i].tx_mbps = rate_milli(b->tx_bytes - a->tx_bytes, ns);
		rates[i].rx_mbps = rate_milli(b->rx_bytes - a->rx_bytes, ns);
		valid++;
	}
	free(slots);
	return valid;
}
