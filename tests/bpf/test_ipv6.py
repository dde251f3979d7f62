"""IPv6 on ::1, and an IPv4 client on a dual-stack [::] listener, whose
sessions must come out as IPv4 (the kernel sees ::ffff:127.0.0.1)."""
import checks
from traffic import Exchange

WAIT_EVENTS_S = 5.0


def run(ctx):
	label = "ipv6"
	exs = []
	tl = ctx.tcplens(["json"], label)
	try:
		v6 = Exchange(ctx.ports, "6a", family="6", addr="::1", closer="client",
			      c_bytes=4321, s_bytes=98765, hold=0.2)
		exs.append(v6)
		dual = Exchange(ctx.ports, "6d", family="4", addr="127.0.0.1", server_family="dual",
				server_addr="::", closer="server", c_bytes=777, s_bytes=8888, hold=0.2)
		exs.append(dual)
		if not ctx.start(label, [tl]):
			return
		for ex in exs:
			ex.run()
		ports = [p for ex in exs for p in (ex.port, ex.lport)]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 6, WAIT_EVENTS_S)
		tl.stop()
	finally:
		tl.kill()
		for ex in exs:
			ex.kill()

	events = tl.events()
	for which in ("active", "passive", "connect"):
		with ctx.check("ipv6 ::1: %s" % which) as c:
			checks.check_exchange(c, events, v6, which, family=6, laddr_c="::1", laddr_s="::1")
	for which in ("active", "passive", "connect"):
		with ctx.check("dual-stack [::] listener, IPv4 client: %s is family 4, 127.0.0.1" % which) as c:
			checks.check_exchange(c, events, dual, which, family=4)
	with ctx.check("ipv6: NDJSON schema and clean exit") as c:
		checks.check_ndjson(c, tl)
		checks.check_clean_exit(c, tl)
