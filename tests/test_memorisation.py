"""The memorisation check (gancourse.metrics.memorisation): nearest training images, against scikit-learn's search."""
import warnings

import pytest
import torch

from gancourse.metrics import memorisation_report, nearest_neighbours


def _images(n, seed, shape=(1, 28, 28)):
    return torch.rand(n, *shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.fixture(scope="module")
def mnist():
    """The first 2,000 embedded MNIST training images and 400 test images (real digits, no overlap)."""
    from gancourse.data import load_images
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train = load_images("mnist", train=True, limit=2000).images
        test = load_images("mnist", train=False, limit=400).images
    return train, test


def test_nearest_neighbours_agree_with_scikit_learn():
    from sklearn.neighbors import NearestNeighbors
    samples, reference = _images(70, 0, (1, 6, 5)), _images(300, 1, (1, 6, 5))
    distances, indices = nearest_neighbours(samples, reference, chunk=16)       # several chunks, one partial
    assert distances.shape == indices.shape == (70,) and distances.dtype == torch.float64
    assert indices.dtype == torch.int64
    tree = NearestNeighbors(n_neighbors=1).fit(reference.flatten(1).double().numpy())
    want_d, want_i = tree.kneighbors(samples.flatten(1).double().numpy())
    assert torch.equal(indices, torch.from_numpy(want_i[:, 0])), "a different nearest image than scikit-learn's"
    assert torch.allclose(distances, torch.from_numpy(want_d[:, 0]), atol=1e-9)
    same_d, same_i = nearest_neighbours(samples, reference, chunk=1000)
    assert torch.equal(same_i, indices) and torch.allclose(same_d, distances, atol=1e-12), "chunking changed it"


def test_a_reference_image_is_its_own_nearest_neighbour():
    reference = _images(50, 2)
    distances, indices = nearest_neighbours(reference[[7, 3, 3]], reference)
    assert indices.tolist() == [7, 3, 3] and distances.max().item() < 1e-5


def test_copies_of_training_images_are_flagged(mnist):
    train, test = mnist
    copies = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:100]]
    report = memorisation_report(copies, train, test)
    assert report["flagged"] and report["copies"] == 1.0 and report["share_closer"] == 1.0
    assert report["p_value"] < 1e-100 and report["median_ratio"] < 1e-3
    assert report["closest"][0]["distance"] < 1e-3 and len(report["closest"]) == 8


def test_lightly_noised_copies_are_flagged_too(mnist):
    train, test = mnist
    noise = 0.05 * torch.randn(100, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    report = memorisation_report((train[:100] + noise).clamp(-1, 1), train, test)
    assert report["flagged"] and report["copies"] == 0.0, report
    assert report["median_ratio"] < 0.5, report


def test_unseen_images_and_noisy_fresh_images_are_not_flagged(mnist):
    train, test = mnist
    unseen = memorisation_report(test[200:], train, test[:200])       # real digits the training set lacks
    assert not unseen["flagged"] and unseen["copies"] == 0.0, unseen
    assert 0.8 < unseen["median_ratio"] < 1.25, unseen
    noise = 0.3 * torch.randn(200, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    noisy = memorisation_report((test[200:] + noise).clamp(-1, 1), train, test[:200])
    assert not noisy["flagged"] and noisy["share_closer"] == 0.0 and noisy["median_ratio"] > 1, noisy


def test_the_report_is_json_ready(mnist):
    import json
    train, test = mnist
    report = memorisation_report(test[:20], train[:100], test[20:60], closest=3)
    assert json.loads(json.dumps(report)) == report
    assert report["n_samples"] == 20 and report["n_train"] == 100 and report["n_test"] == 40
    s, t = report["sample_to_train"], report["test_to_train"]
    assert s["min"] <= s["p1"] <= s["p10"] <= s["median"] and t["min"] <= t["p1"] <= t["p10"] <= t["median"]


def test_bad_input_raises():
    a, b = _images(3, 0), _images(4, 1)
    with pytest.raises(ValueError, match="samples must have shape"):
        nearest_neighbours(_images(3, 0, (1, 14, 14)), b)
    with pytest.raises(ValueError, match="reference is empty"):
        nearest_neighbours(a, b[:0])
    with pytest.raises(ValueError, match="samples must have 4 dimensions"):
        nearest_neighbours(a.flatten(1), b)
    with pytest.raises(ValueError, match="samples holds NaN"):
        nearest_neighbours(torch.full_like(a, float("nan")), b)
    with pytest.raises(ValueError, match="chunk"):
        nearest_neighbours(a, b, chunk=0)
    with pytest.raises(TypeError, match="train must be"):
        memorisation_report(a, b.numpy(), b)
    with pytest.raises(ValueError, match="test must have shape"):
        memorisation_report(a, b, _images(3, 0, (3, 28, 28)))
    with pytest.raises(ValueError, match="quantile"):
        memorisation_report(a, b, b, quantile=1.0)
    with pytest.raises(ValueError, match="quantile"):
        memorisation_report(a, b, b, quantile=0.0)
