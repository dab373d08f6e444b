"""StarGAN (Choi et al., 2018): translation between many domains with one generator G(x, c) and one two-headed
discriminator D(x) → (src, cls).

* ``target_labels`` — each image's target c: the labels of the batch shuffled (the authors' ``randperm``), so the
  targets follow the training data's mix of domains;
* ``discriminator_objective`` — D's loss: adversarial (real against G(x, c)) + λ_cls · classification of the real
  images' own labels (+ λ_gp · gradient penalty with WGAN-GP);
* ``generator_objective`` — G's loss: adversarial + λ_cls · classification of G(x, c) as c + λ_rec · ‖G(G(x, c), c′)
  − x‖₁ with c′ the original labels;
* ``d_step``, ``g_step`` — one update each; ``StarGAN`` — the family for the one training loop
  (``gancourse.training.train``), on (images, labels) batches; ``train_stargan`` — that in one call.

The adversarial term is WGAN-GP as in the paper (``"wgan-gp"``, with ``n_critic`` D updates per G update), or the
least-squares (``"lsgan"``) or cross-entropy (``"bce"``) loss on D's patch scores. The learning rates fall linearly
to 0 over the last ``decay_steps`` steps, as in the paper (set from the step count, so a resumed run continues
the schedule).
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

import torch
from torch import nn

from gancourse import _checks
from gancourse.losses import (domain_classification_loss, gradient_penalty, lsgan_discriminator_loss,
                              lsgan_generator_loss, reconstruction_l1, wasserstein_critic_loss,
                              wasserstein_generator_loss)
from gancourse.sampling import evaluating
from gancourse.training.cyclegan import _bce_discriminator_loss, _bce_generator_loss, linear_decay
from gancourse.training.gan import adam, frozen
from gancourse.training.history import History
from gancourse.training.loop import Family, train

ADVERSARIAL = {"wgan-gp": (wasserstein_critic_loss, wasserstein_generator_loss),   # the paper's choice
               "lsgan": (lsgan_discriminator_loss, lsgan_generator_loss),
               "bce": (_bce_discriminator_loss, _bce_generator_loss)}


def _images_and_labels(x, c, n_attributes: int | None = None, name: str = "c") -> None:
    """x (B, C, H, W) and its label rows ``name`` (B, n), B >= 1 (and n = ``n_attributes`` if given)."""
    _checks.tensor("x", x, ndim=4)
    _checks.tensor(name, c, ndim=2, floating=False)
    if x.shape[0] == 0 or x.shape[0] != c.shape[0]:
        raise ValueError(f"x (B, C, H, W) and its labels {name} (B, n) must hold the same number B >= 1 of images, "
                         f"got {tuple(x.shape)} and {tuple(c.shape)}")
    if n_attributes is not None and c.shape[1] != n_attributes:
        raise ValueError(f"{name} must have {n_attributes} columns (one per attribute), got {tuple(c.shape)}")


def target_labels(c: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The batch's labels c (B, n) in a random order drawn from ``generator``: one target row per image."""
    _checks.tensor("c", c, ndim=2, floating=False)
    if c.shape[0] == 0:
        raise ValueError("c must hold at least one label row")
    return c[torch.randperm(c.shape[0], generator=_checks.rng("generator", generator)).to(c.device)]


def discriminator_objective(D: nn.Module, x: torch.Tensor, c_org: torch.Tensor, fake: torch.Tensor,
                            adversarial: str = "wgan-gp", lambda_cls: float = 1.0, lambda_gp: float = 10.0,
                            generator: torch.Generator | None = None,
                            alpha: torch.Tensor | None = None) -> tuple[torch.Tensor, dict]:
    """D's loss on real images x (B, C, H, W) with their labels c_org (B, n) and detached translations fake.

    total = adv_D(src(x), src(fake)) + λ_cls · domain_classification_loss(cls(x), c_org) [+ λ_gp · gp].
    The penalty's mixing weights are drawn from ``generator``, or given as ``alpha`` (B,).
    Returns ``(total, terms)`` with the tensors adv, cls, gp (0 unless ``"wgan-gp"``)."""
    _checks.module("D", D)
    _images_and_labels(x, c_org, name="c_org")
    _checks.tensor("fake", fake, ndim=4)
    if fake.requires_grad:
        raise ValueError("fake must be detached (fake.detach()): the D step must not reach the generator")
    adv_d, _ = ADVERSARIAL[_checks.one_of("adversarial", adversarial, tuple(ADVERSARIAL))]
    lambda_cls = _checks.number("lambda_cls", lambda_cls, 0.0)
    lambda_gp = _checks.number("lambda_gp", lambda_gp, 0.0)
    src_real, cls_real = D(x)
    if cls_real.shape != c_org.shape:
        raise ValueError(f"c_org must have shape {tuple(cls_real.shape)}: one 0/1 label per attribute D classifies, "
                         f"got {tuple(c_org.shape)}")
    src_fake, _ = D(fake)
    terms = {"adv": adv_d(src_real, src_fake), "cls": domain_classification_loss(cls_real, c_org.to(cls_real))}
    total = terms["adv"] + lambda_cls * terms["cls"]
    if adversarial == "wgan-gp" and lambda_gp > 0:
        terms["gp"] = gradient_penalty(D, x, fake, generator, alpha)
        total = total + lambda_gp * terms["gp"]
    else:
        terms["gp"] = torch.zeros((), device=x.device)
    return total, terms


