"""A conditional GAN on multi-hot labels: the digit (one-hot) and several binary attributes at once.

The networks are notebook 04's ``ConditionalGenerator`` and ``ConditionalDiscriminator`` with ``n_classes=13``:
both already accept float label rows (B, 13) in place of class indices. What changes is only how labels are
drawn, so ``AttributeGAN`` is ``ConditionalGAN`` with three differences:

* the generator is asked for rows drawn uniformly over digits and the *allowed* attribute combinations
  (``gancourse.data.attributes.allowed_combinations``), never for a held-out one;
* a mismatched row (a real image with a wrong label, judged fake) changes the digit (three times in four), one or
  more attributes, or both, so that D must check every part of the label;
* with an attribute classifier it measures, at every sample point, the share of samples right in everything
  (``accuracy``), the digit accuracy and each attribute's accuracy (``gancourse.metrics.attributes``).

The steps are the conditional ones (``gancourse.training.conditional.d_step`` and ``g_step``).
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

import torch
from torch import nn

from gancourse import _checks
from gancourse.data.attributes import (
    ALL_COMBINATIONS,
    ATTRIBUTES,
    HELD_OUT,
    N_DIGITS,
    _bits,
    allowed_combinations,
    attribute_labels,
    sample_combinations,
    split_labels,
)
from gancourse.metrics.attributes import N_OUTPUTS, attribute_accuracy
from gancourse.sampling import evaluating, sample_noise
from gancourse.training.conditional import ConditionalGAN, d_step, g_step, labelled
from gancourse.training.gan import frozen, networks_callbacks
from gancourse.training.history import History
from gancourse.training.loop import train


def random_rows(n: int, combinations: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` label rows (n, 13): a uniform digit and a uniform combination from ``combinations`` (C, 3)."""
    _checks.positive_int("n", n)
    digits = torch.randint(0, N_DIGITS, (n,), generator=_checks.rng("generator", generator))
    return attribute_labels(digits, sample_combinations(n, combinations, generator=generator))


