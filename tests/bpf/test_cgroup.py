"""cgroup v2: the owner's cgroup in every event, and the -c filter.

A cgroup tl-test-<pid> is made under the cgroup v2 mount (found in
mountinfo) with a child cgroup in it. Client A is moved into tl-test-<pid>,
client C into its child, client B stays outside; their servers stay
outside. Unfiltered, each event names its owner's cgroup path; with
-c /tl-test-<pid> (the path relative to the v2 root) and with
-c <mount>/tl-test-<pid> (the file-system path) only the events of A and C
are reported. -c with a cgroup that does not exist exits 2 with one line."""
import os
import subprocess

import checks
from cgroups import CgroupError, TestCgroup
from harness import start_each, stop_all
from tap import dump_events
from traffic import Exchange, PhasedExchange

WAIT_EVENTS_S = 5.0
EXIT_TIMEOUT_S = 5.0


def key(ev):
	if ev.get("type") == "session":
		return ("session", ev.get("dir"), ev.get("pid"), ev.get("lport"), ev.get("rport"))
	return ("connect", ev.get("result"), ev.get("pid"), ev.get("lport"), ev.get("dport"))


def keys_of(ex):
	return {
		"active": ("session", "active", ex.client.pid, ex.lport, ex.port),
		"passive": ("session", "passive", ex.server.pid, ex.port, ex.lport),
		"connect": ("connect", "ok", ex.client.pid, ex.lport, ex.port),
	}


def run(ctx):
	cg = None
	exs = []
	tls = []
	try:
		try:
			cg = TestCgroup("/tl-test-%d" % os.getpid())
			cg.create()
			child = cg.child("child")
		except CgroupError as e:
			ctx.tap.result(False, "cgroup: make a test cgroup under the cgroup v2 mount", [str(e)])
			return
		a = Exchange(ctx.ports, "cga", closer="client", c_bytes=2100, s_bytes=31000, hold=0.1)
		exs.append(a)
		b = Exchange(ctx.ports, "cgb", closer="server", c_bytes=2200, s_bytes=32000, hold=0.1)
		exs.append(b)
		cc = Exchange(ctx.ports, "cgc", closer="server", c_bytes=2300, s_bytes=33000, hold=0.1)
		exs.append(cc)
		with ctx.check("cgroup: setup: clients moved into %s and %s, servers outside"
			       % (cg.rel, child.rel)) as c:
			cg.move(a.client.pid)
			child.move(cc.client.pid)
			a.client.cgroup, cc.client.cgroup = cg.rel, child.rel
			for ex in exs:
				c.true(ex.server.cgroup is not None and not ex.server.cgroup.startswith(cg.rel),
				       "server %s is outside the test cgroup" % ex.server.comm, ex.server.cgroup)
			c.true(b.client.cgroup is not None and not b.client.cgroup.startswith(cg.rel),
			       "client B is outside the test cgroup", b.client.cgroup)
			if not c.ok():
				return
		tls = [ctx.tcplens(["json"], "cgroup unfiltered"),
		       ctx.tcplens(["json", "-c", cg.rel], "cgroup -c %s" % cg.rel),
		       ctx.tcplens(["json", "-c", cg.path], "cgroup -c %s" % cg.path)]
		start_err = start_each(tls)
		if tls[0] in start_err:
			ctx.tap.result(False, "cgroup: unfiltered tcplens starts", [start_err[tls[0]]])
			return
		for ex in exs:
			ex.run()
		ports = [p for ex in exs for p in (ex.port, ex.lport)]
		tls[0].wait_for(lambda evs: len(checks.touching(evs, ports)) >= 9, WAIT_EVENTS_S)
		tls[1].wait_for(lambda evs: len(checks.touching(evs, ports)) >= 4, 1.0)
		tls[2].wait_for(lambda evs: len(checks.touching(evs, ports)) >= 4, 1.0)
		stop_all(tls)
		run_open(ctx, cg, child, exs)
	finally:
		for tl in tls:
			tl.kill()
		for ex in exs:
			ex.kill()
		if cg is not None:
			cg.cleanup()

	events = tls[0].events()
	for ex, where in ((a, "client in %s" % cg.rel), (cc, "client in the nested %s" % child.rel),
			  (b, "client outside")):
		for which in ("active", "passive", "connect"):
			owner = ex.client if which != "passive" else ex.server
			with ctx.check("cgroup: unfiltered, %s: %s event has the owner's cgroup %s"
				       % (where, which, owner.cgroup)) as c:
				checks.check_exchange(c, events, ex, which)
	with ctx.check("cgroup: unfiltered: NDJSON schema and clean exit") as c:
		checks.check_ndjson(c, tls[0])
		checks.check_clean_exit(c, tls[0])

	ka, kb, kc = keys_of(a), keys_of(b), keys_of(cc)
	want = {ka["active"], ka["connect"], kc["active"], kc["connect"]}
	ours = set().union(ka.values(), kb.values(), kc.values())
	our_pids = {p.pid for ex in exs for p in (ex.client, ex.server)}
	for tl, form in ((tls[1], "relative path %s" % cg.rel), (tls[2], "file-system path %s" % cg.path)):
		with ctx.check("cgroup: -c %s: only the events of processes in the cgroup and below" % form) as c:
			if tl in start_err:
				c.fail(start_err[tl])
				continue
			evs = [e for e in tl.events() if e.get("type") in ("session", "connect")]
			got = [key(e) for e in evs if key(e) in ours or e.get("pid") in our_pids]
			c.eq(sorted(map(str, want - set(got))), [], "events of clients A and C missing")
			c.eq(sorted(map(str, [k for k in got if k not in want])), [],
			     "events that the filter should have dropped (servers, client B)")
			c.eq(sorted(map(str, {k for k in got if got.count(k) > 1})), [], "duplicated events")
			# whatever else it printed must come from inside the cgroup too
			foreign = [e for e in evs if key(e) not in ours and e.get("pid") not in our_pids
				   and not (isinstance(e.get("cgroup"), str) and
					    (e["cgroup"] == cg.rel or e["cgroup"].startswith(cg.rel + "/")))]
			c.eq(dump_events(foreign, 10) if foreign else "", "",
			     "other events from outside the cgroup")
			for e in evs:
				if key(e) in want:
					wc = child.rel if e.get("pid") == cc.client.pid else cg.rel
					c.eq(e.get("cgroup"), wc, "cgroup of %s" % (key(e),))
			c.note("wanted: %s" % sorted(map(str, want)))
			c.note("printed:\n%s" % dump_events(evs, 40))
			checks.check_ndjson(c, tl)
			checks.check_clean_exit(c, tl)

	for mode in (["json"], ["open", "--json"]):
		check_missing(ctx, cg.mount, mode)


