/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one layout shared by the BPF programs and the user side.
 * Fixed-width fields only; byte order is stated per field.
 */
#ifndef TCPLENS_EVENT_H
#define TCPLENS_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TL_COMM_LEN 16

enum tl_event_kind {
	TL_EV_SESSION = 1,	/* an ESTABLISHED socket reached CLOSE */
	TL_EV_CONNECT = 2,	/* an outgoing connect got its answer (or none) */
};

enum tl_dir {
	TL_DIR_UNKNOWN = 0,	/* opened before tracing: user space infers it */
	TL_DIR_ACTIVE = 1,	/* we called connect() */
	TL_DIR_PASSIVE = 2,	/* accepted from a listener */
};

enum tl_result {
	TL_RES_OK = 0,
	TL_RES_REFUSED = 1,	/* the peer answered with RST */
	TL_RES_TIMEOUT = 2,	/* no answer: the kernel gave up */
	TL_RES_ERROR = 3,	/* another error; errno in err */
	TL_RES_ABORTED = 4,	/* no answer, no error: closed during SYN_SENT, or failed
				 * locally before the SYN went out */
};

/* flags, of events and of iterator records */
#define TL_F_OWNER_KNOWN 0x01	/* pid, comm and cgroup_id name the owning process */
#define TL_F_RESET	 0x02	/* session: ended by a RST, sent or received */
#define TL_F_ADOPTED	 0x04	/* opened before tracing; span and age count from the adoption */
#define TL_F_SYN_IN_TX	 0x08	/* tx_bytes still counts our SYN if the socket is active
				 * (adopted, so the kernel side did not know the direction) */
#define TL_F_AGE_KNOWN	 0x10	/* iterator: start_ns is the socket's start */

/* Indexes of the per-CPU drop and activity counters. */
enum tl_counter {
	TL_CNT_RB_SESSION = 0,	/* session event lost: ring buffer full */
	TL_CNT_RB_CONNECT,	/* connect event lost: ring buffer full */
	TL_CNT_STORE_ACTIVE,	/* active socket not tracked: its connect event is lost,
				 * and its session if it is made */
	TL_CNT_STORE_ACTIVE_MAYBE, /* the same, but a filter on the local port (not known
				 * at connect) might have rejected it: worst cases only */
	TL_CNT_STORE_PASSIVE,	/* passive socket not tracked: its session is lost */
	TL_CNT_STORE_MAYBE,	/* passive socket not tracked that the filters might
				 * have rejected later: a session lost at worst */
	TL_CNT_NESTED,		/* state changes the standby program handled */
	TL_CNT_MAX,
};

struct tl_event {
	__u64 ts_ns;		/* CLOCK_BOOTTIME of the event */
	__u64 span_ns;		/* session: lifespan; connect: latency */
	__u64 tx_bytes;		/* session: payload bytes sent and acked */
	__u64 rx_bytes;		/* session: payload bytes received */
	__u64 cgroup_id;	/* owner's cgroup v2 id, valid with TL_F_OWNER_KNOWN */
	__u64 cookie;		/* socket cookie; 0 from classic tracepoints */
	__u32 pid;		/* tgid of the owner, valid with TL_F_OWNER_KNOWN */
	__u32 retrans;		/* session: segments; connect: SYN retransmits */
	__u32 srtt_us;		/* session: smoothed RTT at close */
	__s32 err;		/* connect: positive errno, 0 if none */
	__u16 lport;		/* host byte order */
	__u16 rport;		/* host byte order */
	__u8 kind;		/* enum tl_event_kind */
	__u8 family;		/* 4 or 6; IPv4-mapped IPv6 is reported as 4 */
	__u8 dir;		/* enum tl_dir */
	__u8 result;		/* connect: enum tl_result */
	__u8 flags;		/* TL_F_* */
	__u8 pad[3];
	__u8 laddr[16];		/* network byte order; IPv4 in the first 4 bytes */
	__u8 raddr[16];		/* network byte order; IPv4 in the first 4 bytes */
	char comm[TL_COMM_LEN];	/* raw kernel bytes, untrusted */
	__u8 pad2[4];
};

_Static_assert(sizeof(struct tl_event) == 128, "tl_event layout changed");

/* One open socket, written by the iter/tcp program into the iterator's file. */
struct tl_iter_sock {
	__u64 cookie;
	__u64 tx_bytes;		/* payload sent and acked so far (see TL_F_SYN_IN_TX) */
	__u64 rx_bytes;		/* payload received so far */
	__u64 cgroup_id;	/* valid with TL_F_OWNER_KNOWN */
	__u64 inode;		/* socket inode; 0: no file */
	__u64 start_ns;		/* CLOCK_BOOTTIME of connect()/SYN_RECV or of adoption */
	__u32 pid;		/* valid with TL_F_OWNER_KNOWN */
	__u32 srtt_us;
	__u32 retrans;		/* total_retrans */
	__u32 ack_backlog;	/* LISTEN: accept queue length */
	__u32 max_ack_backlog;	/* LISTEN: its limit */
	__u16 lport, rport;	/* host byte order */
	__u8 family;		/* 4 or 6 */
	__u8 state;		/* the kernel's TCP state */
	__u8 dir;		/* enum tl_dir */
	__u8 flags;		/* TL_F_* */
	__u8 laddr[16], raddr[16];
	char comm[TL_COMM_LEN];
	__u32 sk_drops;		/* LISTEN: connections dropped at the full accept queue
				 * (the kernel's sk_drops; tcp_listendrop counts there) */
};

_Static_assert(sizeof(struct tl_iter_sock) == 128, "tl_iter_sock layout changed");

#endif
