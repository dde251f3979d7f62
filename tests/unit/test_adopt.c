// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Adoption on synthetic snapshots: owners, listener matching, the SYN, lookups. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "tests/unit/tap.h"

static struct tl_sock socks[32];
static struct tl_snapshot snap = { .socks = socks, .cap = 32 };

static struct tl_sock *add(uint8_t family, uint8_t state, const char *laddr, uint16_t lport,
			   const char *raddr, uint16_t rport)
{
	struct tl_sock *s = &socks[snap.n++];
	int af = family == 4 ? AF_INET : AF_INET6;

	memset(s, 0, sizeof(*s));
	s->family = family;
	s->state = state;
	inet_pton(af, laddr, s->laddr);
	inet_pton(af, raddr, s->raddr);
	s->lport = lport;
	s->rport = rport;
	s->cookie = snap.n;
	s->syn_in_acked = 1;	/* opened before start, as the iterator reports it */
	s->tx_bytes = 101;
	return s;
}

/* established socket, from before start */
static struct tl_sock *est(uint8_t family, const char *laddr, uint16_t lport, const char *raddr,
			   uint16_t rport)
{
	return add(family, TL_TCP_ESTABLISHED, laddr, lport, raddr, rport);
}

static struct tl_sock *listener(uint8_t family, const char *laddr, uint16_t lport)
{
	return add(family, TL_TCP_LISTEN, laddr, lport, family == 4 ? "0.0.0.0" : "::", 0);
}

static void test_matches(void)
{
	struct tl_sock l;
	uint8_t a[16];

	memset(&l, 0, sizeof(l));
	l.family = 4;
	l.lport = 80;
	inet_pton(AF_INET, "10.0.0.1", a);
	ok(tl_adopt_listener_matches(&l, 4, a, 80), "0.0.0.0:80 takes 10.0.0.1:80");
	ok(!tl_adopt_listener_matches(&l, 4, a, 81), "not another port");
	inet_pton(AF_INET, "10.0.0.1", l.laddr);
	ok(tl_adopt_listener_matches(&l, 4, a, 80), "10.0.0.1:80 takes 10.0.0.1:80");
	inet_pton(AF_INET, "10.0.0.2", a);
	ok(!tl_adopt_listener_matches(&l, 4, a, 80), "10.0.0.1:80 does not take 10.0.0.2:80");
	memset(a, 0, 16);
	inet_pton(AF_INET6, "::1", a);
	ok(!tl_adopt_listener_matches(&l, 6, a, 80), "an IPv4 listener takes no IPv6");
	memset(&l, 0, sizeof(l));
	l.family = 4;
	l.lport = 80;
	ok(!tl_adopt_listener_matches(&l, 6, a, 80), "not even 0.0.0.0");

	memset(&l, 0, sizeof(l));
	l.family = 6;
	l.lport = 443;
	ok(tl_adopt_listener_matches(&l, 6, a, 443), "[::]:443 takes [::1]:443");
	memset(a, 0, 16);
	inet_pton(AF_INET, "192.168.1.5", a);
	ok(tl_adopt_listener_matches(&l, 4, a, 443), "[::]:443 takes IPv4 too (dual stack)");
	inet_pton(AF_INET6, "fe80::1", l.laddr);
	ok(!tl_adopt_listener_matches(&l, 4, a, 443), "a specific IPv6 listener takes no IPv4");
	memset(a, 0, 16);
	inet_pton(AF_INET6, "fe80::1", a);
	ok(tl_adopt_listener_matches(&l, 6, a, 443), "[fe80::1]:443 takes [fe80::1]:443");
	a[15] = 2;
	ok(!tl_adopt_listener_matches(&l, 6, a, 443), "not [fe80::2]:443");
}

