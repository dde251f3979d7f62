// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "decimal.h"
#include "when.h"
#include "format.h"

#define PID_MAX 4194304ULL	/* PID_MAX_LIMIT on 64-bit kernels */

/* Long-only options; values above any short option character. */
enum {
	OPT_VERSION = 256,
	OPT_PROBES,
	OPT_RINGBUF_KIB,
	OPT_MAX_SOCKETS,
	OPT_HISTORY,
	OPT_MAX_DESTS,
	OPT_NO_COLOR,
	OPT_JSON,
	OPT_BPF_STATS,
	OPT_RECORD,
	OPT_MAX_SIZE,
	OPT_MAX_AGE,
	OPT_BEGIN,
	OPT_END,
	OPT_LISTEN,
	OPT_MAX_SERIES,
};

#define CGROUP_PATH_MAX 4096	/* PATH_MAX */

#define GLOBAL_LONGOPTS                                                        \
	{ "help", no_argument, NULL, 'h' },                                    \
	{ "verbose", no_argument, NULL, 'v' },                                 \
	{ "version", no_argument, NULL, OPT_VERSION },                         \
	{ "probes", required_argument, NULL, OPT_PROBES },                     \
	{ "ringbuf-kib", required_argument, NULL, OPT_RINGBUF_KIB },           \
	{ "max-sockets", required_argument, NULL, OPT_MAX_SOCKETS }

/* -p -L -D -4 -6, as tcplife spells them (connlat's -L differs) */
/* a recording: read one (-r), or record beside what is shown (--record) */
#define REPLAY_LONGOPTS                                                        \
	{ "read", required_argument, NULL, 'r' },                              \
	{ "begin", required_argument, NULL, OPT_BEGIN },                       \
	{ "end", required_argument, NULL, OPT_END }
#define RECORD_LONGOPTS                                                        \
	{ "record", required_argument, NULL, OPT_RECORD },                     \
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },                 \
	{ "max-age", required_argument, NULL, OPT_MAX_AGE }

#define FILTER_LONGOPTS                                                        \
	{ "pid", required_argument, NULL, 'p' },                               \
	{ "localport", required_argument, NULL, 'L' },                         \
	{ "remoteport", required_argument, NULL, 'D' },                        \
	{ "ipv4", no_argument, NULL, '4' },                                    \
	{ "ipv6", no_argument, NULL, '6' },                                    \
	{ "cgroup", required_argument, NULL, 'c' }

static const struct option life_longopts[] = {
	GLOBAL_LONGOPTS,
	{ "time", no_argument, NULL, 'T' },
	{ "timestamp", no_argument, NULL, 't' },
	{ "wide", no_argument, NULL, 'w' },
	{ "csv", no_argument, NULL, 's' },
	FILTER_LONGOPTS,
	REPLAY_LONGOPTS,
	RECORD_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const struct option connlat_longopts[] = {
	GLOBAL_LONGOPTS,
	{ "timestamp", no_argument, NULL, 't' },
	{ "pid", required_argument, NULL, 'p' },
	{ "lport", no_argument, NULL, 'L' },
	{ "extended", no_argument, NULL, 'x' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "cgroup", required_argument, NULL, 'c' },
	REPLAY_LONGOPTS,
	RECORD_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const struct option json_longopts[] = {
	GLOBAL_LONGOPTS,
	FILTER_LONGOPTS,
	REPLAY_LONGOPTS,
	RECORD_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const struct option monitor_longopts[] = {
	GLOBAL_LONGOPTS,
	{ "delay", required_argument, NULL, 'd' },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "filter", required_argument, NULL, 'f' },
	FILTER_LONGOPTS,
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "max-dests", required_argument, NULL, OPT_MAX_DESTS },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "bpf-stats", no_argument, NULL, OPT_BPF_STATS },
	REPLAY_LONGOPTS,
	RECORD_LONGOPTS,
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
	{ NULL, 0, NULL, 0 },
};

static const struct option serve_longopts[] = {
	GLOBAL_LONGOPTS,
	FILTER_LONGOPTS,
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
	{ NULL, 0, NULL, 0 },
};

