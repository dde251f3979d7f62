// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzzes the recording reader with one input read three ways: as a whole
 * file; as a file with its CRCs made right (so that mutations get past the
 * checksums into the framing and the decompressor); and as the payload of a
 * valid chunk (so that they reach the record decoders). Every way reads to
 * the end, jumps, and reads again. Beyond not crashing and not hanging, the
 * reader must keep its promises (abort() otherwise, so the fuzzer reports
 * it): items within the limits, snapshots no larger than the bytes allow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "recording/bytes.h"
#include "recording/layout.h"
#include "recording/rec_reader.h"
#include "tests/fuzz/fuzz.h"

static void read_all(struct tl_rec_reader *r, size_t size)
{
	struct tl_rec_item it;
	size_t items = 0;
	int err;

	while ((err = tl_rec_reader_next(r, &it)) == 0) {
		/* every item costs a byte of payload at least, and a payload
		 * expands at most TL_REC_CHUNK_MAX per chunk read */
		if (++items > (tl_rec_reader_chunks(r) + 1) * TL_REC_CHUNK_MAX)
			abort();
		if (it.type == TL_REC_ITEM_SNAPSHOT &&
		    (!it.snap || !it.paths || it.snap->n > TL_REC_SNAP_MAX))
			abort();
		if (it.type == TL_REC_ITEM_SNAPSHOT)
			for (size_t i = 0; i < it.snap->n; i++)
				if (it.paths[i] && strlen(it.paths[i]) >= TL_REC_PATH_MAX)
					abort();
		if (it.type < TL_REC_ITEM_RECORD || it.type > TL_REC_ITEM_DROPS)
			abort();
		if (it.file >= tl_rec_reader_files(r))
			abort();
		if (it.type == TL_REC_ITEM_RECORD)
			(void)tl_rec_reader_cgroup_path(r, it.rec.cgroup_id);
	}
	if (err != -ENODATA && err != -ENOMEM)
		abort();
	(void)size;
}

static void read_file(const uint8_t *data, size_t size)
{
	struct tl_rec_reader *r;
	uint64_t first, last;
	char path[64];
	int fd;

	fd = memfd_create("fuzz.tlrec", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = tl_rec_reader_open(path, NULL);
	if (r) {
		if (tl_rec_reader_files(r) != 1 || !tl_rec_reader_file_info(r, 0))
			abort();
		read_all(r, size);
		if (tl_rec_reader_span(r, &first, &last) == 0) {
			if (first > last)
				abort();
			tl_rec_reader_seek(r, first + (last - first) / 2);
			read_all(r, size);
			tl_rec_reader_seek(r, last);
			read_all(r, size);
		}
		tl_rec_reader_seek(r, 0);
		read_all(r, size);
		tl_rec_reader_free(r);
	}
	close(fd);
}

/* The same bytes with every CRC (and chunk number) recomputed where the
 * lengths allow finding them. */
static void read_repaired(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t off, hlen;

	if (size < TL_REC_FILE_HDR_MIN)
		return;
	buf = malloc(size);
	if (!buf)
		return;
	memcpy(buf, data, size);
	memcpy(buf, TL_REC_FILE_MAGIC, TL_REC_MAGIC_LEN);
	hlen = tl_get_le16(buf + 10);
	if (hlen >= TL_REC_FILE_HDR_MIN && hlen <= size) {
		tl_put_le32(buf + hlen - 4, tl_rec_crc(buf, hlen - 4));
		off = hlen;
		for (uint32_t seq = 0; off + TL_REC_CHUNK_HDR <= size; seq++) {
			uint8_t *h = buf + off;
			size_t clen = tl_get_le32(h + 8);

			if (clen > size - off - TL_REC_CHUNK_HDR)
				break;
			memcpy(h, TL_REC_CHUNK_MAGIC, 4);
			tl_put_le32(h + 20, seq);
			tl_put_le32(h + 40, tl_rec_crc(h + TL_REC_CHUNK_HDR, clen));
			tl_put_le32(h + 44, tl_rec_crc(h, 44));
			off += TL_REC_CHUNK_HDR + clen;
		}
	}
	read_file(buf, size);
	free(buf);
}

/* The input as the uncompressed payload of one chunk of a valid file. */
static void read_payload(const uint8_t *data, size_t size)
{
	struct tl_rec_file_info info = { .version = TL_REC_VERSION, .start_ns = 1 };
	struct tl_rec_chunk_hdr h = { .codec = TL_REC_CODEC_ZSTD };
	size_t cap, hlen = 0, n;
	uint8_t *buf;

	if (size > TL_REC_CHUNK_MAX)
		return;
	cap = TL_REC_FILE_HDR_MAX + TL_REC_CHUNK_HDR + ZSTD_compressBound(size);
	buf = malloc(cap);
	if (!buf)
		return;
	if (tl_rec_file_hdr_pack(buf, cap, &hlen, &info))
		abort();
	n = ZSTD_compress(buf + hlen + TL_REC_CHUNK_HDR, cap - hlen - TL_REC_CHUNK_HDR, data, size, 1);
	if (!ZSTD_isError(n)) {
		h.clen = (uint32_t)n;
		h.ulen = (uint32_t)size;
		/* the first bytes choose the claimed count and times */
		h.count = size >= 2 ? (uint32_t)(data[0] % (size / 2 + 1)) : 0;
		h.first_ns = size >= 3 ? data[1] : 0;
		h.last_ns = h.first_ns + (size >= 3 ? data[2] : 0);
		h.crc = tl_rec_crc(buf + hlen + TL_REC_CHUNK_HDR, n);
		tl_rec_chunk_hdr_pack(buf + hlen, &h);
		read_file(buf, hlen + TL_REC_CHUNK_HDR + n);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_file(data, size);
	read_repaired(data, size);
	read_payload(data, size);
	return 0;
}
