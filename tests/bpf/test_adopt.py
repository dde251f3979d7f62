"""Sessions opened before tcplens started: a client and a server connect and
move X bytes each way, then tcplens starts; after its ready line they move
Y more each way and close. Both ends must be reported, marked
opened_before_start, with the right owner and direction, the bytes of the
whole life (X+Y, exactly), a lifespan between "since tcplens was ready" and
"the whole life", and no connect event (the connect happened before).
IPv4 and IPv6, client and server closing first, tp_btf and classic
tracepoints."""
import checks
from tap import dump_events
from traffic import PhasedExchange

WAIT_EVENTS_S = 5.0
# asymmetric, and phase 1 and 2 differ: a count of one phase only, or tx and
# rx swapped, cannot pass
C1, S1, C2, S2 = 1500, 30000, 70000, 2222
HOLD_S = 0.3
SCENARIOS = [
	# tag, family, address, closer, server listening dual-stack on [::]
	("4c", 4, "127.0.0.1", "client", False),
	("4s", 4, "127.0.0.1", "server", False),
	("6c", 6, "::1", "client", False),
	("6s", 6, "::1", "server", False),
	# IPv4 to a [::] listener: the kernel sees ::ffff:127.0.0.1 on the
	# passive end, which is IPv4 (and passive: the [::] listener takes it)
	("dc", 4, "127.0.0.1", "client", True),
]


def run(ctx):
	for probes, suffix in (("btf", "b"), ("tracepoint", "t")):
		run_probes(ctx, probes, suffix)


def run_probes(ctx, probes, suffix):
	label = "adopt --probes=%s" % probes
	exs = []
	tl = ctx.tcplens(["json", "--probes=" + probes], label)
	try:
		for tag, fam, addr, closer, dual in SCENARIOS:
			exs.append(PhasedExchange(ctx.ports, "ad" + tag + suffix, family=str(fam), addr=addr,
						  closer=closer, hold=HOLD_S, c_bytes=C1, s_bytes=S1,
						  c_bytes2=C2, s_bytes2=S2,
						  server_family="dual" if dual else None,
						  server_addr="::" if dual else None))
		# phase 1 before tcplens exists
		for ex in exs:
			ex.start()
		for ex in exs:
			ex.phase1()
		if not ctx.start(label, [tl]):
			return
		for ex in exs:
			ex.go2()
		for ex in exs:
			ex.finish()
		ports = [p for ex in exs for p in (ex.port, ex.lport)]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 2 * len(exs), WAIT_EVENTS_S)
		tl.stop()
	finally:
		tl.kill()
		for ex in exs:
			ex.kill()

	events = tl.events()
	for ex, (tag, fam, addr, closer, dual) in zip(exs, SCENARIOS):
		what = "%s: IPv%d%s, %s closes first" % (label, fam, " to a dual-stack [::] listener"
							  if dual else "", closer)
		for which in ("active", "passive"):
			with ctx.check("%s: %s session opened before start: owner, bytes of the whole life, "
				       "opened_before_start" % (what, which)) as c:
				check_adopted(c, events, ex, which, fam, addr, tl)
		with ctx.check("%s: no connect event for a connection made before start" % what) as c:
			conns = [e for e in events if e.get("type") == "connect" and
				 e.get("dport") == ex.port and e.get("lport") in (ex.lport, 0)]
			c.eq(dump_events(conns) if conns else "", "", "connect events to the server's port")
	with ctx.check("%s: every line is schema-ordered NDJSON, stats line last" % label) as c:
		checks.check_ndjson(c, tl)
	with ctx.check("%s: SIGINT drains and exits 0" % label) as c:
		checks.check_clean_exit(c, tl)


def check_adopted(c, events, ex, which, fam, addr, tl):
	for p in ex.phase1_problems() + ex.truth_problems():
		c.fail("ground truth broken (test bug, not tcplens): " + p)
	c.true(ex.c_p1["t_connected"] < tl.t_start,
	       "ground truth: connected before tcplens was started",
	       (ex.c_p1["t_connected"], tl.t_start))
	ports = [ex.port, ex.lport]
	if which == "active":
		owner, lport, rport, tx, rx = ex.client, ex.lport, ex.port, ex.c_bytes, ex.s_bytes
		t_close = ex.c_done["t_close"]
		retrans = ex.c_done.get("retrans")
	else:
		owner, lport, rport, tx, rx = ex.server, ex.port, ex.lport, ex.s_bytes, ex.c_bytes
		t_close = ex.s_conn["t_close"]
		retrans = ex.s_conn.get("retrans")
	ev = checks.find_one(c, events, "%s session" % which, ports, type="session",
			     lport=lport, rport=rport)
	if ev is None:
		c.note("stats: %s; %s" % (tl.stats(), tl.describe()))
	# lifespan: at least from the ready line to the first close() of the
	# two (the session ends at or after it), at most the whole life
	first_close = ex.t_close_first
	dur_lo = max(0.0, (first_close - tl.t_ready) * 1000.0 - 5.0)
	dur_hi = (ex.t_done - ex.c_p1["t_connect"]) * 1000.0 + checks.DURATION_SLACK_MS
	c.note("t_connect=%.3f tcplens started %.3f ready seen %.3f go2 %.3f close %.3f (first %.3f) done %.3f"
	       % (ex.c_p1["t_connect"], tl.t_start, tl.t_ready, ex.t_go2, t_close, first_close, ex.t_done))
	checks.check_session(c, ev, dir=which, pid=owner.pid, comm=owner.comm, family=fam,
			     laddr=addr, lport=lport, raddr=addr, rport=rport, tx=tx, rx=rx,
			     t_lo=ex.t_go2, t_hi=ex.t_done, dur_lo_ms=dur_lo, dur_hi_ms=dur_hi,
			     cgroup=owner.cgroup, reset=False, opened_before_start=True, retrans=retrans)
