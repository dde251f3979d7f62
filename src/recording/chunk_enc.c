// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Records into a chunk's payload; see chunk_enc.h and layout.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recording/chunk_enc.h"

/* Bytes an event or a socket takes at most, beyond its strings. */
#define EVENT_MAX	(1 + TL_VARINT_MAX + 1 + TL_VARINT_MAX * TL_EV_NFIELDS + 64)
#define SOCK_MAX	(TL_VARINT_MAX * (TL_SK_NFIELDS + 2) + 64)
#define FRAME_MAX	(1 + TL_VARINT_MAX)

int tl_rec_buf_reserve(struct tl_rec_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

void tl_rec_buf_free(struct tl_rec_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int tl_rec_enc_init(struct tl_rec_enc *e)
{
	memset(e, 0, sizeof(*e));
	e->gen = 1;
	return tl_rec_buf_reserve(&e->buf, 1 << 16);
}

void tl_rec_enc_free(struct tl_rec_enc *e)
{
	tl_rec_buf_free(&e->buf);
	free(e->ids);
	free(e->gens);
	memset(e, 0, sizeof(*e));
}

void tl_rec_enc_reset(struct tl_rec_enc *e)
{
	e->buf.len = 0;
	e->count = 0;
	e->first_ns = e->last_ns = 0;
	e->timed = false;
	e->prev_ts = 0;
	memset(e->prev, 0, sizeof(e->prev));
	e->used = 0;
	if (++e->gen == 0) {	/* wrapped: old marks would look live */
		if (e->gens)
			memset(e->gens, 0, (e->mask + 1) * sizeof(*e->gens));
		e->gen = 1;
	}
}

static size_t id_slot(uint64_t id, size_t mask)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id & mask;
}

static int set_grow(struct tl_rec_enc *e)
{
	size_t cap = e->mask ? (e->mask + 1) * 2 : 256, mask = cap - 1;
	uint64_t *ids = calloc(cap, sizeof(*ids));
	uint32_t *gens = calloc(cap, sizeof(*gens));

	if (!ids || !gens) {
		free(ids);
		free(gens);
		return -ENOMEM;
	}
	for (size_t i = 0; e->ids && i <= e->mask; i++) {
		size_t j;

		if (e->gens[i] != e->gen)
			continue;
		for (j = id_slot(e->ids[i], mask); gens[j] == e->gen; j = (j + 1) & mask)
			;
		ids[j] = e->ids[i];
		gens[j] = e->gen;
	}
	free(e->ids);
	free(e->gens);
	e->ids = ids;
	e->gens = gens;
	e->mask = mask;
	return 0;
}

bool tl_rec_enc_cgroup_seen(struct tl_rec_enc *e, uint64_t id)
{
	size_t j;

	if (id == 0)
		return true;
	if ((e->used + 1) * 2 > (e->ids ? e->mask + 1 : 0) && set_grow(e))
		return false;
	for (j = id_slot(id, e->mask); e->gens[j] == e->gen; j = (j + 1) & e->mask)
		if (e->ids[j] == id)
			return true;
	e->ids[j] = id;
	e->gens[j] = e->gen;
	e->used++;
	return false;
}

/* Type byte and a one-byte length guess; the body follows. */
static size_t frame_open(struct tl_rec_enc *e, uint8_t type)
{
	tl_put_u8(&e->buf, type);
	tl_put_u8(&e->buf, 0);
	return e->buf.len;
}

/* Writes the body's length; a long body moves up to make room (rare: snapshots). */
static void frame_close(struct tl_rec_enc *e, size_t body)
{
	size_t n = e->buf.len - body, extra = 0;
	struct tl_rec_buf lenbuf = { .p = (uint8_t[TL_VARINT_MAX]){ 0 }, .cap = TL_VARINT_MAX };

	tl_put_varint(&lenbuf, n);
	extra = lenbuf.len - 1;
	if (extra) {
		/* room was reserved with FRAME_MAX */
		memmove(e->buf.p + body + extra, e->buf.p + body, n);
		e->buf.len += extra;
	}
	memcpy(e->buf.p + body - 1, lenbuf.p, lenbuf.len);
	e->count++;
}

/* The chunk's span covers the records that have a time. */
static void note_ts(struct tl_rec_enc *e, uint64_t ts)
{
	if (!e->timed || ts < e->first_ns)
		e->first_ns = ts;
	if (!e->timed || ts > e->last_ns)
		e->last_ns = ts;
	e->timed = true;
}

static void put_ts(struct tl_rec_enc *e, uint64_t ts)
{
	tl_put_varint(&e->buf, tl_zigzag((int64_t)(ts - e->prev_ts)));
	e->prev_ts = ts;
}

static void put_comm(struct tl_rec_buf *b, const char comm[TL_REC_COMM_LEN])
{
	size_t n = strnlen(comm, TL_REC_COMM_LEN);

	tl_put_varint(b, n);
	tl_put_bytes(b, comm, n);
}

int tl_rec_enc_event(struct tl_rec_enc *e, const struct tl_record *r)
{
	unsigned slot = ((r->kind & 1u) << 2 | (r->dir & 3u)) & (TL_REC_SLOTS - 1);
	struct tl_record *p = &e->prev[slot];
	uint8_t small[TL_EV_SMALL_LEN] = { r->kind, r->family, r->dir, r->result,
					   r->owner_known, r->reset, r->adopted, r->syn_in_tx };
	uint8_t psmall[TL_EV_SMALL_LEN] = { p->kind, p->family, p->dir, p->result,
					    p->owner_known, p->reset, p->adopted, p->syn_in_tx };
	struct tl_rec_buf *b = &e->buf;
	uint64_t mask = 0;
	size_t body;

	if (tl_rec_buf_reserve(b, EVENT_MAX + FRAME_MAX))
		return -ENOMEM;
	mask |= (uint64_t)(r->ts_ns != e->prev_ts) << TL_EV_TS;
	mask |= (uint64_t)(r->span_ns != p->span_ns) << TL_EV_SPAN;
	mask |= (uint64_t)(r->tx_bytes != p->tx_bytes) << TL_EV_TX;
	mask |= (uint64_t)(r->rx_bytes != p->rx_bytes) << TL_EV_RX;
	mask |= (uint64_t)(r->pid != p->pid) << TL_EV_PID;
	mask |= (uint64_t)(r->retrans != p->retrans) << TL_EV_RETRANS;
	mask |= (uint64_t)(r->srtt_us != p->srtt_us) << TL_EV_SRTT;
	mask |= (uint64_t)(r->err != p->err) << TL_EV_ERR;
	mask |= (uint64_t)(r->lport != p->lport) << TL_EV_LPORT;
	mask |= (uint64_t)(r->rport != p->rport) << TL_EV_RPORT;
	mask |= (uint64_t)(memcmp(small, psmall, sizeof(small)) != 0) << TL_EV_SMALL;
	mask |= (uint64_t)(memcmp(r->laddr, p->laddr, 16) != 0) << TL_EV_LADDR;
	mask |= (uint64_t)(memcmp(r->raddr, p->raddr, 16) != 0) << TL_EV_RADDR;
	mask |= (uint64_t)(strncmp(r->comm, p->comm, TL_REC_COMM_LEN) != 0) << TL_EV_COMM;
	mask |= (uint64_t)(r->cgroup_id != p->cgroup_id) << TL_EV_CGROUP;
	mask |= (uint64_t)(r->cookie != p->cookie) << TL_EV_COOKIE;

	body = frame_open(e, TL_REC_T_EVENT);
	tl_put_u8(b, (uint8_t)slot);
	tl_put_varint(b, mask);
	if (mask & 1u << TL_EV_TS)
		put_ts(e, r->ts_ns);
	if (mask & 1u << TL_EV_SPAN)
		tl_put_varint(b, r->span_ns);
	if (mask & 1u << TL_EV_TX)
		tl_put_varint(b, r->tx_bytes);
	if (mask & 1u << TL_EV_RX)
		tl_put_varint(b, r->rx_bytes);
	if (mask & 1u << TL_EV_PID)
		tl_put_varint(b, r->pid);
	if (mask & 1u << TL_EV_RETRANS)
		tl_put_varint(b, r->retrans);
	if (mask & 1u << TL_EV_SRTT)
		tl_put_varint(b, r->srtt_us);
	if (mask & 1u << TL_EV_ERR)
		tl_put_varint(b, tl_zigzag(r->err));
	if (mask & 1u << TL_EV_LPORT)
		tl_put_varint(b, tl_zigzag((int64_t)r->lport - p->lport));
	if (mask & 1u << TL_EV_RPORT)
		tl_put_varint(b, tl_zigzag((int64_t)r->rport - p->rport));
	if (mask & 1u << TL_EV_SMALL)
		tl_put_bytes(b, small, sizeof(small));
	if (mask & 1u << TL_EV_LADDR)
		tl_put_bytes(b, r->laddr, 16);
	if (mask & 1u << TL_EV_RADDR)
		tl_put_bytes(b, r->raddr, 16);
	if (mask & 1u << TL_EV_COMM)
		put_comm(b, r->comm);
	if (mask & 1u << TL_EV_CGROUP)
		tl_put_varint(b, r->cgroup_id);
	if (mask & 1u << TL_EV_COOKIE)
		tl_put_varint(b, tl_zigzag((int64_t)(r->cookie - p->cookie)));
	frame_close(e, body);
	note_ts(e, r->ts_ns);
	*p = *r;
	/* what a decoder rebuilds: the comm up to its NUL, zeros after it */
	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, r->comm, strnlen(r->comm, TL_REC_COMM_LEN));
	return 0;
}

