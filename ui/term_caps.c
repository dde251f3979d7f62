/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Can this terminal hold a full screen? Asked of terminfo before curses
 * starts, so that a terminal without cursor addressing (TERM=dumb, an
 * editor's shell buffer) gets text snapshots instead of a screen smeared
 * over one line. Apart from term.c: <term.h> defines macros by the hundred.
 */
#include <curses.h>
#include <errno.h>
/* the full path: <term.h> would find our own ui/term.h first */
#include <ncursesw/term.h>
#include <unistd.h>

#include "ui.h"

int tl_monitor_term_check(void)
{
	int err = 0;
	char *cup;

	/* no output: setupterm only reads the terminfo entry */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return -ENOENT;		/* TERM unset or not in terminfo */
	cup = tigetstr("cup");
	del_curterm(cur_term);
	if (!cup || cup == (char *)-1)
		return -ENOTSUP;
	return 0;
}
