"""`tcplens open`: snapshots of open TCP sockets from the socket iterator.

Ground truth: connection pairs held open by peer processes (pids, comms,
ports, socket inodes from fstat in the owning process, bytes so far), checked
against `ss` as well; a listener that never accepts, with more clients
than its backlog (its accept queue full, as `ss -ltn` shows); a flow paced
at a known rate. Every row of ours is checked field by field, in JSON and in
columns, with and without the filters."""
import re
import socket
import subprocess
import time

import checks
import harness
from tap import dump_events
from traffic import Peer, PhasedExchange, kill_all

EXIT_TIMEOUT_S = 15.0
BACKLOG = 4
QUEUE_CLIENTS = 7
RATE = 2000000.0		# bytes/s
RATE_S = 3.0
RATE_TOLERANCE = 0.20
AGE_SLACK_MS = 20.0		# the walk's clock vs ours
TEXT_HEADER = "PID COMM STATE LADDR LPORT RADDR RPORT TX_KB RX_KB AGE_S RTT_MS".split()
# byte counts whose KiB are the same truncated or rounded
P4 = dict(c_bytes=1500, s_bytes=30000)		# 1.46 / 29.3 KiB
P6 = dict(c_bytes=2500, s_bytes=40000)		# 2.44 / 39.06 KiB
PD = dict(c_bytes=3500, s_bytes=50000)		# 3.42 / 48.83 KiB


def ss_sockets(port):
	"""What `ss -tanpeiH` says of the sockets on this port: ground truth
	from the kernel's other interface (sock_diag)."""
	p = subprocess.run(["ss", "-tanpeiH", "( sport = :%d or dport = :%d )" % (port, port)],
			   capture_output=True, text=True, timeout=10)
	out = []
	cur = None
	for line in p.stdout.splitlines():
		if not line.strip():
			continue
		if line[0] in " \t":
			if cur is not None:
				cur["info"] = line.strip()
				for k in ("bytes_acked", "bytes_received", "bytes_sent"):
					m = re.search(r"\b%s:(\d+)" % k, line)
					cur[k] = int(m.group(1)) if m else 0
			continue
		f = line.split()
		m_ino = re.search(r"\bino:(\d+)", line)
		m_pid = re.search(r"pid=(\d+)", line)
		cur = {"state": f[0], "recvq": int(f[1]), "sendq": int(f[2]), "local": f[3], "peer": f[4],
		       "ino": int(m_ino.group(1)) if m_ino else None,
		       "pid": int(m_pid.group(1)) if m_pid else None, "line": line}
		out.append(cur)
	return out


def hostport(s):
	"""ss's "addr:port" as (address, port), IPv4-mapped IPv6 as IPv4."""
	host, _, port = s.rpartition(":")
	host = host.strip("[]")
	if host.startswith("::ffff:") and "." in host:
		host = host[len("::ffff:"):]
	return host, int(port) if port.isdigit() else port


def snapshot(tl, timeout=EXIT_TIMEOUT_S):
	"""A one-shot (or -n COUNT) open run: wait until it exits by itself."""
	try:
		tl.proc.wait(timeout)
	except subprocess.TimeoutExpired:
		pass
	tl.stop()	# kills it if it is still running, and marks it killed


def rows_of(events):
	return [e for e in events if e.get("type") == harness.OPEN_SOCKET_TYPE]


def split_snapshots(events):
	"""[(rows, snapshot_end)] in order; rows after the last end are lost."""
	snaps, cur = [], []
	for e in events:
		if e.get("type") == "snapshot_end":
			snaps.append((cur, e))
			cur = []
		else:
			cur.append(e)
	return snaps


