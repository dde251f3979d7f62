"""The ready line, and classic tracepoints on a host without tracefs.

Every tracing mode prints exactly one stderr line that begins
"tcplens: tracing " once it traces (scripts wait for it), under both probe
kinds, and no other stderr line begins that way.

With --probes=tracepoint tcplens needs tracefs. It is run inside a mount
namespace of the test's own where tracefs is not mounted (a `sleep` holds
that namespace; tcplens enters it with nsenter): it must trace a known
session there, and when it has exited that namespace must have no tracefs
mount left, nor any other change; the host's mounts must not change either.
Whether tcplens mounts tracefs in a private namespace of its own or unmounts
it at exit is not this test's business."""
import os
import signal
import subprocess
import time

import checks
import harness
from cgroups import parse_mountinfo
from traffic import Exchange

EXIT_TIMEOUT_S = 15.0
WAIT_EVENTS_S = 5.0
MODES = [
	# label, args, ends by itself
	("json", ["json"], False),
	("life", ["life"], False),
	("connlat", ["connlat"], False),
	("batch monitor -b -n 2 -d 0.5", ["-b", "-n", "2", "-d", "0.5"], True),
	("open", ["open"], True),
	("open -i 0.5 -n 2", ["open", "-i", "0.5", "-n", "2"], True),
]


class HostMounts:
	"""The host's mounts just before and just after each tcplens run of this
	group: what changed inside those windows. Other tracers running on the
	host at the same time can change them too; short windows keep that
	unlikely, and the failure says so."""

	def __init__(self):
		self.changes = []	# (label, gained, lost)
		self._before = None

	def before(self):
		self._before = mounts_of("self")

	def after(self, label, ours=()):
		if self._before is None:
			return
		# nsfs: `ip netns` bind mounts of other suites' namespaces, which
		# come and go; tcplens never makes those
		b = [m for m in mount_set(self._before) if m[1] != "nsfs"]
		a = [m for m in mount_set(mounts_of("self")) if m[1] != "nsfs"]
		gained = [m for m in a if m not in b]
		lost = [m for m in b if m not in a]
		if gained or lost:
			self.changes.append((label, gained, lost, other_tracers(ours)))
		self._before = None


def other_tracers(ours):
	"""Other tcplens processes on the host now (not this suite's)."""
	out = []
	for d in os.listdir("/proc"):
		if not d.isdigit() or int(d) in ours:
			continue
		try:
			exe = os.readlink("/proc/%s/exe" % d)
		except OSError:
			continue
		if os.path.basename(exe) == "tcplens":
			out.append("%s %s" % (d, exe))
	return out


def run(ctx):
	host = HostMounts()
	try:
		for probes in ("btf", "tracepoint"):
			run_ready(ctx, probes, host)
		# tp_btf needs no tracefs for the sock/tcp tracepoints, but may
		# use classic ones for others (syscalls have no tp_btf form)
		for probes in ("tracepoint", "btf"):
			run_tracefs(ctx, probes, host)
		with ctx.check("tracefs: the host's mounts do not change while tcplens runs "
			       "(every --probes=tracepoint and btf run of this group)") as c:
			for label, gained, lost, others in host.changes:
				c.fail("%s: the host gained %s and lost %s" % (label, gained, lost))
				if others:
					c.note("other tcplens processes were running then, and may have done it: %s"
					       % "; ".join(others))
	finally:
		restore_tracefs(ctx, host)


def restore_tracefs(ctx, host):
	"""Undo what a tcplens that broke the rule left: tracefs mounts the
	host gained while one of this group's runs was going (the failure is
	reported above)."""
	gained = set(m[0] for _l, g, _lost, _o in host.changes for m in g if m[1] == "tracefs")
	for m in reversed(parse_mountinfo(mounts_of("self"))):
		if m[2] == "tracefs" and m[1] in gained:
			p = subprocess.run(["umount", m[1]], capture_output=True, text=True)
			ctx.tap.diag("removed the tracefs mount on %s that appeared on the host during "
				     "a tcplens run%s" % (m[1], "" if p.returncode == 0 else ": " + p.stderr.strip()))
			gained.discard(m[1])


def wait_exit(tl, timeout):
	try:
		tl.rc = tl.proc.wait(timeout)
	except subprocess.TimeoutExpired:
		pass
	tl.stop()


def run_ready(ctx, probes, host):
	"""All modes at once; one that never says it is ready fails its own
	point and does not hold up the others."""
	tls = [ctx.tcplens(args + ["--probes=" + probes], "ready %s --probes=%s" % (label, probes))
	       for label, args, _ in MODES]
	try:
		host.before()
		start_err = harness.start_each(tls)
		time.sleep(0.3)	# a second ready line, if any, would come now
		for (label, args, ends), tl in zip(MODES, tls):
			if ends:
				wait_exit(tl, EXIT_TIMEOUT_S)
		for (label, args, ends), tl in zip(MODES, tls):
			if not ends:
				tl.stop()
		host.after("ready --probes=%s" % probes, {tl.proc.pid for tl in tls if tl.proc})
	finally:
		for tl in tls:
			tl.kill()
	for (label, args, ends), tl in zip(MODES, tls):
		with ctx.check("ready --probes=%s: %s prints exactly one stderr line beginning "
			       "'tcplens: tracing ', and exits 0" % (probes, " ".join(args))) as c:
			lines = tl.ready_lines()
			c.eq(len(lines), 1, "stderr lines beginning 'tcplens: tracing '")
			if tl in start_err:
				c.note(start_err[tl])
			c.note("stderr:\n" + tl.stderr_text()[-3000:])
			c.note("stdout (start):\n" + "\n".join(tl.stdout_lines()[:15]))
			c.eq(tl.killed, False, "had to be killed (did not %s in time)" % (
				"exit by itself" if ends else "exit after SIGINT"))
			c.eq(tl.rc, 0, "exit status")


