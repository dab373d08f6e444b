"""gancourse.theory, the toy densities and networks, fit_discriminator and the min-max explorer: the 1-D game,
checked against closed forms and torch."""
import math

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F

from gancourse import theory
from gancourse.data.toy import Gaussian, Mixture, SampleStream
from gancourse.models.toy import AffineGenerator, Discriminator1D, Generator1D
from gancourse.training import train_gan
from gancourse.training.discriminator import fit_discriminator
from gancourse.viz.minmax_explorer import MinMaxExplorer

X = torch.linspace(-8, 8, 1601, dtype=torch.float64)
DATA, GEN = Gaussian(1.0, 0.5), Gaussian(-0.5, 0.8)


# ---- densities ------------------------------------------------------------------------------------------------
def test_gaussian_density_matches_the_closed_form_and_integrates_to_one():
    x = torch.tensor([-0.5, 1.0, 2.0], dtype=torch.float64)
    expected = torch.exp(-0.5 * ((x - 1) / 0.5) ** 2) / (0.5 * math.sqrt(2 * math.pi))
    assert torch.allclose(DATA.pdf(x), expected)
    assert abs(torch.trapezoid(DATA.pdf(X), X).item() - 1) < 1e-10


def test_gaussian_and_mixture_samples_have_the_right_moments_and_are_reproducible():
    s = GEN.sample(200_000, generator=torch.Generator().manual_seed(0))
    assert s.shape == (200_000,) and abs(s.mean().item() + 0.5) < 0.01 and abs(s.std().item() - 0.8) < 0.01
    mix = Mixture([Gaussian(-1.0, 0.35), Gaussian(1.5, 0.5)], [0.6, 0.4])
    draws = mix.sample(200_000, generator=torch.Generator().manual_seed(1))
    assert abs((draws < 0.25).double().mean().item() - 0.6) < 0.01
    assert abs(torch.trapezoid(mix.pdf(X), X).item() - 1) < 1e-10
    assert torch.equal(mix.sample(5, torch.Generator().manual_seed(3)), mix.sample(5, torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("make", [lambda: Gaussian(0.0, 0.0), lambda: Gaussian(float("nan"), 1.0),
                                  lambda: Mixture([]), lambda: Mixture([Gaussian(0, 1)], [0.0]),
                                  lambda: Mixture([Gaussian(0, 1)], [1.0, 2.0])])
def test_densities_reject_bad_parameters(make):
    with pytest.raises(ValueError):
        make()


def test_kde_recovers_a_gaussian_from_its_samples():
    samples = DATA.sample(20_000, generator=torch.Generator().manual_seed(2))
    estimate = theory.kde(samples, X)
    assert estimate.shape == X.shape and estimate.dtype == torch.float64
    assert (estimate - DATA.pdf(X)).abs().max().item() < 0.03          # the peak is 0.80
    assert abs(torch.trapezoid(estimate, X).item() - 1) < 1e-6
    with pytest.raises(ValueError):
        theory.kde(samples[:1], X)


# ---- cross-entropy --------------------------------------------------------------------------------------------
def test_bce_matches_torch_and_uses_zero_log_zero():
    gen = torch.Generator().manual_seed(4)
    p, y = torch.rand(50, generator=gen) * 0.98 + 0.01, torch.rand(50, generator=gen)
    assert torch.allclose(theory.binary_cross_entropy(p, y), F.binary_cross_entropy(p, y), atol=1e-6)
    assert theory.binary_cross_entropy(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])).item() == 0
    assert math.isinf(theory.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item())
    with pytest.raises(ValueError, match="same shape"):
        theory.binary_cross_entropy(torch.rand(3), torch.rand(4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        theory.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))


def test_bce_with_logits_matches_torch_and_stays_finite_where_probabilities_overflow():
    logits = torch.tensor([-1000.0, -30.0, -2.0, 0.0, 3.0, 30.0, 1000.0])
    y = torch.tensor([1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 0.0])
    got = theory.binary_cross_entropy_with_logits(logits, y)
    assert torch.allclose(got, F.binary_cross_entropy_with_logits(logits, y))
    assert torch.isfinite(got)
    # the same loss through probabilities is infinite: sigmoid(30) rounds to 1 in float32
    assert math.isinf(theory.binary_cross_entropy(torch.sigmoid(logits[5:6]), y[5:6]).item())
    with pytest.raises(TypeError):
        theory.binary_cross_entropy_with_logits([0.0], torch.zeros(1))


