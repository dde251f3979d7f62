/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Socket owners from /proc: one walk over /proc/PID/fd maps each socket
 * inode (the N of "socket:[N]") to the process holding it. This is how
 * sockets opened before tcplens started get an owner; the kernel side only
 * knows owners it saw in process context.
 *
 * When several processes hold one socket (a fork that kept it), the lowest
 * pid wins: usually the parent, and the same answer on every scan, whatever
 * order /proc lists the processes in.
 *
 * Names and paths come from other processes and are untrusted: they are
 * kept as raw bytes, NUL-terminated, and must be escaped before display.
 */
#ifndef TCPLENS_PROCFD_H
#define TCPLENS_PROCFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* Sockets kept by one scan; the rest are counted in tl_procfd_dropped. */
#define TL_PROCFD_MAX_SOCKETS (1u << 20)
/* Longer cgroup paths are not kept (the owner then has none). */
#define TL_PROCFD_CGROUP_MAX 4096

struct tl_owner {
	uint32_t pid;			/* the tgid */
	char comm[TL_REC_COMM_LEN];	/* /proc/PID/comm without its newline, at most 15 bytes */
	const char *cgroup;		/* the "0::" line of /proc/PID/cgroup; NULL: none */
};

struct tl_procfd;

/* Walks /proc now. NULL + errno (ENOMEM, or /proc cannot be opened). */
struct tl_procfd *tl_procfd_scan(void);
/* The same under another root, e.g. a test's fake tree; max caps the sockets. */
struct tl_procfd *tl_procfd_scan_at(const char *proc_root, size_t max);
/* An empty table, filled with tl_procfd_add (tests, synthetic owners). */
struct tl_procfd *tl_procfd_new(void);
/* Records that pid holds socket inode; the lowest pid of the holders stays.
 * comm and cgroup are copied (cgroup may be NULL). 0 or -errno (-ENOSPC: full). */
int tl_procfd_add(struct tl_procfd *pf, uint64_t inode, uint32_t pid, const char *comm,
		  const char *cgroup);
/* NULL when no process holds it. Valid until tl_procfd_free. */
const struct tl_owner *tl_procfd_find(const struct tl_procfd *pf, uint64_t inode);
size_t tl_procfd_count(const struct tl_procfd *pf);
/* Sockets left out because the table was full. */
size_t tl_procfd_dropped(const struct tl_procfd *pf);
void tl_procfd_free(struct tl_procfd *pf);

#endif
