#!/usr/bin/env python3
"""End-to-end tests of the full-screen monitor and of -b (TAP).

Usage: run.py --tcplens BUILD/tcplens [--only GROUP|PART]... [--jobs N] [--list]

Starts tcplens as root inside private tmux servers, makes real loopback
connections with known destinations (accepted, refused, one slowed to about
1 s by a full accept queue), reads the screen with `tmux capture-pane -p`
and asserts what a person would see. Then drives keys with send-keys.
Needs root and tmux; otherwise prints "1..0 # SKIP reason".

The suite is made of parts (--list), each with monitors of its own; they
run at the same time, each as a child process in a cgroup of its own that
its otherwise unfiltered monitors filter on in the kernel (-c), so that no
part sees another's connections, nor the rest of the machine's. Every wait
is for something on screen (or for the ground truth), bounded in time;
TLUI_TIMES=1 prints the time each check was made at.
"""
import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import *  # noqa: E402,F401,F403


def builtin_parts():
	"""The parts written in this file: (name, group, function(tap, binary))."""
	return [("main", "main", main_part), ("term", "term", term_part),
		("history", "history", history_part), ("batch", "batch", batch_tests),
		("batch-ipv6", "batch", batch_ipv6_part)]


def all_parts():
	"""Every part of the suite: run.py's own, then each tests/ui/t_NAME.py
	group's. A group is a module with run(tap, binary), or with PARTS, a
	list of (name, function(tap, binary)) that may run at the same time as
	each other (each has its own monitor). Groups live in their own files
	so that topics stay apart."""
	import importlib
	here = os.path.dirname(os.path.abspath(__file__))
	parts = builtin_parts()
	for f in sorted(os.listdir(here)):
		if f.startswith("t_") and f.endswith(".py"):
			group = f[2:-3]
			mod = importlib.import_module(f[:-3])
			for name, fn in getattr(mod, "PARTS", None) or [(group, mod.run)]:
				parts.append((name, group, fn))
	return parts


def run_part(tap, name, fn, binary):
	try:
		fn(tap, binary)
	except Exception:
		import traceback
		tap.ok(False, "%s tests ran to the end" % name, traceback.format_exc())


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--tcplens", required=True)
	ap.add_argument("--only", action="append",
			help="run only these groups (main, term, history, batch, or a t_NAME.py "
			"module's NAME) or parts (see --list); repeatable")
	ap.add_argument("--jobs", type=int, default=0,
			help="parts run at the same time (default: all, fewer on a machine with "
			"many TCP sockets; 1 runs them one by one)")
	ap.add_argument("--list", action="store_true", help="list the parts and their groups")
	ap.add_argument("--part", help=argparse.SUPPRESS)	# internal: run one part here
	args = ap.parse_args()
	binary = os.path.abspath(args.tcplens)
	parts = all_parts()
	if args.list:
		for name, group, _ in parts:
			print("%-16s %s" % (name, group))
		return 0
	if args.part:
		return part_main(args.part, parts, binary)
	if os.geteuid() != 0:
		print("1..0 # SKIP needs root (BPF)")
		return 0
	if not shutil.which("tmux"):
		print("1..0 # SKIP tmux not installed")
		return 0
	want = set(args.only or [])
	chosen = [p for p in parts if not want or p[0] in want or p[1] in want]
	unknown = want - {p[0] for p in parts} - {p[1] for p in parts}
	if unknown:
		print("Bail out! no such group or part: %s" % ", ".join(sorted(unknown)))
		return 1
	return Runner(binary, chosen, args.jobs).run()


def part_main(name, parts, binary):
	"""Runs one part in this process, its TAP on stdout (numbered from 1)."""
	found = [p for p in parts if p[0] == name]
	if not found:
		print("Bail out! no such part: %s" % name)
		return 1
	where = os.environ.pop("TLUI_CGROUP_DIR", None)
	if where:
		# into the part's cgroup before any process or socket is made:
		# everything the part starts is in it too
		with open(os.path.join(where, "cgroup.procs"), "w") as f:
			f.write("%d\n" % os.getpid())
	tap = Tap()
	run_part(tap, name, found[0][2], binary)
	return tap.done()


def machine_jobs(nparts):
	"""How many parts may run at once on this machine now. Every monitor
	walks all the TCP sockets of the machine at each refresh (iter/tcp, for
	its Open panel), whatever its filters: here about 2.3 us of CPU for a
	full socket and 0.3 us for one in TIME_WAIT. All the parts at once,
	unless that many monitors refreshing every 0.5 s would take more than
	half the CPUs (someone else's benchmark holding 100,000 connections):
	then fewer, so that the parts' own timing (rates, pacing) holds."""
	inuse = tw = 0
	try:
		with open("/proc/net/sockstat") as f:
			for line in f:
				if line.startswith("TCP:"):
					w = line.split()
					inuse = int(w[w.index("inuse") + 1])
					tw = int(w[w.index("tw") + 1])
	except (OSError, ValueError):
		pass
	per_monitor = 2 * (inuse * 2.3e-6 + tw * 0.3e-6)
	budget = 0.5 * (os.cpu_count() or 1)
	if per_monitor * nparts <= budget:
		return nparts
	return max(3, min(nparts, int(budget / per_monitor)))


