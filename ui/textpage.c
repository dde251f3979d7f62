/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A scrolling page of text lines: help, log and detail screens. */
#include <stdio.h>

#include "state.h"

void tl_text_page_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h, const char *title,
		       const char *const *lines, size_t n)
{
	int rows = h - 1, i;
	char t[200];

	if (rows < 1)
		rows = 1;
	ui->sub.rows = rows;
	/* the cursor is the top line here: clamp so the last page stays full */
	if (n <= (size_t)rows)
		ui->sub.top = 0;
	else if (ui->sub.top > n - rows)
		ui->sub.top = n - rows;
	ui->sub.sel = ui->sub.top;
	snprintf(t, sizeof(t), "%s%s", title,
		 n > (size_t)rows ? " (arrows/PgUp/PgDn scroll)" : "");
	tl_canvas_rule(c, y, t, TL_ST_DIM, TL_ST_TITLE_FOCUS);
	for (i = 0; i < rows && ui->sub.top + i < n; i++) {
		const char *s = lines[ui->sub.top + i];
		enum tl_style st = TL_ST_NORMAL;

		/* a leading '#' marks a heading */
		if (s[0] == '#') {
			st = TL_ST_TITLE;
			s++;
		}
		tl_canvas_print(c, 1, y + 1 + i, s, st);
	}
}
