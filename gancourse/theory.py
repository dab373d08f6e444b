"""The BCE min-max game in one dimension, where every quantity of the theory can be computed (notebook 02).

Goodfellow et al. (2014) analyse the GAN game through the value function

    V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 - D(G(z)))] = ∫ p_data log D + p_g log(1 - D) dx.

On the real line each term is an integral that the trapezoidal rule evaluates on a grid, so each step of the
argument can be checked with numbers:

* ``kde``: a density estimated from samples of a network (the densities themselves are in ``gancourse.data.toy``);
* the discriminator's cost: ``binary_cross_entropy`` (from probabilities), ``binary_cross_entropy_with_logits``;
* ``optimal_discriminator`` D* = p_data / (p_data + p_g), ``value_function``, ``kl_divergence``,
  ``js_divergence``, and ``virtual_training_criterion`` C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g);
* the generator's two losses and their derivatives with respect to D's logit: ``generator_losses``,
  ``generator_gradients``;
* ``discriminator_on_grid``: a trained D's probabilities on the grid, to compare with D*.

The 1-D networks are in ``gancourse.models.toy`` and are trained by ``gancourse.training`` (``fit_discriminator``
for D alone against a fixed generator, ``train_gan`` for the game). Integrals follow the convention
0 log 0 = 0: a region where a density vanishes contributes nothing.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import _checks

LOG4 = math.log(4.0)


def kde(samples: torch.Tensor, x: torch.Tensor, bandwidth: float | None = None, chunk: int = 4096) -> torch.Tensor:
    """Gaussian kernel density estimate of 1-D ``samples`` (any shape, flattened) at the points ``x`` (N,).

    ``bandwidth`` defaults to Silverman's rule 1.06 · std · n^(-1/5), which over-smooths a multi-modal density:
    pass a smaller one there. Samples are processed ``chunk`` at a time, so memory stays at N × chunk numbers.
    Returns a tensor of shape (N,) in x's dtype.
    """
    x = check_grid(x)
    values = _checks.tensor("samples", samples).detach().flatten().to(device=x.device, dtype=x.dtype)
    if values.numel() < 2:
        raise ValueError(f"samples must hold at least two values for a density estimate, got shape "
                         f"{tuple(samples.shape)}")
    if bandwidth is None:
        spread = float(values.std())
        if not spread > 0:
            raise ValueError(f"samples must be finite and not all equal for Silverman's rule, got standard deviation "
                             f"{spread:g}: pass bandwidth=... explicitly")
        bandwidth = 1.06 * spread * values.numel() ** -0.2
    h = _checks.positive_float("bandwidth", bandwidth)
    total = torch.zeros_like(x)
    for part in values.split(_checks.positive_int("chunk", chunk)):
        u = (x[:, None] - part[None, :]) / h                              # (N, chunk)
        total += torch.exp(-0.5 * u * u).sum(dim=1)
    return total / (values.numel() * h * math.sqrt(2 * math.pi))


# ---- the discriminator's cost -------------------------------------------------------------------------------
def _pair(a_name: str, a, b_name: str, b) -> None:
    _checks.tensor(a_name, a)
    _checks.tensor(b_name, b)
    if a.shape != b.shape:
        raise ValueError(f"{a_name} and {b_name} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if a.numel() == 0:
        raise ValueError(f"{a_name} is empty")


def _in_unit_interval(name: str, value: torch.Tensor) -> None:
    if not bool(((value >= 0) & (value <= 1)).all()):
        raise ValueError(f"{name} must lie in [0, 1], got values from {float(value.min()):g} to {float(value.max()):g}")


def binary_cross_entropy(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean BCE -[y log p + (1 - y) log(1 - p)] of probabilities ``probs`` against ``targets`` (same shape, in [0, 1]).

    Uses 0 log 0 = 0, so a confident correct prediction costs 0 and a confident wrong one costs +inf.
    """
    _pair("probs", probs, "targets", targets)
    _in_unit_interval("probs", probs)
    _in_unit_interval("targets", targets)
    return -(torch.xlogy(targets, probs) + torch.xlogy(1 - targets, 1 - probs)).mean()


