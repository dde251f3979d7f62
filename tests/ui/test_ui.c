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

	/* sorted by DIR: its header "DIR" and the arrow need 4, over its cap of 3 */
	nat[TL_SC_DIR] = 4;
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, TL_SCOL_DIR, &l);
	for (i = 0; i < l.n && l.col[i] != TL_SC_DIR; i++)
		;
	ok(i < l.n && l.w[i] == 4, "sorted by DIR: the column is 4 wide, room for the arrow (%d)",
	   i < l.n ? l.w[i] : -1);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, -1, &l);
	for (i = 0; i < l.n && l.col[i] != TL_SC_DIR; i++)
		;
	ok(i < l.n && l.w[i] == 3, "not sorted by DIR: capped at 3 (%d)", i < l.n ? l.w[i] : -1);

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

/* Widths grow at once, hold while the wide value is recent, shrink later. */
static void test_colmem(void)
{
	struct tl_colmem m;
	const uint64_t s = 1000000000ull, t0 = 100 * s;
	int nat[2];

	memset(&m, 0, sizeof(m));
	nat[0] = 10, nat[1] = 5;
	tl_colmem_apply(&m, 2, nat, t0);
	ok(nat[0] == 10 && nat[1] == 5, "first draw: the measured widths (%d %d)", nat[0], nat[1]);
	nat[0] = 14, nat[1] = 3;
	tl_colmem_apply(&m, 2, nat, t0 + s);
	ok(nat[0] == 14 && nat[1] == 5, "a wider value grows at once, a narrower one is held "
	   "(%d %d)", nat[0], nat[1]);
	nat[0] = 8, nat[1] = 3;
	tl_colmem_apply(&m, 2, nat, t0 + 4 * s);
	ok(nat[0] == 14 && nat[1] == 5, "4 s after the wide values: both still held (%d %d)",
	   nat[0], nat[1]);
	nat[0] = 8, nat[1] = 3;
	tl_colmem_apply(&m, 2, nat, t0 + 6 * s - 1);
	is_int(nat[0], 14, "just under 5 s since 14 was seen: still 14");
	is_int(nat[1], 3, "6 s since 5 was last seen: column 1 shrinks to 3");
	nat[0] = 8, nat[1] = 3;
	tl_colmem_apply(&m, 2, nat, t0 + 6 * s);
	is_int(nat[0], 8, "5 s without a value of 14: column 0 shrinks to 8");
	nat[0] = 14, nat[1] = 3;
	tl_colmem_apply(&m, 2, nat, t0 + 7 * s);
	is_int(nat[0], 14, "14 again: grows at once");
	nat[0] = 14;
	tl_colmem_apply(&m, 2, nat, t0 + 10 * s);
	nat[0] = 9;
	tl_colmem_apply(&m, 2, nat, t0 + 14 * s);
	is_int(nat[0], 14, "14 still drawn at 10 s: held at 14 s (4 s later)");
	nat[0] = 9;
	tl_colmem_apply(&m, 2, nat, t0 + 15 * s);
	is_int(nat[0], 9, "and shrinks 5 s after it was last drawn");
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

static void type(struct tl_ui *ui, const char *text)
{
	for (; *text; text++)
		tl_keys_handle(ui, (unsigned char)*text, false);
}

/* The newcomer's fixes that need no terminal: keys, prompt, footer, messages. */
static void test_newcomer(void)
{
	struct tl_model_config cfg = { .history = 100, .max_dests = 100 };
	struct tl_options opt = { 0 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_canvas *c = tl_canvas_new(80, 24, true);
	static char big[5000];
	struct tl_ui ui;
	const char *foot;
	int act, x;
	size_t n;

	if (!ok(m && c, "model and an 80x24 canvas"))
		goto out;
	opt.interval_s = 1;
	tl_ui_init(&ui, &opt, m);

	/* Esc on the main screen: nothing (htop); the filter stays */
	is_int(tl_ui_set_filter(&ui, "port=80"), 0, "filter port=80 set");
	act = tl_keys_handle(&ui, 27, false);
	ok(ui.filter && !strcmp(tl_filter_text(ui.filter), "port=80") && !(act & TL_ACT_REBUILD),
	   "Esc on the main screen keeps the filter and rebuilds nothing");
	/* an empty filter clears it */
	tl_keys_handle(&ui, '\\', false);
	ok(ui.prompt == TL_PROMPT_FILTER && !strcmp(ui.input, "port=80"),
	   "\\ opens the filter prompt with the filter in force (%s)", ui.input);
	tl_keys_handle(&ui, 'u' & 0x1f, false);
	act = tl_keys_handle(&ui, '\r', false);
	ok(!ui.filter && ui.prompt == TL_PROMPT_NONE && (act & TL_ACT_REBUILD),
	   "Ctrl-U, Enter: the empty filter clears it");

	/* search: opens empty, n and F3 in the empty prompt repeat the last one */
	tl_keys_handle(&ui, '/', false);
	type(&ui, "abc");
	tl_keys_handle(&ui, '\r', false);
	is_str(ui.search, "abc", "search 'abc' remembered");
	tl_keys_handle(&ui, KEY_F(3), true);
	ok(ui.prompt == TL_PROMPT_SEARCH && ui.input[0] == '\0',
	   "F3 opens the search prompt empty, not with 'abc' to append to (%s)", ui.input);
	type(&ui, "x");
	is_str(ui.input, "x", "the first key is the new search");
	tl_keys_handle(&ui, 27, false);
	is_str(ui.search, "x", "Esc keeps 'x' for n");
	tl_keys_handle(&ui, '/', false);
	tl_keys_handle(&ui, KEY_F(3), true);
	ok(ui.prompt == TL_PROMPT_SEARCH && !strcmp(ui.search, "x"),
	   "F3 in the empty prompt repeats the last search ('%s')", ui.search);
	tl_keys_handle(&ui, '\r', false);
	is_str(ui.search, "x", "Enter on an empty prompt keeps the last search");

	/* long input: 4095 bytes taken, then a clear message, nothing cut */
	memset(big, 'a', sizeof(big) - 1);
	tl_keys_handle(&ui, '\\', false);
	tl_keys_handle(&ui, 'u' & 0x1f, false);
	type(&ui, "port=443 ");
	ui.msg[0] = '\0';
	for (n = 0; n < 4086; n++)
		tl_keys_handle(&ui, ' ', false);
	is_int(strlen(ui.input), 4095, "the prompt takes 4095 bytes");
	ok(!ui.msg[0], "no message while it fits");
	tl_keys_handle(&ui, 'z', false);
	is_int(strlen(ui.input), 4095, "one more is not added");
	ok(strstr(ui.msg, "at most 4095 bytes") && ui.msg_warn, "and the status line says why: %s",
	   ui.msg);
	act = tl_keys_handle(&ui, '\r', false);
	ok(ui.filter && !strncmp(tl_filter_text(ui.filter), "port=443 ", 9),
	   "a 4095-byte filter applies (%.12s...)", ui.filter ? tl_filter_text(ui.filter) : "");

	/* a -f longer than the prompt: never offered cut short; Esc keeps it */
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, "port=443", 8);
	is_int(tl_ui_set_filter(&ui, big), 0, "a 4999-byte filter (as -f could give)");
	tl_keys_handle(&ui, '\\', false);
	ok(ui.prompt == TL_PROMPT_FILTER && !ui.input[0] && strstr(ui.msg, "longer than the prompt"),
	   "\\ opens an empty prompt and says why: %s", ui.msg);
	tl_keys_handle(&ui, 27, false);
	is_int(strlen(tl_filter_text(ui.filter)), 4999, "Esc keeps the whole filter");
	tl_canvas_resize(c, 1000, 24);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 1), "filter port=443 ") && strstr(rowbuf, "...") != NULL,
	   "1000 columns: the filter in the status line is marked as cut (...)");
	tl_canvas_resize(c, 80, 24);

	/* the prompt scrolls: the end of a long text and the cursor stay on screen */
	tl_keys_handle(&ui, '\\', false);
	tl_keys_handle(&ui, 'u' & 0x1f, false);
	for (n = 0; n < 300; n++)
		tl_keys_handle(&ui, "0123456789"[n % 10], false);
	type(&ui, "END");
	tl_screen_compose(&ui, c);
	foot = row(c, 23);
	ok(!strncmp(foot, "Filter: \u2026", 11) && strstr(foot, "789END_") != NULL,
	   "80 columns, 303 characters typed: the prompt shows the end and the cursor: %s", foot);
	for (x = 0; x < 80 && c->cells[23 * 80 + x].ch != L'_'; x++)
		;
	ok(x < 80 && c->cells[23 * 80 + x].style == TL_ST_SELECTED, "the cursor is on screen (x %d)",
	   x);
	tl_keys_handle(&ui, 27, false);
	tl_screen_compose(&ui, c);

	/* footer at 80 columns: whole items only */
	foot = row(c, 23);
	ok(strstr(foot, "Space Pause") && !strstr(foot, " w ") && !strstr(foot, "Gr") &&
	   foot[strlen(foot) - 1] == 'e', "80 columns: the footer ends with a whole item: '%s'", foot);
	tl_canvas_resize(c, 200, 24);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 23), "l Log") != NULL, "200 columns: every footer item: %s", rowbuf);

	/* the sort names its panel */
	ok(strstr(row(c, 1), "sessions sort TIME desc") != NULL, "status: sessions sort TIME desc");
	tl_keys_handle(&ui, '\t', false);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 1), "latency sort P99 desc") != NULL, "Tab: latency sort P99 desc: %s",
	   rowbuf);

	/* an unbound character key clears a one-time message, and redraws */
	tl_ui_message(&ui, true, "not found: x");
	act = tl_keys_handle(&ui, 'y', false);
	ok(!ui.msg[0] && (act & TL_ACT_DRAW), "unbound 'y' clears the message and redraws");
	tl_ui_message(&ui, true, "not found: x");
	act = tl_keys_handle(&ui, 27, false);
	ok(!ui.msg[0] && (act & TL_ACT_DRAW), "Esc clears it too");
	act = tl_keys_handle(&ui, 'y', false);
	is_int(act, TL_ACT_NONE, "with no message, an unbound key does nothing");

	/* too small: the needed size is visible at any size */
	tl_canvas_resize(c, 20, 5);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 0), "40x10") != NULL, "20x5: the needed size on the first line: %s", rowbuf);
	ok(strstr(row(c, 1), "20x5") != NULL, "20x5: the size it has below: %s", rowbuf);
	tl_canvas_resize(c, 10, 1);
	tl_screen_compose(&ui, c);
	is_str(row(c, 0), "need 40x10", "10x1: need 40x10");
	tl_canvas_resize(c, 6, 2);
	tl_screen_compose(&ui, c);
	is_str(row(c, 0), "40x10", "6x2: 40x10");
	tl_canvas_resize(c, 79, 24);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 0), "Sessions") == NULL && strstr(rowbuf, "needs at least 40x10") == NULL,
	   "79x24 is not too small: %s", rowbuf);
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
	test_colmem();
	test_batch_table();
	test_ui_state();
	test_newcomer();
	return tap_done();
}
