"""Loss accounting, end to end: captured + dropped = made, per kind.

(a) --probes=tracepoint --max-sockets 1024 (the hash map): 3,000
    connections held open at once overflow it; then
      sessions: captured + dropped_sessions_storage <= made
                <= captured + dropped_sessions_storage + dropped_sessions_storage_max
      connects: captured + dropped_connects_storage == made
    and no ring-buffer loss.
(b) the same load under --probes=btf (socket storage, no cap): everything
    captured, every drop counter 0.
(c) -p CLIENTPID while another client process holds connections to
    another server: the foreign sockets are filtered, not dropped (every
    drop counter 0), and the client's events are all there; under both
    probe kinds, and with the hash map capped at 1024 entries below the
    foreign load (the foreign connections are open first).

Made counts come from the peers' own bookkeeping; only events on the test's
server ports are compared."""
import collections
import time

import checks
from harness import stop_all
from tap import dump_events
from traffic import kill_all
import traffic2 as t2
from traffic2 import Peer2

HELD = 3000
PAYLOAD = 8
C_CONNS = 1000		# (c): the filtered client's, and the foreign client's
TRAFFIC_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 10.0


def wait_lines(tl, n, timeout):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		with tl.cond:
			if len(tl.out) >= n:
				return True
		time.sleep(0.1)
	return False


def ours(events, port):
	"""(connects, active sessions, passive sessions) on the server port."""
	con = [e for e in events if e.get("type") == "connect" and e.get("dport") == port]
	act = [e for e in events if e.get("type") == "session" and e.get("rport") == port
	       and e.get("dir") == "active"]
	pas = [e for e in events if e.get("type") == "session" and e.get("lport") == port
	       and e.get("dir") == "passive"]
	return con, act, pas


def foreign_summary(events, ports):
	n = collections.Counter(e.get("type") for e in events
				if e.get("type") in ("session", "connect")
				and not ({e.get("lport"), e.get("rport"), e.get("dport")} & set(ports)))
	return dict(n)


def hold_load(ctx, tag, port, count, client_name, server_name):
	srv = Peer2("hold-server", server_name, port=port, expect=count, send=PAYLOAD)
	try:
		cli = Peer2("hold-client", client_name, port=port, count=count, send=PAYLOAD)
	except Exception:
		srv.kill()
		raise
	return srv, cli


def truth_check(c, what, holding, cdone, sdone, count):
	c.eq((holding.get("ok"), holding.get("errors")), (count, {}),
	     "ground truth (%s): connections held open at once, connect errors" % what)
	c.eq((cdone.get("ok"), cdone.get("errors"), cdone.get("extra")), (count, {}, 0),
	     "ground truth (%s): client closed them all cleanly" % what)
	c.eq((sdone.get("accepted"), sdone.get("conns"), sdone.get("received"), sdone.get("short")),
	     (count, count, count * PAYLOAD, 0),
	     "ground truth (%s): server accepted, closed, bytes, short" % what)


def check_fields(c, con, act, pas, cli, srv):
	"""Every captured event of ours is right (owner, bytes, result)."""
	for what, evs, owner, rest, want in (
			("connects", con, cli, ("result", "errno"), ("ok", 0)),
			("active sessions", act, cli, ("tx_bytes", "rx_bytes", "reset"), (PAYLOAD, 0, False)),
			("passive sessions", pas, srv, ("tx_bytes", "rx_bytes", "reset"), (0, PAYLOAD, False))):
		wrong_owner = [e for e in evs if (e.get("pid"), e.get("comm"), e.get("cgroup"))
			       != (owner.pid, owner.comm, owner.cgroup)]
		c.eq(len(wrong_owner), 0, "captured %s of ours whose (pid, comm, cgroup) is not (%d, %s, %s) "
		     "(first: %s)" % (what, owner.pid, owner.comm, owner.cgroup, dump_events(wrong_owner, 3)))
		wrong = [e for e in evs if tuple(e.get(k) for k in rest) != want]
		c.eq(len(wrong), 0, "captured %s of ours whose %s is not %s (first: %s)"
		     % (what, rest, want, dump_events(wrong, 3)))
	for what, evs in (("connect", con), ("active session", act)):
		dup = [k for k, n in collections.Counter(e.get("lport") for e in evs).items() if n > 1]
		c.eq(dup[:10], [], "client ports with more than one %s" % what)
	dup = [k for k, n in collections.Counter(e.get("rport") for e in pas).items() if n > 1]
	c.eq(dup[:10], [], "client ports with more than one passive session")


