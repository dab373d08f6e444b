"""CycleGAN (issue 7): the networks' shapes and receptive fields, the losses against hand values and torch's own
mse/l1, the image pool, the objective's term weights (seen through stand-in networks), the frozen networks of each
step, the learning-rate decay and an exact resume under the one training loop, and bad input."""
import json
import math

import pytest
import torch
import torch.nn.functional as nnf
from torch import nn

from gancourse.data.domains import UnpairedLoader, load_domain
from gancourse.losses import cycle_consistency_loss, identity_loss, lsgan_discriminator_loss, lsgan_generator_loss
from gancourse.models.cyclegan import (CycleGANConfig, PatchDiscriminator, ResidualBlock, ResnetGenerator,
                                       load_pretrained, patch_geometry)
from gancourse.training.checkpoints import write_states
from gancourse.training.cyclegan import (CycleGAN, ImagePool, cyclegan_generator_objective, d_step, g_step,
                                         linear_decay, train_cyclegan)


pytestmark = pytest.mark.usefixtures("one_torch_thread")   # tiny networks: many times slower on two busy threads


def _images(n=4, seed=0, side=28):
    return torch.rand(n, 1, side, side, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# ---- networks ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("side", [28, 12, 8])
def test_the_generator_keeps_the_image_size_through_odd_intermediate_sizes(side):
    """28 → 14 → 7 (odd) → 14 → 28, and 12 → 6 → 3 → 6 → 12: the size comes back exactly, values in [-1, 1]."""
    torch.manual_seed(0)
    G = ResnetGenerator(1, width=4, n_blocks=2)
    out = G(_images(3, side=side))
    assert out.shape == (3, 1, side, side)
    assert out.abs().max() <= 1


def test_the_generator_refuses_sizes_it_cannot_give_back():
    G = ResnetGenerator(1, width=4, n_blocks=1)
    for bad in (_images(2, side=30), torch.rand(2, 3, 28, 28), torch.rand(1, 28, 28)):
        with pytest.raises(ValueError, match="x must have"):
            G(bad)


def test_instance_norm_everywhere_and_each_image_translated_on_its_own():
    torch.manual_seed(0)
    G, D = ResnetGenerator(1, width=4, n_blocks=3), PatchDiscriminator(1, width=4, n_layers=2)
    norms = [m for m in G.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert len(norms) == 5 + 2 * 3                # c7s1, d2k, d4k, two in each residual block, u2k, uk
    assert not any(isinstance(m, nn.BatchNorm2d) for m in [*G.modules(), *D.modules()])
    d_layers = list(D.net)
    assert isinstance(d_layers[0], nn.Conv2d) and isinstance(d_layers[1], nn.LeakyReLU)   # no norm after the first
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in d_layers) == 2
    x = _images(5)
    assert torch.allclose(G(x)[:2], G(x[:2]), atol=1e-5)          # no statistics shared across the batch
    G.eval()
    assert torch.allclose(G(x[:2]), G.train()(x[:2]), atol=1e-6)  # and none kept: eval computes the same


def test_the_residual_block_adds_its_input():
    torch.manual_seed(0)
    block = ResidualBlock(6)
    x = torch.randn(2, 6, 7, 7)
    assert torch.allclose(block(x), x + block.block(x))
    with pytest.raises(ValueError, match="6 channels"):
        block(torch.randn(2, 5, 7, 7))


@pytest.mark.parametrize("n_layers, side", [(1, 12), (2, 5), (3, 1)])
def test_the_patch_map_has_the_documented_shape(n_layers, side):
    D = PatchDiscriminator(1, width=4, n_layers=n_layers)
    assert D(_images(3)).shape == (3, 1, side, side) and D.output_side == side == patch_geometry(28, n_layers)[0]


def test_patch_geometry_gives_the_papers_70_by_70_patchgan():
    assert patch_geometry(256, 3) == (30, 70)          # the paper's 30×30 map of 70×70 patches
    assert patch_geometry(28, 2) == (5, 34) and patch_geometry(28, 1) == (12, 16)


@pytest.mark.parametrize("n_layers, out_index, rows", [(1, 5, range(5, 21)), (2, 0, range(0, 23))])
def test_each_logit_sees_the_receptive_field_that_patch_geometry_computes(n_layers, out_index, rows):
    """Measured by autograd on a copy without instance norm (which couples every pixel through its statistics):
    n_layers=1: logit 5 sees rows 2·5 − 5 … 2·5 + 10, 16 rows; n_layers=2: logit 0 sees rows −11 … 22 (0 … 22)."""
    torch.manual_seed(0)
    D = PatchDiscriminator(1, width=4, n_layers=n_layers)
    D.net = nn.Sequential(*[nn.Identity() if isinstance(m, nn.InstanceNorm2d) else m for m in D.net])
    x = _images(1).requires_grad_(True)
    D(x)[0, 0, out_index, out_index].backward()
    seen = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero().flatten().tolist()
    assert seen == list(rows)
    assert len(range(-11, 23)) == patch_geometry(28, 2)[1]


# ---- losses --------------------------------------------------------------------------------------------------------
def test_the_least_squares_losses_match_hand_values_and_torch():
    real, fake = torch.tensor([[2.0, 0.0]]), torch.tensor([[1.0, 3.0]])
    # ½ [mean((2-1)², (0-1)²) + mean(1², 3²)] = ½ [1 + 5] = 3
    assert lsgan_discriminator_loss(real, fake).item() == pytest.approx(3.0)
    assert lsgan_generator_loss(real).item() == pytest.approx(1.0)         # mean((2-1)², (0-1)²)
    gen = torch.Generator().manual_seed(3)
    real, fake = torch.randn(4, 1, 5, 5, generator=gen), torch.randn(4, 1, 5, 5, generator=gen)
    expected = 0.5 * (nnf.mse_loss(real, torch.ones_like(real)) + nnf.mse_loss(fake, torch.zeros_like(fake)))
    assert torch.allclose(lsgan_discriminator_loss(real, fake), expected)
    assert torch.allclose(lsgan_generator_loss(fake), nnf.mse_loss(fake, torch.ones_like(fake)))


def test_the_cycle_and_identity_losses_match_hand_values_and_torch():
    zeros = torch.zeros(2, 1, 4, 4)
    # |F(G(x)) - x| = 0.5 everywhere, |G(F(y)) - y| = 1 everywhere
    assert cycle_consistency_loss(zeros, zeros + 0.5, zeros, zeros - 1).item() == pytest.approx(1.5)
    assert identity_loss(zeros, zeros + 0.25, zeros, zeros - 2).item() == pytest.approx(2.25)
    x, x_rec, y, y_rec = (_images(3, seed=s) for s in range(4))
    assert torch.allclose(cycle_consistency_loss(x, x_rec, y, y_rec), nnf.l1_loss(x_rec, x) + nnf.l1_loss(y_rec, y))
    assert torch.allclose(identity_loss(y, y_rec, x, x_rec), nnf.l1_loss(y_rec, y) + nnf.l1_loss(x_rec, x))


def test_the_losses_refuse_mismatched_or_empty_arguments():
    a, b = torch.zeros(2, 1, 5, 5), torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match="fake_out must have real_out's shape"):
        lsgan_discriminator_loss(a, b)
    with pytest.raises(ValueError, match="x_rec must have x's shape"):
        cycle_consistency_loss(a, b, a, a)
    with pytest.raises(ValueError, match="F_x must have x's shape"):
        identity_loss(a, a, a, b)
    with pytest.raises(ValueError, match="fake_out must be a non-empty"):
        lsgan_generator_loss(torch.zeros(0, 1, 5, 5))
    with pytest.raises(TypeError, match="real_out must be a floating-point"):
        lsgan_discriminator_loss(torch.zeros(2, dtype=torch.long), torch.zeros(2))


