"""What a graded class receives: the released notebooks and an installable gancourse, and nothing else.

A clone of the repository holds every solution (the source notebooks, ``tests/solutions_*.py``, the model answers)
and the hidden checks: right for self-study, wrong for a graded class. ``build_class_package(course, out)`` writes

    OUT/notebooks/<assignment>.ipynb      the student versions (nbgrader's release: no solutions, no hidden tests)
    OUT/gancourse-<version>-py3-none-any.whl   the library alone (no autograder, no tests, no notebooks)
    OUT/constraints.txt                   the tested versions (the torch / torchvision pair among them)
    OUT/README.md                         how a student installs and starts

and then checks what it wrote: no solution or hidden-test marker in any file, and nothing in the wheel but the
``gancourse`` package and its metadata. The library stays readable (it is the reference), so an answer copied
from it cannot be prevented; the grader flags such answers instead.
"""
from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import gancourse
from autograder.course import Course

REPO = Path(__file__).resolve().parents[1]
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "autograder.checks")
PACKAGE_DATA = ["data/embedded/*.npz", "data/embedded/*.md", "data/embedded/*.json", "pretrained/*.pt",
                "pretrained/*.json"]

STUDENT_README = """# gancourse — the course notebooks

Install the library (Python 3.10 or newer; a virtual environment is recommended), then open the notebooks:

```bash
python -m venv .venv && . .venv/bin/activate
pip install -c constraints.txt {wheel}
jupyter lab notebooks/
```

Work through each notebook top to bottom: fill in each `# YOUR CODE HERE`, run the test cell below it, answer the
written questions, and hand in the notebook as your instructor asks. `GANCOURSE_QUICK=1` makes every training cell
take a few steps only.
"""


class PackageError(RuntimeError):
    """The class package could not be built, or what was built holds something a student must not receive."""


def _dependencies() -> list[str]:
    """gancourse's install requirements as the installed project declares them (extras left out)."""
    requires = importlib.metadata.requires("gancourse") or []
    return [r for r in requires if "extra ==" not in r]


def build_wheel(out: Path) -> Path:
    """A wheel of the ``gancourse`` package alone, built from a copy of it with a minimal pyproject."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(Path(gancourse.__file__).parent, src / "gancourse",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        deps = ", ".join(f'"{d}"' for d in _dependencies())
        data = ", ".join(f'"{p}"' for p in PACKAGE_DATA)
        (src / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "gancourse"\nversion = "{gancourse.__version__}"\n'
            'description = "The library of a Jupyter course on Generative Adversarial Networks"\n'
            f'requires-python = ">=3.10"\nlicense = "MIT"\ndependencies = [{deps}]\n\n'
            '[tool.setuptools.packages.find]\ninclude = ["gancourse*"]\n\n'
            f'[tool.setuptools.package-data]\ngancourse = [{data}]\n')
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                                 "--wheel-dir", str(out), str(src)], capture_output=True, text=True)
        if result.returncode != 0:
            raise PackageError(f"building the gancourse wheel failed:\n{result.stderr.strip()[-2000:]}")
    wheels = sorted(out.glob(f"gancourse-{gancourse.__version__}-*.whl"))
    if not wheels:
        raise PackageError(f"pip reported success but wrote no gancourse wheel into {out}")
    return wheels[-1]


def audit(out: Path) -> None:
    """Raise PackageError if anything under ``out`` holds a solution, a hidden test, a check, or a file other than
    the ``gancourse`` package in the wheel."""
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for name in wheel.namelist():
                    top = name.split("/")[0]
                    if top != "gancourse" and not top.endswith(".dist-info"):
                        found.append(f"{path.name}: {name} is not part of the gancourse package")
                    elif name.endswith(".py") and any(m in wheel.read(name).decode("utf-8", "replace")
                                                      for m in MARKERS[:4]):
                        found.append(f"{path.name}: {name} holds a solution or hidden-test marker")
        else:
            text = path.read_text("utf-8", errors="replace")
            found += [f"{path.relative_to(out)}: holds {m!r}" for m in MARKERS if m in text]
    if found:
        raise PackageError("the class package holds what students must not receive:\n  " + "\n  ".join(found))


def build_class_package(course: Course, out: str | Path, assignments: list[str] | None = None) -> Path:
    """Write the class package into ``out`` (a new or empty folder) and audit it; returns ``out``."""
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PackageError(f"{out} exists and is not an empty folder: choose a new folder (nothing is overwritten)")
    names = assignments or sorted(course.notebooks)
    for name in names:
        course._assignment(name)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(course.release(name), out / "notebooks" / f"{name}.ipynb")
    wheel = build_wheel(out)
    shutil.copy(REPO / "requirements" / "constraints.txt", out / "constraints.txt")
    (out / "README.md").write_text(STUDENT_README.format(wheel=wheel.name))
    audit(out)
    return out
