"""Jobs out, outcomes in: what a parallel grading sends to its workers and how their results reach the course.

nbgrader's gradebook is one SQLite file, which parallel writers would lock or corrupt. So a job grades in a course
directory of its own (``autograder.grading.jobs``) and only this module writes to the course, in one process:

* ``JobMaker`` builds the jobs: the assignment's gradebook, made once by ``nbgrader generate_assignment`` from the
  course's own ``source/`` in a scratch course (so it holds the same cells and checksums as the course's gradebook,
  which is checked, and no student), the source folder, and one student's submitted folder and intake notes;
* ``Merger.merge`` takes an outcome in: it runs nbgrader's own autograde on the course for that student, with the
  execution replaced by ``ReplayExecute``, which hands over the notebook the job graded (after checking that its
  cells are the ones nbgrader just sanitised) instead of running it again. Every row nbgrader writes (submission,
  timestamps, scores, late penalties, comments) and the ``autograded/`` folder are therefore written exactly as a
  serial grading writes them, by nbgrader itself.
"""
from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.grading.jobs import Job, Outcome, fingerprint, read_tree, write_tree

REPLAY = ".grading/replay"


def _definition(db_url: str, assignment: str) -> dict:
    """What the autograde of ``assignment`` depends on in a gradebook: its notebooks' graded and source cells."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url) as gb:
        out = {}
        for notebook in gb.find_assignment(assignment).notebooks:
            out[notebook.name] = (sorted((c.name, c.max_score, c.cell_type) for c in notebook.grade_cells),
                                  sorted((c.name, c.checksum, c.locked) for c in notebook.source_cells))
        return out


class JobMaker:
    """Builds the grading jobs of one assignment of ``course`` (see the module's docstring)."""

    def __init__(self, course, assignment: str, settings: dict | None = None, threads: int | None = None,
                 hide: list[str] | None = None):
        from nbgrader.api import Gradebook
        from autograder.course import Course
        self.course, self.assignment = course, assignment
        self.settings, self.threads = dict(settings or {}), threads
        self.hide = [str(course.root)] if hide is None else list(hide)
        source = course.path("source", assignment)
        if not source.is_dir():
            raise FileNotFoundError(f"{source} does not exist: release {assignment} first")
        with tempfile.TemporaryDirectory(prefix="gancourse-template-") as tmp:
            template = Course(Path(tmp) / "course")
            shutil.copytree(source, template.path("source", assignment))
            template._ok(template.api.generate_assignment(assignment, force=True, create=True),
                         f"generate_assignment {assignment} (the jobs' gradebook)")
            with Gradebook(course.api.coursedir.db_url) as gb, Gradebook(template.api.coursedir.db_url) as tgb:
                tgb.update_or_create_assignment(assignment, duedate=gb.find_assignment(assignment).duedate)
            if _definition(template.api.coursedir.db_url, assignment) != _definition(course.api.coursedir.db_url,
                                                                                       assignment):
                raise ValueError(f"the gradebook's cells of {assignment} differ from {source}; release {assignment} "
                                 "again (python -m autograder release) before grading")
            self.template = {"gradebook.db": template.path("gradebook.db").read_bytes(),
                             **read_tree(template.path("source", assignment), f"source/{assignment}")}

    def job(self, student: str) -> Job:
        a, course = self.assignment, self.course
        files = {**read_tree(course.path("submitted", student, a), f"submitted/{student}/{a}")}
        notes = course.path("reports", a, f"{student}.intake.json")
        if notes.is_file():
            files[f"reports/{a}/{student}.intake.json"] = notes.read_bytes()
        return Job(a, student, {**self.template, **files}, settings=self.settings, hide=self.hide,
                   threads=self.threads, fingerprint=fingerprint())


class ReplayExecute(NbGraderPreprocessor):
    """Stands in for the execution while merging: the notebook graded by a job (in ``graded_dir``) replaces the
    sanitised one, once its cells are checked to be the same; the other files the job left go beside it."""
    graded_dir = Unicode("", help="folder holding the job's graded notebook and files").tag(config=True)

    def preprocess(self, nb, resources):
        from autograder.grading.isolated import GraderError
        folder, name = Path(self.graded_dir), resources["unique_key"]
        graded_file = folder / f"{name}.ipynb"
        if not graded_file.is_file():
            raise GraderError(f"the grading job returned no graded {name}.ipynb")
        graded = nbformat.read(graded_file, as_version=4)
        ours = [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]
        theirs = [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in graded.cells]
        if ours != theirs:
            raise GraderError(f"the grading job graded other cells than the course's {name}.ipynb")
        workdir = Path(resources["metadata"]["path"])
        for path in folder.rglob("*"):
            if path.is_file() and path != graded_file:
                target = workdir / path.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        return graded, resources


class Merger:
    """Puts outcomes into the course (the only writer of its gradebook while grading in parallel)."""

    def __init__(self, course):
        from nbgrader.apps import NbGraderAPI
        from autograder.grading.isolated import IsolatedExecute
        self.course = course
        config = copy.deepcopy(course.api.config)
        steps = list(config.Autograde.autograde_preprocessors)
        config.Autograde.autograde_preprocessors = [ReplayExecute if s is IsolatedExecute else s for s in steps]
        self.api = NbGraderAPI(config=config)

    def merge(self, outcome: Outcome) -> None:
        """Write ``outcome`` (a successful one) into the course's folders and gradebook."""
        a, s, course = outcome.assignment, outcome.student, self.course
        prefix = f"autograded/{s}/{a}/"
        graded = {k[len(prefix):]: v for k, v in outcome.files.items() if k.startswith(prefix)}
        extra = {k: v for k, v in outcome.files.items()
                 if k in (f"submitted/{s}/{a}/{a}.ipynb", f"reports/{a}/{s}.intake.json")}
        write_tree(course.root, extra)          # the notebook really graded (a broken one is replaced) and its notes
        stage = course.root / REPLAY / s
        shutil.rmtree(stage, ignore_errors=True)
        try:
            write_tree(stage, graded)
            self.api.config.ReplayExecute.graded_dir = str(stage)
            course._ok(self.api.autograde(a, s, force=True, create=True), f"autograde {a} for {s} (merge)")
        finally:
            shutil.rmtree(stage, ignore_errors=True)
