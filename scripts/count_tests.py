#!/usr/bin/env python3
"""Sums test results from meson's testlog.json files.

A doctest executable counts its test cases ("[doctest] test cases: N | P passed | F failed"); a script that
prints its own "N passed, M failed" line counts those; any other test counts as one, by its exit status.
Usage: count_tests.py BUILD_DIR... ; prints "<passed> <failed>".
"""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
PLAIN = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed", re.M)


def count(build_dir):
    passed = failed = 0
    try:
        with open(f"{build_dir}/meson-logs/testlog.json") as log:
            lines = log.readlines()
    except FileNotFoundError:
        return 0, 1
    for line in lines:
        entry = json.loads(line)
        out = entry.get("stdout") or ""
        ok = entry.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
        doctest = DOCTEST.findall(out)
        plain = PLAIN.findall(out)
        if doctest:
            p, f = int(doctest[-1][1]), int(doctest[-1][2])
        elif plain:
            p, f = int(plain[-1][0]), int(plain[-1][1])
        else:
            p, f = (1, 0) if ok else (0, 1)
        if not ok and f == 0:
            f = 1  # crashed or timed out after its counts were printed
        passed += p
        failed += f
    return passed, failed


if __name__ == "__main__":
    total_p = total_f = 0
    for d in sys.argv[1:]:
        p, f = count(d)
        total_p += p
        total_f += f
    print(total_p, total_f)
