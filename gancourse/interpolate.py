"""Walking through a generator's latent space: linear and spherical interpolation between noise vectors.

If small steps in z give small, meaningful changes in G(z) — one digit morphing smoothly into another — the
generator has learned a continuous map rather than memorised a lookup table of training images (the DCGAN paper's
"walking in the latent space").

Why spherical? A standard normal z in d dimensions lies close to the sphere of radius √d (‖z‖² has mean d and
standard deviation √(2d)). The midpoint of a straight line between two independent samples has norm about
√(d/2): a point G never saw in training. ``slerp`` follows the great circle instead, with the norm interpolated
along it, so every point on the path has a typical norm.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from torch import nn

from gancourse import _checks
from gancourse.plotting import show_grid
from gancourse.training import evaluating


def _endpoints(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    _checks.tensor("z0", z0, ndim=(1, 2))
    _checks.tensor("z1", z1, ndim=(1, 2))
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape, got {tuple(z0.shape)} and {tuple(z1.shape)}")
    _checks.positive_int("steps", steps)
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (the two end points), got {steps}")
    t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device)
    return z0, z1, t


def lerp(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """Straight-line path (1 - t) z0 + t z1 for ``steps`` values of t from 0 to 1.

    z0, z1: (d,) → (steps, d); or (P, d) pairs → (P, steps, d).
    """
    z0, z1, t = _endpoints(z0, z1, steps)
    t = t.view(-1, 1)                                                   # (steps, 1)
    return (1 - t) * z0.unsqueeze(-2) + t * z1.unsqueeze(-2)            # (..., steps, d)


def slerp(z0: torch.Tensor, z1: torch.Tensor, steps: int, eps: float = 1e-7) -> torch.Tensor:
    """Spherical path: along the great circle from z0's direction to z1's, norms interpolated linearly.

    Same shapes as ``lerp``. For (nearly) parallel end points the direction is constant and this equals ``lerp``;
    for exactly opposite ones the great circle is not unique and a ``ValueError`` is raised.
    """
    z0, z1, t = _endpoints(z0, z1, steps)
    n0, n1 = z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True)   # (..., 1)
    if bool((n0 < eps).any() or (n1 < eps).any()):
        raise ValueError("slerp needs non-zero end points: the direction of a zero vector is undefined")
    u0, u1 = z0 / n0, z1 / n1
    cos = (u0 * u1).sum(dim=-1, keepdim=True).clamp(-1, 1)
    if bool((cos < -1 + eps).any()):
        raise ValueError("slerp is undefined for exactly opposite end points (many great circles join them)")
    omega = torch.arccos(cos).unsqueeze(-2)                              # (..., 1, 1)
    t = t.view(-1, 1)                                                    # (steps, 1)
    sin = torch.sin(omega)
    near = sin < eps                                                     # parallel: fall back to a straight line
    safe = torch.where(near, torch.ones_like(sin), sin)
    w0 = torch.where(near, 1 - t, torch.sin((1 - t) * omega) / safe)     # (..., steps, 1)
    w1 = torch.where(near, t, torch.sin(t * omega) / safe)
    direction = w0 * u0.unsqueeze(-2) + w1 * u1.unsqueeze(-2)            # unit vectors on the great circle
    norm = (1 - t) * n0.unsqueeze(-2) + t * n1.unsqueeze(-2)             # (..., steps, 1)
    return direction * norm


METHODS = {"linear": lerp, "spherical": slerp}


def interpolate_images(generator: nn.Module, z0: torch.Tensor, z1: torch.Tensor, steps: int = 10,
                       method: str = "spherical") -> torch.Tensor:
    """G's images along the path from each z0[i] to z1[i]: (P, d) pairs → images (P * steps, C, H, W), row by row.

    The generator is run in eval mode (batch-norm running statistics), and put back in its previous mode.
    """
    if not isinstance(generator, nn.Module):
        raise TypeError(f"generator must be a torch.nn.Module, got {type(generator).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    path = METHODS[method](z0, z1, steps)                                # (steps, d) or (P, steps, d)
    flat = path.reshape(-1, path.shape[-1])                              # (P * steps, d)
    device = next(generator.parameters()).device
    with evaluating(generator):
        return generator(flat.to(device)).cpu()


def plot_interpolation(generator: nn.Module, z0: torch.Tensor, z1: torch.Tensor, steps: int = 10,
                       methods: tuple[str, ...] = ("linear", "spherical"), size: float = 1.0):
    """One panel per method; each row walks from G(z0[i]) (left) to G(z1[i]) (right). Returns the Figure."""
    if not methods:
        raise ValueError("methods is empty: expected some of 'linear', 'spherical'")
    rows = 1 if z0.ndim == 1 else z0.shape[0]
    fig, axes = plt.subplots(1, len(methods), figsize=(len(methods) * steps * size * 0.8, rows * size + 0.5),
                             squeeze=False)
    for ax, method in zip(axes[0], methods):
        images = interpolate_images(generator, z0, z1, steps=steps, method=method)
        show_grid(images, nrow=steps, ax=ax, title=f"{method} interpolation")
    fig.tight_layout()
    return fig
