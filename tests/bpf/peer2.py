#!/usr/bin/env python3
"""More TCP peers with known ground truth (see peer.py for the protocol:
prctl name, JSON lines on stdout, "go" on stdin).

Roles:
  selfconn     bind --addr:--port and connect to that same address (TCP
               self-connect), send --send bytes, read them back, close.
  simopen      bind --addr:--port, on "go" send --fill bytes of UDP to
               --raddr:9 (to hold what follows in a slow qdisc), then connect without blocking to
               --raddr:--rport while the peer does the same (simultaneous
               open); poll TCP_INFO to see the states the socket goes
               through; on "data" send --send, receive --recv, close first
               if --closer.
  tfo-server   listen with the TCP_FASTOPEN option, serve --conns
               connections: receive --recv bytes, send --send, wait for EOF.
  tfo-client   --count connections with sendto(MSG_FASTOPEN); reports
               whether the data rode in the SYN (TCP_INFO) and the netns's
               TcpExt Fast Open counters before and after.
  client       connect from an optional fixed --bind-port, send --send,
               receive --recv, then --end: close (after --hold), linger0
               (SO_LINGER {1,0}: RST), eof (wait for the peer's FIN, close),
               late-write (wait for EOF, then write --late bytes after the
               peer has closed).
  server       accept --conns connections one by one, receive --recv, send
               --send, then --end: close, linger0, eof (a RST there is
               reported, not an error).
  eaddrnotavail  two connects to --addr:--port; with a one-port local port
               range the second must fail with EADDRNOTAVAIL.
  synclose     nonblocking connect, close after --hold seconds (SYN_SENT).
  rst-sender   a server that accepts only on "go" (after its clients have
               closed), then sendall(--send bytes) into each (the RST arrives
               during the send) and closes; --conns of them.
  rst-client   --count connections: connect, send --send bytes, close.
  hold-client  --count concurrent connections, each sends --send bytes; on
               "close" closes them all and waits for the server's FINs.
  hold-server  accepts and drains until --expect connections saw EOF, closes
               each on EOF.
"""
import argparse
import ctypes
import errno
import json
import os
import resource
import selectors
import socket
import struct
import sys
import time

PR_SET_NAME = 15
TCPI_OPT_SYN_DATA = 32
_libc = ctypes.CDLL(None, use_errno=True)


def set_comm(name):
	buf = ctypes.create_string_buffer(name[:15])
	if _libc.prctl(PR_SET_NAME, buf, 0, 0, 0) != 0:
		err = ctypes.get_errno()
		raise OSError(err, "prctl(PR_SET_NAME): " + os.strerror(err))


def report(event, **kw):
	kw = dict(event=event, **kw)
	sys.stdout.write(json.dumps(kw) + "\n")
	sys.stdout.flush()


def wait_cmd(want):
	line = sys.stdin.readline()
	if line.strip() != want:
		report("error", error="expected %r on stdin, got %r" % (want, line))
		sys.exit(3)


def fam(addr):
	return socket.AF_INET6 if ":" in addr else socket.AF_INET


