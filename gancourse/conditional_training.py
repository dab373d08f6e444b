"""Conditional GAN training: ``gancourse.training``'s two steps with a class label beside every image.

* ``d_step`` — (1) update D: real pairs (x, y) → 1, generated pairs (G(z, y), y) → 0, the fake batch detached;
* ``g_step`` — (2) update G: make D call (G(z, y), y) real, for labels drawn uniformly;
* ``train_cgan`` — the loop: labelled batches, a tqdm bar, a fixed grid of noise × labels drawn every
  ``sample_every`` steps, the class accuracy measured by a classifier (optional), callbacks and checkpoints;
  it returns a ``CGANHistory`` (``gancourse.training.History`` plus the measured accuracies);
* ``grid_inputs`` / ``generate`` / ``class_accuracy`` — the 10 × 10 grid (rows = classes, columns = fixed noise)
  and the measurement: the share of samples that a classifier assigns to the class they were asked for.

Checkpoints are ``gancourse.training.save_checkpoint``'s, so ``load_checkpoint`` reads them.
"""
from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from gancourse import _checks
from gancourse.device import get_device
from gancourse.losses import bce_with_logits, discriminator_loss, generator_loss
from gancourse.metrics import predict
from gancourse.training import History, _check_step_args, evaluating, sample_noise, save_checkpoint