def binary_cross_entropy_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean BCE of ``sigmoid(logits)`` against ``targets``, finite for any logit: mean(softplus(l) - y l)."""
    _pair("logits", logits, "targets", targets)
    _in_unit_interval("targets", targets)
    return (F.softplus(logits) - targets * logits).mean()


# ---- the min-max game on a grid -------------------------------------------------------------------------------
def check_grid(x) -> torch.Tensor:
    """Return ``x`` if it is a 1-D floating tensor of at least two strictly increasing points, else raise."""
    _checks.tensor("x", x, ndim=1)
    if x.numel() < 2 or not bool((x[1:] > x[:-1]).all()):
        raise ValueError("x must be a 1-D grid of at least two strictly increasing points")
    return x


def _densities(x: torch.Tensor, **named: torch.Tensor) -> None:
    check_grid(x)
    for name, p in named.items():
        _checks.tensor(name, p, ndim=1)
        if p.shape != x.shape:
            raise ValueError(f"{name} must hold one value per grid point, shape {tuple(x.shape)}, got {tuple(p.shape)}")
        if not bool(torch.isfinite(p).all()) or bool((p < 0).any()):
            raise ValueError(f"{name} must be a density: finite and non-negative everywhere")


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), pointwise; 1/2 where both densities are 0 (no sample lands there)."""
    _pair("p_data", p_data, "p_g", p_g)
    if bool((p_data < 0).any()) or bool((p_g < 0).any()):
        raise ValueError("p_data and p_g must be non-negative density values")
    total = p_data + p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)), 0.5)


def value_function(D: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """V(D, G) = ∫ p_data log D + p_g log(1 - D) dx by the trapezoidal rule on the grid ``x`` (0 log 0 = 0).

    -inf if D is exactly 0 where p_data > 0, or exactly 1 where p_g > 0 (D is then infinitely wrong there).
    """
    _densities(x, p_data=p_data, p_g=p_g)
    _checks.tensor("D", D, ndim=1)
    if D.shape != x.shape:
        raise ValueError(f"D must hold one probability per grid point, shape {tuple(x.shape)}, got {tuple(D.shape)}")
    _in_unit_interval("D", D)
    return torch.trapezoid(torch.xlogy(p_data, D) + torch.xlogy(p_g, 1 - D), x)


def kl_divergence(p: torch.Tensor, q: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """KL(p || q) = ∫ p log(p / q) dx on the grid ``x`` (natural log; +inf where p > 0 = q)."""
    _densities(x, p=p, q=q)
    return torch.trapezoid(torch.xlogy(p, p) - torch.xlogy(p, q), x)


def js_divergence(p: torch.Tensor, q: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """JSD(p || q) = ½ KL(p || m) + ½ KL(q || m) with m = (p + q) / 2; between 0 (p = q) and log 2 (disjoint)."""
    _densities(x, p=p, q=q)
    m = (p + q) / 2
    return 0.5 * kl_divergence(p, m, x) + 0.5 * kl_divergence(q, m, x)


def virtual_training_criterion(p_data: torch.Tensor, p_g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """C(G) = max_D V(D, G) = V(D*, G) = ∫ p_data log(p_data / (p_data + p_g)) + p_g log(p_g / (p_data + p_g)) dx.

    Written with the densities rather than with D*: ``1 - D*`` rounds to exactly 0 where p_g is a tiny fraction
    of p_data (below about 1e-16), and ``log 0`` would then turn a negligible term into -inf.
    """
    _densities(x, p_data=p_data, p_g=p_g)
    total = p_data + p_g
    return torch.trapezoid(torch.xlogy(p_data, p_data) + torch.xlogy(p_g, p_g) - torch.xlogy(total, total), x)


# ---- the generator's two losses -------------------------------------------------------------------------------
def generator_losses(fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The generator's losses on D's logits l for generated samples, both finite for any logit:

    saturating (min-max) ``mean log(1 - sigmoid(l)) = -mean softplus(l)``, and
    non-saturating ``-mean log sigmoid(l) = mean softplus(-l)``.
    """
    _checks.tensor("fake_logits", fake_logits)
    if fake_logits.numel() == 0:
        raise ValueError("fake_logits is empty")
    return -F.softplus(fake_logits).mean(), F.softplus(-fake_logits).mean()


def generator_gradients(fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample, the derivative of each generator loss term with respect to its own logit l:

    d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D  (vanishes when D rejects the fake, D → 0), and
    d/dl [-log sigmoid(l)] = sigmoid(l) - 1 = -(1 - D)  (largest exactly there).
    """
    _checks.tensor("fake_logits", fake_logits)
    d = torch.sigmoid(fake_logits.detach())
    return -d, d - 1


@torch.no_grad()
def discriminator_on_grid(D: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """D's probability of "real", sigmoid(D(x)), at every grid point: a float64 tensor of shape (N,) on the CPU."""
    check_grid(x)
    device = next(_checks.module("D", D).parameters()).device
    logits = D(x.to(device=device, dtype=torch.float32).view(-1, 1, 1, 1))
    return torch.sigmoid(logits.double()).cpu()
