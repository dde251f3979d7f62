// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Expected lines for life and connlat were produced by running bcc's own
 * format strings (tools/tcplife.py, tools/tcpconnlat.py) in Python on the
 * same values, so they check compatibility, not just self-consistency.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "printer.h"
#include "tests/unit/tap.h"

static struct tl_options o;
static char *out_buf;
static size_t out_len;
static FILE *out;
static struct tl_printer *pr;

static void start(void)
{
	out = open_memstream(&out_buf, &out_len);
	pr = tl_printer_new(&o, out);
}

/* Stop and return everything written; valid until the next start(). */
static const char *stop(void)
{
	static char *last;

	tl_printer_free(pr);
	fclose(out);
	free(last);
	last = out_buf;
	return out_buf;
}

static void reset(enum tl_mode mode)
{
	memset(&o, 0, sizeof(o));
	o.mode = mode;
}

static void ip(struct tl_record *r, const char *l, const char *rem)
{
	int af = r->family == 4 ? AF_INET : AF_INET6;

	inet_pton(af, l, r->laddr);
	inet_pton(af, rem, r->raddr);
}

/* A v4 session with a known owner. */
static struct tl_record session4(void)
{
	struct tl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_SESSION;
	r.ts_ns = 1700000000123456789ULL;
	r.span_ns = 1234567;
	r.tx_bytes = 1536;
	r.rx_bytes = 10240;
	r.pid = 1234;
	r.owner_known = 1;
	strcpy(r.comm, "curl");
	r.family = 4;
	ip(&r, "10.0.0.1", "10.0.0.2");
	r.lport = 51234;
	r.rport = 443;
	r.dir = TL_REC_ACTIVE;
	r.retrans = 2;
	r.srtt_us = 345;
	return r;
}

/* A v6 session whose owner is unknown. */
static struct tl_record session6(void)
{
	struct tl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_SESSION;
	r.ts_ns = 1700000001623456789ULL;	/* 1.5 s after session4 */
	r.span_ns = 150004000;
	r.tx_bytes = 0;
	r.rx_bytes = 1048576;
	r.pid = 999;		/* must not be shown: owner unknown */
	strcpy(r.comm, "ksoftirqd/0");
	r.family = 6;
	ip(&r, "2001:db8::1", "2001:db8::abcd:1234");
	r.lport = 80;
	r.rport = 55555;
	r.dir = TL_REC_PASSIVE;
	return r;
}

static struct tl_record connect4(uint8_t result, uint64_t lat_ns)
{
	struct tl_record r;

	memset(&r, 0, sizeof(r));
	r.kind = TL_REC_CONNECT;
	r.ts_ns = 1700000000000000000ULL;
	r.span_ns = lat_ns;
	r.pid = 42;
	r.owner_known = 1;
	strcpy(r.comm, "wget");
	r.family = 4;
	ip(&r, "192.168.1.10", "93.184.216.34");
	r.lport = 40000;
	r.rport = 80;
	r.result = result;
	return r;
}

