/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Adoption: what user space adds to sockets the kernel saw only through the
 * iterator (opened before tcplens started).
 *
 * - The owner, from /proc (src/procfd.h), for sockets whose owner the
 *   kernel does not know and that still have a file (inode != 0). The
 *   owner's cgroup path comes with it; the socket's cgroup_id stays 0 (the
 *   path is not looked up as an id), so printers take the path from the
 *   side array tl_adopt_snapshot fills.
 * - The direction: passive when a listener in the same snapshot has the
 *   socket's local port and a matching local address (the same address,
 *   or the listener's is 0.0.0.0 or ::; an IPv6 :: listener also takes
 *   IPv4 connections, since V6ONLY cannot be seen here), else active. A
 *   listener closed since the accept makes an old passive socket look
 *   active: there is no better witness left.
 * - Bytes: the kernel's bytes_acked counts our SYN on an active socket; a
 *   socket whose direction the kernel did not know (syn_in_acked) gets it
 *   taken off once the direction is known to be active.
 *
 * The adoption table keeps, from the start snapshot, the owner and
 * direction of each adopted connection by its addresses, so that its
 * session record at close (adopted=1) can be completed the same way.
 */
#ifndef TCPLENS_ADOPT_H
#define TCPLENS_ADOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procfd.h"
#include "record.h"
#include "sock.h"

/*
 * Completes snap in place: owners from pf (may be NULL: no owners added),
 * directions, the SYN byte. cgroups, when not NULL, has room for snap->n
 * pointers: cgroups[i] is set to the cgroup path of socks[i]'s owner as
 * found in pf (owned by pf, valid while it is), or NULL.
 * Returns the number of owners filled in, or -ENOMEM (then snap is unchanged).
 */
int tl_adopt_snapshot(struct tl_snapshot *snap, const struct tl_procfd *pf,
			 const char **cgroups);

/*
 * Before tl_adopt_snapshot on a later snapshot: sockets whose direction the
 * kernel does not know take the one decided for the same cookie in prev
 * (an adopted snapshot), so a direction, and with it the SYN correction,
 * stays put when the listener that decided it closes. Returns how many
 * were carried over, or -ENOMEM (then cur is unchanged).
 */
int tl_adopt_keep_dirs(struct tl_snapshot *cur, const struct tl_snapshot *prev);

/* Would a connection with local end (family, addr, port) have come from this
 * listener? The rule described above; exposed for the tests. */
bool tl_adopt_listener_matches(const struct tl_sock *listener, uint8_t family,
			       const uint8_t addr[16], uint16_t port);

struct tl_adopt_entry {
	uint8_t family;
	uint8_t dir;			/* enum tl_sock_dir: active or passive */
	uint8_t owner_known;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	uint32_t pid;
	char comm[TL_REC_COMM_LEN];
	char *cgroup;			/* the owner's cgroup path when it came from /proc; NULL: none */
};

struct tl_adopt_table;

/*
 * The table of a completed start snapshot (after tl_adopt_snapshot, with
 * the same cgroups array, which may be NULL). Listeners are left out; a
 * 4-tuple seen twice keeps the first. Paths are copied. NULL + errno.
 */
struct tl_adopt_table *tl_adopt_table_new(const struct tl_snapshot *snap,
					  const char *const *cgroups);
/*
 * All of it for a line mode at start: owners from /proc (a fresh scan; if
 * /proc cannot be read the owners the kernel knows still count), adoption
 * of a copy of snap, then the table. Usage:
 * t = tl_adopt_table_from(tl_capture_start_snapshot(cap)); then
 * tl_adopt_record(t, &record) for each session record. NULL + errno.
 */
struct tl_adopt_table *tl_adopt_table_from(const struct tl_snapshot *snap);
void tl_adopt_table_free(struct tl_adopt_table *t);
size_t tl_adopt_table_count(const struct tl_adopt_table *t);
const struct tl_adopt_entry *tl_adopt_table_find(const struct tl_adopt_table *t, uint8_t family,
						 const uint8_t laddr[16], uint16_t lport,
						 const uint8_t raddr[16], uint16_t rport);
/*
 * For a session record with adopted=1: fills the owner from the table when
 * the record has none, and the direction when the record has none (dir 0);
 * then, if the record still counts the SYN (syn_in_tx) and the session is
 * active, tx_bytes - 1, and syn_in_tx is cleared. Returns the entry (its
 * cgroup is the path to print when r->cgroup_id is 0), or NULL when the
 * record is not adopted or not in the table (then r is unchanged).
 */
const struct tl_adopt_entry *tl_adopt_record(const struct tl_adopt_table *t, struct tl_record *r);

#endif
