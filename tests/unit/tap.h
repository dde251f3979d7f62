/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal TAP producer for the unit tests. Each check prints one
 * "ok N - name" or "not ok N - name" line; tap_done() prints the plan and
 * returns the exit status. meson runs these with protocol 'tap', and
 * tools/test counts the lines.
 */
#ifndef TCPLENS_TAP_H
#define TCPLENS_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                          \
	({                                                                     \
		int _c = !!(cond);                                             \
		tap_n++;                                                       \
		if (!_c)                                                       \
			tap_failed++;                                          \
		printf("%sok %d - ", _c ? "" : "not ", tap_n);                 \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		if (!_c)                                                       \
			printf("#   at %s:%d\n", __FILE__, __LINE__);          \
		_c;                                                            \
	})

#define is_int(got, want, ...)                                                 \
	({                                                                     \
		long long _g = (long long)(got), _w = (long long)(want);       \
		int _r = ok(_g == _w, __VA_ARGS__);                            \
		if (!_r)                                                       \
			printf("#   got %lld, want %lld\n", _g, _w);           \
		_r;                                                            \
	})

#define is_str(got, want, ...)                                                 \
	({                                                                     \
		const char *_g = (got), *_w = (want);                          \
		int _r = ok(_g && _w && strcmp(_g, _w) == 0, __VA_ARGS__);     \
		if (!_r)                                                       \
			printf("#   got \"%s\", want \"%s\"\n", _g ? _g : "(null)", \
			       _w ? _w : "(null)");                            \
		_r;                                                            \
	})

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
