"""Probes of notebook 04 (conditional GAN) beyond the generic ``call``.

Each runs the student's answer and reports plain data: the conditioned inputs with their gradient, the parameters,
gradients and modes of freshly built reference networks after one training step, and what a scripted generator
was asked for while the answer measured its class accuracy. The checks (``autograder.checks.conditional``) compute
the expected values with gancourse's reference; nothing here does.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from autograder.checks import dirty_grads
from autograder.probes import describe, run
from autograder.references import use_globals
from gancourse import losses
from gancourse.models import conditional


def _number(value):
    """``float(value)`` for a real number that is not a tensor (what ``loss.item()`` returns), else None."""
    if isinstance(value, torch.Tensor) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except Exception:  # noqa: BLE001 — an answer's number that cannot become a float is no number
        return None


def _returned(report: dict, result) -> dict:
    report["tensor"] = isinstance(result, torch.Tensor)
    report["number"] = _number(result) if report["ok"] else None
    if report["ok"]:
        report["value"] = describe(result)
    return report


# ---- the conditioned inputs ------------------------------------------------------------------------------------
def conditioned_input(fn, args: list) -> dict:
    """``fn(*args)`` (``generator_input`` or ``discriminator_input``) with gancourse's ``one_hot`` lent to it and
    ``args[0]`` requiring grad; reports the value and the gradient of its sum with respect to ``args[0]``."""
    inputs = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    inputs[0].requires_grad_(True)
    with use_globals(fn, one_hot=conditional.one_hot):
        report, result = run(fn, *inputs)
    if not report["ok"]:
        return report
    report["value"] = describe(result)
    report["requires_grad"] = bool(isinstance(result, torch.Tensor) and result.requires_grad)
    report["grad"] = None
    if report["requires_grad"]:
        backward, _ = run(lambda: result.sum().backward())
        if backward["ok"] and inputs[0].grad is not None:
            report["grad"] = describe(inputs[0].grad)
    return report


# ---- the training steps ------------------------------------------------------------------------------------------
def _networks(config: dict, G_state: dict, D_state: dict) -> tuple[nn.Module, nn.Module]:
    G = conditional.ConditionalGenerator(latent_dim=config["latent_dim"], n_classes=config["n_classes"], ngf=config["ngf"])
    D = conditional.ConditionalDiscriminator(ndf=config["ndf"], n_classes=config["n_classes"])
    G.load_state_dict(G_state)
    D.load_state_dict(D_state)
    return G, D


def _state(G: nn.Module, D: nn.Module) -> dict:
    """Both networks after a step: parameters, parameters holding a non-zero gradient, frozen ones, modes."""
    def grads(net):
        return [n for n, p in net.named_parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)]

    return {"G": {n: describe(p) for n, p in G.named_parameters()},
            "D": {n: describe(p) for n, p in D.named_parameters()},
            "G_grads": grads(G), "D_grads": grads(D),
            "G_frozen": [n for n, p in G.named_parameters() if not p.requires_grad],
            "D_frozen": [n for n, p in D.named_parameters() if not p.requires_grad],
            "G_training": bool(G.training), "D_training": bool(D.training)}


def d_step_run(d_step, config: dict, G_state: dict, D_state: dict, real, labels, noise, wrong_labels, lr: float) -> dict:
    """``d_step(D, G, real, labels, noise, SGD(D, lr)[, wrong_labels=...])`` on reference networks with the given
    weights, D's gradients dirty (7s) beforehand, the reference losses lent to it."""
    G, D = _networks(config, G_state, D_state)
    dirty_grads(D)
    opt = torch.optim.SGD(D.parameters(), lr=lr)
    extra = {} if wrong_labels is None else {"wrong_labels": wrong_labels}
    with use_globals(d_step, discriminator_loss=losses.discriminator_loss, bce_with_logits=losses.bce_with_logits):
        report, result = run(d_step, D, G, real, labels, noise, opt, **extra)
    return {**_returned(report, result), **_state(G, D)}


def g_step_run(g_step, config: dict, G_state: dict, D_state: dict, noise, labels, lr: float) -> dict:
    """``g_step(D, G, noise, labels, SGD(G, lr))`` on reference networks with the given weights, G's gradients dirty
    (7s) beforehand, the reference ``generator_loss`` lent to it."""
    G, D = _networks(config, G_state, D_state)
    dirty_grads(G)
    opt = torch.optim.SGD(G.parameters(), lr=lr)
    with use_globals(g_step, generator_loss=losses.generator_loss):
        report, result = run(g_step, D, G, noise, labels, opt)
    return {**_returned(report, result), **_state(G, D)}


# ---- measuring class accuracy ------------------------------------------------------------------------------------
class _ScriptedGenerator(nn.Module):
    """A stand-in generator whose output class is known: in eval mode classes 0 and 1 come out right, class 2 right
    only when z[0] > 0 (half the time), class 3 never. In training mode every image comes out as class 0."""

    latent_dim, n_classes = 3, 4

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.calls: list[dict] = []

    def forward(self, z, labels):
        self.calls.append({"training": self.training, "grad": torch.is_grad_enabled(), "z": z.detach().clone(),
                           "labels": labels.detach().clone()})
        drawn = labels.clone()
        drawn[(labels == 2) & (z[:, 0] <= 0)] = 1
        drawn[labels == 3] = 0
        if self.training:
            drawn = torch.zeros_like(labels)
        value = (drawn.float() / 10 - 0.5) * self.scale                       # the class, written into every pixel
        return value[:, None, None, None].expand(-1, 1, 28, 28)


class _PixelClassifier(nn.Module):
    """Reads the class written into the pixels by ``_ScriptedGenerator`` (10 logits)."""

    def __init__(self):
        super().__init__()
        self.centres = nn.Parameter(torch.arange(10).float() / 10 - 0.5, requires_grad=False)

    def forward(self, x):
        return -1000 * (x.mean(dim=(1, 2, 3))[:, None] - self.centres) ** 2   # (B, 10)


def _calls(G: _ScriptedGenerator) -> list[dict]:
    return [{"training": bool(c["training"]), "grad": bool(c["grad"]), "z": describe(c["z"]),
             "labels": describe(c["labels"])} for c in G.calls]


def class_accuracy_run(class_accuracy, seed: int, per_class: int, eval_per_class: int) -> dict:
    """``class_accuracy(G, classifier, per_class=...)`` on the scripted generator (in training mode, after
    ``torch.manual_seed(seed)``): the result, every call of G, G's mode afterwards; then once more on a generator
    in eval mode (``eval_run``), for the mode it is left in."""
    G, clf = _ScriptedGenerator(), _PixelClassifier()
    torch.manual_seed(seed)
    report, result = run(class_accuracy, G, clf, per_class=per_class)
    report = {**_returned(report, result), "calls": _calls(G), "training_after": bool(G.training)}
    if report["ok"]:
        G_eval = _ScriptedGenerator().eval()
        again, result = run(class_accuracy, G_eval, clf, per_class=eval_per_class)
        report["eval_run"] = {**_returned(again, result), "training_after": bool(G_eval.training)}
    return report
