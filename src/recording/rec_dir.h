/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The files of a recording directory: listing them, and the names the
 * writer gives them (tcplens-YYYYmmddTHHMMSSZ[-N].tlrec). Only files named
 * that way are ever rotated or deleted; other *.tlrec files are read but
 * left alone.
 */
#ifndef TCPLENS_REC_DIR_H
#define TCPLENS_REC_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_REC_NAME_MAX 64	/* a writer's file name, with the NUL */

struct tl_rec_dirent {
	char *name;		/* inside the directory */
	bool ours;		/* named by a writer: start_ns and seq are valid */
	uint64_t start_ns;	/* from the name: whole seconds */
	unsigned seq;		/* the -N suffix, 0 without one */
	uint64_t size;		/* bytes on disk (st_size) */
	int64_t mtime_ns;	/* last write */
};

struct tl_rec_dirlist {
	struct tl_rec_dirent *v;
	size_t n;
};

/* The regular *.tlrec files in dirfd, ours first by (start, seq), then the
 * others by name: 0 or -errno. */
int tl_rec_dir_list(int dirfd, struct tl_rec_dirlist *out);
void tl_rec_dir_free(struct tl_rec_dirlist *l);
/* Drops entry i, keeping the order. */
void tl_rec_dir_remove(struct tl_rec_dirlist *l, size_t i);

/* A writer's name for a file started at start_ns: its length, or 0 when buf is too small. */
size_t tl_rec_name_format(char *buf, size_t len, uint64_t start_ns, unsigned seq);
/* 0, or -EINVAL when name is not a writer's. */
int tl_rec_name_parse(const char *name, uint64_t *start_ns, unsigned *seq);

#endif
