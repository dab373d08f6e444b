"""CycleGAN (Zhu et al., 2017): unpaired translation X ↔ Y with two generators and two discriminators.

* ``ImagePool`` — the history of 50 past fakes that the discriminators see (Shrivastava et al., 2017);
* ``cyclegan_generator_objective`` — G's and F's loss and its terms: adversarial in both directions + λ·cycle
  + λ_id·identity, where the paper's identity weight is λ_id = 0.5·λ (``lambda_identity=0.5`` is that fraction);
* ``g_step`` — (1) update G and F with D_X and D_Y frozen; ``d_step`` — (2) update D_X and D_Y on pooled fakes;
* ``CycleGAN`` — the family for the one training loop (``gancourse.training.train``), on (x, y) batches;
* ``train_cyclegan`` — that in one call.

The order (G and F first, then the discriminators on the fakes just made) and the halved discriminator loss are
those of the authors' code. The learning rate is constant, then falls linearly to 0 over the last
``decay_steps`` steps (``torch.optim.lr_scheduler.LambdaLR``; its state is saved with the checkpoints).
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

import torch
from torch import nn

from gancourse import _checks
from gancourse.losses import (cycle_consistency_loss, discriminator_loss, generator_loss, identity_loss,
                              lsgan_discriminator_loss, lsgan_generator_loss)
from gancourse.sampling import evaluating
from gancourse.training.gan import frozen
from gancourse.training.history import History
from gancourse.training.loop import Family, train


class ImagePool:
    """A pool of up to ``size`` past generated images (the paper uses 50). ``query(images)``, per image: while the
    pool is not full, store the image and return it; once full, with probability ½ return a stored image chosen
    uniformly and put the new one in its place, else return the new image. ``size=0``: return the images as they are.
    Randomness comes from ``generator`` (a seeded ``torch.Generator``; None: torch's global generator)."""

    def __init__(self, size: int = 50, generator: torch.Generator | None = None):
        self.size = _checks.non_negative_int("size", size)
        self.generator = _checks.rng("generator", generator)
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """images (B, C, H, W) → (B, C, H, W): each one the new image or a stored one. Stores detached copies."""
        _checks.tensor("images", images, ndim=4)
        generator = _checks.rng("generator", generator) or self.generator
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:                       # filling: keep it and pass it on
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=generator).item() < 0.5:  # swap: an old fake out, the new one in
                i = int(torch.randint(self.size, (), generator=generator))
                out.append(self.images[i].to(image.device))
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {"size": self.size, "images": [image.cpu() for image in self.images]}

    def load_state_dict(self, state: dict, device=None) -> None:
        """Restore what ``state_dict`` returned, the images on ``device`` (None: where they are)."""
        if not isinstance(state, dict) or state.get("size") != self.size or not isinstance(state.get("images"), list):
            raise ValueError(f"state must be the state_dict() of an ImagePool of size {self.size}, "
                             f"got {type(state).__name__}")
        device = _checks.device("device", device) if device is not None else None
        self.images = [image.to(device) if device is not None else image for image in state["images"]]


def _bce_discriminator_loss(real_out, fake_out):
    """½ BCE (real = 1, fake = 0) over every patch logit: the same ½ as the least-squares form."""
    return 0.5 * discriminator_loss(real_out.reshape(-1), fake_out.reshape(-1))


def _bce_generator_loss(fake_out):
    return generator_loss(fake_out.reshape(-1), non_saturating=True)


ADVERSARIAL = {"lsgan": (lsgan_discriminator_loss, lsgan_generator_loss),       # the paper's choice
               "bce": (_bce_discriminator_loss, _bce_generator_loss)}           # the original GAN's, non-saturating


def _check_networks(**modules: nn.Module) -> None:
    for name, module in modules.items():
        _checks.module(name, module)


def _check_images(**images: torch.Tensor) -> None:
    for name, value in images.items():
        _checks.tensor(name, value, ndim=4)
        if value.shape[0] == 0:
            raise ValueError(f"{name} is empty: expected a batch (B, C, H, W) of at least one image")


