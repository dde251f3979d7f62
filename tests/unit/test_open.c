// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The open mode's rates and printers, with literal expected lines. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "open_out.h"
#include "open_rates.h"
#include "tests/unit/tap.h"

static struct tl_options o;
static char *out_buf;
static size_t out_len;
static FILE *out;
static struct tl_open_printer *pr;

static const char *cgroup_of(void *ctx, uint64_t id)
{
	(*(int *)ctx)++;
	return id == 77 ? "/system.slice/web.service" : NULL;
}

static int resolver_calls;

static void start(void)
{
	out = open_memstream(&out_buf, &out_len);
	pr = tl_open_printer_new(&o, out, cgroup_of, &resolver_calls);
}

static const char *stop(void)
{
	static char *last;

	tl_open_printer_free(pr);
	fclose(out);
	free(last);
	last = out_buf;
	return out_buf;
}

static struct tl_sock sock4(void)
{
	struct tl_sock s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.state = TL_TCP_ESTABLISHED;
	inet_pton(AF_INET, "10.0.0.1", s.laddr);
	inet_pton(AF_INET, "93.184.216.34", s.raddr);
	s.lport = 51234;
	s.rport = 443;
	s.cookie = 4242;
	s.inode = 99001;
	s.tx_bytes = 123456;
	s.rx_bytes = 2048;
	s.srtt_us = 12345;
	s.retrans = 2;
	s.owner_known = 1;
	s.pid = 1234;
	memcpy(s.comm, "curl", 5);
	s.dir = TL_SOCK_DIR_ACTIVE;
	s.age_known = 1;
	s.age_ns = 61234567890ULL;
	return s;
}

static struct tl_sock listen6(void)
{
	struct tl_sock s;

	memset(&s, 0, sizeof(s));
	s.family = 6;
	s.state = TL_TCP_LISTEN;
	s.lport = 443;
	s.cookie = 7;
	s.inode = 5;
	s.owner_known = 1;
	s.pid = 1;
	memcpy(s.comm, "nginx", 6);
	s.cgroup_id = 77;
	s.accept_queue = 3;
	s.accept_queue_max = 511;
	return s;
}

#define TS 1700000000123456789ULL

static void test_rates(void)
{
	struct tl_sock a[3], b[4];
	struct tl_snapshot p = { .socks = a, .n = 3, .ts_ns = TS };
	struct tl_snapshot c = { .socks = b, .n = 4, .ts_ns = TS + 2000000000ULL };
	struct tl_open_rate r[4];

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	a[0].cookie = 1;
	a[0].tx_bytes = 1000;
	a[0].rx_bytes = 50;
	a[1].cookie = 2;
	a[1].tx_bytes = 10;
	a[2].cookie = 3;
	a[2].tx_bytes = 500;
	/* the second walk finds them in another order */
	b[0].cookie = 3;
	b[0].tx_bytes = 499;	/* went backwards: no rate */
	b[1].cookie = 9;	/* new */
	b[1].tx_bytes = 1 << 20;
	b[2].cookie = 1;
	b[2].tx_bytes = 1000 + 3001;
	b[2].rx_bytes = 50 + 1;
	b[3].cookie = 2;
	b[3].tx_bytes = 10;

	is_int(tl_open_rates(&p, &c, r), 2, "two rates over 2 s");
	ok(!r[0].valid, "a counter that went backwards: no rate");
	ok(!r[1].valid, "a socket new in the second snapshot: no rate");
	ok(r[2].valid && r[2].tx_mbps == 1500500 && r[2].rx_mbps == 500,
	   "3001 B and 1 B in 2 s: 1500.5 and 0.5 B/s (in thousandths)");
	ok(r[3].valid && r[3].tx_mbps == 0 && r[3].rx_mbps == 0, "idle: rate 0");

	is_int(tl_open_rates(NULL, &c, r), 0, "no previous snapshot: no rates");
	ok(!r[2].valid, "none valid");
	c.ts_ns = TS;
	is_int(tl_open_rates(&p, &c, r), 0, "no time between the walks: no rates");
	c.ts_ns = TS + 2000000000ULL;
	b[2].cookie = 0;
	a[0].cookie = 0;
	is_int(tl_open_rates(&p, &c, r), 1, "cookie 0 identifies nothing");
	b[3].tx_bytes = UINT64_MAX;
	c.ts_ns = TS + 1;
	tl_open_rates(&p, &c, r);
	ok(r[3].valid && r[3].tx_mbps == UINT64_MAX, "huge rate saturates");
}

