"""A Bernoulli restricted Boltzmann machine (Smolensky 1986; Hinton 2002): notebook 07's explicit, undirected model.

Binary visible units v ∈ {0, 1}^V (the pixels) and binary hidden units h ∈ {0, 1}^H, with the energy

    E(v, h) = - v·b_v - h·b_h - h·W v,        W: (H, V)  (one row per hidden unit, as scikit-learn's components_)

and p(v, h) = exp(-E(v, h)) / Z. There are no connections within a layer, so given one layer the units of the other
are independent:

    p(h_j = 1 | v) = σ(b_h,j + W_j · v),       p(v_i = 1 | h) = σ(b_v,i + W_:,i · h),

which makes **block Gibbs sampling** (all of h, then all of v) exact and cheap. Summing h out in closed form gives
the **free energy** F(v) = - v·b_v - Σ_j softplus(b_h,j + W_j · v), with p(v) = exp(-F(v)) / Z. Z itself (the
partition function) is a sum over 2^min(V, H) states: ``gancourse.metrics.likelihood`` computes it exactly for a
small H or estimates it by annealed importance sampling.

Visible vectors are flat float tensors (B, V) with values 0 or 1 (``gancourse.data.images_to_bits`` turns binary
images into them); probabilities are (B, V) or (B, H) in [0, 1]. Randomness comes from a CPU ``torch.Generator``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gancourse import _checks
from gancourse.models.mlp import _image_shape


def _bernoulli(probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Bits drawn with probabilities ``probs`` (uniforms from a CPU generator, moved to probs' device)."""
    uniform = torch.rand(probs.shape, generator=generator, dtype=probs.dtype).to(probs.device)
    return (uniform < probs).to(probs.dtype)


