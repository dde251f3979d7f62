"""TAP output for the end-to-end suite.

A Check collects every failed assertion of one test point, with what it got
and what it wanted, and prints one "ok"/"not ok" line when it closes. An
exception inside a check fails that point (with the traceback) and the suite
goes on.
"""
import json
import sys
import traceback


def _short(value, limit=2000):
	text = value if isinstance(value, str) else repr(value)
	if len(text) > limit:
		text = text[:limit] + "... (%d chars)" % len(text)
	return text


def dump_events(events, limit=40):
	"""Events as JSON lines, for diagnostics."""
	out = []
	for ev in events[:limit]:
		out.append(json.dumps(ev) if isinstance(ev, dict) else _short(ev))
	if len(events) > limit:
		out.append("... %d more" % (len(events) - limit))
	return "\n".join(out) if out else "(none)"


class Tap:
	def __init__(self, out=None):
		self.out = out or sys.stdout
		self.count = 0
		self.failed = 0
		self.failed_names = []

	def diag(self, text):
		for line in str(text).splitlines() or [""]:
			self.out.write("# " + line + "\n")
		self.out.flush()

	def result(self, ok, name, diags=()):
		self.count += 1
		name = name.replace("#", "")
		if not ok:
			self.failed += 1
			self.failed_names.append(name)
		self.out.write("%s %d - %s\n" % ("ok" if ok else "not ok", self.count, name))
		for d in diags:
			self.diag(d)
		self.out.flush()

	def check(self, name):
		return Check(self, name)

	def plan(self):
		self.out.write("1..%d\n" % self.count)
		self.out.flush()


class Check:
	"""One test point. Use as a context manager."""

	def __init__(self, tap, name):
		self.tap = tap
		self.name = name
		self.failures = []
		self.notes = []

	def __enter__(self):
		return self

	def __exit__(self, etype, evalue, tb):
		if etype is not None:
			self.failures.append("exception: %s: %s" % (etype.__name__, evalue))
			self.failures.extend(
				"  " + l for l in "".join(traceback.format_tb(tb)).splitlines())
		ok = not self.failures
		self.tap.result(ok, self.name, [] if ok else self.failures + self.notes)
		return etype is not None and issubclass(etype, Exception)

	def fail(self, what):
		self.failures.append(what)
		return False

	def note(self, text):
		"""Context printed only if the point fails."""
		self.notes.append(_short(text, 8000))

	def true(self, cond, what, got=None):
		if not cond:
			if got is None:
				self.fail(what)
			else:
				self.fail("%s: got %s" % (what, _short(got)))
		return bool(cond)

	def eq(self, got, want, what):
		if got != want or type(got) is not type(want) and not (
				isinstance(got, (int, float)) and isinstance(want, (int, float))
				and not isinstance(got, bool) and not isinstance(want, bool)):
			self.fail("%s: got %s, wanted %s" % (what, _short(got), _short(want)))
			return False
		return True

	def between(self, got, lo, hi, what):
		if not isinstance(got, (int, float)) or isinstance(got, bool) or not lo <= got <= hi:
			self.fail("%s: got %s, wanted %s..%s" % (what, _short(got), lo, hi))
			return False
		return True

	def ok(self):
		return not self.failures
