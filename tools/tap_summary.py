#!/usr/bin/env python3
"""Counts test cases from meson's testlog.json files, whose tests speak TAP.

Every "ok"/"not ok" line is a case. A test program that fails without
reporting a failing case (a crash, a timeout, a bad plan) counts as one
failed case. With CI=true a skipped bpf, ui or metrics suite counts as failed.
"""
import json
import os
import re
import sys

STRICT_SUITES = {"bpf", "ui", "metrics"}
LINE = re.compile(r"^(not )?ok\b[^#]*(#\s*(SKIP|TODO)\b.*)?", re.IGNORECASE)


def suites_of(test):
    """meson names a test "project:suite+suite2 / name"; older logs may also carry "suite"."""
    suites = {s.split(":")[-1] for s in test.get("suite", [])}
    head = test["name"].split(" / ")[0]
    if ":" in head:
        suites |= set(head.split(":", 1)[1].split("+"))
    return suites


def count(path, ci, seen):
    passed = failed = skipped = 0
    with open(path) as f:
        for raw in f:
            t = json.loads(raw)
            suites = suites_of(t)
            seen |= suites
            label = "{}:{}".format(path.split("/")[0], t["name"])
            out = t.get("stdout") or ""
            p = fl = sk = 0
            for line in out.splitlines():
                m = LINE.match(line)
                if not m:
                    if re.match(r"^1\.\.0\s*#\s*SKIP", line, re.IGNORECASE):
                        sk += 1
                    continue
                if m.group(3) and m.group(3).upper() == "SKIP":
                    sk += 1
                elif m.group(1):
                    fl += 1
                else:
                    p += 1
            if t.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and fl == 0:
                print("{}: {} without a failing case".format(label, t.get("result")))
                fl += 1
            if sk and ci and suites & STRICT_SUITES:
                print("{}: {} skipped in a suite that must run in CI".format(label, sk))
                fl += sk
                sk = 0
            passed, failed, skipped = passed + p, failed + fl, skipped + sk
    return passed, failed, skipped


def main():
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    totals = [0, 0, 0]
    seen = set()
    for path in sys.argv[1:]:
        if not os.path.exists(path):
            print("{}: missing (the tests did not run)".format(path))
            totals[1] += 1
            continue
        for i, n in enumerate(count(path, ci, seen)):
            totals[i] += n
    if ci:
        for suite in sorted(STRICT_SUITES - seen):
            print("suite {} did not run".format(suite))
            totals[1] += 1
    print("{} passed, {} failed, {} skipped".format(*totals))
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
