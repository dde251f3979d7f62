"""IPv4 loopback: client closes first and server closes first, distinct client
and server processes with known pids, names and byte counts, under both probe
kinds (tp_btf and the classic tracepoint fallback)."""
import checks
from traffic import Exchange

WAIT_EVENTS_S = 5.0
# how a sock:/tcp: tracepoint is attached (link_type in the link's fdinfo):
# tp_btf is a raw_tracepoint link, a classic tracepoint a perf link. The
# syscalls: tracepoints (accept) have no tp_btf form, classic in both modes.
LINK_TYPE = {"btf": "raw_tracepoint", "tracepoint": "perf"}


def run(ctx):
	for probes, tags in (("btf", ("4a", "4b")), ("tracepoint", ("4c", "4d"))):
		run_probes(ctx, probes, tags)


def run_probes(ctx, probes, tags):
	label = "ipv4 --probes=%s" % probes
	exs = []
	tl = ctx.tcplens(["json", "--probes=" + probes], label)
	try:
		# asymmetric byte counts so that swapped tx/rx cannot pass
		exs.append(Exchange(ctx.ports, tags[0], closer="client", c_bytes=1234, s_bytes=56789,
				    hold=0.3))
		exs.append(Exchange(ctx.ports, tags[1], closer="server", c_bytes=56789, s_bytes=1234,
				    hold=0.3))
		if not ctx.start(label, [tl]):
			return
		links = tl.tp_links()
		for ex in exs:
			ex.run()
		ports = [p for ex in exs for p in (ex.port, ex.lport)]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 6, WAIT_EVENTS_S)
		tl.stop()
	finally:
		tl.kill()
		for ex in exs:
			ex.kill()

	with ctx.check("%s: the sock and tcp tracepoints are attached as that kind" % label) as c:
		want = LINK_TYPE[probes]
		mine = [lt for lt, name in links if not name.startswith("sys_")]
		c.true(mine and all(lt == want for lt in mine),
		       "link_type of every sock/tcp tracepoint link is %s" % want, links)
	events = tl.events()
	for ex, how in zip(exs, ("client closes first", "server closes first")):
		with ctx.check("%s: %s: active session (owner: client %s)" % (label, how, ex.client.comm)) as c:
			checks.check_exchange(c, events, ex, "active")
		with ctx.check("%s: %s: passive session (owner: server %s)" % (label, how, ex.server.comm)) as c:
			checks.check_exchange(c, events, ex, "passive")
		with ctx.check("%s: %s: connect ok, latency small, syn_retrans 0" % (label, how)) as c:
			checks.check_exchange(c, events, ex, "connect")
	with ctx.check("%s: every line is schema-ordered NDJSON, stats line last" % label) as c:
		checks.check_ndjson(c, tl)
	with ctx.check("%s: SIGINT drains and exits 0 with drop totals on stderr" % label) as c:
		checks.check_clean_exit(c, tl)
