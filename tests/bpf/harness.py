"""Starting tcplens, waiting until it traces, stopping it, reading its output."""
import json
import os
import signal
import subprocess
import threading
import time

SESSION_KEYS = ["type", "ts", "pid", "comm", "family", "laddr", "lport", "raddr",
		"rport", "dir", "tx_bytes", "rx_bytes", "duration_ms", "retrans", "srtt_us",
		"cgroup", "reset", "opened_before_start"]
CONNECT_KEYS = ["type", "ts", "pid", "comm", "family", "saddr", "lport", "daddr",
		"dport", "latency_ms", "result", "errno", "syn_retrans", "cgroup"]
STATS_KEYS = ["type", "sessions", "connects", "dropped", "dropped_ringbuf", "dropped_map", "dropped_missed",
	      "dropped_sessions_ringbuf", "dropped_connects_ringbuf", "dropped_sessions_storage",
	      "dropped_connects_storage", "dropped_sessions_storage_max", "missed_state_changes",
	      "dropped_connects_storage_max", "dropped_output"]
# `tcplens open --json`: one object per socket, then one snapshot_end per walk
OPEN_SOCKET_TYPE = "open"
OPEN_KEYS = ["type", "ts", "pid", "comm", "cgroup", "family", "laddr", "lport", "raddr", "rport",
	     "dir", "state", "cookie", "inode", "tx_bytes", "rx_bytes", "srtt_us", "retrans",
	     "age_ms", "tx_bps", "rx_bps"]
OPEN_LISTEN_KEYS = OPEN_KEYS + ["accept_queue", "accept_queue_max"]
SNAPSHOT_END_KEYS = ["type", "ts", "sockets"]
# the one stderr line that says the probes are attached (or the walk is ready)
READY_PREFIX = b"tcplens: tracing "
TCP_STATES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
	      "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


class StartError(Exception):
	pass


def _reader(stream, sink, cond):
	for raw in iter(stream.readline, b""):
		with cond:
			sink.append(raw)
			cond.notify_all()
	stream.close()


