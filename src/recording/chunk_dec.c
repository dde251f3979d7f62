// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A chunk's payload back into records; see chunk_dec.h and layout.h. */
#include <errno.h>
#include <string.h>

#include "recording/chunk_dec.h"

void tl_rec_dec_init(struct tl_rec_dec *d, const uint8_t *payload, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->cur.p = payload;
	d->cur.end = payload + len;
}

int tl_rec_dec_next(struct tl_rec_dec *d, uint8_t *type, struct tl_rec_cur *body)
{
	uint64_t len;
	const uint8_t *p;

	if (tl_cur_left(&d->cur) == 0)
		return -ENODATA;
	*type = tl_get_u8(&d->cur);
	len = tl_get_varint(&d->cur);
	if (d->cur.bad || len > tl_cur_left(&d->cur))
		return -EBADMSG;
	p = tl_get_bytes(&d->cur, (size_t)len);
	body->p = p;
	body->end = p + len;
	body->bad = false;
	d->count++;
	return 0;
}

static uint64_t get_ts(struct tl_rec_dec *d, struct tl_rec_cur *c)
{
	d->prev_ts += (uint64_t)tl_unzigzag(tl_get_varint(c));
	return d->prev_ts;
}

/* prev + a zigzag delta, which must land on a port */
static uint16_t get_port(struct tl_rec_cur *c, uint16_t prev)
{
	int64_t v = (int64_t)prev + tl_unzigzag(tl_get_varint(c));

	if (v < 0 || v > 65535) {
		c->bad = true;
		return 0;
	}
	return (uint16_t)v;
}

static void get_comm(struct tl_rec_cur *c, char comm[TL_REC_COMM_LEN])
{
	size_t n = tl_get_varint_max(c, TL_REC_COMM_LEN);
	const uint8_t *s = tl_get_bytes(c, n);

	memset(comm, 0, TL_REC_COMM_LEN);
	if (s)
		memcpy(comm, s, n);
}

static void get_fixed(struct tl_rec_cur *c, void *out, size_t n)
{
	const uint8_t *s = tl_get_bytes(c, n);

	if (s)
		memcpy(out, s, n);
}

int tl_rec_dec_event(struct tl_rec_dec *d, struct tl_rec_cur *c, struct tl_record *out)
{
	uint8_t slot = tl_get_u8(c), small[TL_EV_SMALL_LEN] = { 0 };
	struct tl_record *p;
	uint64_t mask;
	int64_t err;

	if (slot >= TL_REC_SLOTS)
		return -EBADMSG;
	p = &d->prev[slot];
	mask = tl_get_varint(c);
	if (mask & 1u << TL_EV_TS)
		p->ts_ns = get_ts(d, c);
	else
		p->ts_ns = d->prev_ts;
	if (mask & 1u << TL_EV_SPAN)
		p->span_ns = tl_get_varint(c);
	if (mask & 1u << TL_EV_TX)
		p->tx_bytes = tl_get_varint(c);
	if (mask & 1u << TL_EV_RX)
		p->rx_bytes = tl_get_varint(c);
	if (mask & 1u << TL_EV_PID)
		p->pid = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_EV_RETRANS)
		p->retrans = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_EV_SRTT)
		p->srtt_us = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_EV_ERR) {
		err = tl_unzigzag(tl_get_varint(c));
		if (err < INT32_MIN || err > INT32_MAX)
			return -EBADMSG;
		p->err = (int32_t)err;
	}
	if (mask & 1u << TL_EV_LPORT)
		p->lport = get_port(c, p->lport);
	if (mask & 1u << TL_EV_RPORT)
		p->rport = get_port(c, p->rport);
	if (mask & 1u << TL_EV_SMALL) {
		get_fixed(c, small, sizeof(small));
		p->kind = small[0];
		p->family = small[1];
		p->dir = small[2];
		p->result = small[3];
		p->owner_known = small[4];
		p->reset = small[5];
		p->adopted = small[6];
		p->syn_in_tx = small[7];
	}
	if (mask & 1u << TL_EV_LADDR)
		get_fixed(c, p->laddr, 16);
	if (mask & 1u << TL_EV_RADDR)
		get_fixed(c, p->raddr, 16);
	if (mask & 1u << TL_EV_COMM)
		get_comm(c, p->comm);
	if (mask & 1u << TL_EV_CGROUP)
		p->cgroup_id = tl_get_varint(c);
	if (mask & 1u << TL_EV_COOKIE)
		p->cookie += (uint64_t)tl_unzigzag(tl_get_varint(c));
	/* fields of a later version (mask bits beyond ours) follow: ignored */
	if (c->bad)
		return -EBADMSG;
	*out = *p;
	return 0;
}

