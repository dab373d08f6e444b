"""Probes of notebook 05 (CycleGAN) beyond the generic ``call``.

Each runs the student's answer and reports plain data: a residual block's make-up and outputs with the weights a
check sends; what an image pool returned and stored, query by query; a generator objective's total, terms and
gradients on stand-in networks (``build``) or small real ones; the networks' state after a ``g_step``. The checks
(``autograder.checks.cyclegan``) compute the expected values with gancourse's reference; nothing here does. The
reference losses and objective are lent to the answers that use them (``use_globals``), so that each exercise is
graded on its own.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from autograder.checks import dirty_grads
from autograder.probes import describe, forward as _forward, run
from autograder.references import use_globals
from gancourse import losses
from gancourse.models import cyclegan as models
from gancourse.training.cyclegan import cyclegan_generator_objective

_KINDS = {"Conv2d": nn.Conv2d, "ReflectionPad2d": nn.ReflectionPad2d, "ZeroPad2d": nn.ZeroPad2d,
          "InstanceNorm2d": nn.InstanceNorm2d, "BatchNorm2d": nn.BatchNorm2d, "GroupNorm": nn.GroupNorm,
          "LayerNorm": nn.LayerNorm, "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU,
          "Dropout": nn.modules.dropout._DropoutNd, "ResidualBlock": models.ResidualBlock}
_SETTINGS = ("affine", "track_running_stats", "padding_mode", "negative_slope", "p")


def _failed(err: BaseException) -> dict:
    return {"ok": False, "error": type(err).__name__, "message": str(err)[:600]}


def _number(value):
    """``float(value)`` for a real number that is not a tensor (what ``loss.item()`` returns), else None."""
    if isinstance(value, torch.Tensor) or not isinstance(value, numbers.Real) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except Exception:  # noqa: BLE001 — a number that cannot become a float is no number
        return None


# ---- the residual block ------------------------------------------------------------------------------------------
def structure(module: nn.Module) -> list[dict]:
    """Every submodule (itself first) in registration order: the ``torch.nn`` kinds it is, a few settings, and a
    convolution's padding."""
    entries = []
    for name, m in module.named_modules():
        settings = {a: getattr(m, a) for a in _SETTINGS
                    if isinstance(getattr(m, a, None), (bool, str, int, float))}
        if isinstance(m, nn.Conv2d):
            settings["padding"] = [int(p) for p in m.padding] if isinstance(m.padding, tuple) else str(m.padding)
        entries.append({"name": name, "type": type(m).__name__, "settings": settings,
                        "kinds": [k for k, cls in _KINDS.items() if isinstance(m, cls)]})
    return entries