class Tcplens:
	"""One tcplens process. Output is kept as raw byte lines."""

	def __init__(self, binary, args, label=None):
		self.binary = binary
		self.args = list(args)
		self.label = label or " ".join(self.args)
		self.proc = None
		self.out = []		# raw stdout lines (bytes, with newline)
		self.err = []		# raw stderr lines
		self.cond = threading.Condition()
		self.threads = []
		self.rc = None
		self.killed = False
		self.t_start = None
		self.t_ready = None	# when wait_tracing saw the ready line (upper bound)
		self.t_stop = None
		self._parsed = []
		self.misses = None	# recursion_misses of its BPF programs, just before stop

	@property
	def argv(self):
		return [self.binary] + self.args

	def spawn(self):
		self.t_start = time.time()
		self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
					     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
		for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
			t = threading.Thread(target=_reader, args=(stream, sink, self.cond), daemon=True)
			t.start()
			self.threads.append(t)
		return self

	def wait_tracing(self, timeout=START_TIMEOUT):
		"""Wait for the stderr line that says probes are attached: a line
		that begins with "tcplens: tracing " (not any line containing
		"tracing": "mounted tracefs on /sys/kernel/tracing" is not it)."""
		deadline = time.monotonic() + timeout
		with self.cond:
			while True:
				if any(l.startswith(READY_PREFIX) for l in self.err):
					self.t_ready = time.time() if self.t_ready is None else self.t_ready
					return
				if self.proc.poll() is not None and all(not t.is_alive() for t in self.threads):
					raise StartError("%s exited with %s before tracing; stderr: %r; stdout: %r"
							 % (self.label, self.proc.returncode,
							    b"".join(self.err)[:2000], b"".join(self.out)[:2000]))
				left = deadline - time.monotonic()
				if left <= 0:
					raise StartError("%s: no 'tcplens: tracing ' line on stderr after %.0f s; stderr: %r"
							 % (self.label, timeout, b"".join(self.err)[:2000]))
				self.cond.wait(min(left, 0.2))

	def start(self, timeout=START_TIMEOUT):
		self.spawn()
		try:
			self.wait_tracing(timeout)
		except StartError:
			self.kill()
			raise
		return self

	def wait_for(self, pred, timeout):
		"""Wait until pred(events) is true for the parsed stdout so far."""
		deadline = time.monotonic() + timeout
		while True:
			if pred(self.events()):
				return True
			if time.monotonic() >= deadline or self.proc.poll() is not None:
				return pred(self.events())
			time.sleep(0.1)

	def stop(self, sig=signal.SIGINT, timeout=STOP_TIMEOUT):
		if self.proc is None or self.rc is not None:
			return self.rc
		self.t_stop = time.time()
		if self.proc.poll() is None:
			if self.misses is None:
				self.misses = self.recursion_misses()
			self.proc.send_signal(sig)
		try:
			self.rc = self.proc.wait(timeout)
		except subprocess.TimeoutExpired:
			self.killed = True
			self.proc.kill()
			self.rc = self.proc.wait()
		for t in self.threads:
			t.join(5)
		self._keep()
		return self.rc

	def _keep(self):
		"""With TLBPF_KEEP=DIR, save the output for a post-mortem."""
		d = os.environ.get("TLBPF_KEEP")
		if not d:
			return
		os.makedirs(d, exist_ok=True)
		base = os.path.join(d, "".join(ch if ch.isalnum() else "_" for ch in self.label))
		with open(base + ".out", "wb") as f:
			f.write(self.raw_stdout())
		with open(base + ".err", "wb") as f:
			f.write(b"".join(self.err))

	def _fdinfo(self, marker):
		"""The fdinfo text of every fd of this process whose fdinfo has
		a line starting with marker ("prog_id:" for BPF programs,
		"link_type:" for BPF links)."""
		try:
			fds = os.listdir("/proc/%d/fdinfo" % self.proc.pid)
		except OSError:
			return None
		infos = []
		for fd in fds:
			try:
				with open("/proc/%d/fdinfo/%s" % (self.proc.pid, fd)) as f:
					info = f.read()
			except OSError:
				continue
			if any(l.startswith(marker) for l in info.splitlines()):
				infos.append(info)
		return infos

	def _prog_fdinfo(self):
		infos = self._fdinfo("prog_id:")
		if infos is None:
			return None
		return [i for i in infos if not any(l.startswith("link_type:") for l in i.splitlines())]

	@staticmethod
	def _field(info, name):
		for line in info.splitlines():
			if line.startswith(name + ":"):
				try:
					return int(line.split()[1])
				except (IndexError, ValueError):
					return None
		return None

	@staticmethod
	def _text_field(info, name):
		for line in info.splitlines():
			if line.startswith(name + ":"):
				return line.split(None, 1)[1].strip() if len(line.split(None, 1)) > 1 else ""
		return None

	def iter_prog_ids(self):
		"""ids of the programs behind this process's BPF iterator links
		(iter/tcp): they are of type TRACING whatever the probe kind."""
		links = self._fdinfo("link_type:") or []
		return {self._field(i, "prog_id") for i in links if self._text_field(i, "link_type") == "iter"}

	def tp_links(self):
		"""[(link_type, tp_name)] of this process's BPF links on
		tracepoints: "raw_tracepoint" is a tp_btf attachment, "perf" (with
		event_type tracepoint) a classic one, whose id comes from tracefs."""
		out = []
		for i in self._fdinfo("link_type:") or []:
			name = self._text_field(i, "tp_name")
			if name is not None:
				out.append((self._text_field(i, "link_type"), name))
		return sorted(out)

	def prog_types(self):
		"""prog_type of every BPF program this process holds (from fdinfo),
		iterator programs left out: 26 is BPF_PROG_TYPE_TRACING (tp_btf),
		5 BPF_PROG_TYPE_TRACEPOINT."""
		infos = self._prog_fdinfo() or []
		iters = self.iter_prog_ids()
		return sorted(t for t in (self._field(i, "prog_type") for i in infos
					  if self._field(i, "prog_id") not in iters) if t is not None)

	def recursion_misses(self):
		"""Sum of recursion_misses over the BPF programs this process holds:
		runs the kernel skipped because the program was already active on
		that CPU (tcplens recovers most of them; see dropped_missed)."""
		infos = self._prog_fdinfo()
		if infos is None:
			return None
		return sum(self._field(i, "recursion_misses") or 0 for i in infos)

	def kill(self):
		if self.proc is not None and self.proc.poll() is None:
			self.killed = True
			self.proc.kill()
			self.proc.wait()
		for t in self.threads:
			t.join(5)
		if self.proc is not None:
			self.rc = self.proc.returncode

	def __enter__(self):
		return self

	def __exit__(self, *exc):
		self.kill()
		return False

	# output

	def raw_stdout(self):
		with self.cond:
			return b"".join(self.out)

	def stdout_lines(self):
		with self.cond:
			lines = list(self.out)
		return [l.decode("utf-8", "surrogateescape").rstrip("\n") for l in lines]

	def stderr_text(self):
		with self.cond:
			return b"".join(self.err).decode("utf-8", "replace")

	def events(self):
		"""Parsed JSON objects of stdout (json mode); bad lines become
		{"type": "<unparsable>", "line": ...}. Parsed once, incrementally:
		waiting loops call this often while foreign traffic piles up."""
		with self.cond:
			new = self.out[len(self._parsed):]
		for raw in new:
			line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
			try:
				obj = json.loads(line)
			except ValueError as e:
				obj = {"type": "<unparsable>", "line": line, "error": str(e)}
			self._parsed.append(obj)
		return list(self._parsed)

	def sessions(self):
		return [e for e in self.events() if e.get("type") == "session"]

	def connects(self):
		return [e for e in self.events() if e.get("type") == "connect"]

	def ready_lines(self):
		"""stderr lines that begin like the ready line."""
		with self.cond:
			return [l for l in self.err if l.startswith(READY_PREFIX)]

	def stats(self):
		st = [e for e in self.events() if e.get("type") == "stats"]
		return st[-1] if st else None

	def describe(self):
		"""A summary for diagnostics."""
		return "argv=%s rc=%s killed=%s bpf recursion_misses=%s stderr=%r" % (
			self.argv, self.rc, self.killed, self.misses, self.stderr_text()[-1500:])