static void test_life(void)
{
	struct tl_record s4 = session4(), s6 = session6(), c = connect4(TL_REC_OK, 1000000);
	struct tl_record h = session4();

	reset(TL_MODE_LIFE);
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &s4);
	tl_printer_record(pr, &c);	/* not a session: not printed */
	tl_printer_record(pr, &s6);
	is_str(stop(),
	       "PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS\n"
	       "1234  curl       10.0.0.1        51234 10.0.0.2        443       1    10 1.23\n"
	       "-     [unknown]  2001:db8::1     80    2001:db8::abcd:1234 55555     0  1024 150.00\n",
	       "life: header, v4, unknown-owner v6 (address longer than the column), no connect");

	o.wide = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &s4);
	tl_printer_record(pr, &s6);
	is_str(stop(),
	       "PID   COMM             IP LADDR                      LPORT RADDR                      RPORT  TX_KB  RX_KB MS\n"
	       "1234  curl             4  10.0.0.1                   51234 10.0.0.2                   443        1     10 1.23\n"
	       "-     [unknown]        6  2001:db8::1                80    2001:db8::abcd:1234        55555      0   1024 150.00\n",
	       "life -w");

	o.wide = false;
	o.csv = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &s4);
	tl_printer_record(pr, &s6);
	is_str(stop(),
	       "PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS\n"
	       "1234,curl,4,10.0.0.1,51234,10.0.0.2,443,1,10,1.23\n"
	       "-,[unknown],6,2001:db8::1,80,2001:db8::abcd:1234,55555,0,1024,150.00\n",
	       "life -s");

	/* -T is local time: pin the zone */
	setenv("TZ", "UTC", 1);
	tzset();
	o.csv = false;
	o.time_hms = true;
	o.time_rel = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &s4);
	tl_printer_record(pr, &s6);
	is_str(stop(),
	       "TIME     TIME(s)   PID   COMM       LADDR           LPORT RADDR           RPORT TX_KB RX_KB MS\n"
	       "22:13:20 0.000000  1234  curl       10.0.0.1        51234 10.0.0.2        443       1    10 1.23\n"
	       "22:13:21 1.500000  -     [unknown]  2001:db8::1     80    2001:db8::abcd:1234 55555     0  1024 150.00\n",
	       "life -T -t");

	o.csv = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &s6);	/* -t counts from the first line printed */
	tl_printer_record(pr, &s4);	/* earlier than the first: clamped to 0 */
	is_str(stop(),
	       "TIME,TIME(s),PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS\n"
	       "22:13:21,0.000000,-,[unknown],6,2001:db8::1,80,2001:db8::abcd:1234,55555,0,1024,150.00\n"
	       "22:13:20,0.000000,1234,curl,4,10.0.0.1,51234,10.0.0.2,443,1,10,1.23\n",
	       "life -s -T -t");

	/* hostile names: escaped, cut to the column at escape boundaries */
	reset(TL_MODE_LIFE);
	memcpy(h.comm, "a\x1b[2Jb\"\n", 9);
	start();
	tl_printer_record(pr, &h);
	is_str(stop(),
	       "1234  a\\x1b[2Jb\" 10.0.0.1        51234 10.0.0.2        443       1    10 1.23\n",
	       "life: hostile comm escaped and cut to 10 columns");
	strcpy(h.comm, "abcdefg\x01z");
	start();
	tl_printer_record(pr, &h);
	is_str(stop(),
	       "1234  abcdefg    10.0.0.1        51234 10.0.0.2        443       1    10 1.23\n",
	       "life: an escape that would cross the column edge is left out, then padding");
	strcpy(h.comm, "x\\\x01,y\xc3\xa9z");
	start();
	tl_printer_record(pr, &h);
	is_str(stop(),
	       "1234  x\\\\\\x01,y\xc3\xa9 10.0.0.1        51234 10.0.0.2        443       1    10 1.23\n",
	       "life: backslash, escape, comma, UTF-8: exactly 10 columns");
	o.csv = true;
	start();
	tl_printer_record(pr, &h);
	is_str(stop(), "1234,\"x\\\\\\x01,y\xc3\xa9z\",4,10.0.0.1,51234,10.0.0.2,443,1,10,1.23\n",
	       "life -s: whole name, quoted (RFC 4180) for its comma");
	strcpy(h.comm, "\"},{\"x\":1");
	start();
	tl_printer_record(pr, &h);
	is_str(stop(), "1234,\"\"\"},{\"\"x\"\":1\",4,10.0.0.1,51234,10.0.0.2,443,1,10,1.23\n",
	       "life -s: quotes in a name are doubled inside a quoted field");
	strcpy(h.comm, "x\\\x01,y\xc3\xa9z");
	o.csv = false;
	strcpy(h.comm, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	start();
	tl_printer_record(pr, &h);
	is_str(stop(),
	       "1234  \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9     10.0.0.1        51234 10.0.0.2        443       1    10 1.23\n",
	       "life: UTF-8 name padded by characters, not bytes");

	/* large values and rounding */
	h = session4();
	h.tx_bytes = 1023;
	h.rx_bytes = 5ULL << 30;
	h.span_ns = 999995;
	h.pid = 4194304;
	strcpy(h.comm, "a-very-long-name");
	start();
	tl_printer_record(pr, &h);
	is_str(stop(),
	       "4194304 a-very-lon 10.0.0.1        51234 10.0.0.2        443       0 5242880 1.00\n",
	       "life: 1023 B is 0 KB, wide numbers, MS rounds, long comm cut");
}

