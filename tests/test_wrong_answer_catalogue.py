"""Every graded exercise of every notebook has at least three plausible wrong answers, each caught by its hidden
check with a message naming the mistake (benchmarks/wrong_answer_score.py prints the score), and the checks accept
the right answers whatever salt a grading run draws for its inputs."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import wrong_answer_score as score  # noqa: E402

from autograder.checks import set_salt  # noqa: E402


@pytest.mark.parametrize("module", sorted(score.NOTEBOOKS.values()))
def test_every_check_has_three_wrong_answers_and_catches_them_all(module):
    results = score.score(module)
    thin = {check: len(rows) for check, rows in results.items() if len(rows) < 3}
    assert not thin, f"checks with fewer than 3 wrong answers: {thin}"
    missed = {check: [(n, s[:120]) for n, ok, s in rows if not ok] for check, rows in results.items()}
    assert not {c: m for c, m in missed.items() if m}, missed


@pytest.mark.parametrize("salt", [1, 987_654_321])
@pytest.mark.parametrize("module", sorted(score.NOTEBOOKS.values()))
def test_right_answers_pass_and_wrong_ones_fail_whatever_the_salt(module, salt):
    import importlib
    tests = importlib.import_module(f"test_checks_{module}")
    set_salt(salt)
    try:
        for check, answer in tests.CORRECT:
            check(answer)
        for check, answer, message in tests.WRONG:
            ok, said = score.caught(check, answer, message)
            assert ok, (check.__name__, getattr(answer, "__name__", answer), said[:200])
    finally:
        set_salt(0)