static const struct option open_longopts[] = {
	GLOBAL_LONGOPTS,
	FILTER_LONGOPTS,
	{ "listening", no_argument, NULL, 'l' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, OPT_JSON },
	REPLAY_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static const struct option record_longopts[] = {
	GLOBAL_LONGOPTS,
	{ "write", required_argument, NULL, 'w' },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "delay", required_argument, NULL, 'd' },
	FILTER_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* A leading ':' makes getopt report a missing value apart from an unknown flag. */
static const struct {
	const char *name;
	const char *shortopts;
	const struct option *longopts;
} modes[] = {
	[TL_MODE_MONITOR] = { "", ":vhd:bn:f:p:L:D:46c:r:", monitor_longopts },
	[TL_MODE_LIFE] = { "life", ":vhTtwsp:L:D:46c:r:", life_longopts },
	[TL_MODE_CONNLAT] = { "connlat", ":vhtp:L46xc:r:", connlat_longopts },
	[TL_MODE_JSON] = { "json", ":vhp:L:D:46c:r:", json_longopts },
	[TL_MODE_OPEN] = { "open", ":vhp:L:D:46c:li:n:r:", open_longopts },
	[TL_MODE_RECORD] = { "record", ":vhw:d:p:L:D:46c:", record_longopts },
	[TL_MODE_SERVE] = { "serve", ":vhp:L:D:46c:", serve_longopts },
};

struct parse_ctx {
	struct tl_options *opt;
	char *err;
	size_t errlen;
	const char *name;	/* the option being parsed, as typed: "-L", "--history" */
};

__attribute__((format(printf, 2, 3)))
static enum tl_cli_status fail(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return TL_CLI_ERROR;
}

/* A user's value, safe to quote in a message: escaped, and cut when long. */
#define QUOTE_MAX_IN 48

struct quoted {
	char s[QUOTE_MAX_IN * 4 + 4];
};

static struct quoted quote(const char *v, size_t n)
{
	size_t in = strnlen(v, n);
	struct quoted q;
	size_t len;

	len = tl_fmt_escape(q.s, sizeof(q.s), v, in < QUOTE_MAX_IN ? in : QUOTE_MAX_IN);
	if (in > QUOTE_MAX_IN)
		memcpy(q.s + len, "...", 4);
	return q;
}

/* Decimal digits only: no sign, no spaces, no base prefixes. */
static int parse_u64(const char *s, size_t n, unsigned long long *v)
{
	unsigned long long r = 0;
	size_t i;

	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (r > (~0ULL - 9) / 10)
			return -ERANGE;
		r = r * 10 + (unsigned long long)(s[i] - '0');
	}
	*v = r;
	return 0;
}

static enum tl_cli_status opt_uint(struct parse_ctx *c, const char *what, const char *arg,
				   unsigned long long lo, unsigned long long hi,
				   unsigned long long *v)
{
	int r = parse_u64(arg, strlen(arg), v);

	if (r == -EINVAL)
		return fail(c, "%s: %s '%s' is not a number", c->name, what,
			    quote(arg, strlen(arg)).s);
	if (r || *v < lo || *v > hi)
		return fail(c, "%s: %s '%s' is out of range %llu-%llu", c->name, what,
			    quote(arg, strlen(arg)).s, lo, hi);
	return TL_CLI_RUN;
}

static void port_set_add(struct tl_port_set *set, unsigned int port)
{
	uint64_t bit = 1ULL << (port & 63);

	if (!(set->bits[port >> 6] & bit)) {
		set->bits[port >> 6] |= bit;
		set->count++;
	}
}

/* "80", "80,443", "8000-8080,9090"; repeated options add to the set. */
static enum tl_cli_status opt_ports(struct parse_ctx *c, const char *arg, struct tl_port_set *set)
{
	const char *item = arg;
	unsigned int index = 1;

