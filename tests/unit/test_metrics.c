// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The metrics model and its exposition, without HTTP: counts against what
 * was fed, the bucket layout and the quantile error it promises, the
 * series cap and folding, both formats, Accept negotiation, escaping.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "metrics/metrics_expo.h"
#include "metrics/metrics_model.h"
#include "tests/unit/tap.h"

static struct tl_record connect_rec(const char *daddr, uint16_t port, uint8_t result,
				    uint64_t lat_ns)
{
	struct tl_record r = { .kind = TL_REC_CONNECT, .family = 4, .result = result,
			       .rport = port, .span_ns = lat_ns };

	inet_pton(AF_INET, daddr, r.raddr);
	return r;
}

static struct tl_record session_rec(uint8_t dir, uint64_t cg, uint64_t tx, uint64_t rx, int reset)
{
	return (struct tl_record){ .kind = TL_REC_SESSION, .family = 4, .dir = dir,
				   .cgroup_id = cg, .tx_bytes = tx, .rx_bytes = rx,
				   .reset = (uint8_t)reset };
}

static const char *fake_cgroup(void *ctx, uint64_t id)
{
	switch (id) {
	case 1:
		return "/system.slice/nginx.service";
	case 2:
		return "/user.slice/we\"ird\\name\n\xff.scope";
	default:
		return NULL;
	}
}

/* The sum of the values of every sample line that starts with prefix. */
static double sum_of(const struct tl_mx_buf *b, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = b->p, *end = b->p + b->len;
	double sum = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		if (*p != '#' && (size_t)(nl - p) > plen && !memcmp(p, prefix, plen)) {
			const char *sp = nl;

			while (sp > p && sp[-1] != ' ')
				sp--;
			sum += strtod(sp, NULL);
		}
		p = nl + 1;
	}
	return sum;
}

static size_t lines_of(const struct tl_mx_buf *b, const char *prefix)
{
	size_t plen = strlen(prefix), n = 0;
	const char *p = b->p, *end = b->p + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		if ((size_t)(nl - p) >= plen && !memcmp(p, prefix, plen))
			n++;
		p = nl + 1;
	}
	return n;
}

static bool has(const struct tl_mx_buf *b, const char *text)
{
	return b->p && memmem(b->p, b->len, text, strlen(text)) != NULL;
}

static void test_buckets(void)
{
	double worst = 0;
	int ascending = 1;

	for (int i = 1; i < TL_MX_BOUNDS; i++) {
		double r = (double)tl_mx_bounds_ns[i] / (double)tl_mx_bounds_ns[i - 1];

		ascending &= tl_mx_bounds_ns[i] > tl_mx_bounds_ns[i - 1];
		if (r > worst)
			worst = r;
	}
	ok(ascending, "bucket bounds ascend");
	ok(worst <= TL_MX_MAX_RATIO, "no step wider than %.3f (widest %.4f)", TL_MX_MAX_RATIO, worst);
	is_int(tl_mx_bounds_ns[0], 10000, "first bound 10 us");
	is_int(tl_mx_bounds_ns[TL_MX_BOUNDS - 1], 100000000000ull, "last bound 100 s");
	is_int(tl_mx_bucket(0), 0, "0 ns: first bucket");
	is_int(tl_mx_bucket(10000), 0, "a value on a bound is in that bucket (le)");
	is_int(tl_mx_bucket(10001), 1, "just above: the next");
	is_int(tl_mx_bucket(1000000000), 50, "1 s is bound 50");
	is_int(tl_mx_bucket(1000000001), 51, "1 s + 1 ns: bucket 51");
	is_int(tl_mx_bucket(200000000000ull), TL_MX_BOUNDS, "above 100 s: +Inf only");
}

