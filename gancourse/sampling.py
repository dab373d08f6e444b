"""Drawing from generators: noise, labels, batches of samples, and paths through latent space.

* ``sample_noise`` / ``sample_labels`` / ``grid_inputs`` — the inputs: z ~ N(0, I), uniform class labels, and the
  class × noise grid (rows = classes, columns = fixed noise vectors) of a conditional generator;
* ``evaluating`` — a block in eval mode without gradients that puts every module back in its mode afterwards;
* ``sample_images`` / ``generate`` — ``n`` samples of an unconditional generator, or one per requested label of a
  conditional one, for seeded noise, in eval mode, on the CPU;
* ``lerp`` / ``slerp`` / ``interpolate_images`` — walking through latent space.

If small steps in z give small, meaningful changes in G(z) — one digit morphing smoothly into another — the
generator has learned a continuous map rather than memorised a lookup table of training images (the DCGAN paper's
"walking in the latent space"). Why spherical? A standard normal z in d dimensions lies close to the sphere of
radius √d (‖z‖² has mean d and standard deviation √(2d)). The midpoint of a straight line between two independent
samples has norm about √(d/2): a point G never saw in training. ``slerp`` follows the great circle instead, with
the norm interpolated along it, so every point on the path has a typical norm.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from gancourse import _checks


def sample_noise(batch_size: int, latent_dim: int, device=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal noise z ~ N(0, I): a float32 tensor of shape (batch_size, latent_dim) on ``device``.

    Pass a seeded CPU ``torch.Generator`` to draw the same noise every time.
    """
    _checks.positive_int("batch_size", batch_size)
    _checks.positive_int("latent_dim", latent_dim)
    z = torch.randn(batch_size, latent_dim, generator=_checks.rng("generator", generator))
    return z if device is None else z.to(_checks.device("device", device))


def sample_labels(batch_size: int, n_classes: int, device=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Class indices drawn uniformly from [0, n_classes): an int64 tensor of shape (batch_size,)."""
    _checks.positive_int("batch_size", batch_size)
    _checks.positive_int("n_classes", n_classes)
    y = torch.randint(0, n_classes, (batch_size,), generator=_checks.rng("generator", generator))
    return y if device is None else y.to(_checks.device("device", device))


def grid_inputs(n_classes: int = 10, n_columns: int = 10, latent_dim: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise and labels for a class grid: row i holds class i, column j the same noise vector z_j in every row.

    Returns ``z`` (n_classes * n_columns, latent_dim) and ``labels`` (n_classes * n_columns,), row-major, ready for
    ``show_grid(G(z, labels), nrow=n_columns)``.
    """
    _checks.positive_int("n_classes", n_classes)
    _checks.positive_int("n_columns", n_columns)
    z = sample_noise(n_columns, latent_dim, generator=torch.Generator().manual_seed(_checks.seed("seed", seed)))
    return z.repeat(n_classes, 1), torch.arange(n_classes).repeat_interleave(n_columns)   # (K * n, d), (K * n,)


@contextmanager
def evaluating(*modules: nn.Module):
    """Run the block with ``modules`` in eval mode (batch norm uses its running statistics) and without gradients,
    then put each module back in the mode it was in, even if the block raises."""
    for i, m in enumerate(modules):
        _checks.module(f"modules[{i}]", m)
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def _latent_dim(generator: nn.Module) -> int:
    latent_dim = getattr(_checks.module("generator", generator), "latent_dim", None)
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int):
        raise ValueError("the generator needs an integer latent_dim attribute (the size of its noise input)")
    return latent_dim


def sample_images(generator: nn.Module, n: int, seed: int = 123, batch_size: int = 500) -> torch.Tensor:
    """``n`` images from ``generator`` (eval mode, on its own device) for noise drawn with ``seed``, on the CPU.

    The same seed gives the same noise, so two generators (or one before and after training) are compared on
    the same z. The generator is put back in its previous mode afterwards.
    """
    latent_dim = _latent_dim(generator)
    _checks.positive_int("n", n)
    _checks.positive_int("batch_size", batch_size)
    z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(_checks.seed("seed", seed)))
    device = next(generator.parameters()).device
    with evaluating(generator):
        return torch.cat([generator(chunk.to(device)).cpu() for chunk in z.split(batch_size)])


def generate(generator: nn.Module, labels: torch.Tensor, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """Images G(z, labels) of a conditional generator on the CPU, for fresh noise seeded by ``seed``, in eval mode."""
    latent_dim = _latent_dim(generator)
    _checks.class_labels("labels", labels)
    if labels.numel() == 0:
        raise ValueError("labels is empty: expected at least one class index")
    _checks.positive_int("batch_size", batch_size)
    device = next(generator.parameters()).device
    z = sample_noise(labels.shape[0], latent_dim, generator=torch.Generator().manual_seed(_checks.seed("seed", seed)))
    with evaluating(generator):
        out = [generator(zc.to(device), yc.to(device)).cpu() for zc, yc in zip(z.split(batch_size), labels.split(batch_size))]
    return torch.cat(out)


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
    eps = _checks.positive_float("eps", eps)
    n0, n1 = z0.norm(dim=-1, keepdim=True), z1.norm(dim=-1, keepdim=True)   # (..., 1)
    if bool((n0 < eps).any() or (n1 < eps).any()):
        raise ValueError(f"slerp needs non-zero end points (norm above eps={eps:g}): the direction of a zero vector "
                         f"is undefined")
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
    _checks.module("generator", generator)
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    path = METHODS[method](z0, z1, steps)                                # (steps, d) or (P, steps, d)
    flat = path.reshape(-1, path.shape[-1])                              # (P * steps, d)
    device = next(generator.parameters()).device
    with evaluating(generator):
        return generator(flat.to(device)).cpu()
