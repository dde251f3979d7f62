#!/usr/bin/env python3
"""End-to-end tests of the full-screen monitor and of -b (TAP).

Usage: run.py --tcplens BUILD/tcplens

Starts tcplens as root inside a private tmux server, makes real loopback
connections with known destinations (accepted, refused, one slowed to about
1 s by a full accept queue), reads the screen with `tmux capture-pane -p`
and asserts what a person would see. Then drives keys with send-keys.
Needs root and tmux; otherwise prints "1..0 # SKIP reason".
"""
import argparse
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import *  # noqa: E402,F401,F403


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--tcplens", required=True)
	ap.add_argument("--only", action="append",
			help="run only these groups: main, term, history, batch, or a t_NAME.py "
			"module's NAME (repeatable)")
	args = ap.parse_args()
	extra = extra_groups()
	want = set(args.only or ["main", "term", "history", "batch"] + sorted(extra))
	binary = os.path.abspath(args.tcplens)
	if os.geteuid() != 0:
		print("1..0 # SKIP needs root (BPF)")
		return 0
	if not shutil.which("tmux"):
		print("1..0 # SKIP tmux not installed")
		return 0
	tap = Tap()
	if "main" in want:
		tmux = Tmux()
		servers = []
		try:
			run_all(tap, tmux, binary, servers)
		except Exception:
			import traceback
			tap.ok(False, "monitor tests ran to the end", traceback.format_exc())
		finally:
			tmux.kill()
			for s in servers:
				s.close()
	if "term" in want:
		tmux = Tmux("term")
		try:
			sigterm_test(tap, tmux, binary)
		except Exception:
			import traceback
			tap.ok(False, "SIGTERM test ran to the end", traceback.format_exc())
		finally:
			tmux.kill()
	if "history" in want:
		tmux = Tmux("hist")
		try:
			history_test(tap, tmux, binary)
		except Exception:
			import traceback
			tap.ok(False, "history wrap test ran to the end", traceback.format_exc())
		finally:
			tmux.kill()
	if "batch" in want:
		batch_tests(tap, binary)
		try:
			batch_ipv6_test(tap, binary)
		except Exception:
			import traceback
			tap.ok(False, "batch IPv6 test ran to the end", traceback.format_exc())
	for name in sorted(extra):
		if name not in want:
			continue
		try:
			extra[name].run(tap, binary)
		except Exception:
			import traceback
			tap.ok(False, "%s tests ran to the end" % name, traceback.format_exc())
	return tap.done()


def extra_groups():
	"""Each tests/ui/t_NAME.py is a group NAME: a module with run(tap, binary).
	Groups live in their own files so that topics stay apart."""
	import importlib
	here = os.path.dirname(os.path.abspath(__file__))
	groups = {}
	for f in sorted(os.listdir(here)):
		if f.startswith("t_") and f.endswith(".py"):
			groups[f[2:-3]] = importlib.import_module(f[:-3])
	return groups


