// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Line-mode writer cost: formats 1,000,000 records of each kind to /dev/null
 * and prints ns per record. Not a test (numbers vary by machine): run
 * tests/unit/bench_printers from the build dir, optionally with a count.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "printer.h"

#define NREC 256	/* distinct records, cycled: varied lengths, warm caches */

static struct tl_record sessions[NREC], connects[NREC];

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Like a loopback storm: mostly 127.0.0.1, some v6, short names. */
static void fill(struct tl_record *r, uint8_t kind, unsigned int i)
{
	static const char *const names[] = { "python3", "curl", "nginx", "wrk", "conn-gen",
					     "java", "node", "postgres" };

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->ts_ns = 1700000000000000000ULL + i * 33333ULL + rng() % 1000;
	r->span_ns = rng() % 50000000ULL;
	r->tx_bytes = rng() % (1ULL << (rng() % 40));
	r->rx_bytes = rng() % (1ULL << (rng() % 40));
	r->pid = 1000 + (uint32_t)(rng() % 400000);
	r->owner_known = i % 16 != 0;
	strcpy(r->comm, names[i % 8]);
	r->retrans = (uint32_t)(rng() % 3);
	r->srtt_us = (uint32_t)(rng() % 100000);
	r->lport = (uint16_t)(1024 + rng() % 64000);
	r->rport = kind == TL_REC_SESSION ? 8080 : (uint16_t)(rng() % 65536);
	r->dir = i % 2 ? TL_REC_ACTIVE : TL_REC_PASSIVE;
	r->result = TL_REC_OK;
	if (i % 8 == 7) {
		r->family = 6;
		inet_pton(AF_INET6, "::1", r->laddr);
		inet_pton(AF_INET6, "2001:db8::abcd:1234", r->raddr);
	} else {
		r->family = 4;
		inet_pton(AF_INET, "127.0.0.1", r->laddr);
		inet_pton(AF_INET, i % 4 ? "127.0.0.1" : "10.20.130.240", r->raddr);
	}
}

static double now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int run(const char *name, enum tl_mode mode, unsigned long count)
{
	struct tl_options o;
	struct tl_printer *p;
	double t0, c0, wall, cpu;
	unsigned long i;
	FILE *out;

	out = fopen("/dev/null", "w");
	if (!out) {
		perror("/dev/null");
		return -1;
	}
	/* like the capture loop: fully buffered, flushed per batch */
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	memset(&o, 0, sizeof(o));
	o.mode = mode;
	p = tl_printer_new(&o, out);
	if (!p) {
		perror("tl_printer_new");
		fclose(out);
		return -1;
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < count; i++) {
		const struct tl_record *r;

		if (mode == TL_MODE_JSON)
			r = i % 2 ? &connects[(i / 2) % NREC] : &sessions[(i / 2) % NREC];
		else
			r = mode == TL_MODE_LIFE ? &sessions[i % NREC] : &connects[i % NREC];
		tl_printer_record(p, r);
		if (i % 64 == 63)
			fflush(out);
	}
	fflush(out);
	cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	wall = now_ns(CLOCK_MONOTONIC) - t0;
	printf("%-8s %lu records  %7.1f ns/record (cpu %7.1f)\n", name, count, wall / count,
	       cpu / count);
	tl_printer_free(p);
	fclose(out);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned int i;

	if (!count)
		count = 1000000;
	for (i = 0; i < NREC; i++) {
		fill(&sessions[i], TL_REC_SESSION, i);
		fill(&connects[i], TL_REC_CONNECT, i);
	}
	if (run("json", TL_MODE_JSON, count) || run("life", TL_MODE_LIFE, count) ||
	    run("connlat", TL_MODE_CONNLAT, count))
		return 1;
	return 0;
}