def cyclegan_generator_objective(G: nn.Module, F: nn.Module, D_X: nn.Module, D_Y: nn.Module, x: torch.Tensor,
                                 y: torch.Tensor, lambda_cycle: float = 10.0, lambda_identity: float = 0.5,
                                 adversarial: str = "lsgan") -> tuple[torch.Tensor, dict]:
    """G's and F's objective on a batch x (B, C, H, W) of X and y (B', C, H, W) of Y; returns ``(total, terms)``.

    total = gan_G + gan_F + λ·cycle + (lambda_identity·λ)·identity, with
    gan_G = adversarial generator loss of D_Y(G(x)), gan_F = that of D_X(F(y)),
    cycle = ‖F(G(x)) − x‖₁ + ‖G(F(y)) − y‖₁ (means), identity = ‖G(y) − y‖₁ + ‖F(x) − x‖₁ (means).
    The paper's identity weight is 0.5·λ (5 for λ = 10): ``lambda_identity`` is that fraction, so λ = 0 removes
    the identity term too. ``terms``: the tensors gan_G, gan_F, cycle, identity (0, not computed, when its weight
    is 0) and the fakes and reconstructions (fake_y, fake_x, rec_x, rec_y) for a discriminator step to reuse."""
    _check_networks(G=G, F=F, D_X=D_X, D_Y=D_Y)
    _check_images(x=x, y=y)
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"x and y must be images of one shape (B, C, H, W), got {tuple(x.shape)} and {tuple(y.shape)}")
    lambda_cycle = _checks.number("lambda_cycle", lambda_cycle, 0.0)
    lambda_identity = _checks.number("lambda_identity", lambda_identity, 0.0)
    _, adv_g = ADVERSARIAL[_checks.one_of("adversarial", adversarial, tuple(ADVERSARIAL))]
    fake_y, fake_x = G(x), F(y)                                  # x → Y and y → X
    rec_x, rec_y = F(fake_y), G(fake_x)                          # and back
    terms = {"gan_G": adv_g(D_Y(fake_y)), "gan_F": adv_g(D_X(fake_x)),
             "cycle": cycle_consistency_loss(x, rec_x, y, rec_y)}
    total = terms["gan_G"] + terms["gan_F"] + lambda_cycle * terms["cycle"]
    if lambda_identity * lambda_cycle > 0:                       # skip two forward passes when the weight is 0
        terms["identity"] = identity_loss(y, G(y), x, F(x))
        total = total + lambda_identity * lambda_cycle * terms["identity"]
    else:
        terms["identity"] = torch.zeros((), device=x.device)
    terms.update(fake_y=fake_y, fake_x=fake_x, rec_x=rec_x, rec_y=rec_y)
    return total, terms


def g_step(G, F, D_X, D_Y, x, y, opt_G: torch.optim.Optimizer, lambda_cycle: float = 10.0,
           lambda_identity: float = 0.5, adversarial: str = "lsgan") -> tuple[dict, torch.Tensor, torch.Tensor]:
    """(1) Update G and F (one optimiser over both) on ``cyclegan_generator_objective`` with D_X and D_Y frozen:
    gradients flow through the discriminators into G and F, none is computed for the discriminators' weights.
    Returns (the loss and its terms as floats, fake_y, fake_x detached for the discriminator step)."""
    _check_networks(G=G, F=F, D_X=D_X, D_Y=D_Y)
    _check_images(x=x, y=y)
    _checks.optimizer("opt_G", opt_G)
    opt_G.zero_grad(set_to_none=True)
    with frozen(D_X), frozen(D_Y):
        total, terms = cyclegan_generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity, adversarial)
        total.backward()
    opt_G.step()
    numbers = {"loss_G": total.item(), **{k: terms[k].item() for k in ("gan_G", "gan_F", "cycle", "identity")}}
    return numbers, terms["fake_y"].detach(), terms["fake_x"].detach()


def d_step(D_X, D_Y, x, y, fake_x, fake_y, opt_D: torch.optim.Optimizer, adversarial: str = "lsgan") -> dict:
    """(2) Update D_X (real x against fakes F(y)) and D_Y (real y against fakes G(x)), one optimiser over both.
    The fakes must be detached (from the pool): no gradient flows back into G or F. Returns both losses."""
    _check_networks(D_X=D_X, D_Y=D_Y)
    _check_images(x=x, y=y, fake_x=fake_x, fake_y=fake_y)
    _checks.optimizer("opt_D", opt_D)
    for name, value in (("fake_x", fake_x), ("fake_y", fake_y)):
        if value.requires_grad:
            raise ValueError(f"{name} must be detached (fake.detach()): the D step must not reach the generators")
    adv_d, _ = ADVERSARIAL[_checks.one_of("adversarial", adversarial, tuple(ADVERSARIAL))]
    opt_D.zero_grad(set_to_none=True)
    loss_D_X, loss_D_Y = adv_d(D_X(x), D_X(fake_x)), adv_d(D_Y(y), D_Y(fake_y))
    (loss_D_X + loss_D_Y).backward()
    opt_D.step()
    return {"loss_D_X": loss_D_X.item(), "loss_D_Y": loss_D_Y.item()}


