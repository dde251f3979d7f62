"""The Open panel (issue 8, items 1 and 2) with real loopback traffic of known
ground truth: two paced bulk flows (8 MiB/s and 1 MiB/s, exact byte counts),
a connection opened before tcplens started, a listener whose accept queue is
full, a listener accepting a known number of connections per second. Every
check filters on the ports this test made, so other traffic on the machine
does not matter."""
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import (Tap, Tmux, after_resize, child_pid, section, status,  # noqa: E402,F401
		   wait_refreshes, wait_screen)

MIB = 1024 * 1024
FAST, SLOW = 8 * MIB, 1 * MIB		# bytes per second
SECONDS = 8				# of sending: FAST*SECONDS and SLOW*SECONDS bytes exactly

# A process of its own (its pid and comm are the ground truth): connects to
# the sink, sends each flow's bytes paced in 50 ms slices, then keeps the
# sockets open until told to close.
BULK_CODE = r"""
import ctypes, socket, sys, threading, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
port, rates, secs = int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")], int(sys.argv[4])
socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in rates]
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
sys.stdin.readline()
def send(s, rate):
	step = rate // 20
	t0 = time.time()
	for i in range(20 * secs):
		s.sendall(b"x" * step)
		d = t0 + (i + 1) * 0.05 - time.time()
		if d > 0:
			time.sleep(d)
ts = [threading.Thread(target=send, args=(s, r)) for s, r in zip(socks, rates)]
[t.start() for t in ts]
[t.join() for t in ts]
print("sent", flush=True)
sys.stdin.readline()
for s in socks:
	s.close()
"""

# Opened before tcplens starts: connects, sends 1000 bytes, holds the socket.
PRE_CODE = r"""
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
s.sendall(b"p" * 1000)
print(s.getsockname()[1], flush=True)
sys.stdin.readline()
s.close()
"""


class Sink:
	"""Accepts on 127.0.0.1 and reads everything until EOF."""

	def __init__(self):
		self.sock = socket.socket()
		self.sock.bind(("127.0.0.1", 0))
		self.sock.listen(16)
		self.sock.settimeout(0.2)
		self.port = self.sock.getsockname()[1]
		self.stop = False
		self.conns = []
		self.t = threading.Thread(target=self.loop, daemon=True)
		self.t.start()

	def loop(self):
		while not self.stop:
			try:
				c, _ = self.sock.accept()
			except OSError:
				continue
			self.conns.append(c)
			threading.Thread(target=self.drain, args=(c,), daemon=True).start()

	@staticmethod
	def drain(c):
		try:
			while c.recv(1 << 16):
				pass
		except OSError:
			pass

	def close(self):
		self.stop = True
		self.t.join(2)
		for c in self.conns:
			c.close()
		self.sock.close()


def grouped(status_text, name):
	"""The status line names the Open panel's grouping ("by listeners")."""
	return re.search(r"\b(by|group) %s\b" % name, status_text) is not None


UNIT_TOKEN = re.compile(r"(B|KiB|MiB|GiB|TiB)(/s)?|FULL")


def open_rows(scr):
	"""The Open panel's header and rows, as dicts keyed by header (sort arrows
	stripped). A cell never is empty ("-" when unknown); cells with a space
	("8.0 MiB/s", "1000 B", "2/1 FULL") are joined back from their tokens."""
	lines = scr.splitlines()
	for i, l in enumerate(lines):
		if "Open:" in l and ("\u2500" in l or l.startswith("-")):
			break
	else:
		return "", []
	hdr = lines[i + 1] if i + 1 < len(lines) else ""
	names = [re.sub(r"[\u25bc\u25b2v^]$", "", h) for h in hdr.split()]
	rows = []
	for r in lines[i + 2:]:
		if not r.strip() or r.startswith("F1") or "\u2500" in r[:3] or r.strip().startswith("("):
			break
		cells = []
		for tok in r.split():
			if cells and UNIT_TOKEN.fullmatch(tok):
				cells[-1] += " " + tok
			else:
				cells.append(tok)
		rows.append(dict(zip(names, cells)))
	return hdr, rows


