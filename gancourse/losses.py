"""GAN losses, written on logits so that they stay finite however confident the discriminator is.

With D(x) = sigmoid(l) for a logit l:

* discriminator (binary cross-entropy, real = 1, generated = 0):
  ``L_D = -mean log D(x) - mean log(1 - D(G(z)))  =  mean softplus(-l_real) + mean softplus(l_fake)``
* generator, saturating min-max form (minimise log(1 - D(G(z)))):
  ``L_G = mean log(1 - sigmoid(l_fake)) = -mean softplus(l_fake)``
* generator, non-saturating form (maximise log D(G(z))):
  ``L_G = -mean log D(G(z)) = mean softplus(-l_fake)``

The hinge loss (Lim & Ye, 2017; Miyato et al., 2018, with spectral normalisation), notebook 03's measured
extension, also works on logits: ``hinge_discriminator_loss`` = mean max(0, 1 - l_real) + mean max(0, 1 + l_fake),
``hinge_generator_loss`` = -mean l_fake.

CycleGAN (notebook 05) uses least-squares adversarial losses on D's raw outputs (``lsgan_discriminator_loss``,
``lsgan_generator_loss``) and two L1 terms, ``cycle_consistency_loss`` and ``identity_loss``;
``gancourse.training.cyclegan.cyclegan_generator_objective`` weighs and adds them.

StarGAN (notebook 06) adds ``domain_classification_loss`` (its discriminator's attribute head, on real images for
D and on translated ones for G), ``reconstruction_l1`` (G(G(x, c), c′) against x) and the WGAN-GP critic terms
``wasserstein_critic_loss``, ``wasserstein_generator_loss`` and ``gradient_penalty``;
``gancourse.training.stargan`` weighs and adds them.

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


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The hinge discriminator loss: ``mean max(0, 1 - real_logits) + mean max(0, 1 + fake_logits)``.

    D is asked for a margin: real logits at least +1 and generated ones at most -1; beyond the margin a sample
    adds nothing to the loss (where BCE keeps pushing). Shapes as for ``discriminator_loss``. Scalar tensor >= 0.
    """
    real, fake = _checks.logits("real_logits", real_logits), _checks.logits("fake_logits", fake_logits)
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def hinge_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The hinge generator loss: ``-mean fake_logits`` (raise D's score of the fakes; no margin, no saturation)."""
    return -_checks.logits("fake_logits", fake_logits).mean()


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


# ---- CycleGAN (notebook 05): least-squares adversarial losses, cycle consistency, identity ----
def _same_shape(names: tuple[str, str], a, b, what: str = "") -> None:
    for name, value in zip(names, (a, b)):
        _checks.tensor(name, value)
        if value.ndim == 0 or value.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty batch {what}, got shape {tuple(value.shape)}")
    if a.shape != b.shape:
        raise ValueError(f"{names[1]} must have {names[0]}'s shape {tuple(a.shape)}, got {tuple(b.shape)}")


def lsgan_discriminator_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """The least-squares discriminator loss (Mao et al., 2017) as CycleGAN uses it:
    ``½ [mean (D(y) - 1)² + mean D(G(x))²]``, i.e. the mean squared error to 1 on real images plus the mean squared
    error to 0 on generated ones, times ½ (the authors' code halves D's loss so that D learns at half G's rate).

    real_out, fake_out: D's raw outputs (not probabilities: no sigmoid), the same shape, e.g. (B, 1, S, S) patch
    maps; means over every entry. Returns a scalar tensor >= 0."""
    _same_shape(("real_out", "fake_out"), real_out, fake_out, "of discriminator outputs")
    return 0.5 * ((real_out - 1).pow(2).mean() + fake_out.pow(2).mean())


def lsgan_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """The least-squares generator loss: ``mean (D(G(x)) - 1)²`` (mean squared error to 1, no ½), on D's raw
    outputs of any shape (B, ...). Returns a scalar tensor >= 0."""
    _checks.tensor("fake_out", fake_out)
    if fake_out.ndim == 0 or fake_out.shape[0] == 0:
        raise ValueError(f"fake_out must be a non-empty batch of discriminator outputs, "
                         f"got shape {tuple(fake_out.shape)}")
    return (fake_out - 1).pow(2).mean()


def cycle_consistency_loss(x: torch.Tensor, x_rec: torch.Tensor, y: torch.Tensor, y_rec: torch.Tensor) -> torch.Tensor:
    """``mean |F(G(x)) - x| + mean |G(F(y)) - y|``: the L1 cycle error of each direction (mean over pixels and
    images), summed over the two. x, x_rec: (B, C, H, W) alike; y, y_rec: (B', C, H, W) alike. Scalar tensor >= 0."""
    _same_shape(("x", "x_rec"), x, x_rec, "of images")
    _same_shape(("y", "y_rec"), y, y_rec, "of images")
    return (x_rec - x).abs().mean() + (y_rec - y).abs().mean()


def identity_loss(y: torch.Tensor, G_y: torch.Tensor, x: torch.Tensor, F_x: torch.Tensor) -> torch.Tensor:
    """``mean |G(y) - y| + mean |F(x) - x|``: each generator fed an image already in its target domain should leave
    it as it is (L1, mean over pixels and images, summed over the two). y, G_y alike; x, F_x alike. Scalar >= 0."""
    _same_shape(("y", "G_y"), y, G_y, "of images")
    _same_shape(("x", "F_x"), x, F_x, "of images")
    return (G_y - y).abs().mean() + (F_x - x).abs().mean()


def domain_classification_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """StarGAN's domain classification loss: binary cross-entropy of each attribute logit against its 0/1 target,
    **summed over the attributes** and averaged over the batch (the authors' ``binary_cross_entropy_with_logits(
    ..., reduction='sum') / B``). logits, target: (B, n) alike. Scalar tensor >= 0."""
    _same_shape(("logits", "target"), logits, target, "of attribute logits (B, n)")
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (B, n): one logit per attribute, got {tuple(logits.shape)}")
    target = target.to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / logits.shape[0]


def reconstruction_l1(x: torch.Tensor, x_rec: torch.Tensor) -> torch.Tensor:
    """``mean |x_rec - x|`` over pixels and images: StarGAN's reconstruction loss, with x_rec = G(G(x, c), c′) and
    c′ the original label (CycleGAN's cycle loss in one direction). x, x_rec: (B, C, H, W) alike. Scalar >= 0."""
    _same_shape(("x", "x_rec"), x, x_rec, "of images")
    return (x_rec - x).abs().mean()


def wasserstein_critic_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """The WGAN critic's loss ``mean D(G(x)) - mean D(x)`` on raw scores (no sigmoid), any shape (B, ...) each:
    the critic lowers it by scoring real images higher than generated ones. Add ``gradient_penalty``."""
    for name, value in (("real_out", real_out), ("fake_out", fake_out)):
        _checks.tensor(name, value)
        if value.ndim == 0 or value.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty batch of critic scores, got shape {tuple(value.shape)}")
    return fake_out.mean() - real_out.mean()


def wasserstein_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """The WGAN generator's loss ``-mean D(G(x))``: raise the critic's score of what it makes."""
    _checks.tensor("fake_out", fake_out)
    if fake_out.ndim == 0 or fake_out.shape[0] == 0:
        raise ValueError(f"fake_out must be a non-empty batch of critic scores, got shape {tuple(fake_out.shape)}")
    return -fake_out.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None, alpha: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al., 2017): ``mean (‖∇x̂ critic(x̂)‖₂ - 1)²`` at x̂ = α·real + (1 - α)·fake,
    one α ~ U(0, 1) per image drawn from ``generator`` (or given: ``alpha`` of shape (B,)); the gradient's norm
    is taken over each image's pixels.
    ``critic(x)`` may return a tensor or a tuple whose first item is the score (StarGAN's D returns (src, cls)).
    The graph is kept (``create_graph=True``) so that the penalty can be minimised. Scalar tensor >= 0."""
    if not callable(critic):
        raise TypeError(f"critic must be a module or function of images, got {type(critic).__name__}")
    _same_shape(("real", "fake"), real, fake, "of images")
    _checks.rng("generator", generator)
    if alpha is None:
        alpha = torch.rand(real.shape[0], generator=generator)
    _checks.tensor("alpha", alpha, ndim=1)
    if alpha.shape[0] != real.shape[0]:
        raise ValueError(f"alpha must hold one mixing weight per image, shape ({real.shape[0]},), "
                         f"got {tuple(alpha.shape)}")
    alpha = alpha.to(real).reshape(-1, *([1] * (real.ndim - 1)))
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    score = critic(mixed)
    score = score[0] if isinstance(score, (tuple, list)) and len(score) > 0 else score
    if not isinstance(score, torch.Tensor):
        raise TypeError(f"critic(x) must return a tensor of scores, or a tuple whose first item is one, "
                        f"got {type(score).__name__}")
    if not score.requires_grad:
        raise ValueError("critic(x)'s score must depend differentiably on x (is the critic run under "
                         "torch.no_grad(), or does it detach its input?)")
    grad, = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()
