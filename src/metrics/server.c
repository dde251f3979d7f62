// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "metrics/http.h"
#include "metrics/metrics_expo.h"
#include "metrics/metrics_model.h"
#include "metrics/server.h"
#include "open_filter.h"

/*
 * The open-socket walk costs what the kernel's hash tables cost, whatever
 * the series (about 5-10 ms on a host with 40,000 sockets, most of it in
 * the kernel's bucket scan): scrapes closer together than this reuse the
 * last walk, so a fast scraper cannot multiply it.
 */
#define SERVER_WALK_MIN_NS (5ull * 1000 * 1000 * 1000)

/* MHD's idle timeouts and the activity decay need a tick even when no
 * request comes. */
#define SERVER_TICK_NS (500ull * 1000 * 1000)

struct tl_metrics_server {
	struct tl_metrics *m;
	struct tl_options match;	/* the start filters, listeners included */
	struct tl_http *http;
	struct tl_source *src;
	int timerfd;
	struct tl_snapshot snap[2];	/* this scrape's and the previous one's, in turn */
	int cur;
	bool have_prev;
	bool no_snapshots;		/* the source has none: open gauges stay unknown */
	bool walked;			/* last_walk_ns is valid */
	uint64_t last_walk_ns;		/* monotonic */
	struct tl_mx_buf body;
};

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000ull +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000ull;
}

/* The open-socket gauges come from a walk made for this scrape, or for one
 * less than SERVER_WALK_MIN_NS before it. */
static void server_snapshot(struct tl_metrics_server *s)
{
	struct tl_snapshot *cur = &s->snap[s->cur];
	uint64_t now = tl_clock_mono_ns();
	const char *const *cgroups;
	size_t kept = 0;
	int n;

	if (s->walked && now - s->last_walk_ns < SERVER_WALK_MIN_NS)
		return;
	s->walked = true;
	s->last_walk_ns = now;
	if (s->no_snapshots) {
		tl_metrics_set_open(s->m, NULL);
		return;
	}
	n = tl_source_snapshot(s->src, cur, s->have_prev ? &s->snap[!s->cur] : NULL, &cgroups);
	if (n < 0) {
		if (n == -EOPNOTSUPP)
			s->no_snapshots = true;
		else
			tl_log("metrics: cannot walk the open sockets: %s", strerror(-n));
		tl_metrics_set_open(s->m, NULL);
		return;
	}
	/* the start filters (-p -L -D -4 -6 -c) apply here as in every mode */
	for (size_t i = 0; i < cur->n; i++) {
		if (tl_open_match(&s->match, &cur->socks[i], cgroups[i]))
			cur->socks[kept++] = cur->socks[i];
	}
	cur->n = kept;
	tl_metrics_set_open(s->m, cur);
	s->cur = !s->cur;
	s->have_prev = true;
}

static int server_body(void *ctx, const char *accept, const char **body, size_t *len,
		       const char **type)
{
	struct tl_metrics_server *s = ctx;
	enum tl_mx_format f = tl_mx_negotiate(accept);
	struct tl_drops d;
	int n;

	tl_source_drops(s->src, &d);
	tl_metrics_set_drops(s->m, &d);
	server_snapshot(s);
	tl_metrics_set_cpu(s->m, cpu_ns());
	n = tl_metrics_write(s->m, f, &s->body);
	if (n < 0)
		return n;
	*body = s->body.p;
	*len = s->body.len;
	*type = tl_mx_content_type(f);
	return 0;
}

static int server_on_http(void *ctx)
{
	struct tl_metrics_server *s = ctx;

	if (tl_http_run(s->http))
		tl_log("metrics server: libmicrohttpd failed to run");
	return 0;
}

static int server_on_tick(void *ctx)
{
	struct tl_metrics_server *s = ctx;
	uint64_t expirations;

	if (read(s->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return -errno;
	tl_metrics_tick(s->m, tl_clock_mono_ns());
	return server_on_http(s);
}

struct tl_metrics_server *tl_metrics_server_attach(struct tl_loop *loop,
						   const struct tl_options *opt,
						   struct tl_source *src, char *err, size_t errlen)
{
	struct tl_metrics_config cfg = {
		.max_series = opt->max_series,
		.cgroup_path = tl_source_cgroup_path,
		.cgroup_ctx = src,
	};
	struct itimerspec its = {
		.it_interval = { .tv_nsec = (long)SERVER_TICK_NS },
		.it_value = { .tv_nsec = (long)SERVER_TICK_NS },
	};
	struct tl_metrics_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->src = src;
	s->timerfd = -1;
	s->match = *opt;
	s->match.listeners = true;
	s->m = tl_metrics_new(&cfg);
	if (!s->m) {
		snprintf(err, errlen, "--max-series %zu: %s", opt->max_series, strerror(errno));
		goto fail;
	}
	s->http = tl_http_start(opt->listen.family, opt->listen.addr, opt->listen.port, server_body,
				s, err, errlen);
	if (!s->http)
		goto fail;
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timerfd < 0 || timerfd_settime(s->timerfd, 0, &its, NULL)) {
		snprintf(err, errlen, "metrics server: timer: %s", strerror(errno));
		goto fail;
	}
	ret = tl_loop_add_fd(loop, tl_http_fd(s->http), server_on_http, s);
	if (!ret)
		ret = tl_loop_add_fd(loop, s->timerfd, server_on_tick, s);
	if (ret) {
		snprintf(err, errlen, "metrics server: event loop: %s", strerror(-ret));
		goto fail;
	}
	return s;
fail:
	tl_metrics_server_free(s);
	return NULL;
}

void tl_metrics_feed_record(struct tl_metrics_server *s, const struct tl_record *r)
{
	if (s)
		tl_metrics_add(s->m, r);
}

void tl_metrics_server_free(struct tl_metrics_server *s)
{
	if (!s)
		return;
	tl_http_stop(s->http);
	if (s->timerfd >= 0)
		close(s->timerfd);
	tl_metrics_free(s->m);
	tl_snapshot_free(&s->snap[0]);
	tl_snapshot_free(&s->snap[1]);
	tl_mx_buf_free(&s->body);
	free(s);
}