def run_all(tap, tmux, binary, servers):
	env = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
	tmux.start("env %s %s -d %s; echo TCPLENS-EXIT=$?; stty -a; sleep 600" % (env, binary, INTERVAL))
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

	def all_there(s):
		rows = {r.get("DESTINATION"): r for r in dest_table(s)}
		return okdest in rows and refdest in rows and slowdest in rows
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
	tmux.keys("Tab")
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
	ok1, scr = wait_screen(tmux, lambda s: "sort P99 desc" in status(s), 3)
	tmux.keys("BTab")
	ok2, scr2 = wait_screen(tmux, lambda s: "sort TIME desc" in status(s), 3)
	tap.ok(ok1 and ok2, "Shift-Tab moves the focus too", status(scr) + "\n" + status(scr2))

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
	time.sleep(1.2)		# two refreshes
	scr = tmux.screen()
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
	time.sleep(2.0)		# four refresh intervals
	scr = tmux.screen()
	m = re.search(r"PAUSED \u00b7 ([\d,]+) new sessions, ([\d,]+) connects since pause", status(scr))
	tap.ok(newdest not in scr and m and int(m.group(1).replace(",", "")) >= 6 and
	       int(m.group(2).replace(",", "")) >= 3,
	       "while paused new traffic is not shown, and is counted in words", scr)
	tmux.keys("Z")
	ok, scr = wait_screen(tmux, lambda s: newdest in s and "PAUSED" not in status(s), 3)
	tap.ok(ok, "after resume the new traffic appears", scr)

	# ---- scroll: the view holds still while scrolled, follows at the top ----
	for _ in range(30):
		connect_once("127.0.0.1", ok_srv.port)
	time.sleep(1.2)
	tmux.keys("j", "j", "j")
	ok, scr = wait_screen(tmux, lambda s: "scrolled" in s, 2)
	_, before = session_rows(scr)
	more = Server()
	servers.append(more)
	for _ in range(3):
		connect_once("127.0.0.1", more.port)
	time.sleep(1.5)
	scr = tmux.screen()
	_, after = session_rows(scr)
	tap.ok(ok and before and after[:5] == before[:5] and
	       not any(":%d" % more.port in l for l in after),
	       "scrolled away: new rows do not move the view", scr)
	tmux.keys("End")
	time.sleep(0.3)
	_, end_rows = session_rows(tmux.screen())
	tmux.keys("Home")
	ok, scr = wait_screen(tmux, lambda s: ":%d" % more.port in s and "scrolled" not in s, 3)
	tap.ok(ok and end_rows != after, "End goes to the oldest rows, Home back to the newest "
	       "(following again)", scr)
	tmux.keys("NPage")
	time.sleep(0.3)
	_, pg = session_rows(tmux.screen())
	tmux.keys("Home")
	tap.ok(pg and pg[:3] != after[:3], "PgDn moves a page", pg[:3])

	# ---- help, detail ----
	tmux.keys("F1")
	ok, scr = wait_screen(tmux, lambda s: "Help" in s and "sessions are kept" in s, 2)
	tap.ok(ok and "200000" in scr and "(other)" in scr,
	       "F1 help: keys, history retained (200000), max-dests folding", scr)
	help_text = scr
	for _ in range(3):
		tmux.keys("NPage")
		time.sleep(0.3)
		help_text += tmux.screen()
	want = ["lat>MS", "lat<MS", "connects only", "session table empties",
		"refused + timed out + other errors", "need not add up to FAIL",
		"Connects: the newest 50000 are kept", "computed from these retained connects",
		"Shift-Tab", "click a row", "Backspace", "Ctrl-U", "F3 in the prompt: next match",
		"quit on the main screen; on help/detail/log: back"]
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
	tmux.keys("Tab")
	wait_screen(tmux, lambda s: "filter none" in status(s), 3)

	# ---- resize ----
	tmux.resize(80, 24)
	ok, scr = wait_screen(tmux, lambda s: max(len(l) for l in s.splitlines() or [""]) <= 80
			      and "Connect latency" in s and "REMOTE" in s, 4)
	lines = scr.splitlines()
	# the first line's compact forms: "dropped" or, narrower, "drop"; the cost always
	tap.ok(ok and len(lines) <= 24 and "LOCAL" in scr and "DESTINATION" in scr and
	       re.search(r"\bdrop(ped)? \d", lines[0]) and " cpu " in lines[0],
	       "resized to 80x24: status, both panels, addresses kept", scr)
	tmux.resize(30, 8)
	ok, scr = wait_screen(tmux, lambda s: "too small" in s, 4)
	tap.ok(ok, "a too-small terminal gets a readable message", scr)
	tmux.resize(COLS, ROWS)
	ok, scr = wait_screen(tmux, lambda s: "Connect latency" in s, 4)
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
	tmux.start("env %s %s --history 1000 -d %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (env, binary, INTERVAL))
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
	time.sleep(0.5)
	before = tmux.screen()
	bulk.burst(600)
	time.sleep(1.5)
	tmux.keys("Down", "Up")	# keys redraw the view at once
	time.sleep(0.5)
	scr = tmux.screen()
	tap.ok(alive(pid) and "PAUSED" in status(scr) and "renewed" not in scr and
	       session_rows(scr) == session_rows(before) and not readable_rows(scr)[1],
	       "the whole view overwritten in the ring while paused: the same rows", scr)
	tmux.keys("/")
	wait_screen(tmux, lambda s: "Search:" in s, 2)
	tmux.literal(":%d" % bulk.port)
	tmux.keys("F3", "F3", "Escape")
	time.sleep(0.5)
	scr = tmux.screen()
	tap.ok(alive(pid) and readable_rows(scr)[0], "search over a paused, wrapped view", scr)

	# 3. sorted by PID while paused: the held rows in a new order
	tmux.keys(">")
	ok, scr = wait_screen(tmux, lambda s: "sort PID" in status(s), 3)
	tap.ok(ok and "PAUSED" in status(scr), "sort by PID while paused", status(scr))
	tmux.keys("End")
	time.sleep(0.5)
	bulk.burst(100)
	time.sleep(1.2)
	tmux.keys("PPage", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 3)
	tap.ok(ok and alive(pid), "sorted paused view, ring wrapped: PgUp, Enter open a detail", scr)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Connect latency" in s, 3)
	bulk.burst(600)
	time.sleep(1.2)
	tmux.keys("/")
	wait_screen(tmux, lambda s: "Search:" in s, 2)
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
	tmux.start("env LANG=C LC_ALL=C TERM=screen-256color %s --no-color; echo TCPLENS-EXIT=$?; "
		   "stty -a; sleep 600" % binary)
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


def batch_tests(tap, binary):
	srv = Server()
	other = Server()
	try:
		t0 = time.time()
		p = subprocess.Popen([binary, "-b", "-n", "2", "-d", "0.5"], stdout=subprocess.PIPE,
				     stderr=subprocess.PIPE, text=True)
		out, err = p.communicate(timeout=30)
		dt = time.time() - t0
		snaps = [l for l in out.splitlines() if l.startswith("tcplens ")]
		tap.ok(p.returncode == 0 and len(snaps) == 2 and out.count("Connect latency") == 2,
		       "-b -n 2 -d 0.5: two snapshots, exit 0 (%.1f s)" % dt,
		       "rc=%s\nstderr=%s\n%s" % (p.returncode, err, out[-2000:]))

		# -f: the filter applies to batch snapshots; traffic made while it runs
		p = subprocess.Popen([binary, "-b", "-n", "1", "-d", "2", "-f", "port=%d" % srv.port],
				     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
		time.sleep(1.0)		# probes attach
		for _ in range(2):
			connect_once("127.0.0.1", srv.port)
			connect_once("127.0.0.1", other.port)
		out, err = p.communicate(timeout=30)
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
			if name in left:
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
		p = subprocess.Popen([binary, "-b", "-n", "1", "-d", "2", "-f", "port=%d" % port],
				     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
		time.sleep(1.0)		# probes attach
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
