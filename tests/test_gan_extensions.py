"""The training settings beyond the 2016 recipe (issue 11), used by notebook 01's runs and measured as extensions in
notebook 03: the hinge loss, spectral normalisation in D, D's own learning rate and the exponential moving average
of G's weights, each checked against a computation that does not use gancourse's code for it (NumPy,
torch.linalg, a hand-written average)."""
import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from gancourse import losses
from gancourse.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from gancourse.training import GAN, d_step, g_step, train_gan, weight_average


def _logits(n, seed):
    return torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 2


def test_hinge_losses_match_numpy():
    real, fake = _logits(7, 0), _logits(5, 1)
    r, f = real.numpy(), fake.numpy()
    expected = np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean()
    assert losses.hinge_discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-12)
    assert losses.hinge_generator_loss(fake).item() == pytest.approx(-f.mean(), rel=1e-12)
    assert losses.hinge_discriminator_loss(real[:, None], fake[:, None]).item() == pytest.approx(expected)  # (B, 1)


def test_hinge_discriminator_loss_ignores_samples_beyond_the_margin():
    real = torch.tensor([2.0, 0.5], requires_grad=True)       # the first is past +1: no loss, no gradient
    fake = torch.tensor([-3.0, 0.0], requires_grad=True)      # the first is past -1: no loss, no gradient
    loss = losses.hinge_discriminator_loss(real, fake)
    loss.backward()
    assert loss.item() == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert real.grad.tolist() == [0.0, -0.5] and fake.grad.tolist() == [0.0, 0.5]
    assert losses.hinge_discriminator_loss(torch.tensor([1.0, 4.0]), torch.tensor([-1.0, -2.0])).item() == 0.0


def test_hinge_losses_reject_bad_shapes():
    with pytest.raises(ValueError, match="real_logits must have shape"):
        losses.hinge_discriminator_loss(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(ValueError, match="fake_logits is empty"):
        losses.hinge_generator_loss(torch.zeros(0))


def test_spectral_norm_discriminator_has_unit_singular_values_and_no_batch_norm():
    torch.manual_seed(0)
    D = DCGANDiscriminator(ndf=8, spectral_norm=True).train()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    for _ in range(30):                      # each training-mode forward pass runs one power iteration
        out = D(x)
    assert out.shape == (4,)
    convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3
    for conv in convs:
        matrix = conv.weight.detach().reshape(conv.weight.shape[0], -1)
        assert torch.linalg.matrix_norm(matrix, ord=2).item() == pytest.approx(1.0, abs=1e-3)
    plain = DCGANDiscriminator(ndf=8)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())
    with pytest.raises(TypeError, match="spectral_norm must be"):
        DCGANDiscriminator(spectral_norm="yes")


def test_spectral_norm_mlp_discriminator_has_unit_singular_values():
    torch.manual_seed(0)
    D = MLPDiscriminator(hidden_dim=8, spectral_norm=True).train()
    x = torch.rand(4, 1, 28, 28) * 2 - 1
    for _ in range(30):
        out = D(x)
    assert out.shape == (4,)
    linears = [m for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 3
    for linear in linears:
        assert torch.linalg.matrix_norm(linear.weight.detach(), ord=2).item() == pytest.approx(1.0, abs=1e-3)
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in MLPDiscriminator(hidden_dim=8).modules())