def start_all(instances, timeout=START_TIMEOUT):
	"""Spawn several tcplens processes at once, then wait for all of them."""
	for t in instances:
		t.spawn()
	try:
		for t in instances:
			t.wait_tracing(timeout)
	except StartError:
		for t in instances:
			t.kill()
		raise
	return instances


def start_each(instances, timeout=START_TIMEOUT):
	"""Spawn several at once and wait for each; one that fails to start
	does not stop the others. Returns {instance: StartError text}."""
	for t in instances:
		t.spawn()
	errors = {}
	for t in instances:
		try:
			t.wait_tracing(timeout)
		except StartError as e:
			errors[t] = str(e)
			t.kill()
	return errors


def stop_all(instances):
	for t in instances:
		if t.proc is not None and t.proc.poll() is None:
			t.misses = t.recursion_misses()
	for t in instances:
		if t.proc is not None and t.proc.poll() is None:
			t.proc.send_signal(signal.SIGINT)
	for t in instances:
		t.stop()


def _isint(v):
	return isinstance(v, int) and not isinstance(v, bool)


def _isnum(v):
	return isinstance(v, (int, float)) and not isinstance(v, bool)


def _cgroup_problems(v):
	"""cgroup: a path relative to the cgroup v2 root ("/", "/a/b"), or null."""
	if v is None:
		return []
	if not isinstance(v, str) or not v.startswith("/") or (len(v) > 1 and v.endswith("/")) \
			or "//" in v:
		return ["cgroup=%r is not a cgroup v2 path like /a/b or null" % (v,)]
	return []


def schema_problems(ev):
	"""Why one NDJSON object does not follow the schema, or []."""
	kind = ev.get("type")
	if kind in (OPEN_SOCKET_TYPE, "snapshot_end"):
		return open_schema_problems(ev)
	keys = {"session": SESSION_KEYS, "connect": CONNECT_KEYS, "stats": STATS_KEYS}.get(kind)
	if keys is None:
		return ["unknown type %r in %s" % (kind, json.dumps(ev)[:500])]
	probs = []
	if list(ev.keys()) != keys:
		probs.append("%s keys %s, wanted %s" % (kind, list(ev.keys()), keys))
	isint, isnum = _isint, _isnum

	if kind == "stats":
		for k in STATS_KEYS[1:]:
			if not isint(ev.get(k)) or ev.get(k) < 0:
				probs.append("stats %s=%r is not a count" % (k, ev.get(k)))
		return probs
	if not isinstance(ev.get("ts"), float):
		probs.append("ts=%r is not a float" % (ev.get("ts"),))
	pid, comm = ev.get("pid"), ev.get("comm")
	if not ((isint(pid) and pid > 0 and isinstance(comm, str)) or (pid is None and comm is None)):
		probs.append("pid=%r comm=%r: want int+string or null+null" % (pid, comm))
	if ev.get("family") not in (4, 6):
		probs.append("family=%r" % (ev.get("family"),))
	addrs = ("laddr", "raddr") if kind == "session" else ("saddr", "daddr")
	ports = ("lport", "rport") if kind == "session" else ("lport", "dport")
	for a in addrs:
		if not isinstance(ev.get(a), str):
			probs.append("%s=%r is not a string" % (a, ev.get(a)))
	for p in ports:
		if not isint(ev.get(p)) or not 0 <= ev.get(p) <= 65535:
			probs.append("%s=%r is not a port" % (p, ev.get(p)))
	probs += _cgroup_problems(ev.get("cgroup"))
	if kind == "session":
		if ev.get("dir") not in ("active", "passive"):
			probs.append("dir=%r" % (ev.get("dir"),))
		for k in ("tx_bytes", "rx_bytes", "retrans", "srtt_us"):
			if not isint(ev.get(k)) or ev.get(k) < 0:
				probs.append("%s=%r is not a count" % (k, ev.get(k)))
		if not isnum(ev.get("duration_ms")) or ev.get("duration_ms") < 0:
			probs.append("duration_ms=%r" % (ev.get("duration_ms"),))
		for k in ("reset", "opened_before_start"):
			if not isinstance(ev.get(k), bool):
				probs.append("%s=%r is not a bool" % (k, ev.get(k)))
	else:
		if ev.get("result") not in ("ok", "refused", "timeout", "aborted", "error"):
			probs.append("result=%r" % (ev.get("result"),))
		for k in ("errno", "syn_retrans"):
			if not isint(ev.get(k)) or ev.get(k) < 0:
				probs.append("%s=%r is not a count" % (k, ev.get(k)))
		if not isnum(ev.get("latency_ms")) or ev.get("latency_ms") < 0:
			probs.append("latency_ms=%r" % (ev.get("latency_ms"),))
	return probs


