// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "sock_index.h"

static size_t addr_len(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static bool addr_is_any(uint8_t family, const uint8_t addr[16])
{
	size_t i, n = addr_len(family);

	for (i = 0; i < n; i++) {
		if (addr[i])
			return false;
	}
	return true;
}

bool tl_adopt_listener_matches(const struct tl_sock *listener, uint8_t family,
			       const uint8_t addr[16], uint16_t port)
{
	if (listener->lport != port)
		return false;
	if (listener->family == family)
		return addr_is_any(family, listener->laddr) ||
		       !memcmp(listener->laddr, addr, addr_len(family));
	/* a dual-stack [::] listener accepts IPv4 too (shown as IPv4 here) */
	return listener->family == 6 && family == 4 && addr_is_any(6, listener->laddr);
}

/* Listeners sorted by local port, so each socket looks at its port's only. */
struct listeners {
	const struct tl_sock **l;
	size_t n;
};

static int cmp_lport(const void *a, const void *b)
{
	const struct tl_sock *x = *(const struct tl_sock *const *)a;
	const struct tl_sock *y = *(const struct tl_sock *const *)b;

	return (int)x->lport - (int)y->lport;
}

static bool from_listener(const struct listeners *ls, const struct tl_sock *s)
{
	size_t lo = 0, hi = ls->n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ls->l[mid]->lport < s->lport)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < ls->n && ls->l[i]->lport == s->lport; i++) {
		if (tl_adopt_listener_matches(ls->l[i], s->family, s->laddr, s->lport))
			return true;
	}
	return false;
}

int tl_adopt_snapshot(struct tl_snapshot *snap, const struct tl_procfd *pf, const char **cgroups)
{
	struct listeners ls = { 0 };
	const struct tl_owner *o;
	struct tl_sock *s;
	int filled = 0;
	size_t i, n = 0;

	for (i = 0; i < snap->n; i++)
		n += snap->socks[i].state == TL_TCP_LISTEN;
	if (n) {
		ls.l = malloc(n * sizeof(*ls.l));
		if (!ls.l)
			return -ENOMEM;
		for (i = 0; i < snap->n; i++) {
			if (snap->socks[i].state == TL_TCP_LISTEN)
				ls.l[ls.n++] = &snap->socks[i];
		}
		qsort(ls.l, ls.n, sizeof(*ls.l), cmp_lport);
	}
	for (i = 0; i < snap->n; i++) {
		s = &snap->socks[i];
		if (cgroups)
			cgroups[i] = NULL;
		if (!s->owner_known && s->inode && (o = tl_procfd_find(pf, s->inode))) {
			s->pid = o->pid;
			memcpy(s->comm, o->comm, sizeof(s->comm));
			s->comm[sizeof(s->comm) - 1] = '\0';
			s->owner_known = 1;
			if (cgroups)
				cgroups[i] = o->cgroup;
			filled++;
		}
		/* a listener has no direction of its own */
		if (s->state == TL_TCP_LISTEN)
			continue;
		if (s->dir == TL_SOCK_DIR_UNKNOWN)
			s->dir = from_listener(&ls, s) ? TL_SOCK_DIR_PASSIVE : TL_SOCK_DIR_ACTIVE;
		if (s->syn_in_acked) {
			/* only our own SYN was counted, and only if we sent one */
			if (s->dir == TL_SOCK_DIR_ACTIVE && s->tx_bytes)
				s->tx_bytes--;
			s->syn_in_acked = 0;
		}
	}
	free(ls.l);
	return filled;
}

/* a direction known in the previous snapshot, to carry over */
static bool has_dir(const struct tl_sock *s)
{
	return s->dir != TL_SOCK_DIR_UNKNOWN;
}

