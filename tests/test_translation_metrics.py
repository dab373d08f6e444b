"""The translation metrics of the CycleGAN notebook: hand-computable with stand-in classifiers, and the identity
baseline with the shipped ones."""
import json

import pytest
import torch
from torch import nn

from gancourse.data import load_domain
from gancourse.metrics import (
    accuracy,
    content_kept,
    cycle_error,
    domain_reached,
    load_translation_classifiers,
    translation_fd,
    translation_report,
)
from gancourse.metrics.classifier import PRETRAINED_DIR


class PixelClassifier(nn.Module):
    """A stand-in classifier that reads its class off one pixel: value -1 + 2k/(n-1) means class k. Its
    ``features`` are that pixel's value (N, 1), so a Fréchet distance is (Δmean)² + (Δstd)²."""

    def __init__(self, n_classes: int, pixel: tuple[int, int]):
        super().__init__()
        self.n_classes, self.pixel = n_classes, pixel
        self.unused = nn.Parameter(torch.zeros(()))                   # a device to run on, as real models have

    def features(self, x):
        return x[:, :, self.pixel[0], self.pixel[1]]                  # (N, 1)

    def forward(self, x):
        k = ((self.features(x)[:, 0] + 1) / 2 * (self.n_classes - 1)).round().long().clamp(0, self.n_classes - 1)
        return 10.0 * nn.functional.one_hot(k, self.n_classes).float() + 0 * self.unused


DIGITS, DOMAIN = PixelClassifier(10, (0, 0)), PixelClassifier(2, (27, 27))


def images(digits, domain: int) -> torch.Tensor:
    """Black images whose pixel (0, 0) encodes ``digits`` and pixel (27, 27) the domain (0: -1, 1: +1)."""
    x = -torch.ones(len(digits), 1, 28, 28)
    x[:, 0, 0, 0] = -1 + 2 * torch.tensor(digits, dtype=torch.float32) / 9
    x[:, 0, 27, 27] = 2.0 * domain - 1
    return x


class SetDomain(nn.Module):
    """A perfect stand-in translator: it only sets the domain pixel."""

    def __init__(self, domain: int):
        super().__init__()
        self.value = 2.0 * domain - 1

    def forward(self, x):
        x = x.clone()
        x[:, 0, 27, 27] = self.value
        return x


class Shift(nn.Module):
    def __init__(self, by: float):
        super().__init__()
        self.by = by

    def forward(self, x):
        return x + self.by


def test_content_kept_and_domain_reached_count_shares_by_hand():
    x = images([0, 1, 2, 3], domain=1)
    assert content_kept(x, torch.tensor([0, 1, 2, 0]), DIGITS) == 0.75
    x[0, 0, 27, 27] = -1.0                                            # one image still looks handwritten
    assert domain_reached(x, 1, DOMAIN) == 0.75
    assert domain_reached(x, 0, DOMAIN) == 0.25


def test_cycle_error_is_the_mean_absolute_round_trip_difference_and_restores_modes():
    x = images([1, 2, 3], domain=0)
    G, F = Shift(0.5), nn.Identity()
    G.train()
    assert cycle_error(G, F, x) == pytest.approx(0.5)
    assert G.training                                                 # put back in the mode it was in
    assert cycle_error(Shift(0.5), Shift(-0.5), x) == pytest.approx(0.0, abs=1e-7)
    assert cycle_error(SetDomain(1), nn.Identity(), x) == pytest.approx(2 / 784)   # one pixel off by 2


def test_translation_fd_is_the_gaussian_formula_on_the_features():
    a = images([0, 0], domain=0)
    a[:, 0, 0, 0] = torch.tensor([0.0, 0.5])                           # mean 0.25, std 0.5 / sqrt(2)
    b = images([0, 0, 0], domain=0)
    b[:, 0, 0, 0] = torch.tensor([0.1, 0.3, 0.5])                      # mean 0.3, std 0.2
    expected = (0.25 - 0.3) ** 2 + (0.5 / 2 ** 0.5 - 0.2) ** 2
    assert translation_fd(a, b, DIGITS) == pytest.approx(expected, rel=1e-6)
    assert translation_fd(b, a, DIGITS) == pytest.approx(expected, rel=1e-6)


