"""StarGAN (issue 8, notebook 06): the networks' shapes and why G's first conv pads with zeros, the new losses
against torch / NumPy / a linear critic, the frozen network of each step, the family's n_critic, learning-rate decay,
sample grid and exact resume under the one training loop, the shuffled targets, and ``stargan_report`` on an
identity map and on the exact answers."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as nnf
from torch import nn

from gancourse.data.attributes import apply_attributes, attribute_dataset, attribute_loader
from gancourse.data.images import load_images
from gancourse.losses import (domain_classification_loss, gradient_penalty, reconstruction_l1,
                              wasserstein_critic_loss, wasserstein_generator_loss)
from gancourse.metrics.attributes import judge, load_attribute_classifier
from gancourse.metrics.stargan import stargan_report
from gancourse.models.stargan import StarDiscriminator, StarGANConfig, StarGenerator, label_maps, trunk_side
from gancourse.training.stargan import (StarGAN, d_step, discriminator_objective, g_step, generator_objective,
                                        target_labels, train_stargan)

pytestmark = [pytest.mark.usefixtures("one_torch_thread"),               # tiny networks: slower on two busy threads
              pytest.mark.filterwarnings("ignore::gancourse.data.EmbeddedDataNotice")]


def _images(n=4, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _bits(n=4, seed=0):
    return (torch.rand(n, 3, generator=torch.Generator().manual_seed(seed)) < 0.5).float()


def _nets(width=4, d_width=4, seed=0):
    torch.manual_seed(seed)
    return StarGenerator(3, 1, width, 1), StarDiscriminator(3, 1, d_width, 3)


def _states(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _same_states(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---- networks ------------------------------------------------------------------------------------------------------
def test_label_maps_fill_plane_i_with_c_i():
    c = torch.tensor([[0.0, 1.0, 0.5], [1.0, 0.0, -2.0]])
    planes = label_maps(c, 5, 7)
    assert planes.shape == (2, 3, 5, 7)
    for b in range(2):
        for i in range(3):
            assert torch.equal(planes[b, i], torch.full((5, 7), c[b, i].item()))


def test_the_generator_keeps_the_image_size_and_range_and_reads_c():
    G, _ = _nets()
    x = _images(4) * 50                                                  # far outside [-1, 1]: tanh still bounds it
    c1, c2 = _bits(4, 0), 1 - _bits(4, 0)
    y1, y2 = G(x, c1), G(x, c2)
    assert y1.shape == (4, 1, 28, 28) and y1.abs().max() <= 1
    assert (y1 - y2).abs().amax(dim=(1, 2, 3)).min() > 1e-6, "G's output must change with the target label c"


@pytest.mark.parametrize("n_layers", [1, 2, 3, 4])
def test_the_discriminator_gives_a_patch_map_and_one_logit_per_attribute(n_layers):
    torch.manual_seed(0)
    D = StarDiscriminator(n_attributes=5, channels=1, width=2, n_layers=n_layers)
    src, cls = D(_images(3))
    side = trunk_side(28, n_layers)
    assert side == {1: 14, 2: 7, 3: 3, 4: 1}[n_layers]                      # 28 → 14 → 7 → 3 → 1
    assert src.shape == (3, 1, side, side) and cls.shape == (3, 5)


def test_reflection_padding_then_instance_norm_erases_a_constant_label_plane():
    """Why StarGenerator's first conv pads with zeros: after reflection padding a constant plane adds the same
    number to every pixel of each channel, and InstanceNorm subtracts each channel's mean; with zero padding the
    borders see the plane differently, so c survives."""
    torch.manual_seed(0)
    x, c1, c2 = _images(2), torch.zeros(2, 3), torch.ones(2, 3)
    reflect = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(4, 8, 7), nn.InstanceNorm2d(8))
    zeros = nn.Sequential(nn.Conv2d(4, 8, 7, padding=3), nn.InstanceNorm2d(8))
    zeros[0].load_state_dict(reflect[1].state_dict())                         # the same weights
    run = lambda net, c: net(torch.cat([x, label_maps(c, 28, 28)], dim=1))    # noqa: E731
    assert torch.allclose(run(reflect, c1), run(reflect, c2), atol=1e-5)      # c is gone
    assert (run(zeros, c1) - run(zeros, c2)).abs().max() > 1e-2               # c survives at the borders
    G, _ = _nets()
    first = next(m for m in G.modules() if isinstance(m, nn.Conv2d))        # the conv that reads x and c's planes
    assert first.in_channels == 1 + 3 and first.padding == (3, 3) and first.padding_mode == "zeros"
    assert (G(x, c1) - G(x, c2)).abs().max() > 1e-6
    torch.manual_seed(0)
    G = StarGenerator(3, 1, 4, 1, first_norm=True)                            # the paper's InstanceNorm after it
    assert (G(x, c1) - G(x, c2)).abs().max() > 1e-6, "zero padding must keep c past the first InstanceNorm"


# ---- losses --------------------------------------------------------------------------------------------------------
def test_domain_classification_loss_sums_over_attributes_and_averages_over_images():
    gen = torch.Generator().manual_seed(0)
    logits, target = torch.randn(5, 3, generator=gen) * 3, _bits(5, 1)
    ours = domain_classification_loss(logits, target)
    assert torch.allclose(ours, nn.BCEWithLogitsLoss(reduction="sum")(logits, target) / 5, atol=1e-6)
    l, t = logits.double().numpy(), target.double().numpy()
    numpy = np.mean(np.sum(t * np.logaddexp(0, -l) + (1 - t) * np.logaddexp(0, l), axis=1))
    assert ours.item() == pytest.approx(numpy, rel=1e-6)
    assert ours.item() == pytest.approx(3 * nnf.binary_cross_entropy_with_logits(logits, target).item(), rel=1e-6)


def test_reconstruction_and_wasserstein_losses_against_hand_values():
    x, x_rec = _images(3, 0), _images(3, 1)
    assert torch.allclose(reconstruction_l1(x, x_rec), nnf.l1_loss(x_rec, x))
    real, fake = torch.tensor([[1.0, 3.0], [2.0, 2.0]]), torch.tensor([[0.0], [-1.0], [4.0]])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(1.0 - 2.0)    # mean D(G(x)) − mean D(x)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="x_rec must have x's shape"):
        reconstruction_l1(x, x_rec[:, :, :14])


class _Linear(nn.Module):
    """D(x) = <w, x> over each image's pixels (optionally returned as the first item of a tuple)."""

    def __init__(self, w, as_tuple=False):
        super().__init__()
        self.w, self.as_tuple = nn.Parameter(w), as_tuple

    def forward(self, x):
        score = (x.flatten(1) * self.w.flatten()).sum(dim=1)
        return (score, torch.zeros(x.shape[0], 3)) if self.as_tuple else score


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_gradient_penalty_of_a_linear_critic_is_its_norm_minus_one_squared(seed):
    """∇x <w, x> = w at every mixed point, whatever α: the penalty is (‖w‖ − 1)² exactly, and it is
    differentiable w.r.t. w (2 (‖w‖ − 1) w / ‖w‖)."""
    w = torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 0.05
    norm = w.norm().item()
    alphas = [None, torch.zeros(4), torch.ones(4), torch.rand(4, generator=torch.Generator().manual_seed(seed))]
    for as_tuple, alpha in zip((False, True, False, True), alphas):
        critic = _Linear(w.clone(), as_tuple)
        gp = gradient_penalty(critic, _images(4, seed), _images(4, seed + 7),
                              generator=torch.Generator().manual_seed(seed), alpha=alpha)
        assert gp.item() == pytest.approx((norm - 1) ** 2, rel=1e-5)
        gp.backward()
        assert torch.allclose(critic.w.grad, 2 * (norm - 1) * w / norm, atol=1e-6)


