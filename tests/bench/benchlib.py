"""Shared by tests/bench/run and tests/bench/fidelity_quick.py: starting
tl-loadgen paused, attaching tcplens to its pid, counting what was captured,
reading a process's CPU time and peak RSS, and setting sysctls for a run."""
import json
import os
import signal
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
	pass


# ---- /proc ----

def cpu_seconds(pid):
	"""utime + stime of a whole process (all threads), in seconds."""
	with open("/proc/%d/stat" % pid) as f:
		stat = f.read()
	# comm may hold spaces or parentheses: split after the last ')'
	fields = stat[stat.rindex(")") + 2:].split()
	return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sched_seconds(pid):
	"""CPU time of a whole process from the scheduler (sum_exec_runtime of
	every thread, /proc/PID/task/*/schedstat): the same time as utime +
	stime, in nanoseconds instead of clock ticks, for spans too short to
	measure in ticks. None where schedstat is not available."""
	total = 0
	try:
		for tid in os.listdir("/proc/%d/task" % pid):
			with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
				total += int(f.read().split()[0])
	except (OSError, ValueError, IndexError):
		return None
	return total / 1e9


def busy_seconds():
	"""CPU time the whole machine spent not idle, in seconds, since boot."""
	with open("/proc/stat") as f:
		fields = [int(x) for x in f.readline().split()[1:]]
	# user nice system idle iowait irq softirq steal (guest is inside user)
	return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK


def status_kib(pid, key):
	with open("/proc/%d/status" % pid) as f:
		for line in f:
			if line.startswith(key + ":"):
				return int(line.split()[1])
	return None


def bpf_prog_ids(pid):
	"""ids of the BPF programs a process holds (its prog and link fds)."""
	ids = set()
	fddir = "/proc/%d/fdinfo" % pid
	for fd in os.listdir(fddir):
		try:
			with open(os.path.join(fddir, fd)) as f:
				for line in f:
					if line.startswith("prog_id:"):
						ids.add(int(line.split()[1]))
		except OSError:
			pass
	return ids


def bpf_prog_stats(pid):
	"""{prog_id: {run_time_ns, run_cnt, recursion_misses}} of the BPF
	programs whose fds a process holds (their fdinfo carries the stats)."""
	stats = {}
	fddir = "/proc/%d/fdinfo" % pid
	for fd in os.listdir(fddir):
		info = {}
		try:
			with open(os.path.join(fddir, fd)) as f:
				for line in f:
					key, _, val = line.partition(":")
					info[key] = val.strip()
		except OSError:
			continue
		if "prog_id" in info and "run_cnt" in info:
			stats[int(info["prog_id"])] = {k: int(info.get(k, 0)) for k in
						       ("run_time_ns", "run_cnt", "recursion_misses")}
	return stats


def cost_sample(pid):
	"""What a tracer process has spent so far: the summed run_time_ns,
	run_cnt and recursion_misses of the BPF programs it holds (run time and
	count only move while kernel.bpf_stats_enabled=1), its utime + stime,
	and when this was read. Subtract two samples with cost_delta()."""
	progs = bpf_prog_stats(pid)
	s = {k: sum(p[k] for p in progs.values()) for k in ("run_time_ns", "run_cnt", "recursion_misses")}
	s["progs"] = progs
	s["cpu_s"] = cpu_seconds(pid)
	s["sched_s"] = sched_seconds(pid)
	s["t"] = time.monotonic()
	return s


def cost_delta(a, b):
	"""b - a for two cost_sample()s of one process; progs is per program."""
	d = {k: b[k] - a[k] for k in ("run_time_ns", "run_cnt", "recursion_misses", "cpu_s", "t")}
	d["sched_s"] = None if a["sched_s"] is None or b["sched_s"] is None else b["sched_s"] - a["sched_s"]
	d["progs"] = {}
	for pid_, pb in b["progs"].items():
		pa = a["progs"].get(pid_, {})
		d["progs"][pid_] = {k: v - pa.get(k, 0) for k, v in pb.items()}
	return d


def bpf_prog_names(ids):
	"""{prog_id: name} from bpftool, when it is installed ({} if not)."""
	try:
		js = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
				    check=True).stdout
		return {p["id"]: p.get("name", "?") for p in json.loads(js) if p.get("id") in ids}
	except (OSError, ValueError, subprocess.CalledProcessError):
		return {}