int tl_adopt_keep_dirs(struct tl_snapshot *cur, const struct tl_snapshot *prev)
{
	struct tl_sock_index ix;
	const struct tl_sock *p;
	struct tl_sock *s;
	int kept = 0;
	size_t i;

	if (!prev || !prev->n || !cur->n)
		return 0;
	if (tl_sock_index_build(&ix, prev, has_dir))
		return -ENOMEM;
	for (i = 0; i < cur->n; i++) {
		s = &cur->socks[i];
		if (s->dir != TL_SOCK_DIR_UNKNOWN || s->state == TL_TCP_LISTEN)
			continue;
		p = tl_sock_index_find(&ix, s->cookie);
		if (p) {
			s->dir = p->dir;
			kept++;
		}
	}
	tl_sock_index_free(&ix);
	return kept;
}

/* The adoption table: open addressing over entry indices. */
struct tl_adopt_table {
	struct tl_adopt_entry *e;
	size_t n;
	uint32_t *slots;	/* entry index + 1; 0: empty */
	size_t nslots;		/* a power of two, at least twice n */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ULL;	/* FNV-1a's prime, a word at a time */
	return h ^ (h >> 29);
}

static uint64_t hash_key(uint8_t family, const uint8_t laddr[16], uint16_t lport,
			 const uint8_t raddr[16], uint16_t rport)
{
	uint64_t h = 0xcbf29ce484222325ULL, w[4];

	memcpy(w, laddr, 16);
	memcpy(w + 2, raddr, 16);
	h = mix(h, ((uint64_t)family << 32) | ((uint64_t)lport << 16) | rport);
	h = mix(h, w[0]);
	h = mix(h, w[1]);
	h = mix(h, w[2]);
	h = mix(h, w[3]);
	/*
	 * A multiply carries low bits only upwards, and the slot is taken from
	 * the low bits: loopback addresses differ only in one high byte of
	 * their word. A finaliser spreads every input bit over all of them
	 * (without it, 100,000 127.0.0.x connections probed long runs).
	 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static bool key_eq(const struct tl_adopt_entry *e, uint8_t family, const uint8_t laddr[16],
		   uint16_t lport, const uint8_t raddr[16], uint16_t rport)
{
	size_t n = addr_len(family);

	return e->family == family && e->lport == lport && e->rport == rport &&
	       !memcmp(e->laddr, laddr, n) && !memcmp(e->raddr, raddr, n);
}

static uint32_t *table_slot(const struct tl_adopt_table *t, uint8_t family,
			    const uint8_t laddr[16], uint16_t lport, const uint8_t raddr[16],
			    uint16_t rport)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)hash_key(family, laddr, lport, raddr, rport) & mask;

	while (t->slots[i] &&
	       !key_eq(&t->e[t->slots[i] - 1], family, laddr, lport, raddr, rport))
		i = (i + 1) & mask;
	return &t->slots[i];
}

/* Addresses as the key: bytes past an IPv4 address are zeroed, so that
 * whatever the kernel left there cannot split one connection in two. */
static void key_addr(uint8_t dst[16], uint8_t family, const uint8_t src[16])
{
	memset(dst, 0, 16);
	memcpy(dst, src, addr_len(family));
}

struct tl_adopt_table *tl_adopt_table_new(const struct tl_snapshot *snap,
					  const char *const *cgroups)
{
	struct tl_adopt_table *t = calloc(1, sizeof(*t));
	const struct tl_sock *s;
	struct tl_adopt_entry *e;
	uint32_t *slot;
	int err = -ENOMEM;
	size_t i;

	if (!t)
		return NULL;
	if (snap->n > UINT32_MAX / 4) {
		err = -E2BIG;
		goto cleanup;
	}
	t->nslots = 16;
	while (t->nslots < snap->n * 2)
		t->nslots *= 2;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->e = calloc(snap->n ? snap->n : 1, sizeof(*t->e));
	if (!t->slots || !t->e)
		goto cleanup;
	for (i = 0; i < snap->n; i++) {
		s = &snap->socks[i];
		if (s->state == TL_TCP_LISTEN || s->dir == TL_SOCK_DIR_UNKNOWN)
			continue;
		e = &t->e[t->n];
		e->family = s->family;
		key_addr(e->laddr, s->family, s->laddr);
		key_addr(e->raddr, s->family, s->raddr);
		e->lport = s->lport;
		e->rport = s->rport;
		slot = table_slot(t, e->family, e->laddr, e->lport, e->raddr, e->rport);
		if (*slot)
			continue;	/* seen already: the first stays */
		e->dir = s->dir;
		e->owner_known = s->owner_known;
		if (s->owner_known) {
			e->pid = s->pid;
			memcpy(e->comm, s->comm, sizeof(e->comm));
			e->comm[sizeof(e->comm) - 1] = '\0';
		}
		if (cgroups && cgroups[i]) {
			e->cgroup = strdup(cgroups[i]);
			if (!e->cgroup)
				goto cleanup;
		}
		*slot = (uint32_t)++t->n;
	}
	return t;
cleanup:
	tl_adopt_table_free(t);
	errno = -err;
	return NULL;
}

struct tl_adopt_table *tl_adopt_table_from(const struct tl_snapshot *snap)
{
	struct tl_snapshot copy = { .ts_ns = snap->ts_ns, .n = snap->n, .cap = snap->n };
	struct tl_adopt_table *t = NULL;
	struct tl_procfd *pf = NULL;
	const char **cgroups;
	int err = 0;

	cgroups = calloc(snap->n ? snap->n : 1, sizeof(*cgroups));
	copy.socks = malloc((snap->n ? snap->n : 1) * sizeof(*copy.socks));
	if (!cgroups || !copy.socks) {
		err = ENOMEM;
		goto cleanup;
	}
	pf = tl_procfd_scan();
	if (!pf && errno == ENOMEM) {
		err = ENOMEM;
		goto cleanup;
	}
	if (snap->n)
		memcpy(copy.socks, snap->socks, snap->n * sizeof(*copy.socks));
	if (tl_adopt_snapshot(&copy, pf, cgroups) < 0) {
		err = ENOMEM;
		goto cleanup;
	}
	t = tl_adopt_table_new(&copy, cgroups);
	if (!t)
		err = errno;
cleanup:
	tl_procfd_free(pf);
	free(cgroups);
	free(copy.socks);
	errno = err;
	return t;
}

void tl_adopt_table_free(struct tl_adopt_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->e[i].cgroup);
	free(t->e);
	free(t->slots);
	free(t);
}

