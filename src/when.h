/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Times, sizes and durations typed by users (--begin, --end, the monitor's
 * `b` prompt, --max-size, --max-age). Parsed the same in every locale.
 */
#ifndef TCPLENS_WHEN_H
#define TCPLENS_WHEN_H

#include <stdbool.h>
#include <stdint.h>

/* A moment as typed: a time of day, with or without a date (local time). */
struct tl_when {
	bool set;
	bool has_date;
	int year, mon, mday;	/* with has_date; mon 1-12 */
	int hour, min, sec;
};

/*
 * "HH:MM", "HH:MM:SS", and either after a date "YYYY-MM-DD" and a space or
 * a 'T'. 0 or -EINVAL. Nothing is resolved yet: see tl_when_resolve.
 */
int tl_when_parse(const char *s, struct tl_when *w);

/*
 * The wall clock (ns since the epoch) of w in local time. Without a date,
 * the first such time of day at or after ref_ns - 12 h: the day of the
 * recording that starts at ref_ns, as atop reads `-b 03:12`, even when the
 * recording crosses midnight. 0 or -EINVAL (no such local time).
 */
int tl_when_resolve(const struct tl_when *w, uint64_t ref_ns, uint64_t *wall_ns);

/* "512K", "64M", "1G", "2T" (powers of 1024) or plain bytes: 0, -EINVAL
 * or -ERANGE. */
int tl_parse_size(const char *s, uint64_t *bytes);
/* "90s", "30m", "12h", "7d" or plain seconds: 0, -EINVAL or -ERANGE. */
int tl_parse_duration(const char *s, uint64_t *ns);

#endif
