// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "agg_key.h"

void tl_agg_key_of(enum tl_group group, const struct tl_conn *c, struct tl_agg_key *k)
{
	memset(k, 0, sizeof(*k));
	switch (group) {
	case TL_GROUP_DEST:
		k->port = c->rport;
		/* fall through */
	case TL_GROUP_ADDR:
		k->family = c->family;
		memcpy(k->addr, c->raddr, c->family == 4 ? 4 : 16);
		break;
	case TL_GROUP_PORT:
		k->port = c->rport;
		break;
	case TL_GROUP_UNIT:
		/* an unknown owner's cgroup is unknown too: one row for both */
		if (c->owner_known && c->cgroup_id) {
			k->owner_known = 1;
			k->cgroup_id = c->cgroup_id;
		}
		break;
	default:
		/* every unknown owner shares one row */
		if (c->owner_known) {
			k->owner_known = 1;
			k->pid = c->pid;
			memcpy(k->comm, c->comm, strnlen(c->comm, TL_REC_COMM_LEN - 1));
		}
		break;
	}
}

uint32_t tl_agg_hash(const struct tl_agg_key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ULL;
	int i;

	_Static_assert(sizeof(*k) == sizeof(w), "key is five words");
	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ (h >> 29));
}

int tl_agg_key_cmp(const struct tl_agg_key *a, const struct tl_agg_key *b)
{
	int c;

	/* unknown owners sort after every known one */
	if (a->owner_known != b->owner_known)
		return a->owner_known ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	/* only the unit grouping sets it, and nothing else of the address */
	if (a->cgroup_id != b->cgroup_id && !a->family && !b->family)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return strncmp(a->comm, b->comm, TL_REC_COMM_LEN);
}