int tl_rec_enc_drops(struct tl_rec_enc *e, uint64_t ts_ns, const struct tl_drops *d)
{
	const uint64_t v[TL_REC_DROPS_N] = {
		d->ringbuf, d->map, d->missed, d->ringbuf_sessions, d->ringbuf_connects,
		d->map_sessions, d->map_connects, d->map_sessions_max, d->map_connects_max,
	};
	size_t body;

	if (tl_rec_buf_reserve(&e->buf, FRAME_MAX + TL_VARINT_MAX * (TL_REC_DROPS_N + 2)))
		return -ENOMEM;
	body = frame_open(e, TL_REC_T_DROPS);
	put_ts(e, ts_ns);
	tl_put_varint(&e->buf, TL_REC_DROPS_N);
	for (int i = 0; i < TL_REC_DROPS_N; i++)
		tl_put_varint(&e->buf, v[i]);
	frame_close(e, body);
	note_ts(e, ts_ns);
	return 0;
}

int tl_rec_enc_cgroup(struct tl_rec_enc *e, uint64_t id, const char *path)
{
	size_t n = strnlen(path, TL_REC_PATH_MAX), body;

	if (n == 0 || n >= TL_REC_PATH_MAX)
		return -EINVAL;
	if (tl_rec_buf_reserve(&e->buf, FRAME_MAX + 2 * TL_VARINT_MAX + n))
		return -ENOMEM;
	/* A mapping has no time of its own: it moves neither the chunk's
	 * span nor the delta base. */
	body = frame_open(e, TL_REC_T_CGROUP);
	tl_put_varint(&e->buf, id);
	tl_put_varint(&e->buf, n);
	tl_put_bytes(&e->buf, path, n);
	frame_close(e, body);
	return 0;
}

