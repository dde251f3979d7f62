/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Column descriptors, as ss has them: each table says what its columns are;
 * widths are measured from the rows about to be drawn, then fitted to the
 * screen by priority (low priority shrinks and drops first).
 */
#ifndef TCPLENS_UI_COLUMNS_H
#define TCPLENS_UI_COLUMNS_H

#include <stdint.h>

#include "canvas.h"

#define TL_MAX_COLS 16
/* Columns at or above this priority (addresses) shrink and drop last. */
#define TL_PRIO_ESSENTIAL 10

struct tl_coldesc {
	const char *header;
	unsigned char align;	/* enum tl_align */
	unsigned char trunc;	/* enum tl_trunc, when shrunk */
	unsigned char min_w;	/* shrinks down to this; 0: never shrinks */
	unsigned char max_w;	/* measured widths are capped here; 0: no cap */
	unsigned char prio;	/* higher survives longer */
	int sort_id;		/* the model's sort column, or -1 */
};

struct tl_layout {
	int n;			/* columns shown, left to right */
	int col[TL_MAX_COLS];	/* descriptor index */
	int x[TL_MAX_COLS];
	int w[TL_MAX_COLS];
	int total;		/* cells used */
};

/*
 * natural[i]: the widest cell of column i (header included). Fits the columns
 * into avail cells with one blank between columns. The column whose sort_id
 * is sort_id (-1: none) stays on screen as long as an address would.
 */
void tl_layout_fit(const struct tl_coldesc *d, int ncols, const int *natural, int avail,
		   int sort_id, struct tl_layout *out);
/* Which shown column covers cell x, or -1. */
int tl_layout_hit(const struct tl_layout *l, int x);

/*
 * Steady widths: a table whose widest visible value changes every refresh
 * would jump sideways. A column grows at once and shrinks only once no
 * value as wide has been seen for TL_COLS_HOLD_NS.
 */
#define TL_COLS_HOLD_NS 5000000000ull
struct tl_colmem {
	int w[TL_MAX_COLS];		/* width held; 0: none yet */
	uint64_t seen_ns[TL_MAX_COLS];	/* when a value that wide was last drawn */
};
/* Replaces natural[i] with the width to use; now_ns: a monotonic clock. */
void tl_colmem_apply(struct tl_colmem *m, int ncols, int *natural, uint64_t now_ns);

#endif
