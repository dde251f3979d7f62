// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The loop drains on the source's fd and on its own timer, whatever the
 * scrapers do: MHD only ever runs non-blocking from the same loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "log.h"
#include "loop.h"
#include "metrics/server.h"
#include "servemode.h"

struct servemode {
	struct tl_source *src;
	struct tl_metrics_server *srv;
};

static void serve_on_record(void *ctx, const struct tl_record *r)
{
	tl_metrics_feed_record(ctx, r);
}

static int serve_drain(struct servemode *sm)
{
	int n = tl_source_drain(sm->src, serve_on_record, sm->srv, 0);

	if (n < 0 && n != -EINTR && n != -EAGAIN) {
		tl_log("reading the ring buffer failed: %s", strerror(-n));
		return -1;
	}
	return 0;
}

static int serve_on_fd(void *ctx)
{
	struct servemode *sm = ctx;
	int ret = serve_drain(sm);

	/* a recording read to its end has nothing more to serve */
	if (!ret && tl_source_ended(sm->src))
		return 1;
	return ret;
}

static int serve_on_timer(void *ctx)
{
	return serve_drain(ctx);
}

static int serve_on_quit(void *ctx)
{
	return 1;
}

int tl_serve_run(const struct tl_options *opt, struct tl_source *src)
{
	struct servemode sm = { .src = src };
	struct tl_loop *loop = tl_loop_new();
	char err[256], where[TL_ENDPOINT_MAX], what[TL_ENDPOINT_MAX + 64];
	int ret, status = 1;

	/* a scraper that hangs up mid-response must not kill us */
	signal(SIGPIPE, SIG_IGN);
	if (!loop) {
		tl_log("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	sm.srv = tl_metrics_server_attach(loop, opt, src, err, sizeof(err));
	if (!sm.srv) {
		fprintf(stderr, "tcplens: %s\n", err);
		status = 2;
		goto cleanup;
	}
	ret = tl_loop_set_signals(loop, serve_on_quit, NULL, &sm);
	if (!ret)
		ret = tl_loop_add_fd(loop, tl_source_fd(src), serve_on_fd, &sm);
	if (!ret)
		ret = tl_loop_set_timer(loop, TL_SOURCE_DRAIN_NS, serve_on_timer, &sm);
	if (ret) {
		tl_log("cannot set up the event loop: %s", strerror(-ret));
		goto cleanup;
	}
	tl_fmt_endpoint(where, sizeof(where), opt->listen.family, opt->listen.addr,
			opt->listen.port);
	snprintf(what, sizeof(what), "TCP metrics for http://%s/metrics", where);
	tl_source_announce(src, what);

	ret = tl_loop_run(loop);
	if (ret < 0)
		tl_log("the event loop failed: %s", strerror(-ret));
	else if (ret == 1)
		status = 0;
cleanup:
	tl_metrics_server_free(sm.srv);
	tl_loop_free(loop);
	return status;
}
