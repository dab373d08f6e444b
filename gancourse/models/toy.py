"""Tiny 1-D networks for the min-max game of notebook 02, built from ``gancourse.models.mlp.dense_block``.

A 1-D sample travels through them as a one-pixel image of shape (B, 1, 1, 1), so the course's ``d_step``,
``g_step`` and training loop train them unchanged.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from gancourse import _checks
from gancourse.data.toy import Gaussian
from gancourse.models.mlp import dense_block


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
        return self.net(_checks.like_weights(z, self)).view(-1, 1, 1, 1)   # (B, 1, 1, 1)


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
        if x.ndim == 0 or x.shape[0] == 0 or x[0].numel() != 1:
            raise ValueError(f"x must hold one number per sample, e.g. shape (B, 1, 1, 1), got {tuple(x.shape)}")
        return self.net(_checks.like_weights(x, self).reshape(-1, 1)).squeeze(1)   # (B,)


def _module(name: str, value) -> nn.Module:
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value
