"""Probes of notebook 06 (StarGAN) beyond the generic ``call``.

Each runs the student's answer on the networks a check describes in plain data (``build``: stand-ins whose outputs
are smooth, label-dependent functions of their inputs, or small real StarGAN networks with the check's weights) and
reports plain data: the value, whether it carries a graph, and the gradients that reach the networks' parameters.
The reference ``classification_loss``, ``gradient_penalty`` and ``reconstruction_loss`` are lent to the objectives
(``use_globals``), so that each exercise is graded on its own. The checks (``autograder.checks.stargan``) compute
the expected values with gancourse; nothing here does.
"""
from __future__ import annotations

import torch
import torch.nn.functional as tF
from torch import nn

from autograder.probes import describe, run
from autograder.references import use_globals
from gancourse import losses
from gancourse.models import stargan as models


# ---- stand-in networks ---------------------------------------------------------------------------------------------
class LabelShiftGenerator(nn.Module):
    """A stand-in G(x, c) = scale·x + c·weights + shift (every pixel shifted by a label-dependent amount): the order
    of a round trip's labels changes its result, and its parameters receive every term's gradient."""

    def __init__(self, scale: float, weights: list, shift: float):
        super().__init__()
        self.scale, self.shift = nn.Parameter(torch.tensor(scale)), nn.Parameter(torch.tensor(shift))
        self.weights = nn.Parameter(torch.tensor(weights))

    def forward(self, x, c):
        return self.scale * x + (c.to(x) @ self.weights.to(x))[:, None, None, None] + self.shift


class SmoothCritic(nn.Module):
    """A stand-in D(x) → (src, cls): src (B, 1, 2, 2) the 2×2 average of Σ_channels w_ch·tanh(s·x) plus a bias
    (its gradient depends on where it is taken), cls (B, n) = v·mean(x) + u·mean(x²) + b (it depends on x too)."""

    def __init__(self, channel_weights: list, steepness: float, bias: float, v: list, u: list, b: list):
        super().__init__()
        self.w, self.s = nn.Parameter(torch.tensor(channel_weights)), nn.Parameter(torch.tensor(steepness))
        self.bias = nn.Parameter(torch.tensor(bias))
        self.v, self.u, self.b = (nn.Parameter(torch.tensor(t)) for t in (v, u, b))

    def forward(self, x):
        h = (self.w.to(x)[:, None, None] * torch.tanh(self.s.to(x) * x)).sum(1, keepdim=True)   # (B, 1, H, W)
        src = tF.adaptive_avg_pool2d(h, 2) + self.bias.to(x)                                   # (B, 1, 2, 2)
        m1, m2 = x.flatten(1).mean(1, keepdim=True), x.flatten(1).pow(2).mean(1, keepdim=True)   # (B, 1) each
        return src, m1 * self.v.to(x) + m2 * self.u.to(x) + self.b.to(x)                        # (B, n)


def build(spec: dict) -> nn.Module:
    """A network from a check's plain description: ``{"kind": "shift" | "critic", "args": [...], "dtype"}`` or
    ``{"kind": "generator" | "discriminator", "kwargs", "state"}`` (a StarGenerator / StarDiscriminator)."""
    kind = spec["kind"]
    if kind in ("shift", "critic"):
        net = (LabelShiftGenerator if kind == "shift" else SmoothCritic)(*spec["args"])
        return net.to(getattr(torch, spec.get("dtype", "float32")))
    net = (models.StarGenerator if kind == "generator" else models.StarDiscriminator)(**spec["kwargs"])
    net.load_state_dict(spec["state"])
    return net


# ---- the references lent to the objectives -------------------------------------------------------------------------
def reference_gradient_penalty(D, real, fake, alpha):
    """gancourse's penalty under the notebook's signature ``gradient_penalty(D, real, fake, alpha)``."""
    return losses.gradient_penalty(D, real, fake, alpha=alpha)


def reference_reconstruction_loss(G, x, c_org, c_trg):
    """gancourse's reconstruction term under the notebook's signature: mean |G(G(x, c_trg), c_org) − x|."""
    return losses.reconstruction_l1(x, G(G(x, c_trg), c_org))


