"""Fixes found by a newcomer (issue 8, item 7), each seen as a person would:
TERM=dumb, long prompts, the search prompt, Esc, separators, the status
line's panel name, the footer and the too-small screen at small sizes, the
DIR sort arrow, one-time messages, the session title, --bogus, and one
escaping of a process name with invalid UTF-8 on screen, in life and JSON.

Every check looks only at this test's own traffic (ports it opened, its
own child process), sends only to loopback and bounds each load."""
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import *  # noqa: E402,F401,F403

ENV = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
FOOTER_ITEMS = ["F1Help", "F3Search", "F4Filter", "F6Sort", "F10Quit", "Tab Focus",
		"Enter Detail", "Space Pause", "g Group", "w Window", "l Log"]
BAD_NAME = b"t\xff\xfe"		# invalid UTF-8 in a process name
BAD_SHOWN = r"t\xff\xfe"		# how every output must show it (fits life's COMM)


def in_tmux(name, fn):
	"""A part that runs fn(tap, tmux, binary) in a tmux of its own."""
	def part(tap, binary):
		tmux = Tmux("nc%d" % len(name))
		try:
			fn(tap, tmux, binary)
		except Exception:
			import traceback
			tap.ok(False, "newcomer: %s tests ran to the end" % name, traceback.format_exc())
		finally:
			tmux.kill()
	return part


def short_ones(tap, binary):
	bogus_test(tap, binary)
	in_tmux("TERM=dumb", dumb_test)(tap, binary)
	in_tmux("one-time message", message_test)(tap, binary)



