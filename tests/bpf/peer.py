#!/usr/bin/env python3
"""A TCP peer with known ground truth, run as its own process by the suite.

It names itself with prctl(PR_SET_NAME), reports on stdout as JSON lines
(its pid, ports, byte counts, times) and takes commands ("go") on stdin, so
the suite knows the pid and the ports before any traffic exists.

Roles:
  server        listen, accept --conns connections (one thread each), receive
                --recv bytes, send --send bytes, then close first (--closer
                server, after --hold seconds) or wait for the peer's close.
  client        connect, send --send bytes, receive --recv bytes, then close
                first (--closer client, after --hold) or wait for the peer's.
  burst-server  accept and drain connections until --expect have closed.
  burst-client  --count connections, each sending --send bytes then closing.
  listener      listen(--backlog) and never accept, until "end" on stdin.

With --phased, server and client stop after the first exchange, report
"phase1" (ports, the socket's inode, bytes so far) and wait for "go2" on
stdin; then the client sends --send2 bytes (paced at --rate bytes/s if
given), the server --send2 of its own, each receives --recv2, and the
close follows as above. That gives connections opened before tcplens
starts, and held open while it looks at them.
"""
import argparse
import ctypes
import json
import os
import selectors
import socket
import struct
import sys
import threading
import time

PR_SET_NAME = 15
_libc = ctypes.CDLL(None, use_errno=True)
_out_lock = threading.Lock()


def set_comm(name):
	buf = ctypes.create_string_buffer(name[:15])
	if _libc.prctl(PR_SET_NAME, buf, 0, 0, 0) != 0:
		err = ctypes.get_errno()
		raise OSError(err, "prctl(PR_SET_NAME): " + os.strerror(err))


def report(event, **kw):
	kw = dict(event=event, **kw)
	with _out_lock:
		sys.stdout.write(json.dumps(kw) + "\n")
		sys.stdout.flush()


def wait_cmd(want):
	line = sys.stdin.readline()
	if line.strip() != want:
		report("error", error="expected %r on stdin, got %r" % (want, line))
		sys.exit(3)


def family_of(fam):
	return socket.AF_INET if fam == "4" else socket.AF_INET6


def recv_exact(sock, n):
	got = 0
	while got < n:
		chunk = sock.recv(min(65536, n - got))
		if not chunk:
			break
		got += len(chunk)
	return got


def wait_eof(sock):
	"""Read until the peer's FIN; returns any unexpected extra bytes."""
	extra = 0
	while True:
		chunk = sock.recv(65536)
		if not chunk:
			return extra
		extra += len(chunk)


