"""The conditional GAN family: ``gancourse.training.gan``'s two steps with a class label beside every image.

* ``d_step`` — (1) update D: real pairs (x, y) → 1, generated pairs (G(z, y), y) → 0, the fake batch detached,
  and (optionally) real images with a wrong label → 0;
* ``g_step`` — (2) update G: make D call (G(z, y), y) real, for labels drawn uniformly;
* ``ConditionalGAN`` — the family the one training loop runs: a fixed class × noise grid drawn at every sample
  point, D(x, y) and D(G(z, y), y) measured there, and with a classifier the class accuracy
  (``gancourse.metrics.class_accuracy``);
* ``train_cgan`` — ``gancourse.training.train(ConditionalGAN(...), data, ...)`` in one call.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

import torch
from torch import nn

from gancourse import _checks
from gancourse.losses import bce_with_logits, discriminator_loss, generator_loss
from gancourse.metrics.labels import class_accuracy
from gancourse.sampling import evaluating, grid_inputs, sample_labels, sample_noise
from gancourse.training.gan import adam, check_step_args, frozen, networks_callbacks
from gancourse.training.history import History
from gancourse.training.loop import Family, train


def mismatched_labels(labels: torch.Tensor, n_classes: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """For each label y, a different class drawn uniformly from the other n_classes - 1: (y + k) mod n_classes, k in [1, n)."""
    _checks.class_labels("labels", labels)
    if _checks.positive_int("n_classes", n_classes) < 2:
        raise ValueError("mismatched labels need at least 2 classes")
    shift = torch.randint(1, n_classes, labels.shape, generator=generator).to(labels.device)
    return (labels + shift) % n_classes


def d_step(D: nn.Module, G: nn.Module, real: torch.Tensor, labels: torch.Tensor, noise: torch.Tensor,
           opt_D: torch.optim.Optimizer, wrong_labels: torch.Tensor | None = None) -> float:
    """One discriminator update on labelled data; returns the discriminator loss as a float.

    (1) Update D: maximise log D(x, y) + log(1 - D(G(z, y), y)). The generated images get the *same* labels as
    the real batch, so that D compares real and generated images of the same classes. With ``wrong_labels``
    (the matching-aware discriminator of Reed et al., 2016) real images paired with a wrong class count as fakes
    too: the loss gains ``-mean log(1 - D(x, y_wrong))``, which teaches D what class each image shows.
    """
    _checks.optimizer("opt_D", opt_D)
    check_step_args(D, G, opt_D)
    _checks.tensor("real", real, ndim=4)
    _checks.tensor("noise", noise, ndim=2)
    if isinstance(wrong_labels, torch.Tensor) and wrong_labels.is_floating_point():
        _checks.tensor("wrong_labels", wrong_labels, ndim=2)    # label rows (B, K), e.g. multi-hot
    elif wrong_labels is not None:
        _checks.class_labels("wrong_labels", wrong_labels)      # class indices (B,)
    opt_D.zero_grad(set_to_none=True)
    fake = G(noise, labels).detach()            # cut the graph: no gradient flows back into G
    loss = discriminator_loss(D(real, labels), D(fake, labels))
    if wrong_labels is not None:
        loss = loss + bce_with_logits(D(real, wrong_labels), 0.0)     # a real image with the wrong label is fake
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step(D: nn.Module, G: nn.Module, noise: torch.Tensor, labels: torch.Tensor, opt_G: torch.optim.Optimizer,
           non_saturating: bool = True) -> float:
    """One generator update; returns the generator loss as a float.

    (2) Update G: make D(G(z, y), y) large, i.e. images that D accepts *as class y*. Only G's optimiser steps.
    """
    _checks.optimizer("opt_G", opt_G)
    check_step_args(D, G, opt_G)
    _checks.tensor("noise", noise, ndim=2)
    opt_G.zero_grad(set_to_none=True)
    loss = generator_loss(D(G(noise, labels), labels), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


def labelled(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(images, labels) of a labelled batch, or a ValueError that says what a conditional GAN needs."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError(f"batch must be a pair (images, labels): a conditional GAN needs labelled data, "
                         f"e.g. load_images(name, batch_size=...); got {type(batch).__name__}")
    return batch[0], batch[1]


class ConditionalGAN(Family):
    """A conditional GAN: ``generator(z, labels)`` with ``latent_dim`` and ``n_classes`` attributes, and
    ``discriminator(images, labels)`` returning (B,) logits. One step is ``d_step`` then ``g_step``."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *,
                 lr: float = 2e-4,                              # Adam learning rate of G (and of D unless lr_D is given)
                 lr_D: float | None = None,                     # D's learning rate; None: the same as G's
                 betas: tuple[float, float] = (0.5, 0.999),     # Adam betas (DCGAN paper)
                 mismatched: bool = True,                       # also show D real images with wrong labels
                 n_columns: int = 10,                           # the fixed grid: n_classes rows × n_columns noise vectors
                 classifier: nn.Module | None = None,           # if given, the class accuracy at every sample point
                 accuracy_per_class: int = 100,                 # samples per class for that measurement
                 seed: int = 0,                                 # seeds the fixed grid and the accuracy's noise
                 opt_G: torch.optim.Optimizer | None = None, opt_D: torch.optim.Optimizer | None = None,
                 d_step_fn: Callable = d_step, g_step_fn: Callable = g_step):
        self.G, self.D = _checks.module("generator", generator), _checks.module("discriminator", discriminator)
        self.latent_dim, self.n_classes = getattr(generator, "latent_dim", None), getattr(generator, "n_classes", None)
        if self.latent_dim is None or self.n_classes is None:
            raise ValueError("the generator needs latent_dim and n_classes attributes, as ConditionalGenerator has")
        self.lr, self.betas = _checks.positive_float("lr", lr), betas
        self.lr_D = _checks.positive_float("lr_D", lr_D) if lr_D is not None else self.lr
        self.mismatched = _checks.boolean("mismatched", mismatched)
        self.n_columns = _checks.positive_int("n_columns", n_columns)
        if classifier is not None:
            _checks.module("classifier", classifier)
        self.classifier, self.accuracy_per_class = classifier, _checks.positive_int("accuracy_per_class", accuracy_per_class)
        self.seed = _checks.seed("seed", seed)
        for name, fn in (("d_step_fn", d_step_fn), ("g_step_fn", g_step_fn)):
            if not callable(fn):
                raise TypeError(f"{name} must be a function, got {type(fn).__name__}")
        self.d_step_fn, self.g_step_fn = d_step_fn, g_step_fn
        for name, opt in (("opt_G", opt_G), ("opt_D", opt_D)):
            if opt is not None:
                _checks.optimizer(name, opt)
        self.models = {"generator": self.G, "discriminator": self.D}
        self.optimizers = {"opt_G": opt_G or adam(self.G, self.lr, betas), "opt_D": opt_D or adam(self.D, self.lr_D, betas)}

    def setup(self, device, rng):
        super().setup(device, rng)
        self.fixed = tuple(t.to(device) for t in grid_inputs(self.n_classes, self.n_columns, self.latent_dim, self.seed))

    def train_step(self, batch, rng):
        _checks.rng("rng", rng)
        real, cpu_labels = labelled(batch)
        real, labels = self.to_device(real), self.to_device(cpu_labels)
        b = real.shape[0]
        noise = sample_noise(b, self.latent_dim, generator=rng).to(self.device)
        wrong = mismatched_labels(cpu_labels, self.n_classes, generator=rng).to(self.device) if self.mismatched else None
        with frozen(self.G):               # the D step needs no gradient in G (its fakes are detached)
            loss_D = self.d_step_fn(self.D, self.G, real, labels, noise, self.optimizers["opt_D"], wrong_labels=wrong)
        noise = sample_noise(b, self.latent_dim, generator=rng).to(self.device)
        fake_labels = sample_labels(b, self.n_classes, generator=rng).to(self.device)
        with frozen(self.D):               # the G step's gradients in D would be thrown away by the next D step
            loss_G = self.g_step_fn(self.D, self.G, noise, fake_labels, self.optimizers["opt_G"])
        return {"loss_D": float(loss_D), "loss_G": float(loss_G)}

    def sample(self):
        with evaluating(self.G):
            return self.G(*self.fixed).cpu()

    def measure(self, batch):
        real, labels = labelled(batch)
        with evaluating(self.G, self.D):
            numbers = {"D_real": torch.sigmoid(self.D(real.to(self.device), labels.to(self.device))).mean().item(),
                       "D_fake": torch.sigmoid(self.D(self.G(*self.fixed), self.fixed[1])).mean().item()}
        if self.classifier is not None:
            numbers["accuracy"] = class_accuracy(self.G, self.classifier, self.accuracy_per_class, seed=self.seed + 1)
        return numbers

    def config(self):
        return {"latent_dim": self.latent_dim, "n_classes": self.n_classes, "lr": self.lr, "lr_D": self.lr_D,
                "betas": list(self.betas), "mismatched": self.mismatched}


