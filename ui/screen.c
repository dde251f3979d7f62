/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Puts the whole screen together on a canvas. */
#include <stdio.h>
#include <string.h>

#include "state.h"

static const struct {
	const char *key, *label;
} footer[] = {
	{ "F1", "Help " }, { "F3", "Search " }, { "F4", "Filter " }, { "F6", "Sort " },
	{ "F10", "Quit " }, { "Tab", " Focus " }, { "Enter", " Detail " }, { "Space", " Pause " },
	{ "g", " Group " }, { "w", " Window " }, { "l", " Log" },
};

/*
 * Where the prompt text starts so that its end fits in avail cells: 0 when
 * it all fits, else the first character of the longest tail that fits.
 * Walks back from the end, one character at a time: only what is shown
 * is measured, however long the text.
 */
static size_t prompt_start(const char *text, int avail)
{
	size_t end = strlen(text), at = end, k;
	int w = 0;
	char ch[8];

	while (at > 0) {
		k = at - 1;
		while (k > 0 && at - k < 4 && ((unsigned char)text[k] & 0xc0) == 0x80)
			k--;		/* back to the first byte of the character */
		memcpy(ch, text + k, at - k);
		ch[at - k] = '\0';
		w += tl_text_width(ch);
		if (w > avail)
			break;
		at = k;
	}
	return at;
}

/* The prompt scrolls sideways: the cursor (at the end) stays on screen, and a
 * leading marker says that the text goes on to the left. */
static void draw_prompt(const struct tl_ui *ui, struct tl_canvas *c, int y)
{
	int x = tl_canvas_print(c, 0, y, ui->prompt == TL_PROMPT_FILTER ? "Filter: " :
				   ui->prompt == TL_PROMPT_TIME ? "Go to (HH:MM[:SS]): " : "Search: ",
				TL_ST_KEY);
	int avail = c->w - x - 1;	/* the cursor takes the last cell */
	size_t start = prompt_start(ui->input, avail);

	if (start) {
		tl_canvas_fill(c, x, y, 1, c->utf8 ? L'\u2026' : L'<', TL_ST_DIM);
		x++;
		start = prompt_start(ui->input, avail - 1);
	}
	x += tl_canvas_print(c, x, y, ui->input + start, TL_ST_NORMAL);
	tl_canvas_fill(c, x, y, 1, L'_', TL_ST_SELECTED);
	tl_canvas_print(c, x + 2, y, ui->prompt == TL_PROMPT_FILTER ?
			"(Enter applies, Esc cancels, empty clears)" :
			"(F3 next match, Enter or Esc closes, then n next)", TL_ST_DIM);
}

static void draw_footer(const struct tl_ui *ui, struct tl_canvas *c, int y)
{
	size_t i;
	int x = 0;

	tl_canvas_fill(c, 0, y, c->w, L' ', TL_ST_NORMAL);
	if (ui->prompt != TL_PROMPT_NONE) {
		draw_prompt(ui, c, y);
		return;
	}
	/* whole items or none: at 80 columns the last ones go, never half a word */
	for (i = 0; i < sizeof(footer) / sizeof(footer[0]); i++) {
		int w = tl_text_width(footer[i].key) + tl_text_width(footer[i].label);

		if (x + w > c->w)
			break;
		x += tl_canvas_print(c, x, y, footer[i].key, TL_ST_KEY);
		x += tl_canvas_print(c, x, y, footer[i].label, TL_ST_NORMAL);
	}
}

/*
 * The smallest terminal still learns what it needs: the needed size comes
 * first and in the shortest form that fits, the rest as room allows.
 */