# ---- the min-max game ------------------------------------------------------------------------------------------
def test_optimal_discriminator_is_the_pointwise_maximiser_of_the_value_function():
    p, q = DATA.pdf(X), GEN.pdf(X)
    d_star = theory.optimal_discriminator(p, q)
    best = theory.value_function(d_star, p, q, X)
    gen = torch.Generator().manual_seed(5)
    for scale in (0.3, 0.05, 0.005):
        noise = torch.randn(X.shape, generator=gen, dtype=torch.float64) * scale
        perturbed = torch.sigmoid(torch.logit(d_star.clamp(1e-12, 1 - 1e-12)) + noise)
        assert theory.value_function(perturbed, p, q, X) < best
    assert torch.equal(theory.optimal_discriminator(p, p), torch.full_like(p, 0.5))
    edge = theory.optimal_discriminator(torch.tensor([0.0, 1.0, 0.0]), torch.tensor([0.0, 0.0, 2.0]))
    assert edge.tolist() == [0.5, 1.0, 0.0]


@pytest.mark.parametrize("g", [Gaussian(-0.5, 0.8), Gaussian(1.0, 0.5), Gaussian(3.0, 0.3),
                               Mixture([Gaussian(-2, 0.4), Gaussian(2, 0.4)])])
def test_criterion_equals_minus_log_4_plus_twice_the_jsd(g):
    p, q = DATA.pdf(X), g.pdf(X)
    c = theory.virtual_training_criterion(p, q, X)
    jsd = theory.js_divergence(p, q, X)
    assert abs(c.item() - (-math.log(4) + 2 * jsd.item())) < 1e-8
    assert 0 <= jsd.item() <= math.log(2)


def test_jsd_and_kl_against_closed_forms_and_extremes():
    p, q = DATA.pdf(X), GEN.pdf(X)
    closed = math.log(0.8 / 0.5) + (0.5 ** 2 + 1.5 ** 2) / (2 * 0.8 ** 2) - 0.5
    assert abs(theory.kl_divergence(p, q, X).item() - closed) < 1e-8
    assert torch.allclose(theory.js_divergence(p, q, X), theory.js_divergence(q, p, X))
    assert theory.js_divergence(p, p, X).item() == 0
    disjoint_p = ((X > -3) & (X < -2)).double()
    disjoint_q = ((X > 2) & (X < 3)).double()
    assert abs(theory.js_divergence(disjoint_p, disjoint_q, X).item() / torch.trapezoid(disjoint_p, X).item()
               - math.log(2)) < 1e-12
    assert math.isinf(theory.kl_divergence(disjoint_p, disjoint_q, X).item())


@pytest.mark.parametrize("call,error", [
    (lambda: theory.value_function(torch.full((3,), 0.5), torch.ones(3), torch.ones(3), torch.tensor([0.0, 2.0, 1.0])),
     "strictly increasing"),
    (lambda: theory.value_function(torch.full((3,), 0.5), -torch.ones(3), torch.ones(3), torch.arange(3.0)), "non-negative"),
    (lambda: theory.value_function(torch.full((3,), 1.5), torch.ones(3), torch.ones(3), torch.arange(3.0)), r"\[0, 1\]"),
    (lambda: theory.js_divergence(torch.ones(4), torch.ones(3), torch.arange(3.0)), "one value per grid point"),
    (lambda: theory.optimal_discriminator(torch.ones(2), torch.ones(3)), "same shape"),
])
def test_grid_functions_reject_bad_input(call, error):
    with pytest.raises(ValueError, match=error):
        call()


def test_generator_losses_and_gradients_agree_with_autograd_and_are_finite():
    logits = torch.tensor([-1000.0, -20.0, -1.0, 0.0, 2.0, 20.0, 1000.0], requires_grad=True)
    sat, ns = theory.generator_losses(logits)
    assert torch.isfinite(sat) and torch.isfinite(ns)
    assert torch.allclose(sat, torch.log1p(-torch.sigmoid(logits[2:5])).mean() * 3 / 7
                          + (-F.softplus(logits[[0, 1, 5, 6]])).sum() / 7)
    g_sat, g_ns = theory.generator_gradients(logits)
    auto_sat, = torch.autograd.grad(sat * logits.numel(), logits)
    auto_ns, = torch.autograd.grad(ns * logits.numel(), logits)
    assert torch.allclose(g_sat, auto_sat) and torch.allclose(g_ns, auto_ns)
    # the saturating gradient vanishes where D rejects the fake (very negative logit); the other is -1 there
    assert abs(g_sat[0].item()) < 1e-30 and g_ns[0].item() == -1.0


