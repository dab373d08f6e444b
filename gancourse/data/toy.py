"""Toy 1-D distributions for the min-max game of notebook 02: densities that can be evaluated on a grid and
sampled with a seed, and an endless stream of fresh draws to train on.

* ``Gaussian`` and ``Mixture``: ``pdf(x)`` on any tensor of points, ``sample(n, generator)`` → (n,);
* ``SampleStream``: batches of fresh draws shaped (B, 1, 1, 1), so that a 1-D sample travels through the course's
  training code as a one-pixel image.
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator, Sequence

import torch

from gancourse import _checks


class Gaussian:
    """The normal density N(mean, std²) on the real line."""

    def __init__(self, mean: float, std: float):
        self.mean, self.std = _checks.number("mean", mean), _checks.positive_float("std", std)

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        """The density at the points ``x`` (any shape, floating point), in ``x``'s dtype."""
        _checks.tensor("x", x)
        u = (x - self.mean) / self.std
        return torch.exp(-0.5 * u * u) / (self.std * math.sqrt(2 * math.pi))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` independent draws as a float32 tensor of shape (n,)."""
        n = _checks.positive_int("n", n)
        return self.mean + self.std * torch.randn(n, generator=_checks.rng("generator", generator))

    def __repr__(self) -> str:
        return f"Gaussian(mean={self.mean:g}, std={self.std:g})"


class Mixture:
    """A weighted sum of Gaussians: p(x) = Σ_k w_k N(x; mean_k, std_k²), weights normalised to sum to 1."""

    def __init__(self, components: Sequence[Gaussian], weights: Sequence[float] | None = None):
        if isinstance(components, (str, bytes, torch.Tensor)) or not isinstance(components, Iterable):
            raise TypeError(f"components must be a list of Gaussian densities, got {type(components).__name__}")
        components = list(components)
        if not components or not all(isinstance(c, Gaussian) for c in components):
            raise ValueError(f"components must be a non-empty list of Gaussian densities, got {components!r}")
        if isinstance(weights, torch.Tensor) and weights.ndim == 1:
            weights = weights.tolist()
        if weights is None:
            weights = [1.0] * len(components)
        elif (not isinstance(weights, (list, tuple)) or len(weights) != len(components)
              or not all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) and w > 0
                         for w in weights)):
            raise ValueError(f"weights must be {len(components)} positive numbers, one per component, got {weights!r}")
        weights = [float(w) for w in weights]
        self.components, self.weights = components, [w / sum(weights) for w in weights]

    def pdf(self, x: torch.Tensor) -> torch.Tensor:
        return sum(w * c.pdf(x) for w, c in zip(self.weights, self.components))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        _checks.positive_int("n", n)
        _checks.rng("generator", generator)
        which = torch.multinomial(torch.tensor(self.weights), n, replacement=True, generator=generator)
        means = torch.tensor([c.mean for c in self.components])[which]
        stds = torch.tensor([c.std for c in self.components])[which]
        return means + stds * torch.randn(n, generator=generator)

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.2g}·N({c.mean:g}, {c.std:g}²)" for w, c in zip(self.weights, self.components))
        return f"Mixture({parts})"


class SampleStream:
    """An endless data set: each batch is ``batch_size`` fresh draws from ``density``, shaped (B, 1, 1, 1).

    Iterate over it, or pass it to ``train_gan`` as its ``data``.
    """

    def __init__(self, density, batch_size: int = 256, seed: int = 0):
        if not hasattr(density, "sample"):
            raise TypeError(f"density must have a sample(n, generator) method, got {type(density).__name__}")
        self.density, self.batch_size = density, _checks.positive_int("batch_size", batch_size)
        self.rng = torch.Generator().manual_seed(_checks.seed("seed", seed))

    def __iter__(self) -> Iterator[torch.Tensor]:
        while True:
            yield self.density.sample(self.batch_size, generator=self.rng).view(-1, 1, 1, 1)
