// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The line-mode writers append text by hand instead of printf'ing it. Here
 * every line is checked byte for byte against the printf formats they
 * replaced (kept below as the reference, with inet_ntop for addresses), on
 * edge values and on pseudo-random records, in every column option.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "printer.h"
#include "tests/unit/tap.h"

#define REF_MAX 2048

struct ref {
	char buf[REF_MAX];
	size_t len;
	bool have_first;
	uint64_t first_ts_ns;
};

__attribute__((format(printf, 2, 3)))
static void ref_printf(struct ref *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(x->buf + x->len, sizeof(x->buf) - x->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->len += (size_t)n;
}

static const char *ref_addr(char *buf, size_t len, uint8_t family, const uint8_t a[16])
{
	if (family != 4 && family != 6)
		return "?";
	return inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
}

static void ref_fixed(char *buf, size_t len, uint64_t value, uint64_t unit, unsigned int decimals)
{
	uint64_t pow = 1, step, t;
	unsigned int i;

	for (i = 0; i < decimals; i++)
		pow *= 10;
	step = unit / pow ? unit / pow : 1;
	t = value / step + (value % step >= (step + 1) / 2 && step > 1);
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(t / pow), (int)decimals,
		 (unsigned long long)(t % pow));
}

static uint64_t ref_rel(struct ref *x, uint64_t ts)
{
	if (!x->have_first) {
		x->have_first = true;
		x->first_ts_ns = ts;
	}
	return ts > x->first_ts_ns ? ts - x->first_ts_ns : 0;
}

/* tl_line_column's cut: whole escapes and characters, then spaces */
static void ref_column(struct ref *x, const char *esc, unsigned int width)
{
	unsigned int used = 0, cols;
	const char *s = esc;
	size_t n;

	while (*s) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\') {
			n = s[1] == 'x' ? 4 : 2;
			cols = (unsigned int)n;
		} else {
			n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			cols = 1;
		}
		n = strnlen(s, n);
		if (used + cols > width)
			break;
		used += cols;
		s += n;
	}
	ref_printf(x, "%.*s%*s", (int)(s - esc), esc, (int)(width - used), "");
}

static long long ref_err(int32_t err)
{
	return err < 0 ? -(long long)err : err;
}

static void ref_life(struct ref *x, const struct tl_options *o, const struct tl_record *r)
{
	char pid[16], comm[TL_COMM_MAX], csv[4 * TL_COMM_MAX], la[64], ra[64], ms[64], t[64];
	unsigned long long tx = r->tx_bytes / 1024, rx = r->rx_bytes / 1024;
	const char *l = ref_addr(la, sizeof(la), r->family, r->laddr);
	const char *rm = ref_addr(ra, sizeof(ra), r->family, r->raddr);
	size_t i, k = 0;

	if (r->kind != TL_REC_SESSION)
		return;
	tl_fmt_pid(pid, sizeof(pid), r);
	tl_fmt_comm(comm, sizeof(comm), r);
	ref_fixed(ms, sizeof(ms), r->span_ns, 1000000, 2);
	if (o->time_hms) {
		time_t secs = (time_t)(r->ts_ns / 1000000000ULL);
		struct tm tm;

		if (!localtime_r(&secs, &tm) || !strftime(t, sizeof(t), "%H:%M:%S", &tm))
			strcpy(t, "??:??:??");
		ref_printf(x, o->csv ? "%s," : "%-8s ", t);
	}
	if (o->time_rel) {
		ref_fixed(t, sizeof(t), ref_rel(x, r->ts_ns), 1000000000ULL, 6);
		ref_printf(x, o->csv ? "%s," : "%-9s ", t);
	}
	if (o->csv) {
		bool quote = strchr(comm, ',') || strchr(comm, '"');

		if (quote)
			csv[k++] = '"';
		for (i = 0; comm[i]; i++) {
			if (comm[i] == '"')
				csv[k++] = '"';
			csv[k++] = comm[i];
		}
		if (quote)
			csv[k++] = '"';
		csv[k] = '\0';
		ref_printf(x, "%s,%s,%u,%s,%u,%s,%u,%llu,%llu,%s", pid, csv, r->family, l,
			   r->lport, rm, r->rport, tx, rx, ms);
	} else if (o->wide) {
		ref_printf(x, "%-5s ", pid);
		ref_column(x, comm, 16);
		ref_printf(x, " %-2u %-26s %-5u %-26s %-5u %6llu %6llu %s", r->family, l, r->lport,
			   rm, r->rport, tx, rx, ms);
	} else {
		ref_printf(x, "%-5s ", pid);
		ref_column(x, comm, 10);
		ref_printf(x, " %-15s %-5u %-15s %-5u %5llu %5llu %s", l, r->lport, rm, r->rport,
			   tx, rx, ms);
	}
	ref_printf(x, "\n");
}

