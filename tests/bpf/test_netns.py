"""Traffic between two test network namespaces over a veth (non-loopback
addresses), and a connect that gets no answer: nft in the server namespace
drops SYNs, the client lowers TCP_SYNCNT to 1 so the kernel gives up after
about 3 s (SYN at 0 s, retransmit at 1 s, give up at 3 s)."""
import time

import checks
from netns import NetnsError, NetnsPair
from traffic import Exchange, Peer, kill_all

ETIMEDOUT = 110
WAIT_EVENTS_S = 5.0


def run(ctx):
	label = "netns"
	pair = NetnsPair("n")
	peers = []
	ex = None
	tl = ctx.tcplens(["json"], label)
	try:
		try:
			pair.setup()
			drop_port = ctx.ports.take()
			pair.drop_tcp_to(pair.ns_b, drop_port)
		except NetnsError as e:
			ctx.tap.result(False, "netns: create namespaces, veth and nft rule", [str(e)])
			return
		ex = Exchange(ctx.ports, "nsa", addr=pair.addr_b, server_addr=pair.addr_b,
			      server_ns=pair.ns_b, client_ns=pair.ns_a, closer="server",
			      c_bytes=3000, s_bytes=120000, hold=0.2)
		silent = Peer("client", "tl-cli-tmo", netns=pair.ns_a, addr=pair.addr_b,
			      port=drop_port, syncnt=1)
		peers.append(silent)
		if not ctx.start(label, [tl]):
			return
		t_go = time.time()
		silent.go()
		ex.run()
		t_done_ex = time.time()
		t_done = t_done_ex
		tmo_done = silent.expect("done", timeout=15)
		t_done = time.time()
		ports = [ex.port, ex.lport, drop_port]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 4, WAIT_EVENTS_S)
		tl.stop()
	finally:
		tl.kill()
		kill_all(peers)
		if ex is not None:
			ex.kill()
		pair.cleanup()

	events = tl.events()
	for which in ("active", "passive", "connect"):
		with ctx.check("netns veth %s -> %s: %s" % (pair.addr_a, pair.addr_b, which)) as c:
			checks.check_exchange(c, events, ex, which, family=4, laddr_c=pair.addr_a,
					      laddr_s=pair.addr_b, loopback=False)
	with ctx.check("connect with SYNs dropped by nft, TCP_SYNCNT=1: result timeout, errno 110") as c:
		c.eq(tmo_done.get("errno"), ETIMEDOUT, "ground truth: the client's connect() errno")
		c.between(tmo_done.get("connect_s"), 2.5, 4.5, "ground truth: the client's connect() time in s")
		ev = checks.find_one(c, events, "timed-out connect", [drop_port], type="connect",
				     dport=drop_port, pid=silent.pid)
		checks.check_connect(c, ev, pid=silent.pid, comm=silent.comm, family=4, cgroup=silent.cgroup,
				     saddr=pair.addr_a, daddr=pair.addr_b, dport=drop_port,
				     result="timeout", errno=ETIMEDOUT, t_lo=t_go, t_hi=t_done,
				     lat_lo_ms=2500.0, lat_hi_ms=4500.0, syn_retrans_min=1)
	with ctx.check("timed-out connect: no session reported") as c:
		sess = [e for e in events if e.get("type") == "session"
			and drop_port in (e.get("lport"), e.get("rport"))]
		c.eq(sess, [], "sessions on the dropped port")
	with ctx.check("netns: NDJSON schema and clean exit") as c:
		checks.check_ndjson(c, tl)
		checks.check_clean_exit(c, tl)
