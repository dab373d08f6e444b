"""Guards used by the checks: an answer must do the graded work itself, not call gancourse's reference.

``forbid(*functions)`` swaps each reference function's code for a tripwire while a student's answer runs,
so every path to the reference (``import``-ed under another name, reached through a module, inherited by a
subclass) raises ``ReferenceUsed``; the original code is restored afterwards, even on error.
``use_globals(fn, **names)`` lends a function the reference versions of the helpers it calls, so that each
exercise is graded on its own and an earlier broken answer cannot fail a later one.
"""
from __future__ import annotations

import types
from contextlib import contextmanager


class ReferenceUsed(AssertionError):
    """Raised when a student's answer calls the gancourse reference implementation of the graded piece."""


_TRIPWIRE = (
    "def tripwire(*args, **kwargs):\n"
    "    raise __import__('autograder.references', fromlist=['ReferenceUsed']).ReferenceUsed({message!r})\n"
)


def _tripwire_code(qualified_name: str) -> types.CodeType:
    message = (f"your answer calls gancourse's reference implementation `{qualified_name}`; "
               "it earns no credit: write the graded part yourself")
    namespace: dict = {}
    exec(_TRIPWIRE.format(message=message), namespace)  # noqa: S102 — a fixed template, no user input
    return namespace["tripwire"].__code__


@contextmanager
def forbid(*functions):
    """While active, calling any of ``functions`` raises ``ReferenceUsed`` naming it."""
    saved = []
    try:
        for fn in functions:
            fn = getattr(fn, "__func__", fn)
            name = f"{fn.__module__}.{fn.__qualname__}"
            if fn.__code__.co_freevars:
                raise TypeError(f"cannot guard {name}: it is a closure")
            saved.append((fn, fn.__code__))
            fn.__code__ = _tripwire_code(name)
        yield
    finally:
        for fn, code in saved:
            fn.__code__ = code


@contextmanager
def use_globals(fn, **names):
    """Temporarily bind ``names`` in ``fn``'s module globals (only names ``fn`` actually reads)."""
    code = getattr(fn, "__code__", None)
    glb = getattr(fn, "__globals__", None)
    if code is None or glb is None:
        yield
        return
    wanted = {k: v for k, v in names.items() if k in code.co_names}
    missing = object()
    before = {k: glb.get(k, missing) for k in wanted}
    glb.update(wanted)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is missing:
                glb.pop(key, None)
            else:
                glb[key] = value
