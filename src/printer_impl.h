/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Private to the line-mode printers: the printer state that printer.c makes
 * and the entry points of the modes it dispatches to (life_out.c,
 * connlat_out.c, json_out.c). The modes write with the line builder (line.h).
 */
#ifndef TCPLENS_PRINTER_IMPL_H
#define TCPLENS_PRINTER_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "printer.h"

struct tl_printer {
	FILE *out;
	enum tl_mode mode;
	bool time_hms;		/* life -T */
	bool time_rel;		/* -t */
	bool wide;		/* life -w */
	bool csv;		/* life -s */
	bool show_lport;	/* connlat -L */
	bool extended;		/* connlat -x */
	uint64_t min_lat_ns;	/* connlat MIN_MS */
	bool have_first;	/* -t: first_ts_ns is set */
	uint64_t first_ts_ns;
	bool have_hms;		/* -T: hms is the text of hms_secs */
	int64_t hms_secs;	/* localtime_r once a second, not once a line */
	char hms[16];
	tl_cgroup_path_fn cgroup_path;
	void *cgroup_ctx;
};

/* ns since the first record this printer printed (the first one is 0).
 * Inline: the modes use it, and printer.c only dispatches to them. */
static inline uint64_t tl_printer_rel_ns(struct tl_printer *p, uint64_t ts_ns)
{
	if (!p->have_first) {
		p->have_first = true;
		p->first_ts_ns = ts_ns;
	}
	/* events from different CPUs may arrive slightly out of order */
	return ts_ns > p->first_ts_ns ? ts_ns - p->first_ts_ns : 0;
}

void tl_life_header(struct tl_printer *p);
void tl_life_record(struct tl_printer *p, const struct tl_record *r);
void tl_connlat_header(struct tl_printer *p);
void tl_connlat_record(struct tl_printer *p, const struct tl_record *r);
void tl_json_record(struct tl_printer *p, const struct tl_record *r);
void tl_json_totals(struct tl_printer *p, const struct tl_totals *t);

#endif
