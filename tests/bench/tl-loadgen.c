// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tl-loadgen: a loopback TCP storm with exact ground truth, for the tcplens
 * benchmarks and the quick fidelity test.
 *
 * Client threads connect to server threads over loopback, send -s bytes,
 * read to EOF and close; servers read those -s bytes, send -r bytes and close
 * first. So every connection gives tcplens two sessions (one active, one
 * passive) and one connect event, all owned by this process. -x adds connects
 * to a closed port (one refused connect event each, no session).
 *
 * To keep TIME_WAIT (left on the server side, which closes first) from
 * colliding with new connects, connections are spread over several listener
 * ports and, for IPv4, several client source addresses 127.0.0.x.
 *
 * Output on stdout, one JSON object per line: with -w first
 * {"type":"ready",...} (then it waits for a line or EOF on stdin before
 * generating, so a tracer can be started on its pid), and at the end
 * {"type":"result",...} with the counts it observed itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_THREADS 256
#define MAX_PORTS 256
#define MAX_SRC 64
#define IO_CHUNK 65536
/* How long servers wait for connects the clients saw succeed. */
#define SERVER_GRACE_S 10.0
/* Without -n, refused connects go one every this many jobs. */
#define REFUSED_PERIOD 50

struct config {
	int family;			/* AF_INET or AF_INET6 */
	unsigned int clients;
	unsigned int servers;
	unsigned int nports;
	unsigned int nsrc;		/* IPv4 source addresses 127.0.0.1.. */
	uint64_t count;			/* -n; 0: until the duration ends */
	double duration;		/* -T seconds; 0: until the count is made */
	uint64_t send_bytes;		/* -s: client to server, per connection */
	uint64_t recv_bytes;		/* -r: server to client, per connection */
	double rate;			/* -R connections/s; 0: as fast as possible */
	uint64_t refused;		/* -x */
	bool wait;			/* -w */
	const char *name;		/* -N */
};

struct client_stats {
	uint64_t connects_ok;
	uint64_t connects_refused;	/* ECONNREFUSED, asked for or not */
	uint64_t refused_unexpected;	/* ECONNREFUSED from a listener */
	uint64_t connects_error;	/* any other connect failure */
	uint64_t completed;		/* sent, read to EOF, closed */
	uint64_t io_errors;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	int last_errno;
};

struct server_stats {
	uint64_t accepted;
	uint64_t completed;
	uint64_t io_errors;
	uint64_t bytes_sent;
	uint64_t bytes_received;
};

struct worker {
	pthread_t thread;
	unsigned int index;
	union {
		struct client_stats c;
		struct server_stats s;
	};
};

static struct config cfg = {
	.family = AF_INET,
	.clients = 2,
	.servers = 2,
	.nports = 16,
	.nsrc = 4,
	.name = "tl-loadgen",
};

static int listen_fds[MAX_PORTS];
static uint16_t listen_ports[MAX_PORTS];
static uint16_t closed_port;
static struct timespec t_go;
static double t_go_s;

static atomic_uint_fast64_t next_job;
static atomic_uint_fast64_t refused_claimed;
static atomic_uint_fast64_t clients_ok_total;
static atomic_uint_fast64_t servers_accepted_total;
static atomic_bool clients_done;

