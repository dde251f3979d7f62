"""Helpers of the states and counts groups: peers of peer2.py, a single test
namespace with its own sysctls, egress delay with tbf, nft rules, and the
new stats keys."""
import os
import queue
import socket
import subprocess
import sys
import threading
import time

from netns import NetnsError, NetnsPair, _run
from traffic import Peer

PEER2 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer2.py")

STATS_NEW_KEYS = ["dropped_sessions_ringbuf", "dropped_connects_ringbuf",
		  "dropped_sessions_storage", "dropped_connects_storage",
		  "dropped_sessions_storage_max", "missed_state_changes", "dropped_connects_storage_max",
		  "dropped_output"]


class Peer2(Peer):
	"""A peer2.py process; same protocol as traffic.Peer."""

	def __init__(self, role, name, netns=None, **opts):
		self.role = role
		self.name = name if isinstance(name, bytes) else name.encode()
		argv = [sys.executable, PEER2, role, "--name-hex", self.name.hex()]
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
		self.cgroup = cgroup_of(self.pid)


def cgroup_of(pid):
	"""The cgroup v2 path of a live process ("0::/a/b" -> "/a/b"), or None."""
	try:
		with open("/proc/%d/cgroup" % pid) as f:
			for line in f:
				if line.startswith("0::"):
					return line[3:].strip()
	except OSError:
		pass
	return None


class Netns:
	"""One test namespace with loopback up and its own sysctls."""

	def __init__(self, tag, sysctls=()):
		self.name = "tlbpf-%d-%s" % (os.getpid(), tag)
		self.sysctls = list(sysctls)

	def setup(self):
		self.cleanup()
		_run(["ip", "netns", "add", self.name])
		_run(["ip", "-n", self.name, "link", "set", "lo", "up"])
		for k, v in self.sysctls:
			sysctl(self.name, k, v)
		return self

	def cleanup(self):
		if os.path.exists("/run/netns/" + self.name):
			_run(["ip", "netns", "del", self.name], check=False)


def with_cgroup(peer):
	"""Give a traffic.Peer the cgroup attribute of a Peer2 (if it lacks one)."""
	if getattr(peer, "cgroup", None) is None:
		peer.cgroup = cgroup_of(peer.pid)
	return peer


def snmp(ns, name):
	"""One counter of /proc/net/snmp in namespace ns, e.g. "TcpRetransSegs"."""
	text = _run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"]).stdout.splitlines()
	for hdr, val in zip(text[0::2], text[1::2]):
		h, v = hdr.split(), val.split()
		for k, x in zip(h[1:], v[1:]):
			if h[0].rstrip(":") + k == name:
				return int(x)
	return None


def sysctl(ns, key, value):
	_run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "%s=%s" % (key, value)])
	got = _run(["ip", "netns", "exec", ns, "sysctl", "-n", key]).stdout.split()
	if got != str(value).split():
		raise NetnsError("sysctl %s in %s: set %r, reads %r" % (key, ns, value, got))


def nft(ns, *rule):
	_run(["ip", "netns", "exec", ns, "nft"] + list(rule))


def nft_drop_syns(ns, port, table="tlbpf2"):
	"""In ns, drop incoming SYNs to port (input hook)."""
	nft(ns, "add", "table", "inet", table)
	nft(ns, "add", "chain", "inet", table, "input",
	    "{ type filter hook input priority 0 ; policy accept ; }")
	nft(ns, "add", "rule", "inet", table, "input", "tcp", "dport", str(port),
	    "tcp", "flags", "&", "(syn|ack)", "==", "syn", "drop")


def ss(ns, *args):
	argv = ["ss"] + list(args)
	if ns:
		argv = ["ip", "netns", "exec", ns] + argv
	return _run(argv, check=False).stdout


TBF_BURST = 1600


def tbf_slow(ns_ifs, rate_bps=2000):
	"""A slow tbf (rate_bps bytes/s) on each (ns, ifname): no netem here
	(sch_netem is not built), tbf is. Whoever first sends tbf_fill(d)
	bytes through it makes what it sends next wait about d seconds."""
	for ns, ifname, _peer in ns_ifs:
		_run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", ifname, "root", "tbf",
		      "rate", "%dbit" % (rate_bps * 8), "burst", str(TBF_BURST), "limit", "200000"])


def tbf_fill(delay_s, rate_bps=2000):
	"""Bytes of filler (UDP payload; 42 bytes of headers each) that empty
	the bucket and leave delay_s of backlog."""
	return int(delay_s * rate_bps) + TBF_BURST


def tbf_remove(ns_ifs):
	for ns, ifname, _peer in ns_ifs:
		_run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", ifname, "root"], check=False)


def udp_discard(ns, table="tlbpf3"):
	nft(ns, "add", "table", "inet", table)
	nft(ns, "add", "chain", "inet", table, "input",
	    "{ type filter hook input priority 0 ; policy accept ; }")
	nft(ns, "add", "rule", "inet", table, "input", "udp", "dport", "9", "drop")


def ping(ns, addr):
	_run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "2", addr], check=False)


