// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A filtered view's rows come from a private table, fed with the retained connects that match. */
#include <errno.h>

#include "dest_view_int.h"
#include "filter.h"

static int feed(struct tl_agg *a, const struct tl_conn *c, const struct tl_filter *f)
{
	struct tl_subject s;

	tl_subject_from_conn(&s, c);
	if (!tl_filter_match_subject(f, &s))
		return 0;
	return tl_agg_add(a, c, tl_sketch_index(c->lat_ns)) < 0 ? -ENOMEM : 0;
}

/* Bring the private table of a filtered view up to date. */
int dv_filtered_refresh(struct tl_dest_view *v, const struct tl_model *m,
			    const struct tl_filter *f, bool *rebuilt)
{
	const struct tl_history *h = &m->connects;
	uint64_t first = tl_history_first_seq(h), seq, lo_ns = 0, hi_ns = UINT64_MAX;
	bool windowed = v->win != TL_WIN_ALL;

	*rebuilt = false;
	if (windowed) {
		lo_ns = (uint64_t)v->wstart * NS;
		hi_ns = (uint64_t)(v->wend + 1) * NS;
		/* a window is cheap to rebuild and changes as it moves */
		if (v->fagg && (v->fwstart != v->wstart || v->fwend != v->wend ||
				v->fbuilt_total != h->total)) {
			tl_agg_free(v->fagg);
			v->fagg = NULL;
		}
	} else if (v->fagg && v->fbuilt_total < first) {
		/* connects went by unseen (the view was not updated for a long while) */
		tl_agg_free(v->fagg);
		v->fagg = NULL;
	}
	if (!v->fagg) {
		v->fagg = tl_agg_new(v->group, (uint32_t)m->cfg.max_dests, false);
		if (!v->fagg)
			return -ENOMEM;
		v->fbuilt_total = first;
		v->fwstart = v->wstart;
		v->fwend = v->wend;
		*rebuilt = true;
	}
	if (windowed) {
		if (!*rebuilt)
			return 0;
		/* newest first, until well before the window */
		for (seq = h->total; seq-- > first;) {
			const struct tl_conn *c = tl_history_seq(h, seq);

			if (c->ts_ns + DV_TS_SLACK_NS < lo_ns)
				break;
			if (c->ts_ns >= lo_ns && c->ts_ns < hi_ns && feed(v->fagg, c, f))
				return -ENOMEM;
		}
	} else {
		for (seq = v->fbuilt_total; seq < h->total; seq++)
			if (feed(v->fagg, tl_history_seq(h, seq), f))
				return -ENOMEM;
	}
	v->fbuilt_total = h->total;
	return 0;
}
