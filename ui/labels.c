// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Names of the model's groupings and windows, as titles, the status line,
 * the detail screen and -b print them. */
#include "labels.h"

const char *tl_group_name(enum tl_group g)
{
	switch (g) {
	case TL_GROUP_ADDR: return "address";
	case TL_GROUP_PORT: return "port";
	case TL_GROUP_PROCESS: return "process";
	case TL_GROUP_UNIT: return "unit";
	default: return "destination";
	}
}

const char *tl_window_name(enum tl_window w)
{
	switch (w) {
	case TL_WIN_60S: return "last 60s";
	case TL_WIN_10S: return "last 10s";
	default: return "since start";
	}
}
