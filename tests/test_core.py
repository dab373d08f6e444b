"""Unit tests of gancourse's device helper, losses, models, training loop, checkpoints and plots."""
import math

import matplotlib
import pytest
import torch
import torch.nn.functional as F

matplotlib.use("Agg")

import gancourse  # noqa: E402
from gancourse import losses  # noqa: E402
from gancourse.models import MLPDiscriminator, MLPGenerator  # noqa: E402
from gancourse.sampling import sample_noise  # noqa: E402
from gancourse.training import History, d_step, g_step, load_checkpoint, save_checkpoint, train_gan  # noqa: E402
from gancourse.viz import grid_image, plot_class_counts, plot_losses, plot_samples_over_training, plot_training, show_grid  # noqa: E402


def test_torchvision_imports_with_torch_and_makes_a_grid():
    import torchvision
    from torchvision.utils import make_grid
    grid = make_grid(torch.zeros(4, 1, 28, 28), nrow=2, padding=2)
    assert grid.shape == (3, 2 * 28 + 3 * 2, 2 * 28 + 3 * 2)
    assert torchvision.__version__


# --- device and seeding -------------------------------------------------------------------------------------
def test_get_device_auto_and_override(monkeypatch):
    monkeypatch.delenv("GANCOURSE_DEVICE", raising=False)
    assert gancourse.get_device().type in {"cuda", "mps", "cpu"}
    monkeypatch.setenv("GANCOURSE_DEVICE", "cpu")
    assert gancourse.get_device() == torch.device("cpu")
    assert gancourse.get_device("cpu") == torch.device("cpu")


def test_get_device_rejects_unknown_or_missing(monkeypatch):
    with pytest.raises(ValueError, match="unknown device"):
        gancourse.get_device("tpu9")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            gancourse.get_device("cuda")


def test_seed_everything_reproduces_draws():
    gancourse.seed_everything(7)
    a = torch.randn(3)
    gancourse.seed_everything(7)
    assert torch.equal(a, torch.randn(3))
    with pytest.raises(ValueError, match="non-negative integer"):
        gancourse.seed_everything(-1)


@pytest.mark.parametrize("env,value,quick", [("GANCOURSE_QUICK", "1", True), ("GANCOURSE_QUICK", "0", False),
                                             ("NBGRADER_EXECUTION", "autograde", True)])
