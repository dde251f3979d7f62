/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The log screen: warnings held back while curses owns the terminal. */
#include <stdlib.h>

#include "log.h"
#include "state.h"

void tl_logview_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	size_t n = tl_log_count(), i;
	const char **lines;

	lines = calloc(n ? n : 1, sizeof(*lines));
	if (!lines) {
		tl_canvas_print(c, 1, y + 1, "(out of memory)", TL_ST_WARN);
		return;
	}
	for (i = 0; i < n; i++)
		lines[i] = tl_log_get(i);
	if (!n) {
		lines[0] = "(no messages)";
		n = 1;
	}
	tl_text_page_draw(ui, c, y, h, "Log, oldest first: Esc or q to go back", lines, n);
	free(lines);
}
