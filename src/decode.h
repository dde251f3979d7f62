/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Raw ring-buffer events to records. Decoding only: no I/O. */
#ifndef TCPLENS_DECODE_H
#define TCPLENS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* 0, or -EINVAL for an event of the wrong size or with out-of-range fields. */
int tl_decode(const void *data, size_t size, int64_t boot_to_wall_ns, struct tl_record *out);

#endif
