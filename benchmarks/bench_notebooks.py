"""Wall-clock time of each course notebook, executed end to end as a student would run it.

    python benchmarks/bench_notebooks.py [01_intro ...] [--mode default|quick|both] [--out build/executed]

Quick mode is what nbgrader and the tests run (GANCOURSE_QUICK=1); default mode trains for real. The executed
notebooks, with their figures and printed measurements, are written to --out for reading.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def run(path: Path, quick: bool, out: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("GANCOURSE_QUICK")
    os.environ["GANCOURSE_QUICK"] = "1" if quick else "0"
    try:
        client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(out)}})
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        if env_before is None:
            os.environ.pop("GANCOURSE_QUICK", None)
        else:
            os.environ["GANCOURSE_QUICK"] = env_before
    nbformat.write(nb, out / f"{path.stem}.{'quick' if quick else 'default'}.ipynb")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook stems such as 01_intro (default: all)")
    parser.add_argument("--mode", choices=("default", "quick", "both"), default="both")
    parser.add_argument("--out", default=str(REPO / "build" / "executed"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.stem in args.notebooks]
    modes = {"default": [False], "quick": [True], "both": [True, False]}[args.mode]
    print(f"{os.cpu_count()} CPUs; executed notebooks go to {out}")
    for path in paths:
        for quick in modes:
            seconds = run(path, quick, out)
            print(f"{path.stem:18s} {'quick' if quick else 'default':8s} {seconds:7.1f} s", flush=True)


if __name__ == "__main__":
    main()
