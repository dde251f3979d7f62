#!/usr/bin/env python3
"""End-to-end test of `tcplens serve` scraped by a real Prometheus (TAP).

Usage: run.py --tcplens BUILD/tcplens

Starts tcplens serve on a free loopback port, filtered (-p) on a traffic
process of its own (traffic.py), and Debian's prometheus on loopback with a
temporary config and data directory, scraping every second. The traffic has
known ground truth; the checks ask Prometheus's HTTP API, after waiting until
it has scraped what the traffic made. Needs root (BPF) and prometheus and
promtool (tools/deps installs them); without root it prints
"1..0 # SKIP reason", which CI counts as a failure.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bpf"))

import harness  # noqa: E402
from tap import Tap  # noqa: E402

MAX_ERROR = 0.262	# the stated bound of histogram_quantile (man page, METRICS)
MAX_SERIES = 2000	# the test's --max-series: the flood must overflow it
FLOOD = 5000
HOLD = 3
WAIT = 30.0		# for a condition that follows a scrape (interval 1 s)
PROM_START = 60.0
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
	       "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def free_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def http(url, method="GET", headers=None, data=None, timeout=10):
	"""(status, headers, body) of one request; HTTP errors are answers too."""
	req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
	try:
		with urllib.request.urlopen(req, timeout=timeout) as r:
			return r.status, dict(r.headers), r.read()
	except urllib.error.HTTPError as e:
		return e.code, dict(e.headers), e.read()


class Prometheus:
	def __init__(self, target):
		self.dir = tempfile.mkdtemp(prefix="tlmetrics-prom-")
		self.port = free_port()
		self.base = "http://127.0.0.1:%d" % self.port
		cfg = os.path.join(self.dir, "prometheus.yml")
		with open(cfg, "w") as f:
			f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
				"scrape_configs:\n  - job_name: tl\n    static_configs:\n"
				"      - targets: ['%s']\n" % target)
		self.log = open(os.path.join(self.dir, "log"), "wb")
		self.proc = subprocess.Popen(
			[shutil.which("prometheus"), "--config.file=" + cfg,
			 "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
			 "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
			stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

	def wait_ready(self, timeout=PROM_START):
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			if self.proc.poll() is not None:
				return False
			try:
				if http(self.base + "/-/ready", timeout=2)[0] == 200:
					return True
			except OSError:
				pass
			time.sleep(0.2)
		return False

	def query(self, expr):
		"""The instant vector as [(labels, float)], or None on an error."""
		url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
		try:
			status, _, body = http(url, timeout=10)
		except OSError:
			return None
		if status != 200:
			return None
		data = json.loads(body)["data"]
		if data["resultType"] == "scalar":
			return [({}, float(data["result"][1]))]
		return [(r["metric"], float(r["value"][1])) for r in data["result"]]

	def value(self, expr):
		"""The one value of expr, or None (no series, or several)."""
		r = self.query(expr)
		return r[0][1] if r and len(r) == 1 else None

	def wait_value(self, expr, pred, timeout=WAIT):
		"""Poll until pred(value) holds; returns the last value seen."""
		deadline = time.monotonic() + timeout
		v = None
		while time.monotonic() < deadline:
			v = self.value(expr)
			if v is not None and pred(v):
				return v
			time.sleep(0.25)
		return v

	def stop(self):
		if self.proc.poll() is None:
			self.proc.terminate()
			try:
				self.proc.wait(20)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait()
		self.log.close()

	def log_tail(self):
		try:
			with open(os.path.join(self.dir, "log"), "rb") as f:
				return f.read()[-2000:].decode(errors="replace")
		except OSError:
			return ""


class Worker:
	def __init__(self):
		self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "traffic.py")],
					     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
		self.pid = self.read()["pid"]

	def read(self):
		line = self.proc.stdout.readline()
		if not line:
			raise RuntimeError("the traffic process ended")
		return json.loads(line)

	def cmd(self, text):
		self.proc.stdin.write(text + "\n")
		self.proc.stdin.flush()
		return self.read()

	def stop(self):
		try:
			self.proc.stdin.write("quit\n")
			self.proc.stdin.close()
			self.proc.wait(10)
		except (OSError, subprocess.TimeoutExpired):
			self.proc.kill()
			self.proc.wait()


def sel(port, extra=""):
	return '{dport="%d"%s}' % (port, extra)


class Suite:
	def __init__(self, tap, binary):
		self.tap = tap
		self.binary = binary

	def ok(self, cond, name, *diags):
		self.tap.result(bool(cond), name, [str(d) for d in diags] if not cond else ())
		return bool(cond)

	def near(self, got, want, name):
		return self.ok(got is not None and got == want, name, "got %r, want %r" % (got, want))

	def run(self):
		self.worker = Worker()
		self.mport = free_port()
		self.url = "http://127.0.0.1:%d" % self.mport
		self.tl = harness.Tcplens(self.binary, ["serve", "--listen", "127.0.0.1:%d" % self.mport,
							"--max-series", str(MAX_SERIES), "-p", str(self.worker.pid)],
					  label="serve").start()
		self.prom = Prometheus("127.0.0.1:%d" % self.mport)
		try:
			if not self.ok(self.prom.wait_ready(), "prometheus is ready", self.prom.log_tail()):
				return
			up = self.prom.wait_value('up{job="tl"}', lambda v: v == 1)
			if not self.ok(up == 1, "prometheus scrapes tcplens serve (up == 1)", up,
				       self.prom.log_tail()):
				return
			self.check_http()
			self.check_exposition()
			self.check_open()
			self.check_ground_truth()
			self.check_stalled_and_cap()
			self.check_self()
			self.check_limits()
			self.check_listen()
			self.check_monitor()
		finally:
			self.prom.stop()
			self.worker.stop()
			rc = self.tl.stop()
			self.ok(rc == 0, "tcplens serve exits 0 on SIGINT", rc,
				b"".join(self.tl.err)[-2000:])

	def check_http(self):
		st, _, body = http(self.url + "/")
		self.ok(st == 200 and b'href="/metrics"' in body, "/ is a page that links /metrics", st, body)
		st, _, _ = http(self.url + "/nope")
		self.near(st, 404, "another path: 404")
		st, h, _ = http(self.url + "/metrics", method="POST", data=b"x=1")
		self.ok(st == 405 and "GET" in h.get("Allow", ""), "POST: 405 with Allow", st, h)
		st, h, body = http(self.url + "/metrics", method="HEAD")
		self.ok(st == 200 and not body, "HEAD /metrics: 200 without a body", st, len(body))

	def check_exposition(self):
		st, h, text = http(self.url + "/metrics")
		self.ok(st == 200 and h.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
			"no Accept: text format 0.0.4", st, h)
		p = subprocess.run([shutil.which("promtool"), "check", "metrics"], input=text,
				   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
		self.ok(p.returncode == 0, "promtool check metrics accepts the text format",
			p.stdout.decode(errors="replace")[-2000:])
		st, h, om = http(self.url + "/metrics", headers={"Accept": PROM_ACCEPT})
		self.ok(st == 200 and h.get("Content-Type", "").startswith(
			"application/openmetrics-text; version=1.0.0") and om.endswith(b"# EOF\n"),
			"Prometheus's Accept: OpenMetrics 1.0, ending in # EOF", st, h, om[-200:])
		self.ok(b"# TYPE tcplens_connects counter\n" in om and
			b"# TYPE tcplens_connects_total counter\n" in text,
			"counter metadata as each format wants it")
		# Prometheus parsed every sample of its (OpenMetrics) scrape
		r = self.prom.wait_value('scrape_samples_scraped{job="tl"} - on(job, instance) '
					 'tcplens_series{job="tl"}', lambda v: v == 0)
		self.near(r, 0, "Prometheus scraped as many samples as tcplens_series says")

	def check_open(self):
		w = self.worker.cmd("hold %d" % HOLD)
		port = w["port"]
		q = self.prom.wait_value('tcplens_listen_accept_queue{port="%d"}' % port,
					 lambda v: v == HOLD)
		self.near(q, HOLD, "a listener's accept queue: %d waiting" % HOLD)
		b = self.prom.wait_value('tcplens_listen_backlog{port="%d"}' % port,
					 lambda v: v == HOLD + 1)
		self.near(b, HOLD + 1, "and its backlog")
		# -p: the worker's own connected sockets (the queued ones have no owner yet)
		e = self.prom.wait_value('tcplens_open_connections{state="established"}',
					 lambda v: v == HOLD)
		self.near(e, HOLD, "open connections by state, under -p")
		self.worker.cmd("release")
		self.hold_port = port

	def check_ground_truth(self):
		t = self.worker.cmd("basic")
		self.truth = t
		self.ok(not t["errors"], "the traffic ran as planned", t["errors"])
		fast, slow, tmo, ref = t["fast_port"], t["slow_port"], t["timeout_port"], t["refused_port"]
		p = self.prom
		# the last thing the traffic did; then wait for a scrape that has it all
		expect = {
			'tcplens_connects_total%s' % sel(fast, ',result="ok"'): t["fast"],
			'tcplens_connects_total%s' % sel(ref, ',result="refused"'): t["refused"],
			'tcplens_connects_total%s' % sel(slow, ',result="ok"'): 2,
			'tcplens_connects_total%s' % sel(tmo, ',result="ok"'): 1,
			'tcplens_connects_total%s' % sel(tmo, ',result="timeout"'): 1,
			'tcplens_connects_total%s' % sel(self.hold_port, ',result="ok"'): HOLD,
		}
		sessions = t["fast"] + 2 + 1 + HOLD
		expect.update({
			'sum(tcplens_sessions_total{direction="active"})': sessions,
			'sum(tcplens_sessions_total{direction="passive"})': sessions,
			'sum(tcplens_sent_bytes_total{direction="active"})': t["fast"] * t["tx"],
			'sum(tcplens_received_bytes_total{direction="active"})': t["fast"] * t["rx"],
			'sum(tcplens_sent_bytes_total{direction="passive"})': t["fast"] * t["rx"],
			'sum(tcplens_received_bytes_total{direction="passive"})': t["fast"] * t["tx"],
			'sum(tcplens_session_resets_total{direction="active"})': t["rst"],
			'sum(tcplens_session_resets_total{direction="passive"})': t["rst"],
			'tcplens_connect_duration_all_seconds_count': t["fast"] + 2 + 1 + HOLD,
			'sum(tcplens_connects_total)': t["fast"] + t["refused"] + 2 + 2 + HOLD,
		})
		deadline = time.monotonic() + WAIT
		while time.monotonic() < deadline:
			got = {e: p.value(e) for e in expect}
			if got == expect:
				break
			time.sleep(0.5)
		for e, want in expect.items():
			self.near(got[e], want, "ground truth: %s = %d" % (e, want))
		units = p.query('tcplens_sessions_total{direction="active"}') or []
		self.ok(units and all(m.get("unit") for m, _ in units), "sessions carry a unit label", units)
		self.ok(not any("sport" in m or "lport" in m for m, _ in (p.query(
			'{job="tl", __name__=~"tcplens_.*"}') or [])), "no local-port labels anywhere")
		# the slow destination's 0.99 quantile, as a fleet would compute it
		q = p.value('histogram_quantile(0.99, sum by (le) '
			    '(tcplens_connect_duration_seconds_bucket%s))' % sel(slow))
		truth = t["slow_latency_s"]
		self.ok(q is not None and abs(q - truth) / truth <= MAX_ERROR,
			"histogram_quantile(0.99) of the ~1 s connect: %s s vs %.3f s measured, within %.1f%%"
			% (q if q is None else "%.3f" % q, truth, MAX_ERROR * 100),
			"got %r" % q)
		self.ok(0.9 <= truth <= 2.5, "the slow connect took about 1 s (%.3f s)" % truth)
		q = p.value('histogram_quantile(0.5, sum by (le) '
			    '(tcplens_connect_duration_seconds_bucket%s))' % sel(fast))
		self.ok(q is not None and q < 0.1, "the fast destination's median is fast (%r s)" % q)

	def stall(self):
		"""Clients that never finish a request or never read the answer."""
		socks = []
		for i in range(4):
			s = socket.create_connection(("127.0.0.1", self.mport), timeout=5)
			s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")	# no end of headers
			socks.append(s)
		for i in range(4):
			s = socket.socket()
			s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
			s.connect(("127.0.0.1", self.mport))
			s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 4)	# never read
			socks.append(s)
		return socks

	def check_stalled_and_cap(self):
		p, t = self.prom, self.truth
		stalled = self.stall()
		before = p.value('sum(tcplens_connects_total{result="refused"})')
		f = self.worker.cmd("flood %d %d" % (FLOOD, t["refused_port"]))
		self.ok(f["refused"] == FLOOD, "the flood: %d refused connects in %.1f s"
			% (f["refused"], f["seconds"]), f)
		want = t["refused"] + FLOOD
		got = p.wait_value('sum(tcplens_connects_total{result="refused"})', lambda v: v == want)
		self.near(got, want, "with stalled scrapers, every refused connect is counted "
			  "(folded or not)")
		self.ok(before == t["refused"], "before the flood: %r" % before)
		for s in stalled:
			s.close()
		n = p.value('count({job="tl", __name__=~"tcplens_.*|process_.*"})')
		self.ok(n is not None and n <= MAX_SERIES, "series at most --max-series (%r <= %d)"
			% (n, MAX_SERIES))
		self.ok(n is not None and n >= MAX_SERIES * 0.5, "and the cap is used (%r series)" % n)
		s = p.value('tcplens_series{job="tl"}')
		self.ok(s is not None and s <= MAX_SERIES, "tcplens_series <= --max-series (%r)" % s)
		folded = p.value('tcplens_folded_series_total{job="tl"}')
		self.ok(folded is not None and folded > 0, "folded series are counted (%r)" % folded)
		other = p.value('tcplens_connects_total{daddr="other",result="refused"}')
		self.ok(other is not None and other > 0, "the least active went into daddr=other (%r)"
			% other)
		keep = p.value('tcplens_connects_total%s' % sel(t["fast_port"], ',result="ok"'))
		self.near(keep, t["fast"], "the busiest destination keeps its own series")
		r = p.value('resets((sum(tcplens_connects_total{job="tl"}))[2m:1s])')
		self.near(r, 0, "the sum over destinations never went backwards")
		st, _, _ = http(self.url + "/metrics")
		self.near(st, 200, "stalled clients gone or not, /metrics still answers")

	def check_self(self):
		cpu = self.prom.value('process_cpu_seconds_total{job="tl"}')
		self.ok(cpu is not None and cpu > 0, "tcplens's CPU seconds (%r)" % cpu)
		d = self.prom.query('tcplens_dropped_events_total{job="tl"}') or []
		self.ok(sorted((m["cause"], m["kind"]) for m, _ in d) ==
			[("ringbuf", "connect"), ("ringbuf", "session"), ("storage", "connect"),
			 ("storage", "session")], "drops by cause and kind", d)


def raw_status(port, request, timeout=10):
	"""The status code of a raw request, or None if the server hung up."""
	s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
	try:
		s.sendall(request)
		head = b""
		while b"\r\n" not in head:
			chunk = s.recv(4096)
			if not chunk:
				break
			head += chunk
	except OSError:
		head = b""
	finally:
		s.close()
	parts = head.split(b" ", 2)
	return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def scrape_value(url, sample):
	"""The value of one sample line of /metrics, or None."""
	try:
		_, _, body = http(url, timeout=5)
	except OSError:
		return None
	for line in body.decode(errors="replace").splitlines():
		if line.startswith(sample + " "):
			return float(line.rsplit(" ", 1)[1])
	return None


def _check_limits(self):
	big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"
	st = raw_status(self.mport, big)
	self.ok(st is None or 400 <= st < 500, "headers beyond the 32 KiB request limit: refused (%r)" % st)
	st = raw_status(self.mport, b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
	self.near(st, 405, "an unknown method: 405")
	st, _, _ = http(self.url + "/metrics")
	self.near(st, 200, "and the server goes on")


def _check_monitor(self):
	"""tcplens --listen: the full-screen monitor serves while it runs (tmux)."""
	if not shutil.which("tmux"):
		self.ok(False, "tmux installed (tools/deps)")
		return
	port = free_port()
	url = "http://127.0.0.1:%d/metrics" % port
	name = "tlmetrics-%d" % os.getpid()
	argv = [self.binary, "--listen", "127.0.0.1:%d" % port, "-p", str(self.worker.pid)]
	subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "30",
			" ".join(argv)], check=True, timeout=10)
	try:
		deadline = time.monotonic() + 30
		st = None
		while time.monotonic() < deadline:
			try:
				st = http(url, timeout=2)[0]
				break
			except OSError:
				time.sleep(0.2)
		if not self.ok(st == 200, "the monitor with --listen answers /metrics", st):
			return
		w = self.worker.cmd("hold 2")
		self.worker.cmd("release")
		sample = 'tcplens_connects_total{daddr="127.0.0.1",dport="%d",result="ok"}' % w["port"]
		deadline = time.monotonic() + WAIT
		v = None
		while time.monotonic() < deadline:
			v = scrape_value(url, sample)
			if v == 2:
				break
			time.sleep(0.25)
		self.near(v, 2, "the monitor's drain feeds the metrics: 2 connects")
		deadline = time.monotonic() + WAIT
		while time.monotonic() < deadline:
			screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
						stdout=subprocess.PIPE, text=True, timeout=10).stdout
			if "connects 2 " in screen:
				break
			time.sleep(0.25)
		self.ok("connects 2 " in screen, "and the monitor shows them too", screen)
	finally:
		subprocess.run(["tmux", "send-keys", "-t", name, "q"], timeout=10)
		deadline = time.monotonic() + 10
		while time.monotonic() < deadline:
			if subprocess.run(["tmux", "has-session", "-t", name], stderr=subprocess.DEVNULL,
					  timeout=10).returncode != 0:
				break
			time.sleep(0.2)
		subprocess.run(["tmux", "kill-session", "-t", name], stderr=subprocess.DEVNULL, timeout=10)


def _check_listen(self):
	"""IPv6, and addresses that cannot be served: one line, status 2."""
	port = free_port()
	tl = harness.Tcplens(self.binary, ["serve", "--listen", "[::1]:%d" % port, "-p",
					   str(self.worker.pid)], label="serve-v6")
	try:
		tl.start()
		st, _, body = http("http://[::1]:%d/metrics" % port)
		self.ok(st == 200 and b"tcplens_series " in body, "--listen [::1]:PORT serves over IPv6", st)
	finally:
		tl.stop()
	for addr, why in (("192.0.2.1:%d" % free_port(), "an address not on this host"),
			  ("127.0.0.1:%d" % self.mport, "a port in use")):
		p = subprocess.run([self.binary, "serve", "--listen", addr], stdin=subprocess.DEVNULL,
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
		err = [l for l in p.stderr.decode(errors="replace").splitlines()
		       if not l.startswith("tcplens: tracing ")]
		self.ok(p.returncode == 2 and len(err) == 1 and addr in err[0] and
			"cannot listen there" in err[0],
			"%s: exit 2 with one line" % why, p.returncode, err)


Suite.check_limits = _check_limits
Suite.check_listen = _check_listen
Suite.check_monitor = _check_monitor


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--tcplens", required=True)
	args = ap.parse_args()
	if os.geteuid() != 0:
		print("1..0 # SKIP needs root (BPF)")
		return 0
	tap = Tap()
	missing = [t for t in ("prometheus", "promtool") if not shutil.which(t)]
	if missing:
		tap.result(False, "prometheus and promtool installed (tools/deps)", ["missing: %s" % missing])
		tap.plan()
		return 1
	signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
	try:
		Suite(tap, os.path.abspath(args.tcplens)).run()
	except Exception as e:  # noqa: BLE001 - a failure, with its cause, never a crash
		import traceback
		tap.result(False, "the suite ran to its end", [traceback.format_exc()])
	tap.plan()
	return 1 if tap.failed else 0


if __name__ == "__main__":
	sys.exit(main())
