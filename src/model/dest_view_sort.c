// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The order of the rows: sort values, key ranks, a radix sort on fixed-width entries. */
#include <stdlib.h>
#include <string.h>

#include "dest_view_int.h"
#include "sortkey.h"

/* What the latency columns show: the latency, or with no ok connect the time to failure. */
static uint64_t shown(const struct tl_dest_row *d, uint64_t lat, uint64_t ttf)
{
	return d->ok ? lat : ttf;
}

static uint64_t sort_value(const struct tl_dest_view *v, uint32_t vr)
{
	const struct tl_dest_row *d = &v->out[vr];
	uint64_t x;

	switch (v->sort) {
	case TL_DCOL_KEY:
		/* unknown owners stay last in either direction */
		return ((uint64_t)!d->owner_known << 32) |
		       (v->desc ? UINT32_MAX - v->keyrank[vr] : v->keyrank[vr]);
	case TL_DCOL_CONNECTS:
		x = d->connects;
		break;
	case TL_DCOL_FAILS:
		x = d->connects - d->ok;
		break;
	case TL_DCOL_FAILPCT: {
		/* parts per million of failures, then p99 (as shown) up to 18 minutes */
		uint64_t ppm = d->connects ? (uint64_t)((unsigned __int128)(d->connects - d->ok) *
							1000000u / d->connects) : 0;
		uint64_t p99 = shown(d, d->p99_ns, d->ttf_p99_ns);

		x = ppm << 40 | (p99 < (1ULL << 40) ? p99 : (1ULL << 40) - 1);
		break;
	}
	case TL_DCOL_P50:
		x = shown(d, d->p50_ns, d->ttf_p50_ns);
		break;
	case TL_DCOL_P90:
		x = shown(d, d->p90_ns, d->ttf_p90_ns);
		break;
	case TL_DCOL_P99:
		x = shown(d, d->p99_ns, d->ttf_p99_ns);
		break;
	case TL_DCOL_MAX:
		x = shown(d, d->max_ns, d->ttf_max_ns);
		break;
	default:
		x = shown(d, d->last_ns, d->ttf_last_ns);
		break;
	}
	return v->desc ? ~x : x;
}

void dv_set_sval(struct tl_dest_view *v, uint32_t vr)
{
	v->sflag[vr] = (uint8_t)((v->sflag[vr] & DV_DIRTY) | (v->out[vr].connects ? DV_LIVE : 0) |
				 (v->rows[vr].is_other ? DV_OTHER : 0));
	/* the key column's value is the key rank, which may not be known yet */
	if (v->sort != TL_DCOL_KEY)
		v->sval[vr] = sort_value(v, vr);
}

static int key_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct tl_dest_view *v = ctx;

	return tl_agg_key_cmp(&v->rows[*(const uint32_t *)pa].key,
			      &v->rows[*(const uint32_t *)pb].key);
}

/* Ranks in key order, for ties and the key column: new rows merged in. */
void dv_rank_keys(struct tl_dest_view *v)
{
	size_t old = v->nkeyed, i = 0, j = old, o = 0;
	uint32_t *merged = v->order;	/* free until the sort is rebuilt */

	if (v->nkeyed == v->nrows)
		return;
	for (i = old; i < v->nrows; i++)
		v->keyorder[i] = (uint32_t)i;
	qsort_r(v->keyorder + old, v->nrows - old, sizeof(uint32_t), key_cmp, v);
	i = 0;
	while (i < old || j < v->nrows) {
		if (j >= v->nrows || (i < old && key_cmp(&v->keyorder[i], &v->keyorder[j], v) <= 0))
			merged[o++] = v->keyorder[i++];
		else
			merged[o++] = v->keyorder[j++];
	}
	memcpy(v->keyorder, merged, v->nrows * sizeof(*merged));
	for (i = 0; i < v->nrows; i++)
		v->keyrank[v->keyorder[i]] = (uint32_t)i;
	v->nkeyed = v->nrows;
	v->need_sort = true;
}

static void put_be(uint8_t *p, uint64_t x, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)x;
		x >>= 8;
	}
}

/*
 * Rows with connects, by the sort column; "other" last; ties in key order
 * whatever the direction, so rows do not jump.
 */
void dv_sort_rows(struct tl_dest_view *v)
{
	uint8_t *e = v->sbuf, *sorted;
	size_t i, n = 0;

	if (!v->sval_ok || v->sval_sort != v->sort || v->sval_desc != v->desc) {
		for (i = 0; i < v->nrows; i++)
			dv_set_sval(v, (uint32_t)i);
		v->sval_sort = v->sort;
		v->sval_desc = v->desc;
		v->sval_ok = true;
	}
	for (i = 0; i < v->nrows; i++) {
		uint32_t vr = (uint32_t)i;

		if (!(v->sflag[vr] & DV_LIVE))
			continue;
		e = v->sbuf + n++ * DV_STRIDE;
		e[0] = !!(v->sflag[vr] & DV_OTHER);
		put_be(e + 1, v->sort == TL_DCOL_KEY ? sort_value(v, vr) : v->sval[vr], 8);
		put_be(e + 9, v->keyrank[vr], 4);
		memset(e + DV_KEYLEN, 0, DV_STRIDE - 4 - DV_KEYLEN);
		memcpy(e + DV_STRIDE - 4, &vr, 4);
	}
	sorted = tl_sortkey_sort(v->sbuf, v->stmp, n, DV_STRIDE, DV_KEYLEN);
	for (i = 0; i < n; i++)
		v->order[i] = tl_sortkey_seq(sorted + i * DV_STRIDE, DV_STRIDE);
	v->n = n;
	v->need_sort = false;
}
