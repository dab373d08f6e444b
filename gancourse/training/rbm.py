"""Training an RBM: contrastive divergence (CD-k, Hinton 2002) and persistent CD (PCD, Tieleman 2008).

The gradient of the mean log-likelihood of data v is a difference of two expectations:

    ∂ log p(v) / ∂W = E_data[h vᵀ] - E_model[h vᵀ]      (and likewise for b_v with v, for b_h with h).

* **positive phase**: the data v with the hidden probabilities p(h | v) (exact, no sampling);
* **negative phase**: the model's expectation, approximated by a short Gibbs chain — started at the data and run k
  steps (CD-k), or continued from where the previous step's chain ended (PCD: the chain persists across steps).

``cd_gradient`` computes both phases and returns the ascent direction and the chain's final visible state;
``RBMFamily`` turns it into an SGD step with momentum and weight decay (Hinton's practical guide) inside the one
training loop; ``train_rbm`` runs it; ``save_rbm`` / ``load_rbm`` write and read weights (the shipped ones
too). Data are binary images (values -1 or 1, ``gancourse.data.binarise``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

import torch

from gancourse import _checks
from gancourse.data.binary import bits_to_images, images_to_bits
from gancourse.metrics.likelihood import pseudo_log_likelihood
from gancourse.models.rbm import BernoulliRBM
from gancourse.training.gan import images_of
from gancourse.training.checkpoints import read_states, write_states
from gancourse.training.history import History
from gancourse.training.loop import Family, train


class CDGradient(NamedTuple):
    """The ascent direction of the log-likelihood (positive minus negative statistics, mean over the batch) and
    the negative phase's final visible sample ``chain`` (B, V), which PCD keeps for the next step."""
    W: torch.Tensor       # (H, V)
    b_v: torch.Tensor     # (V,)
    b_h: torch.Tensor     # (H,)
    chain: torch.Tensor   # (B_chain, V) binary


@torch.no_grad()
def cd_gradient(rbm: BernoulliRBM, v_data: torch.Tensor, k: int = 1, generator: torch.Generator | None = None,
                persistent_chain: torch.Tensor | None = None) -> CDGradient:
    """The CD-k (or, with ``persistent_chain``, PCD-k) estimate of the log-likelihood gradient on bits ``v_data``.

    Positive phase: v_data (B, V) and p(h | v_data). Negative phase: a chain started at v_data (CD) or at
    ``persistent_chain`` (B', V) (PCD), run ``k`` block Gibbs steps (h sampled, v sampled), then p(h | v_k).
    Statistics are means over each phase's rows. Randomness from ``generator``."""
    if not isinstance(rbm, BernoulliRBM):
        raise TypeError(f"rbm must be a gancourse.models.BernoulliRBM, got {type(rbm).__name__}")
    v_data = rbm._visible(v_data, "v_data")
    _checks.positive_int("k", k)
    _checks.rng("generator", generator)
    h_data = rbm.hidden_probs(v_data)                                   # (B, H) positive phase
    v = v_data if persistent_chain is None else rbm._visible(persistent_chain, "persistent_chain")
    for _ in range(k):
        v = rbm.gibbs_step(v, generator)                                # (B', V) negative phase chain
    h_model = rbm.hidden_probs(v)                                       # (B', H)
    grad_W = h_data.T @ v_data / v_data.shape[0] - h_model.T @ v / v.shape[0]
    return CDGradient(grad_W, v_data.mean(0) - v.mean(0), h_data.mean(0) - h_model.mean(0), v)


@torch.no_grad()
def reconstruction_error(rbm: BernoulliRBM, v: torch.Tensor) -> float:
    """Hinton's cheap progress signal: Σ_i (v_i - p(v_i | p(h | v)))², summed over pixels, mean over the batch."""
    if not isinstance(rbm, BernoulliRBM):
        raise TypeError(f"rbm must be a gancourse.models.BernoulliRBM, got {type(rbm).__name__}")
    v = rbm._visible(v)
    return ((v - rbm.visible_probs(rbm.hidden_probs(v))) ** 2).sum(dim=1).mean().item()


