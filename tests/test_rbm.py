"""The Bernoulli RBM (gancourse.models.rbm), its training by CD-k / PCD (gancourse.training.rbm) and the binarised
data (gancourse.data.binary): cross-checked against scikit-learn's BernoulliRBM and against enumeration."""
import itertools
import warnings

import numpy as np
import pytest
import torch
from sklearn.neural_network import BernoulliRBM as sklearn_rbm   # the independent implementation
from torch.utils.data import DataLoader

from gancourse.data.binary import (binarise, binarised_set, binarised_test_set, bits_to_images, images_to_bits,
                                   is_binary_images)
from gancourse.metrics.likelihood import pseudo_log_likelihood
from gancourse.models.rbm import BernoulliRBM
from gancourse.training import rbm as rbm_training
from gancourse.training.rbm import RBMFamily, cd_gradient, load_rbm, reconstruction_error, save_rbm, train_rbm


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _random_rbm(n_visible, n_hidden, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    rbm = BernoulliRBM(n_visible, n_hidden).double()
    with torch.no_grad():
        for p in (rbm.W, rbm.b_v, rbm.b_h):
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return rbm


def _bits(n, v, seed=1):
    return (torch.rand(n, v, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) < 0.5).double()


def _sklearn_copy(rbm):
    sk = sklearn_rbm(n_components=rbm.n_hidden)
    sk.components_ = rbm.W.detach().numpy().copy()
    sk.intercept_hidden_ = rbm.b_h.detach().numpy().copy()
    sk.intercept_visible_ = rbm.b_v.detach().numpy().copy()
    sk.n_features_in_ = rbm.n_visible
    return sk


@pytest.fixture(scope="module")
def mnist_bits():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = binarised_set("mnist", train=True, seed=1, limit=1000)
    return data


def test_free_energy_and_hidden_probs_equal_scikit_learns_on_the_same_weights():
    """F(v) against sklearn's (private) _free_energy, the only place it exposes it; p(h|v) against transform."""
    rbm, v = _random_rbm(20, 7), _bits(30, 20)
    sk = _sklearn_copy(rbm)
    np.testing.assert_allclose(rbm.free_energy(v).detach().numpy(), sk._free_energy(v.numpy()), rtol=1e-12)
    np.testing.assert_allclose(rbm.hidden_probs(v).detach().numpy(), sk.transform(v.numpy()), rtol=1e-12)


def test_pseudo_likelihood_equals_scikit_learns_score_samples_for_the_same_flipped_bits():
    rbm, v = _random_rbm(20, 7, seed=3), _bits(50, 20, seed=4)
    sk = _sklearn_copy(rbm)
    sk.random_state = 11
    index = torch.from_numpy(np.random.RandomState(11).randint(0, 20, 50))     # what score_samples draws
    ours = pseudo_log_likelihood(rbm, v, index=index).numpy()
    np.testing.assert_allclose(ours, sk.score_samples(v.numpy()), rtol=1e-10)
    assert (ours <= 0).all()


def test_free_energy_is_minus_log_sum_over_hidden_states_of_exp_minus_energy():
    rbm, v = _random_rbm(6, 4, seed=5), _bits(8, 6, seed=6)
    hs = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64)    # (16, 4)
    for row in v:
        energies = rbm.energy(row.expand(16, -1), hs)
        assert torch.allclose(rbm.free_energy(row[None])[0], -torch.logsumexp(-energies, 0), atol=1e-12)


def test_conditionals_are_the_ratios_of_the_joint():
    """p(h_j = 1 | v) from the energy: exp(-E(v, h with h_j=1)) / (that + exp(-E(v, h with h_j=0)))."""
    rbm, v = _random_rbm(5, 3, seed=7), _bits(4, 5, seed=8)
    h1, h0 = torch.zeros(4, 3, dtype=torch.float64), torch.zeros(4, 3, dtype=torch.float64)
    h1[:, 1] = 1
    expected = torch.sigmoid(rbm.energy(v, h0) - rbm.energy(v, h1))
    assert torch.allclose(rbm.hidden_probs(v)[:, 1], expected, atol=1e-12)


