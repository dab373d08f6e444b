"""Measuring a many-domain translation G(x, c) over the digit attributes of ``gancourse.data.attributes``.

Every attribute there is an exact image operation, so each translation has a right answer: the source digit
without attributes, with the target's applied (``apply_attributes(plain, c)``). Measured with the shipped
attribute classifier (``gancourse.metrics.attributes``), trained apart from any discriminator:

* ``attributes`` — per attribute, the share of translations whose value the classifier reads as the target's;
  ``all`` — the share right in every attribute at once;
* ``changed`` / ``untouched`` — the same share over only the attributes the target changes, and over only those it
  keeps: a translation should change what is asked and leave the rest as it was;
* ``content_kept`` — the share the classifier gives the source's digit; ``content_ceiling`` — the same share on the
  exact answers, i.e. the best a perfect translation could score with this classifier;
* ``own_domain_content_kept`` — ``content_kept`` over only the translations to the source's own domain, where the
  right answer is the source itself: a generator that keeps the digit nowhere else may still keep it here;
* ``reconstruction_error`` — mean |G(G(x, c), c_x) − x| per pixel (in [0, 2]);
  ``exact_error`` — mean |G(x, c) − apply_attributes(plain, c)| per pixel, the distance to the right answer;
* the same for each target combination (``per_target``), e.g. the combination that training never showed.
"""
from __future__ import annotations

import torch
from torch import nn

from gancourse import _checks
from gancourse.data.attributes import ALL_COMBINATIONS, ATTRIBUTES, _bits, apply_attributes, combination_name
from gancourse.metrics.attributes import judge
from gancourse.metrics.translation import _device_of
from gancourse.sampling import evaluating


@torch.no_grad()
def translate(G: nn.Module, images: torch.Tensor, targets: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """G(images, targets) in eval mode, in batches: images (N, 1, 28, 28), targets (N, n) → (N, 1, 28, 28) on the
    CPU."""
    _checks.module("G", G)
    _checks.images("images", images, (1, 28, 28))
    _checks.tensor("targets", targets, ndim=2, floating=False)
    if targets.shape[0] != images.shape[0]:
        raise ValueError(f"targets must hold one row per image: got {images.shape[0]} images, "
                         f"{targets.shape[0]} rows")
    _checks.positive_int("batch_size", batch_size)
    device = _device_of(G)
    with evaluating(G):
        return torch.cat([G(x.to(device), c.float().to(device)).float().cpu()
                          for x, c in zip(images.split(batch_size), targets.split(batch_size))])


def _shares(digits, seen_digits, targets, sources, seen) -> dict[str, float]:
    right = seen == targets                                                        # (N, n)
    changed, kept = targets != sources, targets == sources
    result = {"all": float(right.all(dim=1).float().mean()),
              "attributes": {name: float(right[:, i].float().mean()) for i, name in enumerate(ATTRIBUTES)},
              "changed": float(right[changed].float().mean()) if changed.any() else float("nan"),
              "untouched": float(right[kept].float().mean()) if kept.any() else float("nan"),
              "content_kept": float((seen_digits == digits).float().mean())}
    return result


def stargan_report(G: nn.Module, classifier: nn.Module, images: torch.Tensor, digits: torch.Tensor, sources,
                   plain: torch.Tensor, targets=ALL_COMBINATIONS, batch_size: int = 500) -> dict:
    """Translate every image to every target and measure it (see the module's docstring).

    Args:
        G: the generator, ``G(x, c)`` with c (B, 3).
        classifier: the attribute classifier (``load_attribute_classifier()``): 10 digit logits, 3 attribute logits.
        images: (N, 1, 28, 28) test images with their attributes applied; digits: (N,) their digits;
        sources: (N, 3) their attributes (0/1); plain: (N, 1, 28, 28) the same digits without attributes.
        targets: the target combinations (T, 3) (default: all eight).
    Returns a JSON-ready dict: the shares and errors over all N·T translations, and ``per_target`` (by combination
    name) the same for each target.
    """
    _checks.module("G", G)
    _checks.module("classifier", classifier)
    _checks.images("images", images, (1, 28, 28))
    _checks.images("plain", plain, (1, 28, 28))
    _checks.class_labels("digits", digits)
    n = images.shape[0]
    if n == 0 or digits.shape[0] != n or plain.shape[0] != n:
        raise ValueError(f"images, digits and plain must describe the same N >= 1 images, got {n} images, "
                         f"{digits.shape[0]} digits and {plain.shape[0]} plain images")
    sources = _bits("sources", sources, rows=n)
    targets = _bits("targets", targets)
    per_target = {}
    pieces = {key: [] for key in ("digits", "seen_digits", "targets", "sources", "seen", "ceiling")}
    rec_sum = exact_sum = 0.0
    for c in targets:
        rows = c.expand(n, -1)
        fake = translate(G, images, rows, batch_size)
        back = translate(G, fake, sources, batch_size)
        exact = apply_attributes(plain.cpu(), rows)
        seen_digits, seen = judge(classifier, fake)
        ceiling_digits, _ = judge(classifier, exact)
        rec = float((back - images.cpu()).abs().mean())
        err = float((fake - exact).abs().mean())
        name = combination_name(tuple(int(b) for b in c))
        per_target[name] = {**_shares(digits, seen_digits, rows, sources, seen),
                            "content_ceiling": float((ceiling_digits == digits).float().mean()),
                            "reconstruction_error": rec, "exact_error": err}
        for key, value in zip(pieces, (digits, seen_digits, rows, sources, seen, ceiling_digits)):
            pieces[key].append(value)
        rec_sum, exact_sum = rec_sum + rec, exact_sum + err
    cat = {key: torch.cat(value) for key, value in pieces.items()}
    overall = _shares(cat["digits"], cat["seen_digits"], cat["targets"], cat["sources"], cat["seen"])
    own = (cat["targets"] == cat["sources"]).all(dim=1)                   # asked for the source's own domain
    overall["own_domain_content_kept"] = (float((cat["seen_digits"] == cat["digits"])[own].float().mean())
                                          if own.any() else float("nan"))
    overall.update(content_ceiling=float((cat["ceiling"] == cat["digits"]).float().mean()),
                   reconstruction_error=rec_sum / len(targets), exact_error=exact_sum / len(targets),
                   translations=int(cat["digits"].shape[0]), per_target=per_target)
    return overall