	for (;;) {
		const char *end = strchr(item, ',');
		size_t n = end ? (size_t)(end - item) : strlen(item);
		const char *dash = memchr(item, '-', n);
		unsigned long long lo, hi, p;
		int r1, r2;

		if (!n)
			return fail(c, "%s: item %u of port list '%s' is empty", c->name, index,
				    quote(arg, strlen(arg)).s);
		if (dash) {
			r1 = parse_u64(item, (size_t)(dash - item), &lo);
			r2 = parse_u64(dash + 1, n - (size_t)(dash - item) - 1, &hi);
		} else {
			r1 = r2 = parse_u64(item, n, &lo);
			hi = lo;
		}
		if (r1 == -EINVAL || r2 == -EINVAL)
			return fail(c, "%s: port '%s' is not a number", c->name, quote(item, n).s);
		if (r1 || r2 || lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
			return fail(c, "%s: port '%s' is out of range 1-65535", c->name,
				    quote(item, n).s);
		if (lo > hi)
			return fail(c, "%s: port range '%s' is reversed", c->name, quote(item, n).s);
		for (p = lo; p <= hi; p++)
			port_set_add(set, (unsigned int)p);
		if (!end)
			return TL_CLI_RUN;
		item = end + 1;
		index++;
	}
}

static enum tl_cli_status opt_path(struct parse_ctx *c, const char *arg, const char **out)
{
	if (!arg[0])
		return fail(c, "%s: the path is empty", c->name);
	if (strlen(arg) >= CGROUP_PATH_MAX)
		return fail(c, "%s: path '%s' is longer than %d bytes", c->name,
			    quote(arg, strlen(arg)).s, CGROUP_PATH_MAX - 1);
	*out = arg;
	return TL_CLI_RUN;
}

static enum tl_cli_status opt_family(struct parse_ctx *c, uint8_t family)
{
	if (c->opt->family && c->opt->family != family)
		return fail(c, "-4 and -6 cannot be used together");
	c->opt->family = family;
	return TL_CLI_RUN;
}

static void set_defaults(struct tl_options *opt, enum tl_mode mode)
{
	memset(opt, 0, sizeof(*opt));
	opt->mode = mode;
	/* open: one snapshot unless -i asks for more */
	opt->interval_s = mode == TL_MODE_OPEN ? 0 : 1.0;
	opt->history = 200000;
	opt->max_dests = 10000;
	opt->probes = TL_PROBES_AUTO;
	opt->ringbuf_kib = 16384;
	opt->max_sockets = 65536;
	opt->listen.family = 4;
	opt->listen.addr[0] = 127;
	opt->listen.addr[3] = 1;
	opt->listen.port = TL_LISTEN_DEFAULT_PORT;
	opt->max_series = 5000;
}

int tl_cli_parse_listen(const char *arg, struct tl_listen *l, char *err, size_t errlen)
{
	const char *colon = strrchr(arg, ':');
	char host[64];
	unsigned long long port;
	size_t hlen;
	uint8_t family;
	uint8_t addr[16] = { 0 };

	if (!colon) {
		snprintf(err, errlen, "--listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:%d or [::1]:%d)",
			 quote(arg, strlen(arg)).s, TL_LISTEN_DEFAULT_PORT, TL_LISTEN_DEFAULT_PORT);
		return -EINVAL;
	}
	if (parse_u64(colon + 1, strlen(colon + 1), &port) || port < 1 || port > 65535) {
		snprintf(err, errlen, "--listen: port '%s' is not a number in 1-65535",
			 quote(colon + 1, strlen(colon + 1)).s);
		return -EINVAL;
	}
	hlen = (size_t)(colon - arg);
	if (hlen >= 2 && arg[0] == '[' && arg[hlen - 1] == ']') {
		arg++;
		hlen -= 2;
		family = 6;
	} else {
		family = 4;
		if (memchr(arg, ':', hlen)) {
			snprintf(err, errlen, "--listen: write an IPv6 address in brackets: [%s]:%llu",
				 quote(arg, hlen).s, port);
			return -EINVAL;
		}
	}
	if (hlen >= sizeof(host) || (family == 6 && !hlen)) {
		snprintf(err, errlen, "--listen: '%s' is not an IP address", quote(arg, hlen).s);
		return -EINVAL;
	}
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	if (!hlen) {
		addr[0] = 127;		/* ":PORT": loopback, the safe default */
		addr[3] = 1;
	} else if (inet_pton(family == 6 ? AF_INET6 : AF_INET, host, addr) != 1) {
		snprintf(err, errlen, "--listen: '%s' is not a numeric IPv%d address", quote(host, hlen).s,
			 family);
		return -EINVAL;
	}
	l->set = true;
	l->family = family;
	memcpy(l->addr, addr, sizeof(addr));
	l->port = (uint16_t)port;
	return 0;
}

/* One option, already known to belong to the mode's option string. */
static enum tl_cli_status handle(struct parse_ctx *c, int ch, const char *arg)
{
	struct tl_options *opt = c->opt;
	enum tl_cli_status st = TL_CLI_RUN;
	unsigned long long v = 0;
	double d;
	int r;

