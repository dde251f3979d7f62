/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The libFuzzer entry points, shared by the fuzzers and the corpus driver. */
#ifndef TCPLENS_FUZZ_H
#define TCPLENS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* one per fuzz target: mountinfo (fuzz_mountinfo.c), recordings (fuzz_recording.c),
 * the metrics endpoint's Accept header and label values (fuzz_accept.c) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
