"""In-kernel filters -p, -L, -D, -4, -6: one mix of traffic, several tcplens
instances at once, each must keep exactly the events it should: every one of
ours it should have, none of ours it should not, and nothing foreign that
fails its filter."""
import time

import checks
from tap import dump_events
from harness import stop_all
from traffic import Exchange, Peer, kill_all

WAIT_EVENTS_S = 5.0


def key(ev):
	if ev.get("type") == "session":
		return ("session", ev.get("dir"), ev.get("pid"), ev.get("lport"), ev.get("rport"))
	return ("connect", ev.get("result"), ev.get("pid"), ev.get("dport"))


def exchange_keys(ex):
	return {
		"active": ("session", "active", ex.client.pid, ex.lport, ex.port),
		"passive": ("session", "passive", ex.server.pid, ex.port, ex.lport),
		"connect": ("connect", "ok", ex.client.pid, ex.port),
	}


def run(ctx):
	exs = []
	peers = []
	instances = []
	try:
		v4 = Exchange(ctx.ports, "f4", closer="client", c_bytes=100, s_bytes=200, hold=0.0)
		exs.append(v4)
		v6 = Exchange(ctx.ports, "f6", family="6", addr="::1", closer="server", c_bytes=300,
			      s_bytes=400, hold=0.0)
		exs.append(v6)
		dual = Exchange(ctx.ports, "fd", family="4", server_family="dual", server_addr="::",
				closer="client", c_bytes=500, s_bytes=600, hold=0.0)
		exs.append(dual)
		closed = ctx.ports.take()
		ref = Peer("client", "tl-cli-fref", port=closed)
		peers.append(ref)

		k_ref = ("connect", "refused", ref.pid, closed)
		our_ports = {v4.port, v6.port, dual.port, closed}
		our_pids = {p.pid for ex in exs for p in (ex.client, ex.server)} | {ref.pid}

		def lport_of(e):
			return e.get("lport")

		def rport_of(e):
			return e.get("rport") if e.get("type") == "session" else e.get("dport")

		# (label, args, predicate every event must satisfy, which of ours
		#  it keeps: a function of the exchanges' keys, known after the traffic)
		cases = [
			("-p client pid", ["-p", str(v4.client.pid)],
			 lambda e: e.get("pid") == v4.client.pid,
			 lambda k4, k6, kd: {k4["active"], k4["connect"]}),
			("-p server pid", ["-p", str(v6.server.pid)],
			 lambda e: e.get("pid") == v6.server.pid,
			 lambda k4, k6, kd: {k6["passive"]}),
			("-L two server ports", ["-L", "%d,%d" % (v4.port, dual.port)],
			 lambda e: lport_of(e) in (v4.port, dual.port),
			 lambda k4, k6, kd: {k4["passive"], kd["passive"]}),
			("-D two ports", ["-D", "%d,%d" % (v6.port, closed)],
			 lambda e: rport_of(e) in (v6.port, closed),
			 lambda k4, k6, kd: {k6["active"], k6["connect"], k_ref}),
			("-4", ["-4"], lambda e: e.get("family") == 4,
			 lambda k4, k6, kd: set(k4.values()) | set(kd.values()) | {k_ref}),
			("-6", ["-6"], lambda e: e.get("family") == 6,
			 lambda k4, k6, kd: set(k6.values())),
		]
		for label, args, _pred, _exp in cases:
			instances.append(ctx.tcplens(["json"] + args, "filter " + label))
		if not ctx.start("filters", instances):
			return
		t_go = time.time()
		ref.go()
		ref.expect("done")
		for ex in exs:
			ex.run()
		t_done = time.time()
		# the unfiltered-by-port instances see every one of ours: wait for
		# them, then give the others the same moment
		ports = list(our_ports) + [ex.lport for ex in exs]
		instances[4].wait_for(lambda evs: len(checks.touching(evs, ports)) >= 7, WAIT_EVENTS_S)
		instances[5].wait_for(lambda evs: len(checks.touching(evs, ports)) >= 3, WAIT_EVENTS_S)
		time.sleep(0.2)
		stop_all(instances)
	finally:
		for tl in instances:
			tl.kill()
		kill_all(peers)
		for ex in exs:
			ex.kill()

	# client ports are known only now
	keys = (exchange_keys(v4), exchange_keys(v6), exchange_keys(dual))
	ours_all = set().union(*(k.values() for k in keys)) | {k_ref}
	# client ports are ephemeral: other traffic may reuse one, so ours are
	# matched by pid or by the whole port pair, never by one port
	pairs = {pr for ex in exs for pr in ((ex.lport, ex.port), (ex.port, ex.lport))}

	def is_ours(e):
		if e.get("pid") in our_pids:
			return True
		if e.get("type") == "connect" and e.get("dport") == closed:
			return True
		return (e.get("lport"), rport_of(e)) in pairs

	for (label, args, pred, expected), tl in zip(cases, instances):
		with ctx.check("filter %s (%s): exactly the expected events" % (label, " ".join(args))) as c:
			events = [e for e in tl.events() if e.get("type") in ("session", "connect")]
			want = expected(*keys)
			got_ours = [key(e) for e in events if is_ours(e)]
			missing = want - set(got_ours)
			unexpected = [k for k in got_ours if k not in want]
			dups = {k for k in got_ours if got_ours.count(k) > 1}
			c.eq(sorted(map(str, missing)), [], "expected events missing")
			c.eq(sorted(map(str, unexpected)), [], "events of ours that the filter should drop")
			c.eq(sorted(map(str, dups)), [], "duplicated events")
			foreign_bad = [e for e in events if not is_ours(e) and not pred(e)]
			c.eq(dump_events(foreign_bad, 10) if foreign_bad else "", "",
			     "foreign events that fail the filter")
			c.note("ours wanted: %s" % sorted(map(str, want)))
			c.note("all of ours in ground truth: %s" % sorted(map(str, ours_all)))
			c.note("what it printed of ours:\n%s" % dump_events([e for e in events if is_ours(e)], 60))
			checks.check_clean_exit(c, tl)
			if not c.ok():
				c.note("t_go=%.3f t_done=%.3f" % (t_go, t_done))
