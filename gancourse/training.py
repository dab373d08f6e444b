"""GAN training as small steps, and a loop around them.

* ``d_step`` — (1) update D: maximise log D(x) + log(1 - D(G(z))), on a detached fake batch;
* ``g_step`` — (2) update G: make D call its samples real (non-saturating loss by default);
* ``train_gan`` — alternates the two for a number of steps with a tqdm progress bar, draws a fixed noise
  batch through G every ``sample_every`` steps, calls your callbacks, and returns a ``History``;
* ``save_checkpoint`` / ``load_checkpoint`` — models, optimisers, history and a small config, written
  atomically (a crash mid-write never destroys the previous checkpoint).

The loop knows nothing about the models: any G mapping (B, latent_dim) noise to images and any D
mapping images to (B,) logits will do, and the step functions can be swapped for your own.
"""
from __future__ import annotations

import itertools
import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import torch
from torch import nn
from tqdm.auto import tqdm

from gancourse import _checks
from gancourse.device import get_device
from gancourse.losses import discriminator_loss, generator_loss


def sample_noise(batch_size: int, latent_dim: int, device=None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal noise z ~ N(0, I): a float32 tensor of shape (batch_size, latent_dim) on ``device``.

    Pass a seeded CPU ``torch.Generator`` to draw the same noise every time.
    """
    _checks.positive_int("batch_size", batch_size)
    _checks.positive_int("latent_dim", latent_dim)
    z = torch.randn(batch_size, latent_dim, generator=generator)
    return z if device is None else z.to(device)


def _check_step_args(D: nn.Module, G: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    for name, net in (("D", D), ("G", G)):
        if not isinstance(net, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(net).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")


def d_step(D: nn.Module, G: nn.Module, real: torch.Tensor, noise: torch.Tensor, opt_D: torch.optim.Optimizer) -> float:
    """One discriminator update; returns the discriminator loss as a float.

    (1) Update D network: maximise log D(x) + log(1 - D(G(z))), i.e. minimise BCE with real = 1, fake = 0.
    The fake batch is *detached*: this step must not compute (or accumulate) gradients in G.
    """
    _check_step_args(D, G, opt_D)
    _checks.tensor("real", real, ndim=4)
    opt_D.zero_grad(set_to_none=True)
    fake = G(noise).detach()                    # cut the graph: no gradient flows back into G
    loss = discriminator_loss(D(real), D(fake))
    loss.backward()
    opt_D.step()
    return loss.item()


def g_step(D: nn.Module, G: nn.Module, noise: torch.Tensor, opt_G: torch.optim.Optimizer,
           non_saturating: bool = True) -> float:
    """One generator update; returns the generator loss as a float.

    (2) Update G network: make D(G(z)) large (non-saturating: minimise -log D(G(z))).
    Gradients flow through D into G, but only G's optimiser steps: D's weights stay as they are.
    """
    _check_step_args(D, G, opt_G)
    opt_G.zero_grad(set_to_none=True)
    loss = generator_loss(D(G(noise)), non_saturating=non_saturating)
    loss.backward()
    opt_G.step()
    return loss.item()


@dataclass
class History:
    """What a training run measured. Per step: ``loss_D``, ``loss_G``. At each sample point: the step,
    the mean probabilities ``D_real`` = D(x) and ``D_fake`` = D(G(z)), and G's images for the fixed noise."""

    step: list[int] = field(default_factory=list)
    loss_D: list[float] = field(default_factory=list)
    loss_G: list[float] = field(default_factory=list)
    sample_steps: list[int] = field(default_factory=list)
    D_real: list[float] = field(default_factory=list)
    D_fake: list[float] = field(default_factory=list)
    samples: list[torch.Tensor] = field(default_factory=list)
    seconds: float = 0.0
    images_seen: int = 0

    @property
    def steps_done(self) -> int:
        return self.step[-1] if self.step else 0

    def to_dict(self, with_samples: bool = False) -> dict:
        """A plain dict (JSON-serialisable without samples)."""
        out = asdict(self)
        if with_samples:
            out["samples"] = [s.clone() for s in self.samples]
        else:
            out.pop("samples")
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _batches(data: Iterable) -> Iterable[torch.Tensor]:
    """Cycle forever over ``data``, yielding image tensors (labels, if any, are dropped)."""
    for epoch in itertools.count():
        empty = True
        for batch in data:
            empty = False
            yield batch[0] if isinstance(batch, (tuple, list)) else batch
        if empty:
            raise ValueError("data yielded no batches: expected a DataLoader or an iterable of image batches")


@contextmanager
def evaluating(*modules: nn.Module):
    """Run the block with ``modules`` in eval mode (batch norm uses its running statistics) and without gradients,
    then put each module back in the mode it was in, even if the block raises."""
    modes = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def _snapshot(G: nn.Module, D: nn.Module, real: torch.Tensor, fixed_noise: torch.Tensor) -> tuple[float, float, torch.Tensor]:
    with evaluating(G, D):
        fake = G(fixed_noise)
        d_real = torch.sigmoid(D(real)).mean().item()
        d_fake = torch.sigmoid(D(fake)).mean().item()
    return d_real, d_fake, fake.cpu()


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
    device=None,                                   # None: gancourse.get_device()
    fixed_noise: torch.Tensor | None = None,       # the batch drawn at each sample point
    n_samples: int = 64,                           # size of the fixed noise batch if none is given
    sample_every: int | None = None,               # None: 10 sample points over the run
    seed: int = 0,                                 # seeds the fixed noise and the noise of every step
    opt_G: torch.optim.Optimizer | None = None,
    opt_D: torch.optim.Optimizer | None = None,
    d_step_fn: Callable = d_step,
    g_step_fn: Callable = g_step,
    callbacks: Iterable[Callable] = (),            # fn(step, history, generator, discriminator) at sample points
    history: History | None = None,                # continue a previous run's history
    checkpoint: str | os.PathLike | None = None,   # saved at every sample point and at the end
    progress: bool = True,
    desc: str = "Training GAN",
) -> History:
    """Train a GAN for ``steps`` alternating D and G updates and return the measured ``History``."""
    for name, net in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(net, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(net).__name__}")
    _checks.positive_int("steps", steps)
    _checks.positive_float("lr", lr)
    latent_dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
    if latent_dim is None:
        raise ValueError("latent_dim is needed: pass latent_dim=..., since the generator has no latent_dim attribute")
    _checks.positive_int("latent_dim", latent_dim)
    sample_every = _checks.positive_int("sample_every", sample_every or max(1, steps // 10))
    device = get_device(device)
    generator.to(device).train()
    discriminator.to(device).train()
    opt_G = opt_G or torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    opt_D = opt_D or torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
    rng = torch.Generator().manual_seed(seed)
    if fixed_noise is None:
        fixed_noise = sample_noise(n_samples, latent_dim, generator=rng)
    fixed_noise = fixed_noise.to(device)
    history = history if history is not None else History()
    start_step, started = history.steps_done, time.perf_counter()
    batches = _batches(data)

    bar = tqdm(range(start_step + 1, start_step + steps + 1), desc=desc, disable=not progress, leave=True)
    for step in bar:
        real = next(batches).to(device, non_blocking=True)
        batch_size = real.shape[0]
        loss_D = d_step_fn(discriminator, generator, real, sample_noise(batch_size, latent_dim, generator=rng).to(device), opt_D)
        loss_G = g_step_fn(discriminator, generator, sample_noise(batch_size, latent_dim, generator=rng).to(device), opt_G,
                           non_saturating=non_saturating)
        history.step.append(step)
        history.loss_D.append(float(loss_D))
        history.loss_G.append(float(loss_G))
        history.images_seen += batch_size
        if step % 10 == 0 or step == start_step + steps:
            bar.set_postfix(loss_D=f"{loss_D:.3f}", loss_G=f"{loss_G:.3f}")
        if (step - start_step) % sample_every == 0 or step == start_step + steps:
            d_real, d_fake, images = _snapshot(generator, discriminator, real, fixed_noise)
            history.sample_steps.append(step)
            history.D_real.append(d_real)
            history.D_fake.append(d_fake)
            history.samples.append(images)
            history.seconds += time.perf_counter() - started
            started = time.perf_counter()
            if checkpoint is not None:
                save_checkpoint(checkpoint, generator, discriminator, history=history, opt_G=opt_G, opt_D=opt_D,
                                config={"latent_dim": latent_dim, "lr": lr, "betas": list(betas)})
            for callback in callbacks:
                callback(step, history, generator, discriminator)
    bar.close()
    history.seconds += time.perf_counter() - started
    return history


def save_checkpoint(path: str | os.PathLike, generator: nn.Module, discriminator: nn.Module | None = None, *,
                    history: History | None = None, config: dict | None = None,
                    opt_G: torch.optim.Optimizer | None = None, opt_D: torch.optim.Optimizer | None = None) -> Path:
    """Write models (and optionally optimisers, history, config) to ``path``, plus ``config`` as JSON beside it.

    The file is written to a temporary name first and then renamed, so an interrupted save leaves the
    previous checkpoint intact. Returns the path written.
    """
    if not isinstance(generator, nn.Module):
        raise TypeError(f"generator must be a torch.nn.Module, got {type(generator).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "generator": generator.state_dict(),
        "discriminator": discriminator.state_dict() if discriminator is not None else None,
        "opt_G": opt_G.state_dict() if opt_G is not None else None,
        "opt_D": opt_D.state_dict() if opt_D is not None else None,
        "history": history.to_dict() if history is not None else None,
        "config": dict(config or {}),
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    path.with_suffix(".json").write_text(json.dumps(state["config"], indent=2, sort_keys=True) + "\n")
    return path


def load_checkpoint(path: str | os.PathLike, generator: nn.Module, discriminator: nn.Module | None = None, *,
                    opt_G: torch.optim.Optimizer | None = None, opt_D: torch.optim.Optimizer | None = None,
                    map_location=None) -> dict:
    """Load a checkpoint written by ``save_checkpoint`` into the given models (and optimisers).

    Returns ``{"config": dict, "history": History | None}``. Raises ``FileNotFoundError`` if there is no
    such file and ``ValueError`` if it does not fit the given models.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    map_location = map_location if map_location is not None else get_device()
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # pickle, zip and torch errors alike
        raise ValueError(f"{path} is not a readable gancourse checkpoint ({err}); delete it and train again") from err
    if not isinstance(state, dict) or "generator" not in state:
        raise ValueError(f"{path} is not a gancourse checkpoint: expected a dict with a 'generator' entry")
    pairs = [(generator, "generator"), (discriminator, "discriminator"), (opt_G, "opt_G"), (opt_D, "opt_D")]
    for target, key in pairs:
        if target is None:
            continue
        if state.get(key) is None:
            raise ValueError(f"{path} holds no {key} state to load")
        try:
            target.load_state_dict(state[key])
        except (RuntimeError, ValueError, KeyError) as err:
            raise ValueError(f"the {key} in {path} does not fit the given {type(target).__name__}: {err}") from err
    history = History.from_dict(state["history"]) if state.get("history") else None
    return {"config": state.get("config", {}), "history": history}
