/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests of the monitor's pieces that need no terminal: the canvas
 * (widths, cutting, control characters, UTF-8 and ASCII line drawing), the
 * column fitter (dropping by priority at 80 and 200 columns), -b tables,
 * the status line's drop counters, blank filters, the help screen's width,
 * a paused view that holds while the history ring wraps, and the cost of
 * watching.
 * Expected values are worked out by hand in the comments.
 */
#include <errno.h>
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/labels.h"
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

static const char *fake_cgroup(void *ctx, uint64_t id)
{
	switch (id) {
	case 7: return "/system.slice/nginx.service";
	case 8: return "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
	case 9: return "/x/a\001b\377";
	default: return NULL;
	}
}

/* The latency panel's unit rows: unit, shared names told apart, unknowns. */
static void test_unit_keys(void)
{
	struct tl_dest_row row = { 0 };
	char buf[TL_CELL_MAX];

	row.owner_known = 1;
	row.cgroup_id = 7;
	row.cgroup_path = "/system.slice/nginx.service";
	tl_dest_key(buf, sizeof(buf), &row, TL_GROUP_UNIT);
	is_str(buf, "nginx.service", "unit row: the unit name");
	row.unit_shared = 1;
	tl_dest_key(buf, sizeof(buf), &row, TL_GROUP_UNIT);
	is_str(buf, "nginx.service (cgroup 7)", "unit row: a shared name gets its cgroup id");
	row.unit_shared = 0;
	row.cgroup_path = NULL;
	tl_dest_key(buf, sizeof(buf), &row, TL_GROUP_UNIT);
	is_str(buf, "- (cgroup 7)", "unit row: a cgroup with no known path");
	row.owner_known = 0;
	row.cgroup_id = 0;
	tl_dest_key(buf, sizeof(buf), &row, TL_GROUP_UNIT);
	is_str(buf, "-", "unit row: unknown owner or cgroup");
	is_str(tl_dest_key_header(TL_GROUP_UNIT), "UNIT", "unit grouping header");
	is_str(tl_group_name(TL_GROUP_UNIT), "unit", "unit grouping name");
}

