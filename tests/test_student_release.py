"""`python -m autograder student` (what `make lab` runs): student notebooks appear, and a student's edits are
never overwritten by a later release."""
import nbformat
import pytest

from autograder.cli import main as cli
from autograder.course import copy_new

pytestmark = pytest.mark.slow


def test_student_copies_are_created_and_never_overwritten(tmp_path, capsys):
    course, out = tmp_path / "course", tmp_path / "student"
    assert cli(["--course", str(course), "student", "01_intro", "--out", str(out)]) == 0
    notebook = out / "01_intro.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    assert "BEGIN SOLUTION" not in notebook.read_text()
    assert any("raise NotImplementedError()" in c.source for c in nb.cells if c.cell_type == "code")

    assert cli(["--course", str(course), "student", "01_intro", "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out

    nb.cells[0].source += "\n\nMy own notes."
    nbformat.write(nb, notebook)
    edited = notebook.read_text()
    assert cli(["--course", str(course), "student", "01_intro", "--out", str(out)]) == 0
    assert "kept your edited copy" in capsys.readouterr().out
    assert notebook.read_text() == edited
    assert (out / "01_intro.new.ipynb").is_file()


def test_copy_new_statuses(tmp_path):
    src, dst = tmp_path / "a.ipynb", tmp_path / "out" / "a.ipynb"
    src.write_text("one")
    assert copy_new(src, dst) == "copied"
    assert copy_new(src, dst) == "unchanged"
    dst.write_text("mine")
    assert copy_new(src, dst) == "kept" and dst.read_text() == "mine"
    assert (tmp_path / "out" / "a.new.ipynb").read_text() == "one"
