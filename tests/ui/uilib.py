"""Shared pieces of the monitor's tmux tests: TAP output, a private tmux
server, loopback traffic with known ground truth, and screen readers.
run.py and every tests/ui/t_*.py group import it.

Waiting: nothing here sleeps for a fixed time to let the monitor catch up.
wait_screen() polls the pane until a condition holds (or a bound passes);
expect() does the same and raises WaitTimeout, with the pane, when it does
not. Where the test is about time passing (refreshes, an idle row), the
condition is the time the monitor itself shows (wait_refreshes) or the
test's own clock against its ground truth."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

# the BPF suite's cgroup helpers (mountinfo parsed once, in one place)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bpf"))
from cgroups import cgroup2_mount, cgroup_of  # noqa: E402,F401

COLS, ROWS = 120, 40
INTERVAL = "0.5"	# -d: quick refreshes keep the test short

# run.py puts each part of the suite in a cgroup of its own and names it
# here (relative to the cgroup v2 root): "-c" with it keeps other tests'
# traffic, and the rest of the machine's, out of an otherwise unfiltered
# monitor. Empty when a part runs alone (run.py --part NAME by hand).
CGROUP = os.environ.get("TLUI_CGROUP", "")


def own_filter():
	"""The kernel filter that keeps a monitor to this part's processes, as
	command-line words ("" without a cgroup of our own)."""
	return "-c %s" % CGROUP if CGROUP else ""


class WaitTimeout(Exception):
	"""A wait whose condition never held; the message shows the pane."""


# TLUI_TIMES=1: each TAP line is preceded by the time since the part started
TIMES = bool(os.environ.get("TLUI_TIMES"))
T0 = time.monotonic()


class Tap:
	def __init__(self):
		self.n = 0
		self.failed = []

	def ok(self, cond, name, diag=None):
		self.n += 1
		if TIMES:
			print("# at %.2f s" % (time.monotonic() - T0))
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
	# a capture is taken again at least this often, whatever pipe-pane says
	MAX_AGE = 0.5

	def __init__(self, tag="a"):
		# a private server per use: other tmux sessions on the machine are untouched
		self.sock = "tlui-%d-%s" % (os.getpid(), tag)
		self.name = "tlui%d%s" % (os.getpid(), tag)
		self.out = None
		self.cache = None

	def run(self, *args, check=True):
		return subprocess.run(["tmux", "-L", self.sock] + list(args), check=check,
				      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout

	def start(self, command):
		self.run("-f", "/dev/null", "new-session", "-d", "-s", self.name, "-x", str(COLS),
			 "-y", str(ROWS), command)
		# the window follows resize-window, not the (absent) client
		self.run("set-option", "-g", "window-size", "manual", check=False)
		# everything the pane is sent also goes to a file: while its size
		# stands still nothing was drawn, and polling needs no capture
		fd, self.out = tempfile.mkstemp(prefix="tlui-pane-")
		os.close(fd)
		self.run("pipe-pane", "-t", self.name, "cat >> %s" % self.out, check=False)
		self.cache = None

	def drawn(self):
		"""Bytes the pane has been sent so far (None if not known)."""
		try:
			return os.stat(self.out).st_size if self.out else None
		except OSError:
			return None

	def screen(self):
		"""The pane's text. Taken again only when something was drawn since
		the last capture (the size is read before capturing, so nothing
		drawn after it is missed), or the last one is MAX_AGE old."""
		size, now = self.drawn(), time.monotonic()
		c = self.cache
		if c and size is not None and c[0] == size and now - c[1] < self.MAX_AGE:
			return c[2]
		scr = self.run("capture-pane", "-p", "-t", self.name, check=False)
		self.cache = (size, now, scr)
		return scr

	def app_pid(self):
		"""The tcplens in the pane (the pane's process, or its child), or None."""
		pid, when = getattr(self, "_app", (None, 0))
		if pid and os.path.exists("/proc/%d" % pid):
			return pid
		if not pid and time.monotonic() - when < 0.5:
			return None	# looked lately: /proc is not listed at every poll
		pane = self.pane_pid()
		pid = None
		if pane is not None:
			try:
				with open("/proc/%d/comm" % pane, "rb") as f:
					pid = pane if f.read().strip() == b"tcplens" else child_pid(pane, "tcplens")
			except OSError:
				pass
		self._app = (pid, time.monotonic())
		return pid

	def idle(self):
		"""The pane's tcplens (if any) sleeps in its event loop: whatever it
		drew is all written to the terminal."""
		pid = self.app_pid()
		if pid is None:
			return True
		try:
			with open("/proc/%d/wchan" % pid) as f:
				wchan = f.read().strip()
			with open("/proc/%d/stat" % pid) as f:
				state = f.read().rsplit(")", 1)[1].split()[0]
		except OSError:
			return True	# gone
		return state in ("S", "T", "t", "Z") and (wchan in ("do_epoll_wait", "ep_poll") or
							  state != "S")

	def settled(self, quiet=0.02, timeout=3):
		"""The screen once the pane's tcplens is idle in its event loop (its
		frame all written) and the pane has been sent nothing for `quiet`
		seconds after that (tmux has read it all): a whole frame, not one
		caught half drawn."""
		end = time.monotonic() + timeout
		size, since = self.drawn(), time.monotonic()
		while time.monotonic() < end:
			time.sleep(0.005)
			now = self.drawn()
			if now != size or not self.idle():
				size, since = now, time.monotonic()
			elif time.monotonic() - since >= quiet:
				break
		return self.screen()

	def keys(self, *keys):
		self.run("send-keys", "-t", self.name, *keys)

	def literal(self, text):
		self.run("send-keys", "-t", self.name, "-l", text)

	def resize(self, x, y):
		self.resized = self.drawn()
		self.run("resize-window", "-t", self.name, "-x", str(x), "-y", str(y))
		self.cache = None	# tmux reflows the pane itself: no output says so

	def redrawn(self):
		"""Something was drawn since the last resize: until then the pane
		shows tmux's reflow of the old screen (cut at the new width)."""
		return (self.drawn() or 0) > (getattr(self, "resized", None) or 0)

	def pane_pid(self):
		out = self.run("display-message", "-p", "-t", self.name, "#{pane_pid}", check=False)
		return int(out.strip()) if out.strip().isdigit() else None

	def kill(self):
		self.run("kill-server", check=False)
		if self.out:
			try:
				os.unlink(self.out)
			except OSError:
				pass
			self.out = None


def child_pid(parent, comm):
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			# bytes: a process name need not be UTF-8 (t_newcomer makes one)
			with open("/proc/%s/stat" % d, "rb") as f:
				st = f.read().decode("utf-8", "replace")
		except OSError:
			continue
		name = st[st.index("(") + 1:st.rindex(")")]
		ppid = int(st[st.rindex(")") + 2:].split()[1])
		if ppid == parent and name == comm:
			return int(d)
	return None


# A wait's bound is never less than this (unless exact): on a machine
# another benchmark keeps busy a key can take seconds to be answered, and a
# bound costs nothing while the screen is right.
WAIT_MIN = 10


def wait_screen(tmux, pred, timeout, exact=False):
	"""Polls the pane until pred(screen) holds: (True, screen), or after
	timeout seconds (False, the last screen). The bound is at least
	WAIT_MIN, unless exact (a deadline that means something: a refresh
	that must not have come yet, the end of a load)."""
	end = time.monotonic() + (timeout if exact else max(timeout, WAIT_MIN))
	scr = tmux.screen()
	while time.monotonic() < end:
		# a match counts on a whole frame only (a busy machine lets tmux
		# take in half a frame, the rest of the old one below it)
		if pred(scr):
			scr = tmux.settled()
			if pred(scr):
				return True, scr
		time.sleep(0.01)
		scr = tmux.screen()
	scr = tmux.settled(timeout=0.5)
	return bool(pred(scr)), scr


def after_resize(tmux, pred, timeout):
	"""wait_screen after tmux.resize(): pred on a whole frame the program
	drew at the new size, not on tmux's reflow of the old one."""
	end = time.monotonic() + max(timeout, WAIT_MIN)
	while True:
		ok, scr = wait_screen(tmux, lambda s: tmux.redrawn() and pred(s),
				      max(0, end - time.monotonic()), exact=True)
		if ok:
			scr = tmux.settled()
			if pred(scr):
				return True, scr
		if time.monotonic() >= end:
			return False, scr


def expect(tmux, pred, timeout, what):
	"""wait_screen for a step the test builds on: the screen, or WaitTimeout
	naming what did not appear and showing the pane."""
	ok, scr = wait_screen(tmux, pred, timeout)
	if not ok:
		raise WaitTimeout("no %s within %.1f s; the pane:\n%s" % (what, max(timeout, WAIT_MIN), scr))
	return scr


def keys_done(tmux):
	"""Returns once the monitor has read every key sent before: it opens the
	search prompt and closes it again (keys are read in order). For keys
	whose effect may not show, like a redraw of a screen that must not
	change. Only on the main screen."""
	tmux.keys("/")
	expect(tmux, lambda s: "Search:" in footer(s), 3, "search prompt (after the keys sent)")
	tmux.keys("Escape")
	expect(tmux, lambda s: "Search:" not in footer(s), 3, "search prompt closed")
	return tmux.settled()


def footer(scr):
	lines = scr.rstrip("\n").splitlines()
	return lines[-1] if lines else ""


def new_since_pause(scr):
	"""(new sessions, connects) the status line counts since the pause, in
	words or in the shorter forms of a crowded line ("+1,260 sess +630
	conn", or "+1,260 sess" alone: connects None); None if not paused."""
	st = status(scr)
	m = re.search(r"PAUSED \u00b7 ([\d,]+) new sessions, ([\d,]+) connects since pause", st) or \
		re.search(r"PAUSED \u00b7 \+([\d,]+) sess(?: \+([\d,]+) conn)?", st)
	if not m:
		return None
	return (int(m.group(1).replace(",", "")),
		int(m.group(2).replace(",", "")) if m.group(2) else None)


def uptime(scr):
	"""The uptime on the status line, in seconds (None if not shown). It is
	taken at each draw, so it says how fresh the screen is."""
	lines = scr.splitlines()
	m = re.search(r"\bup (\S+)", lines[0]) if lines else None
	return parse_duration(m.group(1)) if m else None


def wait_refreshes(tmux, n, interval=float(INTERVAL), timeout=None):
	"""Waits until n refresh intervals have passed and the screen was drawn
	after them: the status line's uptime moves on by n + 1 intervals from
	the screen shown now (which may be one interval old). Returns the
	screen; raises WaitTimeout if the monitor stops drawing."""
	u0 = uptime(tmux.screen())
	if u0 is None:
		raise WaitTimeout("no uptime in the status line; the pane:\n%s" % tmux.screen())
	want = u0 + (n + 1) * interval
	return expect(tmux, lambda s: (uptime(s) or 0) >= want,
		      timeout or (n + 1) * interval + 5, "draw at uptime %.2f s or later" % want)


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
		self.lock = threading.Lock()
		self.served = 0		# connections answered and closed on our side
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

	def serve(self, c):
		try:
			while c.recv(4096):
				pass
			c.sendall(b"ok")
		except OSError:
			pass
		c.close()
		with self.lock:
			self.served += 1

	def wait_served(self, n, timeout=5):
		"""True once n connections were answered and closed by us."""
		end = time.monotonic() + timeout
		while time.monotonic() < end:
			if self.served >= n:
				return True
			time.sleep(0.005)
		return self.served >= n

	def close(self):
		self.stop = True
		self.accepting.set()
		self.t.join(2)
		self.sock.close()


class BulkServer:
	"""Accepts and closes once the client has: cheap sessions in bulk (two
	per connection).

	A client's connect can succeed while its server side never comes to be:
	when loopback drops packets under someone else's storm (its backlog is
	shared by the whole machine), the handshake's last ACK may be lost, and
	a client that has closed by the time the SYN-ACK is sent again answers
	it with a reset. So the ground truth for the server side is what was
	accepted (burst's answer), not what was connected."""

	AHEAD = 256	# connections made but not yet accepted, at most

	def __init__(self):
		self.sock = socket.socket()
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind(("127.0.0.1", 0))
		self.sock.listen(1024)
		self.sock.settimeout(0.2)
		self.port = self.sock.getsockname()[1]
		self.stop = False
		self.accepted = 0
		self.last = None	# the client port of the last connection made
		self.t = threading.Thread(target=self.loop, daemon=True)
		self.t.start()

	def loop(self):
		while not self.stop:
			try:
				c, _ = self.sock.accept()
			except OSError:
				continue
			# after the client's FIN (it closes at once): the server side
			# closes second. Closing first, an accepted socket now and then
			# ends without its last state changes being traced (neither
			# tcplens nor perf sees them) while other TCP traffic runs: a
			# kernel-side matter for the BPF tests, not for these.
			try:
				c.settimeout(5)
				c.recv(1)
			except OSError:
				pass
			c.close()
			self.accepted += 1

	def burst(self, n, settle=True, deadline_s=30):
		"""n connections (bounded in time), each closed at once. With
		settle: returns the server sides they made (see the class)."""
		a0 = self.accepted
		end = time.monotonic() + deadline_s
		pending = []
		for i in range(n):
			if time.monotonic() > end:
				break
			# never near a full accept queue (1024): a busy machine can
			# starve the accepting thread, and a dropped handshake takes
			# the rarer paths of the kernel (see the class)
			while i - (self.accepted - a0) > self.AHEAD and time.monotonic() < end:
				time.sleep(0.001)
			s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
			self.last = s.getsockname()[1]
			# FIN first, but the socket stays ours until the server's FIN:
			# an orphaned socket leaving FIN_WAIT1 is the one the kernel now
			# and then ends without tracing it (README.md, Performance)
			s.shutdown(socket.SHUT_WR)
			pending.append(s)
			if len(pending) > self.AHEAD // 4:
				self.finish(pending.pop(0))
		for s in pending:
			self.finish(s)
		return self.settle() - a0 if settle else None

	@staticmethod
	def finish(s):
		"""Closes a client socket once the server's FIN has come."""
		try:
			while s.recv(4096):
				pass
		except OSError:
			pass
		s.close()

	def settle(self, timeout=30):
		"""The connections accepted so far, once every session made has
		ended (left_on) and nothing is left half made: no handshake pending
		(SYN-RECV) and nothing in the accept queue. Raises WaitTimeout,
		with what is left, if that takes more than timeout seconds."""
		end = time.monotonic() + timeout
		quiet = 0
		while quiet < 2:
			left = left_on(self.port)
			queued = accept_queue(self.port)
			quiet = quiet + 1 if not left and queued == 0 else 0
			if time.monotonic() > end:
				raise WaitTimeout("port %d: sessions not over after %d s (%d accepted, %d queued):\n%s"
						  % (self.port, timeout, self.accepted, queued, "\n".join(left[:20])))
			time.sleep(0.01)
		return self.accepted

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


_reserved = []


def closed_port():
	"""A port nothing listens on, for refused connects. It stays bound (not
	listening, no SO_REUSEADDR) while the test runs, so no listener of
	another test, or of anything else on the machine, can take it: a
	connect to it is refused."""
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	_reserved.append(s)
	return s.getsockname()[1]


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


def left_on(port):
	"""TCP sockets with `port` at either end whose session has not ended:
	all but its listener and those in TIME_WAIT (also FIN_WAIT2 after the
	close, which the kernel keeps as a time-wait socket: "timer:(timewait").
	Handshakes pending (SYN-RECV) count as left."""
	p = subprocess.run(["ss", "-Htano", "state", "all", "( sport = :%d or dport = :%d )" % (port, port)],
			   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
	if p.returncode:
		raise RuntimeError("ss: %s" % p.stderr.strip())
	return [l for l in p.stdout.splitlines() if l.strip() and
		l.split()[0] not in ("LISTEN", "TIME-WAIT") and "timer:(timewait" not in l]


def ended(port, timeout=20):
	"""True once every session on `port` has ended in the kernel (left_on
	is empty): a lost FIN is sent again with backoff, so under someone
	else's storm that can take seconds. False after timeout seconds."""
	end = time.monotonic() + timeout
	while left_on(port):
		if time.monotonic() >= end:
			return False
		time.sleep(0.01)
	return True


def accept_queue(port):
	"""Connections waiting in the accept queue of the listener on port."""
	out = subprocess.run(["ss", "-Hltn", "( sport = :%d )" % port], stdout=subprocess.PIPE,
			     text=True).stdout.split()
	return int(out[1]) if len(out) > 1 and out[1].isdigit() else -1


def slow_connect(server, accept_after=0.3, timeout=5):
	"""The listener has backlog 0 and does not accept yet: a filler from
	127.0.0.2 takes the only accept-queue slot, so the SYN to 127.0.0.1 is
	dropped and retransmitted after ~1 s; we start accepting after 300 ms.
	The filler and the slow connect have different destination addresses,
	so they land on different rows."""
	filler = socket.create_connection(("127.0.0.2", server.port), timeout=5)
	end = time.monotonic() + 2
	while accept_queue(server.port) < 1 and time.monotonic() < end:
		time.sleep(0.005)	# until the filler waits in the accept queue
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


# ---- cgroups ----

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