def note_missing(c, lports, con, act, pas):
	"""Which of the client's connections lack which event."""
	have = {"connect": {e.get("lport") for e in con}, "active": {e.get("lport") for e in act},
		"passive": {e.get("rport") for e in pas}}
	for kind, got in have.items():
		missing = sorted(set(lports) - got)
		if missing:
			c.note("client ports without a %s event (%d): %s" % (kind, len(missing), missing[:20]))
			for lp in missing[:3]:
				c.note("  events of client port %d: %s" % (lp, dump_events(
					[e for e in con + act + pas if lp in (e.get("lport"), e.get("rport"))])))


def run(ctx):
	run_held(ctx)
	run_pid_filter(ctx)


def map_checks(ctx, tl, label, port, cli, srv, kinds, exact, holding, cdone, sdone):
	"""The hash-map accounting of one instance for the kinds of ours it
	sees: 'connect', 'active', 'passive'. exact: no foreign socket can have
	reached its counters (filtered in the kernel, or a quiet host)."""
	st = tl.stats()
	events = tl.events()
	con, act, pas = ours(events, port)
	made_c = HELD if "connect" in kinds else 0
	made_s = HELD * (("active" in kinds) + ("passive" in kinds))
	with ctx.check("counts %s: %d connects: captured + dropped_connects_storage %s made"
		       % (label, made_c, "==" if exact else ">=")) as c:
		truth_check(c, "held", holding, cdone, sdone, HELD)
		if t2.check_stats_v2(c, st, zero=("dropped_ringbuf", "dropped_sessions_ringbuf",
						  "dropped_connects_ringbuf"), misses=tl.misses):
			got = len(con) + st["dropped_connects_storage"]
			what = "connects captured (%d) + dropped_connects_storage (%d)" % (
				len(con), st["dropped_connects_storage"])
			worst = got + st["dropped_connects_storage_max"]
			if exact:
				# the exact counter counts only sockets every filter had passed;
				# a local-port filter is decided later, so those are worst cases
				c.true(got <= made_c <= worst, "%s <= made (%d) <= that + "
				       "dropped_connects_storage_max (%d)" % (what, made_c, worst))
				if "connect" in kinds:
					c.eq(got, made_c, what)
			else:
				c.true(got >= made_c, "%s >= made (%d)" % (what, made_c))
			c.true(st["dropped_connects_storage"] + st["dropped_sessions_storage"] +
			       st["dropped_connects_storage_max"] + st["dropped_sessions_storage_max"] > 0,
			       "the map overflowed (%d of our sockets at once in 1024 entries): storage drops > 0"
			       % (HELD * len(kinds & {"active", "passive"})), st)
			check_fields(c, con, act, pas, cli, srv)
			if "active" not in kinds:
				c.eq(len(act), 0, "active sessions of ours (filtered out)")
			if "passive" not in kinds:
				c.eq(len(pas), 0, "passive sessions of ours (filtered out)")
			if "connect" not in kinds:
				c.eq(len(con), 0, "connects of ours (filtered out)")
		checks.check_clean_exit(c, tl)
		c.note(tl.describe())
	with ctx.check("counts %s: %d sessions: captured + dropped_sessions_storage %s made <= that + "
		       "dropped_sessions_storage_max" % (label, made_s, "<=" if exact else "(any) and")) as c:
		if t2.check_stats_v2(c, st):
			cap = len(act) + len(pas)
			lo = cap + st["dropped_sessions_storage"]
			hi = lo + st["dropped_sessions_storage_max"]
			c.note("sessions captured: %d active + %d passive; dropped_sessions_storage %d, _max %d"
			       % (len(act), len(pas), st["dropped_sessions_storage"], st["dropped_sessions_storage_max"]))
			if exact:
				c.true(lo <= made_s, "captured + dropped_sessions_storage (%d) <= made (%d)" % (lo, made_s))
			c.true(made_s <= hi, "made (%d) <= captured + dropped_sessions_storage + _max (%d)" % (made_s, hi))
			c.true(cap <= made_s, "no more sessions of ours than made", cap)