def payload(n):
	return (b"tcplens-test-payload-" * (n // 21 + 1))[:n]


def send_paced(sock, n, rate):
	"""Send n bytes at rate bytes/s in 10 ms ticks, scheduled against the
	start so that the average rate does not drift."""
	if not rate:
		sock.sendall(payload(n))
		return
	tick = 0.01
	per = max(1, int(rate * tick))
	data = payload(per)
	t0 = time.monotonic()
	sent = i = 0
	while sent < n:
		k = min(per, n - sent)
		sock.sendall(data[:k])
		sent += k
		i += 1
		delay = t0 + i * tick - time.monotonic()
		if delay > 0:
			time.sleep(delay)


def total_retrans(sock):
	"""tcpi_total_retrans of TCP_INFO (offset 100 of struct tcp_info):
	segments this socket retransmitted so far. Loopback retransmits too
	(tail loss probes) when the machine is busy."""
	try:
		info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
	except OSError:
		return None
	return struct.unpack_from("I", info, 100)[0] if len(info) >= 104 else None


def inode_of(sock):
	return os.fstat(sock.fileno()).st_ino


def endpoint(sock):
	addr = sock.getsockname()
	peer = sock.getpeername()
	return addr[0], addr[1], peer[0], peer[1]


def serve_conn(args, conn, t_accept, name):
	try:
		_serve_conn(args, conn, t_accept, name)
	except Exception as e:
		report("error", error="%s: %s" % (type(e).__name__, e))


def _serve_conn(args, conn, t_accept, name):
	set_comm(name)	# threads inherit it, but say it again
	laddr, lport, raddr, rport = endpoint(conn)
	received = recv_exact(conn, args.recv)
	conn.sendall(payload(args.send))
	sent = args.send
	if args.phased:
		report("phase1", laddr=laddr, lport=lport, raddr=raddr, rport=rport,
		       inode=inode_of(conn), received=received, sent=sent, t_accept=t_accept)
		wait_cmd("go2")
		received += recv_exact(conn, args.recv2)
		send_paced(conn, args.send2, args.rate)
		sent += args.send2
	extra = 0
	if args.closer == "server":
		time.sleep(args.hold)
	else:
		extra = wait_eof(conn)
	retrans = total_retrans(conn)
	conn.close()
	report("conn", laddr=laddr, lport=lport, raddr=raddr, rport=rport, received=received,
	       sent=sent, extra=extra, t_accept=t_accept, t_close=time.time(), retrans=retrans)


def role_server(args, name):
	fam = family_of("6" if args.family in ("6", "dual") else "4")
	s = socket.socket(fam, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	if fam == socket.AF_INET6:
		s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if args.family == "dual" else 1)
	s.bind((args.addr, args.port))
	s.listen(args.backlog)
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	if args.wait_go:
		wait_cmd("go")
	threads = []
	for _ in range(args.conns):
		conn, _peer = s.accept()
		t = threading.Thread(target=serve_conn, args=(args, conn, time.time(), name))
		t.start()
		threads.append(t)
	for t in threads:
		t.join()
	s.close()
	report("done")


def role_client(args, name):
	report("ready", pid=os.getpid())
	wait_cmd("go")
	s = socket.socket(family_of(args.family), socket.SOCK_STREAM)
	if args.syncnt:
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, args.syncnt)
	t_connect = time.time()
	try:
		s.connect((args.addr, args.port))
	except OSError as e:
		t_fail = time.time()
		s.close()
		report("done", errno=e.errno, t_connect=t_connect, t_connected=None, t_fail=t_fail,
		       connect_s=t_fail - t_connect)
		return
	t_connected = time.time()
	laddr, lport, raddr, rport = endpoint(s)
	report("connected", laddr=laddr, lport=lport, raddr=raddr, rport=rport,
	       connect_s=t_connected - t_connect)
	s.sendall(payload(args.send))
	received = recv_exact(s, args.recv)
	sent = args.send
	if args.phased:
		report("phase1", laddr=laddr, lport=lport, raddr=raddr, rport=rport,
		       inode=inode_of(s), received=received, sent=sent, t_connect=t_connect,
		       t_connected=t_connected)
		wait_cmd("go2")
		t_go2 = time.time()
		send_paced(s, args.send2, args.rate)
		sent += args.send2
		t_sent2 = time.time()
		received += recv_exact(s, args.recv2)
		report("phase2", t_go2=t_go2, t_sent2=t_sent2)
	extra = 0
	if args.closer == "client":
		time.sleep(args.hold)
	else:
		extra = wait_eof(s)
	retrans = total_retrans(s)
	s.close()
	report("done", errno=0, lport=lport, laddr=laddr, sent=sent, received=received,
	       extra=extra, t_connect=t_connect, t_connected=t_connected, t_close=time.time(),
	       retrans=retrans,
	       connect_s=t_connected - t_connect)


def role_listener(args, name):
	"""A listener that never accepts: its accept queue fills up."""
	fam = family_of(args.family)
	s = socket.socket(fam, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((args.addr, args.port))
	s.listen(args.backlog)
	report("ready", pid=os.getpid(), port=s.getsockname()[1], inode=inode_of(s))
	wait_cmd("end")
	s.close()
	report("done")


def role_burst_server(args, name):
	"""Reads --send bytes from each connection, then closes it first: the
	clients wait for that, so no client port is reused while the server
	still holds the old connection (which would end it with a RST)."""
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((args.addr, args.port))
	s.listen(4096)
	s.setblocking(False)
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	sel = selectors.DefaultSelector()
	sel.register(s, selectors.EVENT_READ, None)
	closed = 0
	received = 0
	short = 0
	while closed < args.expect:
		events = sel.select(timeout=30)
		if not events:
			break
		for key, _mask in events:
			if key.data is None:
				while True:
					try:
						conn, _peer = s.accept()
					except BlockingIOError:
						break
					conn.setblocking(False)
					sel.register(conn, selectors.EVENT_READ, [0])
				continue
			conn = key.fileobj
			try:
				chunk = conn.recv(65536)
			except BlockingIOError:
				continue
			except ConnectionError:
				chunk = b""
			key.data[0] += len(chunk)
			received += len(chunk)
			if chunk and key.data[0] < args.send:
				continue
			if key.data[0] != args.send:
				short += 1
			sel.unregister(conn)
			conn.close()
			closed += 1
	s.close()
	report("done", conns=closed, received=received, short=short)


def role_burst_client(args, name):
	report("ready", pid=os.getpid())
	wait_cmd("go")
	data = payload(args.send)
	ok = 0
	errors = {}
	t0 = time.time()
	for _ in range(args.count):
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		try:
			s.connect((args.addr, args.port))
			s.sendall(data)
			if wait_eof(s):
				raise OSError(0, "unexpected data")
			ok += 1
		except OSError as e:
			errors[str(e.errno)] = errors.get(str(e.errno), 0) + 1
		s.close()
	report("done", ok=ok, errors=errors, sent=ok * args.send, seconds=time.time() - t0)


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("role", choices=["server", "client", "burst-server", "burst-client", "listener"])
	ap.add_argument("--name-hex", required=True)
	ap.add_argument("--family", default="4", choices=["4", "6", "dual"])
	ap.add_argument("--addr", default="127.0.0.1")
	ap.add_argument("--port", type=int, default=0)
	ap.add_argument("--backlog", type=int, default=16)
	ap.add_argument("--conns", type=int, default=1)
	ap.add_argument("--send", type=int, default=0)
	ap.add_argument("--recv", type=int, default=0)
	ap.add_argument("--closer", default="client", choices=["client", "server"])
	ap.add_argument("--hold", type=float, default=0.0)
	ap.add_argument("--syncnt", type=int, default=0)
	ap.add_argument("--wait-go", action="store_true")
	ap.add_argument("--count", type=int, default=1)
	ap.add_argument("--expect", type=int, default=1)
	ap.add_argument("--phased", action="store_true")
	ap.add_argument("--send2", type=int, default=0)
	ap.add_argument("--recv2", type=int, default=0)
	ap.add_argument("--rate", type=float, default=0.0)
	args = ap.parse_args()
	name = bytes.fromhex(args.name_hex)
	set_comm(name)
	try:
		{"server": role_server, "client": role_client, "burst-server": role_burst_server,
		 "burst-client": role_burst_client, "listener": role_listener}[args.role](args, name)
	except Exception as e:	# the suite reads this instead of a bare exit status
		report("error", error="%s: %s" % (type(e).__name__, e))
		sys.exit(1)


if __name__ == "__main__":
	main()
