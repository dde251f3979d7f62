/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One open TCP socket, as the socket iterator saw it, and a snapshot of
 * them all. Filled by the capture engine (src/capture.c), completed in user
 * space (owners of sockets opened before start, direction of those), and
 * read by the `open` mode and the front ends.
 */
#ifndef TCPLENS_SOCK_H
#define TCPLENS_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* The kernel's TCP states (include/net/tcp_states.h), as in `state` below. */
enum tl_tcp_state {
	TL_TCP_ESTABLISHED = 1,
	TL_TCP_SYN_SENT,
	TL_TCP_SYN_RECV,
	TL_TCP_FIN_WAIT1,
	TL_TCP_FIN_WAIT2,
	TL_TCP_TIME_WAIT,
	TL_TCP_CLOSE,
	TL_TCP_CLOSE_WAIT,
	TL_TCP_LAST_ACK,
	TL_TCP_LISTEN,
	TL_TCP_CLOSING,
	TL_TCP_NEW_SYN_RECV,
};

enum tl_sock_dir {
	TL_SOCK_DIR_UNKNOWN = 0,	/* opened before tracing, and nothing tells */
	TL_SOCK_DIR_ACTIVE = 1,		/* = TL_REC_ACTIVE */
	TL_SOCK_DIR_PASSIVE = 2,	/* = TL_REC_PASSIVE */
};

struct tl_sock {
	uint64_t cookie;		/* socket cookie: stable identity across snapshots */
	uint64_t tx_bytes;		/* payload bytes sent and acked so far (exact) */
	uint64_t rx_bytes;		/* payload bytes received so far (exact) */
	uint64_t cgroup_id;		/* owner's cgroup v2 id; 0: unknown */
	uint64_t inode;			/* the socket's inode (socket:[N]); 0: no file (orphan) */
	uint64_t age_ns;		/* since connect()/accept; valid with age_known */
	uint32_t pid;			/* tgid of the owner; valid with owner_known */
	uint32_t srtt_us;		/* smoothed RTT */
	uint32_t retrans;		/* retransmitted segments, total */
	uint32_t accept_queue;		/* LISTEN: connections waiting for accept() */
	uint32_t accept_queue_max;	/* LISTEN: the backlog limit */
	uint32_t drops;			/* LISTEN: connections dropped at a full accept queue
					 * since the listener was made (the kernel's sk_drops) */
	uint16_t lport, rport;		/* host byte order */
	uint8_t family;			/* 4 or 6 (IPv4-mapped IPv6 is 4) */
	uint8_t state;			/* enum tl_tcp_state */
	uint8_t dir;			/* enum tl_sock_dir */
	uint8_t owner_known;		/* pid and comm name the owner */
	uint8_t age_known;		/* 0: opened before tracing started */
	uint8_t syn_in_acked;		/* internal: tx_bytes still counts our SYN if active
					 * (opened before start, direction unknown in the kernel) */
	uint8_t pad[2];
	uint8_t laddr[16], raddr[16];	/* network byte order; IPv4 in the first 4 bytes */
	char comm[TL_REC_COMM_LEN];	/* NUL-terminated, raw kernel bytes: escape before display */
};

struct tl_snapshot {
	uint64_t ts_ns;			/* wall clock of the walk, ns since the epoch */
	struct tl_sock *socks;		/* n sockets, in the kernel's walk order */
	size_t n, cap;
};

void tl_snapshot_free(struct tl_snapshot *s);

#endif
