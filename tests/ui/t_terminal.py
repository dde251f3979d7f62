"""The terminal is given back whatever ends the monitor (tmux).

- SIGHUP and SIGQUIT end it like SIGTERM: status 0, the alternate screen
  left (#{alternate_on} 0), the cursor shown (#{cursor_flag} 1), the line
  discipline back to icanon and echo.
- With SIGHUP ignored (nohup) and the terminal gone, it quits instead of
  spinning on a dead terminal.
- Stopped from outside (SIGSTOP) and continued (SIGCONT) while the shell
  has taken the terminal back, it does not draw over the shell.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import Tmux, child_pid, own_filter, wait_screen  # noqa: E402

ENV = "LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color"
REFRESH = "0.1"		# the stopped-in-background test's -d


def comm_of(pid):
	try:
		with open("/proc/%d/comm" % pid) as f:
			return f.read().strip()
	except (OSError, TypeError):
		return None


def find_tcplens(parent, timeout=10):
	"""The tcplens process: parent itself (a shell that exec'd it) or its child."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if comm_of(parent) == "tcplens":
			return parent
		pid = child_pid(parent, "tcplens")
		if pid:
			return pid
		time.sleep(0.02)
	return None


def proc_status(pid, field):
	"""A field of /proc/PID/status (None if the process is gone)."""
	try:
		with open("/proc/%d/status" % pid) as f:
			for line in f:
				if line.startswith(field + ":"):
					return line.split(":", 1)[1].strip()
	except OSError:
		pass
	return None


def proc_cpu_ticks(pid):
	try:
		with open("/proc/%d/stat" % pid) as f:
			st = f.read()
	except OSError:
		return None
	fields = st[st.rindex(")") + 2:].split()
	return int(fields[11]) + int(fields[12])


def signal_restores(tap, binary, sig):
	name = signal.Signals(sig).name
	tmux = Tmux("term%d" % sig)
	try:
		tmux.start("env %s %s -d 0.5 %s; echo TCPLENS-EXIT=$?; stty -a; sleep 600" %
			   (ENV, binary, own_filter()))
		up, scr = wait_screen(tmux, lambda s: "tcplens up" in s, 20)
		pid = child_pid(tmux.pane_pid(), "tcplens")
		if not tap.ok(up and pid, "%s: the monitor runs" % name, scr):
			return
		os.kill(pid, sig)
		ok, scr = wait_screen(tmux, lambda s: "TCPLENS-EXIT=" in s and "icanon" in s, 6)
		alt = tmux.run("display-message", "-p", "-t", tmux.name, "#{alternate_on}", check=False).strip()
		cur = tmux.run("display-message", "-p", "-t", tmux.name, "#{cursor_flag}", check=False).strip()
		flags = scr.split()
		tap.ok(ok and "TCPLENS-EXIT=0" in scr and "icanon" in flags and "echo" in flags and
		       alt == "0" and cur == "1",
		       "%s: exit 0, alternate screen off (%s), cursor shown (%s), icanon and echo back"
		       % (name, alt, cur), scr[-600:])
	finally:
		tmux.kill()


def hangup_ignored(tap, binary):
	"""nohup: SIGHUP ignored; the pane (its pty) goes away under the monitor."""
	tmux = Tmux("hup")
	try:
		tmux.start("sh -c \"trap '' HUP; exec env %s %s -d 0.5 %s\"" % (ENV, binary, own_filter()))
		up, scr = wait_screen(tmux, lambda s: "tcplens up" in s, 20)
		pid = find_tcplens(tmux.pane_pid())
		if not tap.ok(up and pid, "hung-up terminal: the monitor runs with SIGHUP ignored", scr):
			return
		t0 = proc_cpu_ticks(pid)
		tmux.kill()		# the pty is gone; SIGHUP is ignored
		deadline = time.monotonic() + 5
		while time.monotonic() < deadline and proc_cpu_ticks(pid) is not None:
			time.sleep(0.1)
		gone = proc_cpu_ticks(pid) is None
		if not gone:
			t1 = proc_cpu_ticks(pid)
			os.kill(pid, signal.SIGKILL)
		tap.ok(gone, "hung-up terminal with SIGHUP ignored: the monitor quits instead of spinning",
		       None if gone else "still running after 5 s, %s CPU ticks" % (t1 - (t0 or 0)))
	finally:
		tmux.kill()


def stopped_in_background(tap, binary):
	tmux = Tmux("stop")
	try:
		tmux.start("env PS1='SHELL-PROMPT$ ' bash --norc -i")
		wait_screen(tmux, lambda s: "SHELL-PROMPT$" in s, 5)
		# -d 0.1: many refreshes in a short time, each a chance to draw
		tmux.literal("env %s %s -d %s %s" % (ENV, binary, REFRESH, own_filter()))
		tmux.keys("Enter")
		up, scr = wait_screen(tmux, lambda s: "tcplens up" in s, 20)
		pid = find_tcplens(tmux.pane_pid())
		if not tap.ok(up and pid, "SIGSTOP/SIGCONT: the monitor runs from an interactive shell", scr):
			return
		os.kill(pid, signal.SIGSTOP)
		ok, scr = wait_screen(tmux, lambda s: "Stopped" in s or "SHELL-PROMPT$" in s.splitlines()[-1:][0]
				      if s.splitlines() else False, 5)
		tmux.literal("clear")	# the shell has the terminal: a clean screen to watch
		tmux.keys("Enter")
		wait_screen(tmux, lambda s: "tcplens up" not in s and "SHELL-PROMPT$" in s, 5)
		# continued: watch the screen until tcplens has had five refreshes
		# (five intervals, and woken up five times: its voluntary context
		# switches), or is stopped again, or gone
		woke0 = int(proc_status(pid, "voluntary_ctxt_switches") or 0)
		t0 = time.monotonic()
		os.kill(pid, signal.SIGCONT)
		drew, woke, state = None, 0, ""
		while time.monotonic() - t0 < 5:
			scr = tmux.screen()
			if "tcplens up" in scr or "Sessions" in scr:
				drew = scr
				break
			state = (proc_status(pid, "State") or "gone").split()[0]
			woke = int(proc_status(pid, "voluntary_ctxt_switches") or 0) - woke0
			if state in ("T", "t", "Z", "gone"):
				break
			if time.monotonic() - t0 >= 5 * float(REFRESH) and woke >= 5:
				break
			time.sleep(0.02)
		scr = tmux.screen()
		tap.ok(drew is None and "tcplens up" not in scr and "Sessions" not in scr,
		       "SIGSTOP then SIGCONT in the background: no drawing over the shell (%.1f s, "
		       "%d wake-ups, state %s)" % (time.monotonic() - t0, woke, state), drew or scr)
		os.kill(pid, signal.SIGTERM)
		os.kill(pid, signal.SIGCONT)
	finally:
		tmux.kill()


def run(tap, binary):
	signal_restores(tap, binary, signal.SIGHUP)
	signal_restores(tap, binary, signal.SIGQUIT)
	hangup_ignored(tap, binary)
	stopped_in_background(tap, binary)