static void test_dir_and_syn(void)
{
	struct tl_sock *srv, *cli, *other_addr, *v6, *v4_on_v6, *known, *l1, *fresh, *empty;
	int n;

	snap.n = 0;
	l1 = listener(4, "127.0.0.1", 8080);
	listener(6, "::", 443);
	listener(4, "0.0.0.0", 22);
	/* both ends of one loopback connection to the listener */
	srv = est(4, "127.0.0.1", 8080, "127.0.0.1", 40000);
	cli = est(4, "127.0.0.1", 40000, "127.0.0.1", 8080);
	other_addr = est(4, "127.0.0.2", 8080, "127.0.0.1", 40001);
	v6 = est(6, "2001:db8::1", 443, "2001:db8::2", 50000);
	v4_on_v6 = est(4, "10.1.1.1", 443, "10.1.1.2", 50001);
	est(4, "10.1.1.1", 22, "10.1.1.9", 50002);
	known = est(4, "10.1.1.1", 5555, "10.1.1.2", 80);
	known->dir = TL_SOCK_DIR_PASSIVE;	/* the kernel knew: kept */
	known->syn_in_acked = 0;
	fresh = est(4, "10.1.1.1", 5556, "10.1.1.2", 80);
	fresh->dir = TL_SOCK_DIR_ACTIVE;	/* opened after start: nothing to correct */
	fresh->syn_in_acked = 0;
	empty = est(4, "10.1.1.1", 5557, "10.1.1.2", 80);
	empty->tx_bytes = 0;			/* no SYN counted after all: never below 0 */

	n = tl_adopt_snapshot(&snap, NULL, NULL);
	is_int(n, 0, "no procfd: no owners filled");
	is_int(srv->dir, TL_SOCK_DIR_PASSIVE, "server end of a loopback pair: passive");
	is_int(srv->tx_bytes, 101, "passive: tx unchanged");
	is_int(srv->syn_in_acked, 0, "passive: syn_in_acked cleared");
	is_int(cli->dir, TL_SOCK_DIR_ACTIVE, "client end: active");
	is_int(cli->tx_bytes, 100, "active: the SYN is taken off tx");
	is_int(cli->syn_in_acked, 0, "active: syn_in_acked cleared");
	is_int(other_addr->dir, TL_SOCK_DIR_ACTIVE, "same port, other address than the listener's");
	is_int(v6->dir, TL_SOCK_DIR_PASSIVE, "IPv6 under [::]:443");
	is_int(v4_on_v6->dir, TL_SOCK_DIR_PASSIVE, "IPv4 under [::]:443");
	is_int(socks[8].dir, TL_SOCK_DIR_PASSIVE, "IPv4 under 0.0.0.0:22");
	is_int(known->dir, TL_SOCK_DIR_PASSIVE, "a direction the kernel knew is kept");
	is_int(fresh->tx_bytes, 101, "no syn_in_acked: tx unchanged");
	is_int(empty->tx_bytes, 0, "tx 0 stays 0");
	is_int(empty->dir, TL_SOCK_DIR_ACTIVE, "no listener on 5557: active");
	is_int(l1->dir, TL_SOCK_DIR_UNKNOWN, "a listener has no direction");
	is_int(l1->tx_bytes, 101, "and its bytes are not touched");

	n = tl_adopt_snapshot(&snap, NULL, NULL);
	is_int(cli->tx_bytes, 100, "adopting twice does not take a second byte");
}

static void test_owners(void)
{
	struct tl_procfd *pf = tl_procfd_new();
	struct tl_sock *a, *b, *c, *orphan;
	const char *cg[32];
	int n;

	snap.n = 0;
	a = est(4, "10.0.0.1", 1000, "10.0.0.2", 80);
	a->inode = 111;
	b = est(4, "10.0.0.1", 1001, "10.0.0.2", 80);
	b->inode = 222;
	b->owner_known = 1;	/* the kernel knew it: procfd must not override */
	b->pid = 9;
	memcpy(b->comm, "kern", 5);
	c = est(4, "10.0.0.1", 1002, "10.0.0.2", 80);
	c->inode = 333;		/* nobody in /proc holds it */
	orphan = est(4, "10.0.0.1", 1003, "10.0.0.2", 80);
	orphan->inode = 0;
	tl_procfd_add(pf, 111, 42, "curl\x01", "/user.slice/x.scope");
	tl_procfd_add(pf, 222, 43, "other", "/y");
	tl_procfd_add(pf, 0, 44, "nobody", NULL);
	memset(cg, 0x55, sizeof(cg));

	n = tl_adopt_snapshot(&snap, pf, cg);
	is_int(n, 1, "one owner filled");
	ok(a->owner_known && a->pid == 42 && !strcmp(a->comm, "curl\x01"), "owner from /proc, raw name");
	is_str(cg[0], "/user.slice/x.scope", "its cgroup path on the side");
	is_int(a->cgroup_id, 0, "cgroup_id stays 0");
	ok(b->pid == 9 && !strcmp(b->comm, "kern") && cg[1] == NULL, "a known owner is kept");
	ok(!c->owner_known && cg[2] == NULL, "not in /proc: still unknown");
	ok(!orphan->owner_known && cg[3] == NULL, "no inode: still unknown");
	tl_procfd_free(pf);
}

