"""A pause that holds, and the cost of watching (issue 8, items 5 and 6).

Every tcplens here runs with -L on the test's own listening port, so the
kernel keeps only this test's sessions: other traffic on the machine can
neither wrap the history nor change a count. All traffic is loopback,
bounded in connections and in time.
"""
import os
import re
import socket
import subprocess
import time

from uilib import (COLS, INTERVAL, BulkServer, Tmux, child_pid, session_rows, status,
		   wait_refreshes, wait_screen)

ENV = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
HISTORY = 1000
STORM = 2500		# sessions while paused: the ring of 1000 wraps 2.5 times


def body(scr):
	"""Everything below the two status lines (they count on while paused),
	with runs of blanks as one: a column that widened for a value seen on
	another page keeps its width for 5 s (steady columns), and that is no
	change in what is held."""
	return "\n".join(" ".join(l.split()) for l in scr.splitlines()[2:])


def new_since(scr):
	m = re.search(r"PAUSED \u00b7 ([\d,]+) new sessions, ([\d,]+) connects since pause", status(scr))
	return (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))) if m else None


def paced(port, rate, secs):
	"""About rate connections a second for secs seconds (at most rate * secs)."""
	t0 = time.time()
	n = 0
	while time.time() - t0 < secs:
		while n < (time.time() - t0) * rate:
			s = socket.create_connection(("127.0.0.1", port), timeout=5)
			s.close()
			n += 1
		time.sleep(0.005)
	return n


def key_screen(tmux, key, before):
	"""Sends key and waits for the screen to settle: changed from before (or
	5 s), then nothing more drawn for 0.1 s (a whole frame, not one caught
	half drawn)."""
	tmux.keys(key)
	wait_screen(tmux, lambda s: body(s) != body(before), 5)
	return tmux.settled(0.1)


