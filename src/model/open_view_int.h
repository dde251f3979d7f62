/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the open-connections view: shared by its ingest (open_ingest.c:
 * snapshots, rate histories, accepts per second) and its rows
 * (open_view.c: filter, grouping, sort). Nothing outside src/model uses it.
 */
#ifndef TCPLENS_MODEL_OPEN_VIEW_INT_H
#define TCPLENS_MODEL_OPEN_VIEW_INT_H

#include "open_view.h"
#include "sock_index.h"

struct hist {
	uint32_t n, head;	/* samples kept; where the next one goes */
	float tx[TL_OPEN_HIST], rx[TL_OPEN_HIST];
};

/* Paths of one ingest, NUL-separated. */
struct strbuf {
	char *p;
	size_t len, cap;
};

#define NONE UINT32_MAX

/* What one ingested socket brings besides itself. */
struct extra {
	struct tl_open_rate rate;
	uint32_t cgroup_off;
	uint32_t prev;			/* its index in the previous ingest; NONE: new */
	uint32_t hslot;			/* its rate history in the pool */
	char unit[TL_OPEN_UNIT_MAX];
	bool accepts_valid;
	uint64_t accepts_milli;
};

/* Unit names by path pointer within one ingest: most sockets share a few paths. */
#define UNIT_CACHE 256
struct unit_cache {
	const char *path;
	uint32_t off;
	char unit[TL_OPEN_UNIT_MAX];
};

struct tl_open_view {
	bool ready;
	struct tl_snapshot *snap;	/* a copy of the last ingest's sockets */
	struct extra *ex;		/* per socket of snap */
	/* rate histories stay in place from one ingest to the next (a socket
	 * keeps its slot); slots of closed sockets are reused */
	struct hist *pool;
	size_t pool_n, pool_cap;	/* slots handed out at least once; allocated */
	uint32_t *free_slots;		/* room for pool_cap */
	size_t nfree;
	struct unit_cache ucache[UNIT_CACHE];
	uint32_t *order;		/* build: rows in sorted order */
	size_t order_cap;
	struct tl_sock_index ix;	/* snap by cookie */
	struct strbuf str;		/* the cgroup paths of snap */
	/* snap, ex and str are one of two buffers each, reused in turn: fresh
	 * memory for 100,000 sockets at every refresh costs more in page faults
	 * than the copying */
	struct tl_snapshot sb[2];
	struct extra *eb[2];
	size_t eb_cap[2];
	struct strbuf strb[2];
	int cur;
	uint8_t *taken;
	size_t taken_cap;
	struct tl_open_row *rows;
	size_t nrows, rows_cap;
	uint32_t *sel;			/* build: indexes of matching sockets */
	size_t sel_cap;
	enum tl_ocol sort;		/* for the comparator */
	bool desc;
	enum tl_ogroup group;
};

#endif
