/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the open-connections view: shared by its ingest (open_ingest.c:
 * snapshots, rate histories, accepts per second) and its rows
 * (open_view.c: filter, grouping, sort). Nothing outside src/model uses it.
 */
#ifndef TCPLENS_MODEL_OPEN_VIEW_INT_H
#define TCPLENS_MODEL_OPEN_VIEW_INT_H

#include "open_view.h"

/* Paths of one ingest, NUL-separated. */
struct strbuf {
	char *p;
	size_t len, cap;
};

#define NONE UINT32_MAX

/* A unit and its cgroup path (an offset in the ingest's strbuf), shared by
 * the sockets of one cgroup: most sockets share a few. */
struct unit_ent {
	uint32_t cgroup_off;
	char unit[TL_OPEN_UNIT_MAX];	/* "" when the path names none */
};

/* What one ingested socket brings besides itself. */
struct extra {
	struct tl_open_rate rate;
	uint32_t uref;			/* its unit_ent; NONE: unknown */
	uint32_t prev;			/* its index in the previous ingest; NONE: new */
	uint32_t hslot;			/* its rate history in the pool */
	bool accepts_valid;
	uint64_t accepts_milli;
};

/* One ingest's sockets by cookie: slots hold index + 1, 0 is empty. */
struct cindex {
	uint32_t *slots;
	size_t mask, cap;
};

/* The index of the socket with this cookie in cookies[], or NONE. */
uint32_t tl_open_cindex_find(const struct cindex *ci, const uint64_t *cookies, uint64_t cookie);

/* Unit entries by path pointer within one ingest. */
#define UNIT_CACHE 256
struct unit_cache {
	const char *path;
	uint32_t uref;
};

/* A sort key: the column as a number (inverted when descending), then the cookie. */
struct skey {
	uint64_t k, cookie;
	uint32_t row;
};

/*
 * Rows of a connection or listener build are made only when asked for
 * (a screen shows some 60 of 100,000): by position, in a small cache
 * that a build empties.
 */
#define ROW_CACHE 1024
struct row_cache {
	uint64_t gen[ROW_CACHE];	/* the build that made the entry; 0: none */
	size_t pos[ROW_CACHE];
	struct tl_open_row row[ROW_CACHE];
};

struct tl_open_view {
	bool ready;
	uint64_t seq;			/* ingests so far */
	struct tl_snapshot *snap;	/* a copy of the last ingest's sockets */
	struct extra *ex;		/* per socket of snap */
	struct unit_ent *units;		/* of snap */
	/*
	 * Rate histories: one sample per ingest in a ring of TL_OPEN_HIST
	 * rows, each a float per slot (negative: no rate then), so that an
	 * ingest writes one row in slot order instead of touching a
	 * 500-byte history per socket. A socket keeps its slot from one
	 * ingest to the next; slots of closed sockets are reused, their
	 * samples from before born[] ignored.
	 */
	float *htx, *hrx;		/* [TL_OPEN_HIST][pool_cap] */
	uint64_t *born;			/* per slot: the ingest it was taken at */
	size_t pool_n, pool_cap;	/* slots handed out at least once; allocated */
	uint32_t *free_slots;		/* room for pool_cap */
	size_t nfree;
	struct unit_cache ucache[UNIT_CACHE];
	/* snap, ex, units, str, ck and cix are one of two buffers each, reused in
	 * turn: fresh memory for 100,000 sockets at every refresh costs more
	 * in page faults than the copying */
	struct tl_snapshot sb[2];
	struct extra *eb[2];
	size_t eb_cap[2];
	struct unit_ent *ub[2];
	size_t ub_n[2], ub_cap[2];
	struct strbuf strb[2];
	uint64_t *ck[2];		/* the sockets' cookies, compact */
	size_t ck_cap[2];
	uint8_t *st[2];			/* the sockets' states, compact */
	size_t st_cap[2];
	struct cindex cix[2];		/* ck by cookie */
	int cur;
	uint32_t *lis, *pas;		/* ingest: listeners; passive sockets new since last */
	size_t lis_cap, pas_cap;
	uint8_t *taken;
	size_t taken_cap;
	uint32_t *old2new;		/* previous ingest's index -> this one's; NONE: closed */
	size_t old2new_cap, old2new_n;

	/* ---- the last build ---- */
	int bbuf;			/* the buffers it read (sb, eb, ub, strb) */
	uint64_t bseq;			/* the ingest it read */
	uint64_t bgen;			/* builds so far: tags the row cache */
	bool lazy;			/* connections or listeners: rows made on demand */
	enum tl_ocol sort;
	bool desc;
	enum tl_ogroup group;
	size_t nrows;
	uint32_t *order;		/* rows in sorted order: socket or rows[] indexes */
	uint64_t *okey;			/* lazy builds: key per position, a hint */
	size_t order_cap;
	uint32_t *pos;			/* lazy builds: socket index -> position, rows only */
	size_t pos_cap;
	struct tl_open_row *rows;	/* grouped builds: one per group */
	size_t rows_cap;
	uint32_t *gslots;		/* grouping: a hash table of rows (index + 1) */
	size_t gslots_cap;
	uint32_t *grep;			/* per row: its group's first socket */
	size_t grep_cap;
	uint64_t *uhash;		/* per unit entry: its name's hash */
	size_t uhash_cap;
	uint32_t *sel;			/* indexes of matching sockets */
	size_t sel_cap;
	uint8_t *mark;			/* per socket: selected (1), placed by the hint (2) */
	size_t mark_cap;
	uint64_t *kcur;			/* lazy builds: per socket, its key */
	size_t kcur_cap;
	struct skey *ks, *kc, *kt;	/* kept in order, to sort, scratch */
	size_t k_cap;
	struct row_cache *rc;
};

#endif
