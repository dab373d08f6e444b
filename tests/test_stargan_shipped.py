"""The shipped StarGAN (one generator for the eight attribute combinations of small, thick and inverted digits):
the checkpoint is small, loads, and gives back on re-measurement the numbers its JSON records, which notebook 06
quotes; its JSON holds the measurements behind the recipe."""
import json

import pytest

from gancourse.data.attributes import ALL_COMBINATIONS, HELD_OUT, attribute_dataset, combination_name
from gancourse.data.images import load_images
from gancourse.metrics.attributes import load_attribute_classifier
from gancourse.metrics.stargan import stargan_report
from gancourse.models.stargan import StarGANConfig, load_pretrained, pretrained_path

pytestmark = pytest.mark.usefixtures("one_torch_thread")
KEYS = ("all", "changed", "untouched", "content_kept", "content_ceiling", "own_domain_content_kept",
        "reconstruction_error", "exact_error")


def _info() -> dict:
    return json.loads(pretrained_path().with_suffix(".json").read_text())


def test_the_shipped_stargan_reproduces_what_its_json_records():
    path = pretrained_path()
    assert path.is_file() and path.stat().st_size < 2 * 1024 * 1024
    info = _info()
    G = load_pretrained()
    config = StarGANConfig(**info["config"])
    assert not G.training and G.width == config.width and G.skips == config.skips
    test = attribute_dataset("mnist", train=False, seed=1)          # the builder's test set (TEST_SEED = 1)
    plain = load_images("mnist", train=False).images
    measured = stargan_report(G, load_attribute_classifier(), test.images, test.digits, test.attributes, plain)
    recorded = info["evaluation"]
    assert recorded["test_images"] == len(test) and measured["translations"] == len(test) * len(ALL_COMBINATIONS)
    for key in KEYS:
        assert measured[key] == pytest.approx(recorded[key], abs=2e-3), key
    for name in ("small", "thick", "inverted"):
        assert measured["attributes"][name] == pytest.approx(recorded["attributes"][name], abs=2e-3), name
    unseen = combination_name(HELD_OUT[0])
    assert measured["per_target"][unseen]["all"] == pytest.approx(recorded["per_target"][unseen]["all"], abs=2e-3)


def test_the_shipped_stargan_beats_the_identity_map_on_what_a_translation_must_change():
    info = _info()
    shipped, identity = info["evaluation"], info["baselines"]["identity"]
    assert identity["changed"] < 0.05 and identity["untouched"] > 0.95          # the identity map changes nothing
    assert shipped["changed"] > identity["changed"] + 0.5
    assert shipped["all"] > identity["all"] + 0.3
    assert identity["reconstruction_error"] == 0.0


def test_the_json_records_the_runs_the_notebook_compares():
    info = _info()
    compared = {name: run for name, run in info["baselines"].items() if name.startswith("compare")}
    assert any(run["config"]["adversarial"] == "wgan-gp" and run["config"]["n_critic"] == 5 for run in compared.values())
    assert info["config"]["adversarial"] != "wgan-gp" or info["config"]["n_critic"] == 5
    for run in compared.values():
        assert set(KEYS) <= set(run) and run["train_seconds"] > 0
    assert info["built_by"].startswith("python scripts/build_pretrained_stargan.py")
    assert info["parameters"]["G"] == sum(p.numel() for p in load_pretrained().parameters())