/* Session columns with IPv4 and IPv6 widths, as the panel measures them. */
static void session_naturals(int *nat, int addr)
{
	static const int base[TL_SC_COUNT] = {
		[TL_SC_TIME] = 8, [TL_SC_PID] = 6, [TL_SC_COMM] = 16, [TL_SC_UNIT] = 17, [TL_SC_DIR] = 3,
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

	/* IPv4 "192.168.100.200:54321" is 21 wide: 8+6+16+17+3+21+21+8+8+6+4+5 = 123, +11 gaps */
	session_naturals(nat, 21);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, -1, &l);
	is_int(l.n, TL_SC_COUNT, "200 columns: every session column shown");
	is_int(l.total, 134, "200 columns: natural widths, 134 cells");
	is_int(l.x[TL_SC_REMOTE], 8 + 1 + 6 + 1 + 16 + 1 + 17 + 1 + 3 + 1 + 21 + 1, "REMOTE starts at 78");

	/* 132 columns (131 cells): UNIT gives 1 cell (16 is its minimum), COMM 2 */
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 131, -1, &l);
	ok(l.n == TL_SC_COUNT && l.col[3] == TL_SC_UNIT && l.w[3] == 16 && l.w[2] == 14,
	   "132 columns: UNIT kept at 16 cells, COMM at 14");
	/* with loopback endpoints ("127.0.0.1:54321", 15) everything fits whole */
	session_naturals(nat, 15);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 131, -1, &l);
	ok(l.n == TL_SC_COUNT && l.w[3] == 17 && l.total == 122,
	   "132 columns, loopback: UNIT shown whole (17 cells)");
	session_naturals(nat, 21);
	/* 120 columns: UNIT shrinks to 16, COMM to 8, then UNIT is the first to go */
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 119, -1, &l);
	ok(l.n == TL_SC_COUNT - 1 && l.col[3] != TL_SC_UNIT && l.col[3] == TL_SC_DIR,
	   "120 columns: UNIT is the first column dropped");

	/* 79 cells: UNIT shrinks to 16 and COMM to 8, then UNIT (108), RETR (103),
	 * RTT (97), DIR (93), TIME (84), LIFE (77) drop, lowest priority first */
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

	/* IPv6 endpoints (47) are capped at max_w 42; at 200 all fit: 165 + 11 */
	session_naturals(nat, 47);
	tl_layout_fit(tl_session_cols, TL_SC_COUNT, nat, 200, -1, &l);
	is_int(l.n, TL_SC_COUNT, "200 columns, IPv6: every column shown");
	is_int(l.w[TL_SC_LOCAL], 42, "IPv6 endpoint capped at the column's max_w");
	is_int(l.total, 176, "200 columns, IPv6: 176 cells");
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
		struct tl_ui noui = { 0 }, ui = { 0 };

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
		tl_session_cells(&noui, &r, cells);
		is_str(cells[TL_SC_UNIT], "-", "UNIT without a resolver: unknown");
		ui.cgroup_path = fake_cgroup;
		r.cgroup_id = 7;
		tl_session_cells(&ui, &r, cells);
		is_str(cells[TL_SC_UNIT], "nginx.service", "UNIT: the unit of the owner's cgroup");
		r.cgroup_id = 8;
		tl_session_cells(&ui, &r, cells);
		is_str(cells[TL_SC_UNIT], "0123456789ab", "UNIT: a container's short id");
		r.cgroup_id = 9;
		tl_session_cells(&ui, &r, cells);
		is_str(cells[TL_SC_UNIT], "a\\x01b\\xff", "UNIT: control and invalid bytes escaped");
		r.cgroup_id = 99;
		tl_session_cells(&ui, &r, cells);
		is_str(cells[TL_SC_UNIT], "-", "UNIT: an unresolvable cgroup is unknown");
		r.cgroup_id = 0;
		tl_session_cells(&ui, &r, cells);
		is_str(cells[TL_SC_UNIT], "-", "UNIT: cgroup id 0 is unknown");
		r.cgroup_id = 7;
		r.owner_known = 0;
		tl_session_cells(&ui, &r, cells);
		is_str(cells[TL_SC_UNIT], "-", "UNIT: an unknown owner's unit is unknown");
		r.owner_known = 1;
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

/* n connects to 127.0.0.1:80, answered in 1 ms. */
static void add_connects(struct tl_model *m, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct tl_record r = session((uint64_t)i);

		r.kind = TL_REC_CONNECT;
		r.result = TL_REC_OK;
		r.span_ns = 1000000;
		tl_model_add(m, &r);
	}
}

