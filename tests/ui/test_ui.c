/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests of the monitor's pieces that need no terminal: the canvas
 * (widths, cutting, control characters, UTF-8 and ASCII line drawing), the
 * column fitter (dropping by priority at 80 and 200 columns), -b tables,
 * the status line's drop counters, blank filters, the help screen's width,
 * and a paused view whose rows the history ring overwrites.
 * Expected values are worked out by hand in the comments.
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/state.h"
#include "tests/unit/tap.h"

static char rowbuf[4096];

static const char *row(const struct tl_canvas *c, int y)
{
	tl_canvas_row_text(c, y, rowbuf, sizeof(rowbuf));
	return rowbuf;
}

static void test_width(void)
{
	is_int(tl_text_width(""), 0, "width of empty text");
	is_int(tl_text_width("abc"), 3, "width of ASCII");
	is_int(tl_text_width("\xc3\xa9t\xc3\xa9"), 3, "width of 'été': 2-byte UTF-8 is one cell");
	is_int(tl_text_width("\xe4\xb8\xad\xe6\x96\x87"), 4, "width of two CJK characters: 4 cells");
	is_int(tl_text_width("a\x1b" "b"), 3, "a control character takes one cell (as '?')");
	is_int(tl_text_width("\xff\xfe"), 2, "malformed bytes: one cell each");
	is_int(tl_text_width("\xe2\x94\x80"), 1, "U+2500 box line: one cell");
}

static void test_canvas_ascii(void)
{
	struct tl_canvas *c = tl_canvas_new(20, 4, false);

	if (!ok(c != NULL, "ASCII canvas 20x4"))
		return;
	is_int(tl_canvas_put(c, 0, 0, 5, "42", TL_ST_NORMAL, TL_AL_RIGHT, TL_TR_TAIL), 5,
	       "right-aligned put fills its width");
	is_str(row(c, 0), "   42", "right alignment");
	tl_canvas_clear(c);
	tl_canvas_put(c, 0, 0, 5, "abcdefgh", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_TAIL);
	is_str(row(c, 0), "abcd~", "tail cut, ASCII mark '~'");
	tl_canvas_put(c, 0, 1, 5, "abcdefgh", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_HEAD);
	is_str(row(c, 1), "~efgh", "head cut keeps the end (addresses: the port stays)");
	tl_canvas_put(c, 0, 2, 1, "abc", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_TAIL);
	is_str(row(c, 2), "~", "width 1: only the mark");
	tl_canvas_clear(c);
	tl_canvas_print(c, 0, 0, "a\x1b[2J\x07" "b\x9b", TL_ST_NORMAL);
	is_str(row(c, 0), "a?[2J?b?", "control characters (C0, C1, ESC) never reach a cell");
	tl_canvas_print(c, 0, 1, "caf\xc3\xa9", TL_ST_NORMAL);
	is_str(row(c, 1), "caf?", "ASCII canvas: non-ASCII shown as '?'");
	tl_canvas_rule(c, 2, "T", TL_ST_DIM, TL_ST_TITLE);
	is_str(row(c, 2), "- T ----------------", "ASCII rule with a title");
	ok(tl_canvas_hline(c) == L'-', "ASCII horizontal line is '-'");
	tl_canvas_print(c, 17, 3, "abcdef", TL_ST_NORMAL);
	is_str(row(c, 3), "                 abc", "print stops at the right edge");
	is_int(tl_canvas_put(c, 25, 3, 5, "x", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_TAIL), 0,
	       "put right of the canvas draws nothing");
	is_int(tl_canvas_put(c, 0, 9, 5, "x", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_TAIL), 0,
	       "put below the canvas draws nothing");
	tl_canvas_free(c);
}