static void put_sock(struct tl_rec_buf *b, const struct tl_sock *s, const struct tl_sock *p,
		     const char *path, const char *ppath)
{
	uint8_t small[TL_SK_SMALL_LEN] = { s->family, s->state, s->dir, s->owner_known,
					   s->age_known, s->syn_in_acked };
	uint8_t psmall[TL_SK_SMALL_LEN] = { p->family, p->state, p->dir, p->owner_known,
					    p->age_known, p->syn_in_acked };
	bool same_path = path == ppath || (path && ppath && strcmp(path, ppath) == 0);
	uint64_t mask = 0;

	mask |= (uint64_t)(s->cookie != p->cookie) << TL_SK_COOKIE;
	mask |= (uint64_t)(s->tx_bytes != p->tx_bytes) << TL_SK_TX;
	mask |= (uint64_t)(s->rx_bytes != p->rx_bytes) << TL_SK_RX;
	mask |= (uint64_t)(s->cgroup_id != p->cgroup_id) << TL_SK_CGROUP;
	mask |= (uint64_t)(s->inode != p->inode) << TL_SK_INODE;
	mask |= (uint64_t)(s->age_ns != p->age_ns) << TL_SK_AGE;
	mask |= (uint64_t)(s->pid != p->pid) << TL_SK_PID;
	mask |= (uint64_t)(s->srtt_us != p->srtt_us) << TL_SK_SRTT;
	mask |= (uint64_t)(s->retrans != p->retrans) << TL_SK_RETRANS;
	mask |= (uint64_t)(s->accept_queue != p->accept_queue) << TL_SK_ACCQ;
	mask |= (uint64_t)(s->accept_queue_max != p->accept_queue_max) << TL_SK_ACCQ_MAX;
	mask |= (uint64_t)(s->lport != p->lport) << TL_SK_LPORT;
	mask |= (uint64_t)(s->rport != p->rport) << TL_SK_RPORT;
	mask |= (uint64_t)(memcmp(small, psmall, sizeof(small)) != 0) << TL_SK_SMALL;
	mask |= (uint64_t)(memcmp(s->laddr, p->laddr, 16) != 0) << TL_SK_LADDR;
	mask |= (uint64_t)(memcmp(s->raddr, p->raddr, 16) != 0) << TL_SK_RADDR;
	mask |= (uint64_t)(strncmp(s->comm, p->comm, TL_REC_COMM_LEN) != 0) << TL_SK_COMM;
	mask |= (uint64_t)!same_path << TL_SK_PATH;

	tl_put_varint(b, mask);
	if (mask & 1u << TL_SK_COOKIE)
		tl_put_varint(b, tl_zigzag((int64_t)(s->cookie - p->cookie)));
	if (mask & 1u << TL_SK_TX)
		tl_put_varint(b, s->tx_bytes);
	if (mask & 1u << TL_SK_RX)
		tl_put_varint(b, s->rx_bytes);
	if (mask & 1u << TL_SK_CGROUP)
		tl_put_varint(b, s->cgroup_id);
	if (mask & 1u << TL_SK_INODE)
		tl_put_varint(b, tl_zigzag((int64_t)(s->inode - p->inode)));
	if (mask & 1u << TL_SK_AGE)
		tl_put_varint(b, s->age_ns);
	if (mask & 1u << TL_SK_PID)
		tl_put_varint(b, s->pid);
	if (mask & 1u << TL_SK_SRTT)
		tl_put_varint(b, s->srtt_us);
	if (mask & 1u << TL_SK_RETRANS)
		tl_put_varint(b, s->retrans);
	if (mask & 1u << TL_SK_ACCQ)
		tl_put_varint(b, s->accept_queue);
	if (mask & 1u << TL_SK_ACCQ_MAX)
		tl_put_varint(b, s->accept_queue_max);
	if (mask & 1u << TL_SK_LPORT)
		tl_put_varint(b, tl_zigzag((int64_t)s->lport - p->lport));
	if (mask & 1u << TL_SK_RPORT)
		tl_put_varint(b, tl_zigzag((int64_t)s->rport - p->rport));
	if (mask & 1u << TL_SK_SMALL)
		tl_put_bytes(b, small, sizeof(small));
	if (mask & 1u << TL_SK_LADDR)
		tl_put_bytes(b, s->laddr, 16);
	if (mask & 1u << TL_SK_RADDR)
		tl_put_bytes(b, s->raddr, 16);
	if (mask & 1u << TL_SK_COMM)
		put_comm(b, s->comm);
	if (mask & 1u << TL_SK_PATH) {
		size_t n = path ? strlen(path) : 0;	/* 0: no path */

		tl_put_varint(b, n);
		tl_put_bytes(b, path, n);
	}
}

