"""Judging digits with attributes: a small classifier for the digit *and* each attribute, and the accuracy of a
generator conditioned on multi-hot labels (``gancourse.data.attributes``).

The judge is ``SmallClassifier`` with ``10 + 3`` outputs: the first 10 are the digit's logits (softmax), the last 3
one logit per attribute (sigmoid, on when above 0). It is trained by ``scripts/build_pretrained_attributes.py`` on
the MNIST training split with random attribute combinations (all eight, so it can judge a combination the
generator never saw), and its accuracy on the test split, with fresh combinations, is stored beside its weights.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks
from gancourse.data.attributes import ATTRIBUTES, N_DIGITS, _bits, attribute_labels, combination_name, split_labels
from gancourse.metrics.classifier import PRETRAINED_DIR, SmallClassifier
from gancourse.sampling import evaluating, sample_noise

N_OUTPUTS = N_DIGITS + len(ATTRIBUTES)


def attribute_classifier_path() -> Path:
    """Where the shipped attribute classifier lives (``.pt`` float16 weights, ``.json`` measurements beside)."""
    return PRETRAINED_DIR / "classifier_mnist_attributes.pt"


def load_attribute_classifier(device=None, path=None) -> SmallClassifier:
    """The shipped digit-and-attribute classifier, in eval mode on ``device``; ``classifier.info`` holds its
    measured accuracy on held-out images. Raises ``FileNotFoundError`` if it has not been built."""
    path = _checks.path("path", path) if path is not None else attribute_classifier_path()
    device = _checks.device("device", device) if device is not None else torch.device("cpu")
    if not path.is_file():
        raise FileNotFoundError(f"no attribute classifier at path={str(path)!r}; build it with "
                                f"`python scripts/build_pretrained_attributes.py --classifier-only`")
    model = SmallClassifier(n_classes=N_OUTPUTS)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    info_path = path.with_suffix(".json")
    model.info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    return model.to(device).eval()


@torch.no_grad()
def judge(classifier: nn.Module, images: torch.Tensor, batch_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """What the classifier sees: predicted digits (N,) int64 and attributes (N, 3) float 0/1, on the CPU."""
    _checks.module("classifier", classifier)
    _checks.images("images", images, (1, 28, 28))
    _checks.positive_int("batch_size", batch_size)
    device = next(classifier.parameters()).device
    with evaluating(classifier):
        logits = torch.cat([classifier(chunk.to(device)).cpu() for chunk in images.split(batch_size)])
    if logits.shape[1] != N_OUTPUTS:
        raise ValueError(f"the classifier must return {N_OUTPUTS} logits (10 digits, then {len(ATTRIBUTES)} "
                         f"attributes), got {logits.shape[1]}")
    return logits[:, :N_DIGITS].argmax(dim=1), (logits[:, N_DIGITS:] > 0).float()


def agreement(classifier: nn.Module, images: torch.Tensor, rows: torch.Tensor) -> dict[str, float]:
    """How often the classifier's verdict matches the requested rows (N, 13): the share of right digits
    (``"digit"``), of right values of each attribute (by name), and of images right in everything (``"all"``)."""
    _checks.images("images", images, (1, 28, 28))
    _checks.tensor("rows", rows, ndim=2)
    if rows.shape[0] != images.shape[0]:
        raise ValueError(f"got {images.shape[0]} images but {rows.shape[0]} label rows")
    digits, attributes = split_labels(rows.cpu())
    seen_digits, seen_attributes = judge(classifier, images)
    digit_ok, attribute_ok = seen_digits == digits, seen_attributes == attributes          # (N,), (N, 3)
    result = {"digit": float(digit_ok.float().mean())}
    result.update({name: float(attribute_ok[:, i].float().mean()) for i, name in enumerate(ATTRIBUTES)})
    result["all"] = float((digit_ok & attribute_ok.all(dim=1)).float().mean())
    return result


def attribute_accuracy(G: nn.Module, classifier: nn.Module, combinations, per_digit: int = 10, seed: int = 0,
                       per_combination_result: bool = False):
    """Ask ``G(z, rows)`` for ``per_digit`` samples of every digit under every attribute combination in
    ``combinations`` (C, 3) and measure them with ``agreement``: a dict of shares (``digit``, each attribute,
    ``all``), or with ``per_combination_result=True`` a dict from combination name to such a dict as well."""
    _checks.module("G", G)
    _checks.positive_int("per_digit", per_digit)
    _checks.seed("seed", seed)
    _checks.boolean("per_combination_result", per_combination_result)
    combos = _bits("combinations", combinations)
    if getattr(G, "n_classes", None) != N_OUTPUTS:
        raise ValueError(f"G must be conditioned on {N_OUTPUTS}-number rows (n_classes={N_OUTPUTS}), "
                         f"got n_classes={getattr(G, 'n_classes', None)}")
    digits = torch.arange(N_DIGITS).repeat_interleave(per_digit)                            # (10 n,)
    n = digits.shape[0]
    rows = torch.cat([attribute_labels(digits, c.expand(n, -1)) for c in combos])           # (C 10 n, 13)
    z = sample_noise(rows.shape[0], G.latent_dim, generator=torch.Generator().manual_seed(seed))
    device = next(G.parameters()).device
    with evaluating(G):
        images = torch.cat([G(zc.to(device), rc.to(device)).cpu() for zc, rc in zip(z.split(500), rows.split(500))])
    overall = agreement(classifier, images, rows)
    if not per_combination_result:
        return overall
    each = {combination_name(tuple(int(b) for b in c)): agreement(classifier, images[i * n:(i + 1) * n],
                                                                  rows[i * n:(i + 1) * n])
            for i, c in enumerate(combos)}
    return overall, each
