"""Shared pieces of the monitor's tmux tests: TAP output, a private tmux
server, loopback traffic with known ground truth, and screen readers.
run.py and every tests/ui/t_*.py group import it."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

COLS, ROWS = 120, 40
INTERVAL = "0.5"	# -d: quick refreshes keep the test short


class Tap:
	def __init__(self):
		self.n = 0
		self.failed = []

	def ok(self, cond, name, diag=None):
		self.n += 1
		print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
		if not cond:
			self.failed.append(name)
			if diag:
				for line in str(diag).splitlines():
					print("# " + line)
		sys.stdout.flush()
		return cond

	def diag(self, text):
		for line in str(text).splitlines():
			print("# " + line)
		sys.stdout.flush()

	def done(self):
		print("1..%d" % self.n)
		sys.stdout.flush()
		return 1 if self.failed else 0


# ---- tmux ----

class Tmux:
	def __init__(self, tag="a"):
		# a private server per use: other tmux sessions on the machine are untouched
		self.sock = "tlui-%d-%s" % (os.getpid(), tag)
		self.name = "tlui%d%s" % (os.getpid(), tag)

	def run(self, *args, check=True):
		return subprocess.run(["tmux", "-L", self.sock] + list(args), check=check,
				      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout

	def start(self, command):
		self.run("-f", "/dev/null", "new-session", "-d", "-s", self.name, "-x", str(COLS),
			 "-y", str(ROWS), command)
		# the window follows resize-window, not the (absent) client
		self.run("set-option", "-g", "window-size", "manual", check=False)

	def screen(self):
		return self.run("capture-pane", "-p", "-t", self.name, check=False)

	def keys(self, *keys):
		self.run("send-keys", "-t", self.name, *keys)

	def literal(self, text):
		self.run("send-keys", "-t", self.name, "-l", text)

	def resize(self, x, y):
		self.run("resize-window", "-t", self.name, "-x", str(x), "-y", str(y))

	def pane_pid(self):
		out = self.run("display-message", "-p", "-t", self.name, "#{pane_pid}", check=False)
		return int(out.strip()) if out.strip().isdigit() else None

	def kill(self):
		self.run("kill-server", check=False)


def child_pid(parent, comm):
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			with open("/proc/%s/stat" % d) as f:
				st = f.read()
		except OSError:
			continue
		name = st[st.index("(") + 1:st.rindex(")")]
		ppid = int(st[st.rindex(")") + 2:].split()[1])
		if ppid == parent and name == comm:
			return int(d)
	return None


def wait_screen(tmux, pred, timeout):
	end = time.time() + timeout
	scr = tmux.screen()
	while time.time() < end:
		if pred(scr):
			return True, scr
		time.sleep(0.1)
		scr = tmux.screen()
	return pred(scr), scr


# ---- traffic with known ground truth ----

class Server:
	"""Accepts on 0.0.0.0:port, reads until EOF, answers, closes."""

	def __init__(self, backlog=64, autostart=True):
		self.sock = socket.socket()
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind(("0.0.0.0", 0))
		self.sock.listen(backlog)
		self.port = self.sock.getsockname()[1]
		self.stop = False
		self.accepting = threading.Event()
		if autostart:
			self.accepting.set()
		self.t = threading.Thread(target=self.loop, daemon=True)
		self.t.start()

	def loop(self):
		self.accepting.wait()
		self.sock.settimeout(0.2)
		while not self.stop:
			try:
				c, _ = self.sock.accept()
			except OSError:
				continue
			threading.Thread(target=self.serve, args=(c,), daemon=True).start()

	@staticmethod
	def serve(c):
		try:
			while c.recv(4096):
				pass
			c.sendall(b"ok")
		except OSError:
			pass
		c.close()

	def close(self):
		self.stop = True
		self.accepting.set()
		self.t.join(2)
		self.sock.close()


class BulkServer:
	"""Accepts and closes at once: cheap sessions in bulk (two per connection)."""

	def __init__(self):
		self.sock = socket.socket()
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind(("127.0.0.1", 0))
		self.sock.listen(1024)
		self.sock.settimeout(0.2)
		self.port = self.sock.getsockname()[1]
		self.stop = False
		self.t = threading.Thread(target=self.loop, daemon=True)
		self.t.start()

	def loop(self):
		while not self.stop:
			try:
				c, _ = self.sock.accept()
			except OSError:
				continue
			c.close()

	def burst(self, n):
		for _ in range(n):
			s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
			s.close()

	def close(self):
		self.stop = True
		self.t.join(2)
		self.sock.close()


def connect_once(addr, port, payload=b"hello", timeout=5):
	s = socket.create_connection((addr, port), timeout=timeout)
	s.sendall(payload)
	s.shutdown(socket.SHUT_WR)
	while s.recv(4096):
		pass
	s.close()


def closed_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	p = s.getsockname()[1]
	s.close()
	return p


CHILD_CODE = r"""
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)  # PR_SET_NAME: our comm
port, n = int(sys.argv[2]), int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
for _ in range(n):
	s = socket.create_connection(("127.0.0.1", port), timeout=5)
	s.sendall(b"x" * 1000)
	s.shutdown(socket.SHUT_WR)
	while s.recv(4096):
		pass
	s.close()
