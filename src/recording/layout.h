/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The on-disk layout of a recording: the file header, the chunk header and
 * the record types, with the limits a reader enforces before it allocates
 * anything. doc/recording-format.md is the prose version of this file; the
 * two change together, and only by adding (the compatibility promise).
 */
#ifndef TCPLENS_REC_LAYOUT_H
#define TCPLENS_REC_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "recording/recording.h"

/* Carriage return, newline and ^Z catch a file mangled as text, as in PNG. */
#define TL_REC_FILE_MAGIC	"TLREC\r\n\x1a"
#define TL_REC_MAGIC_LEN	8
#define TL_REC_CHUNK_MAGIC	"TLCK"

/* The file header: 24 fixed bytes, three u16-counted strings, later
 * additions, then a CRC32 of everything before it. */
#define TL_REC_FILE_FIXED	24
#define TL_REC_FILE_HDR_MIN	(TL_REC_FILE_FIXED + 3 * 2 + 4)
#define TL_REC_FILE_HDR_MAX	16384

/* The chunk header: 48 bytes, its own CRC32 last. */
#define TL_REC_CHUNK_HDR	48
#define TL_REC_CODEC_ZSTD	1

/* Reader limits: larger claims are damage or hostile, rejected unread. */
#define TL_REC_CHUNK_MAX	(16u << 20)	/* uncompressed payload of a chunk */
#define TL_REC_CHUNK_CMAX	(TL_REC_CHUNK_MAX + (TL_REC_CHUNK_MAX >> 7) + 4096)

/* Record types; a reader skips a type it does not know by its length. */
enum tl_rec_type {
	TL_REC_T_EVENT = 1,	/* a struct tl_record: session or connect */
	TL_REC_T_SNAP = 2,	/* a part of an open-socket snapshot */
	TL_REC_T_DROPS = 3,	/* cumulative drop counters */
	TL_REC_T_CGROUP = 4,	/* a cgroup id and its path */
};

#define TL_REC_SLOTS		8	/* "previous event" contexts of a chunk */

/* Event fields: bit i of the mask says field i follows; an absent field
 * keeps the value of the previous event of the same slot. */
enum {
	TL_EV_TS, TL_EV_SPAN, TL_EV_TX, TL_EV_RX, TL_EV_PID, TL_EV_RETRANS,
	TL_EV_SRTT, TL_EV_ERR, TL_EV_LPORT, TL_EV_RPORT, TL_EV_SMALL, TL_EV_LADDR,
	TL_EV_RADDR, TL_EV_COMM, TL_EV_CGROUP, TL_EV_COOKIE,
	TL_EV_NFIELDS
};
#define TL_EV_SMALL_LEN		8	/* kind family dir result owner_known reset adopted syn_in_tx */

/* Socket fields of a snapshot part, the same way (previous socket of the part). */
enum {
	TL_SK_COOKIE, TL_SK_TX, TL_SK_RX, TL_SK_CGROUP, TL_SK_INODE, TL_SK_AGE,
	TL_SK_PID, TL_SK_SRTT, TL_SK_RETRANS, TL_SK_ACCQ, TL_SK_ACCQ_MAX,
	TL_SK_LPORT, TL_SK_RPORT, TL_SK_SMALL, TL_SK_LADDR, TL_SK_RADDR,
	TL_SK_COMM, TL_SK_PATH,
	TL_SK_NFIELDS
};
#define TL_SK_SMALL_LEN		6	/* family state dir owner_known age_known syn_in_acked */

/* The drop counters in the order of a DROPS record. */
#define TL_REC_DROPS_N		9

struct tl_rec_chunk_hdr {
	uint16_t codec;
	uint16_t flags;		/* none defined; readers ignore unknown ones */
	uint32_t clen;		/* compressed payload bytes */
	uint32_t ulen;		/* payload bytes after decompression */
	uint32_t count;		/* records in the payload, of every type */
	uint32_t seq;		/* chunk number in its file, from 0 */
	uint64_t first_ns;	/* earliest timestamp of its records */
	uint64_t last_ns;	/* latest */
	uint32_t crc;		/* CRC32 of the compressed payload */
};

void tl_rec_chunk_hdr_pack(uint8_t out[TL_REC_CHUNK_HDR], const struct tl_rec_chunk_hdr *h);
/* 0, or -EBADMSG naming the reason in *why: bad magic, bad CRC, lengths
 * beyond the limits or inconsistent, an unknown codec. */
int tl_rec_chunk_hdr_unpack(const uint8_t in[TL_REC_CHUNK_HDR], struct tl_rec_chunk_hdr *h,
			    const char **why);

/* The file header for info; 0 or -EINVAL (a string too long). */
int tl_rec_file_hdr_pack(uint8_t *out, size_t cap, size_t *len, const struct tl_rec_file_info *info);
/*
 * Parses a file header from the first n bytes of a file (n may be more or
 * less than the header). 0 with *len its length, -EAGAIN when n is too
 * short to tell (its length is then in *len, if known, else 0), or
 * -EBADMSG / -EPROTONOSUPPORT with the reason in *why.
 */
int tl_rec_file_hdr_unpack(const uint8_t *in, size_t n, size_t *len, struct tl_rec_file_info *info,
			   const char **why);

/* CRC32 (zlib's, the IEEE polynomial) of n bytes. */
uint32_t tl_rec_crc(const void *p, size_t n);

#endif
