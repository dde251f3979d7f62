/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* serve: drain the source into the metrics model and answer scrapes, until a
 * signal (or, for a finite source, its end). */
#ifndef TCPLENS_SERVEMODE_H
#define TCPLENS_SERVEMODE_H

#include "cli.h"
#include "source.h"

/* Returns the process exit status (2: the address could not be served). */
int tl_serve_run(const struct tl_options *opt, struct tl_source *src);

#endif