static char payload[IO_CHUNK];

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A port nobody listens on: bind to an ephemeral one, then let it go. */
static int find_closed_port(uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = bench_loopback(&ss, cfg.family, 0, 0);
	int fd, err;

	fd = socket(cfg.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = bind(fd, (struct sockaddr *)&ss, len) ? -errno : bench_bound_port(fd, port);
	close(fd);
	return err;
}

static int write_all(int fd, uint64_t n, uint64_t *done)
{
	while (n > 0) {
		size_t chunk = n < IO_CHUNK ? n : IO_CHUNK;
		ssize_t w = write(fd, payload, chunk);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n -= w;
		*done += w;
	}
	return 0;
}

/* Reads until EOF, or until `limit` bytes when limit is not UINT64_MAX. */
static int read_upto(int fd, uint64_t limit, uint64_t *done)
{
	static __thread char buf[IO_CHUNK];
	uint64_t got = 0;

	while (got < limit) {
		size_t want = limit - got < IO_CHUNK ? limit - got : IO_CHUNK;
		ssize_t r = read(fd, buf, want);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return limit == UINT64_MAX ? 0 : -EPIPE;
		got += r;
		*done += r;
	}
	return 0;
}

/*
 * Job j is a refused connect when the count is known: spread evenly so that
 * exactly cfg.refused of the count + refused jobs are refused ones.
 */
static bool job_is_refused(uint64_t j)
{
	if (!cfg.refused)
		return false;
	if (cfg.count) {
		uint64_t total = cfg.count + cfg.refused;

		return (j * cfg.refused) / total != ((j + 1) * cfg.refused) / total;
	}
	if (j % REFUSED_PERIOD)
		return false;
	return atomic_fetch_add(&refused_claimed, 1) < cfg.refused;
}

static void client_connect(struct worker *w, uint64_t j, bool refused)
{
	struct client_stats *st = &w->c;
	struct sockaddr_storage dst;
	unsigned int src_index = 0;
	socklen_t dlen;
	int fd, err;

	if (refused) {
		dlen = bench_loopback(&dst, cfg.family, closed_port, 0);
	} else {
		dlen = bench_loopback(&dst, cfg.family, listen_ports[j % cfg.nports], 0);
		src_index = (j / cfg.nports) % cfg.nsrc;
	}
	fd = socket(cfg.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		st->last_errno = errno;
		st->io_errors++;
		return;
	}
	if (cfg.family == AF_INET && src_index > 0) {
		if (bench_bind_source(fd, src_index)) {
			st->last_errno = errno;
			st->io_errors++;
			close(fd);
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&dst, dlen)) {
		st->last_errno = errno;
		if (errno == ECONNREFUSED) {
			st->connects_refused++;
			if (!refused)
				st->refused_unexpected++;
		} else {
			st->connects_error++;
		}
		close(fd);
		return;
	}
	if (refused) {
		/* someone took the closed port: still a session on our side */
		st->connects_ok++;
		st->refused_unexpected++;
		close(fd);
		return;
	}
	st->connects_ok++;
	atomic_fetch_add(&clients_ok_total, 1);
	err = write_all(fd, cfg.send_bytes, &st->bytes_sent);
	if (!err)
		err = read_upto(fd, UINT64_MAX, &st->bytes_received);
	if (err) {
		st->last_errno = -err;
		st->io_errors++;
	} else {
		st->completed++;
	}
	close(fd);
}

static void *client_main(void *arg)
{
	struct worker *w = arg;
	double end = cfg.duration > 0 ? t_go_s + cfg.duration : 0;

	for (;;) {
		uint64_t j = atomic_fetch_add(&next_job, 1);

		if (cfg.count && j >= cfg.count + cfg.refused)
			break;
		if (cfg.rate > 0)
			sleep_until(t_go_s + j / cfg.rate);
		if (end && bench_now_s() >= end)
			break;
		client_connect(w, j, job_is_refused(j));
	}
	return NULL;
}

static void server_handle(struct server_stats *st, int fd)
{
	int err;

	st->accepted++;
	atomic_fetch_add(&servers_accepted_total, 1);
	err = read_upto(fd, cfg.send_bytes, &st->bytes_received);
	if (!err)
		err = write_all(fd, cfg.recv_bytes, &st->bytes_sent);
	if (err)
		st->io_errors++;
	else
		st->completed++;
	close(fd);
}

static bool servers_finished(double *grace_end)
{
	if (!atomic_load(&clients_done))
		return false;
	if (atomic_load(&servers_accepted_total) >= atomic_load(&clients_ok_total))
		return true;
	if (*grace_end == 0)
		*grace_end = bench_now_s() + SERVER_GRACE_S;
	return bench_now_s() >= *grace_end;
}

static void *server_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[MAX_PORTS];
	unsigned int n = 0, i;
	double grace_end = 0;

	for (i = w->index; i < cfg.nports; i += cfg.servers) {
		pfd[n].fd = listen_fds[i];
		pfd[n].events = POLLIN;
		n++;
	}
	while (!servers_finished(&grace_end)) {
		if (poll(pfd, n, 20) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			/* accepted sockets are blocking whatever the listener is */
			while ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
				server_handle(&w->s, fd);
		}
	}
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tl-loadgen [-6] [-c CLIENTS] [-S SERVERS] [-n COUNT] [-T SECONDS]\n"
		"                  [-s BYTES] [-r BYTES] [-R RATE] [-x REFUSED] [-P PORTS]\n"
		"                  [-A SOURCES] [-N COMM] [-w]\n"
		"  -6          IPv6 (::1) instead of IPv4 (127.0.0.x)\n"
		"  -c N        client threads (default 2)\n"
		"  -S N        server threads (default 2)\n"
		"  -n N        connections to make (default 10000 unless -T)\n"
		"  -T SECONDS  generate for this long (with -n: whichever ends first)\n"
		"  -s BYTES    bytes each client sends (default 0)\n"
		"  -r BYTES    bytes each server sends back (default 0)\n"
		"  -R RATE     target connections/s over all clients (default 0: max)\n"
		"  -x N        also make N connects to a closed port (refused)\n"
		"  -P N        listener ports to spread over (default 16)\n"
		"  -A N        IPv4 client source addresses 127.0.0.1..N (default 4)\n"
		"  -N COMM     process name (default tl-loadgen)\n"
		"  -w          print a ready line, wait for a line on stdin, then start\n"
		"Prints one JSON line of ground truth at the end.\n");
}

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e9)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The kernel keeps 15 bytes; keep them printable so the JSON stays valid. */
static int set_name(const char *name)
{
	static char buf[16];
	size_t i;

	for (i = 0; name[i] && i < sizeof(buf) - 1; i++) {
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '"' || name[i] == '\\')
			return -EINVAL;
		buf[i] = name[i];
	}
	if (!i)
		return -EINVAL;
	buf[i] = 0;
	cfg.name = buf;
	return 0;
}