/* Prometheus's histogram_quantile: linear inside the bucket, 0 below the first. */
static double prom_quantile(double q, const struct tl_mx_hist *h)
{
	double rank = q * (double)h->count, cum = 0, lower = 0;

	for (int i = 0; i < TL_MX_BOUNDS; i++) {
		double upper = (double)tl_mx_bounds_ns[i];

		if (cum + (double)h->buckets[i] >= rank && h->buckets[i])
			return lower + (upper - lower) * (rank - cum) / (double)h->buckets[i];
		cum += (double)h->buckets[i];
		lower = upper;
	}
	return (double)tl_mx_bounds_ns[TL_MX_BOUNDS - 1];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Samples log-uniform in 20 us..50 s, and point masses just above a bound
 * (the worst case): every estimate within the stated error. */
static void test_quantile_error(void)
{
	static uint64_t v[20001];
	double worst = 0;
	unsigned int seed = 12345;

	for (int round = 0; round < 40; round++) {
		struct tl_mx_hist h = { 0 };
		int n = 1000 + round * 400;

		for (int i = 0; i < n; i++) {
			double u = (double)rand_r(&seed) / RAND_MAX;

			if (round % 4 == 3)	/* a point mass 0.1% above a bound */
				v[i] = tl_mx_bounds_ns[10 + round] + tl_mx_bounds_ns[10 + round] / 1000;
			else
				v[i] = (uint64_t)(20000.0 * pow(50e9 / 20000.0, u));
			h.buckets[tl_mx_bucket(v[i])]++;
			h.count++;
		}
		qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
		for (int k = 0; k < 3; k++) {
			static const double qs[3] = { 0.5, 0.9, 0.99 };
			/* the true quantile, as the rank q*n falls: v[ceil(q*n)-1] */
			double truth = (double)v[(int)ceil(qs[k] * n) - 1];
			double est = prom_quantile(qs[k], &h);
			double err = fabs(est - truth) / truth;

			if (err > worst)
				worst = err;
		}
	}
	ok(worst <= TL_MX_MAX_RATIO - 1, "histogram_quantile within %.1f%% (worst seen %.1f%%)",
	   (TL_MX_MAX_RATIO - 1) * 100, worst * 100);
}

static void test_counts(void)
{
	struct tl_metrics_config cfg = { .cgroup_path = fake_cgroup };
	struct tl_metrics *m = tl_metrics_new(&cfg);
	struct tl_mx_buf b = { 0 };
	struct tl_record r;
	int n;

	if (!ok(m, "model created"))
		return;
	for (int i = 0; i < 10; i++) {
		r = connect_rec("10.0.0.1", 443, TL_REC_OK, 1000001 + (uint64_t)i);
		tl_metrics_add(m, &r);
	}
	r = connect_rec("10.0.0.1", 443, TL_REC_REFUSED, 50000);
	tl_metrics_add(m, &r);
	r = connect_rec("10.0.0.2", 80, TL_REC_TIMEOUT, 3000000000ull);
	tl_metrics_add(m, &r);
	r = connect_rec("10.0.0.2", 80, TL_REC_ABORTED, 5);
	tl_metrics_add(m, &r);
	for (int i = 0; i < 3; i++) {
		r = session_rec(TL_REC_ACTIVE, 1, 100, 2000, i == 0);
		tl_metrics_add(m, &r);
	}
	r = session_rec(TL_REC_PASSIVE, 0, 7, 9, 0);
	tl_metrics_add(m, &r);
	r = session_rec(0, 2, 1, 1, 1);
	tl_metrics_add(m, &r);

	n = tl_metrics_write(m, TL_MX_TEXT, &b);
	ok(n > 0, "text exposition written (%d series)", n);
	ok(has(&b, "tcplens_connects_total{daddr=\"10.0.0.1\",dport=\"443\",result=\"ok\"} 10\n"),
	   "ok connects per destination");
	ok(has(&b, "tcplens_connects_total{daddr=\"10.0.0.1\",dport=\"443\",result=\"refused\"} 1\n"),
	   "refused connects");
	ok(has(&b, "tcplens_connects_total{daddr=\"10.0.0.2\",dport=\"80\",result=\"timeout\"} 1\n"),
	   "timed-out connects");
	ok(has(&b, "result=\"aborted\"} 1\n"), "aborted connects have their own result");
	ok(has(&b, "tcplens_connect_duration_seconds_count{daddr=\"10.0.0.1\",dport=\"443\"} 10\n"),
	   "only ok connects are in the latency histogram");
	ok(has(&b, "tcplens_connect_duration_seconds_sum{daddr=\"10.0.0.1\",dport=\"443\"} 0.010000055\n"),
	   "the sum is exact, in seconds");
	ok(has(&b, "tcplens_connect_duration_seconds_bucket{daddr=\"10.0.0.1\",dport=\"443\",le=\"0.001\"} 0\n") &&
	   has(&b, "tcplens_connect_duration_seconds_bucket{daddr=\"10.0.0.1\",dport=\"443\",le=\"0.00126\"} 10\n"),
	   "cumulative buckets with exact bounds");
	ok(!has(&b, "daddr=\"10.0.0.2\",dport=\"80\",le="), "no histogram without an answered connect");
	ok(has(&b, "tcplens_connect_duration_all_seconds_count 10\n"), "the histogram over all");
	ok(has(&b, "tcplens_sessions_total{direction=\"active\",unit=\"nginx.service\"} 3\n"),
	   "sessions by direction and unit");
	ok(has(&b, "tcplens_sent_bytes_total{direction=\"active\",unit=\"nginx.service\"} 300\n") &&
	   has(&b, "tcplens_received_bytes_total{direction=\"active\",unit=\"nginx.service\"} 6000\n"),
	   "payload bytes");
	ok(has(&b, "tcplens_session_resets_total{direction=\"active\",unit=\"nginx.service\"} 1\n"),
	   "resets");
	ok(has(&b, "tcplens_sessions_total{direction=\"passive\",unit=\"unknown\"} 1\n"),
	   "no cgroup: unit unknown");
	ok(has(&b, "{direction=\"unknown\",unit=\"we\\\"ird\\\\\\\\name\\\\x0a\\\\xff.scope\"}"),
	   "unit names escaped: quote, backslash, control and invalid bytes");
	ok(has(&b, "# TYPE tcplens_sessions_total counter\n"), "text: counter TYPE with _total");
	ok(!has(&b, "tcplens_open_connections{"), "no snapshot: open connections left out, not 0");
	ok(!has(&b, "# EOF"), "text: no # EOF");
	is_int(lines_of(&b, "tcplens_series "), 1, "the series gauge");
	is_int((long long)sum_of(&b, "tcplens_series "), n, "it counts every sample line");

	n = tl_metrics_write(m, TL_MX_OPENMETRICS, &b);
	ok(n > 0 && has(&b, "# TYPE tcplens_sessions counter\n"), "OpenMetrics: family without _total");
	ok(b.len > 6 && !memcmp(b.p + b.len - 6, "# EOF\n", 6), "OpenMetrics ends with # EOF");
	tl_mx_buf_free(&b);
	tl_metrics_free(m);
}

static void test_cap(void)
{
	struct tl_metrics_config cfg = { .max_series = 1000 };
	struct tl_metrics *m = tl_metrics_new(&cfg);
	struct tl_mx_buf b = { 0 };
	char addr[32];
	double refused, busy_ok, prev_refused = 0;
	int n, monotonic = 1, worst = 0;
	struct tl_record r;

	if (!ok(m, "model with max_series 1000"))
		return;
	/* one busy destination, then 5000 one-off ones */
	for (int i = 0; i < 100; i++) {
		r = connect_rec("192.168.1.1", 443, TL_REC_OK, 2000000);
		tl_metrics_add(m, &r);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "127.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		r = connect_rec(addr, 9, TL_REC_REFUSED, 10000);
		tl_metrics_add(m, &r);
		if (i % 500 == 499) {
			n = tl_metrics_write(m, TL_MX_TEXT, &b);
			if (n > worst)
				worst = n;
			refused = sum_of(&b, "tcplens_connects_total{");
			monotonic &= refused >= prev_refused;
			prev_refused = refused;
		}
	}
	n = tl_metrics_write(m, TL_MX_OPENMETRICS, &b);
	ok(worst <= 1000 && n <= 1000, "never more than max_series series (most %d)", worst);
	ok(tl_metrics_series_bound(m) >= 990, "and the budget is used, not wasted (%zu)",
	   tl_metrics_series_bound(m));
	refused = sum_of(&b, "tcplens_connects_total{") - 100;
	is_int((long long)refused, 5000, "every refused connect still counted, folded or not");
	ok(monotonic, "the sum over destinations never went backwards");
	ok(has(&b, "daddr=\"other\",dport=\"other\",result=\"refused\"}"), "the rest is in other");
	ok(sum_of(&b, "tcplens_folded_series_total") > 0, "folded series counted");
	busy_ok = sum_of(&b, "tcplens_connects_total{daddr=\"192.168.1.1\",dport=\"443\",result=\"ok\"}");
	is_int((long long)busy_ok, 100, "the busy destination keeps its own series");
	ok(tl_metrics_series_bound(m) <= 1000, "the model's bound holds");

	/* a folded destination comes back: its own series again, from 0 */
	r = connect_rec("127.0.0.0", 9, TL_REC_REFUSED, 10000);
	tl_metrics_add(m, &r);
	tl_metrics_write(m, TL_MX_TEXT, &b);
	refused = sum_of(&b, "tcplens_connects_total{") - 100;
	is_int((long long)refused, 5001, "a returning destination adds, the total stays exact");

	/* after the decay, an idle busy destination may go too */
	tl_metrics_tick(m, 1);
	for (int k = 1; k <= 8; k++)
		tl_metrics_tick(m, 1 + (uint64_t)k * TL_MX_DECAY_NS);
	for (int i = 0; i < 3000; i++) {
		snprintf(addr, sizeof(addr), "10.9.%d.%d", (i >> 8) & 255, i & 255);
		r = connect_rec(addr, 9, TL_REC_REFUSED, 10000);
		tl_metrics_add(m, &r);
	}
	tl_metrics_write(m, TL_MX_TEXT, &b);
	ok(!has(&b, "daddr=\"192.168.1.1\""), "an idle destination is folded once its activity decays");
	is_int((long long)sum_of(&b, "tcplens_connect_duration_all_seconds_count"), 100,
	       "the histogram over all is never folded");
	is_int((long long)sum_of(&b, "tcplens_connect_duration_seconds_count{daddr=\"other\""), 100,
	       "its latencies moved into other's histogram");
	tl_mx_buf_free(&b);
	tl_metrics_free(m);

	cfg.max_series = 999;
	ok(!tl_metrics_new(&cfg), "max_series below the minimum is refused");
}

static void test_units_cap(void)
{
	struct tl_metrics_config cfg = { .max_series = 1000 };
	struct tl_metrics *m = tl_metrics_new(&cfg);
	struct tl_mx_buf b = { 0 };
	struct tl_record r;
	int n;

	/* every session in unit "unknown": one label set per direction */
	for (int i = 0; i < 2000; i++) {
		r = session_rec(i % 2 ? TL_REC_ACTIVE : TL_REC_PASSIVE, 0, 1, 2, 0);
		tl_metrics_add(m, &r);
	}
	n = tl_metrics_write(m, TL_MX_TEXT, &b);
	is_int((long long)sum_of(&b, "tcplens_sessions_total{"), 2000, "sessions counted");
	is_int((long long)sum_of(&b, "tcplens_sent_bytes_total{"), 2000, "bytes counted");
	ok(n < 1000, "a few series only (%d)", n);
	tl_mx_buf_free(&b);
	tl_metrics_free(m);
}

/* Every fixed family at its largest (70 listener ports, other used in
 * every direction, drops, CPU) and the budget full: still at most the cap. */
static void test_cap_everything(void)
{
	struct tl_metrics_config cfg = { .max_series = 1000, .cgroup_path = fake_cgroup };
	struct tl_metrics *m = tl_metrics_new(&cfg);
	static struct tl_sock socks[80];
	struct tl_snapshot snap = { .socks = socks, .n = 80 };
	struct tl_drops d = { .ringbuf = 1 };
	struct tl_mx_buf b = { 0 };
	char addr[32];
	struct tl_record r;
	int n, worst = 0;

	for (int i = 0; i < 80; i++) {
		socks[i].state = i < 70 ? TL_TCP_LISTEN : TL_TCP_ESTABLISHED;
		socks[i].lport = (uint16_t)(1000 + i);
	}
	tl_metrics_set_open(m, &snap);
	tl_metrics_set_drops(m, &d);
	tl_metrics_set_cpu(m, 123456789);
	for (int i = 0; i < 3000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i % 7, (i >> 8) & 255, i & 255);
		/* histograms too: every destination answered once */
		r = connect_rec(addr, (uint16_t)(1 + i % 3), TL_REC_OK, 1000 * (uint64_t)i);
		tl_metrics_add(m, &r);
		r = connect_rec(addr, (uint16_t)(1 + i % 3), (uint8_t)(i % 5), 10);
		tl_metrics_add(m, &r);
		r = session_rec((uint8_t)(i % 3), (uint64_t)(i % 3), 1, 1, 0);
		tl_metrics_add(m, &r);
		if (i % 100 == 0) {
			n = tl_metrics_write(m, TL_MX_OPENMETRICS, &b);
			worst = n > worst ? n : worst;
		}
	}
	n = tl_metrics_write(m, TL_MX_OPENMETRICS, &b);
	worst = n > worst ? n : worst;
	ok(worst <= 1000, "everything at once: at most max_series (most %d)", worst);
	ok(has(&b, "tcplens_listen_accept_queue{port=\"other\"} 0\n"),
	   "listener ports beyond 64 summed into other");
	is_int(lines_of(&b, "tcplens_listen_backlog{"), TL_MX_LISTEN_PORTS + 1, "64 ports + other");
	is_int((long long)sum_of(&b, "tcplens_connect_duration_all_seconds_count"), 3600,
	       "every answered connect (3000 + the 600 ok of the second round) over all");
	is_int((long long)sum_of(&b, "tcplens_connect_duration_seconds_count{"), 3600,
	       "and in the per-destination ones, other included");
	tl_mx_buf_free(&b);
	tl_metrics_free(m);
}

