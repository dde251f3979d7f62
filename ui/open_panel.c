/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Open panel: the connections open now, top talkers first, from the
 * socket iterator at every refresh. Each grouping shows its own columns
 * (a process has no remote address, a listener no rate).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "state.h"

/* UNIT has the lowest priority: it is cut, then dropped first at 80 columns. */
const struct tl_coldesc tl_open_cols[TL_OC_COUNT] = {
	[TL_OC_PID]     = { "PID",    TL_AL_RIGHT, TL_TR_TAIL, 0,  10, 8, TL_OCOL_PID },
	[TL_OC_COMM]    = { "COMM",   TL_AL_LEFT,  TL_TR_TAIL, 8,  16, 9, TL_OCOL_COMM },
	[TL_OC_UNIT]    = { "UNIT",   TL_AL_LEFT,  TL_TR_TAIL, 10, 24, 1, TL_OCOL_UNIT },
	[TL_OC_DIR]     = { "DIR",    TL_AL_LEFT,  TL_TR_TAIL, 0,  3,  8, TL_OCOL_DIR },
	[TL_OC_LOCAL]   = { "LOCAL",  TL_AL_LEFT,  TL_TR_HEAD, 14, 42, 10, TL_OCOL_LOCAL },
	[TL_OC_REMOTE]  = { "REMOTE", TL_AL_LEFT,  TL_TR_HEAD, 14, 42, 11, TL_OCOL_REMOTE },
	[TL_OC_STATE]   = { "STATE",  TL_AL_LEFT,  TL_TR_TAIL, 0,  12, 4, TL_OCOL_STATE },
	[TL_OC_AGE]     = { "AGE",    TL_AL_RIGHT, TL_TR_TAIL, 0,  8,  5, TL_OCOL_AGE },
	[TL_OC_CONNS]   = { "CONNS",  TL_AL_RIGHT, TL_TR_TAIL, 0,  9,  9, TL_OCOL_CONNS },
	[TL_OC_QUEUE]   = { "QUEUE",  TL_AL_RIGHT, TL_TR_TAIL, 0,  23, 12, TL_OCOL_QUEUE },
	[TL_OC_ACCEPTS] = { "ACC/s",  TL_AL_RIGHT, TL_TR_TAIL, 0,  9,  9, TL_OCOL_ACCEPTS },
	[TL_OC_DROPS]   = { "DROPS",  TL_AL_RIGHT, TL_TR_TAIL, 0,  11, 9, TL_OCOL_DROPS },
	[TL_OC_TXRATE]  = { "TX/s",   TL_AL_RIGHT, TL_TR_TAIL, 0,  14, 7, TL_OCOL_TXRATE },
	[TL_OC_RXRATE]  = { "RX/s",   TL_AL_RIGHT, TL_TR_TAIL, 0,  14, 7, TL_OCOL_RXRATE },
	[TL_OC_TX]      = { "TX",     TL_AL_RIGHT, TL_TR_TAIL, 0,  10, 6, TL_OCOL_TX },
	[TL_OC_RX]      = { "RX",     TL_AL_RIGHT, TL_TR_TAIL, 0,  10, 6, TL_OCOL_RX },
	[TL_OC_RTT]     = { "RTT",    TL_AL_RIGHT, TL_TR_TAIL, 0,  7,  2, TL_OCOL_RTT },
	[TL_OC_RETR]    = { "RETR",   TL_AL_RIGHT, TL_TR_TAIL, 0,  6,  2, TL_OCOL_RETR },
};

static const int cols_conn[] = { TL_OC_PID, TL_OC_COMM, TL_OC_UNIT, TL_OC_DIR, TL_OC_LOCAL,
	TL_OC_REMOTE, TL_OC_STATE, TL_OC_AGE, TL_OC_TXRATE, TL_OC_RXRATE, TL_OC_TX, TL_OC_RX,
	TL_OC_RTT, TL_OC_RETR };
