// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recorder's figures, printed: bytes per event on disk and writer CPU
 * for a saturating loopback storm, replay speed, and the time to open and
 * to jump in a large recording. Not a test: tests/unit/test_recording
 * checks behaviour; this measures.
 *
 *   build/tests/bench/bench_recording [-n EVENTS] [-d DIR] [--sync] [--gib N [--chunk KIB]]
 *
 * The storm is what a 16,000 connections/s loopback load (tl-loadgen) gives
 * the recorder, per connection: a connect (active side) and two sessions
 * (both ends), same addresses, ephemeral ports rising by 2, request and
 * response of 64 to 127 bytes, latencies and lifespans of tens of
 * microseconds with jitter, cookies rising; a snapshot of 200 open sockets
 * and the drop counters every second. Goals (issue 9): <= 24 bytes per event,
 * <= 0.1 s of writer CPU per 100,000 events, a jump <= 200 ms in 1 GB.
 */
#include <getopt.h>
#include <time.h>

#include "tests/unit/rec_testlib.h"

#define SEC 1000000000ull

static double cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fill_snapshot(struct tl_snapshot *s, uint64_t ts, size_t n)
{
	s->ts_ns = ts;
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		struct tl_sock *k = &s->socks[i];

		memset(k, 0, sizeof(*k));
		k->cookie = 100 + i;
		k->tx_bytes = rt_rand() % 100000;
		k->rx_bytes = rt_rand() % 100000;
		k->cgroup_id = 7001;
		k->inode = 50000 + i;
		k->age_ns = rt_rand() % (100 * SEC);
		k->pid = 4242;
		k->srtt_us = 20;
		k->lport = (uint16_t)(32768 + i);
		k->rport = 9000;
		k->family = 4;
		k->state = TL_TCP_ESTABLISHED;
		k->dir = TL_SOCK_DIR_ACTIVE;
		k->owner_known = k->age_known = 1;
		rt_loopback(k->laddr);
		rt_loopback(k->raddr);
		memcpy(k->comm, "tl-loadgen", 10);
	}
}

static const char *cg_path(void *ctx, uint64_t id)
{
	return "/system.slice/tl-loadgen.service";
}

static void bench_storm(const char *dir, size_t n, unsigned rate, bool sync)
{
	const uint64_t t0 = 1764680000 * SEC;
	struct tl_record *v = rt_storm(n, t0, rate);
	struct tl_snapshot snap = { .socks = calloc(200, sizeof(struct tl_sock)), .cap = 200 };
	char path[600];
	uint64_t clock = t0, next_sec = t0 + SEC;
	struct tl_rec_writer_opts o = { .no_sync = !sync, .clock = rt_clock, .clock_ctx = &clock,
					.cgroup_path = cg_path, .max_size = 64ull << 30,
					.file_size = 1ull << 30 };
	struct tl_rec_writer *w;
	struct tl_drops drops = { 0 };
	const struct tl_rec_writer_stats *st;
	struct tl_rec_reader *r;
	struct tl_rec_item it;
	double c0, c1, m0, m1;
	size_t events = 0;
	uint64_t bytes;

	snprintf(path, sizeof(path), "%s/storm", dir);
	rt_rmdir(path);
	w = tl_rec_writer_open(path, &o);
	if (!v || !w) {
		perror("bench_recording: storm");
		exit(1);
	}
	c0 = cpu_s();
	m0 = mono_s();
	for (size_t i = 0; i < n; i++) {
		if (v[i].ts_ns >= next_sec) {	/* the caller's one-second timer */
			fill_snapshot(&snap, next_sec, 200);
			tl_rec_writer_snapshot(w, &snap, NULL);
			tl_rec_writer_drops(w, next_sec, &drops);
			tl_rec_writer_flush(w);
			clock = next_sec;
			next_sec += SEC;
		}
		tl_rec_writer_record(w, &v[i]);
		events++;
	}
	tl_rec_writer_flush(w);
	c1 = cpu_s();
	m1 = mono_s();
	st = tl_rec_writer_stats(w);
	bytes = st->bytes;
	printf("| storm, %u conn/s (3 events each), %zu events, %.1f s recorded | |\n", rate, events,
	       (double)(v[n - 1].ts_ns - t0) / 1e9);
	printf("| bytes on disk per event (snapshots, drops, headers included) | %.2f |\n",
	       (double)bytes / (double)events);
	printf("| uncompressed payload per event | %.2f |\n",
	       (double)st->payload_bytes / (double)events);
	printf("| writer CPU per 100,000 events | %.4f s |\n", (c1 - c0) * 100000.0 / (double)events);
	printf("| chunks | %llu, %.0f KiB each |\n", (unsigned long long)st->chunks,
	       (double)bytes / (double)st->chunks / 1024);
	if (sync)
		printf("| fdatasync per chunk (mean, max) | %.2f ms, %.2f ms; wall %.2f s |\n",
		       (double)st->sync_ns / 1e6 / (double)st->chunks, (double)st->sync_max_ns / 1e6,
		       m1 - m0);
	printf("| days the default budget (%llu GiB) lasts at this rate | %.1f |\n",
	       TL_REC_DEFAULT_MAX_SIZE >> 30,
	       (double)TL_REC_DEFAULT_MAX_SIZE / ((double)bytes / (double)events * 3 * rate * 86400));
	tl_rec_writer_close(w);

	c0 = cpu_s();
	r = tl_rec_reader_open(path, NULL);
	events = 0;
	while (r && tl_rec_reader_next(r, &it) == 0)
		events += it.type == TL_REC_ITEM_RECORD;
	c1 = cpu_s();
	printf("| replay: read and decode, per 1,000,000 events | %.3f s CPU (%zu events) |\n",
	       (c1 - c0) * 1e6 / (double)events, events);
	tl_rec_reader_free(r);
	free(v);
	free(snap.socks);
}

