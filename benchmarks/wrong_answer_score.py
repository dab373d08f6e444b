"""How many plausible wrong answers the hidden checks catch, per notebook and per exercise.

Each notebook's catalogue lives in tests/test_checks_<module>.py: ``CHECKS`` (every graded check) and ``WRONG``
(``(check, wrong answer, regex of the message that names the mistake)``; each wrong answer passes the notebook's
visible test). A wrong answer is caught when its check fails with a message matching the regex. The test suite
(tests/test_wrong_answer_catalogue.py) requires 100 % and at least three wrong answers per check.

    python benchmarks/wrong_answer_score.py [--salt N]
"""
from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from notebook_tools import CATALOGUES as NOTEBOOKS  # noqa: E402 — {assignment: checks module}, read from the notebooks


def catalogue(module: str):
    tests = importlib.import_module(f"test_checks_{module}")
    return tests.CHECKS, tests.WRONG


def caught(check, answer, message: str) -> tuple[bool, str]:
    """Whether ``check`` rejects ``answer`` with a message matching ``message``, and the message it gave."""
    try:
        check(answer)
    except AssertionError as err:
        return bool(re.search(message, str(err))), str(err)
    return False, "accepted"


def score(module: str) -> dict[str, list[tuple[str, bool, str]]]:
    checks, wrong = catalogue(module)
    out: dict[str, list] = defaultdict(list)
    for check in checks:
        out[check.__name__]  # every check appears, even one without wrong answers
    for check, answer, message in wrong:
        ok, said = caught(check, answer, message)
        out[check.__name__].append((getattr(answer, "__name__", repr(answer)), ok, said))
    return dict(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--salt", type=int, default=0, help="shift the checks' seeds as a grading run does")
    args = parser.parse_args(argv)
    from autograder.checks import set_salt
    set_salt(args.salt)
    total_tried = total_caught = 0
    for notebook, module in NOTEBOOKS.items():
        results = score(module)
        tried = sum(len(v) for v in results.values())
        got = sum(ok for v in results.values() for _, ok, _ in v)
        total_tried, total_caught = total_tried + tried, total_caught + got
        print(f"{notebook}: {got} of {tried} wrong answers caught ({got / max(tried, 1):.0%}), "
              f"{len(results)} exercises, fewest per exercise {min(len(v) for v in results.values())}")
        for check, rows in results.items():
            missed = [f"{name} ({said[:80]})" for name, ok, said in rows if not ok]
            print(f"  {check}: {sum(ok for _, ok, _ in rows)}/{len(rows)}" + (f"  MISSED: {missed}" if missed else ""))
    print(f"all notebooks: {total_caught} of {total_tried} caught ({total_caught / max(total_tried, 1):.1%})")
    return 0 if total_caught == total_tried else 1


if __name__ == "__main__":
    sys.exit(main())
