/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Private to the line-mode printers: the printer state and a line builder. */
#ifndef TCPLENS_PRINTER_IMPL_H
#define TCPLENS_PRINTER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
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
};

/*
 * One output line, built in memory and written with one fwrite so that a
 * line is never interleaved or split by stdio. Long enough for any line we
 * make (escaped comm, two full IPv6 addresses); anything beyond is cut.
 */
#define TL_LINE_MAX 1024

struct tl_line {
	size_t len;
	char buf[TL_LINE_MAX];
};

void tl_line_init(struct tl_line *l);
/* Trusted formats only: untrusted text goes in through %s arguments. */
void tl_line_printf(struct tl_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Already-escaped text, cut to at most `width` display columns without
 * splitting an escape or a character, then padded with spaces to `width`. */
void tl_line_column(struct tl_line *l, const char *escaped, unsigned int width);
/* Appends the newline and writes the line; no flush (the caller buffers). */
void tl_line_write(struct tl_line *l, FILE *out);

/* value / unit rounded to `decimals` places, as "12.34": locale-proof, exact. */
size_t tl_printer_fixed(char *buf, size_t len, uint64_t value, uint64_t unit, unsigned int decimals);
/* ns since the first record this printer printed (the first one is 0). */
uint64_t tl_printer_rel_ns(struct tl_printer *p, uint64_t ts_ns);

void tl_life_header(struct tl_printer *p);
void tl_life_record(struct tl_printer *p, const struct tl_record *r);
void tl_connlat_header(struct tl_printer *p);
void tl_connlat_record(struct tl_printer *p, const struct tl_record *r);
void tl_json_record(struct tl_printer *p, const struct tl_record *r);
void tl_json_totals(struct tl_printer *p, const struct tl_totals *t);

#endif
