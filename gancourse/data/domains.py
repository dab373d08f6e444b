"""The two image domains of the CycleGAN notebook, and unpaired batches drawn from them.

* ``"handwritten"`` (domain X, index 0): the MNIST subset embedded in the package (``embedded/mnist.npz``,
  9,000 train / 1,000 test). It is always the embedded subset, even where torchvision's full MNIST is on disk,
  so that the domains, the classifiers trained on them and every measured number are the same on every machine.
* ``"printed"`` (domain Y, index 1): digits rendered from the fonts matplotlib ships
  (``embedded/printed_digits.npz``, 9,000 train / 1,000 test, built by ``scripts/build_domains.py``; see the
  README there for the fonts, their licences and how the styles were drawn).

Both are white on black, 28×28, labelled with their digit; a translation between them should keep the digit.
Both files are checked against ``embedded/manifest.json`` on first use (``DataFileError`` if damaged).

``UnpairedLoader`` yields ``(x, y)`` batches where ``x`` comes from one domain and ``y`` from the other, each
shuffled on its own: there are no pairs, which is the setting CycleGAN is made for.
"""
from __future__ import annotations

import torch

from gancourse import _checks
from gancourse.data.images import EMBEDDED_DIR, _read_embedded

DOMAINS = ("handwritten", "printed")          # X, Y; the index is the domain classifier's class
_FILES = {"handwritten": "mnist", "printed": "printed_digits"}   # embedded/<file>.npz


def domain_index(name: str) -> int:
    """0 for ``"handwritten"``, 1 for ``"printed"``: the class the domain classifier gives each domain."""
    return DOMAINS.index(_checks.one_of("name", name, DOMAINS))


def load_domain(name: str, split: str = "train", limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and digit labels of one domain.

    Args:
        name: ``"handwritten"`` or ``"printed"``.
        split: ``"train"`` (9,000 images) or ``"test"`` (1,000: 100 per digit); the test split is never trained on.
        limit: keep only the first ``limit`` images (a positive int); the order is already a mix of all digits.

    Returns:
        ``images`` float32 (N, 1, 28, 28) in [-1, 1] (``x / 127.5 - 1``), white on black, and ``labels`` int64
        (N,) with the digit 0-9. Fresh tensors: changing them changes no later call.
    """
    _checks.one_of("name", name, DOMAINS)
    _checks.one_of("split", split, ("train", "test"))
    if limit is not None:
        _checks.positive_int("limit", limit)
    arrays = _read_embedded(str(EMBEDDED_DIR), _FILES[name])
    images, labels = arrays[f"{split}_images"][:limit], arrays[f"{split}_labels"][:limit]
    images = torch.tensor(images).to(torch.float32).div(127.5).sub(1.0).unsqueeze(1)   # (N, 1, 28, 28)
    return images, torch.tensor(labels).to(torch.int64)


class UnpairedLoader:
    """Unpaired batches ``(x, y)``: ``x`` from ``x_images``, ``y`` from ``y_images``, each shuffled on its own.

    Iterating gives one epoch of ``len(self)`` batches, ``min(len(x_images), len(y_images)) // batch_size``; every
    epoch draws two fresh permutations from ``generator``, and the incomplete last batch is dropped, so every
    batch holds ``batch_size`` images of each domain and no image appears twice in an epoch. It can be given to
    ``gancourse.training.train``, which starts a new epoch whenever one ends. The batches depend only on the
    generator's state when iteration starts: a loader made with the same seed gives the same batches. ``train``
    resumes from a checkpoint by replaying the data from its start, so give the resumed run a loader made afresh
    with the same seed (as a new session does) to get exactly the batches of an uninterrupted run.

    Args:
        x_images: (N, C, H, W) floating tensor, domain X.
        y_images: (M, C, H, W) floating tensor, domain Y (the same C, H, W).
        batch_size: images of each domain per batch (a positive int, at most min(N, M)).
        generator: the ``torch.Generator`` the permutations are drawn from; None: one seeded with 0.
    """

    def __init__(self, x_images: torch.Tensor, y_images: torch.Tensor, batch_size: int = 32,
                 generator: torch.Generator | None = None):
        _checks.tensor("x_images", x_images, ndim=4)
        _checks.tensor("y_images", y_images, ndim=4)
        if x_images.shape[1:] != y_images.shape[1:]:
            raise ValueError(f"x_images and y_images must hold images of the same shape (C, H, W): got "
                             f"{tuple(x_images.shape[1:])} and {tuple(y_images.shape[1:])}")
        _checks.positive_int("batch_size", batch_size)
        _checks.rng("generator", generator)
        smaller = min(len(x_images), len(y_images))
        if batch_size > smaller:
            raise ValueError(f"batch_size={batch_size} is larger than the smaller domain ({smaller} images): "
                             f"there would be no complete batch")
        self.x_images, self.y_images, self.batch_size = x_images, y_images, batch_size
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return min(len(self.x_images), len(self.y_images)) // self.batch_size

    def __iter__(self):
        order_x = torch.randperm(len(self.x_images), generator=self.generator)
        order_y = torch.randperm(len(self.y_images), generator=self.generator)
        b = self.batch_size
        for i in range(len(self)):
            yield self.x_images[order_x[i * b:(i + 1) * b]], self.y_images[order_y[i * b:(i + 1) * b]]

    def __repr__(self) -> str:
        return (f"UnpairedLoader(x={tuple(self.x_images.shape)}, y={tuple(self.y_images.shape)}, "
                f"batch_size={self.batch_size}, batches={len(self)})")


def unpaired_loader(x_name: str = "handwritten", y_name: str = "printed", split: str = "train", batch_size: int = 32,
                    limit: int | None = None, generator: torch.Generator | None = None) -> UnpairedLoader:
    """An ``UnpairedLoader`` over two domains' images (labels are not given out: the pairs are unknown).

    Args:
        x_name, y_name: the domains of ``x`` and ``y`` (``"handwritten"`` or ``"printed"``; they may not be equal).
        split: ``"train"`` or ``"test"``.
        batch_size: images of each domain per batch.
        limit: use only the first ``limit`` images of each domain.
        generator: the ``torch.Generator`` of the shuffles; None: one seeded with 0.
    """
    _checks.one_of("x_name", x_name, DOMAINS)
    _checks.one_of("y_name", y_name, DOMAINS)
    if x_name == y_name:
        raise ValueError(f"x_name and y_name must be two different domains, got {x_name!r} twice")
    _checks.one_of("split", split, ("train", "test"))
    _checks.positive_int("batch_size", batch_size)
    if limit is not None:
        _checks.positive_int("limit", limit)
    _checks.rng("generator", generator)
    x_images, _ = load_domain(x_name, split, limit)
    y_images, _ = load_domain(y_name, split, limit)
    return UnpairedLoader(x_images, y_images, batch_size=batch_size, generator=generator)
