"""Errors a user can act on (bad option values: exit 2, one line on stderr,
nothing on stdout), and a hostile process name with control characters that
must never reach the output raw."""
import json
import subprocess
import time

import checks
from harness import stop_all
from traffic import Exchange, kill_all

BAD_OPTIONS = [
	["json", "-L", "0"],
	["json", "-L", "65536"],
	["json", "-D", "80,abc"],
	["life", "-D", "-1"],
	["json", "-p", "abc"],
	["json", "-p", "12x"],
	["json", "--no-such-option"],
	["life", "-Q"],
	["connlat", "notanumber"],
	["json", "--probes=bogus"],
]

# ESC, a RIGHT-TO-LEFT OVERRIDE (U+202E: it reorders the rest of a line on
# screen) and BEL: 13 bytes, within a process name's 15
HOSTILE = b"\x1b[31m\xe2\x80\xaeevil\x07"
# one escaping everywhere: the monitor, life, connlat and JSON's decoded value
HOSTILE_SHOWN = r"\x1b[31m\xe2\x80\xaeevil\x07"


def run(ctx):
	run_bad_options(ctx)
	run_unprivileged(ctx)
	run_dropped_caps(ctx)
	run_tracefs_unreadable(ctx)
	run_hostile_comm(ctx)


def one_line_exit2(c, cmd, what):
	"""Runs cmd: exit 2, nothing on stdout, one stderr line; returns it."""
	try:
		p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
	except subprocess.TimeoutExpired:
		c.fail("still running after 20 s: " + what)
		return ""
	c.eq(p.returncode, 2, "exit status")
	c.eq(p.stdout, b"", "stdout")
	lines = p.stderr.decode("utf-8", "replace").splitlines()
	c.eq(len(lines), 1, "stderr lines (got %r)" % p.stderr[:500])
	return lines[0] if lines else ""


def run_dropped_caps(ctx):
	"""uid 0 in a container that dropped CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN:
	"run as root" would be wrong advice; the missing capabilities are named."""
	cmd = ["setpriv", "--inh-caps=-all", "--bounding-set=-bpf,-perfmon,-sys_admin", ctx.binary, "json"]
	with ctx.check("uid 0 without the capabilities: exit 2, one line naming the missing ones") as c:
		line = one_line_exit2(c, cmd, "uid 0 without capabilities")
		c.true("uid 0" in line and "CAP_BPF" in line and "CAP_PERFMON" in line and
		       "must run as root" not in line, "names uid 0 and the missing capabilities", line)


def run_tracefs_unreadable(ctx):
	"""tracefs mounted but closed (mode 0700) to a non-root user with CAP_BPF and
	CAP_PERFMON, classic tracepoints: not "not mounted", and no mount attempted.
	In a private mount namespace of the test's, so the host's tracefs is untouched."""
	script = ("for m in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do "
		  "umount $m 2>/dev/null; done; mount -t tracefs -o mode=0700 tracefs /sys/kernel/tracing && "
		  "exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+bpf,+perfmon "
		  "--ambient-caps=+bpf,+perfmon \"$0\" json --probes=tracepoint")
	cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, ctx.binary]
	with ctx.check("tracefs not readable: exit 2, one line saying so, no mount attempted") as c:
		line = one_line_exit2(c, cmd, "tracefs unreadable")
		c.true("not readable" in line and "mounting it" not in line,
		       "says tracefs is there but not readable", line)


def run_unprivileged(ctx):
	"""Without root or CAP_BPF+CAP_PERFMON: one line that says what is needed, exit 2."""
	cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
	       ctx.binary, "json"]
	with ctx.check("not root: exit 2, one line naming the privilege needed, nothing on stdout") as c:
		try:
			p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
		except subprocess.TimeoutExpired:
			c.fail("still running after 10 s as an unprivileged user")
			return
		c.eq(p.returncode, 2, "exit status")
		c.eq(p.stdout, b"", "stdout")
		lines = p.stderr.decode("utf-8", "replace").splitlines()
		c.eq(len(lines), 1, "stderr lines (got %r)" % p.stderr[:500])
		if lines:
			c.true("root" in lines[0] and "CAP_BPF" in lines[0], "names root and CAP_BPF", lines[0])


