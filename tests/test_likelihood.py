"""Likelihoods (gancourse.metrics.likelihood and .parzen): exact log Z both ways and by brute force, AIS against
the exact value on a trained RBM, the IWAE bound against the ELBO and an exact log p(x), and the Parzen window,
by hand and in the trap of Theis et al. (2016)."""
import itertools
import math
import warnings

import pytest
import torch
from torch.utils.data import DataLoader

from gancourse.data import load_images
from gancourse.data.binary import binarise, binarised_set, images_to_bits
from gancourse.metrics.likelihood import (ais_betas, ais_log_partition, choose_parzen_sigma, exact_log_partition,
                                          iwae_bound, parzen_log_likelihood, pseudo_log_likelihood,
                                          rbm_log_likelihood)
from gancourse.models import VAE
from gancourse.models.rbm import BernoulliRBM
from gancourse.training.rbm import train_rbm
from gancourse.training.vae import vae_loss

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _random_rbm(n_visible, n_hidden, seed=0):
    g = torch.Generator().manual_seed(seed)
    rbm = BernoulliRBM(n_visible, n_hidden).double()
    with torch.no_grad():
        for p in (rbm.W, rbm.b_v, rbm.b_h):
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64))
    return rbm


def _all_bits(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


@pytest.fixture(scope="module")
def mnist():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return binarised_set("mnist", train=True, seed=1, limit=1000)


@pytest.fixture(scope="module")
def trained_rbm(mnist):
    """A 15-hidden-unit RBM after 200 CD-1 steps: far from its initial state, so log Z is not trivial."""
    rbm = BernoulliRBM(784, 15, generator=torch.Generator().manual_seed(0))
    rbm.set_visible_bias_from(images_to_bits(mnist.images))
    loader = DataLoader(mnist, batch_size=50, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0))
    train_rbm(rbm, loader, steps=200, lr=0.1, device="cpu", progress=False, sample_at_start=False, sample_every=200,
              sample_steps=1, n_samples=2)
    return rbm.eval()


def test_exact_log_partition_sums_over_hidden_or_visible_states_alike_and_equals_brute_force():
    rbm = _random_rbm(7, 5)
    joint = -rbm.energy(_all_bits(7).repeat_interleave(32, 0), _all_bits(5).repeat(128, 1))   # every (v, h)
    brute = torch.logsumexp(joint, 0).item()
    for over in ("hidden", "visible", "auto"):
        for chunk in (1, 4, 2 ** 14):
            assert exact_log_partition(rbm, chunk=chunk, over=over) == pytest.approx(brute, abs=1e-10)


def test_exact_log_partition_takes_the_softplus_path_when_exponentials_would_overflow():
    """Pre-activations of ±hundreds: float32 falls back to softplus, float64 multiplies factors; both are exact."""
    big = _random_rbm(8, 6, seed=2)
    with torch.no_grad():
        big.W.mul_(100)
    as_float32 = BernoulliRBM(8, 6)
    as_float32.load_state_dict({k: v.float() for k, v in big.state_dict().items()})
    joint = -big.energy(_all_bits(8).repeat_interleave(64, 0), _all_bits(6).repeat(256, 1))
    brute = torch.logsumexp(joint, 0).item()
    assert exact_log_partition(big) == pytest.approx(brute, rel=1e-12)
    assert exact_log_partition(as_float32) == pytest.approx(brute, rel=1e-6)


def test_exact_log_likelihoods_sum_to_one_over_every_visible_state():
    rbm = _random_rbm(6, 4, seed=1)
    log_z = exact_log_partition(rbm)
    v = _all_bits(6)
    log_p = torch.tensor([rbm_log_likelihood(rbm, row[None], log_z) for row in v], dtype=torch.float64)
    assert torch.logsumexp(log_p, 0).item() == pytest.approx(0.0, abs=1e-10)
    assert rbm_log_likelihood(rbm, v, log_z) == pytest.approx(log_p.mean().item(), abs=1e-10)


def test_ais_agrees_with_the_exact_log_partition_of_a_trained_rbm(trained_rbm, mnist):
    exact = exact_log_partition(trained_rbm)
    assert exact > 100, "the trained RBM should be far from the uniform one (log Z = 784 log 2 + 15 log 2 ≈ 554 then)"
    result = ais_log_partition(trained_rbm, n_chains=100, betas=ais_betas(0.1),
                               generator=torch.Generator().manual_seed(0), data=images_to_bits(mnist.images))
    assert result.log_z_low <= result.log_z <= result.log_z_high
    assert abs(result.log_z - exact) < 0.5, (result, exact)
    assert result.log_z_low - 0.1 <= exact <= result.log_z_high + 0.1, (result[:3], exact)


def test_ais_from_a_uniform_base_also_converges_on_a_small_rbm():
    rbm = _random_rbm(10, 6, seed=3)
    result = ais_log_partition(rbm, n_chains=200, betas=ais_betas(0.2), generator=torch.Generator().manual_seed(1))
    assert abs(result.log_z - exact_log_partition(rbm)) < 0.1


