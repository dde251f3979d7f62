#!/usr/bin/env python3
"""The metrics suite's traffic: a process of its own, so that `tcplens serve
-p PID` sees exactly this traffic and nothing of the test's own HTTP calls.

Reads one command a line on stdin and answers one JSON line on stdout:
  hold N          a listener with backlog N+1 and N connections queued,
                  never accepted; answers {"port", "clients"}
  release         accepts and closes what hold queued
  basic           fast sessions with known bytes (some closed by RST),
                  refused connects, a ~1 s connect (its SYN dropped once by
                  a full accept queue) and a timed-out connect; answers the
                  ground truth
  flood N PORT    N refused connects to 127.1.x.y:PORT, one address each
  quit
Everything goes to loopback; every wait is bounded.
"""
import json
import select
import socket
import struct
import sys
import threading
import time

FAST = 20		# fast sessions
RST = 5			# of them closed by RST (SO_LINGER 0)
TX = 1000		# client -> server payload bytes per fast session
RX = 3000		# server -> client
REFUSED = 7
TCP_SYNCNT = 7		# linux/tcp.h


def reply(obj):
	sys.stdout.write(json.dumps(obj) + "\n")
	sys.stdout.flush()


def listener(backlog):
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	s.listen(backlog)
	return s, s.getsockname()[1]


def recv_exact(c, n):
	got = b""
	while len(got) < n:
		chunk = c.recv(n - len(got))
		if not chunk:
			break
		got += chunk
	return got


def serve_fast(srv, n, errors):
	"""Accept n sessions: read TX, answer RX, wait for the client's end."""
	srv.settimeout(20)
	for _ in range(n):
		try:
			a, _ = srv.accept()
			a.settimeout(20)
			if len(recv_exact(a, TX)) != TX:
				errors.append("server: short read")
			a.sendall(b"r" * RX)
			try:
				while a.recv(4096):
					pass
			except ConnectionResetError:
				pass
			a.close()
		except OSError as e:
			errors.append("server: %s" % e)


def fast_client(port, rst, errors):
	c = socket.create_connection(("127.0.0.1", port), timeout=20)
	# the last data must be acknowledged before an abortive close, or the
	# server's acked byte count (its payload sent) would fall short
	c.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
	c.sendall(b"t" * TX)
	if len(recv_exact(c, RX)) != RX:
		errors.append("client: short read")
	if rst:
		time.sleep(0.1)
		c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	c.close()


def slow_connect(out, errors):
	"""A full accept queue drops the SYN; the retransmit 1 s later is
	answered once the queue has room."""
	srv, port = listener(0)
	filler = socket.create_connection(("127.0.0.1", port), timeout=5)
	time.sleep(0.1)
	c = socket.socket()
	c.setblocking(False)
	t0 = time.monotonic()
	try:
		c.connect(("127.0.0.1", port))
	except BlockingIOError:
		pass
	time.sleep(0.3)
	srv.settimeout(5)
	a1, _ = srv.accept()		# room for the retransmitted SYN
	_, w, _ = select.select([], [c], [], 10)
	latency = time.monotonic() - t0
	err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
	if not w or err:
		errors.append("slow connect failed: %s" % err)
	a2, _ = srv.accept()
	for s in (filler, c, a1, a2, srv):
		s.close()
	out["slow_port"] = port
	out["slow_latency_s"] = latency


def timeout_connect(out, errors):
	"""SYN and one retransmit dropped by a full queue: ETIMEDOUT after ~3 s."""
	srv, port = listener(0)
	filler = socket.create_connection(("127.0.0.1", port), timeout=5)
	time.sleep(0.1)
	c = socket.socket()
	c.setsockopt(socket.IPPROTO_TCP, TCP_SYNCNT, 1)
	c.settimeout(15)
	t0 = time.monotonic()
	try:
		c.connect(("127.0.0.1", port))
		errors.append("the timeout connect was answered")
	except (TimeoutError, socket.timeout, OSError) as e:
		out["timeout_errno"] = getattr(e, "errno", None)
	out["timeout_after_s"] = time.monotonic() - t0
	srv.settimeout(5)
	a, _ = srv.accept()
	for s in (filler, c, a, srv):
		s.close()
	out["timeout_port"] = port


def basic():
	errors = []
	out = {"fast": FAST, "rst": RST, "tx": TX, "rx": RX, "refused": REFUSED}
	srv, port = listener(128)
	out["fast_port"] = port
	threads = [threading.Thread(target=serve_fast, args=(srv, FAST, errors)),
		   threading.Thread(target=slow_connect, args=(out, errors)),
		   threading.Thread(target=timeout_connect, args=(out, errors))]
	for t in threads:
		t.start()
	for i in range(FAST):
		fast_client(port, i >= FAST - RST, errors)
	# refused: a port bound (on every address) but not listening answers RST
	closed = socket.socket()
	closed.bind(("0.0.0.0", 0))
	out["refused_port"] = closed.getsockname()[1]
	for _ in range(REFUSED):
		c = socket.socket()
		c.settimeout(5)
		try:
			c.connect(("127.0.0.1", out["refused_port"]))
			errors.append("a refused connect was answered")
		except ConnectionRefusedError:
			pass
		c.close()
	for t in threads:
		t.join(30)
	srv.close()
	out["closed_sock"] = closed	# kept open for the flood
	return out, errors


def flood(n, port):
	refused = 0
	t0 = time.monotonic()
	for i in range(n):
		addr = "127.1.%d.%d" % ((i >> 8) & 255, i & 255)
		c = socket.socket()
		c.settimeout(5)
		try:
			c.connect((addr, port))
		except ConnectionRefusedError:
			refused += 1
		except OSError:
			pass
		c.close()
	return {"refused": refused, "seconds": time.monotonic() - t0}


def main():
	held = None
	closed = None
	reply({"pid": __import__("os").getpid()})
	for line in sys.stdin:
		words = line.split()
		if not words:
			continue
		if words[0] == "hold":
			n = int(words[1])
			srv, port = listener(n + 1)
			clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
			held = (srv, clients)
			reply({"port": port, "clients": n, "backlog": n + 1})
		elif words[0] == "release":
			srv, clients = held
			srv.settimeout(5)
			accepted = [srv.accept()[0] for _ in clients]
			for s in clients + accepted + [srv]:
				s.close()
			held = None
			reply({"released": len(clients)})
		elif words[0] == "basic":
			out, errors = basic()
			closed = out.pop("closed_sock")
			out["errors"] = errors
			reply(out)
		elif words[0] == "flood":
			reply(flood(int(words[1]), int(words[2])))
		elif words[0] == "quit":
			break
	if closed:
		closed.close()


if __name__ == "__main__":
	main()
