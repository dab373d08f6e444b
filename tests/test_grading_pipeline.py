"""The whole nbgrader pipeline on real submissions, in a temporary course directory: release → submissions →
autograde → feedback → CSV export, through the instructor CLI and nbgrader's API.

For every notebook: the release holds no solutions or hidden tests; the solution gets full marks; the untouched
release gets 0 without crashing the pipeline; a typical wrong answer (tests/wrong_answers/) gets partial marks
with the failing test named in the feedback; every answer wrong with the checks stood in for in the kernel (a
module in sys.modules and an AST transformer that swallows errors) scores 0 on every exercise; the feedback never
shows a hidden test. For notebook 01 also: a test cell replaced by `assert True` is
restored and scores 0, and a deleted test cell is restored and graded.
"""
import csv
import re
import shutil

import nbformat
import pytest

import wrong_answers
from autograder.cli import main as cli
from autograder.course import Course
from notebook_tools import (CATALOGUES, NOTEBOOKS, SWALLOW_ERRORS, grade_id, set_solution, solved_submission, stand_in,
                            wrong_cells)

pytestmark = pytest.mark.slow
WRONG = wrong_answers.load()
ASSIGNMENTS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_has_a_wrong_answer_to_grade():
    assert set(WRONG) == set(ASSIGNMENTS)


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    assignment = request.param
    root = tmp_path_factory.mktemp(f"course_{assignment}")
    assert cli(["--course", str(root / "course"), "release", assignment]) == 0
    course = Course(root / "course")
    release = course.path("release", assignment, f"{assignment}.ipynb")
    solved = solved_submission(NOTEBOOKS / f"{assignment}.ipynb", release)
    submissions = {"solution": solved}

    wrong = nbformat.from_dict(solved)
    set_solution(wrong, WRONG[assignment].CELL, WRONG[assignment].SOURCE)
    submissions["wrong"] = wrong

    cheat = nbformat.from_dict(solved)              # every answer wrong, and the checks stood in for in the kernel
    for cell_id, source in wrong_cells(assignment, cheat).items():
        set_solution(cheat, cell_id, source)
    cheat.cells.insert(1, nbformat.v4.new_code_cell(stand_in(CATALOGUES[assignment]) + SWALLOW_ERRORS))
    submissions["cheat"] = cheat

    if assignment == "01_intro":
        tampered = nbformat.from_dict(solved)
        set_solution(tampered, "generator_loss", "def generator_loss(fake_logits, non_saturating=True):\n    return 0.0\n")
        set_solution(tampered, "generator_loss_tests", "assert True")
        tampered.cells = [c for c in tampered.cells if grade_id(c) != "d_step_tests"]
        submissions["tampered"] = tampered

        noisy = nbformat.from_dict(solved)          # right answers, and a library-style warning on stderr
        cell = next(c for c in noisy.cells if grade_id(c) == "d_step")
        cell.source += ("\n\n_d_step_answer = d_step\n\n\ndef d_step(D, G, real, noise, opt_D):\n"
                        "    import sys\n"
                        "    print('UserWarning: a library printed this warning to stderr', file=sys.stderr)\n"
                        "    return _d_step_answer(D, G, real, noise, opt_D)\n")
        submissions["noisy"] = noisy

    inbox = root / "inbox"
    for student, nb in submissions.items():
        (inbox / student).mkdir(parents=True)
        nbformat.write(nb, inbox / student / f"{assignment}.ipynb")
    (inbox / "untouched").mkdir()
    shutil.copy(release, inbox / "untouched" / f"{assignment}.ipynb")

    status = (cli(["--course", str(course.root), "grade", assignment, "--submissions", str(inbox)]),
              cli(["--course", str(course.root), "feedback", assignment]),
              cli(["--course", str(course.root), "export", "--to", str(root / "grades.csv")]))
    return {"assignment": assignment, "course": course, "release": release, "root": root, "status": status}


def _scores(graded, student):
    return {g.grade_id: (g.score, g.max_score) for g in graded["course"].grades(graded["assignment"], student)}


def _autograded(graded, student):
    a = graded["assignment"]
    return nbformat.read(graded["course"].path("autograded", student, a, f"{a}.ipynb"), as_version=4)


