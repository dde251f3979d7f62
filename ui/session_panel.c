/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The session table: one row per finished session, newest first by default. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "state.h"

/*
 * Addresses have the highest priority: they shrink and drop last. UNIT has
 * the lowest: it gives up its width first and is the first to go at 80
 * columns; 16 cells keep "nginx.service" or a container id whole. It does
 * not sort: the model orders records, and only the front end knows names.
 */
const struct tl_coldesc tl_session_cols[TL_SC_COUNT] = {
	[TL_SC_TIME]   = { "TIME",   TL_AL_LEFT,  TL_TR_TAIL, 0,  8,  4, TL_SCOL_TIME },
	[TL_SC_PID]    = { "PID",    TL_AL_RIGHT, TL_TR_TAIL, 0,  10, 8, TL_SCOL_PID },
	[TL_SC_COMM]   = { "COMM",   TL_AL_LEFT,  TL_TR_TAIL, 8,  16, 9, TL_SCOL_COMM },
	[TL_SC_UNIT]   = { "UNIT",   TL_AL_LEFT,  TL_TR_TAIL, 16, 32, 0, -1 },
	[TL_SC_DIR]    = { "DIR",    TL_AL_LEFT,  TL_TR_TAIL, 0,  3,  3, TL_SCOL_DIR },
	[TL_SC_LOCAL]  = { "LOCAL",  TL_AL_LEFT,  TL_TR_HEAD, 14, 42, 10, TL_SCOL_LOCAL },
	[TL_SC_REMOTE] = { "REMOTE", TL_AL_LEFT,  TL_TR_HEAD, 14, 42, 11, TL_SCOL_REMOTE },
	[TL_SC_TX]     = { "TX",     TL_AL_RIGHT, TL_TR_TAIL, 0,  10, 7, TL_SCOL_TX },
	[TL_SC_RX]     = { "RX",     TL_AL_RIGHT, TL_TR_TAIL, 0,  10, 6, TL_SCOL_RX },
	[TL_SC_LIFE]   = { "LIFE",   TL_AL_RIGHT, TL_TR_TAIL, 0,  7,  5, TL_SCOL_DURATION },
	[TL_SC_RETR]   = { "RETR",   TL_AL_RIGHT, TL_TR_TAIL, 0,  6,  1, TL_SCOL_RETRANS },
	[TL_SC_RTT]    = { "RTT",    TL_AL_RIGHT, TL_TR_TAIL, 0,  7,  2, TL_SCOL_RTT },
};

void tl_session_cells(const struct tl_ui *ui, const struct tl_record *r, char cells[][TL_CELL_MAX])
{
	time_t secs = (time_t)(r->ts_ns / 1000000000ull);
	struct tm tm;

	if (localtime_r(&secs, &tm))
		strftime(cells[TL_SC_TIME], TL_CELL_MAX, "%H:%M:%S", &tm);
	else
		snprintf(cells[TL_SC_TIME], TL_CELL_MAX, "?");
	tl_fmt_pid(cells[TL_SC_PID], TL_CELL_MAX, r);
	tl_fmt_comm(cells[TL_SC_COMM], TL_CELL_MAX, r);
	tl_fmt_unit(cells[TL_SC_UNIT], TL_CELL_MAX, tl_ui_cgroup_path(ui, r->owner_known, r->cgroup_id));
	snprintf(cells[TL_SC_DIR], TL_CELL_MAX, "%s", tl_fmt_dir_short(r->dir));
	tl_fmt_endpoint(cells[TL_SC_LOCAL], TL_CELL_MAX, r->family, r->laddr, r->lport);
	tl_fmt_endpoint(cells[TL_SC_REMOTE], TL_CELL_MAX, r->family, r->raddr, r->rport);
	tl_fmt_bytes(cells[TL_SC_TX], TL_CELL_MAX, r->tx_bytes);
	tl_fmt_bytes(cells[TL_SC_RX], TL_CELL_MAX, r->rx_bytes);
	tl_fmt_duration(cells[TL_SC_LIFE], TL_CELL_MAX, r->span_ns);
	snprintf(cells[TL_SC_RETR], TL_CELL_MAX, "%" PRIu32, r->retrans);
	tl_fmt_duration(cells[TL_SC_RTT], TL_CELL_MAX, (uint64_t)r->srtt_us * 1000);
}

