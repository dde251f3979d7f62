/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The line builder the line modes write with (life, connlat, json, open):
 * integers, fixed-point numbers, addresses and escaped text appended to a
 * buffer without printf or the locale. A leaf: it knows the record and the
 * formatting, nothing of the printers that use it.
 */
#ifndef TCPLENS_LINE_H
#define TCPLENS_LINE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

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
/* Trusted formats only: untrusted text goes in through %s arguments.
 * Headers and totals; per-record lines use the appends below (no printf). */
void tl_line_printf(struct tl_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Appends. Like tl_line_printf they cut what does not fit: the line keeps
 * room for its NUL, so len <= TL_LINE_MAX - 1 always.
 */
static inline void tl_line_mem(struct tl_line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static inline void tl_line_char(struct tl_line *l, char c)
{
	if (l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = c;
}

/* A string literal: its length is known at compile time. */
#define tl_line_lit(l, s) tl_line_mem((l), "" s, sizeof(s) - 1)

static inline void tl_line_str(struct tl_line *l, const char *s)
{
	tl_line_mem(l, s, strlen(s));
}

/* |errno| as printed: also defined for INT32_MIN */
static inline uint64_t tl_err_abs(int32_t err)
{
	return err < 0 ? (uint64_t)-(int64_t)err : (uint64_t)err;
}

/* Spaces until the text since `start` is `width` wide: after a "%-Ns" value. */
void tl_line_pad_from(struct tl_line *l, size_t start, unsigned int width);
/* "%llu" */
void tl_line_u64(struct tl_line *l, uint64_t v);
/* "%*llu": right-aligned in `width` columns */
void tl_line_u64_right(struct tl_line *l, uint64_t v, unsigned int width);
/* "%0*llu": `digits` digits, leading zeros (fraction parts) */
void tl_line_u64_zero(struct tl_line *l, uint64_t v, unsigned int digits);
/* tl_fixed_text's text, appended */
void tl_line_fixed(struct tl_line *l, uint64_t value, uint64_t unit, unsigned int decimals);
/* tl_fmt_addr's text, appended */
void tl_line_addr(struct tl_line *l, uint8_t family, const uint8_t addr[16]);
/* tl_fmt_pid's text, appended */
void tl_line_pid(struct tl_line *l, const struct tl_record *r);
/* tl_fmt_comm's text as tl_line_column shows it in `width` display cells */
void tl_line_comm_column(struct tl_line *l, const struct tl_record *r, unsigned int width);
/* tl_fmt_json_string's text, appended */
void tl_line_json_string(struct tl_line *l, const char *s, size_t n);
/* Already-escaped text, cut to at most `width` display cells without
 * splitting an escape or a character, then padded with spaces to `width`
 * cells. A cell is a terminal column: CJK and emoji take two, a combining
 * mark none (wcwidth under C.UTF-8, whatever the process locale). */
void tl_line_column(struct tl_line *l, const char *escaped, unsigned int width);
/* Appends the newline and writes the line; no flush (the caller buffers). */
void tl_line_write(struct tl_line *l, FILE *out);

/* value / unit rounded to `decimals` places, as "12.34": locale-proof, exact. */
size_t tl_fixed_text(char *buf, size_t len, uint64_t value, uint64_t unit, unsigned int decimals);
#endif
