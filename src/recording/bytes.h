/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Little-endian integers and LEB128 varints, written into a growing buffer
 * and read from a bounded cursor. The recording format is defined in these
 * terms (doc/recording-format.md), never by in-memory struct layouts.
 *
 * A cursor that runs past its end or meets a malformed varint sets `bad`
 * and from then on reads zeros: decoders check `bad` once per record
 * instead of after every field.
 */
#ifndef TCPLENS_REC_BYTES_H
#define TCPLENS_REC_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tl_rec_buf {
	uint8_t *p;
	size_t len, cap;
};

/* Room for n more bytes: 0 or -ENOMEM. */
int tl_rec_buf_reserve(struct tl_rec_buf *b, size_t n);
void tl_rec_buf_free(struct tl_rec_buf *b);

/* The putters assume the room was reserved (encoders reserve per record). */
static inline void tl_put_u8(struct tl_rec_buf *b, uint8_t v)
{
	b->p[b->len++] = v;
}

static inline void tl_put_bytes(struct tl_rec_buf *b, const void *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

#define TL_VARINT_MAX 10	/* bytes of a 64-bit LEB128 varint */

static inline void tl_put_varint(struct tl_rec_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		b->p[b->len++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	b->p[b->len++] = (uint8_t)v;
}

/* Signed values (deltas) as zigzag varints: small magnitudes, few bytes. */
static inline uint64_t tl_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t tl_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void tl_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void tl_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void tl_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t tl_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t tl_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t tl_get_le64(const uint8_t *p)
{
	return (uint64_t)tl_get_le32(p) | (uint64_t)tl_get_le32(p + 4) << 32;
}

struct tl_rec_cur {
	const uint8_t *p, *end;
	bool bad;
};

static inline size_t tl_cur_left(const struct tl_rec_cur *c)
{
	return (size_t)(c->end - c->p);
}

static inline uint8_t tl_get_u8(struct tl_rec_cur *c)
{
	if (c->p >= c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

/* n bytes, or NULL (and bad) when fewer are left. */
static inline const uint8_t *tl_get_bytes(struct tl_rec_cur *c, size_t n)
{
	const uint8_t *s = c->p;

	if (n > tl_cur_left(c)) {
		c->bad = true;
		c->p = c->end;
		return NULL;
	}
	c->p += n;
	return s;
}

/* At most 10 bytes, and the 10th may only carry the 64th bit. */
static inline uint64_t tl_get_varint(struct tl_rec_cur *c)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t byte;

		if (c->p >= c->end)
			break;
		byte = *c->p++;
		if (shift == 63 && byte > 1)
			break;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->bad = true;
	c->p = c->end;
	return 0;
}

/* A varint that must fit max (inclusive); bad otherwise. */
static inline uint64_t tl_get_varint_max(struct tl_rec_cur *c, uint64_t max)
{
	uint64_t v = tl_get_varint(c);

	if (v > max) {
		c->bad = true;
		return 0;
	}
	return v;
}

#endif