static void test_canvas_utf8(void)
{
	struct tl_canvas *c = tl_canvas_new(12, 4, true);

	if (!ok(c != NULL, "UTF-8 canvas 12x4"))
		return;
	tl_canvas_put(c, 0, 0, 5, "abcdefgh", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_TAIL);
	is_str(row(c, 0), "abcd\xe2\x80\xa6", "tail cut, UTF-8 mark is an ellipsis");
	tl_canvas_put(c, 0, 1, 3, "\xe4\xb8\xad\xe6\x96\x87", TL_ST_NORMAL, TL_AL_LEFT, TL_TR_TAIL);
	is_str(row(c, 1), "\xe4\xb8\xad\xe2\x80\xa6", "a double-width character is never split");
	ok(c->cells[c->w + 1].ch == TL_WCONT, "its second cell is a continuation");
	tl_canvas_rule(c, 2, NULL, TL_ST_DIM, TL_ST_TITLE);
	is_str(row(c, 2), "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	       "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80",
	       "UTF-8 rule is box-drawing U+2500");
	ok(tl_canvas_hline(c) == 0x2500, "UTF-8 horizontal line is U+2500");
	tl_canvas_print(c, 0, 3, "\xc3\xa9\xff", TL_ST_NORMAL);
	is_str(row(c, 3), "\xc3\xa9\xef\xbf\xbd", "UTF-8 canvas keeps e-acute, malformed -> U+FFFD");
	tl_canvas_free(c);
}

/* Session columns with IPv4 and IPv6 widths, as the panel measures them. */
static void session_naturals(int *nat, int addr)
{
	static const int base[TL_SC_COUNT] = {
		[TL_SC_TIME] = 8, [TL_SC_PID] = 6, [TL_SC_COMM] = 16, [TL_SC_DIR] = 3,
		[TL_SC_TX] = 8, [TL_SC_RX] = 8, [TL_SC_LIFE] = 6, [TL_SC_RETR] = 4, [TL_SC_RTT] = 5,
	};

	memcpy(nat, base, sizeof(base));
	nat[TL_SC_LOCAL] = addr;
	nat[TL_SC_REMOTE] = addr;
}

static void test_columns(void)
{
	struct tl_layout l;
	int nat[TL_SC_COUNT];
	char shown[64];
	int i;

	/* IPv4 "192.168.100.200:54321" is 21 wide: 8+6+16+3+21+21+8+8+6+4+5 = 106, +10 gaps */
	session_naturals(nat, 21);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, -1, &l);
	is_int(l.n, TL_SC_COUNT, "200 columns: every session column shown");
	is_int(l.total, 116, "200 columns: natural widths, 116 cells");
	is_int(l.x[TL_SC_REMOTE], 8 + 1 + 6 + 1 + 16 + 1 + 3 + 1 + 21 + 1, "REMOTE starts at 60");

	/* 79 cells: COMM shrinks to 8 (108), then RETR (103), RTT (97), DIR (93),
	 * TIME (84), LIFE (77) drop, lowest priority first */
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 79, -1, &l);
	shown[0] = '\0';
	for (i = 0; i < l.n; i++) {
		strcat(shown, tl_session_cols[l.col[i]].header);
		strcat(shown, " ");
	}
	is_str(shown, "PID COMM LOCAL REMOTE TX RX ", "80 columns: minor columns drop by priority");
	is_int(l.total, 77, "80 columns: 77 cells used");
	is_int(l.w[1], 8, "80 columns: COMM shrunk to its minimum 8");

	/* the sort column is kept (TIME here); then LIFE (86) and RX (77) go instead */
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 79, TL_SCOL_TIME, &l);
	shown[0] = '\0';
	for (i = 0; i < l.n; i++) {
		strcat(shown, tl_session_cols[l.col[i]].header);
		strcat(shown, " ");
	}
	is_str(shown, "TIME PID COMM LOCAL REMOTE TX ", "80 columns, sorted by TIME: TIME stays");

	/* IPv6 endpoints (47) are capped at max_w 42; at 200 all fit: 148 + 10 */
	session_naturals(nat, 47);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, -1, &l);
	is_int(l.n, TL_SC_COUNT, "200 columns, IPv6: every column shown");
	is_int(l.w[TL_SC_LOCAL], 42, "IPv6 endpoint capped at the column's max_w");
	is_int(l.total, 158, "200 columns, IPv6: 158 cells");
	/* 79: every minor column goes (85 left), then LOCAL, the lower of the
	 * two addresses, shrinks by 6 */
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 79, -1, &l);
	is_int(l.n, 2, "80 columns, IPv6: the two addresses are what is left");
	ok(l.n == 2 && l.col[0] == TL_SC_LOCAL && l.col[1] == TL_SC_REMOTE &&
	   l.w[0] == 36 && l.w[1] == 42, "addresses shrink last: LOCAL 36, REMOTE 42");
	is_int(l.total, 79, "80 columns, IPv6: exactly 79 cells");

	/* hit testing: a column owns its cells and the gap after it */
	session_naturals(nat, 21);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, -1, &l);
	is_int(tl_layout_hit(&l, 0), TL_SC_TIME, "click at x 0: TIME");
	is_int(tl_layout_hit(&l, 9), TL_SC_PID, "click at x 9: PID");
	is_int(tl_layout_hit(&l, 150), -1, "click right of the last column: none");

	/* measuring: the panel takes the widest cell with tl_text_width */
	{
		char cells[TL_SC_COUNT][TL_CELL_MAX];
		struct tl_record r = { 0 };

		r.ts_ns = 1700000000ull * 1000000000ull;
		r.family = 6;
		r.dir = TL_REC_ACTIVE;
		r.owner_known = 1;
		r.pid = 4242;
		strcpy(r.comm, "curl");
		memset(r.laddr, 0xab, 16);
		memset(r.raddr, 0xcd, 16);
		r.lport = 54321;
		r.rport = 443;
		tl_session_cells(&r, cells);
		is_int(tl_text_width(cells[TL_SC_LOCAL]), 47,
		       "a full IPv6 endpoint measures 47 (8 groups of 4, 7 colons, [], :port)");
		is_str(cells[TL_SC_REMOTE], "[cdcd:cdcd:cdcd:cdcd:cdcd:cdcd:cdcd:cdcd]:443",
		       "IPv6 endpoint text");
	}
}