def test_quick_mode_and_budget(monkeypatch, env, value, quick):
    monkeypatch.delenv("GANCOURSE_QUICK", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv(env, value)
    assert gancourse.quick_mode() is quick
    assert gancourse.budget(default=1000, quick=5) == (5 if quick else 1000)
    with pytest.raises(ValueError, match="positive integer"):
        gancourse.budget(default=0, quick=5)


# --- losses -------------------------------------------------------------------------------------------------
def test_discriminator_loss_matches_bce_on_probabilities():
    real, fake = torch.randn(16, generator=torch.Generator().manual_seed(0)), torch.randn(16)
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    naive = -(torch.log(p_real).mean() + torch.log(1 - p_fake).mean())
    assert torch.allclose(losses.discriminator_loss(real, fake), naive, atol=1e-6)
    assert math.isclose(losses.discriminator_loss(torch.zeros(3), torch.zeros(3)).item(), 2 * math.log(2), rel_tol=1e-6)


def test_losses_are_finite_and_exact_for_confident_logits():
    big = torch.tensor([1e4, -1e4, 100.0, -100.0])
    for value in (losses.discriminator_loss(big, big), losses.generator_loss(big), losses.generator_loss(big, False)):
        assert torch.isfinite(value)
    assert math.isclose(losses.generator_loss(torch.tensor([-100.0])).item(), 100.0, rel_tol=1e-6)
    assert math.isclose(losses.generator_loss(torch.tensor([100.0]), non_saturating=False).item(), -100.0, rel_tol=1e-6)


def test_saturating_generator_loss_gradient_vanishes_when_fakes_are_rejected():
    logit = torch.tensor([-12.0], requires_grad=True)        # D(G(z)) ≈ 6e-6: confidently rejected
    losses.generator_loss(logit, non_saturating=False).backward()
    saturating = logit.grad.abs().item()
    logit.grad = None
    losses.generator_loss(logit, non_saturating=True).backward()
    assert saturating < 1e-4 < 0.99 < logit.grad.abs().item()


def test_losses_accept_b1_and_reject_bad_shapes():
    assert torch.isfinite(losses.discriminator_loss(torch.zeros(4, 1), torch.zeros(4, 1)))
    with pytest.raises(ValueError, match=r"shape \(B,\) or \(B, 1\)"):
        losses.discriminator_loss(torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(TypeError, match="torch.Tensor"):
        losses.generator_loss([0.0, 1.0])
    with pytest.raises(TypeError, match="floating-point"):
        losses.generator_loss(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="empty"):
        losses.generator_loss(torch.zeros(0))
    with pytest.raises(TypeError, match="True or False"):
        losses.generator_loss(torch.zeros(2), non_saturating="yes")


# --- models -------------------------------------------------------------------------------------------------
def test_mlp_shapes_ranges_and_parameter_counts():
    G, D = MLPGenerator(64, 256), MLPDiscriminator(256)
    x = G(torch.randn(5, 64) * 10)
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (5,)
    assert sum(p.numel() for p in G.parameters()) == 551952
    assert sum(p.numel() for p in D.parameters()) == 533505


def test_models_reject_wrong_inputs():
    G, D = MLPGenerator(8, 16), MLPDiscriminator(16)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 8\)"):
        G(torch.randn(2, 9))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 28, 28\)"):
        D(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        MLPGenerator(0)
    with pytest.raises(ValueError, match="image_shape"):
        MLPGenerator(8, 16, image_shape=(28, 28))


# --- steps and loop -----------------------------------------------------------------------------------------
def _tiny():
    torch.manual_seed(0)
    return MLPGenerator(4, 8), MLPDiscriminator(8), torch.rand(6, 1, 28, 28) * 2 - 1, torch.randn(6, 4)


def test_sample_noise_validates_and_reproduces():
    z = sample_noise(3, 4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, sample_noise(3, 4, generator=torch.Generator().manual_seed(1)))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        sample_noise(0, 4)


def test_d_step_detaches_and_updates_only_d():
    G, D, real, noise = _tiny()
    g_before = [p.clone() for p in G.parameters()]
    loss = d_step(D, G, real, noise, torch.optim.SGD(D.parameters(), lr=0.1))
    assert isinstance(loss, float) and loss > 0
    assert all(p.grad is None for p in G.parameters())
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))


