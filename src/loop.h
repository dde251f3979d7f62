/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one event loop: epoll over file descriptors (the ring buffer, the
 * terminal), a periodic timer and signals (signalfd). No threads.
 */
#ifndef TCPLENS_LOOP_H
#define TCPLENS_LOOP_H

#include <stdint.h>

struct tl_loop;

/* Return 0 to go on; non-zero stops the loop and tl_loop_run returns it. */
typedef int (*tl_loop_cb)(void *ctx);

struct tl_loop *tl_loop_new(void);			/* NULL + errno */
void tl_loop_free(struct tl_loop *l);
int tl_loop_add_fd(struct tl_loop *l, int fd, tl_loop_cb cb, void *ctx);
/* A periodic timer; a new call replaces the period (and restarts it). */
int tl_loop_set_timer(struct tl_loop *l, uint64_t period_ns, tl_loop_cb cb, void *ctx);
/* SIGINT and SIGTERM call on_quit; SIGWINCH calls on_winch (may be NULL).
 * The signals are blocked for the process and read through a signalfd. */
int tl_loop_set_signals(struct tl_loop *l, tl_loop_cb on_quit, tl_loop_cb on_winch, void *ctx);
/* Runs until a callback returns non-zero; returns that value, or -errno. */
int tl_loop_run(struct tl_loop *l);

#endif
