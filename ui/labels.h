/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names of the model's groupings and windows. A leaf of its own, so that the
 * panels and the status line that both print them need not use each other.
 */
#ifndef TCPLENS_UI_LABELS_H
#define TCPLENS_UI_LABELS_H

#include "model/model.h"

/* "address", "port", "process", "unit", "destination" */
const char *tl_group_name(enum tl_group g);
/* "last 60s", "last 10s", "since start" */
const char *tl_window_name(enum tl_window w);

#endif
