// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A recording directory over time: rotation by size and by age, the budget
 * kept (oldest files deleted first, also across a restart), files too old
 * deleted, others' files never touched, names in the same second ordered,
 * and the reader reading it all back in order, in whole chunks.
 */
#include <sys/time.h>

#include "tests/unit/rec_testlib.h"
#include "tests/unit/tap.h"

#define T0 1764680000000000000ull
#define SEC 1000000000ull

static const char *dir;

/* Bytes of the *.tlrec files in path, and how many there are. */
static uint64_t dir_total(const char *path, int *files)
{
	DIR *d = opendir(path);
	struct dirent *de;
	uint64_t total = 0;
	char p[1024];

	*files = 0;
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 6 || strcmp(de->d_name + n - 6, ".tlrec"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		total += rt_file_size(p);
		(*files)++;
	}
	if (d)
		closedir(d);
	return total;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* 300 records of random content (compress poorly) at ts, 1 ms apart. */
static void write_second(struct tl_rec_writer *w, uint64_t ts)
{
	for (int i = 0; i < 300; i++) {
		struct tl_record r;

		rt_fill_record(&r, ts + (uint64_t)i * 1000000);
		tl_rec_writer_record(w, &r);
	}
	tl_rec_writer_flush(w);
}

static void test_budget(void)
{
	enum { SECONDS = 300, MAX_FILES = 400 };
	const uint64_t max = 1 << 20;
	char path[512], *names[MAX_FILES];
	uint64_t clock = T0, worst = 0, biggest = 0;
	struct tl_rec_writer_opts o = { .max_size = max, .file_size = 128 << 10, .no_sync = true,
					.clock = rt_clock, .clock_ctx = &clock };
	struct tl_rec_writer *w;
	int created = 0, files = 0, suffix_ok = 1;
	struct rt_warns warns = { 0 };
	struct tl_rec_reader_opts ro = { .warn = rt_warn, .warn_ctx = &warns };
	struct tl_rec_reader *r;
	struct tl_rec_item it;
	uint64_t prev_ts = 0, last_ts = 0, n = 0;
	bool ordered = true;

	snprintf(path, sizeof(path), "%s/nested/rec", dir);
	w = tl_rec_writer_open(path, &o);
	ok(w != NULL, "a missing directory is created, parents too");
	if (!w)
		return;
	for (int s = 0; s < SECONDS; s++) {
		const char *cur = tl_rec_writer_file(w);
		uint64_t total;

		if (cur && (created == 0 || strcmp(names[created - 1], cur)) && created < MAX_FILES)
			names[created++] = strdup(cur);
		write_second(w, T0 + (uint64_t)s * SEC);
		clock += SEC;
		total = dir_total(path, &files);
		if (total > worst)
			worst = total;
	}
	last_ts = T0 + (uint64_t)(SECONDS - 1) * SEC + 299 * 1000000;
	ok(worst <= max, "the directory never exceeded max-size (at most %llu of %llu bytes)",
	   (unsigned long long)worst, (unsigned long long)max);
	ok(worst > max / 2, "and the budget is used (%llu bytes)", (unsigned long long)worst);
	ok(tl_rec_writer_stats(w)->files_deleted > 0 &&
	   tl_rec_writer_stats(w)->files_created == (uint64_t)created,
	   "%d files made, %llu deleted", created,
	   (unsigned long long)tl_rec_writer_stats(w)->files_deleted);
	is_int(tl_rec_writer_stats(w)->write_errors, 0, "no write errors");
	tl_rec_writer_close(w);

	/* what is left is the newest files: every deletion took the oldest */
	dir_total(path, &files);
	for (int i = 0; i < created; i++) {
		bool want = i >= created - files;

		if (exists(names[i]) != want)
			suffix_ok = 0;
		if (exists(names[i]) && rt_file_size(names[i]) > biggest)
			biggest = rt_file_size(names[i]);
		free(names[i]);
	}
	ok(suffix_ok, "the %d files left are the newest %d made", files, files);
	ok(biggest <= 128 << 10, "no file beyond file_size (largest %llu)", (unsigned long long)biggest);

	r = tl_rec_reader_open(path, &ro);
	ok(r && tl_rec_reader_files(r) == (unsigned)files, "the reader finds them all");
	while (r && tl_rec_reader_next(r, &it) == 0) {
		if (it.type != TL_REC_ITEM_RECORD)
			continue;
		if (n == 0)
			ordered &= (it.ts_ns - T0) % SEC == 0;	/* starts at a chunk's start */
		ordered &= it.ts_ns >= prev_ts;
		prev_ts = it.ts_ns;
		n++;
	}
	ok(ordered && n > 0 && n % 300 == 0, "%llu records in time order, in whole chunks", (unsigned long long)n);
	ok(prev_ts == last_ts, "the last record written is the last read");
	if (!is_int(warns.n, 0, "no warnings"))
		printf("# %s\n", warns.last);
	tl_rec_reader_free(r);

	/* a restart counts what the last run left */
	clock += SEC;
	w = tl_rec_writer_open(path, &o);
	for (int s = 0; w && s < 60; s++) {
		uint64_t total;

		write_second(w, clock);
		clock += SEC;
		total = dir_total(path, &files);
		if (total > worst)
			worst = total;
	}
	tl_rec_writer_close(w);
	ok(worst <= max, "after a restart the budget still holds (%llu bytes)", (unsigned long long)worst);
}

static void test_age(void)
{
	char path[512], old1[600], old2[600], foreign[600], other[600], cur[600];
	uint64_t clock = T0;
	struct tl_rec_writer_opts o = { .max_age_ns = 40 * SEC, .no_sync = true,
					.clock = rt_clock, .clock_ctx = &clock };
	struct tl_rec_writer *w;
	struct timespec times[2];
	struct tl_rec_reader *r;
	struct tl_rec_item it = { 0 };
	int files;

	snprintf(path, sizeof(path), "%s/age", dir);
	mkdir(path, 0755);
	/* files of an earlier run, last written 10 days ago by the test clock */
	snprintf(old1, sizeof(old1), "%s/tcplens-20251120T000000Z.tlrec", path);
	snprintf(old2, sizeof(old2), "%s/tcplens-20251120T000000Z-1.tlrec", path);
	snprintf(foreign, sizeof(foreign), "%s/mine.tlrec", path);
	snprintf(other, sizeof(other), "%s/notes.txt", path);
	rt_spit(old1, "x", 1);
	rt_spit(old2, "x", 1);
	rt_spit(foreign, "x", 1);
	rt_spit(other, "x", 1);
	times[0].tv_sec = times[1].tv_sec = (time_t)((T0 - 10 * 86400 * SEC) / SEC);
	times[0].tv_nsec = times[1].tv_nsec = 0;
	utimensat(AT_FDCWD, old1, times, 0);
	utimensat(AT_FDCWD, old2, times, 0);
	utimensat(AT_FDCWD, foreign, times, 0);

	w = tl_rec_writer_open(path, &o);
	ok(w && !exists(old1) && !exists(old2), "files older than max-age are deleted at start");
	ok(exists(foreign) && exists(other), "files not named by a writer are left alone");
	snprintf(cur, sizeof(cur), "%s", w ? tl_rec_writer_file(w) : "");

	/* rotation by age: max_age / 8 = 5 s; age deletion after 40 s */
	for (int s = 0; w && s < 60; s++) {
		write_second(w, clock);
		clock += SEC;
	}
	ok(w && tl_rec_writer_stats(w)->files_created >= 11, "a new file every 5 s (%llu files)",
	   w ? (unsigned long long)tl_rec_writer_stats(w)->files_created : 0);
	/* files this run finished end at the writer's clock: the first ones are
	 * now older than 40 s and gone, the rest stay */
	ok(w && tl_rec_writer_stats(w)->files_deleted >= 2 + 2,
	   "files of this run deleted once older than max-age (%llu deleted)",
	   w ? (unsigned long long)tl_rec_writer_stats(w)->files_deleted : 0);
	tl_rec_writer_close(w);
	dir_total(path, &files);
	ok(files >= 8 && files <= 10, "the last 40 s stay, in %d files (with the foreign one)", files);
	ok(!exists(cur), "the first file of the run is gone");
	r = tl_rec_reader_open(path, NULL);
	ok(r && tl_rec_reader_next(r, &it) == 0 && it.ts_ns >= T0 + 14 * SEC && it.ts_ns < T0 + 25 * SEC,
	   "the oldest record left is from 35 to 45 s before the end (%.1f s after start)",
	   r ? (double)(it.ts_ns - T0) / 1e9 : -1.0);
	tl_rec_reader_free(r);
}

static void test_same_second(void)
{
	char path[512];
	uint64_t clock = T0;	/* never moves: every file starts in the same second */
	struct tl_rec_writer_opts o = { .max_size = 64 << 20, .file_size = 64 << 10,
					.no_sync = true, .clock = rt_clock, .clock_ctx = &clock };
	struct tl_rec_writer *w;
	struct tl_rec_reader *r;
	struct tl_rec_item it;
	uint64_t prev = 0, n = 0;
	bool ordered = true;

	snprintf(path, sizeof(path), "%s/same", dir);
	w = tl_rec_writer_open(path, &o);
	for (int s = 0; w && s < 20; s++)
		write_second(w, T0 + (uint64_t)s * SEC);
	ok(w && tl_rec_writer_stats(w)->files_created >= 3, "%llu files in one second",
	   w ? (unsigned long long)tl_rec_writer_stats(w)->files_created : 0);
	ok(w && strstr(tl_rec_writer_file(w), "T000000Z-") == NULL &&
	   strstr(tl_rec_writer_file(w), "Z-"), "later ones get a -N suffix (%s)",
	   w ? tl_rec_writer_file(w) : "");
	tl_rec_writer_close(w);
	r = tl_rec_reader_open(path, NULL);
	while (r && tl_rec_reader_next(r, &it) == 0) {
		ordered &= it.ts_ns >= prev;
		prev = it.ts_ns;
		n++;
	}
	ok(ordered && n == 20 * 300, "read back in order (%llu records)", (unsigned long long)n);
	tl_rec_reader_free(r);
}

/* A snapshot larger than a file: its parts span chunks but stay in one
 * file, so the reader can join them; the next file starts after it. */
static void test_big_snapshot(void)
{
	enum { N = 60000 };
	char path[512];
	uint64_t clock = T0;
	struct tl_rec_writer_opts o = { .max_size = 64 << 20, .file_size = 64 << 10,
					.no_sync = true, .clock = rt_clock, .clock_ctx = &clock };
	struct tl_snapshot s = { .socks = calloc(N, sizeof(struct tl_sock)), .n = N, .cap = N,
				 .ts_ns = T0 + SEC };
	struct tl_rec_writer *w;
	struct tl_rec_reader *r;
	struct tl_rec_item it;
	int snaps = 0, same = 0;

	snprintf(path, sizeof(path), "%s/bigsnap", dir);
	w = tl_rec_writer_open(path, &o);
	for (int i = 0; i < N; i++)
		rt_fill_sock(&s.socks[i]);
	write_second(w, T0);
	tl_rec_writer_snapshot(w, &s, NULL);
	write_second(w, T0 + 2 * SEC);
	ok(w && tl_rec_writer_stats(w)->chunks > 4, "a %d-socket snapshot flushed in %llu chunks", N,
	   w ? (unsigned long long)tl_rec_writer_stats(w)->chunks : 0);
	tl_rec_writer_close(w);
	r = tl_rec_reader_open(path, NULL);
	while (r && tl_rec_reader_next(r, &it) == 0) {
		if (it.type != TL_REC_ITEM_SNAPSHOT)
			continue;
		snaps++;
		same = it.snap->n == N;
		for (size_t i = 0; same && i < N; i++)
			same = rt_sock_diff(&it.snap->socks[i], &s.socks[i]) == NULL;
	}
	ok(snaps == 1 && same, "read back whole from the directory (%d snapshots)", snaps);
	ok(r && tl_rec_reader_files(r) >= 2, "and the next file starts after it (%u files)",
	   r ? tl_rec_reader_files(r) : 0);
	tl_rec_reader_free(r);
	free(s.socks);
}

int main(void)
{
	char p[1200];
	const char *subs[] = { "nested/rec", "nested", "age", "same", "bigsnap" };

	dir = rt_tmpdir();
	test_budget();
	test_age();
	test_same_second();
	test_big_snapshot();
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		rt_rmdir(p);
	}
	rt_rmdir(dir);
	return tap_done();
}