class Runner:
	"""Runs the parts as child processes (run.py --part NAME), as many at
	once as jobs allows (by default machine_jobs, asked again before each
	start), each in a cgroup of its own that its monitors filter on
	(uilib.own_filter), and prints their TAP renumbered as one stream, a
	part's lines together when it ends, and each part's time. Without a
	cgroup v2 hierarchy to make them in, the parts run one by one, so that
	none sees another's traffic."""

	PART_TIMEOUT = 120
	# the longest parts (fail-dests waits out 10 s of idle rows) start first
	FIRST = ("fail-dests", "main", "open", "open-listeners")

	def __init__(self, binary, parts, jobs):
		self.binary = binary
		self.parts = parts
		self.fixed_jobs = jobs
		self.jobs = jobs or len(parts)
		self.most = 0
		self.n = 0
		self.failed = 0
		self.times = []
		self.cpu = 0.0
		self.root = None
		mount = cgroup2_mount()
		rel = "/tlui-run-%d" % os.getpid()
		if mount:
			try:
				os.mkdir(mount + rel)
				self.root = (mount, rel)
			except OSError as e:
				print("# no cgroup for the parts (%s): one at a time" % e)
		else:
			print("# no cgroup v2 mount: the parts run one at a time")
		if not self.root:
			self.fixed_jobs = self.jobs = 1

	def cgroup(self, name):
		"""A new cgroup for a part: (its path from the v2 root, its directory)."""
		if not self.root:
			return "", None
		rel = "%s/%s" % (self.root[1], name)
		os.mkdir(self.root[0] + rel)
		return rel, self.root[0] + rel

	def start(self, name):
		rel, path = self.cgroup(name)
		env = dict(os.environ, TLUI_CGROUP=rel)
		if path:
			# the child moves itself in before anything else (part_main)
			env["TLUI_CGROUP_DIR"] = path
		p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--tcplens",
				      self.binary, "--part", name], stdout=subprocess.PIPE,
				     stderr=subprocess.PIPE, env=env, start_new_session=True)
		return {"name": name, "p": p, "path": path, "t0": time.monotonic(),
			"out": b"", "err": b""}

	def finish(self, job, timed_out):
		dt = time.monotonic() - job["t0"]
		cpu = self.cpu_s(job["path"]) if job["path"] else None
		self.times.append((dt, job["name"]))
		self.cpu += cpu or 0
		lines = job["out"].decode("utf-8", "replace").splitlines()
		print("# ---- %s (%.1f s%s)" % (job["name"], dt,
					     ", %.1f s of CPU" % cpu if cpu is not None else ""))
		got = 0
		for line in lines:
			m = re.match(r"(not ok|ok) \d+ - (.*)$", line)
			if m:
				self.n += 1
				got += 1
				if m.group(1) == "not ok":
					self.failed += 1
				print("%s %d - %s" % (m.group(1), self.n, m.group(2)))
			elif line.startswith("#"):
				print(line)
			elif re.match(r"1\.\.\d+$", line):
				pass
			elif line.strip():
				print("# " + line)
		rc = job["p"].returncode
		if timed_out or not got or (rc not in (0, 1)):
			self.n += 1
			self.failed += 1
			why = "timed out after %d s" % self.PART_TIMEOUT if timed_out else "exit status %s" % rc
			print("not ok %d - part %s ran to the end (%s)" % (self.n, job["name"], why))
			for line in job["err"].decode("utf-8", "replace").splitlines()[-40:]:
				print("# " + line)
		elif job["err"].strip():
			for line in job["err"].decode("utf-8", "replace").splitlines()[-20:]:
				print("# stderr: " + line)
		sys.stdout.flush()
		self.cleanup(job)

	def cpu_s(self, path):
		"""CPU seconds used in the cgroup (and below it) so far."""
		try:
			with open(os.path.join(path, "cpu.stat")) as f:
				for line in f:
					if line.startswith("usage_usec "):
						return int(line.split()[1]) / 1e6
		except (OSError, ValueError):
			pass
		return None

	def cleanup(self, job):
		"""Ends what the part left running (only its own processes: those
		in its cgroup), then removes the cgroup."""
		path = job["path"]
		if not path:
			return
		try:
			with open(os.path.join(path, "cgroup.kill"), "w") as f:
				f.write("1\n")
		except OSError:
			try:
				with open(os.path.join(path, "cgroup.procs")) as f:
					for pid in f.read().split():
						try:
							os.kill(int(pid), signal.SIGKILL)
						except OSError:
							pass
			except OSError:
				pass
		end = time.monotonic() + 5
		while True:
			try:
				# any cgroup the part made below its own first
				for d, _, _ in os.walk(path, topdown=False):
					os.rmdir(d)
				return
			except FileNotFoundError:
				return
			except OSError:
				if time.monotonic() > end:
					print("# could not remove %s" % path)
					return
				time.sleep(0.02)

	def run(self):
		import selectors
		t0 = time.monotonic()
		todo = sorted((p[0] for p in self.parts),
			      key=lambda n: self.FIRST.index(n) if n in self.FIRST else len(self.FIRST))
		running = []
		sel = selectors.DefaultSelector()
		try:
			while todo or running:
				if not self.fixed_jobs:
					self.jobs = machine_jobs(len(self.parts))
				while todo and len(running) < self.jobs:
					job = self.start(todo.pop(0))
					running.append(job)
					sel.register(job["p"].stdout, selectors.EVENT_READ, (job, "out"))
					sel.register(job["p"].stderr, selectors.EVENT_READ, (job, "err"))
					self.most = max(self.most, len(running))
				for key, _ in sel.select(timeout=0.5):
					job, which = key.data
					chunk = os.read(key.fileobj.fileno(), 65536)
					if chunk:
						job[which] += chunk
					else:
						sel.unregister(key.fileobj)
				for job in list(running):
					late = time.monotonic() - job["t0"] > self.PART_TIMEOUT
					if late and job["p"].poll() is None:
						os.killpg(job["p"].pid, signal.SIGKILL)
					open_fds = [k for k in sel.get_map().values() if k.data[0] is job]
					if job["p"].poll() is not None and not open_fds:
						running.remove(job)
						self.finish(job, late)
		finally:
			for job in running:
				if job["p"].poll() is None:
					os.killpg(job["p"].pid, signal.SIGKILL)
				job["p"].wait()
				self.cleanup(job)
			if self.root:
				try:
					os.rmdir(self.root[0] + self.root[1])
				except OSError:
					pass
		total = time.monotonic() - t0
		print("# parts by time: " + ", ".join("%s %.1f s" % (n, t) for t, n in
							sorted(self.times, reverse=True)))
		print("# all parts: %.1f s (up to %d at a time), %.1f s of CPU" % (total, self.most, self.cpu))
		print("1..%d" % self.n)
		sys.stdout.flush()
		return 1 if self.failed else 0


