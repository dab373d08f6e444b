"""How notebook 02's checks compare an answer's reports with the reference: a scalar and its gradient, a
ValueError where one is expected. The answers themselves run in probes (``autograder.grading.answers``)."""
from __future__ import annotations

import torch

from autograder.checks import as_tensor, assert_close, expect
from autograder.grading.answers import Answer, outcome


def expect_value_error(what: str, answer: Answer, *args, probe: str = "call", hint: str = "", **inputs) -> None:
    """``hint``, if given, follows the message when the answer returned a value (what the answer likely missed)."""
    report = answer.probe(probe, args=list(args), **inputs)
    if report.get("ok"):
        raise AssertionError(f"{what} returned a value, expected a ValueError" + (f": {hint}" if hint else ""))
    if report.get("error") == "ValueError":
        return
    if report.get("error") == "ReferenceUsed":
        raise AssertionError(report.get("message"))
    raise AssertionError(f"{what} raised {report.get('error')}, expected ValueError")


def scalar(what: str, value) -> torch.Tensor:
    value = as_tensor(what, value)
    expect(value.ndim == 0, f"{what} has shape {tuple(value.shape)}, expected a scalar (0-dimensional) tensor: "
           "average over the elements")
    return value


def broadcast_hint(first: str, second: str) -> str:
    """What an answer that returned a value for shapes (4, 1) and (4,) missed."""
    return (f"compare the whole shapes ({first}.shape != {second}.shape), not their lengths or sizes: (4, 1) and "
            "(4,) broadcast silently to (4, 4)")


def _close(got: torch.Tensor, value) -> bool:
    return tuple(got.shape) == tuple(value.shape) and torch.allclose(got.double(), value.double(), atol=1e-5, rtol=1e-4)


def compare_scalar_with_grad(what: str, answer: Answer, reference, inputs: list[torch.Tensor], grad_of: int,
                              hints: dict | None = None, clues: tuple = (), probe: str = "call",
                              **probe_inputs) -> None:
    """Values and the gradient with respect to ``inputs[grad_of]`` of a scalar-valued answer vs the reference.

    ``hints`` maps a message to a wrong variant (a function of ``inputs`` returning a value or a list of values):
    the message is raised when the answer matches it. ``clues`` are ``(predicate(got, expected), message)`` pairs
    tried on a wrong value before the generic comparison."""
    ref_in = [t.clone().requires_grad_(i == grad_of) for i, t in enumerate(inputs)]
    expected = reference(*ref_in)
    expected.backward()
    report = answer.probe(probe, args=list(inputs), grad_of=grad_of, **probe_inputs)
    got = scalar(what, outcome(report, what))
    wrong = not _close(got, expected.detach())
    for hint, variant in (hints or {}).items():
        candidates = variant(*inputs)
        candidates = [candidates] if isinstance(candidates, torch.Tensor) else candidates
        if wrong and any(_close(got, c) for c in candidates):
            raise AssertionError(f"{what} = {got.item():.6g}, expected {expected.item():.6g}: {hint}")
    for predicate, hint in clues:
        if wrong and predicate(got.double(), expected.detach().double()):
            raise AssertionError(f"{what} = {got.item():.6g}, expected {expected.item():.6g}: {hint}")
    assert_close(what, got, expected)
    expect(report.get("requires_grad"), f"{what} carries no gradient: build it from the input tensors with torch "
           "operations")
    grad = report.get("grad")
    expect(grad is not None, f"{what}: no gradient reaches the input")
    grad, expected_grad = as_tensor(f"the gradient of {what}", grad), ref_in[grad_of].grad
    if not bool(torch.isfinite(grad).all()) and bool(torch.isfinite(expected_grad).all()):
        raise AssertionError(f"the gradient of {what} contains inf or nan ({grad.flatten()[:4].tolist()} ...) although "
                             "the value is finite: a branch that torch.where (or a mask) discards still takes part in "
                             "backpropagation, and an inf there (exp of a large logit, log 0) turns the gradient into "
                             "nan; make every branch finite, e.g. with F.softplus or F.logsigmoid")
    assert_close(f"the gradient of {what}", grad, ref_in[grad_of].grad)


def integration_slip(got: torch.Tensor, integrand: torch.Tensor, x: torch.Tensor) -> str | None:
    """What a wrong integral of ``integrand`` on the grid ``x`` did instead of ``torch.trapezoid(integrand, x)``,
    if it matches a common slip (the caller has already found ``got`` wrong); ``None`` otherwise."""
    spacing = torch.diff(x)
    even = [torch.trapezoid(integrand, dx=float(x[1] - x[0])), torch.trapezoid(integrand, dx=float(spacing.mean()))]
    riemann = [(integrand[:-1] * spacing).sum(), (integrand[1:] * spacing).sum()]
    if any(_close(got, v) for v in even):
        return ("this assumes evenly spaced grid points (one dx for every interval); pass the grid itself, "
                "torch.trapezoid(integrand, x), which handles uneven grids")
    if any(_close(got, v) for v in riemann):
        return ("this is a Riemann sum (each value times one spacing); integrate with the trapezoidal rule, "
                "torch.trapezoid(integrand, x)")
    return None


def over_first_dim(name: str) -> str:
    return (f"you divided the sum by len({name}), the size of the first dimension only; the mean is over all "
            f"{name}.numel() elements: use .mean()")


def hard_label_bce(p, y) -> list[torch.Tensor]:
    """BCE that picks log p or log(1 - p) by a 0/1 label made from the (soft) target, three common ways."""
    return [-torch.where(label, p.log(), (1 - p).log()).mean() for label in (y > 0.5, y == 1, y > 0)]


def disjoint_densities(n: int = 401) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Uniform densities on [-2, -1] and [1, 2]: disjoint supports, so D* is exactly 1 / 0 / ½ there."""
    x = torch.linspace(-3, 3, n, dtype=torch.float64)
    p = ((x >= -2) & (x <= -1)).double()
    q = ((x >= 1) & (x <= 2)).double()
    return x, p / torch.trapezoid(p, x), q / torch.trapezoid(q, x)


def capped(got: torch.Tensor, expected: torch.Tensor) -> bool:
    """A finite loss well below a large expected magnitude: log of a clamped probability, or of p + eps."""
    return bool(torch.isfinite(got)) and expected.abs().item() > 10 and got.abs().item() < 0.9 * expected.abs().item()
