/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The libFuzzer entry points, shared by the fuzzers and the corpus driver. */
#ifndef TCPLENS_FUZZ_H
#define TCPLENS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* mountinfo text and cgroup paths: tl_mountinfo_cgroup2, tl_cgroup_unit;
 * the metrics endpoint: tl_mx_negotiate, tl_fmt_prom_label */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
