/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one user-side record type: what the model stores and every
 * front end reads. Sessions and connects share it; `kind` tells them apart.
 */
#ifndef TCPLENS_RECORD_H
#define TCPLENS_RECORD_H

#include <stdint.h>

#define TL_REC_COMM_LEN 16

enum tl_rec_kind {
	TL_REC_SESSION = 1,
	TL_REC_CONNECT = 2,
};

enum tl_rec_dir {
	TL_REC_ACTIVE = 1,	/* outgoing: this host connected */
	TL_REC_PASSIVE = 2,	/* incoming: accepted from a listener */
};

enum tl_rec_result {
	TL_REC_OK = 0,
	TL_REC_REFUSED = 1,
	TL_REC_TIMEOUT = 2,
	TL_REC_ERROR = 3,
	TL_REC_ABORTED = 4,	/* ended in SYN_SENT with no answer and no error: closed by the
				 * application, or failed locally before the SYN went out */
};

struct tl_record {
	uint64_t ts_ns;		/* wall clock of the event, ns since the epoch */
	uint64_t span_ns;	/* session: lifespan; connect: latency */
	uint64_t tx_bytes;	/* session: payload bytes sent */
	uint64_t rx_bytes;	/* session: payload bytes received */
	uint32_t pid;		/* meaningful only when owner_known */
	uint32_t retrans;	/* session: retransmitted segments; connect: SYN retransmits */
	uint32_t srtt_us;	/* session: smoothed RTT at close */
	int32_t err;		/* connect: errno, 0 when none */
	uint16_t lport;		/* host byte order */
	uint16_t rport;		/* host byte order */
	uint8_t kind;		/* enum tl_rec_kind */
	uint8_t family;		/* 4 or 6 (IPv4-mapped IPv6 is 4) */
	uint8_t dir;		/* enum tl_rec_dir; 0 only while an adopted session's is not known */
	uint8_t result;		/* connect: enum tl_rec_result */
	uint8_t owner_known;	/* 0: pid and comm are unknown, print them as such */
	uint8_t reset;		/* session: ended by a RST, sent (abortive close) or received */
	uint8_t adopted;	/* session: opened before tracing started; span_ns counts from then */
	uint8_t syn_in_tx;	/* internal: tx_bytes still counts our SYN if the session turns out
				 * active (adopted: the kernel did not know); cleared once known */
	uint8_t laddr[16];	/* network byte order; IPv4 in the first 4 bytes */
	uint8_t raddr[16];	/* for a connect: the destination */
	char comm[TL_REC_COMM_LEN]; /* NUL-terminated; raw kernel bytes, escape before display */
	uint64_t cgroup_id;	/* cgroup v2 id of the owner; 0: unknown */
	uint64_t cookie;	/* the kernel's socket cookie; 0: unknown (classic tracepoints) */
};

#endif
