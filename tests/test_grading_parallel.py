"""Grading in parallel on a dask LocalCluster gives what a serial grading gives, and a re-run grades only what changed.

The same submissions of two notebooks (a solution, a wrong answer, an untouched release, an unreadable file) are
graded in two course directories: one submission after another in this process (``grade --serial``), and on a
LocalCluster of two workers (``grade --workers 2``, each kernel with as many torch threads as a serial grading's,
so that training runs give the same numbers). The gradebooks, the formgrader's view of them (nbgrader's API,
which the formgrader serves), the autograded notebooks, the HTML feedback and the CSV export must be the same.
Numbers that differ between any two gradings (measured seconds, floating-point digits of training curves) are
masked in the notebooks and the feedback; scores, verdicts and messages are compared exactly.
"""
import csv
import json
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
import torch

import wrong_answers
from autograder.cli import main as cli
from autograder.course import Course
from autograder.grading import jobs, ledger
from notebook_tools import NOTEBOOKS, set_solution, solved_submission

pytestmark = pytest.mark.slow
ASSIGNMENTS = ["01_intro", "02_minmax"]
WRONG = wrong_answers.load()
SNOOP = ("import os, tempfile\n"
         "_scratch = os.path.join(tempfile.gettempdir(), f'gancourse-grading-{os.getuid()}')\n"
         "print('OTHERS', [os.path.join(d, f) for d, _, fs in os.walk(_scratch) for f in fs "
         "if not os.path.join(d, f).startswith(os.getcwd() + os.sep)])\n"
         "print('COURSE', [os.path.join(d, f) for d, _, fs in os.walk(COURSE_ROOT) for f in fs "
         "if not os.path.join(d, f).startswith(os.getcwd() + os.sep)])\n")


def _inbox(root: Path, course: Course, assignment: str) -> Path:
    release = course.path("release", assignment, f"{assignment}.ipynb")
    solved = solved_submission(NOTEBOOKS / f"{assignment}.ipynb", release)
    wrong = nbformat.from_dict(solved)
    set_solution(wrong, WRONG[assignment].CELL, WRONG[assignment].SOURCE)
    snoop = nbformat.v4.new_code_cell(SNOOP.replace('COURSE_ROOT', repr(str(course.root))))
    snoop.id = "snoop"                                # the same cell id in both gradings' submissions
    wrong.cells.insert(1, snoop)
    inbox = root / f"inbox_{assignment}"
    for student, nb in (("ada", solved), ("bob", wrong)):
        (inbox / student).mkdir(parents=True)
        nbformat.write(nb, inbox / student / f"{assignment}.ipynb")
    (inbox / "cy").mkdir()
    shutil.copy(release, inbox / "cy" / f"{assignment}.ipynb")
    if assignment == "02_minmax":
        (inbox / "dee").mkdir()
        (inbox / "dee" / f"{assignment}.ipynb").write_text("{ not a notebook")
    return inbox


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    courses, logs = {}, {}
    threads = str(torch.get_num_threads())         # a serial grading's kernel gets torch's default thread count
    for mode, flags in (("serial", ["--serial"]), ("parallel", ["--workers", "2", "--threads", threads])):
        course_dir = root / mode / "course"
        assert cli(["--course", str(course_dir), "release", *ASSIGNMENTS]) == 0
        course = Course(course_dir)
        for assignment in ASSIGNMENTS:
            inbox = _inbox(root / mode, course, assignment)
            assert cli(["--course", str(course_dir), "grade", assignment, "--submissions", str(inbox), *flags]) == 0
            assert cli(["--course", str(course_dir), "feedback", assignment]) == 0
        assert cli(["--course", str(course_dir), "export", "--to", str(root / mode / "grades.csv")]) == 0
        courses[mode] = course
    return {"root": root, **courses}


