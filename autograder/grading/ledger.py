"""What was graded already, so that a re-run grades only what changed.

For each student, ``reports/<assignment>/<student>.graded.json`` holds two hashes:

* ``received``: the folder the student handed in (``grade --submissions``), so that an unchanged folder is not
  taken in again (taking in would rewrite the notes of a submission graded as unanswered);
* ``key``: everything the grade depends on, hashed when it was recorded: the grader's code (``jobs.fingerprint``),
  the grading settings, the assignment's source folder, the submitted folder and the intake notes.

A submission is graded again when its key differs (a new or edited submission, a new release, other settings or
another grader), when its graded notebook or its gradebook entry is missing, or when asked to (``--regrade-all``).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from autograder.grading.intake import REPORTS
from autograder.grading.jobs import fingerprint, read_tree


def _record_path(course, assignment: str, student: str) -> Path:
    return course.path(REPORTS, assignment, f"{student}.graded.json")


def load(course, assignment: str, student: str) -> dict:
    path = _record_path(course, assignment, student)
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (ValueError, OSError):
        return {}


def save(course, assignment: str, student: str, **fields) -> None:
    path = _record_path(course, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**load(course, assignment, student), **fields}, indent=1))


def tree_hash(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def received_hash(student_dir: Path) -> str:
    """Hash of a handed-in folder (Jupyter's checkpoint folders left out)."""
    return tree_hash({k: v for k, v in read_tree(Path(student_dir), "").items() if ".ipynb_checkpoints" not in k})


def key(course, assignment: str, student: str, settings: dict) -> str:
    """Hash of everything the grade of ``student`` depends on (see the module's docstring)."""
    notes = course.path(REPORTS, assignment, f"{student}.intake.json")
    files = {**read_tree(course.path("source", assignment), "source"),
             **read_tree(course.path("submitted", student, assignment), "submitted"),
             "notes": notes.read_bytes() if notes.is_file() else b"",
             "grader": fingerprint().encode(),
             "settings": json.dumps(settings, sort_keys=True, default=str).encode()}
    return tree_hash(files)


def stale(course, assignment: str, students: list[str], settings: dict) -> list[str]:
    """The students whose grade is missing or out of date, in the given order."""
    from nbgrader.api import Gradebook
    with Gradebook(course.api.coursedir.db_url) as gb:
        try:
            in_gradebook = {s.student.id for s in gb.assignment_submissions(assignment)}
        except Exception:  # noqa: BLE001 — no such assignment in the gradebook yet
            in_gradebook = set()
    return [s for s in students
            if s not in in_gradebook
            or not course.path("autograded", s, assignment, f"{assignment}.ipynb").is_file()
            or load(course, assignment, s).get("key") != key(course, assignment, s, settings)]
