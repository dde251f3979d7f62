"""Standard output never holds tcplens up, and its errors are said.

- A stalled reader (`tcplens json | sleep`): under traffic that fills the
  pipe, SIGTERM (and SIGINT, SIGHUP) still ends tcplens within 1 s, and the
  lines the reader could not take are counted in the totals
  (`output lines dropped`): sessions + connects printed or dropped add up.
- A write error (`> /dev/full`): one line naming it, exit status 1.
- The reader going away (`| head -1`): tcplens ends at once, quietly,
  status 0.
Traffic: this test's own loopback connections, counted by the test."""
import os
import re
import select
import signal
import socket
import subprocess
import time

READY = b"tcplens: tracing "
START_TIMEOUT_S = 20.0


def start(binary, args, stdout):
	"""tcplens with stderr in a pipe; waits for the ready line."""
	p = subprocess.Popen([binary] + args, stdout=stdout, stderr=subprocess.PIPE)
	buf = b""
	deadline = time.monotonic() + START_TIMEOUT_S
	while READY not in buf and time.monotonic() < deadline:
		r, _, _ = select.select([p.stderr], [], [], 0.2)
		if r:
			chunk = os.read(p.stderr.fileno(), 4096)
			if not chunk:
				break
			buf += chunk
	return p, buf


def rest_of_stderr(p, buf, timeout=5.0):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		r, _, _ = select.select([p.stderr], [], [], 0.2)
		if r:
			chunk = os.read(p.stderr.fileno(), 65536)
			if not chunk:
				break
			buf += chunk
	return buf.decode(errors="replace")


def traffic(n):
	"""n loopback connections, accepted and closed: 2 sessions + 1 connect each."""
	srv = socket.socket()
	srv.bind(("127.0.0.1", 0))
	srv.listen(512)
	port = srv.getsockname()[1]
	for _ in range(n):
		c = socket.create_connection(("127.0.0.1", port))
		a, _ = srv.accept()
		c.close()
		a.close()
	srv.close()
	return port


def wait_exit(p, timeout):
	t0 = time.monotonic()
	try:
		p.wait(timeout)
	except subprocess.TimeoutExpired:
		return None
	return time.monotonic() - t0


def run(ctx):
	stalled(ctx, signal.SIGTERM)
	stalled(ctx, signal.SIGHUP)
	full(ctx)
	head(ctx)


def stalled(ctx, sig):
	name = signal.Signals(sig).name
	r, w = os.pipe()		# nobody reads r: the stalled reader
	p, err = start(ctx.binary, ["json", "-L", "1-65535"], w)
	os.close(w)
	try:
		with ctx.check("output: stalled reader, %s ends tcplens within 1 s, lines dropped are counted"
			       % name) as c:
			if not c.true(READY in err, "ready line", err):
				return
			n = 3000
			traffic(n)	# about 0.9 MB of JSON: far more than the pipe holds
			time.sleep(0.5)
			p.send_signal(sig)
			took = wait_exit(p, 5.0)
			c.true(took is not None and took <= 1.0, "exit within 1 s of %s" % name,
			       "%s s" % took)
			c.eq(p.returncode, 0, "exit status")
			text = rest_of_stderr(p, err)
			c.note(text)
			m = re.search(r"(\d+) sessions, (\d+) connects;.* (\d+) output lines dropped", text)
			if c.true(m, "the totals line with the dropped output", text):
				sessions, connects, dropped = (int(x) for x in m.groups())
				c.true(sessions >= 2 * n and connects >= n, "at least our sessions and connects",
				       (sessions, connects))
				printed = len(os.read(r, 1 << 20).splitlines())
				# the stats line is the last line written; it may be dropped too
				c.true(printed + dropped in (sessions + connects, sessions + connects + 1),
				       "lines printed (%d) + dropped (%d) == sessions + connects (+ stats)"
				       % (printed, dropped), (printed, dropped, sessions, connects))
				c.true(dropped > 0, "some lines dropped (the reader never read)", dropped)
	finally:
		if p.poll() is None:
			p.kill()
			p.wait()
		os.close(r)


def full(ctx):
	with open("/dev/full", "wb") as devfull:
		p, err = start(ctx.binary, ["json"], devfull)
	try:
		with ctx.check("output: a write error (/dev/full) ends tcplens with one line, status 1") as c:
			if not c.true(READY in err, "ready line", err):
				return
			traffic(50)
			took = wait_exit(p, 5.0)
			c.true(took is not None, "ended by itself")
			c.eq(p.returncode, 1, "exit status")
			text = rest_of_stderr(p, err)
			lines = [l for l in text.splitlines() if not l.startswith("tcplens: tracing ")]
			c.eq(lines, ["tcplens: writing the output failed: No space left on device"],
			     "stderr after the ready line")
	finally:
		if p.poll() is None:
			p.kill()
			p.wait()


def head(ctx):
	r, w = os.pipe()
	p, err = start(ctx.binary, ["json"], w)
	os.close(w)
	try:
		with ctx.check("output: the reader goes away (| head -1): quiet exit at once, status 0") as c:
			if not c.true(READY in err, "ready line", err):
				return
			traffic(5)
			first = b""
			deadline = time.monotonic() + 5
			while b"\n" not in first and time.monotonic() < deadline:
				rr, _, _ = select.select([r], [], [], 0.2)
				if rr:
					first += os.read(r, 1)
			os.close(r)
			r = None
			c.true(first.startswith(b"{"), "a first line", first)
			traffic(5)	# the next write finds the pipe closed
			took = wait_exit(p, 2.0)
			c.true(took is not None, "ended without a signal")
			c.eq(p.returncode, 0, "exit status")
			text = rest_of_stderr(p, err)
			lines = [l for l in text.splitlines() if not l.startswith("tcplens: tracing ")]
			c.eq(lines, [], "nothing more on stderr")
	finally:
		if p.poll() is None:
			p.kill()
			p.wait()
		if r is not None:
			os.close(r)