# ---- the image pool ------------------------------------------------------------------------------------------------
def _marked(values):
    """Images whose every pixel holds their id, so that an image returned by the pool can be told apart."""
    return torch.tensor(values, dtype=torch.float32)[:, None, None, None].expand(-1, 1, 2, 2).clone()


def _ids(images):
    return images[:, 0, 0, 0].long().tolist()


def test_the_pool_fills_first_then_returns_about_half_old_fakes_each_once():
    pool = ImagePool(4, generator=torch.Generator().manual_seed(0))
    assert _ids(pool.query(_marked([0, 1, 2]))) == [0, 1, 2]             # filling: stored and passed on
    assert _ids(pool.query(_marked([3]))) == [3] and len(pool.images) == 4
    returned_old, returned = 0, []
    for start in range(4, 404, 4):
        new = list(range(start, start + 4))
        out = _ids(pool.query(_marked(new)))
        for i, j in zip(new, out):
            assert j == i or j < i                  # the new image, or one stored before it (this batch too)
            returned_old += j != i
        returned += [j for i, j in zip(new, out) if j != i]
        assert len(pool.images) == 4
    assert 0.4 < returned_old / 400 < 0.6                                # p = ½ per image
    assert len(returned) == len(set(returned))                           # a stored fake goes out once, replaced
    kept = set(_ids(torch.stack(pool.images)))
    assert not kept & set(returned)                                      # what went out is no longer in the pool


