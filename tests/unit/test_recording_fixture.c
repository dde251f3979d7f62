// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The compatibility promise, checked: tests/fixtures/recording-v1.tlrec
 * was written once by the format version 1 writer (gen_recording_v1.c) and
 * is committed; this reads it field by field. The values are spelled out
 * here, not taken from the generator, so that neither can drift alone.
 */
#include <arpa/inet.h>

#include "tests/unit/rec_testlib.h"
#include "tests/unit/tap.h"

#define T0 1764676800000000000ull	/* 2025-12-02T12:00:00Z */
#define MS 1000000ull

static int addr_is(const uint8_t a[16], int family, const char *s)
{
	uint8_t want[16] = { 0 };

	inet_pton(family == 4 ? AF_INET : AF_INET6, s, want);
	return memcmp(a, want, 16) == 0;
}

static struct tl_rec_item it;

static int next(struct tl_rec_reader *r, enum tl_rec_item_type type)
{
	return tl_rec_reader_next(r, &it) == 0 && it.type == type;
}

static void check_header(struct tl_rec_reader *r)
{
	const struct tl_rec_file_info *f = tl_rec_reader_file_info(r, 0);

	is_int(tl_rec_reader_files(r), 1, "one file");
	is_int(tl_rec_reader_chunks(r), 2, "two chunks");
	is_int(f->version, 1, "format version 1");
	is_str(f->tcplens_version, "0.1.0", "written by tcplens 0.1.0");
	is_str(f->host, "fixture-host", "host");
	is_str(f->options, "-f port=8080 -p 1234", "options");
	is_int(f->flags, TL_REC_F_FILTERED, "flags: filtered");
	ok(f->start_ns == T0, "start time 2025-12-02T12:00:00Z");
}

