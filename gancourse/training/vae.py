"""The VAE family: the ELBO's two terms as separate functions, and the family that the one training loop runs.

For an image x the VAE maximises the evidence lower bound

    ELBO(x) = E_{z ~ q(z|x)}[log p(x | z)] - KL(q(z | x) || N(0, I))  <=  log p(x),

i.e. it minimises ``reconstruction_loss`` (the negative expected log-likelihood, one sample of z) plus
``kl_to_standard_normal`` (both in ``gancourse.losses``, re-exported here). Both are in nats per image (summed over pixels or latent dimensions, averaged over the
batch). The pixel model is Bernoulli: the target of a pixel x in [-1, 1] is its intensity (x + 1) / 2.

* ``vae_loss`` — the objective, from the two terms;
* ``VAEFamily`` — one step = one Adam update on ``vae_loss``; a fixed batch of prior codes decoded at every
  sample point;
* ``train_vae`` — ``gancourse.training.train(VAEFamily(...), data, ...)`` in one call.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

import torch

from gancourse import _checks
from gancourse.losses import kl_to_standard_normal, reconstruction_loss
from gancourse.models.vae import VAE
from gancourse.sampling import evaluating
from gancourse.training.gan import adam, images_of
from gancourse.training.history import History
from gancourse.training.loop import Family, train


def vae_loss(model: VAE, images: torch.Tensor, generator: torch.Generator | None = None):
    """The negative ELBO of ``images`` (B, C, H, W) in [-1, 1], one reparameterised sample of z per image drawn
    from ``generator``. Returns (loss, reconstruction, kl), scalar tensors in nats per image, loss = the sum."""
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a gancourse.models.VAE, got {type(model).__name__}")
    _checks.tensor("images", images, ndim=4)
    _checks.rng("generator", generator)
    logits, mean, logvar = model(images, generator)
    reconstruction = reconstruction_loss(logits, images)
    kl = kl_to_standard_normal(mean, logvar)
    return reconstruction + kl, reconstruction, kl


class VAEFamily(Family):
    """A VAE trained by Adam on the negative ELBO; at every sample point a fixed batch of prior codes is decoded."""

    def __init__(self, model: VAE, *,
                 lr: float = 1e-3,                              # Adam learning rate (Kingma & Welling used Adagrad)
                 betas: tuple[float, float] = (0.9, 0.999),     # Adam's defaults
                 n_samples: int = 64):                          # prior codes decoded at each sample point
        if not isinstance(model, VAE):
            raise TypeError(f"model must be a gancourse.models.VAE, got {type(model).__name__}")
        self.model, self.lr, self.betas = model, _checks.positive_float("lr", lr), betas
        self.n_samples = _checks.positive_int("n_samples", n_samples)
        self.models = {"vae": model}
        self.optimizers = {"opt": adam(model, lr, betas)}

    def setup(self, device, rng):
        super().setup(device, rng)
        self.fixed_codes = torch.randn(self.n_samples, self.model.latent_dim, generator=rng).to(self.device)

    def train_step(self, batch, rng):
        _checks.rng("rng", rng)
        images = self.to_device(_checks.tensor("batch", images_of(batch), ndim=4))
        opt = self.optimizers["opt"]
        opt.zero_grad(set_to_none=True)
        loss, reconstruction, kl = vae_loss(self.model, images, rng)
        loss.backward()
        opt.step()
        return {"loss": loss.item(), "reconstruction": reconstruction.item(), "kl": kl.item()}

    def sample(self):
        with evaluating(self.model):
            return self.model.decode(self.fixed_codes).cpu()

    def config(self):
        return {"latent_dim": self.model.latent_dim, "hidden_dim": self.model.hidden_dim,
                "image_shape": list(self.model.image_shape), "lr": self.lr, "betas": list(self.betas)}


def train_vae(model: VAE, data: Iterable, *, steps: int, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
              n_samples: int = 64, device=None, sample_every: int | None = None, sample_at_start: bool = True,
              seed: int = 0, callbacks: Iterable[Callable] = (), checkpoint: str | os.PathLike | None = None,
              resume: bool = False, progress: bool = True, desc: str = "Training VAE") -> History:
    """Train a VAE until step ``steps`` with the one training loop; the arguments are ``VAEFamily``'s and
    ``gancourse.training.train``'s (callbacks are ``fn(step, history, family)``). The ``History`` has ``loss``
    (the negative ELBO), ``reconstruction`` and ``kl`` per step, in nats per image, and the decoded prior codes
    at every sample point."""
    family = VAEFamily(model, lr=lr, betas=betas, n_samples=n_samples)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=sample_at_start,
                 seed=seed, callbacks=callbacks, checkpoint=checkpoint, resume=resume, progress=progress, desc=desc)