static struct tl_record session(uint8_t family, const char *laddr, uint16_t lport,
				const char *raddr, uint16_t rport)
{
	int af = family == 4 ? AF_INET : AF_INET6;
	struct tl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_SESSION;
	r.family = family;
	inet_pton(af, laddr, r.laddr);
	inet_pton(af, raddr, r.raddr);
	r.lport = lport;
	r.rport = rport;
	r.tx_bytes = 5001;
	r.rx_bytes = 7;
	r.adopted = 1;
	r.syn_in_tx = 1;	/* the kernel did not know the direction */
	return r;
}

static void test_table(void)
{
	struct tl_procfd *pf = tl_procfd_new();
	const struct tl_adopt_entry *e;
	struct tl_adopt_table *t;
	struct tl_record r;
	const char *cg[32];
	struct tl_sock *s;
	uint8_t la[16] = { 0 }, ra[16] = { 0 };

	snap.n = 0;
	listener(4, "0.0.0.0", 80);
	s = est(4, "10.0.0.1", 80, "10.0.0.9", 50000);	/* passive */
	s->inode = 1;
	s = est(4, "10.0.0.1", 50001, "10.0.0.9", 443);	/* active */
	s->inode = 2;
	s = est(6, "2001:db8::1", 50002, "2001:db8::9", 443);
	s->inode = 3;
	s->laddr[15] = 1;
	s = est(4, "10.0.0.1", 50003, "10.0.0.9", 443);	/* unknown owner */
	/* junk past an IPv4 address must not matter */
	memset(s->laddr + 4, 0xee, 12);
	tl_procfd_add(pf, 1, 100, "nginx", "/system.slice/nginx.service");
	tl_procfd_add(pf, 2, 200, "curl", NULL);
	tl_procfd_add(pf, 3, 300, "ssh", "/u");
	tl_adopt_snapshot(&snap, pf, cg);
	t = tl_adopt_table_new(&snap, cg);
	tl_procfd_free(pf);	/* the table keeps its own copies */
	ok(t != NULL, "adoption table");
	if (!t)
		return;
	is_int(tl_adopt_table_count(t), 4, "four connections, the listener left out");

	inet_pton(AF_INET, "10.0.0.1", la);
	inet_pton(AF_INET, "10.0.0.9", ra);
	e = tl_adopt_table_find(t, 4, la, 80, ra, 50000);
	ok(e && e->dir == TL_SOCK_DIR_PASSIVE && e->pid == 100 && !strcmp(e->comm, "nginx") &&
	   !strcmp(e->cgroup, "/system.slice/nginx.service"), "find the passive one");
	ok(!tl_adopt_table_find(t, 4, la, 80, ra, 50001), "another remote port: not found");
	ok(!tl_adopt_table_find(t, 4, ra, 50000, la, 80), "reversed ends: not found");
	ok(!tl_adopt_table_find(t, 6, la, 80, ra, 50000), "other family: not found");
	ok(!tl_adopt_table_find(t, 4, la, 0, ra, 0), "the listener is not in the table");
	memset(la + 4, 0x11, 12);
	e = tl_adopt_table_find(t, 4, la, 50003, ra, 443);
	ok(e && !e->owner_known && e->dir == TL_SOCK_DIR_ACTIVE, "IPv4 keys ignore bytes past 4");

	/* a session record of an adopted connection: dir unknown in the kernel */
	r = session(4, "10.0.0.1", 50001, "10.0.0.9", 443);
	e = tl_adopt_record(t, &r);
	ok(e != NULL, "record found");
	ok(r.owner_known && r.pid == 200 && !strcmp(r.comm, "curl"), "owner filled");
	is_int(r.dir, TL_REC_ACTIVE, "direction filled: active");
	is_int(r.tx_bytes, 5000, "active: the SYN taken off");
	is_int(r.rx_bytes, 7, "rx unchanged");
	ok(e && e->cgroup == NULL, "no path for curl");

	r = session(4, "10.0.0.1", 80, "10.0.0.9", 50000);
	e = tl_adopt_record(t, &r);
	ok(r.dir == TL_REC_PASSIVE && r.tx_bytes == 5001 && r.pid == 100 && !r.syn_in_tx,
	   "passive: tx unchanged, syn_in_tx cleared");
	is_str(e ? e->cgroup : NULL, "/system.slice/nginx.service", "its path for printing");

	r = session(4, "10.0.0.1", 50001, "10.0.0.9", 443);
	r.owner_known = 1;
	r.pid = 7;
	memcpy(r.comm, "seen", 5);
	r.dir = TL_REC_ACTIVE;	/* the kernel knew and did its own accounting */
	r.syn_in_tx = 0;
	tl_adopt_record(t, &r);
	ok(r.pid == 7 && !strcmp(r.comm, "seen") && r.tx_bytes == 5001,
	   "kernel's owner and direction kept, tx untouched");

	r = session(4, "10.0.0.1", 80, "10.0.0.9", 50000);
	r.dir = TL_REC_ACTIVE;	/* the kernel learned otherwise since: it wins */
	tl_adopt_record(t, &r);
	ok(r.dir == TL_REC_ACTIVE && r.tx_bytes == 5000 && !r.syn_in_tx,
	   "a known direction is kept; syn_in_tx still honoured, then cleared");

	r = session(6, "2001:db8::1", 50002, "2001:db8::9", 443);
	e = tl_adopt_record(t, &r);
	ok(e && r.pid == 300 && r.dir == TL_REC_ACTIVE && r.tx_bytes == 5000, "IPv6 lookup");

	r = session(4, "10.0.0.1", 50001, "10.0.0.9", 443);
	r.adopted = 0;
	ok(!tl_adopt_record(t, &r) && !r.owner_known && r.tx_bytes == 5001 && r.syn_in_tx,
	   "not adopted: not looked up, unchanged");
	r = session(4, "10.9.9.9", 1, "10.0.0.9", 443);
	ok(!tl_adopt_record(t, &r) && !r.owner_known && r.dir == 0, "unknown 4-tuple: unchanged");
	r = session(4, "10.0.0.1", 50001, "10.0.0.9", 443);
	r.kind = TL_REC_CONNECT;
	ok(!tl_adopt_record(t, &r), "connects are not adopted");
	r = session(4, "10.0.0.1", 50001, "10.0.0.9", 443);
	ok(!tl_adopt_record(NULL, &r), "no table");
	tl_adopt_table_free(t);
}

