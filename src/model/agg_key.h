/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The keys of the connect-latency tables: made from a connect for a
 * grouping, hashed, compared. A leaf, so that the tables (agg.h) and the
 * index of rows by key (keyhash.h) can both use it.
 */
#ifndef TCPLENS_MODEL_AGG_KEY_H
#define TCPLENS_MODEL_AGG_KEY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "conn.h"
#include "group.h"
#include "record.h"

/* Canonical: fields a grouping does not use are zero, so memcmp compares. */
struct tl_agg_key {
	uint8_t family;
	uint8_t owner_known;
	uint16_t port;
	uint32_t pid;
	union {
		uint8_t addr[16];
		uint64_t cgroup_id;	/* TL_GROUP_UNIT; the other 8 bytes stay zero */
	};
	char comm[TL_REC_COMM_LEN];
};

void tl_agg_key_of(enum tl_group group, const struct tl_conn *c, struct tl_agg_key *k);
uint32_t tl_agg_hash(const struct tl_agg_key *k);

/* Keys are canonical, so equal keys are equal bytes: five words compared. */
static inline bool tl_agg_key_eq(const struct tl_agg_key *a, const struct tl_agg_key *b)
{
	uint64_t x[5], y[5];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

/* Sort order of keys: known owners first, family, address, port, pid, comm. */
int tl_agg_key_cmp(const struct tl_agg_key *a, const struct tl_agg_key *b);

#endif