static void test_batch_table(void)
{
	static const struct tl_coldesc d[3] = {
		{ "A", TL_AL_LEFT, TL_TR_TAIL, 0, 4, 5, -1 },
		{ "NUM", TL_AL_RIGHT, TL_TR_TAIL, 0, 0, 5, -1 },
		{ "Z", TL_AL_LEFT, TL_TR_TAIL, 0, 0, 5, -1 },
	};
	char (*cells)[TL_MAX_COLS][TL_CELL_MAX] = calloc(2, sizeof(*cells));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!ok(cells && f, "memstream for -b tables"))
		goto out;
	strcpy(cells[0][0], "abcdefgh");	/* wider than max_w 4: printed whole */
	strcpy(cells[0][1], "7");
	strcpy(cells[1][0], "x");
	strcpy(cells[1][1], "12345");
	strcpy(cells[1][2], "end");
	tl_batch_table(f, d, 3, cells, 2);
	fclose(f);
	f = NULL;
	/* widths 8, 5, 3; one blank between; no blanks at line ends */
	is_str(buf, "A          NUM Z\n"
		    "abcdefgh     7\n"
		    "x        12345 end\n", "-b table: whole cells, aligned, no trailing blanks");
out:
	if (f)
		fclose(f);
	free(buf);
	free(cells);
}

static struct tl_record session(uint64_t i)
{
	struct tl_record r = { 0 };

	r.kind = TL_REC_SESSION;
	r.ts_ns = 1700000000ull * 1000000000ull + i * 1000000ull;
	r.family = 4;
	r.dir = TL_REC_ACTIVE;
	r.owner_known = 1;
	r.pid = 1000 + (uint32_t)(i % 97);	/* PID order is not time order */
	strcpy(r.comm, "gen");
	r.laddr[0] = 127;
	r.laddr[3] = 1;
	r.raddr[0] = 127;
	r.raddr[3] = 1;
	r.lport = (uint16_t)(10000 + i % 50000);
	r.rport = 80;
	r.span_ns = 1000 + i;
	return r;
}