class BernoulliRBM(nn.Module):
    """A binary-binary RBM with weights ``W`` (n_hidden, n_visible), visible biases ``b_v`` (n_visible,) and hidden
    biases ``b_h`` (n_hidden,). Weights start at N(0, 0.01²), biases at 0 (Hinton's practical guide).

    ``image_shape`` (C, H, W) with C*H*W = n_visible, if given, is how ``sample_images`` lays out a visible vector;
    it defaults to (1, 28, 28) when n_visible is 784."""

    def __init__(self, n_visible: int = 784, n_hidden: int = 25, image_shape=None,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.n_visible = _checks.positive_int("n_visible", n_visible)
        self.n_hidden = _checks.positive_int("n_hidden", n_hidden)
        _checks.rng("generator", generator)
        if image_shape is None and n_visible == 784:
            image_shape = (1, 28, 28)
        if image_shape is not None and math.prod(_image_shape(image_shape)) != n_visible:
            raise ValueError(f"image_shape must be (C, H, W) with C*H*W = n_visible = {n_visible}, got {image_shape!r}")
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self.W = nn.Parameter(0.01 * torch.randn(n_hidden, n_visible, generator=generator))   # (H, V)
        self.b_v = nn.Parameter(torch.zeros(n_visible))                                        # (V,)
        self.b_h = nn.Parameter(torch.zeros(n_hidden))                                         # (H,)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}"

    # ---- argument checks ----
    def _visible(self, v: torch.Tensor, name: str = "v") -> torch.Tensor:
        _checks.tensor(name, v, ndim=2)
        if v.shape[1] != self.n_visible:
            raise ValueError(f"{name} must have shape (B, {self.n_visible}) for this RBM, got {tuple(v.shape)} "
                             f"(flatten binary images with gancourse.data.images_to_bits)")
        return _checks.like_weights(v, self).to(self.W.device)

    def _hidden(self, h: torch.Tensor, name: str = "h") -> torch.Tensor:
        _checks.tensor(name, h, ndim=2)
        if h.shape[1] != self.n_hidden:
            raise ValueError(f"{name} must have shape (B, {self.n_hidden}) for this RBM, got {tuple(h.shape)}")
        return _checks.like_weights(h, self).to(self.W.device)

    # ---- the model ----
    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) = -v·b_v - h·b_h - h·W v for v (B, V) and h (B, H): a (B,) tensor."""
        v, h = self._visible(v), self._hidden(h)
        if v.shape[0] != h.shape[0]:
            raise ValueError(f"v and h must hold the same number of rows, got {v.shape[0]} and {h.shape[0]}")
        return -(v @ self.b_v) - (h @ self.b_h) - ((h @ self.W) * v).sum(dim=1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = -log Σ_h exp(-E(v, h)) = -v·b_v - Σ_j softplus(b_h,j + W_j·v) for v (B, V): a (B,) tensor."""
        v = self._visible(v)
        return -(v @ self.b_v) - F.softplus(v @ self.W.T + self.b_h).sum(dim=1)

    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        """p(h_j = 1 | v) = σ(b_h + W v): (B, V) → (B, H)."""
        return torch.sigmoid(self._visible(v) @ self.W.T + self.b_h)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        """p(v_i = 1 | h) = σ(b_v + Wᵀ h): (B, H) → (B, V)."""
        return torch.sigmoid(self._hidden(h) @ self.W + self.b_v)

    def sample_hidden(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Binary h (B, H) drawn from p(h | v), uniforms from ``generator``."""
        return _bernoulli(self.hidden_probs(v), _checks.rng("generator", generator))

    def sample_visible(self, h: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Binary v (B, V) drawn from p(v | h), uniforms from ``generator``."""
        return _bernoulli(self.visible_probs(h), _checks.rng("generator", generator))

    def gibbs_step(self, v: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One block Gibbs step v → h ~ p(h | v) → v' ~ p(v | h): binary (B, V) → binary (B, V)."""
        return self.sample_visible(self.sample_hidden(v, generator), generator)

    @torch.no_grad()
    def sample(self, n: int, steps: int = 1000, generator: torch.Generator | None = None,
               init: torch.Tensor | None = None, return_probs: bool = True) -> torch.Tensor:
        """Run ``n`` independent Gibbs chains for ``steps`` block Gibbs steps and return their final state (B=n, V).

        The chains start from ``init`` (n, V) if given, else from uniformly random bits. With ``return_probs``
        (the default) the result is the last step's p(v | h) — the mean of the final visible sample, smoother to
        look at; otherwise the final binary sample itself."""
        _checks.positive_int("n", n)
        _checks.non_negative_int("steps", steps)
        _checks.rng("generator", generator)
        _checks.boolean("return_probs", return_probs)
        if init is None:
            v = _bernoulli(torch.full((n, self.n_visible), 0.5, device=self.W.device), generator)
        else:
            v = self._visible(init, "init")
            if v.shape[0] != n:
                raise ValueError(f"init must hold n = {n} rows, got {v.shape[0]}")
        probs = v
        for _ in range(steps):
            probs = self.visible_probs(self.sample_hidden(v, generator))
            v = _bernoulli(probs, generator)
        return probs if return_probs else v

    def sample_images(self, n: int, steps: int = 1000, generator: torch.Generator | None = None,
                      init: torch.Tensor | None = None) -> torch.Tensor:
        """``sample`` laid out as images (n, C, H, W) in [-1, 1] (2 p - 1 of the final visible probabilities)."""
        if self.image_shape is None:
            raise ValueError("this RBM has no image_shape: pass image_shape=(C, H, W) when creating it")
        return (2 * self.sample(n, steps, generator, init) - 1).reshape(n, *self.image_shape)

    @torch.no_grad()
    def set_visible_bias_from(self, v: torch.Tensor, eps: float = 1e-3) -> None:
        """Set b_v to log(p / (1 - p)) of the data's pixel means p (clamped to [eps, 1 - eps]), as Hinton's guide
        recommends before training. ``v``: (N, V) bits."""
        if not 0 < _checks.number("eps", eps) < 0.5:
            raise ValueError(f"eps must be in (0, 0.5), got {eps!r}")
        p = self._visible(v).mean(dim=0).clamp(eps, 1 - eps)
        self.b_v.copy_(torch.log(p) - torch.log1p(-p))
