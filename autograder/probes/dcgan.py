"""Probes of notebook 03 (DCGAN): build the student's blocks, models and training step, load the weights a check
sends, run them, and report what they are made of and what they computed, as plain data.

A module is described by ``structure``: every submodule in registration order with the ``torch.nn`` classes it is
an instance of (``kinds``), its settings (LeakyReLU's slope, batch norm's eps and momentum, dropout's p) and its own
parameters. The check, not the probe, knows what the reference holds and compares.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from autograder.probes import describe, forward as _forward, run
from autograder.references import use_globals
from gancourse import losses
from gancourse.models import dcgan

_KINDS = {
    "Conv2d": nn.Conv2d, "ConvTranspose2d": nn.ConvTranspose2d, "Linear": nn.Linear,
    "BatchNorm2d": nn.BatchNorm2d, "InstanceNorm2d": nn.InstanceNorm2d, "GroupNorm": nn.GroupNorm,
    "LayerNorm": nn.LayerNorm, "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid,
    "Upsample": nn.Upsample, "MaxPool2d": nn.MaxPool2d, "AvgPool2d": nn.AvgPool2d,
    "Dropout": nn.modules.dropout._DropoutNd, "Sequential": nn.Sequential,
    "DCGANGenerator": dcgan.DCGANGenerator, "DCGANDiscriminator": dcgan.DCGANDiscriminator,
}
_SETTINGS = ("negative_slope", "eps", "momentum", "p", "affine", "track_running_stats")
_LENT = {"up_block": dcgan.up_block, "down_block": dcgan.down_block, "dcgan_init": dcgan.dcgan_init}
_REFERENCES = {"DCGANGenerator": dcgan.DCGANGenerator, "DCGANDiscriminator": dcgan.DCGANDiscriminator}


def _failed(err: BaseException) -> dict:
    return {"ok": False, "error": type(err).__name__, "message": str(err)[:600]}


def structure(module: nn.Module) -> list[dict]:
    """Every submodule of ``module`` (itself first), in registration order."""
    entries = []
    for name, m in module.named_modules():
        settings = {}
        for attr in (a for a in _SETTINGS if hasattr(m, a)):
            value = getattr(m, attr)
            if value is None or isinstance(value, bool):
                settings[attr] = value
            elif isinstance(value, numbers.Real) and not isinstance(value, torch.Tensor):
                settings[attr] = float(value)
        bias = getattr(m, "bias", None)
        entries.append({"name": name, "type": type(m).__name__,
                        "kinds": [k for k, cls in _KINDS.items() if isinstance(m, cls)],
                        "settings": settings, "has_bias": isinstance(bias, torch.Tensor),
                        "params": {n: describe(p) for n, p in m.named_parameters(recurse=False)}})
    return entries


def _load(module: nn.Module, params, buffers) -> bool:
    """Copy ``params`` and ``buffers`` into ``module`` in order, if their shapes match exactly."""
    own_p, own_b = list(module.parameters()), list(module.buffers())
    if [tuple(p.shape) for p in own_p] != [tuple(p.shape) for p in params] or \
            [tuple(b.shape) for b in own_b] != [tuple(b.shape) for b in buffers]:
        return False
    with torch.no_grad():
        for dst, src in zip(own_p + own_b, list(params) + list(buffers)):
            dst.copy_(src)
    return True


def _dead(module: nn.Module, x: torch.Tensor) -> dict:
    """Which parameters no gradient reaches from ``module(x).pow(2).sum()`` in training mode."""
    module.train()
    module.zero_grad(set_to_none=True)
    report, out = run(module, x.clone())
    if not report["ok"]:
        return report
    report["graph"] = isinstance(out, torch.Tensor) and out.requires_grad
    if report["graph"]:
        backward, _ = run(lambda: out.pow(2).sum().backward())
        if not backward["ok"]:
            return backward
    report["value"] = [n for n, p in module.named_parameters() if p.grad is None]
    return report


def _examine(module: nn.Module, x, params, buffers, extra=()) -> dict:
    """What a check asks of any built module: its make-up, the output before and after loading the check's weights
    (training mode, then eval mode), outputs on ``extra`` inputs in training mode, and the dead parameters."""
    report = {"structure": structure(module),
              "param_shapes": [list(p.shape) for p in module.parameters()],
              "buffer_shapes": [list(b.shape) for b in module.buffers()]}
    report["first"] = _forward(module, x)
    report["loaded"] = _load(module, params, buffers)
    if report["loaded"]:
        report["train"] = _forward(module, x)
        report["eval"] = _forward(module, x, train=False)
        report["extra"] = [_forward(module, e) for e in extra]
        report["dead"] = _dead(module, x)
    return report


def block(make_block, args, kwargs, x, params, buffers) -> dict:
    """``make_block(*args, **kwargs)``: an ``up_block`` or ``down_block``, examined on ``x``."""
    report, built = run(make_block, *args, **kwargs)
    if not report["ok"]:
        return report
    report["value"] = describe(built)
    report["module"] = isinstance(built, nn.Module)
    if report["module"]:
        try:
            report.update(_examine(built, x, params, buffers))
        except BaseException as err:  # noqa: BLE001 — a module that breaks the probe is an answer too
            return _failed(err)
    return report


def model(cls, kwargs, reference, seed, x, params, buffers, extra=()) -> dict:
    """``cls(**kwargs)`` built after ``torch.manual_seed(seed)`` with the reference blocks and ``dcgan_init`` lent
    to its ``__init__``, then examined on ``x``; ``reference`` names the gancourse class it must not reuse."""
    ref_cls = _REFERENCES[reference]
    report = {"ok": True, "value": None, "is_module_class": isinstance(cls, type) and issubclass(cls, nn.Module)}
    if not report["is_module_class"]:
        return report
    report["subclasses_reference"] = issubclass(cls, ref_cls)
    if report["subclasses_reference"]:
        return report
    torch.manual_seed(seed)
    try:
        with use_globals(cls.__init__, **_LENT):
            built, net = run(cls, **kwargs)
    except BaseException as err:  # noqa: BLE001
        return _failed(err)
    if not built["ok"]:
        return built
    report["contains_reference"] = any(isinstance(m, ref_cls) for m in net.modules())
    if not report["contains_reference"]:
        try:
            report.update(_examine(net, x, params, buffers, extra))
        except BaseException as err:  # noqa: BLE001
            return _failed(err)
    return report


def _init_model() -> nn.Sequential:
    """Every kind of layer ``dcgan_init`` must handle, wide enough for its statistics to be read."""
    return nn.Sequential(
        nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 48, 3),
    )


def init(dcgan_init) -> dict:
    """``model.apply(dcgan_init)`` on ``_init_model()`` after ``torch.manual_seed(0)``: the parameters it leaves
    (and which of them it left as PyTorch initialised them); whether a module without weights is accepted and leaves
    the model alone; whether a seed repeats the draw."""
    report = {"ok": True, "value": None, "callable": callable(dcgan_init)}
    if not report["callable"]:
        return report
    torch.manual_seed(0)
    net = _init_model()
    initial = {n: p.detach().clone() for n, p in net.named_parameters()}
    applied, result = run(net.apply, dcgan_init)
    applied["returns_model"] = result is net
    report["apply"] = applied
    if not applied["ok"]:
        return report
    applied["value"] = None
    report["structure"] = structure(net)
    report["untouched"] = [n for n, p in net.named_parameters() if n in initial and torch.equal(initial[n], p.detach())]
    before = [p.detach().clone() for p in net.parameters()]
    relu, _ = run(nn.ReLU().apply, dcgan_init)
    report["relu"] = {**relu, "value": None}
    report["unchanged"] = all(torch.equal(b, p.detach()) for b, p in zip(before, net.parameters()))
    draws = []
    for _ in range(2):
        torch.manual_seed(1)
        again = _init_model()
        if not run(again.apply, dcgan_init)[0]["ok"]:
            break
        draws.append([p.detach().clone() for p in again.parameters()])
    report["repeatable"] = len(draws) == 2 and all(torch.equal(a, b) for a, b in zip(*draws))
    return report


def step(train_step, generator, discriminator, real, noise, lr, dirty=7.0) -> dict:
    """``train_step(G, D, real, noise, opt_G, opt_D)`` on reference networks loaded with the given
    ``{"kwargs", "state"}``, with SGD(lr) optimisers, gradients filled with ``dirty`` ("an earlier step") and the
    reference losses lent. Reports the returned entries and both networks' state (parameters and buffers) after."""
    G = dcgan.DCGANGenerator(**generator["kwargs"])
    D = dcgan.DCGANDiscriminator(**discriminator["kwargs"])
    G.load_state_dict(generator["state"])
    D.load_state_dict(discriminator["state"])
    for p in list(G.parameters()) + list(D.parameters()):
        p.grad = torch.full_like(p, float(dirty))
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=lr), torch.optim.SGD(D.parameters(), lr=lr)
    try:
        with use_globals(train_step, discriminator_loss=losses.discriminator_loss,
                         generator_loss=losses.generator_loss):
            report, result = run(train_step, G, D, real.clone(), noise.clone(), opt_G, opt_D)
    except BaseException as err:  # noqa: BLE001
        return _failed(err)
    if not report["ok"]:
        return report
    report["value"] = None
    report["is_dict"] = isinstance(result, dict)
    try:
        if report["is_dict"]:
            report["entries"] = {k: _entry(v) for k, v in result.items() if isinstance(k, str)}
        report["G"] = {k: describe(v) for k, v in G.state_dict().items()}
        report["D"] = {k: describe(v) for k, v in D.state_dict().items()}
    except BaseException as err:  # noqa: BLE001
        return _failed(err)
    return report


def _entry(value) -> dict:
    """One value of ``train_step``'s result: its type, and the number if it is a real number (not a tensor)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    return {"type": type(value).__name__, "tensor": isinstance(value, torch.Tensor), "real": real,
            "value": float(value) if real else None}