def _tiny(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(4, 8), MLPDiscriminator(8)


def test_hinge_steps_minimise_the_hinge_losses():
    G, D = _tiny()
    real, noise = torch.rand(6, 1, 28, 28) * 2 - 1, torch.randn(6, 4)
    with torch.no_grad():
        expected_D = losses.hinge_discriminator_loss(D(real), D(G(noise))).item()
    assert d_step(D, G, real, noise, torch.optim.SGD(D.parameters(), lr=0.1), loss="hinge") == pytest.approx(expected_D)
    with torch.no_grad():
        expected_G = -D(G(noise)).mean().item()
    assert g_step(D, G, noise, torch.optim.SGD(G.parameters(), lr=0.1), loss="hinge") == pytest.approx(expected_G)
    with pytest.raises(ValueError, match="loss must be one of"):
        d_step(D, G, real, noise, torch.optim.SGD(D.parameters(), lr=0.1), loss="wgan")


def test_family_uses_the_loss_and_both_learning_rates():
    G, D = _tiny()
    family = GAN(G, D, lr=1e-4, lr_D=4e-4, loss="hinge")
    assert family.optimizers["opt_G"].param_groups[0]["lr"] == 1e-4
    assert family.optimizers["opt_D"].param_groups[0]["lr"] == 4e-4
    assert family.config()["loss"] == "hinge" and family.config()["lr_D"] == 4e-4
    assert GAN(G, D, lr=3e-4).optimizers["opt_D"].param_groups[0]["lr"] == 3e-4          # lr_D=None: lr

    def my_step(D, G, real, noise, opt_D):
        return 0.0
    with pytest.raises(ValueError, match="d_step_fn does not"):
        GAN(G, D, loss="hinge", d_step_fn=my_step)


def test_ema_generator_is_the_running_average_of_g_and_the_samples_come_from_it():
    G, D = _tiny()
    decay = 0.75
    family = GAN(G, D, ema=decay, n_samples=3)
    rng = torch.Generator().manual_seed(0)
    family.setup(torch.device("cpu"), rng)
    average = None
    for step in range(4):
        family.train_step(torch.rand(5, 1, 28, 28) * 2 - 1, rng)
        now = [t.detach().clone() for t in [*G.parameters(), G.net[0][1].running_mean, G.net[0][1].running_var]]
        average = now if average is None else [decay * a + (1 - decay) * p for a, p in zip(average, now)]
    sampler = family.sampler      # weights and batch-norm statistics, both averaged
    for mine, theirs in zip(average, [*sampler.parameters(), sampler.net[0][1].running_mean,
                                      sampler.net[0][1].running_var]):
        torch.testing.assert_close(theirs, mine)
    assert family.sampler is not G and "generator_ema" in family.models
    by_hand = copy.deepcopy(family.sampler).eval()
    torch.testing.assert_close(family.sample(), by_hand(family.fixed_noise))
    assert not torch.equal(family.sample(), G.eval()(family.fixed_noise))
    assert GAN(G, D).sampler is G
    with pytest.raises(ValueError, match="ema must be"):
        GAN(G, D, ema=1.0)


def test_train_gan_with_every_extension_resumes_exactly(tmp_path):
    def run(steps, name, resume, seed):
        torch.manual_seed(seed)
        G, D = DCGANGenerator(latent_dim=4, ngf=4), DCGANDiscriminator(ndf=4, spectral_norm=True)
        data = [torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(i)) * 2 - 1 for i in range(3)]
        seen = []
        history = train_gan(G, D, data, steps=steps, loss="hinge", lr_D=4e-4, ema=0.9, device="cpu", progress=False,
                            sample_every=3, n_samples=2, checkpoint=tmp_path / f"{name}.pt", resume=resume,
                            callbacks=[lambda step, h, g, d: seen.append(g)])
        return history, seen
    run(6, "resumed", False, 0)                              # stops at 6; the next call continues it to 9
    resumed, seen = run(9, "resumed", True, 1)               # other initial weights: all come from the checkpoint
    whole, _ = run(9, "whole", False, 0)
    assert resumed.loss_G == whole.loss_G and torch.equal(resumed.samples[-1], whole.samples[-1])
    assert seen and all(isinstance(g, DCGANGenerator) and g.ngf == 4 for g in seen)   # the average's generator


def test_train_gan_updates_a_weight_average_the_caller_holds():
    G, D = _tiny()
    mine = weight_average(G, decay=0.5)
    data = [torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(i)) * 2 - 1 for i in range(2)]
    before = [p.clone() for p in mine.module.parameters()]
    fixed = torch.randn(2, 4, generator=torch.Generator().manual_seed(0))
    history = train_gan(G, D, data, steps=3, average=mine, device="cpu", progress=False, fixed_noise=fixed,
                        sample_every=3)
    assert int(mine.n_averaged) == 3 and any(not torch.equal(a, b) for a, b in zip(before, mine.module.parameters()))
    with torch.no_grad():                                # the samples drawn at the end came from the average
        torch.testing.assert_close(history.samples[-1], mine.module.eval()(fixed))
        assert not torch.allclose(history.samples[-1], G.eval()(fixed))
    with pytest.raises(ValueError, match="not both"):
        GAN(G, D, ema=0.9, average=mine)
    with pytest.raises(TypeError, match="average must be a weight average"):
        GAN(G, D, average=G)
    with pytest.raises(ValueError, match="average must average this generator"):
        GAN(G, D, average=weight_average(DCGANGenerator(latent_dim=4, ngf=4)))


def test_notebook_01_trains_with_the_recipe_its_benchmark_measured():
    """bench_intro_recipe.py measures gancourse.models.mlp.INTRO_RECIPE; notebook 01's two runs must use exactly it."""
    from gancourse.models.mlp import INTRO_RECIPE
    notebook = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "01_intro.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    lr, b1, b2 = INTRO_RECIPE["lr"], *INTRO_RECIPE["betas"]
    for data in ("mnist", "fashion"):
        assert re.search(rf"D_{data} = MLPDiscriminator\(hidden_dim=256, spectral_norm={INTRO_RECIPE['spectral_norm']}\)",
                         code), data
        assert re.search(rf"G_{data}_average = weight_average\(G_{data}, decay={INTRO_RECIPE['ema']}\)", code), data
    assert len(re.findall(rf"lr={lr:.0e},\s*betas=\({b1}, {b2}\)".replace("e-0", "e-"), code)) == 2