static void ref_connlat(struct ref *x, const struct tl_options *o, uint64_t min_ns,
			const struct tl_record *r)
{
	char pid[16], comm[TL_COMM_MAX], sa[64], da[64], lat[64], rel[64], res[32];

	if (r->kind != TL_REC_CONNECT || (!o->extended && r->result != TL_REC_OK) ||
	    r->span_ns < min_ns)
		return;
	tl_fmt_pid(pid, sizeof(pid), r);
	tl_fmt_comm(comm, sizeof(comm), r);
	ref_fixed(lat, sizeof(lat), r->span_ns, 1000000, 2);
	if (o->time_rel) {
		ref_fixed(rel, sizeof(rel), ref_rel(x, r->ts_ns), 1000000000ULL, 3);
		ref_printf(x, "%-8s ", rel);
	}
	ref_printf(x, "%-6s ", pid);
	ref_column(x, comm, 12);
	ref_printf(x, " %-2u %-16s ", r->family, ref_addr(sa, sizeof(sa), r->family, r->laddr));
	if (o->show_lport)
		ref_printf(x, "%-6u ", r->lport);
	ref_printf(x, "%-16s %-5u ", ref_addr(da, sizeof(da), r->family, r->raddr), r->rport);
	if (o->extended) {
		if (r->result == TL_REC_ERROR)
			snprintf(res, sizeof(res), "error(%lld)", ref_err(r->err));
		else
			snprintf(res, sizeof(res), "%s", tl_fmt_result(r->result));
		ref_printf(x, "%-9s %-11s %u\n", lat, res, r->retrans);
	} else {
		ref_printf(x, "%s\n", lat);
	}
}

static void ref_json(struct ref *x, const struct tl_record *r)
{
	char comm[TL_REC_COMM_LEN * 6 + 3], la[64], ra[64], span[64];
	unsigned long long ts_us = r->ts_ns / 1000;
	const char *l = ref_addr(la, sizeof(la), r->family, r->laddr);
	const char *rm = ref_addr(ra, sizeof(ra), r->family, r->raddr);

	if (r->kind != TL_REC_SESSION && r->kind != TL_REC_CONNECT)
		return;
	ref_fixed(span, sizeof(span), r->span_ns, 1000000, 3);
	ref_printf(x, "{\"type\":\"%s\",\"ts\":%llu.%06llu,",
		   r->kind == TL_REC_SESSION ? "session" : "connect", ts_us / 1000000,
		   ts_us % 1000000);
	if (r->owner_known) {
		tl_fmt_json_string(comm, sizeof(comm), r->comm, sizeof(r->comm));
		ref_printf(x, "\"pid\":%u,\"comm\":%s,", r->pid, comm);
	} else {
		ref_printf(x, "\"pid\":null,\"comm\":null,");
	}
	if (r->kind == TL_REC_SESSION)
		ref_printf(x, "\"family\":%u,\"laddr\":\"%s\",\"lport\":%u,\"raddr\":\"%s\","
			   "\"rport\":%u,\"dir\":\"%s\",\"tx_bytes\":%llu,\"rx_bytes\":%llu,"
			   "\"duration_ms\":%s,\"retrans\":%u,\"srtt_us\":%u,\"cgroup\":null,"
			   "\"reset\":%s,\"opened_before_start\":%s}\n",
			   r->family, l, r->lport, rm, r->rport, tl_fmt_dir(r->dir),
			   (unsigned long long)r->tx_bytes, (unsigned long long)r->rx_bytes, span,
			   r->retrans, r->srtt_us, r->reset ? "true" : "false",
			   r->adopted ? "true" : "false");
	else
		ref_printf(x, "\"family\":%u,\"saddr\":\"%s\",\"lport\":%u,\"daddr\":\"%s\","
			   "\"dport\":%u,\"latency_ms\":%s,\"result\":\"%s\",\"errno\":%lld,"
			   "\"syn_retrans\":%u,\"cgroup\":null}\n",
			   r->family, l, r->lport, rm, r->rport, span, tl_fmt_result(r->result),
			   ref_err(r->err), r->retrans);
}