class RBMFamily(Family):
    """An RBM trained by CD-k or PCD-k with SGD: momentum ``initial_momentum`` for the first ``momentum_steps``
    steps, then ``momentum``; L2 weight decay on W only (Hinton, "A practical guide to training RBMs", 2010).

    Step numbers: ``reconstruction`` (``reconstruction_error`` of the batch). Sample points: ``pseudo_likelihood``
    (mean ``pseudo_log_likelihood`` of the first batch the loop measured, with fixed flipped bits) and
    ``n_samples`` images from Gibbs chains run ``sample_steps`` steps from fixed random bits."""

    def __init__(self, rbm: BernoulliRBM, *,
                 lr: float = 0.05,                 # learning rate on the mean gradient
                 k: int = 1,                       # Gibbs steps in the negative phase (CD-k / PCD-k)
                 persistent: bool = False,         # PCD: keep the negative chain across steps
                 momentum: float = 0.9,            # momentum after the first momentum_steps steps
                 initial_momentum: float = 0.5,    # momentum at the start, while the gradient is large
                 momentum_steps: int = 500,        # steps with initial_momentum (Hinton: about 5 epochs)
                 weight_decay: float = 2e-4,       # L2 penalty on W (not the biases)
                 n_samples: int = 64,              # images drawn at each sample point
                 sample_steps: int = 200):         # Gibbs steps of those chains
        if not isinstance(rbm, BernoulliRBM):
            raise TypeError(f"rbm must be a gancourse.models.BernoulliRBM, got {type(rbm).__name__}")
        self.rbm, self.lr, self.k = rbm, _checks.positive_float("lr", lr), _checks.positive_int("k", k)
        self.persistent = _checks.boolean("persistent", persistent)
        self.momentum = _checks.number("momentum", momentum, 0.0, 1.0, high_open=True)
        self.initial_momentum = _checks.number("initial_momentum", initial_momentum, 0.0, 1.0, high_open=True)
        self.momentum_steps = _checks.non_negative_int("momentum_steps", momentum_steps)
        self.weight_decay = _checks.number("weight_decay", weight_decay, 0.0)
        self.n_samples = _checks.positive_int("n_samples", n_samples)
        self.sample_steps = _checks.non_negative_int("sample_steps", sample_steps)
        self.models = {"rbm": rbm}
        self.optimizers = {"opt": torch.optim.SGD(
            [{"params": [rbm.W], "weight_decay": self.weight_decay},
             {"params": [rbm.b_v, rbm.b_h], "weight_decay": 0.0}],
            lr=self.lr, momentum=self.initial_momentum if self.momentum_steps else self.momentum)}
        self.chain, self.fixed_batch, self.steps_taken = None, None, 0

    def setup(self, device, rng):
        if not isinstance(rng, torch.Generator):
            raise TypeError(f"rng must be a torch.Generator (the loop's seeded generator), got {type(rng).__name__}")
        super().setup(device, rng)
        self.sample_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=rng))
        if self.chain is not None:
            self.chain = self.chain.to(self.device)

    def _bits(self, batch) -> torch.Tensor:
        images = _checks.tensor("batch", images_of(batch))
        return self.rbm._visible(images_to_bits(images) if images.ndim == 4 else images, "batch")

    def train_step(self, batch, rng):
        if not isinstance(rng, torch.Generator):
            raise TypeError(f"rng must be a torch.Generator (the loop's seeded generator), got {type(rng).__name__}")
        v = self._bits(batch)
        opt = self.optimizers["opt"]
        self.steps_taken += 1
        for group in opt.param_groups:
            group["momentum"] = self.initial_momentum if self.steps_taken <= self.momentum_steps else self.momentum
        chain = self.chain if self.persistent else None
        if chain is not None and chain.shape[0] != v.shape[0]:
            chain = None                                     # a batch of another size: restart the chain at the data
        grad = cd_gradient(self.rbm, v, self.k, rng, chain)
        if self.persistent:
            self.chain = grad.chain
        for param, ascent in ((self.rbm.W, grad.W), (self.rbm.b_v, grad.b_v), (self.rbm.b_h, grad.b_h)):
            param.grad = -ascent                             # SGD descends: minus the log-likelihood's gradient
        opt.step()
        return {"reconstruction": reconstruction_error(self.rbm, v)}

    def measure(self, batch):
        if self.fixed_batch is None:
            self.fixed_batch = self._bits(batch).detach().clone()
        pll = pseudo_log_likelihood(self.rbm, self.fixed_batch, torch.Generator().manual_seed(0))
        return {"pseudo_likelihood": pll.mean().item()}

    def sample(self):
        probs = self.rbm.sample(self.n_samples, self.sample_steps, torch.Generator().manual_seed(self.sample_seed))
        probs = probs.cpu()
        return probs if self.rbm.image_shape is None else bits_to_images(probs, self.rbm.image_shape)

    def config(self):
        return {"n_visible": self.rbm.n_visible, "n_hidden": self.rbm.n_hidden, "lr": self.lr, "k": self.k,
                "persistent": self.persistent, "momentum": self.momentum, "initial_momentum": self.initial_momentum,
                "momentum_steps": self.momentum_steps, "weight_decay": self.weight_decay}

    def extra_state(self):
        return {"chain": None if self.chain is None else self.chain.cpu(), "steps_taken": self.steps_taken,
                "fixed_batch": None if self.fixed_batch is None else self.fixed_batch.cpu()}

    def load_extra_state(self, state):
        if not isinstance(state, dict):
            raise TypeError(f"state must be the dict that extra_state() returned, got {type(state).__name__}")
        self.steps_taken = state.get("steps_taken", 0)
        self.chain = state.get("chain")
        self.fixed_batch = state.get("fixed_batch")
        if self.chain is not None:
            self.chain = self.chain.to(self.device)
        if self.fixed_batch is not None:
            self.fixed_batch = self.fixed_batch.to(self.device)