int tl_rec_dec_drops(struct tl_rec_dec *d, struct tl_rec_cur *c, uint64_t *ts_ns,
		     struct tl_drops *out)
{
	uint64_t v[TL_REC_DROPS_N] = { 0 }, n;

	*ts_ns = get_ts(d, c);
	n = tl_get_varint(c);
	/* a later version may count more; the ones we know come first */
	for (uint64_t i = 0; i < n && !c->bad; i++) {
		uint64_t x = tl_get_varint(c);

		if (i < TL_REC_DROPS_N)
			v[i] = x;
	}
	if (c->bad)
		return -EBADMSG;
	*out = (struct tl_drops){
		.ringbuf = v[0], .map = v[1], .missed = v[2],
		.ringbuf_sessions = v[3], .ringbuf_connects = v[4],
		.map_sessions = v[5], .map_connects = v[6],
		.map_sessions_max = v[7], .map_connects_max = v[8],
	};
	return 0;
}

static int get_path(struct tl_rec_cur *c, struct tl_rec_span *path, bool none_ok)
{
	size_t n = tl_get_varint_max(c, TL_REC_PATH_MAX - 1);
	const uint8_t *s = tl_get_bytes(c, n);

	if (c->bad || (n == 0 && !none_ok) || (n && memchr(s, 0, n)))
		return -EBADMSG;
	path->p = n ? s : NULL;
	path->len = n;
	return 0;
}

int tl_rec_dec_cgroup(struct tl_rec_cur *c, uint64_t *id, struct tl_rec_span *path)
{
	*id = tl_get_varint(c);
	if (c->bad || *id == 0)
		return -EBADMSG;
	return get_path(c, path, false);
}

int tl_rec_dec_snap_head(struct tl_rec_dec *d, struct tl_rec_cur *c, uint64_t *ts_ns,
			 uint32_t *total, uint32_t *first, uint32_t *count)
{
	*ts_ns = get_ts(d, c);
	*total = (uint32_t)tl_get_varint_max(c, TL_REC_SNAP_MAX);
	*first = (uint32_t)tl_get_varint_max(c, *total);
	*count = (uint32_t)tl_get_varint_max(c, *total - *first);
	/* every socket takes a byte at least: a count the body cannot hold is a lie */
	if (c->bad || *count > tl_cur_left(c))
		return -EBADMSG;
	return 0;
}

int tl_rec_dec_sock(struct tl_rec_cur *c, struct tl_sock *s, struct tl_rec_span *path)
{
	uint8_t small[TL_SK_SMALL_LEN] = { 0 };
	uint64_t mask = tl_get_varint(c);

	if (mask & 1u << TL_SK_COOKIE)
		s->cookie += (uint64_t)tl_unzigzag(tl_get_varint(c));
	if (mask & 1u << TL_SK_TX)
		s->tx_bytes = tl_get_varint(c);
	if (mask & 1u << TL_SK_RX)
		s->rx_bytes = tl_get_varint(c);
	if (mask & 1u << TL_SK_CGROUP)
		s->cgroup_id = tl_get_varint(c);
	if (mask & 1u << TL_SK_INODE)
		s->inode += (uint64_t)tl_unzigzag(tl_get_varint(c));
	if (mask & 1u << TL_SK_AGE)
		s->age_ns = tl_get_varint(c);
	if (mask & 1u << TL_SK_PID)
		s->pid = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_SK_SRTT)
		s->srtt_us = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_SK_RETRANS)
		s->retrans = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_SK_ACCQ)
		s->accept_queue = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_SK_ACCQ_MAX)
		s->accept_queue_max = (uint32_t)tl_get_varint_max(c, UINT32_MAX);
	if (mask & 1u << TL_SK_LPORT)
		s->lport = get_port(c, s->lport);
	if (mask & 1u << TL_SK_RPORT)
		s->rport = get_port(c, s->rport);
	if (mask & 1u << TL_SK_SMALL) {
		get_fixed(c, small, sizeof(small));
		s->family = small[0];
		s->state = small[1];
		s->dir = small[2];
		s->owner_known = small[3];
		s->age_known = small[4];
		s->syn_in_acked = small[5];
	}
	if (mask & 1u << TL_SK_LADDR)
		get_fixed(c, s->laddr, 16);
	if (mask & 1u << TL_SK_RADDR)
		get_fixed(c, s->raddr, 16);
	if (mask & 1u << TL_SK_COMM)
		get_comm(c, s->comm);
	if ((mask & 1u << TL_SK_PATH) && get_path(c, path, true))
		return -EBADMSG;
	/* A later version's socket fields would need a length to be skipped:
	 * they are not allowed in a part (mask bits beyond ours are damage). */
	if (c->bad || mask >> TL_SK_NFIELDS)
		return -EBADMSG;
	return 0;
}
