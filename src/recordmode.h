/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `tcplens record`: everything into a recording, nothing on stdout. */
#ifndef TCPLENS_RECORDMODE_H
#define TCPLENS_RECORDMODE_H

#include "cli.h"
#include "source.h"

/* tee: the live source wrapped by tl_source_tee_open. Runs until SIGINT
 * or SIGTERM (or SIGHUP, SIGQUIT); the exit status. */
int tl_record_run(const struct tl_options *opt, struct tl_source *tee);

#endif
