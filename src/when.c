// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <time.h>

#include "when.h"

#define NS 1000000000ull

/* Exactly n digits at *s, moved past: the value, or -1. */
static int digits(const char **s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	return v;
}

static int parse_clock(const char *s, struct tl_when *w)
{
	w->hour = digits(&s, 2);
	if (w->hour < 0 || w->hour > 23 || *s++ != ':')
		return -EINVAL;
	w->min = digits(&s, 2);
	if (w->min < 0 || w->min > 59)
		return -EINVAL;
	w->sec = 0;
	if (*s == ':') {
		s++;
		w->sec = digits(&s, 2);
		if (w->sec < 0 || w->sec > 60)
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

int tl_when_parse(const char *s, struct tl_when *w)
{
	memset(w, 0, sizeof(*w));
	if (strlen(s) >= 10 && s[4] == '-') {
		w->year = digits(&s, 4);
		if (w->year < 1970 || *s++ != '-')
			return -EINVAL;
		w->mon = digits(&s, 2);
		if (w->mon < 1 || w->mon > 12 || *s++ != '-')
			return -EINVAL;
		w->mday = digits(&s, 2);
		if (w->mday < 1 || w->mday > 31 || (*s != ' ' && *s != 'T'))
			return -EINVAL;
		s++;
		w->has_date = true;
	}
	if (parse_clock(s, w))
		return -EINVAL;
	w->set = true;
	return 0;
}

/* mktime in local time for that day and w's time of day; -1 if none. */
static time_t local_time(const struct tl_when *w, int year, int mon, int mday)
{
	struct tm tm = { 0 };
	time_t t;

	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = w->hour;
	tm.tm_min = w->min;
	tm.tm_sec = w->sec;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime normalises 31 February into March: that is no such date */
	if (t == (time_t)-1 || tm.tm_mday != mday || tm.tm_mon != mon - 1)
		return (time_t)-1;
	return t;
}

int tl_when_resolve(const struct tl_when *w, uint64_t ref_ns, uint64_t *wall_ns)
{
	time_t t, from;
	struct tm day;

	if (!w->set)
		return -EINVAL;
	if (w->has_date) {
		t = local_time(w, w->year, w->mon, w->mday);
	} else {
		from = (time_t)(ref_ns / NS) - 12 * 3600;
		if (!localtime_r(&from, &day))
			return -EINVAL;
		t = local_time(w, day.tm_year + 1900, day.tm_mon + 1, day.tm_mday);
		if (t != (time_t)-1 && t < from)
			t += 24 * 3600;
	}
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*wall_ns = (uint64_t)t * NS;
	return 0;
}

/* A whole number and one optional suffix letter from units. */
static int number_unit(const char *s, const char *units, const uint64_t *mult, uint64_t *out)
{
	uint64_t v = 0, m = 1;
	const char *u;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (!n)
		return -EINVAL;
	if (*s) {
		u = strchr(units, *s);
		if (!u || s[1])
			return -EINVAL;
		m = mult[u - units];
	}
	if (v && m > UINT64_MAX / v)
		return -ERANGE;
	*out = v * m;
	return 0;
}

int tl_parse_size(const char *s, uint64_t *bytes)
{
	static const uint64_t mult[] = { 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40,
					 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40 };

	return number_unit(s, "KMGTkmgt", mult, bytes);
}

int tl_parse_duration(const char *s, uint64_t *ns)
{
	static const uint64_t mult[] = { NS, 60 * NS, 3600 * NS, 86400 * NS };
	uint64_t v;
	int r = number_unit(s, "smhd", mult, &v);

	if (r)
		return r;
	/* plain seconds: the suffix-less number counts seconds too */
	if (strspn(s, "0123456789") == strlen(s)) {
		if (v > UINT64_MAX / NS)
			return -ERANGE;
		v *= NS;
	}
	*ns = v;
	return 0;
}
