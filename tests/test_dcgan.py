"""gancourse.models.dcgan, gancourse.sampling's interpolation, the pretrained-checkpoint builder and the shipped checkpoints."""
import importlib.util
import json
import math
import sys
from pathlib import Path

import matplotlib.pyplot
import pytest
import torch
from torch import nn

from gancourse.metrics import evaluate_generator
from gancourse.sampling import interpolate_images, lerp, sample_images, slerp
from gancourse.viz import plot_interpolation
from gancourse.models.dcgan import (
    SHIPPED_RECIPE,
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    dcgan_init,
    down_block,
    load_pretrained,
    pretrained_path,
    up_block,
)
from gancourse.training import train_gan

REPO = Path(__file__).resolve().parents[1]


# --- blocks and models ----------------------------------------------------------------------------------------
def test_blocks_double_and_halve_the_resolution():
    up = up_block(8, 4)
    assert up(torch.randn(2, 8, 7, 7)).shape == (2, 4, 14, 14)
    assert up_block(16, 8, kernel_size=7, stride=1, padding=0)(torch.randn(2, 16, 1, 1)).shape == (2, 8, 7, 7)
    assert [type(m) for m in up] == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU] and up[0].bias is None
    down = down_block(3, 5)
    assert down(torch.randn(2, 3, 28, 28)).shape == (2, 5, 14, 14)
    assert [type(m) for m in down] == [nn.Conv2d, nn.BatchNorm2d, nn.LeakyReLU] and down[0].bias is None
    plain = down_block(3, 5, batch_norm=False)
    assert [type(m) for m in plain] == [nn.Conv2d, nn.LeakyReLU] and plain[0].bias is not None
    assert plain[1].negative_slope == 0.2


def test_blocks_validate_their_arguments():
    with pytest.raises(ValueError, match="out_channels must be a positive integer"):
        up_block(4, 0)
    with pytest.raises(ValueError, match="in_channels must be a positive integer"):
        down_block(2.5, 4)
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        down_block(2, 4, batch_norm="yes")
    with pytest.raises(TypeError, match="model.apply"):
        dcgan_init("conv")


def test_models_shapes_ranges_and_parameter_counts():
    G, D = DCGANGenerator(), DCGANDiscriminator()
    x = G(torch.randn(5, 64) * 10)
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (5,)
    # counted by hand: G = 64·128·49 + 2·128 + 128·64·16 + 2·64 + 64·1·16 + 1; D = 1·32·16 + 32 + 32·64·16 + 2·64 + 64·49 + 1
    assert sum(p.numel() for p in G.parameters()) == 64 * 128 * 49 + 256 + 128 * 64 * 16 + 128 + 64 * 16 + 1 == 533889
    assert sum(p.numel() for p in D.parameters()) == 512 + 32 + 32 * 64 * 16 + 128 + 64 * 49 + 1 == 36577
    assert DCGANGenerator(8, 4, channels=3)(torch.randn(2, 8)).shape == (2, 3, 28, 28)
    assert DCGANDiscriminator(4, channels=3)(torch.randn(2, 3, 28, 28)).shape == (2,)


def test_models_reject_wrong_inputs():
    with pytest.raises(ValueError, match=r"z must have shape \(B, 8\)"):
        DCGANGenerator(8, 4)(torch.randn(2, 9))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, 28, 28\)"):
        DCGANDiscriminator(4)(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="ngf must be a positive integer"):
        DCGANGenerator(8, 0)