static void add_sessions(struct tl_model *m, uint64_t *seq, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct tl_record r = session((*seq)++);

		tl_model_add(m, &r);
	}
}

/* Status line, blank filters, help width, and the paused-view crash. */
static void test_ui_state(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 100 };
	struct tl_options opt = { 0 };
	struct tl_drops drops = { .ringbuf = 1, .map = 2, .missed = 3 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_canvas *c = tl_canvas_new(160, 100, true);
	struct tl_ui ui;
	const char *p;
	uint64_t seq = 0;
	size_t len;
	int y, bad;

	if (!ok(m && c, "model (history 1000) and a 160x100 canvas"))
		goto out;
	opt.interval_s = 1;
	opt.max_dests = 100;
	opt.filter = "  \t ";
	is_int(tl_ui_init(&ui, &opt, m), 0, "init with a blank -f");
	ok(ui.filter == NULL, "a blank -f is no filter");
	is_int(tl_ui_set_filter(&ui, " \t"), 0, "blank text at the prompt is accepted");
	ok(ui.filter == NULL, "and clears the filter");

	tl_status_draw(&ui, c, 0);
	p = strstr(row(c, 0), "dropped 0");
	ok(p != NULL, "status: dropped 0 without drops");
	tl_model_set_drops(m, &drops);
	tl_status_draw(&ui, c, 0);
	p = strstr(row(c, 0), "dropped 3 (ring 1, map 2, missed 3)");
	ok(p != NULL, "status at 160 columns: dropped 3 (ring 1, map 2, missed 3)");
	if (p)
		is_int(c->cells[p - rowbuf + 8].style, TL_ST_WARN, "non-zero drops are highlighted");
	tl_canvas_resize(c, 80, 100);
	tl_status_draw(&ui, c, 0);
	p = strstr(row(c, 0), "drop 3 (ring 1 map 2 missed 3)");
	ok(p != NULL, "status at 80 columns still names every cause, missed included: %s", rowbuf);
	if (p)
		is_int(c->cells[p - rowbuf + 5].style, TL_ST_WARN, "highlighted at 80 columns");
	ok(strstr(row(c, 1), "every 1.00s") != NULL,
	   "at 80 columns the refresh interval moves to the second line: %s", rowbuf);
	tl_canvas_resize(c, 60, 100);
	tl_status_draw(&ui, c, 0);
	p = strstr(row(c, 0), "drop 3");
	ok(p != NULL, "status at 60 columns: the total at least: %s", rowbuf);
	if (p)
		is_int(c->cells[p - rowbuf + 5].style, TL_ST_WARN, "highlighted there too");

	/* help: every line fits 80 columns (x 1 to 78) */
	tl_canvas_resize(c, 80, 100);
	tl_help_draw(&ui, c, 0, 100);
	for (bad = -1, y = 1; y < 100; y++)
		if (c->cells[y * c->w + 79].ch != L' ')
			bad = y;
	ok(bad < 0, "help lines fit in 80 columns (row %d reaches the edge)", bad);

	/* paused view, the ring overwrites its rows */
	add_sessions(m, &seq, 1500);
	tl_ui_update_views(&ui, true);
	len = tl_session_view_len(ui.sv);
	is_int(len, 1000, "newest-first view of a full ring: 1000 rows");
	tl_ui_pause(&ui, true);
	add_sessions(m, &seq, 50);
	is_int(tl_ui_overwritten(&ui), 50, "50 sessions overwritten since the pause");
	ok(tl_session_view_get(ui.sv, len - 1) == NULL, "model contract: the oldest row reads NULL");
	tl_canvas_resize(c, 120, 40);
	ui.sp.sel = ui.sp.top = 0;
	tl_screen_compose(&ui, c);
	ok(ui.paused && !ui.msg[0], "rows on screen still there: the paused view is kept");
	ui.sp.sel = len - 1;		/* End */
	tl_detail_open(&ui);
	ok(ui.screen == TL_SCREEN_MAIN && strstr(ui.msg, "no longer retained"),
	   "Enter on an overwritten row: a message, no detail");
	tl_screen_compose(&ui, c);	/* used to crash */
	ok(strstr(ui.msg, "view renewed") != NULL, "End on overwritten rows renews the view: %s",
	   ui.msg);
	tl_canvas_resize(c, 80, 24);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 1), "PAUSED") && strstr(rowbuf, "view renewed: 50 sessions overwritten"),
	   "at 80 columns the status line shows PAUSED and the whole message: %s", rowbuf);
	tl_canvas_resize(c, 120, 40);
	ok(ui.paused && tl_session_view_get(ui.sv, ui.sp.sel) != NULL,
	   "still paused, the cursor on a retained row");
	is_int(tl_ui_overwritten(&ui), 0, "nothing overwritten since the renewal");
	tl_detail_open(&ui);
	ok(ui.screen == TL_SCREEN_DETAIL, "Enter there opens the detail");
	ui.screen = TL_SCREEN_MAIN;

	/* sorted by PID: overwritten rows are scattered through the view */
	ui.scol = TL_SCOL_PID;
	tl_ui_update_views(&ui, true);
	add_sessions(m, &seq, 300);
	ui.sp.sel = 500;
	ui.sp.top = 490;
	for (bad = 0, y = 0; y < (int)tl_session_view_len(ui.sv); y++)
		bad += !tl_session_view_get(ui.sv, (size_t)y);
	is_int(bad, 300, "sorted paused view: 300 rows read NULL");
	ok(tl_search_next(&ui, "gen", false) && tl_session_view_get(ui.sv, ui.sp.sel),
	   "search skips overwritten rows");
	ui.sp.sel = tl_session_view_len(ui.sv) - 1;
	tl_screen_compose(&ui, c);
	ok(strstr(ui.msg, "view renewed") != NULL, "sorted view renewed too");
	for (bad = 0, y = 0; y < (int)tl_session_view_len(ui.sv); y++)
		bad += !tl_session_view_get(ui.sv, (size_t)y);
	is_int(bad, 0, "no NULL row after the renewal");
	tl_ui_fini(&ui);
