/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Record builders and a seeded PRNG shared by the model tests and the bench. */
#ifndef TCPLENS_TESTS_MREC_H
#define TCPLENS_TESTS_MREC_H

#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "record.h"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static inline uint64_t rng_next(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static inline double rng_unit(void)
{
	return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static inline double rng_normal(void)
{
	return sqrt(-2.0 * log(rng_unit())) * cos(2.0 * M_PI * rng_unit());
}

static inline void rec_addr(uint8_t *dst, uint8_t *family, const char *text)
{
	memset(dst, 0, 16);
	if (inet_pton(AF_INET, text, dst) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, text, dst) == 1)
		*family = 6;
}

static inline struct tl_record mk_session(uint64_t ts_ns, uint32_t pid, const char *comm,
					  const char *laddr, uint16_t lport,
					  const char *raddr, uint16_t rport, uint8_t dir)
{
	struct tl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_SESSION;
	r.ts_ns = ts_ns;
	r.pid = pid;
	r.owner_known = comm != NULL;
	if (comm)
		memcpy(r.comm, comm, strnlen(comm, sizeof(r.comm) - 1));
	rec_addr(r.laddr, &r.family, laddr);
	rec_addr(r.raddr, &r.family, raddr);
	r.lport = lport;
	r.rport = rport;
	r.dir = dir;
	return r;
}

static inline struct tl_record mk_connect(uint64_t ts_ns, uint32_t pid, const char *comm,
					  const char *raddr, uint16_t rport,
					  uint8_t result, uint64_t lat_ns)
{
	struct tl_record r = mk_session(ts_ns, pid, comm,
					strchr(raddr, ':') ? "::1" : "127.0.0.1", 40000,
					raddr, rport, TL_REC_ACTIVE);

	r.kind = TL_REC_CONNECT;
	r.result = result;
	r.span_ns = lat_ns;
	return r;
}

#endif