def check_missing(ctx, mount, mode):
	missing = "/does-not-exist"
	with ctx.check("cgroup: %s -c %s exits 2 with one line on stderr" % (" ".join(mode), missing)) as c:
		c.true(not os.path.exists(mount + missing), "ground truth: %s%s does not exist" % (mount, missing))
		try:
			p = subprocess.run([ctx.binary] + mode + ["-c", missing], stdin=subprocess.DEVNULL,
					   capture_output=True, timeout=EXIT_TIMEOUT_S)
		except subprocess.TimeoutExpired:
			c.fail("tcplens %s -c %s still ran after %.0f s (it was killed)"
			       % (" ".join(mode), missing, EXIT_TIMEOUT_S))
			return
		c.eq(p.returncode, 2, "exit status")
		lines = p.stderr.decode("utf-8", "replace").splitlines()
		c.eq(len(lines), 1, "stderr lines")
		c.true(lines and missing in lines[0], "the stderr line names the cgroup", lines)
		c.eq(p.stdout, b"", "stdout")

def run_open(ctx, cg, child, exs):
	"""`open --json` names each end's cgroup; `open --json -c` keeps the
	sockets of processes in the cgroup and below. Two held connections:
	one whose client is in the nested child cgroup, one all outside."""
	h = PhasedExchange(ctx.ports, "cgoh", closer="client", c_bytes=100, s_bytes=200,
			   c_bytes2=1, s_bytes2=1, hold=0.0)
	exs.append(h)
	o = PhasedExchange(ctx.ports, "cgoo", closer="client", c_bytes=300, s_bytes=400,
			   c_bytes2=1, s_bytes2=1, hold=0.0)
	exs.append(o)
	child.move(h.client.pid)
	h.client.cgroup = child.rel
	for ex in (h, o):
		ex.start()
		ex.phase1()
	tls = [ctx.tcplens(["open", "--json"], "cgroup open"),
	       ctx.tcplens(["open", "--json", "-c", cg.rel], "cgroup open -c %s" % cg.rel)]
	try:
		start_err = start_each(tls)
		for tl in tls:
			if tl not in start_err:
				try:
					tl.proc.wait(EXIT_TIMEOUT_S)
				except subprocess.TimeoutExpired:
					pass
				tl.stop()
	finally:
		for tl in tls:
			tl.kill()
	# (end, owner, lport, rport)
	ends = [("the client in %s" % child.rel, h.client, h.c_p1["lport"], h.port),
		("its server outside", h.server, h.port, h.c_p1["lport"]),
		("a client outside", o.client, o.c_p1["lport"], o.port),
		("its server", o.server, o.port, o.c_p1["lport"])]

	def rows(tl, lport, rport):
		return [e for e in tl.events() if e.get("type") == "open" and e.get("lport") == lport
			and e.get("rport") == rport and e.get("laddr") == "127.0.0.1"]

	with ctx.check("cgroup: open --json: each end of two held connections has its owner's cgroup") as c:
		if tls[0] in start_err:
			c.fail(start_err[tls[0]])
		else:
			for what, owner, lport, rport in ends:
				r = rows(tls[0], lport, rport)
				if c.eq(len(r), 1, "rows for %s" % what):
					c.eq((r[0].get("pid"), r[0].get("cgroup")), (owner.pid, owner.cgroup),
					     "pid and cgroup of %s" % what)
			c.eq(tls[0].rc, 0, "exit status")
			c.note("rows of ours:\n%s" % dump_events([e for what, ow, lp, rp in ends
								  for e in rows(tls[0], lp, rp)]))
	with ctx.check("cgroup: open --json -c %s: only the sockets of processes in it and below" % cg.rel) as c:
		tl = tls[1]
		if tl in start_err:
			c.fail(start_err[tl])
		else:
			for i, (what, owner, lport, rport) in enumerate(ends):
				c.eq(len(rows(tl, lport, rport)), 1 if i == 0 else 0, "rows for %s" % what)
			out = [e for e in tl.events() if e.get("type") == "open" and not (
				isinstance(e.get("cgroup"), str) and
				(e["cgroup"] == cg.rel or e["cgroup"].startswith(cg.rel + "/")))]
			c.eq(dump_events(out, 10) if out else "", "", "rows from outside the cgroup")
			c.eq(tl.rc, 0, "exit status")
	for ex in (h, o):
		ex.go2()
	for ex in (h, o):
		ex.finish()
