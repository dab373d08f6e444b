"""A student's answer as a check sees it: something to *probe*, never an object to touch.

A check (``autograder/checks/<notebook>.py``) never calls a student's function or class itself. It asks a probe
(``autograder/probes/<notebook>.py``) to run the answer on inputs and report what happened as plain data:
tensors, numbers, strings, lists and dicts, checked by ``torch.load(weights_only=True)``, which rebuilds nothing
else. The check then compares that data with gancourse's reference. Two places can run the probe:

* ``LocalAnswer``: in this process, on the object itself (a notebook's own hidden cell outside grading, the
  tests, ``nbgrader validate``);
* ``WorkerAnswer`` (``autograder.grading.worker``): while grading, in a fresh, isolated process that received the
  answer from the student's kernel. Nothing the submission did in its kernel reaches that process, the reference
  functions there are tripwires, and the verdict is computed here, where no student code runs.

``graded(probes)`` turns a check into the function a hidden test cell calls: with a ``WorkerAnswer`` it checks;
with a plain object it checks in process, or, in a kernel that the grader is executing, hands the answer over
(``collect``) for the grader to judge after the run.
"""
from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from types import ModuleType

import torch

import autograder.probes as generic_probes
from autograder.grading.guards import guarded

ANSWER_DIR_ENV = "GANCOURSE_ANSWER_DIR"
MAX_ANSWER_BYTES = 64 * 1024 * 1024


class AnswerUnavailable(AssertionError):
    """The answer could not be collected or evaluated (not defined, not picklable, too large, crashed the worker)."""


def plain(value, what: str = "a probe's result"):
    """``value`` as plain data, or ``TypeError`` naming what is not plain (a probe must report, not return objects)."""
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return load_plain(buffer.getvalue(), what)


def load_plain(data: bytes, what: str = "a probe's result"):
    try:
        return torch.load(io.BytesIO(data), weights_only=True)
    except Exception as err:  # noqa: BLE001 — anything but plain data is refused, whatever the reason
        raise TypeError(f"{what} is not plain data (tensors, numbers, strings, lists, dicts): {err}") from None


class Answer:
    """What a check holds: ``probe(name, **inputs)`` runs probe ``name`` of the notebook's probe module on the
    answer and returns its plain-data report."""

    def __init__(self, key: str):
        self.key = key

    def probe(self, name: str, /, **inputs):
        raise NotImplementedError


class LocalAnswer(Answer):
    def __init__(self, key: str, obj, probes: ModuleType, guards: tuple[str, ...] = ()):
        super().__init__(key)
        self.obj, self.probes, self.guards = obj, probes, guards

    def probe(self, name: str, /, **inputs):
        fn = probe_function(self.probes, name)
        with guarded(self.guards):
            report = fn(self.obj, **plain(inputs, "a probe's inputs"))
        return plain(report, f"{self.probes.__name__}.{name}'s report")


def probe_function(probes: ModuleType, name: str):
    """Probe ``name`` of a notebook's probe module, or one of the generic probes (``call``)."""
    fn = getattr(probes, name, None) or getattr(generic_probes, name, None)
    if fn is None or name.startswith("_"):
        raise AttributeError(f"{probes.__name__} has no probe {name!r}")
    return fn


def check_key(check) -> str:
    """``intro.check_d_step`` for ``autograder.checks.intro.check_d_step``: names the answer between processes."""
    return f"{check.__module__.rsplit('.', 1)[-1]}.{check.__name__}"


def collect(key: str, obj, folder: str | os.PathLike) -> Path:
    """Pickle ``obj`` by value (cloudpickle) into ``folder/key.pkl`` for the grader: run in the student's kernel."""
    import cloudpickle
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        data = cloudpickle.dumps(obj)
    except Exception as err:  # noqa: BLE001 — the message goes to the student's feedback
        raise AnswerUnavailable(f"your answer could not be handed to the grader ({type(err).__name__}: {err}); "
                                "it must be a function or class defined in the notebook") from None
    if len(data) > MAX_ANSWER_BYTES:
        raise AnswerUnavailable(f"your answer takes {len(data) / 2**20:.0f} MiB when handed to the grader (limit "
                                f"{MAX_ANSWER_BYTES / 2**20:.0f} MiB): does it hold a data set in a global variable?")
    target = folder / f"{key}.pkl"
    target.write_bytes(data)
    return target


def graded(probes: ModuleType, guards: tuple[str, ...] = ()):
    """Decorator for ``check(answer: Answer)``: see the module docstring. ``guards`` (``autograder.grading.guards``)
    hold while the probes run the answer."""
    def decorate(check):
        key = check_key(check)

        @functools.wraps(check)
        def run(answer) -> None:
            if isinstance(answer, Answer):
                return check(answer)
            folder = os.environ.get(ANSWER_DIR_ENV)
            if folder:
                collect(key, answer, folder)
                print(f"{key.split('.', 1)[1].removeprefix('check_')}: your answer was handed to the grader")
                return None
            return check(LocalAnswer(key, answer, probes, tuple(guards)))

        run.key, run.probes, run.guards = key, probes, tuple(guards)
        return run
    return decorate


def outcome(report: dict, what: str):
    """The value a probe's ``call`` recorded, or ``AssertionError`` saying what the answer raised instead."""
    if not isinstance(report, dict) or "ok" not in report:
        raise AnswerUnavailable(f"{what}: the grader got no usable report ({type(report).__name__})")
    if not report["ok"]:
        if report.get("error") == "ReferenceUsed":
            raise AssertionError(report.get("message", "your answer calls gancourse's reference; it earns no credit"))
        raise AssertionError(f"{what} raised {report.get('error')}: {report.get('message')}")
    return report["value"]