static void test_big(void)
{
	static struct tl_sock big[20000];
	struct tl_snapshot s = { .socks = big, .n = 20000, .cap = 20000 };
	struct tl_adopt_table *t;
	uint8_t la[16] = { 10, 0, 0, 1 }, ra[16] = { 10, 0, 0, 2 };
	size_t i, found = 0;

	for (i = 0; i < s.n; i++) {
		big[i].family = 4;
		big[i].state = i < 100 ? TL_TCP_LISTEN : TL_TCP_ESTABLISHED;
		memcpy(big[i].laddr, la, 4);
		memcpy(big[i].raddr, ra, 4);
		big[i].lport = (uint16_t)(i < 100 ? i + 1 : i % 200 + 1);
		big[i].rport = (uint16_t)(i / 200 + 1000);
	}
	is_int(tl_adopt_snapshot(&s, NULL, NULL), 0, "20000 sockets, 100 listeners");
	for (i = 100; i < s.n; i++)
		found += big[i].dir == (big[i].lport <= 100 ? TL_SOCK_DIR_PASSIVE : TL_SOCK_DIR_ACTIVE);
	is_int(found, 19900, "every direction by the listener rule");
	t = tl_adopt_table_new(&s, NULL);
	ok(t && tl_adopt_table_count(t) == 19900, "table of 19900");
	for (i = 100, found = 0; t && i < s.n; i++)
		found += tl_adopt_table_find(t, 4, la, big[i].lport, ra, big[i].rport) != NULL;
	is_int(found, 19900, "each one found");
	tl_adopt_table_free(t);
}

