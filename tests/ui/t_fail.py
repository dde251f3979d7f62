"""Failures that stand out in the latency panel, and --max-dests rows that
age out (tmux, real connects).

The failing connects are made in a private network namespace of this test
(its own loopback, so nothing else sees them and no rule touches the host),
whose nftables rules drop SYNs (the connect times out after its
TCP_USER_TIMEOUT of 1 s) or answer them with an ICMP host- or network-
unreachable (EHOSTUNREACH, ENETUNREACH). tcplens traces every namespace; it
is started with -D naming this test's ports, so other traffic on the
machine does not count. What the clients saw is the ground truth the
screen is checked against.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import (INTERVAL, Server, Tmux, closed_port, connect_once, dest_table,  # noqa: E402
		   parse_duration, section, slow_connect, status, wait_screen)

ENV = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
# TCP_USER_TIMEOUT of the clients: a dropped SYN fails at its first retransmit,
# after about 1 s (the kernel does not shorten the SYN's first timeout to it)
UTO_MS = 1000

# Runs inside the namespace: phases of connects to 127.0.0.1 with known
# results, made in parallel within a phase so that the timeouts overlap.
# Prints one JSON line: for each phase, the errno names the clients got.
NS_CLIENT = r"""
import errno, json, socket, subprocess, sys, threading, time

T, M, R, uto = (int(a) for a in sys.argv[1:5])

def nft(*args):
	subprocess.run(["nft"] + list(args), check=True, stdout=subprocess.DEVNULL)

def rule(port, verdict):
	nft("flush", "chain", "inet", "tlfail", "input")
	if verdict:
		nft("add", "rule", "inet", "tlfail", "input", "tcp", "dport", str(port), *verdict.split())

def connects(port, n):
	got = []
	def one():
		s = socket.socket()
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, uto)
		try:
			s.connect(("127.0.0.1", port))
			got.append("ok")
		except OSError as e:
			got.append(errno.errorcode.get(e.errno, str(e.errno)))
		s.close()
	ts = [threading.Thread(target=one) for _ in range(n)]
	for t in ts:
		t.start()
	for t in ts:
		t.join(10)
	return got

