"""Likelihoods in nats per image: where a model has one, and how far an estimate of it can be trusted.

* An RBM's p(v) = exp(-F(v)) / Z needs the partition function Z: ``exact_log_partition`` sums over every state
  of the smaller layer (2^25 hidden states: 50 to 104 s on one thread of a shared, loaded 2-core CPU, measured by
  ``scripts/build_pretrained_rbm.py``); ``ais_log_partition`` estimates it by annealed importance sampling
  (Salakhutdinov & Murray, 2008) for any size; ``rbm_log_likelihood`` is then the mean of -F(v) - log Z.
  ``pseudo_log_likelihood`` needs no Z (as scikit-learn's ``BernoulliRBM.score_samples``) but is not a likelihood.
* A VAE gives lower bounds on log p(x): the ELBO and the tighter importance-weighted bound ``iwae_bound`` (Burda,
  Grosse & Salakhutdinov, 2016), which rises towards log p(x) as k grows.
* A GAN has no density at all; a Gaussian Parzen window on its samples (``parzen_log_likelihood``, in
  ``gancourse.metrics.parzen``) is what was reported instead, and Theis, van den Oord & Bethge (2016) show how
  misleading it is.

Visible vectors of an RBM are flat bits (B, V) with values 0 or 1; the VAE's images are binary images (B, C, H, W)
with values -1 or 1 (``gancourse.data.binarise``), whose pixels are Bernoulli with target (x + 1) / 2.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F

from gancourse import _checks
from gancourse.metrics.parzen import choose_parzen_sigma, parzen_log_likelihood
from gancourse.models.rbm import BernoulliRBM
from gancourse.models.vae import VAE
from gancourse.sampling import evaluating

MAX_EXACT_UNITS = 28   # exact_log_partition refuses to enumerate more than 2^28 states (hours on a CPU)

__all__ = ["AISResult", "MAX_EXACT_UNITS", "ais_betas", "ais_log_partition", "choose_parzen_sigma",
           "exact_log_partition", "iwae_bound", "parzen_log_likelihood", "pseudo_log_likelihood",
           "rbm_log_likelihood"]


def _rbm(rbm) -> BernoulliRBM:
    if not isinstance(rbm, BernoulliRBM):
        raise TypeError(f"rbm must be a gancourse.models.BernoulliRBM, got {type(rbm).__name__}")
    return rbm


def _bits(rbm: BernoulliRBM, v: torch.Tensor, name: str = "v") -> torch.Tensor:
    v = rbm._visible(v, name)
    if v.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one visible vector")
    if not ((v == 0) | (v == 1)).all():
        raise ValueError(f"{name} must be binary (every value 0 or 1): a likelihood of binary units is defined on bits "
                         f"only; binarise images with gancourse.data.binarise and flatten with images_to_bits")
    return v


def _all_states(n: int, device, dtype) -> torch.Tensor:
    """Every binary vector of length n: (2^n, n), row r = the bits of r."""
    codes = torch.arange(2 ** n, device=device).unsqueeze(1)
    return ((codes >> torch.arange(n, device=device)) & 1).to(dtype)


def _group_size(low_act: torch.Tensor, high_act: torch.Tensor) -> int:
    """How many factors (1 + e^a) of ``_log_sum_over`` can be multiplied before one log without leaving the dtype's
    range (8, 4, 2 or 1), or 0: pre-activations too large for e^a, use softplus."""
    limit = 80.0 if low_act.dtype == torch.float32 else 700.0           # e^±80 is well inside float32's range
    if max(low_act.abs().max().item(), high_act.abs().max().item()) >= limit:
        return 0
    per_unit = F.softplus(low_act.max(0).values + high_act.max(0).values)   # ≥ log(1 + e^a) for every state
    for g in (8, 4, 2, 1):
        if per_unit.numel() % g == 0 and per_unit.view(g, -1).sum(0).max().item() < limit:
            return g
    return 0


@torch.no_grad()
def _log_sum_over(weight: torch.Tensor, b_enum: torch.Tensor, b_other: torch.Tensor, chunk: int) -> float:
    """log Σ_s exp(s·b_enum + Σ_i softplus(b_other_i + (sᵀ weight)_i)) over every binary s; weight: (n_enum, n_other).

    The low bits of s are enumerated once ((2^low, n_other) pre-activations a); each chunk adds one setting of the
    high bits, so a chunk costs no matrix product. Where the range allows, Σ_i softplus(a_i) is computed as
    Σ log Π_group (1 + e^{a_low} e^{a_high}) (one logarithm per group of g units instead of an exp and a log per
    unit: the same sum, about 3x faster), else with softplus."""
    n, n_other = weight.shape
    low = min(n, max(0, int(math.log2(chunk))))
    low_states = _all_states(low, weight.device, weight.dtype)                   # (2^low, low)
    low_act = low_states @ weight[:low] + b_other                                # (2^low, n_other)
    low_lin = low_states @ b_enum[:low]                                          # (2^low,)
    high_states = _all_states(n - low, weight.device, weight.dtype)              # (2^high, high)
    high_act = high_states @ weight[low:]                                        # (2^high, n_other)
    high_lin = high_states @ b_enum[low:]                                        # (2^high,)
    g = _group_size(low_act, high_act)
    if g:
        low_exp, high_exp = low_act.exp(), high_act.exp()
        buffer = torch.empty_like(low_act)
    parts = torch.empty(high_states.shape[0], dtype=torch.float64)
    for r in range(high_states.shape[0]):
        if g:
            factors = torch.mul(low_exp, high_exp[r], out=buffer).add_(1).view(-1, g, n_other // g)
            product = factors[:, 0]
            for j in range(1, g):
                product.mul_(factors[:, j])                                      # (2^low, n_other / g)
            softplus_sum = product.log_().sum(dim=1)
        else:
            softplus_sum = F.softplus(low_act + high_act[r]).sum(dim=1)
        values = low_lin + high_lin[r] + softplus_sum                            # (2^low,)
        parts[r] = torch.logsumexp(values.double(), dim=0).cpu()
    return torch.logsumexp(parts, dim=0).item()


def exact_log_partition(rbm: BernoulliRBM, chunk: int = 2 ** 14, over: str = "auto",
                        max_units: int = MAX_EXACT_UNITS) -> float:
    """log Z of ``rbm``, exactly, by summing the free energy over every state of one layer.

    ``over="hidden"``: log Z = log Σ_h exp(h·b_h + Σ_i softplus(b_v,i + (Wᵀh)_i)) (2^H terms);
    ``over="visible"``: log Z = log Σ_v exp(-F(v)) (2^V terms); ``"auto"``: the smaller layer. Computed in the
    RBM's dtype in chunks of ``chunk`` states (a power of two; memory ~ chunk × the other layer's size), summed in
    float64. Raises ``ValueError`` if the enumerated layer has more than ``max_units`` units."""
    rbm = _rbm(rbm)
    _checks.positive_int("chunk", chunk)
    _checks.one_of("over", over, ("auto", "hidden", "visible"))
    _checks.positive_int("max_units", max_units)
    if over == "auto":
        over = "hidden" if rbm.n_hidden <= rbm.n_visible else "visible"
    n = rbm.n_hidden if over == "hidden" else rbm.n_visible
    if n > max_units:
        raise ValueError(f"exact_log_partition would enumerate 2^{n} {over} states, over the limit of 2^{max_units}: "
                         f"use ais_log_partition for this RBM (or raise max_units if you can wait)")
    W = rbm.W.detach()
    if over == "hidden":
        return _log_sum_over(W, rbm.b_h.detach(), rbm.b_v.detach(), chunk)
    return _log_sum_over(W.T.contiguous(), rbm.b_v.detach(), rbm.b_h.detach(), chunk)


def ais_betas(scale: float = 1.0) -> torch.Tensor:
    """Salakhutdinov & Murray's inverse temperatures: 500 steps on [0, 0.5), 4,000 on [0.5, 0.9), 10,000 on
    [0.9, 1.0] (14,500 in all), each count multiplied by ``scale``. A float64 tensor from 0 to 1."""
    scale = _checks.positive_float("scale", scale)
    counts = [max(1, round(c * scale)) for c in (500, 4000, 10000)]
    return torch.cat([torch.linspace(0.0, 0.5, counts[0] + 1, dtype=torch.float64)[:-1],
                      torch.linspace(0.5, 0.9, counts[1] + 1, dtype=torch.float64)[:-1],
                      torch.linspace(0.9, 1.0, counts[2], dtype=torch.float64)])


class AISResult(NamedTuple):
    """An AIS estimate: ``log_z`` = log of the mean importance weight × Z_A, and ``log_z_low`` / ``log_z_high`` =
    log(Ẑ ∓ 3 σ̂) with σ̂ the standard error of the mean weight (−inf when Ẑ - 3 σ̂ ≤ 0), as Salakhutdinov & Murray
    report; ``log_weights`` (n_chains,) float64 include log Z_A."""
    log_z: float
    log_z_low: float
    log_z_high: float
    log_weights: torch.Tensor


@torch.no_grad()
def ais_log_partition(rbm: BernoulliRBM, n_chains: int = 100, betas: torch.Tensor | None = None,
                      generator: torch.Generator | None = None, data: torch.Tensor | None = None) -> AISResult:
    """Estimate log Z of ``rbm`` by annealed importance sampling from a base-rate model A (Salakhutdinov & Murray).

    A has no weights and visible biases b_A = log(p / (1 - p)) of the pixel means p of ``data`` (N, V) bits,
    smoothed as (count + 1) / (N + 2), or zero if ``data`` is None; log Z_A = Σ softplus(b_A) + H log 2. The path
    p_β(v) ∝ exp((1-β) v·b_A + β v·b_v) Π_j (1 + exp(β (b_h,j + W_j·v))) runs over ``betas`` (increasing from 0 to
    1; default ``ais_betas()``), each step one block Gibbs transition at β, ``n_chains`` chains drawn from
    ``generator``. Returns an ``AISResult``."""
    rbm = _rbm(rbm)
    _checks.positive_int("n_chains", n_chains)
    _checks.rng("generator", generator)
    betas = ais_betas() if betas is None else _checks.tensor("betas", betas, ndim=1)
    if betas.numel() < 2 or betas[0] != 0 or betas[-1] != 1 or (betas[1:] < betas[:-1]).any():
        raise ValueError("betas must be a 1-D increasing sequence from 0 to 1 (e.g. ais_betas())")
    W, b_v, b_h = rbm.W.detach(), rbm.b_v.detach(), rbm.b_h.detach()
    if data is None:
        b_a = torch.zeros_like(b_v)
    else:
        data = _bits(rbm, data, "data")
        p = (data.sum(0) + 1) / (data.shape[0] + 2)
        b_a = torch.log(p) - torch.log1p(-p)
    log_z_a = F.softplus(b_a).double().sum().item() + rbm.n_hidden * math.log(2)

    def bernoulli(probs):
        uniform = torch.rand(probs.shape, generator=generator, dtype=probs.dtype).to(probs.device)
        return (uniform < probs).to(probs.dtype)

    v = bernoulli(torch.sigmoid(b_a).expand(n_chains, -1))                     # exact draws from p_0 = A
    log_w = torch.zeros(n_chains, dtype=torch.float64, device=W.device)
    for prev, beta in zip(betas[:-1].tolist(), betas[1:].tolist()):
        act, lin_a, lin_v = v @ W.T + b_h, v @ b_a, v @ b_v                      # (n_chains, H), (n_chains,) x2
        # log p*_β(v) - log p*_β'(v), with log p*_β(v) = (1-β) v·b_A + β v·b_v + Σ_j softplus(β act_j)
        log_w += ((prev - beta) * lin_a + (beta - prev) * lin_v
                  + (F.softplus(beta * act) - F.softplus(prev * act)).sum(1)).double()
        h = bernoulli(torch.sigmoid(beta * act))                                # a Gibbs transition at β
        v = bernoulli(torch.sigmoid((1 - beta) * b_a + beta * (h @ W + b_v)))
    log_w = log_w.cpu() + log_z_a
    top = log_w.max()
    w = torch.exp(log_w - top)
    mean, sem = w.mean(), w.std() / math.sqrt(n_chains) if n_chains > 1 else torch.tensor(0.0, dtype=torch.float64)
    low = (top + torch.log(mean - 3 * sem)).item() if mean > 3 * sem else -math.inf
    return AISResult((top + torch.log(mean)).item(), low, (top + torch.log(mean + 3 * sem)).item(), log_w)


@torch.no_grad()
def rbm_log_likelihood(rbm: BernoulliRBM, v: torch.Tensor, log_z: float) -> float:
    """Mean log p(v) = -F(v) - log Z over the rows of ``v`` (B, V) bits: nats per image."""
    rbm = _rbm(rbm)
    v = _bits(rbm, v)
    log_z = _checks.number("log_z", log_z)
    return (-rbm.free_energy(v).double().mean() - log_z).item()


@torch.no_grad()
def pseudo_log_likelihood(rbm: BernoulliRBM, v: torch.Tensor, generator: torch.Generator | None = None,
                          index: torch.Tensor | None = None) -> torch.Tensor:
    """V · log σ(F(ṽ) - F(v)) per row of ``v`` (B, V) bits, where ṽ is v with one bit flipped — bit ``index[b]``
    of row b if ``index`` (B,) is given, else one drawn uniformly from ``generator``. This is what scikit-learn's
    ``BernoulliRBM.score_samples`` computes: a stochastic estimate of the pseudo-likelihood Σ_i log p(v_i | v_-i).
    Returns (B,) nats per image (≤ 0)."""
    rbm = _rbm(rbm)
    v = _bits(rbm, v)
    _checks.rng("generator", generator)
    if index is None:
        index = torch.randint(0, rbm.n_visible, (v.shape[0],), generator=generator)
    else:
        _checks.class_labels("index", index)
        if index.shape[0] != v.shape[0] or (index < 0).any() or (index >= rbm.n_visible).any():
            raise ValueError(f"index must hold one bit position in [0, {rbm.n_visible}) per row of v")
    rows = torch.arange(v.shape[0], device=v.device)
    flipped = v.clone()
    index = index.to(v.device)
    flipped[rows, index] = 1 - flipped[rows, index]
    return rbm.n_visible * F.logsigmoid(rbm.free_energy(flipped) - rbm.free_energy(v))


def _binary_vae_images(vae: VAE, images: torch.Tensor) -> torch.Tensor:
    """Check that ``vae`` is a VAE and ``images`` a non-empty batch of its image shape with every value -1 or 1 (the
    VAE's Bernoulli likelihood is a probability only on binary pixels); returns ``images``."""
    if not isinstance(vae, VAE):
        raise TypeError(f"vae must be a gancourse.models.VAE, got {type(vae).__name__}")
    _checks.images("images", images, vae.image_shape)
    if images.shape[0] == 0:
        raise ValueError("images is empty: expected at least one image")
    if not ((images == -1) | (images == 1)).all():
        raise ValueError("images must be binary (every value -1 or 1): the Bernoulli likelihood of the VAE is a "
                         "probability only on binary pixels; use gancourse.data.binarise or binarised_test_set")
    return images


@torch.no_grad()
def iwae_bound(vae: VAE, images: torch.Tensor, k: int, generator: torch.Generator | None = None,
               chunk: int = 256) -> float:
    """The importance-weighted lower bound log (1/k) Σ_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x), on log p(x):
    nats per image, the mean over ``images``.

    ``images``: binary images (B, C, H, W) with values -1 or 1; the pixel model is the VAE's Bernoulli on
    (x + 1) / 2 (as ``gancourse.losses.reconstruction_loss``), so log p(x | z) is a proper log-probability only on
    binary pixels. k = 1 is the ELBO with a one-sample KL (equal to it in expectation); the bound does not fall
    as k grows and tends to log p(x). Samples z from ``generator``, ``chunk`` of them per decoder call; eval mode."""
    _binary_vae_images(vae, images)
    _checks.positive_int("k", k)
    _checks.rng("generator", generator)
    _checks.positive_int("chunk", chunk)
    device = next(vae.parameters()).device
    total = 0.0
    with evaluating(vae):
        for x in images.split(max(1, chunk // k) if k < chunk else 1):
            x = x.to(device)
            mean, logvar = vae.encode(x)                                         # (B, d) each
            target = ((x.to(mean.dtype) + 1) / 2).flatten(1)                     # (B, P) in {0, 1}
            log_ws = []
            for n in [min(chunk, k - s) for s in range(0, k, chunk)]:
                eps = torch.randn((n, *mean.shape), generator=generator, dtype=mean.dtype).to(device)   # (n, B, d)
                z = mean + torch.exp(0.5 * logvar) * eps
                logits = vae.decode_logits(z.reshape(-1, vae.latent_dim)).flatten(1).view(n, x.shape[0], -1)
                log_px_z = -F.binary_cross_entropy_with_logits(logits, target.expand_as(logits),
                                                               reduction="none").sum(-1)            # (n, B)
                log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(-1)
                log_qz = -0.5 * (eps ** 2 + logvar + math.log(2 * math.pi)).sum(-1)
                log_ws.append((log_px_z + log_pz - log_qz).double())
            log_w = torch.cat(log_ws)                                            # (k, B)
            total += (torch.logsumexp(log_w, dim=0) - math.log(k)).sum().item()
    return total / images.shape[0]