def _without_ids(value):
    """Row ids are random, and nbgrader lists rows (and numbers them: ``index``) in the order of their ids, which
    differs between any two gradings: compare without them, lists sorted by student and name."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("id", "index")}
    if isinstance(value, list):
        return sorted((_without_ids(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value


def _gradebook(course: Course) -> dict:
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(course.api.coursedir.db_url) as gb:
        for assignment in ASSIGNMENTS:
            for sub in gb.assignment_submissions(assignment):
                for nb in sub.notebooks:
                    out[(assignment, sub.student.id, nb.name)] = {
                        "timestamp": sub.timestamp, "flagged": nb.flagged,
                        "late_penalty": nb.late_submission_penalty,
                        "grades": sorted((g.name, g.auto_score, g.manual_score, g.extra_credit, g.max_score,
                                          g.needs_manual_grade) for g in nb.grades),
                        "comments": sorted((c.name, c.auto_comment, c.manual_comment) for c in nb.comments)}
    return out


def _formgrader_view(course: Course) -> dict:
    api = course.api
    view = {"assignments": api.get_assignments(), "students": api.get_students()}
    for assignment in ASSIGNMENTS:
        view[assignment] = {"submissions": api.get_submissions(assignment),
                            "notebooks": api.get_notebook_submissions(assignment, assignment),
                            "students": [api.get_submission(assignment, s) for s in api.get_submitted_students(assignment)]}
    return _without_ids(view)


def _masked(text: str) -> str:
    """Run-dependent content masked: random ids, every number (timings; values drawn without a seed) and embedded
    images (figures are compared by kind and place, not by their bytes)."""
    text = re.sub(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "<id>", text)
    text = re.sub(r"(data:image/\w+;base64,|\"image/\w+\": \")[A-Za-z0-9+/=\\n]+", r"\1<image>", text)
    return re.sub(r"[ \t]+", " ", re.sub(r"-?\d+([.,]\d+)*", "0", text))      # and a table's column widths


def _notebook(path: Path, course: Course) -> list:
    """Each cell's source (with its course's path masked), its printed lines and its other outputs, masked and as
    multisets: the kernel sends printed text in as many messages as timing makes, and a warning on stderr may
    arrive before or after the cell's own lines."""
    nb = nbformat.read(path, as_version=4)
    out = []
    for c in nb.cells:
        outputs = c.get("outputs", [])
        lines = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream").splitlines()
        others = [_masked(json.dumps(o, sort_keys=True)) for o in outputs if o.get("output_type") != "stream"]
        out.append((c.cell_type, c.source.replace(str(course.root), "<course>"), sorted(map(_masked, lines)),
                    sorted(others)))
    return out


def _feedback(path: Path, course: Course) -> list:
    """The feedback's words, tags removed, masked, as a multiset: printed text comes in as many blocks as timing
    makes (a block may end in the middle of a line), and a warning may come before or after a cell's own lines."""
    text = _masked(path.read_text().replace(str(course.root), "<course>"))
    return sorted(re.sub(r"<[^>]*>", " ", text).split())


def test_gradebook_is_the_serial_runs(graded):
    serial, parallel = _gradebook(graded["serial"]), _gradebook(graded["parallel"])
    assert set(serial) == {(a, s, a) for a in ASSIGNMENTS for s in ("ada", "bob", "cy")} | {("02_minmax", "dee", "02_minmax")}
    assert parallel == serial
    scores = {k: sum(g[1] or 0 for g in v["grades"]) for k, v in serial.items()}
    assert scores[("02_minmax", "ada", "02_minmax")] > scores[("02_minmax", "bob", "02_minmax")] > 0
    assert scores[("02_minmax", "cy", "02_minmax")] == scores[("02_minmax", "dee", "02_minmax")] == 0


def test_formgrader_view_is_the_serial_runs(graded):
    assert _formgrader_view(graded["parallel"]) == _formgrader_view(graded["serial"])


def test_autograded_notebooks_feedback_and_reports_are_the_serial_runs(graded):
    for mode in ("serial", "parallel"):
        assert not (graded[mode].root / ".grading" / "replay").exists() or not any(
            (graded[mode].root / ".grading" / "replay").iterdir())
    for assignment in ASSIGNMENTS:
        for path in sorted(graded["serial"].path("autograded").glob(f"*/{assignment}/{assignment}.ipynb")):
            twin = graded["parallel"].root / path.relative_to(graded["serial"].root)
            assert _notebook(twin, graded["parallel"]) == _notebook(path, graded["serial"]), twin
        feedback = sorted(graded["serial"].path("feedback").glob(f"*/{assignment}/*.html"))
        assert len(feedback) == (4 if assignment == "02_minmax" else 3)
        for path in feedback:
            twin = graded["parallel"].root / path.relative_to(graded["serial"].root)
            assert _feedback(twin, graded["parallel"]) == _feedback(path, graded["serial"]), twin
        for student in ("ada", "bob", "cy"):
            reports = [json.loads(graded[m].path("autograded", student, assignment, "grading_report.json").read_text())
                       for m in ("serial", "parallel")]
            assert [r["isolation"] for r in reports] == ["isolated", "isolated"]
            assert reports[1]["events"] == reports[0]["events"]
            # the same checks passed and failed, for the same reasons (numbers follow each grading's secret salt)
            assert _masked(json.dumps(reports[1]["cells"])) == _masked(json.dumps(reports[0]["cells"]))
    notes = [json.loads(graded[m].path("reports", "02_minmax", "dee.intake.json").read_text()) for m in ("serial", "parallel")]
    assert notes[0] == notes[1] and "graded as unanswered" in notes[0][-1]


