"""Client and server processes with ground truth (see peer.py)."""
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time

from cgroups import cgroup_of

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")


class PeerError(Exception):
	pass


class Peer:
	"""One peer.py process. Its messages arrive on a queue."""

	def __init__(self, role, name, netns=None, **opts):
		self.role = role
		self.name = name if isinstance(name, bytes) else name.encode()
		argv = [sys.executable, PEER, role, "--name-hex", self.name.hex()]
		for k, v in opts.items():
			if v is None or v is False:
				continue
			argv.append("--" + k.replace("_", "-"))
			if v is not True:
				argv.append(str(v))
		if netns:
			argv = ["ip", "netns", "exec", netns] + argv
		self.argv = argv
		self.msgs = queue.Queue()
		self.log = []
		self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
					     stderr=subprocess.PIPE, text=True, bufsize=1)
		self._t = threading.Thread(target=self._read, daemon=True)
		self._t.start()
		ready = self.expect("ready")
		self.pid = ready["pid"]
		self.port = ready.get("port")
		self.inode = ready.get("inode")
		# its cgroup v2 path, read while it lives (a test that moves it
		# into another cgroup updates this)
		self.cgroup = cgroup_of(self.pid)

	@property
	def comm(self):
		"""The name as tcplens should report it in JSON."""
		return self.name[:15].decode("utf-8", "replace")

	def _read(self):
		for line in self.proc.stdout:
			try:
				msg = json.loads(line)
			except ValueError:
				msg = {"event": "garbage", "line": line}
			self.log.append(msg)
			self.msgs.put(msg)
		self.msgs.put({"event": "exit"})

	def expect(self, event, timeout=15.0):
		try:
			msg = self.msgs.get(timeout=timeout)
		except queue.Empty:
			raise PeerError("%s %s: no %r message after %.0f s" % (
				self.role, self.name, event, timeout))
		if msg.get("event") != event:
			err = ""
			if msg.get("event") == "exit":
				self.proc.wait(5)
				err = self.proc.stderr.read()
			raise PeerError("%s %s: wanted %r, got %s %s" % (
				self.role, self.name, event, json.dumps(msg), err[-1500:]))
		return msg

	def send(self, line):
		self.proc.stdin.write(line + "\n")
		self.proc.stdin.flush()

	def go(self):
		self.send("go")

	def wait(self, timeout=15.0):
		try:
			return self.proc.wait(timeout)
		except subprocess.TimeoutExpired:
			self.kill()
			raise PeerError("%s %s did not exit" % (self.role, self.name))

	def kill(self):
		if self.proc.poll() is None:
			self.proc.kill()
			self.proc.wait()


def kill_all(peers):
	for p in peers:
		if p is not None:
			p.kill()