static void test_open(void)
{
	struct tl_metrics_config cfg = { 0 };
	struct tl_metrics *m = tl_metrics_new(&cfg);
	struct tl_sock socks[4] = {
		{ .state = TL_TCP_LISTEN, .lport = 80, .accept_queue = 3, .accept_queue_max = 128 },
		{ .state = TL_TCP_LISTEN, .lport = 80, .accept_queue = 1, .accept_queue_max = 128 },
		{ .state = TL_TCP_ESTABLISHED, .lport = 80 },
		{ .state = TL_TCP_CLOSE_WAIT, .lport = 5555 },
	};
	struct tl_snapshot snap = { .socks = socks, .n = 4 };
	struct tl_mx_buf b = { 0 };

	tl_metrics_set_open(m, &snap);
	tl_metrics_write(m, TL_MX_TEXT, &b);
	ok(has(&b, "tcplens_open_connections{state=\"established\"} 1\n") &&
	   has(&b, "tcplens_open_connections{state=\"close_wait\"} 1\n") &&
	   has(&b, "tcplens_open_connections{state=\"syn_sent\"} 0\n"), "open connections by state");
	ok(has(&b, "tcplens_listen_accept_queue{port=\"80\"} 4\n") &&
	   has(&b, "tcplens_listen_backlog{port=\"80\"} 256\n"), "accept queues summed per port");
	ok(!has(&b, "state=\"listen\""), "listeners are not open connections");
	tl_metrics_set_open(m, NULL);
	tl_metrics_write(m, TL_MX_TEXT, &b);
	ok(!has(&b, "tcplens_listen_accept_queue{"), "unknown again: left out");
	tl_mx_buf_free(&b);
	tl_metrics_free(m);
}