def test_the_gradient_penalty_is_taken_at_alpha_real_plus_one_minus_alpha_fake():
    """D(x) = ½‖x‖²: ∇ = x̂ itself, so the penalty is mean (‖α·real + (1 − α)·fake‖ − 1)² per image."""
    real, fake, alpha = _images(3, 0), _images(3, 1), torch.tensor([0.0, 0.3, 1.0])
    mixed = alpha[:, None, None, None] * real + (1 - alpha[:, None, None, None]) * fake
    expected = ((mixed.flatten(1).norm(dim=1) - 1) ** 2).mean()
    gp = gradient_penalty(lambda x: 0.5 * x.pow(2).flatten(1).sum(dim=1), real, fake, alpha=alpha)
    assert torch.allclose(gp, expected, rtol=1e-5)


def test_the_gradient_penalty_refuses_a_critic_without_a_tensor_score():
    with pytest.raises(TypeError, match="critic"):
        gradient_penalty(lambda x: ("score",), _images(2), _images(2, 1))
    with pytest.raises(ValueError, match="critic"):
        gradient_penalty(lambda x: torch.zeros(x.shape[0]), _images(2), _images(2, 1))


# ---- steps ---------------------------------------------------------------------------------------------------------
def test_g_step_moves_only_G_and_d_step_moves_only_D():
    G, D = _nets()
    x, c_org = _images(4), _bits(4)
    c_trg = target_labels(c_org, torch.Generator().manual_seed(0))
    both = lambda: torch.optim.Adam(list(G.parameters()) + list(D.parameters()), lr=1e-2)   # noqa: E731
    g0, d0 = _states(G), _states(D)
    numbers, fake = g_step(G, D, x, c_org, c_trg, both(), adversarial="wgan-gp")
    assert _same_states(_states(D), d0), "g_step must not update D (it is frozen)"
    assert not _same_states(_states(G), g0) and not fake.requires_grad
    assert {"loss_G", "G_adv", "G_cls", "rec"} <= set(numbers) and all(math.isfinite(v) for v in numbers.values())
    g1 = _states(G)
    with pytest.raises(ValueError, match="fake must be detached"):
        d_step(D, x, c_org, G(x, c_trg), both())
    numbers = d_step(D, x, c_org, fake, both(), adversarial="wgan-gp", generator=torch.Generator().manual_seed(0))
    assert _same_states(_states(G), g1), "d_step must not update G"
    assert not _same_states(_states(D), d0)
    assert numbers["D_gp"] > 0
    assert d_step(D, x, c_org, fake, both(), adversarial="lsgan")["D_gp"] == 0