def test_dcgan_init_draws_the_papers_distributions():
    torch.manual_seed(0)
    G, D = DCGANGenerator(), DCGANDiscriminator()
    convs = [m for m in list(G.modules()) + list(D.modules()) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    weights = torch.cat([m.weight.detach().flatten() for m in convs])
    assert abs(weights.mean().item()) < 1e-3 and abs(weights.std().item() - 0.02) < 5e-4
    assert all(m.bias is None or bool((m.bias == 0).all()) for m in convs)
    bns = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    gammas = torch.cat([m.weight.detach() for m in bns])
    assert abs(gammas.mean().item() - 1) < 0.01 and 0.01 < gammas.std().item() < 0.03
    assert all(bool((m.bias == 0).all()) for m in bns)


def test_a_few_steps_on_tiny_data_reduce_the_discriminator_loss(tmp_path):
    """Smoke test of the training path: a tiny DCGAN learns to separate noise from constant images."""
    torch.manual_seed(0)
    G, D = DCGANGenerator(8, 4), DCGANDiscriminator(4)
    data = [(torch.full((8, 1, 28, 28), 0.5), torch.zeros(8)) for _ in range(2)]
    history = train_gan(G, D, data, steps=6, device="cpu", progress=False, lr=1e-3, checkpoint=tmp_path / "run.pt")
    assert history.loss_D[-1] < history.loss_D[0] and (tmp_path / "run.pt").is_file()


# --- interpolation --------------------------------------------------------------------------------------------
def test_lerp_is_a_straight_line_with_the_end_points():
    z0, z1 = torch.randn(16), torch.randn(16)
    path = lerp(z0, z1, 5)
    assert path.shape == (5, 16) and torch.allclose(path[0], z0) and torch.allclose(path[-1], z1)
    assert torch.allclose(path[2], (z0 + z1) / 2)
    assert lerp(torch.randn(3, 16), torch.randn(3, 16), 7).shape == (3, 7, 16)


def test_slerp_stays_on_the_great_circle_with_interpolated_norms():
    gen = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(64, generator=gen, dtype=torch.float64), torch.randn(64, generator=gen, dtype=torch.float64)
    path = slerp(z0, z1, 9)
    assert torch.allclose(path[0], z0) and torch.allclose(path[-1], z1)
    t = torch.linspace(0, 1, 9, dtype=torch.float64)
    assert torch.allclose(path.norm(dim=1), (1 - t) * z0.norm() + t * z1.norm())
    # equal angular steps: the angle between neighbours is constant
    unit = path / path.norm(dim=1, keepdim=True)
    angles = torch.arccos((unit[1:] * unit[:-1]).sum(1).clamp(-1, 1))
    assert torch.allclose(angles, angles.mean().expand_as(angles), atol=1e-9)
    # the path stays in the plane of z0 and z1
    basis, _ = torch.linalg.qr(torch.stack([z0, z1], dim=1))
    assert torch.allclose(basis @ (basis.T @ path.T), path.T, atol=1e-9)


def test_slerp_keeps_typical_norms_where_lerp_shrinks_them():
    gen = torch.Generator().manual_seed(1)
    z0, z1 = torch.randn(500, 64, generator=gen), torch.randn(500, 64, generator=gen)
    mid_lerp = lerp(z0, z1, 3)[:, 1].norm(dim=1).mean().item()
    mid_slerp = slerp(z0, z1, 3)[:, 1].norm(dim=1).mean().item()
    assert mid_lerp == pytest.approx(math.sqrt(64 / 2), rel=0.05)
    assert mid_slerp == pytest.approx(math.sqrt(64), rel=0.05)


def test_slerp_of_parallel_and_invalid_end_points():
    z = torch.randn(8)
    assert torch.allclose(slerp(z, 2 * z, 3)[1], 1.5 * z, atol=1e-6)
    with pytest.raises(ValueError, match="opposite"):
        slerp(z, -z, 3)
    with pytest.raises(ValueError, match="non-zero"):
        slerp(torch.zeros(8), z, 3)
    with pytest.raises(ValueError, match="same shape"):
        lerp(torch.zeros(8), torch.zeros(9), 3)
    with pytest.raises(ValueError, match="at least 2"):
        lerp(z, z, 1)


def test_interpolate_images_and_plot():
    torch.manual_seed(0)
    G = DCGANGenerator(8, 4)
    z0, z1 = torch.randn(2, 8), torch.randn(2, 8)
    images = interpolate_images(G, z0, z1, steps=5, method="linear")
    assert images.shape == (10, 1, 28, 28) and G.training        # back in training mode
    assert torch.allclose(images[0], G.eval()(z0[:1])[0], atol=1e-6)
    with pytest.raises(ValueError, match="method must be one of"):
        interpolate_images(G, z0, z1, method="cubic")
    assert plot_interpolation(G, z0, z1, steps=4) is not None
    matplotlib.pyplot.close("all")


# --- the pretrained checkpoints --------------------------------------------------------------------------------
def test_build_pretrained_writes_a_loadable_measured_checkpoint(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_pretrained", REPO / "scripts" / "build_pretrained.py")
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "build_pretrained", script)     # the worker processes import it by name
    spec.loader.exec_module(script)
    recipe = DCGANConfig(ngf=4, ndf=4, batch_size=16, steps=3, loss="hinge", spectral_norm=True, ema=0.5)
    info = script.build("mnist", recipe, tmp_path, device="cpu", progress=False, n_eval=50,
                        compare=({"ema": 0.0, "loss": "bce"},), workers=2)
    assert info["processes_at_once"] == 2
    path = tmp_path / "dcgan_mnist.pt"
    assert path.is_file() and json.loads(path.with_suffix(".json").read_text()) == info
    assert info["config"]["steps"] == 3 and info["images_per_second"] > 0
    assert info["config"]["spectral_norm"] and info["config"]["ema"] == 0.5
    assert set(info["evaluation"]) >= {"fid", "floor_fid", "classes_covered", "class_counts"}
    variant = info["ablation"]["ema=0, loss=bce"]
    assert variant["config"]["ema"] == 0.0 and variant["config"]["spectral_norm"]
    assert isinstance(variant["train_seconds"], float)
    assert variant["evaluation"]["fid"] != info["evaluation"]["fid"]
    (tmp_path / "serial").mkdir()
    serial = script.build("mnist", recipe, tmp_path / "serial", device="cpu", progress=False, n_eval=50)
    assert serial["evaluation"] == info["evaluation"]               # two processes train what one would
    G, D, loaded_info = load_pretrained("mnist", path=path)
    assert G.ngf == 4 and not G.training and loaded_info == info
    assert D.spectral_norm and not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    assert evaluate_generator(G, "mnist", n=50)["fid"] == pytest.approx(info["evaluation"]["fid"], rel=1e-3)
    parse = script.config_changes(DCGANConfig)
    assert parse("lr_D=4e-4,spectral_norm=true") == {"lr_D": 4e-4, "spectral_norm": True}
    assert parse("lr_D=none") == {"lr_D": None}
    with pytest.raises(FileNotFoundError, match="build_pretrained.py"):
        load_pretrained("mnist", path=tmp_path / "missing.pt")


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_shipped_checkpoint_is_small_loads_and_reproduces_its_recorded_fid(name):
    path = pretrained_path(name)
    assert path.is_file(), f"missing {path}: run python scripts/build_pretrained.py {name}"
    assert path.stat().st_size < 2 * 1024 * 1024
    G, D, info = load_pretrained(name)
    assert info["config"] == DCGANConfig(**SHIPPED_RECIPE).to_dict(), "rebuild with scripts/build_pretrained.py"
    assert D.spectral_norm == SHIPPED_RECIPE["spectral_norm"]
    recorded = info["evaluation"]
    assert recorded["fid"] <= recorded["floor_fid"] * 2, "issue 11's goal: within twice the real-vs-real floor"
    shares = [count / recorded["n"] for count in recorded["class_counts"]]
    assert 0.07 <= min(shares) and max(shares) <= 0.13, shares
    assert any(not run["config"]["spectral_norm"] and run["config"]["ema"] == 0 and run["config"]["beta1"] == 0.5
               for run in info["ablation"].values()), "notebook 03's ablation table needs the 2016 recipe"
    measured = evaluate_generator(G, name, n=recorded["n"])
    assert measured["fid"] == pytest.approx(recorded["fid"], rel=1e-3)
    assert measured["classes_covered"] == recorded["classes_covered"] == 10
    untrained = evaluate_generator(DCGANGenerator(info["config"]["latent_dim"], info["config"]["ngf"]), name, n=500)
    assert untrained["fid"] > 3 * recorded["fid"]


def test_sample_images_is_reproducible_and_validates():
    torch.manual_seed(0)
    G = DCGANGenerator(8, 4)
    a, b = sample_images(G, 6, seed=3), sample_images(G, 6, seed=3)
    assert a.shape == (6, 1, 28, 28) and torch.equal(a, b) and G.training
    with pytest.raises(ValueError, match="n must be a positive integer"):
        sample_images(G, 0)
    with pytest.raises(ValueError, match="latent_dim"):
        sample_images(nn.Linear(2, 2), 3)
