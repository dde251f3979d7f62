/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A character grid in memory: the screens are composed here, then copied to
 * curses (ui/term.c) or printed as text (batch, benchmarks). Keeping the
 * composition off curses lets it run on a virtual screen of any size.
 */
#ifndef TCPLENS_UI_CANVAS_H
#define TCPLENS_UI_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

enum tl_style {
	TL_ST_NORMAL = 0,
	TL_ST_HEADER,		/* column headers */
	TL_ST_HEADER_SORT,	/* the sort column's header */
	TL_ST_TITLE,		/* panel title of the unfocused panel */
	TL_ST_TITLE_FOCUS,	/* panel title of the focused panel */
	TL_ST_SELECTED,		/* cursor row of the focused panel */
	TL_ST_SELECTED_DIM,	/* cursor row of the other panel */
	TL_ST_STATUS,		/* status lines */
	TL_ST_STATUS_VALUE,	/* numbers in the status lines */
	TL_ST_WARN,		/* dropped events, errors */
	TL_ST_PAUSED,
	TL_ST_FAIL,		/* failed connects */
	TL_ST_BAR,		/* sparklines and histogram bars */
	TL_ST_KEY,		/* key names in the footer */
	TL_ST_DIM,
	TL_ST_COUNT,
};

enum tl_align { TL_AL_LEFT = 0, TL_AL_RIGHT };
enum tl_trunc { TL_TR_TAIL = 0, TL_TR_HEAD };	/* cut the end / keep the end */

#define TL_WCONT ((wchar_t)-1)	/* second cell of a double-width character */

struct tl_cell {
	wchar_t ch;
	unsigned char style;
};

struct tl_canvas {
	int w, h;
	bool utf8;		/* line-drawing and block characters allowed */
	struct tl_cell *cells;
};

struct tl_canvas *tl_canvas_new(int w, int h, bool utf8);	/* NULL + errno */
void tl_canvas_free(struct tl_canvas *c);
int tl_canvas_resize(struct tl_canvas *c, int w, int h);
void tl_canvas_clear(struct tl_canvas *c);
/* Fill cells [x, x+n) of row y with ch in style. */
void tl_canvas_fill(struct tl_canvas *c, int x, int y, int n, wchar_t ch, enum tl_style st);
/* Restyle cells [x, x+n) of row y, keeping their characters. */
void tl_canvas_style(struct tl_canvas *c, int x, int y, int n, enum tl_style st);
/*
 * Write UTF-8 text into at most `width` cells from (x, y), aligned inside
 * them; text too wide is cut (marked with a tilde or an ellipsis). Control
 * characters never reach a cell. Returns the cells written.
 */
int tl_canvas_put(struct tl_canvas *c, int x, int y, int width, const char *text,
		  enum tl_style st, enum tl_align al, enum tl_trunc tr);
/* Unbounded put to the right edge, left aligned. */
int tl_canvas_print(struct tl_canvas *c, int x, int y, const char *text, enum tl_style st);
/* A horizontal rule with an optional title: "── title ─────". */
void tl_canvas_rule(struct tl_canvas *c, int y, const char *title, enum tl_style st,
		    enum tl_style title_st);
/* Row y as UTF-8 text without trailing blanks. Returns its length. */
size_t tl_canvas_row_text(const struct tl_canvas *c, int y, char *buf, size_t len);

/* Display width of UTF-8 text, as tl_canvas_put would draw it. */
int tl_text_width(const char *text);
/* Horizontal line and ellipsis characters for this canvas. */
wchar_t tl_canvas_hline(const struct tl_canvas *c);

#endif
