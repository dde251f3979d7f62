/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the recording tests share: records with every field set, field by
 * field comparison that names the first difference, a scratch directory,
 * a clock the test moves, and hand-made chunks (for damage the writer
 * would never produce).
 */
#ifndef TCPLENS_REC_TESTLIB_H
#define TCPLENS_REC_TESTLIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "recording/bytes.h"
#include "recording/layout.h"
#include "recording/rec_reader.h"
#include "recording/rec_writer.h"

static uint64_t rt_rng = 88172645463325252ull;

static inline uint64_t rt_rand(void)
{
	rt_rng ^= rt_rng << 13;
	rt_rng ^= rt_rng >> 7;
	rt_rng ^= rt_rng << 17;
	return rt_rng;
}

/* Values of every size, edge values included. */
static inline uint64_t rt_any64(void)
{
	switch (rt_rand() % 6) {
	case 0: return 0;
	case 1: return UINT64_MAX;
	case 2: return rt_rand() % 200;
	case 3: return rt_rand() % 100000;
	default: return rt_rand();
	}
}

static inline void rt_fill_record(struct tl_record *r, uint64_t ts)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = ts;
	r->span_ns = rt_any64();
	r->tx_bytes = rt_any64();
	r->rx_bytes = rt_any64();
	r->pid = (uint32_t)rt_any64();
	r->retrans = (uint32_t)rt_any64();
	r->srtt_us = (uint32_t)rt_any64();
	r->err = (int32_t)rt_any64();
	r->lport = (uint16_t)rt_any64();
	r->rport = (uint16_t)rt_any64();
	r->kind = (uint8_t)(1 + rt_rand() % 2);
	r->family = rt_rand() % 2 ? 4 : 6;
	r->dir = (uint8_t)(rt_rand() % 3);
	r->result = (uint8_t)(rt_rand() % 5);
	r->owner_known = (uint8_t)(rt_rand() % 2);
	r->reset = (uint8_t)(rt_rand() % 2);
	r->adopted = (uint8_t)(rt_rand() % 2);
	r->syn_in_tx = (uint8_t)(rt_rand() % 2);
	for (int i = 0; i < 16; i++) {
		r->laddr[i] = (uint8_t)rt_rand();
		r->raddr[i] = (uint8_t)rt_rand();
	}
	/* 0 to 16 bytes: a comm without its NUL must survive too */
	for (int i = 0, n = (int)(rt_rand() % 17); i < n; i++)
		r->comm[i] = (char)(1 + rt_rand() % 255);
	r->cgroup_id = rt_any64();
	r->cookie = rt_any64();
}

static inline void rt_fill_sock(struct tl_sock *s)
{
	memset(s, 0, sizeof(*s));
	s->cookie = rt_any64();
	s->tx_bytes = rt_any64();
	s->rx_bytes = rt_any64();
	s->cgroup_id = rt_any64();
	s->inode = rt_any64();
	s->age_ns = rt_any64();
	s->pid = (uint32_t)rt_any64();
	s->srtt_us = (uint32_t)rt_any64();
	s->retrans = (uint32_t)rt_any64();
	s->accept_queue = (uint32_t)rt_any64();
	s->accept_queue_max = (uint32_t)rt_any64();
	s->lport = (uint16_t)rt_any64();
	s->rport = (uint16_t)rt_any64();
	s->family = rt_rand() % 2 ? 4 : 6;
	s->state = (uint8_t)(1 + rt_rand() % 12);
	s->dir = (uint8_t)(rt_rand() % 3);
	s->owner_known = (uint8_t)(rt_rand() % 2);
	s->age_known = (uint8_t)(rt_rand() % 2);
	s->syn_in_acked = (uint8_t)(rt_rand() % 2);
	for (int i = 0; i < 16; i++) {
		s->laddr[i] = (uint8_t)rt_rand();
		s->raddr[i] = (uint8_t)rt_rand();
	}
	for (int i = 0, n = (int)(rt_rand() % 17); i < n; i++)
		s->comm[i] = (char)(1 + rt_rand() % 255);
}

/* NULL when equal, else the first field that differs. */
static inline const char *rt_record_diff(const struct tl_record *a, const struct tl_record *b)
{
#define F(f) if (a->f != b->f) return #f
	F(ts_ns); F(span_ns); F(tx_bytes); F(rx_bytes); F(pid); F(retrans); F(srtt_us);
	F(err); F(lport); F(rport); F(kind); F(family); F(dir); F(result);
	F(owner_known); F(reset); F(adopted); F(syn_in_tx); F(cgroup_id); F(cookie);
#undef F
	if (memcmp(a->laddr, b->laddr, 16))
		return "laddr";
	if (memcmp(a->raddr, b->raddr, 16))
		return "raddr";
	if (memcmp(a->comm, b->comm, TL_REC_COMM_LEN))
		return "comm";
	return NULL;
}

static inline const char *rt_sock_diff(const struct tl_sock *a, const struct tl_sock *b)
{
#define F(f) if (a->f != b->f) return #f
	F(cookie); F(tx_bytes); F(rx_bytes); F(cgroup_id); F(inode); F(age_ns); F(pid);
	F(srtt_us); F(retrans); F(accept_queue); F(accept_queue_max); F(lport); F(rport);
	F(family); F(state); F(dir); F(owner_known); F(age_known); F(syn_in_acked);
#undef F
	if (memcmp(a->laddr, b->laddr, 16))
		return "laddr";
	if (memcmp(a->raddr, b->raddr, 16))
		return "raddr";
	if (memcmp(a->comm, b->comm, TL_REC_COMM_LEN))
		return "comm";
	return NULL;
}

