"""The shipped VAE (gancourse/pretrained/vae_mnist.*): its JSON's figures are reproducible, its bounds behave, and
scripts/build_pretrained_vae.py runs end to end; saving and loading a VAE."""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from gancourse.data.binary import binarised_set, binarised_test_set
from gancourse.metrics.likelihood import iwae_bound
from gancourse.models import VAE
from gancourse.training.vae import PRETRAINED_DIR, elbo, load_vae, save_vae

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_pretrained_vae as builder  # noqa: E402

SHIPPED = PRETRAINED_DIR / "vae_mnist.pt"


def _quiet(make, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make(*args, **kwargs)


def _reproduce(vae, images, recorded, ks):
    """Re-measure the ELBO and the IWAE bounds at ``ks`` exactly as the builder did; compare with ``recorded``."""
    e = elbo(vae, images, samples=recorded["elbo"]["samples"],
             generator=torch.Generator().manual_seed(recorded["elbo"]["seed"]), batch_size=builder.ELBO_BATCH)
    assert e["elbo"] == pytest.approx(recorded["elbo"]["nats"], abs=0.01)
    assert e["kl"] == pytest.approx(recorded["elbo"]["kl"], abs=0.01)
    for entry in [b for b in recorded["iwae"] if b["k"] in ks]:
        nats = iwae_bound(vae, images, entry["k"], generator=torch.Generator().manual_seed(entry["seed"]),
                          chunk=builder.IWAE_CHUNK)
        assert nats == pytest.approx(entry["nats"], abs=0.01), f"k={entry['k']}"


@pytest.fixture(scope="module")
def shipped():
    if not SHIPPED.is_file():
        pytest.skip(f"{SHIPPED.name} is not built (scripts/build_pretrained_vae.py)")
    return load_vae(), json.loads(SHIPPED.with_suffix(".json").read_text())


def test_the_shipped_vae_loads_as_recorded(shipped):
    vae, info = shipped
    assert not vae.training and next(vae.parameters()).dtype == torch.float32
    assert (vae.latent_dim, vae.hidden_dim) == (info["model"]["latent_dim"], info["model"]["hidden_dim"])
    assert sum(p.numel() for p in vae.parameters()) == info["model"]["parameters"]
    assert SHIPPED.stat().st_size <= builder.MAX_BYTES


def test_the_shipped_json_reproduces_its_elbo_and_smallest_k_bounds(shipped):
    """The ELBO and the two smallest-k IWAE bounds, test and train, re-measured with the recorded seeds."""
    vae, info = shipped
    test = _quiet(binarised_test_set, "mnist")
    if info["data"]["source"] != test.source or info["data"]["test_images"] != len(test):
        pytest.skip("the recorded figures are for another test set than this machine's")
    ks = sorted(b["k"] for b in info["measured"]["test"]["iwae"])[:2]
    _reproduce(vae, test.images, info["measured"]["test"], ks)
    train = _quiet(binarised_set, "mnist", train=True, seed=info["data"]["train_binarisation_seed"])
    assert len(train) == info["data"]["train_images"]
    _reproduce(vae, train.images, info["measured"]["train"], ks[:1])


def test_the_shipped_bounds_rise_with_k_and_the_json_says_so(shipped):
    vae, info = shipped
    images = _quiet(binarised_test_set, "mnist", limit=200).images
    bounds = [iwae_bound(vae, images, k, generator=torch.Generator().manual_seed(k)) for k in (1, 10, 100)]
    assert bounds[0] < bounds[1] < bounds[2] < 0, bounds
    recorded = [b["nats"] for b in sorted(info["measured"]["test"]["iwae"], key=lambda b: b["k"])]
    assert recorded == sorted(recorded), "the recorded test bounds do not rise with k"
    assert info["measured"]["test"]["best_nats"] == max(recorded + [info["measured"]["test"]["elbo"]["nats"]])


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    vae = VAE(latent_dim=3, hidden_dim=8)
    path = save_vae(tmp_path / "v.pt", vae, {"note": "x"})
    back = load_vae(path)
    assert not back.training and (back.latent_dim, back.hidden_dim) == (3, 8)
    for a, b in zip(vae.state_dict().values(), back.state_dict().values()):
        assert torch.equal(a, b)
    assert json.loads(path.with_suffix(".json").read_text()) == {"note": "x"}
    with pytest.raises(FileNotFoundError, match="build_pretrained_vae"):
        load_vae(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="build_pretrained_vae"):
        load_vae("no_such_vae")
    torch.save({"rbm": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a VAE"):
        load_vae(tmp_path / "other.pt")
    with pytest.raises(TypeError, match="vae must be"):
        save_vae(tmp_path / "w.pt", torch.nn.Linear(2, 2))


def test_elbo_refuses_non_binary_images():
    vae = VAE(latent_dim=2, hidden_dim=4)
    with pytest.raises(ValueError, match="images must be binary"):
        elbo(vae, torch.zeros(2, 1, 28, 28))


def test_the_builder_runs_end_to_end(tmp_path):
    cmd = [sys.executable, str(ROOT / "scripts" / "build_pretrained_vae.py"), "--steps", "3", "--hidden-dim", "8",
           "--latent-dim", "2", "--ks", "1,3", "--train-ks", "1", "--elbo-samples", "2", "--threads", "1",
           "--name", "tiny", "--out", str(tmp_path), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    info = json.loads((tmp_path / "tiny.json").read_text())
    assert info["built_by"].startswith("python scripts/build_pretrained_vae.py --steps 3")
    assert "--out" not in info["built_by"] and info["training"]["steps"] == 3
    assert [b["k"] for b in info["measured"]["test"]["iwae"]] == [1, 3]
    assert [b["k"] for b in info["measured"]["train"]["iwae"]] == [1]
    vae = load_vae(tmp_path / "tiny.pt")
    test = _quiet(binarised_test_set, "mnist")
    _reproduce(vae, test.images, info["measured"]["test"], [1, 3])
