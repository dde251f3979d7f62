"""The monitor on a recording (-r), with atop's time keys (tmux).

A recorder (`tcplens record -L PORT`) sees two phases of this test's own
loopback connections, three seconds apart: phase A sends 1111 bytes each,
phase B 2222, and a connection that sends 3333 bytes is held open during
phase B only. Then `tcplens -r DIR` is opened in tmux:
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
from uilib import Server, Tmux, session_rows, status, wait_screen  # noqa: E402

ENV = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"


def send(port, n):
	s = socket.create_connection(("127.0.0.1", port), timeout=5)
	s.sendall(b"x" * n)
	s.close()


def rx_sizes(scr):
	"""RX of the server-side (in) session rows: '1.1 KiB' for 1111 bytes."""
	_, rows = session_rows(scr)
	return [r for r in rows if " in " in r]


def run(tap, binary):
	work = tempfile.mkdtemp(prefix="tl-ui-replay-")
	path = os.path.join(work, "rec")
	sink = Server()		# reads to EOF, answers 2 bytes, closes
	tmux = Tmux("replay")
	rec = subprocess.Popen([binary, "record", "-w", path, "-d", "0.5", "-L", str(sink.port)],
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
		time.sleep(1)
		for _ in range(5):
			send(sink.port, 1111)		# phase A
		t_a = time.time()
		time.sleep(3)
		held = socket.create_connection(("127.0.0.1", sink.port), timeout=5)
		held.sendall(b"h" * 3333)
		for _ in range(4):
			send(sink.port, 2222)		# phase B
		time.sleep(3)			# snapshots see the held connection
		t_b = time.time()
		held.close()
		time.sleep(1)
		rec.send_signal(signal.SIGINT)
		rec.wait(20)
		tap.ok(rec.returncode == 0, "replay: the recorder ends cleanly", rec.stderr.read())

		tmux.start("env %s %s -r %s -d 1; echo TCPLENS-EXIT=$?; sleep 600" % (ENV, binary, path))
		ok, scr = wait_screen(tmux, lambda s: "REPLAY 20" in status(s), 10)
		tap.ok(ok, "replay: the status line says REPLAY and the recorded date and time", status(scr))
		# b: between the phases
		mid = time.strftime("%H:%M:%S", time.localtime(t_a + 1.5))
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
		# (b takes whole seconds: the instant is up to 1 s before t_b - 0.5,
		# still 1.5 s after it opened, with snapshots every 0.5 s)
		when = time.strftime("%H:%M:%S", time.localtime(t_b - 0.5))
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
