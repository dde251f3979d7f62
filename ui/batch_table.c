/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The plain-text tables of -b snapshots. */
#include <string.h>

#include "state.h"

/* Appends text to line at *n, padded with blanks to `width` cells as aligned. */
static void put_cell(char *line, size_t *n, size_t len, const char *text, int width,
		     enum tl_align al)
{
	int pad = width - tl_text_width(text);
	size_t tl = strlen(text);

	if (pad < 0)
		pad = 0;
	if (*n + tl + (size_t)pad + 1 > len)
		return;
	if (al == TL_AL_RIGHT) {
		memset(line + *n, ' ', (size_t)pad);
		*n += (size_t)pad;
	}
	memcpy(line + *n, text, tl);
	*n += tl;
	if (al != TL_AL_RIGHT) {
		memset(line + *n, ' ', (size_t)pad);
		*n += (size_t)pad;
	}
	line[*n] = '\0';
}

/*
 * Scripts read these tables: every cell is printed whole (no descriptor's
 * max_w cut, unlike the screen), each column as wide as its widest cell, so
 * the columns line up whatever the addresses; no blanks end a line.
 */
void tl_batch_table(FILE *out, const struct tl_coldesc *d, int ncols,
		    char (*cells)[TL_MAX_COLS][TL_CELL_MAX], size_t nrows)
{
	char line[TL_MAX_COLS * (2 * TL_CELL_MAX + 1) + 1];
	int width[TL_MAX_COLS];
	size_t r, n;
	int k;

	if (ncols > TL_MAX_COLS)
		ncols = TL_MAX_COLS;
	for (k = 0; k < ncols; k++)
		width[k] = tl_text_width(d[k].header);
	for (r = 0; r < nrows; r++)
		for (k = 0; k < ncols; k++) {
			int w = tl_text_width(cells[r][k]);

			if (w > width[k])
				width[k] = w;
		}
	for (r = 0; r <= nrows; r++) {
		n = 0;
		line[0] = '\0';
		for (k = 0; k < ncols; k++) {
			const char *s = r ? cells[r - 1][k] : d[k].header;

			if (k)
				put_cell(line, &n, sizeof(line), " ", 1, TL_AL_LEFT);
			put_cell(line, &n, sizeof(line), s, width[k], d[k].align);
		}
		while (n > 0 && line[n - 1] == ' ')
			n--;
		line[n] = '\0';
		fprintf(out, "%s\n", line);
	}
}
