"""Probes: the only code that touches a student's answer. Each runs the answer on the inputs a check sends and
reports what happened as plain data (``describe``); the check, elsewhere, compares that with the reference.

While grading, probes run in an isolated worker process (``autograder.grading.worker``) with the answer that the
student's kernel handed over, so nothing here may rely on state outside its arguments. ``call`` is the probe of
any exercise that is a function of tensors; a notebook's own module (``probes/intro.py`` ...) adds probes for
classes and training steps.
"""
from __future__ import annotations

import numbers

import torch


def describe(value, depth: int = 0):
    """``value`` as plain data: tensors (detached, on the CPU, plain ``torch.Tensor`` even for a subclass),
    numbers, strings, None, lists and str-keyed dicts of those; anything else as ``{"object": type name}``."""
    if depth > 8:
        return {"object": "nesting deeper than 8 levels"}
    if isinstance(value, torch.Tensor):
        with torch._C.DisableTorchFunction():          # a subclass cannot answer for itself here
            out = torch.empty(tuple(value.shape), dtype=value.dtype)
            out.copy_(torch.Tensor.detach(value).cpu())
        return out
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral) and type(value) is int:
        return int(value)
    if isinstance(value, float) and type(value) is float:
        return float(value)
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return [describe(v, depth + 1) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {k: describe(v, depth + 1) for k, v in value.items()}
    return {"object": type(value).__name__}


def run(fn, *args, **kwargs) -> tuple[dict, object]:
    """Call ``fn``; the report ``{"ok", "type", "len"}`` or ``{"ok": False, "error", "message"}``, and the raw result."""
    try:
        result = fn(*args, **kwargs)
    except BaseException as err:  # noqa: BLE001 — SystemExit and KeyboardInterrupt from an answer are answers too
        return {"ok": False, "error": type(err).__name__, "message": str(err)[:600]}, None
    report = {"ok": True, "type": type(result).__name__}
    if isinstance(result, (tuple, list)):
        report["len"] = len(result)
    return report, result


def call(fn, args=(), kwargs=None, grad_of: int | None = None, index: int | None = None) -> dict:
    """``fn(*args, **kwargs)`` (tensors cloned; ``args[grad_of]`` requiring grad), optionally ``[index]`` of the result.

    Reports ``ok``/``type``/``len`` (or the error), ``value`` (described), ``requires_grad`` and, when the value is
    a scalar tensor with a gradient, ``grad``: its gradient with respect to ``args[grad_of]``.
    """
    inputs = [a.clone().requires_grad_(i == grad_of and a.is_floating_point()) if isinstance(a, torch.Tensor) else a
              for i, a in enumerate(args)]
    report, result = run(fn, *inputs, **(kwargs or {}))
    if not report["ok"]:
        return report
    if index is not None:
        try:
            result = result[index]
        except Exception as err:  # noqa: BLE001
            return {"ok": False, "error": type(err).__name__, "message": f"indexing the result with [{index}]: {err}"}
    report["value"] = describe(result)
    report["requires_grad"] = bool(isinstance(result, torch.Tensor) and result.requires_grad)
    if grad_of is not None and report["requires_grad"] and result.ndim == 0:
        backward, _ = run(result.backward)
        grad = inputs[grad_of].grad
        report["grad"] = describe(grad) if backward["ok"] and grad is not None else None
    return report


def forward(module, x: torch.Tensor, train: bool = True) -> dict:
    """``module(x)`` in training mode, or in eval mode without a graph; the report with the output described."""
    module.train(train)
    with torch.set_grad_enabled(train):
        report, out = run(module, x.clone())
    if report["ok"]:
        report["value"] = describe(out)
    return report