out:
	tl_canvas_free(c);
	tl_model_free(m);
}

/* A snapshot: two connections of unit "web.service", a listener whose queue
 * is over its limit and one with room. */
static void open_snapshot(struct tl_ui *ui, uint64_t ts, uint64_t tx_step)
{
	static struct tl_sock socks[4];
	struct tl_open_rate rates[4] = { { 0 } };
	const char *paths[4] = { "/system.slice/web.service", "/system.slice/web.service", NULL, NULL };
	struct tl_snapshot snap = { .ts_ns = ts, .socks = socks, .n = 4, .cap = 4 };
	struct tl_open_input in = { .snap = &snap, .rates = rates, .paths = paths };
	int i;

	memset(socks, 0, sizeof(socks));
	for (i = 0; i < 4; i++) {
		socks[i].cookie = 100 + i;
		socks[i].family = 4;
		socks[i].state = TL_TCP_ESTABLISHED;
		socks[i].dir = TL_SOCK_DIR_ACTIVE;
		socks[i].owner_known = 1;
		socks[i].pid = 4000 + i;
		snprintf(socks[i].comm, sizeof(socks[i].comm), "client%d", i);
		socks[i].laddr[0] = 127;
		socks[i].laddr[3] = 1;
		memcpy(socks[i].raddr, socks[i].laddr, 4);
		socks[i].lport = (uint16_t)(40000 + i);
		socks[i].rport = 8080;
		socks[i].age_known = 1;
		socks[i].age_ns = 3000000000ull;
		rates[i].valid = true;
		rates[i].tx_mbps = tx_step * (i + 1) * 1000;
	}
	socks[2].state = TL_TCP_LISTEN;
	socks[2].lport = 8080;
	socks[2].rport = 0;
	socks[2].accept_queue = 5;
	socks[2].accept_queue_max = 4;
	socks[2].drops = 9;
	socks[3] = socks[2];
	socks[3].cookie = 103;
	socks[3].lport = 9090;
	socks[3].accept_queue = 0;
	socks[3].accept_queue_max = 128;
	socks[3].drops = 0;
	tl_open_view_ingest(ui->ov, &in, NULL);
}