def generator_objective(G: nn.Module, D: nn.Module, x: torch.Tensor, c_org: torch.Tensor, c_trg: torch.Tensor,
                        adversarial: str = "wgan-gp", lambda_cls: float = 1.0, lambda_rec: float = 10.0,
                        lambda_id: float = 0.0) -> tuple[torch.Tensor, dict]:
    """G's loss translating x (B, C, H, W) with labels c_org (B, n) to targets c_trg (B, n).

    total = adv_G(src(G(x, c_trg))) + λ_cls · domain_classification_loss(cls(G(x, c_trg)), c_trg)
    + λ_rec · ‖G(G(x, c_trg), c_org) − x‖₁ [+ λ_id · ‖G(x, c_org) − x‖₁, notebook 05's identity term: asked for
    its own domain, G should change nothing; not in the StarGAN paper, 0 by default].
    Returns ``(total, terms)``: adv, cls, rec, id (0 when not computed) and the images fake, rec_x."""
    _checks.module("G", G)
    _checks.module("D", D)
    _images_and_labels(x, c_org, name="c_org")
    _images_and_labels(x, c_trg, c_org.shape[1], name="c_trg")
    _, adv_g = ADVERSARIAL[_checks.one_of("adversarial", adversarial, tuple(ADVERSARIAL))]
    lambda_cls = _checks.number("lambda_cls", lambda_cls, 0.0)
    lambda_rec = _checks.number("lambda_rec", lambda_rec, 0.0)
    lambda_id = _checks.number("lambda_id", lambda_id, 0.0)
    fake = G(x, c_trg)
    src_fake, cls_fake = D(fake)
    rec_x = G(fake, c_org)
    terms = {"adv": adv_g(src_fake), "cls": domain_classification_loss(cls_fake, c_trg.to(cls_fake)),
             "rec": reconstruction_l1(x, rec_x)}
    total = terms["adv"] + lambda_cls * terms["cls"] + lambda_rec * terms["rec"]
    if lambda_id > 0:
        terms["id"] = reconstruction_l1(x, G(x, c_org))
        total = total + lambda_id * terms["id"]
    else:
        terms["id"] = torch.zeros((), device=x.device)
    terms.update(fake=fake, rec_x=rec_x)
    return total, terms


def d_step(D: nn.Module, x, c_org, fake, opt_D: torch.optim.Optimizer, adversarial: str = "wgan-gp",
           lambda_cls: float = 1.0, lambda_gp: float = 10.0, generator: torch.Generator | None = None) -> dict:
    """One update of D on ``discriminator_objective``; returns loss_D and its terms as floats."""
    _checks.optimizer("opt_D", opt_D)
    opt_D.zero_grad(set_to_none=True)
    total, terms = discriminator_objective(D, x, c_org, fake, adversarial, lambda_cls, lambda_gp, generator)
    total.backward()
    opt_D.step()
    return {"loss_D": total.item(), "D_adv": terms["adv"].item(), "D_cls": terms["cls"].item(),
            "D_gp": terms["gp"].item()}