def test_release_has_no_solutions_and_no_hidden_tests(graded):
    text = graded["release"].read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "autograder"):
        assert marker not in text, f"the student release contains {marker!r}"
    release = nbformat.read(graded["release"], as_version=4)
    stubs = [c for c in release.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) >= 5 and all("raise NotImplementedError()" in c.source for c in stubs)


def test_cli_steps_succeed(graded):
    assert graded["status"] == (0, 0, 0)


def test_solution_gets_full_marks(graded):
    score, max_score = graded["course"].total(graded["assignment"], "solution")
    assert max_score >= 10 and score == max_score, _scores(graded, "solution")


def test_untouched_release_gets_zero(graded):
    score, max_score = graded["course"].total(graded["assignment"], "untouched")
    assert max_score > 0 and score == 0, _scores(graded, "untouched")


def test_wrong_answer_gets_partial_marks_and_feedback_names_the_failing_test(graded):
    wrong = WRONG[graded["assignment"]]
    scores = _scores(graded, "wrong")
    failed = [k for k, (s, m) in scores.items() if s < m and not k.endswith("_answer")]
    assert failed == [wrong.FAILING_TEST], scores
    score, max_score = graded["course"].total(graded["assignment"], "wrong")
    assert 0 < score < max_score
    a = graded["assignment"]
    html = graded["course"].path("feedback", "wrong", a, f"{a}.html").read_text()
    assert wrong.FAILING_TEST in html and wrong.MESSAGE in html


def test_wrong_answers_with_the_checks_stood_in_for_score_zero_and_are_flagged(graded):
    scores = _scores(graded, "cheat")
    exercise_tests = {k: v for k, v in scores.items() if k.endswith("_tests")}
    assert len(exercise_tests) >= 5 and all(s == 0 for s, _ in exercise_tests.values()), scores
    from autograder.grading import report
    row = report.student_report(graded["course"], graded["assignment"], "cheat")
    assert {"sys.modules", "AST transformers"} <= {w for t in row["tampering"] for w in ("sys.modules", "AST transformers")
                                                   if w in t["what"]}


def test_feedback_shows_no_hidden_test(graded):
    pages = list(graded["course"].path("feedback").rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:                        # highlighted code: a name is a span of its own, e.g. >check_d_step<
        text = page.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and not re.search(r">check_\w+<", text), page


def test_tampered_test_cell_is_restored_and_scores_zero(graded):
    if graded["assignment"] != "01_intro":
        pytest.skip("tampering is tested on notebook 01")
    assert _scores(graded, "tampered")["generator_loss_tests"] == (0.0, 2.0)
    restored = next(c for c in _autograded(graded, "tampered").cells if grade_id(c) == "generator_loss_tests")
    assert restored.source.strip() != "assert True" and "generator_loss" in restored.source


def test_deleted_test_cell_is_restored_and_graded(graded):
    if graded["assignment"] != "01_intro":
        pytest.skip("deleting a test cell is tested on notebook 01")
    assert _scores(graded, "tampered")["d_step_tests"] == (3.0, 3.0)
    assert any(grade_id(c) == "d_step_tests" for c in _autograded(graded, "tampered").cells)


def test_a_warning_on_stderr_is_not_a_failure(graded):
    if graded["assignment"] != "01_intro":
        pytest.skip("stderr output is tested on notebook 01")
    assert _scores(graded, "noisy")["d_step_tests"] == (3.0, 3.0)
    cell = next(c for c in _autograded(graded, "noisy").cells if grade_id(c) == "d_step_tests")
    assert any("printed this warning" in o.get("text", "") for o in cell.outputs)   # kept, as stdout


def test_grades_exported_to_csv(graded):
    rows = [r for r in csv.DictReader((graded["root"] / "grades.csv").open()) if r["assignment"] == graded["assignment"]]
    by_student = {r["student_id"]: float(r["raw_score"]) for r in rows}
    assert {"solution", "wrong", "untouched"} <= set(by_student)
    assert by_student["solution"] > by_student["wrong"] > 0 == by_student["untouched"]


def test_cli_reports_an_unknown_assignment(graded, capsys):
    assert cli(["--course", str(graded["course"].root), "release", "99_nothing"]) == 1
    assert "unknown assignment" in capsys.readouterr().err
