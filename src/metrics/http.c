// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "clock.h"
#include "format.h"
#include "log.h"
#include "metrics/http.h"

struct tl_http {
	struct MHD_Daemon *d;
	tl_http_metrics_fn fn;
	void *ctx;
	uint64_t requests;
	bool starting;			/* MHD's messages go into start_error, for one line */
	char start_error[160];
	uint64_t last_log_ns;		/* rate limit of MHD's messages (monotonic) */
	uint64_t log_suppressed;
};

/* A peer decides how often MHD has something to say (every aborted request):
 * one message per this interval at most, with a count of the rest. */
#define HTTP_LOG_INTERVAL_NS (10ull * 1000 * 1000 * 1000)

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>tcplens</title></head><body>\n"
	"<h1>tcplens</h1>\n<p><a href=\"/metrics\">/metrics</a>: TCP sessions, connects and "
	"connect latency for Prometheus.</p>\n</body></html>\n";

/* MHD's messages: into the log (the monitor may own the terminal). */
static void http_log(void *cls, const char *fmt, va_list ap)
{
	struct tl_http *h = cls;
	char line[256];
	uint64_t now;
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (h->starting) {
		if (!h->start_error[0])
			snprintf(h->start_error, sizeof(h->start_error), "%s", line);
		return;
	}
	now = tl_clock_mono_ns();
	if (h->last_log_ns && now - h->last_log_ns < HTTP_LOG_INTERVAL_NS) {
		h->log_suppressed++;
		return;
	}
	h->last_log_ns = now;
	if (h->log_suppressed)
		tl_log("metrics server: %s (and %llu more messages in the last %llu s)", line,
		       (unsigned long long)h->log_suppressed,
		       (unsigned long long)(HTTP_LOG_INTERVAL_NS / 1000000000ull));
	else
		tl_log("metrics server: %s", line);
	h->log_suppressed = 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     const void *body, size_t len, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	if (type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int status, const char *text,
				  const char *allow)
{
	return reply(c, status, "text/plain; charset=utf-8", text, strlen(text), allow);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	static int first;
	struct tl_http *h = cls;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET), head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	const char *body, *type;
	size_t len;
	int err;

	/* an early answer to a method we do not serve: its body is never read */
	if (!get && !head) {
		h->requests++;
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "405 method not allowed\n",
				  "GET, HEAD");
	}
	/* the first call only has the headers; answer on the second */
	if (!*req_cls) {
		*req_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;	/* a GET with a body: ignored */
		return MHD_YES;
	}
	h->requests++;
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			     sizeof(index_page) - 1, NULL);
	if (strcmp(url, "/metrics"))
		return reply_text(c, MHD_HTTP_NOT_FOUND, "404 not found: try /metrics\n", NULL);
	err = h->fn(h->ctx, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
		    &body, &len, &type);
	if (err)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "500 out of memory\n", NULL);
	return reply(c, MHD_HTTP_OK, type, body, len, NULL);
}

struct tl_http *tl_http_start(uint8_t family, const uint8_t addr[16], uint16_t port,
			      tl_http_metrics_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct tl_http *h = calloc(1, sizeof(*h));
	char where[TL_ENDPOINT_MAX];
	struct sockaddr *sa;

	tl_fmt_endpoint(where, sizeof(where), family, addr, port);
	if (!h) {
		snprintf(err, errlen, "--listen %s: out of memory", where);
		return NULL;
	}
	h->fn = fn;
	h->ctx = ctx;
	if (family == 6) {
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		memcpy(&sin.sin_addr, addr, 4);
		sa = (struct sockaddr *)&sin;
	}
	/* MHD_start_daemon reports why only through errno (and its logger) */
	errno = 0;
	h->starting = true;
	h->d = MHD_start_daemon(flags, port, NULL, NULL, handle, h,
				MHD_OPTION_SOCK_ADDR, sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)TL_HTTP_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TL_HTTP_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)TL_HTTP_MEMORY_LIMIT,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)16,
				MHD_OPTION_EXTERNAL_LOGGER, http_log, h,
				MHD_OPTION_END);
	h->starting = false;
	if (!h->d) {
		snprintf(err, errlen, "--listen %s: cannot listen there: %s", where,
			 errno ? strerror(errno) :
			 h->start_error[0] ? h->start_error : "libmicrohttpd refused to start");
		free(h);
		return NULL;
	}
	return h;
}

void tl_http_stop(struct tl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

int tl_http_fd(const struct tl_http *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

int tl_http_run(struct tl_http *h)
{
	return MHD_run(h->d) == MHD_YES ? 0 : -EIO;
}

uint64_t tl_http_requests(const struct tl_http *h)
{
	return h->requests;
}
