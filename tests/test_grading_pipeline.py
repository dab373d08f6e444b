"""The whole nbgrader pipeline on real submissions of notebook 01, in a temporary course directory:
release → submissions → autograde → feedback → CSV export, through the instructor CLI and nbgrader's API."""
import csv
import re
import shutil

import nbformat
import pytest

from autograder.cli import main as cli
from autograder.course import Course
from notebook_tools import NOTEBOOKS, grade_id, set_solution, solved_submission

pytestmark = pytest.mark.slow
ASSIGNMENT = "01_intro"

# A wrong answer that passes the visible tests (all-equal logits, batches of one) but not the hidden check:
# the softplus of the mean logit instead of the mean of the softplus.
WRONG_LOSS = '''
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(-real_logits.mean()) + F.softplus(fake_logits.mean())
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    assert cli(["--course", str(root / "course"), "release", ASSIGNMENT]) == 0
    course = Course(root / "course")
    release = course.path("release", ASSIGNMENT, f"{ASSIGNMENT}.ipynb")
    solved = solved_submission(NOTEBOOKS / f"{ASSIGNMENT}.ipynb", release)

    wrong = nbformat.from_dict(solved)
    set_solution(wrong, "discriminator_loss", WRONG_LOSS)

    tampered = nbformat.from_dict(solved)
    set_solution(tampered, "generator_loss", "def generator_loss(fake_logits, non_saturating=True):\n    return 0.0\n")
    set_solution(tampered, "generator_loss_tests", "assert True")
    tampered.cells = [c for c in tampered.cells if grade_id(c) != "d_step_tests"]

    submissions = root / "inbox"
    for student, nb in {"solution": solved, "wrong": wrong, "tampered": tampered}.items():
        (submissions / student).mkdir(parents=True)
        nbformat.write(nb, submissions / student / f"{ASSIGNMENT}.ipynb")
    (submissions / "untouched").mkdir()
    shutil.copy(release, submissions / "untouched" / f"{ASSIGNMENT}.ipynb")

    grade_status = cli(["--course", str(course.root), "grade", ASSIGNMENT, "--submissions", str(submissions)])
    feedback_status = cli(["--course", str(course.root), "feedback", ASSIGNMENT])
    export_status = cli(["--course", str(course.root), "export", "--to", str(root / "grades.csv")])
    return {"course": course, "release": release, "root": root,
            "status": (grade_status, feedback_status, export_status)}


def _scores(course, student):
    return {g.grade_id: (g.score, g.max_score) for g in course.grades(ASSIGNMENT, student)}


def test_release_has_no_solutions_and_no_hidden_tests(graded):
    text = graded["release"].read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "autograder", "torch.randn(batch_size, latent_dim)"):
        assert marker not in text, f"the student release contains {marker!r}"
    release = nbformat.read(graded["release"], as_version=4)
    stubs = [c for c in release.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    assert len(stubs) >= 5 and all("raise NotImplementedError()" in c.source for c in stubs)


def test_cli_steps_succeed(graded):
    assert graded["status"] == (0, 0, 0)


def test_solution_gets_full_marks(graded):
    score, max_score = graded["course"].total(ASSIGNMENT, "solution")
    assert max_score >= 15 and score == max_score, _scores(graded["course"], "solution")


def test_untouched_release_gets_zero(graded):
    score, max_score = graded["course"].total(ASSIGNMENT, "untouched")
    assert max_score > 0 and score == 0, _scores(graded["course"], "untouched")


def test_wrong_answer_gets_partial_marks_and_feedback_names_the_failing_test(graded):
    course = graded["course"]
    scores = _scores(course, "wrong")
    assert scores["discriminator_loss_tests"] == (0.0, 2.0)
    failed = [k for k, (s, m) in scores.items() if s < m and k not in ("detach_answer", "curves_answer")]
    assert failed == ["discriminator_loss_tests"], scores
    score, max_score = course.total(ASSIGNMENT, "wrong")
    assert 0 < score < max_score
    html = course.path("feedback", "wrong", ASSIGNMENT, f"{ASSIGNMENT}.html").read_text()
    assert "Check discriminator_loss" in html          # the failing test's docstring
    assert "discriminator_loss on random logits differs from the expected values" in html   # the hidden check's message
    assert re.search(r"discriminator_loss_tests", html)


def test_tampered_test_cell_is_restored_and_scores_zero(graded):
    scores = _scores(graded["course"], "tampered")
    assert scores["generator_loss_tests"] == (0.0, 2.0)
    autograded = nbformat.read(graded["course"].path("autograded", "tampered", ASSIGNMENT, f"{ASSIGNMENT}.ipynb"), 4)
    restored = next(c for c in autograded.cells if grade_id(c) == "generator_loss_tests")
    assert "assert True" != restored.source.strip() and "generator_loss" in restored.source


def test_deleted_test_cell_is_restored_and_graded(graded):
    scores = _scores(graded["course"], "tampered")
    assert scores["d_step_tests"] == (3.0, 3.0)
    autograded = nbformat.read(graded["course"].path("autograded", "tampered", ASSIGNMENT, f"{ASSIGNMENT}.ipynb"), 4)
    assert any(grade_id(c) == "d_step_tests" for c in autograded.cells)


def test_grades_exported_to_csv(graded):
    rows = list(csv.DictReader((graded["root"] / "grades.csv").open()))
    by_student = {r["student_id"]: r for r in rows if r["assignment"] == ASSIGNMENT}
    assert set(by_student) == {"solution", "wrong", "tampered", "untouched"}
    assert float(by_student["solution"]["raw_score"]) > float(by_student["wrong"]["raw_score"]) > 0
    assert float(by_student["untouched"]["raw_score"]) == 0


def test_cli_reports_an_unknown_assignment(graded, capsys):
    assert cli(["--course", str(graded["course"].root), "release", "99_nothing"]) == 1
    assert "unknown assignment" in capsys.readouterr().err