def test_g_step_updates_only_g():
    G, D, _, noise = _tiny()
    d_before, g_before = [p.clone() for p in D.parameters()], [p.clone() for p in G.parameters()]
    g_step(D, G, noise, torch.optim.SGD(G.parameters(), lr=0.1))
    assert all(torch.equal(a, b) for a, b in zip(d_before, D.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(g_before, G.parameters()))


def test_steps_reject_non_modules():
    G, D, real, noise = _tiny()
    with pytest.raises(TypeError, match="D must be a torch.nn.Module"):
        d_step("D", G, real, noise, torch.optim.SGD(D.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="opt_G must be"):
        g_step(D, G, noise, "adam")


def test_train_gan_history_samples_callbacks_and_resume(tmp_path):
    G, D, _, _ = _tiny()
    data = [(torch.rand(8, 1, 28, 28) * 2 - 1, torch.zeros(8)) for _ in range(3)]
    seen = []
    history = train_gan(G, D, data, steps=12, sample_every=4, device="cpu", progress=False,
                        callbacks=[lambda step, h, g, d: seen.append(step)], checkpoint=tmp_path / "run.pt")
    assert history.step == list(range(1, 13)) and len(history.loss_D) == 12
    assert history.sample_steps == [0, 4, 8, 12] and seen == [4, 8, 12]      # step 0: the untrained G, no callback
    assert history.samples[-1].shape == (64, 1, 28, 28) and len(history.samples) == 4
    assert all(0 <= p <= 1 for p in history.D_real + history.D_fake)
    assert history.images_seen == 96 and history.seconds > 0
    more = train_gan(G, D, data, steps=15, sample_every=4, device="cpu", progress=False, checkpoint=tmp_path / "run.pt",
                     resume=True)
    assert more.step == list(range(1, 16)) and more.sample_steps == [0, 4, 8, 12, 15]
    assert (tmp_path / "run.pt").is_file() and (tmp_path / "run.json").is_file()


def test_train_gan_is_reproducible():
    runs = []
    for _ in range(2):
        G, D, _, _ = _tiny()
        data = [torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(i)) * 2 - 1 for i in range(2)]
        runs.append(train_gan(G, D, data, steps=5, device="cpu", progress=False, seed=3).loss_G)
    assert runs[0] == runs[1]


def test_train_gan_validates_arguments():
    G, D, _, _ = _tiny()
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        train_gan(G, D, [torch.zeros(2, 1, 28, 28)], steps=0, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        train_gan(G, D, [], steps=1, device="cpu", progress=False)
    with pytest.raises(TypeError, match="generator must be a torch.nn.Module"):
        train_gan(None, D, [], steps=1, progress=False)


def test_checkpoint_round_trip_and_clear_errors(tmp_path):
    G, D, _, _ = _tiny()
    history = History.from_dict({"step": [1, 2], "loss_D": [1.0, 0.9], "loss_G": [0.7, 0.8]})
    path = save_checkpoint(tmp_path / "ck.pt", G, D, history=history, config={"latent_dim": 4})
    G2, D2 = MLPGenerator(4, 8), MLPDiscriminator(8)
    loaded = load_checkpoint(path, G2, D2, map_location="cpu")
    assert loaded["config"] == {"latent_dim": 4} and loaded["history"].loss_D == [1.0, 0.9]
    assert all(torch.equal(a, b) for a, b in zip(G.parameters(), G2.parameters()))
    with pytest.raises(ValueError, match="does not fit"):
        load_checkpoint(path, MLPGenerator(4, 9), map_location="cpu")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt", G2)
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable gancourse checkpoint"):
        load_checkpoint(tmp_path / "bad.pt", G2, map_location="cpu")


# --- plots --------------------------------------------------------------------------------------------------
def test_plots_draw_and_validate():
    images = torch.rand(10, 1, 28, 28) * 2 - 1
    array = grid_image(images, nrow=5)
    assert array.shape[2] == 3 and 0 <= array.min() and array.max() <= 1
    assert show_grid(images, title="t") is not None
    history = History.from_dict({"step": [1, 2, 3], "loss_D": [1.4, 1.2, 1.3], "loss_G": [0.7, 0.9, 0.8],
                                 "sample_steps": [3], "D_real": [0.6], "D_fake": [0.4], "samples": [images]})
    assert plot_losses(history) is not None and plot_training(history) is not None
    assert plot_samples_over_training(history, n_show=5) is not None
    report = {"class_counts": [1] * 10}
    assert plot_class_counts({"a": report}, [str(i) for i in range(10)]) is not None
    with pytest.raises(ValueError, match="1 or 3 channels"):
        grid_image(torch.zeros(2, 2, 8, 8))
    with pytest.raises(ValueError, match="no steps"):
        plot_losses(History())
    matplotlib.pyplot.close("all")


def test_sample_rows_are_evenly_spaced_from_step_0_without_duplicates():
    from gancourse.viz.plots import evenly_spaced_points
    assert evenly_spaced_points(list(range(0, 4001, 200)), 6) == [0, 4, 8, 12, 16, 20]
    assert evenly_spaced_points([0, 666, 1332, 1998, 2664, 3330, 3996, 4000], 6)[0::5] == [0, 7]
    assert evenly_spaced_points([0, 10], 6) == [0, 1]
    with pytest.raises(ValueError, match="steps"):
        evenly_spaced_points([], 3)
