"""The student version in JupyterLab, as `make lab` serves it: each notebook opens cleanly with nbgrader's lab
extension present; Run All goes on past every unanswered exercise to the last cell; nbgrader's Validate button
passes a solved notebook and fails an unanswered one."""
import re
import time

import nbformat
import pytest

from labpage import Notebook, RunStopped, describe, error_outputs
from notebook_tools import NOTEBOOKS, grade_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ASSIGNMENTS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def is_graded_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _typeset(page, timeout: float = 20) -> int:
    """Wait until MathJax has stopped adding formulas; returns how many there are."""
    count, deadline = -1, time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1)
        now = page.locator("mjx-container").count()
        if now == count:
            return now
        count = now
    return count


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_notebook_opens_without_errors(page, lab, assignment):
    nb = Notebook.open(page, lab, f"student/{assignment}.ipynb")
    on_disk = nb.read()
    assert nb.cells().count() == len(on_disk.cells), "JupyterLab shows a different number of cells than the file has"
    formulas = _typeset(page)
    if any("$" in c.source for c in on_disk.cells if c.cell_type == "markdown"):
        assert formulas > 0, "the markdown's formulas were not typeset"
    assert page.locator("mjx-merror").count() == 0, "MathJax could not typeset a formula: " + " | ".join(
        page.locator("mjx-merror").all_inner_texts()[:5])
    assert not page.locator(".jp-Dialog").count(), f"a dialog opened: {page.locator('.jp-Dialog').inner_text()}"
    assert nb.panel.get_by_role("button", name="Validate").is_visible(), "nbgrader's Validate button is missing"
    assert not page.errors, "the page reported errors:\n" + "\n".join(page.errors)


# Run All is driven in the browser on the quickest notebook; tests/test_student_alone.py runs every unanswered
# release to the end with nbclient, which stops at an error as Run All does, except in cells tagged raises-exception. (Driving all four in Chromium
# cost 2.8 minutes and, on a heavily loaded 2-core machine, once saw Run All stop early without an error.)
RUN_ALL = ["02_minmax"]


@pytest.mark.parametrize("assignment", RUN_ALL)
def test_run_all_goes_past_unanswered_exercises(page, lab, assignment):
    untagged = [grade_id(c) for c in nbformat.read(lab.root / "student" / f"{assignment}.ipynb", 4).cells
                if is_graded_test(c) and "raises-exception" not in c.metadata.get("tags", [])]
    assert not untagged, ("graded test cells without the `raises-exception` tag, where Run All would stop while "
                          f"they are unanswered: {untagged}")
    nb = Notebook.open(page, lab, f"student/{assignment}.ipynb")
    try:
        nb.run_all()
    except RunStopped as stopped:
        nb.save()
        ran = nb.read()
        errors = [describe(ran, i, e) for i, e in error_outputs(ran).items() if not is_graded_test(ran.cells[i])]
        raise AssertionError(f"{stopped}\nfailing cells other than graded tests:\n" + "\n".join(errors or ["(none)"]))
    nb.save()
    ran = nb.read()
    code = [c for c in ran.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "some code cells did not run"
    failed = error_outputs(ran)
    assert failed, "no test failed, yet no exercise is answered"
    not_tests = [describe(ran, i, e) for i, e in failed.items() if not is_graded_test(ran.cells[i])]
    assert not not_tests, "cells other than the graded tests failed:\n" + "\n".join(not_tests)


@pytest.mark.parametrize("solved", [True, False], ids=["solved", "unanswered"])
def test_validate_button(page, lab, solved):
    path = lab.validation_copy("02_minmax", solved=solved)
    nb = Notebook.open(page, lab, path)
    nb.panel.get_by_role("button", name="Validate").click()
    message = page.locator(".jp-Dialog #validation-message")
    message.wait_for(timeout=600_000)     # nbgrader runs the whole notebook in a kernel of its own first
    verdict = message.get_attribute("class")
    text = message.inner_text()
    if solved:
        assert "validation-success" in verdict, f"a solved notebook did not pass validation:\n{text[:2000]}"
        assert "Success! Your notebook passes all the tests." in text
    else:
        assert "validation-failed" in verdict, f"an unanswered notebook did not fail validation:\n{text[:2000]}"
        assert len(re.findall("The following cell failed:", text)) >= 5
