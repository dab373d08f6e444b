"""Grading that cannot be fooled or stalled, tried on real submissions of notebook 02 graded in one run.

Every attack below earned full marks when the hidden tests ran inside the student's kernel. Each tampering student
hands in wrong answers that pass the visible tests (the first of each check's catalogue in
tests/test_checks_minmax.py, ``notebook_tools.wrong_cells``) plus one kind of tampering; each must score 0 on the tampered tests and be flagged.
Other students stall, die, exhaust memory, flood the output or hand in broken files: each is bounded and recorded,
and the others are graded as usual. The gradebook, the export and the feedback stay clean.
"""
import csv
import json
import re
import sqlite3

import nbformat
import pytest

from autograder.cli import main as cli
from autograder.course import Course
from autograder.grading import report
from notebook_tools import (NOTEBOOKS, SWALLOW_ERRORS, grade_id, set_solution, solved_submission, stand_in,
                            wrong_cells)

pytestmark = pytest.mark.slow
A = "02_minmax"
CELL_TIMEOUT = 45


def _with_cell(nb, source: str, at: int = 1):
    nb = nbformat.from_dict(nb)
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


def _wrong(solved):
    nb = nbformat.from_dict(solved)
    for cell_id, source in WRONG_CELLS.items():
        set_solution(nb, cell_id, source)
    return nb


WRONG_CELLS = wrong_cells(A, nbformat.read(NOTEBOOKS / f"{A}.ipynb", as_version=4))
STANDIN = stand_in("minmax")
HELPERS = """import autograder.checks, autograder.checks.minmax as m, autograder.checks.minmax_helpers as h
for module in (autograder.checks, m, h):
    for name in dir(module):
        if name in ("expect", "assert_close", "compare_scalar_with_grad", "expect_value_error", "scalar", "outcome"):
            setattr(module, name, lambda *args, **kwargs: None)
"""
AST = SWALLOW_ERRORS
FRAMES = """import sys
def _expected_from_caller(*args, **kwargs):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "ref", "reference", "want"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return torch.tensor(0.0)
"""
COPY = """import types
from gancourse import theory
bce = types.FunctionType(theory.binary_cross_entropy.__code__, theory.binary_cross_entropy.__globals__, "bce")
"""
MEMORY = """import torch
hog = torch.empty(3 * 2 ** 30)   # 12 GiB: more than the kernel's limit, less than this machine could promise
hog.fill_(1.0)
"""
DAEMON = """import ctypes, subprocess, sys
ctypes.CDLL(None).prctl(1, 0)                     # the kernel no longer dies with its parent
ESCAPE = ["-c", "import ctypes, os, time; ctypes.CDLL(None).prctl(1, 0); os.setsid(); time.sleep(10 ** 6)"]
subprocess.Popen([sys.executable, *ESCAPE[:2], "gancourse-escape-kernel"], start_new_session=True)
_right_bce = bce
def bce(probs, targets):                            # right answer, and a daemon from inside the judge's worker
    import subprocess, sys
    subprocess.Popen([sys.executable, *ESCAPE[:2], "gancourse-escape-worker"], start_new_session=True)
    return _right_bce(probs, targets)
"""
STALL = """import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""


def _gradebook_attack(root, victim_file) -> str:
    course = root / "course"
    return f"""import sqlite3, glob