def mismatched_rows(rows: torch.Tensor, combinations: torch.Tensor,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """For each row (digit, attributes), a different row: the digit is shifted with probability 3/4 (the digit is
    the hardest part to learn), each attribute flipped with probability 1/4, redrawn until at least one part
    changed and the attribute combination is one of ``combinations`` (C, 3)."""
    digits, attributes = split_labels(_checks.tensor("rows", rows, ndim=2).cpu())
    allowed = {tuple(int(b) for b in c) for c in _bits("combinations", combinations).tolist()}
    _checks.rng("generator", generator)
    new_digits, new_attributes = digits.clone(), attributes.clone()
    todo = torch.ones(rows.shape[0], dtype=torch.bool)
    while todo.any():
        n = int(todo.sum())
        shift = torch.randint(1, N_DIGITS, (n,), generator=generator) * (torch.rand(n, generator=generator) < 0.75)
        flips = (torch.rand(n, len(ATTRIBUTES), generator=generator) < 0.25).float()
        d = (digits[todo] + shift) % N_DIGITS
        a = (attributes[todo] + flips) % 2
        ok = (shift > 0) | (flips.sum(1) > 0)
        ok &= torch.tensor([tuple(int(b) for b in row) in allowed for row in a.tolist()], dtype=torch.bool)
        index = todo.nonzero().flatten()[ok]
        new_digits[index], new_attributes[index] = d[ok], a[ok]
        todo[index] = False
    return attribute_labels(new_digits, new_attributes).to(rows.device)


class AttributeGAN(ConditionalGAN):
    """``ConditionalGAN`` for multi-hot rows (B, 13): G(z, rows) and D(images, rows), n_classes = 13."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module, *,
                 combinations: torch.Tensor | None = None,   # attribute combinations G is trained on; None: all but HELD_OUT
                 classifier: nn.Module | None = None,        # the attribute judge; if given, accuracies at sample points
                 per_digit: int = 10,                        # samples per digit and combination for that measurement
                 **kwargs):
        super().__init__(generator, discriminator, **kwargs)
        if self.n_classes != N_OUTPUTS:
            raise ValueError(f"the generator must take {N_OUTPUTS}-number label rows (generator.n_classes={N_OUTPUTS}), "
                             f"got n_classes={self.n_classes}")
        self.combinations = (allowed_combinations(HELD_OUT) if combinations is None
                             else _bits("combinations", combinations))
        if classifier is not None:
            _checks.module("classifier", classifier)
        self.classifier, self.per_digit = classifier, _checks.positive_int("per_digit", per_digit)

    def setup(self, device, rng):
        super(ConditionalGAN, self).setup(device, rng)
        # the fixed grid: one noise vector; rows = every attribute combination (held-out ones too), columns = digits
        z = sample_noise(1, self.latent_dim, generator=torch.Generator().manual_seed(self.seed))
        combos = torch.tensor(ALL_COMBINATIONS, dtype=torch.float32)
        digits = torch.arange(N_DIGITS).repeat(len(combos))
        rows = attribute_labels(digits, combos.repeat_interleave(N_DIGITS, dim=0))          # (8 * 10, 13)
        self.fixed = (z.expand(rows.shape[0], -1).to(device), rows.to(device))

    def train_step(self, batch, rng):
        _checks.rng("rng", rng)
        real, cpu_rows = labelled(batch)
        real, rows = self.to_device(real), self.to_device(cpu_rows)
        b = real.shape[0]
        noise = sample_noise(b, self.latent_dim, generator=rng).to(self.device)
        wrong = mismatched_rows(cpu_rows, self.combinations, generator=rng).to(self.device) if self.mismatched else None
        with frozen(self.G):
            loss_D = self.d_step_fn(self.D, self.G, real, rows, noise, self.optimizers["opt_D"], wrong_labels=wrong)
        noise = sample_noise(b, self.latent_dim, generator=rng).to(self.device)
        fake_rows = random_rows(b, self.combinations, generator=rng).to(self.device)
        with frozen(self.D):
            loss_G = self.g_step_fn(self.D, self.G, noise, fake_rows, self.optimizers["opt_G"])
        return {"loss_D": float(loss_D), "loss_G": float(loss_G)}

    def measure(self, batch):
        real, rows = labelled(batch)
        with evaluating(self.G, self.D):
            numbers = {"D_real": torch.sigmoid(self.D(real.to(self.device), rows.to(self.device))).mean().item(),
                       "D_fake": torch.sigmoid(self.D(self.G(*self.fixed), self.fixed[1])).mean().item()}
        if self.classifier is not None:
            shares = attribute_accuracy(self.G, self.classifier, self.combinations, per_digit=self.per_digit,
                                        seed=self.seed + 1)
            numbers["accuracy"] = shares["all"]
            numbers["digit_accuracy"] = shares["digit"]
            numbers.update({f"{name}_accuracy": shares[name] for name in ATTRIBUTES})
        return numbers

    def config(self):
        return {**super().config(), "combinations": self.combinations.tolist()}


def train_attribute_gan(generator: nn.Module, discriminator: nn.Module, data: Iterable, *, steps: int,
                        combinations: torch.Tensor | None = None, lr: float = 2e-4, lr_D: float | None = None,
                        betas: tuple[float, float] = (0.5, 0.999), mismatched: bool = True, device=None,
                        sample_every: int | None = None, classifier: nn.Module | None = None, per_digit: int = 10,
                        seed: int = 0, d_step_fn: Callable = d_step, g_step_fn: Callable = g_step,
                        callbacks: Iterable[Callable] = (), checkpoint: str | os.PathLike | None = None,
                        resume: bool = False, progress: bool = True,
                        desc: str = "Training attribute GAN") -> History:
    """Train a conditional GAN on multi-hot rows (``data`` yields (images, rows (B, 13)), e.g.
    ``gancourse.data.attributes.attribute_loader``) until step ``steps`` with the one training loop. The
    ``History`` has ``loss_D``, ``loss_G`` per step and ``D_real``, ``D_fake`` per sample point; with a classifier
    also ``accuracy`` (right in everything), ``digit_accuracy`` and ``<attribute>_accuracy``. The sample grid has
    one row per attribute combination (``ALL_COMBINATIONS``, held-out ones included) and one column per digit."""
    family = AttributeGAN(generator, discriminator, combinations=combinations, classifier=classifier,
                          per_digit=per_digit, lr=lr, lr_D=lr_D, betas=betas, mismatched=mismatched, seed=seed,
                          d_step_fn=d_step_fn, g_step_fn=g_step_fn)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=True,
                 seed=seed, callbacks=networks_callbacks(callbacks), checkpoint=checkpoint, resume=resume,
                 progress=progress, desc=desc)
