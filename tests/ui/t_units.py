"""Services and containers in the monitor (issue 8 item 3): a process the
test moves into a cgroup of its own makes connections of known count; the
session table's UNIT column names that cgroup's unit, unit= and cgroup=
keep exactly its rows, the detail view shows the path, the latency panel's
unit grouping counts its connects, UNIT goes first at 80 columns, and -b
prints it. Only this test's port and cgroup are looked at: other tests may
run on the machine at the same time.

run.py gives this part a cgroup of its own (uilib.CGROUP): the test's
cgroup is made below it, and the monitor filters on it in the kernel (-c),
so that the traffic of the rest of the machine never reaches it."""
import os
import re
import subprocess
import sys
import time

from uilib import (CGROUP, CHILD_CODE, INTERVAL, ROWS, Server, Tmux, after_resize, cgroup2_mount,
		   cgroup_of, connect_once, dest_table, expect, footer, own_filter, section, session_rows,
		   status, wait_screen)

N_CONNECTS = 5


# ---- a test cgroup (the idea of tests/bpf/cgroups.py, kept small) ----

class TestCgroup:
	def __init__(self, rel):
		self.mount = cgroup2_mount()
		self.rel = rel
		self.path = (self.mount or "") + rel
		self.made = False

	def create(self):
		os.mkdir(self.path)
		self.made = True

	def move(self, pid):
		with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
			f.write("%d\n" % pid)
		return cgroup_of(pid) == self.rel

	def remove(self):
		"""Whatever is left goes back to the root; a reaped process leaves
		its cgroup a moment later, so rmdir is retried for a while."""
		if not self.made:
			return True
		try:
			with open(os.path.join(self.path, "cgroup.procs")) as f:
				left = [int(l) for l in f if l.strip()]
		except OSError:
			left = []
		for pid in left:
			try:
				with open(os.path.join(self.mount, "cgroup.procs"), "w") as f:
					f.write("%d\n" % pid)
			except OSError:
				pass
		end = time.monotonic() + 5
		while True:
			try:
				os.rmdir(self.path)
			except FileNotFoundError:
				pass
			except OSError:
				if time.monotonic() < end:
					time.sleep(0.05)
					continue
				return False
			self.made = False
			return True