def check_stats_v2(c, st, *, zero=(), misses=None):
	"""The stats line has the new keys, each a count, and its sums agree:
	dropped = dropped_ringbuf + dropped_map, dropped_ringbuf = sessions +
	connects ring-buffer losses, dropped_map = the storage losses. Keys in
	zero must be 0. misses: the kernel's recursion_misses of the instance's
	programs (harness.Tcplens.misses), to explain or bound missed_state_changes."""
	if not c.true(st is not None, "a stats line at exit"):
		return False
	missing = [k for k in STATS_NEW_KEYS if k not in st]
	if missing:
		c.fail("stats line lacks %s (binary without capture v2?): %s" % (missing, st))
		return False
	for k in STATS_NEW_KEYS + ["dropped", "dropped_ringbuf", "dropped_map"]:
		v = st.get(k)
		if not isinstance(v, int) or isinstance(v, bool) or v < 0:
			c.fail("stats %s=%r is not a count" % (k, v))
			return False
	c.eq(st["dropped_ringbuf"], st["dropped_sessions_ringbuf"] + st["dropped_connects_ringbuf"],
	     "dropped_ringbuf = dropped_sessions_ringbuf + dropped_connects_ringbuf")
	c.eq(st["dropped_map"], st["dropped_sessions_storage"] + st["dropped_connects_storage"],
	     "dropped_map = dropped_sessions_storage + dropped_connects_storage")
	c.eq(st["dropped"], st["dropped_ringbuf"] + st["dropped_map"],
	     "dropped = dropped_ringbuf + dropped_map")
	for k in zero:
		what = "stats %s" % k
		if k == "missed_state_changes":
			what += (" (state changes the kernel skipped on recursion that the standby program "
				 "did not take over; bpf recursion_misses of its programs: %s)" % (misses,))
		c.eq(st.get(k), 0, what)
	if misses is not None and "missed_state_changes" not in zero:
		# classic tracepoints: nothing takes over a skipped run, but every
		# one is counted, and no more than the kernel skipped
		c.true(st["missed_state_changes"] <= misses,
		       "missed_state_changes (%d) <= bpf recursion_misses of its programs (%d)"
		       % (st["missed_state_changes"], misses))
		if st["missed_state_changes"]:
			c.note("note: %d state changes missed under load (classic tracepoints)"
			       % st["missed_state_changes"])
	return True


def check_session2(c, ev, *, dir, peer, family, laddr, lport, raddr, rport, tx, rx, t_lo, t_hi,
		   dur_lo_ms=0.0, dur_hi_ms=None, loopback=True, reset=False, retrans=None):
	"""Every field of one session, the capture v2 ones included. peer: the
	owner (pid, comm, cgroup known from the test's own process)."""
	if ev is None:
		return
	c.note("the session event: %s" % ev)
	c.eq(ev.get("dir"), dir, "dir")
	c.eq(ev.get("pid"), peer.pid, "pid (owner)")
	c.eq(ev.get("comm"), peer.comm, "comm (owner)")
	c.eq(ev.get("family"), family, "family")
	c.eq(ev.get("laddr"), laddr, "laddr")
	c.eq(ev.get("lport"), lport, "lport")
	c.eq(ev.get("raddr"), raddr, "raddr")
	c.eq(ev.get("rport"), rport, "rport")
	if tx is not None:
		c.eq(ev.get("tx_bytes"), tx, "tx_bytes (payload sent and acked)")
	if rx is not None:
		c.eq(ev.get("rx_bytes"), rx, "rx_bytes (payload received)")
	if dur_hi_ms is None:
		dur_hi_ms = (t_hi - t_lo) * 1000.0 + 250.0
	c.between(ev.get("duration_ms"), dur_lo_ms, dur_hi_ms, "duration_ms")
	if retrans is None and loopback:
		retrans = 0
	if retrans is not None:
		c.eq(ev.get("retrans"), retrans, "retrans")
	c.between(ev.get("srtt_us"), 1, 2000000, "srtt_us")
	c.between(ev.get("ts"), t_lo - 1.0, t_hi + 1.0, "ts (unix seconds)")
	c.eq(ev.get("cgroup"), peer.cgroup, "cgroup (the owner's, /proc/PID/cgroup)")
	c.eq(ev.get("reset"), reset, "reset")
	c.eq(ev.get("opened_before_start"), False, "opened_before_start")


def check_connect2(c, ev, *, peer, family, saddr, daddr, dport, result, errno, t_lo, t_hi,
		   lport=None, lat_lo_ms=0.0, lat_hi_ms=100.0, syn_retrans=0):
	if ev is None:
		return
	c.note("the connect event: %s" % ev)
	c.eq(ev.get("pid"), peer.pid, "pid")
	c.eq(ev.get("comm"), peer.comm, "comm")
	c.eq(ev.get("family"), family, "family")
	c.eq(ev.get("saddr"), saddr, "saddr")
	if lport is not None:
		c.eq(ev.get("lport"), lport, "lport")
	c.eq(ev.get("daddr"), daddr, "daddr")
	c.eq(ev.get("dport"), dport, "dport")
	if isinstance(result, (tuple, list)):
		c.true(ev.get("result") in result, "result one of %s" % (result,), ev.get("result"))
	else:
		c.eq(ev.get("result"), result, "result")
	if errno is not None:
		c.eq(ev.get("errno"), errno, "errno")
	if syn_retrans is not None:
		c.eq(ev.get("syn_retrans"), syn_retrans, "syn_retrans")
	c.between(ev.get("latency_ms"), lat_lo_ms, lat_hi_ms, "latency_ms")
	c.between(ev.get("ts"), t_lo - 1.0, t_hi + 1.0, "ts (unix seconds)")
	c.eq(ev.get("cgroup"), peer.cgroup, "cgroup (the caller's, /proc/PID/cgroup)")