static void test_connlat(void)
{
	struct tl_record ok4 = connect4(TL_REC_OK, 12345678);
	struct tl_record refused = connect4(TL_REC_REFUSED, 200000);
	struct tl_record timeout = connect4(TL_REC_TIMEOUT, 3000000000ULL);
	struct tl_record error = connect4(TL_REC_ERROR, 1500000);
	struct tl_record v6 = connect4(TL_REC_OK, 3000000), s = session4();

	timeout.retrans = 6;
	timeout.ts_ns += 3000000000ULL;
	error.err = 113;
	v6.family = 6;
	v6.pid = 7;
	strcpy(v6.comm, "a-very-long-name");
	ip(&v6, "fe80::1", "2001:db8:1:2:3:4:5:6");
	v6.rport = 443;

	reset(TL_MODE_CONNLAT);
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &ok4);
	tl_printer_record(pr, &refused);
	tl_printer_record(pr, &timeout);
	tl_printer_record(pr, &error);
	tl_printer_record(pr, &s);	/* a session: not printed */
	tl_printer_record(pr, &v6);
	is_str(stop(),
	       "PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"
	       "42     wget         4  192.168.1.10     93.184.216.34    80    12.35\n"
	       "7      a-very-long- 6  fe80::1          2001:db8:1:2:3:4:5:6 443   3.00\n",
	       "connlat: only ok connects, like tcpconnlat");

	o.show_lport = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &ok4);
	is_str(stop(),
	       "PID    COMM         IP SADDR            LPORT  DADDR            DPORT LAT(ms)\n"
	       "42     wget         4  192.168.1.10     40000  93.184.216.34    80    12.35\n",
	       "connlat -L");

	o.show_lport = false;
	o.time_rel = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &ok4);
	tl_printer_record(pr, &timeout);	/* failed: not shown without -x */
	is_str(stop(),
	       "TIME(s)  PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)\n"
	       "0.000    42     wget         4  192.168.1.10     93.184.216.34    80    12.35\n",
	       "connlat -t");

	o.time_rel = false;
	o.extended = true;
	start();
	tl_printer_header(pr);
	tl_printer_record(pr, &ok4);
	tl_printer_record(pr, &refused);
	tl_printer_record(pr, &timeout);
	tl_printer_record(pr, &error);
	is_str(stop(),
	       "PID    COMM         IP SADDR            DADDR            DPORT LAT(ms)   RESULT      SYN_RTX\n"
	       "42     wget         4  192.168.1.10     93.184.216.34    80    12.35     ok          0\n"
	       "42     wget         4  192.168.1.10     93.184.216.34    80    0.20      refused     0\n"
	       "42     wget         4  192.168.1.10     93.184.216.34    80    3000.00   timeout     6\n"
	       "42     wget         4  192.168.1.10     93.184.216.34    80    1.50      error(113)  0\n",
	       "connlat -x: failed connects too, with RESULT and SYN_RTX");

	o.min_ms = 12.345678;
	start();
	tl_printer_record(pr, &ok4);
	tl_printer_record(pr, &refused);
	tl_printer_record(pr, &timeout);
	tl_printer_record(pr, &error);
	is_str(stop(),
	       "42     wget         4  192.168.1.10     93.184.216.34    80    12.35     ok          0\n"
	       "42     wget         4  192.168.1.10     93.184.216.34    80    3000.00   timeout     6\n",
	       "connlat -x MIN_MS: at or above the threshold");

	o.extended = false;
	o.min_ms = 12.35;
	start();
	tl_printer_record(pr, &ok4);
	tl_printer_record(pr, &timeout);
	is_str(stop(), "", "connlat MIN_MS above every ok connect: nothing");
	o.min_ms = 1;
	start();
	tl_printer_record(pr, &v6);
	tl_printer_record(pr, &refused);
	is_str(stop(),
	       "7      a-very-long- 6  fe80::1          2001:db8:1:2:3:4:5:6 443   3.00\n",
	       "connlat MIN_MS 1");
}

static const char *test_cgroup_path(void *ctx, uint64_t id)
{
	(void)ctx;
	if (id == 77)
		return "/system.slice/a b.service";
	if (id == 78)
		return "/x\x1b\"y";
	return NULL;
}

