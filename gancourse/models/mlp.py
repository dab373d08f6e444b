"""Fully connected GAN for notebook 01: the smallest generator and discriminator that learn MNIST.

Built from one block up: ``dense_block`` (Linear → [BatchNorm1d] → LeakyReLU(0.2)) → ``MLPGenerator`` /
``MLPDiscriminator``. Batch normalisation in the generator's hidden layers keeps its samples varied early in
training (measured: 10 of 10 digit classes after 4,000 steps, against 4 of 10 without it after 1,500).
The discriminator returns *logits* (any real number), not probabilities: the losses in
``gancourse.losses`` apply the sigmoid inside a numerically stable formula.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from gancourse import _checks

MNIST_SHAPE = (1, 28, 28)

# Notebook 01's training settings (measured by benchmarks/bench_intro_recipe.py against the DCGAN paper's Adam):
# spectral normalisation in D, Adam without momentum at a larger rate, and samples from an average of G's weights.
INTRO_RECIPE = {"spectral_norm": True, "lr": 1e-3, "betas": (0.0, 0.9), "ema": 0.99}


def dense_block(in_features: int, out_features: int, batch_norm: bool = False) -> nn.Sequential:
    """Linear → [BatchNorm1d] → LeakyReLU(0.2): (B, in_features) → (B, out_features)."""
    _checks.positive_int("in_features", in_features)
    _checks.positive_int("out_features", out_features)
    _checks.boolean("batch_norm", batch_norm)
    layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
    if batch_norm:
        layers.append(nn.BatchNorm1d(out_features))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _image_shape(image_shape) -> tuple[int, int, int]:
    if not isinstance(image_shape, (tuple, list, torch.Size)):
        raise TypeError(f"image_shape must be a tuple of three positive integers (C, H, W), got {image_shape!r}")
    shape = tuple(image_shape)
    if len(shape) != 3 or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in shape):
        raise ValueError(f"image_shape must be three positive integers (C, H, W), got {image_shape!r}")
    return shape


class MLPGenerator(nn.Module):
    """Noise z ~ N(0, I) of size ``latent_dim`` → an image in [-1, 1] of shape ``image_shape``.

    Layers: Linear(latent_dim, hidden_dim) → BatchNorm1d → LeakyReLU(0.2)
    → Linear(hidden_dim, 2*hidden_dim) → BatchNorm1d → LeakyReLU(0.2)
    → Linear(2*hidden_dim, C*H*W) → Tanh → reshape to (B, C, H, W).
    Batch normalisation needs batches of 2 or more images in training mode; ``batch_norm=False`` leaves it out
    (notebook 01's mode-collapse experiment).
    """

    def __init__(self, latent_dim: int = 64, hidden_dim: int = 256, image_shape=MNIST_SHAPE, batch_norm: bool = True):
        super().__init__()
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        self.hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        self.image_shape = _image_shape(image_shape)
        self.batch_norm = _checks.boolean("batch_norm", batch_norm)
        self.net = nn.Sequential(
            dense_block(latent_dim, hidden_dim, batch_norm=batch_norm),          # (B, h)
            dense_block(hidden_dim, 2 * hidden_dim, batch_norm=batch_norm),      # (B, 2h)
            nn.Linear(2 * hidden_dim, math.prod(self.image_shape)),        # (B, C*H*W)
            nn.Tanh(),                                                     # values in [-1, 1]
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _checks.tensor("z", z, ndim=2)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}) for this generator, got {tuple(z.shape)}")
        return self.net(_checks.like_weights(z, self)).view(z.shape[0], *self.image_shape)   # (B, C, H, W)


class MLPDiscriminator(nn.Module):
    """An image of shape ``image_shape`` → one logit per image, shape (B,). Positive means "real".

    Layers: Flatten → dense_block(C*H*W, 2*hidden_dim) → dense_block(2*hidden_dim, hidden_dim)
    → Linear(hidden_dim, 1) → squeeze to (B,).
    ``spectral_norm=True`` divides each Linear weight by its largest singular value
    (``torch.nn.utils.parametrizations.spectral_norm``; Miyato et al., 2018).
    """

    def __init__(self, hidden_dim: int = 256, image_shape=MNIST_SHAPE, spectral_norm: bool = False):
        super().__init__()
        self.hidden_dim = _checks.positive_int("hidden_dim", hidden_dim)
        self.image_shape = _image_shape(image_shape)
        self.spectral_norm = _checks.boolean("spectral_norm", spectral_norm)
        self.net = nn.Sequential(
            nn.Flatten(),                                                  # (B, C*H*W)
            dense_block(math.prod(self.image_shape), 2 * hidden_dim),      # (B, 2h)
            dense_block(2 * hidden_dim, hidden_dim),                       # (B, h)
            nn.Linear(hidden_dim, 1),                                      # (B, 1)
        )
        if spectral_norm:
            for module in list(self.net.modules()):
                for name, child in module.named_children():
                    if isinstance(child, nn.Linear):
                        setattr(module, name, nn.utils.parametrizations.spectral_norm(child))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _checks.like_weights(_checks.images("x", x, self.image_shape), self)
        return self.net(x).squeeze(1)                                      # (B,)
