"""Digits with binary attributes applied exactly: a labelled data set for a multi-hot condition (notebook 04).

Each attribute is an exact image operation on a 28×28 digit in [-1, 1] (white stroke on black), applied in this
order:

* ``small`` — the digit scaled to 16×16 (area averaging) and centred on a black 28×28 canvas;
* ``thick`` — a morphological dilation with a 3×3 square (a max-pool of stride 1): strokes grow by a pixel per side;
* ``inverted`` — black stroke on white, ``-x``.

A label is a **multi-hot row** of ``10 + 3`` numbers: the one-hot digit, then one 0/1 per attribute. Several
attributes can be on at once, so the rows are not one-hot: ``[e_7 ; 1, 0, 1]`` asks for a small, inverted 7.
``attribute_dataset`` draws one attribute combination per image, uniformly among the allowed ones; by default the
combination with all three attributes on is left out (``HELD_OUT``), so a generator never sees it in training.
"""
from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from gancourse import _checks

ATTRIBUTES = ("small", "thick", "inverted")
N_DIGITS = 10
SMALL_SIZE = 16                                             # side of a "small" digit, in pixels
ALL_COMBINATIONS = tuple(itertools.product((0, 1), repeat=len(ATTRIBUTES)))   # (0,0,0), (0,0,1), ... (1,1,1)
HELD_OUT = ((1, 1, 1),)                                     # left out of the training data by default


