"""Helpers for tests that build submissions from the course's source notebooks."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"

_SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def solved_submission(source: Path, release: Path) -> nbformat.NotebookNode:
    """The release notebook with every solution cell filled in from the source (markers removed),
    as a student who answered everything correctly would submit it."""
    src = {grade_id(c): c for c in nbformat.read(source, as_version=4).cells if grade_id(c)}
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            cell.source = _SOLUTION_MARKERS.sub("", src[meta["grade_id"]].source)
    return nb


def set_solution(nb: nbformat.NotebookNode, cell_id: str, source: str) -> None:
    """Replace the source of the cell whose nbgrader grade_id is ``cell_id``."""
    for cell in nb.cells:
        if grade_id(cell) == cell_id:
            cell.source = source
            return
    raise KeyError(cell_id)


def _check_modules() -> dict[str, str]:
    """{assignment: the autograder.checks module its hidden tests import}, for every notebook with hidden tests: each
    needs a catalogue of wrong answers in tests/test_checks_<module>.py (a new notebook is picked up here)."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        match = re.search(r"from autograder\.checks\.(\w+) import check_", path.read_text())
        if match:
            found[path.stem] = match.group(1)
    return found


CATALOGUES = _check_modules()


def wrong_answer_cell(answer, alias: str) -> str:
    """Source of a notebook cell that defines catalogued wrong ``answer`` (a function or class of a
    tests/solutions_*.py module) under the name ``alias``. The whole module runs in a namespace of its own, so the
    answer keeps the helpers it uses and a wrong answer built on the right one does not call itself."""
    import inspect
    module = inspect.getmodule(answer)
    return (f"import types as _types\n_wrong = _types.ModuleType({module.__name__!r})\n"
            f"exec({inspect.getsource(module)!r}, _wrong.__dict__)\n{alias} = _wrong.{answer.__name__}\n")


def wrong_cells(assignment: str, nb: nbformat.NotebookNode) -> dict[str, str]:
    """For each exercise of ``nb``: solution-cell id -> a cell defining the first wrong answer of its check's
    catalogue (tests/test_checks_<module>.py, ``WRONG``) under the name the test cell passes to the check."""
    import ast
    import importlib
    import inspect
    tests = importlib.import_module(f"test_checks_{CATALOGUES[assignment]}")
    first = {}
    for check, answer, _ in tests.WRONG:
        if (inspect.isfunction(answer) or inspect.isclass(answer)) and answer.__module__.startswith("solutions_"):
            first.setdefault(check.__name__, answer)
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in first \
                    and node.args and isinstance(node.args[0], ast.Name):
                cells[node.func.id.removeprefix("check_")] = wrong_answer_cell(first[node.func.id], node.args[0].id)
    return cells


# Tampering a student could try in the kernel (tests/test_grading_isolation.py, tests/test_grading_pipeline.py).
SWALLOW_ERRORS = """import ast
class Swallow(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=ast.Name("BaseException", ast.Load()), name=None, body=[ast.Pass()])
        node.body = [ast.Try(body=node.body or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[])]
        return ast.fix_missing_locations(node)
get_ipython().ast_transformers.append(Swallow())
"""


def stand_in(module: str) -> str:
    """A cell that replaces ``autograder.checks.<module>`` in ``sys.modules`` with checks that pass anything."""
    return (f"import sys, types\nfake = types.ModuleType('autograder.checks.{module}')\n"
            f"fake.__getattr__ = lambda name: (lambda *args, **kwargs: None)\n"
            f"sys.modules['autograder.checks.{module}'] = fake\n")
