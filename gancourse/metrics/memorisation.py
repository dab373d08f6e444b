"""Does a sampler copy its training images? Nearest training images of its samples, against those of unseen images.

A model that memorises produces samples much nearer to some training image than real images it never saw are.
``nearest_neighbours`` finds, for each image, its nearest reference image in pixel space (Euclidean distance,
chunked so that 1,000 × 9,000 MNIST images fit in memory); ``memorisation_report`` compares the samples' distances
to the training set with the held-out test images' distances to it, and flags the sampler when too many of its
samples are nearer than almost every unseen image is (a one-sided binomial test).
"""
from __future__ import annotations

import torch
from scipy.stats import binom

from gancourse import _checks


def _image_batch(name: str, value, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    _checks.tensor(name, value, ndim=4)
    if value.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one image")
    if shape is not None and tuple(value.shape[1:]) != tuple(shape):
        raise ValueError(f"{name} must have shape (N, {', '.join(map(str, shape))}) like the other images, "
                         f"got {tuple(value.shape)}")
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return value


@torch.no_grad()
def nearest_neighbours(samples: torch.Tensor, reference: torch.Tensor, chunk: int = 256
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """For each image of ``samples`` (N, C, H, W), its nearest image of ``reference`` (M, C, H, W) in pixel space.

    Returns (distances (N,) float64, indices (N,) int64) on the CPU: the Euclidean distance between the flattened
    images and the index in ``reference`` of the nearest one (the first one on a tie). Computed in float64 on
    ``reference``'s device, ``chunk`` samples at a time (memory: chunk × M distances)."""
    reference = _image_batch("reference", reference)
    samples = _image_batch("samples", samples, tuple(reference.shape[1:]))
    _checks.positive_int("chunk", chunk)
    ref = reference.flatten(1).double()                                       # (M, P)
    ref_sq = (ref ** 2).sum(1)                                                # (M,)
    distances, indices = [], []
    for part in samples.flatten(1).split(chunk):
        x = part.to(ref.device).double()                                      # (n, P)
        sq = (x ** 2).sum(1, keepdim=True) - 2 * x @ ref.T + ref_sq           # (n, M) squared distances
        best, index = sq.min(dim=1)
        distances.append(best.clamp_min(0).sqrt().cpu())
        indices.append(index.cpu())
    return torch.cat(distances), torch.cat(indices)


def _summary(d: torch.Tensor) -> dict[str, float]:
    q = torch.quantile(d, torch.tensor([0.01, 0.1, 0.5], dtype=d.dtype))
    return {"min": round(d.min().item(), 4), "p1": round(q[0].item(), 4), "p10": round(q[1].item(), 4),
            "median": round(q[2].item(), 4), "mean": round(d.mean().item(), 4)}


def memorisation_report(samples: torch.Tensor, train: torch.Tensor, test: torch.Tensor, quantile: float = 0.01,
                        alpha: float = 1e-3, copy_distance: float = 1e-3, chunk: int = 256, closest: int = 8) -> dict:
    """How near the samples are to the training images, compared with how near unseen images are: a JSON-ready dict.

    ``samples`` (N, C, H, W), ``train`` (M, C, H, W) and ``test`` (T, C, H, W) images on one pixel scale (e.g. all in
    [-1, 1]); ``test`` must not overlap ``train``. For every sample and every test image the distance to its
    nearest training image is measured (``nearest_neighbours``). The threshold is the ``quantile`` (in (0, 1)) of
    the test images' distances: a sampler whose samples are as far from the training set as unseen images has
    about that share of samples below it. Keys:

    * ``n_samples``, ``n_train``, ``n_test``;
    * ``sample_to_train`` and ``test_to_train``: min, 1st and 10th percentile, median and mean of the distances;
    * ``median_ratio``: the samples' median distance over the test images' (well below 1: samples hug the
      training set; near 1: as near as unseen images);
    * ``threshold``, ``share_closer``: the share of samples nearer than ``threshold``, ``expected_share`` =
      ``quantile``; ``p_value``: P(at least that many | Binomial(N, quantile)) — the chance of so many near
      samples from a sampler as far from the training set as unseen images (approximate: the threshold itself is
      estimated from T test images); ``flagged``: ``p_value < alpha`` (``alpha`` in (0, 1]);
    * ``copies``: the share of samples within ``copy_distance`` of a training image (exact copies);
    * ``closest``: the ``closest`` samples nearest to a training image, as {"sample", "train", "distance"}.
    """
    train = _image_batch("train", train)
    samples = _image_batch("samples", samples, tuple(train.shape[1:]))
    test = _image_batch("test", test, tuple(train.shape[1:]))
    quantile = _checks.number("quantile", quantile, 0.0, 1.0, high_open=True)
    if quantile == 0.0:
        raise ValueError("quantile must be a number in (0, 1), got 0: no sample is nearer than the nearest of all")
    alpha = _checks.number("alpha", alpha, 0.0, 1.0)
    if alpha == 0.0:
        raise ValueError("alpha must be a number in (0, 1], got 0: no sampler would ever be flagged")
    copy_distance = _checks.number("copy_distance", copy_distance, 0.0)
    _checks.positive_int("chunk", chunk)
    closest = _checks.non_negative_int("closest", closest)
    d_samples, i_samples = nearest_neighbours(samples, train, chunk)
    d_test, _ = nearest_neighbours(test, train, chunk)
    threshold = torch.quantile(d_test, quantile).item()
    count = int((d_samples < threshold).sum())
    p_value = float(binom.sf(count - 1, len(d_samples), quantile))          # P(X >= count), X ~ B(N, quantile)
    order = d_samples.argsort()[:closest]
    return {
        "n_samples": len(d_samples), "n_train": train.shape[0], "n_test": len(d_test),
        "sample_to_train": _summary(d_samples), "test_to_train": _summary(d_test),
        "median_ratio": round(d_samples.median().item() / max(d_test.median().item(), 1e-12), 4),
        "quantile": quantile, "threshold": round(threshold, 4), "share_closer": round(count / len(d_samples), 4),
        "expected_share": quantile, "p_value": float(f"{p_value:.3g}"), "alpha": alpha,
        "flagged": bool(p_value < alpha),
        "copies": round(float((d_samples <= copy_distance).double().mean()), 4),
        "closest": [{"sample": int(s), "train": int(i_samples[s]), "distance": round(d_samples[s].item(), 4)}
                    for s in order],
    }
