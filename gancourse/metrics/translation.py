"""Measuring an image-to-image translation between the handwritten and printed digit domains (CycleGAN).

A translation ``G: X → Y`` (and ``F: Y → X`` back) should change the *style* of a digit and keep the digit.
Two small classifiers shipped in the package (built by ``scripts/train_translation_classifiers.py``; their test
accuracies per domain are in ``classifier.info``) measure this:

* ``content_kept`` — the share of translated images that the digit classifier (trained on both domains) assigns to
  the source image's digit;
* ``domain_reached`` — the share that the domain classifier (handwritten 0, printed 1) assigns to the target domain;
* ``cycle_error`` — the mean absolute difference per pixel between ``x`` and ``F(G(x))``, in [0, 2];
* ``translation_fd`` — the Fréchet distance between translated and real target-domain images in the digit
  classifier's 128-d feature space (see ``gancourse.metrics.fid``): only comparable with numbers on as many images,
  in particular with the real-vs-real floor;
* ``translation_report`` — all of these in both directions, in one JSON-ready dict.

The identity map (``G = F = nn.Identity()``) is the first baseline: it keeps every digit and reaches no domain.
"""
from __future__ import annotations

import json

import torch
from torch import nn

from gancourse import _checks
from gancourse.metrics.classifier import IMAGE_SHAPE, PRETRAINED_DIR, SmallClassifier, predict
from gancourse.metrics.fid import classifier_features, feature_statistics, frechet_distance
from gancourse.sampling import evaluating

CLASSIFIERS = {"digits": ("classifier_digits_both", 10), "domain": ("classifier_domain", 2)}   # file stem, classes


def load_translation_classifiers(device=None) -> tuple[SmallClassifier, SmallClassifier]:
    """The shipped ``(digit classifier, domain classifier)``, in eval mode, on ``device`` (None: the CPU).

    The digit classifier gives 10 digit logits and was trained on both domains; the domain classifier gives 2
    logits, handwritten (0) and printed (1). Each one's facts (data, training, test accuracy per domain) are in
    its ``info`` dict.
    """
    device = _checks.device("device", device) if device is not None else torch.device("cpu")
    models = []
    for stem, n_classes in CLASSIFIERS.values():
        path = PRETRAINED_DIR / f"{stem}.pt"
        if not path.is_file():
            raise FileNotFoundError(f"no shipped classifier at {path}; build it with "
                                    f"`python scripts/train_translation_classifiers.py`")
        model = SmallClassifier(n_classes=n_classes)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))   # float16 -> float32
        info_path = path.with_suffix(".json")
        model.info = json.loads(info_path.read_text()) if info_path.is_file() else {}
        models.append(model.to(device).eval())
    return models[0], models[1]


def _labels_for(name: str, labels, images: torch.Tensor) -> torch.Tensor:
    _checks.class_labels(name, labels)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{name} must hold one label per image: got {images.shape[0]} images "
                         f"but {labels.shape[0]} labels")
    return labels


def _nonempty_images(name: str, images) -> torch.Tensor:
    _checks.images(name, images, IMAGE_SHAPE)
    if images.shape[0] == 0:
        raise ValueError(f"{name} is empty: expected at least one image of shape {IMAGE_SHAPE}")
    return images


def content_kept(translated: torch.Tensor, source_labels: torch.Tensor, digit_classifier: nn.Module) -> float:
    """Share (in [0, 1]) of ``translated`` images (N, 1, 28, 28) in [-1, 1] that ``digit_classifier`` assigns to
    the digit of the image they were translated from, ``source_labels`` (N,) int."""
    _nonempty_images("translated", translated)
    _labels_for("source_labels", source_labels, translated)
    _checks.module("digit_classifier", digit_classifier)
    return float((predict(digit_classifier, translated).argmax(1) == source_labels.cpu()).double().mean())