def parse_rate(text):
	m = re.fullmatch(r"([\d.]+) (B|KiB|MiB|GiB)/s", text or "")
	if not m:
		return None
	return float(m.group(1)) * {"B": 1, "KiB": 1024, "MiB": MIB, "GiB": 1024 * MIB}[m.group(2)]


def set_filter(tmux, text):
	tmux.keys("\\")
	tmux.keys("C-u")
	tmux.literal(text)
	tmux.keys("Enter")


def in_tmux(tag, fn):
	"""A part: fn(tap, tmux, binary, procs, closers) with a tmux of its own;
	the processes in procs are told to end, then every closer is called."""
	def part(tap, binary):
		tmux = Tmux(tag)
		procs, closers = [], []
		try:
			fn(tap, tmux, binary, procs, closers)
		finally:
			finish(tmux, procs, closers)
	return part


def finish(tmux, procs, closers):
	tmux.kill()
	for p in procs:
		try:
			p.stdin.write("\n\n")
			p.stdin.flush()
		except (OSError, ValueError):
			pass
		try:
			p.wait(5)
		except subprocess.TimeoutExpired:
			p.kill()
	for c in closers:
		c()


def pre_connection(procs, closers):
	"""Before tcplens: a connection held open by a process of known name.
	Returns (sink port, the process, its local port)."""
	pre_sink = Sink()
	closers.append(pre_sink.close)
	pre = subprocess.Popen([sys.executable, "-c", PRE_CODE, "tlopen-pre", str(pre_sink.port)],
			       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
	procs.append(pre)
	return pre_sink.port, pre, int(pre.stdout.readline())


def start(tap, tmux, binary, port, what):
	"""The monitor with -f port=PORT, the Open panel focused (o)."""
	env = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
	tmux.start("env %s %s -d 0.5 -f 'port=%d'; echo TCPLENS-EXIT=$?; sleep 600" %
		   (env, binary, port))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Open:" in s, 20)
	if not tap.ok(up, "open: the monitor shows an Open panel%s" % what, scr):
		return False
	tmux.keys("o")
	up, scr = wait_screen(tmux, lambda s: "TX/s+RX/s" in status(s), 5)
	return tap.ok(up, "open: o focuses the Open panel; the status line names its sort TX/s+RX/s%s"
		      % what, status(scr))


def body(tap, tmux, binary, procs, closers):
	pre_port, pre, pre_lport = pre_connection(procs, closers)
	if not start(tap, tmux, binary, pre_port, ""):
		return

	# the connection opened before start, with its owner
	def pre_row(s):
		return [r for r in open_rows(s)[1] if r.get("LOCAL", "").endswith(":%d" % pre_lport)]
	ok, scr = wait_screen(tmux, lambda s: pre_row(s), 10)
	rows = pre_row(scr)
	r = rows[0] if rows else {}
	tap.ok(r.get("PID") == str(pre.pid) and r.get("COMM") == "tlopen-pre",
	       "open: a connection opened before tcplens started has its owner (pid %d, tlopen-pre)" %
	       pre.pid, scr)
	tap.ok(r.get("AGE", "").startswith(">") and r.get("TX") == "1000 B",
	       "open: its age reads as older than tcplens (unknown, not invented), TX 1000 B",
	       repr(r))
	# search finds it; Enter opens that row's detail
	tmux.keys("/")
	tmux.literal("tlopen-pre")
	tmux.keys("Enter", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Connection detail" in s, 5)
	tap.ok(ok and "comm tlopen-pre" in scr and "open before tcplens started" in scr and
	       "Local address   127.0.0.1 port %d" % pre_lport in scr,
	       "open: / finds the row by its COMM, Enter shows that connection's detail", scr)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Open:" in s, 3)

	# ---- two paced bulk flows, in one process ----
	sink = Sink()
	closers.append(sink.close)
	bulk = subprocess.Popen([sys.executable, "-c", BULK_CODE, "tlopen-bulk", str(sink.port),
				 "%d,%d" % (FAST, SLOW), str(SECONDS)],
				stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
	procs.append(bulk)
	fast_port, slow_port = [int(x) for x in bulk.stdout.readline().split()]
	set_filter(tmux, "port=%d" % sink.port)
	ok, scr = wait_screen(tmux, lambda s: len(open_rows(s)[1]) == 4, 10)
	tap.ok(ok, "open: filter port=N shows the flows' four sockets", scr)
	bulk.stdin.write("go\n")
	bulk.stdin.flush()

	def side(r):
		"""Which flow a row belongs to, by the client's port on either end."""
		for port, name in ((fast_port, "fast"), (slow_port, "slow")):
			if r.get("LOCAL", "").endswith(":%d" % port) or r.get("REMOTE", "").endswith(":%d" % port):
				return name
		return "?"

	samples, orders = {"fast": [], "slow": []}, []
	# the rates while the flows run, then the pause while they still run:
	# it needs about three refreshes, before the flows end
	t_end = time.monotonic() + SECONDS - 3
	last = wait_refreshes(tmux, 2)	# two snapshots into the flows: every rate is measured
	while time.monotonic() < t_end:
		ok, scr = wait_screen(tmux, lambda s: s != last, max(0, t_end - time.monotonic()),
				      exact=True)
		if not ok:
			break
		scr = tmux.settled()
		rows = open_rows(scr)[1]
		if len(rows) == 4:
			orders.append([side(r) for r in rows])
			for r in rows:
				rate = parse_rate(r.get("TX/s")) if r.get("DIR") == "out" else parse_rate(r.get("RX/s"))
				if rate is not None:
					samples[side(r)].append(rate)
		last = scr
	good_order = [o for o in orders if o == ["fast", "fast", "slow", "slow"]]
	tap.ok(orders and len(good_order) >= len(orders) - 1,
	       "open: the 8 MiB/s flow's two sockets above the 1 MiB/s flow's (%d of %d screens)" %
	       (len(good_order), len(orders)), "\n".join(map(str, orders)))
	for name, want in (("fast", FAST), ("slow", SLOW)):
		got = statistics.median(samples[name]) if samples[name] else 0
		tap.ok(abs(got - want) <= 0.2 * want,
		       "open: %s flow's rate %.2f MiB/s is within 20%% of %.0f MiB/s (%d samples)" %
		       (name, got / MIB, want / MIB, len(samples[name])),
		       "samples: %s" % [round(x / MIB, 2) for x in samples[name]])

	# pause holds: the byte totals grow while the flows run, the screen must not
	tmux.keys("Space")
	ok, held = wait_screen(tmux, lambda s: "PAUSED" in s, 3)
	later = wait_refreshes(tmux, 2) if ok else held
	# the flows must still have been sending: else nothing had moved on
	going = not select.select([bulk.stdout], [], [], 0)[0]
	tap.ok(ok and going and open_rows(held)[1] and open_rows(held)[1] == open_rows(later)[1],
	       "open: paused, the Open rows hold still while the flows go on (still sending: %s)" %
	       going, later)
	tmux.keys("Space")

	# the flows end with exact byte counts; the sockets stay open
	tap.ok(bulk.stdout.readline().strip() == "sent", "open: the flows sent their bytes")
	want_fast, want_slow = "%.1f MiB" % (FAST * SECONDS / MIB), "%.1f MiB" % (SLOW * SECONDS / MIB)

	def settled(s):
		rows = open_rows(s)[1]
		tx = sorted(r.get("TX") for r in rows if r.get("DIR") == "out")
		return tx == sorted([want_fast, want_slow])
	ok, scr = wait_screen(tmux, settled, 10)
	tap.ok(ok, "open: TX reads %s and %s once the flows are done" % (want_fast, want_slow), scr)

	# Enter on the top row: the detail with the rate history
	tmux.keys("Home")
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "Connection detail" in s and "Rate history" in s, 5)
	m = re.search(r"Rate history: (\d+) snapshots", scr)
	tap.ok(ok and "Remote address  127.0.0.1 port" in scr and "Cgroup" in scr and
	       m and int(m.group(1)) >= 4 and re.search(r"(TX|RX)/s [\u2581-\u2588]+", scr),
	       "open: Enter shows the detail: full addresses, cgroup, a sparkline of "
	       "at least 4 rate samples", scr)
	tap.ok("tlopen-bulk" in scr or "pid %d" % os.getpid() in scr,
	       "open: the detail names the owner", scr)
	tmux.keys("Escape")

	# grouping by process: the bulk process's two sockets summed exactly
	tmux.keys("g")
	want_sum = "%.1f MiB" % ((FAST + SLOW) * SECONDS / MIB)

	def proc_row(s, pid):
		return [r for r in open_rows(s)[1] if r.get("PID") == str(pid)]
	ok, scr = wait_screen(tmux, lambda s: grouped(status(s), "process") and proc_row(s, bulk.pid), 5)
	r = (proc_row(scr, bulk.pid) or [{}])[0]
	tap.ok(r.get("COMM") == "tlopen-bulk" and r.get("CONNS") == "2" and r.get("TX") == want_sum,
	       "open: by process, tlopen-bulk has CONNS 2 and TX %s (the sum)" % want_sum, scr)
	r = (proc_row(scr, os.getpid()) or [{}])[0]
	tap.ok(r.get("CONNS") == "2" and r.get("RX") == want_sum,
	       "open: by process, the sink (this test, pid %d) received %s over 2" % (os.getpid(), want_sum),
	       repr(r))
	for _ in range(4):		# process -> unit -> host -> listeners -> connection
		tmux.keys("g")
	ok, scr = wait_screen(tmux, lambda s: grouped(status(s), "connection"), 5)
	tap.ok(ok, "open: g cycles back to by connection", status(scr))
	bulk.stdin.write("close\n")
	bulk.stdin.flush()


def listeners(tap, tmux, binary, procs, closers):
	# its own connection from before start, for the layout's rows
	pre_port, _, _ = pre_connection(procs, closers)
	if not start(tap, tmux, binary, pre_port, " (listeners)"):
		return
	listener_tests(tap, tmux, procs, closers)
	layout_tests(tap, tmux, pre_port)


def listener_tests(tap, tmux, procs, closers):
	# a listener with backlog 1 that never accepts: two clients fill its queue
	full = socket.socket()
	full.bind(("127.0.0.1", 0))
	full.listen(1)
	fport = full.getsockname()[1]
	clients = []
	for _ in range(3):
		c = socket.socket()
		c.setblocking(False)
		try:
			c.connect(("127.0.0.1", fport))
		except BlockingIOError:
			pass
		clients.append(c)

	def close_full():
		for c in clients:
			c.close()
		full.close()
	closers.append(close_full)
	set_filter(tmux, "port=%d" % fport)
	for _ in range(4):		# connection -> process -> unit -> host -> listeners
		tmux.keys("g")

	def full_row(s):
		rows = open_rows(s)[1]
		return rows[0] if len(rows) == 1 and rows[0].get("LOCAL", "").endswith(":%d" % fport) else None
	# a listener made after tcplens started gets its owner at a rescan of
	# /proc (src/owners.c; up to 10 times a scan's cost apart: many sockets on
	# the machine make that seconds): wait for it too
	ok, scr = wait_screen(tmux, lambda s: grouped(status(s), "listeners") and full_row(s) and
			      "FULL" in full_row(s).get("QUEUE", "") and
			      full_row(s).get("PID") == str(os.getpid()), 12)
	r = full_row(scr) or {}
	tap.ok(ok and r.get("QUEUE") == "2/1 FULL" and r.get("PID") == str(os.getpid()),
	       "open: listeners: backlog 1 with two queued reads 2/1 FULL, owner this test", scr)
	tap.ok(r.get("DROPS", "0").isdigit() and int(r.get("DROPS", "0")) >= 1,
	       "open: the third client's SYN shows as a queue drop", repr(r))

	# a listener that accepts and closes: a client makes 20 connections a second
	acc = socket.socket()
	acc.bind(("127.0.0.1", 0))
	acc.listen(64)
	acc.settimeout(0.2)
	aport = acc.getsockname()[1]
	stop = threading.Event()

	def accepter():
		while not stop.is_set():
			try:
				c, _ = acc.accept()
			except OSError:
				continue
			c.close()

	def client():
		t0 = time.time()
		for i in range(80):		# 4 s at 20/s
			try:
				s = socket.create_connection(("127.0.0.1", aport), timeout=2)
				s.close()
			except OSError:
				pass
			d = t0 + (i + 1) * 0.05 - time.time()
			if d > 0:
				time.sleep(d)
	ta = threading.Thread(target=accepter, daemon=True)
	ta.start()
	tc = threading.Thread(target=client, daemon=True)
	set_filter(tmux, "port=%d" % aport)
	wait_screen(tmux, lambda s: any(r.get("LOCAL", "").endswith(":%d" % aport) for r in open_rows(s)[1]), 5)
	tc.start()
	last = wait_refreshes(tmux, 2)	# two snapshots into the connects
	vals = []
	while tc.is_alive():
		if not wait_screen(tmux, lambda s: s != last or not tc.is_alive(), 5)[0]:
			break
		scr = last = tmux.settled()
		rows = [r for r in open_rows(scr)[1] if r.get("LOCAL", "").endswith(":%d" % aport)]
		if rows and tc.is_alive() and re.fullmatch(r"[\d.]+", rows[0].get("ACC/s", "")):
			vals.append(float(rows[0]["ACC/s"]))
	tc.join(6)
	stop.set()
	ta.join(2)
	acc.close()
	got = statistics.median(vals) if vals else 0
	tap.ok(14 <= got <= 26,
	       "open: a listener accepting 20 connections/s (each closed at once) shows ACC/s %.1f" % got,
	       "samples: %s" % vals)


def layout_tests(tap, tmux, port):
	# the status line names the focused panel's sort column as Tab goes round
	seen = []
	focus = re.search(r"(\w+) sort ", status(tmux.screen()))
	for _ in range(3):
		tmux.keys("Tab")
		# the Tab's draw: the status line names another panel
		ok, scr = wait_screen(tmux, lambda s: re.search(r"(\w+) sort ", status(s)) and focus and
				      re.search(r"(\w+) sort ", status(s)).group(1) != focus.group(1), 3)
		focus = re.search(r"(\w+) sort ", status(scr))
		m = re.search(r"sort (\S+) (asc|desc)", status(scr))
		seen.append(m.group(1) if ok and m else "?")
	tap.ok(seen[0].startswith("TIME") and seen[1] == "FAIL%" and seen[2] == "QUEUE",
	       "open: Tab cycles sessions, latency, open; the status line follows (%s)" % seen)
	tmux.keys("g")			# listeners -> connection
	set_filter(tmux, "port=%d" % port)	# the connection from before start: rows to fit
	tmux.resize(132, 40)
	ok, scr = after_resize(tmux, lambda s: " UNIT " in open_rows(s)[0] + " " and
			       len(open_rows(s)[1]) == 2, 5)
	tap.ok(ok, "open: UNIT shown at 132 columns", scr)
	tmux.resize(80, 24)
	ok, scr = after_resize(tmux, lambda s: len(s.splitlines()) <= 24 and
			       max(len(l) for l in s.splitlines() or [""]) <= 80 and "Open:" in s and
			       open_rows(s)[0], 4)
	hdr = open_rows(scr)[0]
	titles = [t for t in ("Sessions", "Connect latency", "Open:") if t in scr]
	tap.ok(ok and len(titles) == 3 and "UNIT" not in hdr and "LOCAL" in hdr and "TX/s" in hdr,
	       "open: at 80x24 all three panels show; UNIT is dropped, addresses and rates stay", scr)
	tmux.resize(120, 40)


# the flows and the listeners, each with a monitor of its own, at the same time
PARTS = [("open", in_tmux("open", body)), ("open-listeners", in_tmux("openl", listeners))]
