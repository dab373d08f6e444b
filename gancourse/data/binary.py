"""Binarised images: the data of notebook 07, where an RBM, a VAE and a GAN are measured on the same binary pixels.

A binary RBM and a Bernoulli likelihood need pixels that are 0 or 1. MNIST's grey levels are turned into binary
pixels in one of two ways:

* **stochastic** (the default, as Salakhutdinov & Murray, 2008): each pixel is 1 with probability equal to its
  intensity (x + 1) / 2, drawn from a seeded ``torch.Generator``;
* **fixed threshold**: a pixel is 1 where its intensity is above ``threshold``.

Binary images keep the course's convention: float tensors with values -1 (black, bit 0) or 1 (white, bit 1), so the
classifier, the VAE and the GAN take them as they are; ``images_to_bits`` / ``bits_to_images`` convert to and from
the flat {0, 1} vectors an RBM works on. ``binarised_set`` binarises a whole split once, seeded, so that every model
is measured on the same binary test images (``binarised_test_set``).
"""
from __future__ import annotations

import math

import torch

from gancourse import _checks
from gancourse.data.images import ImageDataset, load_images

TEST_SEED = 2008      # the seed of the one binarisation of the test images that every model is measured on


def binarise(images: torch.Tensor, generator: torch.Generator | None = None, threshold: float | None = None
             ) -> torch.Tensor:
    """Binary images from ``images`` (B, C, H, W) in [-1, 1]: values -1 or 1, float, same shape, dtype and device.

    Without ``threshold``: stochastic binarisation, pixel = 1 with probability (x + 1) / 2, uniform draws from
    ``generator`` (a CPU generator; torch's global one if None). With ``threshold`` in [0, 1]: pixel = 1 where
    (x + 1) / 2 > threshold (no randomness; ``generator`` must then be None)."""
    _checks.tensor("images", images, ndim=4)
    _checks.rng("generator", generator)
    if images.numel() and (images.min() < -1 - 1e-6 or images.max() > 1 + 1e-6):
        raise ValueError(f"images must lie in [-1, 1] (as load_images gives them), got values in "
                         f"[{images.min().item():.3g}, {images.max().item():.3g}]")
    intensity = (images + 1) / 2
    if threshold is not None:
        if generator is not None:
            raise ValueError("pass either threshold (a fixed binarisation) or generator (a stochastic one), not both")
        bits = intensity > _checks.number("threshold", threshold, 0.0, 1.0)
    else:
        uniform = torch.rand(images.shape, generator=generator, dtype=torch.float32).to(images.device)
        bits = uniform < intensity
    return bits.to(images.dtype) * 2 - 1


def is_binary_images(images: torch.Tensor) -> bool:
    """True if every value of ``images`` is exactly -1 or 1."""
    _checks.tensor("images", images)
    return bool(((images == -1) | (images == 1)).all())


def images_to_bits(images: torch.Tensor) -> torch.Tensor:
    """Binary images (B, C, H, W) with values -1 or 1 → flat bits (B, C*H*W), float, values 0 or 1."""
    _checks.tensor("images", images, ndim=4)
    if not is_binary_images(images):
        raise ValueError("images must be binary (every value -1 or 1): binarise them first with "
                         "gancourse.data.binarise(images, generator) or use binarised_set(...)")
    return ((images.reshape(images.shape[0], -1) + 1) / 2)


def bits_to_images(bits: torch.Tensor, image_shape=(1, 28, 28)) -> torch.Tensor:
    """Flat visible vectors (B, C*H*W) with values in [0, 1] (bits or probabilities) → images (B, C, H, W) in
    [-1, 1] (2 v - 1)."""
    _checks.tensor("bits", bits, ndim=2)
    if (not isinstance(image_shape, (tuple, list, torch.Size)) or len(image_shape) != 3
            or any(isinstance(s, bool) or not isinstance(s, int) or s <= 0 for s in image_shape)):
        raise TypeError(f"image_shape must be three positive integers (C, H, W), got {image_shape!r}")
    shape = tuple(image_shape)
    if math.prod(shape) != bits.shape[1]:
        raise ValueError(f"image_shape {shape} does not hold {bits.shape[1]} values per row of bits")
    return (bits * 2 - 1).reshape(bits.shape[0], *shape)


def binarised_set(name: str = "mnist", train: bool = False, seed: int = TEST_SEED, limit: int | None = None,
                  threshold: float | None = None, **load_kwargs) -> ImageDataset:
    """A whole split of ``load_images(name, train)`` binarised once (stochastically with ``seed``, or at a fixed
    ``threshold``): an ``ImageDataset`` whose ``images`` are float32 (N, 1, 28, 28) with values -1 or 1.

    The same arguments give the same binary images in every run (the draws are made in data-set order on the CPU).
    ``limit`` keeps the first ``limit`` images; other keyword arguments go to ``load_images`` (e.g. ``root``)."""
    _checks.seed("seed", seed)
    data = load_images(name, train=train, limit=limit, **load_kwargs)
    generator = None if threshold is not None else torch.Generator().manual_seed(seed)
    images = binarise(data.images, generator, threshold)
    return ImageDataset(images, data.labels, name=data.name, split=data.split, source=data.source)


def binarised_test_set(name: str = "mnist", seed: int = TEST_SEED, limit: int | None = None, **load_kwargs
                       ) -> ImageDataset:
    """THE binary test images of notebook 07: the test split binarised stochastically with ``TEST_SEED``, the same
    for the RBM, the VAE and the GAN (see ``binarised_set``)."""
    return binarised_set(name, train=False, seed=seed, limit=limit, **load_kwargs)
