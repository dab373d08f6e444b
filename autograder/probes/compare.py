"""Probes of notebook 07 (RBM vs VAE vs GAN) beyond the generic ``call``.

``answer`` runs a function of tensors on the inputs a check sends, with a seeded generator where the exercise
draws random numbers (``generator=torch.Generator().manual_seed(seed)``, the same seed the check gives gancourse's
reference), and reports its value and, on request, the gradients of Σ value·weights with respect to some
arguments. ``cd_gradient`` is lent gancourse's ``gibbs_step`` (``reference_gibbs_step``) so that it is graded on its
own. The checks (``autograder.checks.compare``) compute the expected values; nothing here does.
"""
from __future__ import annotations

import torch

from autograder.probes import describe, run
from autograder.references import use_globals
from gancourse.models.rbm import BernoulliRBM


def _rbm(W: torch.Tensor, b_v: torch.Tensor, b_h: torch.Tensor) -> BernoulliRBM:
    rbm = BernoulliRBM(W.shape[1], W.shape[0], generator=torch.Generator())          # global RNG untouched
    with torch.no_grad():
        rbm.W.copy_(W)
        rbm.b_v.copy_(b_v)
        rbm.b_h.copy_(b_h)
    return rbm.to(W.dtype).requires_grad_(False)


def reference_gibbs_step(v, W, b_v, b_h, generator=None):
    """gancourse's block Gibbs step under the notebook's signature: (h, v'), h drawn first, then v'."""
    rbm = _rbm(W, b_v, b_h)
    h = rbm.sample_hidden(v, generator)
    return h, rbm.sample_visible(h, generator)


_LENT = {"gibbs_step": reference_gibbs_step}


def answer(fn, args: list, kwargs: dict | None = None, seed: int | None = None, grad_of: list | None = None,
           weights=None, lend: bool = False) -> dict:
    """``fn(*args, **kwargs)`` (tensors cloned; with ``generator=`` a generator seeded with ``seed`` if given; the
    reference ``gibbs_step`` lent if ``lend``). Reports ``ok``/``type``/``len`` (or the error), ``value`` (described)
    and ``requires_grad``; with ``grad_of`` (argument indices) and ``weights`` (the value's shape), ``grads``: the
    gradient of (value · weights).sum() with respect to each of those arguments, None where none reaches it."""
    grad_of = list(grad_of or [])
    inputs = [a.clone().requires_grad_(i in grad_of) if isinstance(a, torch.Tensor) else a
              for i, a in enumerate(args)]
    kwargs = dict(kwargs or {})
    if seed is not None:
        kwargs["generator"] = torch.Generator().manual_seed(seed)
    if lend:
        with use_globals(fn, **_LENT):
            report, result = run(fn, *inputs, **kwargs)
    else:
        report, result = run(fn, *inputs, **kwargs)
    if not report["ok"]:
        return report
    report["value"] = describe(result)
    report["requires_grad"] = bool(isinstance(result, torch.Tensor) and result.requires_grad)
    if grad_of:
        report["grads"] = None
        if report["requires_grad"] and tuple(result.shape) == tuple(weights.shape):
            backward, _ = run(lambda: (result * weights).sum().backward())
            if backward["ok"]:
                report["grads"] = [describe(inputs[i].grad) if inputs[i].grad is not None else None for i in grad_of]
            else:
                report["grads_error"] = f"{backward['error']}: {backward['message']}"
    return report
