// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The open-connections view: rows, default order, groupings and their sums,
 * the filter on open sockets, listeners (queue full, accepts per second
 * from new cookies and from sessions that came and went), rate history.
 */
#include <stdlib.h>

#include "../unit/tap.h"
#include "model/model.h"
#include "model/open_view.h"
#include "mrec.h"

#define S 1000000000ull

static struct tl_sock sk(uint64_t cookie, uint32_t pid, const char *comm, const char *laddr,
			 uint16_t lport, const char *raddr, uint16_t rport, uint8_t state)
{
	struct tl_sock s;

	memset(&s, 0, sizeof(s));
	s.cookie = cookie;
	s.lport = lport;
	s.rport = rport;
	s.state = state;
	s.dir = TL_SOCK_DIR_ACTIVE;
	rec_addr(s.laddr, &s.family, laddr);
	rec_addr(s.raddr, &s.family, raddr);
	if (comm) {
		s.owner_known = 1;
		s.pid = pid;
		snprintf(s.comm, sizeof(s.comm), "%s", comm);
	}
	s.age_known = 1;
	s.age_ns = 5 * S;
	return s;
}

static struct tl_open_rate rate(uint64_t tx_bps, uint64_t rx_bps)
{
	struct tl_open_rate r = { .valid = true, .tx_mbps = tx_bps * 1000, .rx_mbps = rx_bps * 1000 };

	return r;
}

static int ingest(struct tl_open_view *v, struct tl_sock *socks, size_t n, uint64_t ts,
		  const struct tl_open_rate *rates, const char *const *paths,
		  const struct tl_model *m)
{
	struct tl_snapshot snap = { .ts_ns = ts, .socks = socks, .n = n, .cap = n };
	struct tl_open_input in = { .snap = &snap, .rates = rates, .paths = paths };

	return tl_open_view_ingest(v, &in, m);
}

static struct tl_filter *parse(const char *expr)
{
	char err[200];

	return tl_filter_parse(expr, err, sizeof(err));
}

