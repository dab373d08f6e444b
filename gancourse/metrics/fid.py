"""The Fréchet distance between two sets of images, in the feature space of gancourse's shipped classifier.

FID (Heusel et al., 2017) fits a Gaussian to the features of each set and measures the Fréchet (2-Wasserstein)
distance between the two Gaussians:

    d² = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})

The usual FID uses Inception-v3 features, which need a download and are made for photographs. We use the
128-d penultimate layer of the small classifier in ``gancourse.metrics`` instead (like Berkeley's deepul, which
computes its Inception Score with a small bundled classifier), so the numbers are *not* comparable with published
FIDs: compare them only with each other, and always with a real-vs-real floor computed on as many images.

* ``feature_statistics`` — mean and covariance of a (N, d) feature matrix, in float64;
* ``frechet_distance`` — the formula above; the matrix square root is taken in float64 through two symmetric
  eigendecompositions, Tr((Σ_a Σ_b)^{1/2}) = Tr((Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}), so it never turns complex;
* ``classifier_features`` / ``classifier_fid`` — the same, straight from images.
"""
from __future__ import annotations

import torch
from torch import nn

from gancourse import _checks
from gancourse.metrics.classifier import IMAGE_SHAPE, load_classifier, sample_report
from gancourse.sampling import generate, sample_images


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``mu`` (d,) and unbiased covariance ``sigma`` (d, d) of ``features`` (N, d), both float64 on the CPU."""
    _checks.tensor("features", features, ndim=2)
    if features.shape[0] < 2:
        raise ValueError(f"features needs at least 2 rows to estimate a covariance, got shape {tuple(features.shape)}")
    x = features.detach().to("cpu", torch.float64)
    if not bool(torch.isfinite(x).all()):
        raise ValueError("features contains inf or nan")
    mu = x.mean(dim=0)
    centred = x - mu
    sigma = centred.T @ centred / (x.shape[0] - 1)
    return mu, sigma


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues from rounding → 0)."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(mu_a: torch.Tensor, sigma_a: torch.Tensor, mu_b: torch.Tensor, sigma_b: torch.Tensor) -> float:
    """The squared Fréchet distance between N(mu_a, sigma_a) and N(mu_b, sigma_b), as a float (>= 0).

    ``mu_*`` have shape (d,) and ``sigma_*`` shape (d, d), symmetric positive semi-definite (covariances).
    """
    for name, value, ndim in (("mu_a", mu_a, 1), ("sigma_a", sigma_a, 2), ("mu_b", mu_b, 1), ("sigma_b", sigma_b, 2)):
        _checks.tensor(name, value, ndim=ndim)
    d = mu_a.shape[0]
    if mu_b.shape != (d,) or sigma_a.shape != (d, d) or sigma_b.shape != (d, d):
        raise ValueError(f"shapes do not fit: mu_a {tuple(mu_a.shape)}, sigma_a {tuple(sigma_a.shape)}, "
                         f"mu_b {tuple(mu_b.shape)}, sigma_b {tuple(sigma_b.shape)}; expected (d,), (d, d) twice")
    mu_a, mu_b, sigma_a, sigma_b = (t.detach().to("cpu", torch.float64) for t in (mu_a, mu_b, sigma_a, sigma_b))
    for name, sigma in (("sigma_a", sigma_a), ("sigma_b", sigma_b)):
        if not torch.allclose(sigma, sigma.T, atol=1e-8 * max(1.0, float(sigma.abs().max()))):
            raise ValueError(f"{name} must be symmetric (a covariance matrix)")
    root_a = _sqrt_psd(sigma_a)
    cross = root_a @ sigma_b @ root_a                         # symmetric PSD, same eigenvalues as sigma_a @ sigma_b
    trace_sqrt = torch.linalg.eigvalsh((cross + cross.T) / 2).clamp(min=0).sqrt().sum()
    distance = (mu_a - mu_b).pow(2).sum() + torch.trace(sigma_a) + torch.trace(sigma_b) - 2 * trace_sqrt
    return max(float(distance), 0.0)                          # rounding can leave -1e-12 for identical sets


def _feature_model(name: str, value) -> nn.Module:
    """The model behind a ``classifier`` argument: a data-set name's shipped classifier, or the model itself."""
    if isinstance(value, str):
        from gancourse.data import DATASETS, canonical_name
        try:
            canonical_name(value)
        except ValueError:
            raise ValueError(f"{name} must be a data-set name, one of {DATASETS}, or a SmallClassifier, "
                             f"got {value!r}") from None
        return load_classifier(value)
    if not isinstance(value, nn.Module) or not callable(getattr(value, "features", None)):
        raise TypeError(f"{name} must be a SmallClassifier (a module with a features() method) or a data-set name, "
                        f"got {type(value).__name__}")
    return value