def run_bad_options(ctx):
	# all at once: a binary that wrongly accepts an option runs until killed
	procs = [subprocess.Popen([ctx.binary] + args, stdin=subprocess.DEVNULL,
				  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for args in BAD_OPTIONS]
	results = []
	deadline = time.monotonic() + 10
	for p in procs:
		try:
			out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
			results.append((p.returncode, out, err, False))
		except subprocess.TimeoutExpired:
			p.kill()
			out, err = p.communicate()
			results.append((p.returncode, out, err, True))
	for args, (rc, out, err, hung) in zip(BAD_OPTIONS, results):
		with ctx.check("bad option %s: exit 2, one line on stderr, nothing on stdout"
			       % " ".join(args)) as c:
			if hung:
				c.fail("still running after 10 s (it accepted the option?); stderr %r"
				       % err[:500])
				continue
			c.eq(rc, 2, "exit status")
			c.eq(out, b"", "stdout")
			lines = err.decode("utf-8", "replace").splitlines()
			c.eq(len(lines), 1, "stderr lines (got %r)" % err[:500])
			if lines:
				c.true(len(lines[0].strip()) > 10, "a message that says something", lines[0])
				c.true("libbpf" not in lines[0], "no libbpf noise", lines[0])


BIDI = [chr(cp).encode() for cp in list(range(0x202a, 0x202f)) + list(range(0x2066, 0x206a))]


def has_raw_controls(data):
	return any(b < 0x20 and b not in (0x0a,) or b == 0x7f for b in data) or \
		any(seq in data for seq in BIDI)


def run_hostile_comm(ctx):
	peers = []
	ex = None
	modes = [("life", ["life"]), ("life -w", ["life", "-w"]), ("connlat -x", ["connlat", "-x"]),
		 ("json", ["json"])]
	tls = [ctx.tcplens(a, n) for n, a in modes]
	try:
		ex = Exchange(ctx.ports, "evil", closer="server", c_bytes=10, s_bytes=20, hold=0.0,
			      client_name=HOSTILE)
		if not ctx.start("hostile comm", tls):
			return
		ex.run()
		time.sleep(0.3)
		ports = [ex.port, ex.lport]
		tls[3].wait_for(lambda evs: len(checks.touching(evs, ports)) >= 3, 5.0)
		stop_all(tls)
	finally:
		for tl in tls:
			tl.kill()
		kill_all(peers)
		if ex is not None:
			ex.kill()

	pid = str(ex.client.pid)
	for (name, _a), tl in zip(modes[:3], tls[:3]):
		with ctx.check("hostile comm (ESC, U+202E, BEL) never raw in %s output" % name) as c:
			raw = tl.raw_stdout()
			c.eq(has_raw_controls(raw), False, "raw control bytes on stdout")
			rows = [l for l in tl.stdout_lines() if l.split()[:1] == [pid]]
			c.eq(len(rows), 1, "rows of the hostile client (pid %s)" % pid)
			c.note("%s output: %r" % (name, raw[:3000]))
			checks.check_clean_exit(c, tl)
	with ctx.check("hostile comm in json: valid JSON that decodes to the name as the screen "
		       "shows it (\\xNN)") as c:
		tl = tls[3]
		raw = tl.raw_stdout()
		c.eq(has_raw_controls(raw), False, "raw control bytes on stdout")
		mine = []
		for line in raw.splitlines():
			try:
				ev = json.loads(line)
			except ValueError as e:
				c.fail("not JSON (%s): %r" % (e, line[:300]))
				continue
			if ev.get("pid") == ex.client.pid:
				mine.append(ev)
		c.eq(sorted(e.get("type") for e in mine), ["connect", "session"],
		     "events owned by the hostile client")
		for ev in mine:
			c.eq(ev.get("comm"), HOSTILE_SHOWN, "%s comm" % ev.get("type"))
		checks.check_clean_exit(c, tl)
