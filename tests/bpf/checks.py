"""Assertions on tcplens events against ground truth."""
from harness import READY_PREFIX
from tap import dump_events

TS_SLACK_S = 1.0		# wall clock of an event vs the test's own clock
DURATION_SLACK_MS = 250.0	# lifespan beyond the span the test measured
LOOPBACK_CONNECT_MAX_MS = 100.0


def touching(events, ports):
	"""Events that involve any of these ports, on either side."""
	ports = set(ports)
	out = []
	for e in events:
		if e.get("type") == "session" and (e.get("lport") in ports or e.get("rport") in ports):
			out.append(e)
		elif e.get("type") == "connect" and (e.get("lport") in ports or e.get("dport") in ports):
			out.append(e)
	return out


def find_one(c, events, what, context_ports, **match):
	hits = [e for e in events if all(e.get(k) == v for k, v in match.items())]
	if len(hits) == 1:
		return hits[0]
	c.fail("%s: %d events match %s, wanted exactly 1" % (what, len(hits), match))
	c.note("events touching ports %s:\n%s" % (sorted(set(context_ports)),
						  dump_events(touching(events, context_ports))))
	return None


def check_session(c, ev, *, dir, pid, comm, family, laddr, lport, raddr, rport, tx, rx,
		  t_lo, t_hi, cgroup, dur_lo_ms=0.0, dur_hi_ms=None, loopback=True, reset=False,
		  opened_before_start=False, retrans=None):
	"""Every field of one session event. cgroup: the owner's cgroup v2 path
	(traffic.Peer.cgroup, read from /proc/PID/cgroup while it lived)."""
	if ev is None:
		return
	c.note("the session event: %s" % ev)
	c.eq(ev.get("dir"), dir, "dir")
	c.eq(ev.get("pid"), pid, "pid (owner)")
	c.eq(ev.get("comm"), comm, "comm (owner)")
	c.eq(ev.get("family"), family, "family")
	c.eq(ev.get("laddr"), laddr, "laddr")
	c.eq(ev.get("lport"), lport, "lport")
	c.eq(ev.get("raddr"), raddr, "raddr")
	c.eq(ev.get("rport"), rport, "rport")
	c.eq(ev.get("tx_bytes"), tx, "tx_bytes (payload sent)")
	c.eq(ev.get("rx_bytes"), rx, "rx_bytes (payload received)")
	if dur_hi_ms is None:
		dur_hi_ms = (t_hi - t_lo) * 1000.0 + DURATION_SLACK_MS
	c.between(ev.get("duration_ms"), dur_lo_ms, dur_hi_ms, "duration_ms")
	if retrans is not None:
		# the owner's TCP_INFO just before close(); its FIN may still be
		# retransmitted after that
		c.between(ev.get("retrans"), retrans, retrans + 1,
			  "retrans (tcpi_total_retrans at close() was %d)" % retrans)
	elif loopback:
		c.eq(ev.get("retrans"), 0, "retrans")
	c.between(ev.get("srtt_us"), 1, 1000000 if not loopback else 200000, "srtt_us")
	c.between(ev.get("ts"), t_lo - TS_SLACK_S, t_hi + TS_SLACK_S, "ts (unix seconds)")
	c.true(cgroup is not None, "ground truth: the owner's cgroup v2 path is known (test bug if not)")
	c.eq(ev.get("cgroup"), cgroup, "cgroup (the owner's, from /proc/PID/cgroup)")
	c.eq(ev.get("reset"), reset, "reset")
	c.eq(ev.get("opened_before_start"), opened_before_start, "opened_before_start")


def check_connect(c, ev, *, pid, comm, family, saddr, daddr, dport, result, errno,
		  t_lo, t_hi, cgroup, lport=None, lat_lo_ms=0.0, lat_hi_ms=LOOPBACK_CONNECT_MAX_MS,
		  syn_retrans=0, syn_retrans_min=None):
	if ev is None:
		return
	c.note("the connect event: %s" % ev)
	c.eq(ev.get("pid"), pid, "pid")
	c.eq(ev.get("comm"), comm, "comm")
	c.eq(ev.get("family"), family, "family")
	c.eq(ev.get("saddr"), saddr, "saddr")
	if lport is not None:
		c.eq(ev.get("lport"), lport, "lport (the client's port)")
	c.eq(ev.get("daddr"), daddr, "daddr")
	c.eq(ev.get("dport"), dport, "dport")
	c.eq(ev.get("result"), result, "result")
	c.eq(ev.get("errno"), errno, "errno")
	if syn_retrans_min is None:
		c.eq(ev.get("syn_retrans"), syn_retrans, "syn_retrans")
	else:
		c.between(ev.get("syn_retrans"), syn_retrans_min, 100, "syn_retrans")
	c.between(ev.get("latency_ms"), lat_lo_ms, lat_hi_ms, "latency_ms")
	c.between(ev.get("ts"), t_lo - TS_SLACK_S, t_hi + TS_SLACK_S, "ts (unix seconds)")
	c.true(cgroup is not None, "ground truth: the caller's cgroup v2 path is known (test bug if not)")
	c.eq(ev.get("cgroup"), cgroup, "cgroup (the caller's, from /proc/PID/cgroup)")


