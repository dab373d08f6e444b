"""How notebook 02's checks run an answer: guards that make a call of the reference (or of torch's ready-made
binary cross-entropy) fail, and the comparisons of a scalar answer and its gradient with the reference's."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks import as_tensor, assert_close, expect
from autograder.references import ReferenceUsed, forbid


@contextmanager
def no_torch_bce():
    """While active, torch's ready-made binary cross-entropy functions raise ``ReferenceUsed``."""
    targets = [(F, "binary_cross_entropy"), (F, "binary_cross_entropy_with_logits"),
               (torch, "binary_cross_entropy_with_logits"), (nn.BCELoss, "forward"), (nn.BCEWithLogitsLoss, "forward")]
    saved = []

    def tripwire(name):
        def raiser(*args, **kwargs):
            raise ReferenceUsed(f"your answer calls torch's ready-made {name}; this exercise asks you to write the "
                                "formula yourself, so it earns no credit")
        return raiser

    try:
        for owner, attr in targets:
            if hasattr(owner, attr):
                saved.append((owner, attr, owner.__dict__.get(attr, getattr(owner, attr))))
                setattr(owner, attr, tripwire(f"{getattr(owner, '__name__', owner)}.{attr}"))
        yield
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)


def guarded(*references, torch_bce: bool = False) -> ExitStack:
    stack = ExitStack()
    stack.enter_context(forbid(*references))
    if torch_bce:
        stack.enter_context(no_torch_bce())
    return stack


def expect_value_error(what: str, fn, *args) -> None:
    try:
        fn(*args)
    except ValueError:
        return
    except ReferenceUsed:
        raise
    except Exception as err:  # noqa: BLE001 — report what was raised instead
        raise AssertionError(f"{what} raised {type(err).__name__}, expected ValueError") from None
    raise AssertionError(f"{what} returned a value, expected a ValueError")


def scalar(what: str, value) -> torch.Tensor:
    value = as_tensor(what, value)
    expect(value.ndim == 0, f"{what} has shape {tuple(value.shape)}, expected a scalar (0-dimensional) tensor: "
           "average over the elements")
    return value


def compare_scalar_with_grad(what: str, student, reference, inputs: list[torch.Tensor], grad_of: int,
                              hints: dict | None = None, guard=lambda: ExitStack()) -> None:
    """Values and the gradient with respect to ``inputs[grad_of]`` of a scalar-valued answer vs the reference."""
    ref_in = [t.clone().requires_grad_(i == grad_of) for i, t in enumerate(inputs)]
    expected = reference(*ref_in)
    expected.backward()
    got_in = [t.clone().requires_grad_(i == grad_of) for i, t in enumerate(inputs)]
    with guard():
        got = scalar(what, student(*got_in))
    for hint, variant in (hints or {}).items():
        if not torch.allclose(got.detach().double(), expected.detach().double(), atol=1e-5, rtol=1e-4) and \
                torch.allclose(got.detach().double(), variant(*inputs).double(), atol=1e-5, rtol=1e-4):
            raise AssertionError(f"{what} = {got.item():.6g}, expected {expected.item():.6g}: {hint}")
    assert_close(what, got, expected)
    expect(got.requires_grad, f"{what} carries no gradient: build it from the input tensors with torch operations")
    got.backward()
    grad = got_in[grad_of].grad
    expect(grad is not None, f"{what}: no gradient reaches the input")
    assert_close(f"the gradient of {what}", grad, ref_in[grad_of].grad)