def residual_block(cls, channels: int, seed: int, x, params) -> dict:
    """``cls(channels)`` built after ``torch.manual_seed(seed)``, the check's ``params`` loaded in order; its make-up,
    its output on ``x`` in training then eval mode, and the parameters no gradient reaches."""
    report = {"ok": True, "value": None, "is_module_class": isinstance(cls, type) and issubclass(cls, nn.Module)}
    if not report["is_module_class"]:
        return report
    report["subclasses_reference"] = issubclass(cls, models.ResidualBlock)
    if report["subclasses_reference"]:
        return report
    torch.manual_seed(seed)
    built, block = run(cls, channels)
    if not built["ok"]:
        return built
    try:
        report["contains_reference"] = any(isinstance(m, models.ResidualBlock) for m in block.modules())
        report["structure"] = structure(block)
        own = list(block.parameters())
        report["param_shapes"] = [list(p.shape) for p in own]
        report["loaded"] = [tuple(p.shape) for p in own] == [tuple(p.shape) for p in params]
        if report["contains_reference"] or not report["loaded"]:
            return report
        with torch.no_grad():
            for dst, src in zip(own, params):
                dst.copy_(src)
        report["train"] = _forward(block, x, True)
        report["eval"] = _forward(block, x, False)
        block.train()
        block.zero_grad(set_to_none=True)
        dead, out = run(block, x.clone())
        if dead["ok"] and isinstance(out, torch.Tensor) and out.requires_grad:
            backward, _ = run(lambda: out.pow(2).sum().backward())
            dead = backward if not backward["ok"] else {**dead, "graph": True}
        else:
            dead["graph"] = False
        dead["value"] = [n for n, p in block.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
        report["dead"] = dead
    except BaseException as err:  # noqa: BLE001 — a module that breaks the probe is an answer too
        return _failed(err)
    return report


# ---- the image pool ------------------------------------------------------------------------------------------------
def _stored(pool) -> dict:
    images = getattr(pool, "images", None)
    if type(images) is not list or not all(isinstance(t, torch.Tensor) for t in images):
        return {"list": False, "type": type(images).__name__}
    return {"list": True, "images": [describe(t) for t in images], "grad": [bool(t.requires_grad) for t in images]}


def image_pool(cls, size: int, seed: int, global_seed: int, batches: list) -> dict:
    """``cls(size=size, generator=torch.Generator().manual_seed(seed))`` queried with each batch in turn (torch's
    global generator seeded with ``global_seed`` first): what each query returned and what the pool held after it."""
    torch.manual_seed(global_seed)
    built, pool = run(cls, size=size, generator=torch.Generator().manual_seed(seed))
    if not built["ok"]:
        return built
    queries = []
    for batch in batches:
        report, out = run(pool.query, batch.clone())
        if report["ok"]:
            report["value"] = describe(out)
            report["tensor"] = isinstance(out, torch.Tensor)
        try:
            report["stored"] = _stored(pool)
        except BaseException as err:  # noqa: BLE001
            return _failed(err)
        queries.append(report)
        if not report["ok"]:
            break
    return {"ok": True, "value": None, "queries": queries}


def image_pool_copies(cls, size: int, seed: int, batch) -> dict:
    """A pool of ``size`` filled with ``batch * 1`` (a batch that requires grad, as G's output does); then the batch is
    changed in place, as a caller may reuse its memory. Reports what the pool held before and after the change."""
    built, pool = run(cls, size=size, generator=torch.Generator().manual_seed(seed))
    if not built["ok"]:
        return built
    fake = batch.clone().requires_grad_(True) * 1.0
    report, _ = run(pool.query, fake)
    if not report["ok"]:
        return report
    try:
        report["before"] = _stored(pool)
        with torch.no_grad():
            fake.add_(100.0)
        report["after"] = _stored(pool)
    except BaseException as err:  # noqa: BLE001
        return _failed(err)
    report["value"] = None
    return report


# ---- the generator objective ----------------------------------------------------------------------------------------
class AffineGenerator(nn.Module):
    """A stand-in generator: x ↦ scale·x + shift (a scaled identity), so that every term of the objective is
    known."""

    def __init__(self, scale: float, shift: float):
        super().__init__()
        self.scale, self.shift = nn.Parameter(torch.tensor(scale)), nn.Parameter(torch.tensor(shift))

    def forward(self, x):
        return self.scale * x + self.shift


class PatchStandIn(nn.Module):
    """A stand-in discriminator: a (B, 1, 5, 5) map, constant + weight · every sixth pixel of a 28×28 image."""

    def __init__(self, constant: float, weight: float):
        super().__init__()
        self.constant, self.weight = nn.Parameter(torch.tensor(constant)), nn.Parameter(torch.tensor(weight))

    def forward(self, x):
        return self.constant + self.weight * x[:, :1, ::6, ::6]


def build(spec: dict) -> nn.Module:
    """A network from a check's plain description: ``{"kind": "affine", "scale", "shift"}``, ``{"kind": "patch",
    "constant", "weight"}``, or ``{"kind": "resnet" | "patchgan", "kwargs", "state"}``."""
    kind = spec["kind"]
    if kind == "affine":
        return AffineGenerator(spec["scale"], spec["shift"])
    if kind == "patch":
        return PatchStandIn(spec["constant"], spec["weight"])
    net = (models.ResnetGenerator if kind == "resnet" else models.PatchDiscriminator)(**spec["kwargs"])
    net.load_state_dict(spec["state"])
    return net


def reference_objective(G, F, D_X, D_Y, x, y, lambda_cycle=10.0, lambda_identity=0.5):
    """gancourse's objective under the notebook's signature: what ``g_step`` is lent as ``generator_objective``."""
    return cyclegan_generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity)