def main_part(tap, binary):
	tmux = Tmux()
	servers = []
	try:
		run_all(tap, tmux, binary, servers)
	finally:
		tmux.kill()
		for s in servers:
			s.close()


def term_part(tap, binary):
	tmux = Tmux("term")
	try:
		sigterm_test(tap, tmux, binary)
	finally:
		tmux.kill()


def history_part(tap, binary):
	tmux = Tmux("hist")
	try:
		history_test(tap, tmux, binary)
	finally:
		tmux.kill()


def batch_ipv6_part(tap, binary):
	batch_ipv6_test(tap, binary)


def run_all(tap, tmux, binary, servers):
	env = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
	# own_filter: only this part's processes, whatever else runs on the machine
	tmux.start("env %s %s -d %s %s; echo TCPLENS-EXIT=$?; stty -a; sleep 600" %
		   (env, binary, INTERVAL, own_filter()))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Sessions" in s, 20)
	if not tap.ok(up, "monitor starts: status line and session panel shown", scr):
		return
	pid = child_pid(tmux.pane_pid(), "tcplens")
	tap.ok(pid is not None, "tcplens is a child of the pane's shell")

	ok_srv = Server()
	slow_srv = Server(backlog=0, autostart=False)
	servers += [ok_srv, slow_srv]
	refused = closed_port()
	n_ok = 4
	cpid = child_connects("tlui-client", ok_srv.port, n_ok)
	for _ in range(2):
		try:
			socket.create_connection(("127.0.0.1", refused), timeout=2)
		except ConnectionRefusedError:
			pass
	slow_s = slow_connect(slow_srv)
	tap.ok(slow_s is not None and 0.8 < slow_s < 2.5,
	       "ground truth: the slow connect took about 1 s (%s)" % slow_s)

	okdest = "127.0.0.1:%d" % ok_srv.port
	refdest = "127.0.0.1:%d" % refused
	slowdest = "127.0.0.1:%d" % slow_srv.port

	# every session over in the kernel, both sides: then the screen must have them
	ended(ok_srv.port)
	ended(slow_srv.port)

	def all_there(s):
		rows = {r.get("DESTINATION"): r for r in dest_table(s)}
		return okdest in rows and refdest in rows and slowdest in rows and \
			len([l for l in session_rows(s)[1] if okdest in l]) >= 2 * n_ok
	found, scr = wait_screen(tmux, all_there, 6)
	tap.ok(found, "latency panel shows the three destinations", scr)
	rows = {r.get("DESTINATION"): r for r in dest_table(scr)}
	r = rows.get(okdest, {})
	tap.ok(r.get("CONN") == str(n_ok) and r.get("FAIL") == "0",
	       "accepted destination: CONN %d FAIL 0" % n_ok, r)
	r = rows.get(refdest, {})
	ttf = parse_duration(r.get("P99", "")[1:]) if r.get("P99", "").startswith("!") else None
	tap.ok(r.get("CONN") == "2" and r.get("FAIL") == "2" and r.get("REF/TMO") == "2/0"
	       and r.get("FAIL%") == "100%" and ttf is not None and ttf < 0.1,
	       "refused destination: CONN 2 FAIL 2 FAIL% 100% REF/TMO 2/0, no latency but its "
	       "time to failure (!, under 100 ms)", r)
	r = rows.get(slowdest, {})
	p99 = parse_duration(r.get("P99"))
	tap.ok(p99 is not None and 0.9 <= p99 <= 1.6 and slow_s is not None and
	       abs(p99 - slow_s) < 0.1, "slow destination: p99 %s, about 1 s like the client saw" %
	       r.get("P99"), r)
	# other tests on the machine make traffic too: the order of these three is what counts
	order = [r.get("DESTINATION") for r in dest_table(scr)]
	tap.ok(refdest in order and slowdest in order and okdest in order and
	       order.index(refdest) < order.index(slowdest) < order.index(okdest) and
	       "FAIL%\u25bc" in section(scr, "Connect latency")[0],
	       "default sort FAIL% descending, then p99: refused, slow, fast", scr)

	hdr, srows = session_rows(scr)
	mine = [l for l in srows if okdest in l]
	tap.ok(len(mine) >= 2 * n_ok, "session table: %d sessions to the accepted port "
	       "(client and server side of each)" % (2 * n_ok), scr)
	tap.ok(any("tlui-client" in l and " %d " % cpid in l and " out " in l for l in mine),
	       "session rows name the client process (pid %d, comm tlui-client, out)" % cpid, mine)
	tap.ok(re.search(r"failed \d+", status(scr)) and
	       int(re.search(r"failed (\d+)", status(scr)).group(1)) >= 2,
	       "status line counts the failed connects", status(scr))
	tap.ok("dropped 0" in status(scr), "status line shows dropped 0", status(scr))
	first_time = srows[0].split()[0] if srows else ""
	times = [l.split()[0] for l in srows]
	tap.ok(times == sorted(times, reverse=True) and first_time,
	       "session table is newest first", srows[:5])

	# ---- sort (latency panel has the focus after Tab) ----
	tmux.keys("Tab")
	for _ in range(2):
		tmux.keys("<")
	ok, scr = wait_screen(tmux, lambda s: "sort CONN desc" in status(s), 3)
	conns = [int(r["CONN"]) for r in dest_table(scr) if r.get("CONN", "").isdigit()]
	tap.ok(ok and conns == sorted(conns, reverse=True) and len(conns) >= 3,
	       "< < on the latency panel (from FAIL%): sorted by CONN descending", scr)
	tmux.keys("I")
	ok, scr = wait_screen(tmux, lambda s: "sort CONN asc" in status(s), 3)
	conns = [int(r["CONN"]) for r in dest_table(scr) if r.get("CONN", "").isdigit()]
	tap.ok(ok and conns == sorted(conns) and len(conns) >= 3, "I inverts: CONN ascending", scr)
	for _ in range(5):
		tmux.keys(">")
	ok, scr = wait_screen(tmux, lambda s: "sort P99 desc" in status(s), 3)
	tap.ok(ok, "> five times: P99 (descending)", status(scr))
	tmux.keys("Tab", "Tab")		# latency -> open -> sessions
	tmux.keys(">")
	ok, scr = wait_screen(tmux, lambda s: "sort PID desc" in status(s), 3)
	_, srows = session_rows(scr)
	pids = [int(l.split()[1]) for l in srows if l.split()[1].isdigit()]
	tap.ok(ok and pids == sorted(pids, reverse=True) and pids,
	       "Tab, > on the session table: sorted by PID descending", scr)
	tmux.keys("<")
	ok, scr = wait_screen(tmux, lambda s: "sort TIME desc" in status(s), 3)
	tap.ok(ok, "< back to TIME descending", status(scr))
	tmux.keys("BTab")	# the status line names the focused panel's sort column
	ok1, scr = wait_screen(tmux, lambda s: "sort TX/s+RX/s desc" in status(s), 3)
	tmux.keys("BTab")
	ok2, scr2 = wait_screen(tmux, lambda s: "sort P99 desc" in status(s), 3)
	tmux.keys("BTab")
	ok3, scr3 = wait_screen(tmux, lambda s: "sort TIME desc" in status(s), 3)
	tap.ok(ok1 and ok2 and ok3, "Shift-Tab moves the focus back round: open, latency, sessions",
	       status(scr) + "\n" + status(scr2) + "\n" + status(scr3))

	# ---- mouse: a click on a header sorts by it, a second click inverts ----
	def click_header(name):
		scr = tmux.screen().splitlines()
		rows = [i for i, l in enumerate(scr) if l.startswith("TIME")]
		if not rows or name not in scr[rows[0]]:
			return False
		y, x = rows[0], scr[rows[0]].index(name)
		# an X10 mouse report (button 1 press, then release), as a terminal sends it
		tmux.literal("\x1b[M" + chr(32) + chr(33 + x) + chr(33 + y) +
			     "\x1b[M" + chr(35) + chr(33 + x) + chr(33 + y))
		return True
	clicked = click_header("PID")
	ok1, scr = wait_screen(tmux, lambda s: "sort PID desc" in status(s), 3)
	click_header("PID")
	ok2, scr2 = wait_screen(tmux, lambda s: "sort PID asc" in status(s), 3)
	_, srows = session_rows(scr2)
	pids = [int(l.split()[1]) for l in srows if l.split()[1].isdigit()]
	tap.ok(clicked and ok1 and ok2 and pids == sorted(pids) and pids,
	       "clicking the PID header sorts by PID, clicking again inverts",
	       status(scr) + "\n" + "\n".join(scr2.splitlines()[:8]))
	click_header("TIME")
	ok, scr = wait_screen(tmux, lambda s: "sort TIME desc" in status(s), 3)
	tap.ok(ok, "clicking the TIME header goes back to TIME descending", status(scr))

	# ---- filters ----
	tmux.keys("\\")
	ok, scr = wait_screen(tmux, lambda s: "Filter:" in s, 2)
	tmux.keys("C-u")
	tmux.literal("port=%d" % ok_srv.port)
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "filter port=%d" % ok_srv.port in status(s), 3)
	_, srows = session_rows(scr)
	drows = dest_table(scr)
	tap.ok(ok and srows and all(":%d" % ok_srv.port in l for l in srows)
	       and [r.get("DESTINATION") for r in drows] == [okdest],
	       "filter port=N: only that port in both panels", scr)
	tmux.keys("Escape")	# as in htop: nothing on the main screen
	scr = wait_refreshes(tmux, 2)
	tap.ok("filter port=%d" % ok_srv.port in status(scr) and
	       not any(refdest in l for l in scr.splitlines()),
	       "Esc on the main screen keeps the filter", scr)
	clear_filter(tmux)
	ok, scr = wait_screen(tmux, lambda s: "filter none" in status(s) and refdest in s, 3)
	tap.ok(ok, "an empty filter (\\, Ctrl-U, Enter) clears the filter", scr)

	tmux.keys("F4")
	wait_screen(tmux, lambda s: "Filter:" in s, 2)
	tmux.keys("C-u")
	tmux.literal("pid=%d" % cpid)
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "filter pid=%d" % cpid in status(s), 3)
	_, srows = session_rows(scr)
	tap.ok(ok and len(srows) == n_ok and all(l.split()[1] == str(cpid) for l in srows),
	       "F4 filter pid=N: exactly the child's %d sessions" % n_ok, scr)

	tmux.keys("\\")
	wait_screen(tmux, lambda s: "Filter:" in s, 2)
	tmux.keys("C-u")
	tmux.literal("bogus=1")
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "filter not changed" in status(s), 3)
	tap.ok(ok and "filter pid=%d" % cpid in status(scr),
	       "malformed filter: reason in the status line, old filter kept", status(scr))
	tmux.keys("Escape")	# closes the prompt
	wait_screen(tmux, lambda s: "Filter:" not in s, 2)
	clear_filter(tmux)
	wait_screen(tmux, lambda s: "filter none" in status(s), 3)
	tmux.keys("\\")
	wait_screen(tmux, lambda s: "Filter:" in s, 2)
	tmux.keys("C-u")
	tmux.literal("   ")
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "Filter:" not in s, 3)
	tap.ok(ok and "filter none" in status(scr), "a blank filter at the prompt is no filter",
	       status(scr))

	# ---- pause ----
	tmux.keys("Z")
	ok, scr = wait_screen(tmux, lambda s: "PAUSED" in status(s), 2)
	tap.ok(ok, "Z pauses: PAUSED in the status line", status(scr))
	new_srv = Server()
	servers.append(new_srv)
	newdest = "127.0.0.1:%d" % new_srv.port
	for _ in range(3):
		connect_once("127.0.0.1", new_srv.port)
	ended(new_srv.port)

	def since_pause(s):
		m = re.search(r"PAUSED \u00b7 ([\d,]+) new sessions, ([\d,]+) connects since pause",
			      status(s))
		return (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) if m else None
	# the counts say the monitor has taken the new traffic in; the view
	# must not show it then, nor two refreshes later
	def counted(s):
		c = since_pause(s)
		return c is not None and c[0] >= 6 and c[1] >= 3
	ok, scr = wait_screen(tmux, counted, 5)
	later = wait_refreshes(tmux, 1) if ok else scr
	tap.ok(ok and newdest not in scr and newdest not in later and counted(later),
	       "while paused new traffic is not shown, and is counted in words", later)
	tmux.keys("Z")
	ok, scr = wait_screen(tmux, lambda s: newdest in s and "PAUSED" not in status(s), 3)
	tap.ok(ok, "after resume the new traffic appears", scr)

	# ---- scroll: the view holds still while scrolled, follows at the top ----
	def sessions_total(s):
		m = re.search(r"\bsess(?:ions)? ([\d,]+)", status(s))
		return int(m.group(1).replace(",", "")) if m else -1
	n0 = sessions_total(tmux.screen())
	for _ in range(30):
		connect_once("127.0.0.1", ok_srv.port)
	ended(ok_srv.port)
	# the status line counts them (client and server side): they are in
	expect(tmux, lambda s: sessions_total(s) >= n0 + 60, 5, "60 more sessions counted")
	tmux.keys("j", "j", "j")
	ok, scr = wait_screen(tmux, lambda s: "scrolled" in s, 2)
	_, before = session_rows(scr)
	n1 = sessions_total(scr)
	more = Server()
	servers.append(more)
	for _ in range(3):
		connect_once("127.0.0.1", more.port)
	ended(more.port)
	# counted, so drawn since they came in; and again a refresh later
	ok2, scr = wait_screen(tmux, lambda s: sessions_total(s) >= n1 + 6, 5)
	_, after1 = session_rows(scr)
	scr = wait_refreshes(tmux, 1)
	_, after = session_rows(scr)
	tap.ok(ok and ok2 and before and after1[:5] == before[:5] and after[:5] == before[:5] and
	       not any(":%d" % more.port in l for l in after1 + after),
	       "scrolled away: new rows do not move the view", scr)
	tmux.keys("End")
	ok1, scr = wait_screen(tmux, lambda s: session_rows(s)[1] != after, 3)
	_, end_rows = session_rows(scr)
	tmux.keys("Home")
	# following again: the next refresh puts the newest rows on top
	ok, scr = wait_screen(tmux, lambda s: any(":%d" % more.port in l for l in session_rows(s)[1][:6])
			      and "scrolled" not in s, 3)
	tap.ok(ok and ok1 and end_rows != after, "End goes to the oldest rows, Home back to the "
	       "newest (following again)", scr)
	top = session_rows(scr)[1]
	# the first PgDn takes the cursor a page down, to the last row shown;
	# the second one scrolls the view
	tmux.keys("NPage")
	ok1, scr = wait_screen(tmux, lambda s: "scrolled" in s, 3)
	tmux.keys("NPage")
	ok, scr = wait_screen(tmux, lambda s: session_rows(s)[1][:3] != top[:3], 3)
	_, pg = session_rows(scr)
	tmux.keys("Home")
	tap.ok(ok1 and ok and pg and pg[:3] != after[:3] and pg[0] != top[0], "PgDn moves a page (the cursor, then the view)",
	       "scrolled %s, moved %s\n--- before\n%s\n--- after PgDn\n%s" %
	       (ok1, ok, "\n".join(top[:3]), "\n".join(pg[:3])))

	# ---- help, detail ----
	tmux.keys("F1")
	ok, scr = wait_screen(tmux, lambda s: "Help" in s and "sessions are kept" in s, 2)
	tap.ok(ok and "200000" in scr and "(other)" in scr,
	       "F1 help: keys, history retained (200000), max-dests folding", scr)
	want = ["lat>MS", "lat<MS", "connects only", "session table empties",
		"refused + timed out + other errors", "need not add up to FAIL",
		"Connects: the newest 50000 are kept", "computed from these retained connects",
		"Shift-Tab", "click a row", "Backspace", "Ctrl-U", "F3 in the prompt: next match",
		"quit on the main screen; on help/detail/log: back"]
	help_text = tmux.settled()
	for _ in range(3):	# page on until every term was on screen (or the text ends)
		missing = [w for w in want if w not in help_text]
		if not missing:
			break
		page = "\n".join(help_text.splitlines()[2:])
		tmux.keys("NPage")
		if wait_screen(tmux, lambda s: "\n".join(s.splitlines()[2:]) != page, 3, exact=True)[0]:
			help_text += tmux.settled()
	missing = [w for w in want if w not in help_text]
	tap.ok(not missing, "help lists lat</lat>, connect-only terms, FAIL = REF+TMO+errors, "
	       "retained connects, Shift-Tab, clicks, prompt editing, F3, q", missing)
	tmux.keys("Escape")
	ok, scr = wait_screen(tmux, lambda s: "Connect latency" in s and "Help:" not in s, 2)
	tap.ok(ok, "Esc closes help", scr)
	tmux.keys("/")
	ok, scr = wait_screen(tmux, lambda s: "Search:" in s, 2)
	foot = scr.splitlines()[-1] if scr.splitlines() else ""
	tap.ok(ok and "F3 next match" in foot and "Enter next match" not in foot,
	       "search prompt footer: F3 next match, Enter closes", foot)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Search:" not in s, 2)
	tmux.keys("?")
	ok1, _ = wait_screen(tmux, lambda s: "sessions are kept" in s, 2)
	tmux.keys("q")
	ok2, _ = wait_screen(tmux, lambda s: "Connect latency" in s, 2)
	tap.ok(ok1 and ok2, "? opens help, q goes back (without quitting)")

	tmux.keys("\\")
	wait_screen(tmux, lambda s: "Filter:" in s, 2)
	tmux.keys("C-u")
	tmux.literal("port=%d" % slow_srv.port)
	tmux.keys("Enter")
	wait_screen(tmux, lambda s: "filter port=%d" % slow_srv.port in status(s), 3)
	tmux.keys("Home", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 2)
	tap.ok(ok and "Remote port" in scr and ("%d" % slow_srv.port) in scr and
	       "Smoothed RTT" in scr, "Enter on a session: detail view with every field", scr)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Connect latency" in s, 2)
	tmux.keys("Tab", "Home", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Destination detail" in s, 2)
	m = re.search(r"p99\s+(\S+)", scr)
	v = parse_duration(m.group(1)) if m else None
	tap.ok(ok and slowdest in scr and "Histogram" in scr and v and 0.9 <= v <= 1.6,
	       "Enter on the slow destination: quantiles (p99 about 1 s) and histogram", scr)
	tmux.keys("Escape")
	ok, scr = wait_screen(tmux, lambda s: "Connect latency" in s, 2)
	tap.ok(ok, "Esc returns from the detail view", scr)
	tmux.keys("Enter")
	wait_screen(tmux, lambda s: "Destination detail" in s, 2)
	tmux.keys("?")
	ok1, scr = wait_screen(tmux, lambda s: "sessions are kept" in s, 2)
	tmux.keys("q")
	ok2, scr2 = wait_screen(tmux, lambda s: "Connect latency" in s, 2)
	tap.ok(ok1 and ok2, "? opens help from the detail view, q goes back", scr + scr2)
	tmux.keys("l")
	ok1, scr = wait_screen(tmux, lambda s: "Log, oldest first" in s, 2)
	tmux.keys("?")
	ok2, scr2 = wait_screen(tmux, lambda s: "sessions are kept" in s, 2)
	tmux.keys("Escape")
	ok3, _ = wait_screen(tmux, lambda s: "Connect latency" in s, 2)
	tap.ok(ok1 and ok2 and ok3, "? opens help from the log screen too", scr + scr2)
	clear_filter(tmux)
	tmux.keys("Tab", "Tab")		# latency -> open -> sessions
	wait_screen(tmux, lambda s: "filter none" in status(s), 3)

	# ---- resize ----
	tmux.resize(80, 24)
	# redrawn at the new size: the status line on top and the footer at the bottom
	# (tmux may show a part of the old, larger screen until then)
	ok, scr = after_resize(tmux, lambda s: max(len(l) for l in s.splitlines() or [""]) <= 80
			      and "Connect latency" in s and "REMOTE" in s and s.splitlines()
			      and re.search(r"\bdrop(ped)? \d", s.splitlines()[0])
			      and "F1" in s.rstrip().splitlines()[-1], 4)
	lines = scr.splitlines()
	# the first line's compact forms: "dropped" or, narrower, "drop"; the cost always
	tap.ok(ok and len(lines) <= 24 and "LOCAL" in scr and "DESTINATION" in scr and
	       re.search(r"\bdrop(ped)? \d", lines[0]) and " cpu " in lines[0],
	       "resized to 80x24: status, both panels, addresses kept", scr)
	tmux.resize(30, 8)
	ok, scr = after_resize(tmux, lambda s: "too small" in s, 4)
	tap.ok(ok, "a too-small terminal gets a readable message", scr)
	tmux.resize(COLS, ROWS)
	ok, scr = after_resize(tmux, lambda s: "Connect latency" in s, 4)
	tap.ok(ok, "back to 120x40", scr)

	# ---- quit ----
	tmux.keys("q")
	ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s and "icanon" in s, 6)
	tap.ok(ok and "TCPLENS-EXIT=0" in scr, "q quits with status 0", scr)
	tap.ok("tcplens up" not in scr and "Connect latency" not in scr,
	       "the alternate screen is gone after quit", scr)
	flags = scr.split()
	tap.ok("icanon" in flags and "echo" in flags, "terminal modes restored (icanon echo)", scr)
	tap.ok(pid is None or not os.path.exists("/proc/%d" % pid), "tcplens process has exited")



