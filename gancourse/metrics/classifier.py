"""Measuring generated images with a small classifier shipped in the package.

Inception-based scores need weights downloaded from the internet; like Berkeley's deepul we ship our own
small CNN per data set instead (trained by ``scripts/train_classifier.py``; its test accuracy is stored
beside the weights). With it we ask of a batch of samples:

* how confidently does the classifier recognise each sample (mean max-probability, share above 0.9)?
* how are the predicted classes spread (a GAN that collapsed onto a few modes has a peaked histogram;
  ``class_entropy`` is log(10) ≈ 2.30 for a perfectly even spread)?
"""
from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from gancourse import _checks

PRETRAINED_DIR = Path(str(resources.files("gancourse") / "pretrained"))
IMAGE_SHAPE = (1, 28, 28)


class SmallClassifier(nn.Module):
    """A 28×28 grayscale image in [-1, 1] → 10 class logits. ``features`` gives the 128-d penultimate layer."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.n_classes = _checks.positive_int("n_classes", n_classes)
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),        # (B, 32, 14, 14)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),       # (B, 64, 7, 7)
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(),              # (B, 64, 4, 4)
            nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.ReLU(),               # (B, 128): the features
        )
        self.head = nn.Linear(128, n_classes)                                  # (B, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128-d features (B, 128) of images x (B, 1, 28, 28); float64 images are converted to float32."""
        _checks.images("x", x, IMAGE_SHAPE)
        return self.body(_checks.like_weights(x, self))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def classifier_path(name: str) -> Path:
    """Where the shipped classifier for data set ``name`` lives (``.pt`` weights, ``.json`` facts beside)."""
    from gancourse.data import canonical_name
    return PRETRAINED_DIR / f"classifier_{canonical_name(name)}.pt"


def load_classifier(name: str = "mnist", device=None) -> SmallClassifier:
    """The shipped classifier for ``name`` ("mnist" or "fashion_mnist"), in eval mode, on ``device``.

    Its measured test accuracy is in ``classifier.info["test_accuracy"]``.
    """
    path = classifier_path(name)
    device = _checks.device("device", device) if device is not None else torch.device("cpu")
    if not path.is_file():
        raise FileNotFoundError(f"no shipped classifier at {path}; build it with `python scripts/train_classifier.py {name}`")
    model = SmallClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    info_path = path.with_suffix(".json")
    model.info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    return model.to(device).eval()


@torch.no_grad()
def predict(classifier: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Class probabilities (N, n_classes) for images (N, 1, 28, 28) in [-1, 1]."""
    _checks.module("classifier", classifier)
    _checks.images("images", images, IMAGE_SHAPE)
    _checks.positive_int("batch_size", batch_size)
    device = next(classifier.parameters()).device
    classifier.eval()
    probs = [torch.softmax(classifier(chunk.to(device)), dim=1).cpu() for chunk in images.split(batch_size)]
    return torch.cat(probs)


def sample_report(classifier: nn.Module, images: torch.Tensor, confident: float = 0.9) -> dict:
    """Measure a batch of generated images with the classifier.

    Returns ``confidence`` (mean max-probability), ``confident_share`` (share of samples whose top class has
    probability > ``confident``), ``class_counts`` (list of predicted-class counts), ``class_entropy`` (entropy of
    the predicted-class histogram, nats; log(10) ≈ 2.303 when perfectly even) and ``classes_covered``
    (how many classes received at least 2 % of the samples).
    """
    _checks.number("confident", confident, 0.0, 1.0, high_open=True)
    probs = predict(classifier, images)
    top, pred = probs.max(dim=1)
    counts = torch.bincount(pred, minlength=probs.shape[1])
    share = counts.float() / counts.sum()
    nonzero = share[share > 0]
    return {
        "n": int(images.shape[0]),
        "confidence": float(top.mean()),
        "confident_share": float((top > confident).float().mean()),
        "class_counts": counts.tolist(),
        "class_entropy": abs(float((nonzero * nonzero.log()).sum())),     # abs: no "-0.00" for a single class
        "max_entropy": math.log(probs.shape[1]),
        "classes_covered": int((share >= 0.02).sum()),
    }


@torch.no_grad()
def accuracy(classifier: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of ``images`` whose predicted class equals ``labels``."""
    _checks.module("classifier", classifier)
    _checks.images("images", images, IMAGE_SHAPE)
    _checks.class_labels("labels", labels)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"got {images.shape[0]} images but {labels.shape[0]} labels")
    return float((predict(classifier, images).argmax(1) == labels.cpu()).float().mean())
