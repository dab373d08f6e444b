"""One typical wrong answer per notebook, for the grading-pipeline test: a module per assignment (named after
it, e.g. ``a01_intro.py``) defining

* ``CELL``: the grade_id of the solution cell to replace,
* ``SOURCE``: the wrong answer (it should pass the visible tests and fail a hidden check),
* ``FAILING_TEST``: the grade_id of the test cell that must then fail, and no other,
* ``MESSAGE``: text the feedback must show, from the check's failure message.
"""
import importlib
import pkgutil


def load() -> dict:
    """{assignment id: module} for every wrong answer defined here."""
    out = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        out[info.name.removeprefix("a")] = module
    return out