static void test_keep_dirs(void)
{
	struct tl_sock prev_socks[3], *srv;
	struct tl_snapshot prev = { .socks = prev_socks, .n = 0, .cap = 3 };

	/* first snapshot: the listener decides */
	snap.n = 0;
	listener(4, "0.0.0.0", 80);
	est(4, "10.0.0.1", 80, "10.0.0.9", 50000);
	est(4, "10.0.0.1", 50001, "10.0.0.9", 443);
	tl_adopt_snapshot(&snap, NULL, NULL);
	memcpy(prev_socks, socks, 3 * sizeof(socks[0]));
	prev.n = 3;
	is_int(prev_socks[1].dir, TL_SOCK_DIR_PASSIVE, "first snapshot: passive under the listener");

	/* second snapshot: the listener is gone; the same cookies come back
	 * with the kernel's view (unknown, SYN maybe counted) */
	snap.n = 0;
	srv = est(4, "10.0.0.1", 80, "10.0.0.9", 50000);
	srv->cookie = 2;
	est(4, "10.0.0.1", 50001, "10.0.0.9", 443)->cookie = 3;
	est(4, "10.0.0.1", 80, "10.0.0.9", 50009)->cookie = 99;	/* new, no listener */
	is_int(tl_adopt_keep_dirs(&snap, &prev), 2, "two directions carried over by cookie");
	tl_adopt_snapshot(&snap, NULL, NULL);
	is_int(srv->dir, TL_SOCK_DIR_PASSIVE, "still passive without its listener");
	is_int(srv->tx_bytes, 101, "so tx is not corrected");
	is_int(socks[1].dir, TL_SOCK_DIR_ACTIVE, "active stays active");
	is_int(socks[1].tx_bytes, 100, "and gets its SYN off again (the kernel counts it each walk)");
	is_int(socks[2].dir, TL_SOCK_DIR_ACTIVE, "a new cookie is decided afresh");
	is_int(tl_adopt_keep_dirs(&snap, NULL), 0, "no previous snapshot: nothing");
}

/* With the real /proc: a socket of ours, unknown to the "kernel", gets us. */
static void test_table_from(void)
{
	struct tl_snapshot s = { 0 };
	const struct tl_adopt_entry *e;
	struct tl_adopt_table *t;
	struct stat st;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	s.socks = calloc(2, sizeof(*s.socks));
	s.n = s.cap = 2;
	ok(fd >= 0 && !fstat(fd, &st) && s.socks, "a socket of our own");
	if (fd < 0 || !s.socks)
		return;
	s.socks[0].family = 4;
	s.socks[0].state = TL_TCP_ESTABLISHED;
	s.socks[0].lport = 1234;
	s.socks[0].rport = 80;
	s.socks[0].inode = (uint64_t)st.st_ino;
	s.socks[0].syn_in_acked = 1;
	s.socks[0].tx_bytes = 10;
	s.socks[1] = s.socks[0];
	s.socks[1].lport = 1235;
	s.socks[1].inode = 0;
	t = tl_adopt_table_from(&s);
	ok(t && tl_adopt_table_count(t) == 2, "table from a snapshot");
	is_int(s.socks[0].tx_bytes, 10, "the snapshot itself is left alone");
	e = t ? tl_adopt_table_find(t, 4, s.socks[0].laddr, 1234, s.socks[0].raddr, 80) : NULL;
	ok(e && e->owner_known && e->pid == (uint32_t)getpid() && e->dir == TL_SOCK_DIR_ACTIVE,
	   "our socket: our pid, active");
	e = t ? tl_adopt_table_find(t, 4, s.socks[1].laddr, 1235, s.socks[1].raddr, 80) : NULL;
	ok(e && !e->owner_known, "no inode: no owner");
	tl_adopt_table_free(t);
	tl_snapshot_free(&s);
	close(fd);
}

int main(void)
{
	test_matches();
	test_dir_and_syn();
	test_owners();
	test_table();
	test_big();
	test_keep_dirs();
	test_table_from();
	return tap_done();
}