static void test_json(void)
{
	struct tl_record s4 = session4(), s6 = session6(), h = session4();
	struct tl_record c = connect4(TL_REC_OK, 123456), e = connect4(TL_REC_ERROR, 1500000);
	struct tl_totals t = { .sessions = 10, .connects = 5, .drops = { .ringbuf = 3, .map = 4, .missed = 2,
		.ringbuf_sessions = 1, .ringbuf_connects = 2, .map_sessions = 3, .map_connects = 1,
		.map_sessions_max = 5, .map_connects_max = 6 }, .dropped_output = 9 };

	e.err = 113;
	e.retrans = 1;
	reset(TL_MODE_JSON);
	start();
	tl_printer_header(pr);	/* nothing for json */
	tl_printer_record(pr, &s4);
	tl_printer_record(pr, &s6);
	tl_printer_record(pr, &c);
	tl_printer_record(pr, &e);
	tl_printer_totals(pr, &t);
	is_str(stop(),
	       "{\"type\":\"session\",\"ts\":1700000000.123456,\"pid\":1234,\"comm\":\"curl\","
	       "\"family\":4,\"laddr\":\"10.0.0.1\",\"lport\":51234,\"raddr\":\"10.0.0.2\","
	       "\"rport\":443,\"dir\":\"active\",\"tx_bytes\":1536,\"rx_bytes\":10240,"
	       "\"duration_ms\":1.235,\"retrans\":2,\"srtt_us\":345,\"cgroup\":null,\"reset\":false,\"opened_before_start\":false}\n"
	       "{\"type\":\"session\",\"ts\":1700000001.623456,\"pid\":null,\"comm\":null,"
	       "\"family\":6,\"laddr\":\"2001:db8::1\",\"lport\":80,"
	       "\"raddr\":\"2001:db8::abcd:1234\",\"rport\":55555,\"dir\":\"passive\","
	       "\"tx_bytes\":0,\"rx_bytes\":1048576,\"duration_ms\":150.004,\"retrans\":0,"
	       "\"srtt_us\":0,\"cgroup\":null,\"reset\":false,\"opened_before_start\":false}\n"
	       "{\"type\":\"connect\",\"ts\":1700000000.000000,\"pid\":42,\"comm\":\"wget\","
	       "\"family\":4,\"saddr\":\"192.168.1.10\",\"lport\":40000,"
	       "\"daddr\":\"93.184.216.34\",\"dport\":80,\"latency_ms\":0.123,\"result\":\"ok\","
	       "\"errno\":0,\"syn_retrans\":0,\"cgroup\":null}\n"
	       "{\"type\":\"connect\",\"ts\":1700000000.000000,\"pid\":42,\"comm\":\"wget\","
	       "\"family\":4,\"saddr\":\"192.168.1.10\",\"lport\":40000,"
	       "\"daddr\":\"93.184.216.34\",\"dport\":80,\"latency_ms\":1.500,"
	       "\"result\":\"error\",\"errno\":113,\"syn_retrans\":1,\"cgroup\":null}\n"
	       "{\"type\":\"stats\",\"sessions\":10,\"connects\":5,\"dropped\":7,"
	       "\"dropped_ringbuf\":3,\"dropped_map\":4,\"dropped_missed\":2,"
	       "\"dropped_sessions_ringbuf\":1,\"dropped_connects_ringbuf\":2,"
	       "\"dropped_sessions_storage\":3,\"dropped_connects_storage\":1,"
	       "\"dropped_sessions_storage_max\":5,\"missed_state_changes\":2,"
	       "\"dropped_connects_storage_max\":6,\"dropped_output\":9}\n",
	       "json: sessions, null owner, connects, stats");

	memcpy(h.comm, "a\x1b[2Jb\"\n", 9);
	h.span_ns = 0;
	start();
	tl_printer_record(pr, &h);
	is_str(stop(),
	       "{\"type\":\"session\",\"ts\":1700000000.123456,\"pid\":1234,"
	       "\"comm\":\"a\\\\x1b[2Jb\\\"\\\\x0a\",\"family\":4,\"laddr\":\"10.0.0.1\","
	       "\"lport\":51234,\"raddr\":\"10.0.0.2\",\"rport\":443,\"dir\":\"active\","
	       "\"tx_bytes\":1536,\"rx_bytes\":10240,\"duration_ms\":0.000,\"retrans\":2,"
	       "\"srtt_us\":345,\"cgroup\":null,\"reset\":false,\"opened_before_start\":false}\n",
	       "json: hostile comm escaped, zero duration");

	memset(h.comm, 0xff, sizeof(h.comm));
	start();
	tl_printer_record(pr, &h);
	ok(strstr(stop(), "\"comm\":\"\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff"
			  "\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\\\\xff\",") != NULL,
	   "json: 16 invalid bytes, no NUL: all as \\xff (the screen's text), nothing lost");

	start();
	tl_printer_totals(pr, &(struct tl_totals){ 0 });
	is_str(stop(),
	       "{\"type\":\"stats\",\"sessions\":0,\"connects\":0,\"dropped\":0,"
	       "\"dropped_ringbuf\":0,\"dropped_map\":0,\"dropped_missed\":0,"
	       "\"dropped_sessions_ringbuf\":0,\"dropped_connects_ringbuf\":0,"
	       "\"dropped_sessions_storage\":0,\"dropped_connects_storage\":0,"
	       "\"dropped_sessions_storage_max\":0,\"missed_state_changes\":0,"
	       "\"dropped_connects_storage_max\":0,\"dropped_output\":0}\n", "json: zero totals");

	/* cgroup paths through the resolver, raw bytes escaped; reset and adopted */
	h = session4();
	h.cgroup_id = 77;
	h.reset = 1;
	h.adopted = 1;
	c.cgroup_id = 78;
	start();
	tl_printer_set_cgroup_path(pr, test_cgroup_path, NULL);
	tl_printer_record(pr, &h);
	tl_printer_record(pr, &c);
	c.cgroup_id = 0;
	tl_printer_record(pr, &c);
	is_str(stop(),
	       "{\"type\":\"session\",\"ts\":1700000000.123456,\"pid\":1234,\"comm\":\"curl\","
	       "\"family\":4,\"laddr\":\"10.0.0.1\",\"lport\":51234,\"raddr\":\"10.0.0.2\","
	       "\"rport\":443,\"dir\":\"active\",\"tx_bytes\":1536,\"rx_bytes\":10240,"
	       "\"duration_ms\":1.235,\"retrans\":2,\"srtt_us\":345,"
	       "\"cgroup\":\"/system.slice/a b.service\",\"reset\":true,\"opened_before_start\":true}\n"
	       "{\"type\":\"connect\",\"ts\":1700000000.000000,\"pid\":42,\"comm\":\"wget\","
	       "\"family\":4,\"saddr\":\"192.168.1.10\",\"lport\":40000,"
	       "\"daddr\":\"93.184.216.34\",\"dport\":80,\"latency_ms\":0.123,\"result\":\"ok\","
	       "\"errno\":0,\"syn_retrans\":0,\"cgroup\":\"/x\\\\x1b\\\"y\"}\n"
	       "{\"type\":\"connect\",\"ts\":1700000000.000000,\"pid\":42,\"comm\":\"wget\","
	       "\"family\":4,\"saddr\":\"192.168.1.10\",\"lport\":40000,"
	       "\"daddr\":\"93.184.216.34\",\"dport\":80,\"latency_ms\":0.123,\"result\":\"ok\","
	       "\"errno\":0,\"syn_retrans\":0,\"cgroup\":null}\n",
	       "json: cgroup paths resolved and escaped, unknown id null; reset and opened_before_start");

	reset(TL_MODE_LIFE);
	start();
	tl_printer_totals(pr, &t);
	is_str(stop(), "", "life: no totals line");
	reset(TL_MODE_CONNLAT);
	start();
	tl_printer_totals(pr, &t);
	is_str(stop(), "", "connlat: no totals line");
}

static void test_new(void)
{
	reset(TL_MODE_JSON);
	ok(tl_printer_new(&o, NULL) == NULL, "no stream: NULL");
	ok(tl_printer_new(NULL, stdout) == NULL, "no options: NULL");
}

int main(void)
{
	test_life();
	test_connlat();
	test_json();
	test_new();
	return tap_done();
}