def bpf_recursion_misses(pid):
	"""Runs of the process's programs the kernel skipped because the same
	program was already running on that CPU (a tracepoint hit again from an
	interrupt): events lost before any BPF code could count them."""
	return sum(s["recursion_misses"] for s in bpf_prog_stats(pid).values())


def bpf_links(pid):
	n = 0
	fddir = "/proc/%d/fd" % pid
	for fd in os.listdir(fddir):
		try:
			if "bpf_link" in os.readlink(os.path.join(fddir, fd)):
				n += 1
		except OSError:
			pass
	return n


class Sysctl:
	"""Sets a sysctl for the length of a with block, then puts it back."""

	def __init__(self, name, value):
		self.path = "/proc/sys/" + name.replace(".", "/")
		self.value = str(value)
		self.old = None

	def __enter__(self):
		try:
			with open(self.path) as f:
				self.old = f.read().strip()
			with open(self.path, "w") as f:
				f.write(self.value)
		except OSError:
			self.old = None
		return self

	def __exit__(self, *exc):
		if self.old is not None:
			with open(self.path, "w") as f:
				f.write(self.old)
		return False


class Tracefs:
	"""Mounts tracefs on /sys/kernel/tracing for the length of a with block
	if nothing is mounted there (classic tracepoints need it: libbpf-tools'
	tcplife), and unmounts it after: the host keeps no change it did not
	ask for."""

	PATH = "/sys/kernel/tracing"

	def __init__(self):
		self.mounted = False

	def __enter__(self):
		if not os.path.exists(os.path.join(self.PATH, "events")):
			p = subprocess.run(["mount", "-t", "tracefs", "nodev", self.PATH],
					   capture_output=True)
			self.mounted = p.returncode == 0
		return self

	def __exit__(self, *exc):
		if not self.mounted:
			return False
		# a tracer's perf events may be released a moment after it exits
		deadline = time.monotonic() + 3
		while subprocess.run(["umount", self.PATH], capture_output=True).returncode != 0:
			if time.monotonic() > deadline:
				subprocess.run(["umount", "-l", self.PATH], capture_output=True)
				break
			time.sleep(0.1)
		return False


class BpfStats:
	"""kernel.bpf_stats_enabled=1 for the length of a with block (put back
	after), plus a BPF_ENABLE_STATS fd held as long: the kernel counts run
	time while either is on, so another process that sets the sysctl back
	to 0 meanwhile (other engineers' tests do) cannot stop the count half
	way. `changed` says whether the sysctl was not 1 at the end."""

	SYS_BPF = {"x86_64": 321, "aarch64": 280}
	BPF_ENABLE_STATS = 32
	BPF_STATS_RUN_TIME = 0

	def __init__(self):
		self.sysctl = Sysctl("kernel.bpf_stats_enabled", 1)
		self.fd = -1
		self.fd_held = False
		self.changed = False

	def _enable_stats_fd(self):
		import ctypes
		import platform
		nr = self.SYS_BPF.get(platform.machine())
		if nr is None:
			return -1
		libc = ctypes.CDLL(None, use_errno=True)
		libc.syscall.restype = ctypes.c_long
		attr = ctypes.create_string_buffer(16)	# union bpf_attr: enable_stats.type
		ctypes.memmove(attr, ctypes.byref(ctypes.c_uint32(self.BPF_STATS_RUN_TIME)), 4)
		fd = libc.syscall(ctypes.c_long(nr), ctypes.c_long(self.BPF_ENABLE_STATS), attr,
				  ctypes.c_uint(16))
		return fd if fd >= 0 else -1

	def __enter__(self):
		self.sysctl.__enter__()
		self.fd = self._enable_stats_fd()
		self.fd_held = self.fd >= 0
		if self.sysctl.old is None and self.fd < 0:
			raise BenchError("cannot enable BPF run-time stats (kernel.bpf_stats_enabled)")
		return self

	def __exit__(self, *exc):
		try:
			with open(self.sysctl.path) as f:
				self.changed = f.read().strip() != "1"
		except OSError:
			pass
		if self.fd >= 0:
			os.close(self.fd)
			self.fd = -1
		return self.sysctl.__exit__(*exc)


# ---- the load generator ----

