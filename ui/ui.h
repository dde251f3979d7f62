/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Front ends that read the model: the full-screen monitor and -b snapshots. */
#ifndef TCPLENS_UI_H
#define TCPLENS_UI_H

#include "source.h"
#include "cli.h"
#include "model/model.h"

/*
 * Both drain `src` into `m` continuously and return the process exit status.
 * They own the terminal (or stdout, for batch) until they return.
 */
int tl_monitor_run(const struct tl_options *opt, struct tl_source *src, struct tl_model *m);
int tl_batch_run(const struct tl_options *opt, struct tl_source *src, struct tl_model *m);

/* Whether the terminal on stdout can take the full screen: 0, -ENOENT when
 * $TERM is unset or unknown, -ENOTSUP when it cannot place the cursor. */
int tl_monitor_term_check(void);

#endif
