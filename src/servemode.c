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
#include "runloop.h"
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

int tl_serve_run(const struct tl_options *opt, struct tl_source *src)
{
	struct servemode sm = { .src = src };
	char err[256], where[TL_ENDPOINT_MAX], what[TL_ENDPOINT_MAX + 64];
	struct tl_run run = { .src = src, .on_record = serve_on_record,
			      /* a recording read to its end has nothing more to serve */
			      .end_stops = true };
	int ret, status = 1;

	/* a scraper that hangs up mid-response must not kill us */
	signal(SIGPIPE, SIG_IGN);
	ret = tl_run_init(&run);
	if (ret) {
		tl_log("cannot set up the event loop: %s", strerror(-ret));
		goto cleanup;
	}
	sm.srv = tl_metrics_server_attach(run.loop, opt, src, err, sizeof(err));
	if (!sm.srv) {
		fprintf(stderr, "tcplens: %s\n", err);
		status = 2;
		goto cleanup;
	}
	run.ctx = sm.srv;	/* records go straight to the metrics */
	tl_fmt_endpoint(where, sizeof(where), opt->listen.family, opt->listen.addr,
			opt->listen.port);
	snprintf(what, sizeof(what), "TCP metrics for http://%s/metrics", where);
	tl_source_announce(src, what);

	ret = tl_run_go(&run);
	if (ret < 0)
		tl_log("the event loop failed: %s", strerror(-ret));
	else if (ret == TL_RUN_QUIT)
		status = 0;
cleanup:
	tl_metrics_server_free(sm.srv);
	tl_run_fini(&run);
	return status;
}
