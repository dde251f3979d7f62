/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Fitting column descriptors to a screen width. */
#include <stdbool.h>
#include <string.h>

#include "columns.h"

static int total_width(const bool *on, const int *w, int ncols)
{
	int i, t = -1;

	for (i = 0; i < ncols; i++)
		if (on[i])
			t += w[i] + 1;
	return t;
}

/* Shrinks shrinkable columns with prio in [lo, hi], lowest first, to fit avail. */
static void shrink(const struct tl_coldesc *d, int ncols, const bool *on, int *w, int avail,
		   int lo, int hi)
{
	int need = total_width(on, w, ncols);

	while (need > avail) {
		int low = -1, i, cut;

		for (i = 0; i < ncols; i++)
			if (on[i] && d[i].min_w && w[i] > d[i].min_w && d[i].prio >= lo &&
			    d[i].prio <= hi && (low < 0 || d[i].prio < d[low].prio))
				low = i;
		if (low < 0)
			return;
		cut = w[low] - d[low].min_w;
		if (cut > need - avail)
			cut = need - avail;
		w[low] -= cut;
		need -= cut;
	}
}

/* Drops columns with prio <= hi, lowest first, until the rest fits. */
static void drop(const struct tl_coldesc *d, int ncols, bool *on, const int *w, int avail, int hi)
{
	while (total_width(on, w, ncols) > avail) {
		int low = -1, i, shown = 0;

		for (i = 0; i < ncols; i++) {
			if (!on[i])
				continue;
			shown++;
			if (d[i].prio <= hi && (low < 0 || d[i].prio < d[low].prio))
				low = i;
		}
		if (low < 0 || shown <= 1)
			return;
		on[low] = false;
	}
}

void tl_layout_fit(const struct tl_coldesc *descs, int ncols, const int *natural, int avail,
		   int sort_id, struct tl_layout *out)
{
	struct tl_coldesc d[TL_MAX_COLS];
	bool on[TL_MAX_COLS] = { false };
	int w[TL_MAX_COLS] = { 0 };
	int i, x;

	if (ncols > TL_MAX_COLS)
		ncols = TL_MAX_COLS;
	memcpy(d, descs, (size_t)ncols * sizeof(d[0]));
	for (i = 0; i < ncols; i++) {
		/* the column the user sorts by is what they are looking at */
		if (sort_id >= 0 && d[i].sort_id == sort_id && d[i].prio < TL_PRIO_ESSENTIAL)
			d[i].prio = TL_PRIO_ESSENTIAL;
		on[i] = true;
		w[i] = natural[i];
		if (d[i].max_w && w[i] > d[i].max_w)
			w[i] = d[i].max_w;
		/* a cap as narrow as the header (DIR) would cut the sort arrow off */
		if (sort_id >= 0 && d[i].sort_id == sort_id && w[i] < tl_text_width(d[i].header) + 1 &&
		    natural[i] > w[i])
			w[i] = tl_text_width(d[i].header) + 1;
	}
	/* cheap cuts first (names, sparklines), then whole minor columns; the
	 * essential columns (addresses) shrink only when nothing else is left */
	shrink(d, ncols, on, w, avail, 0, TL_PRIO_ESSENTIAL - 1);
	drop(d, ncols, on, w, avail, TL_PRIO_ESSENTIAL - 1);
	shrink(d, ncols, on, w, avail, TL_PRIO_ESSENTIAL, 255);
	drop(d, ncols, on, w, avail, 255);

	out->n = 0;
	x = 0;
	for (i = 0; i < ncols; i++) {
		if (!on[i])
			continue;
		if (w[i] > avail - x)
			w[i] = avail - x;
		if (w[i] <= 0)
			break;
		out->col[out->n] = i;
		out->x[out->n] = x;
		out->w[out->n] = w[i];
		out->n++;
		x += w[i] + 1;
	}
	out->total = x > 0 ? x - 1 : 0;
}

int tl_layout_hit(const struct tl_layout *l, int x)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (x >= l->x[i] && x <= l->x[i] + l->w[i])
			return l->col[i];
	return -1;
}

void tl_colmem_apply(struct tl_colmem *m, int ncols, int *natural, uint64_t now_ns)
{
	int i;

	if (ncols > TL_MAX_COLS)
		ncols = TL_MAX_COLS;
	for (i = 0; i < ncols; i++) {
		if (natural[i] >= m->w[i] || now_ns - m->seen_ns[i] >= TL_COLS_HOLD_NS) {
			m->w[i] = natural[i];
			m->seen_ns[i] = now_ns;
		} else {
			natural[i] = m->w[i];
		}
	}
}