def test_the_generator_objective_adds_its_weighted_terms():
    """total = adv + λ_cls · cls + λ_rec · rec (+ λ_id · id), each term recomputed here from G and D."""
    G, D = _nets()
    x, c_org, c_trg = _images(3), _bits(3, 0), _bits(3, 1)
    total, terms = generator_objective(G, D, x, c_org, c_trg, adversarial="wgan-gp", lambda_cls=2.0,
                                       lambda_rec=3.0, lambda_id=0.5)
    fake = G(x, c_trg)
    src, cls = D(fake)
    assert torch.allclose(terms["adv"], -src.mean(), atol=1e-6)
    assert torch.allclose(terms["cls"], domain_classification_loss(cls, c_trg), atol=1e-6)
    assert torch.allclose(terms["rec"], (G(fake, c_org) - x).abs().mean(), atol=1e-6)
    assert torch.allclose(terms["id"], (G(x, c_org) - x).abs().mean(), atol=1e-6)
    expected = terms["adv"] + 2 * terms["cls"] + 3 * terms["rec"] + 0.5 * terms["id"]
    assert torch.allclose(total, expected, atol=1e-6)
    assert generator_objective(G, D, x, c_org, c_trg)[1]["id"] == 0                  # off by default


def test_target_labels_are_a_seeded_permutation_of_the_rows():
    c = torch.arange(18.0).reshape(6, 3)                                        # distinct rows
    t = target_labels(c, torch.Generator().manual_seed(3))
    assert torch.equal(t, target_labels(c, torch.Generator().manual_seed(3)))
    assert torch.equal(t, c[torch.randperm(6, generator=torch.Generator().manual_seed(3))])
    assert sorted(map(tuple, t.tolist())) == sorted(map(tuple, c.tolist()))
    assert not torch.equal(t, target_labels(c, torch.Generator().manual_seed(4)))