@torch.no_grad()
def classifier_features(images: torch.Tensor, classifier: nn.Module | str = "mnist", batch_size: int = 500) -> torch.Tensor:
    """The classifier's 128-d features (N, 128) for ``images`` (N, 1, 28, 28) in [-1, 1].

    ``classifier`` is a ``SmallClassifier`` (anything with a ``features`` method) or a data-set name whose shipped
    classifier is loaded.
    """
    _checks.images("images", images, IMAGE_SHAPE)
    _checks.positive_int("batch_size", batch_size)
    classifier = _feature_model("classifier", classifier)
    classifier.eval()
    device = next(classifier.parameters()).device
    return torch.cat([classifier.features(chunk.to(device)).cpu() for chunk in images.split(batch_size)])


def classifier_fid(images_a: torch.Tensor, images_b: torch.Tensor, name: str | nn.Module = "mnist") -> float:
    """Fréchet distance between two image sets in the feature space of the shipped classifier for ``name``.

    Both sets are (N, 1, 28, 28) in [-1, 1]. FID is biased upwards for small N, so compare only numbers computed
    with the same N — in particular against the distance between two sets of *real* images (the floor).
    """
    _checks.images("images_a", images_a, IMAGE_SHAPE)
    _checks.images("images_b", images_b, IMAGE_SHAPE)
    classifier = _feature_model("name", name)
    stats_a = feature_statistics(classifier_features(images_a, classifier))
    stats_b = feature_statistics(classifier_features(images_b, classifier))
    return frechet_distance(*stats_a, *stats_b)


def evaluate_generator(generator: nn.Module, name: str = "mnist", n: int = 1000, seed: int = 123,
                       conditional: bool = False) -> dict:
    """Classifier-FID of ``n`` samples against the first ``n`` held-out test images, the real-vs-real floor
    (the first ``n`` training images against the same test images) and the spread of predicted classes.

    ``conditional=True`` measures a conditional generator ``G(z, y)`` (notebook 04) the same way: it is asked for
    ``n / 10`` images of every class (the test images' classes are about even), so ``n`` must be a multiple of 10.
    Returns a JSON-ready dict: ``n``, ``fid``, ``floor_fid``, and from ``sample_report``
    ``classes_covered``, ``class_entropy``, ``confident_share`` and ``class_counts``.
    """
    from gancourse.data import canonical_name, load_images   # here: gancourse.data need not load with metrics

    if not isinstance(getattr(_checks.module("generator", generator), "latent_dim", None), int):
        raise ValueError("generator needs an integer latent_dim attribute (the size of its noise input)")
    canonical_name(name)
    _checks.positive_int("n", n)
    _checks.seed("seed", seed)
    _checks.boolean("conditional", conditional)
    test = load_images(name, train=False).images
    train = load_images(name, train=True).images
    if n > len(test):
        raise ValueError(f"n={n} is more than the {len(test)} held-out {name} images available")
    classifier = load_classifier(name)
    if conditional and n % classifier.n_classes:
        raise ValueError(f"a conditional generator is asked for n / {classifier.n_classes} images of every class, "
                         f"so n must be a multiple of {classifier.n_classes}, got n={n}")
    reference = feature_statistics(classifier_features(test[:n], classifier))
    if conditional:
        fake = generate(generator, torch.arange(classifier.n_classes).repeat_interleave(n // classifier.n_classes),
                        seed=seed)
    else:
        fake = sample_images(generator, n, seed=seed)
    report = sample_report(classifier, fake)
    return {
        "n": n,
        "fid": round(frechet_distance(*feature_statistics(classifier_features(fake, classifier)), *reference), 2),
        "floor_fid": round(frechet_distance(*feature_statistics(classifier_features(train[:n], classifier)), *reference), 2),
        "classes_covered": report["classes_covered"],
        "class_entropy": round(report["class_entropy"], 3),
        "confident_share": round(report["confident_share"], 3),
        "class_counts": report["class_counts"],
    }
