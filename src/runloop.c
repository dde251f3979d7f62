// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>

#include "runloop.h"

int tl_run_drain(struct tl_run *r)
{
	size_t max = tl_source_finite(r->src) ? TL_SOURCE_BATCH : 0;
	int n = tl_source_drain(r->src, r->on_record, r->ctx, max);

	if (n < 0 && n != -EINTR && n != -EAGAIN)
		return n;
	return r->after_drain ? r->after_drain(r->ctx, n > 0 ? n : 0) : 0;
}

static int run_on_fd(void *ctx)
{
	struct tl_run *r = ctx;
	int ret = tl_run_drain(r);

	if (!ret && r->end_stops && tl_source_ended(r->src))
		return TL_RUN_QUIT;	/* a recording read to its end: as if interrupted */
	return ret;
}

static int run_on_timer(void *ctx)
{
	struct tl_run *r = ctx;
	int ret = run_on_fd(r);

	if (!ret && r->on_tick)
		ret = r->on_tick(r->ctx);
	return ret;
}

static int run_on_quit(void *ctx)
{
	struct tl_run *r = ctx;

	return r->on_quit ? r->on_quit(r->ctx) : TL_RUN_QUIT;
}

static int run_on_winch(void *ctx)
{
	struct tl_run *r = ctx;

	return r->on_winch ? r->on_winch(r->ctx) : 0;
}

int tl_run_init(struct tl_run *r)
{
	int err;

	r->loop = tl_loop_new();
	if (!r->loop)
		return -errno;
	/* these return -errno and leave errno alone */
	err = tl_loop_set_signals(r->loop, run_on_quit, run_on_winch, r);
	if (!err)
		err = tl_loop_add_fd(r->loop, tl_source_fd(r->src), run_on_fd, r);
	if (!err)
		err = tl_loop_set_timer(r->loop, TL_SOURCE_DRAIN_NS, run_on_timer, r);
	return err;
}

int tl_run_go(struct tl_run *r)
{
	return tl_loop_run(r->loop);
}

int tl_run_drain_all(struct tl_run *r)
{
	int n;

	do {
		n = tl_source_drain(r->src, r->on_record, r->ctx, 0);
		if (n < 0 && n != -EINTR && n != -EAGAIN)
			return n;
	} while (n > 0);
	return 0;
}

void tl_run_fini(struct tl_run *r)
{
	tl_loop_free(r->loop);
	r->loop = NULL;
}