def g_step(G: nn.Module, D: nn.Module, x, c_org, c_trg, opt_G: torch.optim.Optimizer, adversarial: str = "wgan-gp",
           lambda_cls: float = 1.0, lambda_rec: float = 10.0, lambda_id: float = 0.0) -> tuple[dict, torch.Tensor]:
    """One update of G on ``generator_objective`` with D frozen; returns (loss_G and its terms as floats, the
    translations G(x, c_trg) detached)."""
    _checks.optimizer("opt_G", opt_G)
    _checks.module("D", D)
    opt_G.zero_grad(set_to_none=True)
    with frozen(D):
        total, terms = generator_objective(G, D, x, c_org, c_trg, adversarial, lambda_cls, lambda_rec, lambda_id)
        total.backward()
    opt_G.step()
    numbers = {"loss_G": total.item(), "G_adv": terms["adv"].item(), "G_cls": terms["cls"].item(),
               "rec": terms["rec"].item(), "id": terms["id"].item()}
    return numbers, terms["fake"].detach()


def _batch(batch) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError(f"a StarGAN batch must be a pair (images (B, C, H, W), labels (B, n)), "
                         f"got {type(batch).__name__}")
    x, c = batch
    _images_and_labels(x, c)
    return x, c.float()


class StarGAN(Family):
    """The StarGAN family. A step updates D on G's translations to shuffled targets; every ``n_critic``-th step
    also updates G (first, so that D's update sees the new G's translations, as in the authors' loop after its
    D step: the order within a step does not change what each network is trained on)."""

    def __init__(self, G: nn.Module, D: nn.Module, *, steps: int, decay_steps: int | None = None,
                 n_critic: int = 5, adversarial: str = "wgan-gp", lambda_cls: float = 1.0,
                 lambda_rec: float = 10.0, lambda_gp: float = 10.0, lambda_id: float = 0.0, lr: float = 1e-4,
                 lr_D: float | None = None,
                 betas: tuple[float, float] = (0.5, 0.999), fixed_x: torch.Tensor | None = None,
                 fixed_targets: torch.Tensor | None = None):
        self.G, self.D = _checks.module("G", G), _checks.module("D", D)
        self.steps = _checks.positive_int("steps", steps)
        self.decay_steps = steps // 2 if decay_steps is None else _checks.non_negative_int("decay_steps", decay_steps)
        self.n_critic = _checks.positive_int("n_critic", n_critic)
        self.adversarial = _checks.one_of("adversarial", adversarial, tuple(ADVERSARIAL))
        self.lambda_cls = _checks.number("lambda_cls", lambda_cls, 0.0)
        self.lambda_rec = _checks.number("lambda_rec", lambda_rec, 0.0)
        self.lambda_id = _checks.number("lambda_id", lambda_id, 0.0)
        self.lambda_gp = _checks.number("lambda_gp", lambda_gp, 0.0)
        if (fixed_x is None) != (fixed_targets is None):
            raise ValueError("give both fixed_x (n, C, H, W) and fixed_targets (T, n_attributes), or neither")
        if fixed_x is not None:
            _checks.tensor("fixed_x", fixed_x, ndim=4)
            _checks.tensor("fixed_targets", fixed_targets, ndim=2, floating=False)
        self.fixed_x, self.fixed_targets = fixed_x, fixed_targets
        self.models = {"G": G, "D": D}
        self.lr_D = lr if lr_D is None else _checks.positive_float("lr_D", lr_D)     # D's rate (default: G's)
        self.optimizers = {"opt_G": adam(G, lr, betas), "opt_D": adam(D, self.lr_D, betas)}
        self.lr, self.betas = lr, tuple(betas)
        self.decay = linear_decay(self.steps, self.decay_steps)
        self.iteration = 0                       # steps taken: sets the learning rate and which steps update G

    def setup(self, device, rng):
        super().setup(device, rng)
        if self.fixed_x is not None:
            self.fixed_x, self.fixed_targets = self.to_device(self.fixed_x), self.fixed_targets.float().to(self.device)

    def train_step(self, batch, rng):
        _checks.rng("rng", rng)
        x, c_org = (self.to_device(t) for t in _batch(batch))
        c_trg = target_labels(c_org, rng)
        factor = self.decay(self.iteration)
        numbers = {"lr": self.lr * factor}                                   # G's rate for this step
        for optimizer, rate in ((self.optimizers["opt_G"], self.lr), (self.optimizers["opt_D"], self.lr_D)):
            for group in optimizer.param_groups:
                group["lr"] = rate * factor
        self.iteration += 1
        if self.iteration % self.n_critic == 0:
            g_numbers, fake = g_step(self.G, self.D, x, c_org, c_trg, self.optimizers["opt_G"], self.adversarial,
                                     self.lambda_cls, self.lambda_rec, self.lambda_id)
            numbers.update(g_numbers)
        else:
            with torch.no_grad():
                fake = self.G(x, c_trg)
        with frozen(self.G):
            numbers.update(d_step(self.D, x, c_org, fake.detach(), self.optimizers["opt_D"], self.adversarial,
                                  self.lambda_cls, self.lambda_gp, rng))
        return numbers

    def sample(self):
        """Each fixed image translated to each fixed target: (n · (1 + T), C, H, W) on the CPU, image by image:
        the source, then its T translations (a grid of n rows and 1 + T columns)."""
        if self.fixed_x is None:
            return None
        n, T = self.fixed_x.shape[0], self.fixed_targets.shape[0]
        with evaluating(self.G):
            x = self.fixed_x.repeat_interleave(T, dim=0)                                     # (n T, C, H, W)
            out = self.G(x, self.fixed_targets.repeat(n, 1)).float().cpu().reshape(n, T, *x.shape[1:])
        return torch.cat([self.fixed_x.float().cpu()[:, None], out], dim=1).flatten(0, 1).contiguous()

    def measure(self, batch):
        """On the latest training batch, in eval mode: D's attribute accuracy on the real images (``D_acc``), the
        share of translations D classifies as their targets (``G_acc``), and the reconstruction error."""
        x, c_org = (self.to_device(t) for t in _batch(batch))
        c_trg = target_labels(c_org, torch.Generator().manual_seed(0))
        with evaluating(self.G, self.D), torch.no_grad():
            fake = self.G(x, c_trg)
            real_cls, fake_cls = self.D(x)[1], self.D(fake)[1]
            return {"D_acc": ((real_cls > 0).float() == c_org).float().mean().item(),
                    "G_acc": ((fake_cls > 0).float() == c_trg).float().mean().item(),
                    "rec_error": (self.G(fake, c_org) - x).abs().mean().item()}

    def config(self):
        return {"steps": self.steps, "decay_steps": self.decay_steps, "n_critic": self.n_critic,
                "adversarial": self.adversarial, "lambda_cls": self.lambda_cls, "lambda_rec": self.lambda_rec,
                "lambda_id": self.lambda_id,
                "lambda_gp": self.lambda_gp, "lr": self.lr, "lr_D": self.lr_D,
                "betas": list(self.betas)}

    def extra_state(self):
        return {"iteration": self.iteration}

    def load_extra_state(self, state):
        if not isinstance(state, dict) or not isinstance(state.get("iteration"), int):
            raise ValueError(f"state must be the dict that extra_state() returns, with 'iteration', "
                             f"got {type(state).__name__}")
        self.iteration = state["iteration"]


