"""Throughput of grading: the same N submissions graded on a dask LocalCluster of 1 worker and of W workers.

    .venv/bin/python benchmarks/bench_parallel_grading.py [--assignment 02_minmax] [--n 8] [--workers 2]

Each submission is the solved notebook under another student's name. Both runs use the instructor CLI
(``grade --regrade-all --workers k``), so the time includes starting the cluster, building the jobs and merging
every result into the gradebook. With one worker a kernel gets every core's threads; with W workers, cores / W each.
Prints submissions per minute for each run, the speed-up and the parallel efficiency (speed-up / W; the goal is at
least 0.8 while W is at most the number of cores). Run it on a quiet machine: timings follow the load.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from autograder.cli import main as cli  # noqa: E402
from autograder.course import Course  # noqa: E402
from notebook_tools import NOTEBOOKS, solved_submission  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="02_minmax")
    parser.add_argument("--n", type=int, default=8, help="submissions (default 8)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="workers of the parallel run (default: cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        course_dir = Path(tmp) / "course"
        assert cli(["--course", str(course_dir), "release", args.assignment]) == 0
        course = Course(course_dir)
        release = course.path("release", args.assignment, f"{args.assignment}.ipynb")
        solved = solved_submission(NOTEBOOKS / f"{args.assignment}.ipynb", release)
        inbox = Path(tmp) / "inbox"
        for i in range(args.n):
            (inbox / f"student{i:03d}").mkdir(parents=True)
            nbformat.write(solved, inbox / f"student{i:03d}" / f"{args.assignment}.ipynb")
        rates = {}
        for workers in (1, args.workers):
            started = time.perf_counter()
            status = cli(["--course", str(course_dir), "grade", args.assignment, "--submissions", str(inbox),
                          "--regrade-all", "--workers", str(workers)])
            seconds = time.perf_counter() - started
            if status != 0:
                raise SystemExit(f"grading with {workers} worker(s) failed")
            rates[workers] = args.n / seconds * 60
            print(f"{workers} worker(s): {args.n} submissions in {seconds:.1f} s = {rates[workers]:.2f} per minute")
        speedup = rates[args.workers] / rates[1]
        print(f"\n{args.assignment}, {args.n} submissions, {os.cpu_count()} cores: speed-up {speedup:.2f} with "
              f"{args.workers} workers, parallel efficiency {speedup / args.workers:.2f} (goal >= 0.8)")


if __name__ == "__main__":
    main()