def test_gibbs_sampling_is_seeded_and_binary():
    rbm = _random_rbm(12, 5, seed=2)
    v = _bits(9, 12)
    a = rbm.gibbs_step(v, torch.Generator().manual_seed(0))
    b = rbm.gibbs_step(v, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == (9, 12) and set(a.unique().tolist()) <= {0.0, 1.0}
    probs = rbm.sample(4, steps=10, generator=torch.Generator().manual_seed(1))
    samples = rbm.sample(4, steps=10, generator=torch.Generator().manual_seed(1), return_probs=False)
    assert probs.shape == (4, 12) and ((probs >= 0) & (probs <= 1)).all()
    assert set(samples.unique().tolist()) <= {0.0, 1.0}
    images = BernoulliRBM(784, 3).sample_images(2, steps=2, generator=torch.Generator().manual_seed(0))
    assert images.shape == (2, 1, 28, 28) and images.min() >= -1 and images.max() <= 1


def test_cd_gradient_is_positive_minus_negative_statistics():
    rbm, v = _random_rbm(6, 3, seed=9, scale=0.5), _bits(10, 6, seed=10)
    chain = _bits(4, 6, seed=11)
    grad = cd_gradient(rbm, v, k=2, generator=torch.Generator().manual_seed(0), persistent_chain=chain)
    g = torch.Generator().manual_seed(0)                                   # the same draws, by hand
    v_neg = rbm.gibbs_step(rbm.gibbs_step(chain, g), g)
    ph, ph_neg = rbm.hidden_probs(v), rbm.hidden_probs(v_neg)
    assert torch.equal(grad.chain, v_neg)
    assert torch.allclose(grad.W, ph.T @ v / 10 - ph_neg.T @ v_neg / 4)
    assert torch.allclose(grad.b_v, v.mean(0) - v_neg.mean(0)) and torch.allclose(grad.b_h, ph.mean(0) - ph_neg.mean(0))


def test_cd1_training_lowers_reconstruction_error_and_raises_pseudo_likelihood(mnist_bits):
    bits = images_to_bits(mnist_bits.images)
    rbm = BernoulliRBM(784, 16, generator=torch.Generator().manual_seed(0))
    before = reconstruction_error(rbm, bits)
    loader = DataLoader(mnist_bits, batch_size=50, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(0))
    history = train_rbm(rbm, loader, steps=100, device="cpu", progress=False, sample_every=50, sample_steps=2,
                        n_samples=4)
    pll = history.points["pseudo_likelihood"]
    assert reconstruction_error(rbm, bits) < 0.7 * before
    assert pll[-1] > pll[0] + 50, f"pseudo-likelihood {pll} did not rise"
    assert history.samples[-1].shape == (4, 1, 28, 28)


def test_pcd_keeps_its_chain_across_steps_and_cd_restarts_at_the_data(monkeypatch, mnist_bits):
    calls = []

    def spy(rbm, v, k, generator, persistent_chain=None):
        result = cd_gradient(rbm, v, k, generator, persistent_chain)
        calls.append((persistent_chain, result.chain))
        return result

    monkeypatch.setattr(rbm_training, "cd_gradient", spy)
    batches = [mnist_bits.images[i * 20:(i + 1) * 20] for i in range(3)]
    for persistent in (True, False):
        calls.clear()
        train_rbm(BernoulliRBM(784, 8), batches, steps=3, persistent=persistent, device="cpu", progress=False,
                  sample_at_start=False, sample_steps=1, n_samples=2)
        if persistent:
            assert calls[0][0] is None                                # the first chain starts at the data
            assert all(torch.equal(calls[i + 1][0], calls[i][1]) for i in range(2))
        else:
            assert all(c[0] is None for c in calls)


@pytest.mark.parametrize("persistent", [False, True])
def test_a_resumed_rbm_run_reproduces_an_uninterrupted_one_exactly(tmp_path, mnist_bits, persistent):
    def run(steps, **kw):
        loader = DataLoader(mnist_bits, batch_size=100, shuffle=True, drop_last=True,
                            generator=torch.Generator().manual_seed(3))
        rbm = BernoulliRBM(784, 8, generator=torch.Generator().manual_seed(0))
        return train_rbm(rbm, loader, steps=steps, persistent=persistent, momentum_steps=5, sample_every=7,
                         device="cpu", progress=False, sample_steps=3, n_samples=2, **kw), rbm

    whole, rbm_whole = run(16)
    path = tmp_path / "rbm.pt"
    run(7, checkpoint=path)
    resumed, rbm_resumed = run(16, checkpoint=path, resume=True)
    assert resumed.logs == whole.logs and resumed.points == whole.points
    assert all(torch.equal(a, b) for a, b in zip(resumed.samples, whole.samples))
    assert torch.equal(rbm_resumed.W, rbm_whole.W)


def test_save_and_load_rbm_round_trip(tmp_path):
    rbm = BernoulliRBM(784, 5, generator=torch.Generator().manual_seed(0))
    loaded = load_rbm(save_rbm(tmp_path / "r.pt", rbm, {"note": "test"}))
    assert torch.equal(loaded.W, rbm.W) and loaded.n_hidden == 5
    assert (tmp_path / "r.json").read_text().strip().startswith("{")
    with pytest.raises(FileNotFoundError):
        load_rbm(tmp_path / "absent.pt")


def test_pcd_matches_scikit_learn_trained_with_the_same_settings(mnist_bits):
    """scikit-learn's BernoulliRBM is PCD-1, plain SGD, batch 10, W ~ N(0, 0.01²), zero biases: train ours alike."""
    bits = images_to_bits(mnist_bits.images)
    train, test = bits[:600], bits[600:]
    sk = sklearn_rbm(n_components=16, learning_rate=0.05, batch_size=10, n_iter=3, random_state=0)
    sk.fit(train.double().numpy())
    rbm = BernoulliRBM(784, 16, generator=torch.Generator().manual_seed(0))
    batches = list(train.split(10))
    train_rbm(rbm, batches, steps=3 * len(batches), persistent=True, lr=0.05, momentum=0.0, initial_momentum=0.0,
              weight_decay=0.0, device="cpu", progress=False, sample_at_start=False, sample_steps=1, n_samples=2)
    index = torch.from_numpy(np.random.RandomState(5).randint(0, 784, len(test)))
    ours = pseudo_log_likelihood(rbm, test, index=index).mean().item()
    sk.random_state = 5
    theirs = sk.score_samples(test.double().numpy()).mean()
    untrained = pseudo_log_likelihood(BernoulliRBM(784, 16), test, index=index).mean().item()
    assert abs(ours - theirs) < 0.15 * abs(untrained - theirs), (ours, theirs, untrained)


def test_binarise_stochastic_and_threshold():
    x = torch.full((2000, 1, 2, 2), 0.5)                                  # intensity 0.75
    b = binarise(x, torch.Generator().manual_seed(0))
    assert is_binary_images(b) and abs((b == 1).float().mean().item() - 0.75) < 0.02
    assert torch.equal(b, binarise(x, torch.Generator().manual_seed(0)))
    assert (binarise(x, threshold=0.7) == 1).all() and (binarise(x, threshold=0.8) == -1).all()
    bits = images_to_bits(b)
    assert bits.shape == (2000, 4) and torch.equal(bits_to_images(bits, (1, 2, 2)), b)


def test_the_binarised_test_set_is_the_same_every_time():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = binarised_test_set(limit=50), binarised_test_set(limit=50)
    assert torch.equal(a.images, b.images) and is_binary_images(a.images) and a.split == "test"


@pytest.mark.parametrize("call, error, match", [
    (lambda: BernoulliRBM(0, 3), ValueError, "n_visible"),
    (lambda: BernoulliRBM(10, 3, image_shape=(1, 3, 3)), ValueError, "image_shape"),
    (lambda: BernoulliRBM(10, 3).free_energy(torch.zeros(2, 9)), ValueError, r"\(B, 10\)"),
    (lambda: BernoulliRBM(10, 3).energy(torch.zeros(2, 10), torch.zeros(3, 3)), ValueError, "same number"),
    (lambda: BernoulliRBM(10, 3).hidden_probs(torch.zeros(10)), ValueError, "dimensions"),
    (lambda: BernoulliRBM(10, 3).gibbs_step(torch.zeros(2, 10), generator=3), TypeError, "Generator"),
    (lambda: BernoulliRBM(10, 3).sample(2, init=torch.zeros(3, 10)), ValueError, "init"),
    (lambda: cd_gradient(BernoulliRBM(10, 3), torch.zeros(2, 10), k=0), ValueError, "k"),
    (lambda: RBMFamily(BernoulliRBM(10, 3), momentum=1.0), ValueError, "momentum"),
    (lambda: binarise(torch.full((1, 1, 2, 2), 2.0)), ValueError, r"\[-1, 1\]"),
    (lambda: binarise(torch.zeros(1, 1, 2, 2), torch.Generator(), threshold=0.5), ValueError, "not both"),
    (lambda: images_to_bits(torch.zeros(1, 1, 2, 2)), ValueError, "binary"),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_training_on_grey_images_says_to_binarise_them():
    with pytest.raises(ValueError, match="binarise"):
        train_rbm(BernoulliRBM(784, 3), [torch.zeros(4, 1, 28, 28)], steps=1, device="cpu", progress=False)
