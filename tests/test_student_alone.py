"""The student version works alone: run top to bottom with no exercise answered, the only cells that fail are the
graded test cells (tagged ``raises-exception``, so that Run All goes on past them, as nbclient does here), and each
of them fails with one line saying which exercise is unanswered (``NotAnswered``), not with a traceback from its
scaffolding or another exercise. Demonstration cells fall back to the library's reference.

Run one notebook: ``pytest -m slow tests/test_student_alone.py -k 01_intro``.
"""
import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.course import Course
from notebook_tools import NOTEBOOKS, grade_id

pytestmark = pytest.mark.slow
ASSIGNMENTS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_unanswered_student_version_runs_to_the_end(assignment, tmp_path, monkeypatch):
    release = Course(tmp_path / "course").release(assignment)
    monkeypatch.setenv("GANCOURSE_QUICK", "1")
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = nbformat.read(release, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,   # as Run All: stop at an
                            resources={"metadata": {"path": str(release.parent)}})        # error, unless the cell is
    try:                                                                                    # tagged raises-exception
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"Run All would stop here in the unanswered student version:\n{str(err)[-1500:]}")

    failed = {i: [o for o in c.outputs if o.output_type == "error"]
              for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    failed = {i: errors[0] for i, errors in failed.items() if errors}
    not_tests = [f"cell {i} ({grade_id(nb.cells[i]) or nb.cells[i].source.splitlines()[0][:60]}): "
                 f"{e.ename}: {e.evalue[:200]}" for i, e in failed.items() if not _is_test_cell(nb.cells[i])]
    assert not not_tests, "cells other than graded tests failed in the unanswered student version:\n" + "\n".join(not_tests)
    unclear = [f"{grade_id(nb.cells[i])}: {e.ename}: {e.evalue[:200]}" for i, e in failed.items()
               if e.ename != "NotAnswered"]
    assert not unclear, "graded tests failed with something else than 'not answered yet':\n" + "\n".join(unclear)
    tests = [i for i, c in enumerate(nb.cells) if _is_test_cell(c)]
    assert set(failed) == set(tests), (f"graded tests that passed with no answer: "
                                       f"{[grade_id(nb.cells[i]) for i in set(tests) - set(failed)]}")
    for i in failed:
        assert "not answered yet" in failed[i].evalue