static void test_negotiate(void)
{
	is_int(tl_mx_negotiate(NULL), TL_MX_TEXT, "no Accept: text");
	is_int(tl_mx_negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
			       "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
	       TL_MX_OPENMETRICS, "Prometheus's Accept: OpenMetrics");
	is_int(tl_mx_negotiate("text/plain"), TL_MX_TEXT, "text/plain: text");
	is_int(tl_mx_negotiate("*/*"), TL_MX_TEXT, "*/*: text");
	is_int(tl_mx_negotiate("application/openmetrics-text; version=0.0.1"), TL_MX_TEXT,
	       "an OpenMetrics version we do not write: text");
	is_int(tl_mx_negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.5"), TL_MX_TEXT,
	       "q decides");
	is_int(tl_mx_negotiate("text/plain;q=0.2, Application/OpenMetrics-Text ; q=0.8"),
	       TL_MX_OPENMETRICS, "case and spaces do not matter");
	is_int(tl_mx_negotiate("application/openmetrics-text;q=0"), TL_MX_TEXT, "q=0 is a refusal");
	is_int(tl_mx_negotiate(";;,,=;q=,"), TL_MX_TEXT, "nonsense: text");
	ok(strstr(tl_mx_content_type(TL_MX_OPENMETRICS), "application/openmetrics-text; version=1.0.0"),
	   "OpenMetrics content type");
	ok(strstr(tl_mx_content_type(TL_MX_TEXT), "text/plain; version=0.0.4"), "text content type");
}

