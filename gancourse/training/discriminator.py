"""Training the discriminator alone against a fixed generator (notebook 02): how close does a trained D get to
the optimal D* = p_data / (p_data + p_g)? A family of the one training loop whose step is ``d_step`` only."""
from __future__ import annotations

import torch
from torch import nn

from gancourse import _checks
from gancourse.data.toy import SampleStream
from gancourse.device import one_thread
from gancourse.sampling import sample_noise
from gancourse.training.gan import check_step_args, d_step
from gancourse.training.loop import Family, train


class DiscriminatorFit(Family):
    """D trained by ``d_step`` on real batches and on fresh samples of a fixed G; Adam with a cosine-decaying
    learning rate over ``steps``. G is only read, never updated."""

    def __init__(self, D: nn.Module, G: nn.Module, *, steps: int, lr: float = 2e-3):
        self.D, self.G = _checks.module("D", D), _checks.module("G", G)
        if not isinstance(getattr(G, "latent_dim", None), int):
            raise ValueError("G needs an integer latent_dim attribute (the size of its noise vectors)")
        opt = torch.optim.Adam(D.parameters(), lr=_checks.positive_float("lr", lr))
        check_step_args(D, G, opt)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=_checks.positive_int("steps", steps))
        self.models, self.optimizers = {"discriminator": D}, {"opt_D": opt}

    def setup(self, device, rng):
        super().setup(device, rng)
        self.G.to(device)

    def train_step(self, batch, rng):
        _checks.tensor("batch", batch, ndim=4)
        _checks.rng("rng", rng)
        noise = sample_noise(batch.shape[0], self.G.latent_dim, generator=rng).to(self.device)
        loss = d_step(self.D, self.G, batch.to(self.device), noise, self.optimizers["opt_D"])
        self.schedule.step()
        return {"loss_D": loss}

    def extra_state(self):
        return {"schedule": self.schedule.state_dict()}

    def load_extra_state(self, state):
        if not isinstance(state, dict):
            raise TypeError(f"state must be the dict that extra_state() returned, got {type(state).__name__}")
        if "schedule" in state:
            self.schedule.load_state_dict(state["schedule"])


def fit_discriminator(D: nn.Module, p_data, G: nn.Module, *, steps: int, batch_size: int = 512, lr: float = 2e-3,
                      seed: int = 0, device="cpu") -> list[float]:
    """Train D alone, G fixed, with ``d_step`` on fresh samples of ``p_data`` (a ``gancourse.data.toy`` density)
    and of G, on one CPU thread (these networks are tiny). Returns the discriminator loss of every step."""
    if not callable(getattr(p_data, "sample", None)):
        raise TypeError(f"p_data must be a density with a sample(n, generator) method (gancourse.data.toy), "
                        f"got {type(p_data).__name__}")
    family = DiscriminatorFit(D, G, steps=steps, lr=lr)
    data = SampleStream(p_data, _checks.positive_int("batch_size", batch_size), seed)
    with one_thread():
        history = train(family, data, steps=steps, device=device, sample_every=steps, sample_at_start=False,
                        seed=_checks.seed("seed", seed) + 1, progress=False)
    return history.loss_D
