"""IPv4 loopback: client closes first and server closes first, distinct client
and server processes with known pids, names and byte counts, under both probe
kinds (tp_btf and the classic tracepoint fallback)."""
import checks
from traffic import Exchange

WAIT_EVENTS_S = 5.0
# linux/bpf.h enum bpf_prog_type
PROG_TYPE = {"btf": 26, "tracepoint": 5}


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
		prog_types = tl.prog_types()
		for ex in exs:
			ex.run()
		ports = [p for ex in exs for p in (ex.port, ex.lport)]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 6, WAIT_EVENTS_S)
		tl.stop()
	finally:
		tl.kill()
		for ex in exs:
			ex.kill()

	with ctx.check("%s: the BPF programs loaded are of that kind" % label) as c:
		# besides its own kind: the iter/tcp walk is always a tracing
		# program, the accept() exits always classic syscall tracepoints
		want = PROG_TYPE[probes]
		other = PROG_TYPE["tracepoint" if probes == "btf" else "btf"]
		extra = 2 if probes == "btf" else 1
		c.true(prog_types and prog_types.count(other) == extra and
		       all(t in (want, other) for t in prog_types) and prog_types.count(want) >= 3,
		       "%d programs of type %d, and %d of type %d" % (len(prog_types) - extra, want, extra, other),
		       prog_types)
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