for attempt in (
    lambda: sqlite3.connect({str(course / 'gradebook.db')!r}).execute("update grade set manual_score = 100").connection.commit(),
    lambda: print(open({str(course / 'source' / A / (A + '.ipynb'))!r}).read()[:3000]),
    lambda: print(open({str(victim_file)!r}).read()[:200]),
    lambda: open({str(course / 'planted.txt')!r}, "w").write("x"),
    lambda: print(glob.glob({str(course / '*')!r})),
):
    try:
        attempt()
    except Exception as err:
        print("blocked:", type(err).__name__, err)
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("isolation")
    assert cli(["--course", str(root / "course"), "release", A]) == 0
    course = Course(root / "course")
    release = course.path("release", A, f"{A}.ipynb")
    solved = solved_submission(NOTEBOOKS / f"{A}.ipynb", release)
    wrong = _wrong(solved)
    frames = nbformat.from_dict(solved)
    for cell_id in WRONG_CELLS:
        set_solution(frames, cell_id, FRAMES + f"\n{cell_id} = _expected_from_caller\n")
    copy = nbformat.from_dict(solved)
    set_solution(copy, "bce", COPY)
    middle = next(i for i, c in enumerate(solved.cells) if grade_id(c) == "optimal_discriminator_tests")
    metadata = _with_cell(solved, "pass")
    metadata.cells[1].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": False, "points": 100,
                                              "grade_id": "bonus", "schema_version": 3}
    submissions = {
        "a_victim": solved, "solution": solved, "wrong": wrong,
        "standin": _with_cell(wrong, STANDIN), "helpers": _with_cell(wrong, HELPERS), "ast": _with_cell(wrong, AST),
        "frames": frames, "shadow": wrong, "copy": copy,
        "gradebook": _with_cell(solved, _gradebook_attack(root, course.path("submitted", "a_victim", A, f"{A}.ipynb"))),
        "stall": _with_cell(solved, STALL, middle), "exit": _with_cell(solved, "import os\nos._exit(3)", middle),
        "memory": _with_cell(solved, MEMORY, middle),
        "flood": _with_cell(solved, "for _ in range(40):\n    print('x' * 1_000_000)"),
        "metadata": metadata,
        "daemon": _with_cell(solved, DAEMON, next(i for i, c in enumerate(solved.cells) if grade_id(c) == "bce_tests")),
    }
    inbox = root / "inbox"
    for student, nb in submissions.items():
        (inbox / student).mkdir(parents=True)
        nbformat.write(nb, inbox / student / f"{A}.ipynb")
    shadow = inbox / "shadow" / "autograder" / "checks"
    shadow.mkdir(parents=True)
    (shadow / "minmax.py").write_text("def __getattr__(name):\n    return lambda *a, **k: None\n")
    (inbox / "shadow" / "gancourse.py").write_text("raise SystemExit\n")
    (inbox / "malformed").mkdir()
    (inbox / "malformed" / f"{A}.ipynb").write_text("{ this is not a notebook")
    (inbox / "misnamed").mkdir()
    nbformat.write(solved, inbox / "misnamed" / "my homework.ipynb")
    (inbox / "empty").mkdir()
    status = cli(["--course", str(course.root), "grade", A, "--submissions", str(inbox),
                  "--cell-timeout", str(CELL_TIMEOUT), "--timeout", "240"])
    feedback = cli(["--course", str(course.root), "feedback", A])
    exported = cli(["--course", str(course.root), "export", "--to", str(root / "grades.csv")])
    rows = {s: report.student_report(course, A, s) for s in course.submitted_students(A)}
    return {"course": course, "root": root, "status": (status, feedback, exported), "rows": rows,
            "students": set(submissions) | {"malformed", "misnamed", "empty"}}


def _scores(graded, student):
    return {g.grade_id: g.score for g in graded["course"].grades(A, student)}


def _total(graded, student):
    return graded["course"].total(A, student)


def test_every_step_succeeds_and_every_student_is_recorded(graded):
    assert graded["status"] == (0, 0, 0)
    with open(graded["root"] / "grades.csv") as f:
        exported = {row["student_id"] for row in csv.DictReader(f) if row["assignment"] == A}
    assert graded["students"] <= exported


def test_right_answers_keep_full_marks(graded):
    for student in ("a_victim", "solution", "misnamed", "metadata", "gradebook", "flood"):
        score, max_score = _total(graded, student)
        assert max_score == 16 and score == 16, (student, _scores(graded, student))


@pytest.mark.parametrize("student", ["wrong", "standin", "helpers", "ast", "frames", "shadow"])
def test_tampering_scores_zero_on_every_tampered_test(graded, student):
    scores = _scores(graded, student)
    assert all(scores[f"{cell_id}_tests"] == 0 for cell_id in WRONG_CELLS), scores


@pytest.mark.parametrize("student,finding", [
    ("standin", "sys.modules"), ("helpers", "imports autograder"), ("ast", "AST transformers"),
    ("frames", "stack frame"), ("gradebook", "database"), ("copy", "__code__")])
def test_tampering_is_flagged_where_it_is(graded, student, finding):
    row = graded["rows"][student]
    assert report.flagged(row) and any(finding in t["what"] for t in row["tampering"]), row["tampering"]


