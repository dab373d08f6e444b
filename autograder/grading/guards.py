"""Guards: while an answer runs, calling gancourse's reference for the graded piece (or, where an exercise asks for
the formula, torch's ready-made binary cross-entropy) raises ``ReferenceUsed`` and earns no credit.

A guard is named by a string, so that the grader can send it to the worker: ``"gancourse.losses.discriminator_loss"``
(a function, by module and qualified name) or ``"torch-bce"``. ``guarded(names)`` holds guards for a block and
restores everything afterwards (in process); ``lock(names)`` sets them for good, in a worker about to load an
answer, so that no code of the answer can keep a working copy of the reference.
"""
from __future__ import annotations

import importlib
from contextlib import ExitStack, contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from autograder.references import ReferenceUsed, _tripwire_code, forbid

TORCH_BCE = "torch-bce"


def resolve(name: str):
    """The function a guard name stands for."""
    module_name, _, rest = name.rpartition(".")
    while module_name:
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError:
            module_name, _, head = module_name.rpartition(".")
            rest = f"{head}.{rest}"
            continue
        for part in rest.split("."):
            obj = getattr(obj, part)
        return obj
    raise ValueError(f"guard {name!r} names no importable function")


def _torch_bce_targets():
    return [(F, "binary_cross_entropy"), (F, "binary_cross_entropy_with_logits"),
            (torch, "binary_cross_entropy_with_logits"), (nn.BCELoss, "forward"), (nn.BCEWithLogitsLoss, "forward")]


def _bce_tripwire(name):
    def raiser(*args, **kwargs):
        raise ReferenceUsed(f"your answer calls torch's ready-made {name}; this exercise asks you to write the "
                            "formula yourself, so it earns no credit")
    return raiser


@contextmanager
def no_torch_bce():
    """While active, torch's ready-made binary cross-entropy functions raise ``ReferenceUsed``."""
    saved = []
    try:
        for owner, attr in _torch_bce_targets():
            if hasattr(owner, attr):
                saved.append((owner, attr, owner.__dict__.get(attr, getattr(owner, attr))))
                setattr(owner, attr, _bce_tripwire(f"{getattr(owner, '__name__', owner)}.{attr}"))
        yield
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)


def guarded(names) -> ExitStack:
    stack = ExitStack()
    functions = [resolve(n) for n in names if n != TORCH_BCE]
    stack.enter_context(forbid(*functions))
    if TORCH_BCE in names:
        stack.enter_context(no_torch_bce())
    return stack


def lock(names) -> None:
    """Set the guards for the rest of this process's life; the reference code is not kept anywhere."""
    for name in names:
        if name == TORCH_BCE:
            for owner, attr in _torch_bce_targets():
                if hasattr(owner, attr):
                    setattr(owner, attr, _bce_tripwire(f"{getattr(owner, '__name__', owner)}.{attr}"))
            continue
        fn = resolve(name)
        fn = getattr(fn, "__func__", fn)
        fn.__code__ = _tripwire_code(f"{fn.__module__}.{fn.__qualname__}")
