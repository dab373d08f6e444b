"""An nbgrader course directory driven through nbgrader's own API (``NbGraderAPI``, ``Gradebook``,
``CsvExportPlugin``), for the course's notebooks in ``notebooks/``.

nbgrader's API reports failure by returning ``{"success": False, "error": ..., "log": ...}`` rather than
raising; every call here checks that and raises ``NbgraderError`` with nbgrader's own message.
"""
from __future__ import annotations

import filecmp
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

AUTOGRADER_DIR = Path(__file__).resolve().parent
REPO_ROOT = AUTOGRADER_DIR.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
CONFIG_FILE = AUTOGRADER_DIR / "nbgrader_config.py"


def _put_environment_scripts_on_path() -> None:
    """nbgrader runs helper programs by name (``alembic`` for the gradebook); when Python was started as
    ``.venv/bin/python`` without activating the environment they are not on PATH, so put its bin folder first."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + (os.pathsep + path if path else "")


class NbgraderError(RuntimeError):
    """An nbgrader step failed; the message holds nbgrader's error and the tail of its log."""


def course_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, Path]:
    """The course's source notebooks, keyed by assignment id (the file name without ``.ipynb``)."""
    found = {p.stem: p for p in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))}
    if not found:
        raise FileNotFoundError(f"no course notebooks (NN_name.ipynb) in {notebooks_dir}")
    return found


@dataclass
class Grade:
    grade_id: str
    score: float
    max_score: float
    failed: bool


