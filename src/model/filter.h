/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a filter looks at, gathered from either a full record or a
 * retained connect, so one matcher serves both without copying.
 */
#ifndef TCPLENS_MODEL_FILTER_H
#define TCPLENS_MODEL_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "model.h"

struct tl_subject {
	uint8_t kind, family, dir, result, owner_known;
	uint16_t lport, rport;
	uint32_t pid;
	uint64_t span_ns;
	const uint8_t *laddr, *raddr;
	const char *comm;
	uint64_t cgroup_id;	/* 0: unknown */
};

static inline void tl_subject_from_record(struct tl_subject *s, const struct tl_record *r)
{
	s->kind = r->kind;
	s->family = r->family;
	/* a connect is outgoing by definition, whatever the decoder left in dir */
	s->dir = r->kind == TL_REC_CONNECT ? TL_REC_ACTIVE : r->dir;
	s->result = r->result;
	s->owner_known = r->owner_known;
	s->lport = r->lport;
	s->rport = r->rport;
	s->pid = r->pid;
	s->span_ns = r->span_ns;
	s->laddr = r->laddr;
	s->raddr = r->raddr;
	s->comm = r->comm;
	s->cgroup_id = r->cgroup_id;
}

static inline void tl_subject_from_conn(struct tl_subject *s, const struct tl_conn *c)
{
	s->kind = TL_REC_CONNECT;
	s->family = c->family;
	s->dir = TL_REC_ACTIVE;
	s->result = c->result;
	s->owner_known = c->owner_known;
	s->lport = c->lport;
	s->rport = c->rport;
	s->pid = c->pid;
	s->span_ns = c->lat_ns;
	s->laddr = c->laddr;
	s->raddr = c->raddr;
	s->comm = c->comm;
	s->cgroup_id = c->cgroup_id;
}

bool tl_filter_match_subject(const struct tl_filter *f, const struct tl_subject *s);

#endif
