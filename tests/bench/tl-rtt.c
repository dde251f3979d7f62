// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tl-rtt: request/response round trips on a few open loopback connections,
 * for the per-round-trip cost in tests/bench/run.
 *
 * -p pairs of connected sockets (TCP_NODELAY on both ends) are set up before
 * anything is measured. Then each pair's client thread writes an -s byte
 * request and reads the -s byte response, -n / PAIRS times; the server
 * thread answers each request. Connections stay open the whole time, so a
 * tracer sees only the per-packet side of TCP: no state changes until the
 * sockets are closed at the end (after the measured part).
 *
 * Output on stdout, one JSON object per line: with -w first
 * {"type":"ready",...} (the connections are already open; then it waits for
 * a line or EOF on stdin), and at the end {"type":"result",...}.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_PAIRS 64
#define MAX_MSG 65536

struct pair {
	int cfd;			/* client end */
	int sfd;			/* server end (accepted) */
	uint64_t rounds;		/* for the client */
	uint64_t done;			/* round trips completed */
	uint64_t answered;		/* requests the server answered */
	int err;			/* first errno seen, 0 if none */
	pthread_t client;
	pthread_t server;
};

static struct {
	int family;
	unsigned int pairs;
	uint64_t count;
	unsigned int msg;
	bool wait;
	char name[16];
} cfg = {
	.family = AF_INET,
	.pairs = 2,
	.count = 100000,
	.msg = 64,
	.name = "tl-rtt",
};

static struct pair pairs[MAX_PAIRS];

/* Exactly n bytes, or -errno (-EPIPE at EOF). */
static int read_full(int fd, char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EPIPE;
		buf += r;
		n -= r;
	}
	return 0;
}

static int write_full(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += w;
		n -= w;
	}
	return 0;
}

static void *client_main(void *arg)
{
	struct pair *p = arg;
	char buf[MAX_MSG];
	int err = 0;

	memset(buf, 'q', cfg.msg);
	while (p->done < p->rounds) {
		err = write_full(p->cfd, buf, cfg.msg);
		if (!err)
			err = read_full(p->cfd, buf, cfg.msg);
		if (err)
			break;
		p->done++;
	}
	if (err && !p->err)
		p->err = -err;
	/* the server sees EOF and ends */
	shutdown(p->cfd, SHUT_WR);
	return NULL;
}

static void *server_main(void *arg)
{
	struct pair *p = arg;
	char buf[MAX_MSG];
	int err;

	for (;;) {
		err = read_full(p->sfd, buf, cfg.msg);
		if (err == -EPIPE)
			break;		/* the client is done */
		if (!err)
			err = write_full(p->sfd, buf, cfg.msg);
		if (err) {
			if (!p->err)
				p->err = -err;
			break;
		}
		p->answered++;
	}
	return NULL;
}

static int set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ? -errno : 0;
}

/* Opens every pair through one listener, which is closed again. */
static int open_pairs(uint16_t *port_out)
{
	struct sockaddr_storage ss;
	socklen_t len = bench_loopback(&ss, cfg.family, 0, 0);
	unsigned int i;
	int lfd, err = 0;

	lfd = socket(cfg.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, MAX_PAIRS)) {
		err = -errno;
		goto cleanup;
	}
	err = bench_bound_port(lfd, port_out);
	if (err)
		goto cleanup;
	len = bench_loopback(&ss, cfg.family, *port_out, 0);
	for (i = 0; i < cfg.pairs; i++) {
		struct pair *p = &pairs[i];

		p->cfd = socket(cfg.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (p->cfd < 0 || set_nodelay(p->cfd) ||
		    connect(p->cfd, (struct sockaddr *)&ss, len)) {
			err = -errno;
			goto cleanup;
		}
		p->sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (p->sfd < 0 || set_nodelay(p->sfd)) {
			err = -errno;
			goto cleanup;
		}
		p->rounds = cfg.count / cfg.pairs + (i < cfg.count % cfg.pairs);
	}
cleanup:
	close(lfd);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tl-rtt [-6] [-p PAIRS] [-n ROUND_TRIPS] [-s BYTES] [-N COMM] [-w]\n"
		"  -6          IPv6 (::1) instead of IPv4 (127.0.0.1)\n"
		"  -p N        connection pairs, one client and one server thread each\n"
		"              (default 2, at most %d)\n"
		"  -n N        round trips over all pairs (default 100000)\n"
		"  -s BYTES    request and response size (default 64, at most %d)\n"
		"  -N COMM     process name (default tl-rtt)\n"
		"  -w          print a ready line once connected, wait for a line on stdin\n"
		"Prints one JSON line of ground truth at the end.\n", MAX_PAIRS, MAX_MSG);
}