static void test_open_panel(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 100 };
	struct tl_options opt = { .interval_s = 1, .max_dests = 100 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_canvas *c = tl_canvas_new(132, 40, true);
	struct tl_ui ui;
	int y, hdr = -1, k;

	if (!ok(m && c && !tl_ui_init(&ui, &opt, m), "a ui for the Open panel"))
		goto out;
	open_snapshot(&ui, 1000000000000ull, 1000);
	tl_ui_update_views(&ui, true);
	is_int(tl_open_view_len(ui.ov), 2, "two connections (the listener is not one)");
	tl_keys_handle(&ui, 'o', false);
	is_int(ui.focus, TL_FOCUS_OPEN, "o focuses the Open panel");
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 1), "sort TX/s+RX/s desc") != NULL, "status names the Open sort: %s", rowbuf);
	for (y = 0; y < c->h; y++)
		if (strstr(row(c, y), "Open: 2 connections"))
			hdr = y + 1;
	ok(hdr > 0 && strstr(row(c, hdr), "UNIT") && strstr(rowbuf, "TX/s"),
	   "at 132 columns the header has UNIT: %s", hdr > 0 ? rowbuf : "(no Open title)");
	ok(hdr > 0 && strstr(row(c, hdr + 1), "client1") && strstr(rowbuf, "web.service") &&
	   strstr(rowbuf, "2.0 KiB/s"), "top talker first, with its unit: %s", rowbuf);
	tl_canvas_resize(c, 80, 24);
	tl_screen_compose(&ui, c);
	for (hdr = -1, y = 0; y < c->h; y++)
		if (strstr(row(c, y), "Open: 2 connections"))
			hdr = y + 1;
	ok(hdr > 0 && !strstr(row(c, hdr), "UNIT") && strstr(rowbuf, "LOCAL") && strstr(rowbuf, "TX/s"),
	   "at 80 columns UNIT is dropped first: %s", hdr > 0 ? rowbuf : "(no Open title)");
	for (k = 0, y = 0; y < c->h; y++)
		k += strstr(row(c, y), "Sessions") || strstr(rowbuf, "Connect latency") ||
		     strstr(rowbuf, "Open:");
	is_int(k, 3, "80x24: all three panel titles on screen");

	/* F6 walks the grouping's columns after TX/s+RX/s; a header click sorts by it */
	tl_keys_handle(&ui, KEY_F(6), true);
	ok(ui.ocol == TL_OCOL_PID && ui.odesc, "F6: PID, descending");
	tl_keys_handle(&ui, '<', false);
	ok(ui.ocol == TL_OCOL_RATE && ui.odesc, "<: back to TX/s+RX/s");
	tl_keys_handle(&ui, 'I', false);
	ok(ui.ocol == TL_OCOL_RATE && !ui.odesc, "I inverts it");
	tl_keys_handle(&ui, 'I', false);
	tl_screen_compose(&ui, c);
	for (k = 0; k < ui.olay.n; k++)
		if (ui.ocols[ui.olay.col[k]] == TL_OC_COMM)
			break;
	if (ok(k < ui.olay.n, "COMM is on screen at 80 columns")) {
		tl_keys_click(&ui, ui.olay.x[k] + 1, ui.ohdr_y);
		ok(ui.ocol == TL_OCOL_COMM && !ui.odesc, "a click on COMM sorts by it, A to Z");
		tl_ui_update_views(&ui, true);
		ok(!strcmp(tl_open_view_get(ui.ov, 0)->s.comm, "client0"), "client0 first");
		tl_keys_click(&ui, ui.olay.x[k] + 1, ui.ohdr_y);
		ok(ui.ocol == TL_OCOL_COMM && ui.odesc, "a second click inverts");
	}
	ui.ocol = TL_OCOL_RATE;
	ui.odesc = true;

	/* groupings: process, unit, host, listeners */
	tl_keys_handle(&ui, 'g', false);
	tl_keys_handle(&ui, 'g', false);
	tl_ui_update_views(&ui, true);
	ok(tl_open_view_len(ui.ov) == 1 && tl_open_view_get(ui.ov, 0)->count == 2,
	   "by unit: web.service holds both connections");
	tl_keys_handle(&ui, 'g', false);
	tl_keys_handle(&ui, 'g', false);
	tl_ui_update_views(&ui, true);
	is_int(ui.ogroup, TL_OGROUP_LISTEN, "four g: listeners");
	is_int(ui.ocol, TL_OCOL_QUEUE, "listeners sort by QUEUE");
	tl_keys_handle(&ui, KEY_DOWN, true);	/* the cursor off the full one */
	tl_screen_compose(&ui, c);
	for (k = 0, y = 0; y < c->h; y++)
		if (strstr(row(c, y), "5/4 FULL")) {
			k = 1;
			break;
		}
	ok(k && c->cells[y * c->w + 1].style == TL_ST_WARN, "a full queue reads 5/4 FULL, highlighted");
	tl_keys_handle(&ui, KEY_UP, true);
	tl_keys_handle(&ui, '\n', false);
	ok(ui.screen == TL_SCREEN_DETAIL && ui.detail.is_open, "Enter opens the listener's detail");
	tl_screen_compose(&ui, c);
	for (k = 0, y = 0; y < c->h; y++)
		k += strstr(row(c, y), "Queue drops     9") != NULL;
	is_int(k, 1, "the detail shows the queue drops");
	ui.screen = TL_SCREEN_MAIN;

	/* back to connections; pause holds the rows; resume takes the next walk */
	tl_keys_handle(&ui, 'g', false);
	tl_ui_update_views(&ui, true);
	tl_ui_pause(&ui, true);
	tl_ui_update_views(&ui, false);
	ok(tl_open_view_get(ui.ov, 0)->tx_mbps == 2000000, "paused: rows as they were");
	open_snapshot(&ui, 1001000000000ull, 3000);	/* as after resume */
	tl_ui_pause(&ui, false);
	tl_ui_update_views(&ui, true);
	ok(tl_open_view_get(ui.ov, 0)->tx_mbps == 6000000, "resumed: the new walk's rates");
	ui.utf8 = true;
	tl_keys_handle(&ui, '\n', false);
	tl_canvas_resize(c, 132, 40);
	tl_screen_compose(&ui, c);
	for (k = 0, y = 0; y < c->h; y++)
		k += strstr(row(c, y), "TX/s \u2583\u2588") != NULL;
	is_int(k, 1, "the connection's detail draws its two rates as a sparkline");
	/* Tab goes round the three panels */
	ui.screen = TL_SCREEN_MAIN;
	tl_keys_handle(&ui, '\t', false);
	is_int(ui.focus, TL_FOCUS_SESSIONS, "Tab from Open: sessions");
	tl_keys_handle(&ui, '\t', false);
	is_int(ui.focus, TL_FOCUS_DESTS, "then latency");
	tl_keys_handle(&ui, '\t', false);
	is_int(ui.focus, TL_FOCUS_OPEN, "then Open again");
	tl_ui_fini(&ui);
out:
	tl_canvas_free(c);
	tl_model_free(m);
}

int main(void)
{
	/* wcwidth needs a UTF-8 LC_CTYPE; C.UTF-8 is built into glibc */
	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		printf("not ok 1 - a C.UTF-8 locale for wcwidth\n1..1\n");
		return 1;
	}
	test_width();
	test_canvas_ascii();
	test_canvas_utf8();
	test_columns();
	test_batch_table();
	test_ui_state();
	test_open_panel();
	return tap_done();
}