	switch (ch) {
	case 'h':
		return TL_CLI_HELP;
	case OPT_VERSION:
		return TL_CLI_VERSION;
	case 'v':
		opt->verbose = true;
		break;
	case OPT_PROBES:
		if (!strcmp(arg, "auto"))
			opt->probes = TL_PROBES_AUTO;
		else if (!strcmp(arg, "btf"))
			opt->probes = TL_PROBES_BTF;
		else if (!strcmp(arg, "tracepoint"))
			opt->probes = TL_PROBES_TRACEPOINT;
		else
			st = fail(c, "%s: '%s' is not one of auto, btf, tracepoint", c->name,
				  quote(arg, strlen(arg)).s);
		break;
	case OPT_RINGBUF_KIB:
		st = opt_uint(c, "size", arg, 64, 1048576, &v);
		opt->ringbuf_kib = (uint32_t)v;
		break;
	case OPT_MAX_SOCKETS:
		st = opt_uint(c, "count", arg, 1024, 16777216, &v);
		opt->max_sockets = (uint32_t)v;
		break;
	case 'p':
		st = opt_uint(c, "pid", arg, 1, PID_MAX, &v);
		opt->pid = (uint32_t)v;
		break;
	case '4':
		st = opt_family(c, 4);
		break;
	case '6':
		st = opt_family(c, 6);
		break;
	case 'L':
		if (opt->mode == TL_MODE_CONNLAT)
			opt->show_lport = true;
		else
			st = opt_ports(c, arg, &opt->lports);
		break;
	case 'D':
		st = opt_ports(c, arg, &opt->rports);
		break;
	case 'T':
		opt->time_hms = true;
		break;
	case 't':
		opt->time_rel = true;
		break;
	case 'w':
		if (opt->mode == TL_MODE_RECORD)
			st = opt_path(c, arg, &opt->record_path);
		else
			opt->wide = true;
		break;
	case 'r':
		st = opt_path(c, arg, &opt->read_path);
		break;
	case OPT_RECORD:
		st = opt_path(c, arg, &opt->record_path);
		break;
	case OPT_MAX_SIZE:
		r = tl_parse_size(arg, &opt->max_size);
		if (r || opt->max_size < (1u << 20))
			st = fail(c, "%s: '%s' is not a size of at least 1M (e.g. 512M, 4G)", c->name,
				  quote(arg, strlen(arg)).s);
		break;
	case OPT_MAX_AGE:
		r = tl_parse_duration(arg, &opt->max_age_ns);
		if (r || opt->max_age_ns < 60ull * 1000000000)
			st = fail(c, "%s: '%s' is not a duration of at least a minute (e.g. 90m, 12h, "
				  "30d)", c->name, quote(arg, strlen(arg)).s);
		break;
	case OPT_BEGIN:
	case OPT_END:
		if (tl_when_parse(arg, ch == OPT_BEGIN ? &opt->begin : &opt->end))
			st = fail(c, "%s: '%s' is not a time: HH:MM[:SS], or YYYY-MM-DD HH:MM[:SS]",
				  c->name, quote(arg, strlen(arg)).s);
		break;
	case 's':
		opt->csv = true;
		break;
	case 'x':
		opt->extended = true;
		break;
	case 'd':
	case 'i':
		r = tl_parse_decimal(arg, &d);
		if (r == -EINVAL)
			st = fail(c, "%s: interval '%s' is not a number of seconds", c->name,
				  quote(arg, strlen(arg)).s);
		else if (r || d < 0.1 || d > 3600)
			st = fail(c, "%s: interval '%s' is out of range 0.1-3600 seconds", c->name,
				  quote(arg, strlen(arg)).s);
		else
			opt->interval_s = d;
		break;
	case 'b':
		opt->batch = true;
		break;
	case 'n':
		st = opt_uint(c, "count", arg, 1, 2147483647, &v);
		opt->count = (long)v;
		break;
	case 'f':
		opt->filter = *arg ? arg : NULL;
		break;
	case OPT_HISTORY:
		st = opt_uint(c, "size", arg, 1000, 100000000, &v);
		opt->history = (size_t)v;
		break;
	case OPT_MAX_DESTS:
		st = opt_uint(c, "count", arg, 1, 10000000, &v);
		opt->max_dests = (size_t)v;
		break;
	case OPT_NO_COLOR:
		opt->no_color = true;
		break;
	case OPT_BPF_STATS:
		opt->bpf_stats = true;
		break;
	case 'c':
		/* whether it names a cgroup is for src/cgroup.c to say, at start */
		if (!arg[0])
			st = fail(c, "%s: the cgroup path is empty (e.g. /system.slice/foo.service "
				  "or /sys/fs/cgroup/system.slice/foo.service)", c->name);
		else if (strlen(arg) >= CGROUP_PATH_MAX)
			st = fail(c, "%s: cgroup path '%s' is longer than %d bytes", c->name,
				  quote(arg, strlen(arg)).s, CGROUP_PATH_MAX - 1);
		else
			opt->cgroup = arg;
		break;
	case 'l':
		opt->listeners = true;
		break;
	case OPT_JSON:
		opt->json = true;
		break;
	case OPT_LISTEN:
		if (tl_cli_parse_listen(arg, &opt->listen, c->err, c->errlen))
			st = TL_CLI_ERROR;
		break;
	case OPT_MAX_SERIES:
		st = opt_uint(c, "count", arg, 1000, 10000000, &v);
		opt->max_series = (size_t)v;
		break;
	default:
		st = fail(c, "internal error: option %d not handled", ch);
		break;
	}
	return st;
}

static enum tl_mode mode_of(const char *word)
{
	enum tl_mode m;

