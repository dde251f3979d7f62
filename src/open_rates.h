/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-socket rates between two snapshots: the byte counters' growth over
 * the time between the walks, sockets matched by cookie. A socket new in
 * the second snapshot has no rate for that interval, and neither has one
 * whose counter went backwards (its direction, hence its SYN correction,
 * was decided differently in the two snapshots).
 */
#ifndef TCPLENS_OPEN_RATES_H
#define TCPLENS_OPEN_RATES_H

#include <stdbool.h>
#include <stdint.h>

#include "sock.h"

struct tl_open_rate {
	bool valid;
	/* thousandths of a byte per second: integers, so printing needs no float */
	uint64_t tx_mbps, rx_mbps;
};

/*
 * rates[i] for cur->socks[i] against prev (NULL: the first snapshot, no
 * rates). rates has room for cur->n entries. Returns how many are valid,
 * or -ENOMEM.
 */
int tl_open_rates(const struct tl_snapshot *prev, const struct tl_snapshot *cur,
		  struct tl_open_rate *rates);

#endif
