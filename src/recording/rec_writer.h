/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Writing a recording: records, snapshots and drop counters go into an
 * in-memory chunk; tl_rec_writer_flush() (the caller's timer, about once a
 * second) compresses it with zstd and appends it to the current file in one
 * write(2), followed by fdatasync(2). The writer flushes by itself when a
 * chunk grows past TL_REC_CHUNK_TARGET.
 *
 * Crash promise: after a SIGKILL or a power cut, every chunk whose flush
 * returned is readable; at most the chunk being built (and one being
 * written) is lost. A reader stops at a torn last chunk with a warning.
 *
 * PATH is a directory (created if missing) of files named by start time
 * (recording.h), rotated by size and age; the oldest are deleted so that
 * the directory's recording files stay within max_size in total and none
 * holds only data older than max_age (by its last write). PATH ending in
 * ".tlrec" is one file instead: created (never overwritten), never rotated,
 * and once max_size is reached (if set) further chunks are counted as lost.
 *
 * Nothing is fatal after open: a write error (ENOSPC, EIO) loses that
 * chunk, is counted in the stats and named by tl_rec_writer_error(); the
 * next flush tries again (on a new file if the old one cannot be repaired).
 * The caller decides whether to go on. Not thread-safe.
 */
#ifndef TCPLENS_REC_WRITER_H
#define TCPLENS_REC_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "recording/recording.h"

#define TL_REC_DEFAULT_MAX_SIZE	(4ull << 30)	/* directory budget when none is given: 1.6 days
						 * at 1,000 loopback connections/s (bench_recording) */
#define TL_REC_FILE_SIZE_CAP	(64ull << 20)	/* a file is at most max_size / 8, and this */
#define TL_REC_FILE_AGE_CAP	(3600ull * 1000000000)	/* and at most an hour old */
#define TL_REC_CHUNK_TARGET	(1u << 20)	/* uncompressed bytes that flush a chunk early */
#define TL_REC_ZSTD_LEVEL	3

struct tl_rec_writer_opts {
	uint64_t max_size;	/* directory: bytes of all its recording files; 0: the default.
				 * single file: its limit; 0: none */
	uint64_t max_age_ns;	/* directory: delete files last written longer ago; 0: never */
	uint64_t file_size;	/* rotate beyond; 0: max_size / 8 (at most 64 MiB, at least 64 KiB) */
	uint64_t file_age_ns;	/* rotate after; 0: max_age / 8, at most an hour */
	uint32_t flags;		/* TL_REC_F_* for the file header */
	const char *options;	/* the recording's options as text, for the header; NULL: "" */
	const char *host;	/* for the header; NULL: gethostname() */
	/* cgroup id -> path, for the mapping records (NULL: no mappings) */
	tl_rec_path_fn cgroup_path;
	void *cgroup_ctx;
	int level;		/* zstd level; 0: TL_REC_ZSTD_LEVEL */
	bool no_sync;		/* no fdatasync: faster, but a power cut may lose more */
	/* The wall clock for file names, header times, rotation and age
	 * (tests move it); NULL: CLOCK_REALTIME. */
	uint64_t (*clock)(void *ctx);
	void *clock_ctx;
};

struct tl_rec_writer_stats {
	uint64_t records;	/* events, snapshots and drops appended */
	uint64_t chunks;	/* chunks written */
	uint64_t bytes;		/* bytes written, headers included */
	uint64_t payload_bytes;	/* uncompressed payload bytes of the chunks written */
	uint64_t files_created, files_deleted;
	uint64_t write_errors;	/* failed writes, syncs, file creations */
	uint64_t lost_chunks;	/* chunks not written (write errors, a full single file) */
	uint64_t lost_records;	/* the records in them, and ones refused (-ENOMEM, -E2BIG) */
	uint64_t sync_ns, sync_max_ns;	/* time spent in fdatasync: total and the longest */
};

struct tl_rec_writer;

/*
 * Opens PATH for recording (see above) and creates its first file. opts may
 * be NULL. NULL and errno: EINVAL (bad options: options text longer than
 * TL_REC_OPTIONS_MAX - 1), EEXIST (a single file that exists), ENOMEM, or
 * what creating the directory or the file failed with.
 */
struct tl_rec_writer *tl_rec_writer_open(const char *path, const struct tl_rec_writer_opts *opts);
/* Flushes, closes and frees; the flush's result (0 or -errno). NULL is fine. */
int tl_rec_writer_close(struct tl_rec_writer *w);

/* Appends a session or a connect. The owner's cgroup is mapped by the
 * cgroup_path option the first time its id appears in a chunk. 0 or
 * -ENOMEM (the record is counted as lost). */
int tl_rec_writer_record(struct tl_rec_writer *w, const struct tl_record *r);
/*
 * Appends an open-socket snapshot; paths is NULL or holds one cgroup path
 * (or NULL) per socket: where user space found the owner in /proc. Large
 * snapshots are split in parts across chunks. 0, -E2BIG (more than
 * TL_REC_SNAP_MAX sockets: not recorded) or -ENOMEM; both are counted.
 */
int tl_rec_writer_snapshot(struct tl_rec_writer *w, const struct tl_snapshot *s,
			   const char *const *paths);
/* The cumulative drop counters at ts_ns: recorded when they changed, and
 * again at the start of every chunk so that each chunk has them. 0 or -ENOMEM. */
int tl_rec_writer_drops(struct tl_rec_writer *w, uint64_t ts_ns, const struct tl_drops *d);
/* Writes the chunk (if it holds anything): 0, or -errno of a write that
 * failed (counted; the chunk is lost, the writer goes on). */
int tl_rec_writer_flush(struct tl_rec_writer *w);

const struct tl_rec_writer_stats *tl_rec_writer_stats(const struct tl_rec_writer *w);
/* The last write error as one line ("PATH: No space left on device"), or NULL. */
const char *tl_rec_writer_error(const struct tl_rec_writer *w);
/* The file being written (a path), or NULL after an error left none. */
const char *tl_rec_writer_file(const struct tl_rec_writer *w);

#endif
