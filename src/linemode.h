/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* life, connlat and json: drain the source into a printer until a signal
 * (or, for a finite source, its end). */
#ifndef TCPLENS_LINEMODE_H
#define TCPLENS_LINEMODE_H

#include "cli.h"
#include "source.h"

/* Returns the process exit status. */
int tl_linemode_run(const struct tl_options *opt, struct tl_source *src);

#endif