/* ---- records ---- */

#define NEDGE 64
#define NRAND 4000

static struct tl_record recs[NEDGE + NRAND];
static unsigned int nrecs;
static uint64_t seed = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* A value of random magnitude: small, mid, near the top, all likely. */
static uint64_t rnd_mag(void)
{
	unsigned int bits = (unsigned int)(rnd() % 65);

	return bits == 64 ? rnd() : rnd() & ((1ULL << bits) - 1);
}

static const char *const addrs4[] = { "0.0.0.0", "255.255.255.255", "127.0.0.1", "1.10.100.9",
				      "100.0.10.200", "9.99.199.249" };
static const char *const addrs6[] = { "::", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				      "1111:2222:3333:4444:5555:6666:7777:8888", "fe80::1",
				      "::ffff:255.255.255.255", "2001:db8:0:0:1:0:0:1",
				      "1:0:0:1:0:0:0:1", "::ffff:0.0.0.0" };
static const char *const comms[] = {
	"curl", "", "abcdefghijklmno", "a\"b\\c,d~ e\x1f\x7fz!", "\x1b[2J\x1b[1;1Hbadbad",
	"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "\xc2\x9b\xc2\xa0,,,,,,,,,,,", "\t\n\r\b\f\"\"\"\\\\\\",
	"~~~~~~~~~~~~~~~", "           x   ", "\xf0\x9f\x98\x80\xf4\x90\x80\x80\xed\xa0\x80",
};

static struct tl_record *add(uint8_t kind)
{
	struct tl_record *r = &recs[nrecs++];

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->family = 4;
	r->owner_known = 1;
	r->ts_ns = 1700000000123456789ULL;
	strcpy(r->comm, "x");
	return r;
}

static void set_addrs(struct tl_record *r, uint8_t family, const char *l, const char *rm)
{
	r->family = family;
	memset(r->laddr, 0, 16);
	memset(r->raddr, 0, 16);
	inet_pton(family == 4 ? AF_INET : AF_INET6, l, r->laddr);
	inet_pton(family == 4 ? AF_INET : AF_INET6, rm, r->raddr);
}