def ready_child(comm, port, n):
	"""A child process that will make n connections when told (go)."""
	p = subprocess.Popen([sys.executable, "-c", CHILD_CODE, comm, str(port), str(n)],
			     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
	p.stdout.readline()
	return p


def go(p, cg):
	"""Moves the ready child into cg, then has it make its connections.
	Returns (pid, landed in cg)."""
	landed = cg.move(p.pid)
	p.stdin.write("go\n")
	p.stdin.flush()
	p.stdout.readline()
	p.wait(10)
	return p.pid, landed


def connects_in(cg, comm, port, n):
	"""A child process, moved into cg before it makes n connections.
	Returns (pid, landed in cg)."""
	return go(ready_child(comm, port, n), cg)


# ---- reading the screen ----

def mine(rows, port):
	"""Session rows of the test's port (client or server side)."""
	return [l for l in rows if ":%d " % port in l + " "]


def unit_cell(hdr, line):
	"""The UNIT cell of a session row, by the header's column position."""
	x = hdr.find("UNIT")
	if x < 0:
		return None
	nxt = re.search(r"\S", hdr[x + 4:])
	end = x + 4 + nxt.start() if nxt else len(line)
	return line[x:end].strip()


def set_filter(tmux, text):
	tmux.keys("\\")
	expect(tmux, lambda s: "Filter:" in footer(s), 3, "filter prompt")
	tmux.keys("C-u")
	if text:
		tmux.literal(text)
	tmux.keys("Enter")


def run(tap, binary):
	if os.geteuid() != 0:
		tap.ok(False, "units: needs root")
		return
	if cgroup2_mount() is None:
		tap.ok(False, "units: a cgroup2 mount in /proc/self/mountinfo", "none found")
		return
	unit = "tlui-%d.service" % os.getpid()
	cg = TestCgroup(CGROUP + "/" + unit)
	tmux = Tmux("units")
	srv = Server()
	try:
		body(tap, tmux, binary, srv, cg, unit)
	except Exception:
		import traceback
		tap.ok(False, "units tests ran to the end", traceback.format_exc())
	finally:
		tmux.kill()
		srv.close()
		tap.ok(cg.remove(), "the test cgroup %s is removed again" % cg.path)


def body(tap, tmux, binary, srv, cg, unit):
	port = srv.port
	env = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
	tmux.start("env %s %s -d %s %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (env, binary, INTERVAL, own_filter()))
	tmux.resize(132, ROWS)
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Sessions" in s, 20)
	if not tap.ok(up, "units: monitor starts", scr):
		return
	# the filter first, then the cgroup (made after tcplens started: it
	# learns of it by a rescan, at most one a second), then the traffic
	set_filter(tmux, "unit=%s" % unit)
	wait_screen(tmux, lambda s: "unit=" in status(s), 4)
	cg.create()
	cpid, landed = connects_in(cg, "tlui-unit", port, N_CONNECTS)
	if not tap.ok(landed, "ground truth: the client ran in %s" % cg.rel):
		return
	want = "Sessions: %d shown" % N_CONNECTS
	dest = "127.0.0.1:%d" % port
	found, scr = wait_screen(tmux, lambda s: want in s and
				 [r.get("DESTINATION") for r in dest_table(s)] == [dest], 8)
	rows = dest_table(scr)
	tap.ok(found and rows[0].get("CONN") == str(N_CONNECTS),
	       "unit= set before the cgroup existed: its %d sessions and %d connects appear" %
	       (N_CONNECTS, N_CONNECTS), scr)
	# from here on port= keeps other tests' traffic (which may be heavy) out of view
	set_filter(tmux, "port=%d" % port)

	# the session table, 132 columns: the client's rows name the unit
	def client_rows(s):
		hdr, rows = session_rows(s)
		return hdr, [l for l in mine(rows, port) if " %d " % cpid in l]
	# a cgroup made since tcplens last scanned the tree reads "-" until the
	# next rescan (at most one a second), then its unit
	def server_rows(s):
		hdr, rows = session_rows(s)
		return [l for l in mine(rows, port) if " %d " % cpid not in l]
	found, scr = wait_screen(tmux, lambda s: len(client_rows(s)[1]) >= N_CONNECTS and
				 all(unit_cell(client_rows(s)[0], l) == unit for l in client_rows(s)[1]) and
				 len(server_rows(s)) >= N_CONNECTS, 10)
	hdr, crows = client_rows(scr)
	tap.ok(found and "UNIT" in hdr, "132 columns: the session table has a UNIT column", scr)
	cells = [unit_cell(hdr, l) for l in crows]
	tap.ok(len(crows) == N_CONNECTS and all(c == unit for c in cells),
	       "132 columns: the %d client sessions (pid %d) show unit %s whole" %
	       (N_CONNECTS, cpid, unit), "\n".join(crows) + "\n" + repr(cells))
	srows = server_rows(scr)
	tap.ok(len(srows) >= N_CONNECTS and all(unit_cell(hdr, l) != unit for l in srows),
	       "the server side of each session (another process, another cgroup) does not",
	       "\n".join(srows))

	# unit= keeps exactly the client's sessions, whatever else the machine does
	set_filter(tmux, "unit=%s" % unit)
	found, scr = wait_screen(tmux, lambda s: want in s and "unit=" in s, 6)
	hdr, rows = session_rows(scr)
	tap.ok(found and len(rows) == N_CONNECTS and
	       all(" %d " % cpid in l and unit_cell(hdr, l) == unit for l in rows),
	       "unit=%s: exactly the %d client sessions" % (unit, N_CONNECTS), scr)

	# Enter on one: the detail view names the cgroup's path and unit
	tmux.keys("Enter")
	found, scr = wait_screen(tmux, lambda s: "Session detail" in s, 4)
	tap.ok(found and re.search(r"Cgroup\s+%s\s*$" % re.escape(cg.rel), scr, re.M) and
	       re.search(r"Unit\s+%s\s*$" % re.escape(unit), scr, re.M),
	       "detail view: Cgroup %s and Unit %s" % (cg.rel, unit), scr)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Session detail" not in s, 3)

	# cgroup= is a prefix on component boundaries
	set_filter(tmux, "cgroup=%s port=%d" % (cg.rel, port))
	found, scr = wait_screen(tmux, lambda s: want in s and "cgroup=" in s, 6)
	hdr, rows = session_rows(scr)
	tap.ok(found and len(rows) == N_CONNECTS and all(" %d " % cpid in l for l in rows),
	       "cgroup=%s: exactly the %d client sessions" % (cg.rel, N_CONNECTS), scr)
	part = cg.rel[:-3]	# "/tlui-N.serv": not a whole component
	set_filter(tmux, "cgroup=%s port=%d" % (part, port))
	found, scr = wait_screen(tmux, lambda s: "Sessions: 0 shown" in s and part in s, 6)
	tap.ok(found and not session_rows(scr)[1], "cgroup=%s (a partial name) keeps nothing" % part,
	       scr)
	set_filter(tmux, "!unit=%s port=%d" % (unit, port))
	found, scr = wait_screen(tmux, lambda s: "!unit=" in s and
				 len(session_rows(s)[1]) >= N_CONNECTS, 6)
	hdr, rows = session_rows(scr)
	tap.ok(found and len(rows) >= N_CONNECTS and not any(" %d " % cpid in l for l in rows),
	       "!unit=%s port=%d: the server side only, no client session" % (unit, port), scr)

	# a connect of another unit (this part's own cgroup), for a second row
	connect_once("127.0.0.1", port)
	# the latency panel grouped by unit: one row, the client's connects
	set_filter(tmux, "unit=%s" % unit)
	wait_screen(tmux, lambda s: "Sessions: %d shown" % N_CONNECTS in s, 6)
	tmux.keys("Tab")
	for _ in range(4):
		title = section(tmux.settled(), "Connect latency")
		tmux.keys("g")
		wait_screen(tmux, lambda s: section(s, "Connect latency") != title, 3)
	found, scr = wait_screen(tmux, lambda s: "Connect latency by unit" in s, 4)
	tap.ok(found, "g four times: the latency panel is grouped by unit", scr)
	found, scr = wait_screen(tmux, lambda s: [r.get("UNIT") for r in dest_table(s)] == [unit], 6)
	rows = dest_table(scr)
	tap.ok(found and rows[0].get("CONN") == str(N_CONNECTS) and rows[0].get("FAIL") == "0",
	       "by unit, unit=%s: one row, CONN %d FAIL 0" % (unit, N_CONNECTS), scr)
	# no filter: other units have rows too; search puts the cursor (and the
	# screen) on this one
	set_filter(tmux, "")
	wait_screen(tmux, lambda s: "filter none" in status(s), 4)
	tmux.keys("/")
	expect(tmux, lambda s: "Search:" in footer(s), 3, "search prompt")
	tmux.literal(unit)
	tmux.keys("Enter")
	found, scr = wait_screen(tmux, lambda s: any(r.get("UNIT") == unit for r in dest_table(s)) and
				 len(dest_table(s)) >= 2, 6)
	row = [r for r in dest_table(scr) if r.get("UNIT") == unit]
	tap.ok(found and len(row) == 1 and row[0].get("CONN") == str(N_CONNECTS),
	       "by unit, no filter: %s has its own row with CONN %d, beside another unit's" %
	       (unit, N_CONNECTS), scr)
	# Enter on it: the unit row's detail names the cgroup
	tmux.keys("Enter")
	found, scr = wait_screen(tmux, lambda s: "Destination detail" in s, 4)
	tap.ok(found and re.search(r"Cgroup\s+%s\s*$" % re.escape(cg.rel), scr, re.M),
	       "unit row detail: Cgroup %s" % cg.rel, scr)
	tmux.keys("Escape")

	# 80 columns: UNIT is the first column to go, the addresses stay
	tmux.keys("Tab")
	tmux.resize(80, 24)
	found, scr = after_resize(tmux, lambda s: "Sessions" in s and max(len(l) for l in
				  s.splitlines()) <= 80 and "LOCAL" in section(s, "Sessions")[0], 4)
	hdr = section(scr, "Sessions")[0]
	tap.ok(found and "UNIT" not in hdr and "REMOTE" in hdr,
	       "80 columns: UNIT dropped, LOCAL and REMOTE kept (%s)" % hdr.strip(), scr)
	tmux.keys("q")

	batch_test(tap, binary, cg, unit)


def batch_test(tap, binary, cg, unit):
	"""-b: the session table printed with a UNIT column."""
	srv = Server()
	port = srv.port
	child = ready_child("tlui-unit", port, N_CONNECTS)	# python starts before the clock runs
	p = subprocess.Popen([binary, "-b", "-d", "0.5", "-n", "3", "-f", "port=%d" % port] +
			     own_filter().split(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			     text=True)
	try:
		end = time.time() + 15
		line = ""
		while time.time() < end and "tracing" not in line:
			line = p.stderr.readline()
		cpid, landed = go(child, cg)
		out, _ = p.communicate(timeout=20)
	finally:
		if p.poll() is None:
			p.kill()
			p.wait()
		srv.close()
	hdrs = [l for l in out.splitlines() if l.startswith("TIME ")]
	rows = [l for l in out.splitlines() if re.search(r"\s%d\s" % cpid, l)]
	tap.ok(hdrs and "UNIT" in hdrs[0].split() and len(rows) == N_CONNECTS and
	       all(l.split()[3] == unit for l in rows),
	       "-b: the session table has UNIT, and the %d client sessions show %s" %
	       (N_CONNECTS, unit), out)