class Ports:
	"""Hands out ports below the ephemeral range that nothing holds (not even
	TIME_WAIT), so each scenario has its own and reruns do not collide."""

	def __init__(self, start=None):
		try:
			with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
				low = int(f.read().split()[0])
		except OSError:
			low = 32768
		self.limit = min(low, 32768) - 1
		if start is None:
			# suites running at the same time on one host (several
			# worktrees) start in different slices of the range: a port
			# one of them found free and relies on staying closed is
			# then unlikely to be the next one another binds
			slices = max(1, (self.limit - 21000) // 1000)
			start = 21000 + (os.getpid() % slices) * 1000
		self.next = min(start, self.limit - 2000)
		self.wrapped = False

	@staticmethod
	def _free(port):
		for fam, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
			s = socket.socket(fam, socket.SOCK_STREAM)
			try:
				if fam == socket.AF_INET6:
					s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
				s.bind((addr, port))
			except OSError:
				return False
			finally:
				s.close()
		return True

	def take(self):
		while True:
			if self.next >= self.limit:
				if self.wrapped:
					raise RuntimeError("no free port left below the ephemeral range")
				self.wrapped, self.next = True, 21000
			p = self.next
			self.next += 1
			if self._free(p):
				return p


class Exchange:
	"""A server and a client process with one connection between them:
	the client sends c_bytes, the server s_bytes, `closer` closes first after
	`hold` seconds, the other side closes on EOF."""

	def __init__(self, ports, tag, family="4", addr="127.0.0.1", server_family=None,
		     server_addr=None, c_bytes=1234, s_bytes=56789, closer="client", hold=0.3,
		     server_ns=None, client_ns=None, client_name=None, server_name=None,
		     server_opts=None, client_opts=None):
		self.tag = tag
		self.c_bytes, self.s_bytes = c_bytes, s_bytes
		self.closer, self.hold = closer, hold
		self.server = self.client = None
		try:
			self.server = Peer("server", server_name or "tl-srv-" + tag, netns=server_ns,
					   family=server_family or family,
					   addr=server_addr or addr, port=ports.take(),
					   recv=c_bytes, send=s_bytes, closer=closer, hold=hold,
					   **(server_opts or {}))
			self.client = Peer("client", client_name or "tl-cli-" + tag, netns=client_ns,
					   family=family, addr=addr, port=self.server.port,
					   send=c_bytes, recv=s_bytes, closer=closer, hold=hold,
					   **(client_opts or {}))
		except Exception:
			kill_all([self.server, self.client])
			raise
		self.port = self.server.port
		self.t_go = self.t_done = None
		self.c_done = self.s_conn = None

	def start(self):
		self.t_go = time.time()
		self.client.go()

	def finish(self, timeout=15.0):
		try:
			self.client.expect("connected", timeout)
			self.c_done = self.client.expect("done", timeout)
			self.s_conn = self.server.expect("conn", timeout)
			self.server.expect("done", timeout)
			self.client.wait(timeout)
			self.server.wait(timeout)
		finally:
			self.t_done = time.time()
			self.kill()
		return self

	def run(self):
		self.start()
		return self.finish()

	def kill(self):
		kill_all([self.server, self.client])

	@property
	def lport(self):
		"""The client's local port."""
		return self.c_done["lport"]

	def truth_problems(self):
		"""If the peers did not move the bytes they were asked to, the
		test itself is broken: say so instead of blaming tcplens."""
		probs = []
		if self.c_done.get("received") != self.s_bytes or self.c_done.get("extra"):
			probs.append("client received %s (+%s), wanted %s" % (
				self.c_done.get("received"), self.c_done.get("extra"), self.s_bytes))
		if self.s_conn.get("received") != self.c_bytes or self.s_conn.get("extra"):
			probs.append("server received %s (+%s), wanted %s" % (
				self.s_conn.get("received"), self.s_conn.get("extra"), self.c_bytes))
		if self.s_conn.get("rport") != self.lport:
			probs.append("server saw client port %s, client says %s" % (
				self.s_conn.get("rport"), self.lport))
		return probs


def ss_dump(port):
	try:
		p = subprocess.run(["ss", "-tanpei", "( sport = :%d or dport = :%d )" % (port, port)],
				   capture_output=True, text=True, timeout=10)
		return p.stdout
	except (OSError, subprocess.SubprocessError) as e:
		return "(ss failed: %s)" % e


class PhasedExchange(Exchange):
	"""An Exchange in two phases: after start() the client connects and the
	two move c_bytes / s_bytes, then both hold the connection open (phase1()
	returns what each end reported, its socket inode included) until go2():
	then c_bytes2 / s_bytes2 more (the client's paced at `rate` bytes/s if
	given), and the close as in Exchange. c_bytes and s_bytes of the whole
	life are the totals."""

	def __init__(self, ports, tag, c_bytes=1500, s_bytes=30000, c_bytes2=70000, s_bytes2=2222,
		     rate=0.0, **kw):
		self.c1, self.s1, self.c2, self.s2 = c_bytes, s_bytes, c_bytes2, s_bytes2
		self.rate = rate
		Exchange.__init__(self, ports, tag, c_bytes=c_bytes, s_bytes=s_bytes,
				  server_opts=dict(phased=True, recv2=c_bytes2, send2=s_bytes2),
				  client_opts=dict(phased=True, send2=c_bytes2, recv2=s_bytes2,
						   rate=rate or None), **kw)
		self.c_bytes, self.s_bytes = c_bytes + c_bytes2, s_bytes + s_bytes2
		self.c_p1 = self.s_p1 = self.c_p2 = None
		self.t_go2 = None

	def phase1(self, timeout=15.0):
		try:
			self.client.expect("connected", timeout)
			self.c_p1 = self.client.expect("phase1", timeout)
			self.s_p1 = self.server.expect("phase1", timeout)
		except PeerError as e:
			raise PeerError("%s\n%s" % (e, self.explain()))
		return self.c_p1, self.s_p1

	def explain(self):
		"""What the peers said and what the kernel shows for the port,
		for a failure that must explain itself."""
		return "server said: %s\nclient said: %s\nss for port %s:\n%s" % (
			self.server.log, self.client.log, self.port, ss_dump(self.port))

	def go2(self):
		self.t_go2 = time.time()
		self.client.send("go2")
		self.server.send("go2")

	def finish(self, timeout=15.0):
		try:
			self.c_p2 = self.client.expect("phase2", timeout)
			self.c_done = self.client.expect("done", timeout)
			self.s_conn = self.server.expect("conn", timeout)
			self.server.expect("done", timeout)
			self.client.wait(timeout)
			self.server.wait(timeout)
		finally:
			self.t_done = time.time()
			self.kill()
		return self

	@property
	def lport(self):
		return (self.c_done or self.c_p1)["lport"]

	@property
	def t_close_first(self):
		"""When the first of the two ends called close()."""
		ts = [t for t in ((self.c_done or {}).get("t_close"), (self.s_conn or {}).get("t_close")) if t]
		return min(ts) if ts else None

	def phase1_problems(self):
		probs = []
		if self.c_p1.get("received") != self.s1:
			probs.append("client received %s in phase 1, wanted %s" % (self.c_p1.get("received"), self.s1))
		if self.s_p1.get("received") != self.c1:
			probs.append("server received %s in phase 1, wanted %s" % (self.s_p1.get("received"), self.c1))
		if self.s_p1.get("rport") != self.c_p1.get("lport"):
			probs.append("server saw client port %s, client says %s" % (
				self.s_p1.get("rport"), self.c_p1.get("lport")))
		return probs