static void check_chunk1(struct tl_rec_reader *r)
{
	const struct tl_record *e = &it.rec;
	const struct tl_sock *s;

	ok(next(r, TL_REC_ITEM_DROPS) && it.ts_ns == T0 && it.drops.ringbuf == 1 &&
	   it.drops.map == 2 && it.drops.missed == 3 && it.drops.ringbuf_sessions == 4 &&
	   it.drops.ringbuf_connects == 5 && it.drops.map_sessions == 6 &&
	   it.drops.map_connects == 7 && it.drops.map_sessions_max == 8 &&
	   it.drops.map_connects_max == 9, "chunk 1: drop counters 1..9");

	ok(next(r, TL_REC_ITEM_RECORD), "an item: the first session");
	ok(e->ts_ns == T0 + 100 * MS && e->span_ns == 2500000 && e->tx_bytes == 517 &&
	   e->rx_bytes == 1048576, "session 1: time, span, bytes");
	ok(e->pid == 1234 && e->retrans == 2 && e->srtt_us == 180 && e->err == 0 &&
	   e->lport == 43210 && e->rport == 8080, "session 1: pid, retrans, srtt, err, ports");
	ok(e->kind == TL_REC_SESSION && e->family == 4 && e->dir == TL_REC_ACTIVE &&
	   e->result == TL_REC_OK && e->owner_known == 1 && e->reset == 0 && e->adopted == 0 &&
	   e->syn_in_tx == 0, "session 1: kind, family, dir, result, flags");
	ok(addr_is(e->laddr, 4, "10.0.0.1") && addr_is(e->raddr, 4, "10.0.0.2"),
	   "session 1: addresses");
	ok(!memcmp(e->comm, "curl\0\0\0\0\0\0\0\0\0\0\0\0", 16) && e->cgroup_id == 4242 &&
	   e->cookie == 90001, "session 1: comm, cgroup, cookie");
	is_str(tl_rec_reader_cgroup_path(r, 4242), "/system.slice/web.service",
	       "cgroup 4242 is mapped");

	ok(next(r, TL_REC_ITEM_RECORD), "an item: the same side again");
	ok(e->ts_ns == T0 + 120 * MS && e->span_ns == 2500000 && e->tx_bytes == 600 &&
	   e->rx_bytes == 1048576 && e->pid == 1234 && e->retrans == 2 && e->srtt_us == 180 &&
	   e->lport == 43212 && e->rport == 8080 && e->cookie == 90010 && e->cgroup_id == 4242 &&
	   e->kind == TL_REC_SESSION && e->dir == TL_REC_ACTIVE && e->owner_known == 1 &&
	   !strcmp(e->comm, "curl") && addr_is(e->laddr, 4, "10.0.0.1") &&
	   addr_is(e->raddr, 4, "10.0.0.2"), "session 1b: repeated fields and deltas");

	ok(next(r, TL_REC_ITEM_RECORD), "an item: the second session");
	ok(e->ts_ns == T0 + 149 * MS && e->span_ns == 7200000000000ull && e->tx_bytes == 0 &&
	   e->rx_bytes == 42 && e->pid == 0 && e->retrans == 0 && e->srtt_us == 25 &&
	   e->lport == 8080 && e->rport == 51515, "session 2: numbers");
	ok(e->kind == TL_REC_SESSION && e->family == 4 && e->dir == TL_REC_PASSIVE &&
	   e->owner_known == 0 && e->reset == 1 && e->adopted == 1 && e->syn_in_tx == 1 &&
	   e->cgroup_id == 0 && e->cookie == 0 && e->comm[0] == '\0',
	   "session 2: unknown owner, reset, adopted, no cgroup, no cookie");
	ok(addr_is(e->laddr, 4, "127.0.0.1") && addr_is(e->raddr, 4, "127.0.0.1"),
	   "session 2: addresses");

	ok(next(r, TL_REC_ITEM_RECORD), "an item: the connect");
	ok(e->kind == TL_REC_CONNECT && e->ts_ns == T0 + 150 * MS && e->span_ns == 3000000000ull &&
	   e->pid == 1234 && e->retrans == 3 && e->err == -111 && e->lport == 0 &&
	   e->rport == 443 && e->family == 6 && e->dir == TL_REC_ACTIVE &&
	   e->result == TL_REC_REFUSED && e->owner_known == 1 && e->cgroup_id == 77 &&
	   e->cookie == 90002 && !strcmp(e->comm, "wget"), "connect: every field");
	ok(addr_is(e->laddr, 6, "2001:db8::1") && addr_is(e->raddr, 6, "2001:db8::2"),
	   "connect: IPv6 addresses");
	is_str(tl_rec_reader_cgroup_path(r, 77), "/user.slice/user-1000.slice", "cgroup 77 is mapped");

	ok(next(r, TL_REC_ITEM_SNAPSHOT) && it.ts_ns == T0 + 500 * MS && it.snap->n == 3,
	   "a snapshot of 3 sockets");
	if (it.type != TL_REC_ITEM_SNAPSHOT || it.snap->n != 3)
		return;
	s = it.snap->socks;
	ok(s[0].cookie == 5 && s[0].cgroup_id == 4242 && s[0].inode == 31337 &&
	   s[0].age_ns == 86400000000000ull && s[0].pid == 1 && s[0].accept_queue == 3 &&
	   s[0].accept_queue_max == 4096 && s[0].lport == 8080 && s[0].rport == 0 &&
	   s[0].family == 4 && s[0].state == TL_TCP_LISTEN && s[0].dir == TL_SOCK_DIR_UNKNOWN &&
	   s[0].owner_known == 1 && s[0].age_known == 1 && s[0].syn_in_acked == 0 &&
	   !strcmp(s[0].comm, "nginx") && addr_is(s[0].laddr, 4, "0.0.0.0") &&
	   addr_is(s[0].raddr, 4, "0.0.0.0") && s[0].tx_bytes == 0 && s[0].srtt_us == 0,
	   "socket 1: the listener, every field");
	ok(s[1].cookie == 90003 && s[1].tx_bytes == 123456789 && s[1].rx_bytes == 987654321 &&
	   s[1].cgroup_id == 4242 && s[1].inode == 31340 && s[1].age_ns == 5000000000ull &&
	   s[1].pid == 1235 && s[1].srtt_us == 90 && s[1].retrans == 7 && s[1].lport == 8080 &&
	   s[1].rport == 40000 && s[1].state == TL_TCP_ESTABLISHED &&
	   s[1].dir == TL_SOCK_DIR_PASSIVE && s[1].accept_queue == 0 &&
	   addr_is(s[1].laddr, 4, "192.168.1.10") && addr_is(s[1].raddr, 4, "192.168.1.20"),
	   "socket 2: an established one, every field");
	ok(s[2].cookie == 90004 && s[2].tx_bytes == 1 && s[2].rx_bytes == 2 && s[2].cgroup_id == 0 &&
	   s[2].inode == 0 && s[2].age_ns == 0 && s[2].pid == 0 && s[2].lport == 50000 &&
	   s[2].rport == 22 && s[2].family == 6 && s[2].state == TL_TCP_CLOSE_WAIT &&
	   s[2].dir == TL_SOCK_DIR_ACTIVE && s[2].owner_known == 0 && s[2].age_known == 0 &&
	   s[2].syn_in_acked == 1 && s[2].comm[0] == '\0' &&
	   addr_is(s[2].laddr, 6, "2001:db8::10") && addr_is(s[2].raddr, 6, "2001:db8::20"),
	   "socket 3: an orphan without an owner, every field");
	ok(it.paths[0] && !strcmp(it.paths[0], "/system.slice/nginx.service") && it.paths[1] &&
	   !strcmp(it.paths[1], "/system.slice/nginx.service") && it.paths[2] == NULL,
	   "paths from /proc: two, and one unknown");
}

