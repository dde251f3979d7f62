// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* File and chunk headers to bytes and back; see layout.h. */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "recording/bytes.h"
#include "recording/layout.h"

uint32_t tl_rec_crc(const void *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	const Bytef *b = p;

	/* zlib takes a uInt length: feed huge buffers in pieces */
	while (n > 0) {
		uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;

		crc = crc32(crc, b, step);
		b += step;
		n -= step;
	}
	return (uint32_t)crc;
}

void tl_rec_chunk_hdr_pack(uint8_t out[TL_REC_CHUNK_HDR], const struct tl_rec_chunk_hdr *h)
{
	memcpy(out, TL_REC_CHUNK_MAGIC, 4);
	tl_put_le16(out + 4, h->codec);
	tl_put_le16(out + 6, h->flags);
	tl_put_le32(out + 8, h->clen);
	tl_put_le32(out + 12, h->ulen);
	tl_put_le32(out + 16, h->count);
	tl_put_le32(out + 20, h->seq);
	tl_put_le64(out + 24, h->first_ns);
	tl_put_le64(out + 32, h->last_ns);
	tl_put_le32(out + 40, h->crc);
	tl_put_le32(out + 44, tl_rec_crc(out, 44));
}

int tl_rec_chunk_hdr_unpack(const uint8_t in[TL_REC_CHUNK_HDR], struct tl_rec_chunk_hdr *h,
			    const char **why)
{
	if (memcmp(in, TL_REC_CHUNK_MAGIC, 4) != 0) {
		*why = "no chunk magic";
		return -EBADMSG;
	}
	if (tl_get_le32(in + 44) != tl_rec_crc(in, 44)) {
		*why = "chunk header CRC mismatch";
		return -EBADMSG;
	}
	h->codec = tl_get_le16(in + 4);
	h->flags = tl_get_le16(in + 6);
	h->clen = tl_get_le32(in + 8);
	h->ulen = tl_get_le32(in + 12);
	h->count = tl_get_le32(in + 16);
	h->seq = tl_get_le32(in + 20);
	h->first_ns = tl_get_le64(in + 24);
	h->last_ns = tl_get_le64(in + 32);
	h->crc = tl_get_le32(in + 40);
	if (h->codec != TL_REC_CODEC_ZSTD) {
		*why = "unknown chunk codec";
		return -EBADMSG;
	}
	if (h->ulen > TL_REC_CHUNK_MAX || h->clen > TL_REC_CHUNK_CMAX || h->clen == 0) {
		*why = "chunk length out of bounds";
		return -EBADMSG;
	}
	/* every record takes at least two bytes (type, length) */
	if (h->count > h->ulen / 2 || h->first_ns > h->last_ns) {
		*why = "chunk header inconsistent";
		return -EBADMSG;
	}
	return 0;
}

static int put_str(uint8_t *out, size_t cap, size_t *pos, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= max || *pos + 2 + n > cap)
		return -EINVAL;
	tl_put_le16(out + *pos, (uint16_t)n);
	memcpy(out + *pos + 2, s, n);
	*pos += 2 + n;
	return 0;
}

int tl_rec_file_hdr_pack(uint8_t *out, size_t cap, size_t *len, const struct tl_rec_file_info *info)
{
	size_t pos = TL_REC_FILE_FIXED;
	int err;

	if (cap < TL_REC_FILE_HDR_MIN)
		return -EINVAL;
	memcpy(out, TL_REC_FILE_MAGIC, TL_REC_MAGIC_LEN);
	tl_put_le16(out + 8, info->version);
	/* the header length (10..11) is known at the end */
	tl_put_le32(out + 12, info->flags);
	tl_put_le64(out + 16, info->start_ns);
	err = put_str(out, cap, &pos, info->tcplens_version, sizeof(info->tcplens_version));
	if (!err)
		err = put_str(out, cap, &pos, info->host, sizeof(info->host));
	if (!err)
		err = put_str(out, cap, &pos, info->options, sizeof(info->options));
	if (err || pos + 4 > cap || pos + 4 > TL_REC_FILE_HDR_MAX)
		return -EINVAL;
	tl_put_le16(out + 10, (uint16_t)(pos + 4));
	tl_put_le32(out + pos, tl_rec_crc(out, pos));
	*len = pos + 4;
	return 0;
}

static int get_str(const uint8_t *in, size_t end, size_t *pos, char *s, size_t max)
{
	size_t n;

	if (*pos + 2 > end)
		return -EBADMSG;
	n = tl_get_le16(in + *pos);
	if (n >= max || *pos + 2 + n > end)
		return -EBADMSG;
	memcpy(s, in + *pos + 2, n);
	if (memchr(s, '\0', n))
		return -EBADMSG;
	s[n] = '\0';
	*pos += 2 + n;
	return 0;
}

int tl_rec_file_hdr_unpack(const uint8_t *in, size_t n, size_t *len, struct tl_rec_file_info *info,
			   const char **why)
{
	size_t hlen, pos = TL_REC_FILE_FIXED;

	*len = 0;
	if (n < TL_REC_MAGIC_LEN)
		return -EAGAIN;
	if (memcmp(in, TL_REC_FILE_MAGIC, TL_REC_MAGIC_LEN) != 0) {
		*why = "not a tcplens recording (no magic)";
		return -EBADMSG;
	}
	if (n < TL_REC_FILE_FIXED)
		return -EAGAIN;
	info->version = tl_get_le16(in + 8);
	/* Version 1 is the only one so far; a later version that stays
	 * readable keeps 1 and adds (new record types, header fields). */
	if (info->version != TL_REC_VERSION) {
		*why = "unsupported recording format version";
		return -EPROTONOSUPPORT;
	}
	hlen = tl_get_le16(in + 10);
	if (hlen < TL_REC_FILE_HDR_MIN || hlen > TL_REC_FILE_HDR_MAX) {
		*why = "file header length out of bounds";
		return -EBADMSG;
	}
	*len = hlen;
	if (n < hlen)
		return -EAGAIN;
	if (tl_get_le32(in + hlen - 4) != tl_rec_crc(in, hlen - 4)) {
		*why = "file header CRC mismatch";
		return -EBADMSG;
	}
	info->flags = tl_get_le32(in + 12);
	info->start_ns = tl_get_le64(in + 16);
	if (get_str(in, hlen - 4, &pos, info->tcplens_version, sizeof(info->tcplens_version)) ||
	    get_str(in, hlen - 4, &pos, info->host, sizeof(info->host)) ||
	    get_str(in, hlen - 4, &pos, info->options, sizeof(info->options))) {
		*why = "file header string out of bounds";
		return -EBADMSG;
	}
	/* bytes between pos and the CRC: fields of a later version, skipped */
	return 0;
}