def bogus_test(tap, binary):
	p = subprocess.run([binary, "--bogus"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
			   text=True, timeout=10)
	tap.ok(p.returncode == 2 and p.stderr.count("tcplens:") == 1 and
	       p.stderr.startswith("tcplens: unknown or ambiguous option '--bogus'") and
	       p.stderr.count("\n") == 1 and not p.stdout,
	       "--bogus: one line with one 'tcplens:' prefix, exit 2",
	       "rc=%s stderr=%r" % (p.returncode, p.stderr))


def dumb_test(tap, tmux, binary):
	"""A terminal without cursor addressing gets -b snapshots and one note."""
	srv = Server()
	try:
		own = own_filter()
		tmux.start("env LANG=C.UTF-8 TERM=dumb %s -n 2 -d 0.2 %s -f port=%d; echo TCPLENS-EXIT=$?; "
			   "env LANG=C.UTF-8 TERM=tl-no-such-term %s -n 1 -d 0.2 %s -f port=%d; "
			   "echo TCPLENS-EXIT2=$?; sleep 600" % (binary, own, srv.port, binary, own, srv.port))
		ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT2=" in s, 30)
		lines = scr.splitlines()
		notes = [l for l in lines if "cannot place the cursor" in l]
		tap.ok(ok and len(notes) == 1 and notes[0].startswith("tcplens: TERM=dumb") and
		       "-b" in notes[0], "TERM=dumb: one note on stderr says it cannot place the "
		       "cursor and prints -b snapshots", scr)
		snaps = [l for l in lines if re.match(r"tcplens \d\d:\d\d:\d\d up ", l)]
		tap.ok(len(snaps) >= 3 and "TCPLENS-EXIT=0" in scr and
		       scr.count("Connect latency by destination") >= 3 and
		       "filter: port=%d" % srv.port in scr,
		       "TERM=dumb: the -b snapshots follow (two, exit 0), not a screen on one line",
		       scr)
		notes = [l for l in lines if "not a known terminal type" in l]
		tap.ok(len(notes) == 1 and "TERM=tl-no-such-term" in notes[0] and
		       "TCPLENS-EXIT2=0" in scr, "an unknown TERM: one note, -b snapshots, exit 0", scr)
	finally:
		srv.close()


def sessions_title(scr):
	m = re.search(r"Sessions: ([\d,]+) shown, ([\d,]+) retained", scr)
	return (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) if m else None


def monitor_test(tap, tmux, binary):
	srv = Server()
	bulk = BulkServer()
	try:
		monitor_steps(tap, tmux, binary, srv, bulk)
	finally:
		srv.close()
		bulk.close()


def type_filter(tmux, text):
	tmux.keys("\\")
	wait_screen(tmux, lambda s: "Filter:" in footer(s), 2)
	tmux.keys("C-u")
	tmux.literal(text)


def monitor_steps(tap, tmux, binary, srv, bulk):
	tmux.start("env %s %s -d %s %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (ENV, binary, INTERVAL, own_filter()))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Sessions" in s, 20)
	if not tap.ok(up, "newcomer: monitor starts", scr):
		return
	for _ in range(3):
		connect_once("127.0.0.1", srv.port)
	mine = "127.0.0.1:%d" % srv.port

	# ---- the status line names the panel its sort belongs to ----
	ok1, scr = wait_screen(tmux, lambda s: "sessions sort TIME desc" in status(s), 3)
	tmux.keys("Tab")
	ok2, scr2 = wait_screen(tmux, lambda s: "latency sort FAIL% desc" in status(s), 3)
	tmux.keys("Tab")
	tap.ok(ok1 and ok2, "status line: 'sessions sort TIME desc', after Tab "
	       "'latency sort FAIL% desc' (the default)", status(scr) + "\n" + status(scr2))

	# ---- Esc on the main screen does nothing; an empty filter clears ----
	type_filter(tmux, "port=%d" % srv.port)
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "filter port=%d" % srv.port in status(s) and
			      mine in s, 3)
	tap.ok(ok, "filter port=N applied", scr)
	tmux.keys("Escape")
	scr = wait_refreshes(tmux, 2)
	_, rows = session_rows(scr)
	tap.ok("filter port=%d" % srv.port in status(scr) and rows and
	       all(":%d" % srv.port in r for r in rows),
	       "Esc on the main screen: the filter stays (as in htop)", scr)
	clear_filter(tmux)
	ok, scr = wait_screen(tmux, lambda s: "filter none" in status(s), 3)
	tap.ok(ok, "an empty filter (\\, Ctrl-U, Enter) clears it", status(scr))

	# ---- a long filter: accepted whole, the prompt scrolls ----
	long_text = "fam=4 " * 60 + "port=%d" % srv.port	# 366 bytes, over the old 255
	type_filter(tmux, long_text)
	want_end = "port=%d_" % srv.port
	ok, scr = wait_screen(tmux, lambda s: footer(s).rstrip().endswith(want_end) or
			      want_end + " " in footer(s), 5)
	foot = footer(scr)
	tap.ok(ok and foot.startswith("Filter: \u2026") and len(foot) <= COLS,
	       "a 366-byte filter at the prompt: it scrolls, the end and the cursor stay on "
	       "screen", foot)
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "filter fam=4 fam=4" in status(s), 3)
	_, rows = session_rows(scr)
	tap.ok(ok and "unknown filter term" not in scr and rows and
	       all(":%d" % srv.port in r for r in rows),
	       "the 366-byte filter applies whole (it was cut at 255: 'unknown filter term')", scr)
	clear_filter(tmux)
	wait_screen(tmux, lambda s: "filter none" in status(s), 3)

	# past the bound: a clear message, nothing cut silently
	type_filter(tmux, "x" * 4100)
	ok, scr = wait_screen(tmux, lambda s: "at most 4095 bytes" in s, 15)
	tap.ok(ok, "4100 bytes typed: the status line says the prompt takes at most 4095 bytes",
	       status(scr))
	tmux.keys("Escape")
	ok, scr = wait_screen(tmux, lambda s: "Filter:" not in footer(s), 3)
	tap.ok(ok and "filter none" in status(scr), "Esc leaves the prompt, the filter unchanged",
	       status(scr))

	# ---- the search prompt opens empty ----
	tmux.keys("/")
	wait_screen(tmux, lambda s: "Search:" in footer(s), 2)
	tmux.literal("127.0.0.1")
	tmux.keys("Enter")
	wait_screen(tmux, lambda s: "Search:" not in footer(s), 2)
	tmux.keys("/")
	ok, scr = wait_screen(tmux, lambda s: "Search:" in footer(s), 2)
	tap.ok(ok and footer(scr).startswith("Search: _"),
	       "the search prompt opens empty, not with the last search to append to",
	       footer(scr))
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Search:" not in footer(s), 2)

	# ---- separators in titles and the status line; titles agree ----
	type_filter(tmux, "port=%d" % bulk.port)
	tmux.keys("Enter")
	wait_screen(tmux, lambda s: "filter port=%d" % bulk.port in status(s), 3)
	n = 600 + bulk.burst(600)	# 1,200 sessions: client and server side of each
	want = "{:,} shown".format(n)
	ok, scr = wait_screen(tmux, lambda s: want in s, 10)
	tap.ok(ok and n > 1000, "session title with separators: '%s' for our 600 connections "
	       "(and their server sides)" % want, scr)
	m = re.search(r"sess(?:ions)? ([\d,]+)", status(scr))
	tap.ok(m and re.fullmatch(r"\d{1,3}(,\d{3})+", m.group(1)) is not None,
	       "status line total with separators (at least 1,200 sessions)", status(scr))
	clear_filter(tmux)
	wait_screen(tmux, lambda s: "filter none" in status(s), 3)

	# no filter, no pause: shown == retained at every draw, keys included
	stop = threading.Event()

	def load():
		end = time.time() + 3
		while not stop.is_set() and time.time() < end:
			bulk.burst(5, settle=False)
			time.sleep(0.01)
	t = threading.Thread(target=load)
	t.start()
	bad, seen = [], 0
	panels = ["sessions", "latency", "open"]		# the order Tab goes round in
	m = re.search(r"(\w+) sort ", status(tmux.screen()))
	cur = panels.index(m.group(1)) if m and m.group(1) in panels else 0
	for i in range(20):
		tmux.keys("Tab")	# a redraw between refreshes, without a rebuild
		want = "%s sort" % panels[(cur + i + 1) % 3]
		ok, scr = wait_screen(tmux, lambda s: want in status(s), 2)	# the Tab's draw
		got = sessions_title(scr) if ok else None
		if got:
			seen += 1
			if got[0] != got[1]:
				bad.append(got)
	stop.set()
	t.join(5)
	tap.ok(seen >= 15 and not bad, "no filter, no pause: 'N shown, M retained' agree at every "
	       "draw while sessions arrive (%d screens)" % seen, bad[:5])

	# ---- sorting by DIR keeps its arrow ----
	# the Tab redraws above went round three panels: back to the sessions
	for _ in range(3):
		scr = tmux.settled()
		if "sessions sort" in status(scr):
			break
		tmux.keys("Tab")
		wait_screen(tmux, lambda s: status(s) != status(scr), 2)
	for _ in range(3):
		tmux.keys(">")
	ok, scr = wait_screen(tmux, lambda s: "sort DIR asc" in status(s), 3)
	hdr, _ = session_rows(scr)
	tap.ok(ok and "DIR\u25b2" in hdr, "sorted by DIR: the header shows DIR with its arrow", hdr)
	for _ in range(3):
		tmux.keys("<")
	wait_screen(tmux, lambda s: "sort TIME desc" in status(s), 3)

	# ---- 80 columns: the footer drops whole items ----
	tmux.resize(80, 24)
	ok, scr = after_resize(tmux, lambda s: len(s.splitlines()) <= 24 and
			       max(len(l) for l in s.splitlines() or [""]) <= 80 and "F1Help" in s, 4)
	foot = footer(scr).rstrip()
	rest = foot
	for item in FOOTER_ITEMS:
		if rest.startswith(item):
			rest = rest[len(item):].lstrip(" ")
	tap.ok(ok and foot and rest == "" and foot.endswith(tuple(FOOTER_ITEMS)),
	       "80 columns: the footer is whole items only, none cut mid-word", foot)

	# ---- the too-small screen shows the size it needs ----
	tmux.resize(20, 5)
	ok, scr = after_resize(tmux, lambda s: "40x10" in s, 4)
	tap.ok(ok and "40x10" in scr.splitlines()[0], "20x5: the needed size 40x10 is on screen",
	       scr)
	tmux.resize(COLS, ROWS)
	ok, scr = after_resize(tmux, lambda s: "Connect latency" in s, 4)
	tap.ok(ok, "back to %dx%d" % (COLS, ROWS), scr)

	tmux.keys("q")
	ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
	tap.ok(ok and "TCPLENS-EXIT=0" in scr, "newcomer monitor: q quits with status 0", scr)


