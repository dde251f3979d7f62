// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the two pure parsers of src/cgroup.c with one input: as mountinfo
 * text, and as a cgroup path for the UNIT column. Beyond not crashing, the
 * results must keep their documented promises (abort() otherwise, so the
 * fuzzer reports them).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "tests/fuzz/fuzz.h"

static void check_mountinfo(const char *text, size_t size)
{
	char out[PATH_MAX], small[16];
	int r, r_small;

	r = tl_mountinfo_cgroup2(text, size, out, sizeof(out));
	if (r != 0 && r != -ENOENT && r != -ENAMETOOLONG)
		abort();
	if (r == 0 && (out[0] != '/' || strlen(out) >= sizeof(out)))
		abort();

	/* The buffer size decides only whether the winner fits. */
	r_small = tl_mountinfo_cgroup2(text, size, small, sizeof(small));
	if (r == -ENOENT && r_small != -ENOENT)
		abort();
	if (r == 0 && strlen(out) < sizeof(small) && (r_small != 0 || strcmp(out, small) != 0))
		abort();
	if (r == 0 && strlen(out) >= sizeof(small) && r_small != -ENAMETOOLONG)
		abort();
	if (tl_mountinfo_cgroup2(text, size, NULL, 0) != (r == -ENOENT ? -ENOENT : -ENAMETOOLONG))
		abort();
}

static void check_unit(const char *path)
{
	char unit[32];
	size_t n, len = strlen(path);

	n = tl_cgroup_unit(unit, sizeof(unit), path);
	if (tl_cgroup_unit(NULL, 0, path) != n)
		abort();
	if (strlen(unit) != (n < sizeof(unit) ? n : sizeof(unit) - 1))
		abort();
	/* A part of the path (a component, or 12 digits of one), or "/". */
	if (n == 0 || (n > len && !(n == 1 && unit[0] == '/')))
		abort();
	if (strcmp(unit, "/") != 0 && strchr(unit, '/'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	/* Exactly size bytes: the parser must not read past them. */
	memcpy(text, data, size);
	check_mountinfo(text, size);
	text[size] = '\0';
	check_unit(text);
	free(text);
	return 0;
}