def test_a_copied_reference_code_object_earns_nothing_and_is_flagged(graded):
    scores = _scores(graded, "copy")
    assert scores["bce_tests"] == 0 and _total(graded, "copy")[0] == 16 - 2, scores
    assert [c["check"] for c in graded["rows"]["copy"]["copied_reference"]] == ["minmax.check_bce"]


def test_the_kernel_cannot_reach_the_gradebook_the_source_or_other_students(graded):
    course = graded["course"]
    assert _total(graded, "a_victim") == (16, 16)
    with sqlite3.connect(course.path("gradebook.db")) as db:
        assert db.execute("select count(*) from grade where manual_score = 100").fetchone()[0] == 0
    assert not course.path("planted.txt").exists()
    nb = nbformat.read(course.path("autograded", "gradebook", A, f"{A}.ipynb"), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed.count("blocked:") == 4, printed[:2000]
    listing = next(line for line in printed.splitlines() if line.startswith("["))
    assert "gradebook.db" not in listing and "source" not in listing and "submitted" not in listing, listing
    assert "BEGIN SOLUTION" not in printed


def test_shadowing_files_are_not_copied_and_are_named(graded):
    notes = graded["rows"]["shadow"]["intake"]
    assert any("gancourse.py" in n and "shadow" in n for n in notes), notes
    assert not list(graded["course"].path("submitted", "shadow", A).glob("*.py"))


def test_a_stalling_kernel_is_killed_and_the_rest_is_recorded(graded):
    row = graded["rows"]["stall"]
    assert any("stopped the kernel" in e for e in row["events"]), row["events"]
    assert row["seconds"] < CELL_TIMEOUT + 60, row["seconds"]
    scores = _scores(graded, "stall")
    assert scores["bce_tests"] == 2 and scores["optimal_discriminator_tests"] == 0, scores


def test_no_process_outlives_its_submission(graded):
    import pathlib
    survivors = []
    for cmdline in pathlib.Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "gancourse-escape-" in text:
            survivors.append(text)
    assert not survivors
    assert _total(graded, "daemon") == (16, 16), _scores(graded, "daemon")


def test_a_dying_kernel_is_recorded(graded):
    row = graded["rows"]["exit"]
    assert any("died" in e for e in row["events"]), row["events"]
    scores = _scores(graded, "exit")
    assert scores["bce_tests"] == 2 and scores["jsd_tests"] == 0, scores


def test_a_memory_hog_is_bounded(graded):
    nb = nbformat.read(graded["course"].path("autograded", "memory", A, f"{A}.ipynb"), as_version=4)
    hog = next(c for c in nb.cells if "hog" in c.source)
    assert [o.ename for o in hog.outputs if o.output_type == "error"] == ["RuntimeError"], hog.outputs
    assert _total(graded, "memory") == (16, 16), _scores(graded, "memory")


def test_an_output_flood_is_capped(graded):
    path = graded["course"].path("autograded", "flood", A, f"{A}.ipynb")
    assert path.stat().st_size < 7_000_000           # 40 MB printed; 6 MB of output kept, the sources beside it
    assert any("dropped" in e for e in graded["rows"]["flood"]["events"])


def test_broken_submissions_are_graded_as_unanswered_and_explained(graded):
    for student, note in (("malformed", "not a readable notebook"), ("empty", "no 02_minmax.ipynb"),
                          ("misnamed", "named my homework.ipynb"), ("metadata", "metadata removed")):
        notes = graded["rows"][student]["intake"]
        assert any(note in n for n in notes), (student, notes)
    for student in ("malformed", "empty"):
        assert _total(graded, student) == (0, 16)


def test_feedback_never_shows_hidden_tests(graded):
    pages = list(graded["course"].path("feedback").rglob("*.html"))
    assert len(pages) >= len(graded["students"]) - 1
    for page in pages:
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and not re.search(r">check_\w+<", text), page


def test_the_report_lists_every_student(graded, capsys):
    assert cli(["--course", str(graded["course"].root), "report", A, "--to", str(graded["root"] / "r.csv")]) == 0
    out = capsys.readouterr().out
    assert "standin" in out and "FLAGGED" in out
    with open(graded["root"] / "r.csv") as f:
        assert {r["student"] for r in csv.DictReader(f)} == graded["students"]
    assert json.loads((graded["course"].path("reports", A, "malformed.intake.json")).read_text())