def message_test(tap, tmux, binary):
	"""-d 10: only a key can redraw soon, so a message that goes at once went
	because of the key."""
	tmux.start("env %s %s -d 10 %s; echo TCPLENS-EXIT=$?; sleep 600" % (ENV, binary, own_filter()))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Sessions" in s, 20)
	if not tap.ok(up, "-d 10: monitor starts", scr):
		return
	tmux.keys("/")
	wait_screen(tmux, lambda s: "Search:" in footer(s), 2)
	tmux.literal("zq-no-such-row")
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "not found: zq-no-such-row" in status(s) and
			      "Search:" not in footer(s), 3)
	tap.ok(ok, "a search that finds nothing leaves a one-time message", status(scr))
	# the first refresh comes 10 s after the start: the message must go well before
	bound = max(1.5, min(5, 9 - (uptime(scr) or 9)))
	tmux.keys("y")	# bound to nothing
	ok, scr = wait_screen(tmux, lambda s: "not found" not in status(s), bound, exact=True)
	tap.ok(ok, "an unbound character key clears it at once (not at the next 10 s refresh)",
	       status(scr))
	tmux.keys("q")
	ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
	tap.ok(ok and "TCPLENS-EXIT=0" in scr, "-d 10: q quits with status 0", scr)


BAD_CHILD = r"""
import ctypes, socket, sys
name = bytes.fromhex(sys.argv[1])
if ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:
	sys.exit("prctl failed")
with open("/proc/self/comm", "rb") as f:
	print(f.read().rstrip(b"\n").hex(), flush=True)
sys.stdin.readline()
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
s.sendall(b"x" * 100)
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
	pass
s.close()
print("done", flush=True)
"""