class Loadgen:
	"""tl-loadgen started with -w: it prints a ready line and waits for go()."""

	def __init__(self, path, args):
		self.argv = [path, "-w"] + [str(a) for a in args]
		self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
					     stderr=subprocess.PIPE)
		line = self.proc.stdout.readline()
		try:
			self.ready = json.loads(line)
		except ValueError:
			err = self.proc.stderr.read().decode("utf-8", "replace") if self.proc.poll() is not None else ""
			self.kill()
			raise BenchError("tl-loadgen did not start: %r %s" % (line, err.strip()))
		self.pid = self.ready["pid"]
		self.result = None

	def go(self):
		self.proc.stdin.write(b"go\n")
		self.proc.stdin.close()
		self.proc.stdin = None	# so communicate() does not flush it

	def wait(self, timeout=None):
		try:
			out, err = self.proc.communicate(timeout=timeout)
		except subprocess.TimeoutExpired:
			self.kill()
			raise BenchError("tl-loadgen did not finish within %s s" % timeout)
		if self.proc.returncode != 0:
			raise BenchError("tl-loadgen exited %d: %s" % (self.proc.returncode,
								     err.decode("utf-8", "replace").strip()))
		for line in out.splitlines():
			obj = json.loads(line)
			if obj.get("type") == "result":
				self.result = obj
		if not self.result:
			raise BenchError("tl-loadgen printed no result line")
		return self.result

	def kill(self):
		if self.proc.poll() is None:
			self.proc.kill()
			self.proc.wait()


def run_loadgen(path, args, timeout=None):
	"""An unobserved run: no waiting for a tracer."""
	lg = Loadgen(path, args)
	lg.go()
	return lg.wait(timeout)


# ---- tcplens in a line mode ----

class Tracer:
	"""A line-mode tracer writing stdout to a file (or /dev/null), started
	and stopped like a user would: wait for 'tracing' on stderr, SIGINT."""

	def __init__(self, argv, out_path=None, ready_word=b"tracing", ready_on_stdout=False):
		self.argv = list(argv)
		self.out_path = out_path or os.devnull
		self.ready_word = ready_word
		self.ready_on_stdout = ready_on_stdout
		self.err = []
		self.cond = threading.Condition()
		self.proc = None
		self.rc = None
		self.cpu_at_ready = 0.0
		self.sched_at_ready = None
		self.recursion_misses = None

	def _read_err(self):
		for raw in iter(self.proc.stderr.readline, b""):
			with self.cond:
				self.err.append(raw)
				self.cond.notify_all()

	def _holds_bpf_links(self):
		"""Tools whose stdout is block-buffered in a file say nothing until much
		later: take "holds attached BPF links" as the sign that they trace."""
		try:
			fds = os.listdir("/proc/%d/fdinfo" % self.proc.pid)
		except OSError:
			return False
		for fd in fds:
			try:
				with open("/proc/%d/fdinfo/%s" % (self.proc.pid, fd)) as f:
					if "link_type:" in f.read():
						return True
			except OSError:
				continue
		return False

	def _ready(self):
		if self.ready_on_stdout:
			try:
				with open(self.out_path, "rb") as f:
					if self.ready_word in f.read(4096):
						return True
			except OSError:
				pass
			return self._holds_bpf_links()
		return any(self.ready_word in l for l in self.err)

	def start(self, timeout=30.0):
		self.out = open(self.out_path, "wb")
		self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.out,
					     stderr=subprocess.PIPE)
		self.thread = threading.Thread(target=self._read_err, daemon=True)
		self.thread.start()
		deadline = time.monotonic() + timeout
		with self.cond:
			while not self._ready():
				if self.proc.poll() is not None:
					self.thread.join(2)
					raise BenchError("%s exited %s before tracing: %s"
							 % (" ".join(self.argv), self.proc.returncode,
							    self.stderr_text()[-1000:]))
				if time.monotonic() > deadline:
					self.stop(signal.SIGKILL)
					raise BenchError("%s: not tracing after %.0f s" % (self.argv[0], timeout))
				self.cond.wait(0.1)
		self.cpu_at_ready = cpu_seconds(self.proc.pid)
		self.sched_at_ready = sched_seconds(self.proc.pid)
		return self

	@property
	def pid(self):
		return self.proc.pid

	def cpu_since_ready(self):
		return cpu_seconds(self.proc.pid) - self.cpu_at_ready

	def sched_since_ready(self):
		"""The same as cpu_since_ready in ns resolution (schedstat), or
		cpu_since_ready where schedstat is not available."""
		now = sched_seconds(self.proc.pid)
		if now is None or self.sched_at_ready is None:
			return self.cpu_since_ready()
		return now - self.sched_at_ready

	def peak_rss_kib(self):
		return status_kib(self.proc.pid, "VmHWM")

	def stop(self, sig=signal.SIGINT, timeout=60.0):
		if self.proc is None or self.rc is not None:
			return self.rc
		if self.proc.poll() is None:
			self.proc.send_signal(sig)
		try:
			self.rc = self.proc.wait(timeout)
		except subprocess.TimeoutExpired:
			self.proc.kill()
			self.rc = self.proc.wait()
			self.rc = "killed"
		self.thread.join(5)
		self.out.close()
		return self.rc

	def stderr_text(self):
		with self.cond:
			return b"".join(self.err).decode("utf-8", "replace")


