"""Taking in submissions without trusting them: every student gets a notebook that nbgrader can grade and a record
of what was wrong with what they handed in.

* the notebook is looked for under its expected name; one notebook under another name is graded and flagged;
* a file that is not valid notebook JSON, or not a notebook, is replaced by the released (unanswered) notebook, so
  that a grade of 0 is *recorded*, with the reason in the report;
* nbgrader metadata is the instructor's: a graded cell the release does not have loses its metadata, a known cell
  gets the release's metadata back (points cannot be raised, cell types cannot be swapped);
* other files in the folder are not copied (a ``gancourse.py`` or ``autograder/`` beside the notebook would shadow
  the course's modules); each is named in the report.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

REPORTS = "reports"


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def sanitize(nb, release) -> list[str]:
    """Put the release's nbgrader metadata back on ``nb``'s cells; returns what was changed, for the report."""
    known = {_nbgrader(c).get("grade_id"): c for c in release.cells if _nbgrader(c).get("grade_id")}
    notes, seen = [], set()
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if not meta:
            continue
        grade_id = meta.get("grade_id")
        if grade_id in known and grade_id not in seen:
            seen.add(grade_id)
            want = known[grade_id]
            if meta != _nbgrader(want) or cell.cell_type != want.cell_type:
                notes.append(f"cell {grade_id}: nbgrader metadata differed from the release and was restored")
                cell.metadata["nbgrader"] = copy.deepcopy(_nbgrader(want))
                if cell.cell_type != want.cell_type:
                    nb.cells[index] = nbformat.from_dict({**copy.deepcopy(want), "source": cell.source})
        else:
            why = "a second cell with this id" if grade_id in seen else "not a cell of the release"
            notes.append(f"cell {index} ({grade_id or 'no id'}): nbgrader metadata removed ({why})")
            del cell.metadata["nbgrader"]
    return notes


def take_in(student_dir: Path, assignment: str, release_path: Path, target_dir: Path) -> list[str]:
    """Write ``target_dir/<assignment>.ipynb`` from a student's folder; returns the report's notes."""
    inner = student_dir / assignment if (student_dir / assignment).is_dir() else student_dir
    expected = inner / f"{assignment}.ipynb"
    notebooks = sorted(inner.glob("*.ipynb"))
    notes = []
    if expected.is_file():
        chosen = expected
    elif len(notebooks) == 1:
        chosen = notebooks[0]
        notes.append(f"the notebook is named {chosen.name}, expected {expected.name}; it was graded as that")
    else:
        chosen = None
        notes.append(f"no {expected.name} in the submission" + (f" (found {', '.join(p.name for p in notebooks)})"
                                                                 if notebooks else "") + ": graded as unanswered")
    others = sorted(p for p in inner.rglob("*") if p != chosen and ".ipynb_checkpoints" not in p.parts and p.is_file())
    for path in others:
        rel = path.relative_to(inner)
        top = rel.parts[0].split(".")[0]
        shadow = " (it would shadow a module the course imports)" if top in ("gancourse", "autograder", "torch",
                                                                              "numpy", "matplotlib") else ""
        notes.append(f"extra file {rel} was not copied for grading{shadow}")
    release = nbformat.read(release_path, as_version=4)
    nb = None
    if chosen is not None:
        try:
            nb = nbformat.reads(chosen.read_text(encoding="utf-8"), as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("it has no list of cells")
        except (ValueError, UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError,
                AttributeError, KeyError, TypeError) as err:
            notes.append(f"{chosen.name} is not a readable notebook ({type(err).__name__}: {str(err)[:200]}); "
                         "graded as unanswered")
            nb = None
    if nb is None:
        nb = copy.deepcopy(release)
    else:
        notes += sanitize(nb, release)
    target_dir.mkdir(parents=True, exist_ok=True)
    for old in target_dir.glob("*"):
        if old.is_file():
            old.unlink()
    nbformat.write(nb, target_dir / f"{assignment}.ipynb")
    return notes


def write_notes(course_root: Path, assignment: str, student: str, notes: list[str]) -> None:
    folder = Path(course_root) / REPORTS / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{student}.intake.json").write_text(json.dumps(notes, indent=1))
