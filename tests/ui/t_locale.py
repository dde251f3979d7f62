"""Numbers read the same in every locale (a de_DE locale, generated here).

Under de_DE.UTF-8 (whose decimal point is a comma) the documented filter
`lat>0.5` is taken and `lat>0,5` refused, `-d 0.5` is taken, and the -b
status line prints its rates with a dot ("2057.9/s", never "2057,9/s"),
also in the full-screen monitor.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uilib import BulkServer, Tmux, status, wait_screen  # noqa: E402


def run(tap, binary):
	loc = tempfile.mkdtemp(prefix="tl-locale-")
	bulk = None
	tmux = Tmux("locale")
	try:
		r = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8",
				    os.path.join(loc, "de_DE.UTF-8")], capture_output=True)
		if not tap.ok(r.returncode in (0, 1) and os.path.isdir(os.path.join(loc, "de_DE.UTF-8")),
			      "locale: a de_DE.UTF-8 locale generated (localedef, Debian's locales)",
			      r.stderr.decode(errors="replace")):
			return
		env = dict(os.environ, LOCPATH=loc, LC_ALL="de_DE.UTF-8", LANG="de_DE.UTF-8")
		# coreutils printf reads and writes numbers in the locale: 1,5 is a number there
		check = subprocess.run(["/usr/bin/printf", "%.1f", "1,5"], env=env, capture_output=True,
				       text=True)
		tap.ok(check.stdout.strip() == "1,5", "locale: the locale is in effect (printf says %r)"
		       % check.stdout.strip())
		bulk = BulkServer()
		p = subprocess.Popen([binary, "-b", "-n", "3", "-d", "0.5", "-f", "lat>0.5",
				      "-L", str(bulk.port)], env=env, stdout=subprocess.PIPE,
				     stderr=subprocess.PIPE, text=True)
		bulk.burst(200)
		out, err = p.communicate(timeout=30)
		heads = [l for l in out.splitlines() if l.startswith("tcplens ")]
		tap.ok(p.returncode == 0 and heads, "locale: -b -d 0.5 -f lat>0.5 runs under de_DE",
		       err + out[:300])
		rates = re.findall(r"\(([\d.,]+)/s\)", "\n".join(heads))
		tap.ok(rates and all("," not in x and "." in x for x in rates),
		       "locale: the -b status line's rates have a decimal point: %s" % rates[:4], heads[:2])
		bad = subprocess.run([binary, "-b", "-n", "1", "-f", "lat>0,5"], env=env,
				     capture_output=True, text=True, timeout=30)
		tap.ok(bad.returncode == 2 and "milliseconds" in bad.stderr,
		       "locale: lat>0,5 is refused (one line, status 2)", bad.stderr)
		# the monitor under the same locale
		tmux.start("env LOCPATH=%s LC_ALL=de_DE.UTF-8 TERM=screen-256color %s -d 0.5 -L %d; "
			   "sleep 600" % (loc, binary, bulk.port))
		up, scr = wait_screen(tmux, lambda s: "every 500ms" in status(s), 20)
		bulk.burst(100)
		ok, scr = wait_screen(tmux, lambda s: re.search(r"\((\d+\.\d)/s\)", status(s)) is not None
				      and re.search(r"\d,\d/s", status(s)) is None, 10)
		tap.ok(up and ok, "locale: the monitor's rates have a decimal point too", status(scr))
	finally:
		tmux.kill()
		if bulk:
			bulk.close()
		shutil.rmtree(loc, ignore_errors=True)
