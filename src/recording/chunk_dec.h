/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The records of one decompressed chunk payload, one at a time. Decoding
 * only: no I/O, no allocation. Every length is checked against what is
 * left before it is used; a malformed record gives -EBADMSG, never a read
 * outside the payload.
 */
#ifndef TCPLENS_REC_CHUNK_DEC_H
#define TCPLENS_REC_CHUNK_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recording/bytes.h"
#include "recording/layout.h"

struct tl_rec_dec {
	struct tl_rec_cur cur;
	uint32_t count;			/* records framed so far */
	uint64_t prev_ts;
	struct tl_record prev[TL_REC_SLOTS];
};

/* A string inside the payload: not NUL-terminated. len 0: none. */
struct tl_rec_span {
	const uint8_t *p;
	size_t len;
};

void tl_rec_dec_init(struct tl_rec_dec *d, const uint8_t *payload, size_t len);
/* The next record's type and body: 0, -ENODATA at the end, -EBADMSG. */
int tl_rec_dec_next(struct tl_rec_dec *d, uint8_t *type, struct tl_rec_cur *body);

/* The bodies by type: 0 or -EBADMSG. Unknown trailing bytes in a body are
 * fields of a later version and are ignored. */
int tl_rec_dec_event(struct tl_rec_dec *d, struct tl_rec_cur *body, struct tl_record *out);
int tl_rec_dec_drops(struct tl_rec_dec *d, struct tl_rec_cur *body, uint64_t *ts_ns,
		     struct tl_drops *out);
/* The path has no NUL inside, 1 to TL_REC_PATH_MAX - 1 bytes. */
int tl_rec_dec_cgroup(struct tl_rec_cur *body, uint64_t *id, struct tl_rec_span *path);
/* A snapshot part's head; its count sockets follow in body. first + count
 * never exceeds total, total never TL_REC_SNAP_MAX. */
int tl_rec_dec_snap_head(struct tl_rec_dec *d, struct tl_rec_cur *body, uint64_t *ts_ns,
			 uint32_t *total, uint32_t *first, uint32_t *count);
/* One socket of a part. *s and *path hold the previous socket's values on
 * entry (zeros and none for the first of a part) and this one's on return. */
int tl_rec_dec_sock(struct tl_rec_cur *body, struct tl_sock *s, struct tl_rec_span *path);

#endif