def train_rbm(rbm: BernoulliRBM, data: Iterable, *, steps: int, k: int = 1, persistent: bool = False,
              lr: float = 0.05, momentum: float = 0.9, initial_momentum: float = 0.5, momentum_steps: int = 500,
              weight_decay: float = 2e-4, n_samples: int = 64, sample_steps: int = 200, device=None,
              sample_every: int | None = None, sample_at_start: bool = True, seed: int = 0,
              callbacks: Iterable[Callable] = (), checkpoint: str | os.PathLike | None = None, resume: bool = False,
              progress: bool = True, desc: str = "Training RBM") -> History:
    """Train an RBM until step ``steps`` by CD-k (``persistent=False``) or PCD-k with the one training loop.

    ``data`` yields binary images (B, C, H, W) with values -1 or 1 (or (images, labels) pairs, or flat bits (B, V));
    the other arguments are ``RBMFamily``'s and ``gancourse.training.train``'s. The ``History`` has
    ``reconstruction`` per step and ``pseudo_likelihood`` (nats per image) at every sample point."""
    family = RBMFamily(rbm, lr=lr, k=k, persistent=persistent, momentum=momentum, initial_momentum=initial_momentum,
                       momentum_steps=momentum_steps, weight_decay=weight_decay, n_samples=n_samples,
                       sample_steps=sample_steps)
    return train(family, data, steps=steps, device=device, sample_every=sample_every, sample_at_start=sample_at_start,
                 seed=seed, callbacks=callbacks, checkpoint=checkpoint, resume=resume, progress=progress, desc=desc)


PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"


def save_rbm(path: str | os.PathLike, rbm: BernoulliRBM, info: dict | None = None) -> Path:
    """Write ``rbm``'s weights (float32, CPU) and its sizes to ``path``, with ``info`` as JSON beside it (``.json``)."""
    if not isinstance(rbm, BernoulliRBM):
        raise TypeError(f"rbm must be a gancourse.models.BernoulliRBM, got {type(rbm).__name__}")
    if info is not None and not isinstance(info, dict):
        raise TypeError(f"info must be a dict of JSON-ready facts or None, got {type(info).__name__}")
    states = {"rbm": {k: v.detach().float().cpu() for k, v in rbm.state_dict().items()},
              "sizes": {"n_visible": rbm.n_visible, "n_hidden": rbm.n_hidden}}
    return write_states(path, states, config=info)


def load_rbm(path_or_name: str | os.PathLike = "rbm_mnist") -> BernoulliRBM:
    """An RBM written by ``save_rbm``: a file path, or the name of a shipped one (``"rbm_mnist"``: 25 hidden units;
    ``"rbm500_mnist"``: 500), read into float32 on the CPU in eval mode. Raises FileNotFoundError if there is no
    such file."""
    path = _checks.path("path_or_name", path_or_name)
    if not path.suffix and not path.exists():
        path = PRETRAINED_DIR / f"{path}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no RBM at path_or_name={str(path_or_name)!r} (looked for {path})")
    states = read_states(path, map_location="cpu")
    if "rbm" not in states or "sizes" not in states:
        raise ValueError(f"path_or_name={str(path_or_name)!r} ({path}) is not an RBM written by "
                         "gancourse.training.rbm.save_rbm")
    rbm = BernoulliRBM(**states["sizes"])
    rbm.load_state_dict(states["rbm"])
    return rbm.eval()