# ---- the family under the one training loop ------------------------------------------------------------------------
def test_n_critic_updates_G_on_every_third_step_only():
    G, D = _nets()
    family = StarGAN(G, D, steps=6, decay_steps=0, n_critic=3, adversarial="wgan-gp")
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    rng, batch = torch.Generator().manual_seed(1), (_images(4), _bits(4))
    for step in range(1, 7):
        g0, d0 = _states(G), _states(D)
        numbers = family.train_step(batch, rng)
        assert ("loss_G" in numbers) == (step % 3 == 0)
        assert _same_states(_states(G), g0) == (step % 3 != 0), f"step {step}"
        assert not _same_states(_states(D), d0)
    history = train_stargan(*_nets(), [(_images(4), _bits(4))], steps=6, n_critic=3, decay_steps=0, device="cpu",
                            progress=False, sample_at_start=False)
    assert [math.isnan(v) for v in history.logs["loss_G"]] == [True, True, False, True, True, False]
    assert all(math.isfinite(v) for v in history.logs["loss_D"])


def test_the_learning_rate_falls_linearly_to_zero_over_decay_steps():
    history = train_stargan(*_nets(2, 2), [(_images(2), _bits(2))], steps=6, decay_steps=4, n_critic=1, lr=1e-3,
                            adversarial="lsgan", device="cpu", progress=False)
    assert history.lr == pytest.approx([1e-3, 1e-3, 1e-3, 0.75e-3, 0.5e-3, 0.25e-3])
    family = StarGAN(*_nets(2, 2), steps=6, decay_steps=4, n_critic=1, lr=1e-3, lr_D=2e-3, adversarial="lsgan")
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    rates = []
    for _ in range(6):
        family.train_step((_images(2), _bits(2)), torch.Generator().manual_seed(0))
        rates.append(family.optimizers["opt_D"].param_groups[0]["lr"])
    assert rates == pytest.approx([2e-3, 2e-3, 2e-3, 1.5e-3, 1e-3, 0.5e-3])            # D's own rate, same decay


def test_sample_gives_each_fixed_image_then_its_translations():
    G, D = _nets()
    fixed_x, targets = _images(2, 5), torch.tensor([[0.0, 0, 0], [1, 0, 1], [1, 1, 1]])
    family = StarGAN(G, D, steps=2, fixed_x=fixed_x, fixed_targets=targets)
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    grid = family.sample()
    assert grid.shape == (2 * (1 + 3), 1, 28, 28)
    G.eval()
    for i in range(2):
        assert torch.equal(grid[4 * i], fixed_x[i])
        with torch.no_grad():
            expected = G(fixed_x[i:i + 1].expand(3, -1, -1, -1).contiguous(), targets)
        assert torch.allclose(grid[4 * i + 1:4 * i + 4], expected, atol=1e-6)


def _run(steps=7, **kw):
    G, D = _nets(2, 2)
    data = attribute_loader(batch_size=8, limit=48, seed=1, with_digits=False)
    history = train_stargan(G, D, data, steps=steps, decay_steps=4, n_critic=2, adversarial="wgan-gp",
                            fixed_x=_images(2, 5), fixed_targets=torch.eye(3), sample_every=3, device="cpu",
                            progress=False, **kw)
    return history, (G, D)


