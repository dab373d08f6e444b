"""Probes of notebook 01 beyond the generic ``call``: the noise sampler's draws, a network class built, loaded
with given weights and run, the two losses with the gradients of every input, and the two training steps run on
reference networks with given weights (the reference losses lent to them). Each reports only what the answer
did; the checks (``autograder.checks.intro``) compare that with the reference."""
from __future__ import annotations

import numbers

import torch
from torch import nn

from autograder.probes import call, describe, run
from autograder.references import use_globals
from gancourse import losses
from gancourse.models import MLPDiscriminator, MLPGenerator

REFERENCES = {"MLPGenerator": MLPGenerator, "MLPDiscriminator": MLPDiscriminator}


def noise(sample_noise, seed: int, sizes: list, bad: list) -> dict:
    """``sample_noise`` on each of ``sizes``; three draws of (5, 4), the first two after ``torch.manual_seed(seed)``;
    and each of the ``bad`` sizes (which should raise ValueError)."""
    report = {"sizes": [call(sample_noise, list(size)) for size in sizes]}
    torch.manual_seed(seed)
    report["first"] = call(sample_noise, [5, 4])
    torch.manual_seed(seed)
    report["again"] = call(sample_noise, [5, 4])
    report["third"] = call(sample_noise, [5, 4])
    report["bad"] = [call(sample_noise, list(size)) for size in bad]
    return report


def network(cls, kwargs: dict, reference: str, params: list, inputs: list) -> dict:
    """Build ``cls(**kwargs)``; report what it is and its parameters' names and shapes. If the shapes are those of
    ``params``, copy ``params`` into its parameters in order, run it on each of ``inputs`` (in training mode, as
    built) and report the outputs and the gradient of every parameter for ``out.pow(2).sum()`` on ``inputs[0]``."""
    ref_cls = REFERENCES[reference]
    report = {"module_class": isinstance(cls, type) and issubclass(cls, nn.Module)}
    if not report["module_class"]:
        return report
    report["subclasses_reference"] = issubclass(cls, ref_cls)
    if report["subclasses_reference"]:
        return report
    built, net = run(cls, **kwargs)
    report["build"] = built
    if not built["ok"] or not isinstance(net, nn.Module):
        return report
    report["contains_reference"] = any(isinstance(m, ref_cls) for m in net.modules())
    if report["contains_reference"]:
        return report
    named = list(net.named_parameters())
    report["shapes"] = [[name, list(p.shape)] for name, p in named]
    report["copied"] = [list(p.shape) for _, p in named] == [list(t.shape) for t in params]
    if not report["copied"]:
        return report
    with torch.no_grad():
        for (_, p), value in zip(named, params):
            p.copy_(value)
    report["outputs"] = [call(net, [x]) for x in inputs]

    def backward():
        net.zero_grad(set_to_none=True)
        net(inputs[0].clone()).float().pow(2).sum().backward()

    report["backward"], _ = run(backward)
    report["grads"] = {name: None if p.grad is None else describe(p.grad) for name, p in named}
    return report


def loss(loss_fn, args: list, kwargs: dict | None = None) -> dict:
    """``loss_fn(*args, **kwargs)`` with every tensor argument requiring grad: ``call``'s report, plus ``grads``,
    the gradient of a scalar result with respect to each argument (None where none arrives)."""
    inputs = [a.clone().requires_grad_(True) if isinstance(a, torch.Tensor) else a for a in args]
    report, result = run(loss_fn, *inputs, **(kwargs or {}))
    if not report["ok"]:
        return report
    report["value"] = describe(result)
    report["requires_grad"] = bool(isinstance(result, torch.Tensor) and result.requires_grad)
    if report["requires_grad"] and result.ndim == 0:
        backward, _ = run(result.backward)
        report["backward"] = backward
        report["grads"] = [describe(a.grad) if isinstance(a, torch.Tensor) and a.grad is not None else None
                           for a in inputs]
    return report


def _networks(G_state: dict, D_state: dict, latent_dim: int, hidden_dim: int) -> tuple[nn.Module, nn.Module]:
    G, D = MLPGenerator(latent_dim, hidden_dim), MLPDiscriminator(hidden_dim)
    G.load_state_dict(G_state)
    D.load_state_dict(D_state)
    return G, D


def _state(net: nn.Module) -> dict:
    return {name: p.detach().clone() for name, p in net.named_parameters()}


def _grads(net: nn.Module) -> dict:
    return {name: None if p.grad is None else p.grad.detach().clone() for name, p in net.named_parameters()}


def _step_report(report: dict, result, G: nn.Module, D: nn.Module) -> dict:
    if report["ok"]:
        is_number = isinstance(result, numbers.Real) and not isinstance(result, (bool, torch.Tensor))
        report["value"] = float(result) if is_number else describe(result)
    report.update(G=_state(G), D=_state(D), G_grads=_grads(G), D_grads=_grads(D),
                  training={"G": bool(G.training), "D": bool(D.training)})
    return report


def discriminator_step(d_step, G_state: dict, D_state: dict, latent_dim: int, hidden_dim: int, real, noise,
                       lr: float, dirty: float) -> dict:
    """``d_step(D, G, real, noise, SGD(D, lr))`` on reference networks with the given weights, D's gradients
    filled with ``dirty`` first, the reference ``discriminator_loss`` lent to it: the result, then both networks'
    parameters, gradients and modes."""
    G, D = _networks(G_state, D_state, latent_dim, hidden_dim)
    for p in D.parameters():
        p.grad = torch.full_like(p, dirty)
    opt = torch.optim.SGD(D.parameters(), lr=lr)
    with use_globals(d_step, discriminator_loss=losses.discriminator_loss):
        report, result = run(d_step, D, G, real.clone(), noise.clone(), opt)
    return _step_report(report, result, G, D)


def generator_step(g_step, G_state: dict, D_state: dict, latent_dim: int, hidden_dim: int, noise, lr: float,
                   dirty: float, kwargs: dict) -> dict:
    """``g_step(D, G, noise, SGD(G, lr), **kwargs)`` likewise, G's gradients filled with ``dirty`` first and the
    reference ``generator_loss`` lent to it."""
    G, D = _networks(G_state, D_state, latent_dim, hidden_dim)
    for p in G.parameters():
        p.grad = torch.full_like(p, dirty)
    opt = torch.optim.SGD(G.parameters(), lr=lr)
    with use_globals(g_step, generator_loss=losses.generator_loss):
        report, result = run(g_step, D, G, noise.clone(), opt, **kwargs)
    return _step_report(report, result, G, D)
