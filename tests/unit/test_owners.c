// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Owners by inode across snapshots: the kept scan answers, /proc is scanned
 * again only for an inode it lacks, and then at most once per period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "owners.h"
#include "tests/unit/tap.h"

#define SEC 1000000000ull

static int scans;
static int scan_fail;			/* errno the next scan fails with; 0: none */
static uint64_t scan_inode = 500;	/* the socket the next scan finds */

static struct tl_procfd *fake_scan(void)
{
	struct tl_procfd *pf;

	scans++;
	if (scan_fail) {
		errno = scan_fail;
		return NULL;
	}
	pf = tl_procfd_new();
	if (pf && tl_procfd_add(pf, scan_inode, 77, "later", "/x.service")) {
		tl_procfd_free(pf);
		return NULL;
	}
	return pf;
}

static void sock(struct tl_sock *s, uint64_t inode)
{
	memset(s, 0, sizeof(*s));
	s->family = 4;
	s->state = TL_TCP_ESTABLISHED;
	s->inode = inode;
	s->lport = 1000 + (uint16_t)inode;
	s->rport = 80;
	s->dir = TL_SOCK_DIR_ACTIVE;
}

int main(void)
{
	struct tl_sock socks[2];
	struct tl_snapshot snap = { .socks = socks, .n = 2, .cap = 2 };
	const char *cg[2];
	struct tl_procfd *start = tl_procfd_new();
	struct tl_owners *o;
	int n;

	ok(start && !tl_procfd_add(start, 100, 42, "early", NULL), "a start scan");
	o = tl_owners_new(start, 5 * SEC, 10 * SEC, fake_scan);
	ok(o != NULL, "owners from the start scan");

	/* both known at start: no scan */
	sock(&socks[0], 100);
	sock(&socks[1], 0);	/* an orphan: no file, /proc cannot tell */
	n = tl_owners_complete(o, &snap, cg, 6 * SEC);
	ok(n == 1 && scans == 0, "known inode: the kept scan answers, no rescan (%d, %d)", n, scans);
	ok(socks[0].owner_known && socks[0].pid == 42 && !strcmp(socks[0].comm, "early"),
	       "the owner found at start");
	ok(!socks[1].owner_known, "an orphan stays unknown, and asks for no scan");

	/* an inode the scan lacks, within the period: no rescan yet */
	sock(&socks[0], 100);
	sock(&socks[1], 500);
	n = tl_owners_complete(o, &snap, cg, 14 * SEC);
	ok(n == 1 && scans == 0 && !socks[1].owner_known,
	       "unknown inode within 10 s of the last scan: unknown for now (%d, %d)", n, scans);

	/* past the period: one rescan, and the new scan answers both */
	sock(&socks[0], 100);
	sock(&socks[1], 500);
	n = tl_owners_complete(o, &snap, cg, 15 * SEC);
	ok(scans == 1 && socks[1].owner_known && socks[1].pid == 77,
	       "past the period: rescanned once, the new socket has its owner");
	ok(cg[1] && !strcmp(cg[1], "/x.service"), "its cgroup path comes with it");
	ok(!socks[0].owner_known, "an owner gone from /proc at the rescan is unknown, not kept");

	/* the new scan's socket again: no scan however late */
	sock(&socks[0], 500);
	sock(&socks[1], 0);
	n = tl_owners_complete(o, &snap, cg, 100 * SEC);
	ok(n == 1 && scans == 1, "known to the kept scan: no rescan even much later");

	/* a failed rescan keeps the old table and is counted */
	scan_fail = EACCES;
	sock(&socks[0], 500);
	sock(&socks[1], 900);
	n = tl_owners_complete(o, &snap, cg, 200 * SEC);
	ok(n == 1 && scans == 2 && tl_owners_scan_errors(o) == 1 && socks[0].owner_known,
	       "a failed rescan is counted, the kept scan still answers");
	n = tl_owners_complete(o, &snap, cg, 201 * SEC);
	ok(scans == 2, "and is not retried before the period is over");
	scan_fail = ENOMEM;
	n = tl_owners_complete(o, &snap, cg, 300 * SEC);
	ok(n == -ENOMEM, "out of memory is said");
	scan_fail = 0;
	tl_owners_free(o);

	/* an inode no scan finds (a process /proc does not show) asks once */
	scans = 0;
	o = tl_owners_new(tl_procfd_new(), 0, SEC, fake_scan);
	sock(&socks[0], 4242);
	sock(&socks[1], 0);
	tl_owners_complete(o, &snap, cg, 2 * SEC);
	sock(&socks[0], 4242);
	tl_owners_complete(o, &snap, cg, 10 * SEC);
	sock(&socks[0], 4242);
	tl_owners_complete(o, &snap, cg, 20 * SEC);
	ok(scans == 1 && !socks[0].owner_known,
	   "a socket no scan can place asks for one scan, not one a second (%d)", scans);
	scan_inode = 600;	/* a new socket, which the next scan finds */
	sock(&socks[0], 4242);
	sock(&socks[1], 600);
	tl_owners_complete(o, &snap, cg, 30 * SEC);
	ok(scans == 2 && socks[1].owner_known && socks[1].pid == 77, "a new socket asks again, and is found");
	tl_owners_free(o);
	scan_inode = 500;

	/* no start scan (cannot read /proc at start): the first lookup scans */
	scans = 0;
	o = tl_owners_new(NULL, 5 * SEC, 10 * SEC, fake_scan);
	sock(&socks[0], 500);
	sock(&socks[1], 0);
	n = tl_owners_complete(o, &snap, cg, 5 * SEC);
	ok(scans == 1 && n == 1, "without a start scan, the first snapshot scans");
	tl_owners_free(o);
	return tap_done();
}