size_t tl_adopt_table_count(const struct tl_adopt_table *t)
{
	return t->n;
}

const struct tl_adopt_entry *tl_adopt_table_find(const struct tl_adopt_table *t, uint8_t family,
						 const uint8_t laddr[16], uint16_t lport,
						 const uint8_t raddr[16], uint16_t rport)
{
	uint8_t la[16], ra[16];
	uint32_t *slot;

	if (!t || (family != 4 && family != 6))
		return NULL;
	key_addr(la, family, laddr);
	key_addr(ra, family, raddr);
	slot = table_slot(t, family, la, lport, ra, rport);
	return *slot ? &t->e[*slot - 1] : NULL;
}

const struct tl_adopt_entry *tl_adopt_record(const struct tl_adopt_table *t, struct tl_record *r)
{
	const struct tl_adopt_entry *e;

	if (!r->adopted || r->kind != TL_REC_SESSION)
		return NULL;
	e = tl_adopt_table_find(t, r->family, r->laddr, r->lport, r->raddr, r->rport);
	if (!e)
		return NULL;
	if (!r->owner_known && e->owner_known) {
		r->pid = e->pid;
		memcpy(r->comm, e->comm, sizeof(r->comm));
		r->owner_known = 1;
	}
	if (r->dir != TL_REC_ACTIVE && r->dir != TL_REC_PASSIVE)
		r->dir = e->dir;
	if (r->syn_in_tx) {
		/* the kernel's count has our SYN, if we sent one */
		if (r->dir == TL_REC_ACTIVE && r->tx_bytes)
			r->tx_bytes--;
		r->syn_in_tx = 0;
	}
	return e;
}
