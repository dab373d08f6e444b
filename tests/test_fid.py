"""gancourse.metrics.fid against closed forms and an independent NumPy computation (no SciPy, no torchmetrics)."""
import math

import numpy as np
import pytest
import torch

from gancourse.data import load_images
from gancourse.metrics import classifier_features, classifier_fid, feature_statistics, frechet_distance


def _random_covariance(d: int, seed: int, rank: int | None = None) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(d, rank or d, generator=gen, dtype=torch.float64)
    return a @ a.T / (rank or d)


def test_one_dimensional_gaussians_have_the_textbook_distance():
    # W2² between N(m1, s1²) and N(m2, s2²) is (m1 - m2)² + (s1 - s2)²
    d = frechet_distance(torch.tensor([1.0]), torch.tensor([[4.0]]), torch.tensor([-2.0]), torch.tensor([[9.0]]))
    assert d == pytest.approx((1 + 2) ** 2 + (2 - 3) ** 2, abs=1e-10)


def test_diagonal_covariances_match_the_closed_form():
    gen = torch.Generator().manual_seed(0)
    mu_a, mu_b = (torch.randn(20, generator=gen, dtype=torch.float64) for _ in range(2))
    var_a, var_b = (torch.rand(20, generator=gen, dtype=torch.float64) * 3 for _ in range(2))
    expected = ((mu_a - mu_b) ** 2).sum() + ((var_a.sqrt() - var_b.sqrt()) ** 2).sum()
    got = frechet_distance(mu_a, torch.diag(var_a), mu_b, torch.diag(var_b))
    assert got == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


def test_commuting_covariances_in_a_rotated_basis_match_the_closed_form():
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64))
    var_a, var_b = torch.tensor([1.0, 2, 3, 4, 5, 6], dtype=torch.float64), torch.tensor([6.0, 1, 0.5, 2, 2, 9], dtype=torch.float64)
    sigma_a, sigma_b = q @ torch.diag(var_a) @ q.T, q @ torch.diag(var_b) @ q.T
    mu = torch.zeros(6, dtype=torch.float64)
    expected = float(((var_a.sqrt() - var_b.sqrt()) ** 2).sum())
    assert frechet_distance(mu, sigma_a, mu, sigma_b) == pytest.approx(expected, rel=1e-9)


def _numpy_reference(mu_a, sigma_a, mu_b, sigma_b) -> float:
    """Tr((Σa Σb)^½) from the eigenvalues of the (non-symmetric) product: they are real and >= 0."""
    eig = np.linalg.eigvals(sigma_a.numpy() @ sigma_b.numpy())
    trace_sqrt = np.sqrt(np.clip(eig.real, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sigma_a.numpy()) + np.trace(sigma_b.numpy()) - 2 * trace_sqrt)


def test_general_covariances_match_an_independent_numpy_computation():
    sigma_a, sigma_b = _random_covariance(16, 2), _random_covariance(16, 3)
    mu_a = torch.randn(16, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    mu_b = mu_a + 0.5
    got = frechet_distance(mu_a, sigma_a, mu_b, sigma_b)
    assert got == pytest.approx(_numpy_reference(mu_a, sigma_a, mu_b, sigma_b), rel=1e-8)
    assert got == pytest.approx(frechet_distance(mu_b, sigma_b, mu_a, sigma_a), rel=1e-9)   # symmetric


def test_rank_deficient_covariances_stay_finite_and_non_negative():
    # fewer samples than dimensions (as with a few hundred images in 128-d) gives singular covariances
    sigma_a, sigma_b = _random_covariance(32, 5, rank=4), _random_covariance(32, 6, rank=3)
    mu = torch.zeros(32, dtype=torch.float64)
    got = frechet_distance(mu, sigma_a, mu, sigma_b)
    assert math.isfinite(got) and got >= 0
    assert got == pytest.approx(_numpy_reference(mu, sigma_a, mu, sigma_b), rel=1e-6, abs=1e-9)
    assert frechet_distance(mu, sigma_a, mu, sigma_a) == pytest.approx(0.0, abs=1e-9)


def test_feature_statistics_match_numpy_in_float64():
    x = torch.randn(50, 7, generator=torch.Generator().manual_seed(7))
    mu, sigma = feature_statistics(x)
    assert mu.dtype == sigma.dtype == torch.float64 and sigma.shape == (7, 7)
    np.testing.assert_allclose(mu.numpy(), x.double().numpy().mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sigma.numpy(), np.cov(x.double().numpy(), rowvar=False), rtol=1e-10, atol=1e-12)


def test_distance_of_samples_shrinks_to_the_distance_of_the_gaussians():
    gen = torch.Generator().manual_seed(8)
    a = torch.randn(20000, 3, generator=gen, dtype=torch.float64)
    b = torch.randn(20000, 3, generator=gen, dtype=torch.float64) * 2 + 1     # N(1, 4 I)
    got = frechet_distance(*feature_statistics(a), *feature_statistics(b))
    assert got == pytest.approx(3 * 1 + 3 * (2 - 1) ** 2, rel=0.03)


def test_arguments_are_validated():
    with pytest.raises(ValueError, match="at least 2 rows"):
        feature_statistics(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="inf or nan"):
        feature_statistics(torch.tensor([[0.0, float("nan")], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="shapes do not fit"):
        frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(2), torch.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        frechet_distance(torch.zeros(2), torch.tensor([[1.0, 0.5], [0.0, 1.0]]), torch.zeros(2), torch.eye(2))
    with pytest.raises(TypeError, match="torch.Tensor"):
        frechet_distance([0.0], torch.eye(1), torch.zeros(1), torch.eye(1))
    with pytest.raises(ValueError, match=r"shape \(B, 1, 28, 28\)"):
        classifier_features(torch.zeros(4, 3, 28, 28))
    with pytest.raises(TypeError, match="features"):
        classifier_features(torch.zeros(4, 1, 28, 28), classifier=torch.nn.Linear(2, 2))


def test_classifier_fid_orders_real_shifted_and_noise_images():
    test = load_images("mnist", train=False).images[:400]
    train = load_images("mnist", train=True).images[:400]
    noise = torch.rand(400, 1, 28, 28, generator=torch.Generator().manual_seed(9)) * 2 - 1
    same = classifier_fid(test, test, "mnist")
    real = classifier_fid(train, test, "mnist")
    shifted = classifier_fid(torch.roll(train, shifts=4, dims=3), test, "mnist")
    static = classifier_fid(noise, test, "mnist")
    assert same == pytest.approx(0.0, abs=1e-6)
    assert 0 < real < shifted < static
    assert classifier_features(test[:3], "mnist").shape == (3, 128)