def start_line_mode(binary, args):
	"""A line mode, once its probes are attached (its 'tracing' line)."""
	p = subprocess.Popen([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
	end = time.time() + 20
	err = b""
	while time.time() < end and b"tracing" not in err:
		r, _, _ = select.select([p.stderr], [], [], 0.5)
		if r:
			chunk = os.read(p.stderr.fileno(), 4096)
			if not chunk:
				break
			err += chunk
	return p, err


def read_until(outs, done, timeout):
	"""Reads the processes' stdout (outs: process -> bytes so far) until
	done(outs) or timeout seconds; returns outs."""
	end = time.monotonic() + timeout
	while not done(outs) and time.monotonic() < end:
		r, _, _ = select.select([p.stdout for p in outs], [], [], 0.1)
		for p in outs:
			if p.stdout in r:
				outs[p] += os.read(p.stdout.fileno(), 65536)
	return outs


def bad_name_test(tap, tmux, binary):
	srv = Server()
	lines = []
	try:
		tmux.start("env %s %s -d %s %s -f port=%d; echo TCPLENS-EXIT=$?; sleep 600" %
			   (ENV, binary, INTERVAL, own_filter(), srv.port))
		up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Sessions" in s, 20)
		if not tap.ok(up, "-f port=N: monitor starts", scr):
			return
		js, jerr = start_line_mode(binary, ["json", "-D", str(srv.port)])
		life, lerr = start_line_mode(binary, ["life", "-D", str(srv.port)])
		child = subprocess.Popen([sys.executable, "-c", BAD_CHILD, BAD_NAME.hex(), str(srv.port)],
					 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
		comm = bytes.fromhex(child.stdout.readline().strip() or "00")
		tap.ok(comm == BAD_NAME, "ground truth: the child's comm is %r" % BAD_NAME, comm)
		child.stdin.write("go\n")
		child.stdin.flush()
		child.stdout.readline()
		child.wait(10)
		# in the session table (the Open panel may show the connection first)
		ok, scr = wait_screen(tmux, lambda s: any(BAD_SHOWN in l for l in session_rows(s)[1]), 5)
		row = [l for l in session_rows(scr)[1] if BAD_SHOWN in l]
		tap.ok(ok and row and (" %d " % child.pid) in row[0] and "\u00ff" not in scr,
		       "monitor: the name reads %s in its session row (pid %d)" % (BAD_SHOWN, child.pid),
		       scr)
		# both line modes have printed the child's lines (they flush after
		# each batch of events): then they may stop
		pid_json, pid_life = ('"pid":%d' % child.pid).encode(), ("%d " % child.pid).encode()
		got = read_until({js: b"", life: b""}, lambda o: o[js].count(pid_json) >= 2 and
				 any(l.startswith(pid_life) for l in o[life].splitlines()), 5)
		for p in (js, life):
			p.send_signal(signal.SIGINT)
		jout, _ = js.communicate(timeout=10)
		lout, _ = life.communicate(timeout=10)
		jout, lout = got[js] + jout, got[life] + lout
		evs, bad = [], []
		for l in jout.decode("utf-8", "surrogateescape").splitlines():
			try:
				ev = json.loads(l)
			except ValueError:
				bad.append(l)
				continue
			if ev.get("pid") == child.pid:
				evs.append(ev)
		tap.ok(not bad and sorted(e.get("type") for e in evs) == ["connect", "session"] and
		       all(e.get("comm") == BAD_SHOWN for e in evs),
		       "json: valid JSON whose comm decodes to %s, as on screen (not \u00ff\u00fe)" %
		       BAD_SHOWN, "bad=%r\nevents=%r\nstderr=%r" % (bad[:3], evs, jerr))
		tap.ok(b'"comm":"t\\\\xff\\\\xfe"' in jout,
		       "json: the literal text is \"t\\\\xff\\\\xfe\"", jout[-2000:])
		rows = [l for l in lout.decode("utf-8", "surrogateescape").splitlines()
			if l.split()[:1] == [str(child.pid)]]
		tap.ok(len(rows) == 1 and rows[0].split()[1] == BAD_SHOWN and
		       not any(b >= 0x80 for b in lout),
		       "life: the same %s, no raw byte" % BAD_SHOWN, lout[-2000:])
	finally:
		srv.close()
	tmux.keys("q")
	ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
	tap.ok(ok and "TCPLENS-EXIT=0" in scr, "-f port=N: q quits with status 0", scr)


# parts that may run at the same time: each monitor filters on its own
# cgroup (own_filter) or ports
PARTS = [("newcomer", short_ones), ("newcomer-monitor", in_tmux("monitor", monitor_test)),
	 ("newcomer-names", in_tmux("invalid UTF-8 name", bad_name_test))]
