"""Connect outcomes on loopback: refused (closed port) and slow (the first SYN
dropped because the listener's accept queue is full)."""
import time

import checks
from traffic import Peer, kill_all

ECONNREFUSED = 111
WAIT_EVENTS_S = 5.0


def run(ctx):
	label = "connect"
	peers = []
	tl = ctx.tcplens(["json"], label)
	try:
		closed_port = ctx.ports.take()
		refused = Peer("client", "tl-cli-refuse", port=closed_port)
		peers.append(refused)
		# listen(0): the accept queue holds one connection; with the filler
		# in it, the next SYN is dropped (ListenOverflows) and retried at ~1 s
		server = Peer("server", "tl-srv-slow", port=ctx.ports.take(), backlog=0, conns=2,
			      wait_go=True, closer="client")
		peers.append(server)
		filler = Peer("client", "tl-cli-fill", port=server.port, closer="client", hold=1.5)
		peers.append(filler)
		slow = Peer("client", "tl-cli-slow", port=server.port, closer="client")
		peers.append(slow)
		if not ctx.start(label, [tl]):
			return
		t_go = time.time()
		refused.go()
		r_done = refused.expect("done")
		filler.go()
		f_conn = filler.expect("connected")
		time.sleep(0.1)	# let the filler's final ACK land in the accept queue
		slow.go()
		time.sleep(0.3)
		server.go()	# accept: frees the queue before the SYN retransmit
		s_conn = slow.expect("connected")
		slow.expect("done")
		filler.expect("done")
		server.expect("conn")
		server.expect("conn")
		server.expect("done")
		t_done = time.time()
		ports = [closed_port, server.port]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 7, WAIT_EVENTS_S)
		tl.stop()
	finally:
		tl.kill()
		kill_all(peers)

	events = tl.events()
	with ctx.check("refused connect to a closed port: result refused, errno 111") as c:
		c.eq(r_done.get("errno"), ECONNREFUSED, "ground truth: the client's connect() errno")
		ev = checks.find_one(c, events, "refused connect", [closed_port], type="connect",
				     dport=closed_port, pid=refused.pid)
		checks.check_connect(c, ev, pid=refused.pid, comm=refused.comm, family=4, cgroup=refused.cgroup,
				     saddr="127.0.0.1", daddr="127.0.0.1", dport=closed_port,
				     result="refused", errno=ECONNREFUSED, t_lo=t_go, t_hi=t_done)
		if ev is not None:
			c.true(isinstance(ev.get("lport"), int), "lport is a number", ev.get("lport"))
	with ctx.check("refused connect: no session reported (never established)") as c:
		sess = [e for e in events if e.get("type") == "session"
			and closed_port in (e.get("lport"), e.get("rport"))]
		c.eq(sess, [], "sessions on the closed port")
	with ctx.check("filler connect (full accept queue) is ok and fast") as c:
		ev = checks.find_one(c, events, "filler connect", [server.port], type="connect",
				     dport=server.port, pid=filler.pid)
		checks.check_connect(c, ev, pid=filler.pid, comm=filler.comm, family=4, cgroup=filler.cgroup,
				     saddr="127.0.0.1", lport=f_conn["lport"], daddr="127.0.0.1",
				     dport=server.port, result="ok", errno=0, t_lo=t_go, t_hi=t_done)
	with ctx.check("slow connect (SYN dropped, retransmitted): latency about 1 s, syn_retrans >= 1") as c:
		if not c.between(s_conn.get("connect_s"), 0.9, 2.5,
				 "ground truth: the client's own connect() time in s (queue not full?)"):
			c.note("if this is short, the accept queue was not full: test setup, not tcplens")
		ev = checks.find_one(c, events, "slow connect", [server.port], type="connect",
				     dport=server.port, pid=slow.pid)
		checks.check_connect(c, ev, pid=slow.pid, comm=slow.comm, family=4, saddr="127.0.0.1",
				     cgroup=slow.cgroup,
				     lport=s_conn["lport"], daddr="127.0.0.1", dport=server.port,
				     result="ok", errno=0, t_lo=t_go, t_hi=t_done, lat_lo_ms=900.0,
				     lat_hi_ms=2500.0, syn_retrans_min=1)
		if ev is not None and isinstance(ev.get("latency_ms"), (int, float)):
			c.true(ev["latency_ms"] <= s_conn["connect_s"] * 1000.0 + 5.0,
			       "latency_ms <= the client's own connect() time (%.1f ms) + 5"
			       % (s_conn["connect_s"] * 1000.0), ev["latency_ms"])
	with ctx.check("slow connect: its session is reported once, owned by the client") as c:
		ev = checks.find_one(c, events, "slow active session", [server.port], type="session",
				     lport=s_conn["lport"], rport=server.port)
		if ev is not None:
			c.eq(ev.get("pid"), slow.pid, "pid")
			c.eq(ev.get("comm"), slow.comm, "comm")
			c.eq(ev.get("dir"), "active", "dir")
	with ctx.check("connect: NDJSON schema and clean exit") as c:
		checks.check_ndjson(c, tl)
		checks.check_clean_exit(c, tl)