def linear_decay(steps: int, decay_steps: int) -> Callable[[int], float]:
    """The learning-rate factor after ``s`` steps: 1 until ``steps - decay_steps``, then linearly down to 0 at
    ``steps`` (for ``LambdaLR``: the update of step s + 1 uses the factor of s)."""
    _checks.positive_int("steps", steps)
    _checks.non_negative_int("decay_steps", decay_steps)
    if decay_steps > steps:
        raise ValueError(f"decay_steps must be at most steps={steps}, got {decay_steps}")
    start = steps - decay_steps
    return lambda s: 1.0 if s < start or decay_steps == 0 else max(0.0, (steps - s) / decay_steps)


def _pair(batch) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError(f"a CycleGAN batch must be a pair (x, y) of image batches, got {type(batch).__name__}")
    return _checks.tensor("x", batch[0], ndim=4), _checks.tensor("y", batch[1], ndim=4)


class CycleGAN(Family):
    """The CycleGAN family: each step is ``g_step`` (G and F) then ``d_step`` (D_X and D_Y on pooled fakes)."""

    def __init__(self, G: nn.Module, F: nn.Module, D_X: nn.Module, D_Y: nn.Module, *, steps: int,
                 decay_steps: int | None = None,          # linear LR decay to 0 over the last steps (None: steps // 2)
                 lambda_cycle: float = 10.0,              # λ (paper: 10)
                 lambda_identity: float = 0.5,            # identity weight as a fraction of λ (paper: 0.5·λ)
                 pool_size: int = 50,                     # past fakes per discriminator (paper: 50)
                 lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),   # Adam (paper)
                 adversarial: str = "lsgan",              # "lsgan" (paper) or "bce"
                 fixed_x: torch.Tensor | None = None, fixed_y: torch.Tensor | None = None):  # drawn at sample points
        from gancourse.training.gan import adam
        self.G, self.F = _checks.module("G", G), _checks.module("F", F)
        self.D_X, self.D_Y = _checks.module("D_X", D_X), _checks.module("D_Y", D_Y)
        self.steps = _checks.positive_int("steps", steps)
        self.decay_steps = steps // 2 if decay_steps is None else _checks.non_negative_int("decay_steps", decay_steps)
        self.lambda_cycle = _checks.number("lambda_cycle", lambda_cycle, 0.0)
        self.lambda_identity = _checks.number("lambda_identity", lambda_identity, 0.0)
        self.adversarial = _checks.one_of("adversarial", adversarial, tuple(ADVERSARIAL))
        for name, fixed in (("fixed_x", fixed_x), ("fixed_y", fixed_y)):
            if fixed is not None:
                _checks.tensor(name, fixed, ndim=4)
        self.fixed_x, self.fixed_y = fixed_x, fixed_y
        _checks.non_negative_int("pool_size", pool_size)
        self.pools = {"pool_X": ImagePool(pool_size), "pool_Y": ImagePool(pool_size)}
        self.models = {"G": G, "F": F, "D_X": D_X, "D_Y": D_Y}
        both_G, both_D = nn.ModuleList([G, F]), nn.ModuleList([D_X, D_Y])
        self.optimizers = {"opt_G": adam(both_G, lr, betas), "opt_D": adam(both_D, lr, betas)}
        self.lr, self.betas = lr, tuple(betas)
        decay = linear_decay(self.steps, self.decay_steps)
        self.schedulers = {name: torch.optim.lr_scheduler.LambdaLR(opt, decay) for name, opt in self.optimizers.items()}

    def setup(self, device, rng):
        super().setup(device, rng)
        for name in ("fixed_x", "fixed_y"):
            if getattr(self, name) is not None:
                setattr(self, name, self.to_device(getattr(self, name)))

    def train_step(self, batch, rng):
        _checks.rng("rng", rng)
        x, y = (self.to_device(t) for t in _pair(batch))
        numbers, fake_y, fake_x = g_step(self.G, self.F, self.D_X, self.D_Y, x, y, self.optimizers["opt_G"],
                                         self.lambda_cycle, self.lambda_identity, self.adversarial)
        with frozen(self.G), frozen(self.F):
            numbers.update(d_step(self.D_X, self.D_Y, x, y, self.pools["pool_X"].query(fake_x, rng),
                                  self.pools["pool_Y"].query(fake_y, rng), self.optimizers["opt_D"],
                                  self.adversarial))
        numbers["lr"] = self.optimizers["opt_G"].param_groups[0]["lr"]       # the rate this step used
        for scheduler in self.schedulers.values():
            scheduler.step()
        return numbers

    def sample(self):
        """Rows of the fixed test images: x, G(x), F(G(x)), y, F(y), G(F(y)), stacked (6n, C, H, W) on the CPU."""
        if self.fixed_x is None or self.fixed_y is None:
            return None
        with evaluating(self.G, self.F):
            fake_y, fake_x = self.G(self.fixed_x), self.F(self.fixed_y)
            rows = [self.fixed_x, fake_y, self.F(fake_y), self.fixed_y, fake_x, self.G(fake_x)]
        return torch.cat([r.float().cpu().contiguous() for r in rows])

    def measure(self, batch):
        """The L1 cycle error of each direction on the latest training batch, in eval mode."""
        x, y = (self.to_device(t) for t in _pair(batch))
        with evaluating(self.G, self.F):
            return {"cycle_X": (self.F(self.G(x)) - x).abs().mean().item(),
                    "cycle_Y": (self.G(self.F(y)) - y).abs().mean().item()}

    def config(self):
        return {"steps": self.steps, "decay_steps": self.decay_steps, "lambda_cycle": self.lambda_cycle,
                "lambda_identity": self.lambda_identity, "pool_size": self.pools["pool_X"].size, "lr": self.lr,
                "betas": list(self.betas), "adversarial": self.adversarial}

    def extra_state(self):
        return {**{name: pool.state_dict() for name, pool in self.pools.items()},
                **{f"scheduler_{name}": s.state_dict() for name, s in self.schedulers.items()}}

    def load_extra_state(self, state):
        names = [*self.pools, *(f"scheduler_{name}" for name in self.schedulers)]
        if not isinstance(state, dict) or any(name not in state for name in names):
            raise ValueError(f"state must be the dict that extra_state() returns, with {names}, "
                             f"got {type(state).__name__}")
        for name, pool in self.pools.items():
            pool.load_state_dict(state[name], self.device)
        for name, scheduler in self.schedulers.items():
            scheduler.load_state_dict(state[f"scheduler_{name}"])


