"""life and connlat: bcc tcplife/tcpconnlat headers exactly, and one row for
a known session and connect with correct values; connlat -x shows refused
connects (plain connlat, like tcpconnlat, does not)."""
import time

import checks
from harness import stop_all
from traffic import Exchange, Peer, kill_all

# bcc tools/tcplife.py and tools/tcpconnlat.py format strings
LIFE_HDR = "%-5s %-10.10s %s%-15s %-5s %-15s %-5s %5s %5s %s"
LIFE_ROW = "%-5d %-10.10s %s%-15s %-5d %-15s %-5d %5d %5d %.2f"
LIFE_W_HDR = "%-5s %-16.16s %-2s %-26s %-5s %-26s %-5s %6s %6s %s"
LIFE_W_ROW = "%-5d %-16.16s %-2s %-26s %-5s %-26s %-5d %6d %6d %.2f"
LIFE_COLS = ("PID", "COMM", "LADDR", "LPORT", "RADDR", "RPORT", "TX_KB", "RX_KB", "MS")
CONNLAT_HDR = "%-6s %-12s %-2s %-16s %-16s %-5s %s"
CONNLAT_ROW = "%-6d %-12.12s %-2d %-16s %-16s %-5d %.2f"
CONNLAT_L_HDR = "%-6s %-12s %-2s %-16s %-6s %-16s %-5s %s"
CONNLAT_L_ROW = "%-6d %-12.12s %-2d %-16s %-6d %-16s %-5d %.2f"
CONNLAT_COLS = ("PID", "COMM", "IP", "SADDR", "DADDR", "DPORT", "LAT(ms)")

# byte counts whose KiB are the same truncated or rounded: no rounding policy tested
C_BYTES = 70000		# 68.4 KiB
S_BYTES = 5220		# 5.1 KiB
HOLD_S = 0.3
WAIT_EVENTS_S = 5.0


def rows_by(lines, cols, sep=None):
	"""Rows (after the header) whose columns {index: value} all match.
	Match whole port pairs: other traffic may reuse an ephemeral port."""
	out = []
	for l in lines[1:]:
		f = l.split(sep) if sep else l.split()
		if all(len(f) > i and f[i] == str(v) for i, v in cols.items()):
			out.append(l)
	return out


def parse_float(s):
	try:
		return float(s)
	except (TypeError, ValueError):
		return None


def check_header(c, lines, want):
	if not c.true(len(lines) >= 1, "a header line", lines):
		return
	c.eq(lines[0], want, "header line")


