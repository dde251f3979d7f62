// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The connect-latency panel: one row per key of a grouping, over a window.
 *
 * A view row is made of one or more table rows (its members). Without a
 * filter, destination and process rows are the model's own table rows;
 * address and port rows merge the destination rows that share the address
 * (or port), plus the model's overflow table for destinations folded into
 * "other". With a filter, rows come from a private table fed with the
 * retained connects that match (since start: built once from what the
 * connect ring still holds, then fed every new connect; windows: rebuilt
 * when the window moves).
 *
 * Each computed row is cached. An update recomputes only the rows whose
 * members appear in the tables' touch logs since the last update, plus,
 * for windows, the rows whose oldest counted second has just left the
 * window. The order is kept between updates and rebuilt (a radix sort on
 * a fixed-width key) only when a row changed or the order was changed.
 * hist[] is filled on the first tl_dest_view_get of a row after it changed,
 * so only rows that are displayed pay for it.
 *
 * A table row folded into "other" to make room is given to a new key: the
 * rows are then remade from the tables, as on a change of grouping.
 *
 * Failures are read only for rows that have some: their counts by result
 * always, their time to failure only for rows with no ok connect (what the
 * latency columns show then), their errnos only for the detail view.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "dest_view_int.h"
#include "filter.h"

struct tl_dest_view *tl_dest_view_new(void)
{
	struct tl_dest_view *v = calloc(1, sizeof(*v));

	if (v) {
		tl_sketch_init(&v->scratch);
		tl_sketch_init(&v->fscratch);
	}
	return v;
}

void tl_dest_view_free(struct tl_dest_view *v)
{
	int t;

	if (!v)
		return;
	free(v->ftext);
	tl_agg_free(v->fagg);
	for (t = 0; t < 2; t++) {
		free(v->map[t]);
		free(v->next[t]);
	}
	free(v->rows);
	free(v->wexp);
	free(v->out);
	free(v->dirty);
	free(v->keyorder);
	free(v->keyrank);
	free(v->order);
	free(v->sval);
	free(v->sflag);
	free(v->sbuf);
	free(v->stmp);
	tl_keyhash_free(&v->khash);
	tl_sketch_free(&v->scratch);
	free(v->hquant);
	free(v->hfail);
	tl_sketch_free(&v->fscratch);
	free(v);
}

struct unit_name {
	char name[64];
	uint32_t vr;
};

static int unit_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct unit_name *)a)->name, ((const struct unit_name *)b)->name);
}

/*
 * Unit rows: their paths now (a cgroup made since the last look may have
 * become known, a renamed one changed), and which unit names more than one
 * row shows. Rows are few (services, containers), so this runs at every
 * update, and only for this grouping.
 */
static void resolve_units(struct tl_dest_view *v)
{
	struct unit_name *u = v->n ? malloc(v->n * sizeof(*u)) : NULL;
	size_t i, n = 0;

	for (i = 0; i < v->n; i++) {
		uint32_t vr = v->order[i];
		struct tl_dest_row *d = &v->out[vr];

		d->cgroup_path = d->owner_known && v->cg_fn ? v->cg_fn(v->cg_ctx, d->cgroup_id) : NULL;
		d->unit_shared = 0;
		if (d->cgroup_path && u) {
			tl_cgroup_unit(u[n].name, sizeof(u[n].name), d->cgroup_path);
			u[n++].vr = vr;
		}
	}
	/* without the memory, no row is marked: the detail view still tells them apart */
	if (!u)
		return;
	qsort(u, n, sizeof(*u), unit_name_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(u[i - 1].name, u[i].name))
			continue;
		v->out[u[i - 1].vr].unit_shared = 1;
		v->out[u[i].vr].unit_shared = 1;
	}
	free(u);
}

void tl_dest_view_invalidate(struct tl_dest_view *v)
{
	v->built = false;
}

void tl_dest_view_set_cgroup_path(struct tl_dest_view *v, tl_cgroup_path_fn fn, void *ctx)
{
	v->cg_fn = fn;
	v->cg_ctx = ctx;
}

