/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Search: the next row whose text, as shown, contains the typed text. */
#include <string.h>

#include "state.h"

static bool row_has(char cells[][TL_CELL_MAX], int n, const char *text)
{
	int k;

	for (k = 0; k < n; k++)
		if (strcasestr(cells[k], text))
			return true;
	return false;
}

bool tl_search_next(struct tl_ui *ui, const char *text, bool include_cur)
{
	bool dests = ui->focus == TL_FOCUS_DESTS;
	struct tl_scroll *s = dests ? &ui->dp : &ui->sp;
	size_t len = dests ? tl_dest_view_len(ui->dv) : tl_session_view_len(ui->sv);
	char cells[TL_MAX_COLS][TL_CELL_MAX];
	size_t i, step;

	if (!len || !*text || ui->screen != TL_SCREEN_MAIN)
		return false;
	for (step = include_cur ? 0 : 1; step <= len; step++) {
		i = (s->sel + step) % len;
		if (dests) {
			tl_dest_cells(tl_dest_view_get(ui->dv, i), ui->group, cells);
		} else {
			const struct tl_record *r = tl_session_view_get(ui->sv, i);

			if (!r)		/* overwritten since the view was made */
				continue;
			tl_session_cells(ui, r, cells);
		}
		if (row_has(cells, dests ? TL_DC_COUNT : TL_SC_COUNT, text)) {
			s->sel = i;
			if (i < s->top || i >= s->top + (size_t)(s->rows > 0 ? s->rows : 1))
				s->top = i > (size_t)s->rows / 2 ? i - s->rows / 2 : 0;
			return true;
		}
	}
	return false;
}