class End:
	"""One end of a held connection: what its row must say."""

	def __init__(self, ex, which, fam, addr, p1):
		self.ex, self.which, self.fam, self.addr = ex, which, fam, addr
		if which == "active":
			self.owner, self.lport, self.rport = ex.client, ex.c_p1["lport"], ex.port
			self.tx, self.rx = ex.c1, ex.s1
		else:
			self.owner, self.lport, self.rport = ex.server, ex.port, ex.c_p1["lport"]
			self.tx, self.rx = ex.s1, ex.c1
		self.inode = p1["inode"]

	def label(self):
		return "IPv%d %s end (%s)" % (self.fam, self.which, self.owner.comm)

	def match(self, e):
		return e.get("lport") == self.lport and e.get("rport") == self.rport and \
			e.get("laddr") == self.addr and e.get("family") == self.fam


def check_row(c, row, end, t_lo, t_hi, age=None):
	"""Every field of the row of one end. age: None for "opened before
	tcplens started" (age_ms null), else (lo_ms, hi_ms)."""
	c.note("the row: %s" % row)
	c.eq(row.get("pid"), end.owner.pid, "pid (owner)")
	c.eq(row.get("comm"), end.owner.comm, "comm (owner)")
	c.eq(row.get("cgroup"), end.owner.cgroup, "cgroup (owner's, from /proc/PID/cgroup)")
	c.eq(row.get("family"), end.fam, "family")
	c.eq(row.get("laddr"), end.addr, "laddr")
	c.eq(row.get("lport"), end.lport, "lport")
	c.eq(row.get("raddr"), end.addr, "raddr")
	c.eq(row.get("rport"), end.rport, "rport")
	c.eq(row.get("dir"), end.which, "dir")
	c.eq(row.get("state"), "ESTABLISHED", "state")
	cookie = row.get("cookie")
	c.true(isinstance(cookie, int) and not isinstance(cookie, bool) and cookie > 0,
	       "cookie is a positive integer", cookie)
	c.eq(row.get("inode"), end.inode, "inode (fstat of the socket in its owner)")
	c.eq(row.get("tx_bytes"), end.tx, "tx_bytes (payload sent so far)")
	c.eq(row.get("rx_bytes"), end.rx, "rx_bytes (payload received so far)")
	c.between(row.get("srtt_us"), 1, 200000, "srtt_us")
	c.eq(row.get("retrans"), 0, "retrans")
	if age is None:
		c.eq(row.get("age_ms"), None, "age_ms (opened before tcplens started: unknown)")
	else:
		c.between(row.get("age_ms"), age[0], age[1], "age_ms")
	c.between(row.get("ts"), t_lo - checks.TS_SLACK_S, t_hi + checks.TS_SLACK_S, "ts (unix seconds)")


def truth_of(c, ends, ss_rows):
	"""The ends as the peers reported them agree with ss."""
	for end in ends:
		hits = [s for s in ss_rows if hostport(s["local"]) == (end.addr, end.lport)
			and hostport(s["peer"]) == (end.addr, end.rport)]
		if len(hits) != 1:
			c.fail("ground truth: ss shows %d sockets for %s, wanted 1" % (len(hits), end.label()))
			continue
		s = hits[0]
		if s["ino"] != end.inode or s["pid"] != end.owner.pid or s["state"] != "ESTAB" or \
				s["bytes_received"] != end.rx:
			c.fail("ground truth: ss disagrees with the peer on %s: %s %s" % (
				end.label(), s["line"], s.get("info")))


def run(ctx):
	exs = []
	peers = []
	qsocks = []
	tls = []
	try:
		run_all(ctx, exs, peers, qsocks, tls)
	finally:
		for tl in tls:
			tl.kill()
		for s in qsocks:
			s.close()
		kill_all(peers)
		for ex in exs:
			ex.kill()