def test_the_trained_rbm_has_a_higher_test_likelihood_than_an_untrained_one(trained_rbm, mnist):
    test = images_to_bits(mnist.images[-200:])
    untrained = BernoulliRBM(784, 15)
    assert (rbm_log_likelihood(trained_rbm, test, exact_log_partition(trained_rbm))
            > rbm_log_likelihood(untrained, test, exact_log_partition(untrained)) + 100)
    assert pseudo_log_likelihood(trained_rbm, test).shape == (200,)


# ---- the VAE: ELBO and importance-weighted bound against an exact log p(x) ----
@pytest.fixture(scope="module")
def tiny_vae():
    """A VAE with a 1-D latent code on 2×2 images: log p(x) = log ∫ p(x|z) N(z) dz by quadrature."""
    torch.manual_seed(0)
    vae = VAE(latent_dim=1, hidden_dim=8, image_shape=(1, 2, 2)).double()
    with torch.no_grad():
        for p in vae.parameters():
            p.mul_(1.5)                                 # sharper p(x|z): an ELBO gap of about 0.3 nats to close
    return vae


def _exact_log_px(vae, x):
    z = torch.linspace(-10, 10, 40001, dtype=torch.float64)[:, None]
    logits = vae.decode_logits(z).flatten(1)                                           # (Z, 4)
    target = ((x.flatten(1) + 1) / 2)                                                   # (B, 4)
    log_px_z = -torch.nn.functional.binary_cross_entropy_with_logits(
        logits[None].expand(len(x), -1, -1), target[:, None].expand(-1, len(z), -1), reduction="none").sum(-1)
    log_prior = -0.5 * (z[:, 0] ** 2 + math.log(2 * math.pi))
    return torch.logsumexp(log_px_z + log_prior, dim=1) + math.log(z[1, 0] - z[0, 0])   # (B,)


def _exact_elbo(vae, x):
    """E_q[log p(x|z)] by quadrature on the 1-D code, minus the analytic KL: the ELBO without sampling noise."""
    z = torch.linspace(-40, 40, 80001, dtype=torch.float64)[:, None]
    mean, logvar = vae.encode(x)                                                        # (B, 1) each
    q = torch.exp(-0.5 * (z[:, 0] - mean) ** 2 / logvar.exp()) / torch.sqrt(2 * math.pi * logvar.exp())  # (B, Z)
    logits = vae.decode_logits(z).flatten(1)                                           # (Z, 4)
    target = ((x.flatten(1) + 1) / 2)
    log_px_z = -torch.nn.functional.binary_cross_entropy_with_logits(
        logits[None].expand(len(x), -1, -1), target[:, None].expand(-1, len(z), -1), reduction="none").sum(-1)
    expected = (q * log_px_z).sum(1) * (z[1, 0] - z[0, 0])
    kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).sum(1)
    return (expected - kl).mean().item()


def test_iwae_with_one_sample_is_the_elbo_in_expectation(tiny_vae):
    """The mean of 20 batches of k=1 bounds within 4 standard errors of the exact ELBO (and so is vae_loss's)."""
    x = torch.tensor([[[[1.0, -1.0], [-1.0, 1.0]]], [[[1.0, 1.0], [-1.0, -1.0]]]], dtype=torch.float64)
    many = x.repeat(1000, 1, 1, 1)
    with torch.no_grad():
        exact = _exact_elbo(tiny_vae, x)
        elbos = torch.tensor([-vae_loss(tiny_vae, many, torch.Generator().manual_seed(i))[0].item() for i in range(20)])
    iwae = torch.tensor([iwae_bound(tiny_vae, many, k=1, generator=torch.Generator().manual_seed(100 + i))
                         for i in range(20)])
    for values in (iwae, elbos):
        assert abs(values.mean().item() - exact) < 4 * values.std().item() / math.sqrt(20) + 1e-3, (values, exact)
    assert 4 * iwae.std().item() / math.sqrt(20) < 0.6, "too noisy a check to catch a missing term"


def test_iwae_rises_with_k_and_stays_below_the_exact_log_likelihood(tiny_vae):
    x = binarise(torch.zeros(16, 1, 2, 2, dtype=torch.float64), torch.Generator().manual_seed(0))
    with torch.no_grad():
        exact = _exact_log_px(tiny_vae, x).mean().item()
    bounds = [iwae_bound(tiny_vae, x.repeat(50, 1, 1, 1), k=k, generator=torch.Generator().manual_seed(k))
              for k in (1, 5, 50, 500)]
    assert all(a < b for a, b in zip(bounds, bounds[1:])), bounds
    assert bounds[-1] <= exact + 1e-3 and bounds[0] < exact - 0.05, (bounds, exact)
    assert bounds[-1] == pytest.approx(exact, abs=0.02)


def test_iwae_refuses_grey_images():
    with pytest.raises(ValueError, match="binary"):
        iwae_bound(VAE(), torch.zeros(2, 1, 28, 28), k=2)