def test_the_report_in_both_directions_by_hand():
    x, x_labels = images([0, 1, 2, 3, 4, 5, 6, 7], domain=0), torch.tensor([0, 1, 2, 3, 4, 5, 6, 9])
    y, y_labels = images([1, 1, 2, 2, 3, 3], domain=1), torch.tensor([1, 1, 2, 2, 3, 3])
    identity = translation_report(nn.Identity(), nn.Identity(), x, x_labels, y, y_labels,
                                  classifiers=(DIGITS, DOMAIN))
    assert identity["n_x"] == 8 and identity["n_y"] == 6
    to_y, to_x = identity["x_to_y"], identity["y_to_x"]
    assert to_y["content_kept"] == 7 / 8 and to_x["content_kept"] == 1.0
    assert to_y["domain_reached"] == 0.0 and to_x["domain_reached"] == 0.0
    assert to_y["cycle_error"] == 0.0 and to_x["cycle_error"] == 0.0
    # the Fréchet distance on the digit stand-in's feature (pixel (0, 0)): h = 3 translated images of x against
    # y[3:6] for X -> Y; the floor compares y[0:3] with y[3:6]
    fd = lambda a, b: translation_fd(a, b, DIGITS)                    # noqa: E731
    assert to_y["fd"] == pytest.approx(fd(x[:3], y[3:6])) and to_y["fd_floor"] == pytest.approx(fd(y[:3], y[3:6]))
    assert to_x["fd"] == pytest.approx(fd(y[:4], x[4:8])) and to_x["fd_images"] == 4
    perfect = translation_report(SetDomain(1), SetDomain(0), x, x_labels, y, y_labels, classifiers=(DIGITS, DOMAIN))
    assert perfect["x_to_y"]["domain_reached"] == 1.0 and perfect["y_to_x"]["domain_reached"] == 1.0
    assert perfect["x_to_y"]["content_kept"] == 7 / 8 and perfect["x_to_y"]["cycle_error"] == 0.0
    json.dumps(perfect)                                               # JSON-ready


def test_the_shipped_classifiers_record_their_measured_accuracy():
    digits, domain = load_translation_classifiers()
    assert digits.head.out_features == 10 and domain.head.out_features == 2 and not digits.training
    for model, stem in ((digits, "classifier_digits_both"), (domain, "classifier_domain")):
        assert (PRETRAINED_DIR / f"{stem}.pt").stat().st_size < 500_000
        recorded = model.info["test_accuracy"]
        for index, name in enumerate(("handwritten", "printed")):
            x, labels = load_domain(name, "test")
            target = labels if model is digits else torch.full_like(labels, index)
            assert accuracy(model, x, target) == pytest.approx(recorded[name], abs=1e-4)


def test_the_identity_baseline_keeps_the_digit_and_reaches_no_domain():
    x, x_labels = load_domain("handwritten", "test", limit=200)
    y, y_labels = load_domain("printed", "test", limit=200)
    report = translation_report(nn.Identity(), nn.Identity(), x, x_labels, y, y_labels)
    for direction in ("x_to_y", "y_to_x"):
        numbers = report[direction]
        assert numbers["content_kept"] > 0.9 and numbers["domain_reached"] < 0.1
        assert numbers["cycle_error"] == 0.0 and numbers["fd"] > numbers["fd_floor"]
    digits, _ = load_translation_classifiers()
    assert translation_fd(y, y, digits) == pytest.approx(0.0, abs=1e-6)


def test_bad_arguments_are_refused_clearly():
    x = images([0, 1, 2, 3], domain=0)
    with pytest.raises(ValueError, match="source_labels must hold one label per image"):
        content_kept(x, torch.tensor([0, 1]), DIGITS)
    with pytest.raises(TypeError, match="source_labels"):
        content_kept(x, torch.zeros(4), DIGITS)
    with pytest.raises(ValueError, match="target_domain must be a class of domain_classifier, 0..1"):
        domain_reached(x, 2, DOMAIN)
    with pytest.raises(ValueError, match="translated is empty"):
        domain_reached(x[:0], 1, DOMAIN)
    with pytest.raises(ValueError, match="translated needs at least 2 images"):
        translation_fd(x[:1], x, DIGITS)
    with pytest.raises(TypeError, match="digit_classifier"):
        translation_fd(x, x, nn.Identity())
    with pytest.raises(TypeError, match="G must be a torch.nn.Module"):
        cycle_error(lambda t: t, nn.Identity(), x)
    with pytest.raises(ValueError, match="G must map images"):
        cycle_error(nn.Flatten(), nn.Identity(), x)
    with pytest.raises(TypeError, match="classifiers must be a pair"):
        translation_report(nn.Identity(), nn.Identity(), x, torch.arange(4), x, torch.arange(4), classifiers=DIGITS)
    with pytest.raises(ValueError, match="x_test needs at least 4 images"):
        translation_report(nn.Identity(), nn.Identity(), x[:3], torch.arange(3), x, torch.arange(4),
                           classifiers=(DIGITS, DOMAIN))
    with pytest.raises(ValueError, match="two different domains"):
        translation_report(nn.Identity(), nn.Identity(), x, torch.arange(4), x, torch.arange(4),
                           classifiers=(DIGITS, DOMAIN), y_domain="handwritten")
