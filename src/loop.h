/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one event loop: epoll over file descriptors (the ring buffer, the
 * terminal), a periodic timer and signals (signalfd). No threads.
 */
#ifndef TCPLENS_LOOP_H
#define TCPLENS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct tl_loop;

/* Return 0 to go on; non-zero stops the loop and tl_loop_run returns it. */
typedef int (*tl_loop_cb)(void *ctx);

struct tl_loop *tl_loop_new(void);			/* NULL + errno */
void tl_loop_free(struct tl_loop *l);
int tl_loop_add_fd(struct tl_loop *l, int fd, tl_loop_cb cb, void *ctx);
/* While on, cb runs when fd is writable (or its reader is gone): for an
 * output that a slow reader holds up. One such fd per loop. */
int tl_loop_watch_out(struct tl_loop *l, int fd, bool on, tl_loop_cb cb, void *ctx);
/* A periodic timer; a new call replaces the period (and restarts it). */
int tl_loop_set_timer(struct tl_loop *l, uint64_t period_ns, tl_loop_cb cb, void *ctx);
/* SIGINT, SIGTERM, SIGHUP (the terminal went away) and SIGQUIT call on_quit,
 * so that every way of being told to stop ends cleanly: the terminal
 * restored, the totals said. SIGWINCH calls on_winch (may be NULL).
 * The signals are blocked for the process and read through a signalfd. */
int tl_loop_set_signals(struct tl_loop *l, tl_loop_cb on_quit, tl_loop_cb on_winch, void *ctx);
/* Runs until a callback returns non-zero; returns that value, or -errno. */
int tl_loop_run(struct tl_loop *l);

#endif