static void draw_too_small(struct tl_canvas *c)
{
	char lines[5][96];
	int i, y = 0;

	snprintf(lines[0], sizeof(lines[0]), "Terminal too small (%dx%d): tcplens needs at least %dx%d.",
		 c->w, c->h, TL_MIN_W, TL_MIN_H);
	snprintf(lines[1], sizeof(lines[1]), "Terminal too small: need %dx%d", TL_MIN_W, TL_MIN_H);
	snprintf(lines[2], sizeof(lines[2]), "too small: need %dx%d", TL_MIN_W, TL_MIN_H);
	snprintf(lines[3], sizeof(lines[3]), "need %dx%d", TL_MIN_W, TL_MIN_H);
	snprintf(lines[4], sizeof(lines[4]), "%dx%d", TL_MIN_W, TL_MIN_H);
	for (i = 0; i < 4 && tl_text_width(lines[i]) > c->w; i++)
		;
	tl_canvas_print(c, 0, y++, lines[i], TL_ST_WARN);
	if (i > 0 && y < c->h) {
		snprintf(lines[0], sizeof(lines[0]), "(is %dx%d)", c->w, c->h);
		tl_canvas_print(c, 0, y++, lines[0], TL_ST_NORMAL);
	}
	if (y < c->h)
		tl_canvas_print(c, 0, y++, "Still collecting.", TL_ST_NORMAL);
	if (y < c->h)
		tl_canvas_print(c, 0, y, "q quits.", TL_ST_NORMAL);
}

/*
 * Three panels, top to bottom: sessions, connect latency, open. Each one
 * not focused takes what its rows need, up to a quarter of the body (but
 * title, header and three rows at least); the focused one gets the rest,
 * so at 80x24 it shows nine rows and the others three each.
 */
static void draw_panels(struct tl_ui *ui, struct tl_canvas *c, int y, int body)
{
	int h[TL_FOCUS_COUNT], cap = body / 4, rest = body, i;
	bool shrunk = true;

	h[TL_FOCUS_SESSIONS] = (int)(tl_session_view_len(ui->sv) < (size_t)body ?
				     tl_session_view_len(ui->sv) : (size_t)body) + 2;
	h[TL_FOCUS_DESTS] = (int)(tl_dest_view_len(ui->dv) < (size_t)body ?
				  tl_dest_view_len(ui->dv) : (size_t)body) + 2;
	h[TL_FOCUS_OPEN] = (int)(tl_open_view_len(ui->ov) < (size_t)body ?
				 tl_open_view_len(ui->ov) : (size_t)body) + 2;
	if (cap < 5)
		cap = 5;
	for (i = 0; i < TL_FOCUS_COUNT; i++) {
		if (i == (int)ui->focus)
			continue;
		if (h[i] > cap)
			h[i] = cap;
		if (h[i] < 5)
			h[i] = 5;
		rest -= h[i];
	}
	/* a tiny terminal: the others give way down to title and header */
	while (rest < 5 && shrunk) {
		shrunk = false;
		for (i = 0; i < TL_FOCUS_COUNT && rest < 5; i++) {
			if (i != (int)ui->focus && h[i] > 2) {
				h[i]--;
				rest++;
				shrunk = true;
			}
		}
	}
	h[ui->focus] = rest;
	tl_session_panel_draw(ui, c, y, h[TL_FOCUS_SESSIONS]);
	y += h[TL_FOCUS_SESSIONS];
	tl_dest_panel_draw(ui, c, y, h[TL_FOCUS_DESTS]);
	y += h[TL_FOCUS_DESTS];
	tl_open_panel_draw(ui, c, y, h[TL_FOCUS_OPEN]);
}

void tl_screen_compose(struct tl_ui *ui, struct tl_canvas *c)
{
	int body, y;

	tl_canvas_clear(c);
	if (c->w < TL_MIN_W || c->h < TL_MIN_H) {
		draw_too_small(c);
		return;
	}
	tl_status_draw(ui, c, 0);
	y = TL_STATUS_LINES;
	body = c->h - TL_STATUS_LINES - 1;
	switch (ui->screen) {
	case TL_SCREEN_HELP:
		tl_help_draw(ui, c, y, body);
		break;
	case TL_SCREEN_LOG:
		tl_logview_draw(ui, c, y, body);
		break;
	case TL_SCREEN_DETAIL:
		tl_detail_draw(ui, c, y, body);
		break;
	default:
		/* keys and a pause do not update the views, but the ring moves on */
		tl_ui_renew_if_gone(ui);
		draw_panels(ui, c, y, body);
		break;
	}
	draw_footer(ui, c, c->h - 1);
}
