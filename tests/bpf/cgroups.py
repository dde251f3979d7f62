"""cgroup v2 ground truth: where the v2 hierarchy is mounted (from
mountinfo, never assumed), which cgroup a process is in, and test cgroups
that are removed again (their processes moved out first)."""
import os
import time


class CgroupError(Exception):
	pass


def _unescape(field):
	"""mountinfo escapes space, tab, newline and backslash as \\ooo."""
	out, i = [], 0
	while i < len(field):
		if field[i] == "\\" and i + 4 <= len(field) and field[i + 1:i + 4].isdigit():
			out.append(chr(int(field[i + 1:i + 4], 8)))
			i += 4
		else:
			out.append(field[i])
			i += 1
	return "".join(out)


def parse_mountinfo(text):
	"""[(mount id, mount point, fstype, root, whole line)] of a mountinfo text."""
	out = []
	for line in text.splitlines():
		left, sep, right = line.partition(" - ")
		if not sep:
			continue
		f = left.split()
		r = right.split()
		if len(f) < 5 or not r:
			continue
		out.append((f[0], _unescape(f[4]), r[0], _unescape(f[3]), line))
	return out


def cgroup2_mount(pid="self"):
	"""The mount point of the cgroup v2 hierarchy (fstype cgroup2), or None.
	A mount of the hierarchy's root is preferred over one of a subtree."""
	with open("/proc/%s/mountinfo" % pid) as f:
		mounts = [m for m in parse_mountinfo(f.read()) if m[2] == "cgroup2"]
	mounts.sort(key=lambda m: m[3] != "/")
	return mounts[0][1] if mounts else None


def cgroup_of(pid):
	"""The cgroup v2 path of a process, relative to the v2 root ("/" or
	"/a/b"): the "0::" line of /proc/PID/cgroup. None if it is gone."""
	try:
		with open("/proc/%d/cgroup" % pid) as f:
			for line in f:
				if line.startswith("0::"):
					return line[3:].rstrip("\n")
	except OSError:
		return None
	return None


class TestCgroup:
	"""A cgroup v2 directory made by the test (path relative to the root,
	like "/tl-test-123"), and every process the test moved into it."""

	def __init__(self, rel):
		self.mount = cgroup2_mount()
		if self.mount is None:
			raise CgroupError("no cgroup2 mount in /proc/self/mountinfo")
		self.rel = rel
		self.path = self.mount + rel
		self.children = []
		self.moved = {}		# pid -> the cgroup path it came from
		self.made = False

	def create(self):
		try:
			os.mkdir(self.path)
		except OSError as e:
			raise CgroupError("mkdir %s: %s" % (self.path, e))
		self.made = True
		return self

	def child(self, name):
		c = TestCgroup(self.rel + "/" + name)
		c.create()
		self.children.append(c)
		return c

	def move(self, pid):
		"""Write pid into cgroup.procs and check that it landed there."""
		was = cgroup_of(pid)
		try:
			with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
				f.write("%d\n" % pid)
		except OSError as e:
			raise CgroupError("moving %d into %s: %s" % (pid, self.path, e))
		self.moved[pid] = was
		now = cgroup_of(pid)
		if now != self.rel:
			raise CgroupError("after moving %d into %s, /proc/%d/cgroup says %r"
					  % (pid, self.rel, pid, now))

	def procs(self):
		try:
			with open(os.path.join(self.path, "cgroup.procs")) as f:
				return [int(l) for l in f if l.strip()]
		except OSError:
			return []

	def cleanup(self):
		"""Move what is left back where it came from (or to the root), then
		remove the directories, children first."""
		for c in self.children:
			c.cleanup()
		if not self.made:
			return
		for pid in self.procs():
			dest = self.moved.get(pid) or "/"
			try:
				with open(os.path.join(self.mount + dest.rstrip("/"), "cgroup.procs"), "w") as f:
					f.write("%d\n" % pid)
			except OSError:
				pass
		# a dying process leaves its cgroup a moment after it is reaped
		deadline = time.monotonic() + 5
		while True:
			try:
				os.rmdir(self.path)
				self.made = False
				return
			except FileNotFoundError:
				self.made = False
				return
			except OSError:
				if time.monotonic() > deadline:
					raise
				time.sleep(0.05)
