/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* life, connlat and json: drain the capture into a printer until a signal. */
#ifndef TCPLENS_LINEMODE_H
#define TCPLENS_LINEMODE_H

#include "capture.h"
#include "cli.h"

/* Returns the process exit status. */
int tl_linemode_run(const struct tl_options *opt, struct tl_capture *cap);

#endif
