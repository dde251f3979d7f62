"""The flight recorder against the real kernel.

- `--record` beside a line mode, then the same mode on the recording
  (`-r`): json and life print the same bytes as they did live.
- `tcplens record` beside a live `json`: the replayed sessions and connects
  are the live ones (as sets: two ring buffers may order them differently),
  and the open connections held during the recording are in its snapshots
  with their owner and exact bytes.
- kill -9 of a recorder: every event of a phase that ended more than two
  chunk periods before the kill is replayed, nothing is invented, and the
  reader says nothing worse than a warning.
- A damaged (a flipped byte) and a truncated copy: a warning, the good part,
  exit status 0.
- Rotation: a small --max-size keeps the directory within its budget while
  files are deleted oldest first.
Traffic: this test's own loopback connections on its own port, counted."""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

READY = b"tcplens: tracing "
START_TIMEOUT_S = 20.0


class Server:
	"""Accepts on 127.0.0.1:port; reads what comes, answers `reply` bytes, closes."""

	def __init__(self, port, reply):
		self.sock = socket.socket()
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind(("127.0.0.1", port))
		self.sock.listen(512)
		self.sock.settimeout(0.2)
		self.reply = reply
		self.stop = False
		self.held = []
		self.t = threading.Thread(target=self.loop, daemon=True)
		self.t.start()

	def loop(self):
		while not self.stop:
			try:
				c, _ = self.sock.accept()
			except OSError:
				continue
			try:
				got = 0
				c.settimeout(5)
				while True:
					b = c.recv(65536)
					if not b:
						break
					got += len(b)
					if b.endswith(b"!"):	# a held connection: answer, stay open
						c.sendall(b"h" * self.reply)
						self.held.append(c)
						c = None
						break
				if c:
					c.sendall(b"r" * self.reply)
					c.close()
			except OSError:
				pass

	def close(self):
		self.stop = True
		self.t.join(2)
		for c in self.held:
			c.close()
		self.sock.close()


def exchange(port, send):
	"""One connection: send bytes, half-close, read the answer, close."""
	s = socket.create_connection(("127.0.0.1", port), timeout=5)
	s.sendall(b"s" * send)
	s.shutdown(socket.SHUT_WR)
	while s.recv(65536):
		pass
	s.close()


def hold(port, send):
	"""A connection left open: send bytes ending in '!', read the answer."""
	s = socket.create_connection(("127.0.0.1", port), timeout=5)
	s.sendall(b"s" * (send - 1) + b"!")
	return s


def start(binary, args, stdout=subprocess.PIPE):
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


def stop(p, sig=signal.SIGINT, timeout=20):
	p.send_signal(sig)
	out, err = p.communicate(timeout=timeout)
	return out, err


def replay(binary, args, timeout=60):
	return subprocess.run([binary] + args, capture_output=True, timeout=timeout)


def events(out):
	return [json.loads(l) for l in out.decode().splitlines() if l.strip()]


def key(e):
	"""What identifies an event whatever the order it was printed in (and
	whichever capture read the clock)."""
	return json.dumps({k: v for k, v in e.items() if k not in ("ts", "duration_ms", "latency_ms")},
			  sort_keys=True)


def run(ctx):
	work = tempfile.mkdtemp(prefix="tl-rec-")
	try:
		same_bytes(ctx, work)
		beside_live(ctx, work)
		killed(ctx, work)
		rotation(ctx, work)
	finally:
		shutil.rmtree(work, ignore_errors=True)


def same_bytes(ctx, work):
	port = ctx.ports.take()
	srv = Server(port, 3000)
	try:
		for mode, extra in (("json", []), ("life", ["-T"])):
			path = os.path.join(work, "tee-%s" % mode)
			p, err = start(ctx.binary, [mode, "-L", str(port)] + extra + ["--record", path])
			with ctx.check("record: '%s --record' then '%s -r': the same bytes as live" % (mode, mode)) as c:
				if not c.true(READY in err, "ready line", err):
					p.kill()
					continue
				for i in range(40):
					exchange(port, 100 + i)
				time.sleep(0.5)
				live, lerr = stop(p)
				c.eq(p.returncode, 0, "live exit status")
				r = replay(ctx.binary, [mode, "-r", path, "-L", str(port)] + extra)
				c.eq(r.returncode, 0, "replay exit status")
				c.note(r.stderr.decode(errors="replace"))
				c.true(live.count(b"\n") >= 40 if mode == "life" else live.count(b"\n") >= 40,
				       "live printed our passive sessions", live.count(b"\n"))
				c.true(r.stdout == live, "replayed output == live output, byte for byte",
				       "live %d bytes, replay %d bytes; first live line %r, first replay line %r"
				       % (len(live), len(r.stdout), live.split(b"\n")[:2], r.stdout.split(b"\n")[:2]))
				c.true(READY not in r.stderr, "a replay does not say it traces", r.stderr)
	finally:
		srv.close()