def alive(pid):
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return False
	return st[st.rindex(")") + 2] not in "ZX"


def squeezed(hdr_rows):
	"""session_rows' (header, rows) with each run of blanks as one."""
	hdr, rows = hdr_rows
	return " ".join(hdr.split()), [" ".join(r.split()) for r in rows]


def readable_rows(scr):
	"""Session rows that look like rows (a time first) and no placeholder."""
	_, rows = session_rows(scr)
	good = [r for r in rows if re.match(r"\s*\d\d:\d\d:\d\d ", r)]
	return good, [r for r in rows if "no longer retained" in r]


def history_test(tap, tmux, binary):
	"""--history 1000, paused, while the ring overwrites every row the paused
	view showed: the held view stays readable and whole; End, PgUp, Enter,
	sort and search work on it (they used to crash, then to renew the view).
	tests/ui/t_pause.py checks that the screen stays exactly the same."""
	env = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
	tmux.start("env %s %s --history 1000 -d %s %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (env, binary, INTERVAL, own_filter()))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Sessions" in s, 20)
	if not tap.ok(up, "--history 1000: monitor starts", scr):
		return
	pid = child_pid(tmux.pane_pid(), "tcplens")
	bulk = BulkServer()
	try:
		history_steps(tap, tmux, pid, bulk)
	finally:
		bulk.close()
	tmux.keys("q")
	ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
	tap.ok(ok and "TCPLENS-EXIT=0" in scr, "--history 1000: q quits with status 0 (no crash)",
	       scr)


