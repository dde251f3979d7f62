/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The terminal under curses: setup, restore (also on crashes), output, input. */
#ifndef TCPLENS_UI_TERM_H
#define TCPLENS_UI_TERM_H

#include <stdbool.h>

#include "canvas.h"

/* Takes over the terminal; 0 or -errno. *color says whether colours are on. */
int tl_term_open(bool want_color, bool *color);
/* Gives the terminal back. Safe to call more than once. */
void tl_term_close(void);
void tl_term_size(int *w, int *h);
/* Follows a new window size (after SIGWINCH). */
void tl_term_resize(void);
void tl_term_blit(const struct tl_canvas *c);
/* Next pending key without waiting: 1 and the key, or 0 when none.
 * fn: the key is a curses KEY_* code. Mouse clicks come as KEY_MOUSE with *mx, *my. */
int tl_term_key(int *key, bool *fn, int *mx, int *my);

#endif