/* A path the format can hold, or NULL. */
static const char *sane_path(const char *path)
{
	size_t n;

	if (!path)
		return NULL;
	n = strnlen(path, TL_REC_PATH_MAX);
	return n > 0 && n < TL_REC_PATH_MAX ? path : NULL;
}

int tl_rec_enc_snap_part(struct tl_rec_enc *e, uint64_t ts_ns, uint32_t total, uint32_t first,
			 const struct tl_sock *socks, const char *const *paths, uint32_t n)
{
	struct tl_sock prev = { 0 };
	const char *ppath = NULL;
	size_t start = e->buf.len, body;
	uint64_t saved_ts = e->prev_ts;

	if (tl_rec_buf_reserve(&e->buf, FRAME_MAX + 4 * TL_VARINT_MAX))
		return -ENOMEM;
	body = frame_open(e, TL_REC_T_SNAP);
	put_ts(e, ts_ns);
	tl_put_varint(&e->buf, total);
	tl_put_varint(&e->buf, first);
	tl_put_varint(&e->buf, n);
	for (uint32_t i = 0; i < n; i++) {
		const char *path = paths ? sane_path(paths[i]) : NULL;
		const struct tl_sock *s = &socks[i];

		if (tl_rec_buf_reserve(&e->buf, SOCK_MAX + (path ? strlen(path) : 0) +
							 FRAME_MAX)) {
			e->buf.len = start;
			e->prev_ts = saved_ts;
			return -ENOMEM;
		}
		put_sock(&e->buf, s, &prev, path, ppath);
		prev = *s;
		memset(prev.comm, 0, sizeof(prev.comm));
		memcpy(prev.comm, s->comm, strnlen(s->comm, TL_REC_COMM_LEN));
		ppath = path;
	}
	frame_close(e, body);
	note_ts(e, ts_ns);
	return 0;
}