def history_steps(tap, tmux, pid, bulk):
	bulk.burst(700)		# 1400 sessions: the ring of 1000 has wrapped
	ok, scr = wait_screen(tmux, lambda s: "1,000 retained" in s, 10)
	tap.ok(ok, "history full: 1000 sessions retained", scr)

	# 1. newest first: the ring overwrites the oldest rows the view showed
	tmux.keys("Z")
	ok, scr = wait_screen(tmux, lambda s: "PAUSED" in status(s), 3)
	tap.ok(ok, "paused", status(scr))
	bulk.burst(30)
	ok, scr = wait_screen(tmux, lambda s: "new sessions" in status(s) and
			      not re.search(r"\b0 new sessions", status(s)), 5)
	tap.ok(ok and "overwritten" not in status(scr),
	       "paused: the status line counts the new sessions, nothing is overwritten", status(scr))
	tmux.keys("End", "Enter")	# the oldest held row, then Enter
	ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 3)
	tap.ok(ok and alive(pid) and "Remote port" in scr,
	       "paused, the ring wrapped: End then Enter opens the oldest held row", scr)
	tmux.keys("Escape")
	ok, scr = wait_screen(tmux, lambda s: readable_rows(s)[0] and not readable_rows(s)[1], 3)
	tap.ok(ok and alive(pid) and "PAUSED" in status(scr),
	       "after End: still paused, every held row readable", scr)
	tmux.keys("PPage", "PPage", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 3)
	tap.ok(ok and alive(pid) and "Remote port" in scr, "PgUp, Enter: the detail view opens",
	       scr)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Connect latency" in s, 3)

	# 2. everything the view showed overwritten while paused at the top
	tmux.keys("Home")
	before = keys_done(tmux)
	n = new_since_pause(before)[0] + 600 + bulk.burst(600)	# client and server sides
	ok, scr = wait_screen(tmux, lambda s: (new_since_pause(s) or (0, 0))[0] >= n, 10)
	tmux.keys("Down", "Up")	# keys redraw the view at once
	scr = keys_done(tmux)
	# the same rows; blanks aside: a column that widened keeps its width for
	# a while (steady columns), and narrows again later
	same = squeezed(session_rows(scr)) == squeezed(session_rows(before))
	tap.ok(ok and alive(pid) and "PAUSED" in status(scr) and "renewed" not in scr and
	       same and not readable_rows(scr)[1],
	       "the whole view overwritten in the ring while paused: the same rows",
	       "%s\n--- before\n%s" % (scr, before))
	tmux.keys("/")
	expect(tmux, lambda s: "Search:" in footer(s), 3, "search prompt")
	tmux.literal(":%d" % bulk.port)
	tmux.keys("F3", "F3", "Escape")
	wait_screen(tmux, lambda s: "Search:" not in footer(s), 3)
	scr = tmux.settled()
	tap.ok(alive(pid) and readable_rows(scr)[0], "search over a paused, wrapped view", scr)

	# 3. sorted by PID while paused: the held rows in a new order
	tmux.keys(">")
	ok, scr = wait_screen(tmux, lambda s: "sort PID" in status(s), 3)
	tap.ok(ok and "PAUSED" in status(scr), "sort by PID while paused", status(scr))
	tmux.keys("End")
	n = new_since_pause(keys_done(tmux))[0] + 100 + bulk.burst(100)
	expect(tmux, lambda s: (new_since_pause(s) or (0, 0))[0] >= n, 10,
	       "the burst's sessions counted (%d since the pause)" % n)
	tmux.keys("PPage", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 3)
	tap.ok(ok and alive(pid), "sorted paused view, ring wrapped: PgUp, Enter open a detail", scr)
	tmux.keys("Escape")
	scr = expect(tmux, lambda s: "Connect latency" in s and new_since_pause(s), 3, "main screen")
	n = new_since_pause(scr)[0] + 600 + bulk.burst(600)
	expect(tmux, lambda s: (new_since_pause(s) or (0, 0))[0] >= n, 10,
	       "the burst's sessions counted (%d since the pause)" % n)
	tmux.keys("/")
	expect(tmux, lambda s: "Search:" in footer(s), 3, "search prompt")
	tmux.literal("127.0.0.1")
	tmux.keys("F3", "Enter", "n", "End", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 3)
	tap.ok(ok and alive(pid), "sorted paused view, ring wrapped again: search, End, Enter", scr)
	tmux.keys("Escape")
	ok, scr = wait_screen(tmux, lambda s: readable_rows(s)[0] and not readable_rows(s)[1], 3)
	tap.ok(ok, "the screen is readable afterwards", scr)
	tmux.keys("Z")
	ok, scr = wait_screen(tmux, lambda s: "PAUSED" not in status(s), 3)
	tap.ok(ok and alive(pid), "resume after all that", status(scr))