class Course:
    """A course directory: ``source/``, ``release/``, ``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``."""

    def __init__(self, root: str | Path, notebooks_dir: str | Path = NOTEBOOKS_DIR):
        self.root = Path(root).resolve()
        self.notebooks = course_notebooks(Path(notebooks_dir))
        self.root.mkdir(parents=True, exist_ok=True)
        local_config = self.root / "nbgrader_config.py"
        if not local_config.exists():   # lets an instructor run plain `nbgrader ...` here with the same settings
            local_config.write_text(f"c = get_config()\nload_subconfig({str(CONFIG_FILE)!r})\n")
        config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
        config.CourseDirectory.root = str(self.root)
        from nbgrader.apps import NbGraderAPI   # imported late: nbgrader is slow to import
        _put_environment_scripts_on_path()
        self.api = NbGraderAPI(config=config)

    # --- helpers -----------------------------------------------------------------------------------------
    def _assignment(self, assignment: str) -> str:
        if assignment not in self.notebooks:
            raise ValueError(f"unknown assignment {assignment!r}; expected one of {sorted(self.notebooks)}")
        return assignment

    @staticmethod
    def _ok(result: dict, what: str) -> dict:
        if not result.get("success"):
            log_tail = "\n".join((result.get("log") or "").strip().splitlines()[-15:])
            raise NbgraderError(f"{what} failed:\n{result.get('error') or '(no error text)'}\n{log_tail}".rstrip())
        return result

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    # --- the instructor's steps ----------------------------------------------------------------------------
    def release(self, assignment: str) -> Path:
        """Copy the source notebook into ``source/`` and generate the student version in ``release/``."""
        self._assignment(assignment)
        source_dir = self.path("source", assignment)
        source_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.notebooks[assignment], source_dir / f"{assignment}.ipynb")
        self._ok(self.api.generate_assignment(assignment, force=True, create=True), f"generate_assignment {assignment}")
        return self.path("release", assignment, f"{assignment}.ipynb")

    def import_submissions(self, assignment: str, folder: str | Path, keep_unchanged: bool = False) -> list[str]:
        """Take in ``folder/<student>/[<assignment>/]<assignment>.ipynb`` as ``submitted/<student>/<assignment>/``.

        Nothing a student hands in stops the others being graded: a wrong file name, an unreadable notebook, edited
        nbgrader metadata or extra files are dealt with and noted for the report (``autograder.grading.intake``).
        With ``keep_unchanged``, a folder identical to the one taken in last time is left as it was taken in.
        """
        from autograder.grading import ledger
        from autograder.grading.intake import take_in, write_notes
        self._assignment(assignment)
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"no submissions folder at {folder}")
        release = self.path("release", assignment, f"{assignment}.ipynb")
        if not release.is_file():
            self.release(assignment)
        students = []
        for student_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            student, received = student_dir.name, ledger.received_hash(student_dir)
            students.append(student)
            if (keep_unchanged and ledger.load(self, assignment, student).get("received") == received
                    and self.path("submitted", student, assignment).is_dir()):
                continue
            notes = take_in(student_dir, assignment, release, self.path("submitted", student, assignment))
            write_notes(self.root, assignment, student, notes)
            ledger.save(self, assignment, student, received=received)
        if not students:
            raise FileNotFoundError(f"no student folders under {folder} (expected {folder}/<student>/[{assignment}/])")
        return students

    def submitted_students(self, assignment: str) -> list[str]:
        base = self.path("submitted")
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir()) if base.is_dir() else []

    def autograde(self, assignment: str, student: str) -> dict:
        """Autograde one submission. If nbgrader cannot grade it at all, the released notebook is graded in its
        place, so that a 0 is recorded, and the reason goes to the report."""
        from autograder.grading.intake import REPORTS
        self._assignment(assignment)
        result = self.api.autograde(assignment, student, force=True, create=True)
        if result.get("success"):
            return result
        if "GraderError" in (result.get("error") or "") + (result.get("log") or ""):
            self._ok(result, f"autograde {assignment} for {student}")       # the grader's fault: no grade recorded
        error = (result.get("error") or "").strip().splitlines()[-1:] or ["(no error text)"]
        notes_file = self.path(REPORTS, assignment, f"{student}.intake.json")
        import json
        notes = json.loads(notes_file.read_text()) if notes_file.is_file() else []
        notes.append(f"nbgrader could not grade the submission ({error[0][:300]}); graded as unanswered")
        notes_file.parent.mkdir(parents=True, exist_ok=True)
        notes_file.write_text(json.dumps(notes, indent=1))
        target = self.path("submitted", student, assignment, f"{assignment}.ipynb")
        shutil.copy2(self.path("release", assignment, f"{assignment}.ipynb"), target)
        return self._ok(self.api.autograde(assignment, student, force=True, create=True),
                        f"autograde {assignment} for {student} (as unanswered)")

    def feedback(self, assignment: str, student: str | None = None) -> list[Path]:
        self._ok(self.api.generate_feedback(assignment, student, force=True), f"generate_feedback {assignment}")
        students = [student] if student else self.submitted_students(assignment)
        return [p for s in students for p in sorted(self.path("feedback", s, assignment).glob("*.html"))]

    def export(self, destination: str | Path) -> Path:
        from nbgrader.api import Gradebook
        from nbgrader.plugins.export import CsvExportPlugin
        destination = Path(destination).resolve()
        destination.parent.mkdir(parents=True, exist_ok=True)
        with Gradebook(self.api.coursedir.db_url) as gradebook:
            CsvExportPlugin(to=str(destination), parent=self.api).export(gradebook)
        return destination

    def grades(self, assignment: str, student: str) -> list[Grade]:
        """Per-cell scores of an autograded submission, in the notebook's order."""
        from nbgrader.api import Gradebook
        with Gradebook(self.api.coursedir.db_url) as gradebook:
            submission = gradebook.find_submission(assignment, student)
            out = []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    score = grade.score if grade.score is not None else 0.0
                    out.append(Grade(grade.name, float(score), float(grade.max_score),
                                     failed=grade.auto_score is not None and grade.auto_score < grade.max_score))
            return out

    def total(self, assignment: str, student: str, auto_only: bool = True) -> tuple[float, float]:
        """(score, max) over the auto-graded cells (or every graded cell with ``auto_only=False``)."""
        from nbgrader.api import Gradebook
        with Gradebook(self.api.coursedir.db_url) as gradebook:
            submission = gradebook.find_submission(assignment, student)
            if auto_only:
                return float(submission.code_score), float(submission.max_code_score)
            return float(submission.score), float(submission.max_score)


def copy_new(src: Path, dst: Path) -> str:
    """Copy ``src`` to ``dst`` unless ``dst`` holds different work; never overwrite a student's notebook.

    Returns "copied", "unchanged" or "kept" (``dst`` differs: the new version goes beside it as ``*.new.ipynb``).
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        shutil.copy2(src, dst)
        return "copied"
    if filecmp.cmp(src, dst, shallow=False):
        return "unchanged"
    shutil.copy2(src, dst.with_suffix(".new.ipynb"))
    return "kept"
