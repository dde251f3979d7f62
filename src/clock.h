/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Boot-time kernel timestamps to wall-clock time, converted once at start. */
#ifndef TCPLENS_CLOCK_H
#define TCPLENS_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME minus CLOCK_BOOTTIME, in ns. */
int64_t tl_clock_boot_to_wall(void);
/* Now, in ns since the epoch. */
uint64_t tl_clock_wall_ns(void);
/* CLOCK_MONOTONIC now, in ns: for intervals and rate limits. */
uint64_t tl_clock_mono_ns(void);

#endif