print("done", flush=True)
"""


def child_connects(comm, port, n):
	"""A separate process (known pid and comm) making n connections."""
	p = subprocess.Popen([sys.executable, "-c", CHILD_CODE, comm, str(port), str(n)],
			     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
	p.stdout.readline()
	p.stdin.write("go\n")
	p.stdin.flush()
	p.stdout.readline()
	p.wait(10)
	return p.pid


def slow_connect(server, accept_after=0.3, timeout=5):
	"""The listener has backlog 0 and does not accept yet: a filler from
	127.0.0.2 takes the only accept-queue slot, so the SYN to 127.0.0.1 is
	dropped and retransmitted after ~1 s; we start accepting after 300 ms.
	The filler and the slow connect have different destination addresses,
	so they land on different rows."""
	filler = socket.create_connection(("127.0.0.2", server.port), timeout=5)
	time.sleep(0.1)
	result = {}

	def slow():
		t0 = time.time()
		s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
		result["s"] = time.time() - t0
		s.sendall(b"slow")
		s.shutdown(socket.SHUT_WR)
		while s.recv(4096):
			pass
		s.close()

	t = threading.Thread(target=slow)
	t.start()
	time.sleep(accept_after)
	server.accepting.set()
	filler.shutdown(socket.SHUT_WR)
	t.join(timeout)
	filler.close()
	return result.get("s")


# ---- reading the screen ----

def section(scr, title_word):
	"""Lines of the panel whose rule line contains title_word: (header, rows)."""
	lines = scr.splitlines()
	for i, l in enumerate(lines):
		if title_word in l and ("\u2500" in l or l.startswith("-")):
			rows = []
			for r in lines[i + 2:]:
				if "\u2500" in r[:3] or r.startswith("- ") or r.startswith("F1"):
					break
				if r.strip():
					rows.append(r)
			return (lines[i + 1] if i + 1 < len(lines) else ""), rows
	return "", []


def dest_table(scr):
	"""Latency rows as dicts keyed by header (the sort arrow stripped)."""
	hdr, rows = section(scr, "Connect latency")
	names = [re.sub(r"[\u25bc\u25b2v^]$", "", h) if h not in ("DIST",) else h
		 for h in hdr.split()]
	out = []
	for r in rows:
		tok = r.split()
		if len(tok) < len(names) - 1:
			continue
		out.append(dict(zip(names, tok)))
	return out


def session_rows(scr):
	hdr, rows = section(scr, "Sessions")
	return hdr, [r for r in rows if not r.strip().startswith("(")]


def parse_duration(s):
	"""tl_fmt_duration's units back to seconds."""
	m = re.fullmatch(r"([\d.]+)(us|ms|s)", s or "")
	if m:
		return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
	m = re.fullmatch(r"(\d+)m(\d+)s", s or "")
	if m:
		return int(m.group(1)) * 60 + int(m.group(2))
	return None


def clear_filter(tmux):
	"""An empty filter clears it (Esc on the main screen does nothing, as in htop)."""
	tmux.keys("\\")
	wait_screen(tmux, lambda s: "Filter:" in s, 2)
	tmux.keys("C-u", "Enter")
	wait_screen(tmux, lambda s: "Filter:" not in s, 2)


def status(scr):
	lines = scr.splitlines()
	return "\n".join(lines[:2])
