"""The VAE family: the ELBO's two terms as separate functions, and the family that the one training loop runs.

For an image x the VAE maximises the evidence lower bound

    ELBO(x) = E_{z ~ q(z|x)}[log p(x | z)] - KL(q(z | x) || N(0, I))  <=  log p(x),

i.e. it minimises ``reconstruction_loss`` (the negative expected log-likelihood, one sample of z) plus
``kl_to_standard_normal`` (both in ``gancourse.losses``, re-exported here). Both are in nats per image (summed over pixels or latent dimensions, averaged over the
batch). The pixel model is Bernoulli: the target of a pixel x in [-1, 1] is its intensity (x + 1) / 2.

* ``vae_loss`` — the objective, from the two terms;
* ``VAEFamily`` — one step = one Adam update on ``vae_loss``; a fixed batch of prior codes decoded at every
  sample point;
* ``train_vae`` — ``gancourse.training.train(VAEFamily(...), data, ...)`` in one call;
* ``elbo`` — the ELBO of binary images, a model's measure (analytic KL, reconstruction averaged over seeded draws);
* ``save_vae`` / ``load_vae`` — write and read a VAE's weights (the shipped ``vae_mnist`` too).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import torch

from gancourse import _checks
from gancourse.losses import kl_to_standard_normal, reconstruction_loss
from gancourse.metrics.likelihood import _binary_vae_images
from gancourse.models.vae import VAE
from gancourse.sampling import evaluating
from gancourse.training.checkpoints import read_states, write_states
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


@torch.no_grad()
def elbo(vae: VAE, images: torch.Tensor, samples: int = 10, generator: torch.Generator | None = None,
         batch_size: int = 500) -> dict[str, float]:
    """The ELBO of binary ``images`` (B, C, H, W), values -1 or 1, in nats per image (the mean over images), in
    eval mode: the KL term analytic, the reconstruction term averaged over ``samples`` reparameterised draws of z
    per image. Draws come from ``generator`` (torch's global one if None) in a fixed order — per batch of
    ``batch_size`` images, ``samples`` draws of the whole batch — so the same generator state and ``batch_size``
    give the same figure. Returns ``{"elbo": ..., "reconstruction": ..., "kl": ...}`` with elbo = -(reconstruction
    + kl) <= log p(x) (only a bound on binary pixels, whose Bernoulli likelihood is a probability)."""
    _binary_vae_images(vae, images)
    _checks.positive_int("samples", samples)
    _checks.rng("generator", generator)
    _checks.positive_int("batch_size", batch_size)
    device = next(vae.parameters()).device
    reconstruction = kl = 0.0
    with evaluating(vae):
        for x in images.split(batch_size):
            x = x.to(device)
            mean, logvar = vae.encode(x)
            kl += kl_to_standard_normal(mean, logvar).item() * x.shape[0]
            for _ in range(samples):
                logits, _, _ = vae(x, generator)
                reconstruction += reconstruction_loss(logits, x).item() * x.shape[0] / samples
    n = images.shape[0]
    return {"elbo": -(reconstruction + kl) / n, "reconstruction": reconstruction / n, "kl": kl / n}


PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"


def save_vae(path: str | os.PathLike, vae: VAE, info: dict | None = None) -> Path:
    """Write ``vae``'s weights (float32, CPU) and its sizes to ``path``, with ``info`` as JSON beside it (``.json``)."""
    if not isinstance(vae, VAE):
        raise TypeError(f"vae must be a gancourse.models.VAE, got {type(vae).__name__}")
    if info is not None and not isinstance(info, dict):
        raise TypeError(f"info must be a dict of JSON-ready facts or None, got {type(info).__name__}")
    states = {"vae": {k: v.detach().float().cpu() for k, v in vae.state_dict().items()},
              "sizes": {"latent_dim": vae.latent_dim, "hidden_dim": vae.hidden_dim,
                        "image_shape": list(vae.image_shape)}}
    return write_states(path, states, config=info)


def load_vae(path_or_name: str | os.PathLike = "vae_mnist") -> VAE:
    """A VAE written by ``save_vae``: a file path, or the name of a shipped one (``"vae_mnist"``, built by
    ``scripts/build_pretrained_vae.py`` on the RBM's binarised MNIST), read into float32 on the CPU in eval mode.
    Raises FileNotFoundError if there is no such file."""
    path = _checks.path("path_or_name", path_or_name)
    if not path.suffix and not path.exists():
        path = PRETRAINED_DIR / f"{path}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no VAE at path_or_name={str(path_or_name)!r} (looked for {path}); the shipped one "
                                "is built by python scripts/build_pretrained_vae.py")
    states = read_states(path, map_location="cpu")
    if "vae" not in states or "sizes" not in states:
        raise ValueError(f"path_or_name={str(path_or_name)!r} ({path}) is not a VAE written by "
                         "gancourse.training.vae.save_vae")
    sizes = dict(states["sizes"])
    vae = VAE(sizes["latent_dim"], sizes["hidden_dim"], tuple(sizes["image_shape"]))
    vae.load_state_dict(states["vae"])
    return vae.eval()
