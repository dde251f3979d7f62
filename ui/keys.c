/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The key map: each key changes the state and says what must happen next
 * (redraw, rebuild the views, quit). Keys act at once, never at the next tick.
 */
#include <curses.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "state.h"

#define KEY_ESC 27
#define KEY_CTRL(c) ((c) & 0x1f)

static const double intervals[] = { 0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 30, 60 };
#define N_INTERVALS (sizeof(intervals) / sizeof(intervals[0]))

static bool text_sort_default_asc(int sort_id, bool dests)
{
	if (dests)
		return sort_id == TL_DCOL_KEY;
	return sort_id == TL_SCOL_COMM || sort_id == TL_SCOL_DIR || sort_id == TL_SCOL_LOCAL ||
	       sort_id == TL_SCOL_REMOTE;
}

/* names and addresses read A to Z; numbers biggest first */
static bool open_sort_default_asc(enum tl_ocol c)
{
	return c == TL_OCOL_COMM || c == TL_OCOL_UNIT || c == TL_OCOL_DIR || c == TL_OCOL_LOCAL ||
	       c == TL_OCOL_REMOTE || c == TL_OCOL_STATE;
}

static void set_open_sort(struct tl_ui *ui, enum tl_ocol c, bool toggle_same)
{
	if (ui->ocol == c && toggle_same) {
		ui->odesc = !ui->odesc;
		return;
	}
	ui->ocol = c;
	ui->odesc = !open_sort_default_asc(c);
}

static void set_sort(struct tl_ui *ui, bool dests, int sort_id, bool toggle_same)
{
	if (dests) {
		if ((int)ui->dcol == sort_id && toggle_same) {
			ui->ddesc = !ui->ddesc;
			return;
		}
		ui->dcol = (enum tl_dcol)sort_id;
		ui->ddesc = !text_sort_default_asc(sort_id, true);
	} else {
		if ((int)ui->scol == sort_id && toggle_same) {
			ui->sdesc = !ui->sdesc;
			return;
		}
		ui->scol = (enum tl_scol)sort_id;
		ui->sdesc = !text_sort_default_asc(sort_id, false);
	}
}

/* Next (dir 1) or previous (dir -1) sortable column of the focused panel. */
static void move_sort(struct tl_ui *ui, int dir)
{
	bool dests = ui->focus == TL_FOCUS_DESTS;
	int n = dests ? TL_DCOL_COUNT : TL_SCOL_COUNT;
	int cur = dests ? (int)ui->dcol : (int)ui->scol;

	if (ui->focus == TL_FOCUS_OPEN) {
		set_open_sort(ui, tl_open_sort_step(ui->ogroup, ui->ocol, dir), false);
		return;
	}
	set_sort(ui, dests, ((cur + dir) % n + n) % n, false);
}

static struct tl_scroll *focused_scroll(struct tl_ui *ui, size_t *len)
{
	if (ui->screen != TL_SCREEN_MAIN) {
		*len = SIZE_MAX / 2;	/* the page clamps it when drawn */
		return &ui->sub;
	}
	if (ui->focus == TL_FOCUS_DESTS) {
		*len = tl_dest_view_len(ui->dv);
		return &ui->dp;
	}
	if (ui->focus == TL_FOCUS_OPEN) {
		*len = tl_open_view_len(ui->ov);
		return &ui->op;
	}
	*len = tl_session_view_len(ui->sv);
	return &ui->sp;
}

static bool scroll_key(struct tl_ui *ui, int key, bool fn)
{
	size_t len;
	struct tl_scroll *s = focused_scroll(ui, &len);
	size_t page = s->rows > 1 ? (size_t)s->rows - 1 : 1;
	size_t *pos = ui->screen == TL_SCREEN_MAIN ? &s->sel : &s->top;

	if (fn) {
		switch (key) {
		case KEY_UP: break;
		case KEY_DOWN: break;
		case KEY_PPAGE: break;
		case KEY_NPAGE: break;
		case KEY_HOME: break;
		case KEY_END: break;
		default: return false;
		}
	} else if (key != 'j' && key != 'k') {
		return false;
	}
	if (key == KEY_UP || (!fn && key == 'k'))
		*pos = *pos ? *pos - 1 : 0;
	else if (key == KEY_DOWN || (!fn && key == 'j'))
		*pos = *pos + 1 < len ? *pos + 1 : (len ? len - 1 : 0);
	else if (key == KEY_PPAGE)
		*pos = *pos > page ? *pos - page : 0;
	else if (key == KEY_NPAGE)
		*pos = *pos + page < len ? *pos + page : (len ? len - 1 : 0);
	else if (key == KEY_HOME)
		*pos = 0;
	else if (key == KEY_END)
		*pos = len ? len - 1 : 0;
	if (ui->screen == TL_SCREEN_MAIN && *pos == 0)
		s->top = 0;	/* back at the top: follow new rows again */
	return true;
}