def run(ctx):
	peers = []
	ex = None
	modes = [
		("life", ["life"]),
		("life -w", ["life", "-w"]),
		("life -s", ["life", "-s"]),
		("connlat", ["connlat"]),
		("connlat -L", ["connlat", "-L"]),
		("connlat -x", ["connlat", "-x"]),
	]
	tls = [ctx.tcplens(args, name) for name, args in modes]
	try:
		ex = Exchange(ctx.ports, "lm", closer="client", c_bytes=C_BYTES, s_bytes=S_BYTES,
			      hold=HOLD_S)
		closed = ctx.ports.take()
		ref = Peer("client", "tl-cli-lmref", port=closed)
		peers.append(ref)
		if not ctx.start("linemodes", tls):
			return
		t_go = time.time()
		ref.go()
		ref.expect("done")
		ex.run()
		t_done = time.time()
		time.sleep(0.7)	# no JSON to wait on: line modes print as events arrive
		stop_all(tls)
	finally:
		for tl in tls:
			tl.kill()
		kill_all(peers)
		if ex is not None:
			ex.kill()

	out = {name: tl.stdout_lines() for (name, _a), tl in zip(modes, tls)}
	cli, srv = ex.client, ex.server
	span_ms = (t_done - t_go) * 1000.0 + checks.DURATION_SLACK_MS
	kb = lambda n: n // 1024  # noqa: E731

	def check_life_values(c, row, sep=None, wide=False, csv=False):
		f = row.split(sep) if sep else row.split()
		if csv or wide:
			c.eq(f[2], "4", "IP column")
			f = f[:2] + f[3:]
		c.eq(f[0], str(cli.pid), "PID")
		c.eq(f[1], cli.comm[:16 if (wide or csv) else 10], "COMM")
		c.eq(f[2:7], ["127.0.0.1", str(ex.lport), "127.0.0.1", str(ex.port), str(kb(C_BYTES))],
		     "LADDR LPORT RADDR RPORT TX_KB")
		c.eq(f[7], str(kb(S_BYTES)), "RX_KB")
		c.between(parse_float(f[8]), HOLD_S * 1000.0, span_ms, "MS")

	with ctx.check("life: bcc tcplife header and one row for the client's session") as c:
		lines = out["life"]
		check_header(c, lines, LIFE_HDR % ("PID", "COMM", "", "LADDR", "LPORT", "RADDR", "RPORT",
						   "TX_KB", "RX_KB", "MS"))
		rows = rows_by(lines, {3: ex.lport, 5: ex.port})
		c.note("life output:\n" + "\n".join(lines[:50]))
		if c.eq(len(rows), 1, "rows with LPORT, RPORT = the client's, the server's port"):
			check_life_values(c, rows[0])
			ms = rows[0].split()[-1]
			want = LIFE_ROW % (cli.pid, cli.comm, "", "127.0.0.1", ex.lport, "127.0.0.1",
					   ex.port, kb(C_BYTES), kb(S_BYTES), parse_float(ms) or 0.0)
			c.eq(rows[0], want, "row layout (bcc's format string, MS as printed)")
		srows = rows_by(lines, {3: ex.port, 5: ex.lport})
		if c.eq(len(srows), 1, "rows with LPORT, RPORT = the server's, the client's port"):
			f = srows[0].split()
			c.eq(f[:2], [str(srv.pid), srv.comm[:10]], "passive row PID COMM (the server)")
			c.eq(f[6:8], [str(kb(S_BYTES)), str(kb(C_BYTES))], "passive row TX_KB RX_KB")
		c.eq(rows_by(lines, {5: closed}), [], "rows for the refused connect (not a session)")
		checks.check_clean_exit(c, tls[0])
	with ctx.check("life -w: bcc wide header and row") as c:
		lines = out["life -w"]
		check_header(c, lines, LIFE_W_HDR % ("PID", "COMM", "IP", "LADDR", "LPORT", "RADDR",
						     "RPORT", "TX_KB", "RX_KB", "MS"))
		rows = rows_by(lines, {4: ex.lport, 6: ex.port})
		c.note("life -w output:\n" + "\n".join(lines[:50]))
		if c.eq(len(rows), 1, "rows with LPORT, RPORT = the client's, the server's port"):
			check_life_values(c, rows[0], wide=True)
			ms = rows[0].split()[-1]
			want = LIFE_W_ROW % (cli.pid, cli.comm, "4", "127.0.0.1", ex.lport, "127.0.0.1",
					     ex.port, kb(C_BYTES), kb(S_BYTES), parse_float(ms) or 0.0)
			c.eq(rows[0], want, "row layout (bcc's format string, MS as printed)")
	with ctx.check("life -s: bcc CSV header and row") as c:
		lines = out["life -s"]
		check_header(c, lines, "PID,COMM,IP,LADDR,LPORT,RADDR,RPORT,TX_KB,RX_KB,MS")
		rows = rows_by(lines, {4: ex.lport, 6: ex.port}, sep=",")
		c.note("life -s output:\n" + "\n".join(lines[:50]))
		if c.eq(len(rows), 1, "rows with LPORT, RPORT = the client's, the server's port"):
			check_life_values(c, rows[0], sep=",", csv=True)
			c.eq(len(rows[0].split(",")), 10, "CSV fields")
	with ctx.check("connlat: bcc tcpconnlat header, one ok row, no refused row") as c:
		lines = out["connlat"]
		check_header(c, lines, CONNLAT_HDR % CONNLAT_COLS)
		c.note("connlat output:\n" + "\n".join(lines[:50]))
		rows = rows_by(lines, {0: cli.pid})
		if c.eq(len(rows), 1, "rows with PID = the client"):
			f = rows[0].split()
			c.eq(f[1:6], [cli.comm[:12], "4", "127.0.0.1", "127.0.0.1", str(ex.port)],
			     "COMM IP SADDR DADDR DPORT")
			lat = parse_float(f[6])
			c.between(lat, 0.0, checks.LOOPBACK_CONNECT_MAX_MS, "LAT(ms)")
			c.eq(len(f), 7, "columns")
			c.eq(rows[0], CONNLAT_ROW % (cli.pid, cli.comm, 4, "127.0.0.1", "127.0.0.1", ex.port,
						     lat or 0.0), "row layout (bcc's format string)")
		c.eq(rows_by(lines, {0: ref.pid}), [], "rows for the refused connect (tcpconnlat shows none)")
		checks.check_clean_exit(c, tls[3])
	with ctx.check("connlat -L: header with LPORT and the client's port in the row") as c:
		lines = out["connlat -L"]
		check_header(c, lines, CONNLAT_L_HDR % ("PID", "COMM", "IP", "SADDR", "LPORT", "DADDR",
							"DPORT", "LAT(ms)"))
		c.note("connlat -L output:\n" + "\n".join(lines[:50]))
		rows = rows_by(lines, {0: cli.pid})
		if c.eq(len(rows), 1, "rows with PID = the client"):
			f = rows[0].split()
			c.eq(f[1:7], [cli.comm[:12], "4", "127.0.0.1", str(ex.lport), "127.0.0.1",
				      str(ex.port)], "COMM IP SADDR LPORT DADDR DPORT")
			c.eq(rows[0], CONNLAT_L_ROW % (cli.pid, cli.comm, 4, "127.0.0.1", ex.lport,
						       "127.0.0.1", ex.port, parse_float(f[7]) or 0.0),
			     "row layout (bcc's format string)")
	with ctx.check("connlat -x: RESULT and SYN_RTX columns, ok row and refused row") as c:
		lines = out["connlat -x"]
		c.note("connlat -x output:\n" + "\n".join(lines[:50]))
		if c.true(lines, "a header line", lines):
			c.eq(lines[0].split(), list(CONNLAT_COLS) + ["RESULT", "SYN_RTX"], "header columns")
			c.true(lines[0].startswith(CONNLAT_HDR % CONNLAT_COLS),
			       "header starts with the tcpconnlat header", lines[0])
		rows = rows_by(lines, {0: cli.pid})
		if c.eq(len(rows), 1, "rows with PID = the client"):
			f = rows[0].split()
			c.eq(f[1:6], [cli.comm[:12], "4", "127.0.0.1", "127.0.0.1", str(ex.port)],
			     "COMM IP SADDR DADDR DPORT")
			c.eq(f[7:], ["ok", "0"], "RESULT SYN_RTX")
		rows = rows_by(lines, {0: ref.pid})
		if c.eq(len(rows), 1, "rows with PID = the refused client"):
			f = rows[0].split()
			c.eq(f[1:6], [ref.comm[:12], "4", "127.0.0.1", "127.0.0.1", str(closed)],
			     "COMM IP SADDR DADDR DPORT")
			c.between(parse_float(f[6]), 0.0, checks.LOOPBACK_CONNECT_MAX_MS, "LAT(ms)")
			c.eq(f[7:], ["refused", "0"], "RESULT SYN_RTX")
		checks.check_clean_exit(c, tls[5])
