// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tl-hold: opens many loopback connections at once, holds them, closes them
 * all, for the many-sockets part of tests/bench/run.
 *
 * -n connections (2 sockets each) from source addresses 127.0.0.1..A to P
 * listener ports on 127.0.0.1. Both ends of a connection live in the same
 * worker process; there are as many workers as RLIMIT_NOFILE's hard limit
 * requires (the soft limit is raised to it; raising the hard one needs
 * CAP_SYS_RESOURCE). Workers open their connections one after the other,
 * non-blocking, in batches that the listeners' backlogs can hold, each batch
 * accepted before the next, so no SYN is ever dropped.
 *
 * Driven over stdin and stdout, one JSON object per output line:
 *   {"type":"ready",...,"ports":[...]}   then it waits for a line on stdin
 *   {"type":"open",...}                   every connection established; waits
 *                                         for a line (or EOF) on stdin
 *   {"type":"result",...}                 every socket closed (clients first,
 *                                         so they keep TIME_WAIT)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_PORTS 64
#define MAX_SRC 64
#define BACKLOG 4096
/* Connects in flight per listener before accepting them (< any backlog). */
#define BATCH_PER_PORT 256
#define ACCEPT_TIMEOUT_S 10.0

static struct {
	uint64_t count;
	unsigned int nports;
	unsigned int nsrc;
	bool wait;
} cfg = {
	.count = 100000,
	.nports = 8,
	.nsrc = 8,
};

static int listen_fds[MAX_PORTS];
static uint16_t listen_ports[MAX_PORTS];
static int *cfds, *sfds;
static uint64_t nconnected, naccepted;
static uint64_t connect_errors, accept_errors;
static int last_errno;

/*
 * Raises the soft RLIMIT_NOFILE to the hard one (no privilege needed) and
 * returns how many connections one process can hold: both ends of each,
 * plus the listeners and some slack. Raising the hard limit needs
 * CAP_SYS_RESOURCE, which a container may not grant: so connections are
 * spread over as many processes as that limit requires.
 */
static uint64_t per_process_capacity(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < cfg.nports + 128)
		return 0;
	return (rl.rlim_cur - cfg.nports - 128) / 2;
}

/* Connection j: source 127.0.0.(1 + j % A), listener (j / A) % P. */
static void connect_one(uint64_t j)
{
	struct sockaddr_storage dst;
	socklen_t dlen;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	dlen = bench_loopback(&dst, AF_INET, listen_ports[(j / cfg.nsrc) % cfg.nports], 0);
	if (bench_bind_source(fd, j % cfg.nsrc))
		goto fail;
	if (connect(fd, (struct sockaddr *)&dst, dlen) && errno != EINPROGRESS)
		goto fail;
	cfds[nconnected++] = fd;
	return;
fail:
	last_errno = errno;
	connect_errors++;
	if (fd >= 0)
		close(fd);
}

/* Accepts until every connect made so far is accepted, or a timeout. */
static int accept_all(void)
{
	struct pollfd pfd[MAX_PORTS];
	double deadline = bench_now_s() + ACCEPT_TIMEOUT_S;
	unsigned int i;

	for (i = 0; i < cfg.nports; i++) {
		pfd[i].fd = listen_fds[i];
		pfd[i].events = POLLIN;
	}
	while (naccepted < nconnected) {
		if (bench_now_s() > deadline)
			return -ETIMEDOUT;
		if (poll(pfd, cfg.nports, 100) <= 0)
			continue;
		for (i = 0; i < cfg.nports; i++) {
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
				sfds[naccepted++] = fd;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				last_errno = errno;
				accept_errors++;
			}
		}
	}
	return 0;
}

/* Client ends that are not ESTABLISHED (writable without error) by now. */
static uint64_t count_unconnected(void)
{
	struct pollfd *pfd = calloc(nconnected, sizeof(*pfd));
	uint64_t i, bad = 0;

	if (!pfd)
		return nconnected;
	for (i = 0; i < nconnected; i++) {
		pfd[i].fd = cfds[i];
		pfd[i].events = POLLOUT;
	}
	if (poll(pfd, nconnected, 5000) < 0) {
		free(pfd);
		return nconnected;
	}
	for (i = 0; i < nconnected; i++)
		if (!(pfd[i].revents & POLLOUT) || (pfd[i].revents & (POLLERR | POLLHUP)))
			bad++;
	free(pfd);
	return bad;
}

