"""Gaussian Parzen-window log-likelihoods: how GAN papers once reported a "likelihood", and why not to trust it.

A model that only gives samples s_1..s_N has no density; a Parzen window puts an isotropic Gaussian of width σ on
each sample,

    p̂(x) = (1/N) Σ_n N(x; s_n, σ² I),   log p̂(x) = logsumexp_n(-‖x - s_n‖² / (2σ²)) - log N - (D/2) log(2πσ²),

with σ chosen on validation data (``choose_parzen_sigma``). Theis, van den Oord & Bethge (2016) showed that in
high dimension this estimate says little about the model: a sampler that only returns a handful of training
images, or k-means centroids, can score above a sampler of real images. Values are in nats per image for images
flattened to D numbers, as given (the papers used intensities in [0, 1]).
"""
from __future__ import annotations

import math

import torch

from gancourse import _checks


def _flat(name: str, value) -> torch.Tensor:
    _checks.tensor(name, value)
    if value.ndim < 2 or value.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty batch (N, ...) of images or vectors, got {tuple(value.shape)}")
    return value.reshape(value.shape[0], -1).double()


@torch.no_grad()
def parzen_log_likelihood(samples: torch.Tensor, test: torch.Tensor, sigma: float, chunk: int = 1024) -> float:
    """Mean over ``test`` (M, ...) of log p̂(x) for the Gaussian Parzen window of width ``sigma`` on ``samples``
    (N, ...): nats per image. Both are flattened to (·, D) and must agree in D; computed in float64, ``chunk`` test
    rows at a time, with log-sum-exp."""
    samples, test = _flat("samples", samples), _flat("test", test)
    if samples.shape[1] != test.shape[1]:
        raise ValueError(f"samples and test must have the same size per image, got {samples.shape[1]} "
                         f"and {test.shape[1]} values")
    sigma = _checks.positive_float("sigma", sigma)
    _checks.positive_int("chunk", chunk)
    n, d = samples.shape
    constant = math.log(n) + 0.5 * d * math.log(2 * math.pi * sigma ** 2)
    total = 0.0
    for x in test.split(chunk):
        squared = torch.cdist(x, samples).pow(2)                                   # (m, N)
        total += (torch.logsumexp(-squared / (2 * sigma ** 2), dim=1) - constant).sum().item()
    return total / test.shape[0]


def choose_parzen_sigma(samples: torch.Tensor, validation: torch.Tensor, sigmas) -> tuple[float, dict[float, float]]:
    """The σ among ``sigmas`` (positive numbers) with the highest ``parzen_log_likelihood`` on ``validation``.
    Returns (best σ, {σ: mean log-likelihood on validation})."""
    if isinstance(sigmas, torch.Tensor) and sigmas.ndim == 1:
        sigmas = sigmas.tolist()
    if not isinstance(sigmas, (list, tuple)) or len(sigmas) == 0:
        raise TypeError(f"sigmas must be a non-empty list of positive numbers, got {sigmas!r}")
    sigmas = [_checks.positive_float("sigmas[i]", s) for s in sigmas]
    samples, validation = _flat("samples", samples), _flat("validation", validation)
    if samples.shape[1] != validation.shape[1]:
        raise ValueError(f"samples and validation must have the same size per image, got {samples.shape[1]} "
                         f"and {validation.shape[1]} values")
    scores = {s: parzen_log_likelihood(samples, validation, s) for s in sigmas}
    return max(scores, key=scores.get), scores