static int parse_opt(int c, const char *arg)
{
	int err = 0;

	switch (c) {
	case '6':
		cfg.family = AF_INET6;
		break;
	case 'c':
		err = bench_parse_uint(arg, 0, MAX_THREADS, &cfg.clients);
		break;
	case 'S':
		err = bench_parse_uint(arg, 0, MAX_THREADS, &cfg.servers);
		break;
	case 'n':
		err = bench_parse_u64(arg, 0, UINT64_MAX / 2, &cfg.count);
		break;
	case 'T':
		err = parse_double(arg, &cfg.duration);
		break;
	case 's':
		err = bench_parse_u64(arg, 0, UINT64_MAX / 2, &cfg.send_bytes);
		break;
	case 'r':
		err = bench_parse_u64(arg, 0, UINT64_MAX / 2, &cfg.recv_bytes);
		break;
	case 'R':
		err = parse_double(arg, &cfg.rate);
		break;
	case 'x':
		err = bench_parse_u64(arg, 0, UINT64_MAX / 2, &cfg.refused);
		break;
	case 'P':
		err = bench_parse_uint(arg, 0, MAX_PORTS, &cfg.nports);
		break;
	case 'A':
		err = bench_parse_uint(arg, 0, MAX_SRC, &cfg.nsrc);
		break;
	case 'N':
		err = set_name(arg);
		break;
	case 'w':
		cfg.wait = true;
		break;
	default:
		err = -EINVAL;
	}
	return err;
}

static int parse_args(int argc, char **argv)
{
	if (bench_getopt(argc, argv, "tl-loadgen", "6c:S:n:T:s:r:R:x:P:A:N:wh", parse_opt,
			 usage))
		return -EINVAL;
	if (!cfg.clients || !cfg.servers || !cfg.nports || !cfg.nsrc) {
		usage(stderr);
		return -EINVAL;
	}
	if (cfg.nports < cfg.servers)
		cfg.nports = cfg.servers;	/* every server thread owns a port */
	if (cfg.family == AF_INET6)
		cfg.nsrc = 1;
	if (!cfg.count && cfg.duration == 0)
		cfg.count = 10000;
	return 0;
}

static void wait_for_go(void)
{
	bench_json_head("ready", cfg.name, cfg.family);
	printf(",\"ports\":");
	bench_json_ports(listen_ports, cfg.nports);
	printf(",\"closed_port\":%u}\n", closed_port);
	fflush(stdout);
	bench_wait_line();
}

