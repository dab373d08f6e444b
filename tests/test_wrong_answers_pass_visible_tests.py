"""The wrong answers in each notebook's catalogue (tests/test_checks_<module>.py, ``WRONG``) are *plausible*: at
least three per exercise pass the notebook's own visible test, run in the notebook's own state, so that a student
could hand them in believing them right. The hidden checks must catch them (test_wrong_answer_catalogue.py).

One kernel per notebook runs the source notebook in quick mode; at each graded test cell, every catalogued wrong
answer of that exercise is defined under the exercise's name and the visible part of the cell is run on it, then
the right answer is put back and the cell runs as written.
"""
import ast
import importlib
import inspect
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_tools import CATALOGUES, NOTEBOOKS, wrong_answer_cell

pytestmark = pytest.mark.slow
MARK = "VISIBLE-TEST-RESULT"


def _alias_and_check(cell) -> tuple[str, str] | None:
    for node in ast.walk(ast.parse(cell.source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("check_") \
                and node.args and isinstance(node.args[0], ast.Name):
            return node.func.id, node.args[0].id
    return None


def _probe_cell(visible: str, name: str) -> str:
    return ("try:\n" + "".join(f"    {line}\n" for line in visible.splitlines()) +
            f"    print({MARK!r}, {name!r}, 'pass')\nexcept BaseException as _err:\n"
            f"    print({MARK!r}, {name!r}, 'fail:' + type(_err).__name__ + ':' + str(_err)[:80].replace(' ', '_'))\n")


@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_at_least_three_wrong_answers_per_exercise_pass_the_visible_test(assignment, monkeypatch, tmp_path):
    tests = importlib.import_module(f"test_checks_{CATALOGUES[assignment]}")
    by_check: dict[str, list] = {}
    for check, answer, _ in tests.WRONG:
        if (inspect.isfunction(answer) or inspect.isclass(answer)) and answer.__module__.startswith("solutions_"):
            by_check.setdefault(check.__name__, []).append(answer)
    monkeypatch.setenv("GANCOURSE_QUICK", "1")
    nb = nbformat.read(NOTEBOOKS / f"{assignment}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        found = _alias_and_check(cell) if meta.get("grade") and not meta.get("solution") else None
        if found:
            check, alias = found
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            right = f"_right_{alias} = {alias}\n"
            cells.append(nbformat.v4.new_code_cell(right))
            for answer in by_check.get(check, []):
                cells.append(nbformat.v4.new_code_cell(wrong_answer_cell(answer, alias)))
                cells.append(nbformat.v4.new_code_cell(_probe_cell(visible, f"{check}:{answer.__name__}")))
            cells.append(nbformat.v4.new_code_cell(f"{alias} = _right_{alias}\n"))
        cells.append(cell)
    nb.cells = cells
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    results: dict[str, dict[str, str]] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for line in out.get("text", "").splitlines():
                found = re.match(rf"{MARK} (\S+):(\S+) (\S+)", line)
                if found:
                    check, answer, verdict = found.groups()
                    results.setdefault(check, {})[answer] = verdict
    passing = {check: sorted(a for a, v in answers.items() if v == "pass") for check, answers in results.items()}
    thin = {check: names for check, names in passing.items() if len(names) < 3}
    assert set(results) == set(by_check), (sorted(results), sorted(by_check))
    assert not thin, "exercises with fewer than 3 wrong answers that pass the visible test:\n" + json.dumps(thin, indent=1)
