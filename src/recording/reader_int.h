/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The reader's insides, shared by its files: reader.c (iteration),
 * reader_index.c (opening, the chunk index), reader_cgmap.c (cgroup paths). */
#ifndef TCPLENS_REC_READER_INT_H
#define TCPLENS_REC_READER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <zstd.h>

#include "recording/bytes.h"
#include "recording/chunk_dec.h"
#include "recording/rec_reader.h"

#define TL_REC_CGMAP_MAX	(1u << 20)	/* mappings kept */
#define TL_REC_CGMAP_BYTES	(64u << 20)	/* bytes of their paths */
#define TL_REC_SNAP_PATH_BYTES	(64u << 20)	/* bytes of one snapshot's distinct paths */

struct tl_rec_rfile {
	char *path;
	struct tl_rec_file_info info;
	size_t first_chunk, nchunks;	/* its chunks in the index */
	size_t bad_from;		/* chunks from this one on (index) are skipped; SIZE_MAX: none */
};

struct tl_rec_rchunk {
	uint64_t off;			/* of its header in the file */
	uint64_t first_ns, last_ns;
	uint64_t upto_ns;		/* the largest last_ns of the index up to here (seek) */
	uint32_t clen, ulen, count, crc;
	bool timed;			/* has a timestamp (first/last are valid) */
	unsigned file;
};

struct tl_rec_cgmap {
	uint64_t *ids;
	char **paths;
	size_t mask, n;
	char **kept;			/* every string handed out, freed at the end */
	size_t nkept, capkept;
	size_t bytes;
	bool full_warned;
};

struct tl_rec_reader {
	struct tl_rec_reader_opts o;
	struct tl_rec_rfile *files;
	unsigned nfiles;
	struct tl_rec_rchunk *chunks;
	size_t nchunks;

	size_t next_chunk;		/* to load next */
	bool in_chunk;
	size_t cur;			/* the chunk being decoded */
	struct tl_rec_dec dec;
	int fd;
	unsigned fd_file;
	struct tl_rec_buf cbuf, ubuf;
	ZSTD_DCtx *dctx;

	/* the snapshot being put together from its parts */
	struct tl_snapshot snap;
	const char **paths;
	size_t paths_cap;
	char **strs;			/* its distinct paths */
	size_t nstrs, capstrs, str_bytes;
	bool snap_open;
	uint32_t snap_total;
	unsigned snap_file;

	struct tl_rec_cgmap cg;

	unsigned long warnings;
	char last_warning[1024];
};

void tl_rec_reader_warn(struct tl_rec_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Files and the chunk index: 0 or -errno. */
int tl_rec_reader_index(struct tl_rec_reader *r, const char *path);

/* id -> path; a new path for a known id replaces it (the old string lives on). 0 or -ENOMEM. */
int tl_rec_cgmap_put(struct tl_rec_reader *r, uint64_t id, const uint8_t *path, size_t len);
const char *tl_rec_cgmap_get(const struct tl_rec_cgmap *m, uint64_t id);
void tl_rec_cgmap_free(struct tl_rec_cgmap *m);

#endif