int main(void)
{
	struct tl_open_view *v = tl_open_view_new();
	struct tl_sock socks[8];
	struct tl_open_rate rates[8];
	const char *paths[8] = { "/system.slice/nginx.service", "/system.slice/nginx.service",
				 "/user.slice/user-1000.slice/session-3.scope", NULL,
				 "/system.slice/nginx.service", NULL, NULL, NULL };
	const struct tl_open_row *r;
	struct tl_filter *f;
	float tx[TL_OPEN_HIST], rx[TL_OPEN_HIST];
	size_t n;

	ok(v != NULL, "view made");
	ok(!tl_open_view_ready(v) && tl_open_view_len(v) == 0, "empty before the first snapshot");

	/* three connections of nginx (pid 10) and curl (pid 20), one of unknown owner,
	 * and a listener */
	socks[0] = sk(1, 10, "nginx", "10.0.0.1", 443, "10.0.0.9", 50000, TL_TCP_ESTABLISHED);
	socks[1] = sk(2, 10, "nginx", "10.0.0.1", 443, "10.0.0.8", 50001, TL_TCP_ESTABLISHED);
	socks[2] = sk(3, 20, "curl", "10.0.0.1", 40000, "10.0.0.9", 80, TL_TCP_ESTABLISHED);
	socks[3] = sk(4, 0, NULL, "10.0.0.1", 22, "10.0.0.7", 6000, TL_TCP_ESTABLISHED);
	socks[3].age_known = 0;
	socks[4] = sk(5, 10, "nginx", "0.0.0.0", 443, "0.0.0.0", 0, TL_TCP_LISTEN);
	socks[4].accept_queue = 3;
	socks[4].accept_queue_max = 2;
	socks[4].drops = 7;
	socks[0].tx_bytes = 1000;
	socks[1].tx_bytes = 3000;
	socks[2].rx_bytes = 500;
	rates[0] = rate(1000, 0);
	rates[1] = rate(8000000, 100);
	rates[2] = rate(0, 50);
	rates[3].valid = false;
	rates[4].valid = false;
	is_int(ingest(v, socks, 5, 100 * S, rates, paths, NULL), 0, "first snapshot ingested");
	is_int(tl_open_view_build(v, NULL, TL_OGROUP_CONN, TL_OCOL_RATE, true), 0, "built");
	is_int(tl_open_view_len(v), 4, "four connections; the listener is not one");
	is_int(tl_open_view_get(v, 0)->s.cookie, 2, "the 8 MB/s flow first");
	is_int(tl_open_view_get(v, 1)->s.cookie, 1, "then the 1 kB/s one");
	is_int(tl_open_view_get(v, 2)->s.cookie, 3, "then 50 B/s");
	r = tl_open_view_get(v, 3);
	ok(r->s.cookie == 4 && !r->rate_valid && !r->s.owner_known && !r->s.age_known,
	   "no rate sorts last; unknown owner and age stay unknown");
	is_str(tl_open_view_get(v, 0)->unit, "nginx.service", "unit from the cgroup path");
	is_str(tl_open_view_cgroup(v, tl_open_view_get(v, 0)), "/system.slice/nginx.service",
	       "cgroup path kept");
	ok(tl_open_view_get(v, 3)->unit[0] == '\0' && !tl_open_view_cgroup(v, tl_open_view_get(v, 3)),
	   "no path: unit and cgroup unknown");

	tl_open_view_build(v, NULL, TL_OGROUP_CONN, TL_OCOL_RATE, false);
	is_int(tl_open_view_get(v, 0)->s.cookie, 4, "ascending: the unknown rate first");
	tl_open_view_build(v, NULL, TL_OGROUP_CONN, TL_OCOL_PID, true);
	is_int(tl_open_view_get(v, 0)->s.pid, 20, "by PID descending");

	/* the filter language on open sockets */
	f = parse("port=443");
	tl_open_view_build(v, f, TL_OGROUP_CONN, TL_OCOL_RATE, true);
	is_int(tl_open_view_len(v), 2, "port=443: the two nginx connections");
	tl_filter_free(f);
	f = parse("comm=curl");
	tl_open_view_build(v, f, TL_OGROUP_CONN, TL_OCOL_RATE, true);
	ok(tl_open_view_len(v) == 1 && tl_open_view_get(v, 0)->s.cookie == 3, "comm=curl");
	tl_filter_free(f);
	f = parse("!pid=10 addr=10.0.0.9");
	tl_open_view_build(v, f, TL_OGROUP_CONN, TL_OCOL_RATE, true);
	ok(tl_open_view_len(v) == 1 && tl_open_view_get(v, 0)->s.cookie == 3, "!pid=10 addr=...");
	tl_filter_free(f);
	f = parse("dir=out");
	tl_open_view_build(v, f, TL_OGROUP_CONN, TL_OCOL_RATE, true);
	is_int(tl_open_view_len(v), 4, "dir=out: all four are active here");
	tl_filter_free(f);

	/* groupings */
	tl_open_view_build(v, NULL, TL_OGROUP_PROCESS, TL_OCOL_RATE, true);
	is_int(tl_open_view_len(v), 3, "by process: nginx, curl, unknown");
	r = tl_open_view_get(v, 0);
	ok(r->s.pid == 10 && r->count == 2 && r->tx_mbps == 8001000ull * 1000 &&
	   r->rx_mbps == 100000 && r->s.tx_bytes == 4000, "nginx sums its two connections");
	is_str(r->unit, "nginx.service", "nginx's unit");
	r = tl_open_view_get(v, 2);
	ok(!r->s.owner_known && r->count == 1 && !r->rate_valid, "unknown owners are one row, last");
	tl_open_view_build(v, NULL, TL_OGROUP_UNIT, TL_OCOL_CONNS, true);
	is_int(tl_open_view_len(v), 3, "by unit: nginx.service, session-3.scope, unknown");
	ok(!strcmp(tl_open_view_get(v, 0)->unit, "nginx.service") && tl_open_view_get(v, 0)->count == 2,
	   "nginx.service has two");
	tl_open_view_build(v, NULL, TL_OGROUP_HOST, TL_OCOL_CONNS, true);
	is_int(tl_open_view_len(v), 3, "by remote host: .9 .8 .7");
	r = tl_open_view_get(v, 0);
	ok(r->count == 2 && r->s.raddr[3] == 9 && r->s.tx_bytes == 1000 && r->s.rx_bytes == 500,
	   "10.0.0.9 has two connections of two processes, bytes summed");
	ok(r->unit[0] == '\0', "a host's unit is unknown when its sockets differ");

	/* listeners */
	tl_open_view_build(v, NULL, TL_OGROUP_LISTEN, TL_OCOL_QUEUE, true);
	is_int(tl_open_view_len(v), 1, "one listener");
	r = tl_open_view_get(v, 0);
	ok(r->full && r->s.accept_queue == 3 && r->s.accept_queue_max == 2 && r->s.drops == 7,
	   "queue 3 over limit 2: full, 7 drops");
	ok(!r->accepts_valid, "no accepts/s without a previous snapshot");

	/* second snapshot, 2 s later: cookie 2 closed, cookies 6 and 7 accepted on :443
	 * (7 still queued), and a passive session that came and went in between */
	{
		struct tl_model_config cfg = { .history = 1000, .max_dests = 100 };
		struct tl_model *m = tl_model_new(&cfg);
		struct tl_record gone = mk_session(101 * S, 10, "nginx", "10.0.0.1", 443, "10.0.0.5",
						    51000, TL_REC_PASSIVE);
		struct tl_record old = mk_session(101 * S, 10, "nginx", "10.0.0.1", 443, "10.0.0.4",
						   51001, TL_REC_PASSIVE);
		struct tl_record other = mk_session(101 * S, 20, "x", "10.0.0.1", 8080, "10.0.0.4",
						     51002, TL_REC_PASSIVE);
		struct tl_sock s2[6];
		struct tl_open_rate r2[6];

		gone.span_ns = S / 2;	/* began at 100.5 s: after the first walk */
		old.span_ns = 3 * S;	/* began before it: was seen (or missed) then */
		other.span_ns = S / 2;	/* another port */
		tl_model_add(m, &old);
		tl_model_add(m, &gone);
		tl_model_add(m, &other);
		s2[0] = socks[0];
		s2[1] = socks[2];
		s2[2] = socks[3];
		s2[3] = socks[4];
		s2[3].accept_queue = 1;
		s2[4] = sk(6, 10, "nginx", "10.0.0.1", 443, "10.0.0.3", 52000, TL_TCP_ESTABLISHED);
		s2[4].dir = TL_SOCK_DIR_PASSIVE;
		s2[5] = sk(7, 0, NULL, "10.0.0.1", 443, "10.0.0.3", 52001, TL_TCP_ESTABLISHED);
		s2[5].dir = TL_SOCK_DIR_PASSIVE;
		r2[0] = rate(2000, 0);
		r2[1] = rate(0, 70);
		r2[2].valid = false;
		r2[3].valid = false;
		r2[4].valid = false;
		r2[5].valid = false;
		is_int(ingest(v, s2, 6, 102 * S, r2, NULL, m), 0, "second snapshot ingested");
		tl_open_view_build(v, NULL, TL_OGROUP_LISTEN, TL_OCOL_QUEUE, true);
		r = tl_open_view_get(v, 0);
		ok(r && r->accepts_valid && r->accepts_milli == 1500, "3 accepts in 2 s: 1.5/s (got %llu/1000)",
		   r ? (unsigned long long)r->accepts_milli : 0ull);
		ok(r && !r->full, "queue 1 of 2 is not full");
		tl_model_free(m);
	}
	tl_open_view_build(v, NULL, TL_OGROUP_CONN, TL_OCOL_RATE, true);
	is_int(tl_open_view_len(v), 5, "five connections now");
	ok(tl_open_view_cgroup(v, tl_open_view_get(v, 0)) == NULL, "paths are those of the new snapshot");

	/* rate history follows the cookie */
	n = tl_open_view_history(v, 1, tx, rx, TL_OPEN_HIST);
	ok(n == 2 && tx[0] == 1000.0f && tx[1] == 2000.0f, "cookie 1: two samples, oldest first");
	is_int(tl_open_view_history(v, 2, tx, rx, TL_OPEN_HIST), 0, "a closed socket has no history");
	is_int(tl_open_view_history(v, 6, tx, rx, TL_OPEN_HIST), 0, "a new socket has none yet");
	{
		struct tl_sock one = socks[0];
		int i;

		for (i = 0; i < TL_OPEN_HIST + 5; i++) {
			struct tl_open_rate rr = rate((uint64_t)i, 0);

			ingest(v, &one, 1, (uint64_t)(103 + i) * S, &rr, NULL, NULL);
		}
		n = tl_open_view_history(v, 1, tx, rx, TL_OPEN_HIST);
		ok(n == TL_OPEN_HIST && tx[n - 1] == (float)(TL_OPEN_HIST + 4) && tx[0] == 5.0f,
		   "the history is bounded: the newest %d samples", TL_OPEN_HIST);
	}
	/* an empty snapshot */
	is_int(ingest(v, socks, 0, 500 * S, NULL, NULL, NULL), 0, "empty snapshot");
	tl_open_view_build(v, NULL, TL_OGROUP_CONN, TL_OCOL_RATE, true);
	is_int(tl_open_view_len(v), 0, "no rows");

	/* the record the filter sees */
	{
		struct tl_record rec;

		tl_open_record(&rec, &socks[0], 7);
		ok(rec.kind == TL_REC_SESSION && rec.pid == 10 && rec.lport == 443 && rec.rport == 50000 &&
		   rec.cookie == 1 && rec.span_ns == 5 * S && !rec.adopted && rec.ts_ns == 7,
		   "tl_open_record carries the socket's fields");
	}
	tl_open_view_free(v);
	return tap_done();
}
