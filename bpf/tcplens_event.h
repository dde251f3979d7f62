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
	TL_DIR_ACTIVE = 1,	/* we called connect() */
	TL_DIR_PASSIVE = 2,	/* accepted from a listener */
};

enum tl_result {
	TL_RES_OK = 0,
	TL_RES_REFUSED = 1,	/* the peer answered with RST */
	TL_RES_TIMEOUT = 2,	/* no answer: the kernel gave up */
	TL_RES_ERROR = 3,	/* anything else; errno in err */
};

/* flags */
#define TL_F_OWNER_KNOWN 0x01	/* pid and comm name the owning process */

/* Indexes of the per-CPU drop and activity counters. */
enum tl_counter {
	TL_CNT_RB_SESSION = 0,	/* session event lost: ring buffer full */
	TL_CNT_RB_CONNECT,	/* connect event lost: ring buffer full */
	TL_CNT_MAP_FULL,	/* socket not tracked: state map insert failed */
	TL_CNT_NESTED,		/* state changes the standby program handled */
	TL_CNT_MAX,
};

struct tl_event {
	__u64 ts_ns;		/* CLOCK_BOOTTIME of the event */
	__u64 span_ns;		/* session: lifespan; connect: latency */
	__u64 tx_bytes;		/* session: payload bytes sent and acked */
	__u64 rx_bytes;		/* session: payload bytes received */
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
};

_Static_assert(sizeof(struct tl_event) == 112, "tl_event layout changed");

#endif