def run_held(ctx):
	port = ctx.ports.take()
	mk = ["json", "--probes=tracepoint", "--max-sockets", "1024"]
	tl_map = ctx.tcplens(mk, "counts tracepoint --max-sockets 1024")
	tl_map_d = ctx.tcplens(mk + ["-D", str(port)], "counts tracepoint --max-sockets 1024 -D port")
	tl_map_l = ctx.tcplens(mk + ["-L", str(port)], "counts tracepoint --max-sockets 1024 -L port")
	tl_sto = ctx.tcplens(["json", "--probes=btf"], "counts btf")
	# tp_btf with the same small map: what does not fit goes to socket storage
	tl_ovf = ctx.tcplens(["json", "--probes=btf", "--max-sockets", "1024"], "counts btf --max-sockets 1024")
	instances = [tl_map, tl_map_d, tl_map_l, tl_sto, tl_ovf]
	srv = cli = None
	try:
		srv, cli = hold_load(ctx, "h", port, HELD, "tl-cli-hold", "tl-srv-hold")
		if not ctx.start("counts held", instances):
			return
		t0 = time.time()
		cli.go()
		holding = cli.expect("holding", TRAFFIC_TIMEOUT_S)
		n_est = t2.ss(None, "-Htn", "state", "established", "( dport = :%d )" % port).count("\n")
		ctx.tap.diag("counts: %d connections open at once after %.2f s (ss: %d established)" % (
			holding.get("ok"), holding.get("seconds"), n_est))
		cli.send("close")
		cdone = cli.expect("done", TRAFFIC_TIMEOUT_S)
		sdone = srv.expect("done", TRAFFIC_TIMEOUT_S)
		ctx.tap.diag("counts: held load done in %.2f s" % (time.time() - t0))
		wait_lines(tl_sto, 3 * HELD, DRAIN_TIMEOUT_S)
		wait_lines(tl_ovf, 3 * HELD, DRAIN_TIMEOUT_S)
		time.sleep(0.5)
		stop_all(instances)
	finally:
		for tl in instances:
			tl.kill()
		kill_all([srv, cli])

	foreign = {}
	for tl in instances:
		foreign[tl.label] = foreign_summary(tl.events(), [port])
		ctx.tap.diag("%s: stats %s; foreign events %s" % (tl.label, tl.stats(), foreign[tl.label]))
	quiet = not foreign[tl_sto.label]
	if not quiet:
		ctx.tap.diag("counts: the host is not quiet (foreign events %s): the unfiltered map instance "
			     "gets the one-sided bounds; the -D/-L instances (foreign traffic filtered in the "
			     "kernel) the exact ones" % foreign[tl_sto.label])
	map_checks(ctx, tl_map, "--max-sockets 1024 (hash map), unfiltered", port, cli, srv,
		   {"connect", "active", "passive"}, quiet, holding, cdone, sdone)
	map_checks(ctx, tl_map_d, "--max-sockets 1024 (hash map) -D port", port, cli, srv,
		   {"connect", "active"}, True, holding, cdone, sdone)
	map_checks(ctx, tl_map_l, "--max-sockets 1024 (hash map) -L port", port, cli, srv,
		   {"passive"}, True, holding, cdone, sdone)
	for tl, what in ((tl_sto, "the hash map, socket storage beyond it"),
			 (tl_ovf, "a 1024-entry map overflowing into socket storage")):
		with ctx.check("%s (%s): all %d sessions and %d connects, every drop counter 0"
			       % (tl.label, what, 2 * HELD, HELD)) as c:
			truth_check(c, "held", holding, cdone, sdone, HELD)
			st = tl.stats()
			t2.check_stats_v2(c, st, zero=["dropped", "dropped_ringbuf", "dropped_map"] +
					  t2.STATS_NEW_KEYS, misses=tl.misses)
			checks.check_ndjson(c, tl)
			con, act, pas = ours(tl.events(), port)
			if not c.eq((len(con), len(act), len(pas)), (HELD, HELD, HELD),
				    "(connects, active, passive) captured"):
				note_missing(c, holding["lports"], con, act, pas)
			check_fields(c, con, act, pas, cli, srv)
			checks.check_clean_exit(c, tl)
			c.note(tl.describe())


