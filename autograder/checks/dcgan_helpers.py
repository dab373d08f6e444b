"""How notebook 03's checks read the probes' reports (``autograder.probes.dcgan``): a module's make-up, its
parameter shapes against the reference's, and its outputs in training and eval mode against the reference's.
The answers themselves run only in the probes."""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from autograder.checks import assert_close, expect, manual_seed
from autograder.grading.answers import outcome

BN_EPS, BN_MOMENTUM = 1e-5, 0.1         # nn.BatchNorm2d's defaults, which the reference layers keep


def build_reference(seed: int, make):
    """``make()`` with torch's global generator seeded, and left as it was afterwards."""
    with torch.random.fork_rng(devices=[]):
        manual_seed(seed)
        return make()


def state(module: nn.Module) -> dict:
    """What a probe loads into an answer: the reference's parameters and buffers, in order."""
    return {"params": [p.detach().clone() for p in module.parameters()],
            "buffers": [b.detach().clone() for b in module.buffers()]}


def expected_outputs(reference: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's output in training mode, then in eval mode (running statistics updated once)."""
    reference = copy.deepcopy(reference)
    with torch.no_grad():
        reference.train()
        train_out = reference(x)
        reference.eval()
        eval_out = reference(x)
    return train_out, eval_out


def kinds(structure: list[dict]) -> set[str]:
    return {k for entry in structure for k in entry["kinds"]}


def of_kind(structure: list[dict], kind: str) -> list[dict]:
    return [entry for entry in structure if kind in entry["kinds"]]


def position(structure: list[dict], kind: str) -> int:
    """Where the first module of ``kind`` is registered, or -1."""
    return next((i for i, entry in enumerate(structure) if kind in entry["kinds"]), -1)


def after_last(structure: list[dict], kind: str) -> set[str]:
    """The kinds of the modules registered after the last module of ``kind``."""
    last = max((i for i, entry in enumerate(structure) if kind in entry["kinds"]), default=len(structure))
    return kinds(structure[last + 1:])


def numel(shapes) -> int:
    return sum(math.prod(shape) for shape in shapes)


def built(report: dict, what: str) -> None:
    """Fail with what the answer raised while being built (or "no credit" for a reference call)."""
    outcome(report, what)


def tensor(report: dict, what: str) -> torch.Tensor:
    value = outcome(report, what)
    expect(isinstance(value, torch.Tensor), f"{what} should be a torch.Tensor, got {report.get('type')}")
    return value


def bn_hints(structure: list[dict]) -> list[tuple[bool, str]]:
    """Batch norm with other settings than the defaults, and dropout: mistakes copied from other code bases."""
    hints = []
    for entry in of_kind(structure, "BatchNorm2d"):
        eps, momentum = entry["settings"].get("eps"), entry["settings"].get("momentum")
        hints.append((isinstance(eps, float) and not math.isclose(eps, BN_EPS, rel_tol=1e-3),
                      f"nn.BatchNorm2d has eps={eps:g}, expected the default 1e-05: the second positional argument "
                      "of nn.BatchNorm2d is eps, not the momentum; write nn.BatchNorm2d(out_channels)"
                      if isinstance(eps, float) else ""))
        hints.append((momentum is None or not math.isclose(momentum, BN_MOMENTUM, rel_tol=1e-6),
                      f"nn.BatchNorm2d has momentum={momentum}, expected PyTorch's default 0.1: in PyTorch the "
                      "momentum is the weight of the *new* batch in the running statistics (Keras' momentum=0.9 is "
                      "PyTorch's 0.1); write nn.BatchNorm2d(out_channels)"))
    hints.append(("Dropout" in kinds(structure), "DCGAN has no dropout (it makes the output random in training "
                                                 "mode): remove the nn.Dropout layer"))
    return hints


def expect_loaded(what: str, report: dict, reference: nn.Module, shapes: str = "parameter shapes") -> None:
    """The answer's parameter (and buffer) shapes are the reference's, so the probe could load its weights."""
    want, got = [list(p.shape) for p in reference.parameters()], report["param_shapes"]
    expect(numel(got) == numel(want), f"{what} has {numel(got):,} parameters, expected {numel(want):,} "
                                      f"({shapes} expected {_shapes(want)}, got {_shapes(got)})")
    expect(got == want, f"{what}'s layers have parameter shapes {_shapes(got)}, expected {_shapes(want)} in this order")
    want_b = [list(b.shape) for b in reference.buffers()]
    expect(report["buffer_shapes"] == want_b and report["loaded"],
           f"{what}'s buffers (batch norm's running statistics) have shapes {_shapes(report['buffer_shapes'])}, "
           f"expected {_shapes(want_b)}: use nn.BatchNorm2d(out_channels) with its default settings")


def _shapes(shapes) -> list[tuple[int, ...]]:
    return [tuple(s) for s in shapes]


def compare_outputs(what: str, report: dict, expected: tuple[torch.Tensor, torch.Tensor], x_shape: tuple,
                    suspects: list[tuple[bool, str]] = (), logits: bool = False, train_label: str | None = None,
                    output_label: str | None = None) -> torch.Tensor:
    """The answer's output with the reference's weights, in training mode then in eval mode, and the gradients.

    ``suspects`` name a likely cause when the training-mode values differ."""
    out = tensor(report["train"], output_label or f"{what}'s output")
    expect(tuple(out.shape) == tuple(expected[0].shape),
           f"{what} maps input of shape {x_shape} to {tuple(out.shape)}, expected {tuple(expected[0].shape)}")
    if logits and torch.allclose(out, torch.sigmoid(expected[0]), atol=1e-5):
        raise AssertionError(f"{what} returns probabilities (a sigmoid at the end); expected logits: the losses "
                             "apply the sigmoid themselves, stably")
    close = torch.allclose(out.double(), expected[0].double(), atol=1e-5, rtol=1e-4)
    for condition, hint in suspects:
        expect(close or not condition, f"{what}: {hint}")
    assert_close(train_label or f"{what} in training mode", out, expected[0])
    assert_close(f"{what} in eval mode (batch-norm running statistics)",
                 tensor(report["eval"], f"{what}'s output in eval mode"), expected[1])
    dead = report["dead"]
    outcome(dead, f"{what} (training mode, for the gradients)")
    expect(dead["graph"], f"no gradient reaches {what}'s parameters: its output does not require grad; do not use "
                          "torch.no_grad() or .detach() in forward")
    expect(not dead["value"], f"no gradient reaches these parameters of {what}: {dead['value']}")
    return out