def sigterm_test(tap, tmux, binary):
	"""Also: an ASCII locale gets ASCII rules, and --no-color starts fine."""
	tmux.start("env LANG=C LC_ALL=C TERM=screen-256color %s --no-color %s; echo TCPLENS-EXIT=$?; "
		   "stty -a; sleep 600" % (binary, own_filter()))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Connect latency" in s, 20)
	tap.ok(up and "\u2500" not in scr and "- Sessions" in scr and "- Connect latency" in scr,
	       "C locale, --no-color: ASCII rules, no line-drawing characters", scr)
	pid = child_pid(tmux.pane_pid(), "tcplens")
	if pid:
		os.kill(pid, 15)
	ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s and "icanon" in s, 6)
	flags = scr.split()
	tap.ok(up and ok and "TCPLENS-EXIT=0" in scr and "icanon" in flags and
	       "tcplens up" not in scr, "SIGTERM: exit 0 and the terminal restored", scr)


def start_traced(argv):
	"""A tcplens line mode or -b, once its probes are attached (its
	"tracing" line on stderr): (process, stderr so far as text)."""
	p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
	err = ""
	end = time.monotonic() + 20
	while time.monotonic() < end and "tracing" not in err:
		r, _, _ = select.select([p.stderr], [], [], 0.5)
		if r:
			chunk = os.read(p.stderr.fileno(), 4096).decode(errors="replace")
			if not chunk:
				break
			err += chunk
	return p, err


