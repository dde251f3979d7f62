// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A held view (paused): its rows, their order, their failures and the asked
 * quantiles stay as they were.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dest_view_int.h"

int tl_dest_view_hold(struct tl_dest_view *v, const double *qs, int nq)
{
	struct tl_agg_stats st;
	struct tl_dest_fail *hf;
	struct dv_wexp x;
	uint64_t *hq;
	size_t i;

	if (nq < 0 || nq > TL_DV_HOLD_NQ)
		return -EINVAL;
	tl_dest_view_release(v);
	/* indexed by view row: a re-sort while held keeps the pairing */
	hq = calloc(v->nrows ? v->nrows * (size_t)nq : 1, sizeof(*hq));
	hf = calloc(v->nrows ? v->nrows : 1, sizeof(*hf));
	if (!hq || !hf) {
		free(hq);
		free(hf);
		return -ENOMEM;
	}
	v->hfail_ret = 0;
	for (i = 0; i < v->n; i++) {
		uint32_t vr = v->order[i];
		int ret;

		tl_dest_view_get(v, i);		/* fills the histogram now */
		if (nq && v->out[vr].ok)
			tl_sketch_quantiles(dv_row_data(v, &v->scratch, vr, &st, &x), qs, nq,
					    hq + (size_t)vr * nq);
		/* the errnos and times to failure too: new failures must not show in held rows */
		ret = tl_dest_view_failures(v, i, &hf[vr]);
		if (ret)
			v->hfail_ret = ret;
	}
	memcpy(v->hq, qs, (size_t)nq * sizeof(*qs));
	v->hnq = nq;
	v->hquant = hq;
	v->hfail = hf;
	v->held = true;
	return 0;
}

void tl_dest_view_release(struct tl_dest_view *v)
{
	/* the touch logs kept their place: the next update catches up from there */
	free(v->hquant);
	v->hquant = NULL;
	free(v->hfail);
	v->hfail = NULL;
	v->hnq = 0;
	v->held = false;
}

bool tl_dest_view_held(const struct tl_dest_view *v)
{
	return v->held;
}
