// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "decode.h"
#include "tcplens_event.h"

_Static_assert(TL_COMM_LEN == TL_REC_COMM_LEN, "comm sizes differ");
_Static_assert((int)TL_EV_SESSION == (int)TL_REC_SESSION && (int)TL_EV_CONNECT == (int)TL_REC_CONNECT,
	       "kinds differ");
_Static_assert((int)TL_DIR_ACTIVE == (int)TL_REC_ACTIVE && (int)TL_DIR_PASSIVE == (int)TL_REC_PASSIVE,
	       "directions differ");
_Static_assert((int)TL_RES_ERROR == (int)TL_REC_ERROR && (int)TL_RES_TIMEOUT == (int)TL_REC_TIMEOUT &&
	       (int)TL_RES_REFUSED == (int)TL_REC_REFUSED && (int)TL_RES_ABORTED == (int)TL_REC_ABORTED,
	       "results differ");

int tl_decode(const void *data, size_t size, int64_t boot_to_wall_ns, struct tl_record *out)
{
	struct tl_event e;

	if (size < sizeof(e))
		return -EINVAL;
	memcpy(&e, data, sizeof(e));
	if (e.kind != TL_EV_SESSION && e.kind != TL_EV_CONNECT)
		return -EINVAL;
	if ((e.family != 4 && e.family != 6) || e.dir > TL_DIR_PASSIVE || e.result > TL_RES_ABORTED)
		return -EINVAL;
	/* only a socket opened before tracing can have an unknown direction */
	if (e.dir == TL_DIR_UNKNOWN && !(e.kind == TL_EV_SESSION && (e.flags & TL_F_ADOPTED)))
		return -EINVAL;
	/* a wall clock past 2^63 ns is no real timestamp: refuse rather than overflow */
	if (e.ts_ns > (uint64_t)INT64_MAX ||
	    (boot_to_wall_ns > 0 && (int64_t)e.ts_ns > INT64_MAX - boot_to_wall_ns) ||
	    (boot_to_wall_ns < 0 && (int64_t)e.ts_ns < -boot_to_wall_ns))
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->ts_ns = (uint64_t)((int64_t)e.ts_ns + boot_to_wall_ns);
	out->span_ns = e.span_ns;
	out->tx_bytes = e.tx_bytes;
	out->rx_bytes = e.rx_bytes;
	out->retrans = e.retrans;
	out->srtt_us = e.srtt_us;
	out->err = e.err;
	out->lport = e.lport;
	out->rport = e.rport;
	out->kind = e.kind;
	out->family = e.family;
	out->dir = e.dir;
	out->result = e.result;
	out->owner_known = !!(e.flags & TL_F_OWNER_KNOWN);
	out->reset = e.kind == TL_EV_SESSION && (e.flags & TL_F_RESET);
	out->adopted = e.kind == TL_EV_SESSION && (e.flags & TL_F_ADOPTED);
	out->syn_in_tx = out->adopted && (e.flags & TL_F_SYN_IN_TX);
	out->cookie = e.cookie;
	memcpy(out->laddr, e.laddr, sizeof(out->laddr));
	memcpy(out->raddr, e.raddr, sizeof(out->raddr));
	if (out->owner_known) {
		out->pid = e.pid;
		out->cgroup_id = e.cgroup_id;
		memcpy(out->comm, e.comm, sizeof(out->comm));
		out->comm[sizeof(out->comm) - 1] = '\0';
	}
	return 0;
}
