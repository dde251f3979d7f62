"""The monitor on a recording (-r), with atop's time keys (tmux).

A recorder (`tcplens record -L PORT`) sees two phases of this test's own
loopback connections, with a whole second between them: phase A sends 1111
bytes each, phase B 2222, and a connection that sends 3333 bytes is held
open during phase B only. Then `tcplens -r DIR` is opened in tmux:
- the status line says REPLAY and the recorded date and time;
- at the start (Home) phase A's sessions are shown and phase B's are not;
- `b` to a moment after phase B shows phase B's sessions, and the Open panel
  has the held connection as it was then (3333 bytes received);
- `t` steps back one interval, `End` goes to the end, and `T` past the end
  says where the recording ends.
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import Server, Tmux, ended, session_rows, status, wait_screen  # noqa: E402

REC_INTERVAL = 0.5	# the recorder's -d: its snapshots of the open sockets
REPLAY_INTERVAL = 1	# the replay's -d: t's step, and Home goes to one interval after
			# the start (whole seconds: each t changes the time shown)

ENV = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"


def send(port, n):
	s = socket.create_connection(("127.0.0.1", port), timeout=5)
	s.sendall(b"x" * n)
	s.close()


def rx_sizes(scr):
	"""RX of the server-side (in) session rows: '1.1 KiB' for 1111 bytes."""
	_, rows = session_rows(scr)
	return [r for r in rows if " in " in r]


def until(t):
	"""Waits for the wall clock (the recording's) to reach t."""
	d = t - time.time()
	if d > 0:
		time.sleep(d)


def io_rchar(pid):
	"""Bytes pid has read so far (/proc/PID/io)."""
	with open("/proc/%d/io" % pid) as f:
		for line in f:
			if line.startswith("rchar:"):
				return int(line.split()[1])
	return 0


def walked_twice(pid, timeout=8):
	"""Waits until the recorder has walked the open sockets twice from now
	on, so that the second walk began after this call and its snapshot has
	the sockets as they are now, however late a busy machine lets it run.
	A walk reads 128 bytes a socket from the iterator, at once (at least our
	listener's and held connection's); between walks it reads only its
	timer (8 bytes a tick): in /proc/PID/io's rchar, a walk is a jump of
	128 bytes or more. True once seen, False after timeout seconds."""
	end = time.monotonic() + timeout
	r, walks, last_jump = io_rchar(pid), 0, None
	while time.monotonic() < end:
		time.sleep(0.005)
		now, r2 = time.monotonic(), io_rchar(pid)
		if r2 - r >= 128:
			if last_jump is None or now - last_jump > 0.1:
				walks += 1	# a new walk, not the rest of the last one
			last_jump = now
		elif walks >= 2 and now - last_jump > 0.1:
			return True	# and it is over
		r = r2
	return False


def run(tap, binary):
	work = tempfile.mkdtemp(prefix="tl-ui-replay-")
	path = os.path.join(work, "rec")
	sink = Server()		# reads to EOF, answers 2 bytes, closes
	tmux = Tmux("replay")
	rec = subprocess.Popen([binary, "record", "-w", path, "-d", str(REC_INTERVAL), "-L", str(sink.port)],
			       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
	try:
		err = b""
		deadline = time.monotonic() + 20
		while b"tcplens: tracing " not in err and time.monotonic() < deadline:
			r, _, _ = select.select([rec.stderr], [], [], 0.2)
			if r:
				err += os.read(rec.stderr.fileno(), 4096)
		if not tap.ok(b"tcplens: tracing " in err, "replay: the recorder starts", err):
			return
		# The recording starts before its ready line; Home shows it one
		# replay interval later, which must be before phase A.
		until(time.time() + REPLAY_INTERVAL + 0.3)
		for _ in range(5):
			send(sink.port, 1111)		# phase A
		sink.wait_served(5)
		t_a = time.time()
		# b takes whole seconds: the first one at least 0.1 s after phase A
		# ended, and phase B once it has passed (with a margin for the
		# recording's clock)
		mid_t = int(t_a + 0.1) + 1
		until(mid_t + 0.25)
		held = socket.create_connection(("127.0.0.1", sink.port), timeout=5)
		held.sendall(b"h" * 3333)
		for _ in range(4):
			send(sink.port, 2222)		# phase B
		sink.wait_served(9)
		# a snapshot with the held connection's bytes in (received: the
		# sink reads as they come), then the next whole second, after which
		# the connection closes
		walked = walked_twice(rec.pid)
		when_t = int(time.time() + 0.1) + 1
		until(when_t + 0.3)
		held.close()
		tap.ok(walked, "replay: ground truth: the recorder took a snapshot while the connection "
		       "was held, its 3333 bytes received")
		# every session over in the kernel; the recorder drains all at SIGINT
		tap.ok(sink.wait_served(10) and ended(sink.port),
		       "replay: ground truth: the 10 server-side sessions have ended")
		rec.send_signal(signal.SIGINT)
		rec.wait(20)
		tap.ok(rec.returncode == 0, "replay: the recorder ends cleanly", rec.stderr.read())

		tmux.start("env %s %s -r %s -d %s; echo TCPLENS-EXIT=$?; sleep 600" %
			   (ENV, binary, path, REPLAY_INTERVAL))
		ok, scr = wait_screen(tmux, lambda s: "REPLAY 20" in status(s), 10)
		tap.ok(ok, "replay: the status line says REPLAY and the recorded date and time", status(scr))
		# b: between the phases
		mid = time.strftime("%H:%M:%S", time.localtime(mid_t))
		tmux.keys("b")
		wait_screen(tmux, lambda s: "Go to" in s, 3)
		tmux.literal(mid)
		tmux.keys("Enter")
		ok, scr = wait_screen(tmux, lambda s: mid in status(s) and "1.1 KiB" in s, 10)
		rows = rx_sizes(scr)
		tap.ok(ok and not any("2.2 KiB" in r for r in rows),
		       "replay: b %s, between the phases: phase A's sessions (1111 B), none of phase B's"
		       % mid, scr)
		# b: a moment after phase B, when the held connection was still open
		when = time.strftime("%H:%M:%S", time.localtime(when_t))
		tmux.keys("b")
		wait_screen(tmux, lambda s: "Go to" in s, 3)
		tmux.literal(when)
		tmux.keys("Enter")
		ok, scr = wait_screen(tmux, lambda s: ("REPLAY" in status(s) and when[:5] in status(s)
						       and "2.2 KiB" in s), 10)
		tap.ok(ok, "replay: b %s shows phase B's sessions (2222 B)" % when, scr)
		tmux.keys("o")
		ok, scr = wait_screen(tmux, lambda s: re.search(r"─ Open:.*\n.*\n.*3\.3 KiB", s) is not None,
				      10)
		tap.ok(ok, "replay: the Open panel as it was then: the held connection, 3333 B received",
		       scr)
		tmux.keys("Tab")	# back to the sessions: Home/End are time keys here
		tmux.keys("Home")
		ok, scr = wait_screen(tmux, lambda s: re.search(r"sess(ions)? 0\b", status(s)) is not None, 5)
		tap.ok(ok, "replay: Home goes to the start, before any session", status(scr))
		tmux.keys("End")
		ok, scr = wait_screen(tmux, lambda s: re.search(r"sess(ions)? 10\b", status(s)) is not None, 5)
		tap.ok(ok, "replay: End goes to the end: all 10 sessions (-L: the server side of 10 connections)",
		       status(scr))
		tmux.keys("T")
		ok, scr = wait_screen(tmux, lambda s: "the recording ends at" in s, 5)
		tap.ok(ok, "replay: T past the end says where the recording ends", status(scr))
		before = re.search(r"REPLAY (\S+ \S+)", status(scr))
		tmux.keys("t")
		ok, scr = wait_screen(tmux, lambda s: re.search(r"REPLAY (\S+ \S+)", status(s)) and
				      before and re.search(r"REPLAY (\S+ \S+)", status(s)).group(1) !=
				      before.group(1), 5)
		tap.ok(ok, "replay: t steps back one interval", status(scr))
		tmux.keys("q")
		ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=0" in s, 5)
		tap.ok(ok, "replay: q quits with status 0", scr[-300:])
	finally:
		tmux.kill()
		if rec.poll() is None:
			rec.kill()
			rec.wait()
		sink.close()
		shutil.rmtree(work, ignore_errors=True)
