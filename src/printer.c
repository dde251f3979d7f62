// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The line-mode printer: its options, and the dispatch to the mode's output. */
#include <errno.h>
#include <stdlib.h>

#include "printer_impl.h"

void tl_printer_set_cgroup_path(struct tl_printer *p, tl_cgroup_path_fn fn, void *ctx)
{
	p->cgroup_path = fn;
	p->cgroup_ctx = ctx;
}

struct tl_printer *tl_printer_new(const struct tl_options *opt, FILE *out)
{
	struct tl_printer *p;
	double min_ns;

	if (!opt || !out) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->out = out;
	p->mode = opt->mode;
	p->time_hms = opt->time_hms;
	p->time_rel = opt->time_rel;
	p->wide = opt->wide;
	p->csv = opt->csv;
	p->show_lport = opt->show_lport;
	p->extended = opt->extended;
	min_ns = opt->min_ms > 0 ? opt->min_ms * 1e6 + 0.5 : 0;
	p->min_lat_ns = min_ns >= 1.8e19 ? UINT64_MAX : (uint64_t)min_ns;
	return p;
}

void tl_printer_free(struct tl_printer *p)
{
	free(p);
}

void tl_printer_header(struct tl_printer *p)
{
	if (p->mode == TL_MODE_LIFE)
		tl_life_header(p);
	else if (p->mode == TL_MODE_CONNLAT)
		tl_connlat_header(p);
}

void tl_printer_record(struct tl_printer *p, const struct tl_record *r)
{
	switch (p->mode) {
	case TL_MODE_LIFE:
		tl_life_record(p, r);
		break;
	case TL_MODE_CONNLAT:
		tl_connlat_record(p, r);
		break;
	case TL_MODE_JSON:
		tl_json_record(p, r);
		break;
	default:
		break;
	}
}

void tl_printer_totals(struct tl_printer *p, const struct tl_totals *t)
{
	if (p->mode == TL_MODE_JSON)
		tl_json_totals(p, t);
}