static void make_records(void)
{
	static const uint64_t big[] = { 0, 1, 499999, 500000, 999999, 1000000, 999994999,
					999995000, UINT64_MAX, UINT64_MAX - 1, 1ULL << 63,
					18446744073709ULL };
	unsigned int i, k;
	struct tl_record *r;

	for (k = 1; k <= 2; k++) {
		for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
			r = add((uint8_t)k);
			r->span_ns = r->tx_bytes = r->rx_bytes = r->ts_ns = big[i];
			r->pid = (uint32_t)big[i];
			r->retrans = r->srtt_us = (uint32_t)(big[i] >> 32);
			r->lport = r->rport = (uint16_t)big[i];
			r->err = (int32_t)(big[i] & 0x7fffffff);
			r->result = (uint8_t)(i % 5);
			r->dir = (uint8_t)(i % 4);
			r->owner_known = i % 3 != 2;
			set_addrs(r, 4, addrs4[i % 6], addrs4[(i + 1) % 6]);
		}
		r = add((uint8_t)k);
		r->pid = UINT32_MAX;
		r->retrans = r->srtt_us = UINT32_MAX;
		r->lport = r->rport = 65535;
		r->err = -INT32_MAX;
		r->result = TL_REC_ERROR;
		set_addrs(r, 6, addrs6[2], addrs6[3]);
		r = add((uint8_t)k);
		r->family = 9;	/* no such family: "?" */
	}
	for (i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		r = add(i % 2 ? TL_REC_SESSION : TL_REC_CONNECT);
		strcpy(r->comm, comms[i]);
	}
	/* 16 bytes, no NUL */
	r = add(TL_REC_SESSION);
	memcpy(r->comm, "0123456789abcdef", 16);
	r = add(TL_REC_CONNECT);
	memset(r->comm, 0xff, 16);
	r = add(TL_REC_CONNECT);
	memcpy(r->comm, "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"", 16);

	while (nrecs < NEDGE + NRAND) {
		r = add(rnd() % 8 ? (uint8_t)(1 + rnd() % 2) : (uint8_t)(rnd() % 4));
		r->ts_ns = rnd() % 4 ? 1700000000000000000ULL + rnd() % 100000000000ULL : rnd_mag();
		r->span_ns = rnd_mag();
		r->tx_bytes = rnd_mag();
		r->rx_bytes = rnd_mag();
		r->pid = (uint32_t)rnd_mag();
		r->retrans = (uint32_t)rnd_mag();
		r->srtt_us = (uint32_t)rnd_mag();
		r->err = (int32_t)rnd_mag();
		if (r->err == INT32_MIN)
			r->err = 0;
		r->lport = (uint16_t)rnd_mag();
		r->rport = (uint16_t)rnd_mag();
		r->dir = (uint8_t)(rnd() % 4);
		r->result = (uint8_t)(rnd() % 5);
		r->owner_known = rnd() % 8 != 0;
		if (rnd() % 2) {
			strcpy(r->comm, comms[rnd() % (sizeof(comms) / sizeof(comms[0]))]);
		} else {
			for (i = 0; i < 16; i++)
				r->comm[i] = (char)(rnd() % 3 ? 0x20 + rnd() % 0x60 : rnd() % 256);
		}
		if (rnd() % 3)
			set_addrs(r, 4, addrs4[rnd() % 6], addrs4[rnd() % 6]);
		else
			set_addrs(r, 6, addrs6[rnd() % 9], addrs6[rnd() % 9]);
		if (rnd() % 4 == 0) {
			for (i = 0; i < 16; i++) {
				r->laddr[i] = (uint8_t)rnd();
				r->raddr[i] = (uint8_t)(rnd() % 3 ? 0 : rnd());
			}
		}
	}
}

/* ---- comparing ---- */

/* Prints every record through a fresh printer and through the reference;
 * one TAP line for the lot, the first difference shown. */
static void compare(const char *name, const struct tl_options *o)
{
	struct tl_printer *p;
	struct ref x;
	char *buf = NULL;
	size_t len = 0, bad = 0, i;
	uint64_t min_ns = o->min_ms > 0 ? (uint64_t)(o->min_ms * 1e6 + 0.5) : 0;
	FILE *f;

	memset(&x, 0, sizeof(x));
	f = open_memstream(&buf, &len);
	p = tl_printer_new(o, f);
	if (!f || !p) {
		ok(0, "%s: printer", name);
		return;
	}
	for (i = 0; i < nrecs; i++) {
		size_t before_ref = x.len, before_out;

		fflush(f);
		before_out = len;
		tl_printer_record(p, &recs[i]);
		fflush(f);
		if (o->mode == TL_MODE_LIFE)
			ref_life(&x, o, &recs[i]);
		else if (o->mode == TL_MODE_CONNLAT)
			ref_connlat(&x, o, min_ns, &recs[i]);
		else
			ref_json(&x, &recs[i]);
		if (len - before_out != x.len - before_ref ||
		    memcmp(buf + before_out, x.buf + before_ref, x.len - before_ref)) {
			if (!bad++)
				printf("# record %zu\n#   got  %.*s#   want %.*s", i,
				       (int)(len - before_out), buf + before_out,
				       (int)(x.len - before_ref), x.buf + before_ref);
		}
		/* the reference's buffer holds one line at a time */
		x.len = 0;
	}
	tl_printer_free(p);
	fclose(f);
	free(buf);
	is_int(bad, 0, "%s: %u records byte-identical to the printf formats", name, nrecs);
}

