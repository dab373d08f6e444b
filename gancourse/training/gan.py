"""The GAN family: its two steps as plain functions, and the family that the one training loop runs.

* ``d_step`` — (1) update D: maximise log D(x) + log(1 - D(G(z))), on a detached fake batch;
* ``g_step`` — (2) update G: make D call its samples real (non-saturating loss by default);
* ``GAN`` — the family: networks, Adam optimisers, one step = ``d_step`` then ``g_step`` (yours if you pass
  them; ``d_steps=k`` D updates per G update, ``g_first=True`` the other order, for experiments), a fixed noise
  batch drawn through G at every sample point, and D(x), D(G(z)) measured there. Settings beyond the 2016
  recipe (notebook 01 trains with some, notebook 03 measures them): ``loss="hinge"``, D's own learning rate
  ``lr_D`` (two time scales) and ``ema`` or ``average``, an exponential moving average of G's weights
  (``weight_average``: torch's ``AveragedModel``) that the sample points draw from;
* ``train_gan`` — ``gancourse.training.train(GAN(...), data, ...)`` in one call.

Any G mapping (B, latent_dim) noise to images and any D mapping images to (B,) logits will do.
"""
from __future__ import annotations

import inspect
import os
from contextlib import contextmanager
from typing import Callable, Iterable

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gancourse import _checks
from gancourse.losses import discriminator_loss, generator_loss, hinge_discriminator_loss, hinge_generator_loss
from gancourse.sampling import evaluating, sample_noise
from gancourse.training.history import History
from gancourse.training.loop import Family, train


def check_step_args(D: nn.Module, G: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Raise a clear TypeError unless D and G are modules and ``optimizer`` is an optimiser."""
    _checks.module("D", D)
    _checks.module("G", G)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")


LOSSES = ("bce", "hinge")      # the adversarial losses d_step and g_step know (gancourse.losses)


def d_step(D: nn.Module, G: nn.Module, real: torch.Tensor, noise: torch.Tensor, opt_D: torch.optim.Optimizer,
           loss: str = "bce") -> float:
    """One discriminator update; returns the discriminator loss as a float.

    (1) Update D network: maximise log D(x) + log(1 - D(G(z))), i.e. minimise BCE with real = 1, fake = 0.
    The fake batch is *detached*: this step must not compute (or accumulate) gradients in G.
    ``loss="hinge"``: minimise ``hinge_discriminator_loss`` instead.
    """
    _checks.optimizer("opt_D", opt_D)
    check_step_args(D, G, opt_D)
    _checks.tensor("real", real, ndim=4)
    _checks.tensor("noise", noise, ndim=2)
    d_loss = {"bce": discriminator_loss, "hinge": hinge_discriminator_loss}[_checks.one_of("loss", loss, LOSSES)]
    opt_D.zero_grad(set_to_none=True)
    fake = G(noise).detach()                    # cut the graph: no gradient flows back into G
    value = d_loss(D(real), D(fake))
    value.backward()
    opt_D.step()
    return value.item()


def g_step(D: nn.Module, G: nn.Module, noise: torch.Tensor, opt_G: torch.optim.Optimizer,
           non_saturating: bool = True, loss: str = "bce") -> float:
    """One generator update; returns the generator loss as a float.

    (2) Update G network: make D(G(z)) large (non-saturating: minimise -log D(G(z))).
    Gradients flow through D into G, but only G's optimiser steps: D's weights stay as they are.
    ``loss="hinge"``: minimise ``hinge_generator_loss`` (``non_saturating`` does not apply to it).
    """
    _checks.optimizer("opt_G", opt_G)
    check_step_args(D, G, opt_G)
    _checks.tensor("noise", noise, ndim=2)
    _checks.one_of("loss", loss, LOSSES)
    _checks.boolean("non_saturating", non_saturating)
    opt_G.zero_grad(set_to_none=True)
    logits = D(G(noise))
    value = hinge_generator_loss(logits) if loss == "hinge" else generator_loss(logits, non_saturating=non_saturating)
    value.backward()
    opt_G.step()
    return value.item()


@contextmanager
def frozen(module: nn.Module):
    """Run the block with ``module``'s parameters not requiring gradients, then put each flag back. Autograd then
    builds no graph through them and computes no gradient for them: the same updates, less work."""
    params = list(_checks.module("module", module).parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def images_of(batch) -> torch.Tensor:
    """The images of a batch: the batch itself, or the first item of an (images, labels) pair."""
    if isinstance(batch, (tuple, list)) and not batch:
        raise ValueError("batch is empty: expected images, or a pair (images, labels)")
    return _checks.tensor("batch", batch[0] if isinstance(batch, (tuple, list)) else batch)


def adam(module: nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Adam over ``module``'s parameters, with the arguments checked."""
    _checks.module("module", module)
    _checks.positive_float("lr", lr)
    if (not isinstance(betas, (tuple, list)) or len(betas) != 2
            or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas)):
        raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
    return torch.optim.Adam(module.parameters(), lr=lr, betas=tuple(betas))


