/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Line-mode printers: tcplife columns (life), tcpconnlat columns (connlat),
 * NDJSON (json). One interface; the mode in the options picks the format.
 */
#ifndef TCPLENS_PRINTER_H
#define TCPLENS_PRINTER_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "drops.h"
#include "record.h"

struct tl_totals {
	uint64_t sessions;		/* sessions received from the kernel */
	uint64_t connects;		/* connects received from the kernel */
	struct tl_drops drops;
	uint64_t dropped_output;	/* lines stdout could not take in time (src/output.h) */
};

struct tl_printer;

/* The path of a cgroup v2 id for the json "cgroup" field, or NULL when
 * unknown (printed as null). */
typedef const char *(*tl_cgroup_path_fn)(void *ctx, uint64_t id);

struct tl_printer *tl_printer_new(const struct tl_options *opt, FILE *out); /* NULL + errno */
void tl_printer_free(struct tl_printer *p);
/* Without one, every cgroup is null. */
void tl_printer_set_cgroup_path(struct tl_printer *p, tl_cgroup_path_fn fn, void *ctx);
/* The column header line (life, connlat); nothing for json. */
void tl_printer_header(struct tl_printer *p);
/* One record: life prints sessions, connlat connects (at or above MIN_MS,
 * and with -x also the failed ones; without -x only ok connects, like
 * tcpconnlat), json both. */
void tl_printer_record(struct tl_printer *p, const struct tl_record *r);
/* At exit: json writes its "stats" line; the others write nothing. */
void tl_printer_totals(struct tl_printer *p, const struct tl_totals *t);

#endif