static const int cols_process[] = { TL_OC_PID, TL_OC_COMM, TL_OC_UNIT, TL_OC_CONNS,
	TL_OC_TXRATE, TL_OC_RXRATE, TL_OC_TX, TL_OC_RX, TL_OC_RETR };
static const int cols_unit[] = { TL_OC_UNIT, TL_OC_CONNS, TL_OC_TXRATE, TL_OC_RXRATE, TL_OC_TX,
	TL_OC_RX, TL_OC_RETR };
static const int cols_host[] = { TL_OC_REMOTE, TL_OC_CONNS, TL_OC_TXRATE, TL_OC_RXRATE, TL_OC_TX,
	TL_OC_RX, TL_OC_RETR };
static const int cols_listen[] = { TL_OC_PID, TL_OC_COMM, TL_OC_UNIT, TL_OC_LOCAL, TL_OC_QUEUE,
	TL_OC_ACCEPTS, TL_OC_DROPS };

#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

int tl_open_group_cols(enum tl_ogroup g, int *cols)
{
	const int *c;
	int n;

	switch (g) {
	case TL_OGROUP_PROCESS: c = cols_process; n = N(cols_process); break;
	case TL_OGROUP_UNIT: c = cols_unit; n = N(cols_unit); break;
	case TL_OGROUP_HOST: c = cols_host; n = N(cols_host); break;
	case TL_OGROUP_LISTEN: c = cols_listen; n = N(cols_listen); break;
	default: c = cols_conn; n = N(cols_conn); break;
	}
	memcpy(cols, c, (size_t)n * sizeof(*cols));
	return n;
}

const char *tl_open_group_name(enum tl_ogroup g)
{
	switch (g) {
	case TL_OGROUP_PROCESS: return "process";
	case TL_OGROUP_UNIT: return "unit";
	case TL_OGROUP_HOST: return "remote host";
	case TL_OGROUP_LISTEN: return "listeners";
	default: return "connection";
	}
}

static const char *col_header(enum tl_ogroup g, int k)
{
	if (k == TL_OC_REMOTE && g == TL_OGROUP_HOST)
		return "HOST";
	return tl_open_cols[k].header;
}

/* Sort columns of a grouping, in the order F6 walks them: the default first. */
static int sort_cols(enum tl_ogroup g, enum tl_ocol *out)
{
	int cols[TL_MAX_COLS], n = tl_open_group_cols(g, cols), k, m = 0;

	if (g != TL_OGROUP_LISTEN)
		out[m++] = TL_OCOL_RATE;
	for (k = 0; k < n; k++)
		out[m++] = (enum tl_ocol)tl_open_cols[cols[k]].sort_id;
	return m;
}

const char *tl_open_sort_name(enum tl_ogroup g, enum tl_ocol c)
{
	int k;

	if (c == TL_OCOL_RATE)
		return "TX/s+RX/s";
	for (k = 0; k < TL_OC_COUNT; k++)
		if (tl_open_cols[k].sort_id == (int)c)
			return col_header(g, k);
	return "?";
}

enum tl_ocol tl_open_sort_step(enum tl_ogroup g, enum tl_ocol cur, int dir)
{
	enum tl_ocol s[TL_MAX_COLS + 1] = { TL_OCOL_RATE };
	int n = sort_cols(g, s), i;

	for (i = 0; i < n; i++)
		if (s[i] == cur)
			return s[((i + dir) % n + n) % n];
	return s[0];
}

void tl_open_set_group(struct tl_ui *ui, enum tl_ogroup g)
{
	enum tl_ocol s[TL_MAX_COLS + 1];
	int n = sort_cols(g, s), i;

	ui->ogroup = g;
	ui->op.sel = ui->op.top = 0;
	for (i = 0; i < n; i++)
		if (s[i] == ui->ocol)
			return;
	/* listeners: the fullest queue first; the others: top talkers */
	ui->ocol = g == TL_OGROUP_LISTEN ? TL_OCOL_QUEUE : TL_OCOL_RATE;
	ui->odesc = true;
}