def weight_average(generator: nn.Module, decay: float = 0.999) -> AveragedModel:
    """An exponential moving average of ``generator``'s weights and batch-norm statistics (torch's
    ``AveragedModel``): ``update_parameters(generator)`` sets average ← decay·average + (1 − decay)·weights (the
    first call copies them). Its ``.module`` is a generator like ``generator``, to sample from. Give it to
    ``train_gan(..., average=...)``, which updates it after every generator step."""
    _checks.module("generator", generator)
    decay = _checks.number("decay", decay, 0.0, 1.0, high_open=True)
    return AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


class GAN(Family):
    """An unconditional GAN: each training step is ``d_step`` then ``g_step``, each on fresh noise."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *, latent_dim: int | None = None,
                 lr: float = 2e-4,                              # Adam learning rate for both networks (DCGAN paper)
                 betas: tuple[float, float] = (0.5, 0.999),     # Adam betas (DCGAN paper: beta1 = 0.5)
                 non_saturating: bool = True,                   # generator loss form
                 d_steps: int = 1,                              # D updates per G update (k of Goodfellow's Alg. 1)
                 g_first: bool = False,                         # update G before D in each step (an experiment)
                 opt_G: torch.optim.Optimizer | None = None, opt_D: torch.optim.Optimizer | None = None,
                 d_step_fn: Callable = d_step, g_step_fn: Callable = g_step,
                 fixed_noise: torch.Tensor | None = None,       # the batch drawn at each sample point
                 n_samples: int = 64,                           # its size if none is given
                 loss: str = "bce",                             # "bce" (the original GAN) or "hinge"
                 lr_D: float | None = None,                     # D's own Adam rate (None: lr; two time scales)
                 ema: float = 0.0,                              # decay of G's weight average (0: none), e.g. 0.999
                 average: AveragedModel | None = None):         # or your own weight_average(G) to keep hold of
        self.G, self.D = _checks.module("generator", generator), _checks.module("discriminator", discriminator)
        latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("latent_dim is needed: pass latent_dim=..., since the generator has no latent_dim attribute")
        self.latent_dim = _checks.positive_int("latent_dim", latent_dim)
        self.non_saturating = _checks.boolean("non_saturating", non_saturating)
        self.d_steps, self.g_first = _checks.positive_int("d_steps", d_steps), _checks.boolean("g_first", g_first)
        for name, fn in (("d_step_fn", d_step_fn), ("g_step_fn", g_step_fn)):
            if not callable(fn):
                raise TypeError(f"{name} must be a function, got {type(fn).__name__}")
        self.d_step_fn, self.g_step_fn = d_step_fn, g_step_fn
        if fixed_noise is not None:
            _checks.tensor("fixed_noise", fixed_noise, ndim=2)
        self.fixed_noise, self.n_samples = fixed_noise, _checks.positive_int("n_samples", n_samples)
        self.loss = _checks.one_of("loss", loss, LOSSES)
        self._loss_kw = {} if self.loss == "bce" else {"loss": self.loss}     # step functions get loss= only if set
        for name, fn in (("d_step_fn", d_step_fn), ("g_step_fn", g_step_fn)):
            if self.loss != "bce" and "loss" not in inspect.signature(fn).parameters:
                raise ValueError(f"loss={loss!r} needs step functions that take loss=...; {name} does not "
                                 f"(use gancourse's d_step and g_step, or loss='bce')")
        self.lr, self.betas = lr, betas
        self.lr_D = lr if lr_D is None else _checks.positive_float("lr_D", lr_D)
        for name, opt in (("opt_G", opt_G), ("opt_D", opt_D)):
            if opt is not None:
                _checks.optimizer(name, opt)
        self.models = {"generator": self.G, "discriminator": self.D}
        self.optimizers = {"opt_G": opt_G or adam(self.G, lr, betas), "opt_D": opt_D or adam(self.D, self.lr_D, betas)}
        self.ema = _checks.number("ema", ema, 0.0, 1.0, high_open=True)
        if average is not None:
            if not isinstance(average, AveragedModel):
                raise TypeError(f"average must be a weight average of the generator (weight_average(G)), "
                                f"got {type(average).__name__}")
            if self.ema:
                raise ValueError("give either ema (a decay: the family makes the average) or average, not both")
            if type(average.module) is not type(self.G):
                raise ValueError(f"average must average this generator ({type(self.G).__name__}), "
                                 f"got an average of a {type(average.module).__name__}")
        elif self.ema:                   # a running average of G's weights and batch-norm statistics
            average = weight_average(self.G, self.ema)
        self.G_ema = average
        if average is not None:
            self.models["generator_ema"] = average

    def setup(self, device, rng):
        super().setup(device, rng)
        if self.fixed_noise is None:
            self.fixed_noise = sample_noise(self.n_samples, self.latent_dim, generator=rng)
        self.fixed_noise = self.fixed_noise.to(device)

    def noise(self, batch_size: int, rng: torch.Generator) -> torch.Tensor:
        _checks.rng("rng", rng)
        return sample_noise(batch_size, self.latent_dim, generator=rng).to(self.device)

    @property
    def sampler(self) -> nn.Module:
        """The generator that sample points draw from: G's weight average if ``ema`` is set, else G itself."""
        return self.G_ema.module if self.G_ema is not None else self.G

    def train_step(self, batch, rng):
        _checks.rng("rng", rng)
        real = self.to_device(_checks.tensor("batch", images_of(batch), ndim=4))
        if self.g_first:
            loss_G = self._g_update(real.shape[0], rng)
        losses_D = []
        for _ in range(self.d_steps):      # k > 1: the same real batch, fresh noise each time
            with frozen(self.G):           # the D step needs no gradient in G (its fakes are detached)
                losses_D.append(float(self.d_step_fn(self.D, self.G, real, self.noise(real.shape[0], rng),
                                                     self.optimizers["opt_D"], **self._loss_kw)))
        if not self.g_first:
            loss_G = self._g_update(real.shape[0], rng)
        return {"loss_D": sum(losses_D) / len(losses_D), "loss_G": loss_G}

    def _g_update(self, batch_size: int, rng: torch.Generator) -> float:
        with frozen(self.D):               # the G step's gradients in D would be thrown away by the next D step
            loss = float(self.g_step_fn(self.D, self.G, self.noise(batch_size, rng), self.optimizers["opt_G"],
                                        non_saturating=self.non_saturating, **self._loss_kw))
        if self.G_ema is not None:
            self.G_ema.update_parameters(self.G)
        return loss

    def sample(self):
        with evaluating(self.sampler):
            return self.sampler(self.fixed_noise).cpu()

    def measure(self, batch):
        """The mean probabilities D(x) on the latest real batch and D(G(z)) on the fixed noise, in eval mode."""
        real = _checks.tensor("batch", images_of(batch), ndim=4)
        with evaluating(self.G, self.D):
            d_real = torch.sigmoid(self.D(self.to_device(real))).mean().item()
            d_fake = torch.sigmoid(self.D(self.G(self.fixed_noise))).mean().item()
        return {"D_real": d_real, "D_fake": d_fake}

    def config(self):
        return {"latent_dim": self.latent_dim, "lr": self.lr, "lr_D": self.lr_D, "betas": list(self.betas),
                "non_saturating": self.non_saturating, "d_steps": self.d_steps, "g_first": self.g_first,
                "loss": self.loss, "ema": self.ema}


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data: Iterable,
    *,
    steps: int,
    latent_dim: int | None = None,
    lr: float = 2e-4,                              # Adam learning rate for both networks (DCGAN paper)
    betas: tuple[float, float] = (0.5, 0.999),     # Adam betas (DCGAN paper: beta1 = 0.5)
    non_saturating: bool = True,                   # generator loss form
    d_steps: int = 1,                              # D updates per G update (k of Goodfellow's Algorithm 1)
    g_first: bool = False,                         # update G before D in each step (an experiment)
    loss: str = "bce",                             # "bce" or "hinge"
    lr_D: float | None = None,                     # D's own learning rate (None: lr)
    ema: float = 0.0,                              # decay of G's weight average that samples come from (0: none)
    average: AveragedModel | None = None,          # or a weight_average(generator) of your own, updated in place
    device=None,                                   # None: gancourse.get_device()
    fixed_noise: torch.Tensor | None = None,       # the batch drawn at each sample point
    n_samples: int = 64,                           # size of the fixed noise batch if none is given
    sample_every: int | None = None,               # None: 10 sample points over the run
    sample_at_start: bool = True,                  # also a sample point at step 0 (the untrained G)
    seed: int = 0,                                 # seeds the fixed noise and the noise of every step
    opt_G: torch.optim.Optimizer | None = None,
    opt_D: torch.optim.Optimizer | None = None,
    d_step_fn: Callable = d_step,
    g_step_fn: Callable = g_step,
    callbacks: Iterable[Callable] = (),            # fn(step, history, generator, discriminator); True stops
    checkpoint: str | os.PathLike | None = None,   # written at every sample point and at the end
    resume: bool = False,                          # continue from `checkpoint` if it exists
    progress: bool = True,
    desc: str = "Training GAN",
) -> History:
    """Train a GAN until step ``steps`` with the one training loop and return the measured ``History``
    (``loss_D``, ``loss_G`` per step; ``D_real``, ``D_fake`` and G's images for the fixed noise at each sample point;
    with ``ema`` or ``average`` the images come from G's weight average, whose ``.module`` is a generator)."""
    family = GAN(generator, discriminator, latent_dim=latent_dim, lr=lr, betas=betas, non_saturating=non_saturating,
                 d_steps=d_steps, g_first=g_first, opt_G=opt_G, opt_D=opt_D, d_step_fn=d_step_fn, g_step_fn=g_step_fn,
                 fixed_noise=fixed_noise, n_samples=n_samples, loss=loss, lr_D=lr_D, ema=ema,
                 average=average)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=sample_at_start,
                 seed=seed, callbacks=networks_callbacks(callbacks), checkpoint=checkpoint, resume=resume,
                 progress=progress, desc=desc)


def networks_callbacks(callbacks: Iterable[Callable]) -> list[Callable]:
    """Adapt ``fn(step, history, generator, discriminator)`` callbacks to the loop's ``fn(step, history, family)``.
    The generator they get is the one samples come from: G, or its weight average when the family keeps one."""
    if isinstance(callbacks, (str, bytes, torch.Tensor)) or not isinstance(callbacks, Iterable):
        raise TypeError(f"callbacks must be a list of functions, got {type(callbacks).__name__}")
    adapted = []
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be functions fn(step, history, generator, discriminator), "
                            f"got {type(callback).__name__}")
        adapted.append(lambda step, history, family, fn=callback: fn(step, history, getattr(family, "sampler", family.G),
                                                                        family.D))
    return adapted