/* Status line, blank filters, help width, and a paused view that holds. */
static void test_ui_state(void)
{
	struct tl_model_config cfg = { .history = 1000, .max_dests = 100 };
	struct tl_options opt = { 0 };
	struct tl_drops drops = { .ringbuf = 1, .map = 2, .missed = 3 };
	struct tl_model *m = tl_model_new(&cfg);
	struct tl_canvas *c = tl_canvas_new(160, 100, true);
	struct tl_ui ui;
	const char *p;
	static uint64_t shown[1000];
	uint64_t seq = 0;
	size_t len;
	int y, bad;

	if (!ok(m && c, "model (history 1000) and a 160x100 canvas"))
		goto out;
	opt.interval_s = 1;
	opt.max_dests = 100;
	opt.filter = "  \t ";
	is_int(tl_ui_init(&ui, &opt, m), 0, "init with a blank -f");
	ui.utf8 = true;
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
	p = strstr(row(c, 0), "drop 3 (ring 1, map 2, missed 3)");
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

	/* paused: the ring wraps 2.5 times underneath, the view holds */
	add_sessions(m, &seq, 1500);
	tl_ui_update_views(&ui, true);
	len = tl_session_view_len(ui.sv);
	is_int(len, 1000, "newest-first view of a full ring: 1000 rows");
	add_connects(m, 10);
	tl_ui_update_views(&ui, true);
	ok(tl_dest_view_len(ui.dv) == 1 && tl_dest_view_get(ui.dv, 0)->connects == 10,
	   "latency panel: one destination, 10 connects");
	for (y = 0; y < 1000; y++)
		shown[y] = tl_session_view_get(ui.sv, (size_t)y)->ts_ns;
	/* arrived after the last refresh, never shown: they overwrite the 7
	 * oldest rows shown, which the held copy cannot have */
	add_sessions(m, &seq, 7);
	len -= 7;
	tl_ui_pause(&ui, true);
	ok(ui.paused && ui.held && tl_dest_view_held(ui.dv), "Z: paused, sessions and latency rows held");
	add_sessions(m, &seq, 2500);
	add_connects(m, 5);
	is_int(tl_model_history_len(m), 1000, "the live ring is still full (it wrapped)");
	tl_ui_update_views(&ui, false);		/* a refresh tick while paused */
	tl_canvas_resize(c, 120, 40);
	ui.sp.sel = ui.sp.top = 0;
	tl_screen_compose(&ui, c);
	ok(!ui.msg[0], "nothing renewed, no message: %s", ui.msg);
	is_int(tl_session_view_len(ui.sv), len, "paused: the 993 rows still retained at the pause");
	for (bad = 0, y = 0; y < (int)len; y++) {
		const struct tl_record *r = tl_session_view_get(ui.sv, (size_t)y);

		bad += !r || r->ts_ns != shown[y];
	}
	is_int(bad, 0, "paused: every row readable and the same as before the pause");
	ok(strstr(row(c, 1), "PAUSED \u00b7 2,507 new sessions, 5 connects since pause") != NULL,
	   "the status says in words what arrived since: %s", rowbuf);
	ok(!strstr(rowbuf, "old") && !strstr(rowbuf, "overwritten"), "no 'old', no 'overwritten'");
	ok(tl_dest_view_get(ui.dv, 0)->connects == 10, "latency panel held: still 10 connects");
	ui.sp.sel = len - 1;		/* End */
	tl_screen_compose(&ui, c);
	is_int(tl_session_view_get(ui.sv, ui.sp.sel)->ts_ns, shown[len - 1],
	       "End: the oldest held row, as it was");
	tl_detail_open(&ui);
	ok(ui.screen == TL_SCREEN_DETAIL && ui.detail.rec.ts_ns == shown[len - 1],
	   "Enter on the oldest held row opens its detail");
	ui.screen = TL_SCREEN_MAIN;
	tl_canvas_resize(c, 80, 24);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 1), "PAUSED \u00b7 +2,507 sess ") != NULL, "at 80 columns, shorter: %s", rowbuf);
	/* the panel's name in the sort line takes room: the connects show from 110 */
	tl_canvas_resize(c, 110, 24);
	tl_screen_compose(&ui, c);
	ok(strstr(row(c, 1), "PAUSED \u00b7 +2,507 sess +5 conn") != NULL, "at 110 columns: %s", rowbuf);
	tl_canvas_resize(c, 80, 24);
	tl_keys_handle(&ui, 'g', false);
	tl_screen_compose(&ui, c);
	ok(ui.group == TL_GROUP_DEST && strstr(row(c, 1), "PAUSED") &&
	   strstr(rowbuf, "g: not while paused"),
	   "g while paused: refused, the whole message at 80 columns: %s", rowbuf);
	ui.msg[0] = '\0';

	/* sort keys reorder what is held; nothing new comes in */
	tl_canvas_resize(c, 120, 40);
	ui.scol = TL_SCOL_PID;
	ui.dcol = TL_DCOL_CONNECTS;
	tl_ui_update_views(&ui, true);
	{
		uint64_t sum = 0, want = 0;

		for (y = 0; y < (int)len; y++) {
			want += shown[y];
			sum += tl_session_view_get(ui.sv, (size_t)y)->ts_ns;
		}
		ok(tl_session_view_len(ui.sv) == len && sum == want,
		   "sorted by PID while paused: the same 993 held sessions");
	}
	ok(tl_dest_view_get(ui.dv, 0)->connects == 10, "latency re-sorted while paused: still held");
	ok(tl_search_next(&ui, "gen", false) && tl_session_view_get(ui.sv, ui.sp.sel),
	   "search in the held view");
	is_int(tl_ui_set_filter(&ui, "port=80"), -EBUSY, "a filter is refused while paused");
	ok(strstr(ui.msg, "not while paused") != NULL, "and says why: %s", ui.msg);
	ui.msg[0] = '\0';

	/* resume: the live views */
	ui.scol = TL_SCOL_TIME;
	ui.sp.sel = ui.sp.top = 0;
	tl_ui_pause(&ui, false);
	ok(!ui.paused && !ui.held && !tl_dest_view_held(ui.dv), "Z again: resumed, nothing held");
	ok(tl_session_view_get(ui.sv, 0)->ts_ns == session(seq - 1).ts_ns,
	   "resumed: the newest live session on top");
	is_int(tl_dest_view_get(ui.dv, 0)->connects, 15, "resumed: the latency panel counts 15");

	/* live, sorted, the ring overwrites rows between refreshes: renewed */
	ui.scol = TL_SCOL_PID;
	tl_ui_update_views(&ui, true);
	add_sessions(m, &seq, 300);
	ui.sp.sel = tl_session_view_len(ui.sv) - 1;
	tl_screen_compose(&ui, c);
	for (bad = 0, y = 0; y < (int)tl_session_view_len(ui.sv); y++)
		bad += !tl_session_view_get(ui.sv, (size_t)y);
	is_int(bad, 0, "live sorted view: overwritten rows renewed before drawing");
	tl_ui_fini(&ui);