/* 0, or -ENOSPC when the prompt is full (and says so: never cut silently). */
static int input_add(struct tl_ui *ui, int ch)
{
	size_t n = strlen(ui->input);
	char u[4];
	size_t k;

	if (ch < 0x80) {
		u[0] = (char)ch;
		k = 1;
	} else if (ch < 0x800) {
		u[0] = (char)(0xc0 | (ch >> 6));
		u[1] = (char)(0x80 | (ch & 0x3f));
		k = 2;
	} else if (ch < 0x10000) {
		u[0] = (char)(0xe0 | (ch >> 12));
		u[1] = (char)(0x80 | ((ch >> 6) & 0x3f));
		u[2] = (char)(0x80 | (ch & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | (ch >> 18));
		u[1] = (char)(0x80 | ((ch >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((ch >> 6) & 0x3f));
		u[3] = (char)(0x80 | (ch & 0x3f));
		k = 4;
	}
	if (n + k + 1 > sizeof(ui->input)) {
		tl_ui_message(ui, true, "the prompt takes at most %zu bytes: not added",
			      sizeof(ui->input) - 1);
		return -ENOSPC;
	}
	memcpy(ui->input + n, u, k);
	ui->input[n + k] = '\0';
	return 0;
}

static void input_backspace(struct tl_ui *ui)
{
	size_t n = strlen(ui->input);

	while (n > 0) {
		n--;
		if (((unsigned char)ui->input[n] & 0xc0) != 0x80)
			break;
	}
	ui->input[n] = '\0';
}

static void search(struct tl_ui *ui, const char *text, bool include_cur)
{
	if (!*text)
		return;
	if (!tl_search_next(ui, text, include_cur))
		tl_ui_message(ui, true, "not found: %s", text);
	else
		ui->msg[0] = '\0';
}

/* An empty search prompt keeps the last search for n and F3. */
static void remember_search(struct tl_ui *ui)
{
	if (ui->input[0])
		snprintf(ui->search, sizeof(ui->search), "%s", ui->input);
}

static int prompt_key(struct tl_ui *ui, int key, bool fn)
{
	bool enter = (!fn && (key == '\n' || key == '\r')) || (fn && key == KEY_ENTER);

	if (!fn && key == KEY_ESC) {
		/* the cursor stays on the match, so n goes on from there */
		if (ui->prompt == TL_PROMPT_SEARCH)
			remember_search(ui);
		ui->prompt = TL_PROMPT_NONE;
		return TL_ACT_DRAW;
	}
	if (enter) {
		if (ui->prompt == TL_PROMPT_TIME) {
			if (tl_ui_blank(ui->input)) {
				ui->prompt = TL_PROMPT_NONE;
				return TL_ACT_DRAW;
			}
			if (tl_when_parse(ui->input, &ui->replay_when)) {
				tl_ui_message(ui, true, "not a time: HH:MM[:SS] or YYYY-MM-DD HH:MM[:SS]");
				return TL_ACT_DRAW;	/* fix it or Esc */
			}
			ui->msg[0] = '\0';
			ui->prompt = TL_PROMPT_NONE;
			ui->replay_req = TL_REPLAY_AT;
			return TL_ACT_TIME;
		}
		if (ui->prompt == TL_PROMPT_FILTER) {
			if (tl_ui_set_filter(ui, ui->input))
				return TL_ACT_DRAW;	/* reason shown; fix it or Esc */
			ui->msg[0] = '\0';
			ui->prompt = TL_PROMPT_NONE;
			return TL_ACT_REBUILD;
		}
		remember_search(ui);
		ui->prompt = TL_PROMPT_NONE;
		return TL_ACT_DRAW;
	}
	if (ui->prompt == TL_PROMPT_SEARCH && fn && key == KEY_F(3)) {
		/* F3 F3 in an empty prompt repeats the last search, as n does */
		remember_search(ui);
		search(ui, ui->search, false);
		return TL_ACT_DRAW;
	}
	if ((fn && key == KEY_BACKSPACE) || (!fn && (key == 127 || key == 8))) {
		input_backspace(ui);
	} else if (!fn && key == KEY_CTRL('u')) {
		ui->input[0] = '\0';
	} else if (!fn && key >= 0x20 && key != 0x7f && !(key >= 0x80 && key < 0xa0)) {
		if (input_add(ui, key))
			return TL_ACT_DRAW;	/* the message, not a search of the old text */
	} else {
		return TL_ACT_NONE;
	}
	if (ui->prompt == TL_PROMPT_SEARCH)
		search(ui, ui->input, true);
	return TL_ACT_DRAW;
}

static void open_prompt(struct tl_ui *ui, enum tl_prompt p)
{
	const char *cur = ui->filter ? tl_filter_text(ui->filter) : "";

	ui->prompt = p;
	if (p == TL_PROMPT_FILTER && strlen(cur) >= sizeof(ui->input)) {
		/* a longer -f cannot be edited here: never offer it cut short */
		ui->input[0] = '\0';
		tl_ui_message(ui, true, "the filter in force is longer than the prompt takes "
			      "(%zu bytes): type a new one, or Esc keeps it", sizeof(ui->input) - 1);
	} else if (p == TL_PROMPT_FILTER) {
		snprintf(ui->input, sizeof(ui->input), "%s", cur);
	} else {
		ui->input[0] = '\0';	/* a new search; n or F3 F3 repeats the last one */
	}
}

/* A paused view holds its latency rows: they cannot be regrouped or refiltered. */
static bool held_refuses(struct tl_ui *ui, const char *what)
{
	if (!ui->paused)
		return false;
	/* short: it shares the line with the PAUSED note at 80 columns */
	tl_ui_message(ui, true, "%s: not while paused", what);
	return true;
}

static void change_interval(struct tl_ui *ui, int dir)
{
	size_t i;

	if (dir > 0) {
		for (i = 0; i < N_INTERVALS; i++)
			if (intervals[i] > ui->interval_s + 1e-9) {
				ui->interval_s = intervals[i];
				return;
			}
	} else {
		for (i = N_INTERVALS; i-- > 0;)
			if (intervals[i] < ui->interval_s - 1e-9) {
				ui->interval_s = intervals[i];
				return;
			}
	}
}

/* Keys common to every screen. */
static int global_key(struct tl_ui *ui, int key, bool fn)
{
	if (fn) {
		switch (key) {
		case KEY_F(10):
			return TL_ACT_QUIT;
		case KEY_F(1):
			ui->screen = ui->screen == TL_SCREEN_HELP ? TL_SCREEN_MAIN : TL_SCREEN_HELP;
			ui->sub.top = 0;
			return TL_ACT_DRAW;
		case KEY_HOME:
		case KEY_END:
			/* replaying, as in atop: the start or the end of the recording */
			if (!ui->replay || ui->screen != TL_SCREEN_MAIN)
				return -1;
			ui->replay_req = key == KEY_HOME ? TL_REPLAY_START : TL_REPLAY_END;
			return TL_ACT_TIME;
		}
		return -1;
	}
	switch (key) {
	case KEY_CTRL('c'):
		return TL_ACT_QUIT;
	case 't':
	case 'T':
		/* atop's keys: one interval back, one forward */
		if (!ui->replay)
			return -1;
		ui->replay_req = key == 't' ? TL_REPLAY_BACK : TL_REPLAY_FORWARD;
		return TL_ACT_TIME;
	case 'b':
		if (!ui->replay)
			return -1;
		ui->prompt = TL_PROMPT_TIME;
		ui->input[0] = '\0';
		return TL_ACT_DRAW;
	case 'Z':
	case ' ':
		tl_ui_pause(ui, !ui->paused);
		return ui->paused ? TL_ACT_DRAW : TL_ACT_REBUILD;
	case '+':
		change_interval(ui, 1);
		return TL_ACT_DRAW | TL_ACT_INTERVAL;
	case '-':
		change_interval(ui, -1);
		return TL_ACT_DRAW | TL_ACT_INTERVAL;
	}
	return -1;
}

static int sub_screen_key(struct tl_ui *ui, int key, bool fn)
{
	if (scroll_key(ui, key, fn))
		return TL_ACT_DRAW;
	if (!fn && (key == KEY_ESC || key == 'q' || (key == 'h' && ui->screen == TL_SCREEN_HELP) ||
		    (key == '?' && ui->screen == TL_SCREEN_HELP) ||
		    (key == 'l' && ui->screen == TL_SCREEN_LOG))) {
		ui->screen = TL_SCREEN_MAIN;
		return TL_ACT_DRAW;
	}
	if (!fn && (key == 'h' || key == '?')) {
		ui->screen = TL_SCREEN_HELP;
		ui->sub.top = 0;
		return TL_ACT_DRAW;
	}
	return TL_ACT_NONE;
}

static int main_key(struct tl_ui *ui, int key, bool fn)
{
	if (scroll_key(ui, key, fn))
		return TL_ACT_DRAW;
	if (fn) {
		switch (key) {
		case KEY_F(3):
			open_prompt(ui, TL_PROMPT_SEARCH);
			return TL_ACT_DRAW;
		case KEY_F(4):
			if (!held_refuses(ui, "filter"))
				open_prompt(ui, TL_PROMPT_FILTER);
			return TL_ACT_DRAW;
		case KEY_F(6):
			move_sort(ui, 1);
			return TL_ACT_REBUILD;
		case KEY_ENTER:
			tl_detail_open(ui);
			return TL_ACT_DRAW;
		case KEY_BTAB:
			ui->focus = (ui->focus + TL_FOCUS_COUNT - 1) % TL_FOCUS_COUNT;
			return TL_ACT_DRAW;
		}
		return TL_ACT_NONE;
	}
	switch (key) {
	case 'q':
		return TL_ACT_QUIT;
	case 'h':
	case '?':
		ui->screen = TL_SCREEN_HELP;
		ui->sub.top = 0;
		return TL_ACT_DRAW;
	case 'l':
		ui->screen = TL_SCREEN_LOG;
		ui->sub.top = SIZE_MAX / 2;	/* newest page */
		return TL_ACT_DRAW;
	case '\t':
		ui->focus = (ui->focus + 1) % TL_FOCUS_COUNT;
		return TL_ACT_DRAW;
	case 'o':
		ui->focus = TL_FOCUS_OPEN;
		return TL_ACT_DRAW;
	case '\n':
	case '\r':
		tl_detail_open(ui);
		return TL_ACT_DRAW;
	case KEY_ESC:
		/* as in htop: nothing on the main screen (a stray Esc, or one
		 * too many after a prompt, must not throw the filter away);
		 * an empty filter clears it */
		return TL_ACT_NONE;
	case '\\':
		if (!held_refuses(ui, "filter"))
			open_prompt(ui, TL_PROMPT_FILTER);
		return TL_ACT_DRAW;
	case '/':
		open_prompt(ui, TL_PROMPT_SEARCH);
		return TL_ACT_DRAW;
	case 'n':
		search(ui, ui->search, false);
		return TL_ACT_DRAW;
	case '>':
	case '.':
		move_sort(ui, 1);
		return TL_ACT_REBUILD;
	case '<':
	case ',':
		move_sort(ui, -1);
		return TL_ACT_REBUILD;
	case 'I':
		if (ui->focus == TL_FOCUS_OPEN)
			ui->odesc = !ui->odesc;
		else if (ui->focus == TL_FOCUS_DESTS)
			ui->ddesc = !ui->ddesc;
		else
			ui->sdesc = !ui->sdesc;
		return TL_ACT_REBUILD;
	case 'g':
		if (ui->focus == TL_FOCUS_OPEN) {
			tl_open_set_group(ui, (ui->ogroup + 1) % TL_OGROUP_COUNT);
			return TL_ACT_REBUILD;
		}
		if (held_refuses(ui, "g"))
			return TL_ACT_DRAW;
		ui->group = (ui->group + 1) % TL_GROUP_COUNT;
		ui->dp.sel = ui->dp.top = 0;
		return TL_ACT_REBUILD;
	case 'B':
		return TL_ACT_BPF_STATS | TL_ACT_DRAW;
	case 'w':
		if (held_refuses(ui, "w"))
			return TL_ACT_DRAW;
		ui->win = (ui->win + 1) % TL_WIN_COUNT;
		return TL_ACT_REBUILD;
	}
	return TL_ACT_NONE;
}

/* Every character key, bound or not, clears a one-time message, and the
 * screen shows that at once (not at the next refresh, which may be a
 * minute away or held by a pause). */
static int clear_message(struct tl_ui *ui, int key, bool fn)
{
	if (fn || !ui->msg[0])
		return TL_ACT_NONE;
	ui->msg[0] = '\0';
	return TL_ACT_DRAW;
}

int tl_keys_handle(struct tl_ui *ui, int key, bool fn)
{
	int act, cleared;

	if (ui->prompt != TL_PROMPT_NONE) {
		if (fn && key == KEY_F(10))
			return TL_ACT_QUIT;
		if (!fn && key == KEY_CTRL('c'))
			return TL_ACT_QUIT;
		return prompt_key(ui, key, fn);
	}
	cleared = clear_message(ui, key, fn);
	act = global_key(ui, key, fn);
	if (act >= 0)
		return act | cleared;
	if (ui->screen != TL_SCREEN_MAIN)
		return sub_screen_key(ui, key, fn) | cleared;
	return main_key(ui, key, fn) | cleared;
}

int tl_keys_click(struct tl_ui *ui, int x, int y)
{
	int col;

	if (ui->screen != TL_SCREEN_MAIN)
		return TL_ACT_NONE;
	if (y == ui->shdr_y) {
		col = tl_layout_hit(&ui->slay, x);
		ui->focus = TL_FOCUS_SESSIONS;
		if (col >= 0 && tl_session_cols[col].sort_id >= 0)
			set_sort(ui, false, tl_session_cols[col].sort_id, true);
		return TL_ACT_REBUILD;
	}
	if (y == ui->dhdr_y) {
		col = tl_layout_hit(&ui->dlay, x);
		ui->focus = TL_FOCUS_DESTS;
		if (col >= 0 && tl_dest_cols[col].sort_id >= 0)
			set_sort(ui, true, tl_dest_cols[col].sort_id, true);
		return TL_ACT_REBUILD;
	}
	if (y == ui->ohdr_y && ui->ohdr_y > 0) {
		col = tl_layout_hit(&ui->olay, x);
		ui->focus = TL_FOCUS_OPEN;
		if (col >= 0 && col < ui->nocols)
			set_open_sort(ui, (enum tl_ocol)tl_open_cols[ui->ocols[col]].sort_id, true);
		return TL_ACT_REBUILD;
	}
	if (ui->ohdr_y > 0 && y > ui->ohdr_y && y <= ui->ohdr_y + ui->op.rows) {
		size_t i = ui->op.top + (size_t)(y - ui->ohdr_y - 1);

		ui->focus = TL_FOCUS_OPEN;
		if (i < tl_open_view_len(ui->ov))
			ui->op.sel = i;
		return TL_ACT_DRAW;
	}
	/* a click on a row moves the cursor there */
	if (y > ui->shdr_y && y <= ui->shdr_y + ui->sp.rows) {
		size_t i = ui->sp.top + (size_t)(y - ui->shdr_y - 1);

		ui->focus = TL_FOCUS_SESSIONS;
		if (i < tl_session_view_len(ui->sv))
			ui->sp.sel = i;
		return TL_ACT_DRAW;
	}
	if (y > ui->dhdr_y && y <= ui->dhdr_y + ui->dp.rows) {
		size_t i = ui->dp.top + (size_t)(y - ui->dhdr_y - 1);

		ui->focus = TL_FOCUS_DESTS;
		if (i < tl_dest_view_len(ui->dv))
			ui->dp.sel = i;
		return TL_ACT_DRAW;
	}
	return TL_ACT_NONE;
}