# ---- Parzen windows ----
def test_parzen_equals_a_hand_computation():
    samples = torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]])
    test = torch.tensor([[0.5, 0.5], [2.0, 0.0]])
    sigma = 0.7
    by_hand = []
    for x in test:
        densities = [math.exp(-((x - s) ** 2).sum().item() / (2 * sigma ** 2)) / (2 * math.pi * sigma ** 2)
                     for s in samples]
        by_hand.append(math.log(sum(densities) / 3))
    assert parzen_log_likelihood(samples, test, sigma, chunk=1) == pytest.approx(sum(by_hand) / 2, abs=1e-9)
    best, scores = choose_parzen_sigma(samples, test, [0.1, 0.7, 5.0])
    assert scores[best] == max(scores.values()) and len(scores) == 3


def test_the_parzen_trap_k_means_centroids_score_above_real_images():
    """Theis et al. (2016): 50 k-means centroids of training images beat 50 real (unseen) training images."""
    from sklearn.cluster import KMeans
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train = (load_images("mnist", train=True, limit=1050).images.flatten(1) + 1) / 2
        test = (load_images("mnist", train=False, limit=400).images.flatten(1) + 1) / 2
    real = train[1000:]                                                   # a perfect sampler: real digits
    centroids = torch.tensor(KMeans(n_clusters=50, n_init=1, random_state=0).fit(train[:1000].numpy())
                             .cluster_centers_, dtype=torch.float32)
    sigmas = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
    scores = {}
    for name, samples in (("real", real), ("centroids", centroids)):
        sigma, _ = choose_parzen_sigma(samples, test[:200], sigmas)
        scores[name] = parzen_log_likelihood(samples, test[200:], sigma)
    assert scores["centroids"] > scores["real"] + 50, scores


@pytest.mark.parametrize("call, error, match", [
    (lambda: exact_log_partition(BernoulliRBM(784, 40)), ValueError, "ais_log_partition"),
    (lambda: exact_log_partition(BernoulliRBM(10, 3), over="both"), ValueError, "over"),
    (lambda: exact_log_partition("rbm"), TypeError, "BernoulliRBM"),
    (lambda: rbm_log_likelihood(BernoulliRBM(10, 3), torch.full((2, 10), 0.5), 1.0), ValueError, "binary"),
    (lambda: rbm_log_likelihood(BernoulliRBM(10, 3), torch.zeros(2, 11), 1.0), ValueError, r"\(B, 10\)"),
    (lambda: rbm_log_likelihood(BernoulliRBM(10, 3), torch.zeros(2, 10), float("nan")), ValueError, "log_z"),
    (lambda: pseudo_log_likelihood(BernoulliRBM(10, 3), torch.zeros(2, 10), index=torch.tensor([0, 10])),
     ValueError, "index"),
    (lambda: ais_log_partition(BernoulliRBM(10, 3), betas=torch.tensor([0.0, 0.5])), ValueError, "betas"),
    (lambda: ais_log_partition(BernoulliRBM(10, 3), n_chains=0), ValueError, "n_chains"),
    (lambda: iwae_bound(VAE(), torch.ones(2, 1, 28, 28), k=0), ValueError, "k"),
    (lambda: iwae_bound(VAE(), torch.ones(2, 1, 14, 14), k=1), ValueError, "shape"),
    (lambda: parzen_log_likelihood(torch.zeros(3, 4), torch.zeros(2, 5), 1.0), ValueError, "same size"),
    (lambda: parzen_log_likelihood(torch.zeros(3, 4), torch.zeros(2, 4), 0.0), ValueError, "sigma"),
    (lambda: choose_parzen_sigma(torch.zeros(3, 4), torch.zeros(2, 4), []), TypeError, "sigmas"),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("name", ["rbm_mnist", "rbm500_mnist"])
def test_the_shipped_rbms_reproduce_the_test_likelihood_their_json_records(name):
    """-F(v) - log Z on binarised_test_set() with the recorded log Z gives the recorded nats (the JSON is honest)."""
    import json

    from gancourse.data.binary import binarised_test_set
    from gancourse.training.rbm import PRETRAINED_DIR, load_rbm
    path = PRETRAINED_DIR / f"{name}.pt"
    if not path.is_file():
        pytest.skip(f"{path.name} is not built (scripts/build_pretrained_rbm.py)")
    info = json.loads(path.with_suffix(".json").read_text())
    rbm = load_rbm(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = binarised_test_set()
    if info["data"]["source"] != test.source or info["data"]["test_images"] != len(test):
        pytest.skip("the recorded figures are for another test set than this machine's")
    assert rbm.n_hidden == info["model"]["n_hidden"]
    for method, measured in info["log_likelihood"].items():
        nats = rbm_log_likelihood(rbm, images_to_bits(test.images), measured["log_z"])
        assert nats == pytest.approx(measured["test_nats"], abs=0.01), method