static int parse_opt(int c, const char *arg)
{
	int err = 0;

	switch (c) {
	case '6':
		cfg.family = AF_INET6;
		break;
	case 'p':
		err = bench_parse_uint(arg, 1, MAX_PAIRS, &cfg.pairs);
		break;
	case 'n':
		err = bench_parse_u64(arg, 1, UINT64_MAX / 2, &cfg.count);
		break;
	case 's':
		err = bench_parse_uint(arg, 1, MAX_MSG, &cfg.msg);
		break;
	case 'N':
		if (!*arg || strlen(arg) >= sizeof(cfg.name) || strpbrk(arg, "\"\\ "))
			err = -EINVAL;
		else
			strcpy(cfg.name, arg);
		break;
	case 'w':
		cfg.wait = true;
		break;
	default:
		err = -EINVAL;
	}
	return err;
}

int main(int argc, char **argv)
{
	uint64_t done = 0, answered = 0;
	unsigned int i, nc = 0, ns = 0;
	double t0, elapsed, cpu0, cpu;
	uint16_t port = 0;
	int err, first_err = 0;

	if (bench_getopt(argc, argv, "tl-rtt", "6p:n:s:N:wh", parse_opt, usage))
		return 2;
	prctl(PR_SET_NAME, cfg.name, 0, 0, 0);
	for (i = 0; i < MAX_PAIRS; i++)
		pairs[i].cfd = pairs[i].sfd = -1;
	err = open_pairs(&port);
	if (err) {
		fprintf(stderr, "tl-rtt: connecting: %s\n", strerror(-err));
		goto cleanup;
	}
	if (cfg.wait) {
		bench_json_head("ready", cfg.name, cfg.family);
		printf(",\"port\":%u,\"pairs\":%u}\n", port, cfg.pairs);
		fflush(stdout);
		bench_wait_line();
	}
	cpu0 = bench_cpu_s();
	t0 = bench_now_s();
	for (ns = 0; ns < cfg.pairs; ns++) {
		err = pthread_create(&pairs[ns].server, NULL, server_main, &pairs[ns]);
		if (err)
			break;
	}
	for (nc = 0; !err && nc < cfg.pairs; nc++) {
		err = pthread_create(&pairs[nc].client, NULL, client_main, &pairs[nc]);
		if (err)
			break;
	}
	if (err) {
		fprintf(stderr, "tl-rtt: pthread_create: %s\n", strerror(err));
		for (i = 0; i < cfg.pairs; i++)
			shutdown(pairs[i].cfd, SHUT_RDWR);
	}
	for (i = 0; i < nc; i++)
		pthread_join(pairs[i].client, NULL);
	for (i = 0; i < ns; i++)
		pthread_join(pairs[i].server, NULL);
	elapsed = bench_now_s() - t0;
	cpu = bench_cpu_s() - cpu0;
	for (i = 0; i < cfg.pairs; i++) {
		done += pairs[i].done;
		answered += pairs[i].answered;
		if (pairs[i].err && !first_err)
			first_err = pairs[i].err;
	}
	if (!err) {
		bench_json_head("result", cfg.name, cfg.family);
		printf(",\"pairs\":%u,\"msg_bytes\":%u,\"round_trips\":%" PRIu64
		       ",\"answered\":%" PRIu64 ",\"errno\":%d,\"elapsed_s\":%.6f,\"rate\":%.1f"
		       ",\"rtt_us\":%.3f,\"cpu_s\":%.3f}\n",
		       cfg.pairs, cfg.msg, done, answered, first_err, elapsed,
		       elapsed > 0 ? done / elapsed : 0.0,
		       done ? elapsed * 1e6 * cfg.pairs / done : 0.0, cpu);
	}
	fflush(stdout);
	if (!err && (first_err || done != cfg.count))
		err = -EIO;
cleanup:
	for (i = 0; i < MAX_PAIRS; i++) {
		if (pairs[i].cfd >= 0)
			close(pairs[i].cfd);
		if (pairs[i].sfd >= 0)
			close(pairs[i].sfd);
	}
	return err ? 1 : 0;
}
