/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The retained form of a connect record: only what the latency views and
 * the filters read (88 bytes instead of 128), since the model keeps a
 * connect for every four sessions.
 */
#ifndef TCPLENS_MODEL_CONN_H
#define TCPLENS_MODEL_CONN_H

#include <stdint.h>
#include <string.h>

#include "record.h"

struct tl_conn {
	uint64_t ts_ns;
	uint64_t lat_ns;
	uint32_t pid;
	uint16_t lport, rport;
	uint8_t family, result, owner_known;
	uint8_t err;		/* errno of a failed connect; Linux's fit in a byte, 255: larger */
	uint8_t laddr[16], raddr[16];
	char comm[TL_REC_COMM_LEN];
	uint64_t cgroup_id;	/* the owner's cgroup v2 id, 0: unknown (unit grouping, filters) */
};

_Static_assert(sizeof(struct tl_conn) == 88, "tl_conn should stay compact");

static inline void tl_conn_pack(struct tl_conn *c, const struct tl_record *r)
{
	c->ts_ns = r->ts_ns;
	c->lat_ns = r->span_ns;
	c->pid = r->pid;
	c->lport = r->lport;
	c->rport = r->rport;
	c->family = r->family;
	c->result = r->result;
	c->owner_known = r->owner_known;
	c->err = r->err < 0 ? 0 : r->err > 255 ? 255 : (uint8_t)r->err;
	memcpy(c->laddr, r->laddr, 16);
	memcpy(c->raddr, r->raddr, 16);
	memcpy(c->comm, r->comm, TL_REC_COMM_LEN);
	c->cgroup_id = r->cgroup_id;
}

#endif
