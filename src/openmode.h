/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The `open` mode: snapshots of the open TCP sockets, once or every -i. */
#ifndef TCPLENS_OPENMODE_H
#define TCPLENS_OPENMODE_H

#include "cli.h"
#include "source.h"

/*
 * Returns the process exit status: 0 after the last snapshot, on SIGINT or
 * SIGTERM, or when the reader of stdout went away (EPIPE: quietly); 1 when
 * a snapshot or another write fails (one line on stderr).
 */
int tl_open_run(const struct tl_options *opt, struct tl_source *src);

#endif
