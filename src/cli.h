/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command-line parsing for every mode. Pure: no printing, no exiting. */
#ifndef TCPLENS_CLI_H
#define TCPLENS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "when.h"

enum tl_mode {
	TL_MODE_MONITOR = 0,	/* full-screen, or batch snapshots with -b */
	TL_MODE_LIFE,		/* tcplife-compatible lines */
	TL_MODE_CONNLAT,	/* tcpconnlat-compatible lines */
	TL_MODE_JSON,		/* NDJSON */
	TL_MODE_OPEN,		/* snapshots of open connections */
	TL_MODE_RECORD,		/* headless: everything into a recording */
	TL_MODE_SERVE,		/* headless metrics endpoint for Prometheus */
};

/* Where the metrics endpoint listens: 127.0.0.1:TL_LISTEN_DEFAULT_PORT
 * unless --listen says otherwise. */
#define TL_LISTEN_DEFAULT_PORT 10117

struct tl_listen {
	bool set;			/* --listen given (the monitor serves only then) */
	uint8_t family;			/* 4 or 6 */
	uint8_t addr[16];		/* network byte order; IPv4 in the first 4 bytes */
	uint16_t port;
};

enum tl_probe_mode {
	TL_PROBES_AUTO = 0,	/* tp_btf, falling back to classic tracepoints */
	TL_PROBES_BTF,
	TL_PROBES_TRACEPOINT,
};

/* A set of TCP ports as a bitmap, ready to copy into the BPF rodata. */
struct tl_port_set {
	uint64_t bits[1024];
	unsigned int count;	/* 0: no filter */
};

static inline bool tl_port_set_has(const struct tl_port_set *s, uint16_t port)
{
	return (s->bits[port >> 6] >> (port & 63)) & 1;
}

struct tl_options {
	enum tl_mode mode;

	/* Filters known at start: applied in the kernel, every mode. */
	uint32_t pid;			/* -p; 0: any */
	uint8_t family;			/* -4 / -6; 0: any */
	struct tl_port_set lports;	/* -L PORTS (life, json, monitor) */
	struct tl_port_set rports;	/* -D PORTS (life, json, monitor) */
	const char *cgroup;		/* -c/--cgroup PATH: that cgroup v2 and below; NULL: any */
	/* -c resolved by the capture engine (not by the parser): its path from
	 * the cgroup v2 root, for the filters that run in user space */
	const char *cgroup_relpath;

	/* life */
	bool time_hms;			/* -T: HH:MM:SS column */
	bool time_rel;			/* -t: seconds since the first event */
	bool wide;			/* -w */
	bool csv;			/* -s */

	/* connlat (-t is time_rel) */
	bool show_lport;		/* -L */
	bool extended;			/* -x: RESULT and SYN_RTX columns */
	double min_ms;			/* positional MIN_MS; 0: all */

	/* open */
	bool listeners;			/* -l: listening sockets too */
	bool json;			/* --json: NDJSON instead of columns */
	/* open also uses interval_s (-i SECONDS; 0: one snapshot) and count (-n) */

	/* monitor */
	bool batch;			/* -b */
	long count;			/* -n COUNT; 0: no limit */
	double interval_s;		/* -d SECONDS; default 1 */
	const char *filter;		/* -f EXPR; NULL: none */
	size_t history;			/* --history N; default 200000 */
	size_t max_dests;		/* --max-dests N; default 10000 */
	bool no_color;			/* --no-color, or NO_COLOR set */
	bool bpf_stats;			/* --bpf-stats: BPF run time per event (monitor) */

	/* recordings */
	const char *read_path;		/* -r PATH: replay a recording instead of tracing */
	const char *record_path;	/* record -w PATH, or --record PATH beside another mode */
	uint64_t max_size;		/* --max-size; 0: the recorder's default */
	uint64_t max_age_ns;		/* --max-age; 0: keep by size only */
	struct tl_when begin, end;	/* --begin, --end: a part of a recording (-r) */

	/* serve, and the monitor with --listen */
	struct tl_listen listen;	/* --listen ADDR:PORT */
	size_t max_series;		/* --max-series N; default 5000 */

	/* engine, every mode */
	bool verbose;			/* -v: pass libbpf messages through */
	enum tl_probe_mode probes;	/* --probes auto|btf|tracepoint */
	uint32_t ringbuf_kib;		/* --ringbuf-kib N; default 16384 */
	uint32_t max_sockets;		/* --max-sockets N; default 65536 */
};

enum tl_cli_status {
	TL_CLI_RUN = 0,		/* options are valid: run */
	TL_CLI_HELP = 1,	/* -h/--help: print tl_cli_usage() to stdout, exit 0 */
	TL_CLI_VERSION = 2,	/* --version: print it, exit 0 */
	TL_CLI_ERROR = -1,	/* bad input: print "tcplens: <err>" to stderr, exit 2 */
};

/*
 * Parse argv into *opt (which it first resets to the defaults).
 * `env_no_color` is the value of $NO_COLOR (may be NULL).
 * On TL_CLI_ERROR, err holds one line without a trailing newline.
 */
enum tl_cli_status tl_cli_parse(int argc, char **argv, const char *env_no_color,
				struct tl_options *opt, char *err, size_t errlen);

/* "127.0.0.1:10117", "[::1]:10117", ":10117" (127.0.0.1), "0.0.0.0:80":
 * numeric addresses only. Returns 0 or -EINVAL with one line in err. */
int tl_cli_parse_listen(const char *arg, struct tl_listen *l, char *err, size_t errlen);

/* The usage text for a mode (the one on the command line). */
const char *tl_cli_usage(enum tl_mode mode);

#endif
