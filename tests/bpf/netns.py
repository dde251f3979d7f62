"""A pair of test network namespaces joined by a veth, and nft rules in them.

Names carry the suite's pid so concurrent runs do not collide; everything is
removed by cleanup() (deleting a namespace deletes its end of the veth, and
the veth pair with it).
"""
import os
import subprocess
import time

SUBNET = "10.201.0"


class NetnsError(Exception):
	pass


def _run(argv, check=True):
	p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
			   stderr=subprocess.PIPE, text=True, timeout=20)
	if check and p.returncode != 0:
		raise NetnsError("%s -> %d: %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
	return p


class NetnsPair:
	def __init__(self, tag="tl"):
		pid = os.getpid()
		self.ns_a = "tlbpf-%d-%s-a" % (pid, tag)
		self.ns_b = "tlbpf-%d-%s-b" % (pid, tag)
		short = "%x" % (pid & 0xfffff)
		self.if_a = ("tlv%sa" % short)[:15]
		self.if_b = ("tlv%sb" % short)[:15]
		self.addr_a = SUBNET + ".1"
		self.addr_b = SUBNET + ".2"
		self.created = False

	def setup(self):
		self.cleanup()
		self.created = True
		_run(["ip", "netns", "add", self.ns_a])
		_run(["ip", "netns", "add", self.ns_b])
		_run(["ip", "link", "add", self.if_a, "netns", self.ns_a, "type", "veth",
		      "peer", "name", self.if_b, "netns", self.ns_b])
		for ns, ifname, addr in ((self.ns_a, self.if_a, self.addr_a),
					 (self.ns_b, self.if_b, self.addr_b)):
			_run(["ip", "-n", ns, "link", "set", "lo", "up"])
			_run(["ip", "-n", ns, "addr", "add", addr + "/24", "dev", ifname])
			_run(["ip", "-n", ns, "link", "set", ifname, "up"])
		# the link comes up asynchronously
		deadline = time.monotonic() + 5
		while True:
			states = [_run(["ip", "-n", ns, "-o", "link", "show", "dev", ifname]).stdout
				  for ns, ifname in ((self.ns_a, self.if_a), (self.ns_b, self.if_b))]
			if all("LOWER_UP" in s and "state UP" in s for s in states):
				break
			if time.monotonic() > deadline:
				raise NetnsError("veth did not come up: %s" % states)
			time.sleep(0.05)
		return self

	def drop_tcp_to(self, ns, port):
		"""In ns, drop every TCP segment to port: SYNs go unanswered."""
		table = "tlbpf"
		_run(["ip", "netns", "exec", ns, "nft", "add", "table", "inet", table])
		_run(["ip", "netns", "exec", ns, "nft", "add", "chain", "inet", table, "input",
		      "{ type filter hook input priority 0 ; policy accept ; }"])
		_run(["ip", "netns", "exec", ns, "nft", "add", "rule", "inet", table, "input",
		      "tcp", "dport", str(port), "drop"])

	def cleanup(self):
		for ns in (self.ns_a, self.ns_b):
			if os.path.exists("/run/netns/" + ns):
				_run(["ip", "netns", "del", ns], check=False)
		self.created = False

	def __enter__(self):
		return self.setup()

	def __exit__(self, *exc):
		self.cleanup()
		return False