def test_a_checkpointed_and_resumed_run_gives_the_uninterrupted_weights(tmp_path):
    whole, nets = _run()
    assert whole.sample_steps == [0, 3, 6, 7] and len(whole.D_acc) == 4 and whole.samples[-1].shape == (8, 1, 28, 28)
    path = tmp_path / "stargan.pt"
    first, _ = _run(checkpoint=path, callbacks=[lambda step, h, family: step >= 3])
    assert first.steps_done == 3
    resumed, resumed_nets = _run(checkpoint=path, resume=True)
    assert resumed.step == whole.step
    for name, values in whole.logs.items():
        assert np.array_equal(resumed.logs[name], values, equal_nan=True), name
    assert all(torch.equal(a, b) for a, b in zip(resumed.samples, whole.samples))
    for a, b in zip(nets, resumed_nets):
        assert _same_states(a.state_dict(), b.state_dict())


# ---- data and report -----------------------------------------------------------------------------------------------
def test_attribute_loader_without_digits_yields_the_same_images_with_three_attributes():
    plain = next(iter(attribute_loader(batch_size=6, limit=30, seed=2, with_digits=False)))
    rows = next(iter(attribute_loader(batch_size=6, limit=30, seed=2)))
    assert plain[0].shape == (6, 1, 28, 28) and plain[1].shape == (6, 3)
    assert torch.equal(plain[0], rows[0]) and torch.equal(plain[1], rows[1][:, 10:])


@pytest.fixture(scope="module")
def report_data():
    test = attribute_dataset("mnist", train=False, seed=1)
    n = 100
    return (load_attribute_classifier(), test.images[:n], test.digits[:n], test.attributes[:n],
            load_images("mnist", train=False).images[:n])


class _Identity(nn.Module):
    def forward(self, x, c):
        return x


class _Oracle(nn.Module):
    """G(x, c) = the exact answer: the plain digit of each image with c's attributes applied."""

    def __init__(self, plain):
        super().__init__()
        self.register_buffer("plain", plain)

    def forward(self, x, c):
        assert x.shape[0] == self.plain.shape[0]
        return apply_attributes(self.plain, c)


def test_the_identity_keeps_content_and_untouched_attributes_but_changes_nothing(report_data):
    classifier, images, digits, sources, plain = report_data
    report = stargan_report(_Identity(), classifier, images, digits, sources, plain)
    seen_digits, seen = judge(classifier, images)
    assert report["translations"] == 8 * 100
    assert report["content_kept"] == pytest.approx((seen_digits == digits).float().mean().item())
    assert report["reconstruction_error"] == 0
    assert report["untouched"] > 0.9 and report["changed"] < 0.1
    assert report["per_target"]["plain"]["exact_error"] > 0


def test_the_exact_answers_score_full_marks(report_data):
    classifier, images, digits, sources, plain = report_data
    report = stargan_report(_Oracle(plain), classifier, images, digits, sources, plain)
    assert report["exact_error"] == 0 and report["reconstruction_error"] == 0
    assert report["content_kept"] == report["content_ceiling"]
    assert report["all"] > 0.9 and report["changed"] > 0.9 and report["untouched"] > 0.9
    assert set(report["per_target"]) >= {"plain", "small + thick + inverted"}


def test_mismatched_arguments_are_refused_by_name():
    G, D = _nets()
    with pytest.raises(ValueError, match="decay_steps must be at most steps=4"):
        StarGANConfig(steps=4)                                   # the default decay_steps=2000 does not fit
    with pytest.raises(ValueError, match="n_layers=6"):
        StarDiscriminator(3, 1, 2, n_layers=6)
    with pytest.raises(ValueError, match="c_org must have shape"):
        discriminator_objective(D, _images(2), torch.ones(2, 5), _images(2, 1))
    with pytest.raises(ValueError, match="c_trg must have 3 columns"):
        generator_objective(G, D, _images(2), _bits(2), torch.ones(2, 5))
    with pytest.raises(ValueError, match="c must have shape"):
        G(_images(2), torch.ones(2, 4))
