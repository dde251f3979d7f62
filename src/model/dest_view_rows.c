// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* View rows: their keys, their member table rows, what the touch logs say changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dest_view_int.h"

void dv_reset_rows(struct tl_dest_view *v)
{
	v->nrows = v->ndirty = v->nkeyed = v->n = 0;
	v->nreal = 0;
	v->other = DV_NONE;
	v->mapped[0] = v->mapped[1] = 0;
	tl_keyhash_clear(&v->khash);
	v->fresh = true;
	v->need_sort = true;
	v->sval_ok = false;
}

static int grow(void **p, size_t n, size_t sz)
{
	void *np = realloc(*p, n * sz);

	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

static int reserve_rows(struct tl_dest_view *v, size_t n)
{
	size_t ncap;

	if (n <= v->rcap)
		return 0;
	ncap = v->rcap ? v->rcap * 2 : 256;
	while (ncap < n)
		ncap *= 2;
	if (grow((void **)&v->rows, ncap, sizeof(*v->rows)) ||
	    grow((void **)&v->wexp, ncap, sizeof(*v->wexp)) ||
	    grow((void **)&v->out, ncap, sizeof(*v->out)) ||
	    grow((void **)&v->dirty, ncap, sizeof(*v->dirty)) ||
	    grow((void **)&v->keyorder, ncap, sizeof(*v->keyorder)) ||
	    grow((void **)&v->keyrank, ncap, sizeof(*v->keyrank)) ||
	    grow((void **)&v->order, ncap, sizeof(*v->order)) ||
	    grow((void **)&v->sval, ncap, sizeof(*v->sval)) ||
	    grow((void **)&v->sflag, ncap, sizeof(*v->sflag)) ||
	    grow((void **)&v->sbuf, ncap, DV_STRIDE) ||
	    grow((void **)&v->stmp, ncap, DV_STRIDE))
		return -ENOMEM;
	v->rcap = ncap;
	return 0;
}

static int reserve_members(struct tl_dest_view *v, int t, size_t n)
{
	size_t ncap;

	if (n <= v->mcap[t])
		return 0;
	ncap = v->mcap[t] ? v->mcap[t] * 2 : 256;
	while (ncap < n)
		ncap *= 2;
	if (grow((void **)&v->map[t], ncap, sizeof(uint32_t)) ||
	    grow((void **)&v->next[t], ncap, sizeof(uint32_t)))
		return -ENOMEM;
	v->mcap[t] = ncap;
	return 0;
}

static int64_t new_row(struct tl_dest_view *v, const struct tl_agg_key *k, uint8_t is_other)
{
	struct dv_row *r;

	if (reserve_rows(v, v->nrows + 1))
		return -ENOMEM;
	r = &v->rows[v->nrows];
	memset(r, 0, sizeof(*r));
	r->key = *k;
	r->is_other = is_other;
	r->first = DV_NONE;
	v->wexp[v->nrows].wmin = v->wexp[v->nrows].wnext = INT64_MAX;
	memset(&v->out[v->nrows], 0, sizeof(v->out[0]));
	v->sflag[v->nrows] = 0;
	v->sval[v->nrows] = 0;
	if (is_other)
		v->other = (uint32_t)v->nrows;
	else
		v->nreal++;
	return (int64_t)v->nrows++;
}

static int64_t other_row(struct tl_dest_view *v)
{
	struct tl_agg_key none;

	if (v->other != DV_NONE)
		return v->other;
	memset(&none, 0, sizeof(none));
	return new_row(v, &none, 1);
}

/* The derived row for key k; past max_dests, "other". */
static int64_t derived_row(struct tl_dest_view *v, const struct tl_agg_key *k)
{
	struct tl_keyrows keys = TL_KEYROWS(v->rows, struct dv_row, key);
	uint32_t p;
	int64_t vr;

	/* made on the first derived row; kept under half full */
	if ((v->nreal + 1) * 2 > v->khash.mask + 1 &&
	    (v->khash.slot ? tl_keyhash_grow(&v->khash, keys) : tl_keyhash_init(&v->khash, 1024)))
		return -ENOMEM;
	p = tl_keyhash_slot(&v->khash, keys, k, tl_agg_hash(k));
	if (v->khash.slot[p])
		return v->khash.slot[p] - 1;
	if (v->nreal >= v->m->cfg.max_dests)
		return other_row(v);
	vr = new_row(v, k, 0);
	if (vr >= 0)
		v->khash.slot[p] = (uint32_t)vr + 1;
	return vr;
}

/* Give every new table row its view row. */
int dv_sync_rows(struct tl_dest_view *v)
{
	int t;

	for (t = 0; t < v->ntab; t++) {
		const struct tl_agg *a = v->tab[t];
		uint32_t id;

		if (reserve_members(v, t, a->nrows))
			return -ENOMEM;
		for (id = v->mapped[t]; id < a->nrows; id++) {
			const struct tl_agg_row *ar = &a->rows[id];
			int64_t vr;

			if (!v->derived) {
				vr = new_row(v, &ar->key, ar->is_other);
			} else if (ar->is_other) {
				/* the destinations' other is counted again in the overflow table */
				vr = t == 0 ? (int64_t)DV_NONE : other_row(v);
			} else {
				struct tl_agg_key k = ar->key;

				if (v->group == TL_GROUP_ADDR) {
					k.port = 0;
				} else {
					k.family = 0;
					memset(k.addr, 0, sizeof(k.addr));
				}
				vr = derived_row(v, &k);
			}
			if (vr < 0)
				return (int)vr;
			v->map[t][id] = (uint32_t)vr;
			v->next[t][id] = DV_NONE;
			if ((uint32_t)vr == DV_NONE)
				continue;
			v->next[t][id] = v->rows[vr].first;
			v->rows[vr].first = DV_MEM(t, id);
			v->rows[vr].nmem++;
			dv_mark_dirty(v, (uint32_t)vr);
		}
		v->mapped[t] = a->nrows;
	}
	return 0;
}

static void mark_all_dirty(struct tl_dest_view *v)
{
	size_t i;

	for (i = 0; i < v->nrows; i++)
		dv_mark_dirty(v, (uint32_t)i);
}

/* Rows touched since the last update, from the tables' logs. */
void dv_read_logs(struct tl_dest_view *v)
{
	int t;

	for (t = 0; t < v->ntab; t++) {
		struct tl_agg *a = v->tab[t];
		uint64_t s;

		if (v->fresh) {
			v->cursor[t] = a->log_total;
			a->log_read = a->log_total;
			continue;
		}
		if (a->log_total - v->cursor[t] > TL_AGG_LOG_LEN) {
			/* the log wrapped since the last look */
			mark_all_dirty(v);
		} else {
			/* from the last entry already read: a run of connects to its
			 * row may have grown since without a new entry */
			for (s = v->cursor[t] ? v->cursor[t] - 1 : 0; s < a->log_total; s++) {
				uint32_t vr = v->map[t][a->log[s & (TL_AGG_LOG_LEN - 1)]];

				if (vr != DV_NONE)
					dv_mark_dirty(v, vr);
			}
		}
		v->cursor[t] = a->log_total;
		/* the next touch of the last row read must be logged again */
		a->log_read = a->log_total;
	}
	v->fresh = false;
}