/* What a worker process tells the parent, over its pipe. */
struct worker_report {
	uint64_t connected;
	uint64_t accepted;
	uint64_t unconnected;
	uint64_t connect_errors;
	uint64_t accept_errors;
	int32_t last_errno;
	int32_t timed_out;
	double cpu_s;
};

static int write_report(int fd, const struct worker_report *r)
{
	return write(fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -EIO;
}

static int read_report(int fd, struct worker_report *r)
{
	ssize_t n;

	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	return n == sizeof(*r) ? 0 : -EIO;
}

/*
 * One worker: connects [first, end), accepts them from the shared listeners
 * (only one worker opens at a time, so it accepts only its own), reports,
 * waits for EOF on close_fd, closes everything (clients first), reports.
 */
static void worker_main(uint64_t first, uint64_t end, int report_fd, int close_fd)
{
	struct worker_report r = { 0 };
	uint64_t j, i, batch = (uint64_t)BATCH_PER_PORT * cfg.nports;
	double cpu0 = bench_cpu_s();
	char c;

	for (j = first; j < end; j += batch) {
		uint64_t k;

		for (k = j; k < end && k < j + batch; k++)
			connect_one(k);
		if (accept_all()) {
			r.timed_out = 1;
			break;
		}
	}
	r.unconnected = count_unconnected();
	r.connected = nconnected;
	r.accepted = naccepted;
	r.connect_errors = connect_errors;
	r.accept_errors = accept_errors;
	r.last_errno = last_errno;
	r.cpu_s = bench_cpu_s() - cpu0;
	for (i = 0; i < cfg.nports; i++)
		close(listen_fds[i]);
	if (write_report(report_fd, &r))
		_exit(1);

	for (;;) {
		ssize_t n = read(close_fd, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	cpu0 = bench_cpu_s();
	for (i = 0; i < nconnected; i++)
		close(cfds[i]);
	for (i = 0; i < naccepted; i++)
		close(sfds[i]);
	r.cpu_s = bench_cpu_s() - cpu0;
	_exit(write_report(report_fd, &r) ? 1 : 0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tl-hold [-n CONNECTIONS] [-A SOURCES] [-P PORTS] [-w]\n"
		"  -n N   connections to open and hold (default 100000; 2 sockets each)\n"
		"  -A N   client source addresses 127.0.0.1..N (default 8, at most %d)\n"
		"  -P N   listener ports on 127.0.0.1 (default 8, at most %d)\n"
		"  -w     wait for a line on stdin before opening (after the ready line)\n"
		"It always waits for a line on stdin (or EOF) between opening and closing.\n",
		MAX_SRC, MAX_PORTS);
}

static int parse_opt(int c, const char *arg)
{
	int err = 0;

	switch (c) {
	case 'n':
		err = bench_parse_u64(arg, 1, 10000000, &cfg.count);
		break;
	case 'A':
		err = bench_parse_uint(arg, 1, MAX_SRC, &cfg.nsrc);
		break;
	case 'P':
		err = bench_parse_uint(arg, 1, MAX_PORTS, &cfg.nports);
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
	struct worker_report r, tot = { 0 };
	double t0, t_open, t_close, cpu_open = 0, cpu_close = 0;
	uint64_t per, nworkers, w, i;
	int close_pipe[2] = { -1, -1 };
	int *report_fds = NULL;
	pid_t *pids = NULL;
	unsigned int nl = 0;
	int err, status = 1, failed = 0;

	if (bench_getopt(argc, argv, "tl-hold", "n:A:P:wh", parse_opt, usage))
		return 2;
	prctl(PR_SET_NAME, "tl-hold", 0, 0, 0);
	per = per_process_capacity();
	if (per < 1) {
		fprintf(stderr, "tl-hold: RLIMIT_NOFILE too low\n");
		return 1;
	}
	if (per > cfg.count)
		per = cfg.count;
	nworkers = (cfg.count + per - 1) / per;
	per = (cfg.count + nworkers - 1) / nworkers;	/* even slices */
	cfds = calloc(per, sizeof(*cfds));
	sfds = calloc(per, sizeof(*sfds));
	report_fds = calloc(nworkers, sizeof(*report_fds));
	pids = calloc(nworkers, sizeof(*pids));
	if (!cfds || !sfds || !report_fds || !pids || pipe2(close_pipe, O_CLOEXEC)) {
		fprintf(stderr, "tl-hold: %s\n", strerror(errno));
		goto cleanup;
	}
	for (nl = 0; nl < cfg.nports; nl++) {
		err = bench_listen(AF_INET, BACKLOG, &listen_fds[nl], &listen_ports[nl]);
		if (err) {
			fprintf(stderr, "tl-hold: listen: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	printf("{\"type\":\"ready\",\"pid\":%d,\"workers\":%" PRIu64 ",\"per_worker\":%" PRIu64
	       ",\"ports\":", getpid(), nworkers, per);
	bench_json_ports(listen_ports, cfg.nports);
	printf("}\n");
	fflush(stdout);
	if (cfg.wait)
		bench_wait_line();

	/* open: one worker after the other, each accepting only its own */
	t0 = bench_now_s();
	for (w = 0; w < nworkers; w++) {
		uint64_t first = w * per, end = first + per < cfg.count ? first + per : cfg.count;
		int rp[2];

		report_fds[w] = -1;
		if (pipe2(rp, O_CLOEXEC)) {
			failed = 1;
			break;
		}
		pids[w] = fork();
		if (pids[w] < 0) {
			close(rp[0]);
			close(rp[1]);
			failed = 1;
			break;
		}
		if (pids[w] == 0) {
			close(rp[0]);
			close(close_pipe[1]);
			worker_main(first, end, rp[1], close_pipe[0]);
		}
		close(rp[1]);
		report_fds[w] = rp[0];
		if (read_report(rp[0], &r)) {
			failed = 1;
			w++;
			break;
		}
		tot.connected += r.connected;
		tot.accepted += r.accepted;
		tot.unconnected += r.unconnected;
		tot.connect_errors += r.connect_errors;
		tot.accept_errors += r.accept_errors;
		if (r.last_errno)
			tot.last_errno = r.last_errno;
		tot.timed_out |= r.timed_out;
		cpu_open += r.cpu_s;
		if (r.timed_out) {
			w++;
			break;
		}
	}
	nworkers = w;
	t_open = bench_now_s() - t0;
	printf("{\"type\":\"open\",\"workers\":%" PRIu64 ",\"connections\":%" PRIu64
	       ",\"accepted\":%" PRIu64 ",\"sockets\":%" PRIu64 ",\"unconnected\":%" PRIu64
	       ",\"connect_errors\":%" PRIu64 ",\"accept_errors\":%" PRIu64
	       ",\"accept_timeout\":%d,\"last_errno\":%d,\"open_s\":%.3f,\"cpu_s\":%.3f}\n",
	       nworkers, tot.connected, tot.accepted, tot.connected + tot.accepted, tot.unconnected,
	       tot.connect_errors, tot.accept_errors, tot.timed_out, tot.last_errno, t_open, cpu_open);
	fflush(stdout);
	bench_wait_line();

	/* close: every worker at once */
	t0 = bench_now_s();
	close(close_pipe[1]);
	close_pipe[1] = -1;
	for (w = 0; w < nworkers; w++) {
		if (report_fds[w] < 0 || read_report(report_fds[w], &r))
			failed = 1;
		else
			cpu_close += r.cpu_s;
	}
	for (w = 0; w < nworkers; w++) {
		int ws;

		if (pids[w] > 0 && (waitpid(pids[w], &ws, 0) < 0 || !WIFEXITED(ws) ||
				    WEXITSTATUS(ws)))
			failed = 1;
	}
	t_close = bench_now_s() - t0;
	printf("{\"type\":\"result\",\"pid\":%d,\"workers\":%" PRIu64 ",\"connections\":%" PRIu64
	       ",\"sessions\":%" PRIu64 ",\"close_s\":%.3f,\"cpu_s\":%.3f,\"failed\":%d}\n",
	       getpid(), nworkers, tot.accepted < tot.connected ? tot.accepted : tot.connected,
	       tot.connected + tot.accepted, t_close, cpu_close, failed);
	fflush(stdout);
	status = (failed || tot.connect_errors || tot.accept_errors || tot.unconnected ||
		  tot.timed_out || tot.accepted != tot.connected || tot.connected != cfg.count);
cleanup:
	for (i = 0; i < nl; i++)
		close(listen_fds[i]);
	if (close_pipe[0] >= 0)
		close(close_pipe[0]);
	if (close_pipe[1] >= 0)
		close(close_pipe[1]);
	free(report_fds);
	free(pids);
	free(cfds);
	free(sfds);
	return status;
}
