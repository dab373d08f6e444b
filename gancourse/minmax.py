"""The BCE min-max game in one dimension, where every quantity of the theory can be computed (notebook 02).

Goodfellow et al. (2014) analyse the GAN game through the value function

    V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 - D(G(z)))] = ∫ p_data log D + p_g log(1 - D) dx.

On the real line each term is an integral that the trapezoidal rule evaluates on a grid, so each step of the
argument can be checked with numbers:

* densities: ``Gaussian``, ``Mixture`` (density on a grid, seeded sampling), ``kde`` for samples of a network;
* the discriminator's cost: ``binary_cross_entropy`` (from probabilities), ``binary_cross_entropy_with_logits``;
* ``optimal_discriminator`` D* = p_data / (p_data + p_g), ``value_function``, ``kl_divergence``,
  ``js_divergence``, and ``virtual_training_criterion`` C(G) = V(D*, G) = -log 4 + 2 JSD(p_data || p_g);
* the generator's two losses and their derivatives with respect to D's logit: ``generator_losses``,
  ``generator_gradients``;
* 1-D networks: ``AffineGenerator`` (x = mu + sigma z), ``Generator1D``, ``Discriminator1D``, trained with
  ``fit_discriminator`` (D alone, against a fixed generator) or ``gancourse.training.train_gan`` (the game) on
  a ``SampleStream`` of fresh draws; ``discriminator_on_grid`` reads D's probabilities on a grid, and
  ``one_thread`` runs such tiny networks without thread overhead.

A 1-D sample travels through the networks as a one-pixel image of shape (B, 1, 1, 1), so the course's
``d_step``, ``g_step`` and ``train_gan`` train these networks unchanged. Integrals follow the convention
0 log 0 = 0: a region where a density vanishes contributes nothing.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import _checks
from gancourse.models.mlp import dense_block
from gancourse.training import d_step, sample_noise

LOG4 = math.log(4.0)


# ---- densities ------------------------------------------------------------------------------------------------
class Gaussian:
    """The normal density N(mean, std²) on the real line."""

    def __init__(self, mean: float, std: float):
        if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not math.isfinite(mean):
            raise ValueError(f"mean must be a finite number, got {mean!r}")
        self.mean, self.std = float(mean), _checks.positive_float("std", std)

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        """The density at the points ``x`` (any shape, floating point), in ``x``'s dtype."""
        _checks.tensor("x", x)
        u = (x - self.mean) / self.std
        return torch.exp(-0.5 * u * u) / (self.std * math.sqrt(2 * math.pi))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` independent draws as a float32 tensor of shape (n,)."""
        return self.mean + self.std * torch.randn(_checks.positive_int("n", n), generator=generator)

    def __repr__(self) -> str:
        return f"Gaussian(mean={self.mean:g}, std={self.std:g})"


class Mixture:
    """A weighted sum of Gaussians: p(x) = Σ_k w_k N(x; mean_k, std_k²), weights normalised to sum to 1."""

    def __init__(self, components: Sequence[Gaussian], weights: Sequence[float] | None = None):
        components = list(components)
        if not components or not all(isinstance(c, Gaussian) for c in components):
            raise ValueError("components must be a non-empty sequence of Gaussian densities")
        weights = [1.0] * len(components) if weights is None else [float(w) for w in weights]
        if len(weights) != len(components) or any(not w > 0 for w in weights):
            raise ValueError(f"weights must be {len(components)} positive numbers, got {weights!r}")
        self.components, self.weights = components, [w / sum(weights) for w in weights]

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        return sum(w * c.pdf(x) for w, c in zip(self.weights, self.components))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        _checks.positive_int("n", n)
        which = torch.multinomial(torch.tensor(self.weights), n, replacement=True, generator=generator)
        means = torch.tensor([c.mean for c in self.components])[which]
        stds = torch.tensor([c.std for c in self.components])[which]
        return means + stds * torch.randn(n, generator=generator)

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.2g}·N({c.mean:g}, {c.std:g}²)" for w, c in zip(self.weights, self.components))
        return f"Mixture({parts})"


def kde(samples: torch.Tensor, x: torch.Tensor, bandwidth: float | None = None, chunk: int = 4096) -> torch.Tensor:
    """Gaussian kernel density estimate of 1-D ``samples`` (any shape, flattened) at the points ``x`` (N,).

    ``bandwidth`` defaults to Silverman's rule 1.06 · std · n^(-1/5), which over-smooths a multi-modal density:
    pass a smaller one there. Samples are processed ``chunk`` at a time, so memory stays at N × chunk numbers.
    Returns a tensor of shape (N,) in x's dtype.
    """
    x = check_grid(x)
    values = _checks.tensor("samples", samples).detach().flatten().to(device=x.device, dtype=x.dtype)
    if values.numel() < 2:
        raise ValueError("kde needs at least two samples")
    h = bandwidth if bandwidth is not None else 1.06 * float(values.std()) * values.numel() ** -0.2
    h = _checks.positive_float("bandwidth", h)
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


# ---- 1-D networks ---------------------------------------------------------------------------------------------
class AffineGenerator(nn.Module):
    """The simplest generator, G(z) = mean + std · z: pushes z ~ N(0, 1) to N(mean, std²). (B, 1) → (B, 1, 1, 1)."""

    latent_dim = 1

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        super().__init__()
        target = Gaussian(mean, std)
        self.mean = nn.Parameter(torch.tensor(target.mean))
        self.log_std = nn.Parameter(torch.tensor(math.log(target.std)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _checks.tensor("z", z, ndim=2)
        return (self.mean + self.log_std.exp() * z[:, :1]).view(-1, 1, 1, 1)   # (B, 1, 1, 1)


class Generator1D(nn.Module):
    """Noise (B, latent_dim) → one number per sample, as (B, 1, 1, 1). No output squashing: any real value.

    Layers: dense_block(latent_dim, hidden_dim) → dense_block(hidden_dim, hidden_dim) → Linear(hidden_dim, 1).
    """

    def __init__(self, latent_dim: int = 1, hidden_dim: int = 32):
        super().__init__()
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        self.net = nn.Sequential(
            dense_block(latent_dim, hidden_dim),      # (B, h)
            dense_block(hidden_dim, hidden_dim),      # (B, h)
            nn.Linear(hidden_dim, 1),                 # (B, 1)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _checks.tensor("z", z, ndim=2)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z).view(-1, 1, 1, 1)          # (B, 1, 1, 1)


class Discriminator1D(nn.Module):
    """One number per sample, shape (B,), (B, 1) or (B, 1, 1, 1) → one logit per sample, shape (B,).

    Layers: dense_block(1, hidden_dim) → dense_block(hidden_dim, hidden_dim) → Linear(hidden_dim, 1).
    """

    def __init__(self, hidden_dim: int = 64):
        super().__init__()
        hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        self.net = nn.Sequential(
            dense_block(1, hidden_dim),               # (B, h)
            dense_block(hidden_dim, hidden_dim),      # (B, h)
            nn.Linear(hidden_dim, 1),                 # (B, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _checks.tensor("x", x)
        if x.ndim == 0 or x[0].numel() != 1:
            raise ValueError(f"x must hold one number per sample, e.g. shape (B, 1, 1, 1), got {tuple(x.shape)}")
        return self.net(x.reshape(-1, 1)).squeeze(1)  # (B,)


def _module(name: str, value) -> nn.Module:
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


@torch.no_grad()
def discriminator_on_grid(D: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """D's probability of "real", sigmoid(D(x)), at every grid point: a float64 tensor of shape (N,) on the CPU."""
    check_grid(x)
    device = next(_module("D", D).parameters()).device
    logits = D(x.to(device=device, dtype=torch.float32).view(-1, 1, 1, 1))
    return torch.sigmoid(logits.double()).cpu()


class SampleStream:
    """An endless data set: each batch is ``batch_size`` fresh draws from ``density``, shaped (B, 1, 1, 1).

    Iterate over it, or pass it to ``train_gan`` as its ``data``.
    """

    def __init__(self, density, batch_size: int = 256, seed: int = 0):
        if not hasattr(density, "sample"):
            raise TypeError(f"density must have a sample(n, generator) method, got {type(density).__name__}")
        self.density, self.batch_size = density, _checks.positive_int("batch_size", batch_size)
        self.rng = torch.Generator().manual_seed(seed)

    def __iter__(self) -> Iterator[torch.Tensor]:
        while True:
            yield self.density.sample(self.batch_size, generator=self.rng).view(-1, 1, 1, 1)


@contextmanager
def one_thread():
    """Run the block with one CPU thread for torch, then restore the previous setting.

    The 1-D networks are far too small for torch's intra-op parallelism to pay off; on a busy 2-core machine
    two threads made one Adam step of ``Discriminator1D`` on 512 samples 30x slower (69 ms against 2.2 ms).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def fit_discriminator(D: nn.Module, p_data, G: nn.Module, *, steps: int, batch_size: int = 512, lr: float = 2e-3,
                      seed: int = 0) -> list[float]:
    """Train D alone, G fixed, with ``gancourse.training.d_step`` on fresh samples of ``p_data`` and of G.

    Adam with a cosine-decaying learning rate brings D close to the maximiser D* of V(D, G). Returns the
    discriminator loss of every step.
    """
    _module("D", D)
    _module("G", G)
    if not isinstance(getattr(G, "latent_dim", None), int):
        raise ValueError("G needs an integer latent_dim attribute (the size of its noise vectors)")
    _checks.positive_int("steps", steps)
    _checks.positive_float("lr", lr)
    real = iter(SampleStream(p_data, batch_size, seed))
    rng = torch.Generator().manual_seed(seed + 1)
    device = next(D.parameters()).device
    opt = torch.optim.Adam(D.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    losses = []
    with one_thread():
        for _ in range(steps):
            noise = sample_noise(batch_size, G.latent_dim, generator=rng).to(device)
            losses.append(d_step(D, G, next(real).to(device), noise, opt))
            schedule.step()
    return losses