def listening(port):
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.bind(("127.0.0.1", port))
	l.listen(64)
	return l

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
nft("add", "table", "inet", "tlfail")
nft("add", "chain", "inet", "tlfail", "input", "{ type filter hook input priority 0 ; policy accept ; }")
out = {}
# R: three answered, then the listener goes: one refused
l = listening(R)
out["R_ok"] = connects(R, 3)
l.close()
out["R_refused"] = connects(R, 1)
# T: every SYN dropped
rule(T, "drop")
out["T"] = connects(T, 3)
# M: one of each kind of failure, and one answer
l = listening(M)
rule(M, "")
out["M_ok"] = connects(M, 1)
l.close()
rule(M, "reject with icmp type host-unreachable")
out["M_host"] = connects(M, 12)
rule(M, "reject with icmp type net-unreachable")
out["M_net"] = connects(M, 3)
rule(M, "")
out["M_refused"] = connects(M, 2)
rule(M, "drop")
out["M_drop"] = connects(M, 2)
print(json.dumps(out), flush=True)
"""


class Netns:
	def __init__(self):
		self.name = "tlui-fail-%d" % os.getpid()

	def __enter__(self):
		subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)
		subprocess.run(["ip", "netns", "add", self.name], check=True)
		return self

	def run_client(self, *ports):
		p = subprocess.run(["ip", "netns", "exec", self.name, sys.executable, "-c", NS_CLIENT] +
				   [str(x) for x in ports] + [str(UTO_MS)],
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
		if p.returncode:
			raise RuntimeError("netns client: %s" % p.stderr[-2000:])
		return json.loads(p.stdout.strip().splitlines()[-1])

	def __exit__(self, *exc):
		subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)
		return False


def failures(tap, binary):
	missing = [t for t in ("nft", "ip") if not shutil.which(t)]
	if not tap.ok(not missing, "fail: nft and ip are installed (the failing connects need them)",
		      missing):
		return
	tmux = Tmux("fail")
	servers = []
	try:
		with Netns() as ns:
			order_and_detail(tap, tmux, binary, ns, servers)
	finally:
		tmux.kill()
		for s in servers:
			s.close()


def idle_dests(tap, binary):
	tmux = Tmux("faildests")
	servers = []
	try:
		max_dests(tap, tmux, binary, servers)
	finally:
		tmux.kill()
		for s in servers:
			s.close()


# the two run at the same time (their monitors filter on their own ports);
# the idle rows' 10 s make fail-dests the longest part of the suite
PARTS = [("fail-dests", idle_dests), ("fail", failures)]


def slower_connect(server):
	"""slow_connect (uilib), but the accept queue is freed only after the
	SYN's first retransmit (1 s), so the connect is answered by a later one
	(2 s or more): slower than a timeout's 1 s, so that a plain P99 order
	would put it above the all-timeout destination."""
	return slow_connect(server, accept_after=1.6, timeout=8)


def count(lst, what):
	return sum(1 for x in lst if x == what)


def rows_by_dest(scr):
	return {r.get("DESTINATION"): r for r in dest_table(scr)}


def order_and_detail(tap, tmux, binary, ns, servers):
	fast = Server()
	slow = Server(backlog=0, autostart=False)
	servers += [fast, slow]
	# the namespace's ports: free on the host too, so no host row shares them
	T, M, R = closed_port(), closed_port(), closed_port()
	ports = "%d,%d,%d,%d,%d" % (T, M, R, fast.port, slow.port)
	tmux.start("env %s %s -d %s -D %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (ENV, binary, INTERVAL, ports))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Connect latency" in s, 20)
	if not tap.ok(up, "fail: monitor starts with -D %s" % ports, scr):
		return

	t0 = time.time()
	slow_res = {}
	th = threading.Thread(target=lambda: slow_res.update(s=slower_connect(slow)))
	th.start()
	got = ns.run_client(T, M, R)
	for _ in range(3):
		connect_once("127.0.0.1", fast.port)
	th.join(10)
	spent = time.time() - t0
	slow_s = slow_res.get("s")
	tap.ok(all(x == "ETIMEDOUT" for x in got["T"]) and len(got["T"]) == 3 and
	       got["R_ok"] == ["ok"] * 3 and got["R_refused"] == ["ECONNREFUSED"] and
	       count(got["M_host"], "EHOSTUNREACH") == 12 and count(got["M_net"], "ENETUNREACH") == 3 and
	       got["M_refused"] == ["ECONNREFUSED"] * 2 and count(got["M_drop"], "ETIMEDOUT") == 2 and
	       got["M_ok"] == ["ok"] and slow_s is not None and 1.5 < slow_s < 4 and spent < 15,
	       "fail: ground truth: 3 timeouts; 3 ok + 1 refused; 1 ok, 12 EHOSTUNREACH, 3 ENETUNREACH, "
	       "2 refused, 2 timeouts; a slow connect of 2 s or more (%.1f s in all)" % spent,
	       json.dumps(got) + " slow %s" % slow_s)

	tdest, mdest, rdest = ("127.0.0.1:%d" % p for p in (T, M, R))
	slowdest, fastdest = "127.0.0.1:%d" % slow.port, "127.0.0.1:%d" % fast.port

	def all_there(s):
		rows = rows_by_dest(s)
		return all(d in rows for d in (tdest, mdest, rdest, slowdest, fastdest)) and \
			rows[mdest].get("CONN") == "20" and rows[rdest].get("CONN") == "4" and \
			rows[tdest].get("CONN") == "3"
	found, scr = wait_screen(tmux, all_there, 8)
	tap.ok(found, "fail: the five destinations are in the latency panel with all their connects", scr)
	hdr = section(scr, "Connect latency")[0]
	order = [r.get("DESTINATION") for r in dest_table(scr)]
	tap.ok(found and "FAIL%\u25bc" in hdr and order.index(tdest) < order.index(slowdest),
	       "fail: by default the all-timeout destination (1 s to failure) sorts above the slow "
	       "one (2 s or more of latency)", scr)
	tap.ok(found and order.index(tdest) < order.index(mdest) < order.index(rdest) <
	       order.index(slowdest) < order.index(fastdest),
	       "fail: default order FAIL% then P99: 100% timed out, 95%, 25%, slow (2 s or more), fast",
	       "\n".join(order))
	rows = rows_by_dest(scr)
	t = rows.get(tdest, {})
	ttf = parse_duration(t.get("P99", "")[1:]) if t.get("P99", "").startswith("!") else None
	tap.ok(t.get("FAIL%") == "100%" and t.get("REF/TMO") == "0/3" and ttf is not None and
	       0.9 <= ttf <= 1.3 and all(t.get(c, "").startswith("!") for c in ("P50", "MAX", "LAST")),
	       "fail: the all-timeout row: FAIL%% 100%%, REF/TMO 0/3, time to failure about %.1f s "
	       "(TCP_USER_TIMEOUT) marked ! instead of blanks" % (UTO_MS / 1000.0), t)
	r = rows.get(rdest, {})
	tap.ok(r.get("CONN") == "4" and r.get("FAIL") == "1" and r.get("FAIL%") == "25%" and
	       r.get("REF/TMO") == "1/0" and not r.get("P99", "!").startswith("!"),
	       "fail: 3 ok + 1 refused: FAIL% 25%, P99 the latency of the answered ones", r)
	m = rows.get(mdest, {})
	tap.ok(m.get("CONN") == "20" and m.get("FAIL") == "19" and m.get("FAIL%") == "95%" and
	       m.get("REF/TMO") == "2/2", "fail: 1 ok + 19 failed: FAIL% 95%, REF/TMO 2/2", m)

	# an explicit sort column still works, and sorts by what it shows
	tmux.keys("Tab")
	ok, scr = wait_screen(tmux, lambda s: "sort FAIL% desc" in status(s), 3)
	tap.ok(ok, "fail: the status line names FAIL% as the latency panel's sort", status(scr))
	tmux.keys(">", ">", ">")
	ok, scr = wait_screen(tmux, lambda s: "sort P99 desc" in status(s), 3)
	p99s = []
	for row in dest_table(scr):
		if row.get("DESTINATION") in (tdest, mdest, rdest, slowdest, fastdest):
			v = parse_duration(row.get("P99", "").lstrip("!"))
			p99s.append(v if v is not None else -1)
	tap.ok(ok and len(p99s) == 5 and p99s == sorted(p99s, reverse=True),
	       "fail: > > > sorts by P99 alone (times to failure included), descending", scr)
	tmux.keys("<", "<", "<")
	ok, scr = wait_screen(tmux, lambda s: "sort FAIL% desc" in status(s), 3)
	tap.ok(ok, "fail: < < < back to FAIL%", status(scr))

	# the detail view breaks the failures down
	tmux.keys("/")
	wait_screen(tmux, lambda s: "Search:" in s, 2)
	tmux.literal(mdest)
	tmux.keys("Enter")
	wait_screen(tmux, lambda s: "Search:" not in s.rstrip().splitlines()[-1], 3)
	tmux.keys("Enter")
	ok, scr = wait_screen(tmux, lambda s: "Destination detail" in s and mdest in s, 3)
	want = ["20: 1 answered, 19 failed (95%)",
		"2 refused, 2 timed out, 0 aborted, 15 errors",
		"Errors by errno EHOSTUNREACH 12, ENETUNREACH 3"]
	missing = [w for w in want if w not in scr]
	tap.ok(ok and not missing, "fail: Enter: failures by result and errno (%s)" % "; ".join(want),
	       "missing %s\n%s" % (missing, scr))
	mt = re.search(r"Time to failure min (\S+)\s+p50 (\S+)\s+p99 (\S+)\s+max (\S+)", scr)
	mx = parse_duration(mt.group(4)) if mt else None
	tap.ok(mt and mx is not None and 0.9 <= mx <= 1.3,
	       "fail: detail: time to failure up to the 1 s of the dropped SYNs", mt.group(0) if mt else scr)
	tmux.keys("Escape")
	wait_screen(tmux, lambda s: "Destination detail" not in s, 3)	# not the last one's
	# the all-timeout row's detail has no latency, and says so
	tmux.keys("Home", "Enter")
	ok, scr = wait_screen(tmux, lambda s: "Destination detail" in s, 3)
	tap.ok(ok and tdest in scr and "3: 0 answered, 3 failed (100%)" in scr and
	       "0 refused, 3 timed out" in scr and "no answered connect" in scr,
	       "fail: Home, Enter: the all-timeout destination is the top row; 3 timed out", scr)
	tmux.keys("Escape")


IDLE_S = 10		# a latency row idle this long may give way (src/model/agg.h)


def until(t):
	"""Waits for the test's monotonic clock to reach t: for the parts that
	are about time passing, with the ground truth's own times."""
	d = t - time.monotonic()
	if d > 0:
		time.sleep(d)