_LENT = {"lsgan_g_loss": losses.lsgan_generator_loss, "cycle_loss": losses.cycle_consistency_loss}
TERMS = ("gan_G", "gan_F", "cycle", "identity")


def objective(fn, nets: dict, x, y, lambda_cycle: float, lambda_identity: float) -> dict:
    """``fn(G, F, D_X, D_Y, x, y, lambda_cycle=..., lambda_identity=...)`` on the networks ``build``s from ``nets``,
    the reference losses lent: the total (value, whether it has a graph), the four terms, and the gradient of the
    total with respect to G's and F's parameters."""
    G, F, D_X, D_Y = (build(nets[k]) for k in ("G", "F", "D_X", "D_Y"))
    with use_globals(fn, **_LENT):
        report, result = run(fn, G, F, D_X, D_Y, x.clone(), y.clone(), lambda_cycle=lambda_cycle,
                             lambda_identity=lambda_identity)
    if not report["ok"]:
        return report
    report["value"] = None
    report["pair"] = isinstance(result, (tuple, list)) and len(result) == 2
    if not report["pair"]:
        return report
    total, terms = result
    report["total_type"] = type(total).__name__
    report["total"] = describe(total) if isinstance(total, torch.Tensor) else None
    report["graph"] = bool(isinstance(total, torch.Tensor) and total.requires_grad)
    report["terms_type"] = type(terms).__name__
    report["keys"] = sorted(k for k in terms if isinstance(k, str)) if isinstance(terms, dict) else []
    report["terms"] = {k: describe(terms[k]) for k in TERMS if isinstance(terms, dict) and k in terms}
    report["grads"] = None
    if report["graph"] and total.ndim == 0:
        backward, _ = run(total.backward)
        if backward["ok"]:
            report["grads"] = {f"{net}.{n}": describe(p.grad) if p.grad is not None else None
                               for net, module in (("G", G), ("F", F)) for n, p in module.named_parameters()}
    return report


# ---- the generator step -------------------------------------------------------------------------------------------
def _frozen_hook(calls: list, name: str):
    def hook(module, inputs):
        calls.append([name, all(not p.requires_grad for p in module.parameters())])
    return hook


def g_step_run(g_step, nets: dict, x, y, lr: float, lambda_cycle: float, lambda_identity: float,
               frozen_before: str) -> dict:
    """``g_step(G, F, D_X, D_Y, x, y, SGD(G and F, lr), lambda_cycle, lambda_identity)`` on the networks of ``nets``,
    G's and F's gradients dirty (7s) beforehand and D_Y's parameter ``frozen_before`` not requiring grad (as a
    caller may have left it); the reference objective and losses lent. Reports the result, every network's
    parameters after, the discriminators' gradients and flags, and whether they were frozen whenever they ran."""
    G, F, D_X, D_Y = (build(nets[k]) for k in ("G", "F", "D_X", "D_Y"))
    dirty_grads(G)
    dirty_grads(F)
    dict(D_Y.named_parameters())[frozen_before].requires_grad_(False)
    calls: list = []
    for name, D in (("D_X", D_X), ("D_Y", D_Y)):
        D.register_forward_pre_hook(_frozen_hook(calls, name))
    opt = torch.optim.SGD(list(G.parameters()) + list(F.parameters()), lr=lr)
    with use_globals(g_step, generator_objective=reference_objective, **_LENT):
        report, result = run(g_step, G, F, D_X, D_Y, x.clone(), y.clone(), opt, lambda_cycle, lambda_identity)
    report["tensor"] = isinstance(result, torch.Tensor)
    report["number"] = _number(result) if report["ok"] else None
    if report["ok"]:
        report["value"] = None
    nets_after = {"G": G, "F": F, "D_X": D_X, "D_Y": D_Y}
    report["params"] = {k: {n: describe(p) for n, p in net.named_parameters()} for k, net in nets_after.items()}
    report["D_grads"] = [f"{k}.{n}" for k in ("D_X", "D_Y") for n, p in nets_after[k].named_parameters()
                         if p.grad is not None]
    report["D_requires_grad"] = {f"{k}.{n}": bool(p.requires_grad) for k in ("D_X", "D_Y")
                                 for n, p in nets_after[k].named_parameters()}
    report["D_calls"] = calls
    return report
