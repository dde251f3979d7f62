/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A source that records what passes through it (--record, and the record
 * mode): every record handed to the front end, every snapshot it takes,
 * plus a snapshot of its own every interval when the front end takes none,
 * and the drop counters; a chunk is written about once a second. The
 * front end does not know: it reads the tee as it would the source.
 */
#ifndef TCPLENS_SOURCE_TEE_H
#define TCPLENS_SOURCE_TEE_H

#include "cli.h"
#include "recording/rec_writer.h"
#include "source.h"

/* Records inner into opt->record_path (opt->max_size, max_age_ns; open
 * sockets every opt->interval_s). NULL with one line in err. */
struct tl_source *tl_source_tee_open(struct tl_source *inner, const struct tl_options *opt,
				     char *err, size_t errlen);
/* Records the last drop counters, writes the last chunk, closes the
 * recording (the source stays readable). Returns 0 or the -errno of a
 * write that failed at the end. */
int tl_source_tee_close(struct tl_source *s);
/* Closes if still open, and frees. */
void tl_source_tee_free(struct tl_source *s);
/* What was written, also after close. */
const struct tl_rec_writer_stats *tl_source_tee_stats(const struct tl_source *s);
/* Records and snapshots that went in. */
void tl_source_tee_counts(const struct tl_source *s, uint64_t *sessions, uint64_t *connects,
			  uint64_t *snapshots);

#endif