def sample_labels(batch_size: int, n_classes: int, device=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Class indices drawn uniformly from [0, n_classes): an int64 tensor of shape (batch_size,)."""
    _checks.positive_int("batch_size", batch_size)
    _checks.positive_int("n_classes", n_classes)
    y = torch.randint(0, n_classes, (batch_size,), generator=generator)
    return y if device is None else y.to(device)


def mismatched_labels(labels: torch.Tensor, n_classes: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """For each label y, a different class drawn uniformly from the other n_classes - 1: (y + k) mod n_classes, k in [1, n)."""
    _checks.tensor("labels", labels, ndim=1, floating=False)
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
    _check_step_args(D, G, opt_D)
    _checks.tensor("real", real, ndim=4)
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
    _check_step_args(D, G, opt_G)
    opt_G.zero_grad(set_to_none=True)
    loss = generator_loss(D(G(noise, labels), labels), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


@dataclass
class CGANHistory(History):
    """``History`` plus the class accuracy measured during training: at ``accuracy_steps``, the share
    ``accuracy`` of generated samples classified as their requested class, after ``accuracy_seconds`` of training."""

    accuracy_steps: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    accuracy_seconds: list[float] = field(default_factory=list)

    def first_reaching(self, level: float) -> tuple[int, float] | None:
        """(step, training seconds) when the class accuracy first reached ``level``, or None if it never did."""
        for step, acc, sec in zip(self.accuracy_steps, self.accuracy, self.accuracy_seconds):
            if acc >= level:
                return step, sec
        return None


def grid_inputs(n_classes: int = 10, n_columns: int = 10, latent_dim: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise and labels for a class grid: row i holds class i, column j the same noise vector z_j in every row.

    Returns ``z`` (n_classes * n_columns, latent_dim) and ``labels`` (n_classes * n_columns,), row-major, ready for
    ``show_grid(G(z, labels), nrow=n_columns)``.
    """
    _checks.positive_int("n_classes", n_classes)
    _checks.positive_int("n_columns", n_columns)
    z = sample_noise(n_columns, latent_dim, generator=torch.Generator().manual_seed(seed))   # (n_columns, d)
    return z.repeat(n_classes, 1), torch.arange(n_classes).repeat_interleave(n_columns)


def generate(G: nn.Module, labels: torch.Tensor, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """Images G(z, labels) on the CPU for fresh noise seeded by ``seed``, drawn in eval mode, in batches."""
    _checks.tensor("labels", labels, ndim=1, floating=False)
    latent_dim = getattr(G, "latent_dim", None)
    if latent_dim is None:
        raise ValueError("G must have a latent_dim attribute (the size of its noise input)")
    device = next(G.parameters()).device
    z = sample_noise(labels.shape[0], latent_dim, generator=torch.Generator().manual_seed(seed))
    with evaluating(G):
        out = [G(zc.to(device), yc.to(device)).cpu() for zc, yc in zip(z.split(batch_size), labels.split(batch_size))]
    return torch.cat(out)


def class_accuracy(G: nn.Module, classifier: nn.Module, per_class: int = 100, seed: int = 0,
                   per_class_result: bool = False):
    """The share of G's samples that ``classifier`` assigns to the class they were generated for.

    ``per_class`` samples of each class are drawn (fresh noise, seeded). Returns a float, or with
    ``per_class_result=True`` a pair (overall, tensor of the accuracy of each class).
    """
    _checks.positive_int("per_class", per_class)
    n_classes = getattr(G, "n_classes", None)
    if n_classes is None:
        raise ValueError("G must have an n_classes attribute (the number of classes it is conditioned on)")
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    images = generate(G, labels, seed=seed)
    hits = (predict(classifier, images).argmax(1) == labels).float()
    overall = float(hits.mean())
    return (overall, hits.view(n_classes, per_class).mean(1)) if per_class_result else overall


def _labelled_batches(data: Iterable) -> Iterable[tuple[torch.Tensor, torch.Tensor]]:
    """Cycle forever over ``data``, yielding (images, labels) pairs."""
    for _ in itertools.count():
        empty = True
        for batch in data:
            empty = False
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise ValueError("a conditional GAN needs labelled data: expected batches of (images, labels), "
                                 "e.g. load_images(name, batch_size=...)")
            yield batch[0], batch[1]
        if empty:
            raise ValueError("data yielded no batches: expected a DataLoader of (images, labels)")


def _snapshot(G: nn.Module, D: nn.Module, real: torch.Tensor, labels: torch.Tensor, fixed: tuple) -> tuple:
    with evaluating(G, D):
        fake = G(*fixed)
        d_real = torch.sigmoid(D(real, labels)).mean().item()
        d_fake = torch.sigmoid(D(fake, fixed[1])).mean().item()
    return d_real, d_fake, fake.cpu()


def train_cgan(
    generator: nn.Module,
    discriminator: nn.Module,
    data: Iterable,
    *,
    steps: int,
    lr: float = 2e-4,                              # Adam learning rate of G (and of D unless lr_D is given)
    lr_D: float | None = None,                     # D's learning rate; None: the same as G's
    betas: tuple[float, float] = (0.5, 0.999),     # Adam betas (DCGAN paper)
    mismatched: bool = True,                       # also show D real images with wrong labels (d_step's wrong_labels)
    device=None,                                   # None: gancourse.get_device()
    n_columns: int = 10,                           # the fixed grid: n_classes rows × n_columns noise vectors
    sample_every: int | None = None,               # None: 10 sample points over the run
    classifier: nn.Module | None = None,           # if given, the class accuracy is measured at every sample point
    accuracy_per_class: int = 100,                 # samples per class for that measurement
    seed: int = 0,                                 # seeds the fixed grid and the noise and labels of every step
    opt_G: torch.optim.Optimizer | None = None,
    opt_D: torch.optim.Optimizer | None = None,
    d_step_fn: Callable = d_step,
    g_step_fn: Callable = g_step,
    callbacks: Iterable[Callable] = (),            # fn(step, history, G, D) at sample points; returning True stops
    history: CGANHistory | None = None,            # continue a previous run's history
    checkpoint: str | os.PathLike | None = None,   # saved at every sample point and at the end
    progress: bool = True,
    desc: str = "Training conditional GAN",
) -> CGANHistory:
    """Train a conditional GAN for ``steps`` alternating D and G updates and return the measured ``CGANHistory``.

    ``generator(z, labels)`` maps (B, latent_dim) noise and (B,) labels to images and needs ``latent_dim`` and
    ``n_classes`` attributes; ``discriminator(images, labels)`` returns (B,) logits. ``data`` yields
    (images, labels) batches. With ``mismatched=True``, ``d_step_fn`` also gets ``wrong_labels``: for every real image
    a class other than its own. The time spent measuring the class accuracy, saving checkpoints and running the
    callbacks is not counted in ``history.seconds``; a callback that returns True ends the run after that step.
    """
    for name, net in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(net, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(net).__name__}")
    _checks.positive_int("steps", steps)
    _checks.positive_float("lr", lr)
    lr_D = _checks.positive_float("lr_D", lr_D) if lr_D is not None else lr
    if not isinstance(mismatched, bool):
        raise TypeError(f"mismatched must be True or False, got {mismatched!r}")
    latent_dim, n_classes = getattr(generator, "latent_dim", None), getattr(generator, "n_classes", None)
    if latent_dim is None or n_classes is None:
        raise ValueError("the generator needs latent_dim and n_classes attributes, as ConditionalGenerator has")
    sample_every = _checks.positive_int("sample_every", sample_every or max(1, steps // 10))
    device = get_device(device)
    generator.to(device).train()
    discriminator.to(device).train()
    opt_G = opt_G or torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    opt_D = opt_D or torch.optim.Adam(discriminator.parameters(), lr=lr_D, betas=betas)
    rng = torch.Generator().manual_seed(seed)
    fixed = tuple(t.to(device) for t in grid_inputs(n_classes, n_columns, latent_dim, seed))
    history = history if history is not None else CGANHistory()
    start_step, started = history.steps_done, time.perf_counter()
    batches = _labelled_batches(data)

    bar = tqdm(range(start_step + 1, start_step + steps + 1), desc=desc, disable=not progress, leave=True)
    for step in bar:
        real, cpu_labels = next(batches)
        real, labels = real.to(device, non_blocking=True), cpu_labels.to(device, non_blocking=True)
        batch_size = real.shape[0]
        noise = sample_noise(batch_size, latent_dim, generator=rng).to(device)
        wrong = mismatched_labels(cpu_labels, n_classes, generator=rng).to(device) if mismatched else None
        loss_D = d_step_fn(discriminator, generator, real, labels, noise, opt_D, wrong_labels=wrong)
        noise = sample_noise(batch_size, latent_dim, generator=rng).to(device)
        fake_labels = sample_labels(batch_size, n_classes, generator=rng).to(device)
        loss_G = g_step_fn(discriminator, generator, noise, fake_labels, opt_G)
        history.step.append(step)
        history.loss_D.append(float(loss_D))
        history.loss_G.append(float(loss_G))
        history.images_seen += batch_size
        if (step - start_step) % sample_every == 0 or step == start_step + steps:
            d_real, d_fake, images = _snapshot(generator, discriminator, real, labels, fixed)
            history.sample_steps.append(step)
            history.D_real.append(d_real)
            history.D_fake.append(d_fake)
            history.samples.append(images)
            history.seconds += time.perf_counter() - started
            if classifier is not None:
                history.accuracy_steps.append(step)
                history.accuracy.append(class_accuracy(generator, classifier, accuracy_per_class, seed=seed + 1))
                history.accuracy_seconds.append(history.seconds)
                bar.set_postfix(loss_D=f"{loss_D:.3f}", loss_G=f"{loss_G:.3f}", acc=f"{history.accuracy[-1]:.1%}")
            if checkpoint is not None:
                save_checkpoint(checkpoint, generator, discriminator, history=history, opt_G=opt_G, opt_D=opt_D,
                                config={"latent_dim": latent_dim, "n_classes": n_classes, "lr": lr, "lr_D": lr_D,
                                        "betas": list(betas), "mismatched": mismatched})
            stop = [callback(step, history, generator, discriminator) is True for callback in callbacks]
            started = time.perf_counter()
            if any(stop):
                break
        elif step % 10 == 0:
            bar.set_postfix(loss_D=f"{loss_D:.3f}", loss_G=f"{loss_G:.3f}")
    bar.close()
    history.seconds += time.perf_counter() - started
    return history
