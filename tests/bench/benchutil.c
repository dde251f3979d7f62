// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int bench_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull takes "-1" as ULLONG_MAX: a typo must not pass as huge */
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int bench_parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;
	int err;

	err = bench_parse_u64(s, min, max, &v);
	if (!err)
		*out = v;
	return err;
}

int bench_getopt(int argc, char **argv, const char *prog, const char *optstring,
		 int (*opt)(int c, const char *arg), void (*usage)(FILE *f))
{
	int c;

	while ((c = getopt(argc, argv, optstring)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?') {
			/* getopt has said which option */
			usage(stderr);
			return -EINVAL;
		}
		if (opt(c, optarg)) {
			fprintf(stderr, "%s: bad value for -%c: %s\n", prog, c, optarg);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

void bench_wait_line(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
}

socklen_t bench_loopback(struct sockaddr_storage *ss, int family, uint16_t port,
			 unsigned int host)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		a6->sin6_addr = in6addr_loopback;
		return sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK + host);
		return sizeof(*a4);
	}
}

int bench_bound_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int bench_listen(int family, int backlog, int *fdp, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = bench_loopback(&ss, family, 0, 0);
	int one = 1, fd, err;

	/* non-blocking, so a poll loop can accept until EAGAIN */
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = bench_bound_port(fd, port);
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

int bench_bind_source(int fd, unsigned int host)
{
	struct sockaddr_storage src;
	socklen_t len = bench_loopback(&src, AF_INET, 0, host);
	int one = 1;

	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, len))
		return -errno;
	return 0;
}

void bench_json_head(const char *type, const char *comm, int family)
{
	printf("{\"type\":\"%s\",\"pid\":%d,\"comm\":\"%s\",\"family\":%d",
	       type, getpid(), comm, family == AF_INET6 ? 6 : 4);
}

void bench_json_ports(const uint16_t *ports, unsigned int n)
{
	unsigned int i;

	printf("[");
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", ports[i]);
	printf("]");
}
