"""What lets the student version of a notebook run from top to bottom before every exercise is answered.

An unanswered exercise is the stub nbgrader leaves in place of the solution: ``raise NotImplementedError()``.

* ``exercise(name)`` wraps the visible part of a test cell: while the exercise is unanswered, the test fails with
  one line that says so (``NotAnswered: `d_step` is not answered yet: ...``) instead of a traceback;
* ``answer_or_reference(answer, reference)`` is for the cells that *use* an answer ("your block in action"): the
  student's function or class once it runs, gancourse's reference (with a one-line notice) while it is unanswered.

Any other error in an answer is the student's to see, so it is raised as it is.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

from gancourse import _checks


class NotAnswered(AssertionError):
    """A visible test ran before its exercise was answered. Shown by IPython as its one-line message."""

    def _render_traceback_(self) -> list[str]:        # IPython prints these lines in place of a traceback
        return [f"\x1b[0;31mNotAnswered\x1b[0m: {self}"]


def _name(obj, fallback: str) -> str:
    return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or fallback


@contextmanager
def exercise(name: str):
    """Run a visible test; if the answer it calls is still the stub, fail with ``NotAnswered`` naming ``name``.

    >>> with exercise("sample_noise"):
    ...     assert sample_noise(3, 5).shape == (3, 5)
    """
    name = _checks.text("name", name)
    try:
        yield
    except NotImplementedError:
        raise NotAnswered(f"`{name}` is not answered yet: write it in its exercise cell above (in place of "
                          f"`raise NotImplementedError()`), run that cell, then run this test again.") from None


def answer_or_reference(answer: Callable, reference: Callable, name: str | None = None) -> Callable:
    """A callable that calls ``answer`` and, while ``answer`` raises NotImplementedError (the exercise's stub),
    calls ``reference`` with the same arguments instead, with a one-line notice the first time.

    ``answer`` and ``reference`` are functions or classes taking the same arguments (a class is called to build an
    object). Use it in demonstration cells so that a student can run the lecture before answering::

        make_generator = answer_or_reference(Generator, MLPGenerator)
        G_try = make_generator(latent_dim=64, hidden_dim=256)
    """
    for label, fn in (("answer", answer), ("reference", reference)):
        if not callable(fn):
            raise TypeError(f"{label} must be a function or a class, got {type(fn).__name__}")
    name = _checks.text("name", name) if name is not None else _name(answer, "your answer")
    reference_name = _name(reference, "the reference")

    noticed = []

    def call(*args, **kwargs):
        try:
            return answer(*args, **kwargs)
        except NotImplementedError:
            if not noticed:                    # one notice per cell that uses it, however often it is called
                print(f"Note: `{name}` is not answered yet, so this cell uses gancourse's `{reference_name}` "
                      f"instead; run it again once your answer passes its test.")
                noticed.append(True)
            return reference(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"`{name}` if it is answered, else gancourse's `{reference_name}`."
    return call