	for (m = TL_MODE_LIFE; m < sizeof(modes) / sizeof(modes[0]); m++) {
		if (!strcmp(word, modes[m].name))
			return m;
	}
	return TL_MODE_MONITOR;
}

/* A message for getopt's '?' (unknown flag, unwanted value) or ':' (missing value). */
static enum tl_cli_status getopt_failure(struct parse_ctx *c, int ch, int argc, char **argv,
					 const struct option *lopt, int longindex)
{
	const char *word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	enum tl_mode m = c->opt->mode;
	/* main() prefixes "tcplens: "; only a mode adds its own name */
	const char *mode = m == TL_MODE_MONITOR ? "" : modes[m].name;
	const char *sep = m == TL_MODE_MONITOR ? "" : ": ";
	const char *see = m == TL_MODE_MONITOR ? "tcplens --help" :
			  m == TL_MODE_LIFE ? "tcplens life --help" :
			  m == TL_MODE_CONNLAT ? "tcplens connlat --help" :
			  m == TL_MODE_JSON ? "tcplens json --help" :
			  m == TL_MODE_OPEN ? "tcplens open --help" :
			  m == TL_MODE_SERVE ? "tcplens serve --help" : "tcplens record --help";
	int known_short = optopt > 0 && optopt < 256 && optopt != ':' &&
			  strchr(modes[m].shortopts, optopt);

	if (ch == ':') {
		if (longindex >= 0)
			return fail(c, "--%s: missing value", lopt[longindex].name);
		/* a long option; getopt leaves longindex unset */
		if (optopt >= 256 || !strncmp(word, "--", 2))
			return fail(c, "%s: missing value", quote(word, strlen(word)).s);
		return fail(c, "-%c: missing value", optopt);
	}
	/* getopt only sets optopt to a known option when a long form got a value */
	if (optopt >= 256 || known_short)
		return fail(c, "'%s': this option takes no value", quote(word, strlen(word)).s);
	if (m == TL_MODE_CONNLAT && ((optopt >= '0' && optopt <= '9') || optopt == '.'))
		return fail(c, "MIN_MS must be a number >= 0 ('-%c...' looks negative)", optopt);
	if (optopt > 0 && optopt < 256 && optopt > ' ' && optopt < 127)
		return fail(c, "%s%sunknown option '-%c' (see '%s')", mode, sep, optopt, see);
	return fail(c, "%s%sunknown or ambiguous option '%s' (see '%s')", mode, sep,
		    quote(word, strlen(word)).s, see);
}

enum tl_cli_status tl_cli_parse(int argc, char **argv, const char *env_no_color,
				struct tl_options *opt, char *err, size_t errlen)
{
	struct parse_ctx c = { .opt = opt, .err = err, .errlen = errlen };
	enum tl_mode mode = TL_MODE_MONITOR;
	enum tl_cli_status st;
	const struct option *lopt;
	char name[40];
	int ch, longindex, npos;

	if (errlen)
		err[0] = '\0';
	if (argc > 1 && argv[1][0] != '-') {
		mode = mode_of(argv[1]);
		if (mode == TL_MODE_MONITOR) {
			set_defaults(opt, mode);
			return fail(&c, "unknown mode '%s' (modes: life, connlat, json, open, record, "
				    "serve; none for the monitor)",
				    quote(argv[1], strlen(argv[1])).s);
		}
	}
	set_defaults(opt, mode);
	if (env_no_color && *env_no_color)
		opt->no_color = true;
	if (mode != TL_MODE_MONITOR) {
		/* the mode word plays argv[0] for getopt */
		argc--;
		argv++;
	}

	lopt = modes[mode].longopts;
	opterr = 0;
	optind = 0;	/* full reset, so tests can parse again */
	for (;;) {
		longindex = -1;
		ch = getopt_long(argc, argv, modes[mode].shortopts, lopt, &longindex);
		if (ch == -1)
			break;
		if (ch == '?' || ch == ':')
			return getopt_failure(&c, ch, argc, argv, lopt, longindex);
		if (longindex >= 0)
			snprintf(name, sizeof(name), "--%s", lopt[longindex].name);
		else
			snprintf(name, sizeof(name), "-%c", ch);
		c.name = name;
		st = handle(&c, ch, optarg);
		if (st != TL_CLI_RUN)
			return st;
	}

