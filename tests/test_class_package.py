"""`python -m autograder package`: what a graded class receives holds the released notebooks and an installable
gancourse, and no solution, hidden test, check, test or source notebook."""
import os
import subprocess
import sys
import zipfile

import nbformat
import pytest

from autograder.cli import main as cli
from autograder.package import PackageError, audit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("package")
    assert cli(["--course", str(root / "course"), "package", "01_intro", "02_minmax", "--out", str(root / "out")]) == 0
    return root / "out"


def test_the_package_holds_released_notebooks_a_wheel_and_nothing_else(package):
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())
    wheel = next(f for f in files if f.endswith(".whl"))
    assert files == sorted(["README.md", "constraints.txt", wheel, "notebooks/01_intro.ipynb",
                            "notebooks/02_minmax.ipynb"])
    for name in ("01_intro", "02_minmax"):
        nb = nbformat.read(package / "notebooks" / f"{name}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "autograder" not in text
        assert "raise NotImplementedError()" in text
    with zipfile.ZipFile(package / wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert tops == {"gancourse", "gancourse-0.1.0.dist-info"}
    assert wheel in (package / "README.md").read_text()


def test_the_wheel_installs_and_carries_its_data(package, tmp_path):
    wheel = next(package.glob("*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    code = ("import gancourse; from gancourse.data import load_images; from gancourse.metrics import load_classifier;"
            "print(gancourse.__file__); print(len(load_images('mnist', limit=8, download=False)));"
            "print(load_classifier('mnist', 'cpu').info['test_accuracy'] > 0.9)")
    env = {**os.environ, "PYTHONPATH": str(target), "GANCOURSE_DATA": str(tmp_path / "nodata")}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path,
                         env=env).stdout.split()
    assert out[0].startswith(str(target)) and out[1:] == ["8", "True"]


def test_audit_refuses_a_package_that_leaks_solutions(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "x.ipynb").write_text("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\n")
    with pytest.raises(PackageError, match="BEGIN SOLUTION"):
        audit(tmp_path)


def test_the_package_never_overwrites_a_folder(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep")
    assert cli(["--course", str(tmp_path / "course"), "package", "--out", str(tmp_path / "out")]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    assert (tmp_path / "out" / "mine.txt").read_text() == "keep"