def open_schema_problems(ev):
	"""The same for the objects of `tcplens open --json`."""
	kind = ev.get("type")
	probs = []
	if kind == "snapshot_end":
		if list(ev.keys()) != SNAPSHOT_END_KEYS:
			probs.append("snapshot_end keys %s, wanted %s" % (list(ev.keys()), SNAPSHOT_END_KEYS))
		if not isinstance(ev.get("ts"), float):
			probs.append("ts=%r is not a float" % (ev.get("ts"),))
		if not _isint(ev.get("sockets")) or ev.get("sockets") < 0:
			probs.append("sockets=%r is not a count" % (ev.get("sockets"),))
		return probs
	keys = OPEN_LISTEN_KEYS if ev.get("state") == "LISTEN" else OPEN_KEYS
	if list(ev.keys()) != keys:
		probs.append("%s (state %s) keys %s, wanted %s" % (kind, ev.get("state"), list(ev.keys()), keys))
	if not isinstance(ev.get("ts"), float):
		probs.append("ts=%r is not a float" % (ev.get("ts"),))
	pid, comm = ev.get("pid"), ev.get("comm")
	if not ((_isint(pid) and pid > 0 and isinstance(comm, str)) or (pid is None and comm is None)):
		probs.append("pid=%r comm=%r: want int+string or null+null" % (pid, comm))
	probs += _cgroup_problems(ev.get("cgroup"))
	if ev.get("family") not in (4, 6):
		probs.append("family=%r" % (ev.get("family"),))
	for a in ("laddr", "raddr"):
		if not isinstance(ev.get(a), str):
			probs.append("%s=%r is not a string" % (a, ev.get(a)))
	for p in ("lport", "rport"):
		if not _isint(ev.get(p)) or not 0 <= ev.get(p) <= 65535:
			probs.append("%s=%r is not a port" % (p, ev.get(p)))
	# a listener has no direction; every connection has one
	if ev.get("dir") not in (("unknown",) if ev.get("state") == "LISTEN" else ("active", "passive")):
		probs.append("dir=%r (state %r)" % (ev.get("dir"), ev.get("state")))
	if ev.get("state") not in TCP_STATES:
		probs.append("state=%r" % (ev.get("state"),))
	for k in ("cookie", "inode", "tx_bytes", "rx_bytes", "srtt_us", "retrans"):
		if not _isint(ev.get(k)) or ev.get(k) < 0:
			probs.append("%s=%r is not a count" % (k, ev.get(k)))
	for k in ("age_ms", "tx_bps", "rx_bps"):
		if ev.get(k) is not None and (not _isnum(ev.get(k)) or ev.get(k) < 0):
			probs.append("%s=%r is not a number >= 0 or null" % (k, ev.get(k)))
	if ev.get("state") == "LISTEN":
		for k in ("accept_queue", "accept_queue_max"):
			if not _isint(ev.get(k)) or ev.get(k) < 0:
				probs.append("%s=%r is not a count" % (k, ev.get(k)))
	return probs
