"""The bench's metrics section: what `tcplens serve` spends on a scrape at
the series cap, and whether serving changes the per-event cost.

A filler process of its own (-p) makes the cap overflow: one answered
connect to each of 40 loopback listeners (40 latency histograms) and
refused connects to 6,000 distinct 127.2.x.y addresses. All loopback,
bounded in count.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import benchlib
from benchlib import BenchError

OM_ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"

FILLER = r'''
import json, socket, sys
print(json.dumps({"pid": __import__("os").getpid()}), flush=True)
sys.stdin.readline()
lst = []
for i in range(40):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); lst.append(s)
for s in lst:
    c = socket.create_connection(s.getsockname(), timeout=5); a, _ = s.accept(); c.close(); a.close()
closed = socket.socket(); closed.bind(("0.0.0.0", 0)); port = closed.getsockname()[1]
n = 0
for i in range(6000):
    c = socket.socket(); c.settimeout(5)
    try:
        c.connect(("127.2.%d.%d" % (i >> 8, i & 255), port))
    except ConnectionRefusedError:
        n += 1
    c.close()
print(json.dumps({"refused": n}), flush=True)
sys.stdin.readline()
'''


def cpu(pid):
	"""ns-resolution CPU seconds where schedstat has them, else ticks."""
	s = benchlib.sched_seconds(pid)
	return s if s is not None else benchlib.cpu_seconds(pid)


def free_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	p = s.getsockname()[1]
	s.close()
	return p


def scrape(url, accept=None):
	req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
	with urllib.request.urlopen(req, timeout=10) as r:
		return r.read()


def value(body, name):
	for line in body.decode().splitlines():
		if line.startswith(name + " "):
			return float(line.split()[-1])
	return None


def scrape_cost(tcplens, reps):
	"""(series, bytes text, bytes OM, CPU ms per scrape, wall ms per scrape,
	CPU ms of a scrape that also walks the open sockets)."""
	filler = subprocess.Popen([sys.executable, "-c", FILLER], stdin=subprocess.PIPE,
				  stdout=subprocess.PIPE, text=True)
	tr = None
	try:
		pid = json.loads(filler.stdout.readline())["pid"]
		port = free_port()
		url = "http://127.0.0.1:%d/metrics" % port
		tr = benchlib.Tracer([tcplens, "serve", "--listen", "127.0.0.1:%d" % port, "-p", str(pid)])
		tr.start()
		filler.stdin.write("go\n")
		filler.stdin.flush()
		done = json.loads(filler.stdout.readline())
		if done["refused"] != 6000:
			raise BenchError("filler: %d of 6000 connects refused" % done["refused"])
		deadline = time.monotonic() + 20
		while True:
			body = scrape(url)
			folded = value(body, "tcplens_folded_series_total")
			total = sum(float(l.split()[-1]) for l in body.decode().splitlines()
				    if l.startswith("tcplens_connects_total{"))
			if folded and total >= 6040:
				break
			if time.monotonic() > deadline:
				raise BenchError("serve never reached the cap (%r folded, %r connects)"
						 % (folded, total))
			time.sleep(0.2)
		series = value(body, "tcplens_series")
		om = scrape(url, OM_ACCEPT)
		time.sleep(5.2)		# past the walk's minimum interval: the next scrape walks
		c = cpu(tr.pid)
		scrape(url, OM_ACCEPT)
		walk_ms = (cpu(tr.pid) - c) * 1000
		cpu0, t0 = cpu(tr.pid), time.monotonic()
		for _ in range(reps):
			scrape(url, OM_ACCEPT)
		cpu1, t1 = cpu(tr.pid), time.monotonic()
		rc = tr.stop()
		if rc != 0:
			raise BenchError("tcplens serve exited %s" % rc)
		return (series, len(body), len(om), (cpu1 - cpu0) * 1000 / reps,
			(t1 - t0) * 1000 / reps, walk_ms)
	finally:
		if tr is not None and tr.rc is None:
			tr.stop()
		filler.kill()
		filler.wait()


def storm_cost(tcplens, loadgen, lg_args, scrapes):
	"""tcplens serve's CPU per event during one storm, scraped once a second
	or not at all, the scrapes' own CPU (measured around each) left out:
	(ns per event, events, scrapes done, CPU ms of the scrapes)."""
	lg = benchlib.Loadgen(loadgen, lg_args)
	tr = None
	stop = threading.Event()
	done = [0]
	in_scrapes = [0.0]
	try:
		port = free_port()
		url = "http://127.0.0.1:%d/metrics" % port
		tr = benchlib.Tracer([tcplens, "serve", "--listen", "127.0.0.1:%d" % port,
				      "-p", str(lg.pid)])
		tr.start()

		def scraper():
			while not stop.wait(1.0):
				c = cpu(tr.pid)
				scrape(url, OM_ACCEPT)
				in_scrapes[0] += cpu(tr.pid) - c
				done[0] += 1
		th = threading.Thread(target=scraper, daemon=True)
		if scrapes:
			th.start()
		cpu0 = cpu(tr.pid)
		lg.go()
		truth = lg.wait(timeout=600)
		time.sleep(0.3)		# the drain timer catches up
		cpu1 = cpu(tr.pid)
		stop.set()
		if scrapes:
			th.join(15)
		events = truth["sessions"] + truth["connects"]
		rc = tr.stop()
		if rc != 0:
			raise BenchError("tcplens serve exited %s" % rc)
		return ((cpu1 - cpu0 - in_scrapes[0]) * 1e9 / max(events, 1), events, done[0],
			in_scrapes[0] * 1000)
	finally:
		lg.kill()
		if tr is not None and tr.rc is None:
			tr.stop()