def check_exchange(c, events, ex, which, *, family=4, laddr_c="127.0.0.1", laddr_s="127.0.0.1",
		   loopback=True):
	"""One of the three events of an Exchange: 'active', 'passive' or 'connect'."""
	for p in ex.truth_problems():
		c.fail("ground truth broken (test bug, not tcplens): " + p)
	ports = [ex.port, ex.lport]
	if which == "active":
		ev = find_one(c, events, "active session", ports, type="session",
			      lport=ex.lport, rport=ex.port)
		check_session(c, ev, dir="active", pid=ex.client.pid, comm=ex.client.comm,
			      family=family, laddr=laddr_c, lport=ex.lport, raddr=laddr_s,
			      rport=ex.port, tx=ex.c_bytes, rx=ex.s_bytes, t_lo=ex.t_go,
			      t_hi=ex.t_done, dur_lo_ms=ex.hold * 1000.0, loopback=loopback,
			      cgroup=ex.client.cgroup, retrans=ex.c_done.get("retrans"))
	elif which == "passive":
		ev = find_one(c, events, "passive session", ports, type="session",
			      lport=ex.port, rport=ex.lport)
		check_session(c, ev, dir="passive", pid=ex.server.pid, comm=ex.server.comm,
			      family=family, laddr=laddr_s, lport=ex.port, raddr=laddr_c,
			      rport=ex.lport, tx=ex.s_bytes, rx=ex.c_bytes, t_lo=ex.t_go,
			      t_hi=ex.t_done, dur_lo_ms=ex.hold * 1000.0, loopback=loopback,
			      cgroup=ex.server.cgroup, retrans=ex.s_conn.get("retrans"))
	else:
		ev = find_one(c, events, "connect", ports, type="connect", dport=ex.port,
			      pid=ex.client.pid)
		hi = LOOPBACK_CONNECT_MAX_MS if loopback else 1000.0
		check_connect(c, ev, pid=ex.client.pid, comm=ex.client.comm, family=family,
			      saddr=laddr_c, lport=ex.lport, daddr=laddr_s, dport=ex.port,
			      result="ok", errno=0, t_lo=ex.t_go, t_hi=ex.t_done,
			      lat_lo_ms=0.0, lat_hi_ms=hi, cgroup=ex.client.cgroup)
	return ev


def our_events_expected(events, ports):
	"""Helper for waiting: number of events touching ports."""
	return len(touching(events, ports))


def check_ndjson(c, tl):
	"""Every stdout line is a JSON object of the schema, fields in order, and
	the stats line is the last one."""
	from harness import schema_problems
	lines = tl.stdout_lines()
	events = tl.events()
	bad = 0
	for line, ev in zip(lines, events):
		probs = schema_problems(ev) if ev.get("type") != "<unparsable>" else [
			"not JSON (%s): %r" % (ev.get("error"), line[:300])]
		if probs:
			bad += 1
			if bad <= 10:
				c.fail("line %r: %s" % (line[:300], "; ".join(probs)))
	if bad > 10:
		c.fail("... %d bad lines in all" % bad)
	stats = [e for e in events if e.get("type") == "stats"]
	c.eq(len(stats), 1, "number of stats lines")
	if events:
		c.eq(events[-1].get("type"), "stats", "type of the last line")
	if stats:
		st = stats[-1]
		n_sess = sum(1 for e in events if e.get("type") == "session")
		n_conn = sum(1 for e in events if e.get("type") == "connect")
		c.eq(st.get("sessions"), n_sess, "stats.sessions vs session lines printed")
		c.eq(st.get("connects"), n_conn, "stats.connects vs connect lines printed")
		# dropped counts events known lost; dropped_missed counts state
		# changes (each worth at most 2 events) and is not added in
		c.eq(st.get("dropped"), (st.get("dropped_ringbuf") or 0) + (st.get("dropped_map") or 0),
		     "stats.dropped = dropped_ringbuf + dropped_map")
		c.eq(st.get("dropped_ringbuf"), (st.get("dropped_sessions_ringbuf") or 0) +
		     (st.get("dropped_connects_ringbuf") or 0),
		     "stats.dropped_ringbuf = dropped_sessions_ringbuf + dropped_connects_ringbuf")
		c.eq(st.get("dropped_map"), (st.get("dropped_sessions_storage") or 0) +
		     (st.get("dropped_connects_storage") or 0),
		     "stats.dropped_map = dropped_sessions_storage + dropped_connects_storage")
		if st.get("dropped"):
			# other traffic can fill the ring buffer; the burst test is
			# where zero drops is asserted, here missing events would show
			c.note("note: stats.dropped = %s" % st.get("dropped"))
	return stats[-1] if stats else None


def check_clean_exit(c, tl, stdout_needed=True):
	"""SIGINT ended it: exit 0, not killed, drop totals on stderr, no libbpf noise."""
	c.eq(tl.killed, False, "tcplens had to be killed after SIGINT (did not exit in time)")
	c.eq(tl.rc, 0, "exit status after SIGINT")
	err = tl.stderr_text()
	lines = err.splitlines()
	starts = [i for i, l in enumerate(lines) if l.startswith(READY_PREFIX.decode())]
	after = "\n".join(lines[starts[0] + 1:]) if starts else err
	c.true("drop" in after.lower(), "drop totals on stderr after SIGINT", err[-800:])
	c.true("libbpf" not in err, "no libbpf noise on stderr without -v", err[-800:])