static void check_chunk2(struct tl_rec_reader *r)
{
	const struct tl_record *e = &it.rec;

	ok(next(r, TL_REC_ITEM_DROPS) && it.ts_ns == T0 + 1000 * MS && it.drops.ringbuf == 10 &&
	   it.drops.map == 20 && it.drops.missed == 30 && it.drops.ringbuf_sessions == 40 &&
	   it.drops.ringbuf_connects == 50 && it.drops.map_sessions == 60 &&
	   it.drops.map_connects == 70 && it.drops.map_sessions_max == 80 &&
	   it.drops.map_connects_max == 90, "chunk 2: the new drop counters first");
	ok(next(r, TL_REC_ITEM_RECORD), "an item: the third session");
	ok(e->ts_ns == T0 + 1200 * MS && e->span_ns == 999 && e->tx_bytes == UINT64_MAX &&
	   e->rx_bytes == 1 && e->pid == UINT32_MAX && e->retrans == UINT32_MAX &&
	   e->srtt_us == UINT32_MAX && e->err == INT32_MIN && e->lport == 65535 && e->rport == 1 &&
	   e->family == 6 && e->dir == TL_REC_ACTIVE && e->cgroup_id == 4242 &&
	   e->cookie == UINT64_MAX, "session 3: values at their limits");
	ok(!memcmp(e->comm, "0123456789abcdef", 16), "session 3: a comm of 16 bytes, no NUL");
	ok(addr_is(e->laddr, 6, "::1") && addr_is(e->raddr, 6, "fe80::1"), "session 3: addresses");
	ok(next(r, TL_REC_ITEM_SNAPSHOT) && it.ts_ns == T0 + 1500 * MS && it.snap->n == 0 && it.paths,
	   "an empty snapshot");
	is_int(tl_rec_reader_next(r, &it), -ENODATA, "the end");
}

int main(int argc, char **argv)
{
	struct rt_warns warns = { 0 };
	struct tl_rec_reader_opts o = { .warn = rt_warn, .warn_ctx = &warns };
	struct tl_rec_reader *r;
	uint64_t first, last;

	if (argc != 2) {
		fprintf(stderr, "usage: %s recording-v1.tlrec\n", argv[0]);
		return 2;
	}
	r = tl_rec_reader_open(argv[1], &o);
	if (!ok(r != NULL, "the v1 fixture opens: %s", r ? "yes" : strerror(errno)))
		return tap_done();
	check_header(r);
	ok(tl_rec_reader_span(r, &first, &last) == 0 && first == T0 && last == T0 + 1500 * MS,
	   "span 12:00:00.000 to 12:00:01.500");
	check_chunk1(r);
	check_chunk2(r);

	/* the second chunk alone, as after a jump: it maps cgroup 4242 itself */
	tl_rec_reader_free(r);
	r = tl_rec_reader_open(argv[1], &o);
	tl_rec_reader_seek(r, T0 + 1100 * MS);
	ok(next(r, TL_REC_ITEM_DROPS) && it.drops.ringbuf == 10, "a jump to chunk 2 starts with its counters");
	ok(next(r, TL_REC_ITEM_RECORD) && it.rec.cgroup_id == 4242, "then its session");
	is_str(tl_rec_reader_cgroup_path(r, 4242), "/system.slice/web.service",
	       "whose cgroup chunk 2 maps on its own");
	ok(tl_rec_reader_cgroup_path(r, 77) == NULL, "chunk 1's other mapping was not read");
	is_int(warns.n, 0, "no warnings");
	tl_rec_reader_free(r);
	return tap_done();
}
