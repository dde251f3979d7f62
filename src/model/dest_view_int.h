/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The insides of the connect-latency view (model.h: tl_dest_view_*), shared
 * by the files it is made of, one mechanism each:
 *
 *   dest_view.c         making, freeing, the update that runs the others
 *   dest_view_rows.c    view rows and their keys, members, the touch logs
 *   dest_view_window.c  a row's numbers over its window: quantiles, histogram
 *   dest_view_fail.c    a row's failures: counts, time to failure, errnos
 *   dest_view_sort.c    sort values, key ranks, the order
 *   dest_view_filter.c  the private table of a filtered view
 *   dest_view_hold.c    holding still while paused
 *
 * Not for front ends, and not for the rest of the model.
 */
#ifndef TCPLENS_MODEL_DEST_VIEW_INT_H
#define TCPLENS_MODEL_DEST_VIEW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "model_int.h"

#define NS 1000000000ULL
/* connects reach the ring in arrival order; allow this much disorder in ts */
#define DV_TS_SLACK_NS (5 * NS)
#define DV_NONE UINT32_MAX
#define DV_MEM(t, id) (((uint32_t)(t) << 31) | (uint32_t)(id))
/* sort entries: is_other, 8-byte value, 4-byte key rank; then the row id */
#define DV_KEYLEN 13
#define DV_STRIDE 20
#define DV_LIVE 1		/* the row has connects: it is shown */
#define DV_OTHER 2
#define DV_DIRTY 4		/* in the dirty list */

#define TL_DV_HOLD_NQ 16	/* quantiles a held view keeps per row */

struct dv_row {
	struct tl_agg_key key;
	uint8_t is_other;
	uint8_t hist_ok;
	uint32_t first;		/* first member (DV_MEM), chained through next[] */
	uint32_t nmem;
};

/* Windowed: recompute when the window starts after wmin or reaches wnext. */
struct dv_wexp {
	int64_t wmin, wnext;
};

struct tl_dest_view {
	struct tl_model *m;
	bool built;
	enum tl_group group;
	enum tl_window win;
	char *ftext;		/* NULL: no filter */
	enum tl_dcol sort;
	bool desc;
	int64_t wstart, wend;	/* seconds of the window, when windowed */
	int64_t last_wstart, last_wend;
	/* filtered: a private table */
	struct tl_agg *fagg;
	uint64_t fbuilt_total;
	int64_t fwstart, fwend;
	/* the tables rows are made of */
	/* not const: reading a table marks its log read and moves its sketches' cursors */
	struct tl_agg *tab[2];
	int ntab;
	bool derived;		/* rows merge table rows by a coarser key */
	bool src_windowed;	/* rows are merges of window entries */
	bool fresh;		/* rows were reset: start the logs from now */
	uint64_t cursor[2];	/* touch log read up to */
	uint32_t mapped[2];	/* table rows given a view row */
	uint32_t *map[2];	/* table row -> view row, DV_NONE if none */
	uint32_t *next[2];	/* next member of the same view row */
	size_t mcap[2];
	/* rows */
	struct dv_row *rows;
	struct dv_wexp *wexp;
	struct tl_dest_row *out;
	uint32_t *dirty;
	uint32_t *keyorder, *keyrank, *order;
	/*
	 * Each row's sort value and flags (DV_LIVE, DV_OTHER) as of sval_sort
	 * and sval_desc, so a sort reads two small arrays, not every row; the
	 * flags also hold DV_DIRTY, which the logs set for thousands of rows
	 * per refresh: a byte each keeps that in the cache.
	 */
	uint64_t *sval;
	uint8_t *sflag;
	enum tl_dcol sval_sort;
	bool sval_desc, sval_ok;
	uint8_t *sbuf, *stmp;
	size_t nrows, rcap, ndirty, nkeyed, n;
	uint32_t nreal;		/* rows other than "other" */
	uint32_t other;		/* view row of "other", DV_NONE if none */
	struct tl_keyhash khash;	/* derived: view rows by key ("other" is not in it) */
	bool need_sort;
	struct tl_sketch scratch, fscratch;
	const struct tl_agg *folds_tab[2];	/* the tables, and their folds, at the last update */
	uint64_t folds_seen[2];
	/* held (paused): hquant[vr * hnq + k] is quantile hq[k] of row vr */
	bool held;
	int hnq;
	double hq[TL_DV_HOLD_NQ];
	uint64_t *hquant;
	/* held: each row's failures by view row, read at hold like the quantiles */
	struct tl_dest_fail *hfail;
	int hfail_ret;
	tl_cgroup_path_fn cg_fn;	/* the unit grouping's names */
	void *cg_ctx;
};

/* A row's failures: what row_fail_data gathers. */
struct dv_fail {
	uint64_t aborted;
	uint64_t last_ts, last_ns;	/* newest failed connect, its time to failure */
	uint64_t *err;			/* [256] by errno, or NULL: not wanted */
	uint64_t err_other;
};

static inline void dv_mark_dirty(struct tl_dest_view *v, uint32_t vr)
{
	if (!(v->sflag[vr] & DV_DIRTY)) {
		v->sflag[vr] |= DV_DIRTY;
		v->dirty[v->ndirty++] = vr;
	}
}

static inline struct tl_agg_row *dv_member(const struct tl_dest_view *v, uint32_t mem)
{
	return &v->tab[mem >> 31]->rows[mem & 0x7fffffffu];
}

static inline uint32_t dv_member_next(const struct tl_dest_view *v, uint32_t mem)
{
	return v->next[mem >> 31][mem & 0x7fffffffu];
}

/* dest_view.c */
/* A table row folded into "other" since the last update: the rows are not theirs. */
bool dv_stale(const struct tl_dest_view *v);

/* dest_view_rows.c */
/* No rows: the next sync makes them again from the tables. */
void dv_reset_rows(struct tl_dest_view *v);
/* Give every new table row its view row; -ENOMEM. */
int dv_sync_rows(struct tl_dest_view *v);
/* Mark the rows touched since the last update, from the tables' logs. */
void dv_read_logs(struct tl_dest_view *v);

/* dest_view_window.c */
/*
 * Row vr's statistics and latency sketch over the view's window: a
 * member's own sketch (the table's: the view does not own it) when that is
 * the whole answer, else merged into scratch.
 */
struct tl_sketch *dv_row_data(const struct tl_dest_view *v, struct tl_sketch *scratch,
			      uint32_t vr, struct tl_agg_stats *st, struct dv_wexp *x);
void dv_compute_row(struct tl_dest_view *v, uint32_t vr);
void dv_order_dirty(struct tl_dest_view *v);
void dv_prefetch_ahead(const struct tl_dest_view *v, size_t i);

/* dest_view_fail.c */
/* Row vr's failures into fd, and the sketch of its times to failure (the
 * same way: a member's own, or merged into scratch). */
struct tl_sketch *dv_row_fail_data(const struct tl_dest_view *v, struct tl_sketch *scratch,
				   uint32_t vr, struct dv_fail *fd);

/* dest_view_sort.c */
void dv_set_sval(struct tl_dest_view *v, uint32_t vr);
void dv_rank_keys(struct tl_dest_view *v);
void dv_sort_rows(struct tl_dest_view *v);

/* dest_view_filter.c */
int dv_filtered_refresh(struct tl_dest_view *v, const struct tl_model *m,
			const struct tl_filter *f, bool *rebuilt);

#endif