out:
	tl_canvas_free(c);
	tl_model_free(m);
}

/* The cost of watching: rates over the interval, unknown until measured. */
static void test_cost(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_canvas *c = tl_canvas_new(160, 4, true);
	struct tl_options opt = { .interval_s = 1 };
	struct tl_cost k;
	struct tl_ui ui;
	uint64_t bpf = 1000000;

	tl_cost_init(&k);
	ok(k.cpu_pct < 0 && k.events_rate < 0 && !k.bpf_on, "nothing known before two samples");
	tl_cost_sample(&k, 1000000000, 5000000, 100, NULL);
	ok(k.cpu_pct < 0 && k.events_rate < 0, "one sample: still unknown");
	/* 2 s later: 10 ms of CPU, 4000 events */
	tl_cost_sample(&k, 3000000000, 15000000, 4100, NULL);
	ok(k.cpu_pct > 0.4999 && k.cpu_pct < 0.5001, "10 ms CPU in 2 s: 0.5%% (%.4f)", k.cpu_pct);
	ok(k.events_rate > 1999.9 && k.events_rate < 2000.1, "4000 events in 2 s: 2000/s");
	tl_cost_set_bpf(&k, true);
	tl_cost_sample(&k, 4000000000, 15000000, 4100, &bpf);
	ok(k.bpf_on && k.bpf_ns_per_event < 0 && k.bpf_cpu_pct < 0,
	   "statistics just taken: the first interval is not known");
	is_int((long long)(k.cpu_pct * 1000), 0, "no CPU in that second: 0%%");
	bpf += 2000000;		/* 2 ms of BPF for 1000 events in 1 s */
	tl_cost_sample(&k, 5000000000, 16000000, 5100, &bpf);
	ok(k.bpf_ns_per_event > 1999.9 && k.bpf_ns_per_event < 2000.1, "2 ms / 1000 events: 2000 ns");
	ok(k.bpf_cpu_pct > 0.1999 && k.bpf_cpu_pct < 0.2001, "2 ms in 1 s: 0.2%% of a CPU");
	bpf += 500000;		/* run time, but no events: per event is unknown */
	tl_cost_sample(&k, 6000000000, 16000000, 5100, &bpf);
	ok(k.bpf_ns_per_event < 0 && k.bpf_cpu_pct > 0.0499 && k.bpf_cpu_pct < 0.0501,
	   "no events: no ns/event figure, the CPU share still");
	tl_cost_sample(&k, 6000000000, 17000000, 5200, &bpf);
	ok(k.events_rate == 0 && k.bpf_cpu_pct > 0.0499, "a sample at the same instant changes nothing");
	tl_cost_set_bpf(&k, false);
	ok(!k.bpf_on && k.bpf_ns_per_event < 0, "statistics let go: no BPF figures");

	if (!ok(m && c && !tl_ui_init(&ui, &opt, m), "a ui for the status line"))
		goto out;
	tl_status_draw(&ui, c, 0);
	ok(strstr(row(c, 0), "cpu -  - events/s") != NULL, "not measured yet: '-': %s", rowbuf);
	ok(!strstr(rowbuf, "bpf"), "no bpf figure without the statistics");
	tl_cost_sample(&ui.cost, 1000000000, 0, 0, NULL);
	tl_cost_sample(&ui.cost, 2000000000, 3000000, 12345, NULL);
	tl_cost_set_bpf(&ui.cost, true);
	ui.cost.bpf_ns_per_event = 1234.4;
	ui.cost.bpf_cpu_pct = 1.5;
	tl_status_draw(&ui, c, 0);
	ok(strstr(row(c, 0), "cpu 0.3%  12,345 events/s  bpf 1,234 ns/event 1.50%") != NULL,
	   "the cost of watching in words: %s", rowbuf);
	tl_canvas_resize(c, 80, 4);
	tl_status_draw(&ui, c, 0);
	ok(strstr(row(c, 0), "cpu 0.3% 12,345 ev/s bpf 1,234 ns/ev 1.50%") != NULL,
	   "and at 80 columns: %s", rowbuf);
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
	ok(strstr(row(c, 1), "latency sort FAIL% desc") != NULL, "Tab: latency sort FAIL%% desc (the default): %s",
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

/* A row whose connects all timed out shows its time to failure, marked !, and FAIL% 100%. */
static void test_dest_cells(void)
{
	static char cells[TL_DC_COUNT][TL_CELL_MAX];
	struct tl_dest_row r;

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.addr[0] = 10;
	r.addr[3] = 1;
	r.port = 80;
	r.connects = r.timeouts = 817;
	r.ttf_p50_ns = r.ttf_p90_ns = r.ttf_p99_ns = 1020000000ULL;
	r.ttf_max_ns = 3010000000ULL;
	r.ttf_last_ns = 1010000000ULL;
	tl_dest_cells(&r, TL_GROUP_DEST, cells);
	is_str(cells[TL_DC_FAILPCT], "100%", "all timed out: FAIL%% 100%%");
	is_str(cells[TL_DC_P99], "!1.02s", "all timed out: P99 shows the time to failure, marked !");
	is_str(cells[TL_DC_MAX], "!3.01s", "MAX: the longest time to failure");
	is_str(cells[TL_DC_LAST], "!1.01s", "LAST: the newest failure's");
	r.ok = 3;
	r.connects = 4;
	r.timeouts = 1;
	r.p99_ns = 2000000;
	tl_dest_cells(&r, TL_GROUP_DEST, cells);
	is_str(cells[TL_DC_FAILPCT], "25%", "one in four failed: 25%%");
	is_str(cells[TL_DC_P99], "2.00ms", "with answers the latency is shown, unmarked");
	r.ok = r.connects = r.timeouts = 0;
	tl_dest_cells(&r, TL_GROUP_DEST, cells);
	is_str(cells[TL_DC_FAILPCT], "-", "no connect: FAIL%% unknown");
	is_str(cells[TL_DC_P99], "-", "no connect: no latency");
}

/* A bad -f is said on stderr: the user's bytes escaped, a long one cut. */
static void test_bad_filter_echo(void)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_options opt = { .interval_s = 1 };
	static char longf[400];
	struct tl_ui ui;

	opt.filter = "port=\x1b[31mx\x07";
	is_int(tl_ui_init(&ui, &opt, m), -EINVAL, "a bad -f is refused");
	ok(!strchr(ui.msg, '\x1b') && !strchr(ui.msg, '\x07') && strstr(ui.msg, "\\x1b[31mx\\x07"),
	   "ESC and BEL echoed escaped: %s", ui.msg);
	memset(longf, 'a', sizeof(longf) - 1);
	memcpy(longf, "comm=", 5);
	opt.filter = longf;
	is_int(tl_ui_init(&ui, &opt, m), -EINVAL, "a 400-byte bad -f is refused");
	ok(strlen(ui.msg) < 300 && strstr(ui.msg, "..."), "and echoed cut short (%zu bytes)", strlen(ui.msg));
	tl_model_free(m);
}

int main(void)
{
	test_bad_filter_echo();
	test_dest_cells();
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
	test_unit_keys();
	test_batch_table();
	test_ui_state();
	test_cost();
	test_newcomer();
	test_open_panel();
	return tap_done();
}
