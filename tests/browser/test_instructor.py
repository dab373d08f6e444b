"""The instructor's side in JupyterLab: every source notebook (solutions and hidden tests) runs top to bottom in
quick mode with no error output; on those runs the ipywidgets explorers of notebooks 02 and 04 render and respond;
the formgrader shows a course that the CLI graded and takes points for a written answer, which the CSV export
then carries."""
import csv
import re
import shutil
from dataclasses import dataclass

import nbformat
import pytest

from autograder.cli import main as cli
from labpage import Notebook, describe, error_outputs, expect
from notebook_tools import NOTEBOOKS, solved_submission

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ASSIGNMENTS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WITH_EXPLORER = {"02_minmax", "04_conditional"}
CHANGE_TIMEOUT = 120_000     # ms for the kernel to redraw after a slider moves (two busy CPU cores)


@dataclass
class Run:
    notebook: Notebook
    saved: nbformat.NotebookNode | None = None    # the notebook as saved after the run
    seconds: float = 0.0
    failure: str | None = None                    # why the run did not reach the last cell


class InstructorRuns:
    """Each source notebook run once (Run All) on demand, in a page of its own that stays open, so that the explorer
    tests work on the same run. ``page`` is the page last handed out (screenshotted if a test fails)."""

    def __init__(self, browser, lab):
        self.browser, self.lab, self.runs, self.page = browser, lab, {}, None

    def get(self, assignment: str) -> Run:
        if assignment not in self.runs:
            nb = Notebook.open(self.lab.new_page(self.browser), self.lab, f"instructor/{assignment}.ipynb")
            self.page = nb.page
            run = self.runs[assignment] = Run(nb)
            try:
                run.seconds = nb.run_all()
            except AssertionError as stopped:   # an error stopped the run, or it ran out of time
                run.failure = str(stopped)
            nb.save()
            run.saved = nb.read()
        run = self.runs[assignment]
        self.page = run.notebook.page
        if run.failure:
            errors = [describe(run.saved, i, e) for i, e in error_outputs(run.saved).items()]
            raise AssertionError(f"{run.failure}\nerror outputs:\n" + "\n".join(errors or ["(none)"]))
        return run

    def close(self, assignment: str) -> None:
        """Close the run's page and shut its kernel down."""
        nb = self.runs[assignment].notebook
        if not nb.page.is_closed():
            nb.page.context.close()
            self.lab.shut_down_notebook(nb.path)


@pytest.fixture(scope="module")
def instructor_runs(browser, lab):
    runs = InstructorRuns(browser, lab)
    yield runs
    for assignment in list(runs.runs):
        runs.close(assignment)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_instructor_notebook_runs_without_errors(instructor_runs, assignment):
    run = instructor_runs.get(assignment)
    failed = [describe(run.saved, i, e) for i, e in error_outputs(run.saved).items()]
    assert not failed, f"error outputs in the instructor's {assignment}:\n" + "\n".join(failed)
    assert all(c.execution_count for c in run.saved.cells if c.cell_type == "code")
    print(f"{assignment}: Run All took {run.seconds:.0f} s in the browser")
    if assignment not in WITH_EXPLORER:     # frees its kernel; the explorer tests use the others
        instructor_runs.close(assignment)


def _explorer(nb: Notebook, label: str):
    """The output area of the explorer widget that has a control labelled ``label``."""
    widget = nb.panel.locator(".jp-Cell-outputArea .widget-vbox").filter(
        has=nb.page.locator(".widget-label", has_text=label)).first
    widget.scroll_into_view_if_needed()
    expect(widget).to_be_visible()
    return widget


def _drag(page, slider, fraction: float) -> None:
    """Drag a slider's handle to ``fraction`` of its track, as a mouse would."""
    handle, track = slider.locator(".noUi-handle"), slider.locator(".noUi-base")
    box, target = handle.bounding_box(), track.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + fraction * target["width"], target["y"] + target["height"] / 2, steps=8)
    page.mouse.up()


def test_minmax_explorer_responds(instructor_runs):
    nb = instructor_runs.get("02_minmax").notebook
    widget = _explorer(nb, "mean of p_g")
    mean = widget.locator(".widget-slider").filter(has=nb.page.locator(".widget-label", has_text="mean of p_g"))
    numbers, picture = widget.locator(".widget-html-content"), widget.locator(".widget-output img")
    expect(picture).to_have_count(1)
    before = {"numbers": numbers.inner_text(), "picture": picture.get_attribute("src"),
              "mean": mean.locator(".widget-readout").inner_text()}
    assert re.search(r"JSD\s*=\s*\d", before["numbers"]), before["numbers"]

    _drag(nb.page, mean, 0.8)
    expect(mean.locator(".widget-readout")).not_to_have_text(before["mean"])
    expect(numbers).not_to_have_text(before["numbers"], timeout=CHANGE_TIMEOUT)
    expect(picture).not_to_have_attribute("src", before["picture"], timeout=CHANGE_TIMEOUT)


