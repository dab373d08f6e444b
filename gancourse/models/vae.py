"""A small variational autoencoder (Kingma & Welling, 2014) for 28×28 images: notebook 01's likelihood-based model.

Built from blocks up, with ``gancourse.models.mlp.dense_block`` (Linear → LeakyReLU(0.2)):

* the **encoder** q(z | x): an image → the mean and log-variance of a diagonal Gaussian over the latent code z;
* ``reparameterise``: z = mean + exp(logvar / 2) · ε with ε ~ N(0, I), so that gradients reach mean and logvar;
* the **decoder** p(x | z): a code z → one *logit* per pixel, the Bernoulli parameter of the pixel's intensity
  (x + 1) / 2; ``VAE.decode`` turns logits into images in [-1, 1] (the Bernoulli mean, rescaled).

The objective (the ELBO and its two terms) is in ``gancourse.training.vae``.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from gancourse import _checks
from gancourse.models.mlp import MNIST_SHAPE, _image_shape, dense_block
from gancourse.sampling import evaluating


def reparameterise(mean: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A sample z = mean + exp(logvar / 2) · ε of N(mean, diag(exp(logvar))), differentiable in mean and logvar.

    ε ~ N(0, I) is drawn on the CPU from ``generator`` (torch's global one if None) and moved to mean's device.
    mean and logvar: (B, d) → z: (B, d).
    """
    _checks.tensor("mean", mean, ndim=2)
    _checks.tensor("logvar", logvar, ndim=2)
    if logvar.shape != mean.shape:
        raise ValueError(f"logvar must have mean's shape {tuple(mean.shape)}, got {tuple(logvar.shape)}")
    _checks.rng("generator", generator)
    eps = torch.randn(mean.shape, generator=generator, dtype=mean.dtype).to(mean.device)
    return mean + torch.exp(0.5 * logvar) * eps


class VAE(nn.Module):
    """Encoder x → (mean, logvar) of q(z | x), decoder z → pixel logits of p(x | z).

    Encoder: Flatten → dense_block(C*H*W, 2h) → dense_block(2h, h) → Linear(h, 2d), split into mean and logvar.
    Decoder: dense_block(d, h) → dense_block(h, 2h) → Linear(2h, C*H*W) → reshape to (B, C, H, W).
    """

    def __init__(self, latent_dim: int = 16, hidden_dim: int = 256, image_shape=MNIST_SHAPE):
        super().__init__()
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        self.hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        self.image_shape = _image_shape(image_shape)
        pixels = math.prod(self.image_shape)
        self.encoder = nn.Sequential(
            nn.Flatten(),                                          # (B, C*H*W)
            dense_block(pixels, 2 * hidden_dim),                   # (B, 2h)
            dense_block(2 * hidden_dim, hidden_dim),               # (B, h)
            nn.Linear(hidden_dim, 2 * latent_dim),                 # (B, 2d): mean and logvar side by side
        )
        self.decoder = nn.Sequential(
            dense_block(latent_dim, hidden_dim),                   # (B, h)
            dense_block(hidden_dim, 2 * hidden_dim),               # (B, 2h)
            nn.Linear(2 * hidden_dim, pixels),                     # (B, C*H*W): one logit per pixel
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (B, C, H, W) in [-1, 1] → mean (B, d) and log-variance (B, d) of q(z | x)."""
        x = _checks.like_weights(_checks.images("x", x, self.image_shape), self)
        mean, logvar = self.encoder(x).chunk(2, dim=1)             # (B, d), (B, d)
        return mean, logvar

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, d) → pixel logits (B, C, H, W) of p(x | z)."""
        _checks.tensor("z", z, ndim=2)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}) for this VAE, got {tuple(z.shape)}")
        return self.decoder(_checks.like_weights(z, self)).view(z.shape[0], *self.image_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (B, d) → images (B, C, H, W) in [-1, 1]: the decoder's mean intensity 2 σ(logit) - 1."""
        return 2 * torch.sigmoid(self.decode_logits(z)) - 1

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """Images → (pixel logits of the reconstruction, mean, logvar), with z drawn by ``reparameterise``."""
        mean, logvar = self.encode(x)
        return self.decode_logits(reparameterise(mean, logvar, generator)), mean, logvar

    def generate(self, n: int, seed: int = 123) -> torch.Tensor:
        """``n`` images from the prior, z ~ N(0, I) seeded by ``seed``, decoded in eval mode; on the CPU."""
        _checks.positive_int("n", n)
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(_checks.seed("seed", seed)))
        with evaluating(self):
            return self.decode(z.to(next(self.parameters()).device)).cpu()
