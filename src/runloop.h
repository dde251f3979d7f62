/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one loop every front end runs over a source (src/source.h): the
 * source drained when its fd wakes and on a timer as well (the live ring
 * buffer batches its wake-ups), signals, and whatever fds the front end
 * adds (the terminal, the metrics server, a slow stdout). Front ends give
 * callbacks; the loop knows nothing of what they show. A finite source (a
 * recording) is drained in bounded batches, so keys and signals stay
 * prompt, and its end can end the loop.
 */
#ifndef TCPLENS_RUNLOOP_H
#define TCPLENS_RUNLOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "source.h"

/* What a callback returns besides 0 (go on): any other value ends the loop
 * and tl_run_go returns it. */
#define TL_RUN_QUIT 1		/* a signal, or q */

struct tl_run {
	/* set by the front end before tl_run_init */
	struct tl_source *src;
	tl_record_cb on_record;		/* each record drained */
	void *ctx;			/* for every callback */
	int (*after_drain)(void *ctx, int n);	/* n records came (n may be 0); NULL: none */
	int (*on_tick)(void *ctx);	/* every drain period, after its drain; NULL: none */
	int (*on_quit)(void *ctx);	/* SIGINT, SIGTERM, SIGHUP, SIGQUIT; NULL: quit */
	int (*on_winch)(void *ctx);	/* SIGWINCH; NULL: ignored */
	bool end_stops;			/* a finite source read to its end ends the loop */
	/* the loop, for the front end's own fds and timers */
	struct tl_loop *loop;
};

/* Creates the loop: the source's fd, the drain timer, the signals. 0 or -errno. */
int tl_run_init(struct tl_run *r);
/* One drain, then after_drain. What the loop calls; front ends call it too
 * (before the first draw, at the end). Returns after_drain's value, or a
 * negative -errno when the source failed. */
int tl_run_drain(struct tl_run *r);
/* Runs until a callback ends it; returns that value, or -errno. */
int tl_run_go(struct tl_run *r);
/* Everything still queued (at the end, before the totals): drains until
 * nothing comes. 0 or -errno. */
int tl_run_drain_all(struct tl_run *r);
void tl_run_fini(struct tl_run *r);

#endif