/* A fresh scratch directory under $TMPDIR (or /tmp): its path, static. */
static inline const char *rt_tmpdir(void)
{
	static char path[256];
	const char *base = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/tlrec-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		exit(2);
	}
	return path;
}

/* Removes a scratch directory and the files in it (one level: all we make). */
static inline void rt_rmdir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[1200];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", path, de->d_name) < (int)sizeof(p))
			unlink(p);
	}
	closedir(d);
	rmdir(path);
}

/* A clock the test moves: the writer's opts.clock. */
static inline uint64_t rt_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static inline uint64_t rt_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

/* The whole file into a malloc'd buffer (NULL on failure). */
static inline uint8_t *rt_slurp(const char *path, size_t *len)
{
	size_t n = rt_file_size(path);
	uint8_t *buf = malloc(n ? n : 1);
	FILE *f = fopen(path, "rb");

	if (!buf || !f || fread(buf, 1, n, f) != n) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	*len = n;
	return buf;
}

static inline int rt_spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len)
		err = -EIO;
	if (fclose(f))
		err = -EIO;
	return err;
}

/* A file header as the writer makes it. */
static inline size_t rt_file_header(uint8_t *out, size_t cap, uint16_t version, uint64_t start_ns)
{
	struct tl_rec_file_info info = { .version = version, .start_ns = start_ns };
	size_t len = 0;

	snprintf(info.tcplens_version, sizeof(info.tcplens_version), "test");
	snprintf(info.host, sizeof(info.host), "testhost");
	tl_rec_file_hdr_pack(out, cap, &len, &info);
	return len;
}

/* Appends one chunk with the given uncompressed payload and header fields,
 * its CRCs right: what a writer with a bug, or an attacker, could make. */
static inline size_t rt_chunk(uint8_t *out, size_t cap, const void *payload, size_t len,
			      uint32_t count, uint32_t seq, uint64_t first, uint64_t last)
{
	struct tl_rec_chunk_hdr h = { .codec = TL_REC_CODEC_ZSTD, .ulen = (uint32_t)len,
				      .count = count, .seq = seq, .first_ns = first, .last_ns = last };
	size_t n;

	if (cap < TL_REC_CHUNK_HDR + ZSTD_compressBound(len))
		return 0;
	n = ZSTD_compress(out + TL_REC_CHUNK_HDR, cap - TL_REC_CHUNK_HDR, payload, len, 1);
	if (ZSTD_isError(n))
		return 0;
	h.clen = (uint32_t)n;
	h.crc = tl_rec_crc(out + TL_REC_CHUNK_HDR, n);
	tl_rec_chunk_hdr_pack(out, &h);
	return TL_REC_CHUNK_HDR + n;
}

static inline void rt_loopback(uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 127;
	a[3] = 1;
}

/*
 * A saturating loopback storm as the recorder sees it, in close order, 3
 * events per connection at `rate` connections/s: a connect and the two
 * sessions, same addresses, ephemeral ports rising by 2, 64 to 127 bytes
 * each way, jittered latencies and lifespans, cookies rising. malloc'd.
 */
static inline struct tl_record *rt_storm(size_t n, uint64_t t0, unsigned rate)
{
	struct tl_record *v = calloc(n, sizeof(*v));
	uint64_t ts = t0, cookie = 4096;
	uint16_t port = 32768;

	for (size_t i = 0; v && i + 3 <= n; i += 3) {
		struct tl_record c = { 0 }, a, p;
		uint64_t lat = 15000 + rt_rand() % 30000, life = 40000 + rt_rand() % 80000;
		uint64_t req = 64 + rt_rand() % 64, resp = 64 + rt_rand() % 64;

		ts += 1000000000ull / rate / 2 + rt_rand() % (1000000000ull / rate);
		port = port >= 60997 ? 32768 : port + 2;
		c.kind = TL_REC_CONNECT;
		c.family = 4;
		c.dir = TL_REC_ACTIVE;
		c.owner_known = 1;
		c.pid = 4242;
		memcpy(c.comm, "tl-loadgen", 10);
		rt_loopback(c.laddr);
		rt_loopback(c.raddr);
		c.lport = port;
		c.rport = 9000;
		c.cgroup_id = 7001;
		c.cookie = cookie;
		c.ts_ns = ts;
		c.span_ns = lat;
		a = c;
		a.kind = TL_REC_SESSION;
		a.ts_ns = ts + life;
		a.span_ns = life;
		a.tx_bytes = req;
		a.rx_bytes = resp;
		a.srtt_us = (uint32_t)(10 + rt_rand() % 40);
		p = a;
		p.dir = TL_REC_PASSIVE;
		p.pid = 4243;
		memcpy(p.comm, "tl-loadgen-srv", 14);
		p.lport = 9000;
		p.rport = port;
		p.cookie = cookie + 1;
		p.ts_ns = ts + life + rt_rand() % 5000;
		p.span_ns = life - lat;
		p.tx_bytes = resp;
		p.rx_bytes = req;
		p.srtt_us = (uint32_t)(10 + rt_rand() % 40);
		cookie += 2 + rt_rand() % 2;
		v[i] = c;
		v[i + 1] = a;
		v[i + 2] = p;
	}
	return v;
}

/* Collects warnings (the reader's callback). */
struct rt_warns {
	int n;
	char last[1024];
};

static inline void rt_warn(void *ctx, const char *msg)
{
	struct rt_warns *w = ctx;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

#endif
