#!/usr/bin/env python3
"""End-to-end tests of tcplens against the real kernel (TAP).

Usage: run.py --tcplens BUILD/tcplens [--only GROUP[,GROUP]] [--list]

Needs root and a kernel with BTF; otherwise prints "1..0 # SKIP reason"
(CI counts that as a failure, on purpose). Exit status 1 if any test failed.
"""
import argparse
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tap import Tap  # noqa: E402
from traffic import Ports  # noqa: E402
import harness  # noqa: E402
import test_ipv4  # noqa: E402
import test_ipv6  # noqa: E402
import test_connect  # noqa: E402
import test_netns  # noqa: E402
import test_filters  # noqa: E402
import test_burst  # noqa: E402
import test_linemodes  # noqa: E402
import test_errors  # noqa: E402
import test_adopt  # noqa: E402
import test_open  # noqa: E402
import test_cgroup  # noqa: E402
import test_ready  # noqa: E402
import test_states  # noqa: E402
import test_counts  # noqa: E402
import test_output  # noqa: E402
import test_record  # noqa: E402

GROUPS = [
	("ipv4", test_ipv4),
	("ipv6", test_ipv6),
	("connect", test_connect),
	("netns", test_netns),
	("filters", test_filters),
	("burst", test_burst),
	("linemodes", test_linemodes),
	("errors", test_errors),
	("adopt", test_adopt),
	("open", test_open),
	("cgroup", test_cgroup),
	("ready", test_ready),
	("states", test_states),
	("counts", test_counts),
	("output", test_output),
	("record", test_record),
]


class Context:
	def __init__(self, tap, binary):
		self.tap = tap
		self.binary = binary
		self.ports = Ports()

	def check(self, name):
		return self.tap.check(name)

	def tcplens(self, args, label=None):
		return harness.Tcplens(self.binary, args, label)

	def start(self, label, instances):
		"""Start tcplens processes; on failure report one failed point and
		return False (the caller then skips its checks, which would only
		repeat the same cause)."""
		try:
			harness.start_all(instances)
			return True
		except harness.StartError as e:
			self.tap.result(False, "%s: tcplens starts and prints 'tracing'" % label, [str(e)])
			return False


def skip_reason(binary):
	if os.geteuid() != 0:
		return "not root: the bpf suite needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)"
	if not os.path.exists("/sys/kernel/btf/vmlinux"):
		return "kernel without BTF (/sys/kernel/btf/vmlinux missing)"
	if not os.path.exists("/proc/sys/kernel/unprivileged_bpf_disabled"):
		return "kernel without the bpf() system call"
	if not os.access(binary, os.X_OK):
		return "no tcplens binary at %s" % binary
	return None


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--tcplens", required=True)
	ap.add_argument("--only", help="comma-separated groups: " + ",".join(g for g, _ in GROUPS))
	args = ap.parse_args()
	binary = os.path.abspath(args.tcplens)
	reason = skip_reason(binary)
	if reason:
		print("1..0 # SKIP " + reason)
		sys.stdout.flush()
		return 0
	only = set(args.only.split(",")) if args.only else None
	if only and only - {g for g, _ in GROUPS}:
		ap.error("unknown group(s): %s" % ", ".join(sorted(only - {g for g, _ in GROUPS})))
	# meson's timeout sends SIGTERM: unwind so that every finally block
	# kills its processes and removes its namespaces
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
	tap = Tap()
	ctx = Context(tap, binary)
	t0 = time.monotonic()
	for name, mod in GROUPS:
		if only and name not in only:
			continue
		tap.diag("group %s" % name)
		g0 = time.monotonic()
		try:
			mod.run(ctx)
		except Exception as e:  # a broken group must not hide the others
			import traceback
			tap.result(False, "%s: group ran to the end" % name,
				   ["%s: %s" % (type(e).__name__, e)] + traceback.format_exc().splitlines())
		tap.diag("group %s took %.1f s" % (name, time.monotonic() - g0))
	tap.diag("suite took %.1f s" % (time.monotonic() - t0))
	if tap.failed:
		tap.diag("%d of %d failed:" % (tap.failed, tap.count))
		for n in tap.failed_names:
			tap.diag("  " + n)
	tap.plan()
	return 1 if tap.failed or tap.count == 0 else 0


if __name__ == "__main__":
	sys.exit(main())