def train_stargan(G: nn.Module, D: nn.Module, data: Iterable, *, steps: int, decay_steps: int | None = None,
                  n_critic: int = 5, adversarial: str = "wgan-gp", lambda_cls: float = 1.0, lambda_rec: float = 10.0,
                  lambda_id: float = 0.0,
                  lambda_gp: float = 10.0, lr: float = 1e-4, lr_D: float | None = None,
                  betas: tuple[float, float] = (0.5, 0.999),
                  fixed_x: torch.Tensor | None = None, fixed_targets: torch.Tensor | None = None, device=None,
                  sample_every: int | None = None, sample_at_start: bool = True, seed: int = 0,
                  callbacks: Iterable[Callable] = (), checkpoint: str | os.PathLike | None = None,
                  resume: bool = False, progress: bool = True, desc: str = "Training StarGAN") -> History:
    """Train G(x, c) and D on ``data`` (an iterable of (images, labels) batches, e.g.
    ``gancourse.data.attributes.attribute_loader(..., with_digits=False)``) until step ``steps`` with the one
    training loop; returns its ``History``: per step loss_D, D_adv, D_cls, D_gp, lr and, on G's steps, loss_G,
    G_adv, G_cls, rec; per sample point D_acc, G_acc, rec_error and, given ``fixed_x`` and ``fixed_targets``,
    the translation grid (``StarGAN.sample``). The other arguments are ``StarGAN``'s and ``train``'s."""
    family = StarGAN(G, D, steps=steps, decay_steps=decay_steps, n_critic=n_critic, adversarial=adversarial,
                     lambda_cls=lambda_cls, lambda_rec=lambda_rec, lambda_gp=lambda_gp,
                     lambda_id=lambda_id, lr=lr, lr_D=lr_D, betas=betas,
                     fixed_x=fixed_x, fixed_targets=fixed_targets)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=sample_at_start,
                 seed=seed, callbacks=callbacks, checkpoint=checkpoint, resume=resume, progress=progress, desc=desc)
