"""The grid of a generator conditioned on a digit and binary attributes (notebook 04, Section 12): one noise
vector, one row per digit, one column per attribute combination, the combinations left out of training marked."""
from __future__ import annotations

import torch
from torch import nn

from gancourse import _checks
from gancourse.data.attributes import (ALL_COMBINATIONS, HELD_OUT, N_DIGITS, _bits, _combination_set, attribute_labels,
                                       combination_name)
from gancourse.sampling import evaluating, sample_noise
from gancourse.viz.plots import show_grid


def _digit_list(digits) -> torch.Tensor:
    if isinstance(digits, torch.Tensor):
        digits = digits.tolist()
    if (not isinstance(digits, (list, tuple, range)) or not digits
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < N_DIGITS for d in digits)):
        raise ValueError(f"digits must be a non-empty sequence of digits from 0 to {N_DIGITS - 1}, got {digits!r}")
    return torch.tensor(list(digits), dtype=torch.int64)


def attribute_grid(generator: nn.Module, digits=tuple(range(N_DIGITS)), combinations=ALL_COMBINATIONS,
                   seed: int = 0) -> torch.Tensor:
    """G's images for one noise vector (drawn with ``seed``): row i is digit ``digits[i]``, column j attribute
    combination ``combinations[j]``; (len(digits) * len(combinations), C, 28, 28) on the CPU, row by row."""
    _checks.module("generator", generator)
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or getattr(generator, "n_classes", None) != N_DIGITS + 3:
        raise ValueError(f"generator must be conditioned on {N_DIGITS + 3}-number rows (n_classes={N_DIGITS + 3}) and "
                         f"have a latent_dim, as ConditionalGenerator(n_classes={N_DIGITS + 3}) has")
    digits = _digit_list(digits)
    combos = _bits("combinations", list(combinations) if isinstance(combinations, tuple) else combinations)
    _checks.seed("seed", seed)
    rows = attribute_labels(digits.repeat_interleave(combos.shape[0]), combos.repeat(digits.shape[0], 1))
    z = sample_noise(1, latent_dim, generator=torch.Generator().manual_seed(seed)).expand(rows.shape[0], -1)
    device = next(generator.parameters()).device
    with evaluating(generator):
        return generator(z.to(device), rows.to(device)).cpu()


def show_attribute_grid(generator: nn.Module, digits=tuple(range(N_DIGITS)), combinations=ALL_COMBINATIONS,
                        held_out=HELD_OUT, seed: int = 0, title: str | None = None, size: float = 7.0):
    """Draw ``attribute_grid``: rows named by digit, columns by combination; columns of ``held_out`` combinations
    (never seen in training) are named in red with "(held out)". Returns the Axes."""
    _checks.text("title", title, optional=True)
    _checks.positive_float("size", size)
    held = _combination_set("held_out", held_out)
    images = attribute_grid(generator, digits, combinations, seed=seed)
    digits = _digit_list(digits).tolist()
    combinations = [tuple(int(b) for b in c) for c in _bits("combinations", list(combinations) if
                                                           isinstance(combinations, tuple) else combinations).tolist()]
    ax = show_grid(images, nrow=len(combinations), size=size)
    height, width = ax.get_images()[0].get_array().shape[:2]
    for j, combo in enumerate(combinations):
        name = combination_name(combo).replace(" + ", "\n+ ") + ("\n(held out)" if combo in held else "")
        ax.text((j + 0.5) * width / len(combinations), -4, name, ha="center", va="bottom", fontsize="small",
                color="tab:red" if combo in held else "black")
    for i, digit in enumerate(digits):
        ax.text(-4, (i + 0.5) * height / len(digits), str(digit), ha="right", va="center", fontsize="small")
    if title:
        ax.set_title(title, pad=62)
    return ax