def test_class_explorer_responds(instructor_runs):
    nb = instructor_runs.get("04_conditional").notebook
    widget = _explorer(nb, "class")
    picture = widget.locator(".widget-output img")
    expect(picture).to_have_count(1)
    buttons = widget.locator(".widget-toggle-buttons button")
    assert buttons.count() >= 2, "the explorer should offer a button per class"
    first = picture.get_attribute("src")

    buttons.nth(2).click()
    expect(buttons.nth(2)).to_have_class(re.compile(r"\bmod-active\b"))
    expect(picture).not_to_have_attribute("src", first, timeout=CHANGE_TIMEOUT)

    walk = widget.locator(".widget-slider").filter(has=nb.page.locator(".widget-label", has_text="walk"))
    position, second = walk.locator(".widget-readout").inner_text(), picture.get_attribute("src")
    _drag(nb.page, walk, 0.7)
    expect(walk.locator(".widget-readout")).not_to_have_text(position)
    expect(picture).not_to_have_attribute("src", second, timeout=CHANGE_TIMEOUT)


# --- the formgrader -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(lab, tmp_path_factory):
    """Notebook 02 graded by the CLI for two students: ``ada`` (solved, written answers left to grade by hand)
    and ``bob`` (the release untouched)."""
    assignment = "02_minmax"
    course = lab.course
    release = course.path("release", assignment, f"{assignment}.ipynb")
    inbox = tmp_path_factory.mktemp("submissions")
    (inbox / "ada").mkdir()
    (inbox / "bob").mkdir()
    nbformat.write(solved_submission(NOTEBOOKS / f"{assignment}.ipynb", release), inbox / "ada" / f"{assignment}.ipynb")
    shutil.copy(release, inbox / "bob" / f"{assignment}.ipynb")
    assert cli(["--course", str(course.root), "grade", assignment, "--submissions", str(inbox)]) == 0
    return assignment


def _exported_scores(lab, assignment: str, path) -> dict[str, float]:
    assert cli(["--course", str(lab.course.root), "export", "--to", str(path)]) == 0
    rows = csv.DictReader(path.open())
    return {r["student_id"]: float(r["raw_score"]) for r in rows if r["assignment"] == assignment}


def _score_cell(text: str) -> tuple[float, float]:
    found = re.fullmatch(r"\s*([\d.]+)\s*/\s*([\d.]+)\s*", text)
    assert found, f"not a score: {text!r}"
    return float(found.group(1)), float(found.group(2))


def test_formgrader_grades_a_written_answer_into_the_export(page, lab, graded, tmp_path):
    assignment = graded
    exported = _exported_scores(lab, assignment, tmp_path / "before.csv")
    assert set(exported) == {"ada", "bob"} and exported["ada"] > exported["bob"] == 0, exported

    page.goto(f"{lab.url}/lab")
    page.locator("#jp-main-statusbar").wait_for()
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu-item").filter(has=page.locator(".lm-Menu-itemLabel",
                                                          has_text=re.compile("^Formgrader$"))).click()
    frame = page.frame_locator("iframe").first
    row = frame.locator("tr", has=frame.get_by_role("link", name=assignment, exact=True))
    expect(row.get_by_role("link", name="2", exact=True)).to_be_visible()     # its two submissions

    frame.get_by_role("link", name="Manual Grading").click()           # the gradebook: assignments,
    expect(frame.locator("th", has_text="Assignment ID")).to_be_visible()
    frame.locator("tbody").get_by_role("link", name=assignment, exact=True).click()
    expect(frame.locator("th", has_text="Notebook ID")).to_be_visible()  # then its notebooks,
    frame.locator("tbody").get_by_role("link", name=assignment, exact=True).click()
    expect(frame.locator("th", has_text="Submission ID")).to_be_visible()  # then their submissions
    expect(frame.locator("tbody tr")).to_have_count(2)                # names hidden until asked for
    frame.get_by_text("Show All Names").click()
    expect(frame.get_by_role("link", name="ada", exact=True)).to_be_visible()
    for student in ("ada", "bob"):
        cells = frame.locator("tr", has=frame.get_by_role("link", name=student, exact=True)).locator("td.score")
        score, max_score = _score_cell(cells.inner_text())
        total, total_max = lab.course.total(assignment, student, auto_only=False)
        assert (score, max_score) == (total, total_max), f"{student}: the formgrader shows {score}/{max_score}"
    assert _score_cell(frame.locator("tr", has=frame.get_by_role("link", name="ada", exact=True))
                       .locator("td.score").inner_text())[0] == exported["ada"]

    frame.get_by_role("link", name="ada", exact=True).click()
    answer = frame.locator("input.score.needs_manual_grade").first
    grade_id = answer.get_attribute("id")
    answer.fill("1")
    answer.press("Tab")                    # the formgrader saves a score when the field loses focus
    expect(frame.locator(f"input.score#{grade_id}")).not_to_have_class(re.compile(r"\bneeds_manual_grade\b"),
                                                                         timeout=30_000)

    after = _exported_scores(lab, assignment, tmp_path / "after.csv")
    assert after["ada"] == exported["ada"] + 1, f"the export did not take the point given to {grade_id}: {after}"
    assert after["bob"] == exported["bob"]
    grades = {g.grade_id: g.score for g in lab.course.grades(assignment, "ada")}
    assert grades[grade_id] == 1
