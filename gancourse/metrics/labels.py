"""Agreement with requested labels. Class accuracy of a conditional generator: the share of its samples that a classifier assigns to the class
they were generated for."""
from __future__ import annotations

import torch
from torch import nn

from gancourse import _checks
from gancourse.metrics.classifier import predict
from gancourse.sampling import generate


def class_accuracy(G: nn.Module, classifier: nn.Module, per_class: int = 100, seed: int = 0,
                   per_class_result: bool = False):
    """The share of G's samples that ``classifier`` assigns to the class they were generated for.

    ``per_class`` samples of each class are drawn (fresh noise, seeded). Returns a float, or with
    ``per_class_result=True`` a pair (overall, tensor of the accuracy of each class).
    """
    _checks.module("G", G)
    _checks.module("classifier", classifier)
    _checks.positive_int("per_class", per_class)
    _checks.boolean("per_class_result", per_class_result)
    n_classes = getattr(G, "n_classes", None)
    if n_classes is None:
        raise ValueError("G must have an n_classes attribute (the number of classes it is conditioned on)")
    labels = torch.arange(n_classes).repeat_interleave(per_class)
    images = generate(G, labels, seed=seed)
    hits = predict(classifier, images).argmax(1) == labels
    overall = int(hits.sum()) / hits.numel()               # exact: 900 of 1,000 is 0.9, not float32's 0.89999998
    hits = hits.float()
    return (overall, hits.view(n_classes, per_class).mean(1)) if per_class_result else overall
