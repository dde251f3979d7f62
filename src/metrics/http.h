/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The HTTP side of the metrics endpoint: libmicrohttpd in its epoll mode,
 * driven from the one event loop (no thread of its own). GET (and HEAD) of
 * /metrics and of a small / page; 404 for other paths, 405 for other
 * methods. Connections, their memory and their idle time are bounded, and
 * responses are built in memory and copied to MHD, which writes them
 * without blocking: a stalled scraper costs a connection slot, never the
 * loop's time.
 */
#ifndef TCPLENS_METRICS_HTTP_H
#define TCPLENS_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define TL_HTTP_MAX_CONNECTIONS 16
#define TL_HTTP_TIMEOUT_S 10
#define TL_HTTP_MEMORY_LIMIT (32 * 1024)	/* per connection: request line and headers */

struct tl_http;

/* The body of /metrics for this Accept header (may be NULL): *body stays
 * valid until the next call. Returns 0 or -errno (a 500 then). */
typedef int (*tl_http_metrics_fn)(void *ctx, const char *accept, const char **body, size_t *len,
				  const char **content_type);

/* family 4 or 6, addr in network byte order. NULL with one line in err. */
struct tl_http *tl_http_start(uint8_t family, const uint8_t addr[16], uint16_t port,
			      tl_http_metrics_fn fn, void *ctx, char *err, size_t errlen);
void tl_http_stop(struct tl_http *h);
/* Poll this for readability, then call tl_http_run; also call it now and
 * then (at least every second) so that idle connections time out. */
int tl_http_fd(const struct tl_http *h);
/* Serves what is ready, without blocking. Returns 0 or -EIO. */
int tl_http_run(struct tl_http *h);
/* Requests answered since the start, by status class (tests, diagnostics). */
uint64_t tl_http_requests(const struct tl_http *h);

#endif
