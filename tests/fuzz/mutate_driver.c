// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A bounded mutation fuzzer without libFuzzer, for the test suites (also
 * under ASan/UBSan in build-san): takes the seeds of a corpus directory
 * and runs ITERATIONS mutants of them (bit flips, byte sets, lengths at
 * their edges, cuts, splices, duplicated ranges) through the fuzz function,
 * stopping early after SECONDS. The random seed is fixed, so a failure
 * repeats; a crash is the failure (the sanitizer or abort() reports it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/fuzz/fuzz.h"
#include "tests/unit/tap.h"

#define MAX_SEED (1u << 20)
#define MAX_SEEDS 256

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const uint32_t edges[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff,
				  0x80000000, 0xffffffff, 16u << 20, (16u << 20) + 1 };

static size_t mutate(uint8_t *buf, size_t len, size_t cap, const uint8_t *other, size_t olen)
{
	int rounds = 1 + (int)(next_rand() % 4);

	for (int k = 0; k < rounds; k++) {
		size_t at = len ? next_rand() % len : 0;

		switch (next_rand() % 7) {
		case 0:		/* flip a bit */
			if (len)
				buf[at] ^= (uint8_t)(1u << (next_rand() % 8));
			break;
		case 1:		/* set a byte */
			if (len)
				buf[at] = (uint8_t)next_rand();
			break;
		case 2:		/* a 32-bit length at an edge, little-endian */
			if (len >= 4) {
				uint32_t v = edges[next_rand() % (sizeof(edges) / sizeof(edges[0]))];

				at = next_rand() % (len - 3);
				for (int i = 0; i < 4; i++)
					buf[at + i] = (uint8_t)(v >> (8 * i));
			}
			break;
		case 3:		/* cut */
			len = at;
			break;
		case 4:		/* splice in a piece of another seed */
			if (olen) {
				size_t from = next_rand() % olen, n = next_rand() % (olen - from) + 1;

				if (at + n > cap)
					n = cap - at;
				memcpy(buf + at, other + from, n);
				if (at + n > len)
					len = at + n;
			}
			break;
		case 5:		/* duplicate a range */
			if (len) {
				size_t n = next_rand() % (len - at) + 1;

				if (len + n <= cap) {
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
			}
			break;
		default:	/* a varint byte with its continuation bit */
			if (len)
				buf[at] |= 0x80;
			break;
		}
	}
	return len;
}

static int not_hidden(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	uint8_t *seeds[MAX_SEEDS], *buf;
	size_t lens[MAX_SEEDS], nseeds = 0;
	struct dirent **list = NULL;
	long iterations, seconds, done = 0;
	struct timespec t0, t;
	char path[4096];
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CORPUS_DIR ITERATIONS SECONDS\n", argv[0]);
		return 2;
	}
	iterations = strtol(argv[2], NULL, 10);
	seconds = strtol(argv[3], NULL, 10);
	n = scandir(argv[1], &list, not_hidden, alphasort);
	for (int i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", argv[1], list[i]->d_name);
		f = fopen(path, "rb");
		if (f && nseeds < MAX_SEEDS) {
			seeds[nseeds] = malloc(MAX_SEED);
			lens[nseeds] = fread(seeds[nseeds], 1, MAX_SEED, f);
			nseeds++;
		}
		if (f)
			fclose(f);
		free(list[i]);
	}
	free(list);
	if (!ok(nseeds > 0 && iterations > 0 && seconds > 0, "%zu seeds from %s", nseeds, argv[1]))
		return tap_done();
	buf = malloc(2 * MAX_SEED);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (; done < iterations; done++) {
		size_t s = next_rand() % nseeds, o = next_rand() % nseeds, len;

		memcpy(buf, seeds[s], lens[s]);
		len = mutate(buf, lens[s], 2 * MAX_SEED, seeds[o], lens[o]);
		LLVMFuzzerTestOneInput(buf, len);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= seconds)
			break;
	}
	/* reaching here is the pass: a crash or abort() ends the process */
	ok(done > 0, "%ld mutants of %zu seeds ran without a crash", done, nseeds);
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i]);
	free(buf);
	return tap_done();
}