static void test_format(void)
{
	char buf[64];

	tl_fmt_seconds_exact(buf, sizeof(buf), 0);
	is_str(buf, "0", "0 s");
	tl_fmt_seconds_exact(buf, sizeof(buf), 12600);
	is_str(buf, "0.0000126", "12.6 us");
	tl_fmt_seconds_exact(buf, sizeof(buf), 1500000000);
	is_str(buf, "1.5", "1.5 s");
	tl_fmt_seconds_exact(buf, sizeof(buf), 100000000000ull);
	is_str(buf, "100", "100 s");
	tl_fmt_prom_label(buf, sizeof(buf), "a\"b\\c", 5);
	is_str(buf, "a\\\"b\\\\\\\\c", "label: quote and backslash escaped (after \\\\ for the terminal)");
	tl_fmt_prom_label(buf, 6, "ab\xc3\xa9xyz", 8);
	is_str(buf, "ab\xc3\xa9x", "label: cut on a character boundary");
	tl_fmt_prom_label(buf, 4, "ab\xc3\xa9xyz", 8);
	is_str(buf, "ab", "label: never half a character");
}

int main(void)
{
	test_buckets();
	test_quantile_error();
	test_counts();
	test_cap();
	test_units_cap();
	test_cap_everything();
	test_open();
	test_negotiate();
	test_format();
	return tap_done();
}