def train_cgan(generator: nn.Module, discriminator: nn.Module, data: Iterable, *, steps: int,
               lr: float = 2e-4, lr_D: float | None = None, betas: tuple[float, float] = (0.5, 0.999),
               mismatched: bool = True, device=None, n_columns: int = 10, sample_every: int | None = None,
               sample_at_start: bool = True, classifier: nn.Module | None = None, accuracy_per_class: int = 100,
               seed: int = 0, opt_G: torch.optim.Optimizer | None = None, opt_D: torch.optim.Optimizer | None = None,
               d_step_fn: Callable = d_step, g_step_fn: Callable = g_step, callbacks: Iterable[Callable] = (),
               checkpoint: str | os.PathLike | None = None, resume: bool = False, progress: bool = True,
               desc: str = "Training conditional GAN") -> History:
    """Train a conditional GAN until step ``steps`` with the one training loop; the arguments are
    ``ConditionalGAN``'s and ``gancourse.training.train``'s. ``data`` yields (images, labels) batches; callbacks are
    ``fn(step, history, generator, discriminator)``. The ``History`` has ``loss_D``, ``loss_G`` per step and
    ``D_real``, ``D_fake`` (and ``accuracy`` with a classifier) per sample point; ``history.first_reaching("accuracy",
    0.9)`` gives the step and training seconds when the class accuracy first reached 90 %."""
    family = ConditionalGAN(generator, discriminator, lr=lr, lr_D=lr_D, betas=betas, mismatched=mismatched,
                            n_columns=n_columns, classifier=classifier, accuracy_per_class=accuracy_per_class,
                            seed=seed, opt_G=opt_G, opt_D=opt_D, d_step_fn=d_step_fn, g_step_fn=g_step_fn)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=sample_at_start,
                 seed=seed, callbacks=networks_callbacks(callbacks), checkpoint=checkpoint, resume=resume,
                 progress=progress, desc=desc)