def beside_live(ctx, work):
	port = ctx.ports.take()
	srv = Server(port, 2000)
	path = os.path.join(work, "beside")
	rec, rerr = start(ctx.binary, ["record", "-w", path, "-d", "0.5", "-L", str(port)])
	live, lerr = start(ctx.binary, ["json", "-L", str(port)])
	held = []
	try:
		with ctx.check("record: a recorder beside a live json: the same events, and the open "
			       "connections in its snapshots") as c:
			if not c.true(READY in rerr and READY in lerr, "ready lines", (rerr, lerr)):
				return
			for i in range(30):
				exchange(port, 500 + i)
			held = [hold(port, 7000 + i) for i in range(3)]
			for s in held:
				s.recv(2000, socket.MSG_WAITALL)
			time.sleep(1.5)	# snapshots every 0.5 s see the held ones
			lout, _ = stop(live)
			rout, rerr2 = stop(rec)
			c.eq(rec.returncode, 0, "recorder exit status")
			text = rerr2.decode(errors="replace")
			c.note(text)
			c.true("recorded " in text and "bytes per event" in text, "the recorder's summary", text)
			r = replay(ctx.binary, ["json", "-r", path, "-L", str(port)])
			c.eq(r.returncode, 0, "replay exit status")
			# two captures: each reads the clock itself, a microsecond apart
			want = sorted(key(e) for e in events(lout) if e["type"] != "stats")
			got = sorted(key(e) for e in events(r.stdout) if e["type"] != "stats")
			lt = sorted((e["rport"], e["ts"], e.get("duration_ms", 0)) for e in events(lout)
				    if e["type"] != "stats")
			rt = sorted((e["rport"], e["ts"], e.get("duration_ms", 0)) for e in events(r.stdout)
				    if e["type"] != "stats")
			c.true(len(lt) == len(rt) and all(a[0] == b[0] and abs(a[1] - b[1]) < 0.001 and
							   abs(a[2] - b[2]) < 0.1 for a, b in zip(lt, rt)),
			       "the same timestamps and lifespans within a millisecond", (lt[:2], rt[:2]))
			c.true(len(want) >= 30, "live saw our passive sessions", len(want))
			c.true(got == want, "replayed events == live events (%d, %d)" % (len(got), len(want)),
			       [x for x in got if x not in want][:2] + [x for x in want if x not in got][:2])
			b = replay(ctx.binary, ["-b", "-r", path, "-d", "0.5", "-L", str(port)])
			c.eq(b.returncode, 0, "-b -r exit status")
			text = b.stdout.decode(errors="replace")
			import re
			per = [int(x) for x in re.findall(r"Sessions ended since the last snapshot: (\d+)", text)]
			c.true(text.startswith("tcplens REPLAY 20"), "-b -r: snapshots say REPLAY and the date",
			       text[:100])
			c.eq(sum(per), sum(1 for e in events(r.stdout) if e["type"] == "session"),
			     "-b -r: the snapshots' new sessions add up to the recording's")
			c.true(len(per) >= 3, "-b -r: a snapshot per 0.5 s of recorded time", len(per))
			o = replay(ctx.binary, ["open", "-r", path, "-L", str(port), "--json"])
			c.eq(o.returncode, 0, "open -r exit status")
			snaps, cur = [], []
			for e in events(o.stdout):
				if e["type"] == "snapshot_end":
					snaps.append(cur)
					cur = []
				else:
					cur.append(e)
			c.true(len(snaps) >= 2, "snapshots recorded every 0.5 s", len(snaps))
			last = snaps[-1] if snaps else []
			mine = sorted((e["rx_bytes"], e["tx_bytes"], e["pid"], e["comm"]) for e in last)
			want_open = sorted((7000 + i, 2000, os.getpid(), "python3") for i in range(3))
			c.eq([m[:2] for m in mine], [w[:2] for w in want_open],
			     "the held connections' server side in the last snapshot: bytes received and sent")
			c.true(all(m[2] == os.getpid() for m in mine), "owned by this process", mine)
	finally:
		for s in held:
			s.close()
		for p in (rec, live):
			if p.poll() is None:
				p.kill()
				p.wait()
		srv.close()