def _bits(name: str, value, rows: int | None = None) -> torch.Tensor:
    """``value`` (a tensor, or a sequence of 0/1 triples) as a float tensor (R, 3) of 0 and 1, R >= 1 (or ``rows``)."""
    if isinstance(value, (list, tuple)):
        try:
            value = torch.tensor(value, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must hold 0/1 triples (one 0/1 per attribute {ATTRIBUTES}), got {value!r}") from None
    _checks.tensor(name, value, ndim=2, floating=False)
    if value.shape[1] != len(ATTRIBUTES) or value.shape[0] == 0 or (rows is not None and value.shape[0] != rows):
        want = f"({rows}, {len(ATTRIBUTES)})" if rows is not None else f"(R, {len(ATTRIBUTES)}) with R >= 1"
        raise ValueError(f"{name} must have shape {want}: one 0/1 per attribute {ATTRIBUTES} in each row, "
                         f"got {tuple(value.shape)}")
    out = value.float()
    if not bool(((out == 0) | (out == 1)).all()):
        raise ValueError(f"{name} must hold only 0 and 1 (attribute off and on)")
    return out


def _attribute_rows(attributes, n: int) -> torch.Tensor:
    return _bits("attributes", attributes, rows=n)


def apply_attributes(images: torch.Tensor, attributes) -> torch.Tensor:
    """Apply each image's attributes: images (N, 1, 28, 28) in [-1, 1], attributes (N, 3) of 0/1 in the order of
    ``ATTRIBUTES`` → new images (N, 1, 28, 28) in [-1, 1]. Exact and deterministic."""
    _checks.images("images", images, (1, 28, 28))
    rows = _attribute_rows(attributes, images.shape[0]).to(images.device)
    small, thick, inverted = (rows[:, i].bool() for i in range(len(ATTRIBUTES)))
    out = images.clone()
    if small.any():
        shrunk = F.interpolate(out[small], size=(SMALL_SIZE, SMALL_SIZE), mode="area")    # (n, 1, 16, 16)
        pad = (28 - SMALL_SIZE) // 2
        out[small] = F.pad(shrunk, (pad, pad, pad, pad), value=-1.0)                       # (n, 1, 28, 28)
    if thick.any():
        out[thick] = F.max_pool2d(out[thick], kernel_size=3, stride=1, padding=1)          # dilation, 3×3
    out[inverted] = -out[inverted]
    return out


def attribute_labels(digits: torch.Tensor, attributes) -> torch.Tensor:
    """Multi-hot label rows (N, 10 + 3) float32: the one-hot digit, then the attributes."""
    _checks.class_labels("digits", digits)
    if digits.numel() and (int(digits.min()) < 0 or int(digits.max()) >= N_DIGITS):
        raise ValueError(f"digits must lie in [0, {N_DIGITS - 1}], got values from {int(digits.min())} "
                         f"to {int(digits.max())}")
    rows = _attribute_rows(attributes, digits.shape[0])
    return torch.cat([F.one_hot(digits.long().cpu(), N_DIGITS).float(), rows.cpu()], dim=1)


def split_labels(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-hot rows (N, 10 + 3) → digits (N,) int64 and attributes (N, 3) float."""
    _checks.tensor("rows", rows, ndim=2)
    if rows.shape[1] != N_DIGITS + len(ATTRIBUTES):
        raise ValueError(f"rows must have shape (N, {N_DIGITS + len(ATTRIBUTES)}), got {tuple(rows.shape)}")
    return rows[:, :N_DIGITS].argmax(dim=1), rows[:, N_DIGITS:]


def combination_name(combination) -> str:
    """(1, 0, 1) → "small + inverted"; (0, 0, 0) → "plain"."""
    if isinstance(combination, torch.Tensor):
        combination = combination.tolist()
    if not isinstance(combination, (list, tuple)):
        raise TypeError(f"combination must be a 0/1 triple such as (1, 0, 1), got {type(combination).__name__}")
    bits = _bits("combination", [list(combination)])[0]
    on = [name for name, bit in zip(ATTRIBUTES, bits.tolist()) if bit]
    return " + ".join(on) if on else "plain"


def _combination_set(name: str, value) -> set[tuple[int, ...]]:
    """A tuple or list of 0/1 triples (possibly empty) as a set of int tuples."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of 0/1 triples such as ((1, 1, 1),), got {type(value).__name__}")
    if not value:
        return set()
    return {tuple(int(b) for b in row) for row in _bits(name, list(value)).tolist()}


def allowed_combinations(exclude=HELD_OUT) -> torch.Tensor:
    """The attribute combinations not in ``exclude``, as a (C, 3) float tensor in the order of ``ALL_COMBINATIONS``."""
    kept = [c for c in ALL_COMBINATIONS if c not in _combination_set("exclude", exclude)]
    if not kept:
        raise ValueError("exclude leaves no attribute combination to draw from")
    return torch.tensor(kept, dtype=torch.float32)


def sample_combinations(n: int, combinations: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` rows drawn uniformly from ``combinations`` (C, 3): an (n, 3) float tensor."""
    _checks.positive_int("n", n)
    combinations = _bits("combinations", combinations)
    index = torch.randint(0, combinations.shape[0], (n,), generator=_checks.rng("generator", generator))
    return combinations[index]


def attribute_dataset(name: str = "mnist", train: bool = True, exclude=HELD_OUT, seed: int = 0,
                      limit: int | None = None) -> TensorDataset:
    """The digits of ``load_images(name, train)`` with one random allowed attribute combination each, applied.

    Returns a ``TensorDataset`` of (image (1, 28, 28) in [-1, 1], multi-hot row (13,)) with the attributes
    ``images``, ``labels`` (the rows), ``digits`` and ``attributes``. The same ``seed`` gives the same combinations.
    """
    from gancourse.data.images import load_images
    _checks.seed("seed", seed)
    base = load_images(name, train=train, limit=limit)
    combos = allowed_combinations(exclude)
    attributes = sample_combinations(len(base), combos, generator=torch.Generator().manual_seed(seed))
    data = TensorDataset(apply_attributes(base.images, attributes), attribute_labels(base.labels, attributes))
    data.images, data.labels = data.tensors
    data.digits, data.attributes, data.source = base.labels, attributes, base.source
    return data


def attribute_loader(name: str = "mnist", batch_size: int = 64, exclude=HELD_OUT, seed: int = 0,
                     limit: int | None = None, with_digits: bool = True) -> DataLoader:
    """A shuffled ``DataLoader`` over ``attribute_dataset(name, train=True, ...)`` yielding (images (B, 1, 28, 28),
    rows (B, 13)), or with ``with_digits=False`` (images, attributes (B, 3)): the labels StarGAN's domains are made
    of (notebook 06). The last incomplete batch is dropped and ``seed`` fixes the order."""
    _checks.positive_int("batch_size", batch_size)
    _checks.boolean("with_digits", with_digits)
    data = attribute_dataset(name, train=True, exclude=exclude, seed=seed, limit=limit)
    if batch_size > len(data):
        raise ValueError(f"batch_size={batch_size} is larger than the data set ({len(data)} images)")
    if not with_digits:
        data = TensorDataset(data.images, data.attributes)
    return DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=True,
                      generator=torch.Generator().manual_seed(seed))
