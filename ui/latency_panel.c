/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The connect-latency panel: one row per destination; by default failing
 * destinations first (FAIL%), then the worst p99. A row with no answered
 * connect shows its time to failure, marked "!", in the latency columns.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "labels.h"
#include "state.h"

const struct tl_coldesc tl_dest_cols[TL_DC_COUNT] = {
	[TL_DC_KEY]    = { "DESTINATION", TL_AL_LEFT, TL_TR_HEAD, 14, 48, 11, TL_DCOL_KEY },
	[TL_DC_CONN]   = { "CONN",  TL_AL_RIGHT, TL_TR_TAIL, 0, 10, 9, TL_DCOL_CONNECTS },
	[TL_DC_FAIL]   = { "FAIL",  TL_AL_RIGHT, TL_TR_TAIL, 0, 10, 8, TL_DCOL_FAILS },
	[TL_DC_FAILPCT] = { "FAIL%", TL_AL_RIGHT, TL_TR_TAIL, 0, 6, 9, TL_DCOL_FAILPCT },
	[TL_DC_REFTMO] = { "REF/TMO", TL_AL_RIGHT, TL_TR_TAIL, 0, 15, 3, TL_DCOL_FAILS },
	[TL_DC_P50]    = { "P50",   TL_AL_RIGHT, TL_TR_TAIL, 0, 7, 7, TL_DCOL_P50 },
	[TL_DC_P90]    = { "P90",   TL_AL_RIGHT, TL_TR_TAIL, 0, 7, 5, TL_DCOL_P90 },
	[TL_DC_P99]    = { "P99",   TL_AL_RIGHT, TL_TR_TAIL, 0, 7, 10, TL_DCOL_P99 },
	[TL_DC_MAX]    = { "MAX",   TL_AL_RIGHT, TL_TR_TAIL, 0, 7, 6, TL_DCOL_MAX },
	[TL_DC_LAST]   = { "LAST",  TL_AL_RIGHT, TL_TR_TAIL, 0, 7, 4, TL_DCOL_LAST },
	[TL_DC_DIST]   = { "DIST", TL_AL_LEFT, TL_TR_TAIL, 8, 16, 2, -1 },
};

const char *tl_dest_key_header(enum tl_group g)
{
	switch (g) {
	case TL_GROUP_ADDR: return "ADDRESS";
	case TL_GROUP_PORT: return "PORT";
	case TL_GROUP_PROCESS: return "PROCESS";
	case TL_GROUP_UNIT: return "UNIT";
	default: return "DESTINATION";
	}
}

void tl_dest_key(char *buf, size_t len, const struct tl_dest_row *row, enum tl_group g)
{
	if (row->is_other) {
		snprintf(buf, len, "(other)");
		return;
	}
	switch (g) {
	case TL_GROUP_ADDR:
		tl_fmt_addr(buf, len, row->family, row->addr);
		break;
	case TL_GROUP_PORT:
		snprintf(buf, len, "port %u", row->port);
		break;
	case TL_GROUP_PROCESS: {
		char comm[TL_COMM_MAX];

		if (!row->owner_known) {
			snprintf(buf, len, "%s", TL_UNKNOWN_COMM);
			break;
		}
		tl_fmt_escape(comm, sizeof(comm), row->comm, sizeof(row->comm));
		snprintf(buf, len, "%s[%" PRIu32 "]", comm, row->pid);
		break;
	}
	case TL_GROUP_UNIT:
		tl_dest_unit_key(buf, len, row);
		break;
	default:
		tl_fmt_endpoint(buf, len, row->family, row->addr, row->port);
		break;
	}
}

/*
 * Rows are cgroups: two cgroups with one unit name (a restarted service, or
 * one name in two slices) read "name (cgroup ID)", and so does a cgroup
 * whose path is not known ("- (cgroup ID)"); unknown owners read "-".
 */