def killed(ctx, work):
	port = ctx.ports.take()
	srv = Server(port, 10)
	path = os.path.join(work, "killed")
	rec, err = start(ctx.binary, ["record", "-w", path, "-L", str(port)])
	try:
		with ctx.check("record: kill -9 loses at most the last chunks; damage gives a warning "
			       "and the good part") as c:
			if not c.true(READY in err, "ready line", err):
				return
			for i in range(50):
				exchange(port, 1000 + i)	# phase A: payload sizes 1000..1049
			time.sleep(2.5)			# at least two chunks written since
			for i in range(50):
				exchange(port, 2000 + i)	# phase B: may be lost with the kill
			rec.send_signal(signal.SIGKILL)
			rec.wait(10)
			r = replay(ctx.binary, ["json", "-r", path, "-L", str(port)])
			c.eq(r.returncode, 0, "replay exit status after kill -9")
			c.note(r.stderr.decode(errors="replace"))
			got = [e for e in events(r.stdout) if e["type"] == "session"]
			sizes = sorted(e["rx_bytes"] for e in got)
			phase_a = [s for s in sizes if 1000 <= s < 1050]
			c.eq(phase_a, list(range(1000, 1050)), "every phase-A session is there")
			c.true(all(1000 <= s < 1050 or 2000 <= s < 2050 for s in sizes),
			       "nothing but our sessions", sizes[:10])
			files = sorted(f for f in os.listdir(path) if f.endswith(".tlrec"))
			if not c.true(files, "a recording file", os.listdir(path)):
				return
			src = os.path.join(path, files[0])
			data = bytearray(open(src, "rb").read())
			# the last chunk damaged (a byte flipped) or cut short: phase A is older
			bad = os.path.join(work, "damaged.tlrec")
			data2 = bytearray(data)
			data2[len(data2) - 3] ^= 0xff
			open(bad, "wb").write(data2)
			cut = os.path.join(work, "truncated.tlrec")
			open(cut, "wb").write(data[:len(data) - 3])
			for label, f in (("damaged", bad), ("truncated", cut)):
				rr = replay(ctx.binary, ["json", "-r", f, "-L", str(port)])
				text = rr.stderr.decode(errors="replace")
				c.eq(rr.returncode, 0, "%s: exit status" % label)
				c.true("warning" in text, "%s: a warning" % label, text)
				part = [e for e in events(rr.stdout) if e["type"] == "session"]
				c.true(50 <= len(part) <= len(got), "%s: the good part, phase A whole (%d of %d "
				       "sessions)" % (label, len(part), len(got)), len(part))
				c.true(all(e in got for e in part), "%s: nothing but what was recorded" % label)
	finally:
		if rec.poll() is None:
			rec.kill()
			rec.wait()
		srv.close()


def dir_size(path):
	return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
		   if f.endswith(".tlrec"))


def rotation(ctx, work):
	"""Open connections snapshotted ten times a second fill a small budget fast."""
	port = ctx.ports.take()
	srv = Server(port, 1)
	path = os.path.join(work, "rotate")
	budget = 1 << 20
	held = []
	rec, err = start(ctx.binary, ["record", "-w", path, "--max-size", "1M", "-d", "0.1",
				      "-L", str(port)])
	try:
		with ctx.check("record: --max-size 1M: files rotate, the oldest are deleted, the "
			       "directory stays within its budget") as c:
			if not c.true(READY in err, "ready line", err):
				return
			for i in range(1500):
				held.append(hold(port, 2 + i))
			peak, seen, gone = 0, set(), set()
			deadline = time.monotonic() + 40
			while time.monotonic() < deadline:
				now = {f for f in os.listdir(path) if f.endswith(".tlrec")}
				gone |= seen - now
				seen |= now
				peak = max(peak, dir_size(path))
				if gone:
					break	# the oldest file went: the budget turned over
				time.sleep(0.2)
			c.true(gone and min(gone) == min(seen), "the oldest file was deleted first",
			       (sorted(gone), sorted(seen)))
			time.sleep(2)
			peak = max(peak, dir_size(path))
			out, rerr = stop(rec)
			text = rerr.decode(errors="replace")
			c.note(text)
			c.eq(rec.returncode, 0, "recorder exit status")
			c.true(peak <= budget, "directory within 1 MiB at every look (peak %d)" % peak, peak)
			import re
			m = re.search(r"(\d+) files created, (\d+) deleted", text)
			c.true(m and int(m.group(2)) >= 1, "files were deleted, oldest first", text)
			r = replay(ctx.binary, ["open", "-r", path, "-L", str(port), "--json"])
			c.eq(r.returncode, 0, "the rotated recording still replays")
	finally:
		for s in held:
			s.close()
		if rec.poll() is None:
			rec.kill()
			rec.wait()
		srv.close()