def domain_reached(translated: torch.Tensor, target_domain: int, domain_classifier: nn.Module) -> float:
    """Share (in [0, 1]) of ``translated`` images (N, 1, 28, 28) in [-1, 1] that ``domain_classifier`` assigns to
    ``target_domain`` (an int class index: 0 handwritten, 1 printed for the shipped classifier)."""
    _nonempty_images("translated", translated)
    _checks.non_negative_int("target_domain", target_domain)
    _checks.module("domain_classifier", domain_classifier)
    probs = predict(domain_classifier, translated)
    if target_domain >= probs.shape[1]:
        raise ValueError(f"target_domain must be a class of domain_classifier, 0..{probs.shape[1] - 1}, "
                         f"got {target_domain}")
    return float((probs.argmax(1) == target_domain).double().mean())


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _translate(name: str, model: nn.Module, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``model(images)`` in chunks on the model's device, back on the CPU; checks that images come out."""
    device = _device_of(model)
    out = torch.cat([model(_checks.like_weights(chunk.to(device), model)).cpu() for chunk in images.split(batch_size)])
    if out.shape != images.shape:
        raise ValueError(f"{name} must map images {tuple(images.shape[1:])} to images of the same shape, "
                         f"got {tuple(out.shape[1:])}")
    return out.float()


def cycle_error(G: nn.Module, F: nn.Module, x: torch.Tensor, batch_size: int = 250) -> float:
    """Mean absolute difference per pixel between ``x`` (N, 1, 28, 28) in [-1, 1] and its round trip
    ``F(G(x))``, in [0, 2] (0: perfect reconstruction). The models run in eval mode without gradients and are put
    back in their modes."""
    _checks.module("G", G)
    _checks.module("F", F)
    _nonempty_images("x", x)
    _checks.positive_int("batch_size", batch_size)
    with evaluating(G, F):
        back = _translate("F", F, _translate("G", G, x, batch_size), batch_size)
    return float((back - x.detach().cpu().float()).abs().mean())


def translation_fd(translated: torch.Tensor, real_target: torch.Tensor, digit_classifier: nn.Module) -> float:
    """Fréchet distance (>= 0) between ``translated`` (N, 1, 28, 28) and ``real_target`` (M, 1, 28, 28) images,
    both in [-1, 1] and N, M >= 2, in the 128-d feature space of ``digit_classifier`` (a module with a
    ``features`` method). Biased upwards for small sets: compare only numbers on as many images."""
    _checks.images("translated", translated, IMAGE_SHAPE)
    _checks.images("real_target", real_target, IMAGE_SHAPE)
    for name, images in (("translated", translated), ("real_target", real_target)):
        if images.shape[0] < 2:
            raise ValueError(f"{name} needs at least 2 images to estimate a covariance, got {images.shape[0]}")
    if not isinstance(digit_classifier, nn.Module) or not callable(getattr(digit_classifier, "features", None)):
        raise TypeError(f"digit_classifier must be a SmallClassifier (a module with a features() method), "
                        f"got {type(digit_classifier).__name__}")
    stats = [feature_statistics(classifier_features(images, digit_classifier)) for images in (translated, real_target)]
    return frechet_distance(*stats[0], *stats[1])


def _direction(translated, back, source, source_labels, target, target_index, digits, domain) -> dict:
    half = target.shape[0] // 2
    first, second = target[:half], target[half:2 * half]
    return {
        "content_kept": content_kept(translated, source_labels, digits),
        "domain_reached": domain_reached(translated, target_index, domain),
        "cycle_error": float((back - source).abs().mean()),
        "fd": translation_fd(translated[:half], second, digits),
        "fd_floor": translation_fd(first, second, digits),
        "fd_images": half,
    }


def translation_report(G: nn.Module, F: nn.Module, x_test: torch.Tensor, x_labels: torch.Tensor,
                       y_test: torch.Tensor, y_labels: torch.Tensor, classifiers=None, batch_size: int = 250,
                       x_domain: str = "handwritten", y_domain: str = "printed") -> dict:
    """Measure the translations ``G: X → Y`` and ``F: Y → X`` on held-out test images, in both directions.

    Args:
        G, F: the two translators (``nn.Module``s mapping (B, 1, 28, 28) in [-1, 1] to the same); they run in
            eval mode without gradients, on their own device, and are put back in their modes. ``nn.Identity()``
            for both is the identity baseline.
        x_test, x_labels: images (N, 1, 28, 28) of domain X and their digits (N,); likewise ``y_test``,
            ``y_labels`` (M images) for Y. N, M >= 4.
        classifiers: ``(digit classifier, domain classifier)``; None loads the shipped ones
            (``load_translation_classifiers``).
        batch_size: images per forward pass.
        x_domain, y_domain: the domains' names (``"handwritten"``, ``"printed"``), which fix the domain
            classifier's target class in each direction.

    Returns a JSON-ready dict: ``n_x``, ``n_y`` and, for each direction ``"x_to_y"`` (G on ``x_test``) and
    ``"y_to_x"`` (F on ``y_test``): ``content_kept`` and ``domain_reached`` (shares in [0, 1], on all the source
    images), ``cycle_error`` (mean |F(G(x)) - x| resp. |G(F(y)) - y| per pixel, in [0, 2]), ``fd`` (the Fréchet
    distance between the first h translated images and the second half of the real target test images, h = half
    the target test images, ``fd_images``) and ``fd_floor`` (the same distance between the two disjoint halves of
    the real target test images: what two real sets of h images already differ by).
    """
    from gancourse.data.domains import DOMAINS, domain_index      # here: gancourse.data need not load with metrics

    _checks.module("G", G)
    _checks.module("F", F)
    for name, images, labels_name, labels in (("x_test", x_test, "x_labels", x_labels),
                                              ("y_test", y_test, "y_labels", y_labels)):
        _checks.images(name, images, IMAGE_SHAPE)
        if images.shape[0] < 4:
            raise ValueError(f"{name} needs at least 4 images (two halves of >= 2 for the floor), "
                             f"got {images.shape[0]}")
        _labels_for(labels_name, labels, images)
    _checks.positive_int("batch_size", batch_size)
    x_index = domain_index(_checks.one_of("x_domain", x_domain, DOMAINS))
    y_index = domain_index(_checks.one_of("y_domain", y_domain, DOMAINS))
    if x_index == y_index:
        raise ValueError(f"x_domain and y_domain must be two different domains, got {x_domain!r} twice")
    if classifiers is None:
        classifiers = load_translation_classifiers()
    if not isinstance(classifiers, (tuple, list)) or len(classifiers) != 2:
        raise TypeError(f"classifiers must be a pair (digit classifier, domain classifier) or None, "
                        f"got {type(classifiers).__name__}")
    digits, domain = (_checks.module(f"classifiers[{i}]", c) for i, c in enumerate(classifiers))
    x, y = x_test.detach().cpu().float(), y_test.detach().cpu().float()
    with evaluating(G, F):
        fake_y, fake_x = _translate("G", G, x, batch_size), _translate("F", F, y, batch_size)
        back_x, back_y = _translate("F", F, fake_y, batch_size), _translate("G", G, fake_x, batch_size)
    return {
        "n_x": int(x.shape[0]),
        "n_y": int(y.shape[0]),
        "x_to_y": _direction(fake_y, back_x, x, x_labels, y, y_index, digits, domain),
        "y_to_x": _direction(fake_x, back_y, y, y_labels, x, x_index, digits, domain),
    }