# ---- networks and training -------------------------------------------------------------------------------------
def test_networks_have_the_documented_shapes():
    z = torch.randn(7, 3)
    assert Generator1D(latent_dim=3, hidden_dim=8)(z).shape == (7, 1, 1, 1)
    D = Discriminator1D(hidden_dim=8)
    for shape in ((7,), (7, 1), (7, 1, 1, 1)):
        assert D(torch.randn(shape)).shape == (7,)
    with pytest.raises(ValueError, match="one number per sample"):
        D(torch.randn(7, 2))
    with pytest.raises(ValueError, match=r"\(B, 3\)"):
        Generator1D(latent_dim=3)(torch.randn(7, 2))
    samples = AffineGenerator(2.0, 0.25)(torch.randn(100_000, 1, generator=torch.Generator().manual_seed(6)))
    assert samples.shape == (100_000, 1, 1, 1)
    assert abs(samples.mean().item() - 2) < 0.01 and abs(samples.std().item() - 0.25) < 0.01


def test_sample_stream_yields_fresh_reproducible_batches():
    first = list(zip(range(2), SampleStream(DATA, batch_size=16, seed=3)))
    again = list(zip(range(2), SampleStream(DATA, batch_size=16, seed=3)))
    assert first[0][1].shape == (16, 1, 1, 1)
    assert torch.equal(first[1][1], again[1][1]) and not torch.equal(first[0][1], first[1][1])
    with pytest.raises(TypeError):
        SampleStream([1, 2, 3])


def test_fit_discriminator_approaches_the_optimal_discriminator():
    torch.manual_seed(0)
    D = Discriminator1D(hidden_dim=32)
    before = theory.discriminator_on_grid(D, X)
    losses = fit_discriminator(D, DATA, AffineGenerator(-0.5, 0.8), steps=300, batch_size=256, lr=3e-3)
    after = theory.discriminator_on_grid(D, X)
    p, q = DATA.pdf(X), GEN.pdf(X)
    d_star = theory.optimal_discriminator(p, q)
    where = (p + q) / 2 >= 0.01 * ((p + q) / 2).max()
    assert len(losses) == 300 and sum(losses[-20:]) < sum(losses[:20])
    assert (after - d_star)[where].abs().max() < 0.1 < (before - d_star)[where].abs().max()
    # its value is close to the maximum C(G), and below it
    assert 0 < (theory.virtual_training_criterion(p, q, X) - theory.value_function(after, p, q, X)).item() < 0.01


def test_train_gan_trains_the_1d_networks_unchanged():
    torch.manual_seed(0)
    G, D = Generator1D(latent_dim=2, hidden_dim=8), Discriminator1D(hidden_dim=8)
    history = train_gan(G, D, SampleStream(DATA, batch_size=32), steps=5, n_samples=10, device="cpu", progress=False)
    assert len(history.loss_D) == 5 and history.samples[-1].shape == (10, 1, 1, 1)


# ---- the explorer ---------------------------------------------------------------------------------------------
def test_explorer_state_reports_the_game_at_a_given_generator():
    explorer = MinMaxExplorer(DATA, X, mean=-1.0, std=1.0, mean_range=(-3, 3), std_range=(0.2, 1.2))
    far, match = explorer.state(), explorer.state(1.0, 0.5)
    assert far["gap"] < 1e-5 and match["gap"] < 1e-8
    assert far["V"] > match["V"] and abs(match["V"] + math.log(4)) < 1e-8 and match["JSD"] < 1e-12
    assert torch.allclose(match["D_star"], torch.full_like(X, 0.5))
    means, values = explorer.criterion_curve(0.5, points=13)
    assert values.argmin() == list(means).index(1.0)
    with pytest.raises(ValueError, match="std must be"):
        explorer.state(0.0, 5.0)
    with pytest.raises(TypeError):
        MinMaxExplorer("not a density", X)


def test_explorer_figure_and_widget_update_without_a_browser():
    explorer = MinMaxExplorer(DATA, X, mean=-1.0, std=1.0, mean_range=(-3, 3), std_range=(0.2, 1.2))
    fig = explorer.figure()
    assert len(fig.axes) == 3                 # densities, D* on a twin axis, C(G) along the mean
    plt.close(fig)
    box = explorer.widget()
    before = explorer.html.value
    explorer.mean_slider.value, explorer.std_slider.value = 1.0, 0.5
    assert explorer.html.value != before and "JSD</b> = 0.0000" in explorer.html.value
    assert (explorer.mean, explorer.std) == (1.0, 0.5) and len(box.children) == 3
    plt.close("all")


def test_training_helpers_reject_bad_arguments():
    D = Discriminator1D(hidden_dim=4)
    with pytest.raises(TypeError, match="G must be a torch.nn.Module"):
        fit_discriminator(D, DATA, "not a generator", steps=1)
    with pytest.raises(ValueError, match="steps"):
        fit_discriminator(D, DATA, AffineGenerator(), steps=0)
    with pytest.raises(TypeError, match="D must be"):
        theory.discriminator_on_grid(lambda x: x, X)
    with pytest.raises(ValueError, match="strictly increasing"):
        theory.discriminator_on_grid(D, X.flip(0))
