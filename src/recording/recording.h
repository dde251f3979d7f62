/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a recording holds, shared by its writer (rec_writer.h) and its
 * reader (rec_reader.h): the file header's contents and the items a reader
 * returns. The layout on disk is in layout.h and doc/recording-format.md.
 *
 * A recording is either one file (NAME.tlrec) or a directory of such files,
 * named by their start time in UTC: tcplens-YYYYmmddTHHMMSSZ.tlrec, with
 * -1, -2, ... before the dot when two start in the same second.
 *
 * Recording (live side), in the loop:
 *
 *	w = tl_rec_writer_open(path, &(struct tl_rec_writer_opts){
 *		.max_size = ..., .max_age_ns = ..., .options = "-f port=443",
 *		.cgroup_path = path_of_id, .cgroup_ctx = cgroups });
 *	on each record:		tl_rec_writer_record(w, &rec);
 *	on each snapshot:	tl_rec_writer_snapshot(w, &snap, paths);
 *	each interval:		tl_rec_writer_drops(w, now, &drops);
 *				if (tl_rec_writer_flush(w)) show tl_rec_writer_error(w);
 *	at the end:		tl_rec_writer_close(w);
 *
 * Replaying:
 *
 *	r = tl_rec_reader_open(path, &(struct tl_rec_reader_opts){ .warn = log_it });
 *	tl_rec_reader_span(r, &first, &last);	(Home, End, the status line)
 *	tl_rec_reader_seek(r, t);		(b, t, T: then skip items before t)
 *	while (tl_rec_reader_next(r, &item) == 0)
 *		RECORD: into the model; SNAPSHOT: the Open panel at item.ts_ns,
 *		paths[i] as the /proc owner's cgroup; DROPS: the status line;
 *		cgroup ids of both through tl_rec_reader_cgroup_path (a tl_rec_path_fn).
 */
#ifndef TCPLENS_RECORDING_H
#define TCPLENS_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "drops.h"
#include "record.h"
#include "sock.h"

#define TL_REC_VERSION		1	/* the format this code writes and reads */
#define TL_REC_SUFFIX		".tlrec"

/* File header flags (a reader ignores the ones it does not know). */
#define TL_REC_F_FILTERED	(1u << 0)	/* capture filters were on: not every socket of the host */
#define TL_REC_F_NO_OPEN	(1u << 1)	/* no open-socket snapshots were recorded */
#define TL_REC_F_NO_COOKIE	(1u << 2)	/* classic tracepoints: cookies are 0 */

#define TL_REC_VERSION_MAX	32	/* bytes of the strings below, with the NUL */
#define TL_REC_HOST_MAX		256
#define TL_REC_OPTIONS_MAX	4096
#define TL_REC_PATH_MAX		4096	/* a cgroup path, with the NUL */
#define TL_REC_SNAP_MAX		(1u << 20)	/* sockets in one snapshot */

/* The header of one recording file. The strings are raw bytes from the
 * recording (untrusted): escape them before display. */
struct tl_rec_file_info {
	uint16_t version;		/* format version, TL_REC_VERSION */
	uint32_t flags;			/* TL_REC_F_* */
	uint64_t start_ns;		/* wall clock at file start, ns since the epoch */
	char tcplens_version[TL_REC_VERSION_MAX]; /* the writer's, e.g. "0.1.0" */
	char host[TL_REC_HOST_MAX];	/* the recording host's name */
	char options[TL_REC_OPTIONS_MAX]; /* the recorder's options (filters) as text */
};

/* A cgroup id to its path relative to the v2 root, or NULL when unknown. */
typedef const char *(*tl_rec_path_fn)(void *ctx, uint64_t id);

enum tl_rec_item_type {
	TL_REC_ITEM_RECORD = 1,		/* a session or a connect: item.rec */
	TL_REC_ITEM_SNAPSHOT = 2,	/* all open sockets at item.ts_ns: item.snap, item.paths */
	TL_REC_ITEM_DROPS = 3,		/* cumulative drop counters at item.ts_ns: item.drops */
};

/* One thing a reader returns, in recording order. */
struct tl_rec_item {
	enum tl_rec_item_type type;
	uint64_t ts_ns;			/* wall clock, ns since the epoch */
	struct tl_record rec;		/* RECORD */
	struct tl_drops drops;		/* DROPS; counters the file did not have are 0 */
	/* SNAPSHOT: valid until the next call on the reader. paths[i] is the
	 * cgroup path user space found in /proc for snap->socks[i]'s owner, or
	 * NULL (also when paths itself would be all NULL, it is never NULL). */
	const struct tl_snapshot *snap;
	const char *const *paths;
	unsigned file;			/* index of the file it came from (tl_rec_reader_file_info) */
};

#endif