def run_all(ctx, exs, peers, qsocks, tls):
	# two held pairs, opened before any tcplens
	p4 = PhasedExchange(ctx.ports, "op4", closer="client", c_bytes2=10, s_bytes2=20, hold=0.0, **P4)
	exs.append(p4)
	p6 = PhasedExchange(ctx.ports, "op6", family="6", addr="::1", closer="server", c_bytes2=30,
			    s_bytes2=40, hold=0.0, **P6)
	exs.append(p6)
	# IPv4 to a dual-stack [::] listener: both ends are IPv4 (the server's
	# socket is ::ffff:127.0.0.1 to the kernel), the server's passive
	pd = PhasedExchange(ctx.ports, "opd", family="4", addr="127.0.0.1", server_family="dual",
			    server_addr="::", closer="client", c_bytes2=50, s_bytes2=60, hold=0.0, **PD)
	exs.append(pd)
	for ex in exs:
		ex.start()
	for ex in exs:
		ex.phase1()
	ends = [End(p4, "active", 4, "127.0.0.1", p4.c_p1), End(p4, "passive", 4, "127.0.0.1", p4.s_p1),
		End(p6, "active", 6, "::1", p6.c_p1), End(p6, "passive", 6, "::1", p6.s_p1),
		End(pd, "active", 4, "127.0.0.1", pd.c_p1), End(pd, "passive", 4, "127.0.0.1", pd.s_p1)]
	# a listener with a full accept queue
	lst = Peer("listener", "tl-lst-full", port=ctx.ports.take(), backlog=BACKLOG)
	peers.append(lst)
	for _ in range(QUEUE_CLIENTS):
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		s.setblocking(False)
		s.connect_ex(("127.0.0.1", lst.port))
		qsocks.append(s)
	deadline = time.monotonic() + 3
	while True:
		ss_l = [s for s in ss_sockets(lst.port) if s["state"] == "LISTEN"]
		if ss_l and ss_l[0]["recvq"] >= BACKLOG + 1 or time.monotonic() > deadline:
			break
		time.sleep(0.05)
	ss_rows = ss_sockets(p4.port) + ss_sockets(p6.port) + ss_sockets(pd.port)

	# one-shot snapshots, all at once
	cases = [
		("json", ["open", "--json"]),
		("json -l", ["open", "--json", "-l"]),
		("text", ["open"]),
		("-p client pid", ["open", "--json", "-p", str(p4.client.pid)]),
		("-L server port", ["open", "--json", "-L", str(p4.port)]),
		("-D server port", ["open", "--json", "-D", str(p6.port)]),
		("-4", ["open", "--json", "-4"]),
		("-6", ["open", "--json", "-6"]),
	]
	snap = {name: ctx.tcplens(args, "open " + name) for name, args in cases}
	tls.extend(snap.values())
	t_lo = time.time()
	start_err = harness.start_each(list(snap.values()))
	for tl in snap.values():
		if tl not in start_err:
			snapshot(tl)
	t_hi = time.time()
	ss_l_after = [s for s in ss_sockets(lst.port) if s["state"] == "LISTEN"]

	def started(c, tl):
		if tl in start_err:
			c.fail(start_err[tl])
			return False
		return True

	with ctx.check("open: ground truth: the held pairs as ss sees them") as c:
		truth_of(c, ends, ss_rows)
		c.note("ss:\n%s" % "\n".join(s["line"] for s in ss_rows))

	tl = snap["json"]
	for end in ends:
		with ctx.check("open --json: %s: every field" % end.label()) as c:
			if started(c, tl):
				row = checks.find_one(c, rows_of(tl.events()), end.label(), [end.lport, end.rport],
						      type=harness.OPEN_SOCKET_TYPE, lport=end.lport,
						      rport=end.rport, family=end.fam)
				if row is not None:
					check_row(c, row, end, t_lo, t_hi)
	with ctx.check("open --json: the two ends have different cookies, schema, one snapshot_end "
		       "with the count, no listeners without -l, exit 0 by itself") as c:
		if started(c, tl):
			rows = rows_of(tl.events())
			mine = [r for r in rows if any(e.match(r) for e in ends)]
			cookies = [r.get("cookie") for r in mine]
			c.eq(len(set(cookies)), len(cookies), "distinct cookies among our %d rows" % len(mine))
			check_open_output(c, tl, snapshots=1)
			c.eq([r for r in rows if r.get("state") == "LISTEN"], [], "LISTEN rows without -l")

	tl = snap["json -l"]
	with ctx.check("open --json -l: the listener with a full accept queue (backlog %d, %d clients)"
		       % (BACKLOG, QUEUE_CLIENTS)) as c:
		c.note("ss -l before: %s; after: %s" % ([s["line"] for s in ss_l], [s["line"] for s in ss_l_after]))
		if not ss_l or ss_l[0]["recvq"] < BACKLOG or ss_l[0]["sendq"] != BACKLOG:
			c.fail("ground truth: ss does not show a full accept queue (test setup, not tcplens): %s"
			       % [s["line"] for s in ss_l])
		elif [s["recvq"] for s in ss_l_after] != [ss_l[0]["recvq"]]:
			c.fail("ground truth: the accept queue changed while tcplens looked: %s -> %s"
			       % (ss_l[0]["line"], [s["line"] for s in ss_l_after]))
		if started(c, tl):
			lrows = [r for r in rows_of(tl.events()) if r.get("state") == "LISTEN"
				 and r.get("lport") == lst.port]
			if c.eq(len(lrows), 1, "LISTEN rows on port %d" % lst.port):
				r = lrows[0]
				c.note("the row: %s" % r)
				c.eq(r.get("pid"), lst.pid, "pid (the listener)")
				c.eq(r.get("comm"), lst.comm, "comm")
				c.eq(r.get("cgroup"), lst.cgroup, "cgroup")
				c.eq(r.get("family"), 4, "family")
				c.eq(r.get("laddr"), "127.0.0.1", "laddr")
				c.eq(r.get("inode"), lst.inode, "inode")
				if ss_l:
					c.eq(r.get("accept_queue"), ss_l[0]["recvq"], "accept_queue (= ss Recv-Q)")
				c.eq(r.get("accept_queue_max"), BACKLOG, "accept_queue_max (the backlog)")
				c.eq(list(r.keys()), harness.OPEN_LISTEN_KEYS, "keys of a LISTEN row")
			rows = rows_of(tl.events())
			for end in ends:
				c.eq(len([r for r in rows if end.match(r)]), 1, "rows for %s with -l" % end.label())
			check_open_output(c, tl, snapshots=1)

	tl = snap["text"]
	with ctx.check("open (columns): the header and one row per end with its values") as c:
		if started(c, tl):
			check_text(c, tl, ends)

	filters = [
		("-p client pid", lambda r: r.get("pid") == p4.client.pid, [ends[0]]),
		("-L server port", lambda r: r.get("lport") == p4.port, [ends[1]]),
		("-D server port", lambda r: r.get("rport") == p6.port, [ends[2]]),
		("-4", lambda r: r.get("family") == 4, ends[:2] + ends[4:]),
		("-6", lambda r: r.get("family") == 6, ends[2:4]),
	]
	for name, pred, want in filters:
		tl = snap[name]
		args = dict(cases)[name]
		with ctx.check("open %s: only the sockets that pass (%s)" % (name, " ".join(args))) as c:
			if not started(c, tl):
				continue
			rows = rows_of(tl.events())
			for end in ends:
				n = len([r for r in rows if end.match(r)])
				c.eq(n, 1 if end in want else 0, "rows for %s" % end.label())
			bad = [r for r in rows if not pred(r)]
			c.eq(dump_events(bad, 10) if bad else "", "", "rows that fail the filter")
			check_open_output(c, tl, snapshots=1)

	run_interval(ctx, exs, ends, tls)

	# the held pairs end as they should: ground truth for the bytes above
	for ex in (p4, p6, pd):
		ex.go2()
	for ex in (p4, p6, pd):
		ex.finish()
	with ctx.check("open: ground truth: the held pairs moved exactly their bytes") as c:
		for ex in (p4, p6, pd):
			for p in ex.phase1_problems() + ex.truth_problems():
				c.fail("ground truth broken (test bug, not tcplens): " + p)