void tl_open_cells(const struct tl_open_row *row, enum tl_ogroup g, uint64_t uptime_ns,
		   char cells[][TL_CELL_MAX])
{
	const struct tl_sock *s = &row->s;
	bool listen = s->state == TL_TCP_LISTEN;
	struct tl_record rec;
	char b[32];

	tl_open_record(&rec, s, 0);
	tl_fmt_pid(cells[TL_OC_PID], TL_CELL_MAX, &rec);
	tl_fmt_comm(cells[TL_OC_COMM], TL_CELL_MAX, &rec);
	if (row->unit[0])
		tl_fmt_escape(cells[TL_OC_UNIT], TL_CELL_MAX, row->unit, sizeof(row->unit));
	else
		snprintf(cells[TL_OC_UNIT], TL_CELL_MAX, "-");
	snprintf(cells[TL_OC_DIR], TL_CELL_MAX, "%s", tl_fmt_dir_short(s->dir));
	tl_fmt_endpoint(cells[TL_OC_LOCAL], TL_CELL_MAX, s->family, s->laddr, s->lport);
	if (g == TL_OGROUP_HOST)
		tl_fmt_addr(cells[TL_OC_REMOTE], TL_CELL_MAX, s->family, s->raddr);
	else if (listen)
		snprintf(cells[TL_OC_REMOTE], TL_CELL_MAX, "*");
	else
		tl_fmt_endpoint(cells[TL_OC_REMOTE], TL_CELL_MAX, s->family, s->raddr, s->rport);
	snprintf(cells[TL_OC_STATE], TL_CELL_MAX, "%s", tl_fmt_tcp_state_short(s->state));
	if (s->age_known) {
		tl_fmt_duration(cells[TL_OC_AGE], TL_CELL_MAX, s->age_ns);
	} else {
		/* open before tcplens started: older than tcplens, by how much unknown */
		tl_fmt_duration(b, sizeof(b), uptime_ns);
		snprintf(cells[TL_OC_AGE], TL_CELL_MAX, ">%s", b);
	}
	snprintf(cells[TL_OC_CONNS], TL_CELL_MAX, "%" PRIu32, row->count);
	snprintf(cells[TL_OC_QUEUE], TL_CELL_MAX, "%" PRIu32 "/%" PRIu32 "%s", s->accept_queue,
		 s->accept_queue_max, row->full ? " FULL" : "");
	if (row->accepts_valid)
		tl_fmt_per_s(cells[TL_OC_ACCEPTS], TL_CELL_MAX, row->accepts_milli);
	else
		snprintf(cells[TL_OC_ACCEPTS], TL_CELL_MAX, "-");
	snprintf(cells[TL_OC_DROPS], TL_CELL_MAX, "%" PRIu32, s->drops);
	if (row->rate_valid) {
		tl_fmt_rate(cells[TL_OC_TXRATE], TL_CELL_MAX, row->tx_mbps);
		tl_fmt_rate(cells[TL_OC_RXRATE], TL_CELL_MAX, row->rx_mbps);
	} else {
		/* new since the last snapshot: no interval to measure over yet */
		snprintf(cells[TL_OC_TXRATE], TL_CELL_MAX, "-");
		snprintf(cells[TL_OC_RXRATE], TL_CELL_MAX, "-");
	}
	tl_fmt_bytes(cells[TL_OC_TX], TL_CELL_MAX, s->tx_bytes);
	tl_fmt_bytes(cells[TL_OC_RX], TL_CELL_MAX, s->rx_bytes);
	tl_fmt_duration(cells[TL_OC_RTT], TL_CELL_MAX, (uint64_t)s->srtt_us * 1000);
	snprintf(cells[TL_OC_RETR], TL_CELL_MAX, "%" PRIu32, s->retrans);
}

