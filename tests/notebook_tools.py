"""Helpers for tests that build submissions from the course's source notebooks."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"

_SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solved_submission(source: Path, release: Path) -> nbformat.NotebookNode:
    """The release notebook with every solution cell filled in from the source (markers removed),
    as a student who answered everything correctly would submit it."""
    src = {grade_id(c): c for c in nbformat.read(source, as_version=4).cells if grade_id(c)}
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            cell.source = _SOLUTION_MARKERS.sub("", src[meta["grade_id"]].source)
    return nb


def set_solution(nb: nbformat.NotebookNode, cell_id: str, source: str) -> None:
    """Replace the source of the cell whose nbgrader grade_id is ``cell_id``."""
    for cell in nb.cells:
        if grade_id(cell) == cell_id:
            cell.source = source
            return
    raise KeyError(cell_id)