def start(tmux, binary, port, extra=""):
	tmux.start("env %s %s --history %d -d %s -L %d %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (ENV, binary, HISTORY, INTERVAL, port, extra))
	up, scr = wait_screen(tmux, lambda s: "Sessions" in s and "cpu " in status(s), 20)
	return up, scr


def pause_holds(tap, binary):
	tmux = Tmux("pause")
	bulk = BulkServer()
	try:
		up, scr = start(tmux, binary, bulk.port)
		if not tap.ok(up, "pause: --history %d -L %d: monitor starts" % (HISTORY, bulk.port), scr):
			return
		pid = child_pid(tmux.pane_pid(), "tcplens")
		# -L: the server sides only (what the listener accepted, see BulkServer)
		got = bulk.burst(1200)
		ok, scr = wait_screen(tmux, lambda s: re.search(r"1,?000 retained", s) and
				      re.search(r"sessions %s\b" % "{:,}".format(got), status(s)), 15)
		tap.ok(ok and got > HISTORY, "%d sessions of our own (1200 connections): the history of "
		       "1000 is full" % got, scr)

		tmux.keys("Z")
		ok, scr = wait_screen(tmux, lambda s: new_since(s) == (0, 0), 3)
		tap.ok(ok, "Z: 'PAUSED \u00b7 0 new sessions, 0 connects since pause'", status(scr))
		held = {"top": tmux.screen()}
		held["pgdn"] = key_screen(tmux, "NPage", held["top"])
		held["end"] = key_screen(tmux, "End", held["pgdn"])
		back = key_screen(tmux, "Home", held["end"])
		_, rows = session_rows(held["top"])
		tap.ok(len(rows) > 10 and body(held["pgdn"]) != body(held["top"]) and
		       body(held["end"]) != body(held["pgdn"]) and body(back) == body(held["top"]),
		       "paused: top, PgDn and End are different pages; Home comes back",
		       "rows %d, pgdn!=top %s, end!=pgdn %s, back==top %s\n--- top\n%s\n--- pgdn\n%s\n--- end\n%s\n--- back\n%s"
		       % (len(rows), body(held["pgdn"]) != body(held["top"]), body(held["end"]) != body(held["pgdn"]),
			  body(back) == body(held["top"]), held["top"], held["pgdn"], held["end"], back))

		got = bulk.burst(STORM)
		last = bulk.last
		ok, scr = wait_screen(tmux, lambda s: (new_since(s) or (0, 0))[0] >= got, 20)
		tap.ok(ok and new_since(scr) == (got, 0) and got > 2 * HISTORY,
		       "the status says in words what arrived: %d new sessions since pause (of %d "
		       "connections)" % (got, STORM), status(scr))
		tap.ok(" old" not in status(scr) and "overwritten" not in status(scr) and
		       "renewed" not in scr, "no 'old', 'overwritten' or 'renewed' any more", status(scr))
		scr = wait_refreshes(tmux, 2)	# two more refresh intervals while paused
		tap.ok(body(scr) == body(held["top"]),
		       "after a storm that wrapped the history 2.5 times: the same screen", scr)
		tap.ok("127.0.0.1:%d" % last not in scr and "no longer retained" not in scr,
		       "no row from the storm, no row lost", scr)
		scr = key_screen(tmux, "NPage", scr)
		tap.ok(body(scr) == body(held["pgdn"]), "PgDn: the same page as before the storm", scr)
		scr = key_screen(tmux, "End", scr)
		tap.ok(body(scr) == body(held["end"]), "End: the same oldest rows as before the storm",
		       scr)
		tmux.keys("Enter")
		ok, scr = wait_screen(tmux, lambda s: "Session detail" in s, 3)
		tap.ok(ok and "Remote port" in scr, "Enter on the oldest held row: its detail", scr)
		tmux.keys("Escape")
		wait_screen(tmux, lambda s: "Sessions" in s, 3)
		scr = key_screen(tmux, "Home", tmux.screen())
		tap.ok(body(scr) == body(held["top"]), "Home: the same top page", scr)

		tmux.keys("\\")
		ok, scr = wait_screen(tmux, lambda s: "filter: not while paused" in status(s), 3)
		tap.ok(ok and "Filter:" not in scr,
		       "a filter while paused: refused, and says so", status(scr))

		tmux.keys("Z")
		ok, scr = wait_screen(tmux, lambda s: "PAUSED" not in status(s) and
				      "127.0.0.1:%d" % last in s, 3)
		tap.ok(ok, "Z again: live, the storm's last session on top", scr)
		tap.ok(pid and os.path.exists("/proc/%d" % pid), "tcplens still running", scr)
	finally:
		tmux.keys("q")
		ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
		tap.ok(ok and "TCPLENS-EXIT=0" in scr, "pause: q quits with status 0", scr)
		tmux.kill()
		bulk.close()


def cost_shown(tap, binary):
	"""CPU % and events/s while our own paced load runs at a known rate."""
	tmux = Tmux("cost")
	bulk = BulkServer()
	rate = 400
	try:
		up, scr = start(tmux, binary, bulk.port)
		if not tap.ok(up, "cost: monitor starts", scr):
			return
		ok, scr = wait_screen(tmux, lambda s: re.search(r"cpu \d+\.\d%", status(s)), 5)
		tap.ok(ok, "the status line shows tcplens's CPU % after an interval", status(scr))
		ok, scr = wait_screen(tmux, lambda s: re.search(r"\b0 events/s", status(s)), 5)
		tap.ok(ok, "no traffic of ours: 0 events/s", status(scr))
		seen = []
		t0 = time.time()
		n = 0
		# up to 3 s of load; done once a screen after the first 1.2 s shows it
		while time.time() - t0 < 3 and not any(abs(v - rate) <= rate * 0.3 for v in seen):
			n += paced(bulk.port, rate, 0.5)
			m = re.search(r"([\d,]+) (events|ev)/s", status(tmux.screen()))
			if m and time.time() - t0 > 1.2:
				seen.append(int(m.group(1).replace(",", "")))
		tap.ok(seen and any(abs(v - rate) <= rate * 0.3 for v in seen),
		       "under %d connections/s: events/s reads about %d (within 30%%): %s" %
		       (rate, rate, seen), status(tmux.screen()))
		m = re.search(r"cpu (\d+\.\d)%", status(tmux.screen()))
		tap.ok(m and 0 <= float(m.group(1)) < 100, "CPU % is a share of one CPU",
		       status(tmux.screen()))
	finally:
		tmux.keys("q")
		wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
		tmux.kill()
		bulk.close()


def sysctl_stats():
	with open("/proc/sys/kernel/bpf_stats_enabled") as f:
		return f.read().strip()


def holds_stats_fd(pid):
	"""True if pid holds the fd bpf_enable_stats() returned."""
	for fd in os.listdir("/proc/%d/fd" % pid):
		try:
			if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:bpf-stats":
				return True
		except OSError:
			pass
	return False


def bpf_stats(tap, binary):
	tmux = Tmux("bpfst")
	bulk = BulkServer()
	before = sysctl_stats()
	pid = None
	try:
		up, scr = start(tmux, binary, bulk.port, "--bpf-stats")
		if not tap.ok(up, "--bpf-stats: monitor starts", scr):
			return
		pid = child_pid(tmux.pane_pid(), "tcplens")
		tap.ok(pid and holds_stats_fd(pid), "--bpf-stats: tcplens holds the statistics fd")
		found = None
		t0 = time.time()
		while time.time() - t0 < 6 and not found:
			paced(bulk.port, 300, 0.5)
			m = re.search(r"bpf ([\d,]+) ns/(event|ev) (\d+\.\d\d)%", status(tmux.screen()))
			if m and int(m.group(1).replace(",", "")) > 0:
				found = m
		tap.ok(found, "under load: a BPF ns/event figure > 0 and its % of one CPU",
		       status(tmux.screen()))
		tmux.keys("B")
		ok, scr = wait_screen(tmux, lambda s: "bpf " not in status(s).split("\n")[0], 3)
		tap.ok(ok and "BPF statistics off" in status(scr) and not holds_stats_fd(pid),
		       "B: the figure goes, and the statistics fd is closed", status(scr))
		tmux.keys("B")
		ok, scr = wait_screen(tmux, lambda s: "bpf " in status(s).split("\n")[0], 3)
		tap.ok(ok and holds_stats_fd(pid), "B again: on, held again", status(scr))
	finally:
		tmux.keys("q")
		ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s, 6)
		tap.ok(ok and "TCPLENS-EXIT=0" in scr, "--bpf-stats: q quits with status 0", scr)
		tmux.kill()
		bulk.close()
	gone = pid is None or not os.path.exists("/proc/%d" % pid)
	tap.ok(gone and sysctl_stats() == before,
	       "after exit kernel.bpf_stats_enabled is back to %s" % before, sysctl_stats())


# each with a monitor of its own (-L on its own port), at the same time
PARTS = [("pause", pause_holds), ("pause-cost", cost_shown), ("pause-bpfstats", bpf_stats)]