static void print_result(struct worker *cl, struct worker *sv, double elapsed, double drain,
			 double cpu)
{
	struct client_stats c = { 0 };
	struct server_stats s = { 0 };
	unsigned int i;
	uint64_t conns;

	for (i = 0; i < cfg.clients; i++) {
		c.connects_ok += cl[i].c.connects_ok;
		c.connects_refused += cl[i].c.connects_refused;
		c.refused_unexpected += cl[i].c.refused_unexpected;
		c.connects_error += cl[i].c.connects_error;
		c.completed += cl[i].c.completed;
		c.io_errors += cl[i].c.io_errors;
		c.bytes_sent += cl[i].c.bytes_sent;
		c.bytes_received += cl[i].c.bytes_received;
		if (cl[i].c.last_errno)
			c.last_errno = cl[i].c.last_errno;
	}
	for (i = 0; i < cfg.servers; i++) {
		s.accepted += sv[i].s.accepted;
		s.completed += sv[i].s.completed;
		s.io_errors += sv[i].s.io_errors;
		s.bytes_sent += sv[i].s.bytes_sent;
		s.bytes_received += sv[i].s.bytes_received;
	}
	conns = c.completed < s.completed ? c.completed : s.completed;
	bench_json_head("result", cfg.name, cfg.family);
	printf(",\"connections\":%" PRIu64 ",\"client_sessions\":%" PRIu64 ",\"server_sessions\":%" PRIu64
	       ",\"sessions\":%" PRIu64 ",\"connects\":%" PRIu64
	       ",\"connects_ok\":%" PRIu64 ",\"connects_refused\":%" PRIu64
	       ",\"refused_unexpected\":%" PRIu64 ",\"connects_error\":%" PRIu64
	       ",\"client_completed\":%" PRIu64 ",\"server_completed\":%" PRIu64
	       ",\"io_errors\":%" PRIu64 ",\"last_errno\":%d"
	       ",\"bytes_c2s\":%" PRIu64 ",\"bytes_s2c\":%" PRIu64
	       ",\"elapsed_s\":%.6f,\"drain_s\":%.6f,\"rate\":%.1f,\"cpu_s\":%.3f"
	       ",\"clients\":%u,\"servers\":%u,\"ports\":",
	       conns, c.connects_ok, s.accepted, c.connects_ok + s.accepted,
	       c.connects_ok + c.connects_refused + c.connects_error,
	       c.connects_ok, c.connects_refused, c.refused_unexpected, c.connects_error,
	       c.completed, s.completed, c.io_errors + s.io_errors, c.last_errno,
	       s.bytes_received, c.bytes_received,
	       elapsed, drain, elapsed > 0 ? conns / elapsed : 0.0, cpu,
	       cfg.clients, cfg.servers);
	bench_json_ports(listen_ports, cfg.nports);
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct worker *clients = NULL, *servers = NULL;
	unsigned int i, nl = 0, nc = 0, ns = 0;
	double t_clients_done, elapsed, drain, cpu0;
	int err, status = 1;

	if (parse_args(argc, argv))
		return 2;
	memset(payload, 'x', sizeof(payload));
	/* threads inherit the name, so every event carries it */
	prctl(PR_SET_NAME, cfg.name, 0, 0, 0);

	for (nl = 0; nl < cfg.nports; nl++) {
		err = bench_listen(cfg.family, 4096, &listen_fds[nl], &listen_ports[nl]);
		if (err) {
			fprintf(stderr, "tl-loadgen: listen: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	if (cfg.refused) {
		err = find_closed_port(&closed_port);
		if (err) {
			fprintf(stderr, "tl-loadgen: no closed port: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	clients = calloc(cfg.clients, sizeof(*clients));
	servers = calloc(cfg.servers, sizeof(*servers));
	if (!clients || !servers) {
		fprintf(stderr, "tl-loadgen: out of memory\n");
		goto cleanup;
	}
	if (cfg.wait)
		wait_for_go();

	cpu0 = bench_cpu_s();
	for (ns = 0; ns < cfg.servers; ns++) {
		servers[ns].index = ns;
		err = pthread_create(&servers[ns].thread, NULL, server_main, &servers[ns]);
		if (err) {
			fprintf(stderr, "tl-loadgen: pthread_create: %s\n", strerror(err));
			goto join;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t_go);
	t_go_s = t_go.tv_sec + t_go.tv_nsec / 1e9;
	for (nc = 0; nc < cfg.clients; nc++) {
		clients[nc].index = nc;
		err = pthread_create(&clients[nc].thread, NULL, client_main, &clients[nc]);
		if (err) {
			fprintf(stderr, "tl-loadgen: pthread_create: %s\n", strerror(err));
			goto join;
		}
	}
	status = 0;
join:
	/* a failed start still joins what it started, so servers can end */
	for (i = 0; i < nc; i++)
		pthread_join(clients[i].thread, NULL);
	t_clients_done = bench_now_s();
	atomic_store(&clients_done, true);
	for (i = 0; i < ns; i++)
		pthread_join(servers[i].thread, NULL);
	elapsed = t_clients_done - t_go_s;
	drain = bench_now_s() - t_clients_done;
	if (!status)
		print_result(clients, servers, elapsed, drain, bench_cpu_s() - cpu0);
cleanup:
	for (i = 0; i < nl; i++)
		close(listen_fds[i]);
	free(clients);
	free(servers);
	return status;
}
