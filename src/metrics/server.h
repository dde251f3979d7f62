/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics endpoint as one object for a front end: the metrics model,
 * the HTTP server on the front end's loop, and at each scrape the source's
 * drop counters, an open-socket snapshot and the process's CPU time. The
 * front end keeps draining its source and hands every record over with
 * tl_metrics_feed_record; the server never drains.
 */
#ifndef TCPLENS_METRICS_SERVER_H
#define TCPLENS_METRICS_SERVER_H

#include <stddef.h>

#include "cli.h"
#include "loop.h"
#include "record.h"
#include "source.h"

struct tl_metrics_server;

/*
 * Listens on opt->listen and adds its fds (MHD's epoll fd, a timer for
 * timeouts and activity decay) to loop. src is read at scrapes (drops,
 * snapshots) and for cgroup paths; it must outlive the server. NULL with
 * one line for the user in err.
 */
struct tl_metrics_server *tl_metrics_server_attach(struct tl_loop *loop,
						   const struct tl_options *opt,
						   struct tl_source *src, char *err, size_t errlen);
/* No-op for a NULL server, so a front end can call it unconditionally. */
void tl_metrics_feed_record(struct tl_metrics_server *s, const struct tl_record *r);
/* Stops listening; the loop must not run again with its fds. NULL is fine. */
void tl_metrics_server_free(struct tl_metrics_server *s);

#endif