static void test_modes(void)
{
	static const struct {
		const char *name;
		bool hms, rel, wide, csv;
	} life[] = {
		{ "life", 0, 0, 0, 0 },	     { "life -w", 0, 0, 1, 0 },
		{ "life -s", 0, 0, 0, 1 },   { "life -T -t", 1, 1, 0, 0 },
		{ "life -w -T", 1, 0, 1, 0 }, { "life -s -T -t", 1, 1, 0, 1 },
		{ "life -w -t", 0, 1, 1, 0 },
	};
	static const struct {
		const char *name;
		bool rel, lport, ext;
		double min_ms;
	} cl[] = {
		{ "connlat", 0, 0, 0, 0 },	    { "connlat -L", 0, 1, 0, 0 },
		{ "connlat -t", 1, 0, 0, 0 },	    { "connlat -x", 0, 0, 1, 0 },
		{ "connlat -x -L -t", 1, 1, 1, 0 }, { "connlat -x 0.5", 0, 0, 1, 0.5 },
	};
	struct tl_options o;
	unsigned int i;

	for (i = 0; i < sizeof(life) / sizeof(life[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.mode = TL_MODE_LIFE;
		o.time_hms = life[i].hms;
		o.time_rel = life[i].rel;
		o.wide = life[i].wide;
		o.csv = life[i].csv;
		compare(life[i].name, &o);
	}
	for (i = 0; i < sizeof(cl) / sizeof(cl[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.mode = TL_MODE_CONNLAT;
		o.time_rel = cl[i].rel;
		o.show_lport = cl[i].lport;
		o.extended = cl[i].ext;
		o.min_ms = cl[i].min_ms;
		compare(cl[i].name, &o);
	}
	memset(&o, 0, sizeof(o));
	o.mode = TL_MODE_JSON;
	compare("json", &o);
}

/* A few lines spelled out, so a reference that drifted would show too. */
static void test_spelled(void)
{
	struct tl_options o = { .mode = TL_MODE_JSON };
	struct tl_record r;
	struct tl_printer *p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_SESSION;
	r.ts_ns = UINT64_MAX;
	r.span_ns = UINT64_MAX;
	r.tx_bytes = UINT64_MAX;
	r.pid = UINT32_MAX;
	r.retrans = UINT32_MAX;
	r.owner_known = 1;
	memcpy(r.comm, "a\"b\\c d~e\x01" "fghij", 15);
	r.family = 4;
	memset(r.laddr, 255, 4);
	r.lport = 65535;
	r.rport = 0;
	r.dir = TL_REC_PASSIVE;
	p = tl_printer_new(&o, f);
	tl_printer_record(p, &r);
	r.kind = TL_REC_CONNECT;
	r.family = 6;
	memset(r.raddr, 0xab, 16);
	r.result = TL_REC_ERROR;
	r.err = -INT32_MAX;
	r.span_ns = 0;
	memcpy(r.comm, "abcdefghijklmno", 16);
	tl_printer_record(p, &r);
	tl_printer_free(p);
	fclose(f);
	is_str(buf,
	       "{\"type\":\"session\",\"ts\":18446744073.709551,\"pid\":4294967295,"
	       "\"comm\":\"a\\\"b\\\\\\\\c d~e\\\\x01fghij\",\"family\":4,"
	       "\"laddr\":\"255.255.255.255\",\"lport\":65535,\"raddr\":\"0.0.0.0\","
	       "\"rport\":0,\"dir\":\"passive\",\"tx_bytes\":18446744073709551615,"
	       "\"rx_bytes\":0,\"duration_ms\":18446744073709.552,\"retrans\":4294967295,"
	       "\"srtt_us\":0,\"cgroup\":null,\"reset\":false,\"opened_before_start\":false}\n"
	       "{\"type\":\"connect\",\"ts\":18446744073.709551,\"pid\":4294967295,"
	       "\"comm\":\"abcdefghijklmno\",\"family\":6,\"saddr\":\"ffff:ffff::\","
	       "\"lport\":65535,\"daddr\":\"abab:abab:abab:abab:abab:abab:abab:abab\","
	       "\"dport\":0,\"latency_ms\":0.000,\"result\":\"error\",\"errno\":2147483647,"
	       "\"syn_retrans\":4294967295,\"cgroup\":null}\n",
	       "json: maximum values spelled out");
	free(buf);
}

/* The copy-as-is paths of format.c at their edges: exact fit, one byte short. */
static void test_format_edges(void)
{
	static const uint8_t quads[][4] = { { 255, 255, 255, 255 }, { 0, 0, 0, 0 },
					    { 1, 10, 100, 9 }, { 99, 100, 199, 200 } };
	char got[64], want[64], full[64];
	unsigned int i, bad = 0;
	size_t len, n;

	for (i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
		uint8_t a[16] = { 0 };

		memcpy(a, quads[i], 4);
		inet_ntop(AF_INET, a, full, sizeof(full));
		for (len = 0; len < 20; len++) {
			snprintf(want, sizeof(want), "%.*s", len ? (int)len - 1 : 0, full);
			memset(got, 'Z', sizeof(got));
			n = tl_fmt_addr(got, len, 4, a);
			if (len && (strcmp(got, want) || n != strlen(want)))
				bad++;
			if (!len && (n || got[0] != 'Z'))
				bad++;
		}
	}
	is_int(bad, 0, "IPv4 dotted quads equal inet_ntop's, cut at every buffer size");

	/* 15 printable bytes: copied as is when they fit, else cut as before */
	n = tl_fmt_escape(got, 16, "abcdefghij ~!@#", 16);
	is_str(got, "abcdefghij ~!@#", "escape: 15 plain bytes in 16");
	is_int(n, 15, "escape: length 15");
	n = tl_fmt_escape(got, 15, "abcdefghij ~!@#", 16);
	is_str(got, "abcdefghij ~!@", "escape: one byte short cuts the last");
	n = tl_fmt_json_string(got, 18, "abcdefghij ~!@#", 16);
	is_str(got, "\"abcdefghij ~!@#\"", "json: 15 plain bytes in 18");
	is_int(n, 17, "json: length 17");
	tl_fmt_json_string(got, 17, "abcdefghij ~!@#", 16);
	is_str(got, "\"abcdefghij ~!@\"", "json: one byte short cuts the last");
	/* 15 bytes with every kind of escape */
	tl_fmt_escape(got, sizeof(got), "a\"b\\c\x7f\x1f\xc3\xa9\xff,~ \t", 16);
	is_str(got, "a\"b\\\\c\\x7f\\x1f\xc3\xa9\\xff,~ \\x09", "escape: 15 bytes, escapes mixed");
	tl_fmt_json_string(got, sizeof(got), "a\"b\\c\x7f\x1f\xc3\xa9\xff,~ \t", 16);
	is_str(got, "\"a\\\"b\\\\\\\\c\\\\x7f\\\\x1f\xc3\xa9\\\\xff,~ \\\\x09\"",
	       "json: 15 bytes, escapes mixed: the escape's text, JSON-quoted");
}

int main(void)
{
	/* -T is local time: pin the zone */
	setenv("TZ", "UTC", 1);
	tzset();
	make_records();
	test_modes();
	test_spelled();
	test_format_edges();
	return tap_done();
}
