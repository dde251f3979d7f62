/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the benchmark helpers tl-loadgen, tl-rtt and tl-hold share: clocks,
 * option parsing, loopback sockets and the pieces of their JSON lines, so
 * that the three report and behave alike.
 */
#ifndef TCPLENS_BENCHUTIL_H
#define TCPLENS_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* CLOCK_MONOTONIC, in seconds. */
double bench_now_s(void);
/* This process's user + system time so far, in seconds. */
double bench_cpu_s(void);

/* A decimal in [min, max], nothing else (no sign, no suffix): 0 or -EINVAL. */
int bench_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The same into an unsigned int; *out is left alone on error. */
int bench_parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out);

/*
 * getopt over argv with what every helper does alike: -h prints usage on
 * stdout and exits 0, an unknown option or a stray argument prints usage on
 * stderr; each other option goes to opt(), and when that fails it says
 * "PROG: bad value for -C: ARG". 0 or -EINVAL.
 */
int bench_getopt(int argc, char **argv, const char *prog, const char *optstring,
		 int (*opt)(int c, const char *arg), void (*usage)(FILE *f));

/* Blocks until a line (or EOF) on stdin: the go-ahead of whoever drives us. */
void bench_wait_line(void);

/*
 * Loopback address: ::1 for AF_INET6, else 127.0.0.1 + host. Returns the
 * length to pass with it.
 */
socklen_t bench_loopback(struct sockaddr_storage *ss, int family, uint16_t port,
			 unsigned int host);
/* The local port fd is bound to. */
int bench_bound_port(int fd, uint16_t *port);
/* A non-blocking SO_REUSEADDR listener on an ephemeral loopback port. */
int bench_listen(int family, int backlog, int *fdp, uint16_t *port);
/*
 * Binds fd to IPv4 source 127.0.0.1 + host, with the port left to connect()
 * (IP_BIND_ADDRESS_NO_PORT), so that the kernel picks it knowing the whole
 * 4-tuple. On failure errno is still the failing call's.
 */
int bench_bind_source(int fd, unsigned int host);

/* The start of a JSON line: {"type":TYPE,"pid":PID,"comm":COMM,"family":4|6 */
void bench_json_head(const char *type, const char *comm, int family);
/* A JSON array of ports: [p0,p1,...] */
void bench_json_ports(const uint16_t *ports, unsigned int n);

#endif