void tl_dest_unit_key(char *buf, size_t len, const struct tl_dest_row *row)
{
	char unit[TL_CELL_MAX];

	tl_fmt_unit(unit, sizeof(unit), row->owner_known ? row->cgroup_path : NULL);
	if (row->owner_known && (row->unit_shared || !row->cgroup_path))
		snprintf(buf, len, "%s (cgroup %" PRIu64 ")", unit, row->cgroup_id);
	else
		snprintf(buf, len, "%s", unit);
}

/* ttf: the time to failure shown when no connect was answered */
static void fmt_lat(char *buf, size_t len, const struct tl_dest_row *row, uint64_t ns,
		    uint64_t ttf)
{
	if (row->ok) {
		tl_fmt_duration(buf, len, ns);
	} else if (row->connects && len > 1) {
		buf[0] = '!';
		tl_fmt_duration(buf + 1, len - 1, ttf);
	} else {
		snprintf(buf, len, "-");
	}
}

void tl_dest_spark(char *buf, size_t len, const struct tl_dest_row *row, int w, bool utf8)
{
	static const char *const blocks[] = { " ", "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#@";
	uint64_t cell[TL_HIST_BINS] = { 0 }, top = 0;
	size_t n = 0;
	int i;

	if (w > TL_HIST_BINS)
		w = TL_HIST_BINS;
	if (w < 1 || !len)
		goto out;
	/* each cell takes the bins that fall in its share of the range */
	for (i = 0; i < TL_HIST_BINS; i++)
		cell[i * w / TL_HIST_BINS] += row->hist[i];
	for (i = 0; i < w; i++)
		if (cell[i] > top)
			top = cell[i];
	for (i = 0; i < w; i++) {
		int lvl = top ? (int)((cell[i] * 8 + top - 1) / top) : 0;
		const char *s = utf8 ? blocks[lvl] : (char[2]){ ascii[lvl], 0 };
		size_t k = strlen(s);

		if (n + k + 1 > len)
			break;
		memcpy(buf + n, s, k);
		n += k;
	}
out:
	if (len)
		buf[n] = '\0';
}

void tl_dest_cells(const struct tl_dest_row *row, enum tl_group g, char cells[][TL_CELL_MAX])
{
	uint64_t fails = row->refused + row->timeouts + row->errors;

	tl_dest_key(cells[TL_DC_KEY], TL_CELL_MAX, row, g);
	snprintf(cells[TL_DC_CONN], TL_CELL_MAX, "%" PRIu64, row->connects);
	snprintf(cells[TL_DC_FAIL], TL_CELL_MAX, "%" PRIu64, fails);
	tl_fmt_percent(cells[TL_DC_FAILPCT], TL_CELL_MAX, row->connects - row->ok, row->connects);
	snprintf(cells[TL_DC_REFTMO], TL_CELL_MAX, "%" PRIu64 "/%" PRIu64, row->refused,
		 row->timeouts);
	fmt_lat(cells[TL_DC_P50], TL_CELL_MAX, row, row->p50_ns, row->ttf_p50_ns);
	fmt_lat(cells[TL_DC_P90], TL_CELL_MAX, row, row->p90_ns, row->ttf_p90_ns);
	fmt_lat(cells[TL_DC_P99], TL_CELL_MAX, row, row->p99_ns, row->ttf_p99_ns);
	fmt_lat(cells[TL_DC_MAX], TL_CELL_MAX, row, row->max_ns, row->ttf_max_ns);
	fmt_lat(cells[TL_DC_LAST], TL_CELL_MAX, row, row->last_ns, row->ttf_last_ns);
	cells[TL_DC_DIST][0] = '\0';	/* drawn to the width it gets */
}

#define TL_MAX_ROWS 512
static char rowcells[TL_MAX_ROWS][TL_DC_COUNT][TL_CELL_MAX];

void tl_dest_panel_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	bool focused = ui->focus == TL_FOCUS_DESTS;
	size_t len = tl_dest_view_len(ui->dv);
	int natural[TL_DC_COUNT];
	int rows = h - 2, n, i, k;
	char title[200], nrows[32];

	if (rows < 0)
		rows = 0;
	if (rows > TL_MAX_ROWS)
		rows = TL_MAX_ROWS;
	ui->dp.rows = rows;
	tl_scroll_fit(&ui->dp, len, rows);

	tl_fmt_count(nrows, sizeof(nrows), len);
	snprintf(title, sizeof(title), "Connect latency by %s, %s: %s rows", tl_group_name(ui->group),
		 tl_window_name(ui->win), nrows);
	tl_canvas_rule(c, y, title, TL_ST_DIM, focused ? TL_ST_TITLE_FOCUS : TL_ST_TITLE);

	for (k = 0; k < TL_DC_COUNT; k++)
		natural[k] = tl_text_width(k == TL_DC_KEY ? tl_dest_key_header(ui->group) :
					   tl_dest_cols[k].header) + 1;
	natural[TL_DC_DIST] = TL_HIST_BINS;
	n = 0;
	for (i = 0; i < rows && ui->dp.top + i < len; i++, n++) {
		tl_dest_cells(tl_dest_view_get(ui->dv, ui->dp.top + i), ui->group, rowcells[i]);
		for (k = 0; k < TL_DC_COUNT; k++) {
			int w = tl_text_width(rowcells[i][k]);

			if (w > natural[k])
				natural[k] = w;
		}
	}
	tl_colmem_apply(&ui->dmem, TL_DC_COUNT, natural, tl_ui_mono_ns());
	tl_layout_fit(tl_dest_cols, TL_DC_COUNT, natural, c->w - 1, (int)ui->dcol, &ui->dlay);

	ui->dhdr_y = y + 1;
	tl_canvas_fill(c, 0, y + 1, c->w, L' ', TL_ST_HEADER);
	for (k = 0; k < ui->dlay.n; k++) {
		const struct tl_coldesc *d = &tl_dest_cols[ui->dlay.col[k]];
		bool sorted = d->sort_id == (int)ui->dcol && ui->dlay.col[k] != TL_DC_REFTMO;
		char hdr[32];

		snprintf(hdr, sizeof(hdr), "%s%s",
			 ui->dlay.col[k] == TL_DC_KEY ? tl_dest_key_header(ui->group) : d->header,
			 sorted ? (ui->ddesc ? (c->utf8 ? "\u25bc" : "v") : (c->utf8 ? "\u25b2" : "^")) : "");
		tl_canvas_put(c, ui->dlay.x[k], y + 1, ui->dlay.w[k], hdr,
			      sorted ? TL_ST_HEADER_SORT : TL_ST_HEADER, d->align, TL_TR_TAIL);
	}
	for (i = 0; i < n; i++) {
		const struct tl_dest_row *row = tl_dest_view_get(ui->dv, ui->dp.top + i);
		bool sel = ui->dp.top + i == ui->dp.sel;
		enum tl_style st = sel ? (focused ? TL_ST_SELECTED : TL_ST_SELECTED_DIM) : TL_ST_NORMAL;

		if (sel)
			tl_canvas_fill(c, 0, y + 2 + i, c->w, L' ', st);
		for (k = 0; k < ui->dlay.n; k++) {
			int col = ui->dlay.col[k];
			const struct tl_coldesc *d = &tl_dest_cols[col];
			enum tl_style cst = st;

			if (col == TL_DC_DIST) {
				tl_dest_spark(rowcells[i][col], TL_CELL_MAX, row, ui->dlay.w[k], c->utf8);
				if (!sel)
					cst = TL_ST_BAR;
			} else if ((col == TL_DC_FAIL || col == TL_DC_FAILPCT || col == TL_DC_REFTMO) &&
				   !sel && row->connects > row->ok) {
				cst = TL_ST_FAIL;
			} else if (col >= TL_DC_P50 && col <= TL_DC_LAST && !sel && !row->ok) {
				cst = TL_ST_FAIL;	/* a time to failure */
			}
			tl_canvas_put(c, ui->dlay.x[k], y + 2 + i, ui->dlay.w[k], rowcells[i][col],
				      cst, d->align, d->trunc);
		}
	}
	if (!len && rows > 0)
		tl_canvas_print(c, 1, y + 2, ui->filter ? "(no connect matches the filter yet)" :
				"(waiting for outgoing connects)", TL_ST_DIM);
}
