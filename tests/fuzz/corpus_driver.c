// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs every file of a fuzz corpus directory through the fuzz function,
 * without libFuzzer: the normal (and the sanitized) test suites replay the
 * committed seeds and any crash the fuzzer found. One TAP line per file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "tests/unit/tap.h"

static int not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* The whole file at path in *buf (malloc'd); 0 or -errno. */
static int slurp(const char *path, char **buf, size_t *len)
{
	char *data = NULL, *more;
	size_t n = 0, cap = 0;
	FILE *f;
	int err = 0;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			more = realloc(data, cap);
			if (!more) {
				err = -ENOMEM;
				goto cleanup;
			}
			data = more;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	*buf = data;
	*len = n;
	data = NULL;
cleanup:
	free(data);
	fclose(f);
	return err;
}

int main(int argc, char **argv)
{
	struct dirent **list = NULL;
	char path[4096];
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &list, not_hidden, alphasort);
	ok(n > 0, "corpus %s has files", argv[1]);
	for (int i = 0; i < n; i++) {
		char *data = NULL;
		size_t len = 0;
		int err;

		snprintf(path, sizeof(path), "%s/%s", argv[1], list[i]->d_name);
		err = slurp(path, &data, &len);
		if (ok(err == 0, "%s: %s", list[i]->d_name, err ? strerror(-err) : "replayed"))
			LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
		free(list[i]);
	}
	free(list);
	return tap_done();
}
