/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a recording: one file, or a directory of them in time order.
 * Opening reads only the headers (the file headers and every chunk's,
 * skipping the payloads), which gives the index for tl_rec_reader_seek()
 * and the span; payloads are read, checked and decompressed one chunk at a
 * time by tl_rec_reader_next().
 *
 * Damage is not fatal: a file whose header is bad is skipped; in a file, the
 * first chunk that is torn, fails its CRC, does not decompress or holds a
 * malformed record ends that file (the items before it were returned) and
 * reading goes on with the next file. Each such event is a warning: passed
 * to the callback if one is set, counted, and kept as the last message.
 * Memory stays bounded on hostile input: every length is checked against
 * the limits in layout.h and recording.h before anything is allocated.
 * Not thread-safe.
 */
#ifndef TCPLENS_REC_READER_H
#define TCPLENS_REC_READER_H

#include <stddef.h>
#include <stdint.h>

#include "recording/recording.h"

struct tl_rec_reader_opts {
	/* Each warning as one line (escaped, no newline), e.g.
	 * "rec/tcplens-20261202T125500Z.tlrec: chunk 7 at byte 1234: payload CRC
	 * mismatch; the rest of the file is skipped". NULL: only counted. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct tl_rec_reader;

/*
 * Opens a recording file or directory (its *.tlrec files; other files are
 * ignored) and indexes it. opts may be NULL. NULL and errno: ENOENT (a
 * directory without recording files), EBADMSG (no readable recording file:
 * the warnings say why), EPROTONOSUPPORT (one file, of a format version
 * this reader does not know), ENOMEM, or what opening PATH failed with.
 */
struct tl_rec_reader *tl_rec_reader_open(const char *path, const struct tl_rec_reader_opts *opts);
void tl_rec_reader_free(struct tl_rec_reader *r);

/*
 * The next item in recording order: 0, -ENODATA at the end, or -ENOMEM.
 * What it points to (item->snap, item->paths) stays valid until the next
 * call on r. Snapshots come whole: a snapshot whose start was skipped (by
 * a seek or damage) is not returned.
 */
int tl_rec_reader_next(struct tl_rec_reader *r, struct tl_rec_item *item);
/*
 * Positions at the first chunk that holds a timestamp >= wall_ns (the end
 * when none does): the chunk containing that time, or the first after it.
 * The next items are that chunk's, from its start, so some may be earlier
 * than wall_ns (the caller skips what it does not want). A binary search in
 * the index: no reading. Always 0.
 */
int tl_rec_reader_seek(struct tl_rec_reader *r, uint64_t wall_ns);
/* The earliest and latest timestamps in the index: 0, or -ENODATA when
 * the recording holds no chunk. */
int tl_rec_reader_span(const struct tl_rec_reader *r, uint64_t *first_ns, uint64_t *last_ns);

/* The cgroup path for id as recorded (mapping records read so far, in
 * this and earlier chunks), or NULL when unknown. ctx is the reader: this
 * is a tl_rec_path_fn. The string stays valid until tl_rec_reader_free. */
const char *tl_rec_reader_cgroup_path(void *ctx, uint64_t id);

/* The readable files, in reading order, with their headers. */
unsigned tl_rec_reader_files(const struct tl_rec_reader *r);
const struct tl_rec_file_info *tl_rec_reader_file_info(const struct tl_rec_reader *r, unsigned i);
const char *tl_rec_reader_file_path(const struct tl_rec_reader *r, unsigned i);
/* Chunks in the index (all files). */
size_t tl_rec_reader_chunks(const struct tl_rec_reader *r);

/* Warnings so far, and the last one (NULL when none). */
unsigned long tl_rec_reader_warnings(const struct tl_rec_reader *r);
const char *tl_rec_reader_last_warning(const struct tl_rec_reader *r);

#endif
