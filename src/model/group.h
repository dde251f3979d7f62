/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The groupings and windows of the connect-latency panel. A leaf: the
 * aggregation tables (agg.h) take a grouping, and the model (model.h) holds
 * the tables, so neither header may need the other for it.
 */
#ifndef TCPLENS_MODEL_GROUP_H
#define TCPLENS_MODEL_GROUP_H

enum tl_group {
	TL_GROUP_DEST = 0,	/* remote address and port */
	TL_GROUP_ADDR,		/* remote address */
	TL_GROUP_PORT,		/* remote port */
	TL_GROUP_PROCESS,	/* pid and comm (unknown owner is its own row) */
	TL_GROUP_UNIT,		/* the owner's cgroup id, shown as its unit (unknown is its own row) */
	TL_GROUP_COUNT,
};

enum tl_window {
	TL_WIN_ALL = 0,		/* since start */
	TL_WIN_60S,
	TL_WIN_10S,
	TL_WIN_COUNT,
};

#endif
