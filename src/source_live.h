/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The live source: the capture engine behind the source interface. */
#ifndef TCPLENS_SOURCE_LIVE_H
#define TCPLENS_SOURCE_LIVE_H

#include "capture.h"
#include "source.h"

/* Reads cap (still owned by the caller, who closes it after freeing this). */
struct tl_source *tl_source_live_new(struct tl_capture *cap);	/* NULL + errno */
void tl_source_live_free(struct tl_source *s);

#endif