class Counts:
	"""What a tcplens json stream holds, checked against one pid."""

	def __init__(self):
		self.sessions = 0
		self.connects = 0
		self.active = 0
		self.passive = 0
		self.results = {}
		self.tx_active = 0
		self.rx_active = 0
		self.tx_passive = 0
		self.rx_passive = 0
		self.foreign = 0	# events of another pid, or of an unknown owner
		self.bad_lines = 0
		self.stats = None
		self.latencies_ms = []

	@property
	def dropped(self):
		return self.stats["dropped"] if self.stats else None


def count_json(path, pid, keep_latencies=False):
	c = Counts()
	with open(path, "rb") as f:
		for line in f:
			try:
				ev = json.loads(line)
			except ValueError:
				c.bad_lines += 1
				continue
			kind = ev.get("type") if isinstance(ev, dict) else None
			if kind == "session":
				c.sessions += 1
				if ev.get("pid") != pid:
					c.foreign += 1
				if ev.get("dir") == "active":
					c.active += 1
					c.tx_active += ev.get("tx_bytes", 0)
					c.rx_active += ev.get("rx_bytes", 0)
				elif ev.get("dir") == "passive":
					c.passive += 1
					c.tx_passive += ev.get("tx_bytes", 0)
					c.rx_passive += ev.get("rx_bytes", 0)
			elif kind == "connect":
				c.connects += 1
				if ev.get("pid") != pid:
					c.foreign += 1
				res = ev.get("result")
				c.results[res] = c.results.get(res, 0) + 1
				if keep_latencies and res == "ok":
					c.latencies_ms.append(ev.get("latency_ms"))
			elif kind == "stats":
				c.stats = ev
			else:
				c.bad_lines += 1
	return c


def traced_storm(tcplens, loadgen, lg_args, out_path, mode_args=("json",), settle=0.5,
		 before_stop=None):
	"""One storm with `tcplens json -p <loadgen pid>` attached. Returns
	(ground truth, Tracer, extra) where extra is what before_stop returned
	(called after the storm, while tcplens still runs)."""
	lg = Loadgen(loadgen, lg_args)
	tr = None
	try:
		tr = Tracer([tcplens] + list(mode_args) + ["-p", str(lg.pid)], out_path)
		tr.start()
		lg.go()
		truth = lg.wait(timeout=600)
		time.sleep(settle)	# let the drain timer catch up before reading CPU
		extra = before_stop(tr, truth) if before_stop else None
		tr.recursion_misses = bpf_recursion_misses(tr.pid)
		rc = tr.stop()
		if rc != 0:
			raise BenchError("tcplens exited %s: %s" % (rc, tr.stderr_text()[-1000:]))
		return truth, tr, extra
	finally:
		lg.kill()
		if tr is not None and tr.proc is not None and tr.rc is None:
			tr.stop(signal.SIGKILL)


def accounting(truth, counts):
	"""(unaccounted, missing sessions, missing connects): made minus
	captured minus counted drops; zero when every event is accounted for."""
	dropped = counts.dropped or 0
	miss_s = truth["sessions"] - counts.sessions
	miss_c = truth["connects"] - counts.connects
	return miss_s + miss_c - dropped, miss_s, miss_c