LENT = {"classification_loss": losses.domain_classification_loss, "gradient_penalty": reference_gradient_penalty,
        "reconstruction_loss": reference_reconstruction_loss}


def _value_and_grads(report: dict, value, nets: dict) -> dict:
    """Adds the scalar ``value`` (described), whether it has a graph, and the gradient of ``value`` reaching each
    parameter of ``nets`` (``"G.scale"`` → tensor, or None where none reaches it) to ``report``."""
    report["value"] = describe(value)
    report["graph"] = bool(isinstance(value, torch.Tensor) and value.requires_grad)
    report["grads"] = None
    if report["graph"] and value.ndim == 0:
        backward, _ = run(value.backward)
        if backward["ok"]:
            report["grads"] = {f"{k}.{n}": describe(p.grad) if p.grad is not None else None
                               for k, net in nets.items() for n, p in net.named_parameters()}
        else:
            report["grads_error"] = f"{backward['error']}: {backward['message']}"
    return report


# ---- the probes ----------------------------------------------------------------------------------------------------
def reconstruction(fn, G: dict, x, c_org, c_trg) -> dict:
    """``fn(G, x, c_org, c_trg)`` with the generator ``build``s from ``G``: the value and the gradients reaching G."""
    net = build(G)
    report, value = run(fn, net, x.clone(), c_org.clone(), c_trg.clone())
    return _value_and_grads(report, value, {"G": net}) if report["ok"] else report


def penalty(fn, D: dict, real, fake, alpha) -> dict:
    """``fn(D, real, fake, alpha)`` with the critic ``build``s from ``D``: the value, whether it has a graph, and
    the gradients of the value reaching D's parameters (the penalty must be differentiable w.r.t. them)."""
    net = build(D)
    report, value = run(fn, net, real.clone(), fake.clone(), alpha.clone())
    return _value_and_grads(report, value, {"D": net}) if report["ok"] else report


def d_objective(fn, D: dict, x, c_org, fake, alpha, lambda_cls: float, lambda_gp: float) -> dict:
    """``fn(D, x, c_org, fake, alpha, lambda_cls=..., lambda_gp=...)`` with the reference losses lent: the value
    and the gradients reaching D's parameters."""
    net = build(D)
    with use_globals(fn, **LENT):
        report, value = run(fn, net, x.clone(), c_org.clone(), fake.clone(), alpha.clone(), lambda_cls=lambda_cls,
                            lambda_gp=lambda_gp)
    return _value_and_grads(report, value, {"D": net}) if report["ok"] else report


TERMS = ("adv", "cls", "rec")


def g_objective(fn, G: dict, D: dict, x, c_org, c_trg, lambda_cls: float, lambda_rec: float) -> dict:
    """``fn(G, D, x, c_org, c_trg, lambda_cls=..., lambda_rec=...)`` with the reference losses lent: the total and
    its graph, the terms (described, with their types), and the gradients of the total reaching G's parameters."""
    nets = {"G": build(G), "D": build(D)}
    with use_globals(fn, **LENT):
        report, result = run(fn, nets["G"], nets["D"], x.clone(), c_org.clone(), c_trg.clone(),
                             lambda_cls=lambda_cls, lambda_rec=lambda_rec)
    if not report["ok"]:
        return report
    report["pair"] = isinstance(result, (tuple, list)) and len(result) == 2
    if not report["pair"]:
        report["value"] = None
        return report
    total, terms = result
    report["total_type"] = type(total).__name__
    report["terms_type"] = type(terms).__name__
    report["keys"] = sorted(k for k in terms if isinstance(k, str)) if isinstance(terms, dict) else []
    report["terms"] = {k: describe(terms[k]) for k in TERMS if isinstance(terms, dict) and k in terms}
    report["term_types"] = {k: type(terms[k]).__name__ for k in TERMS if isinstance(terms, dict) and k in terms}
    for net in nets.values():
        net.zero_grad(set_to_none=True)
    _value_and_grads(report, total, {"G": nets["G"]})
    report["total"], report["value"] = report["value"], None
    return report