def run_pid_filter(ctx):
	port, fport = ctx.ports.take(), ctx.ports.take()
	tls = []
	peers = []
	try:
		srv, cli = hold_load(ctx, "p", port, C_CONNS, "tl-cli-pflt", "tl-srv-pflt")
		peers += [srv, cli]
		fsrv, fcli = hold_load(ctx, "f", fport, C_CONNS, "tl-cli-foreign", "tl-srv-foreign")
		peers += [fsrv, fcli]
		tls = [ctx.tcplens(["json", "--probes=" + p, "-p", str(cli.pid)], "counts -p client, %s" % p)
		       for p in ("btf", "tracepoint")]
		# the hash map capped below the foreign load: the foreign incoming
		# connections (held first) must not take the client's places
		tls.append(ctx.tcplens(["json", "--probes=tracepoint", "--max-sockets", "1024", "-p", str(cli.pid)],
				       "counts -p client, tracepoint --max-sockets 1024"))
		if not ctx.start("counts -p", tls):
			return
		fcli.go()
		fholding = fcli.expect("holding", TRAFFIC_TIMEOUT_S)
		cli.go()
		holding = cli.expect("holding", TRAFFIC_TIMEOUT_S)
		fcli.send("close")
		cli.send("close")
		cdone = cli.expect("done", TRAFFIC_TIMEOUT_S)
		sdone = srv.expect("done", TRAFFIC_TIMEOUT_S)
		fcdone = fcli.expect("done", TRAFFIC_TIMEOUT_S)
		fsdone = fsrv.expect("done", TRAFFIC_TIMEOUT_S)
		for tl in tls[:2]:	# the capped one may never get them all
			wait_lines(tl, 2 * C_CONNS, DRAIN_TIMEOUT_S)
		time.sleep(0.3)
		stop_all(tls)
	finally:
		for tl in tls:
			tl.kill()
		kill_all(peers)

	for tl in tls:
		with ctx.check("%s: the client's %d connects and active sessions, nothing else, every drop counter 0 "
			       "(foreign sockets filtered, not dropped)" % (tl.label, C_CONNS)) as c:
			truth_check(c, "filtered client", holding, cdone, sdone, C_CONNS)
			truth_check(c, "foreign client", fholding, fcdone, fsdone, C_CONNS)
			st = tl.stats()
			zero = ["dropped", "dropped_ringbuf", "dropped_map"] + [
				k for k in t2.STATS_NEW_KEYS if "btf" in tl.label or k != "missed_state_changes"]
			if "--max-sockets" in tl.label:
				# a 1024-entry map can fill for a moment while foreign sockets
				# wait between handshake and accept(): losses must then be
				# counted exactly (checked below), not be zero
				zero = ["dropped_ringbuf", "dropped_sessions_ringbuf", "dropped_connects_ringbuf"]
			t2.check_stats_v2(c, st, zero=zero, misses=tl.misses)
			checks.check_ndjson(c, tl)
			events = [e for e in tl.events() if e.get("type") in ("session", "connect")]
			con, act, pas = ours(events, port)
			if "--max-sockets" not in tl.label:
				c.eq((len(con), len(act), len(pas)), (C_CONNS, C_CONNS, 0),
				     "(connects, active, passive) of the filtered client")
			else:
				c.eq(len(pas), 0, "passive sessions of the filtered client")
				# 1,000 of the client's sockets in a 1,024-entry map, beside
				# foreign ones between handshake and accept(): how many find no
				# place depends on how fast the foreign server accepts (40 seen
				# in a CI run); what matters is that each one is counted
				c.true(len(con) >= C_CONNS * 9 // 10, "most of the client's connects captured "
				       "(%d of %d)" % (len(con), C_CONNS))
			if st and isinstance(st.get("dropped_connects_storage"), int):
				# whatever was lost must at least be counted, exactly
				c.eq(len(con) + st["dropped_connects_storage"], C_CONNS,
				     "the client's connects captured + dropped_connects_storage")
				if len(con) < C_CONNS:
					c.note("the client's sockets found no place: %d were taken by sockets the "
					       "filter rejects later (dropped_sessions_storage_max %s)"
					       % (C_CONNS - len(con), st.get("dropped_sessions_storage_max")))
			check_fields(c, con, act, [], cli, srv)
			other = [e for e in events if e.get("pid") != cli.pid]
			c.eq(len(other), 0, "events of other processes (first: %s)" % dump_events(other, 3))
			checks.check_clean_exit(c, tl)
			c.note(tl.describe())