def run_interval(ctx, exs, ends_before, tls):
	"""-i 0.5 -n 4: a connection opened after the start (age known) paced at
	RATE bytes/s, and the held ones (age unknown); rates in the later
	snapshots; exactly 4 snapshot_end lines."""
	label = "open -i 0.5 -n 4 --json"
	n = 4
	fl = PhasedExchange(ctx.ports, "oprt", closer="client", c_bytes=1000, s_bytes=2000,
			    c_bytes2=int(RATE * RATE_S), s_bytes2=10, rate=RATE, hold=0.0)
	exs.append(fl)
	tl = ctx.tcplens(["open", "-i", "0.5", "-n", str(n), "--json"], label)
	tls.append(tl)
	if not ctx.start(label, [tl]):
		return
	# between the first walk and the second: an age counted from when the
	# walk first saw the socket, not from its connect(), shows
	time.sleep(0.2)
	fl.start()
	fl.phase1()
	fl.go2()
	snapshot(tl)
	fl.finish(timeout=RATE_S + 10)
	flow = [End(fl, "active", 4, "127.0.0.1", fl.c_p1), End(fl, "passive", 4, "127.0.0.1", fl.s_p1)]
	events = tl.events()
	snaps = split_snapshots(events)
	t_connect = fl.c_p1["t_connect"]
	t_end = fl.c_p2["t_sent2"]

	with ctx.check("%s: exactly %d snapshot_end lines, the last line one of them, exit 0" % (label, n)) as c:
		check_open_output(c, tl, snapshots=n)
	with ctx.check("%s: ground truth: the flow ran at %.0f bytes/s" % (label, RATE)) as c:
		for p in fl.phase1_problems() + fl.truth_problems():
			c.fail("ground truth broken (test bug, not tcplens): " + p)
		took = fl.c_p2["t_sent2"] - fl.c_p2["t_go2"]
		c.between(fl.c2 / took if took > 0 else None, RATE * 0.97, RATE * 1.03,
			  "the sender's own average rate")
	for end, key in ((flow[0], "tx_bps"), (flow[1], "rx_bps")):
		with ctx.check("%s: a flow paced at %.0f bytes/s: %s of the %s row within %d%% in the later "
			       "snapshots" % (label, RATE, key, end.which, RATE_TOLERANCE * 100)) as c:
			inside = 0
			prev_ts = None
			for rows, se in snaps:
				mine = [r for r in rows if end.match(r)]
				ts = se.get("ts")
				# an interval wholly inside the paced part
				if prev_ts is not None and isinstance(ts, float) and prev_ts >= fl.t_go2 + 0.02 \
						and ts <= t_end:
					inside += 1
					if c.eq(len(mine), 1, "rows for the %s end in the snapshot at %.3f" % (end.which, ts)):
						c.between(mine[0].get(key), RATE * (1 - RATE_TOLERANCE),
							  RATE * (1 + RATE_TOLERANCE), "%s at %.3f" % (key, ts))
				prev_ts = ts if isinstance(ts, float) else prev_ts
			c.true(inside >= 2, "ground truth: at least 2 snapshot intervals inside the paced "
			       "%.3f..%.3f (test timing)" % (fl.t_go2, t_end), inside)
			c.note("snapshots (rows of the flow):\n%s" % "\n".join(
				"%s: %s" % (se, [r for r in rows if end.match(r)]) for rows, se in snaps))
	with ctx.check("%s: age_ms of a connection opened after the start, in every snapshot that "
		       "has it; null for those opened before" % label) as c:
		seen = 0
		for rows, se in snaps:
			for r in rows:
				if flow[0].match(r) or flow[1].match(r):
					seen += 1
					ts = r.get("ts") if isinstance(r.get("ts"), float) else se.get("ts")
					if not isinstance(ts, float):
						continue
					# from connect() (accept's socket: between the two)
					lo = (ts - fl.c_p1["t_connected"]) * 1000.0 - AGE_SLACK_MS
					hi = (ts - t_connect) * 1000.0 + AGE_SLACK_MS
					c.between(r.get("age_ms"), max(0.0, lo), hi,
						  "age_ms of the %s end at %.3f (connect() at %.3f..%.3f)"
						  % (r.get("dir"), ts, t_connect, fl.c_p1["t_connected"]))
				for end in ends_before:
					if end.match(r):
						c.eq(r.get("age_ms"), None, "age_ms of %s (opened before)" % end.label())
		c.true(seen >= 2 * (n - 1), "rows of the new connection in the last %d snapshots" % (n - 1), seen)
		c.note("all rows of ours:\n%s" % dump_events(
			[r for r in events if any(e.match(r) for e in flow + ends_before)], 60))


