"""Comparison helpers shared by the per-notebook checks.

Every helper raises ``AssertionError`` whose message says what differs and what was expected, so that
nbgrader's feedback tells a student what to fix.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn


_SALT = 0


def set_salt(salt: int) -> None:
    """Shift every seed the checks use by ``salt``. The grader draws a fresh salt per submission, in its own process,
    so a table of answers computed in advance from the public seeds does not match the inputs of a graded run."""
    global _SALT
    if not isinstance(salt, int) or isinstance(salt, bool) or salt < 0:
        raise ValueError(f"the salt must be a non-negative integer, got {salt!r}")
    _SALT = salt


def seeded(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (shifted by the grading run's salt): the checks' inputs come from it."""
    return torch.Generator().manual_seed(seed + _SALT)


def manual_seed(seed: int) -> None:
    """``torch.manual_seed`` for a check (shifted by the grading run's salt), e.g. before building a network."""
    torch.manual_seed(seed + _SALT)


def expect(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def as_tensor(what: str, value) -> torch.Tensor:
    expect(isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {type(value).__name__}")
    return value


def as_number(what: str, value) -> float:
    """``value`` as a float, failing if it is a tensor (a training step returns ``loss.item()``) or not a number."""
    if isinstance(value, torch.Tensor):
        raise AssertionError(f"{what} returned a tensor; expected a Python float: return loss.item()")
    expect(isinstance(value, numbers.Real), f"{what} returned {type(value).__name__}, expected a float (loss.item())")
    return float(value)


def dirty_grads(net: nn.Module) -> None:
    """Fill every gradient with 7s, as stale gradients from "an earlier step": a training step must clear them."""
    for p in net.parameters():
        p.grad = torch.full_like(p, 7.0)


def assert_close(what: str, got, expected: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Compare a student's tensor with the reference: type, shape, finiteness, then values."""
    got = as_tensor(what, got)
    expect(tuple(got.shape) == tuple(expected.shape),
           f"{what} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    expect(bool(torch.isfinite(got).all()),
           f"{what} contains inf or nan ({got.detach().flatten()[:4].tolist()} ...); expected finite values "
           f"such as {expected.detach().flatten()[:4].tolist()}: compute it from logits in a numerically stable way")
    got_d, exp_d = got.detach().double().cpu(), expected.detach().double().cpu()
    if not torch.allclose(got_d, exp_d, atol=atol, rtol=rtol):
        diff = (got_d - exp_d).abs()
        worst = int(diff.flatten().argmax())
        raise AssertionError(
            f"{what} differs from the expected values (largest difference {diff.max().item():.3g} at flat index {worst}: "
            f"got {got_d.flatten()[worst].item():.6g}, expected {exp_d.flatten()[worst].item():.6g})")


def param_shapes(module: nn.Module) -> list[tuple[int, ...]]:
    return [tuple(p.shape) for p in module.parameters()]


def copy_parameters(source: nn.Module, target: nn.Module, what: str) -> None:
    """Copy ``source``'s parameters into ``target`` in order, after checking they have the same shapes."""
    want, got = param_shapes(source), param_shapes(target)
    expect(sum(map(_numel, got)) == sum(map(_numel, want)),
           f"{what} has {sum(map(_numel, got))} parameters, expected {sum(map(_numel, want))} "
           f"(layer shapes expected {want}, got {got})")
    expect(got == want, f"{what}'s layers have parameter shapes {got}, expected {want} in this order")
    with torch.no_grad():
        for src, dst in zip(source.parameters(), target.parameters()):
            dst.copy_(src)


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def snapshot(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(before: list[torch.Tensor], module: nn.Module) -> bool:
    return any(not torch.equal(b, p.detach()) for b, p in zip(before, module.parameters()))