def payload(n):
	return (b"tcplens-test-payload-" * (n // 21 + 1))[:n]


def recv_exact(sock, n):
	got = 0
	while got < n:
		chunk = sock.recv(min(65536, n - got))
		if not chunk:
			break
		got += len(chunk)
	return got


def wait_eof(sock):
	extra = 0
	while True:
		chunk = sock.recv(65536)
		if not chunk:
			return extra
		extra += len(chunk)


def tcp_info(sock):
	"""(state, options) from TCP_INFO."""
	raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
	return raw[0], raw[5]


def endpoint(sock):
	a, p = sock.getsockname()[:2], sock.getpeername()[:2]
	return dict(laddr=a[0], lport=a[1], raddr=p[0], rport=p[1])


def netstat(names):
	"""TcpExt counters of this process's network namespace."""
	out = {}
	with open("/proc/net/netstat") as f:
		lines = f.read().splitlines()
	for hdr, val in zip(lines[0::2], lines[1::2]):
		h, v = hdr.split(), val.split()
		for k, x in zip(h[1:], v[1:]):
			if "%s%s" % (h[0].rstrip(":"), k) in names:
				out[h[0].rstrip(":") + k] = int(x)
	return out


def linger0(sock):
	sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def role_selfconn(a):
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	s.bind((a.addr, a.port))
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	wait_cmd("go")
	t0 = time.time()
	s.connect((a.addr, a.port))
	t1 = time.time()
	ep = endpoint(s)
	s.sendall(payload(a.send))
	got = recv_exact(s, a.send)
	time.sleep(a.hold)
	s.close()
	report("done", received=got, sent=a.send, t_connect=t0, t_connected=t1, t_close=time.time(), **ep)


def role_simopen(a):
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((a.addr, a.port))
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	wait_cmd("go")
	if a.fill:
		# put the slow qdisc in debt first, so that the SYN waits behind
		# these datagrams (the peer's nft drops them)
		u = socket.socket(fam(a.raddr), socket.SOCK_DGRAM)
		left = a.fill
		while left > 0:
			k = min(1400, left)
			u.sendto(b"x" * k, (a.raddr, 9))
			left -= k + 42
		u.close()
	s.setblocking(False)
	t0 = time.time()
	rc = s.connect_ex((a.raddr, a.rport))
	states = []
	deadline = time.monotonic() + 10
	while True:
		st, _ = tcp_info(s)
		if not states or states[-1] != st:
			states.append(st)
		if st == 1 or time.monotonic() > deadline:
			break
		if st == 7:	# CLOSE: failed
			break
		time.sleep(0.0002)
	t1 = time.time()
	err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
	if states[-1] != 1:
		report("done", states=states, connect_rc=rc, so_error=err, t_connect=t0, t_fail=t1)
		return
	s.setblocking(True)
	ep = endpoint(s)
	report("connected", states=states, connect_rc=rc, t_connect=t0, t_connected=t1, **ep)
	wait_cmd("data")	# the suite removes the delay first
	s.sendall(payload(a.send))
	got = recv_exact(s, a.recv)
	extra = 0
	if a.closer:
		time.sleep(a.hold)
	else:
		extra = wait_eof(s)
	s.close()
	report("done", states=states, received=got, sent=a.send, extra=extra, t_close=time.time(), **ep)


TFO_COUNTERS = ("TcpExtTCPFastOpenActive", "TcpExtTCPFastOpenPassive",
		"TcpExtTCPFastOpenActiveFail", "TcpExtTCPFastOpenCookieReqd")


def role_tfo_server(a):
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
	s.bind((a.addr, a.port))
	s.listen(16)
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	for _ in range(a.conns):
		c, _p = s.accept()
		ep = endpoint(c)
		_st, opts = tcp_info(c)
		got = recv_exact(c, a.recv)
		c.sendall(payload(a.send))
		extra = wait_eof(c)
		c.close()
		report("conn", received=got, sent=a.send, extra=extra,
		       syn_data=bool(opts & TCPI_OPT_SYN_DATA), t_close=time.time(), **ep)
	s.close()
	report("done")


def role_tfo_client(a):
	report("ready", pid=os.getpid())
	wait_cmd("go")
	before = netstat(TFO_COUNTERS)
	conns = []
	for i in range(a.count):
		s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
		t0 = time.time()
		data = payload(a.send)
		n = s.sendto(data, socket.MSG_FASTOPEN, (a.addr, a.port))
		if n < len(data):
			s.sendall(data[n:])
		got = recv_exact(s, a.recv)
		_st, opts = tcp_info(s)
		ep = endpoint(s)
		s.close()
		conns.append(dict(received=got, sent=a.send, first_sendto=n,
				  syn_data=bool(opts & TCPI_OPT_SYN_DATA), t_connect=t0,
				  t_close=time.time(), **ep))
		time.sleep(0.05)
	after = netstat(TFO_COUNTERS)
	report("done", conns=conns, before=before, after=after)


def role_client(a):
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	if a.bind_port:
		# bound before "ready": the port is ours while the suite sets up
		s.bind((a.bind_addr or ("::" if fam(a.addr) == socket.AF_INET6 else "0.0.0.0"), a.bind_port))
	report("ready", pid=os.getpid(), port=s.getsockname()[1] if a.bind_port else None)
	wait_cmd("go")
	t0 = time.time()
	s.connect((a.addr, a.port))
	t1 = time.time()
	ep = endpoint(s)
	report("connected", t_connect=t0, t_connected=t1, **ep)
	s.sendall(payload(a.send))
	got = recv_exact(s, a.recv)
	extra = 0
	late_err = None
	if a.end == "close":
		time.sleep(a.hold)
	elif a.end == "linger0":
		time.sleep(a.hold)
		linger0(s)
	elif a.end == "eof":
		extra = wait_eof(s)
	elif a.end == "late-write":
		extra = wait_eof(s)
		time.sleep(0.1)	# the peer's close is complete (its socket is in FIN_WAIT2)
		try:
			s.send(payload(a.late))
			time.sleep(0.2)	# the RST comes back
			s.send(payload(a.late))
		except OSError as e:
			late_err = e.errno
	st, _ = tcp_info(s)
	s.close()
	report("done", received=got, sent=a.send, extra=extra, late_errno=late_err, state_before_close=st,
	       t_connect=t0, t_connected=t1, t_close=time.time(), **ep)


def role_server(a):
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((a.addr, a.port))
	s.listen(16)
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	for _ in range(a.conns):
		c, _p = s.accept()
		ep = endpoint(c)
		got = recv_exact(c, a.recv)
		c.sendall(payload(a.send))
		extra = 0
		reset = False
		if a.end == "eof":
			try:
				extra = wait_eof(c)
			except ConnectionResetError:
				reset = True
		elif a.end == "linger0":
			time.sleep(a.hold)
			linger0(c)
		else:
			time.sleep(a.hold)
		c.close()
		report("conn", received=got, sent=a.send, extra=extra, reset=reset, t_close=time.time(), **ep)
	s.close()
	report("done")


def role_eaddrnotavail(a):
	report("ready", pid=os.getpid())
	wait_cmd("go")
	s1 = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	t0 = time.time()
	s1.connect((a.addr, a.port))
	ep = endpoint(s1)
	s2 = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	t1 = time.time()
	err = 0
	try:
		s2.connect((a.addr, a.port))
	except OSError as e:
		err = e.errno
	t2 = time.time()
	s2.close()
	time.sleep(a.hold)
	s1.close()
	report("done", first=ep, errno=err, t_connect1=t0, t_connect2=t1, t_fail2=t2, t_close=time.time())


def role_synclose(a):
	report("ready", pid=os.getpid())
	wait_cmd("go")
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	s.setblocking(False)
	t0 = time.time()
	rc = s.connect_ex((a.addr, a.port))
	lport = s.getsockname()[1]
	time.sleep(a.hold)
	st, _ = tcp_info(s)
	t1 = time.time()
	s.close()
	report("done", connect_rc=rc, lport=lport, state_before_close=st, t_connect=t0, t_close=t1)


def role_rst_sender(a):
	s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((a.addr, a.port))
	s.listen(128)
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	wait_cmd("go")
	data = payload(a.send)
	for _ in range(a.conns):
		c, _p = s.accept()
		ep = endpoint(c)
		t0 = time.time()
		err = 0
		try:
			c.sendall(data)
		except OSError as e:
			err = e.errno
		c.close()
		report("conn", send_errno=err, t_accept=t0, t_close=time.time(), **ep)
	s.close()
	report("done")


def role_rst_client(a):
	report("ready", pid=os.getpid())
	wait_cmd("go")
	ports = []
	for _ in range(a.count):
		s = socket.socket(fam(a.addr), socket.SOCK_STREAM)
		s.connect((a.addr, a.port))
		ports.append(s.getsockname()[1])
		s.sendall(payload(a.send))
		s.close()
	time.sleep(0.1)	# the FINs are acked: the orphans sit in FIN_WAIT2
	report("done", lports=ports, t_done=time.time())


def raise_nofile(n):
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	if soft < n:
		if hard != resource.RLIM_INFINITY and hard < n:
			hard = n	# root may raise the hard limit too
		resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def role_hold_client(a):
	raise_nofile(a.count + 100)
	report("ready", pid=os.getpid())
	wait_cmd("go")
	socks = []
	errors = {}
	data = payload(a.send)
	t0 = time.time()
	for _ in range(a.count):
		s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		try:
			s.connect((a.addr, a.port))
			s.sendall(data)
			socks.append(s)
		except OSError as e:
			errors[str(e.errno)] = errors.get(str(e.errno), 0) + 1
			s.close()
	report("holding", ok=len(socks), errors=errors, lports=[s.getsockname()[1] for s in socks],
	       seconds=time.time() - t0)
	wait_cmd("close")
	for s in socks:
		s.shutdown(socket.SHUT_WR)
	extra = 0
	for s in socks:
		try:
			extra += wait_eof(s)
		except OSError:
			errors["eof"] = errors.get("eof", 0) + 1
		s.close()
	report("done", ok=len(socks), errors=errors, extra=extra, t_done=time.time())


def role_hold_server(a):
	raise_nofile(a.expect + 100)
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind((a.addr, a.port))
	s.listen(4096)
	s.setblocking(False)
	report("ready", pid=os.getpid(), port=s.getsockname()[1])
	sel = selectors.DefaultSelector()
	sel.register(s, selectors.EVENT_READ, None)
	accepted = closed = received = short = 0
	while closed < a.expect:
		events = sel.select(timeout=60)
		if not events:
			break
		for key, _m in events:
			if key.data is None:
				while True:
					try:
						c, _p = s.accept()
					except BlockingIOError:
						break
					accepted += 1
					c.setblocking(False)
					sel.register(c, selectors.EVENT_READ, [0])
				continue
			c = key.fileobj
			try:
				chunk = c.recv(65536)
			except BlockingIOError:
				continue
			except ConnectionError:
				chunk = b""
			key.data[0] += len(chunk)
			received += len(chunk)
			if chunk:
				continue
			if key.data[0] != a.send:
				short += 1
			sel.unregister(c)
			c.close()
			closed += 1
	s.close()
	report("done", accepted=accepted, conns=closed, received=received, short=short)


ROLES = {
	"selfconn": role_selfconn, "simopen": role_simopen, "tfo-server": role_tfo_server,
	"tfo-client": role_tfo_client, "client": role_client, "server": role_server,
	"eaddrnotavail": role_eaddrnotavail, "synclose": role_synclose,
	"rst-sender": role_rst_sender, "rst-client": role_rst_client,
	"hold-client": role_hold_client, "hold-server": role_hold_server,
}


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("role", choices=sorted(ROLES))
	ap.add_argument("--name-hex", required=True)
	ap.add_argument("--addr", default="127.0.0.1")
	ap.add_argument("--port", type=int, default=0)
	ap.add_argument("--raddr")
	ap.add_argument("--rport", type=int, default=0)
	ap.add_argument("--bind-addr")
	ap.add_argument("--bind-port", type=int, default=0)
	ap.add_argument("--send", type=int, default=0)
	ap.add_argument("--recv", type=int, default=0)
	ap.add_argument("--late", type=int, default=100)
	ap.add_argument("--fill", type=int, default=0)
	ap.add_argument("--closer", action="store_true")
	ap.add_argument("--hold", type=float, default=0.0)
	ap.add_argument("--end", default="close", choices=["close", "linger0", "eof", "late-write"])
	ap.add_argument("--conns", type=int, default=1)
	ap.add_argument("--count", type=int, default=1)
	ap.add_argument("--expect", type=int, default=1)
	a = ap.parse_args()
	set_comm(bytes.fromhex(a.name_hex))
	try:
		ROLES[a.role](a)
	except Exception as e:
		report("error", error="%s: %s" % (type(e).__name__, e), errno=getattr(e, "errno", None))
		sys.exit(1)


if __name__ == "__main__":
	main()