	npos = argc - optind;
	if (mode == TL_MODE_CONNLAT && npos >= 1) {
		const char *a = argv[optind];
		int r = tl_parse_decimal(a, &opt->min_ms);

		c.name = "MIN_MS";
		if (r == -ERANGE)
			return fail(&c, "MIN_MS '%s' is out of range", quote(a, strlen(a)).s);
		if (r)
			return fail(&c, "MIN_MS '%s' is not a number >= 0", quote(a, strlen(a)).s);
		optind++;
		npos--;
	}
	if (npos > 0 && mode == TL_MODE_MONITOR && mode_of(argv[optind]) != TL_MODE_MONITOR)
		return fail(&c, "the mode must come first: 'tcplens %s [OPTIONS]'", argv[optind]);
	if (opt->bpf_stats && opt->batch)
		return fail(&c, "--bpf-stats: the BPF cost is shown by the full-screen monitor, not -b");
	if (mode == TL_MODE_OPEN && opt->count && !opt->interval_s && !opt->read_path)
		return fail(&c, "open: -n COUNT needs -i SECONDS (without -i there is one snapshot)");
	if (mode == TL_MODE_RECORD && !opt->record_path)
		return fail(&c, "record: -w PATH is needed: the directory (or a .tlrec file) to record into");
	if (opt->read_path && opt->record_path)
		return fail(&c, "-r and --record: a recording is replayed or made, not both");
	if ((opt->begin.set || opt->end.set) && !opt->read_path)
		return fail(&c, "--begin and --end choose a part of a recording: they need -r PATH");
	if ((opt->max_size || opt->max_age_ns) && !opt->record_path)
		return fail(&c, "--max-size and --max-age are for recording: they need --record PATH");
	if (npos > 0)
		return fail(&c, "%s: unexpected argument '%s'",
			    mode == TL_MODE_MONITOR ? "tcplens" : modes[mode].name,
			    quote(argv[optind], strlen(argv[optind])).s);
	return TL_CLI_RUN;
}

#define COMMON_USAGE                                                                         \
	"Common options:\n"                                                                  \
	"  --probes=MODE      auto (default: tp_btf, else classic tracepoints), btf, tracepoint\n" \
	"  --ringbuf-kib=N    ring buffer size in KiB, 64-1048576 (default 16384)\n"          \
	"  --max-sockets=N    sockets in the fast per-socket map, 1024-16777216 (default\n"   \
	"                     65536); beyond it tp_btf uses socket storage, classic\n"         \
	"                     tracepoints lose and count the rest\n"                           \
	"  -v, --verbose      show libbpf's messages\n"                                       \
	"  -h, --help         show this help\n"                                               \
	"  --version          show the version\n"

#define FILTER_USAGE                                                                         \
	"  -p PID             only this process (1-4194304)\n"                                \
	"  -L PORTS           only these local ports: 80,443,8000-8080\n"                     \
	"  -D PORTS           only these remote ports\n"                                      \
	"  -4, -6             only IPv4, or only IPv6\n"                                     \
	CGROUP_USAGE

#define REPLAY_USAGE                                                                         \
	"  -r, --read PATH    replay a recording (a .tlrec file or a directory of them)\n"    \
	"                     instead of tracing: no root needed\n"                         \
	"  --begin TIME, --end TIME\n"                                                        \
	"                     with -r, only that part: HH:MM[:SS] (on the recording's\n"     \
	"                     day), or YYYY-MM-DD HH:MM[:SS], local time\n"

#define RECORD_USAGE                                                                         \
	"  --record PATH      also record into PATH, as 'tcplens record -w PATH' does\n"      \
	"  --max-size SIZE    the recording's disk budget, e.g. 512M, 4G (default 4G)\n"     \
	"  --max-age AGE      delete what is older, e.g. 12h, 30d (default: by size only)\n"

#define CGROUP_USAGE                                                                         \
	"  -c, --cgroup PATH  only processes in this cgroup v2 or below it, named from\n"      \
	"                     the v2 root (/system.slice/foo.service, as in\n"               \
	"                     /proc/PID/cgroup) or by its directory (/sys/fs/cgroup/...)\n"

static const char monitor_usage[] =
	"Usage: tcplens [OPTIONS]                 live monitor of TCP sessions and connects\n"
	"       tcplens life [OPTIONS]            one line per closed session (like tcplife)\n"
	"       tcplens connlat [OPTIONS] [MIN_MS]\n"
	"                                         one line per outgoing connect (like tcpconnlat)\n"
	"       tcplens json [OPTIONS]            one JSON object per session and connect\n"
	"       tcplens open [OPTIONS]            the TCP connections open now, with rates\n"
	"       tcplens record -w PATH [OPTIONS]  record everything, for -r later (a service)\n"
	"       tcplens serve [OPTIONS]           metrics for Prometheus over HTTP, headless\n"
	"\n"
	"'tcplens MODE --help' lists a mode's options.\n"
	"\n"
	"Monitor options:\n"
	"  -d SECONDS         refresh interval, 0.1-3600, fractions allowed (default 1)\n"
	"  -b                 batch: print plain-text snapshots, no full screen\n"
	"  -n COUNT           with -b, stop after COUNT snapshots\n"
	"  -f FILTER          start with this filter, e.g. 'port=443 comm=curl'\n"
	FILTER_USAGE
	"  --history N        sessions kept for scrolling back, 1000-100000000\n"
	"                     (default 200000)\n"
	"  --max-dests N      destinations tracked by the latency panel, 1-10000000\n"
	"                     (default 10000; the rest are folded into \"other\")\n"
	"  --no-color         no colours (also when NO_COLOR is set)\n"
	"  --listen ADDR:PORT also serve metrics for Prometheus there while monitoring\n"
	"                     (as 'tcplens serve'; see 'tcplens serve --help')\n"
	"  --max-series N     with --listen: series exported at most (default 5000)\n"
	"  --bpf-stats        show the probes' own run time per event (turns the kernel's\n"
	"                     BPF statistics on while tcplens runs; also the B key)\n"
	REPLAY_USAGE
	RECORD_USAGE
	"\n"
	"Filters -p, -L, -D, -4, -6 and -c run in the kernel and apply in every mode.\n"
	"\n"
	COMMON_USAGE;

static const char life_usage[] =
	"Usage: tcplens life [-T] [-t] [-w] [-s] [-p PID] [-L PORTS] [-D PORTS] [-4|-6]\n"
	"                    [-c PATH]\n"
	"One line per TCP session that reached ESTABLISHED, when it closes (like tcplife).\n"
	"\n"
	"  -T, --time         add a TIME column (HH:MM:SS, local time)\n"
	"  -t, --timestamp    add a TIME(s) column: seconds since the first line\n"
	"  -w, --wide         wide columns (fit IPv6 addresses) with an IP column\n"
	"  -s, --csv          comma-separated values\n"
	FILTER_USAGE
	REPLAY_USAGE
	RECORD_USAGE
	"\n"
	"Columns: PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS (payload KiB sent and\n"
	"received, lifespan in ms). PID '-' and COMM '[unknown]': the owner is not known.\n"
	"\n"
	COMMON_USAGE;

static const char connlat_usage[] =
	"Usage: tcplens connlat [-t] [-p PID] [-L] [-4|-6] [-c PATH] [-x] [MIN_MS]\n"
	"One line per outgoing TCP connect, when it is answered (like tcpconnlat).\n"
	"\n"
	"  MIN_MS             only connects at least this slow (ms, fractions allowed)\n"
	"  -t, --timestamp    add a TIME(s) column: seconds since the first line\n"
	"  -p PID             only this process (1-4194304)\n"
	"  -L, --lport        add an LPORT column\n"
	"  -4, -6             only IPv4, or only IPv6\n"
	CGROUP_USAGE
	"  -x, --extended     add RESULT and SYN_RTX columns, and show failed connects\n"
	"                     too (refused, timeout, error(errno))\n"
	REPLAY_USAGE
	RECORD_USAGE
	"\n"
	COMMON_USAGE;

static const char json_usage[] =
	"Usage: tcplens json [-p PID] [-L PORTS] [-D PORTS] [-4|-6] [-c PATH]\n"
	"One JSON object per line for every closed session and finished connect, and a\n"
	"\"stats\" object at exit.\n"
	"\n"
	FILTER_USAGE
	REPLAY_USAGE
	RECORD_USAGE
	"\n"
	COMMON_USAGE;

static const char open_usage[] =
	"Usage: tcplens open [-p PID] [-L PORTS] [-D PORTS] [-4|-6] [-c PATH] [-l]\n"
	"                    [-i SECONDS [-n COUNT]] [--json]\n"
	"The TCP connections open now, one line each, including those opened before\n"
	"tcplens started (their owner then comes from /proc, their direction from the\n"
	"listeners). With -i, a new snapshot every interval, with per-socket rates.\n"
	"\n"
	"  -l, --listening    listening sockets too, with a QUEUE column: connections\n"
	"                     waiting for accept() / the backlog (\"-\" for the others)\n"
	"  -i, --interval SECONDS\n"
	"                     a snapshot every SECONDS, 0.1-3600, fractions allowed, with\n"
	"                     TX_KB/s and RX_KB/s over the interval (default: one\n"
	"                     snapshot, then exit)\n"
	"  -n, --count COUNT  with -i, stop after COUNT snapshots (default: until Ctrl-C)\n"
	"  --json             one JSON object per socket, and {\"type\":\"snapshot_end\"}\n"
	"                     after each snapshot\n"
	FILTER_USAGE
	REPLAY_USAGE
	"                     (with -r: every snapshot the recording holds, in order)\n"
	"\n"
	"Columns: PID COMM STATE LADDR LPORT RADDR RPORT TX_KB RX_KB AGE_S RTT_MS (payload\n"
	"KiB sent and received, seconds since connect or accept, smoothed RTT). PID '-'\n"
	"and COMM '[unknown]': the owner is not known; AGE_S '-': opened before tracing\n"
	"started; a rate '-': the socket is new in this snapshot. A header starts each\n"
	"snapshot. Filters apply to the owner (-p: unknown owners never match) and to\n"
	"the local and remote ports; a listener has no remote port, so -D hides it.\n"
	"\n"
	COMMON_USAGE;

static const char record_usage[] =
	"Usage: tcplens record -w PATH [--max-size SIZE] [--max-age AGE] [-d SECONDS]\n"
	"                      [-p PID] [-L PORTS] [-D PORTS] [-4|-6] [-c PATH]\n"
	"Records every session and connect, the open connections every interval and the\n"
	"drop counters, for 'tcplens -r PATH' later. Headless: made for a service.\n"
	"\n"
	"  -w, --write PATH   a directory (created if missing) of files rotated by size\n"
	"                     and age, the oldest deleted to stay within the budget; or\n"
	"                     one file, if PATH ends in .tlrec\n"
	"  --max-size SIZE    the disk budget, e.g. 512M, 4G (default 4G)\n"
	"  --max-age AGE      also delete files older than AGE, e.g. 12h, 30d\n"
	"  -d SECONDS         open connections recorded every SECONDS, 0.1-3600 (default 1)\n"
	FILTER_USAGE
	"\n"
	"Written in chunks of about a second, each checksummed and compressed (zstd):\n"
	"SIGKILL or a power cut loses at most the last chunk.\n"
	"\n"
	COMMON_USAGE;

#define STR_(x) #x
#define STR(x) STR_(x)

static const char serve_usage[] =
	"Usage: tcplens serve [--listen ADDR:PORT] [--max-series N] [-p PID] [-L PORTS]\n"
	"                     [-D PORTS] [-4|-6] [-c PATH]\n"
	"Headless: serves metrics for Prometheus (or anything that scrapes its text\n"
	"formats) at http://ADDR:PORT/metrics, in the Prometheus text format 0.0.4 or\n"
	"OpenMetrics 1.0 as the scraper's Accept header asks. For a systemd service.\n"
	"\n"
	"  --listen ADDR:PORT numeric address and port (default 127.0.0.1:" STR(TL_LISTEN_DEFAULT_PORT) ",\n"
	"                     loopback only); IPv6 in brackets: [::1]:" STR(TL_LISTEN_DEFAULT_PORT) "\n"
	"  --max-series N     series exported at most, 1000-10000000 (default 5000);\n"
	"                     the least active destinations and units are folded into\n"
	"                     daddr=\"other\" / unit=\"other\"\n"
	FILTER_USAGE
	"\n"
	"Metrics (see tcplens(8), METRICS): sessions, payload bytes and resets by direction\n"
	"and unit; connects by destination and result; connect latency histograms (10 us\n"
	"to 100 s, 10 buckets a decade: histogram_quantile within 26.2%); open connections\n"
	"by state; listeners' accept queues; drops by cause; tcplens's CPU time.\n"
	"\n"
	COMMON_USAGE;

const char *tl_cli_usage(enum tl_mode mode)
{
	switch (mode) {
	case TL_MODE_LIFE:
		return life_usage;
	case TL_MODE_CONNLAT:
		return connlat_usage;
	case TL_MODE_JSON:
		return json_usage;
	case TL_MODE_OPEN:
		return open_usage;
	case TL_MODE_RECORD:
		return record_usage;
	case TL_MODE_SERVE:
		return serve_usage;
	default:
		return monitor_usage;
	}
}
