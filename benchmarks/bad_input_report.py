"""How clearly gancourse refuses a careless user's arguments (issue 12): the score of ``tests/test_bad_input.py``.

    python benchmarks/bad_input_report.py [--list] [--pending]

Walks every public callable of the package, replaces each of its arguments in turn by None, a string, 0, -1, 1.5,
NaN, an empty tensor, a tensor of the wrong shape, float64 where a float32 tensor is expected and an empty list,
and prints ``N calls, P % clear``: the share of calls that raise a ValueError or TypeError naming the argument (or
a documented exception such as FileNotFoundError), or return a result that the allow-list explains. Then the
counts by outcome, and with ``--list`` every call that is not clear (``--pending`` includes the training/ cases
whose fix is still to be applied, which the test marks xfail).
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import bad_input_cases as cases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every call that is not clear")
    parser.add_argument("--pending", action="store_true", help="with --list, also the pending training/ cases")
    args = parser.parse_args()

    found = cases.discover()
    kinds: collections.Counter = collections.Counter()
    unclear = []
    with tempfile.TemporaryDirectory() as folder, cases.sandbox(Path(folder)):
        tried = cases.cases(found)
        for case in tried:
            outcome = cases.attempt(*case, obj=found[case[0]])
            kinds[outcome.kind] += 1
            if not outcome.ok:
                unclear.append((case, outcome))
    n, clear = len(tried), len(tried) - len(unclear)
    print(f"{n} calls, {100 * clear / n:.1f} % clear")
    print(f"{len(found)} public callables discovered, {len({c[0] for c in tried})} tried, "
          f"{len(cases.SKIP)} skipped with a reason, {len(cases.no_parameters(found))} without parameters")
    for kind, count in kinds.most_common():
        print(f"  {kind:18s} {count:5d}")
    pending = sum(1 for case, _ in unclear if case in cases.PENDING)
    print(f"not clear: {len(unclear)}, of which {pending} in gancourse/training/ with a fix pending")
    if args.list:
        for case, outcome in unclear:
            if args.pending or case not in cases.PENDING:
                print(f"  {outcome}")


if __name__ == "__main__":
    main()