static void test_text(void)
{
	struct tl_sock s = sock4(), l = listen6();
	struct tl_open_rate rate = { .valid = true, .tx_mbps = 1536000, .rx_mbps = 100 };

	memset(&o, 0, sizeof(o));
	o.mode = TL_MODE_OPEN;
	start();
	tl_open_printer_begin(pr, TS);
	tl_open_printer_sock(pr, &s, NULL, NULL);
	s.owner_known = 0;
	s.age_known = 0;
	tl_open_printer_sock(pr, &s, NULL, NULL);
	s = sock4();
	memcpy(s.comm, "a\x1b[2J\xff" "bcdefghijk", 16);
	tl_open_printer_sock(pr, &s, NULL, NULL);
	tl_open_printer_end(pr);
	tl_open_printer_begin(pr, TS + 1);
	tl_open_printer_end(pr);
	is_str(stop(),
	       "PID     COMM            STATE       LADDR           LPORT RADDR           RPORT    TX_KB    RX_KB    AGE_S   RTT_MS\n"
	       "1234    curl            ESTABLISHED 10.0.0.1        51234 93.184.216.34   443        120        2     61.2   12.345\n"
	       "-       [unknown]       ESTABLISHED 10.0.0.1        51234 93.184.216.34   443        120        2        -   12.345\n"
	       "1234    a\\x1b[2J\\xffbcd ESTABLISHED 10.0.0.1        51234 93.184.216.34   443        120        2     61.2   12.345\n"
	       "\n"
	       "PID     COMM            STATE       LADDR           LPORT RADDR           RPORT    TX_KB    RX_KB    AGE_S   RTT_MS\n",
	       "text: known, unknown and escaped owners; a header per snapshot");

	o.interval_s = 1;
	o.listeners = true;
	start();
	tl_open_printer_begin(pr, TS);
	s = sock4();
	tl_open_printer_sock(pr, &s, NULL, &rate);
	rate.valid = false;
	tl_open_printer_sock(pr, &s, NULL, &rate);
	tl_open_printer_sock(pr, &l, NULL, NULL);
	tl_open_printer_end(pr);
	is_str(stop(),
	       "PID     COMM            STATE       LADDR           LPORT RADDR           RPORT    TX_KB    RX_KB    AGE_S   RTT_MS   TX_KB/s   RX_KB/s QUEUE\n"
	       "1234    curl            ESTABLISHED 10.0.0.1        51234 93.184.216.34   443        120        2     61.2   12.345       1.5       0.0 -\n"
	       "1234    curl            ESTABLISHED 10.0.0.1        51234 93.184.216.34   443        120        2     61.2   12.345         -         - -\n"
	       "1       nginx           LISTEN      ::              443   *               *            0        0        -    0.000         -         - 3/511\n",
	       "text with -i and -l: rates, dashes, the accept queue");
}

static void test_json(void)
{
	struct tl_sock s = sock4(), l = listen6();
	struct tl_open_rate rate = { .valid = true, .tx_mbps = 1500500, .rx_mbps = 0 };

	memset(&o, 0, sizeof(o));
	o.mode = TL_MODE_OPEN;
	o.json = true;
	resolver_calls = 0;
	start();
	tl_open_printer_begin(pr, TS);
	tl_open_printer_sock(pr, &s, NULL, NULL);
	s.owner_known = 0;
	s.age_known = 0;
	s.dir = TL_SOCK_DIR_UNKNOWN;
	tl_open_printer_sock(pr, &s, "/user.slice/a \"b\".scope", &rate);
	s = sock4();
	s.cgroup_id = 12;	/* the resolver does not know it */
	s.state = TL_TCP_CLOSE_WAIT;
	s.dir = TL_SOCK_DIR_PASSIVE;
	memcpy(s.comm, "q\"\\\n\x01", 6);
	tl_open_printer_sock(pr, &s, "/ignored", NULL);
	tl_open_printer_sock(pr, &l, NULL, NULL);
	tl_open_printer_end(pr);
	is_str(stop(),
	       "{\"type\":\"open\",\"ts\":1700000000.123456,\"pid\":1234,\"comm\":\"curl\",\"cgroup\":null,\"family\":4,"
	       "\"laddr\":\"10.0.0.1\",\"lport\":51234,\"raddr\":\"93.184.216.34\",\"rport\":443,\"dir\":\"active\","
	       "\"state\":\"ESTABLISHED\",\"cookie\":4242,\"inode\":99001,\"tx_bytes\":123456,\"rx_bytes\":2048,"
	       "\"srtt_us\":12345,\"retrans\":2,\"age_ms\":61234.568,\"tx_bps\":null,\"rx_bps\":null}\n"
	       "{\"type\":\"open\",\"ts\":1700000000.123456,\"pid\":null,\"comm\":null,"
	       "\"cgroup\":\"/user.slice/a \\\"b\\\".scope\",\"family\":4,"
	       "\"laddr\":\"10.0.0.1\",\"lport\":51234,\"raddr\":\"93.184.216.34\",\"rport\":443,\"dir\":\"unknown\","
	       "\"state\":\"ESTABLISHED\",\"cookie\":4242,\"inode\":99001,\"tx_bytes\":123456,\"rx_bytes\":2048,"
	       "\"srtt_us\":12345,\"retrans\":2,\"age_ms\":null,\"tx_bps\":1500.5,\"rx_bps\":0.0}\n"
	       "{\"type\":\"open\",\"ts\":1700000000.123456,\"pid\":1234,\"comm\":\"q\\\"\\\\\\\\\\\\x0a\\\\x01\",\"cgroup\":null,\"family\":4,"
	       "\"laddr\":\"10.0.0.1\",\"lport\":51234,\"raddr\":\"93.184.216.34\",\"rport\":443,\"dir\":\"passive\","
	       "\"state\":\"CLOSE_WAIT\",\"cookie\":4242,\"inode\":99001,\"tx_bytes\":123456,\"rx_bytes\":2048,"
	       "\"srtt_us\":12345,\"retrans\":2,\"age_ms\":61234.568,\"tx_bps\":null,\"rx_bps\":null}\n"
	       "{\"type\":\"open\",\"ts\":1700000000.123456,\"pid\":1,\"comm\":\"nginx\",\"cgroup\":\"/system.slice/web.service\","
	       "\"family\":6,\"laddr\":\"::\",\"lport\":443,\"raddr\":\"::\",\"rport\":0,\"dir\":\"unknown\","
	       "\"state\":\"LISTEN\",\"cookie\":7,\"inode\":5,\"tx_bytes\":0,\"rx_bytes\":0,"
	       "\"srtt_us\":0,\"retrans\":0,\"age_ms\":null,\"tx_bps\":null,\"rx_bps\":null,"
	       "\"accept_queue\":3,\"accept_queue_max\":511}\n"
	       "{\"type\":\"snapshot_end\",\"ts\":1700000000.123456,\"sockets\":4}\n",
	       "json: key order, nulls, escapes, listener keys, snapshot_end");
	is_int(resolver_calls, 2, "the resolver is asked only for non-zero ids");

	/* an empty snapshot still ends; no resolver at all prints null */
	start();
	tl_open_printer_free(pr);
	pr = tl_open_printer_new(&o, out, NULL, NULL);
	tl_open_printer_begin(pr, 5000);
	tl_open_printer_sock(pr, &l, NULL, NULL);
	tl_open_printer_end(pr);
	tl_open_printer_begin(pr, 2000000000ULL);
	tl_open_printer_end(pr);
	ok(strstr(stop(), "\"comm\":\"nginx\",\"cgroup\":null,") != NULL, "no resolver: null");
	ok(strstr(out_buf, "{\"type\":\"snapshot_end\",\"ts\":0.000005,\"sockets\":1}\n"
			   "{\"type\":\"snapshot_end\",\"ts\":2.000000,\"sockets\":0}\n") != NULL,
	   "counts restart per snapshot; an empty one says 0");
}