static bool same_row(const struct tl_open_row *a, const struct tl_open_row *b, enum tl_ogroup g)
{
	switch (g) {
	case TL_OGROUP_PROCESS:
		return a->s.owner_known == b->s.owner_known &&
		       (!a->s.owner_known || (a->s.pid == b->s.pid &&
					      !strncmp(a->s.comm, b->s.comm, sizeof(a->s.comm))));
	case TL_OGROUP_UNIT:
		return !strcmp(a->unit, b->unit);
	case TL_OGROUP_HOST:
		return a->s.family == b->s.family && !memcmp(a->s.raddr, b->s.raddr, 16);
	default:
		return a->s.cookie == b->s.cookie;
	}
}

void tl_open_panel_update(struct tl_ui *ui)
{
	struct tl_open_row old;
	bool have_old = false;
	size_t i, len;

	if (!ui->ov)
		return;
	/* the cursor stays on its row unless it is at the top (following the top talkers) */
	if (ui->op.sel > 0 && ui->op.sel < tl_open_view_len(ui->ov)) {
		old = *tl_open_view_get(ui->ov, ui->op.sel);
		have_old = true;
	}
	if (tl_open_view_build(ui->ov, ui->filter, ui->ogroup, ui->ocol, ui->odesc))
		snprintf(ui->open_note, sizeof(ui->open_note), "(out of memory: no rows)");
	len = tl_open_view_len(ui->ov);
	if (have_old) {
		/* a connection or listener by its cookie (100,000 rows are not
		 * made to be compared); a group, of a few, by its key */
		if (ui->ogroup == TL_OGROUP_CONN || ui->ogroup == TL_OGROUP_LISTEN) {
			i = tl_open_view_find(ui->ov, old.s.cookie);
		} else {
			for (i = 0; i < len; i++)
				if (same_row(tl_open_view_get(ui->ov, i), &old, ui->ogroup))
					break;
		}
		if (i < len) {
			size_t off = ui->op.sel - ui->op.top;

			ui->op.sel = i;
			ui->op.top = i >= off ? i - off : 0;
			return;
		}
	}
	if (ui->op.sel >= len)
		ui->op.sel = len ? len - 1 : 0;
	if (ui->op.top > ui->op.sel)
		ui->op.top = ui->op.sel;
}

#define TL_OPEN_MAX_ROWS 512
static char rowcells[TL_OPEN_MAX_ROWS][TL_OC_COUNT][TL_CELL_MAX];

/* tcplens's uptime when the shown snapshot was taken: a paused screen holds still */
uint64_t tl_open_snap_uptime(const struct tl_ui *ui)
{
	uint64_t start_wall = tl_ui_wall_ns() - (tl_ui_mono_ns() - ui->start_mono_ns);
	uint64_t ts = ui->ov ? tl_open_view_ts(ui->ov) : 0;

	return ts > start_wall ? ts - start_wall : 0;
}