def test_csv_export_is_the_serial_runs(graded):
    rows = [sorted(csv.DictReader(open(graded["root"] / m / "grades.csv")), key=lambda r: (r["assignment"], r["student_id"]))
            for m in ("serial", "parallel")]                # nbgrader writes them in the order of random row ids
    assert len(rows[0]) == 8 and rows[1] == rows[0]   # dee handed in 02 only


def test_a_kernel_in_a_parallel_grading_sees_neither_the_scratch_folder_nor_the_course(graded):
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(graded["parallel"].path("autograded", "bob", assignment, f"{assignment}.ipynb"), as_version=4)
        text = "".join(o.get("text", "") for o in nb.cells[1].outputs)
        assert "OTHERS []" in text, text        # nothing in the scratch folder but its own submission folder
        assert "COURSE []" in text, text


def test_a_rerun_grades_only_the_new_or_edited_submissions(graded, capsys):
    course, assignment = graded["parallel"], "02_minmax"
    inbox = graded["root"] / "parallel" / f"inbox_{assignment}"
    flags = ["--course", str(course.root), "grade", assignment, "--submissions", str(inbox), "--workers", "2"]
    capsys.readouterr()
    assert cli(flags) == 0
    out = capsys.readouterr().out
    assert "4 submission(s) unchanged" in out and "auto-graded points" not in out
    shutil.copy(inbox / "ada" / f"{assignment}.ipynb", inbox / "cy" / f"{assignment}.ipynb")   # cy hands in again
    from dask.distributed import LocalCluster      # a "cluster" started apart from the command, as on a real one
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert cli(flags[:-2] + ["--scheduler", cluster.scheduler_address]) == 0
    out = capsys.readouterr().out
    assert "3 submission(s) unchanged" in out
    assert re.findall(r"^(\w+): [\d.]+ / [\d.]+ auto-graded points", out, flags=re.M) == ["cy"]
    assert course.total(assignment, "cy") == course.total(assignment, "ada")
    notes = json.loads(course.path("reports", assignment, "dee.intake.json").read_text())
    assert "graded as unanswered" in notes[-1]                  # a kept submission keeps its notes


def test_jobs_refuse_another_grader_and_paths_outside_their_course(tmp_path):
    outcome = jobs.grade_job(jobs.Job("02_minmax", "eve", {}, fingerprint="0" * 64))
    assert outcome.error and "different grader code" in outcome.error and not outcome.files
    with pytest.raises(ValueError, match="outside its course directory"):
        jobs.write_tree(tmp_path, {"../escape.txt": b"x"})
    assert not (tmp_path.parent / "escape.txt").exists()


def test_ledger_key_follows_the_submission_and_the_settings(tmp_path):
    course = Course(tmp_path / "course")
    folder = course.path("submitted", "ann", "02_minmax")
    folder.mkdir(parents=True)
    (folder / "02_minmax.ipynb").write_text("{}")
    first = ledger.key(course, "02_minmax", "ann", {"timeout": 180})
    assert ledger.key(course, "02_minmax", "ann", {"timeout": 180}) == first
    assert ledger.key(course, "02_minmax", "ann", {"timeout": 60}) != first
    (folder / "02_minmax.ipynb").write_text('{"cells": []}')
    assert ledger.key(course, "02_minmax", "ann", {"timeout": 180}) != first


@pytest.mark.parametrize("workers", [0, -1])
def test_bad_worker_counts_are_refused(tmp_path, workers, capsys):
    assert cli(["--course", str(tmp_path / "c"), "grade", "02_minmax", "--workers", str(workers)]) == 1
    assert f"--workers must be a positive integer, got {workers}" in capsys.readouterr().err


def test_merging_refuses_a_graded_notebook_with_other_cells(tmp_path):
    from autograder.grading.isolated import GraderError
    from autograder.grading.merge import ReplayExecute
    graded = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer = 2")])
    nbformat.write(graded, tmp_path / "a.ipynb")
    ours = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("answer = 1")])
    resources = {"unique_key": "a", "metadata": {"path": str(tmp_path / "work")}}
    with pytest.raises(GraderError, match="other cells"):
        ReplayExecute(graded_dir=str(tmp_path)).preprocess(ours, resources)
    replayed, _ = ReplayExecute(graded_dir=str(tmp_path)).preprocess(nbformat.from_dict(graded), resources)
    assert replayed.cells[0].source == "answer = 2"
    with pytest.raises(GraderError, match="no graded b.ipynb"):
        ReplayExecute(graded_dir=str(tmp_path)).preprocess(ours, {**resources, "unique_key": "b"})