def train_cyclegan(G: nn.Module, F: nn.Module, D_X: nn.Module, D_Y: nn.Module, data: Iterable, *, steps: int,
                   decay_steps: int | None = None, lambda_cycle: float = 10.0, lambda_identity: float = 0.5,
                   pool_size: int = 50, lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
                   adversarial: str = "lsgan", fixed_x: torch.Tensor | None = None,
                   fixed_y: torch.Tensor | None = None, device=None, sample_every: int | None = None,
                   sample_at_start: bool = True, seed: int = 0, callbacks: Iterable[Callable] = (),
                   checkpoint: str | os.PathLike | None = None, resume: bool = False, progress: bool = True,
                   desc: str = "Training CycleGAN") -> History:
    """Train G: X → Y, F: Y → X against D_Y, D_X on ``data`` (an iterable of (x, y) batches, e.g.
    ``gancourse.data.domains.unpaired_loader``) until step ``steps``, with the one training loop; returns its
    ``History``: per step loss_G, gan_G, gan_F, cycle, identity, loss_D_X, loss_D_Y, lr; per sample point cycle_X,
    cycle_Y and, given ``fixed_x`` and ``fixed_y``, their translations (``CycleGAN.sample``). The other arguments
    are ``CycleGAN``'s and ``gancourse.training.train``'s; callbacks are ``fn(step, history, family)``."""
    family = CycleGAN(G, F, D_X, D_Y, steps=steps, decay_steps=decay_steps, lambda_cycle=lambda_cycle,
                      lambda_identity=lambda_identity, pool_size=pool_size, lr=lr, betas=betas,
                      adversarial=adversarial, fixed_x=fixed_x, fixed_y=fixed_y)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=sample_at_start,
                 seed=seed, callbacks=callbacks, checkpoint=checkpoint, resume=resume, progress=progress, desc=desc)