/* The longest line there can be still ends in "}\n": never cut mid-object. */
static void test_worst_case(void)
{
	struct tl_sock s = listen6();
	char path[5000];
	const char *t;
	size_t n;

	memset(&o, 0, sizeof(o));
	o.mode = TL_MODE_OPEN;
	o.json = true;
	memset(path, 0x01, sizeof(path) - 1);	/* five bytes each as \\x01 */
	path[sizeof(path) - 1] = '\0';
	memset(s.comm, 0x7f, 15);
	memset(s.laddr, 0xff, 16);
	memset(s.raddr, 0xfe, 16);
	s.lport = s.rport = 65535;
	s.cgroup_id = 0;
	s.cookie = s.inode = s.tx_bytes = s.rx_bytes = s.age_ns = UINT64_MAX;
	s.pid = s.srtt_us = s.retrans = s.accept_queue = s.accept_queue_max = UINT32_MAX;
	s.age_known = 1;
	s.dir = TL_SOCK_DIR_PASSIVE;
	s.state = TL_TCP_NEW_SYN_RECV;
	start();
	tl_open_printer_begin(pr, UINT64_MAX);
	tl_open_printer_sock(pr, &s, path, &(struct tl_open_rate){ true, UINT64_MAX, UINT64_MAX });
	s.state = TL_TCP_LISTEN;
	tl_open_printer_sock(pr, &s, path, &(struct tl_open_rate){ true, UINT64_MAX, UINT64_MAX });
	t = stop();
	n = strlen(t);
	ok(n > 2 && !strcmp(t + n - 2, "}\n"), "the longest line ends whole");
	ok(strstr(t, "\"accept_queue_max\":4294967295}\n") != NULL, "with its last key");
	ok(strstr(t, "\"cgroup\":\"\\\\x01") && strstr(t, "\\\\x01\",\"family\":6"),
	   "the path is cut but stays a closed string");
	printf("# longest line %zu bytes\n", strchr(strchr(t, '\n') + 1, '\n') - strchr(t, '\n'));
}

static void test_states(void)
{
	is_str(tl_open_state_name(TL_TCP_ESTABLISHED), "ESTABLISHED", "ESTABLISHED");
	is_str(tl_open_state_name(TL_TCP_LISTEN), "LISTEN", "LISTEN");
	is_str(tl_open_state_name(TL_TCP_FIN_WAIT2), "FIN_WAIT2", "FIN_WAIT2");
	is_str(tl_open_state_name(0), "UNKNOWN", "0");
	is_str(tl_open_state_name(200), "UNKNOWN", "200");
}

int main(void)
{
	test_rates();
	test_text();
	test_json();
	test_worst_case();
	test_states();
	return tap_done();
}
