"""GAN losses, written on logits so that they stay finite however confident the discriminator is.

With D(x) = sigmoid(l) for a logit l:

* discriminator (binary cross-entropy, real = 1, generated = 0):
  ``L_D = -mean log D(x) - mean log(1 - D(G(z)))  =  mean softplus(-l_real) + mean softplus(l_fake)``
* generator, saturating min-max form (minimise log(1 - D(G(z)))):
  ``L_G = mean log(1 - sigmoid(l_fake)) = -mean softplus(l_fake)``
* generator, non-saturating form (maximise log D(G(z))):
  ``L_G = -mean log D(G(z)) = mean softplus(-l_fake)``

The VAE's objective (notebooks 01 and 07) has two terms, ``reconstruction_loss`` (Bernoulli pixels) and
``kl_to_standard_normal``; ``gancourse.training.vae.vae_loss`` adds them.

``softplus(t) = log(1 + e^t)`` is computed stably by torch, where ``log(sigmoid(t))`` underflows to
``log(0) = -inf`` once |t| is larger than about 17 in float32.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from gancourse import _checks


def _bce(flat: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(flat, torch.full_like(flat, target))


def bce_with_logits(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Mean binary cross-entropy of ``sigmoid(logits)`` against a constant ``target`` in [0, 1]."""
    return _bce(_checks.logits("logits", logits), _checks.number("target", target, 0.0, 1.0))


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's BCE loss: real images labelled 1, generated images labelled 0.

    Args:
        real_logits: D's logits on real images, shape (B,) or (B, 1).
        fake_logits: D's logits on generated images, shape (B',) or (B', 1).
    Returns:
        A scalar tensor ``mean softplus(-real_logits) + mean softplus(fake_logits)`` (>= 0).
    """
    real, fake = _checks.logits("real_logits", real_logits), _checks.logits("fake_logits", fake_logits)
    return _bce(real, 1.0) + _bce(fake, 0.0)


def generator_loss(fake_logits: torch.Tensor, non_saturating: bool = True) -> torch.Tensor:
    """The generator's loss on D's logits for generated images.

    ``non_saturating=True`` (the default, what practice uses): ``-mean log D(G(z))``, i.e. BCE with
    label 1. ``non_saturating=False``: the min-max form ``mean log(1 - D(G(z)))``, which is <= 0 and
    whose gradient vanishes when D confidently rejects the fakes.
    """
    fake = _checks.logits("fake_logits", fake_logits)
    if _checks.boolean("non_saturating", non_saturating):
        return _bce(fake, 1.0)
    return -_bce(fake, 0.0)


# ---- the two terms of the VAE objective (the negative ELBO), in nats per image ----
def reconstruction_loss(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) for Bernoulli pixels: binary cross-entropy of the pixel ``logits`` (B, C, H, W) against the
    intensities (images + 1) / 2 of ``images`` (B, C, H, W) in [-1, 1], summed over pixels, mean over the batch."""
    _checks.tensor("logits", logits, ndim=4)
    _checks.tensor("images", images, ndim=4)
    if logits.shape != images.shape:
        raise ValueError(f"logits must have the images' shape {tuple(images.shape)}, got {tuple(logits.shape)}")
    if images.shape[0] == 0:
        raise ValueError("images is empty: expected at least one image")
    target = ((images.to(logits.dtype) + 1) / 2).clamp(0, 1)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / images.shape[0]


def kl_to_standard_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, diag(exp(logvar))) || N(0, I)) = ½ Σ (mean² + exp(logvar) - 1 - logvar), summed over the
    latent dimensions, mean over the batch. mean and logvar: (B, d)."""
    _checks.tensor("mean", mean, ndim=2)
    _checks.tensor("logvar", logvar, ndim=2)
    if logvar.shape != mean.shape:
        raise ValueError(f"logvar must have mean's shape {tuple(mean.shape)}, got {tuple(logvar.shape)}")
    if mean.shape[0] == 0:
        raise ValueError("mean is empty: expected at least one code")
    return 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum() / mean.shape[0]