def test_the_pool_is_seeded_and_size_zero_turns_it_off():
    def run(seed):
        pool = ImagePool(3, generator=torch.Generator().manual_seed(seed))
        return [_ids(pool.query(_marked(list(range(s, s + 3))))) for s in range(0, 60, 3)]
    assert run(1) == run(1) and run(1) != run(2)
    x = _images(3)
    assert ImagePool(0).query(x) is x
    with pytest.raises(ValueError, match="size must be a non-negative"):
        ImagePool(-1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        ImagePool(3).query(x, generator=0)


# ---- the objective and the two steps --------------------------------------------------------------------------------
class _Const(nn.Module):
    """A stand-in discriminator: the same patch map of ``value`` for every image."""

    def __init__(self, value):
        super().__init__()
        self.value = nn.Parameter(torch.tensor(float(value)))

    def forward(self, x):
        return self.value * torch.ones(x.shape[0], 1, 3, 3)


class _Affine(nn.Module):
    """A stand-in generator t ↦ a·t + b."""

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = nn.Parameter(torch.tensor(float(a))), nn.Parameter(torch.tensor(float(b)))

    def forward(self, t):
        return self.a * t + self.b


@pytest.mark.parametrize("lambda_cycle, lambda_identity", [(10.0, 0.5), (3.0, 0.2), (0.0, 0.5)])
def test_the_objective_weights_each_term_as_documented(lambda_cycle, lambda_identity):
    """G(t) = t + 0.5, F(t) = 0.5·t, x = 0, y = 1: G(x) = 0.5, F(G(x)) = 0.25 → cycle_X = 0.25; F(y) = 0.5,
    G(F(y)) = 1 → cycle_Y = 0; G(y) = 1.5 → identity_Y = 0.5; F(x) = 0 → identity_X = 0. D_Y ≡ 3, D_X ≡ 1.5:
    gan_G = (3 - 1)² = 4, gan_F = (1.5 - 1)² = 0.25."""
    G, F, D_X, D_Y = _Affine(1, 0.5), _Affine(0.5, 0), _Const(1.5), _Const(3)
    x, y = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    total, terms = cyclegan_generator_objective(G, F, D_X, D_Y, x, y, lambda_cycle, lambda_identity)
    assert terms["gan_G"].item() == pytest.approx(4.0) and terms["gan_F"].item() == pytest.approx(0.25)
    assert terms["cycle"].item() == pytest.approx(0.25)
    expected_identity = 0.5 if lambda_cycle > 0 else 0.0            # λ = 0 drops the identity term (0.5·λ = 0)
    assert terms["identity"].item() == pytest.approx(expected_identity)
    assert total.item() == pytest.approx(4.25 + lambda_cycle * 0.25 + lambda_identity * lambda_cycle * 0.5)


def test_the_bce_objective_uses_the_non_saturating_generator_loss():
    G, F, D_X, D_Y = _Affine(1, 0.5), _Affine(0.5, 0), _Const(0.0), _Const(2.0)
    x, y = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    _, terms = cyclegan_generator_objective(G, F, D_X, D_Y, x, y, adversarial="bce")
    assert terms["gan_F"].item() == pytest.approx(math.log(2))                    # -log sigmoid(0)
    assert terms["gan_G"].item() == pytest.approx(math.log1p(math.exp(-2.0)))    # -log sigmoid(2)
    with pytest.raises(ValueError, match="adversarial must be one of"):
        cyclegan_generator_objective(G, F, D_X, D_Y, x, y, adversarial="wgan")


def _networks(seed=0):
    torch.manual_seed(seed)
    return (ResnetGenerator(1, 4, 1), ResnetGenerator(1, 4, 1), PatchDiscriminator(1, 4, 1),
            PatchDiscriminator(1, 4, 1))


def _adam(*modules):
    return torch.optim.Adam(nn.ModuleList(modules).parameters(), lr=1e-3, betas=(0.5, 0.999))


def test_the_g_step_leaves_the_discriminators_alone_and_the_d_step_the_generators():
    G, F, D_X, D_Y = _networks()
    x, y = _images(2, 0), _images(2, 1)
    d_before = [p.clone() for p in [*D_X.parameters(), *D_Y.parameters()]]
    numbers, fake_y, fake_x = g_step(G, F, D_X, D_Y, x, y, _adam(G, F))
    assert set(numbers) == {"loss_G", "gan_G", "gan_F", "cycle", "identity"}
    assert all(p.grad is None and p.requires_grad for p in [*D_X.parameters(), *D_Y.parameters()])
    assert all(p.grad is not None for p in [*G.parameters(), *F.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(d_before, [*D_X.parameters(), *D_Y.parameters()]))
    assert not fake_y.requires_grad and not fake_x.requires_grad
    for p in [*G.parameters(), *F.parameters()]:
        p.grad = None
    g_before = [p.clone() for p in [*G.parameters(), *F.parameters()]]
    losses = d_step(D_X, D_Y, x, y, fake_x, fake_y, _adam(D_X, D_Y))
    assert set(losses) == {"loss_D_X", "loss_D_Y"}
    assert all(p.grad is not None for p in [*D_X.parameters(), *D_Y.parameters()])
    assert all(p.grad is None for p in [*G.parameters(), *F.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(g_before, [*G.parameters(), *F.parameters()]))
    with pytest.raises(ValueError, match="fake_x must be detached"):
        d_step(D_X, D_Y, x, y, G(x), fake_y, _adam(D_X, D_Y))


def test_linear_decay_holds_then_falls_to_zero():
    decay = linear_decay(10, 4)
    assert [decay(s) for s in range(11)] == [1, 1, 1, 1, 1, 1, 1.0, 0.75, 0.5, 0.25, 0.0]
    assert linear_decay(5, 0)(4) == 1.0
    with pytest.raises(ValueError, match="decay_steps must be at most steps=5"):
        linear_decay(5, 6)


# ---- training under the one loop -----------------------------------------------------------------------------------
def _stand_in_pair(seed=1):
    """X: handwritten digits; Y: the same digits thickened (a 3×3 max filter), a different domain with the same
    content. A fresh loader each time, as a new session would make."""
    x, _ = load_domain("handwritten", "train", limit=48)
    y = nnf.max_pool2d(load_domain("handwritten", "train", limit=96)[0][48:], 3, stride=1, padding=1)
    return UnpairedLoader(x, y, batch_size=8, generator=torch.Generator().manual_seed(seed))


def _run(steps=7, **kw):
    G, F, D_X, D_Y = _networks()
    fixed = _images(2, 5)
    history = train_cyclegan(G, F, D_X, D_Y, _stand_in_pair(), steps=steps, decay_steps=4, pool_size=5,
                             fixed_x=fixed, fixed_y=-fixed, sample_every=3, device="cpu", progress=False, **kw)
    return history, (G, F, D_X, D_Y)


def test_train_cyclegan_logs_every_term_decays_the_rate_and_resumes_exactly(tmp_path):
    whole, nets = _run()
    for name in ("loss_G", "gan_G", "gan_F", "cycle", "identity", "loss_D_X", "loss_D_Y"):
        assert len(getattr(whole, name)) == 7 and all(math.isfinite(v) for v in getattr(whole, name))
    assert whole.lr == pytest.approx([2e-4, 2e-4, 2e-4, 2e-4, 1.5e-4, 1e-4, 0.5e-4])    # 1 until 7 - 4, then ↓ 0
    assert whole.sample_steps == [0, 3, 6, 7] and len(whole.cycle_X) == 4
    assert whole.samples[-1].shape == (12, 1, 28, 28)                 # x, G(x), F(G(x)), y, F(y), G(F(y)); 2 each
    path = tmp_path / "cyclegan.pt"
    first, _ = _run(checkpoint=path, callbacks=[lambda step, h, family: step >= 3])
    assert first.steps_done == 3
    resumed, resumed_nets = _run(checkpoint=path, resume=True)
    assert resumed.step == whole.step and resumed.logs == whole.logs and resumed.points == whole.points
    assert all(torch.equal(a, b) for a, b in zip(resumed.samples, whole.samples))
    for a, b in zip(nets, resumed_nets):
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_the_family_refuses_bad_arguments():
    G, F, D_X, D_Y = _networks()
    with pytest.raises(ValueError, match="decay_steps must be at most steps=3"):
        CycleGAN(G, F, D_X, D_Y, steps=3, decay_steps=5)
    with pytest.raises(ValueError, match="lambda_cycle must be a number"):
        CycleGAN(G, F, D_X, D_Y, steps=3, lambda_cycle=-1)
    with pytest.raises(TypeError, match="D_Y must be a torch.nn.Module"):
        CycleGAN(G, F, D_X, "D", steps=3)
    family = CycleGAN(G, F, D_X, D_Y, steps=3)
    family.setup(torch.device("cpu"), torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="a CycleGAN batch must be a pair"):
        family.train_step(_images(2), torch.Generator())
    with pytest.raises(ValueError, match="x and y must be images of one shape"):
        cyclegan_generator_objective(G, F, D_X, D_Y, _images(2), _images(2, side=12))


def test_load_pretrained_builds_the_recorded_configuration(tmp_path):
    config = CycleGANConfig(width=4, n_blocks=1, d_width=4)
    G, F = config.generators()
    path = tmp_path / "cyclegan_digits.pt"
    write_states(path, {"G": G.state_dict(), "F": F.state_dict()}, config={"config": config.to_dict()})
    assert json.loads(path.with_suffix(".json").read_text())["config"]["width"] == 4
    G2, F2 = load_pretrained(path=path)
    x = _images(2)
    assert not G2.training and torch.allclose(G2(x), G.eval()(x)) and torch.allclose(F2(x), F.eval()(x))
    with pytest.raises(FileNotFoundError, match="build_pretrained_cyclegan"):
        load_pretrained(path=tmp_path / "absent.pt")
    with pytest.raises(ValueError, match="adversarial must be one of"):
        CycleGANConfig(adversarial="hinge")