/* A recording of about gib GiB in chunks of about chunk_kib KiB of incompressible
 * snapshots; then opening it and jumping to random times. */
static void bench_seek(const char *dir, double gib, unsigned chunk_kib)
{
	const uint64_t t0 = 1764680000 * SEC;
	size_t per = chunk_kib * 1024 / 100 + 1;	/* about 100 bytes a random socket */
	struct tl_snapshot snap = { .socks = calloc(per, sizeof(struct tl_sock)), .cap = per };
	uint64_t clock = t0, target = (uint64_t)(gib * (double)(1ull << 30)), first, last;
	struct tl_rec_writer_opts o = { .no_sync = true, .clock = rt_clock, .clock_ctx = &clock,
					.max_size = 2 * target + (1ull << 30) };
	struct tl_rec_writer *w;
	struct tl_rec_reader *r;
	struct tl_rec_item it;
	double m0, m1, worst = 0, sum = 0;
	char path[600];
	int jumps = 100;

	snprintf(path, sizeof(path), "%s/big", dir);
	w = tl_rec_writer_open(path, &o);
	if (!w || !snap.socks) {
		perror("bench_recording: big");
		exit(1);
	}
	for (uint64_t s = 0; tl_rec_writer_stats(w)->bytes < target; s++) {
		snap.ts_ns = t0 + s * SEC;
		snap.n = per;
		for (size_t i = 0; i < per; i++)
			rt_fill_sock(&snap.socks[i]);
		tl_rec_writer_snapshot(w, &snap, NULL);
		tl_rec_writer_flush(w);
		clock = snap.ts_ns;
	}
	printf("| recording for jumps | %.2f GiB, %llu chunks in %llu files |\n",
	       (double)tl_rec_writer_stats(w)->bytes / (double)(1ull << 30),
	       (unsigned long long)tl_rec_writer_stats(w)->chunks,
	       (unsigned long long)tl_rec_writer_stats(w)->files_created);
	tl_rec_writer_close(w);

	m0 = mono_s();
	r = tl_rec_reader_open(path, NULL);
	m1 = mono_s();
	if (!r || tl_rec_reader_span(r, &first, &last)) {
		perror("bench_recording: open big");
		exit(1);
	}
	printf("| open (index of %zu chunk headers), page cache warm | %.1f ms |\n",
	       tl_rec_reader_chunks(r), (m1 - m0) * 1e3);
	for (int j = 0; j < jumps; j++) {
		uint64_t t = first + rt_rand() % (last - first + 1);

		m0 = mono_s();
		tl_rec_reader_seek(r, t);
		tl_rec_reader_next(r, &it);	/* loads and decodes the chunk */
		m1 = mono_s();
		sum += m1 - m0;
		if (m1 - m0 > worst)
			worst = m1 - m0;
	}
	printf("| jump to a random time and read its first item (mean, worst of %d) | %.2f ms, %.2f ms |\n",
	       jumps, sum / jumps * 1e3, worst * 1e3);
	tl_rec_reader_free(r);
	free(snap.socks);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sync", no_argument, NULL, 's' },
		{ "gib", required_argument, NULL, 'g' },
		{ "chunk", required_argument, NULL, 'c' },
		{ 0 },
	};
	const char *base = NULL, *d;
	size_t n = 1000002;
	double gib = 0;
	unsigned chunk = 512;
	bool sync = false;
	int c;

	while ((c = getopt_long(argc, argv, "n:d:", lo, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 10) / 3 * 3; break;
		case 'd': base = optarg; break;
		case 's': sync = true; break;
		case 'g': gib = strtod(optarg, NULL); break;
		case 'c': chunk = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: %s [-n EVENTS] [-d DIR] [--sync] [--gib N [--chunk KIB]]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 3 || chunk == 0 || gib < 0) {
		fprintf(stderr, "bench_recording: bad -n, --chunk or --gib\n");
		return 2;
	}
	if (base)
		setenv("TMPDIR", base, 1);
	d = rt_tmpdir();
	printf("| recorder | figure |\n|---|---|\n");
	bench_storm(d, n, 16000, sync);
	/* slower rates: a snapshot and the counters every second weigh more */
	bench_storm(d, 1000 * 3 * 120, 1000, false);
	bench_storm(d, 100 * 3 * 600, 100, false);
	if (gib > 0)
		bench_seek(d, gib, chunk);
	{
		char p[700];

		snprintf(p, sizeof(p), "%s/storm", d);
		rt_rmdir(p);
		snprintf(p, sizeof(p), "%s/big", d);
		rt_rmdir(p);
		rt_rmdir(d);
	}
	return 0;
}