def batch_tests(tap, binary):
	srv = Server()
	other = Server()
	try:
		t0 = time.time()
		p = subprocess.Popen([binary, "-b", "-n", "2", "-d", "0.5"] + own_filter().split(),
				     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
		out, err = p.communicate(timeout=30)
		dt = time.time() - t0
		snaps = [l for l in out.splitlines() if l.startswith("tcplens ")]
		tap.ok(p.returncode == 0 and len(snaps) == 2 and out.count("Connect latency") == 2,
		       "-b -n 2 -d 0.5: two snapshots, exit 0 (%.1f s)" % dt,
		       "rc=%s\nstderr=%s\n%s" % (p.returncode, err, out[-2000:]))

		# -f: the filter applies to batch snapshots; traffic made while it runs
		p, err = start_traced([binary, "-b", "-n", "1", "-d", "1", "-f", "port=%d" % srv.port])
		t0 = time.monotonic()
		for _ in range(2):
			connect_once("127.0.0.1", srv.port)
			connect_once("127.0.0.1", other.port)
		made = time.monotonic() - t0
		out, err2 = p.communicate(timeout=30)
		err += err2
		# the snapshot comes 1 s after the probes are attached: the
		# connects (made in well under that) are in it
		tap.ok(made < 0.9, "ground truth: the connects were made before the snapshot "
		       "(%.2f s)" % made)
		tap.ok(p.returncode == 0 and ("127.0.0.1:%d" % srv.port) in out and
		       ":%d" % other.port not in out and "filter: port=%d" % srv.port in out,
		       "-b -f port=N: that port's rows only", out[-3000:] + err)

		p = subprocess.run([binary, "-b", "-n", "1", "-f", "nonsense=="],
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
		tap.ok(p.returncode == 2 and "filter" in p.stderr and not p.stdout,
		       "-f with a malformed filter: one line on stderr, exit 2",
		       "rc=%s stderr=%s" % (p.returncode, p.stderr))

		p = subprocess.run([binary, "-b", "-n", "1", "-d", "0.5", "-f", "  \t "],
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
		tap.ok(p.returncode == 0 and "filter: none\n" in p.stdout,
		       "-f with only blanks: no filter, shown as none",
		       "rc=%s stderr=%s\n%s" % (p.returncode, p.stderr, p.stdout[:600]))
	finally:
		srv.close()
		other.close()


LONG6 = "fd7c:3a1e:9b2d:4f60:8e15:c7a2:d3b4:e5f6"	# 39 characters, wider than a column's cap


def columns_aligned(lines):
	"""Every row's cells start (left-aligned columns) or end (right-aligned)
	where their header does. Returns the first misaligned row, or None."""
	hdr = lines[0]
	spans = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", hdr)]
	left = {"TIME", "COMM", "UNIT", "DIR", "LOCAL", "REMOTE", "DESTINATION", "DIST"}
	for row in lines[1:]:
		for a, b, name in spans:
			if name == "DIST":
				# a histogram of fixed bins: its first one may be empty (a
				# blank where the cell starts); nothing may run into it
				if a >= len(row) or not row[a:].strip() or (a > 0 and row[a - 1] != " "):
					return row
			elif name in left:
				if a >= len(row) or row[a] == " " or (a > 0 and row[a - 1] != " "):
					return row
			elif b > len(row) or row[b - 1] == " " or (b < len(row) and row[b] != " "):
				return row
	return None


def batch_table(out, title):
	"""The header and rows of one -b table (up to the next blank line)."""
	lines = out.splitlines()
	for i, l in enumerate(lines):
		if l.startswith(title):
			block = []
			for r in lines[i + 1:]:
				if not r.strip():
					break
				block.append(r)
			return block
	return []


def batch_ipv6_test(tap, binary):
	"""-b with endpoints wider than the screen's column cap: cells whole,
	columns aligned, no blanks at the end of a line."""
	added = subprocess.run(["ip", "-6", "addr", "add", LONG6 + "/128", "dev", "lo", "nodad"],
			       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
	if added.returncode != 0:
		tap.ok(False, "could add %s to lo for the IPv6 batch test" % LONG6, added.stderr)
		return
	srv = socket.socket(socket.AF_INET6)
	try:
		srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		srv.bind((LONG6, 0))
		srv.listen(16)
		port = srv.getsockname()[1]
		p, _ = start_traced([binary, "-b", "-n", "1", "-d", "1", "-f", "port=%d" % port])
		for _ in range(2):
			c = socket.socket(socket.AF_INET6)
			c.bind((LONG6, 0))
			c.connect((LONG6, port))
			a, _ = srv.accept()
			c.sendall(b"x" * 3000)
			c.close()
			a.close()
		out, err = p.communicate(timeout=30)
		ep = "[%s]:%d" % (LONG6, port)
		sess = batch_table(out, "Sessions ended since")
		dest = batch_table(out, "Connect latency by")
		tap.ok(p.returncode == 0 and len(sess) >= 3 and all(ep in r for r in sess[1:]) and
		       len(dest) >= 2 and dest[1].startswith(ep),
		       "-b: long IPv6 endpoints are printed whole", out + err)
		bad = columns_aligned(sess) if sess else "(no table)"
		tap.ok(bad is None, "-b: session columns stay aligned after a long IPv6 cell",
		       "%s\n%s" % (bad, "\n".join(sess)))
		bad = columns_aligned(dest) if dest else "(no table)"
		tap.ok(bad is None, "-b: latency columns stay aligned after a long IPv6 cell",
		       "%s\n%s" % (bad, "\n".join(dest)))
		trailing = [l for l in out.splitlines() if l != l.rstrip()]
		tap.ok(not trailing, "-b: no line ends with blanks", "\n".join(repr(l) for l in trailing))
	finally:
		srv.close()
		subprocess.run(["ip", "-6", "addr", "del", LONG6 + "/128", "dev", "lo"],
			       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)



if __name__ == "__main__":
	sys.exit(main())