def max_dests(tap, tmux, binary, servers):
	"""--max-dests 3: rows that go idle for 10 s give way to new destinations."""
	srv = [Server() for _ in range(5)]
	servers += srv
	d = ["127.0.0.1:%d" % s.port for s in srv]
	ports = ",".join(str(s.port) for s in srv)
	tmux.start("env %s %s -d %s --max-dests 3 -D %s; echo TCPLENS-EXIT=$?; sleep 600" %
		   (ENV, binary, INTERVAL, ports))
	up, scr = wait_screen(tmux, lambda s: "tcplens up" in s and "Connect latency" in s, 20)
	if not tap.ok(up, "max-dests: monitor starts with --max-dests 3", scr):
		return
	# When each connect was made, by the test's clock: a connect's time in
	# the monitor (its timestamp) lies between the start and the end of
	# connect_once, and both clocks run at the same rate.
	made = []
	for i in range(3):
		connect_once("127.0.0.1", srv[i].port)
		made.append(time.monotonic())
	ok, scr = wait_screen(tmux, lambda s: all(x in rows_by_dest(s) for x in d[:3]), 5)
	tap.ok(ok, "max-dests: three destinations, three rows", scr)
	# while every row is active, a fourth destination counts in (other)
	connect_once("127.0.0.1", srv[3].port)
	ok, scr = wait_screen(tmux, lambda s: rows_by_dest(s).get("(other)", {}).get("CONN") == "1", 5)
	tap.ok(ok and d[3] not in rows_by_dest(scr) and all(x in rows_by_dest(scr) for x in d[:3]),
	       "max-dests: a new destination while no row is idle goes to (other)", scr)
	# keep the first one active (a connect in a later second than its first
	# one: rows are queued by the second they were last active in); the
	# second and third go idle
	until(made[0] + 1.1)
	connect_once("127.0.0.1", srv[0].port)
	# a new destination once the second row has been idle for 10 s (the
	# monitor's TL_AGG_IDLE_NS), the third one not long after it
	until(made[1] + IDLE_S + 0.05)
	connect_once("127.0.0.1", srv[4].port)
	ok, scr = wait_screen(tmux, lambda s: d[4] in rows_by_dest(s), 5)
	rows = rows_by_dest(scr)
	other = rows.get("(other)", {})
	tap.ok(ok and rows.get(d[4], {}).get("CONN") == "1",
	       "max-dests: after 10 s idle a new destination gets its own row", scr)
	tap.ok(ok and d[0] in rows and rows[d[0]].get("CONN") == "2" and d[1] not in rows and
	       d[2] in rows and other.get("CONN") == "2",
	       "max-dests: the least recently active idle row folded into (other) (now 2 connects), "
	       "the active one kept", scr)
	total = sum(int(r.get("CONN", "0")) for r in dest_table(scr))
	tap.ok(total == 6, "max-dests: every connect still counted in the rows (6)", scr)