def mounts_of(pid):
	with open("/proc/%s/mountinfo" % pid) as f:
		return f.read()


def mount_set(text):
	"""(mount point, fstype) of every mount, with duplicates counted.
	Network namespace handles (nsfs under /run/netns) are left out: the
	other groups of this suite, and other suites on the host, add and
	remove them at any time, and they propagate into every namespace."""
	return sorted((m[1], m[2]) for m in parse_mountinfo(text) if m[2] != "nsfs")


def new_lines(before, now):
	if now is None:
		return "(not read)"
	return "\n".join(m[4] for m in parse_mountinfo(now)
			 if (m[1], m[2]) not in set(mount_set(before or ""))) or "(none)"


def tracefs_mounts(text):
	return [m[4] for m in parse_mountinfo(text) if m[2] == "tracefs"]


def run_tracefs(ctx, probes, host):
	label = "tracefs: --probes=%s in a mount namespace without tracefs" % probes
	holder = None
	tl = None
	ex = None
	ns_before = ns_during = ns_after = tl_mounts = None
	links = []
	try:
		# the holder: a private mount namespace with every tracefs mount
		# taken away (it may be mounted more than once), then sleep
		script = ('while grep -q " - tracefs " /proc/self/mountinfo; do '
			  'p=$(grep " - tracefs " /proc/self/mountinfo | head -n1 | cut -d" " -f5); '
			  'umount "$p" || exit 3; done; echo ready; exec sleep 60')
		holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
					  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
					  stderr=subprocess.PIPE, text=True)
		line = holder.stdout.readline()
		with ctx.check("%s: setup: the namespace has no tracefs" % label) as c:
			if not c.eq(line.strip(), "ready", "the holder's first line"):
				holder.kill()
				c.note("holder stderr: %s" % holder.communicate(timeout=5)[1])
				return
			# the mount namespace really differs from ours
			c.true(os.readlink("/proc/%d/ns/mnt" % holder.pid) != os.readlink("/proc/self/ns/mnt"),
			       "the holder is in a mount namespace of its own")
			ns_before = mounts_of(holder.pid)
			c.eq(tracefs_mounts(ns_before), [], "tracefs mounts in the namespace before tcplens")
			if not c.ok():
				return
		ex = Exchange(ctx.ports, "trfs" + probes[0], closer="client", c_bytes=4444, s_bytes=333, hold=0.2)
		tl = ctx.tcplens([], label)
		tl.binary = "nsenter"
		tl.args = ["-t", str(holder.pid), "-m", "--", ctx.binary, "json", "--probes=" + probes]
		host.before()
		if not ctx.start(label, [tl]):
			return
		links = tl.tp_links()
		ns_during = mounts_of(holder.pid)
		try:
			tl_mounts = mounts_of(tl.proc.pid)
		except OSError:
			tl_mounts = None
		ex.run()
		ports = [ex.port, ex.lport]
		tl.wait_for(lambda evs: len(checks.touching(evs, ports)) >= 3, WAIT_EVENTS_S)
		tl.stop()
		host.after(label, {tl.proc.pid})
		# tcplens has exited; the namespace lives on in the holder
		ns_after = mounts_of(holder.pid)
	finally:
		if tl is not None:
			tl.kill()
		if ex is not None:
			ex.kill()
		if holder is not None and holder.poll() is None:
			holder.send_signal(signal.SIGKILL)
			holder.wait()
	if probes == "tracepoint":
		with ctx.check("%s: classic tracepoints attached (the path that needs tracefs)" % label) as c:
			c.true(links and all(lt == "perf" for lt, _ in links),
			       "every tracepoint link is a perf link (classic tracepoint)", links)
			c.note("stderr: %s" % tl.stderr_text()[-2000:])
	events = tl.events()
	for which in ("active", "passive", "connect"):
		with ctx.check("%s: the known session is traced: %s" % (label, which)) as c:
			checks.check_exchange(c, events, ex, which)
	with ctx.check("%s: exits 0 after SIGINT" % label) as c:
		checks.check_clean_exit(c, tl)
	with ctx.check("%s: after tcplens exits, no tracefs mount is left in the namespace, "
		       "and its mounts are as before" % label) as c:
		c.note("namespace mounts before:\n%s" % ns_before)
		c.note("namespace mounts while tcplens ran, beyond those before:\n%s" % new_lines(ns_before, ns_during))
		c.note("tcplens's own mounts while it ran, beyond the namespace's before:\n%s"
		       % new_lines(ns_before, tl_mounts))
		if c.true(ns_after is not None, "read the namespace's mountinfo after tcplens exited"):
			c.eq(tracefs_mounts(ns_after), [], "tracefs mounts in the namespace after tcplens exited")
			c.eq(mount_set(ns_after), mount_set(ns_before), "the namespace's mounts (point, fstype)")