void tl_dest_view_update(struct tl_dest_view *v, struct tl_model *m,
			 enum tl_group group, enum tl_window win,
			 const struct tl_filter *f, enum tl_dcol sort, bool descending,
			 uint64_t now_ns)
{
	const char *ftext = f ? tl_filter_text(f) : NULL;
	int64_t now_sec = (int64_t)(now_ns / NS);
	bool rebuilt = false;
	size_t i;

	if ((unsigned)sort >= TL_DCOL_COUNT)
		sort = TL_DCOL_P99;
	if (v->held) {
		/* the rows hold still; only their order may change */
		if (v->sort != sort || v->desc != descending) {
			v->sort = sort;
			v->desc = descending;
			dv_sort_rows(v);
		}
		return;
	}
	tl_model_flush(m);
	if ((unsigned)group >= TL_GROUP_COUNT)
		group = TL_GROUP_DEST;
	if ((unsigned)win >= TL_WIN_COUNT)
		win = TL_WIN_ALL;
	if ((unsigned)sort >= TL_DCOL_COUNT)
		sort = TL_DCOL_FAILPCT;
	if (!v->built || v->m != m || v->group != group || v->win != win ||
	    (ftext ? !v->ftext || strcmp(v->ftext, ftext) : !!v->ftext)) {
		char *copy = ftext ? strdup(ftext) : NULL;

		if (ftext && !copy)
			goto fail;
		free(v->ftext);
		v->ftext = copy;
		tl_agg_free(v->fagg);
		v->fagg = NULL;
		v->m = m;
		v->group = group;
		v->win = win;
		dv_reset_rows(v);
		v->built = true;
	}
	if (v->sort != sort || v->desc != descending)
		v->need_sort = true;
	v->sort = sort;
	v->desc = descending;
	v->wend = now_sec;
	v->wstart = now_sec - (win == TL_WIN_60S ? 60 : 10) + 1;
	if (v->wstart < 0)
		v->wstart = 0;
	if (win == TL_WIN_ALL)
		v->wstart = v->wend = 0;

	if (f) {
		if (dv_filtered_refresh(v, m, f, &rebuilt))
			goto fail;
		if (rebuilt)
			dv_reset_rows(v);
		v->tab[0] = v->fagg;
		v->ntab = 1;
		v->derived = false;
		v->src_windowed = false;
	} else {
		v->derived = group == TL_GROUP_ADDR || group == TL_GROUP_PORT;
		v->tab[0] = m->agg[v->derived ? TL_GROUP_DEST : group];
		v->tab[1] = m->agg[group];
		v->ntab = v->derived ? 2 : 1;
		v->src_windowed = win != TL_WIN_ALL;
	}
	{
		int t;
		bool folded = false;

		for (t = 0; t < v->ntab; t++) {
			if (v->folds_tab[t] == v->tab[t] && v->folds_seen[t] != v->tab[t]->folds)
				folded = true;
			v->folds_tab[t] = v->tab[t];
			v->folds_seen[t] = v->tab[t]->folds;
		}
		/* a table row now holds another key: remake the rows */
		if (folded)
			dv_reset_rows(v);
	}
	if (dv_sync_rows(v))
		goto fail;
	dv_read_logs(v);
	if (v->src_windowed && (v->wstart != v->last_wstart || v->wend != v->last_wend)) {
		bool back = v->wstart < v->last_wstart || v->wend < v->last_wend;

		/* rows whose oldest second left the window, or whose future one came in */
		for (i = 0; i < v->nrows; i++)
			if (back || v->wstart > v->wexp[i].wmin || v->wend >= v->wexp[i].wnext)
				dv_mark_dirty(v, (uint32_t)i);
	}
	v->last_wstart = v->wstart;
	v->last_wend = v->wend;
	dv_order_dirty(v);
	for (i = 0; i < v->ndirty; i++) {
		dv_prefetch_ahead(v, i);
		dv_compute_row(v, v->dirty[i]);
		v->sflag[v->dirty[i]] &= (uint8_t)~DV_DIRTY;
	}
	if (v->ndirty)
		v->need_sort = true;
	v->ndirty = 0;
	dv_rank_keys(v);
	if (v->need_sort)
		dv_sort_rows(v);
	if (group == TL_GROUP_UNIT)
		resolve_units(v);
	return;
fail:
	/* out of memory: show nothing rather than something wrong, retry next time */
	v->built = false;
	for (i = 0; i < v->nrows; i++)
		v->sflag[i] &= (uint8_t)~DV_DIRTY;
	dv_reset_rows(v);
}

/*
 * A table row folded into "other" since the last update may hold another
 * key now: what the rows would read from the tables then is not theirs.
 */
bool dv_stale(const struct tl_dest_view *v)
{
	int t;

	for (t = 0; t < v->ntab; t++)
		if (v->folds_tab[t] != v->tab[t] || v->folds_seen[t] != v->tab[t]->folds)
			return true;
	return false;
}

bool tl_dest_view_stale(const struct tl_dest_view *v)
{
	return dv_stale(v);
}

size_t tl_dest_view_len(const struct tl_dest_view *v)
{
	return v->n;
}
