"""The course notebooks: committed clean, valid nbgrader markup, and executed end to end in quick mode."""
import json
import time

import nbformat
import pytest
from nbclient import NotebookClient

from notebook_tools import NOTEBOOKS, grade_id

PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert [p.name for p in PATHS][:1] == ["01_intro.ipynb"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs_and_has_valid_nbgrader_markup(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [c.get("id") for c in nb.cells]
    assert None not in ids and len(ids) == len(set(ids)), "every cell needs its own id (nbformat 4.5)"
    ids = [grade_id(c) for c in nb.cells if grade_id(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    autograded, manual = 0, 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"outputs committed in {path.name}"
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, meta["grade_id"]
        if meta.get("grade") and not meta.get("solution"):
            autograded += 1
            assert meta.get("points", 0) > 0 and meta.get("locked")
            assert cell.source.lstrip().startswith('"""'), f"{meta['grade_id']} should open with a one-line docstring"
            assert "### BEGIN HIDDEN TESTS" in cell.source, f"{meta['grade_id']} has no hidden tests"
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            assert "assert" in visible, f"{meta['grade_id']} has no visible test"
            assert "raises-exception" in cell.metadata.get("tags", []), (
                f"{meta['grade_id']} needs the tag raises-exception, so that Run All goes on past an unanswered exercise")
            assert "with exercise(" in visible, (
                f"{meta['grade_id']}: wrap the visible test in `with exercise(...)`, so an unanswered exercise says so")
        if meta.get("grade") and meta.get("solution"):
            manual += 1
            assert cell.cell_type == "markdown"
    assert autograded >= 5 and manual >= 1
    markdown = sum(c.cell_type == "markdown" for c in nb.cells)
    assert markdown >= len(nb.cells) / 2, "a notebook reads as a lecture: at least half its cells are markdown"


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_executes_in_quick_mode(path, tmp_path, monkeypatch):
    monkeypatch.setenv("GANCOURSE_QUICK", "1")
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()       # raises CellExecutionError, naming the cell, if any cell fails
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert images >= 5, f"expected the notebook to draw its figures, found {images} images"
    print(json.dumps({"notebook": path.stem, "quick_seconds": round(seconds, 1)}))
