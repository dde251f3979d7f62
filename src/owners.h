/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Owners of sockets the kernel side did not see in process context (opened
 * before tcplens started, listeners among them), for every snapshot after
 * the first: the /proc scan taken at start is kept and looked up by inode,
 * and /proc is scanned again only when a socket's inode is not in it, and
 * then at most once per rescan period. A scan reads a link per open file
 * of every process: about 5 µs per socket on a busy machine, far more than
 * the walk itself, so doing it per snapshot would make the snapshot cost
 * what `ss -p` costs. Rescans are spaced by at least a second and by twenty
 * times what the last one took.
 *
 * An owner found at a scan stays the answer until the next one: a process
 * that hands its socket to another after that keeps being shown (as the
 * adoption table does for sessions opened before start).
 */
#ifndef TCPLENS_OWNERS_H
#define TCPLENS_OWNERS_H

#include <stdint.h>

#include "procfd.h"
#include "sock.h"

#define TL_OWNERS_RESCAN_NS (1000000000ull)	/* at most a scan a second, and see owners.c */

struct tl_owners;

/* Takes pf (may be NULL: the first lookup scans), scanned at scanned_ns
 * (CLOCK_MONOTONIC). scan: how to walk /proc (tl_procfd_scan; tests give
 * their own). NULL + errno. */
struct tl_owners *tl_owners_new(struct tl_procfd *pf, uint64_t scanned_ns,
				uint64_t rescan_ns, struct tl_procfd *(*scan)(void));
void tl_owners_free(struct tl_owners *o);

/*
 * Completes snap like tl_adopt_snapshot (owners, directions, the SYN
 * byte), from the kept scan, rescanning /proc first if a socket without
 * an owner has an inode the scan lacks and the scan is older than the
 * rescan period. cgroups as for tl_adopt_snapshot; its pointers stay valid
 * until the next call. Returns owners filled in, or -ENOMEM.
 */
int tl_owners_complete(struct tl_owners *o, struct tl_snapshot *snap, const char **cgroups,
		       uint64_t now_ns);

/* /proc scans made (the one given at creation not counted), and those that
 * failed (owners then stay unknown). */
unsigned long tl_owners_scans(const struct tl_owners *o);
unsigned long tl_owners_scan_errors(const struct tl_owners *o);

#endif
