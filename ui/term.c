/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Curses setup and teardown, colours, and copying a canvas to the screen. */
#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "term.h"

/* The one terminal; file-static so that exit and crash paths can restore it. */
static SCREEN *term_screen;
static bool term_color;
static bool handlers_installed;

struct style_attr {
	short fg, bg;		/* colour pair, -1: default */
	attr_t color_attr;	/* with colours */
	attr_t mono_attr;	/* without */
};

static const struct style_attr styles[TL_ST_COUNT] = {
	[TL_ST_NORMAL]       = { -1, -1, A_NORMAL, A_NORMAL },
	[TL_ST_HEADER]       = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[TL_ST_HEADER_SORT]  = { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD },
	[TL_ST_TITLE]        = { -1, -1, A_BOLD, A_BOLD },
	[TL_ST_TITLE_FOCUS]  = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD },
	[TL_ST_SELECTED]     = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[TL_ST_SELECTED_DIM] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_UNDERLINE },
	[TL_ST_STATUS]       = { -1, -1, A_NORMAL, A_NORMAL },
	[TL_ST_STATUS_VALUE] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[TL_ST_WARN]         = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[TL_ST_PAUSED]       = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD },
	[TL_ST_FAIL]         = { COLOR_RED, -1, A_BOLD, A_BOLD },
	[TL_ST_BAR]          = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[TL_ST_KEY]          = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[TL_ST_DIM]          = { COLOR_BLUE, -1, A_NORMAL, A_DIM },
};

static void crash_handler(int sig)
{
	/* not async-signal-safe, but a garbled terminal is worse (htop does the same) */
	if (term_screen)
		endwin();
	term_screen = NULL;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_at_exit(void)
{
	tl_term_close();
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa;
	size_t i;

	if (handlers_installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(restore_at_exit);
	handlers_installed = true;
}

int tl_term_open(bool want_color, bool *color)
{
	int i;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	/* newterm, unlike initscr, returns instead of exiting on a bad $TERM */
	term_screen = newterm(NULL, stdout, stdin);
	if (!term_screen)
		return -ENOTTY;
	install_handlers();
	tl_log_set_direct(false);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL);
	mouseinterval(0);
	term_color = false;
	if (want_color && has_colors() && start_color() == OK) {
		use_default_colors();
		for (i = 1; i < TL_ST_COUNT; i++)
			init_pair((short)i, styles[i].fg, styles[i].bg);
		term_color = true;
	}
	*color = term_color;
	return 0;
}

void tl_term_close(void)
{
	if (!term_screen)
		return;
	endwin();
	delscreen(term_screen);
	term_screen = NULL;
	tl_log_set_direct(true);
}

void tl_term_size(int *w, int *h)
{
	*w = COLS;
	*h = LINES;
}

void tl_term_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row)
		resizeterm(ws.ws_row, ws.ws_col);
}

void tl_term_blit(const struct tl_canvas *c)
{
	int x, y, w = c->w < COLS ? c->w : COLS, h = c->h < LINES ? c->h : LINES;

	for (y = 0; y < h; y++) {
		const struct tl_cell *row = c->cells + (size_t)y * c->w;

		for (x = 0; x < w; x++) {
			const struct style_attr *s = &styles[row[x].style < TL_ST_COUNT ? row[x].style : 0];
			wchar_t wc[2] = { row[x].ch, 0 };
			cchar_t cc;

			if (row[x].ch == TL_WCONT)
				continue;
			setcchar(&cc, wc, term_color ? s->color_attr : s->mono_attr,
				 term_color ? row[x].style : 0, NULL);
			mvadd_wch(y, x, &cc);
		}
	}
	wnoutrefresh(stdscr);
	doupdate();
}

int tl_term_key(int *key, bool *fn, int *mx, int *my)
{
	wint_t wch;
	int r = wget_wch(stdscr, &wch);

	if (r == ERR)
		return 0;
	*key = (int)wch;
	*fn = r == KEY_CODE_YES;
	if (*fn && *key == KEY_MOUSE) {
		MEVENT ev;

		if (getmouse(&ev) != OK || !(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) {
			*mx = *my = -1;
		} else {
			*mx = ev.x;
			*my = ev.y;
		}
	}
	return 1;
}
