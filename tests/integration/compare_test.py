#!/usr/bin/env python3
"""`corio compare --quick` and `corio compare primitives --quick`: they run and their outputs hold up.

Usage: compare_test.py CORIO_BINARY OUT_DIR
"""
import csv
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import run_tests  # noqa: E402

BINARY = sys.argv[1]
OUT = os.path.abspath(sys.argv[2])
MODELS = ["coroutine", "thread", "process"]
LEVELS = [10, 100, 500]


def test_compare_quick_writes_a_row_per_model_level_and_workload():
    shutil.rmtree(OUT, ignore_errors=True)
    p = subprocess.run([BINARY, "compare", "--quick", "--out", OUT], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    with open(os.path.join(OUT, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * len(MODELS) * len(LEVELS), len(rows)
    seen = {(r["workload"], r["model"], int(r["connections"])) for r in rows}
    assert seen == {(w, m, c) for w in ("http", "echo") for m in MODELS for c in LEVELS}
    for r in rows:
        for column in ("requests_per_s", "cpu_us_per_request", "pss_bytes", "context_switches_per_request"):
            float(r[column])  # every figure is a number
        if r["status"] == "ok":
            assert float(r["requests_per_s"]) > 0 and int(r["requests"]) > 0, r
            assert int(r["pss_bytes"]) > 0 and int(r["threads"]) >= 1, r
    # The coroutine server must not fail at these levels; its thread and process counts stay flat.
    coroutine = [r for r in rows if r["model"] == "coroutine"]
    assert all(r["status"] == "ok" for r in coroutine), coroutine
    assert all(int(r["processes"]) == 1 for r in coroutine), coroutine
    # Thread per connection: the server's thread count grows with the connections (sampled mid-run, while the
    # load generator may still be connecting, so only the growth is asserted).
    threads = {(r["workload"], int(r["connections"])): int(r["threads"]) for r in rows
               if r["model"] == "thread" and r["status"] == "ok"}
    for w in ("http", "echo"):
        if (w, 10) in threads and (w, 500) in threads:
            assert threads[(w, 500)] > threads[(w, 10)] + 50, threads
    report = open(os.path.join(OUT, "report.md")).read()
    assert "## http" in report and "## echo" in report
    assert len(re.findall(r"^\| (coroutine|thread|process) \|", report, re.M)) == len(rows)
    if shutil.which("gnuplot"):
        for w in ("http", "echo"):
            for chart in ("throughput", "memory", "p99"):
                svg = open(os.path.join(OUT, f"{w}-{chart}.svg")).read()
                assert "<svg" in svg and "coroutine" in svg, chart


def test_compare_primitives_prints_the_three_models_with_ratios():
    p = subprocess.run([BINARY, "compare", "primitives", "--quick", "--repeats", "3"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\| (create\+run\+destroy|switch|memory per unit) \((ns|bytes)\) \| ([0-9.]+) \| ([0-9.]+) "
                     r"\| ([0-9.]+) \|", line)
        if m:
            rows[m.group(1)] = [float(m.group(i)) for i in (3, 4, 5)]
    assert set(rows) == {"create+run+destroy", "switch", "memory per unit"}, p.stdout
    coroutine, thread, process = rows["create+run+destroy"]
    assert 0 < coroutine < thread < process, rows
    assert 0 < rows["switch"][0] < rows["switch"][1], rows
    assert rows["memory per unit"][0] > 0, rows  # the echo connection's frame


if __name__ == "__main__":
    sys.exit(run_tests([test_compare_quick_writes_a_row_per_model_level_and_workload,
                        test_compare_primitives_prints_the_three_models_with_ratios]))