void tl_open_panel_draw(struct tl_ui *ui, struct tl_canvas *c, int y, int h)
{
	bool focused = ui->focus == TL_FOCUS_OPEN;
	size_t len = ui->ov ? tl_open_view_len(ui->ov) : 0;
	struct tl_coldesc d[TL_MAX_COLS];
	int natural[TL_MAX_COLS];
	int rows = h - 2, n, i, k, sort_k = -1;
	uint64_t uptime = tl_open_snap_uptime(ui);
	char title[200];

	if (rows < 0)
		rows = 0;
	if (rows > TL_OPEN_MAX_ROWS)
		rows = TL_OPEN_MAX_ROWS;
	ui->op.rows = rows;
	tl_scroll_fit(&ui->op, len, rows);

	ui->nocols = tl_open_group_cols(ui->ogroup, ui->ocols);
	if (ui->ov && tl_open_view_ready(ui->ov))
		snprintf(title, sizeof(title), "Open: %zu %s%s of %zu sockets, by %s%s", len,
			 ui->ogroup == TL_OGROUP_LISTEN ? "listener" :
			 ui->ogroup == TL_OGROUP_CONN ? "connection" : "row", len == 1 ? "" : "s",
			 tl_open_view_sockets(ui->ov), tl_open_group_name(ui->ogroup),
			 ui->op.sel == 0 && ui->op.top == 0 ? "" : " (scrolled: Home for the top)");
	else
		snprintf(title, sizeof(title), "Open: by %s", tl_open_group_name(ui->ogroup));
	tl_canvas_rule(c, y, title, TL_ST_DIM, focused ? TL_ST_TITLE_FOCUS : TL_ST_TITLE);

	for (k = 0; k < ui->nocols; k++) {
		d[k] = tl_open_cols[ui->ocols[k]];
		d[k].header = col_header(ui->ogroup, ui->ocols[k]);
		natural[k] = tl_text_width(d[k].header) + 1;
		if (d[k].sort_id == (int)ui->ocol)
			sort_k = k;
	}
	n = 0;
	for (i = 0; i < rows && ui->op.top + i < len; i++, n++) {
		tl_open_cells(tl_open_view_get(ui->ov, ui->op.top + i), ui->ogroup, uptime, rowcells[i]);
		for (k = 0; k < ui->nocols; k++) {
			int w = tl_text_width(rowcells[i][ui->ocols[k]]);

			if (w > natural[k])
				natural[k] = w;
		}
	}
	/* TX/s+RX/s keeps both rate columns on screen */
	tl_layout_fit(d, ui->nocols, natural, c->w - 1,
		      ui->ocol == TL_OCOL_RATE ? TL_OCOL_TXRATE : (int)ui->ocol, &ui->olay);

	ui->ohdr_y = y + 1;
	tl_canvas_fill(c, 0, y + 1, c->w, L' ', TL_ST_HEADER);
	for (k = 0; k < ui->olay.n; k++) {
		const struct tl_coldesc *dd = &d[ui->olay.col[k]];
		bool sorted = ui->olay.col[k] == sort_k ||
			      (ui->ocol == TL_OCOL_RATE && (dd->sort_id == TL_OCOL_TXRATE ||
							    dd->sort_id == TL_OCOL_RXRATE));
		char hdr[32];

		snprintf(hdr, sizeof(hdr), "%s%s", dd->header,
			 sorted ? (ui->odesc ? (c->utf8 ? "\u25bc" : "v") : (c->utf8 ? "\u25b2" : "^")) : "");
		tl_canvas_put(c, ui->olay.x[k], y + 1, ui->olay.w[k], hdr,
			      sorted ? TL_ST_HEADER_SORT : TL_ST_HEADER, dd->align, TL_TR_TAIL);
	}
	for (i = 0; i < n; i++) {
		const struct tl_open_row *row = tl_open_view_get(ui->ov, ui->op.top + i);
		bool sel = ui->op.top + i == ui->op.sel;
		enum tl_style st = sel ? (focused ? TL_ST_SELECTED : TL_ST_SELECTED_DIM) :
				   row->full ? TL_ST_WARN : TL_ST_NORMAL;

		if (sel)
			tl_canvas_fill(c, 0, y + 2 + i, c->w, L' ', st);
		for (k = 0; k < ui->olay.n; k++) {
			int col = ui->ocols[ui->olay.col[k]];
			const struct tl_coldesc *dd = &d[ui->olay.col[k]];

			tl_canvas_put(c, ui->olay.x[k], y + 2 + i, ui->olay.w[k], rowcells[i][col],
				      sel ? st : (col == TL_OC_QUEUE && row->full) ? TL_ST_FAIL : st,
				      dd->align, dd->trunc);
		}
	}
	if (!len && rows > 0)
		tl_canvas_print(c, 1, y + 2, ui->open_note[0] ? ui->open_note :
				!ui->ov || !tl_open_view_ready(ui->ov) ? "(waiting for the first snapshot)" :
				ui->filter ? "(no open socket matches the filter)" :
				ui->ogroup == TL_OGROUP_LISTEN ? "(no listening socket)" :
				"(no open connection)", TL_ST_DIM);
}