def check_open_output(c, tl, snapshots):
	"""Schema of every line, `snapshots` snapshot_end lines each counting the
	rows before it, the last line a snapshot_end, exit 0 on its own."""
	events = tl.events()
	lines = tl.stdout_lines()
	bad = 0
	for line, ev in zip(lines, events):
		if ev.get("type") == "<unparsable>":
			probs = ["not JSON (%s)" % ev.get("error")]
		else:
			probs = harness.open_schema_problems(ev) if ev.get("type") in (
				harness.OPEN_SOCKET_TYPE, "snapshot_end") else ["type %r" % ev.get("type")]
		if probs:
			bad += 1
			if bad <= 5:
				c.fail("line %r: %s" % (line[:300], "; ".join(probs)))
	ends = [e for e in events if e.get("type") == "snapshot_end"]
	c.eq(len(ends), snapshots, "snapshot_end lines")
	if events:
		c.eq(events[-1].get("type"), "snapshot_end", "type of the last line")
	for rows, se in split_snapshots(events):
		c.eq(se.get("sockets"), len(rows), "snapshot_end.sockets vs objects printed before it")
	c.eq(tl.killed, False, "had to be killed (did not exit by itself)")
	c.eq(tl.rc, 0, "exit status")


def check_text(c, tl, ends):
	lines = tl.stdout_lines()
	c.note("output:\n" + "\n".join(lines[:60]))
	if not c.true(lines, "some output", lines):
		return
	c.eq(lines[0].split(), TEXT_HEADER, "header columns")
	for end in ends:
		rows = [l.split() for l in lines[1:] if len(l.split()) >= 11
			and l.split()[4] == str(end.lport) and l.split()[6] == str(end.rport)
			and l.split()[3] == end.addr]
		if not c.eq(len(rows), 1, "rows for %s" % end.label()):
			continue
		f = rows[0]
		c.eq(len(f), 11, "columns of %s" % end.label())
		c.eq(f[:3], [str(end.owner.pid), end.owner.comm, "ESTABLISHED"], "PID COMM STATE")
		c.eq(f[5], end.addr, "RADDR")
		for i, name, n in ((7, "TX_KB", end.tx), (8, "RX_KB", end.rx)):
			v = _float(f[i])
			c.true(v is not None and abs(v - n / 1024.0) < 1.0, "%s of %s is %.2f KiB" % (
				name, end.label(), n / 1024.0), f[i])
		c.true(_float(f[9]) is None, "AGE_S of %s is not a number (opened before start)"
		       % end.label(), f[9])
		rtt = _float(f[10])
		c.true(rtt is not None and 0 < rtt < 200, "RTT_MS of %s is a positive number" % end.label(), f[10])
	c.eq(tl.killed, False, "had to be killed (did not exit by itself)")
	c.eq(tl.rc, 0, "exit status")


def _float(s):
	try:
		return float(s)
	except (TypeError, ValueError):
		return None