/* Cells of the rows on screen; the heights of real terminals fit easily. */
#define TL_MAX_ROWS 512
static char rowcells[TL_MAX_ROWS][TL_SC_COUNT][TL_CELL_MAX];
static bool rowgone[TL_MAX_ROWS];

void tl_session_panel_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	bool focused = ui->focus == TL_FOCUS_SESSIONS;
	size_t len = tl_session_view_len(ui->sv);
	int natural[TL_SC_COUNT];
	int rows = h - 2, n, i, k;
	char title[160], shown[32], kept[32];

	if (rows < 0)
		rows = 0;
	if (rows > TL_MAX_ROWS)
		rows = TL_MAX_ROWS;
	ui->sp.rows = rows;
	tl_scroll_fit(&ui->sp, len, rows);

	/* both counts as of the view's last update: without a filter they are
	 * equal, whatever arrived since (a key redraws between refreshes) */
	tl_fmt_count(shown, sizeof(shown), len);
	tl_fmt_count(kept, sizeof(kept), ui->view_retained);
	snprintf(title, sizeof(title), "Sessions: %s shown, %s retained%s", shown, kept,
		 ui->sp.sel == 0 && ui->sp.top == 0 ? "" : " (scrolled: Home follows)");
	tl_canvas_rule(c, y, title, TL_ST_DIM, focused ? TL_ST_TITLE_FOCUS : TL_ST_TITLE);

	for (k = 0; k < TL_SC_COUNT; k++)
		natural[k] = tl_text_width(tl_session_cols[k].header) + 1;
	n = 0;
	for (i = 0; i < rows && ui->sp.top + i < len; i++, n++) {
		const struct tl_record *r = tl_session_view_get(ui->sv, ui->sp.top + i);

		/* NULL: overwritten in the ring since the view was made (only
		 * if tl_ui_renew_if_gone did not run first) */
		rowgone[i] = !r;
		if (!r)
			continue;
		tl_session_cells(ui, r, rowcells[i]);
		for (k = 0; k < TL_SC_COUNT; k++) {
			int w = tl_text_width(rowcells[i][k]);

			if (w > natural[k])
				natural[k] = w;
		}
	}
	tl_colmem_apply(&ui->smem, TL_SC_COUNT, natural, tl_ui_mono_ns());
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, natural, c->w - 1, (int)ui->scol, &ui->slay);

	ui->shdr_y = y + 1;
	tl_canvas_fill(c, 0, y + 1, c->w, L' ', TL_ST_HEADER);
	for (k = 0; k < ui->slay.n; k++) {
		const struct tl_coldesc *d = &tl_session_cols[ui->slay.col[k]];
		bool sorted = d->sort_id == (int)ui->scol;
		char hdr[32];

		snprintf(hdr, sizeof(hdr), "%s%s", d->header,
			 sorted ? (ui->sdesc ? (c->utf8 ? "\u25bc" : "v") : (c->utf8 ? "\u25b2" : "^")) : "");
		tl_canvas_put(c, ui->slay.x[k], y + 1, ui->slay.w[k], hdr,
			      sorted ? TL_ST_HEADER_SORT : TL_ST_HEADER, d->align, TL_TR_TAIL);
	}
	for (i = 0; i < n; i++) {
		bool sel = ui->sp.top + i == ui->sp.sel;
		enum tl_style st = sel ? (focused ? TL_ST_SELECTED : TL_ST_SELECTED_DIM) : TL_ST_NORMAL;

		if (sel)
			tl_canvas_fill(c, 0, y + 2 + i, c->w, L' ', st);
		if (rowgone[i]) {
			tl_canvas_print(c, 1, y + 2 + i, "(no longer retained: overwritten by newer sessions)",
					sel ? st : TL_ST_DIM);
			continue;
		}
		for (k = 0; k < ui->slay.n; k++) {
			const struct tl_coldesc *d = &tl_session_cols[ui->slay.col[k]];

			tl_canvas_put(c, ui->slay.x[k], y + 2 + i, ui->slay.w[k],
				      rowcells[i][ui->slay.col[k]], st, d->align, d->trunc);
		}
	}
	if (!len && rows > 0)
		tl_canvas_print(c, 1, y + 2, ui->filter ? "(no session matches the filter yet)" :
				"(waiting for TCP sessions to end)", TL_ST_DIM);
}
