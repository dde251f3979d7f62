/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The payload of one chunk, being built: records framed as type, length,
 * body, with timestamps as deltas and fields left out when they repeat the
 * previous record's (layout.h). Encoding only: no I/O, no compression.
 */
#ifndef TCPLENS_REC_CHUNK_ENC_H
#define TCPLENS_REC_CHUNK_ENC_H

#include <stdbool.h>
#include <stdint.h>

#include "recording/bytes.h"
#include "recording/layout.h"

struct tl_rec_enc {
	struct tl_rec_buf buf;		/* the uncompressed payload */
	uint32_t count;			/* records in buf */
	uint64_t first_ns, last_ns;	/* earliest and latest timestamp in buf, */
	bool timed;			/* if it has a record with one */
	uint64_t prev_ts;
	struct tl_record prev[TL_REC_SLOTS];
	/* cgroup ids already mapped in this chunk: an open-addressing set whose
	 * slots are live only with the current generation (cheap to clear) */
	uint64_t *ids;
	uint32_t *gens;
	size_t mask, used;
	uint32_t gen;
};

int tl_rec_enc_init(struct tl_rec_enc *e);
void tl_rec_enc_free(struct tl_rec_enc *e);
/* Empties the payload for the next chunk; keeps the memory. */
void tl_rec_enc_reset(struct tl_rec_enc *e);

/* Each appends one record: 0 or -ENOMEM (nothing appended then). */
int tl_rec_enc_event(struct tl_rec_enc *e, const struct tl_record *r);
int tl_rec_enc_drops(struct tl_rec_enc *e, uint64_t ts_ns, const struct tl_drops *d);
/* path: NUL-terminated, 1 to TL_REC_PATH_MAX - 1 bytes (-EINVAL otherwise) */
int tl_rec_enc_cgroup(struct tl_rec_enc *e, uint64_t id, const char *path);
/* Sockets first .. first + n - 1 of a snapshot of total at ts_ns; paths may
 * be NULL (no socket has a path), else one per socket (each may be NULL). */
int tl_rec_enc_snap_part(struct tl_rec_enc *e, uint64_t ts_ns, uint32_t total, uint32_t first,
			 const struct tl_sock *socks, const char *const *paths, uint32_t n);

/* Marks id as mapped in this chunk; true if it already was. 0 is never mapped
 * (reports true). On allocation failure reports false (a mapping too many). */
bool tl_rec_enc_cgroup_seen(struct tl_rec_enc *e, uint64_t id);

#endif
